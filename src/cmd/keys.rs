//! `swrole keys add|import|list|remove`: the IAM user's keys in the key store.

use std::io::BufRead;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::check_profile_name;
use crate::cli::KeysAction;
use crate::config::{FileKind, read_file};
use crate::edit::{self, Written, real_file, shown};
use crate::env::Env;
use crate::error::write_stdout;
use crate::keys::{self, StoredKeys};
use crate::switch::Files;
use crate::tty;

pub fn run(env: &Env, action: KeysAction) -> Result<()> {
    match action {
        KeysAction::Add { profile, stdin } => add(env, &profile, stdin),
        KeysAction::Import { profile, keep_file } => import(env, &profile, keep_file),
        KeysAction::List => list(env),
        KeysAction::Remove { profile } => remove(env, &profile),
        KeysAction::Retire { profile, login, delete, yes } => {
            retire(env, &profile, login.as_deref(), delete, yes)
        }
    }
}

/// The keys of `profile`, checked: two lines on stdin (`flag` names the option that asked
/// for that), or asked on the terminal with the secret not shown.
pub fn read_keys(profile: &str, stdin: bool, flag: &str) -> Result<StoredKeys> {
    let (id, secret) = if stdin {
        let mut lines = std::io::stdin().lock().lines();
        let mut next = |what: &str| -> Result<String> {
            match lines.next() {
                Some(line) => Ok(line.context("could not read stdin")?.trim().to_string()),
                None => bail!("{flag}: the {what} is missing (two lines: access key id, then secret)"),
            }
        };
        (next("access key id")?, next("secret access key")?)
    } else {
        let t = tty::terminal(
            &format!("the keys of profile {profile} are asked on the terminal"),
            &format!("pass them on stdin with {flag}"),
        )?;
        let id = tty::ask_line(&t, &format!("access key id for profile {profile}: "))?;
        let secret = tty::ask_secret(&t, "secret access key (not shown): ")?;
        (id, secret)
    };
    let k = StoredKeys { aws_access_key_id: id, aws_secret_access_key: secret };
    k.check()?;
    Ok(k)
}

/// The store of `profile`'s keys: the one its `swrole_key_store` records, unless
/// SWROLE_KEY_STORE says otherwise (with files that do not parse, the variable's or the
/// default).
fn store_of(env: &Env, profile: &str) -> Result<Box<dyn crate::store::SecretStore>> {
    match Files::load(env) {
        Ok(files) => keys::open_for(env, &files.set, &files.paths, profile),
        Err(_) => keys::open(env),
    }
}

fn add(env: &Env, profile: &str, stdin: bool) -> Result<()> {
    check_profile_name(profile)?;
    let store = store_of(env, profile)?;
    let k = read_keys(profile, stdin, "--stdin")?;
    let _lock = keys::lock(env)?;
    keys::write(store.as_ref(), profile, &k)?;
    eprintln!(
        "swrole: stored the keys of profile {profile:?} ({}) in {}",
        crate::text::short_key(&k.aws_access_key_id),
        store.describe()
    );
    Ok(())
}

fn list(env: &Env) -> Result<()> {
    let store = keys::open(env)?;
    let mut out = String::new();
    for name in store.names()? {
        match keys::read(store.as_ref(), &name) {
            // Item names come from the store, which other programs write too: escaped like
            // every other text on its way to a terminal.
            Ok(Some(k)) => out.push_str(&format!(
                "{}\t{}\t{}\n",
                crate::text::printable(&name),
                store.kind().name(),
                crate::text::short_key(&k.aws_access_key_id)
            )),
            Ok(None) => {}
            Err(e) => eprintln!("swrole: warning: {e:#}"),
        }
    }
    write_stdout(&out)
}

fn remove(env: &Env, profile: &str) -> Result<()> {
    check_profile_name(profile)?;
    let store = store_of(env, profile)?;
    let _lock = keys::lock(env)?;
    if !store.delete(profile)? {
        bail!("the {} key store holds no keys for profile {profile:?}", store.kind().name());
    }
    eprintln!("swrole: removed the keys of profile {profile:?} from {}", store.describe());
    Ok(())
}

/// `credential_process = ...` for `profile`: this binary's absolute path, quoted for the
/// shell when it needs it (the Rust SDK runs the line with `sh -c`, botocore splits it
/// with shell rules; both read the quotes).
///
/// The command is the name the user can rely on: plain `swrole` when `swrole` is on PATH
/// (a versioned path, a Homebrew Cellar or a symlink's target breaks at the next upgrade),
/// else this binary's full path. The second value says which, for the message.
pub fn own_line(env: &Env, profile: &str) -> Result<(String, String)> {
    let exe = std::env::current_exe().context("could not find swrole's own path")?;
    let same = |p: &Path| {
        let a = std::fs::canonicalize(p).ok();
        a.is_some() && a == std::fs::canonicalize(&exe).ok()
    };
    let (command, which) = match env.which("swrole") {
        Some(found) if same(&found) => {
            ("swrole".to_string(), format!("swrole on PATH is this swrole, {}", found.display()))
        }
        Some(found) => (
            "swrole".to_string(),
            format!(
                "swrole on PATH is {}, not this one ({}): the one on PATH will run",
                found.display(),
                exe.display()
            ),
        ),
        None => {
            let path = exe.to_str().context("swrole's path is not UTF-8")?;
            (
                crate::shell::posix::quote(path),
                "swrole is not on PATH: its full path is written, so moving the binary breaks the line"
                    .to_string(),
            )
        }
    };
    Ok((format!("{command} credential-process {profile}"), which))
}

/// Every line of either file that still holds a static key of `profile`, as the real
/// parser reads both texts (every section of the profile, hidden ones included):
/// `file:line` each.
fn keys_left(
    paths: &crate::config::Paths,
    config: &str,
    credentials: &str,
    profile: &str,
) -> Result<Vec<String>> {
    let mut left = Vec::new();
    for (kind, text) in [(FileKind::Config, config), (FileKind::Credentials, credentials)] {
        for line in keys::key_lines(text, kind, profile)? {
            left.push(format!("{}:{line}", paths.get(kind).display()));
        }
    }
    Ok(left)
}

fn import(env: &Env, profile: &str, keep_file: bool) -> Result<()> {
    check_profile_name(profile)?;
    // One edit of the files and the store at a time: a second import (of another profile,
    // over the same files) waits, and then reads what the first one wrote.
    let _lock = keys::lock(env)?;
    let files = Files::load(env)?;
    let section = files.set.profile(profile);
    let (Some(id), Some(secret)) = (
        section.and_then(|s| s.get("aws_access_key_id")),
        section.and_then(|s| s.get("aws_secret_access_key")),
    ) else {
        bail!(
            "{} and {} hold no aws_access_key_id and aws_secret_access_key for profile {profile:?}",
            files.paths.config.display(),
            files.paths.credentials.display()
        );
    };
    if section.and_then(|s| s.get("aws_session_token")).is_some() {
        bail!(
            "profile {profile:?} holds temporary credentials (aws_session_token): there are no long-term keys to keep"
        );
    }
    let k = StoredKeys { aws_access_key_id: id.text.clone(), aws_secret_access_key: secret.text.clone() };
    k.check().with_context(|| crate::plan::at(&files.paths, id))?;
    let store = keys::open_for(env, &files.set, &files.paths, profile)?;
    // The real files behind links (a dotfiles repository): written there, links kept.
    let creds_path = real_file(&files.paths.credentials)?;
    let config_path = real_file(&files.paths.config)?;
    // Both texts are made before anything is written: a problem here changes nothing. The
    // lines removed are exactly those the parser gives the profile's keys, in both files.
    let old_creds = read_file(&creds_path)?;
    let old_config = edit::read_or_empty(&config_path)?;
    let lines = |text: &str, kind| keys::key_lines(text, kind, profile);
    let new_creds = keys::remove_lines(&old_creds, &lines(&old_creds, FileKind::Credentials)?);
    let (line, which) = own_line(env, profile)?;
    let mut new_config = keys::add_credential_process(
        &keys::remove_lines(&old_config, &lines(&old_config, FileKind::Config)?),
        profile,
        &line,
    )
    .with_context(|| config_path.display().to_string())?;
    // The store SWROLE_KEY_STORE chose is recorded with the profile (see setup).
    if let Some(kind) = keys::to_record(env)? {
        new_config = keys::set_profile_value(&new_config, profile, keys::RECORD_KEY, kind, true)
            .with_context(|| config_path.display().to_string())?;
    }
    if !keep_file {
        let left = keys_left(&files.paths, &new_config, &new_creds, profile)?;
        if !left.is_empty() {
            bail!("the keys of profile {profile:?} would stay at {}: nothing changed", left.join(", "));
        }
    }
    keys::write(store.as_ref(), profile, &k)?;
    if keep_file {
        eprintln!(
            "swrole: copied the keys of profile {profile:?} ({}) to {}; the files are unchanged",
            crate::text::short_key(&k.aws_access_key_id),
            store.describe()
        );
        return Ok(());
    }
    let written = Written { path: &config_path, old: &old_config, new: &new_config, name: "config" };
    let creds = Written { path: &creds_path, old: &old_creds, new: &new_creds, name: "credentials" };
    if let Err(e) = edit::replace(&[written, creds]) {
        // The files are as they were; the store keeps a copy, which is harmless and lets
        // the user try again.
        return Err(e.context("the files are unchanged (the key store keeps a copy of the keys)"));
    }
    // Read back through the real parser, as every later command will: success only when no
    // file swrole reads still holds a key of the profile.
    let reread = (read_file(&config_path)?, read_file(&creds_path)?);
    let left = keys_left(&files.paths, &reread.0, &reread.1, profile)?;
    if !left.is_empty() {
        bail!(
            "the keys of profile {profile:?} are in {} and still at {}: remove them there by hand",
            store.describe(),
            left.join(", ")
        );
    }
    // Paths from the file system (a link's target, PATH) are escaped on their way to the
    // terminal, like text from the files.
    let moved = format!(
        "moved the keys of profile {profile:?} ({}) to {}; removed them from {} and {}; {} now says \
         credential_process = {line} ({which})",
        crate::text::short_key(&k.aws_access_key_id),
        store.describe(),
        shown(&files.paths.credentials, &creds_path),
        shown(&files.paths.config, &config_path),
        files.paths.config.display()
    );
    eprintln!("swrole: {}", crate::text::printable(&moved));
    Ok(())
}

/// Where the access key of a profile is: its files (with the lines), or the key store.
enum Held {
    Files,
    Store,
}

/// `keys retire PROFILE`: the login session is checked to be the same IAM user as the key,
/// the key is deactivated in IAM (signed by the login session), then removed from the
/// files and the key store; with `--delete` it is deleted in IAM last. A local step that
/// fails turns the key back on in IAM: nothing is lost.
fn retire(env: &Env, profile: &str, login: Option<&str>, delete: bool, yes: bool) -> Result<()> {
    use crate::switch::credentials as switch_credentials;
    check_profile_name(profile)?;
    if let Some(l) = login {
        check_profile_name(l)?;
    }
    let _lock = keys::lock(env)?;
    let files = Files::load(env)?;
    let section =
        files.set.profile(profile).ok_or_else(|| anyhow::anyhow!("profile {profile:?} not found"))?;
    let own_line = section
        .get("credential_process")
        .filter(|v| crate::chain::own_credential_process(&v.text, profile))
        .is_some();
    let store = keys::open_for(env, &files.set, &files.paths, profile)?;
    let (held, key) = match (section.get("aws_access_key_id"), section.get("aws_secret_access_key")) {
        (Some(id), Some(secret)) => {
            if section.get("aws_session_token").is_some() {
                bail!(
                    "profile {profile:?} holds temporary credentials (aws_session_token), not an access key"
                );
            }
            (
                Held::Files,
                StoredKeys { aws_access_key_id: id.text.clone(), aws_secret_access_key: secret.text.clone() },
            )
        }
        _ if own_line => match keys::read(store.as_ref(), profile)? {
            Some(k) => (Held::Store, k),
            None => bail!(
                "the {} key store holds no keys for profile {profile:?}: nothing to retire",
                store.kind().name()
            ),
        },
        _ => bail!(
            "profile {profile:?} holds no access key (in the files or swrole's key store): nothing to retire"
        ),
    };
    // The login session that replaces the key.
    let with_login: Vec<&str> = files
        .set
        .profiles
        .iter()
        .filter(|(_, s)| s.text("login_session").is_some())
        .map(|(n, _)| n.as_str())
        .collect();
    let login = match login {
        Some(l) => l,
        None => match with_login.as_slice() {
            [one] => one,
            [] => bail!(
                "no profile has a login_session: sign in first with `swrole login me`, then retire the key"
            ),
            many => {
                bail!("several profiles have a login_session ({}): name one with --login", many.join(", "))
            }
        },
    };
    let session = files
        .set
        .profile(login)
        .and_then(|s| s.text("login_session"))
        .ok_or_else(|| {
            anyhow::anyhow!("profile {login:?} has no login_session: run `swrole login {login}` first")
        })?
        .to_string();
    // Profiles that take their credentials from this key would stop working.
    let dependents: Vec<&str> = files
        .set
        .profiles
        .iter()
        .filter(|(n, s)| n.as_str() != profile && s.text("source_profile") == Some(profile))
        .map(|(n, _)| n.as_str())
        .collect();
    if !dependents.is_empty() {
        bail!(
            "{} still take their credentials from profile {profile:?}: set source_profile = {login} in them first \
             (for a team's profiles: `swrole team add SOURCE --source-profile {login}`), check that they switch, \
             then retire the key",
            dependents.join(", ")
        );
    }
    // Every local change is made (and checked) before IAM is asked: the texts of both files.
    let creds_path = real_file(&files.paths.credentials)?;
    let config_path = real_file(&files.paths.config)?;
    let old_creds = edit::read_or_empty(&creds_path)?;
    let old_config = edit::read_or_empty(&config_path)?;
    let mut config_lines = keys::key_lines(&old_config, FileKind::Config, profile)?;
    if own_line {
        config_lines.extend(own_process_lines(&old_config, profile)?);
    }
    let new_config = keys::remove_lines(&old_config, &config_lines);
    let new_creds =
        keys::remove_lines(&old_creds, &keys::key_lines(&old_creds, FileKind::Credentials, profile)?);
    if !keys_left(&files.paths, &new_config, &new_creds, profile)?.is_empty() {
        bail!("the key of profile {profile:?} could not be taken out of the files: nothing changed");
    }
    let short = crate::text::short_key(&key.aws_access_key_id);
    let verb = if delete { "delete" } else { "deactivate" };
    if !yes {
        let question = format!(
            "retire access key {short} of profile {profile:?}: {verb} it in IAM, then remove it from {}?",
            match held {
                Held::Files => "the AWS files",
                Held::Store => "swrole's key store",
            }
        );
        let t = tty::terminal(&question, "pass --yes")?;
        if !tty::confirm(&t, &question)? {
            bail!("nothing changed");
        }
    }
    let step = |n: u32, text: &str| eprintln!("swrole: [{n}/4] {}", crate::text::printable(text));
    // 1. The login session works, and is the key's IAM user.
    let opts = crate::options::Options { yes: true, ..crate::options::Options::default() };
    let (plan, login_creds) = switch_credentials(&files, env, login, &opts)
        .with_context(|| format!("the login session of profile {login:?} does not work: nothing changed"))?;
    let region = plan.region.clone().unwrap_or_else(|| "us-east-1".to_string());
    let ca_bundle =
        plan.ca_bundle.as_ref().map(|(p, from)| crate::sts::CaBundle::load(p, from)).transpose()?;
    let settings = crate::sts::Settings {
        region: Some(region.clone()),
        endpoint: plan.endpoint.clone(),
        connect_timeout: opts.connect_timeout,
        read_timeout: opts.read_timeout,
        ca_bundle,
        attempts: plan.attempts.0,
        say_waiting: true,
    };
    let rt = crate::sts::runtime()?;
    let login_arn = rt.block_on(crate::sts::caller_identity(&settings, &login_creds))?;
    let key_arn =
        rt.block_on(crate::sts::caller_identity(&settings, &key.credentials())).with_context(|| {
            format!("the access key {short} does not work (already inactive?): nothing changed")
        })?;
    let Some(user) = key_arn.split_once(":user/").map(|(_, u)| u.rsplit('/').next().unwrap_or(u).to_string())
    else {
        bail!("access key {short} is not an IAM user's ({key_arn}): nothing changed");
    };
    // The same IAM user three times: the key's caller, the login session's caller (asked
    // of STS, not only its account), and the session the config names.
    if key_arn != session || login_arn != key_arn {
        bail!(
            "access key {short} belongs to {key_arn}, the login session of profile {login:?} is {} (acting as \
             {login_arn}): not the same IAM user, nothing changed",
            crate::text::sanitize(&session)
        );
    }
    step(1, &format!("the login session of profile {login:?} works and is {key_arn}, whose key {short} is"));
    // 2. IAM, signed by the login session.
    let (default_url, signing_region) = crate::sts::iam_default(Some(&region));
    let iam = crate::sts::Iam {
        url: crate::plan::service_endpoint(&files.set, &files.paths, env, login, "iam")?
            .map_or(default_url.to_string(), |(u, _)| u),
        signing_region: signing_region.to_string(),
        timeout: std::time::Duration::from_secs(15),
        extra_roots: settings.ca_bundle.as_ref().map(|c| c.certs.clone()).unwrap_or_default(),
    };
    rt.block_on(crate::sts::retire_access_key(&iam, &login_creds, &user, &key.aws_access_key_id, false))
        .context("IAM did not deactivate the key: nothing changed")?;
    step(2, &format!("access key {short} of IAM user {user} is inactive in IAM"));
    // 3. The machine: files, then store. A failure turns the key back on.
    let undo = |e: anyhow::Error| -> anyhow::Error {
        let back =
            rt.block_on(crate::sts::iam_call_activate(&iam, &login_creds, &user, &key.aws_access_key_id));
        match back {
            Ok(()) => e.context("the key is active again in IAM and still on this machine: nothing was lost"),
            Err(b) => e.context(format!(
                "and it could not be turned back on in IAM ({b:#}): it is inactive there but still on this machine"
            )),
        }
    };
    if new_config != old_config || new_creds != old_creds {
        let written = Written { path: &config_path, old: &old_config, new: &new_config, name: "config" };
        let creds = Written { path: &creds_path, old: &old_creds, new: &new_creds, name: "credentials" };
        edit::replace(&[written, creds]).map_err(undo)?;
    }
    let (from_store, kept) =
        remove_from_store(store.as_ref(), profile, &key.aws_access_key_id).map_err(undo)?;
    step(
        3,
        &format!(
            "removed it from {} and {}{}{kept}",
            files.paths.config.display(),
            files.paths.credentials.display(),
            if from_store { format!(" and {}", store.describe()) } else { String::new() }
        ),
    );
    // 4. Deleted in IAM last, when asked: the key is off everywhere already.
    if delete {
        rt.block_on(crate::sts::retire_access_key(&iam, &login_creds, &user, &key.aws_access_key_id, true))
            .context("the key is inactive in IAM and gone from this machine, but IAM did not delete it: delete it in the console")?;
        step(4, &format!("deleted access key {short} in IAM"));
    } else {
        step(4, "kept it in IAM, inactive (delete it in IAM when you no longer need it)");
    }
    Ok(())
}

/// The key store's copy of `profile`'s key goes only when it is the key deactivated in IAM
/// (`deactivated`): another key kept there for the profile is not this one, and stays.
/// Whether it was removed, and the words that say what was kept.
fn remove_from_store(
    store: &dyn crate::store::SecretStore,
    profile: &str,
    deactivated: &str,
) -> Result<(bool, String)> {
    let Some(stored) = keys::read(store, profile)? else { return Ok((false, String::new())) };
    if stored.aws_access_key_id != deactivated {
        return Ok((
            false,
            format!(
                "; kept the other key {} that {} holds for {profile:?} (not the one deactivated)",
                crate::text::short_key(&stored.aws_access_key_id),
                store.describe()
            ),
        ));
    }
    if keys::test_fault("store-delete") {
        bail!("the key store refused the delete (SWROLE_TEST_FAULT)");
    }
    store.delete(profile)?;
    Ok((true, String::new()))
}

/// The lines of swrole's own `credential_process` line of `profile` in the config, and of
/// the `swrole_key_store` that says where its keys are (both go with the keys).
fn own_process_lines(config: &str, profile: &str) -> Result<Vec<usize>> {
    let sections =
        crate::config::parse::parse(config).map_err(|e| anyhow::anyhow!("line {}: {}", e.line, e.message))?;
    let mut lines = Vec::new();
    for s in
        sections.iter().filter(|s| crate::config::profile_of(FileKind::Config, &s.header) == Some(profile))
    {
        for p in s.properties.iter().filter(|p| p.key == "credential_process" || p.key == keys::RECORD_KEY) {
            if p.key == keys::RECORD_KEY || crate::chain::own_credential_process(&p.value, profile) {
                lines.push(p.line);
                lines.extend(&p.continuation);
            }
        }
    }
    Ok(lines)
}
