//! `swrole doctor [--json]`: exit status 1 when anything was found.

use anyhow::Result;

use crate::doctor as core;
use crate::env::Env;
use crate::error::{Failure, write_stdout};
use crate::text::printable;

pub fn run(env: &Env, json: bool) -> Result<()> {
    let findings = core::check(env);
    let text = if json { core::render_json(&findings) } else { core::render_text(&findings) };
    write_stdout(&printable(&text))?;
    if findings.is_empty() { Ok(()) } else { Err(Failure::silent(1)) }
}
