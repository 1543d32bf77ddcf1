//! `swrole list`: profile names, one a line (for people and completion scripts); `--long`
//! adds what a switch would use: role, account, MFA, and the region with where it comes
//! from.

use anyhow::Result;

use crate::env::Env;
use crate::error::write_stdout;
use crate::options::Options;
use crate::switch::Files;
use crate::text::printable;

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
    let opts = Options::default();
    let rows: Vec<[String; 5]> = files
        .set
        .profiles
        .iter()
        .map(|(name, section)| {
            let role = section.text("role_arn").unwrap_or("-");
            let mut account = crate::plan::account_of(role).unwrap_or("-").to_string();
            let mut role_name = role.split_once(":role/").map_or(role, |(_, n)| n).to_string();
            // IAM Identity Center: the account and role, and the token's time left.
            if role == "-"
                && let Some((acct, sso_role)) = crate::sso::role_of(section)
            {
                account = acct;
                let session = crate::sso::Session::of_profile(&files.set, name).ok().flatten();
                let left = session
                    .and_then(|s| Some(crate::sso::token_file(&crate::sso::cache_dir(env)?, &s)))
                    .and_then(|p| crate::oidc::read_token(&p).ok().flatten())
                    .map_or("not signed in".to_string(), |(_, t)| {
                        format!("token {}", crate::clock::left(t.left(crate::clock::now())))
                    });
                role_name = format!("sso {sso_role} ({left})");
            }
            // A login session: who, and the time left on its credentials and its sign-in.
            if role == "-"
                && let Some(session) = section.text("login_session")
            {
                account = crate::login::account_of_arn(session).unwrap_or("-").to_string();
                let who = session.splitn(6, ':').nth(5).unwrap_or(session);
                role_name = match crate::signin::status(env, session) {
                    Ok(Some(s)) => {
                        let now = crate::clock::now();
                        let sign_in = s.signed_in_at.map_or(String::new(), |t| {
                            format!(", sign-in {}", crate::clock::left(t + crate::signin::SESSION_LIFE - now))
                        });
                        format!("login {who} ({}{sign_in})", crate::clock::left(s.left))
                    }
                    Ok(None) => format!("login {who} (not signed in)"),
                    Err(_) => format!("login {who} (token unreadable)"),
                };
            }
            let mfa = if section.get("mfa_serial").is_some() { "yes" } else { "no" };
            // The region a switch would use, and where it comes from.
            let region = match files.plan(env, name, &opts) {
                Ok(plan) => match (&plan.region, &plan.region_from) {
                    (Some(r), Some(from)) => {
                        let from = from.split(',').next().unwrap_or(from).trim_start_matches("profile ");
                        if from.trim_matches('"') == name {
                            r.clone()
                        } else {
                            format!("{r} ({})", from.trim_matches('"'))
                        }
                    }
                    _ => "-".to_string(),
                },
                Err(_) => section.text("region").unwrap_or("-").to_string(),
            };
            [name.clone(), account.to_string(), role_name.to_string(), mfa.to_string(), region]
                .map(|c| printable(&c))
        })
        .collect();
    let header = ["PROFILE", "ACCOUNT", "ROLE", "MFA", "REGION"].map(str::to_string);
    let widths: Vec<usize> = (0..5)
        .map(|i| std::iter::once(&header).chain(&rows).map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let total = widths.iter().sum::<usize>() + 2 * 4;
    match crate::text::width(env.get("COLUMNS")) {
        // Too wide for the terminal: one block per profile, nothing cut.
        Some(w) if total > w => {
            for r in &rows {
                out.push_str(&format!("{}\n", r[0]));
                for (label, cell) in [("account", &r[1]), ("role", &r[2]), ("mfa", &r[3]), ("region", &r[4])]
                {
                    out.push_str(&crate::text::wrap(&format!("  {label:<8}{cell}\n"), w, 8));
                }
            }
        }
        _ => {
            for row in std::iter::once(&header).chain(&rows) {
                let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
                out.push_str(cells.join("  ").trim_end());
                out.push('\n');
            }
        }
    }
    write_stdout(&out)
}
