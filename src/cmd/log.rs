//! `swrole log`: swrole's record, filtered. `swrole guard LINE`: the shell integration's
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
) -> Result<()> {
    let from = since_text.map(|t| since(t, crate::clock::now())).transpose()?;
    let lines: Vec<Line> = record::read(env)?
        .into_iter()
        .filter(|l| profile.is_none_or(|p| l.profile == p))
        .filter(|l| !write || l.access.as_deref() == Some("rw"))
        .filter(|l| from.is_none_or(|f| crate::clock::parse_rfc3339(&l.time).is_some_and(|t| t >= f)))
        .collect();
    let mut out = String::new();
    for l in &lines {
        if json {
            out.push_str(&serde_json::to_string(l)?);
        } else {
            let what = match (&l.command, &l.caller) {
                (Some(c), _) => c.join(" "),
                (None, Some(c)) => format!("by {c}"),
                _ => String::new(),
            };
            let fields = [
                l.time.clone(),
                l.profile.clone(),
                l.account.clone().unwrap_or_else(|| "-".into()),
                l.access.clone().unwrap_or_else(|| "-".into()),
                l.mode.clone(),
                l.user.clone(),
                l.terminal.clone(),
                l.reason.as_ref().map(|r| format!("reason: {r}")).unwrap_or_default(),
                what,
            ];
            out.push_str(printable(fields.join("  ").trim_end()).as_str());
        }
        out.push('\n');
    }
    write_stdout(&out)
}

/// Whether `line` may run in the active profile: at once when it matches none of the
/// profile's guard patterns (or the profile has no guard), else after a `y` to
/// `run in SW-PRODUCTION (111111111111)?`, asked here, on the terminal, one key. Exit 0: run;
/// 1: the answer was no (the integration leaves the line in the editor); 2: the guard could
/// not check (it says why, and the line runs: a broken config must not lock the shell).
pub fn guard(env: &Env, line: &str) -> Result<()> {
    match may_run(env, line) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Failure::silent(1)),
        Err(e) => Err(anyhow::Error::new(Failure {
            code: 2,
            message: format!("the command guard could not check this line ({e:#}): it runs"),
        })),
    }
}

fn may_run(env: &Env, line: &str) -> Result<bool> {
    let Some(profile) = env.get("SWROLE_PROFILE") else { return Ok(true) };
    let files = crate::switch::Files::load(env)?;
    let plan = files.plan(env, profile, &crate::options::Options::default())?;
    let Some(guard) = &plan.guard else { return Ok(true) };
    let Some(pattern) = crate::safety::matching_pattern(&guard.commands, line) else { return Ok(true) };
    let account = env.get("AWS_ACCOUNT_ID").or(plan.hops.last().and_then(|h| h.account())).unwrap_or("?");
    let t = crate::tty::terminal("the command guard asks on the terminal", "")?;
    crate::tty::confirm_key(&t, &format!("run in {} ({account})? ({pattern})", profile.to_uppercase()))
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
}
