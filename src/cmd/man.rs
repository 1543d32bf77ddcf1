//! `swrole man` and `swrole completions SHELL`: files made from the clap definitions, so
//! they always match the binary.

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::write_stdout;

/// The man page, section 1: synopsis, options, subcommands, environment (the help's
/// closing text) and version.
pub fn man() -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out).context("could not render the man page")?;
    write_stdout(&String::from_utf8(out).context("the man page is not UTF-8")?)
}

/// Completion for the `swrole` command in `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "swrole", &mut out);
    write_stdout(&String::from_utf8(out).context("the completion script is not UTF-8")?)
}
