//! One switch, end to end: files → chain → plan → MFA → STS → credentials. The terminal
//! and the network are reached from here only through `prompt` and `sts`.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use serde_json::json;

use crate::cache::{self, Cache, Entry, Kind};
use crate::chain::{self, Base, ChainError, CredentialSource, DelegatedKind};
use crate::config::{Paths, ProfileSet};
use crate::credentials::Credentials;
use crate::env::Env;
use crate::mfa::Source;
use crate::options::Options;
use crate::plan::{self, CHAINED_MAX_DURATION, CodeReason, MfaRoute, Plan};
use crate::sts::{self, MfaCode};
use crate::tty;

/// Everything a command needs to know about the files.
pub struct Files {
    pub paths: Paths,
    pub set: ProfileSet,
}

impl Files {
    pub fn load(env: &Env) -> Result<Files> {
        let paths = Paths::from_env(env)?;
        let config = crate::config::read_file(&paths.config)?;
        let credentials = crate::config::read_file(&paths.credentials)?;
        let mut set = ProfileSet::from_texts(&config, &credentials, &paths)?;
        // Which lines swrole manages for a team or for IAM Identity Center, from the text just
        // read: an endpoint or CA written there is not the member's choice for a sign-in
        // (plan::check_sign_in_destination).
        set.managed = crate::team::managed_lines(&config);
        Ok(Files { paths, set })
    }

    /// Resolve and validate `profile`, or say why not in terms of the files.
    pub fn plan(&self, env: &Env, profile: &str, opts: &Options) -> Result<Plan> {
        let chain = chain::resolve(&self.set, profile).map_err(|e| self.explain(e))?;
        plan::plan(&self.set, &self.paths, env, profile, chain, &opts.overrides())
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
pub fn closest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    closest_names(name, names).into_iter().map(|n| format!("{n:?}")).collect()
}

/// Up to three profile names close to `name`, closest first.
pub fn closest_names<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
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
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

fn say(args: &Options, text: impl FnOnce() -> String) {
    if args.verbose {
        eprintln!("swrole: {}", crate::text::printable(&text()));
    }
}

/// What a switch works out before it may touch the cache or the network: the plan, the
/// cache (with the refresh margin) and the cache key of the role credentials.
pub struct Prepared {
    pub plan: Plan,
    pub cache: Option<Cache>,
    pub key: String,
    pub source: serde_json::Value,
}

/// Plan `profile` and find its cache entry's name: the loop guard, the plan's warnings,
/// the MFA code's shape, the `swrole_confirm` question and the margin clamp (said unless
/// `quiet`). Everything that can fail without the network fails here.
pub fn prepare(files: &Files, env: &Env, profile: &str, args: &Options) -> Result<Prepared> {
    if !args.renewal {
        guard_process_loop(env, profile)?;
    }
    let plan = files.plan(env, profile, args)?;
    if !args.quiet {
        for w in &plan.warnings {
            eprintln!("swrole: warning: {}", crate::text::printable(w));
        }
    }
    if let Some(code) = &args.token_code {
        crate::mfa::normalize(code)?;
    }
    let mut plan = plan;
    read_policies(&mut plan)?;
    if plan.confirm && !args.yes {
        confirm(&plan, profile, args.purpose)?;
    }
    if plan.access == Some(crate::safety::Access::Write) && plan.reason.is_none() {
        plan.reason = Some(ask_reason(profile, &plan)?);
    }
    // A margin as long as the role's session would renew it at every call: clamp it to
    // half the session, and say so.
    let life = plan.hops.last().and_then(|h| h.duration_seconds).unwrap_or(CHAINED_MAX_DURATION);
    let margin =
        if plan.hops.is_empty() { args.refresh_margin } else { effective_margin(args.refresh_margin, life) };
    if margin != args.refresh_margin && !args.quiet {
        eprintln!(
            "swrole: the refresh margin ({} min) is not shorter than the role's {} min session: using {} min",
            args.refresh_margin / 60,
            life / 60,
            margin / 60
        );
    }
    // Long-term keys straight from the files are not worth caching; an IAM Identity Center
    // role's credentials are (each is a round trip to the portal, which may be away).
    let worth_caching =
        !plan.hops.is_empty() || matches!(plan.base, Base::Delegated { kind: DelegatedKind::Sso, .. });
    let cache = if args.no_cache || !worth_caching { None } else { Cache::locate(env, margin.into()) };
    let source = source_identity(&plan.base, &files.set, env);
    let key = role_key(&plan, &source);
    Ok(Prepared { plan, cache, key, source })
}

/// Each hop's session policy file, read and checked before any call (a policy STS would
/// refuse is an error here, with nothing sent).
fn read_policies(plan: &mut Plan) -> Result<()> {
    use crate::safety::Policy;
    for hop in &mut plan.hops {
        let Some(p) = hop.policy.as_mut() else { continue };
        let Policy::File(path) = &p.policy else { continue };
        let what = format!("the session policy {} (swrole_session_policy, {})", path.display(), p.from);
        p.policy = Policy::Json(crate::safety::read_policy_file(path, &what)?);
    }
    Ok(())
}

/// Why write access is needed: asked on the terminal, one line.
fn ask_reason(profile: &str, plan: &Plan) -> Result<String> {
    let account = plan.hops.last().and_then(|h| h.account()).unwrap_or("?");
    let t = tty::terminal(
        &format!("write access to profile {profile:?} needs a reason, asked on the terminal"),
        "pass it with --reason TEXT",
    )?;
    for _ in 0..3 {
        let answer = tty::ask_line(&t, &format!("why do you need write access to {profile} ({account})? "))?;
        match crate::safety::check_reason(&answer) {
            Ok(r) => return Ok(r),
            Err(e) => {
                use std::io::Write;
                let _ = writeln!(&t, "swrole: {e}");
            }
        }
    }
    bail!("write access to profile {profile:?}: no reason given")
}

/// The refresh margin a switch uses for credentials that live `life` seconds: the asked
/// margin, or half the life when the margin is not shorter (else every call would renew).
pub fn effective_margin(margin: u32, life: u32) -> u32 {
    if margin >= life { life / 2 } else { margin }
}

/// The credentials of `profile`: from the cache when it holds fresh ones (no SDK, no
/// runtime, no network), else the base and each AssumeRole in turn, then cached.
pub fn credentials(files: &Files, env: &Env, profile: &str, args: &Options) -> Result<(Plan, Credentials)> {
    credentials_prepared(files, env, profile, args, &prepare(files, env, profile, args)?)
}

/// [`credentials`] for a switch already [`prepare`]d.
pub fn credentials_prepared(
    files: &Files,
    env: &Env,
    profile: &str,
    args: &Options,
    prepared: &Prepared,
) -> Result<(Plan, Credentials)> {
    let Prepared { plan, cache, key, source } = prepared;
    let bound = bound(plan);
    let _lock = match &cache {
        Some(cache) => {
            if !args.refresh
                && let Some(hit) = warn(cache.get(key, Kind::Role, bound)).flatten()
            {
                say(args, || format!("credentials from the cache ({})", cache.dir().display()));
                return Ok((plan.clone(), hit.credentials()));
            }
            // Wait for another swrole making the same credentials, then look again; a switch
            // with its own MFA code does not wait for someone else's prompt.
            let lock = warn(cache.lock(
                key,
                LOCK_WAIT,
                &format!("credentials for profile {profile:?}"),
                args.token_code.is_some(),
            ))
            .flatten();
            if lock.is_some()
                && !args.refresh
                && let Some(hit) = warn(cache.get(key, Kind::Role, bound)).flatten()
            {
                say(args, || "credentials from the cache, made by another swrole".to_string());
                return Ok((plan.clone(), hit.credentials()));
            }
            lock
        }
        None => None,
    };
    let creds = fetch(files, env, plan, args, cache.as_ref(), source)?;
    if let Some(cache) = &cache
        && let Some(mut entry) =
            Entry::new(Kind::Role, key, profile, plan.hops.last().map(|h| h.role_arn.as_str()), &creds)
    {
        entry.session_name = plan.hops.last().map(|h| h.session_name.clone());
        entry.endpoint = plan.endpoint.clone();
        entry.duration = plan.hops.last().map(|h| h.duration_seconds.unwrap_or(CHAINED_MAX_DURATION));
        if let Err(e) = cache.put(key, &entry) {
            eprintln!("swrole: warning: the credentials were not cached: {e:#}");
        }
    }
    Ok((plan.clone(), creds))
}

/// What the cache entry of a plan's role credentials must have been made for.
pub fn bound(plan: &Plan) -> cache::Bound<'_> {
    cache::Bound { profile: Some(&plan.profile), role_arn: plan.hops.last().map(|h| h.role_arn.as_str()) }
}

/// The cache key of a plan's role credentials.
pub fn role_key(plan: &Plan, source: &serde_json::Value) -> String {
    cache::key_name(&json!({
        "kind": "role",
        "source": source,
        "endpoint": plan.endpoint,
        "hops": plan.hops.iter().map(|h| json!([h.role_arn, h.external_id, h.session_name, h.mfa_serial(), h.duration_seconds])).collect::<Vec<_>>(),
        // A read-only session and a write one are two entries; so are two policies.
        "safety": plan.hops.iter().map(|h| json!([
            h.policy.as_ref().map(|p| format!("{:?}", p.policy)),
            h.source_identity.as_ref().map(|s| format!("{s:?}")),
        ])).collect::<Vec<_>>(),
        "access": plan.access.map(|a| a.word()),
    }))
}

/// The cache key of the MFA session of a source identity and MFA device.
pub fn mfa_key(plan: &Plan, source: &serde_json::Value, serial: &str) -> String {
    cache::key_name(
        &json!({"kind": "mfa-session", "source": source, "serial": serial, "endpoint": plan.endpoint}),
    )
}

/// How long a switch waits for another one holding the same cache entry (which may be
/// waiting for an MFA code).
const LOCK_WAIT: Duration = Duration::from_secs(300);

/// The variable that carries the profiles of nested swrole calls made through
/// `credential_process` lines, like the AWS CLI's `_AWS_CLI_PROFILE_CHAIN`.
pub const PROCESS_CHAIN: &str = "SWROLE_CREDENTIAL_PROCESS_CHAIN";
const PROCESS_DEPTH: usize = 4;

/// Stop a profile whose credential_process calls swrole for itself (or a loop through
/// several), whatever the mode (switch, exec, explain --verify, credential-process): the
/// profiles being resolved travel to the children in [`PROCESS_CHAIN`].
fn guard_process_loop(env: &Env, profile: &str) -> Result<()> {
    let mut chain: Vec<String> =
        env.get(PROCESS_CHAIN).map(|c| c.split(',').map(str::to_string).collect()).unwrap_or_default();
    let looped = chain.iter().any(|p| p == profile);
    chain.push(profile.to_string());
    if looped || chain.len() > PROCESS_DEPTH {
        bail!(
            "credential_process calls swrole in a loop: {} (check the credential_process lines)",
            chain.join(" -> ")
        );
    }
    // SAFETY: no other thread exists yet (no runtime has been started, nothing spawned):
    // this process is single-threaded here, and the variable must reach the
    // credential_process children.
    unsafe { std::env::set_var(PROCESS_CHAIN, chain.join(",")) };
    Ok(())
}

/// A cache problem is worth a warning, never a failed switch.
fn warn<T>(result: Result<T>) -> Option<T> {
    result.map_err(|e| eprintln!("swrole: warning: {e:#}")).ok()
}

fn confirm(plan: &Plan, profile: &str, purpose: crate::options::Purpose) -> Result<()> {
    let tty = tty::terminal(
        &format!("profile {profile:?} asks for confirmation (swrole_confirm = true)"),
        "pass --yes to go ahead without asking",
    )?;
    if !tty::confirm(&tty, &question(plan, profile, purpose))? {
        bail!("{} profile {profile:?}: not confirmed", purpose.refused());
    }
    Ok(())
}

/// "switch to sw-production (account 111111111111 acme-prod, role admin)?": the account
/// first (roles of the same name live in every account), then the role's name when the
/// line still fits 80 columns with swrole's prefix and the `[y/N]`.
pub fn question(plan: &Plan, profile: &str, purpose: crate::options::Purpose) -> String {
    let hop = plan.hops.last();
    let mut about = Vec::new();
    match (hop.and_then(|h| h.account()), &plan.account_alias) {
        (Some(account), Some(alias)) => about.push(format!("account {account} {alias}")),
        (Some(account), None) => about.push(format!("account {account}")),
        (None, Some(alias)) => about.push(format!("account {alias}")),
        (None, None) => {}
    }
    let short = |about: &[String]| {
        let details = if about.is_empty() { String::new() } else { format!(" ({})", about.join(", ")) };
        format!("{} {profile}{details}?", purpose.verb())
    };
    let without_role = short(&about);
    if let Some((_, role)) = hop.and_then(|h| h.role_arn.split_once(":role/")) {
        let mut with_role = about.clone();
        with_role.push(format!("role {role}"));
        let line = short(&with_role);
        if "swrole: ".len() + line.chars().count() + " [y/N] ".len() <= 80 {
            return line;
        }
    }
    without_role
}

/// Who signs the first call, as far as the files and environment tell, without secrets:
/// part of every cache key, so that rotated keys or another source never share entries.
pub fn source_identity(base: &Base, set: &ProfileSet, env: &Env) -> serde_json::Value {
    match base {
        Base::StaticKeys { profile } => {
            json!({"static": profile, "key": set.profile(profile).and_then(|s| s.text("aws_access_key_id"))})
        }
        Base::CredentialSource { source: CredentialSource::Environment, .. } => {
            json!({"environment": env.get("AWS_ACCESS_KEY_ID")})
        }
        Base::CredentialSource { profile, source } => json!({"source": source.name(), "profile": profile}),
        // An IAM Identity Center role is bound to where it signs in, the account and the
        // role: another value in the profile is another entry.
        Base::Delegated { profile, kind: DelegatedKind::Sso } => {
            let section = set.profile(profile);
            let session = crate::sso::Session::of_profile(set, profile).ok().flatten();
            json!({
                "delegated": "Sso",
                "profile": profile,
                "start_url": session.as_ref().map(|s| s.start_url.clone()),
                "region": session.as_ref().map(|s| s.region.clone()),
                "role": section.and_then(crate::sso::role_of),
            })
        }
        Base::Delegated { profile, kind } => json!({"delegated": format!("{kind:?}"), "profile": profile}),
        Base::StoredKeys { profile } => json!({"stored": profile}),
        Base::LoginSession { session, .. } => json!({"login": session}),
    }
}

/// MFA codes, from the sources of [`crate::mfa::source`]: `--token-code` for the first,
/// then the hop's mfa_process, the terminal (opened when first needed) or a dialog.
struct Codes<'a> {
    /// Where to say "asking on the terminal" to other swroles.
    cache: Option<&'a Cache>,
    /// The last code was typed on the terminal (so a refused one can be asked again).
    typed: bool,
    flag: Option<String>,
    tty: Option<std::fs::File>,
    opts: &'a Options,
    env: &'a Env,
    /// The plan's base: on a login session, a person asked a second time is told why.
    base: &'a Base,
}

impl Codes<'_> {
    fn next(&mut self, profile: &str, mfa: &plan::Mfa) -> Result<MfaCode> {
        let serial = mfa.serial.as_str();
        let process = match &self.opts.mfa_process {
            Some(cmd) => Some((cmd.as_str(), "--mfa-process or SWROLE_MFA_PROCESS")),
            None => mfa.process.as_ref().map(|(c, f)| (c.as_str(), f.as_str())),
        };
        let source = crate::mfa::source(
            self.flag.is_some(),
            process,
            self.opts.mfa_prompt,
            self.env,
            self.tty.is_some() || crate::mfa::have_terminal(),
        );
        self.typed = matches!(source, Source::Terminal);
        if matches!(source, Source::Terminal | Source::Dialog(_))
            && mfa.route == MfaRoute::Code(CodeReason::LoginSession)
            && let Base::LoginSession { profile: base, .. } = &self.base
        {
            login_mfa_again(self.cache, base);
        }
        let code = match source {
            Source::Flag => self.flag.take().expect("a flag"),
            Source::Process { command, .. } => {
                crate::mfa::from_process(profile, &command, self.opts.mfa_timeout)?
            }
            Source::Dialog(d) => crate::mfa::ask_dialog(d, profile, serial, self.opts.mfa_timeout)?,
            Source::Terminal => {
                if self.tty.is_none() {
                    self.tty = Some(tty::terminal(&format!("profile {profile:?} needs an MFA code"), "")?);
                }
                let _prompting = self.cache.and_then(Cache::prompting);
                tty::ask_token_code(self.tty.as_ref().expect("opened above"), profile, serial)?
            }
            Source::Nowhere => {
                let instead = if self.opts.for_credential_process {
                    "switch once in a terminal to a profile behind the same MFA device (sw PROFILE): that caches an \
                     MFA session that serves this call for the day; or set mfa_process in the profile"
                } else {
                    "pass it with --token-code CODE, or set mfa_process in the profile"
                };
                let why = if matches!(self.opts.mfa_prompt, crate::options::Prompt::Never) {
                    "swrole is not to ask (SWROLE_MFA_PROMPT=never, or a renewal in the background)"
                } else {
                    "there is no terminal to ask on"
                };
                return Err(crate::mfa::NoCode(format!(
                    "profile {profile:?} needs an MFA code, but {why}: {instead}"
                ))
                .into());
            }
        };
        Ok(MfaCode { serial: serial.to_string(), code })
    }

    /// `call` with a code for `mfa`: a code STS refuses is asked again when it was typed on
    /// the terminal (three tries in all, as for a malformed one); from a flag, a command or a
    /// dialog, the refusal is the answer.
    fn with_code<T>(
        &mut self,
        profile: &str,
        mfa: &plan::Mfa,
        mut call: impl FnMut(&MfaCode) -> Result<T>,
    ) -> Result<T> {
        let mut tries = 0;
        loop {
            let code = self.next(profile, mfa)?;
            tries += 1;
            match call(&code) {
                Err(e) if tries < 3 && self.typed && e.downcast_ref::<sts::MfaRefused>().is_some() => {
                    if let Some(tty) = self.tty.as_mut() {
                        use std::io::Write;
                        let _ =
                            writeln!(tty, "swrole: STS refused that code; type the next one from the device");
                    }
                }
                other => return other,
            }
        }
    }
}

/// On a login session every role takes a code of its own (a login session cannot make the
/// MFA session that one code would serve): at the second question within the session's
/// 12 hours, one line says why, and what to change.
fn login_mfa_again(cache: Option<&Cache>, profile: &str) {
    let Some(cache) = cache else { return };
    let key = crate::login::hex(&<sha2::Sha256 as sha2::Digest>::digest(profile.as_bytes()));
    if cache.count(&format!("login-mfa.{key}"), 12 * 3600) == 2 {
        eprintln!(
            "swrole: {}",
            crate::text::printable(&format!(
                "a code again: each role on the login session of {profile:?} takes its own (a login session cannot \
                 make the MFA session one code would serve). If the roles' trust policies accept your sign-in's \
                 MFA, remove mfa_serial from them (docs/login.md, \"MFA and the roles' trust policy\")"
            ))
        );
    }
}

/// What the network path of one switch works with.
struct Network<'a> {
    plan: &'a Plan,
    args: &'a Options,
    source: &'a serde_json::Value,
    settings: sts::Settings,
    /// Started only when something is fetched.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Network<'_> {
    fn rt(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("a runtime when there is a network call")
    }

    /// The MFA session of the source identity and device: from the cache, or made now with
    /// one code (GetSessionToken) and cached for the next switch, in this terminal or
    /// another.
    fn mfa_session(
        &self,
        cache: &Cache,
        long_term: &Credentials,
        profile: &str,
        mfa: &plan::Mfa,
        codes: &mut Codes,
    ) -> Result<Credentials> {
        let serial = mfa.serial.as_str();
        let (plan, args) = (self.plan, self.args);
        let key = mfa_key(plan, self.source, serial);
        if !args.refresh
            && let Some(hit) = warn(cache.get(
                &key,
                Kind::MfaSession,
                cache::Bound { profile: Some(plan.base.profile()), role_arn: None },
            ))
            .flatten()
        {
            say(args, || format!("MFA session for {serial} from the cache"));
            return Ok(hit.credentials());
        }
        let _lock = warn(cache.lock(
            &key,
            LOCK_WAIT,
            &format!("an MFA session for {serial}"),
            args.token_code.is_some(),
        ))
        .flatten();
        if !args.refresh
            && let Some(hit) = warn(cache.get(
                &key,
                Kind::MfaSession,
                cache::Bound { profile: Some(plan.base.profile()), role_arn: None },
            ))
            .flatten()
        {
            return Ok(hit.credentials());
        }
        let mut session = codes.with_code(profile, mfa, |code| {
            say(args, || format!("GetSessionToken for {serial} ({} s)", args.mfa_session_duration));
            self.rt().block_on(sts::get_session_token(
                &self.settings,
                long_term,
                code,
                args.mfa_session_duration,
            ))
        })?;
        // The IAM user's ARN, remembered with the session, for a source identity.
        let wants_user =
            plan.hops.iter().any(|h| h.source_identity == Some(crate::safety::SourceIdentity::User));
        if wants_user && session.arn.is_none() {
            session.arn = Some(self.rt().block_on(sts::caller_identity(&self.settings, long_term))?);
        }
        if let Some(mut entry) = Entry::new(Kind::MfaSession, &key, plan.base.profile(), None, &session)
            && let Err(e) = {
                entry.serial = Some(serial.to_string());
                entry.endpoint = plan.endpoint.clone();
                entry.duration = Some(args.mfa_session_duration);
                cache.put(&key, &entry)
            }
        {
            eprintln!("swrole: warning: the MFA session was not cached: {e:#}");
        }
        Ok(session)
    }
}

/// The network path: base credentials, then each hop; the first hop behind an MFA device
/// goes through a cached MFA session when it can.
fn fetch(
    files: &Files,
    env: &Env,
    plan: &Plan,
    args: &Options,
    cache: Option<&Cache>,
    source: &serde_json::Value,
) -> Result<Credentials> {
    let needs_network = !plan.hops.is_empty()
        || !matches!(
            plan.base,
            Base::StaticKeys { .. }
                | Base::StoredKeys { .. }
                | Base::CredentialSource { source: CredentialSource::Environment, .. }
                | Base::Delegated { kind: DelegatedKind::CredentialProcess, .. }
        );
    let net = Network {
        plan,
        args,
        source,
        settings: if needs_network {
            sts::Settings::for_plan(plan, args)?
        } else {
            offline_settings(plan, args)
        },
        runtime: if needs_network { Some(sts::runtime()?) } else { None },
    };

    say(args, || format!("base credentials: {}", describe_base(&plan.base)));
    let mut creds = match &plan.base {
        Base::StaticKeys { profile } => static_keys(&files.set, profile),
        Base::CredentialSource { profile, source: CredentialSource::Environment } => {
            environment_keys(env, profile)?
        }
        Base::StoredKeys { profile } => {
            let store = crate::keys::open_for(env, &files.set, &files.paths, profile)?;
            match crate::keys::read(store.as_ref(), profile)? {
                Some(k) => k.credentials(),
                None => bail!(
                    "profile {profile:?} takes its keys from swrole's key store, but the {} store holds none for it: \
                     run `swrole keys add {profile}`",
                    store.kind().name()
                ),
            }
        }
        Base::LoginSession { profile, session } => {
            let service = || {
                let Some((url, _)) = plan.signin.clone() else {
                    bail!(
                        "the login session of profile {profile:?} needs refreshing, and no region says where the \
                         sign-in service is: set region in the profile or pass --region"
                    )
                };
                Ok(crate::signin::Service {
                    url,
                    timeout: args.connect_timeout + args.read_timeout,
                    extra_roots: net.settings.ca_bundle.as_ref().map(|b| b.certs.clone()).unwrap_or_default(),
                })
            };
            say(args, || format!("login session {} of profile {profile:?}", crate::text::sanitize(session)));
            crate::signin::credentials(env, profile, session, service, net.rt())?
        }
        Base::Delegated { profile, kind: DelegatedKind::Sso } => {
            sso_credentials(files, env, plan, args, &net, profile)?
        }
        Base::Delegated { profile, kind: DelegatedKind::CredentialProcess } => {
            let command = files
                .set
                .profile(profile)
                .and_then(|s| s.text("credential_process"))
                .expect("resolved as a credential_process base");
            crate::process::credentials(profile, command, args.process_timeout)?
        }
        other => net.rt().block_on(sts::provided_credentials(other, net.settings.ca_bundle.as_ref()))?,
    };
    let mut codes = Codes {
        cache,
        typed: false,
        flag: args.token_code.clone(),
        tty: None,
        opts: args,
        env,
        base: &plan.base,
    };
    // The person behind the base, for `swrole_source_identity = true`: found once.
    let mut identity: Option<String> = None;
    for hop in &plan.hops {
        let mut needs_code = false;
        if let Some(mfa) = &hop.mfa {
            match (mfa.route, cache) {
                (MfaRoute::Session, Some(cache)) => {
                    creds = net.mfa_session(cache, &creds, &hop.profile, mfa, &mut codes)?;
                }
                (route, _) => {
                    if let MfaRoute::Code(CodeReason::LongerThanAnHour(d)) = route {
                        eprintln!(
                            "swrole: profile {:?} asks for {d} s, more than the hour STS allows a role assumed from an \
                             MFA session: asking for a fresh MFA code instead",
                            hop.profile,
                        );
                    }
                    needs_code = true;
                }
            }
        }
        let signer = creds;
        let extras = extras(&net, plan, hop, &signer, &mut identity)?;
        let assume = |code: Option<&MfaCode>| {
            say(args, || {
                let mfa = match (code, &hop.mfa) {
                    (Some(c), _) => c.serial.as_str(),
                    (None, Some(_)) => "through the MFA session",
                    _ => "none",
                };
                let duration = hop.duration_seconds.map_or("default".to_string(), |d| format!("{d} s"));
                format!(
                    "AssumeRole {} for profile {:?} (session {}, MFA {mfa}, duration {duration})",
                    hop.role_arn, hop.profile, hop.session_name
                )
            });
            net.rt().block_on(sts::assume_role(&net.settings, &signer, hop, code, &extras))
        };
        creds = match (&hop.mfa, needs_code) {
            (Some(mfa), true) => codes.with_code(&hop.profile, mfa, |code| assume(Some(code)))?,
            _ => assume(None)?,
        };
    }
    Ok(creds)
}

/// An IAM Identity Center base: the session's token (refreshed when it can be), then
/// GetRoleCredentials for the profile's account and role.
fn sso_credentials(
    files: &Files,
    env: &Env,
    plan: &Plan,
    args: &Options,
    net: &Network,
    profile: &str,
) -> Result<Credentials> {
    let session = crate::sso::Session::of_profile(&files.set, profile)
        .map_err(|e| e.context(format!("profile {profile:?}")))?
        .ok_or_else(|| anyhow::anyhow!("profile {profile:?} has no IAM Identity Center session"))?;
    let section = files.set.profile(profile).expect("resolved profiles exist");
    let Some((account, role)) = crate::sso::role_of(section) else {
        bail!(
            "profile {profile:?} names an IAM Identity Center session but no sso_account_id and sso_role_name: it \
             signs in, but gives no credentials (`swrole sso profiles` lists the roles you can use)"
        );
    };
    let (oidc, portal) =
        crate::plan::sso_endpoints(&files.set, &files.paths, env, &plan.profile, &session.region)?;
    let ep = crate::oidc::Endpoints {
        oidc,
        portal,
        timeout: args.connect_timeout + args.read_timeout,
        extra_roots: net.settings.ca_bundle.as_ref().map(|b| b.certs.clone()).unwrap_or_default(),
    };
    say(args, || {
        format!("IAM Identity Center {} for profile {profile:?}", crate::text::sanitize(&session.label()))
    });
    let token = crate::oidc::token(env, profile, &session, &ep, net.rt())?;
    say(args, || format!("GetRoleCredentials {role} in account {account}"));
    net.rt().block_on(crate::oidc::role_credentials(&ep, &token.access_token, &account, &role)).map_err(|e| {
        match e.downcast_ref::<crate::oidc::Refused>() {
            Some(r) if r.kind == "UnauthorizedException" => {
                crate::oidc::unless_accepted(e, &format!("profile {profile:?}"), profile)
            }
            _ => e.context(format!("could not get the credentials of role {role} in account {account}")),
        }
    })
}

/// The SourceIdentity, session name and tags of one hop. `true` takes the IAM user's name
/// from what signs the first hop: an MFA session remembers it (its `arn`), else one
/// GetCallerIdentity asks.
fn extras(
    net: &Network,
    plan: &Plan,
    hop: &plan::HopPlan,
    signer: &Credentials,
    identity: &mut Option<String>,
) -> Result<sts::Extras> {
    use crate::safety::SourceIdentity;
    let mut extras = sts::Extras::default();
    let source_identity = match &hop.source_identity {
        None => None,
        Some(SourceIdentity::Fixed(name)) => Some(name.clone()),
        Some(SourceIdentity::User) => {
            if identity.is_none() {
                let arn = match signer.arn.as_deref() {
                    Some(arn) => arn.to_string(),
                    None => net.rt().block_on(sts::caller_identity(&net.settings, signer))?,
                };
                *identity = crate::safety::identity_of_arn(&arn);
                if identity.is_none() {
                    bail!(
                        "swrole_source_identity = true of profile {:?}: {arn} names no person (an IAM user or a \
                         role session): set a fixed name instead",
                        hop.profile
                    );
                }
            }
            identity.clone()
        }
    };
    if hop.default_session_name {
        extras.session_name = source_identity.clone();
    }
    extras.source_identity = source_identity;
    let last = plan.hops.last().is_some_and(|h| std::ptr::eq(h, hop));
    if let (true, Some(crate::safety::Access::Write), Some(reason)) = (last, plan.access, &plan.reason) {
        extras.tags.push(("swrole-reason".to_string(), crate::safety::reason_tag(reason)));
    }
    Ok(extras)
}

/// Settings of a switch that makes no call: nothing is read (no CA bundle either).
fn offline_settings(plan: &Plan, args: &Options) -> sts::Settings {
    sts::Settings {
        region: plan.region.clone(),
        endpoint: plan.endpoint.clone(),
        connect_timeout: args.connect_timeout,
        read_timeout: args.read_timeout,
        ca_bundle: None,
        attempts: plan.attempts.0,
        say_waiting: false,
    }
}

fn describe_base(base: &Base) -> String {
    match base {
        Base::StaticKeys { profile } => format!("static keys of profile {profile:?}"),
        Base::CredentialSource { profile, source } => {
            format!("credential_source {} (profile {profile:?})", source.name())
        }
        Base::Delegated { profile, kind: DelegatedKind::Sso } => {
            format!("IAM Identity Center of profile {profile:?}")
        }
        Base::Delegated { profile, kind } => format!("{kind:?} of profile {profile:?} (through the AWS SDK)"),
        Base::StoredKeys { profile } => format!("keys of profile {profile:?} from the key store"),
        Base::LoginSession { profile, session } => {
            format!("login session {} of profile {profile:?}", crate::text::sanitize(session))
        }
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

    fn plan_of(config: &str, profile: &str) -> Plan {
        let paths = Paths { config: "/c".into(), credentials: "/k".into() };
        let set = ProfileSet::from_texts(
            config,
            "[u]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key = s\n",
            &paths,
        )
        .unwrap();
        let chain = chain::resolve(&set, profile).unwrap();
        plan::plan(&set, &paths, &Env::default(), profile, chain, &plan::Overrides::default()).unwrap()
    }

    #[test]
    fn the_question_names_the_account_then_the_role_when_it_fits() {
        use crate::options::Purpose;
        let config = "[profile p]\nsource_profile = u\nrole_arn = arn:aws:iam::111111111111:role/admin\n\
                      [profile a]\nsource_profile = u\nrole_arn = arn:aws:iam::111111111111:role/delegate_root_organization\n\
                      swrole_account_alias = acme-prod\n";
        assert_eq!(
            question(&plan_of(config, "p"), "p", Purpose::Switch),
            "switch to p (account 111111111111, role admin)?"
        );
        assert_eq!(
            question(&plan_of(config, "a"), "a", Purpose::Job),
            "run the command as a (account 111111111111 acme-prod)?",
            "the role's name would pass 80 columns"
        );
        assert_eq!(
            question(&plan_of(config, "p"), "p", Purpose::Console),
            "open the console as p (account 111111111111, role admin)?"
        );
        for purpose in [Purpose::Switch, Purpose::Job, Purpose::Console, Purpose::CredentialProcess] {
            let q = question(&plan_of(config, "a"), "a", purpose);
            assert!(8 + q.chars().count() + 7 <= 80, "{q}");
        }
    }
}
