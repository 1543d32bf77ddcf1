//! `swrole PROFILE`: print the switch for the shell to evaluate.

use std::io::IsTerminal;

use anyhow::{Result, bail};

use crate::cli::{OutputArgs, SwitchArgs};
use crate::env::Env;
use crate::error::write_stdout;
use crate::shell::{self, Syntax};
use crate::switch::{self as core, Files};

pub fn run(env: &Env, profile: &str, args: &SwitchArgs, output: &OutputArgs) -> Result<()> {
    let shell = super::shell_or_detect(env, output.shell);
    if !output.print && std::io::stdout().is_terminal() {
        // The user forgot `eval`: secrets would only land in the scrollback.
        let hint = match env.get("SWROLE_CMD") {
            Some(cmd) => format!("{cmd} {}", shell.syntax().unwrap_or(Syntax::Posix).quote(profile)),
            None => shell.syntax().unwrap_or(Syntax::Posix).eval_hint(&[profile]),
        };
        bail!(
            "this prints credentials for your shell to apply, so nothing was done. Run:\n  {hint}\n(or pass --print to print them here)"
        );
    }
    let files = Files::load(env)?;
    let (plan, creds) = core::credentials(&files, env, profile, &super::options(env, args)?)?;
    let text = match shell.syntax() {
        None => shell::json::render(&creds),
        Some(syntax) => syntax.render(&super::switch_exports(env, profile, &plan, &creds)),
    };
    write_stdout(&text)
}
