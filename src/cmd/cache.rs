//! `swrole cache list|clear [PROFILE]`: what is cached (never secrets), or remove it.

use anyhow::{Result, bail};

use std::collections::BTreeMap;

use crate::cache::{Cache, Kind};
use crate::cli::CacheAction;
use crate::clock;
use crate::env::Env;
use crate::error::write_stdout;

/// The `aws login` sessions the profiles name, as rows of `cache list`: they live in the
/// login cache (shared with the AWS CLI v2 and the SDKs), not in swrole's.
fn login_rows(env: &Env, now: i64) -> Vec<[String; 5]> {
    let Ok(files) = crate::switch::Files::load(env) else { return Vec::new() };
    let mut rows = Vec::new();
    for (name, section) in &files.set.profiles {
        let Some(session) = section.text("login_session") else { continue };
        let Ok(Some(s)) = crate::signin::status(env, session) else { continue };
        let expiration = now + s.left;
        let sign_in = s.signed_in_at.map_or(String::new(), |t| {
            format!(", sign-in {} left", clock::left(t + crate::signin::SESSION_LIFE - now))
        });
        rows.push([
            crate::text::printable(name),
            "login".to_string(),
            clock::rfc3339(expiration),
            clock::left(s.left),
            crate::text::printable(&format!("{session}{sign_in}")),
        ]);
    }
    // IAM Identity Center tokens, once per session (the profiles that use it named).
    let mut sessions: Vec<(crate::sso::Session, Vec<String>)> = Vec::new();
    for name in files.set.profiles.keys() {
        let Ok(Some(s)) = crate::sso::Session::of_profile(&files.set, name) else { continue };
        match sessions.iter_mut().find(|(x, _)| *x == s) {
            Some((_, users)) => users.push(name.clone()),
            None => sessions.push((s, vec![name.clone()])),
        }
    }
    for (s, users) in sessions {
        let Some(dir) = crate::sso::cache_dir(env) else { break };
        let Ok(Some((_, t))) = crate::oidc::read_token(&crate::sso::token_file(&dir, &s)) else { continue };
        let refresh = if t.refreshable(now).is_some() { "refreshable" } else { "not refreshable" };
        rows.push([
            crate::text::printable(&users.join(" ")),
            "sso".to_string(),
            clock::rfc3339(t.expires_at),
            clock::left(t.left(now)),
            crate::text::printable(&format!("{} ({}), {refresh}", s.label(), s.start_url)),
        ]);
    }
    rows
}

pub fn run(env: &Env, action: CacheAction) -> Result<()> {
    let Some(cache) = Cache::locate(env, 0) else {
        bail!("neither XDG_CACHE_HOME nor HOME is set: there is no cache")
    };
    let entries = cache.entries()?;
    match action {
        CacheAction::List => {
            let now = clock::now();
            let covers = mfa_coverage(env);
            // The margin a switch renews at: an entry inside it is renewed by the next switch.
            let margin = i64::from(
                env.get("SWROLE_REFRESH_MARGIN")
                    .and_then(|m| crate::cli::parse_margin(m).ok())
                    .unwrap_or(600),
            );
            let mut rows: Vec<[String; 5]> = entries
                .iter()
                .map(|(_, e)| {
                    let detail = match e.kind {
                        Kind::MfaSession => {
                            let serial = e.serial.as_deref().unwrap_or("?");
                            let device = serial.rsplit('/').next().unwrap_or(serial);
                            let profiles = covers.get(serial).map(|p| p.join(" ")).unwrap_or_default();
                            let mut d = format!("device {device}");
                            if !profiles.is_empty() {
                                d.push_str(&format!(", covers {profiles}"));
                            }
                            d
                        }
                        Kind::Role => {
                            let mut d = Vec::new();
                            if let Some(n) = &e.session_name {
                                d.push(format!("session {n}"));
                            }
                            if let Some(s) = e.duration {
                                d.push(format!("{s} s"));
                            }
                            d.join(", ")
                        }
                    };
                    let detail = match &e.endpoint {
                        Some(url) if detail.is_empty() => format!("endpoint {url}"),
                        Some(url) => format!("{detail}, endpoint {url}"),
                        None => detail,
                    };
                    let left = left_text(e.expiration - now, margin, e.duration);
                    [
                        crate::text::printable(&e.profile),
                        e.kind.name().to_string(),
                        clock::rfc3339(e.expiration),
                        left,
                        crate::text::printable(&detail),
                    ]
                })
                .collect();
            rows.extend(login_rows(env, now));
            use std::io::IsTerminal;
            let terminal = std::io::stdout().is_terminal();
            let width = terminal.then(|| crate::text::width(env.get("COLUMNS")).unwrap_or(80));
            write_stdout(&table(&rows, width))
        }
        CacheAction::Clear { profile } => {
            if let Some(p) = &profile {
                super::check_profile_name(p)?;
            }
            let mut removed = 0;
            for (name, e) in &entries {
                if profile.as_deref().is_none_or(|p| p == e.profile) {
                    cache.remove(name)?;
                    removed += 1;
                }
            }
            eprintln!(
                "swrole: removed {removed} cache entr{} from {}",
                if removed == 1 { "y" } else { "ies" },
                cache.describe()
            );
            if let (0, Some(p)) = (removed, profile.as_deref()) {
                let mut names: Vec<String> = entries.iter().map(|(_, e)| e.profile.clone()).collect();
                if let Ok(files) = crate::switch::Files::load(env) {
                    names.extend(files.set.profiles.keys().cloned());
                }
                names.sort();
                names.dedup();
                let near = crate::switch::closest(p, names.iter().map(String::as_str));
                if !near.is_empty() {
                    eprintln!("swrole: nothing cached for {p:?}; did you mean {}?", near.join(", "));
                }
            }
            Ok(())
        }
    }
}

/// Time left on an entry, marked `(renews)` when it is inside the margin a switch renews at
/// (for role credentials the margin a switch uses for their length, as `explain` says).
fn left_text(left: i64, margin: i64, life: Option<u32>) -> String {
    let margin = match life {
        Some(life) => {
            i64::from(crate::switch::effective_margin(margin.clamp(0, i64::from(u32::MAX)) as u32, life))
        }
        None => margin,
    };
    if left > 0 && left <= margin { format!("{} (renews)", clock::left(left)) } else { clock::left(left) }
}

/// On a terminal (`width`), aligned columns under a header that fit it: one profile a row
/// (an IAM Identity Center token serves several), the expiry in local time to the minute,
/// what it is cut to the width left. Else tab-separated, one entry a line, for scripts.
fn table(rows: &[[String; 5]], width: Option<usize>) -> String {
    let mut out = String::new();
    let Some(width) = width else {
        for r in rows {
            out.push_str(&r.join("\t"));
            out.push('\n');
        }
        return out;
    };
    let mut shown: Vec<[String; 5]> = Vec::new();
    for r in rows {
        let expires = clock::parse_rfc3339(&r[2]).map_or(r[2].clone(), |t| clock::local(t)[..16].to_string());
        for profile in r[0].split(' ') {
            shown.push([profile.to_string(), r[1].clone(), expires.clone(), r[3].clone(), r[4].clone()]);
        }
    }
    let header = ["PROFILE", "KIND", "EXPIRES", "LEFT", "WHAT"].map(str::to_string);
    let widths: Vec<usize> = (0..4)
        .map(|i| std::iter::once(&header).chain(&shown).map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let room = width.saturating_sub(widths.iter().map(|w| w + 2).sum::<usize>() + 1).max(10);
    for r in std::iter::once(&header).chain(&shown) {
        let mut cells: Vec<String> = r[..4].iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        let what: String = if r[4].chars().count() > room {
            r[4].chars().take(room - 1).chain(['…']).collect()
        } else {
            r[4].clone()
        };
        cells.push(what);
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// For each MFA device, the profiles whose first role an MFA session of it serves.
fn mfa_coverage(env: &Env) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Ok(files) = crate::switch::Files::load(env) else { return map };
    let opts = crate::options::Options::default();
    for name in files.set.profiles.keys() {
        if let Ok(plan) = files.plan(env, name, &opts)
            && let Some(m) = plan.hops.first().and_then(|h| h.mfa.as_ref())
            && m.route == crate::plan::MfaRoute::Session
        {
            map.entry(m.serial.clone()).or_default().push(name.clone());
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminal_table_fits_and_gives_each_profile_a_row() {
        let row = |p: &str, what: &str| {
            [p.to_string(), "sso".into(), "2026-11-28T13:56:45Z".into(), "7h59m".into(), what.to_string()]
        };
        let rows = [
            row("production-readonly sandbox-team-a-poweruser staging-administratoraccess", &"w".repeat(200)),
            row("default", "device ann"),
        ];
        let scripts = table(&rows, None);
        assert_eq!(scripts.lines().count(), 2, "{scripts}");
        assert!(
            scripts.starts_with(
                "production-readonly sandbox-team-a-poweruser staging-administratoraccess\tsso\t"
            )
        );
        let shown = table(&rows, Some(80));
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 5, "a header and one row a profile: {shown}");
        assert!(lines[0].starts_with("PROFILE ") && lines[1].starts_with("production-readonly "), "{shown}");
        assert!(lines.iter().all(|l| l.chars().count() <= 80), "{shown}");
        assert!(lines[1].ends_with('…') && lines[4].ends_with("device ann"), "{shown}");
        assert_eq!(lines[4].find("device"), lines[0].find("WHAT"), "aligned: {shown}");
    }

    #[test]
    fn entries_inside_the_margin_say_a_switch_renews_them() {
        assert_eq!(left_text(3000, 600, Some(3600)), "50m");
        assert_eq!(left_text(600, 600, Some(3600)), "10m (renews)", "at the margin");
        assert_eq!(left_text(601, 600, Some(3600)), "10m");
        assert_eq!(left_text(1700, 4000, Some(3600)), "28m (renews)", "a margin past the life is half of it");
        assert_eq!(left_text(1900, 4000, Some(3600)), "32m");
        assert_eq!(left_text(300, 600, None), "5m (renews)");
        assert!(!left_text(-5, 600, None).contains("renews"));
        assert_eq!(left_text(0, 600, None), crate::clock::left(0), "ended: nothing to renew");
    }
}
