//! `swrole explain PROFILE [--verify]`.

use anyhow::Result;

use crate::cache::{Cache, Kind};
use crate::cli::SwitchArgs;
use crate::env::Env;
use crate::error::write_stdout;
use crate::explain::{self as core, CacheState, MfaSessionState};
use crate::plan::{self, MfaRoute};
use crate::switch::{self, Files};
use crate::{clock, sts};

pub fn run(env: &Env, profile: &str, verify: bool, long: bool, args: &SwitchArgs) -> Result<()> {
    let opts = super::options(env, args)?;
    let files = Files::load(env)?;
    let plan = files.plan(env, profile, &opts)?;
    let source = switch::source_identity(&plan.base, &files.set, env);
    // Entries are looked up whatever their time left, so that explain and `cache list`
    // agree; the margin then says whether a switch uses or renews them.
    let cache = if opts.no_cache { None } else { Cache::locate(env, 0) };
    let now = clock::now();
    let lookup = |key: &str, kind, bound| {
        cache.as_ref().and_then(|c| c.get(key, kind, bound).ok().flatten()).map(|e| e.expiration - now)
    };
    let cache_state = match &cache {
        None => CacheState::Off,
        Some(_) => CacheState::Role {
            left: lookup(&switch::role_key(&plan, &source), Kind::Role, switch::bound(&plan)),
            margin: i64::from(switch::effective_margin(
                opts.refresh_margin,
                plan.hops.last().and_then(|h| h.duration_seconds).unwrap_or(plan::CHAINED_MAX_DURATION),
            )),
        },
    };
    let mfa = match plan.hops.first().and_then(|h| h.mfa.as_ref()) {
        Some(m) if m.route == MfaRoute::Session => {
            let left = lookup(
                &switch::mfa_key(&plan, &source, &m.serial),
                Kind::MfaSession,
                crate::cache::Bound { profile: Some(plan.base.profile()), role_arn: None },
            );
            MfaSessionState { usable: left.is_some_and(|l| l > i64::from(opts.refresh_margin)), left }
        }
        _ => MfaSessionState { usable: false, left: None },
    };
    let default_name = plan::default_session_name(env);
    let key_store = crate::keys::store_kind_for(env, &files.set, &files.paths, plan.base.profile())
        .map_or_else(|e| format!("{e:#}"), |(kind, from)| format!("{}, {from}", kind.name()));
    let terminal = crate::mfa::have_terminal();
    let mfa_sources: Vec<Option<String>> = plan
        .hops
        .iter()
        .map(|h| {
            let m = h.mfa.as_ref()?;
            let process = match &opts.mfa_process {
                Some(cmd) => Some((cmd.as_str(), "--mfa-process or SWROLE_MFA_PROCESS")),
                None => m.process.as_ref().map(|(c, f)| (c.as_str(), f.as_str())),
            };
            Some(
                crate::mfa::source(opts.token_code.is_some(), process, opts.mfa_prompt, env, terminal)
                    .describe(),
            )
        })
        .collect();
    let login = match &plan.base {
        crate::chain::Base::LoginSession { profile, session } => {
            Some(core::login_status(env, profile, session))
        }
        crate::chain::Base::Delegated { profile, kind: crate::chain::DelegatedKind::Sso } => {
            core::sso_status(env, &files.set, profile)
        }
        _ => None,
    };
    let cx = core::Context {
        set: &files.set,
        paths: &files.paths,
        cache: &cache_state,
        mfa_session: &mfa,
        default_session_name: &default_name,
        previous: env.get("SWROLE_PROFILE"),
        key_store: &key_store,
        mfa_sources: &mfa_sources,
        long,
        login: login.as_deref(),
    };
    let mut text = core::render(&plan, &cx);
    if verify {
        let (plan, creds) = switch::credentials(&files, env, profile, &opts)?;
        let settings = sts::Settings::for_plan(&plan, &opts)?;
        let arn = sts::runtime()?.block_on(sts::caller_identity(&settings, &creds))?;
        text.push_str(&format!("{:<10} {arn} (GetCallerIdentity)\n", "verified"));
    }
    // Text from the files and the network, shown to a person: escapes made visible, and
    // laid out for the terminal (continuation lines under the text column).
    let text = crate::text::printable(&text);
    // Paths under the home directory as people write them (`~/.aws/config:9`): shorter
    // lines, fewer of them wrapped.
    let text = match env.get("HOME").filter(|h| h.starts_with('/') && h.len() > 1) {
        Some(home) => text.replace(&format!("{}/", home.trim_end_matches('/')), "~/"),
        None => text,
    };
    let text = match crate::text::width(env.get("COLUMNS")) {
        Some(w) => crate::text::wrap(&text, w, 11),
        None => text,
    };
    write_stdout(&text)
}
