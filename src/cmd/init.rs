//! `swrole init SHELL [--cmd NAME]`: print the shell integration.

use anyhow::Result;

use crate::error::write_stdout;
use crate::shell::{Shell, integration};

pub fn run(shell: Shell, cmd: &str) -> Result<()> {
    write_stdout(&integration::script(shell, cmd)?)
}
