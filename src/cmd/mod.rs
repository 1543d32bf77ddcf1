//! One file per command: each turns its clap arguments into the core's options, calls the
//! core, and writes stdout once. Nothing below this layer sees `cli`.

pub mod cache;
pub mod credential_process;
pub mod doctor;
pub mod exec;
pub mod explain;
pub mod init;
pub mod list;
pub mod switch;
pub mod unset;

use crate::cli::SwitchArgs;
use crate::credentials::Credentials;
use crate::env::Env;
use crate::exports::{Exports, Switch};
use crate::plan::Plan;
use crate::shell::Shell;
use crate::switch::Options;

/// The core's options from the command line.
pub fn options(args: &SwitchArgs) -> Options {
    Options {
        token_code: args.token_code.clone(),
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
    }
}

/// `--shell`, else the calling shell as far as it can be known.
pub fn shell_or_detect(env: &Env, shell: Option<Shell>) -> Shell {
    shell.unwrap_or_else(|| Shell::detect(env.get("SHELL")))
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
    })
}
