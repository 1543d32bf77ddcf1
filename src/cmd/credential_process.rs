//! `swrole credential-process PROFILE`: the JSON document an SDK reads from a
//! `credential_process`. A profile whose credential_process calls swrole for itself (or a
//! loop through several) is stopped with the loop shown.

use anyhow::{Result, bail};

use crate::cli::SwitchArgs;
use crate::env::Env;
use crate::error::write_stdout;
use crate::shell;
use crate::switch::{self as core, Files};

/// The variable that carries the profiles of nested `credential-process` calls, like the
/// AWS CLI's `_AWS_CLI_PROFILE_CHAIN`.
const PROCESS_CHAIN: &str = "SWROLE_CREDENTIAL_PROCESS_CHAIN";
const PROCESS_DEPTH: usize = 4;

pub fn run(env: &Env, profile: &str, args: &SwitchArgs) -> Result<()> {
    let mut chain: Vec<String> =
        env.get(PROCESS_CHAIN).map(|c| c.split(',').map(str::to_string).collect()).unwrap_or_default();
    if chain.iter().any(|p| p == profile) || chain.len() >= PROCESS_DEPTH {
        chain.push(profile.to_string());
        bail!(
            "credential_process calls swrole in a loop: {} (check the credential_process lines)",
            chain.join(" -> ")
        );
    }
    chain.push(profile.to_string());
    // SAFETY: nothing else runs yet (no runtime, no threads): this process is single-
    // threaded here, and the variable must reach the credential_process children that the
    // AWS SDK starts.
    unsafe { std::env::set_var(PROCESS_CHAIN, chain.join(",")) };
    let files = Files::load(env)?;
    let (_, creds) = core::credentials(&files, env, profile, &super::options(args))?;
    write_stdout(&shell::json::render(&creds))
}
