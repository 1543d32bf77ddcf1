//! One file per command: each turns its clap arguments into the core's options, calls the
//! core, and writes stdout once. Nothing below this layer sees `cli`.

pub mod cache;
pub mod console;
pub mod credential_process;
pub mod doctor;
pub mod exec;
pub mod explain;
pub mod init;
pub mod keys;
pub mod list;
pub mod log;
pub mod login;
pub mod man;
pub mod setup;
pub mod sso;
pub mod switch;
pub mod team;
pub mod unset;

use crate::cli::SwitchArgs;
use crate::credentials::Credentials;
use crate::env::Env;
use crate::exports::{Exports, Switch};
use crate::options::Options;
use crate::plan::Plan;
use crate::shell::Shell;

/// A name the AWS files could hold as a profile (letters, digits and `_-/.%@:+`): the
/// commands that store or remove by name refuse anything else before they act.
pub fn check_profile_name(profile: &str) -> anyhow::Result<()> {
    if !crate::config::is_identifier(profile) {
        anyhow::bail!("{profile:?} is not a profile name (letters, digits and _-/.%@:+)");
    }
    Ok(())
}

/// The core's options from the command line (and `SWROLE_MFA_PROMPT`, which has no flag).
pub fn options(env: &Env, args: &SwitchArgs) -> anyhow::Result<Options> {
    Ok(Options {
        token_code: args.token_code.as_deref().map(crate::mfa::normalize).transpose()?,
        duration: args.duration,
        region: args.region.clone(),
        session_name: args.session_name.clone(),
        connect_timeout: args.connect_timeout(),
        read_timeout: args.read_timeout(),
        no_cache: args.no_cache,
        refresh: args.refresh,
        refresh_margin: args.refresh_margin,
        mfa_session_duration: args.mfa_session_duration,
        yes: args.yes,
        verbose: args.verbose,
        process_timeout: args.process_timeout(),
        for_credential_process: false,
        mfa_process: args.mfa_process.clone(),
        mfa_timeout: std::time::Duration::from_secs(args.mfa_timeout),
        mfa_prompt: crate::options::Prompt::from_env(env)?,
        renewal: false,
        quiet: false,
        purpose: crate::options::Purpose::Switch,
        write: args.write,
        reason: args.reason.as_deref().map(crate::safety::check_reason).transpose()?,
    })
}

/// `--shell`, else the calling shell as far as it can be known ([`Shell::for_caller`]).
pub fn shell_or_detect(env: &Env, shell: Option<Shell>) -> Shell {
    shell.unwrap_or_else(|| Shell::for_caller(parent_program().as_deref(), env.get("SHELL")))
}

/// The program name of the parent process, where the OS tells it.
#[cfg(target_os = "linux")]
fn parent_program() -> Option<String> {
    // SAFETY: getppid has no preconditions and cannot fail.
    let ppid = unsafe { libc::getppid() };
    let comm = std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok()?;
    Some(comm.trim_end().to_string())
}

#[cfg(target_os = "macos")]
use self::macos_parent_program as parent_program;
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
use self::other_parent_program as parent_program;

/// The program name of the parent process, where the OS tells it. (Named for its system:
/// the mutation set leaves out what this machine cannot compile.)
#[cfg(target_os = "macos")]
fn macos_parent_program() -> Option<String> {
    // SAFETY: getppid has no preconditions; proc_pidpath writes at most the buffer's size.
    let ppid = unsafe { libc::getppid() };
    let mut buf = vec![0u8; libc::PROC_PIDPATHINFO_MAXSIZE as usize];
    let n = unsafe { libc::proc_pidpath(ppid, buf.as_mut_ptr().cast(), buf.len() as u32) };
    if n <= 0 {
        return None;
    }
    buf.truncate(n as usize);
    String::from_utf8(buf).ok()
}

/// The program name of the parent process, where the OS tells it.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn other_parent_program() -> Option<String> {
    None
}

/// What a switch to `profile` changes in the environment.
pub fn switch_exports(env: &Env, profile: &str, plan: &Plan, creds: &Credentials) -> Exports {
    Exports::for_switch(&Switch {
        profile,
        credentials: creds,
        role_arn: plan.hops.last().map(|h| h.role_arn.as_str()),
        region: plan.region.as_deref(),
        color: plan.color.as_deref(),
        previous: env.get("SWROLE_PROFILE"),
        // The bundle the profile named: the shell's tools need it too.
        ca_bundle: plan.profile_ca_bundle(),
        ca_bundle_from_swrole: crate::plan::ca_bundle_from_swrole(env),
        access: plan.access.map(|a| a.word()),
        guarded: plan.guard.as_ref().map(|_| creds.account_id.as_deref().unwrap_or("1")),
        idle: plan.guard.as_ref().and_then(|g| g.idle),
    })
}

/// swrole's record of one hand-out of `plan`'s credentials (the caller adds what only it
/// knows: the command, the caller), appended at once.
pub fn record(
    env: &Env,
    mode: &str,
    plan: &Plan,
    creds: &Credentials,
    add: impl FnOnce(&mut crate::record::Line),
) {
    let mut line = crate::record::Line::new(env, mode, &plan.profile);
    line.role = plan.hops.last().map(|h| h.role_arn.clone());
    line.account =
        creds.account_id.clone().or_else(|| plan.hops.last().and_then(|h| h.account()).map(str::to_string));
    line.expires = creds.expiration.map(crate::clock::rfc3339);
    line.access = plan.access.map(|a| a.word().to_string());
    line.reason = plan.reason.clone();
    add(&mut line);
    crate::record::append(env, &line);
}

/// The program that started this one (`aws`, `terraform`, `python3`), for the record.
pub fn caller() -> Option<String> {
    parent_program().map(|p| crate::text::sanitize(p.rsplit('/').next().unwrap_or(&p)))
}
