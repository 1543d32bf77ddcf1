//! Resolving a profile into a chain: the base credentials and the roles to assume on top of
//! them, outermost last (docs/spec.md §4). Pure: parsed profiles in, a plan or an error out.
//!
//! The algorithm is the reference one (smithy-rs `repr.rs`, which botocore agrees with):
//! at the selected profile `role_arn` + `source_profile` win over static keys; at an
//! intermediate profile complete static keys end the chain; a profile may name itself as
//! `source_profile` only when it has its own keys.

use std::fmt;

use crate::config::{ProfileSet, Section, Value};

/// Where the first credentials come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// `aws_access_key_id` + `aws_secret_access_key` (+ `aws_session_token`) of a profile.
    StaticKeys { profile: String },
    /// `credential_source = Environment | Ec2InstanceMetadata | EcsContainer`.
    CredentialSource { profile: String, source: CredentialSource },
    /// Providers that the AWS SDK implements and swrole delegates to for this profile:
    /// `web_identity_token_file`, IAM Identity Center (`sso_*`), `credential_process`.
    Delegated { profile: String, kind: DelegatedKind },
    /// The IAM user's keys of a profile, held by swrole's key store: the profile's
    /// credential_process is swrole's own line for it (`swrole credential-process
    /// PROFILE`, written by `swrole keys import`), and its file holds no keys. Read
    /// straight from the store: no subprocess, no loop.
    StoredKeys { profile: String },
    /// `login_session = ARN`: an `aws login` (or `swrole login`) session, read from the
    /// login token cache and refreshed by swrole itself (`signin`).
    LoginSession { profile: String, session: String },
}

impl Base {
    pub fn profile(&self) -> &str {
        match self {
            Base::StaticKeys { profile }
            | Base::CredentialSource { profile, .. }
            | Base::Delegated { profile, .. }
            | Base::StoredKeys { profile }
            | Base::LoginSession { profile, .. } => profile,
        }
    }

    /// Temporary credentials that swrole renews itself from a sign-in (an IAM Identity Center
    /// role, an `aws login` session): `exec --server` serves them like a role's.
    pub fn renews_itself(&self) -> bool {
        matches!(self, Base::LoginSession { .. } | Base::Delegated { kind: DelegatedKind::Sso, .. })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialSource {
    Environment,
    Ec2InstanceMetadata,
    EcsContainer,
}

impl CredentialSource {
    pub const ALL: [CredentialSource; 3] = [
        CredentialSource::Environment,
        CredentialSource::Ec2InstanceMetadata,
        CredentialSource::EcsContainer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CredentialSource::Environment => "Environment",
            CredentialSource::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            CredentialSource::EcsContainer => "EcsContainer",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DelegatedKind {
    WebIdentity,
    Sso,
    CredentialProcess,
}

/// One AssumeRole call, with the profile that asked for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleHop {
    pub profile: String,
    pub role_arn: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    pub base: Base,
    /// Applied in order: `hops[0]` is signed by the base, the last one is the selected profile.
    pub hops: Vec<RoleHop>,
}

/// No real chain comes near this; it bounds time and STS calls on hostile files.
pub const MAX_CHAIN: usize = 32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainError {
    TooLong { profile: String },
    NotFound { name: String },
    SourceNotFound { name: String, from: String },
    Loop { path: Vec<String> },
    BothSources { profile: String },
    NoSource { profile: String },
    PartialKeys { profile: String, missing: &'static str },
    NoCredentials { profile: String, selected: bool },
    BadCredentialSource { profile: String, value: String },
    WebIdentityWithoutRole { profile: String },
    Sso { profile: String, message: String },
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainError::NotFound { name } => write!(f, "profile {name:?} not found"),
            ChainError::TooLong { profile } => write!(
                f,
                "the source_profile chain of profile {profile:?} is longer than {MAX_CHAIN} profiles: check source_profile"
            ),
            ChainError::SourceNotFound { name, from } => {
                write!(f, "could not find source profile {name:?} referenced from profile {from:?}")
            }
            ChainError::Loop { path } => {
                write!(f, "source_profile chain forms an infinite loop: {}", path.join(" -> "))
            }
            ChainError::BothSources { profile } => write!(
                f,
                "profile {profile:?} contained both source_profile and credential_source: keep only one of them"
            ),
            ChainError::NoSource { profile } => write!(
                f,
                "profile {profile:?} has role_arn but no source_profile or credential_source: \
                 the profile must contain `source_profile` or `credential_source` to say which credentials assume the role"
            ),
            ChainError::PartialKeys { profile, missing } => {
                write!(f, "profile {profile:?} has only half of a key pair: profile missing {missing}")
            }
            ChainError::NoCredentials { profile, selected: true } => write!(
                f,
                "profile {profile:?} did not contain credential information: it needs role_arn (with source_profile \
                 or credential_source), static keys, credential_process, sso_session or web_identity_token_file"
            ),
            ChainError::NoCredentials { profile, selected: false } => write!(
                f,
                "source profile {profile:?} did not contain credential information: a source profile must have \
                 credentials (static keys, credential_process, sso_session, ...) or a role_arn of its own"
            ),
            ChainError::BadCredentialSource { profile, value } => write!(
                f,
                "credential_source = {value:?} in profile {profile:?} is not valid: use Environment, \
                 Ec2InstanceMetadata or EcsContainer"
            ),
            ChainError::WebIdentityWithoutRole { profile } => {
                write!(f, "profile {profile:?} has web_identity_token_file but `role_arn` was missing")
            }
            ChainError::Sso { profile, message } => write!(f, "profile {profile:?}: {message}"),
        }
    }
}

impl std::error::Error for ChainError {}

/// Whether `command` is swrole's own credential_process line for `profile`:
/// `[/path/to/]swrole credential-process PROFILE`, the program possibly single-quoted.
pub fn own_credential_process(command: &str, profile: &str) -> bool {
    let words = split_words(command);
    match words.as_slice() {
        [program, verb, p] => {
            program.rsplit('/').next() == Some("swrole") && verb == "credential-process" && p == profile
        }
        _ => false,
    }
}

/// Words of a command line with POSIX single and double quotes (no expansions): enough to
/// recognise swrole's own line, which `keys import` writes with single quotes at most.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                cur.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                in_word = true;
                cur.extend(chars.by_ref().take_while(|&c| c != '"'));
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

fn has(section: &Section, key: &str) -> bool {
    section.get(key).is_some()
}

fn value<'a>(section: &'a Section, key: &str) -> Option<&'a Value> {
    section.get(key)
}

/// Static keys of a profile: `Ok(true)` both halves, `Ok(false)` neither, `Err` only one.
fn static_keys(name: &str, section: &Section) -> Result<bool, ChainError> {
    match (has(section, "aws_access_key_id"), has(section, "aws_secret_access_key")) {
        (true, true) => Ok(true),
        (false, false) => Ok(false),
        (true, false) => {
            Err(ChainError::PartialKeys { profile: name.to_string(), missing: "aws_secret_access_key" })
        }
        (false, true) => {
            Err(ChainError::PartialKeys { profile: name.to_string(), missing: "aws_access_key_id" })
        }
    }
}

/// Resolve `selected` in `set`.
pub fn resolve(set: &ProfileSet, selected: &str) -> Result<Chain, ChainError> {
    let mut visited: Vec<String> = Vec::new();
    let mut hops: Vec<RoleHop> = Vec::new();
    let mut name = selected.to_string();
    let base = loop {
        let section = match set.profile(&name) {
            Some(s) => s,
            None if visited.is_empty() => return Err(ChainError::NotFound { name }),
            None => {
                return Err(ChainError::SourceNotFound {
                    name,
                    from: visited.last().cloned().unwrap_or_default(),
                });
            }
        };
        if visited.len() >= MAX_CHAIN {
            return Err(ChainError::TooLong { profile: selected.to_string() });
        }
        if visited.contains(&name) {
            visited.push(name);
            return Err(ChainError::Loop { path: visited });
        }
        visited.push(name.clone());
        let is_selected = visited.len() == 1;
        // A half key pair here is not an error yet: the profile may still assume a role.
        if !is_selected && static_keys(&name, section) == Ok(true) {
            break Base::StaticKeys { profile: name };
        }
        let role = value(section, "role_arn");
        match role {
            Some(role) if !has(section, "web_identity_token_file") => {
                let source_profile = value(section, "source_profile");
                let credential_source = value(section, "credential_source");
                hops.push(RoleHop { profile: name.clone(), role_arn: role.text.clone() });
                match (source_profile, credential_source) {
                    (Some(_), Some(_)) => return Err(ChainError::BothSources { profile: name }),
                    (None, None) => return Err(ChainError::NoSource { profile: name }),
                    (None, Some(source)) => break credential_source_base(&name, &source.text)?,
                    (Some(source), None) if source.text == name => {
                        // Self reference: this profile's own credentials assume its own role,
                        // once. Without credentials of its own it is a loop.
                        match base_provider(set, &name, section, is_selected) {
                            Err(ChainError::NoCredentials { .. }) => {
                                visited.push(name);
                                return Err(ChainError::Loop { path: visited });
                            }
                            other => break other?,
                        }
                    }
                    (Some(source), None) => name = source.text.clone(),
                }
            }
            _ => break base_provider(set, &name, section, is_selected)?,
        }
    };
    hops.reverse();
    Ok(Chain { base, hops })
}

fn credential_source_base(profile: &str, value: &str) -> Result<Base, ChainError> {
    // botocore validates the exact canonical spelling; we do the same (docs/spec.md §3).
    CredentialSource::ALL
        .into_iter()
        .find(|s| s.name() == value)
        .map(|source| Base::CredentialSource { profile: profile.to_string(), source })
        .ok_or_else(|| ChainError::BadCredentialSource {
            profile: profile.to_string(),
            value: value.to_string(),
        })
}

/// The base of a profile without an AssumeRole of its own, in the SDK's precedence:
/// credential_source > web identity > SSO > login_session > credential_process > static
/// keys (the Rust SDK's order; botocore puts the credentials file's keys before a login).
fn base_provider(
    set: &ProfileSet,
    name: &str,
    section: &Section,
    selected: bool,
) -> Result<Base, ChainError> {
    let delegated = |kind| Ok(Base::Delegated { profile: name.to_string(), kind });
    if let Some(source) = value(section, "credential_source") {
        return credential_source_base(name, &source.text);
    }
    if has(section, "web_identity_token_file") {
        if !has(section, "role_arn") {
            return Err(ChainError::WebIdentityWithoutRole { profile: name.to_string() });
        }
        return delegated(DelegatedKind::WebIdentity);
    }
    if let Some(kind) = sso_base(set, name, section)? {
        return delegated(kind);
    }
    if let Some(session) = value(section, "login_session").filter(|v| !v.text.is_empty()) {
        return Ok(Base::LoginSession { profile: name.to_string(), session: session.text.clone() });
    }
    if let Some(process) = value(section, "credential_process") {
        if own_credential_process(&process.text, name) {
            // The file's keys win over the store's (`keys import --keep-file`).
            if static_keys(name, section)? {
                return Ok(Base::StaticKeys { profile: name.to_string() });
            }
            return Ok(Base::StoredKeys { profile: name.to_string() });
        }
        return delegated(DelegatedKind::CredentialProcess);
    }
    if static_keys(name, section)? {
        return Ok(Base::StaticKeys { profile: name.to_string() });
    }
    Err(ChainError::NoCredentials { profile: name.to_string(), selected })
}

/// IAM Identity Center settings, checked as the SDK (which fetches these credentials for
/// swrole) checks them before any call: legacy `sso_*` keys in the profile, or
/// `sso_session` naming an `[sso-session]` that holds the start URL and region.
fn sso_base(set: &ProfileSet, name: &str, section: &Section) -> Result<Option<DelegatedKind>, ChainError> {
    let err = |message: String| Err(ChainError::Sso { profile: name.to_string(), message });
    let keys = ["sso_session", "sso_account_id", "sso_role_name", "sso_start_url", "sso_region"];
    if !keys.iter().any(|k| has(section, k)) {
        return Ok(None);
    }
    let mut start_url = has(section, "sso_start_url");
    let mut region = has(section, "sso_region");
    if let Some(session) = value(section, "sso_session") {
        for (key, present) in [("sso_start_url", start_url), ("sso_region", region)] {
            if present {
                return err(format!(
                    "`{key}` can only be specified in the [sso-session] config when a session name is given"
                ));
            }
        }
        let Some(session_section) = set.sso_sessions.get(&session.text) else {
            return err(format!(
                "sso-session named `{}` (referenced by profile `{name}`) was not found",
                session.text
            ));
        };
        start_url = has(session_section, "sso_start_url");
        region = has(session_section, "sso_region");
    }
    match (has(section, "sso_account_id"), has(section, "sso_role_name")) {
        (false, true) => {
            return err("if `sso_role_name` is set, then `sso_account_id` must also be set".into());
        }
        (true, false) => {
            return err("if `sso_account_id` is set, then `sso_role_name` must also be set".into());
        }
        _ => {}
    }
    for (key, present) in [("sso_region", region), ("sso_start_url", start_url)] {
        if !present {
            return err(format!("profile missing `{key}`"));
        }
    }
    Ok(Some(DelegatedKind::Sso))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Paths;

    fn set(config: &str) -> ProfileSet {
        let paths = Paths { config: "/c".into(), credentials: "/k".into() };
        ProfileSet::from_texts(config, "", &paths).unwrap()
    }

    #[test]
    fn seed_scenario() {
        let s = set("[default]\naws_access_key_id = A\naws_secret_access_key = S\n\
                     [profile sw-staging]\nsource_profile = default\nrole_arn = arn:aws:iam::210987654321:role/x\n");
        let c = resolve(&s, "sw-staging").unwrap();
        assert_eq!(c.base, Base::StaticKeys { profile: "default".into() });
        assert_eq!(c.hops.len(), 1);
        assert_eq!(c.hops[0].profile, "sw-staging");
    }

    #[test]
    fn loops_show_the_whole_cycle() {
        let s = set(
            "[profile a]\nrole_arn = x\nsource_profile = b\n[profile b]\nrole_arn = y\nsource_profile = a\n",
        );
        let e = resolve(&s, "a").unwrap_err();
        assert_eq!(e, ChainError::Loop { path: vec!["a".into(), "b".into(), "a".into()] });
        assert!(e.to_string().ends_with("a -> b -> a"), "{e}");
    }
}
