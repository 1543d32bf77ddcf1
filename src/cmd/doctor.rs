//! `swrole doctor [--json]`: exit status 1 when anything was found.

use anyhow::Result;

use crate::doctor as core;
use crate::env::Env;
use crate::error::{Failure, write_stdout};
use crate::text::printable;

pub fn run(env: &Env, json: bool) -> Result<()> {
    let findings = core::check(env);
    let text = if json {
        printable(&core::render_json(&findings))
    } else {
        let text = printable(&core::render_text(&findings, env));
        match crate::text::width(env.get("COLUMNS")) {
            Some(w) => crate::text::wrap(&text, w, 2),
            None => text,
        }
    };
    write_stdout(&text)?;
    if findings.is_empty() { Ok(()) } else { Err(Failure::silent(1)) }
}
