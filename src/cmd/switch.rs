//! `swrole PROFILE`: print the switch for the shell to evaluate. With `--background`, the
//! shell integration's auto-refresh: never a wait on the network.

use std::ffi::OsString;
use std::io::IsTerminal;

use anyhow::{Result, bail};

use crate::cache::Kind;
use crate::cli::{OutputArgs, SwitchArgs};
use crate::clock::now;
use crate::credentials::Credentials;
use crate::env::Env;
use crate::error::{Failure, write_stdout};
use crate::options::{Options, Prompt};
use crate::plan::Plan;
use crate::shell::{self, Shell, Syntax};
use crate::switch::{self as core, Files};

/// The exit status of `--background` when there is nothing to apply yet (EX_TEMPFAIL).
pub const NOT_YET: u8 = 75;
/// After a background renewal failed, the next one starts this much later (seconds).
const BACKOFF: i64 = 300;

pub fn run(env: &Env, profile: &str, args: &SwitchArgs, output: &OutputArgs) -> Result<()> {
    let shell = super::shell_or_detect(env, output.shell);
    if args.write && (output.background || output.background_child) {
        // A renewal never escalates: write access is asked for by a person, each time.
        anyhow::bail!(
            "--write is never renewed in the background: write access to {profile:?} is asked for with `--write` \
             by hand, each time"
        );
    }
    if output.background_child {
        return background_child(env, profile, args);
    }
    if output.background {
        return background(env, profile, args, shell);
    }
    if !output.print && std::io::stdout().is_terminal() {
        // The user forgot `eval`: secrets would only land in the scrollback. A mistyped name
        // gets the closest profile in the hint, never the typo again.
        let mut name = profile.to_string();
        let mut note = String::new();
        if let Ok(files) = Files::load(env)
            && files.set.profile(profile).is_none()
        {
            let near = core::closest_names(profile, files.set.profiles.keys().map(String::as_str));
            let Some(first) = near.first() else {
                files.plan(env, profile, &Options::default())?;
                bail!("profile {profile:?} not found");
            };
            name = first.to_string();
            note = format!(" ({profile:?} is not a profile: the closest is {name:?})");
        }
        let syntax = shell.syntax().unwrap_or(Syntax::Posix);
        let hint = match env.get("SWROLE_CMD") {
            Some(cmd) => format!("{cmd} {}", crate::shell::integration::sw_argument(&name)),
            None => syntax.eval_hint(&[&name]),
        };
        bail!(
            "this prints credentials for your shell to apply, so nothing was done{note}. Run:\n  {hint}\n(or pass --print to print them here)"
        );
    }
    let files = Files::load(env)?;
    let (plan, creds) = core::credentials(&files, env, profile, &super::options(env, args)?)?;
    let mode = if env.get("SWROLE_REFRESHING").is_some() { "refresh" } else { "switch" };
    super::record(env, mode, &plan, &creds, |_| {});
    write_stdout(&render(env, shell, profile, &plan, &creds))
}

fn render(env: &Env, shell: Shell, profile: &str, plan: &Plan, creds: &Credentials) -> String {
    match shell.syntax() {
        None => shell::json::render(creds),
        Some(syntax) => syntax.render(&super::switch_exports(env, profile, plan, creds)),
    }
}

/// A renewal in the background never asks: no question, no code, no confirmation.
fn unattended(env: &Env, args: &SwitchArgs) -> Result<Options> {
    Ok(Options {
        yes: true,
        quiet: true,
        token_code: None,
        mfa_prompt: Prompt::Never,
        // The auto-refresh renews through the cache: that is how the renewal reaches the shell.
        no_cache: false,
        ..super::options(env, args)?
    })
}

/// `--background`: fresh credentials from the cache (a renewal started earlier may have put
/// them there), else a renewal started in the background and [`NOT_YET`]. A renewal that
/// failed is said once; the next one starts [`BACKOFF`] seconds later.
fn background(env: &Env, profile: &str, args: &SwitchArgs, shell: Shell) -> Result<()> {
    let opts = unattended(env, args)?;
    let files = Files::load(env)?;
    let prepared = core::prepare(&files, env, profile, &opts)?;
    let Some(cache) = &prepared.cache else {
        bail!(
            "profile {profile:?} has nothing to renew (it assumes no role, or there is no cache directory)"
        );
    };
    if let Some(hit) = cache.get(&prepared.key, Kind::Role, core::bound(&prepared.plan)).ok().flatten() {
        cache.clear_failure(&prepared.key);
        let creds = hit.credentials();
        super::record(env, "refresh", &prepared.plan, &creds, |_| {});
        return write_stdout(&render(env, shell, profile, &prepared.plan, &creds));
    }
    if let Some(failure) = cache.failure(&prepared.key) {
        if !failure.said {
            eprintln!(
                "swrole: {}",
                crate::text::printable(&renewal_failed(env, profile, &failure.why, true))
            );
            let _ = cache.failure_said(&prepared.key, &failure);
        }
        if now() - failure.at < BACKOFF {
            return Err(Failure::silent(NOT_YET));
        }
    }
    // One renewal at a time: a running one holds this lock.
    if cache.renewing(&prepared.key)?.is_some() {
        start_child()?;
    }
    Err(Failure::silent(NOT_YET))
}

/// What a prompt says when a background renewal failed: why, and what the shell has now.
pub fn renewal_failed(env: &Env, profile: &str, why: &str, backing_off: bool) -> String {
    let cmd = env.get("SWROLE_CMD").unwrap_or("sw");
    let left = env.get("SWROLE_EXPIRATION").and_then(|e| e.parse::<i64>().ok()).map(|e| e - now());
    match left {
        Some(secs) if secs <= 0 => {
            format!(
                "could not renew {profile} ({why}); its credentials have expired: {cmd} {profile} to switch again"
            )
        }
        Some(secs) if backing_off => format!(
            "could not renew {profile} ({why}); the shell keeps its credentials ({} left) and tries again in {} min",
            crate::clock::left(secs),
            BACKOFF / 60
        ),
        Some(secs) => {
            format!(
                "could not renew {profile} ({why}); the shell keeps its credentials ({} left)",
                crate::clock::left(secs)
            )
        }
        None => format!("could not renew {profile} ({why})"),
    }
}

/// This swrole again, detached (a session of its own, no terminal, no output), as
/// `--background-child` with the same arguments.
fn start_child() -> Result<()> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe()?;
    let mut after_separator = false;
    let args: Vec<OsString> = std::env::args_os()
        .skip(1)
        .map(|a| {
            after_separator |= a == "--";
            if !after_separator && a == "--background" { OsString::from("--background-child") } else { a }
        })
        .collect();
    let mut cmd = std::process::Command::new(exe);
    // A renewal of its own, not a credential_process of this one: a clean loop guard.
    cmd.env_remove(core::PROCESS_CHAIN);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd.spawn().map_err(|e| anyhow::anyhow!("could not start a background renewal: {e}"))?;
    Ok(())
}

/// `--background-child`: renew into the cache, or leave a note that says why not.
fn background_child(env: &Env, profile: &str, args: &SwitchArgs) -> Result<()> {
    let opts = unattended(env, args)?;
    let files = Files::load(env)?;
    let prepared = core::prepare(&files, env, profile, &opts)?;
    let Some(cache) = &prepared.cache else { return Ok(()) };
    let Some(_renewing) = cache.renewing(&prepared.key)? else { return Ok(()) };
    // Planned once: the renewal goes on from here.
    match core::credentials_prepared(&files, env, profile, &opts, &prepared) {
        Ok(_) => {
            cache.clear_failure(&prepared.key);
            Ok(())
        }
        Err(e) => {
            cache.note_failure(&prepared.key, &format!("{e:#}"))?;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_renewal_says_what_the_shell_has() {
        let at = |left: i64| {
            let expiry = (now() + left).to_string();
            Env::from_pairs([("SWROLE_EXPIRATION", expiry.as_str()), ("SWROLE_CMD", "role")])
        };
        let expired = renewal_failed(&at(-5), "prod", "STS refused", true);
        assert_eq!(
            expired,
            "could not renew prod (STS refused); its credentials have expired: role prod to switch again"
        );
        assert!(
            renewal_failed(&at(0), "prod", "x", false).contains("have expired"),
            "at the second it expires"
        );
        let left = renewal_failed(&at(150), "prod", "x", true);
        assert_eq!(
            left,
            "could not renew prod (x); the shell keeps its credentials (3m left) and tries again in 5 min"
        );
        assert!(!renewal_failed(&at(150), "prod", "x", false).contains("tries again"));
        assert_eq!(renewal_failed(&Env::default(), "prod", "x", false), "could not renew prod (x)");
    }
}
