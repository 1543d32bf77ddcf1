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

fn add(env: &Env, profile: &str, stdin: bool) -> Result<()> {
    check_profile_name(profile)?;
    let store = keys::open(env)?;
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
    let store = keys::open(env)?;
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
    let store = keys::open(env)?;
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
    let new_config = keys::add_credential_process(
        &keys::remove_lines(&old_config, &lines(&old_config, FileKind::Config)?),
        profile,
        &line,
    )
    .with_context(|| config_path.display().to_string())?;
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
