//! `swrole exec PROFILE -- CMD...`: replace this process with CMD, so its exit status and
//! signals are the command's own.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;

use anyhow::Result;

use crate::cli::SwitchArgs;
use crate::env::Env;
use crate::error::Failure;
use crate::switch::{self as core, Files};

pub fn run(env: &Env, profile: &str, args: &SwitchArgs, command: Vec<OsString>) -> Result<()> {
    let files = Files::load(env)?;
    let (plan, creds) = core::credentials(&files, env, profile, &super::options(env, args)?)?;
    let exports = super::switch_exports(env, profile, &plan, &creds);
    let (program, rest) = command.split_first().expect("clap requires a command");
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest);
    exports.apply(&mut cmd);
    let err = cmd.exec();
    let code = if err.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 };
    Err(anyhow::Error::new(Failure {
        code,
        message: format!("could not run {}: {err}", program.to_string_lossy()),
    }))
}
