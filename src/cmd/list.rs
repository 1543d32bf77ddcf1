//! `swrole list`: profile names, one a line (for people and completion scripts).

use anyhow::Result;

use crate::env::Env;
use crate::error::write_stdout;
use crate::plan;
use crate::switch::Files;

pub fn run(env: &Env, long: bool) -> Result<()> {
    let files = Files::load(env)?;
    let mut out = String::new();
    if !long {
        for name in files.set.profiles.keys() {
            out.push_str(name);
            out.push('\n');
        }
        return write_stdout(&out);
    }
    let rows: Vec<[String; 5]> = files
        .set
        .profiles
        .iter()
        .map(|(name, section)| {
            let role = section.text("role_arn").unwrap_or("-");
            let account = plan::account_of(role).unwrap_or("-");
            let mfa = if section.get("mfa_serial").is_some() { "yes" } else { "no" };
            let region = section.text("region").unwrap_or("-");
            [name.clone(), role.to_string(), account.to_string(), mfa.to_string(), region.to_string()]
        })
        .collect();
    let header = ["PROFILE", "ROLE", "ACCOUNT", "MFA", "REGION"].map(str::to_string);
    let widths: Vec<usize> = (0..5)
        .map(|i| std::iter::once(&header).chain(&rows).map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    // Text from the files, shown to a person: escapes made visible.
    write_stdout(&crate::text::printable(&out))
}
