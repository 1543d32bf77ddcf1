//! `swrole unset`: the lines that remove every variable a switch sets.

use anyhow::{Result, bail};

use crate::env::Env;
use crate::error::write_stdout;
use crate::exports::Exports;
use crate::shell::Shell;

pub fn run(env: &Env, shell: Option<Shell>) -> Result<()> {
    let Some(syntax) = super::shell_or_detect(env, shell).syntax() else {
        bail!("--shell json prints credentials; there is nothing to unset in JSON");
    };
    write_stdout(
        &syntax
            .render(&Exports::for_unset(env.get("SWROLE_PROFILE"), crate::plan::ca_bundle_from_swrole(env))),
    )
}
