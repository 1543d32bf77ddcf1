//! One switch, end to end: files → chain → plan → MFA → STS → credentials. The terminal
//! and the network are reached from here only through `prompt` and `sts`.

use anyhow::{Context, Result, anyhow, bail};

use crate::chain::{self, Base, ChainError, CredentialSource};
use crate::cli::SwitchArgs;
use crate::config::{Paths, ProfileSet};
use crate::credentials::Credentials;
use crate::env::Env;
use crate::plan::{self, Overrides, Plan};
use crate::{prompt, sts};

/// Everything a command needs to know about the files.
pub struct Files {
    pub paths: Paths,
    pub set: ProfileSet,
}

impl Files {
    pub fn load(env: &Env) -> Result<Files> {
        let paths = Paths::from_env(env)?;
        let set = ProfileSet::load(&paths)?;
        Ok(Files { paths, set })
    }

    /// Resolve and validate `profile`, or say why not in terms of the files.
    pub fn plan(&self, env: &Env, profile: &str, args: &SwitchArgs) -> Result<Plan> {
        let chain = chain::resolve(&self.set, profile).map_err(|e| self.explain(e))?;
        let overrides = Overrides {
            duration_seconds: args.duration,
            region: args.region.clone(),
            session_name: args.session_name.clone(),
        };
        plan::plan(&self.set, &self.paths, env, profile, chain, &overrides)
    }

    fn explain(&self, err: ChainError) -> anyhow::Error {
        let ChainError::NotFound { name } = &err else { return anyhow!(err) };
        let mut text = format!(
            "profile {name:?} not found in {} or {}",
            self.paths.config.display(),
            self.paths.credentials.display()
        );
        let near = closest(name, self.set.profiles.keys().map(String::as_str));
        if !near.is_empty() {
            text.push_str(&format!("; did you mean {}?", near.join(", ")));
        }
        if let Some(why) = self
            .set
            .ignored
            .iter()
            .find(|i| i.contains(&format!("[{name}]")) || i.contains(&format!(" {name}]")))
        {
            text.push_str(&format!("\n  note: {why}"));
        } else if self.set.profiles.is_empty() {
            text.push_str(" (no profiles are defined)");
        }
        anyhow!(text)
    }
}

/// Up to three profile names close to `name`, closest first, quoted.
fn closest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(f64, &str)> = names
        .map(|n| {
            let score = strsim::normalized_damerau_levenshtein(&name.to_lowercase(), &n.to_lowercase());
            let contains = n.to_lowercase().contains(&name.to_lowercase())
                || name.to_lowercase().contains(&n.to_lowercase());
            (if contains { score.max(0.7) } else { score }, n)
        })
        .filter(|(score, _)| *score >= 0.5)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, n)| format!("{n:?}")).collect()
}

fn say(args: &SwitchArgs, text: impl FnOnce() -> String) {
    if args.verbose {
        eprintln!("swrole: {}", text());
    }
}

/// The credentials of `profile`: the base, then each AssumeRole in turn.
pub fn credentials(
    files: &Files,
    env: &Env,
    profile: &str,
    args: &SwitchArgs,
) -> Result<(Plan, Credentials)> {
    let plan = files.plan(env, profile, args)?;
    for w in &plan.warnings {
        eprintln!("swrole: warning: {w}");
    }
    // Everything that can fail without the network fails here, before any call.
    if let Some(code) = &args.token_code {
        prompt::check_token_code(code)?;
    }
    if plan.confirm && !args.yes {
        let tty = prompt::terminal(
            &format!("profile {profile:?} asks for confirmation (swrole_confirm = true)"),
            "pass --yes to switch without asking",
        )?;
        let target = match plan.hops.last() {
            Some(hop) => format!("{profile} (account {}, {})", hop.account().unwrap_or("?"), hop.role_arn),
            None => profile.to_string(),
        };
        if !prompt::confirm(&tty, &format!("switch to {target}?"))? {
            bail!("not switched to profile {profile:?}: not confirmed");
        }
    }
    let mfa_hops = plan.hops.iter().filter(|h| h.mfa_serial.is_some()).count();
    let prompts_needed = mfa_hops.saturating_sub(usize::from(args.token_code.is_some()));
    let tty = if prompts_needed > 0 {
        let hop = plan.hops.iter().rev().find(|h| h.mfa_serial.is_some()).expect("counted above");
        Some(prompt::terminal(
            &format!("profile {:?} needs an MFA code", hop.profile),
            "pass it with --token-code CODE",
        )?)
    } else {
        None
    };

    let settings = sts::Settings {
        region: plan.region.clone(),
        endpoint: plan.endpoint.clone(),
        connect_timeout: args.connect_timeout(),
        read_timeout: args.read_timeout(),
    };
    let needs_network = !plan.hops.is_empty()
        || !matches!(
            plan.base,
            Base::StaticKeys { .. } | Base::CredentialSource { source: CredentialSource::Environment, .. }
        );
    let runtime = if needs_network { Some(sts::runtime()?) } else { None };

    say(args, || format!("base credentials: {}", describe_base(&plan.base)));
    let mut creds = match &plan.base {
        Base::StaticKeys { profile } => static_keys(&files.set, profile),
        Base::CredentialSource { profile, source: CredentialSource::Environment } => {
            environment_keys(env, profile)?
        }
        other => runtime.as_ref().expect("network runtime").block_on(sts::provided_credentials(other))?,
    };
    let mut token_code = args.token_code.clone();
    for hop in &plan.hops {
        let code = match &hop.mfa_serial {
            None => None,
            Some(serial) => match token_code.take() {
                Some(code) => Some(code),
                None => {
                    Some(prompt::ask_token_code(tty.as_ref().expect("opened above"), &hop.profile, serial)?)
                }
            },
        };
        say(args, || {
            format!(
                "AssumeRole {} for profile {:?} (session {}, MFA {}, duration {})",
                hop.role_arn,
                hop.profile,
                hop.session_name,
                hop.mfa_serial.as_deref().unwrap_or("none"),
                hop.duration_seconds.map_or("default".to_string(), |d| format!("{d} s"))
            )
        });
        creds = runtime.as_ref().expect("network runtime").block_on(sts::assume_role(
            &settings,
            &creds,
            hop,
            code.as_deref(),
        ))?;
    }
    Ok((plan, creds))
}

fn describe_base(base: &Base) -> String {
    match base {
        Base::StaticKeys { profile } => format!("static keys of profile {profile:?}"),
        Base::CredentialSource { profile, source } => {
            format!("credential_source {} (profile {profile:?})", source.name())
        }
        Base::Delegated { profile, kind } => format!("{kind:?} of profile {profile:?} (through the AWS SDK)"),
    }
}

fn static_keys(set: &ProfileSet, profile: &str) -> Credentials {
    let section = set.profile(profile).expect("resolved profile exists");
    let text = |k| section.text(k).map(str::to_string);
    Credentials {
        access_key_id: text("aws_access_key_id").expect("checked by resolve"),
        secret_access_key: text("aws_secret_access_key").expect("checked by resolve"),
        session_token: text("aws_session_token"),
        expiration: None,
        arn: None,
        account_id: text("aws_account_id"),
    }
}

/// `credential_source = Environment`: the calling shell's keys (which may be those of an
/// earlier switch: then this is role chaining).
fn environment_keys(env: &Env, profile: &str) -> Result<Credentials> {
    match (env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => Ok(Credentials {
            access_key_id: id.to_string(),
            secret_access_key: secret.to_string(),
            session_token: env.get("AWS_SESSION_TOKEN").map(str::to_string),
            expiration: None,
            arn: None,
            account_id: None,
        }),
        _ => bail!(
            "profile {profile:?} has credential_source = Environment, but AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY are not both set"
        ),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let names = ["sw-staging", "sw-production", "default"];
        assert_eq!(closest("sw-stagin", names.into_iter()), vec!["\"sw-staging\""]);
        assert_eq!(closest("prod", names.into_iter()), vec!["\"sw-production\""]);
        assert!(closest("zzzzzz", names.into_iter()).is_empty());
    }
}
