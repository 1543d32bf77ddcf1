//! `swrole credential-process PROFILE`: the JSON document an SDK reads from a
//! `credential_process`. Loops through credential_process lines are stopped by the core,
//! in every mode.

use anyhow::Result;

use crate::cli::SwitchArgs;
use crate::env::Env;
use crate::error::write_stdout;
use crate::options::Options;
use crate::shell;
use crate::switch::{self as core, Files};

pub fn run(env: &Env, profile: &str, args: &SwitchArgs) -> Result<()> {
    let files = Files::load(env)?;
    let opts = Options {
        for_credential_process: true,
        purpose: crate::options::Purpose::CredentialProcess,
        ..super::options(env, args)?
    };
    let (plan, creds) = core::credentials(&files, env, profile, &opts)?;
    super::record(env, "credential-process", &plan, &creds, |l| l.caller = super::caller());
    write_stdout(&shell::json::render(&creds))
}
