//! From a resolved chain to the exact STS calls: every parameter validated against the STS
//! model (`tests/conformance/sts/assumerole-constraints.json`) before anything is sent, and
//! every error naming the profile, file and line of the bad value. Pure.

use anyhow::{Result, bail};

use crate::chain::{Base, Chain, CredentialSource, DelegatedKind};
use crate::config::{Origin, Paths, ProfileSet, Section, parse};
use crate::env::Env;

/// STS limits for a role session (seconds).
pub const MIN_DURATION: u32 = 900;
pub const MAX_DURATION: u32 = 43_200;
/// STS caps a session assumed with role credentials ("role chaining") at one hour.
pub const CHAINED_MAX_DURATION: u32 = 3_600;
/// Attempts at one STS call: the SDKs' standard retry mode, and the most swrole makes
/// whatever a setting asks (each retry waits up to 20 s first).
pub const DEFAULT_ATTEMPTS: u32 = 3;
pub const MAX_ATTEMPTS: u32 = 10;

/// One AssumeRole call, ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HopPlan {
    pub profile: String,
    pub role_arn: String,
    pub session_name: String,
    pub external_id: Option<String>,
    /// The MFA device this hop names, and how the switch satisfies it.
    pub mfa: Option<Mfa>,
    /// `None`: not configured, STS's default (one hour) applies.
    pub duration_seconds: Option<u32>,
    /// `swrole_session_policy` of the hop's profile, unless write access was asked for.
    pub policy: Option<crate::safety::SessionPolicy>,
    /// `swrole_source_identity` of the hop's profile.
    pub source_identity: Option<crate::safety::SourceIdentity>,
    /// The session name is the default one (no flag, no `role_session_name`): a source
    /// identity replaces it.
    pub default_session_name: bool,
}

/// A hop's MFA need, decided once here and used by the switch, `explain` and `doctor`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mfa {
    /// `mfa_serial`: the device.
    pub serial: String,
    pub route: MfaRoute,
    /// `mfa_process` of the hop's profile, else of its source profile: the command that
    /// prints the code, and where it was written.
    pub process: Option<(String, String)>,
}

/// How an MFA hop is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MfaRoute {
    /// A GetSessionToken session of the IAM user (made with one code, then cached) signs
    /// the AssumeRole, which then carries no code.
    Session,
    /// The AssumeRole call carries a code itself, for this reason.
    Code(CodeReason),
}

/// Why a hop cannot go through the cached MFA session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeReason {
    /// GetSessionToken needs the IAM user's long-term keys as signer; this hop's signer is
    /// another role or temporary credentials.
    NotLongTermKeys,
    /// The cache is off (`--no-cache`): nothing could keep the session.
    CacheOff,
    /// The hop asks for more than the hour STS allows a role assumed from an MFA session.
    LongerThanAnHour(u32),
    /// The first signer is a login session (`login_session`): temporary credentials, which
    /// GetSessionToken does not take.
    LoginSession,
}

impl MfaRoute {
    /// The route of a hop: pure, from where the hop sits and what signs it.
    pub fn decide(first_hop: bool, long_term_signer: bool, cache: bool, duration: Option<u32>) -> MfaRoute {
        if !first_hop || !long_term_signer {
            MfaRoute::Code(CodeReason::NotLongTermKeys)
        } else if !cache {
            MfaRoute::Code(CodeReason::CacheOff)
        } else if let Some(d) = duration.filter(|&d| d > CHAINED_MAX_DURATION) {
            MfaRoute::Code(CodeReason::LongerThanAnHour(d))
        } else {
            MfaRoute::Session
        }
    }
}

impl HopPlan {
    pub fn mfa_serial(&self) -> Option<&str> {
        self.mfa.as_ref().map(|m| m.serial.as_str())
    }
}

impl HopPlan {
    /// The account of the role, from its ARN (`arn:aws:iam::ACCOUNT:role/NAME`).
    pub fn account(&self) -> Option<&str> {
        account_of(&self.role_arn)
    }
}

pub fn account_of(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    crate::credentials::is_account_id(account).then_some(account)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub profile: String,
    pub base: Base,
    pub hops: Vec<HopPlan>,
    pub region: Option<String>,
    /// Where the region came from (flag, profile and line, or variable).
    pub region_from: Option<String>,
    pub endpoint: Option<String>,
    /// Where the endpoint came from.
    pub endpoint_from: Option<String>,
    /// The CA bundle to trust besides the system's roots, and where it was named:
    /// `AWS_CA_BUNDLE`, else the profile's `ca_bundle` (file and line). Read only when a
    /// call is made.
    pub ca_bundle: Option<(std::path::PathBuf, String)>,
    /// How many times an STS call is tried (`AWS_MAX_ATTEMPTS`, else the profile's
    /// `max_attempts`, else [`DEFAULT_ATTEMPTS`]), and where that was said.
    pub attempts: (u32, Option<String>),
    /// `swrole_confirm = true`: ask before switching (production guardrail).
    pub confirm: bool,
    /// `swrole_color`: the prompt colour of this profile.
    pub color: Option<String>,
    /// `swrole_account_alias`: the account's name for people (the confirmation names it).
    pub account_alias: Option<String>,
    /// Read-only (the session policy applies) or write access (`--write`); `None` for a
    /// profile without `swrole_session_policy`.
    pub access: Option<crate::safety::Access>,
    /// What the shell integration guards while this profile is active (a profile marked
    /// `swrole_confirm = true` or read-only by policy).
    pub guard: Option<crate::safety::Guard>,
    /// Why write access was asked for (`--reason`, or asked by the switch).
    pub reason: Option<String>,
    /// A login-session base: the sign-in service that refreshes it, and where that was said.
    pub signin: Option<(String, String)>,
    /// Things the user should know that do not stop the switch (printed on stderr).
    pub warnings: Vec<String>,
}

/// What the command line adds to the files.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub duration_seconds: Option<u32>,
    pub region: Option<String>,
    pub session_name: Option<String>,
    /// The cache is off: no MFA session can be kept.
    pub no_cache: bool,
    /// `--write`: assume without the session policy (write access).
    pub write: bool,
    /// `--reason`.
    pub reason: Option<String>,
}

pub use crate::config::at;

fn matches_set(s: &str, extra: &[u8]) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || extra.contains(&b))
}

/// Check a profile value against an STS parameter's length and character set.
fn checked(
    paths: &Paths,
    profile: &str,
    section: &Section,
    key: &str,
    (min, max): (usize, usize),
    extra: &[u8],
) -> Result<Option<String>> {
    let Some(v) = section.get(key) else { return Ok(None) };
    let text = v.text.as_str();
    if text.len() < min || text.len() > max || !matches_set(text, extra) {
        bail!(
            "{}: {key} of profile {profile:?} is not valid: STS takes {min} to {max} characters from \
             [A-Za-z0-9_{}]",
            at(paths, v),
            String::from_utf8_lossy(extra)
        );
    }
    Ok(Some(text.to_string()))
}

/// An MFA serial as STS takes it (9 to 256 of `[A-Za-z0-9_+=/:,.@-]`), as `mfa_serial` is checked.
pub fn is_mfa_serial(text: &str) -> bool {
    (9..=256).contains(&text.len()) && matches_set(text, b"+=/:,.@-")
}

pub fn parse_duration(text: &str) -> Option<u32> {
    text.parse::<u32>().ok().filter(|d| (MIN_DURATION..=MAX_DURATION).contains(d))
}

/// The default RoleSessionName: the login name, so CloudTrail shows who switched
/// (`assumed-role/ROLE/alice`), cut to STS's 2–64 characters of `[\w+=,.@-]`.
pub fn default_session_name(env: &Env) -> String {
    let user = env.login_name().unwrap_or("");
    let mut name: String = user
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) { c } else { '-' })
        .take(64)
        .collect();
    if name.len() < 2 {
        name = format!("swrole-{name}").trim_end_matches('-').to_string();
    }
    name
}

/// A region name as it may go into a URL and a config line: lowercase letters, digits and
/// `-`, at most 64 characters.
pub fn valid_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 64
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Validate `chain` and fill in every parameter: each concern has its own function below
/// (the session name, the kind of base, each hop, the base's keys, region, endpoint,
/// guardrail, attempts, CA bundle), each with its own unit tests.
pub fn plan(
    set: &ProfileSet,
    paths: &Paths,
    env: &Env,
    selected: &str,
    chain: Chain,
    overrides: &Overrides,
) -> Result<Plan> {
    let mut warnings = Vec::new();
    let default_name = session_name(overrides, env)?;
    let base = BaseKind::of(set, &chain.base);
    let hops = (0..chain.hops.len())
        .map(|index| {
            hop(set, paths, &chain, index, base, &default_name, overrides, env.get("HOME"), &mut warnings)
        })
        .collect::<Result<Vec<_>>>()?;
    let (region, region_from) = region(set, paths, env, selected, &chain, overrides)?.unzip();
    let (endpoint, endpoint_from) = endpoint(set, paths, env, selected)?.unzip();
    check_base_keys(set, paths, &chain.base)?;
    let (confirm, color, account_alias) = guardrail(set, paths, selected)?;
    let (access, guard) = safety(set, paths, selected, &chain, overrides)?;
    let attempts = attempts(set, paths, env, selected, &mut warnings)?;
    let ca_bundle = ca_bundle(set, paths, env, selected)?;
    let signin = match &chain.base {
        Base::LoginSession { .. } => signin_endpoint(set, paths, env, selected, region.as_deref())?,
        _ => None,
    };
    Ok(Plan {
        profile: selected.to_string(),
        base: chain.base,
        hops,
        region,
        region_from,
        endpoint,
        endpoint_from,
        ca_bundle,
        attempts,
        confirm,
        color,
        account_alias,
        access,
        guard,
        reason: overrides.reason.clone(),
        signin,
        warnings,
    })
}

/// IAM Identity Center's OIDC service and access portal for `selected`, by the SDKs'
/// endpoint settings (`AWS_ENDPOINT_URL_SSO_OIDC` / `AWS_ENDPOINT_URL_SSO`, `[services]`
/// `sso_oidc` / `sso`, `AWS_ENDPOINT_URL`, `endpoint_url`), else the session region's.
pub fn sso_endpoints(
    set: &ProfileSet,
    paths: &Paths,
    env: &Env,
    selected: &str,
    sso_region: &str,
) -> Result<(String, String)> {
    check_sign_in_trust(set, paths, env, selected)?;
    let oidc = sign_in_endpoint(set, paths, env, selected, "sso_oidc", crate::sso::default_oidc(sso_region))?;
    let portal = sign_in_endpoint(set, paths, env, selected, "sso", crate::sso::default_portal(sso_region))?;
    Ok((oidc, portal))
}

/// The sign-in service that refreshes a login session, and where it was configured: the
/// SDKs' endpoint settings for service id `signin` (`AWS_ENDPOINT_URL_SIGNIN`, `[services]`,
/// `AWS_ENDPOINT_URL`, `endpoint_url`), else the region's endpoint. `None` without a
/// region (the switch says so if a refresh is needed).
pub fn signin_endpoint(
    set: &ProfileSet,
    paths: &Paths,
    env: &Env,
    selected: &str,
    region: Option<&str>,
) -> Result<Option<(String, String)>> {
    check_sign_in_trust(set, paths, env, selected)?;
    Ok(match endpoint_at(set, paths, env, selected, "signin")? {
        Some((url, from, origin)) => {
            if let Some(r) = region {
                check_sign_in_destination(set, &url, &from, origin, &crate::login::default_endpoint(r))?;
            }
            Some((url, from))
        }
        None => region.map(|r| (crate::login::default_endpoint(r), format!("the endpoint of region {r}"))),
    })
}

/// A sign-in service's endpoint (the OIDC service, the portal): as configured, held to
/// [`check_sign_in_destination`], else `default`, the region's own.
fn sign_in_endpoint(
    set: &ProfileSet,
    paths: &Paths,
    env: &Env,
    selected: &str,
    service: &str,
    default: String,
) -> Result<String> {
    match endpoint_at(set, paths, env, selected, service)? {
        Some((url, from, origin)) => {
            check_sign_in_destination(set, &url, &from, origin, &default)?;
            Ok(url)
        }
        None => Ok(default),
    }
}

/// The other half of [`check_sign_in_destination`]: a `ca_bundle` written in a block swrole
/// manages for someone else would let its author answer for AWS's own host, so a sign-in
/// refuses it (a CA from `AWS_CA_BUNDLE` or a section of the member's own is theirs).
fn check_sign_in_trust(set: &ProfileSet, paths: &Paths, env: &Env, selected: &str) -> Result<()> {
    if env.get("AWS_CA_BUNDLE").is_some_and(|_| !ca_bundle_from_swrole(env)) {
        return Ok(());
    }
    let Some(v) = set.profile(selected).and_then(|s| s.get("ca_bundle")) else { return Ok(()) };
    let Some(owner) = set.managed_by(v.origin) else { return Ok(()) };
    bail!(
        "ca_bundle of profile {selected:?}, {}: the certificate authorities of a sign-in come from {owner}'s \
         block, which you did not write: swrole trusts only your own for sign-in codes, refresh tokens and \
         client secrets (AWS_CA_BUNDLE, or a ca_bundle in a section of your own)",
        at(paths, v)
    )
}

/// Sign-in secrets (an authorization code and its PKCE verifier, a refresh token, a client
/// secret, an access token) go to AWS's own endpoint for the region, or to one the member
/// chose: a variable, or a section they wrote. An endpoint written inside a block swrole
/// manages for a team (or for IAM Identity Center) is the team file author's choice, not the
/// member's: another host from there is refused, whatever was allowed when it was written.
fn check_sign_in_destination(
    set: &ProfileSet,
    url: &str,
    from: &str,
    origin: Option<Origin>,
    default: &str,
) -> Result<()> {
    let host = |u: &str| url::Url::parse(u).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    let Some(owner) = origin.and_then(|o| set.managed_by(o)) else { return Ok(()) };
    if host(url).is_some_and(|h| Some(h) == host(default)) {
        return Ok(());
    }
    bail!(
        "{from}: the sign-in endpoint {} comes from {owner}'s block, which you did not write: swrole sends \
         sign-in codes, refresh tokens and client secrets only to AWS's own endpoint for the region ({default}) \
         or to one you set yourself (an AWS_ENDPOINT_URL_* variable, or a section of your own)",
        crate::text::sanitize(url)
    )
}

/// The selected profile's access mode and guard: read-only when its hop carries a session
/// policy, write when `--write` asked (an error where there is no policy to lift); guarded
/// when `swrole_confirm = true` or read-only by policy.
fn safety(
    set: &ProfileSet,
    paths: &Paths,
    selected: &str,
    chain: &Chain,
    overrides: &Overrides,
) -> Result<(Option<crate::safety::Access>, Option<crate::safety::Guard>)> {
    use crate::safety::Access;
    let Some(section) = set.profile(selected) else { return Ok((None, None)) };
    let has_policy = chain.hops.last().is_some_and(|h| h.profile == selected)
        && section.get("swrole_session_policy").is_some();
    let access = match (has_policy, overrides.write) {
        (true, false) => Some(Access::ReadOnly),
        (true, true) => Some(Access::Write),
        (false, true) => bail!(
            "--write: profile {selected:?} has no swrole_session_policy, so it is not read-only: switch without --write"
        ),
        (false, false) => None,
    };
    let confirm = section.text("swrole_confirm").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let guard = crate::safety::guard(section, paths, selected, confirm || has_policy)?;
    Ok((access, guard))
}

/// The RoleSessionName of every hop without its own `role_session_name`: `--session-name`
/// (checked against STS's rule), else the login name.
fn session_name(overrides: &Overrides, env: &Env) -> Result<String> {
    match &overrides.session_name {
        Some(name) => {
            if !(2..=64).contains(&name.len()) || !matches_set(name, b"+=,.@-") {
                bail!(
                    "--session-name {name:?} is not valid: STS takes 2 to 64 characters from [A-Za-z0-9_+=,.@-]"
                );
            }
            Ok(name.clone())
        }
        None => Ok(default_session_name(env)),
    }
}

/// What the base credentials are, as far as STS's limits care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BaseKind {
    /// Temporary credentials of a role (Identity Center, web identity, instance or
    /// container): the first hop is role chaining, capped at one hour.
    role_session: bool,
    /// The IAM user's own long-term keys: the only signer GetSessionToken takes.
    long_term: bool,
    /// A login session (`login_session`): the user's temporary credentials.
    login: bool,
}

impl BaseKind {
    fn of(set: &ProfileSet, base: &Base) -> BaseKind {
        let role_session = matches!(
            base,
            Base::Delegated { kind: DelegatedKind::Sso | DelegatedKind::WebIdentity, .. }
                | Base::CredentialSource {
                    source: CredentialSource::Ec2InstanceMetadata | CredentialSource::EcsContainer,
                    ..
                }
        );
        let long_term = match base {
            Base::StaticKeys { profile } => {
                set.profile(profile).is_none_or(|s| s.get("aws_session_token").is_none())
            }
            Base::StoredKeys { .. } => true,
            _ => false,
        };
        BaseKind { role_session, long_term, login: matches!(base, Base::LoginSession { .. }) }
    }
}

/// Hop `index` of the chain, every parameter checked: role ARN, session name, external id,
/// MFA device and route, duration (with the role-chaining cap, said in `warnings`).
#[allow(clippy::too_many_arguments)]
fn hop(
    set: &ProfileSet,
    paths: &Paths,
    chain: &Chain,
    index: usize,
    base: BaseKind,
    default_name: &str,
    overrides: &Overrides,
    home: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<HopPlan> {
    let hop = &chain.hops[index];
    let section = set.profile(&hop.profile).expect("resolved profiles exist");
    let role = section.get("role_arn").expect("hops have role_arn");
    if !(20..=2048).contains(&hop.role_arn.len()) || !hop.role_arn.starts_with("arn:") {
        bail!(
            "{}: role_arn of profile {:?} is not a role ARN (expected arn:aws:iam::ACCOUNT:role/NAME)",
            at(paths, role),
            hop.profile
        );
    }
    let session_name = match overrides.session_name {
        Some(_) => Some(default_name.to_string()),
        None => checked(paths, &hop.profile, section, "role_session_name", (2, 64), b"+=,.@-")?,
    };
    let default_session_name = overrides.session_name.is_none() && session_name.is_none();
    let session_name = session_name.unwrap_or_else(|| default_name.to_string());
    let external_id = checked(paths, &hop.profile, section, "external_id", (2, 1224), b"+=,.@:/-")?;
    let mfa_serial = checked(paths, &hop.profile, section, "mfa_serial", (9, 256), b"+=/:,.@-")?;
    let last = index + 1 == chain.hops.len();
    let chained = index > 0 || base.role_session;
    // A write session may be shorter than a read one (`swrole_write_duration`).
    let write = last && overrides.write;
    let asked = match last.then_some(overrides.duration_seconds).flatten() {
        Some(d) => Some(d),
        None if write => {
            crate::safety::write_duration(section, paths, &hop.profile, (MIN_DURATION, MAX_DURATION))?
        }
        None => None,
    };
    let duration_seconds = hop_duration(paths, &hop.profile, section, asked, chained, warnings)?;
    let source_name = if index == 0 { chain.base.profile() } else { chain.hops[index - 1].profile.as_str() };
    let mfa = mfa_serial.map(|serial| Mfa {
        serial,
        route: if index == 0 && base.login {
            MfaRoute::Code(CodeReason::LoginSession)
        } else {
            MfaRoute::decide(index == 0, base.long_term, !overrides.no_cache, duration_seconds)
        },
        process: mfa_process(set, paths, &hop.profile, source_name),
    });
    let policy =
        crate::safety::session_policy(section, paths, &hop.profile, &hop.role_arn, home)?.filter(|_| !write);
    let source_identity = crate::safety::source_identity(section, paths, &hop.profile)?;
    Ok(HopPlan {
        profile: hop.profile.clone(),
        role_arn: hop.role_arn.clone(),
        session_name,
        external_id,
        mfa,
        duration_seconds,
        policy,
        source_identity,
        default_session_name,
    })
}

/// A hop's session length: `--duration` (given only for the last hop), else the profile's
/// `duration_seconds` (checked); a chained hop asking for more than STS allows is capped at
/// one hour and the cap said in `warnings`.
fn hop_duration(
    paths: &Paths,
    profile: &str,
    section: &Section,
    flag: Option<u32>,
    chained: bool,
    warnings: &mut Vec<String>,
) -> Result<Option<u32>> {
    let configured = match section.get("duration_seconds") {
        None => None,
        Some(v) => Some(parse_duration(&v.text).ok_or_else(|| {
            anyhow::anyhow!(
                "{}: duration_seconds of profile {profile:?} is {:?}: it must be a whole number of seconds from \
                 {MIN_DURATION} to {MAX_DURATION}",
                at(paths, v),
                v.text,
            )
        })?),
    };
    let duration = flag.or(configured);
    if let Some(d) = duration.filter(|&d| chained && d > CHAINED_MAX_DURATION) {
        warnings.push(format!(
            "profile {profile:?} asks for {d} s, but its credentials come from another role (role chaining), \
             which STS caps at {CHAINED_MAX_DURATION} s: asking for {CHAINED_MAX_DURATION} s"
        ));
        return Ok(Some(CHAINED_MAX_DURATION));
    }
    Ok(duration)
}

/// The `mfa_process` of a hop: the hop's profile first, then the profile that signs it
/// (where aws-vault users keep it), with where it was written.
fn mfa_process(set: &ProfileSet, paths: &Paths, profile: &str, source: &str) -> Option<(String, String)> {
    [profile, source].into_iter().find_map(|name| {
        let v = set.profile(name)?.get("mfa_process")?;
        Some((v.text.clone(), format!("profile {name:?}, {}", at(paths, v))))
    })
}

/// The base profile's static keys, checked before anything is sent: the key id's shape,
/// the sizes of secret and token, the account id, and no spaces, quotes or control
/// characters (they would be sent, or break a shell, as they are).
fn check_base_keys(set: &ProfileSet, paths: &Paths, base: &Base) -> Result<()> {
    let name = base.profile();
    let Some(section) = set.profile(name) else { return Ok(()) };
    if let Base::StaticKeys { .. } = base
        && let Some(v) = section.get("aws_access_key_id")
        && !((16..=128).contains(&v.text.len()) && v.text.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        bail!(
            "{}: aws_access_key_id of profile {name:?} is not an access key id (16 to 128 letters and digits)",
            at(paths, v)
        );
    }
    for (key, max) in [
        ("aws_secret_access_key", crate::credentials::MAX_SECRET),
        ("aws_session_token", crate::credentials::MAX_TOKEN),
    ] {
        if let Some(v) = section.get(key).filter(|v| v.text.len() > max) {
            bail!("{}: {key} of profile {name:?} is longer than {max} bytes: check the file", at(paths, v));
        }
    }
    if let Some(v) = section.get("aws_account_id").filter(|v| !crate::credentials::is_account_id(&v.text)) {
        bail!(
            "{}: aws_account_id of profile {name:?} is not an account id (exactly 12 digits)",
            at(paths, v)
        );
    }
    for key in ["aws_access_key_id", "aws_secret_access_key", "aws_session_token"] {
        if let Some(v) = section
            .get(key)
            .filter(|v| v.text.contains([' ', '"', '\'']) || v.text.chars().any(char::is_control))
        {
            bail!(
                "{}: {key} of profile {name:?} contains spaces, quotes or control characters: check the file",
                at(paths, v)
            );
        }
    }
    Ok(())
}

/// `AWS_CA_BUNDLE` of the calling shell is one an earlier switch exported
/// (`SWROLE_CA_BUNDLE` holds the same path).
pub fn ca_bundle_from_swrole(env: &Env) -> bool {
    env.get("AWS_CA_BUNDLE").is_some_and(|v| env.get("SWROLE_CA_BUNDLE") == Some(v))
}

impl Plan {
    /// The CA bundle the selected profile named (`ca_bundle`), which a switch exports for the
    /// shell's tools; `None` when there is none or `AWS_CA_BUNDLE` decided (the shell has it).
    pub fn profile_ca_bundle(&self) -> Option<&str> {
        self.ca_bundle.as_ref().filter(|(_, from)| from != "AWS_CA_BUNDLE").and_then(|(p, _)| p.to_str())
    }
}

/// The CA bundle to trust: `AWS_CA_BUNDLE`, else the selected profile's `ca_bundle`, with
/// where it was named (`~/` expanded; the file is read only when a call is made). A relative
/// `ca_bundle` is refused: a switch exports the path for the shell's tools, and a relative
/// one would name another file in every directory they run in.
pub fn ca_bundle(
    set: &ProfileSet,
    paths: &Paths,
    env: &Env,
    selected: &str,
) -> Result<Option<(std::path::PathBuf, String)>> {
    // An AWS_CA_BUNDLE that an earlier switch exported was that profile's: this profile's
    // own `ca_bundle` decides.
    if let Some(p) = env.get("AWS_CA_BUNDLE").filter(|_| !ca_bundle_from_swrole(env)) {
        return Ok(Some((crate::config::expand_path(p, env), "AWS_CA_BUNDLE".to_string())));
    }
    let Some(v) = set.profile(selected).and_then(|s| s.get("ca_bundle")) else { return Ok(None) };
    let from = format!("ca_bundle of profile {selected:?}, {}", at(paths, v));
    let path = crate::config::expand_path(&v.text, env);
    if !path.is_absolute() {
        bail!(
            "{from}: {:?} is a relative path, which names another file in every directory: give an \
             absolute path (or ~/...)",
            crate::text::sanitize(&v.text)
        );
    }
    Ok(Some((path, from)))
}

/// `AWS_MAX_ATTEMPTS`, else `max_attempts` of the selected profile, as the SDKs read them:
/// a whole number, 1 or more; above [`MAX_ATTEMPTS`] it is said and capped.
fn attempts(
    set: &ProfileSet,
    paths: &Paths,
    env: &Env,
    selected: &str,
    warnings: &mut Vec<String>,
) -> Result<(u32, Option<String>)> {
    let (text, from) =
        match (env.get("AWS_MAX_ATTEMPTS"), set.profile(selected).and_then(|s| s.get("max_attempts"))) {
            (Some(text), _) => (text, "AWS_MAX_ATTEMPTS".to_string()),
            (None, Some(v)) => {
                (v.text.as_str(), format!("max_attempts of profile {selected:?}, {}", at(paths, v)))
            }
            (None, None) => return Ok((DEFAULT_ATTEMPTS, None)),
        };
    let Some(n) = text.parse::<u32>().ok().filter(|&n| n >= 1) else {
        bail!(
            "{from}: {:?} is not a number of attempts (a whole number, 1 or more)",
            crate::text::sanitize(text)
        );
    };
    if n > MAX_ATTEMPTS {
        warnings.push(format!("{from} asks for {n} attempts at each STS call: making {MAX_ATTEMPTS}"));
        return Ok((MAX_ATTEMPTS, Some(from)));
    }
    Ok((n, Some(from)))
}

/// Colours a prompt can show: the eight ANSI names, or a 256-colour number.
pub const COLORS: [&str; 8] = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];

/// swrole's own profile keys (the AWS tools ignore unknown keys): `swrole_confirm = true`
/// asks before switching; `swrole_color = red` colours the prompt.
fn guardrail(
    set: &ProfileSet,
    paths: &Paths,
    selected: &str,
) -> Result<(bool, Option<String>, Option<String>)> {
    let Some(section) = set.profile(selected) else { return Ok((false, None, None)) };
    let confirm = match section.get("swrole_confirm") {
        None => false,
        Some(v) if v.text.eq_ignore_ascii_case("true") => true,
        Some(v) if v.text.eq_ignore_ascii_case("false") => false,
        Some(v) => bail!(
            "{}: swrole_confirm of profile {selected:?} is {:?}: use true or false",
            at(paths, v),
            v.text
        ),
    };
    let color = match section.get("swrole_color") {
        None => None,
        Some(v) if COLORS.contains(&v.text.as_str()) || v.text.parse::<u8>().is_ok() => Some(v.text.clone()),
        Some(v) => bail!(
            "{}: swrole_color of profile {selected:?} is {:?}: use one of {} or a number from 0 to 255",
            at(paths, v),
            v.text,
            COLORS.join(", ")
        ),
    };
    // IAM's rule for account aliases: 3 to 63 of a-z, 0-9 and -, not starting or ending with -.
    let alias = match section.get("swrole_account_alias") {
        None => None,
        Some(v)
            if (3..=63).contains(&v.text.len())
                && v.text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !v.text.starts_with('-')
                && !v.text.ends_with('-') =>
        {
            Some(v.text.clone())
        }
        Some(v) => bail!(
            "{}: swrole_account_alias of profile {selected:?} is {:?}: an account alias is 3 to 63 of a-z, 0-9 and -",
            at(paths, v),
            v.text
        ),
    };
    Ok((confirm, color, alias))
}

/// The region: `--region`, else the first profile along the chain (selected profile first)
/// that names one, else `AWS_REGION` / `AWS_DEFAULT_REGION` of the calling shell.
fn region(
    set: &ProfileSet,
    paths: &Paths,
    env: &Env,
    selected: &str,
    chain: &Chain,
    overrides: &Overrides,
) -> Result<Option<(String, String)>> {
    if let Some(r) = &overrides.region {
        if !valid_region(r) {
            bail!("--region {r:?} is not a region name (like eu-west-1)");
        }
        return Ok(Some((r.clone(), "--region".to_string())));
    }
    let names = std::iter::once(selected)
        .chain(chain.hops.iter().rev().map(|h| h.profile.as_str()))
        .chain(std::iter::once(chain.base.profile()));
    for name in names {
        if let Some(v) = set.profile(name).and_then(|s| s.get("region")) {
            if !valid_region(&v.text) {
                let hint = if v.text.starts_with(['"', '\'']) {
                    " (the AWS file format keeps quotes: write region = eu-west-1, without them)"
                } else {
                    ""
                };
                bail!(
                    "{}: region {:?} of profile {name:?} is not a region name (like eu-west-1){hint}",
                    at(paths, v),
                    v.text
                );
            }
            return Ok(Some((v.text.clone(), format!("profile {name:?}, {}", at(paths, v)))));
        }
    }
    Ok(["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .find_map(|var| env.get(var).filter(|r| valid_region(r)).map(|r| (r.to_string(), var.to_string()))))
}

/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`, else the profile's `ignore_configured_endpoint_urls`:
/// every configured endpoint is ignored.
fn endpoints_ignored(profile: Option<&Section>, env: &Env) -> bool {
    env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").map(|v| v.eq_ignore_ascii_case("true")).unwrap_or_else(
        || {
            profile
                .and_then(|p| p.text("ignore_configured_endpoint_urls"))
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        },
    )
}

/// The STS endpoint, chosen as the SDKs do: `AWS_ENDPOINT_URL_STS`, then the profile's
/// `[services]` section (`sts = \n endpoint_url = ...`), then `AWS_ENDPOINT_URL`, then the
/// profile's `endpoint_url`; none of them when `ignore_configured_endpoint_urls` is true.
fn endpoint(set: &ProfileSet, paths: &Paths, env: &Env, selected: &str) -> Result<Option<(String, String)>> {
    service_endpoint(set, paths, env, selected, "sts")
}

/// A service's endpoint by the same rules as STS's ([`endpoint`]): `AWS_ENDPOINT_URL_<ID>`,
/// the `[services]` section, `AWS_ENDPOINT_URL`, the profile's `endpoint_url` (`service`
/// is the lower-case service id: `sts`, `iam`).
pub fn service_endpoint(
    set: &ProfileSet,
    paths: &Paths,
    env: &Env,
    selected: &str,
    service: &str,
) -> Result<Option<(String, String)>> {
    Ok(endpoint_at(set, paths, env, selected, service)?.map(|(url, from, _)| (url, from)))
}

/// [`service_endpoint`], with the place in the files the URL was written (`None` for a
/// variable).
fn endpoint_at(
    set: &ProfileSet,
    paths: &Paths,
    env: &Env,
    selected: &str,
    service: &str,
) -> Result<Option<(String, String, Option<Origin>)>> {
    let profile = set.profile(selected);
    if endpoints_ignored(profile, env) {
        return Ok(None);
    }
    let from_env = |var: &str| env.get(var).map(|url| (url.to_string(), var.to_string(), None));
    let from_services = || {
        let name = profile?.text("services")?;
        let block = set.services.get(name)?.props.get(service)?;
        let url = parse::sub_properties(&block.text).into_iter().find(|(k, _)| k == "endpoint_url")?.1;
        Some((url, format!("[services {name}] {service}, {}", at(paths, block)), Some(block.origin)))
    };
    let from_profile = || {
        let v = profile?.get("endpoint_url")?;
        Some((
            v.text.clone(),
            format!("endpoint_url of profile {selected:?}, {}", at(paths, v)),
            Some(v.origin),
        ))
    };
    let var = format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase());
    let url =
        from_env(&var).or_else(from_services).or_else(|| from_env("AWS_ENDPOINT_URL")).or_else(from_profile);
    match url {
        Some((url, from, origin)) => {
            Ok(Some((check_url(&format!("{} endpoint", service.to_ascii_uppercase()), &url)?, from, origin)))
        }
        None => Ok(None),
    }
}

/// The endpoints the selected profile configures for every service, as the variables a
/// program without the AWS files needs to reach them (`exec --server` hides the files from
/// its job): the profile's `endpoint_url` as `AWS_ENDPOINT_URL`, each service of its
/// `[services]` section as `AWS_ENDPOINT_URL_<SERVICE>` (the SDKs' names: upper case,
/// spaces and dashes as `_`). Nothing when endpoints are ignored, and nothing a variable of
/// the caller already gives.
pub fn configured_endpoints(set: &ProfileSet, env: &Env, selected: &str) -> Vec<(String, String)> {
    let Some(profile) = set.profile(selected).filter(|p| !endpoints_ignored(Some(p), env)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(url) = profile.text("endpoint_url") {
        out.push(("AWS_ENDPOINT_URL".to_string(), url.to_string()));
    }
    if let Some(block) = profile.text("services").and_then(|name| set.services.get(name)) {
        for (service, value) in &block.props {
            if let Some((_, url)) =
                parse::sub_properties(&value.text).into_iter().find(|(k, _)| k == "endpoint_url")
            {
                let id: String = service
                    .chars()
                    .map(|c| if c == ' ' || c == '-' { '_' } else { c.to_ascii_uppercase() })
                    .collect();
                out.push((format!("AWS_ENDPOINT_URL_{id}"), url));
            }
        }
    }
    out.retain(|(var, url)| env.get(var).is_none() && check_url("endpoint", url).is_ok());
    out
}

/// Only `https://`, or `http://` to a loopback address (a local emulator): credentials
/// and MFA codes must not cross a network in clear text. The URL is parsed by the `url`
/// crate (WHATWG rules, as the HTTP client reads it) and the host it will connect to is
/// judged; a user name or password in the URL is refused outright, since `user@host` is
/// the classic way to make a URL look like it goes somewhere it does not. Used for every
/// endpoint swrole calls. Returns the URL as parsed (what is judged is what is sent).
pub fn check_endpoint(url: &str) -> Result<String> {
    check_url("STS endpoint", url)
}

/// [`check_endpoint`] for any endpoint, named `what` in the errors.
pub fn check_url(what: &str, text: &str) -> Result<String> {
    let shown = crate::text::sanitize(text);
    if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        bail!("{what} URL {shown:?} contains spaces or control characters");
    }
    let url =
        url::Url::parse(text).map_err(|e| anyhow::anyhow!("{what} {shown:?} is not a valid URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        bail!("{what} {shown:?} holds a user name or password (`user@host`): not allowed in an endpoint");
    }
    match url.scheme() {
        // The URL parser gives http(s) URLs a host or refuses them.
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => bail!("{what} {shown:?} uses plain http to a non-loopback host: use https"),
        _ => bail!("{what} {shown:?} is not an http(s) URL"),
    }
    // The text as written when the parser only added the root path, else the parsed form.
    let parsed = url.to_string();
    Ok(if parsed.trim_end_matches('/') == text.trim_end_matches('/') { text.to_string() } else { parsed })
}

/// Whether a URL's host is this machine's loopback interface.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_lower_case_names_of_at_most_64_bytes() {
        for good in ["eu-west-1", "us-gov-west-1", "a", &"a".repeat(64), "cn-north-1"] {
            assert!(valid_region(good), "{good}");
        }
        for bad in ["", &"a".repeat(65), "EU-west-1", "eu_west_1", "eu-west-1 ", "eu/west", "ü"] {
            assert!(!valid_region(bad), "{bad}");
        }
    }

    #[test]
    fn session_names() {
        assert_eq!(default_session_name(&Env::from_pairs([("USER", "alice")])), "alice");
        assert_eq!(default_session_name(&Env::from_pairs([("USER", "d o$e")])), "d-o-e");
        assert_eq!(default_session_name(&Env::default()), "swrole");
        assert_eq!(default_session_name(&Env::from_pairs([("USER", "x")])), "swrole-x");
        assert_eq!(default_session_name(&Env::from_pairs([("USER", "xy")])), "xy", "two is enough");
        assert_eq!(default_session_name(&Env::from_pairs([("USER", "a".repeat(100))])).len(), 64);
    }

    /// Issue 31, item 5: the URL rule as a table — ports, IPv6, IDNA, trailing dots,
    /// upper-case schemes, encoded and decimal hosts.
    #[test]
    fn the_url_rule_table() {
        for good in [
            "http://127.0.0.1:8080",
            "HTTP://127.0.0.1:5000/",
            "http://[::1]:8080/",
            "http://[0:0:0:0:0:0:0:1]/",
            "http://2130706433/",
            "https://sts.example.com:8443",
            "HTTPS://STS.EXAMPLE.COM",
            "https://sts.xn--bcher-kva.example/",
            "https://sts.bücher.example/",
            "https://sts.example.com./",
        ] {
            assert!(check_url("STS endpoint", good).is_ok(), "{good}");
        }
        for bad in [
            "http://sts.example.com:8080",
            "HTTP://sts.example.com:80/",
            "http://sts.example.com.:8080/",
            // `localhost.` is a name for DNS to resolve, not the loopback name: refused.
            "http://localhost.:5000/",
            "http://[::2]:8080/",
            "http://[::ffff:10.0.0.1]/",
            "http://10.0.0.1:8080/",
            "http://0.0.0.0:8080/",
            "http://127.0.0.1.nip.io:8080/",
            "http://xn--bcher-kva.example:8080/",
            "http://bücher.example/",
            "http://localhost@sts.example.com:8080/",
            "http://%31%32%37.0.0.1.example.com/",
            "ftp://127.0.0.1/",
            "sts.example.com:8080",
        ] {
            assert!(check_url("STS endpoint", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoints() {
        for good in [
            "http://127.0.0.1:5000",
            "http://localhost:5000/",
            "http://LOCALHOST:5000/",
            "http://[::1]:5000/",
            "http://127.1.2.3/",
            "https://sts.example.com",
        ] {
            assert!(check_endpoint(good).is_ok(), "{good}");
        }
        for bad in [
            "http://sts.example.com",
            "http://127.0.0.1.evil.com/",
            "ftp://x",
            // userinfo: the host is what follows the @
            "http://127.0.0.1:@sts.example.net/",
            "http://127.0.0.1@sts.example.net/",
            "http://localhost:5000@evil.example/",
            "http://user:pass@127.0.0.1:5000/",
            "https://user@sts.amazonaws.com/",
            "http://[::1]@evil.example/",
            "http://127.0.0.1 /",
            "http://127.0.0.1/\n",
            "http://localhost.evil.example/",
            "http://0x7f000001.evil/",
            "https://",
            // The URL parser would drop a leading space and escape DEL: refused before it.
            " https://sts.example.com",
            "https://sts.example.com/\u{7f}",
        ] {
            assert!(check_endpoint(bad).is_err(), "{bad} was accepted");
        }
        let e = check_endpoint("http://sts.example.com").unwrap_err().to_string();
        assert!(e.ends_with("uses plain http to a non-loopback host: use https"), "{e}");
        let e = check_url("federation endpoint", "ftp://x").unwrap_err().to_string();
        assert_eq!(e, "federation endpoint \"ftp://x\" is not an http(s) URL");
        assert_eq!(check_endpoint("http://127.0.0.1:5000").unwrap(), "http://127.0.0.1:5000");
        assert_eq!(check_endpoint("http://127.1:5000").unwrap(), "http://127.0.0.1:5000/");
        // A backslash is a path separator to the URL parser: the host stays loopback, and
        // the normalized URL is what is sent.
        assert_eq!(
            check_endpoint("http://127.0.0.1\\@evil.example/").unwrap(),
            "http://127.0.0.1/@evil.example/"
        );
    }

    #[test]
    fn mfa_routes() {
        use CodeReason::*;
        assert_eq!(MfaRoute::decide(true, true, true, None), MfaRoute::Session);
        assert_eq!(MfaRoute::decide(true, true, true, Some(3600)), MfaRoute::Session);
        assert_eq!(MfaRoute::decide(true, true, true, Some(3601)), MfaRoute::Code(LongerThanAnHour(3601)));
        assert_eq!(MfaRoute::decide(true, true, false, None), MfaRoute::Code(CacheOff));
        assert_eq!(MfaRoute::decide(false, true, true, None), MfaRoute::Code(NotLongTermKeys));
        assert_eq!(MfaRoute::decide(true, false, true, None), MfaRoute::Code(NotLongTermKeys));
    }

    fn plan_of(config: &str, credentials: &str, profile: &str, overrides: &Overrides) -> Plan {
        let paths = Paths { config: "/c".into(), credentials: "/k".into() };
        let set = ProfileSet::from_texts(config, credentials, &paths).unwrap();
        let chain = crate::chain::resolve(&set, profile).unwrap();
        plan(&set, &paths, &Env::default(), profile, chain, overrides).unwrap()
    }

    #[test]
    fn routes_in_plans() {
        let config = "[profile a]\nsource_profile = u\nrole_arn = arn:aws:iam::111111111111:role/a\n\
                      mfa_serial = arn:aws:iam::123456789012:mfa/me\n\
                      [profile b]\nsource_profile = a\nrole_arn = arn:aws:iam::222222222222:role/b\n\
                      mfa_serial = arn:aws:iam::123456789012:mfa/me\n\
                      [profile long]\nsource_profile = u\nrole_arn = arn:aws:iam::111111111111:role/a\n\
                      mfa_serial = arn:aws:iam::123456789012:mfa/me\nduration_seconds = 7200\n\
                      [profile t]\nsource_profile = tmp\nrole_arn = arn:aws:iam::111111111111:role/a\n\
                      mfa_serial = arn:aws:iam::123456789012:mfa/me\n";
        let creds = "[u]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key = s\n\
                     [tmp]\naws_access_key_id = ASIAAAAAAAAAAAAAAAAA\naws_secret_access_key = s\naws_session_token = t\n";
        let route = |p: &str, o: &Overrides, i: usize| {
            plan_of(config, creds, p, o).hops[i].mfa.as_ref().unwrap().route
        };
        let on = Overrides::default();
        let off = Overrides { no_cache: true, ..Overrides::default() };
        assert_eq!(route("a", &on, 0), MfaRoute::Session);
        assert_eq!(route("a", &off, 0), MfaRoute::Code(CodeReason::CacheOff));
        assert_eq!(route("b", &on, 0), MfaRoute::Session);
        assert_eq!(route("b", &on, 1), MfaRoute::Code(CodeReason::NotLongTermKeys));
        assert_eq!(route("long", &on, 0), MfaRoute::Code(CodeReason::LongerThanAnHour(7200)));
        assert_eq!(route("t", &on, 0), MfaRoute::Code(CodeReason::NotLongTermKeys));
        // Keys kept in the key store are the user's long-term keys too.
        let stored = "[profile s]\nsource_profile = k\nrole_arn = arn:aws:iam::111111111111:role/a\n\
                      mfa_serial = arn:aws:iam::123456789012:mfa/me\n\
                      [profile k]\ncredential_process = swrole credential-process k\n";
        let plan = plan_of(stored, "", "s", &on);
        assert!(matches!(plan.base, Base::StoredKeys { .. }));
        assert_eq!(plan.hops[0].mfa.as_ref().unwrap().route, MfaRoute::Session);
        let short = Overrides { duration_seconds: Some(3600), ..Overrides::default() };
        assert_eq!(route("long", &short, 0), MfaRoute::Session, "--duration decides the route");
    }

    #[test]
    fn duration_bounds_are_inclusive() {
        assert_eq!(parse_duration("900"), Some(900));
        assert_eq!(parse_duration("43200"), Some(43_200));
        assert_eq!(parse_duration("899"), None);
        assert_eq!(parse_duration("43201"), None);
        assert_eq!(parse_duration("3600.5"), None);
    }

    #[test]
    fn the_selected_profiles_region_wins() {
        let config = "[profile r]\nsource_profile = b\nrole_arn = arn:aws:iam::111111111111:role/r\nregion = eu-west-1\n\
                      [profile m]\nsource_profile = b\nrole_arn = arn:aws:iam::111111111111:role/m\n\
                      [profile b]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key = s\nregion = us-west-2\n";
        let p = plan_of(config, "", "r", &Overrides::default());
        assert_eq!(p.region.as_deref(), Some("eu-west-1"));
        assert!(p.region_from.unwrap().starts_with("profile \"r\""));
        // Without one of its own, the base's.
        assert_eq!(plan_of(config, "", "m", &Overrides::default()).region.as_deref(), Some("us-west-2"));
        // --region wins over both.
        let o = Overrides { region: Some("ap-south-1".into()), ..Overrides::default() };
        assert_eq!(plan_of(config, "", "r", &o).region.as_deref(), Some("ap-south-1"));
    }

    fn endpoint_of(config: &str, env: &[(&str, &str)]) -> Option<String> {
        let paths = Paths { config: "/c".into(), credentials: "/k".into() };
        let set = ProfileSet::from_texts(config, "", &paths).unwrap();
        let chain = crate::chain::resolve(&set, "r").unwrap();
        plan(&set, &paths, &Env::from_pairs(env.iter().copied()), "r", chain, &Overrides::default())
            .unwrap()
            .endpoint
    }

    #[test]
    fn endpoint_precedence_and_ignore() {
        let base =
            "[profile r]\nrole_arn = arn:aws:iam::111111111111:role/r\ncredential_source = Environment\n";
        let with_profile = format!("{base}endpoint_url = https://profile.example\n");
        let with_services = format!(
            "{base}endpoint_url = https://profile.example\nservices = s\n[services s]\nsts =\n  endpoint_url = https://services.example\n"
        );
        let sts = ("AWS_ENDPOINT_URL_STS", "https://sts-env.example");
        let all = ("AWS_ENDPOINT_URL", "https://all-env.example");
        assert_eq!(endpoint_of(&with_services, &[sts, all]).as_deref(), Some("https://sts-env.example"));
        assert_eq!(endpoint_of(&with_services, &[all]).as_deref(), Some("https://services.example"));
        assert_eq!(endpoint_of(&with_profile, &[all]).as_deref(), Some("https://all-env.example"));
        assert_eq!(endpoint_of(&with_profile, &[]).as_deref(), Some("https://profile.example"));
        assert_eq!(endpoint_of(base, &[]), None);
        // ignore_configured_endpoint_urls, in the profile or the environment: none at all.
        let ignored =
            with_services.replace("services = s\n", "services = s\nignore_configured_endpoint_urls = true\n");
        assert_eq!(endpoint_of(&ignored, &[sts, all]), None);
        let ignore_env = ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
        assert_eq!(endpoint_of(&with_services, &[sts, all, ignore_env]), None);
        // The environment's "false" wins over the profile's "true".
        let keep = ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false");
        assert_eq!(endpoint_of(&ignored, &[sts, keep]).as_deref(), Some("https://sts-env.example"));
    }

    const USER: &str = "[u]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key = s\n";

    /// The plan of `profile` in `config` (credentials file `credentials`), or its error.
    fn try_plan(
        config: &str,
        credentials: &str,
        profile: &str,
        env: &[(&str, &str)],
        o: &Overrides,
    ) -> Result<Plan> {
        let paths = Paths { config: "/c".into(), credentials: "/k".into() };
        let set = ProfileSet::from_texts(config, credentials, &paths).unwrap();
        let chain = crate::chain::resolve(&set, profile).unwrap();
        plan(&set, &paths, &Env::from_pairs(env.iter().copied()), profile, chain, o)
    }

    /// Profile `r` (line 1), a role of user `u`, with `extra` from line 4 of /c.
    fn plan_r(extra: &str) -> Result<Plan> {
        let config =
            format!("[profile r]\nsource_profile = u\nrole_arn = arn:aws:iam::111111111111:role/r\n{extra}");
        try_plan(&config, USER, "r", &[], &Overrides::default())
    }

    fn error_of(result: Result<Plan>) -> String {
        format!("{:#}", result.expect_err("refused"))
    }

    /// The profiles of `config` and `credentials` as `plan` sees them.
    fn files(config: &str, credentials: &str) -> (ProfileSet, Paths) {
        let paths = Paths { config: "/c".into(), credentials: "/k".into() };
        (ProfileSet::from_texts(config, credentials, &paths).unwrap(), paths)
    }

    #[test]
    fn session_name_flag_bounds_and_the_login_name() {
        let env = Env::from_pairs([("USER", "alice")]);
        let flag = |n: &str| Overrides { session_name: Some(n.to_string()), ..Overrides::default() };
        assert_eq!(session_name(&Overrides::default(), &env).unwrap(), "alice");
        for good in ["ab", &"a".repeat(64), "a+=,.@-_9"] {
            assert_eq!(session_name(&flag(good), &env).unwrap(), good);
        }
        for bad in ["a", &"a".repeat(65), "a b", "a/b"] {
            let e = session_name(&flag(bad), &env).unwrap_err().to_string();
            assert!(e.starts_with(&format!("--session-name {bad:?} is not valid")), "{e}");
        }
    }

    #[test]
    fn base_kinds() {
        let (set, _) = files(
            "[profile t]\naws_access_key_id = A\naws_secret_access_key = s\naws_session_token = t\n",
            USER,
        );
        let kind = |base: Base| BaseKind::of(&set, &base);
        let keys = |p: &str| Base::StaticKeys { profile: p.to_string() };
        assert_eq!(kind(keys("u")), BaseKind { role_session: false, long_term: true, login: false });
        assert_eq!(
            kind(keys("t")),
            BaseKind { role_session: false, long_term: false, login: false },
            "a session token"
        );
        for source in [CredentialSource::Ec2InstanceMetadata, CredentialSource::EcsContainer] {
            let base = Base::CredentialSource { profile: "x".into(), source };
            assert_eq!(kind(base), BaseKind { role_session: true, long_term: false, login: false });
        }
        let env = Base::CredentialSource { profile: "x".into(), source: CredentialSource::Environment };
        assert_eq!(kind(env), BaseKind { role_session: false, long_term: false, login: false });
    }

    #[test]
    fn hop_durations_by_flag_profile_and_chaining() {
        let (set, paths) =
            files("[profile r]\nduration_seconds = 7200\n[profile bad]\nduration_seconds = 1h\n", "");
        let r = set.profile("r").unwrap();
        let run = |flag: Option<u32>, chained: bool| {
            let mut warnings = Vec::new();
            let d = hop_duration(&paths, "r", r, flag, chained, &mut warnings).unwrap();
            (d, warnings.len())
        };
        assert_eq!(run(None, false), (Some(7200), 0), "the profile's value");
        assert_eq!(run(Some(900), false), (Some(900), 0), "the flag wins");
        assert_eq!(run(None, true), (Some(3600), 1), "chained: capped and said");
        assert_eq!(run(Some(3600), true), (Some(3600), 0), "at the cap: nothing to say");
        assert_eq!(run(Some(3601), true), (Some(3600), 1), "one past the cap");
        let (empty, _) = files("[profile e]\n", "");
        let mut warnings = Vec::new();
        assert_eq!(
            hop_duration(&paths, "e", empty.profile("e").unwrap(), None, true, &mut warnings).unwrap(),
            None
        );
        let e = hop_duration(&paths, "bad", set.profile("bad").unwrap(), Some(900), false, &mut warnings)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("/c:4: duration_seconds of profile \"bad\" is \"1h\""),
            "checked even with a flag: {e}"
        );
    }

    #[test]
    fn mfa_process_lookup_and_base_key_checks_directly() {
        let (set, paths) = files("[profile a]\nmfa_process = a-cmd\n[profile b]\n", USER);
        assert_eq!(mfa_process(&set, &paths, "a", "b"), Some(("a-cmd".into(), "profile \"a\", /c:2".into())));
        assert_eq!(mfa_process(&set, &paths, "b", "a"), Some(("a-cmd".into(), "profile \"a\", /c:2".into())));
        assert_eq!(mfa_process(&set, &paths, "b", "u"), None);
        let keys = |p: &str| Base::StaticKeys { profile: p.to_string() };
        assert!(check_base_keys(&set, &paths, &keys("u")).is_ok());
        assert!(check_base_keys(&set, &paths, &keys("missing")).is_ok(), "nothing written, nothing to check");
        let (bad, paths) = files("", "[u]\naws_access_key_id = SHORT\naws_secret_access_key = s\n");
        let e = check_base_keys(&bad, &paths, &keys("u")).unwrap_err().to_string();
        assert!(e.starts_with("/k:2: aws_access_key_id of profile \"u\""), "{e}");
    }

    #[test]
    fn ca_bundle_directly() {
        let (set, paths) = files(
            "[profile r]\nca_bundle = ~/ca.pem\n[profile n]\n[profile rel]\nca_bundle = repo/team-ca.pem\n",
            "",
        );
        let env = Env::from_pairs([("HOME", "/h")]);
        assert_eq!(
            ca_bundle(&set, &paths, &env, "r").unwrap(),
            Some(("/h/ca.pem".into(), "ca_bundle of profile \"r\", /c:2".into()))
        );
        assert_eq!(ca_bundle(&set, &paths, &env, "n").unwrap(), None);
        // A relative path would be exported as it is, and name another file in each directory.
        let e = ca_bundle(&set, &paths, &env, "rel").unwrap_err().to_string();
        assert!(
            e.starts_with("ca_bundle of profile \"rel\", /c:5: \"repo/team-ca.pem\" is a relative path"),
            "{e}"
        );
        let env = Env::from_pairs([("HOME", "/h"), ("AWS_CA_BUNDLE", "/e.pem")]);
        assert_eq!(
            ca_bundle(&set, &paths, &env, "n").unwrap(),
            Some(("/e.pem".into(), "AWS_CA_BUNDLE".into()))
        );
    }

    #[test]
    fn sts_limits_are_inclusive_and_one_past_is_refused_with_file_line_and_profile() {
        let a = |n: usize| "a".repeat(n);
        for (key, min, max, set) in [
            ("role_session_name", 2, 64, "+=,.@-"),
            ("external_id", 2, 1224, "+=,.@:/-"),
            ("mfa_serial", 9, 256, "+=/:,.@-"),
        ] {
            for good in [a(min), a(max), format!("{}{set}", a(min))] {
                assert!(plan_r(&format!("{key} = {good}\n")).is_ok(), "{key} = {good}");
            }
            for bad in [a(min - 1), a(max + 1), format!("{} b", a(min)), format!("{}!", a(min))] {
                let e = error_of(plan_r(&format!("{key} = {bad}\n")));
                assert!(
                    e.starts_with(&format!("/c:4: {key} of profile \"r\" is not valid")),
                    "{key} = {bad}: {e}"
                );
            }
        }
        let p = plan_r(
            "role_session_name = ab\nexternal_id = xy\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n",
        )
        .unwrap();
        assert_eq!((p.hops[0].session_name.as_str(), p.hops[0].external_id.as_deref()), ("ab", Some("xy")));
        assert_eq!(p.hops[0].mfa_serial(), Some("arn:aws:iam::123456789012:mfa/me"));

        for d in ["900", "43200"] {
            assert_eq!(
                plan_r(&format!("duration_seconds = {d}\n")).unwrap().hops[0].duration_seconds,
                d.parse().ok()
            );
        }
        for d in ["899", "43201", "1h", "-900"] {
            let e = error_of(plan_r(&format!("duration_seconds = {d}\n")));
            assert!(e.starts_with("/c:4: duration_seconds of profile \"r\" is"), "{d}: {e}");
        }

        let arn = |tail: &str| format!("[profile r]\nsource_profile = u\nrole_arn = {tail}\n");
        let o = Overrides::default();
        for good in [format!("arn:{}", a(16)), format!("arn:{}", a(2044))] {
            assert!(try_plan(&arn(&good), USER, "r", &[], &o).is_ok(), "{}", good.len());
        }
        for bad in [format!("arn:{}", a(15)), format!("arn:{}", a(2045)), format!("urn:{}", a(30))] {
            let e = error_of(try_plan(&arn(&bad), USER, "r", &[], &o));
            assert!(e.starts_with("/c:3: role_arn of profile \"r\" is not a role ARN"), "{}: {e}", bad.len());
        }
    }

    #[test]
    fn session_name_flag_is_checked_and_names_every_hop() {
        let config = "[profile a]\nsource_profile = u\nrole_arn = arn:aws:iam::111111111111:role/a\nrole_session_name = own\n\
                      [profile b]\nsource_profile = a\nrole_arn = arn:aws:iam::222222222222:role/b\n";
        let with = |name: &str| Overrides { session_name: Some(name.into()), ..Overrides::default() };
        for good in ["ab".to_string(), "a".repeat(64), "a_+=,.@-".to_string()] {
            let p = try_plan(config, USER, "b", &[], &with(&good)).unwrap();
            assert!(p.hops.iter().all(|h| h.session_name == good), "{good}");
        }
        for bad in ["a".to_string(), "a".repeat(65), "a b".to_string(), "a/b".to_string()] {
            let e = error_of(try_plan(config, USER, "b", &[], &with(&bad)));
            assert!(e.starts_with("--session-name"), "{bad}: {e}");
        }
        // Without the flag, each hop's own name, else the login name.
        let p = try_plan(config, USER, "b", &[("USER", "alice")], &Overrides::default()).unwrap();
        assert_eq!([p.hops[0].session_name.as_str(), p.hops[1].session_name.as_str()], ["own", "alice"]);
        assert_eq!(default_session_name(&Env::from_pairs([("USER", "a_b+c=d,e.f@g-h")])), "a_b+c=d,e.f@g-h");
    }

    #[test]
    fn durations_of_chained_roles_are_capped_and_the_flag_sets_the_last_hop() {
        let config = "[profile a]\nsource_profile = u\nrole_arn = arn:aws:iam::111111111111:role/a\nduration_seconds = 7200\n\
                      [profile b]\nsource_profile = a\nrole_arn = arn:aws:iam::222222222222:role/b\nduration_seconds = 7200\n\
                      [profile c]\nsource_profile = a\nrole_arn = arn:aws:iam::222222222222:role/c\nduration_seconds = 3600\n\
                      [profile e]\ncredential_source = Ec2InstanceMetadata\nrole_arn = arn:aws:iam::1:role/e\nduration_seconds = 7200\n\
                      [profile v]\ncredential_source = Environment\nrole_arn = arn:aws:iam::1:role/v\nduration_seconds = 7200\n";
        let o = Overrides::default();
        let durations = |p: &Plan| p.hops.iter().map(|h| h.duration_seconds).collect::<Vec<_>>();
        let b = try_plan(config, USER, "b", &[], &o).unwrap();
        assert_eq!(durations(&b), [Some(7200), Some(3600)], "the user's own role keeps 7200");
        assert_eq!(b.warnings.len(), 1);
        assert!(b.warnings[0].starts_with("profile \"b\" asks for 7200 s"), "{}", b.warnings[0]);
        let c = try_plan(config, USER, "c", &[], &o).unwrap();
        assert_eq!(
            (durations(&c), c.warnings.len()),
            (vec![Some(7200), Some(3600)], 0),
            "3600 is within the cap"
        );
        let e = try_plan(config, USER, "e", &[], &o).unwrap();
        assert_eq!(
            (durations(&e), e.warnings.len()),
            (vec![Some(3600)], 1),
            "instance role credentials chain"
        );
        let v = try_plan(config, USER, "v", &[], &o).unwrap();
        assert_eq!((durations(&v), v.warnings.len()), (vec![Some(7200)], 0), "environment keys do not");
        let flag = Overrides { duration_seconds: Some(1800), ..Overrides::default() };
        assert_eq!(durations(&try_plan(config, USER, "b", &[], &flag).unwrap()), [Some(7200), Some(1800)]);
    }

    #[test]
    fn mfa_process_of_the_hop_else_of_its_source() {
        let config = "[profile u]\nmfa_process = u-cmd\n\
                      [profile a]\nsource_profile = u\nrole_arn = arn:aws:iam::111111111111:role/a\nmfa_serial = arn:aws:iam::1:mfa/me\n\
                      [profile b]\nsource_profile = a\nrole_arn = arn:aws:iam::222222222222:role/b\nmfa_serial = arn:aws:iam::1:mfa/me\n\
                      [profile c]\nsource_profile = a\nrole_arn = arn:aws:iam::222222222222:role/c\nmfa_serial = arn:aws:iam::1:mfa/me\nmfa_process = c-cmd\n\
                      [profile d]\nsource_profile = c\nrole_arn = arn:aws:iam::222222222222:role/d\nmfa_serial = arn:aws:iam::1:mfa/me\n";
        let process = |profile: &str, hop: usize| {
            let p = try_plan(config, USER, profile, &[], &Overrides::default()).unwrap();
            p.hops[hop].mfa.clone().unwrap().process
        };
        let at = |cmd: &str, name: &str, line: u32| {
            Some((cmd.to_string(), format!("profile {name:?}, /c:{line}")))
        };
        assert_eq!(process("a", 0), at("u-cmd", "u", 2));
        assert_eq!(process("b", 1), None, "a has none, and b's source is a");
        assert_eq!(process("c", 1), at("c-cmd", "c", 15));
        assert_eq!(process("d", 2), at("c-cmd", "c", 15), "the hop before it");
    }

    #[test]
    fn base_keys_are_checked_where_they_are_written() {
        let keys = |id: &str, extra: &str| {
            format!("[u]\naws_access_key_id = {id}\naws_secret_access_key = s\n{extra}")
        };
        let config = "[profile r]\nsource_profile = u\nrole_arn = arn:aws:iam::111111111111:role/r\n";
        let run = |creds: &str| try_plan(config, creds, "r", &[], &Overrides::default());
        for good in ["A".repeat(16), "A".repeat(128)] {
            assert!(run(&keys(&good, "aws_account_id = 123456789012\n")).is_ok(), "{}", good.len());
        }
        for bad in ["A".repeat(15), "A".repeat(129), "AKIA-AAAAAAAAAAAAAAA".to_string()] {
            assert!(
                error_of(run(&keys(&bad, ""))).starts_with("/k:2: aws_access_key_id of profile \"u\""),
                "{bad}"
            );
        }
        let id = "AKIAAAAAAAAAAAAAAAAA";
        let long_secret =
            format!("[u]\naws_access_key_id = {id}\naws_secret_access_key = {}\n", "s".repeat(1025));
        assert!(
            error_of(run(&long_secret)).starts_with("/k:3: aws_secret_access_key of profile \"u\" is longer")
        );
        assert!(
            run(&format!("[u]\naws_access_key_id = {id}\naws_secret_access_key = {}\n", "s".repeat(1024)))
                .is_ok()
        );
        let token = |n: usize| keys(id, &format!("aws_session_token = {}\n", "t".repeat(n)));
        assert!(run(&token(16 * 1024)).is_ok());
        assert!(
            error_of(run(&token(16 * 1024 + 1)))
                .starts_with("/k:4: aws_session_token of profile \"u\" is longer")
        );
        for bad in ["12345678901", "1234567890123", "12345678901a"] {
            let e = error_of(run(&keys(id, &format!("aws_account_id = {bad}\n"))));
            assert!(
                e.starts_with("/k:4: aws_account_id of profile \"u\" is not an account id"),
                "{bad}: {e}"
            );
        }
        for bad in ["s s", "s\"s", "s's", "s\u{7}s"] {
            let e = error_of(run(&format!("[u]\naws_access_key_id = {id}\naws_secret_access_key = {bad}\n")));
            assert!(e.starts_with("/k:3: aws_secret_access_key of profile \"u\" contains"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn account_aliases() {
        for good in ["abc", "acme-prod", &"a".repeat(63), "p2"] {
            let p = plan_r(&format!("swrole_account_alias = {good}\n"));
            if good.len() < 3 {
                assert!(error_of(p).starts_with("/c:4: swrole_account_alias"), "{good}");
            } else {
                assert_eq!(p.unwrap().account_alias.as_deref(), Some(good));
            }
        }
        for bad in ["Acme", "-acme", "acme-", &"a".repeat(64), "a b", "ab"] {
            assert!(
                error_of(plan_r(&format!("swrole_account_alias = {bad}\n")))
                    .starts_with("/c:4: swrole_account_alias"),
                "{bad}"
            );
        }
        assert_eq!(plan_r("").unwrap().account_alias, None);
    }

    #[test]
    fn guardrail_values() {
        for (text, confirm) in [("true", true), ("TRUE", true), ("false", false), ("False", false)] {
            assert_eq!(plan_r(&format!("swrole_confirm = {text}\n")).unwrap().confirm, confirm, "{text}");
        }
        assert!(!plan_r("").unwrap().confirm);
        assert!(
            error_of(plan_r("swrole_confirm = yes\n")).starts_with("/c:4: swrole_confirm of profile \"r\"")
        );
        for good in ["red", "white", "0", "255"] {
            assert_eq!(plan_r(&format!("swrole_color = {good}\n")).unwrap().color.as_deref(), Some(good));
        }
        for bad in ["pink", "256", "-1", "Red"] {
            assert!(
                error_of(plan_r(&format!("swrole_color = {bad}\n"))).starts_with("/c:4: swrole_color"),
                "{bad}"
            );
        }
    }

    #[test]
    fn ca_bundle_from_the_environment_before_the_profile() {
        let config = "[profile r]\nsource_profile = u\nrole_arn = arn:aws:iam::111111111111:role/r\nca_bundle = ~/ca.pem\n";
        let o = Overrides::default();
        let p = try_plan(config, USER, "r", &[("HOME", "/h")], &o).unwrap();
        assert_eq!(p.ca_bundle, Some(("/h/ca.pem".into(), "ca_bundle of profile \"r\", /c:4".into())));
        let p = try_plan(config, USER, "r", &[("HOME", "/h"), ("AWS_CA_BUNDLE", "~/env.pem")], &o).unwrap();
        assert_eq!(p.ca_bundle, Some(("/h/env.pem".into(), "AWS_CA_BUNDLE".into())));
        assert_eq!(plan_r("").unwrap().ca_bundle, None);
    }

    #[test]
    fn regions_along_the_chain_then_the_environment() {
        let config = "[profile a]\nsource_profile = u\nrole_arn = arn:aws:iam::111111111111:role/a\nregion = eu-west-3\n\
                      [profile b]\nsource_profile = a\nrole_arn = arn:aws:iam::222222222222:role/b\n\
                      [profile u]\nregion = us-east-2\n";
        let o = Overrides::default();
        let region = |profile: &str, env: &[(&str, &str)]| {
            let p = try_plan(config, USER, profile, env, &o).unwrap();
            p.region.zip(p.region_from)
        };
        assert_eq!(
            region("b", &[]),
            Some(("eu-west-3".into(), "profile \"a\", /c:4".into())),
            "nearest hop first"
        );
        let plain = "[profile r]\nsource_profile = u\nrole_arn = arn:aws:iam::111111111111:role/r\n";
        let env_region = |env: &[(&str, &str)]| try_plan(plain, USER, "r", env, &o).unwrap().region;
        assert_eq!(
            env_region(&[("AWS_REGION", "ap-south-1"), ("AWS_DEFAULT_REGION", "us-west-1")]).as_deref(),
            Some("ap-south-1")
        );
        assert_eq!(
            env_region(&[("AWS_REGION", "Bad Region"), ("AWS_DEFAULT_REGION", "us-west-1")]).as_deref(),
            Some("us-west-1")
        );
        assert_eq!(env_region(&[]), None);
        assert_eq!(
            plan_r(&format!("region = {}\n", "a".repeat(64))).unwrap().region.map(|r| r.len()),
            Some(64)
        );
        for bad in ["a".repeat(65), "EU-west-1".into(), "eu_west_1".into()] {
            let e = error_of(plan_r(&format!("region = {bad}\n")));
            assert!(e.starts_with("/c:4: region") && !e.contains("quotes"), "{bad}: {e}");
        }
        assert!(error_of(plan_r("region = \"eu-west-1\"\n")).contains("keeps quotes"));
        let flag = |r: &str| {
            try_plan(plain, USER, "r", &[], &Overrides { region: Some(r.into()), ..Overrides::default() })
        };
        assert!(error_of(flag("")).starts_with("--region"));
        assert_eq!(flag("eu-north-1").unwrap().region_from.as_deref(), Some("--region"));
    }

    #[test]
    fn attempts_from_the_environment_then_the_profile() {
        let o = Overrides::default();
        let config = "[profile r]\nsource_profile = u\nrole_arn = arn:aws:iam::111111111111:role/r\nmax_attempts = 5\n";
        let attempts =
            |env: &[(&str, &str)]| try_plan(config, USER, "r", env, &o).map(|p| (p.attempts, p.warnings));
        assert_eq!(plan_r("").unwrap().attempts, (DEFAULT_ATTEMPTS, None));
        assert_eq!(attempts(&[]).unwrap().0, (5, Some("max_attempts of profile \"r\", /c:4".into())));
        assert_eq!(attempts(&[("AWS_MAX_ATTEMPTS", "1")]).unwrap().0, (1, Some("AWS_MAX_ATTEMPTS".into())));
        assert_eq!(
            attempts(&[("AWS_MAX_ATTEMPTS", "10")]).unwrap(),
            ((10, Some("AWS_MAX_ATTEMPTS".into())), vec![])
        );
        let (capped, warnings) = attempts(&[("AWS_MAX_ATTEMPTS", "11")]).unwrap();
        assert_eq!(capped, (MAX_ATTEMPTS, Some("AWS_MAX_ATTEMPTS".into())));
        assert_eq!(warnings, ["AWS_MAX_ATTEMPTS asks for 11 attempts at each STS call: making 10"]);
        for bad in ["0", "-1", "three", "2.5"] {
            let e = format!("{:#}", attempts(&[("AWS_MAX_ATTEMPTS", bad)]).unwrap_err());
            assert_eq!(
                e,
                format!("AWS_MAX_ATTEMPTS: {bad:?} is not a number of attempts (a whole number, 1 or more)")
            );
        }
        let e = error_of(plan_r("max_attempts = 0\n"));
        assert!(e.starts_with("max_attempts of profile \"r\", /c:4: \"0\" is not a number"), "{e}");
    }

    #[test]
    fn accounts() {
        assert_eq!(account_of("arn:aws:iam::210987654321:role/x"), Some("210987654321"));
        assert_eq!(account_of("myrole"), None);
        assert_eq!(account_of("arn:aws:iam::21098765432:role/x"), None, "11 digits");
        assert_eq!(plan_r("").unwrap().hops[0].account(), Some("111111111111"));
    }
    /// Sign-in secrets go to AWS's own endpoint for the region, or to one the member chose;
    /// an endpoint written in a block swrole manages for a team is refused for them.
    #[test]
    fn sign_in_endpoints_from_a_managed_block_are_refused() {
        let config = "[profile mine]\nsso_session = corp\nendpoint_url = https://mine.example\n\
                      [profile team]\nsso_session = corp\nendpoint_url = https://capture.example\n\
                      [profile team-aws]\nendpoint_url = https://portal.sso.eu-west-1.amazonaws.com\nservices = t\n\
                      [services t]\nsignin =\n  endpoint_url = https://capture.example/signin\n";
        let (mut set, paths) = files(config, "");
        set.managed = vec![(4, 12, "team web".into())];
        let env = Env::from_pairs([("HOME", "/h")]);
        // The member's own section: theirs to choose.
        assert_eq!(sso_endpoints(&set, &paths, &env, "mine", "eu-west-1").unwrap().0, "https://mine.example");
        let e = sso_endpoints(&set, &paths, &env, "team", "eu-west-1").unwrap_err().to_string();
        assert!(
            e.starts_with("endpoint_url of profile \"team\", /c:6: the sign-in endpoint https://capture.example comes from team web's block"),
            "{e}"
        );
        // AWS's own host for the region is fine from anywhere; the portal check is per service.
        assert!(
            sso_endpoints(&set, &paths, &env, "team-aws", "eu-west-1").is_err(),
            "the OIDC host is another"
        );
        let e = signin_endpoint(&set, &paths, &env, "team-aws", Some("eu-west-1")).unwrap_err().to_string();
        assert!(
            e.starts_with("[services t] signin, /c:11: the sign-in endpoint https://capture.example/signin"),
            "{e}"
        );
        // A variable is the member's choice, wherever the profile is.
        let env = Env::from_pairs([
            ("AWS_ENDPOINT_URL_SSO_OIDC", "http://127.0.0.1:9"),
            ("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:9"),
        ]);
        assert_eq!(sso_endpoints(&set, &paths, &env, "team", "eu-west-1").unwrap().0, "http://127.0.0.1:9");
        // A CA written in the block is refused for a sign-in too; the member's variable is theirs.
        let ca = format!("{config}[profile team-ca]\nsso_session = corp\nca_bundle = /etc/team-ca.pem\n");
        let (mut set, paths) = files(&ca, "");
        set.managed = vec![(4, 15, "team web".into())];
        let home = Env::from_pairs([("HOME", "/h")]);
        let e = sso_endpoints(&set, &paths, &home, "team-ca", "eu-west-1").unwrap_err().to_string();
        assert!(e.starts_with("ca_bundle of profile \"team-ca\", /c:15: the certificate authorities of a sign-in come from team web's block"), "{e}");
        assert!(signin_endpoint(&set, &paths, &home, "team-ca", Some("eu-west-1")).is_err());
        let own_ca = Env::from_pairs([("HOME", "/h"), ("AWS_CA_BUNDLE", "/mine.pem")]);
        assert!(sso_endpoints(&set, &paths, &own_ca, "team-ca", "eu-west-1").is_ok());
        // Without managed lines known, nothing is refused (the member's file, as before).
        let (set, paths) = files(config, "");
        assert!(sso_endpoints(&set, &paths, &Env::from_pairs([("HOME", "/h")]), "team", "eu-west-1").is_ok());
    }
    /// `--write` lifts the session policy of the hop it asks for (the selected profile's) and
    /// of no other: a read-only hop below it stays read-only.
    #[test]
    fn write_drops_only_the_selected_hop_s_policy() {
        let config = "[profile mid]\nsource_profile = u\nrole_arn = arn:aws:iam::111111111111:role/mid\n\
                      swrole_session_policy = readonly\n\
                      [profile top]\nsource_profile = mid\nrole_arn = arn:aws:iam::222222222222:role/top\n\
                      swrole_session_policy = readonly\n";
        let read = try_plan(config, USER, "top", &[], &Overrides::default()).unwrap();
        assert!(read.hops[0].policy.is_some() && read.hops[1].policy.is_some());
        let o = Overrides { write: true, reason: Some("fix".into()), ..Overrides::default() };
        let write = try_plan(config, USER, "top", &[], &o).unwrap();
        assert!(write.hops[1].policy.is_none(), "the asked-for hop gets write access");
        assert!(write.hops[0].policy.is_some(), "the hop below keeps its session policy");
        // The hop below, selected itself, is the one lifted.
        let mid = try_plan(config, USER, "mid", &[], &o).unwrap();
        assert!(mid.hops[0].policy.is_none());
    }
}
