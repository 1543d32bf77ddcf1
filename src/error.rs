//! How a command ends: an exit status with its message, and stdout written once.

use anyhow::{Context, Result};

/// An error that carries its own process exit status (1 for all others).
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    /// An exit status without a message (the command already said what it had to).
    pub fn silent(code: u8) -> anyhow::Error {
        anyhow::Error::new(Failure { code, message: String::new() })
    }
}

/// The exit status an error asks for: a [`Failure`]'s own, else 1.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    err.chain().find_map(|e| e.downcast_ref::<Failure>()).map_or(1, |f| f.code)
}

/// Write `text` to stdout in one go. A closed pipe is not an error.
pub fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("could not write to stdout"),
    }
}
