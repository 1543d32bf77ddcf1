//! `swrole explain PROFILE`: the resolved chain hop by hop, where every value came from,
//! what a switch will need (an MFA code or not) and what it will set, without a network
//! call. Pure apart from the cache lookups done by the caller.

use std::fmt::Write;

use crate::chain::{Base, CredentialSource, DelegatedKind};
use crate::config::{Paths, ProfileSet};
use crate::credentials::Credentials;
use crate::exports::{Exports, Op, Switch};
use crate::plan::{CodeReason, HopPlan, MfaRoute, Plan, at};

/// What the cache holds for this profile, looked up by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheState {
    Off,
    /// Seconds left on the cached entry, if there is one (fresh or inside the margin), and
    /// the margin a switch renews at.
    Role {
        left: Option<i64>,
        margin: i64,
    },
}

/// Whether the first MFA hop is covered by a cached MFA session (seconds left), for the
/// hop that would use one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MfaSessionState {
    pub usable: bool,
    pub left: Option<i64>,
}

fn left(secs: i64) -> String {
    format!("{} left", crate::clock::left(secs))
}

/// What `explain` needs besides the plan: the files, and what the caller looked up.
pub struct Context<'a> {
    pub set: &'a ProfileSet,
    pub paths: &'a Paths,
    pub cache: &'a CacheState,
    pub mfa_session: &'a MfaSessionState,
    pub default_session_name: &'a str,
    /// `SWROLE_PROFILE` of the calling shell.
    pub previous: Option<&'a str>,
    /// The key store's name (`SWROLE_KEY_STORE` or the default).
    pub key_store: &'a str,
    /// Per hop: where its MFA code would come from ([`crate::mfa::Source::describe`]).
    pub mfa_sources: &'a [Option<String>],
    /// `--long`: every variable a switch sets and unsets, by name.
    pub long: bool,
    /// A login-session or IAM Identity Center base: what its token file says
    /// ([`login_status`], [`sso_status`]).
    pub login: Option<&'a str>,
}

/// The lines being built: a label column and its text.
struct Out(String);

impl Out {
    fn field(&mut self, name: &str, text: &str) {
        writeln!(self.0, "{name:<10} {text}").expect("write to String");
    }
    fn more(&mut self, text: &str) {
        self.field("", text);
    }
}

pub fn render(plan: &Plan, cx: &Context<'_>) -> String {
    let roles = plan.hops.len();
    let mut o = Out(format!(
        "{}: {} role{}, from {}\n\n",
        plan.profile,
        roles,
        if roles == 1 { "" } else { "s" },
        base_words(&plan.base)
    ));
    base(&mut o, plan, cx);
    for (index, hop) in plan.hops.iter().enumerate() {
        self::hop(&mut o, plan, cx, index, hop);
    }
    o.0.push('\n');
    settings(&mut o, plan, cx);
    o.0.push('\n');
    variables(&mut o, plan, cx);
    o.0
}

fn base(o: &mut Out, plan: &Plan, cx: &Context<'_>) {
    o.field("base", &base_words(&plan.base));
    let base_section = cx.set.profile(plan.base.profile());
    match &plan.base {
        Base::StaticKeys { profile } => {
            if let Some(id) = base_section.and_then(|s| s.get("aws_access_key_id")) {
                o.more(&format!(
                    "aws_access_key_id {}, {}",
                    crate::text::short_key(&id.text),
                    at(cx.paths, id)
                ));
            }
            if base_section.and_then(|s| s.get("aws_session_token")).is_some() {
                o.more(&format!("with aws_session_token: profile {profile:?} holds temporary credentials"));
            }
        }
        Base::CredentialSource { source: CredentialSource::Environment, .. } => {
            o.more(
                "the calling shell's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (an earlier switch's, if any)",
            );
        }
        Base::StoredKeys { profile } => {
            if let Some(v) = base_section.and_then(|s| s.get("credential_process")) {
                o.more(&format!("credential_process = {}, {}", v.text, at(cx.paths, v)));
            }
            o.more(&format!(
                "read from swrole's key store ({}) for profile {profile:?}, no subprocess",
                cx.key_store
            ));
        }
        Base::CredentialSource { .. } => o.more("fetched by the AWS SDK from the instance or container"),
        Base::Delegated { profile, kind } => {
            let key = match kind {
                DelegatedKind::CredentialProcess => "credential_process",
                DelegatedKind::Sso => "sso_session",
                DelegatedKind::WebIdentity => "web_identity_token_file",
            };
            if let Some(v) =
                cx.set.profile(profile).and_then(|s| s.get(key).or_else(|| s.get("sso_start_url")))
            {
                o.more(&format!("{key} = {}, {}", v.text, at(cx.paths, v)));
            }
            match (kind, cx.login) {
                (DelegatedKind::Sso, Some(status)) => o.more(status),
                (DelegatedKind::Sso, None) => {}
                _ => o.more("fetched by the AWS SDK's own provider"),
            }
        }
        Base::LoginSession { profile, session } => {
            if let Some(v) = base_section.and_then(|s| s.get("login_session")) {
                o.more(&format!("login_session = {}, {}", crate::text::sanitize(&v.text), at(cx.paths, v)));
            }
            let _ = (profile, session);
            if let Some(status) = cx.login {
                o.more(status);
            }
            if let Some((url, from)) = &plan.signin {
                o.more(&format!("refreshed at {url} ({from})"));
            }
        }
    }
}

/// An IAM Identity Center base as `explain` and `list --long` tell it: the session, the
/// account and role, the token's time left and whether it can be refreshed.
pub fn sso_status(env: &crate::env::Env, set: &crate::config::ProfileSet, profile: &str) -> Option<String> {
    let session = crate::sso::Session::of_profile(set, profile).ok()??;
    let role = set.profile(profile).and_then(crate::sso::role_of);
    let head = format!(
        "IAM Identity Center {} ({}), {}",
        session.label(),
        session.start_url,
        role.map_or("no account and role".to_string(), |(a, r)| format!("account {a}, role {r}"))
    );
    let path = crate::sso::token_file(&crate::sso::cache_dir(env)?, &session);
    let shown = crate::text::printable(&path.display().to_string());
    let now = crate::clock::now();
    Some(crate::text::printable(&match crate::oidc::read_token(&path) {
        Ok(Some((_, t))) => {
            let refresh = match t.refreshable(now) {
                Some(r) => format!(
                    "refreshed by the next switch when under 15m (the registration lasts {} more)",
                    crate::clock::left(r.registration_expires_at - now)
                ),
                None => "not refreshable: sign in again when it ends".to_string(),
            };
            format!("{head}; token {shown}: {} left, {refresh}", crate::clock::left(t.left(now)))
        }
        Ok(None) => format!("{head}; no token at {shown} yet: {}", crate::oidc::sign_in_again(profile)),
        Err(e) => format!("{head}; the token cannot be read: {e:#}"),
    }))
}

/// The token file of a login session, as `explain` and `doctor` tell it: where, whose
/// account, time left on the credentials and on the sign-in.
pub fn login_status(env: &crate::env::Env, profile: &str, session: &str) -> String {
    let path = crate::signin::token_path(env, session)
        .map(|p| crate::text::printable(&p.display().to_string()))
        .unwrap_or_default();
    match crate::signin::status(env, session) {
        Ok(Some(s)) => {
            let refresh = match s.signed_in_at {
                Some(at) => format!(
                    "refreshable for {} more (a sign-in lasts {} h)",
                    crate::clock::left(at + crate::signin::SESSION_LIFE - crate::clock::now()),
                    crate::signin::SESSION_LIFE / 3600
                ),
                None => format!(
                    "refreshable until the sign-in ends (at most {} h)",
                    crate::signin::SESSION_LIFE / 3600
                ),
            };
            format!(
                "token {path}: account {}, credentials {} left ({}), {refresh}",
                s.account.as_deref().unwrap_or("?"),
                crate::clock::left(s.left),
                if s.left > crate::login::REFRESH_WINDOW {
                    "used as they are"
                } else {
                    "refreshed at the next switch"
                },
            )
        }
        Ok(None) => format!("no token at {path} yet: {}", crate::signin::sign_in_again(profile)),
        Err(e) => format!("the token cannot be read: {}", crate::text::printable(&format!("{e:#}"))),
    }
}

fn hop(o: &mut Out, plan: &Plan, cx: &Context<'_>, index: usize, hop: &HopPlan) {
    let section = cx.set.profile(&hop.profile).expect("planned profiles exist");
    o.0.push('\n');
    o.field(&format!("hop {}", index + 1), &format!("AssumeRole {}", hop.role_arn));
    let role = section.get("role_arn").expect("hops have role_arn");
    o.more(&format!("profile {:?}, role_arn at {}", hop.profile, at(cx.paths, role)));
    if let Some(account) = hop.account() {
        o.more(&format!("account {account}"));
    }
    let signer = if index == 0 { base_words(&plan.base) } else { format!("the role of hop {index}") };
    o.more(&format!("signed by {signer}"));
    match section.get("role_session_name") {
        Some(v) => o.more(&format!("session name {}, {}", hop.session_name, at(cx.paths, v))),
        None if hop.session_name == cx.default_session_name => {
            o.more(&format!("session name {} (default: your login name)", hop.session_name))
        }
        None => o.more(&format!("session name {} (--session-name)", hop.session_name)),
    }
    if let Some(v) = section.get("external_id") {
        o.more(&format!("external id {}, {}", v.text, at(cx.paths, v)));
    }
    match (&hop.mfa, section.get("mfa_serial")) {
        (Some(mfa), Some(v)) => {
            o.more(&format!("MFA device {}, {}", mfa.serial, at(cx.paths, v)));
            o.more(&mfa_words(mfa.route, cx));
            let covered =
                mfa.route == MfaRoute::Session && cx.mfa_session.usable && *cx.cache != CacheState::Off;
            if let Some(Some(source)) = cx.mfa_sources.get(index)
                && !covered
            {
                o.more(source);
            }
        }
        _ => o.more("no MFA"),
    }
    let duration = match (hop.duration_seconds, section.get("duration_seconds")) {
        (Some(d), Some(v)) if v.text == d.to_string() => format!("duration {d} s, {}", at(cx.paths, v)),
        (Some(d), Some(v)) => format!(
            "duration {d} s (duration_seconds = {} at {}, capped: a chained role gets an hour at most)",
            v.text,
            at(cx.paths, v)
        ),
        (Some(d), None) => format!("duration {d} s (--duration)"),
        (None, _) => "duration: STS's default, 3600 s".to_string(),
    };
    o.more(&duration);
}

/// How the plan's MFA route will be served, in words.
fn mfa_words(route: MfaRoute, cx: &Context<'_>) -> String {
    match route {
        MfaRoute::Code(CodeReason::NotLongTermKeys) => {
            "a code is asked on each switch (the MFA session needs long-term keys as the first signer)"
                .to_string()
        }
        MfaRoute::Code(CodeReason::LoginSession) => {
            "a code goes with the AssumeRole call itself, once per role and hour (the credentials are cached): \
             a login session is temporary credentials, which GetSessionToken (the MFA session) does not take; \
             AWS does not document whether the browser sign-in's MFA counts for the trust policy, so swrole sends \
             the code mfa_serial asks for"
                .to_string()
        }
        MfaRoute::Code(CodeReason::CacheOff) => "a code is asked on each switch (cache off)".to_string(),
        MfaRoute::Code(CodeReason::LongerThanAnHour(_)) => {
            "a fresh code is asked: STS allows an hour at most from an MFA session".to_string()
        }
        MfaRoute::Session if *cx.cache == CacheState::Off => {
            "a code is asked on each switch (cache off)".to_string()
        }
        MfaRoute::Session => match (cx.mfa_session.usable, cx.mfa_session.left) {
            (true, Some(secs)) => format!("no code needed: a cached MFA session covers it ({})", left(secs)),
            _ => "a code is asked once, then the MFA session serves every role of this device".to_string(),
        },
    }
}

fn settings(o: &mut Out, plan: &Plan, cx: &Context<'_>) {
    match (&plan.region, &plan.region_from) {
        (Some(r), Some(from)) => o.field("region", &format!("{r} ({from})")),
        _ => o.field("region", "none known: not exported; STS is called in us-east-1"),
    }
    match (&plan.endpoint, &plan.endpoint_from) {
        (Some(url), Some(from)) => o.field("endpoint", &format!("{url} ({from})")),
        _ => o.field(
            "endpoint",
            &format!(
                "https://sts.{}.amazonaws.com (regional default)",
                plan.region.as_deref().unwrap_or("us-east-1")
            ),
        ),
    }
    if let (n, Some(from)) = &plan.attempts {
        o.field("attempts", &format!("{n} at each STS call ({from})"));
    }
    match &plan.ca_bundle {
        Some((path, from)) => {
            o.field("ca bundle", &format!("{} ({from}), trusted besides the system's roots", path.display()))
        }
        None => o.field("ca bundle", "none: the system's roots only (AWS_CA_BUNDLE or ca_bundle add one)"),
    }
    let cache_text = match cx.cache {
        _ if plan.hops.is_empty() => {
            "not used: the credentials are long-term keys from the files".to_string()
        }
        CacheState::Off => "off (--no-cache)".to_string(),
        CacheState::Role { left: Some(secs), margin } if secs > margin => {
            format!("role credentials cached ({}): a switch makes no STS call", left(*secs))
        }
        CacheState::Role { left: Some(secs), margin } => format!(
            "role credentials cached ({}), inside the refresh margin ({}): a switch renews them (one STS call)",
            left(*secs),
            crate::clock::left(*margin)
        ),
        CacheState::Role { left: None, .. } => {
            "nothing cached for this chain: a switch calls STS".to_string()
        }
    };
    o.field("cache", &cache_text);
    if plan.confirm {
        o.field("guardrail", "swrole_confirm = true: a switch asks for confirmation first (--yes skips it)");
    }
    if let Some(color) = &plan.color {
        o.field("color", &format!("{color} (swrole_color), in the prompt helper"));
    }
    safety(o, plan);
    for w in &plan.warnings {
        o.field("warning", w);
    }
}

/// The variables, from the same code that makes a switch's output.
fn variables(o: &mut Out, plan: &Plan, cx: &Context<'_>) {
    let long_term = matches!(plan.base, Base::StoredKeys { .. })
        || matches!(plan.base, Base::StaticKeys { .. })
            && cx.set.profile(plan.base.profile()).and_then(|s| s.get("aws_session_token")).is_none();
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
        previous: cx.previous,
        ca_bundle: plan.profile_ca_bundle(),
        ca_bundle_from_swrole: false,
        access: plan.access.map(|a| a.word()),
        guarded: plan.guard.as_ref().map(|_| "account"),
        idle: plan.guard.as_ref().and_then(|g| g.idle),
    });
    let (mut sets, mut unsets) = (Vec::new(), Vec::new());
    for op in &exports.0 {
        match op {
            Op::Set(name, _) => sets.push(*name),
            Op::Unset(name) => unsets.push(*name),
        }
    }
    if cx.long {
        o.field("sets", &sets.join(" "));
        o.field("unsets", &unsets.join(" "));
    } else {
        o.field(
            "variables",
            &format!("a switch sets {} and unsets {} (explain --long names them)", sets.len(), unsets.len()),
        );
    }
}

fn base_words(base: &Base) -> String {
    match base {
        Base::StaticKeys { profile } => format!("the static keys of profile {profile:?}"),
        Base::CredentialSource { source, profile } => {
            format!("credential_source = {} (profile {profile:?})", source.name())
        }
        Base::StoredKeys { profile } => format!("the keys of profile {profile:?} in swrole's key store"),
        Base::LoginSession { profile, session } => {
            format!(
                "the login session {} (login_session of profile {profile:?})",
                crate::text::sanitize(session)
            )
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

/// Production safety: read-only or write, the source identity, the guard.
fn safety(o: &mut Out, plan: &Plan) {
    use crate::safety::{Access, Policy, SourceIdentity};
    let last = plan.hops.last();
    match (plan.access, last.and_then(|h| h.policy.as_ref())) {
        (Some(Access::ReadOnly), Some(p)) => {
            let what = match &p.policy {
                Policy::Arns(arns) => format!("PolicyArns {}", arns.join(", ")),
                Policy::File(path) => format!("Policy from {} (checked before any call)", path.display()),
                Policy::Json(_) => "Policy (inline JSON)".to_string(),
            };
            o.field(
                "access",
                &format!(
                    "read-only: {what} (swrole_session_policy, {}); --write lifts it, with a reason",
                    p.from
                ),
            );
        }
        (Some(Access::Write), _) => o.field(
            "access",
            "write (--write): no session policy; the reason goes to the record and the swrole-reason tag",
        ),
        _ => {}
    }
    for hop in &plan.hops {
        match &hop.source_identity {
            Some(SourceIdentity::User) => o.field(
                "identity",
                &format!("SourceIdentity of {}: your IAM user's name (GetCallerIdentity, remembered with the MFA session)", hop.profile),
            ),
            Some(SourceIdentity::Fixed(n)) => o.field("identity", &format!("SourceIdentity of {}: {n}", hop.profile)),
            None => {}
        }
    }
    if let Some(g) = &plan.guard {
        let idle = g.idle.map_or(String::new(), |i| {
            format!("; dropped after {} without a command", crate::clock::left(i64::from(i)))
        });
        let asks = if g.commands.is_empty() {
            "no command".to_string()
        } else {
            format!("{} command patterns", g.commands.len())
        };
        o.field(
            "guard",
            &format!("guarded: the shell integration tints the terminal and asks before {asks}{idle}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys() {
        assert_eq!(crate::text::short_key("AKIASEEDUSERKEY00001"), "AKIA…0001");
        assert_eq!(left(3 * 3600 + 5 * 60), "3h05m left");
    }
}
