//! `swrole setup`: the onboarding page as one command. The team file, your keys (into the
//! key store, never a file), your MFA device, the team's block in `~/.aws/config`, and a
//! check that every profile works, with one MFA code.

use anyhow::{Context, Result, bail};

use super::team::{Job, Writing};
use crate::cli::SetupArgs;
use crate::credentials::Credentials;
use crate::env::Env;
use crate::keys::{self, StoredKeys};
use crate::options::Options;
use crate::switch::Files;
use crate::team::{Kind, Params};
use crate::team_source::Source;
use crate::text::printable;
use crate::{sts, tty};

/// Where the user's own credentials come from, as found.
enum Base {
    /// Typed now: stored, and the profile pointed at them.
    New(StoredKeys),
    /// Already in the key store.
    Stored(StoredKeys),
    /// The files give the profile credentials some other way (keys, a process, SSO).
    Files,
}

fn say(text: &str) {
    eprintln!("swrole: {}", printable(text));
}

pub fn run(env: &Env, args: SetupArgs) -> Result<()> {
    let cwd = std::env::current_dir().context("could not read the current directory")?;
    // 1. The team file.
    let source_text = match &args.source {
        Some(s) => s.clone(),
        None => {
            let t = tty::terminal(
                "setup asks for the team file on the terminal",
                "give it: swrole setup SOURCE",
            )?;
            tty::ask_line(&t, "team file (a path, a directory, or a git URL such as git+https://...): ")?
        }
    };
    let source = Source::parse(source_text.trim(), &cwd)?;
    let probe = Job::read(env, source.clone(), Params::default(), None)?;
    let file = probe.file;
    say(&format!("team {} ({}): profiles {}", file.name, file.origin, file.profiles().join(", ")));
    let base_profile = args.source_profile.clone();
    super::check_profile_name(&base_profile)?;

    // 2. The user's own keys.
    let files = Files::load(env)?;
    let store = keys::open_for(env, &files.set, &files.paths, &base_profile)?;
    let base = match keys::read(store.as_ref(), &base_profile)? {
        Some(k) => {
            say(&format!(
                "the keys of profile {base_profile} are in {} ({})",
                store.describe(),
                crate::text::short_key(&k.aws_access_key_id)
            ));
            Base::Stored(k)
        }
        None if has_credentials(&files, &base_profile) => {
            say(&format!("profile {base_profile} has credentials in your AWS files: kept as they are"));
            Base::Files
        }
        // Typed keys are kept in memory until the last question has been answered: a
        // refused diff leaves nothing stored.
        None => Base::New(super::keys::read_keys(&base_profile, args.keys_stdin, "--keys-stdin")?),
    };

    // 3. {{user}}: given, else the MFA device's name.
    let user = match (&args.user, file.uses().contains_key("user")) {
        (Some(u), _) => Some(u.clone()),
        (None, false) => None,
        (None, true) => Some(find_user(env, &files, &base_profile, &base, args.mfa_serial.as_deref())?),
    };
    let params = Params {
        user,
        source_profile: base_profile.clone(),
        prefix: args.prefix.clone().unwrap_or_default(),
    };

    // 4. One edit of the config: the profile pointed at the key store, and the team's block.
    let needs_line =
        matches!(base, Base::New(_) | Base::Stored(_)) && !points_at_store(&files, &base_profile);
    let line = if needs_line { Some(super::keys::own_line(env, &base_profile)?.0) } else { None };
    // With the keys in a store SWROLE_KEY_STORE chose, the profile records which: every
    // later switch, refresh and `aws --profile` finds them without the variable.
    let record = if matches!(base, Base::New(_) | Base::Stored(_)) { keys::to_record(env)? } else { None };
    let add_line = |text: &str| -> Result<String> {
        let text = match &line {
            Some(l) => keys::add_credential_process(text, &base_profile, l)?,
            None => text.to_string(),
        };
        match record {
            Some(kind) => keys::set_profile_value(&text, &base_profile, keys::RECORD_KEY, kind, true),
            None => Ok(text),
        }
    };
    let job = Job { file: file.clone(), source, params };
    let writing =
        Writing { prune: false, yes: args.yes, dry_run: false, allow: args.allow.clone(), adopt: false };
    let applied = super::team::apply(env, vec![job], &writing, Some(&add_line))?;
    if let Base::New(k) = &base {
        store_typed_keys(env, store.as_ref(), &files, &base_profile, k)?;
    }
    if args.no_check {
        return Ok(());
    }

    // 5. Every profile checked, through its role: one MFA code serves them all (the MFA session).
    check_profiles(env, &applied, args.token_code.as_deref())
}

/// Step 5: every team profile written (not one of the member's own of the same name) switched
/// to and asked GetCallerIdentity; a table of what each reaches, an error when any fails.
fn check_profiles(env: &Env, applied: &super::team::Applied, token_code: Option<&str>) -> Result<()> {
    let files = Files::load(env)?;
    let opts = Options {
        token_code: token_code.map(crate::mfa::normalize).transpose()?,
        yes: true,
        purpose: crate::options::Purpose::Switch,
        mfa_prompt: crate::options::Prompt::from_env(env)?,
        ..Options::default()
    };
    let mut rows = Vec::new();
    let mut failed = 0;
    for t in &applied.rendered {
        for r in t.rendered.iter().filter(|r| r.id.kind == Kind::Profile) {
            if t.clashes.iter().any(|(id, _)| *id == r.id) {
                continue;
            }
            let name = &r.id.name;
            let result = switch_check(env, &files, name, &opts);
            match result {
                Ok((account, role)) => rows.push([name.clone(), account, role, "OK".into()]),
                Err(e) => {
                    failed += 1;
                    rows.push([name.clone(), "-".into(), "-".into(), problem(&format!("{e:#}"))]);
                }
            }
        }
    }
    eprint!("{}", table(&rows));
    if failed > 0 {
        bail!("{failed} of {} profiles do not work yet: see the table", rows.len());
    }
    say("done: switch with sw PROFILE (swrole init adds sw to your shell)");
    Ok(())
}

/// Keys typed during setup, stored once the config that points at them is written (never
/// before the last question: a refused diff stores nothing).
fn store_typed_keys(
    env: &Env,
    store: &dyn crate::store::SecretStore,
    files: &Files,
    base_profile: &str,
    k: &StoredKeys,
) -> Result<()> {
    let _lock = keys::lock(env)?;
    keys::write(store, base_profile, k).with_context(|| {
        format!(
            "{} now points profile {base_profile} at the key store, but its keys could not be stored \
             there: run swrole keys add {base_profile}",
            files.paths.config.display()
        )
    })?;
    say(&format!(
        "stored the keys of profile {base_profile} ({}) in {}: no file holds them",
        crate::text::short_key(&k.aws_access_key_id),
        store.describe()
    ));
    Ok(())
}

/// The account and role a profile reaches, by GetCallerIdentity through its chain.
fn switch_check(env: &Env, files: &Files, profile: &str, opts: &Options) -> Result<(String, String)> {
    let (plan, creds) = crate::switch::credentials(files, env, profile, opts)?;
    let settings = sts::Settings::for_plan(&plan, opts)?;
    let arn = sts::runtime()?.block_on(sts::caller_identity(&settings, &creds))?;
    // arn:aws:sts::111111111111:assumed-role/ROLE/SESSION
    let parts: Vec<&str> = arn.split(':').collect();
    let account = parts.get(4).copied().unwrap_or("?").to_string();
    let role = parts.get(5).and_then(|r| r.split('/').nth(1)).unwrap_or(parts.get(5).copied().unwrap_or("?"));
    Ok((account, role.to_string()))
}

/// One line: what is wrong, and how to fix it.
fn problem(error: &str) -> String {
    let first = error.lines().next().unwrap_or(error);
    let fix = if error.contains("AccessDenied") && error.contains("AssumeRole") {
        " (the role does not let you assume it yet: ask an administrator)"
    } else if error.contains("InvalidClientTokenId") || error.contains("SignatureDoesNotMatch") {
        " (the access key is wrong or inactive: swrole keys add again)"
    } else if error.contains("MFA") {
        " (check the MFA device and code)"
    } else {
        ""
    };
    format!("{first}{fix}")
}

fn table(rows: &[[String; 4]]) -> String {
    let header = ["profile", "account", "role", "check"].map(String::from);
    let all: Vec<&[String; 4]> = std::iter::once(&header).chain(rows.iter()).collect();
    let width = |i: usize| all.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2)];
    // The check (a problem can be long) goes on as far as 80 columns, the rest on lines of
    // its own, indented.
    let mut out = String::new();
    for r in all {
        let mut line = printable(&format!(
            "{:w0$}  {:w1$}  {:w2$} ",
            r[0],
            r[1],
            r[2],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        ));
        let check = printable(&r[3]);
        let mut words = check.split(' ').filter(|w| !w.is_empty()).peekable();
        while let Some(w) = words.next_if(|w| line.chars().count() + 1 + w.chars().count() <= 80) {
            line.push(' ');
            line.push_str(w);
        }
        out.push_str(line.trim_end());
        out.push('\n');
        let rest: Vec<&str> = words.collect();
        if !rest.is_empty() {
            out.push_str(&crate::text::wrap(&format!("    {}", rest.join(" ")), 80, 0));
            out.push('\n');
        }
    }
    out
}

/// Whether the files give `profile` credentials a switch can use without swrole's key
/// store, as the chain resolves them (keys, a process, Identity Center, a role, ...).
fn has_credentials(files: &Files, profile: &str) -> bool {
    crate::chain::resolve(&files.set, profile)
        .is_ok_and(|c| !matches!(c.base, crate::chain::Base::StoredKeys { .. }))
}

/// Whether the profile already runs swrole's own credential_process line for itself.
fn points_at_store(files: &Files, profile: &str) -> bool {
    files
        .set
        .profile(profile)
        .and_then(|p| p.text("credential_process"))
        .is_some_and(|line| crate::chain::own_credential_process(line, profile))
}

/// The name for `{{user}}`: from `--mfa-serial`, else the user's MFA device as IAM lists
/// it, else asked (the device's ARN).
fn find_user(env: &Env, files: &Files, profile: &str, base: &Base, serial: Option<&str>) -> Result<String> {
    let from_serial = |s: &str| -> Result<String> {
        let name = s.rsplit_once(":mfa/").map(|(_, n)| n).filter(|_| crate::plan::is_mfa_serial(s));
        let Some(name) = name else {
            bail!("{:?} is not an MFA device ARN (arn:aws:iam::ACCOUNT:mfa/NAME)", printable(s))
        };
        crate::team::check_user(name)?;
        Ok(name.to_string())
    };
    if let Some(s) = serial {
        return from_serial(s);
    }
    match list_devices(env, files, profile, base) {
        Ok(serials) if serials.len() == 1 => {
            let name = from_serial(&serials[0])?;
            say(&format!("your MFA device is {} (IAM ListMFADevices): {{{{user}}}} = {name}", serials[0]));
            return Ok(name);
        }
        Ok(serials) if serials.is_empty() => say("IAM lists no MFA device for you"),
        Ok(serials) => say(&format!("IAM lists several MFA devices for you: {}", serials.join(", "))),
        Err(e) => say(&format!("could not ask IAM for your MFA device: {e:#}")),
    }
    let t = tty::terminal("the MFA device is asked on the terminal", "pass --user NAME or --mfa-serial ARN")?;
    // A slip is said and asked again (three tries), not the end of setup.
    let mut tries_left = 2;
    loop {
        let answer = tty::ask_line(&t, "your MFA device's ARN (arn:aws:iam::ACCOUNT:mfa/NAME): ")?;
        match from_serial(answer.trim()) {
            Err(e) if tries_left > 0 => {
                tries_left -= 1;
                say(&format!("{e:#}; try again (Ctrl-C stops)"));
            }
            done => return done,
        }
    }
}

fn list_devices(env: &Env, files: &Files, profile: &str, base: &Base) -> Result<Vec<String>> {
    let creds: Credentials = match base {
        Base::New(k) | Base::Stored(k) => k.credentials(),
        Base::Files => {
            crate::switch::credentials(files, env, profile, &Options { yes: true, ..Options::default() })?.1
        }
    };
    let region = files.set.profile(profile).and_then(|p| p.text("region")).or(env.get("AWS_REGION"));
    // Who the keys belong to (IAM needs the user's name; GetCallerIdentity says it).
    let sts_settings = sts::Settings {
        region: Some(region.unwrap_or("us-east-1").to_string()),
        endpoint: crate::plan::service_endpoint(&files.set, &files.paths, env, profile, "sts")?
            .map(|(u, _)| u),
        connect_timeout: std::time::Duration::from_secs(5),
        read_timeout: std::time::Duration::from_secs(10),
        ca_bundle: crate::plan::ca_bundle(&files.set, &files.paths, env, profile)?
            .map(|(p, from)| sts::CaBundle::load(&p, &from))
            .transpose()?,
        attempts: 3,
        say_waiting: true,
    };
    let rt = sts::runtime()?;
    let arn = rt.block_on(sts::caller_identity(&sts_settings, &creds))?;
    let Some(user) = arn.split_once(":user/").map(|(_, u)| u.rsplit('/').next().unwrap_or(u).to_string())
    else {
        bail!("the keys of profile {profile} are not an IAM user's ({arn})");
    };
    let (default_url, signing_region) = sts::iam_default(region);
    let url = match crate::plan::service_endpoint(&files.set, &files.paths, env, profile, "iam")? {
        Some((url, _)) => url,
        None => default_url.to_string(),
    };
    let extra_roots = sts_settings.ca_bundle.as_ref().map(|c| c.certs.clone()).unwrap_or_default();
    let iam = sts::Iam {
        url,
        signing_region: signing_region.to_string(),
        timeout: std::time::Duration::from_secs(15),
        extra_roots,
    };
    rt.block_on(sts::list_mfa_devices(&iam, &creds, &user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_table_fits_80_columns() {
        let long = "AssumeRole: AccessDenied: User: arn:aws:iam::123456789012:user/ann is not authorized to perform \
                    sts:AssumeRole on resource (the role does not let you assume it yet: ask an administrator)";
        let rows = [
            [
                "sw-staging".to_string(),
                "210987654321".into(),
                "delegate_root_organization".into(),
                "OK".into(),
            ],
            ["sw-production".to_string(), "-".into(), "-".into(), long.into()],
        ];
        let t = table(&rows);
        assert!(t.lines().all(|l| l.chars().count() <= 80), "{t}");
        assert!(t.lines().skip(3).all(|l| l.starts_with("    ") && !l.starts_with("     ")), "{t}");
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words(&t).contains(&words(long)), "nothing is cut: {t}");
        assert!(t.lines().nth(1).unwrap().ends_with("delegate_root_organization  OK"), "{t}");
    }

    /// The first line of the error, then the fix its kind has.
    #[test]
    fn a_failed_check_says_what_to_do() {
        assert_eq!(
            problem("AssumeRole: AccessDenied: not authorized\nmore"),
            "AssumeRole: AccessDenied: not authorized (the role does not let you assume it yet: ask an administrator)"
        );
        assert_eq!(problem("AccessDenied on GetCallerIdentity"), "AccessDenied on GetCallerIdentity");
        assert_eq!(problem("AssumeRole: throttled"), "AssumeRole: throttled");
        for key in ["InvalidClientTokenId", "SignatureDoesNotMatch"] {
            assert_eq!(
                problem(&format!("GetSessionToken: {key}")),
                format!(
                    "GetSessionToken: {key} (the access key is wrong or inactive: swrole keys add again)"
                )
            );
        }
        assert_eq!(problem("no MFA code"), "no MFA code (check the MFA device and code)");
        assert_eq!(problem("timed out\nMFA below"), "timed out (check the MFA device and code)");
        assert_eq!(problem("timed out"), "timed out");
    }

    #[test]
    fn the_table_lines_up_its_columns() {
        let rows = [
            ["sw-production".to_string(), "111111111111".into(), "admin".into(), "OK".into()],
            ["x".to_string(), "-".into(), "-".into(), "no \u{1b}[31mcode".into()],
        ];
        assert_eq!(
            table(&rows),
            "profile        account       role   check\n\
             sw-production  111111111111  admin  OK\n\
             x              -             -      no \\u{1b}[31mcode\n"
        );
        assert_eq!(table(&[]), "profile  account  role  check\n");
    }
}
