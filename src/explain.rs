//! `swrole explain PROFILE`: the resolved chain hop by hop, where every value came from,
//! what a switch will need (an MFA code or not) and what it will set, without a network
//! call. Pure apart from the cache lookups done by the caller.

use std::fmt::Write;

use crate::chain::{Base, CredentialSource, DelegatedKind};
use crate::config::{Paths, ProfileSet};
use crate::credentials::Credentials;
use crate::exports::{Exports, Op, Switch};
use crate::plan::{CHAINED_MAX_DURATION, Plan, at};

/// What the cache holds for this profile, looked up by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheState {
    Off,
    /// Seconds left on the cached entry, if there is one.
    Role(Option<i64>),
}

/// Whether the first MFA hop is covered by a cached MFA session (seconds left), for the
/// hop that would use one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MfaSessionState {
    pub usable: bool,
    pub left: Option<i64>,
}

fn left(secs: i64) -> String {
    if secs >= 3600 {
        format!("{}h{:02}m left", secs / 3600, secs % 3600 / 60)
    } else {
        format!("{}m left", secs / 60)
    }
}

/// The access key id shortened: enough to recognise it, not to copy it around.
fn short_key(id: &str) -> String {
    if id.len() > 8 { format!("{}…{}", &id[..4], &id[id.len() - 4..]) } else { id.to_string() }
}

#[allow(clippy::too_many_arguments)]
pub fn render(
    set: &ProfileSet,
    paths: &Paths,
    plan: &Plan,
    cache: &CacheState,
    mfa_session: &MfaSessionState,
    default_session_name: &str,
    previous: Option<&str>,
) -> String {
    let mut o = String::new();
    let field = |o: &mut String, name: &str, text: &str| {
        writeln!(o, "{name:<10} {text}").expect("write to String");
    };
    let more = |o: &mut String, text: &str| {
        writeln!(o, "{:<10} {text}", "").expect("write to String");
    };
    let roles = plan.hops.len();
    writeln!(
        o,
        "{}: {} role{}, from {}\n",
        plan.profile,
        roles,
        if roles == 1 { "" } else { "s" },
        base_words(&plan.base)
    )
    .expect("write to String");

    // The base.
    field(&mut o, "base", &base_words(&plan.base));
    let base_section = set.profile(plan.base.profile());
    match &plan.base {
        Base::StaticKeys { profile } => {
            if let Some(id) = base_section.and_then(|s| s.get("aws_access_key_id")) {
                more(&mut o, &format!("aws_access_key_id {}, {}", short_key(&id.text), at(paths, id)));
            }
            if base_section.and_then(|s| s.get("aws_session_token")).is_some() {
                more(
                    &mut o,
                    &format!("with aws_session_token: profile {profile:?} holds temporary credentials"),
                );
            }
        }
        Base::CredentialSource { source: CredentialSource::Environment, .. } => {
            more(
                &mut o,
                "the calling shell's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (an earlier switch's, if any)",
            );
        }
        Base::CredentialSource { .. } => {
            more(&mut o, "fetched by the AWS SDK from the instance or container")
        }
        Base::Delegated { profile, kind } => {
            let key = match kind {
                DelegatedKind::CredentialProcess => "credential_process",
                DelegatedKind::Sso => "sso_session",
                DelegatedKind::WebIdentity => "web_identity_token_file",
            };
            if let Some(v) = set.profile(profile).and_then(|s| s.get(key).or_else(|| s.get("sso_start_url")))
            {
                more(&mut o, &format!("{key} = {}, {}", v.text, at(paths, v)));
            }
            more(&mut o, "fetched by the AWS SDK's own provider");
        }
    }

    // The hops.
    let long_term = matches!(plan.base, Base::StaticKeys { .. })
        && base_section.and_then(|s| s.get("aws_session_token")).is_none();
    for (index, hop) in plan.hops.iter().enumerate() {
        let section = set.profile(&hop.profile).expect("planned profiles exist");
        o.push('\n');
        field(&mut o, &format!("hop {}", index + 1), &format!("AssumeRole {}", hop.role_arn));
        let role = section.get("role_arn").expect("hops have role_arn");
        more(&mut o, &format!("profile {:?}, role_arn at {}", hop.profile, at(paths, role)));
        if let Some(account) = hop.account() {
            more(&mut o, &format!("account {account}"));
        }
        let signer = if index == 0 { base_words(&plan.base) } else { format!("the role of hop {index}") };
        more(&mut o, &format!("signed by {signer}"));
        match section.get("role_session_name") {
            Some(v) => more(&mut o, &format!("session name {}, {}", hop.session_name, at(paths, v))),
            None if hop.session_name == default_session_name => {
                more(&mut o, &format!("session name {} (default: your login name)", hop.session_name))
            }
            None => more(&mut o, &format!("session name {} (--session-name)", hop.session_name)),
        }
        if let Some(v) = section.get("external_id") {
            more(&mut o, &format!("external id {}, {}", v.text, at(paths, v)));
        }
        match (&hop.mfa_serial, section.get("mfa_serial")) {
            (Some(serial), Some(v)) => {
                more(&mut o, &format!("MFA device {serial}, {}", at(paths, v)));
                let short = hop.duration_seconds.is_none_or(|d| d <= CHAINED_MAX_DURATION);
                let how = if index > 0 || !long_term {
                    "a code is asked on each switch (the MFA session needs long-term keys as the first signer)".to_string()
                } else if *cache == CacheState::Off {
                    "a code is asked on each switch (cache off)".to_string()
                } else if !short {
                    "a fresh code is asked: STS allows an hour at most from an MFA session".to_string()
                } else {
                    match (mfa_session.usable, mfa_session.left) {
                        (true, Some(secs)) => {
                            format!("no code needed: a cached MFA session covers it ({})", left(secs))
                        }
                        _ => "a code is asked once, then the MFA session serves every role of this device"
                            .to_string(),
                    }
                };
                more(&mut o, &how);
            }
            _ => more(&mut o, "no MFA"),
        }
        let duration = match (hop.duration_seconds, section.get("duration_seconds")) {
            (Some(d), Some(v)) if v.text == d.to_string() => format!("duration {d} s, {}", at(paths, v)),
            (Some(d), Some(v)) => format!(
                "duration {d} s (duration_seconds = {} at {}, capped: a chained role gets an hour at most)",
                v.text,
                at(paths, v)
            ),
            (Some(d), None) => format!("duration {d} s (--duration)"),
            (None, _) => "duration: STS's default, 3600 s".to_string(),
        };
        more(&mut o, &duration);
    }

    // Region, endpoint, cache, guardrail.
    o.push('\n');
    match (&plan.region, &plan.region_from) {
        (Some(r), Some(from)) => field(&mut o, "region", &format!("{r} ({from})")),
        _ => field(&mut o, "region", "none known: not exported; STS is called in us-east-1"),
    }
    match (&plan.endpoint, &plan.endpoint_from) {
        (Some(url), Some(from)) => field(&mut o, "endpoint", &format!("{url} ({from})")),
        _ => field(
            &mut o,
            "endpoint",
            &format!(
                "https://sts.{}.amazonaws.com (regional default)",
                plan.region.as_deref().unwrap_or("us-east-1")
            ),
        ),
    }
    let cache_text = match cache {
        _ if plan.hops.is_empty() => {
            "not used: the credentials are long-term keys from the files".to_string()
        }
        CacheState::Off => "off (--no-cache)".to_string(),
        CacheState::Role(Some(secs)) => {
            format!("role credentials cached ({}): a switch makes no STS call", left(*secs))
        }
        CacheState::Role(None) => "nothing cached for this chain: a switch calls STS".to_string(),
    };
    field(&mut o, "cache", &cache_text);
    if plan.confirm {
        field(
            &mut o,
            "guardrail",
            "swrole_confirm = true: a switch asks for confirmation first (--yes skips it)",
        );
    }
    if let Some(color) = &plan.color {
        field(&mut o, "colour", &format!("{color} (swrole_color), in the prompt helper"));
    }
    for w in &plan.warnings {
        field(&mut o, "warning", w);
    }

    // The variables, from the same code that makes a switch's output.
    let shape = Credentials {
        access_key_id: String::new(),
        secret_access_key: String::new(),
        session_token: (!plan.hops.is_empty() || !long_term).then(String::new),
        expiration: (!plan.hops.is_empty()).then_some(0),
        arn: None,
        account_id: plan.hops.last().and_then(|h| h.account()).map(str::to_string),
    };
    let exports = Exports::for_switch(&Switch {
        profile: &plan.profile,
        credentials: &shape,
        role_arn: plan.hops.last().map(|h| h.role_arn.as_str()),
        region: plan.region.as_deref(),
        color: plan.color.as_deref(),
        previous,
    });
    let (mut sets, mut unsets) = (Vec::new(), Vec::new());
    for op in &exports.0 {
        match op {
            Op::Set(name, _) => sets.push(*name),
            Op::Unset(name) => unsets.push(*name),
        }
    }
    o.push('\n');
    field(&mut o, "sets", &sets.join(" "));
    field(&mut o, "unsets", &unsets.join(" "));
    o
}

fn base_words(base: &Base) -> String {
    match base {
        Base::StaticKeys { profile } => format!("the static keys of profile {profile:?}"),
        Base::CredentialSource { source, profile } => {
            format!("credential_source = {} (profile {profile:?})", source.name())
        }
        Base::Delegated { profile, kind } => {
            let what = match kind {
                DelegatedKind::CredentialProcess => "credential_process",
                DelegatedKind::Sso => "IAM Identity Center (SSO)",
                DelegatedKind::WebIdentity => "a web identity token",
            };
            format!("{what} of profile {profile:?}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys() {
        assert_eq!(short_key("AKIASEEDUSERKEY00001"), "AKIA…0001");
        assert_eq!(left(3 * 3600 + 5 * 60), "3h05m left");
        assert_eq!(left(59 * 60 + 59), "59m left");
    }
}
