//! `swrole log`: swrole's record, filtered. `swrole guard` (the line on stdin): the shell integration's
//! question before a command that matches the active profile's guard.

use anyhow::Result;

use crate::env::Env;
use crate::error::{Failure, write_stdout};
use crate::record::{self, Line};
use crate::text::printable;

/// `--since`: `7d`, `24h`, `90m` back from now, or a day (`2026-12-01`) or RFC 3339 time.
fn since(text: &str, now: i64) -> Result<i64> {
    if let Ok(d) = humantime::parse_duration(text) {
        return Ok(now - d.as_secs() as i64);
    }
    let full = if text.len() == 10 { format!("{text}T00:00:00Z") } else { text.to_string() };
    crate::clock::parse_rfc3339(&full).ok_or_else(|| {
        anyhow::anyhow!(
            "--since {:?}: a duration back from now (7d, 24h) or a date (2026-12-01)",
            printable(text)
        )
    })
}

pub fn run(
    env: &Env,
    profile: Option<&str>,
    since_text: Option<&str>,
    write: bool,
    json: bool,
    utc: bool,
) -> Result<()> {
    let from = since_text.map(|t| since(t, crate::clock::now())).transpose()?;
    let lines: Vec<Line> = record::read(env)?
        .into_iter()
        .filter(|l| profile.is_none_or(|p| l.profile == p))
        .filter(|l| !write || l.access.as_deref() == Some("rw"))
        .filter(|l| from.is_none_or(|f| crate::clock::parse_rfc3339(&l.time).is_some_and(|t| t >= f)))
        .collect();
    if json {
        let mut out = String::new();
        for l in &lines {
            out.push_str(&serde_json::to_string(l)?);
            out.push('\n');
        }
        return write_stdout(&out);
    }
    if lines.is_empty() {
        return write_stdout("");
    }
    let rows: Vec<[String; 8]> = lines.iter().map(|l| row(l, utc)).collect();
    write_stdout(&table(&rows))
}

/// The columns of the text view, the last one not padded.
const HEADER: [&str; 8] =
    ["WHEN", "PROFILE", "ACCOUNT", "ACCESS", "MODE", "USER", "TERMINAL", "WHY / WHAT RAN"];

/// One line of the record as the table shows it: when (local time, or UTC with `--utc`),
/// profile, account, access, mode, user, terminal, then the reason and what ran.
fn row(l: &Line, utc: bool) -> [String; 8] {
    let when = match crate::clock::parse_rfc3339(&l.time) {
        Some(t) if !utc => crate::clock::local(t),
        _ => l.time.clone(),
    };
    let what = match (&l.command, &l.caller) {
        (Some(c), _) => c.join(" "),
        (None, Some(c)) => format!("by {c}"),
        _ => String::new(),
    };
    let why = l.reason.as_ref().map(|r| format!("reason: {r}"));
    let last = [why.unwrap_or_default(), what].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>();
    [
        when,
        l.profile.clone(),
        l.account.clone().unwrap_or_else(|| "-".into()),
        l.access.clone().unwrap_or_else(|| "-".into()),
        l.mode.clone(),
        l.user.clone(),
        l.terminal.clone(),
        last.join("  "),
    ]
    .map(|f| printable(&f).to_string())
}

/// A header and the rows, each column as wide as its widest cell.
fn table(rows: &[[String; 8]]) -> String {
    let mut widths = HEADER.map(|h| h.chars().count());
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for cells in std::iter::once(HEADER.map(String::from)).chain(rows.iter().cloned()) {
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 < cells.len() {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Whether the line on stdin may run in the active profile: at once when it matches none of
/// the profile's guard patterns (or the profile has no guard), else after a `y` to
/// `run in SW-PRODUCTION (111111111111)?`, asked here, on the terminal, one key. Exit 0: run;
/// 1: the answer was no (the integration leaves the line in the editor); 2: the guard could
/// not check (it says why, and the line runs: a broken config must not lock the shell).
/// With `check`, nothing is asked and 3 says a question is needed: the shell makes room on
/// the screen for it only then (every other line is drawn once).
/// Stdin holds the line, then (after a NUL) the shell's aliases: a typed line is never on
/// argv, where any local user can read it for as long as the question waits.
pub fn guard(env: &Env, check: bool) -> Result<()> {
    let asked = read_line_and_aliases(std::io::stdin().lock())
        .and_then(|(line, aliases)| question(env, &line, &crate::safety::aliases(&aliases)));
    let checked = match asked {
        Ok(None) => Ok(true),
        Ok(Some(_)) if check => return Err(Failure::silent(3)),
        Ok(Some(q)) => crate::tty::terminal("the command guard asks on the terminal", "")
            .and_then(|t| crate::tty::confirm_key(&t, &q)),
        Err(e) => Err(e),
    };
    match checked {
        Ok(true) => Ok(()),
        Ok(false) => Err(Failure::silent(1)),
        Err(e) => Err(anyhow::Error::new(Failure {
            code: 2,
            message: format!("the command guard could not check this line ({e:#}): it runs"),
        })),
    }
}

/// At most this much of stdin is read: a line and the alias list of a shell.
const MOST: u64 = 4 << 20;

fn read_line_and_aliases(input: impl std::io::Read) -> Result<(String, String)> {
    use std::io::Read;
    let mut bytes = Vec::new();
    input.take(MOST + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MOST {
        anyhow::bail!("more than {} MiB on stdin", MOST >> 20);
    }
    let text = String::from_utf8_lossy(&bytes);
    let (line, aliases) = text.split_once('\0').unwrap_or((&text, ""));
    Ok((line.to_string(), aliases.to_string()))
}

/// The question a line needs before it runs in the active profile, if any.
fn question(env: &Env, line: &str, aliases: &[(String, String)]) -> Result<Option<String>> {
    let Some(profile) = env.get("SWROLE_PROFILE") else { return Ok(None) };
    let files = crate::switch::Files::load(env)?;
    let plan = files.plan(env, profile, &crate::options::Options::default())?;
    let Some(guard) = &plan.guard else { return Ok(None) };
    let Some(pattern) = crate::safety::matching_pattern_with(&guard.commands, line, aliases) else {
        return Ok(None);
    };
    let account = env.get("AWS_ACCOUNT_ID").or(plan.hops.last().and_then(|h| h.account())).unwrap_or("?");
    Ok(Some(format!("run in {} ({account})? ({pattern})", profile.to_uppercase())))
}

#[cfg(test)]
mod tests {
    #[test]
    fn since_forms() {
        let now = 1_800_000_000;
        assert_eq!(super::since("24h", now).unwrap(), now - 86_400);
        assert_eq!(super::since("2026-12-01", now).unwrap(), 1_796_083_200);
        assert!(super::since("yesterday", now).is_err());
    }

    #[test]
    fn the_line_and_the_aliases_from_stdin() {
        let (line, aliases) = super::read_line_and_aliases(&b"tf apply\0alias tf='terraform'\n"[..]).unwrap();
        assert_eq!((line.as_str(), aliases.as_str()), ("tf apply", "alias tf='terraform'\n"));
        let (line, aliases) = super::read_line_and_aliases(&b"a\nb"[..]).unwrap();
        assert_eq!((line.as_str(), aliases.as_str()), ("a\nb", ""));
        let big = vec![b'x'; (super::MOST + 1) as usize];
        assert!(super::read_line_and_aliases(&big[..]).unwrap_err().to_string().contains("4 MiB"));
        assert!(super::read_line_and_aliases(&big[..super::MOST as usize]).is_ok());
    }
}
