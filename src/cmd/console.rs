//! `swrole console PROFILE`: sign in to the AWS console as the role.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::chain::Base;
use crate::cli::SwitchArgs;
use crate::console;
use crate::env::Env;
use crate::error::write_stdout;
use crate::plan::MfaRoute;
use crate::switch::{self as core, Files};
use crate::{clock, sts};

/// How to hand the URL over.
pub struct Opening {
    pub print: bool,
    pub destination: Option<String>,
    pub container: bool,
    pub browser_profile: Option<String>,
}

pub fn run(env: &Env, profile: &str, args: &SwitchArgs, how: &Opening) -> Result<()> {
    let opts =
        crate::options::Options { purpose: crate::options::Purpose::Console, ..super::options(env, args)? };
    let files = Files::load(env)?;
    // Everything that can be checked offline is, before any MFA code is asked.
    let plan = files.plan(env, profile, &opts)?;
    if plan.hops.is_empty() {
        bail!(
            "profile {profile:?} assumes no role: the console sign-in needs a role's temporary credentials (long-term \
             keys and MFA-session tokens cannot be federated). Use a profile with role_arn, or sign in with the IAM \
             user's password"
        );
    }
    let landing = console::destination(plan.region.as_deref(), how.destination.as_deref())?;
    let federation = match env.get("SWROLE_FEDERATION_URL") {
        Some(url) => crate::plan::check_url("federation endpoint", url)?,
        None => console::federation_url(plan.region.as_deref()),
    };
    // Where the URL goes is known before any code is asked or any call made.
    let argv = if how.print {
        Vec::new()
    } else {
        browser(env, how).filter(|a| !a.is_empty()).ok_or_else(|| {
            anyhow::anyhow!(
                "no browser to open the console with: set BROWSER, or pass --print to get the sign-in URL"
            )
        })?
    };
    let (plan, creds) = core::credentials(&files, env, profile, &opts)?;
    let Some(token) = creds.session_token.as_deref() else {
        bail!("profile {profile:?} gave credentials without a session token: they cannot be federated");
    };
    let first_is_session =
        plan.hops.first().and_then(|h| h.mfa.as_ref()).is_some_and(|m| m.route == MfaRoute::Session)
            && !opts.no_cache;
    let long_term_base = matches!(plan.base, Base::StaticKeys { .. } | Base::StoredKeys { .. });
    let chained = plan.hops.len() > 1 || first_is_session || !long_term_base;
    let remaining = creds.expiration.map_or(3600, |e| e - clock::now());
    let fed = sts::Federation {
        url: federation.clone(),
        connect_timeout: opts.connect_timeout,
        read_timeout: opts.read_timeout,
        extra_roots: match &plan.ca_bundle {
            Some((path, from)) => sts::CaBundle::load(path, from)?.certs,
            None => Vec::new(),
        },
    };
    let session = console::session_json(&creds.access_key_id, &creds.secret_access_key, token);
    let signin = sts::runtime()?.block_on(sts::signin_token(
        &fed,
        &session,
        console::session_duration(remaining, chained),
    ))?;
    let mut url = console::login_url(&federation, &signin, &landing);
    if how.container {
        url = console::container_url(profile, plan.color.as_deref(), &url);
    }
    if how.print {
        return write_stdout(&format!("{url}\n"));
    }
    open(argv, &url)?;
    eprintln!("swrole: opened the console as {profile} (the sign-in link is good for 15 minutes)");
    Ok(())
}

/// The program (and arguments) that opens a URL: `$BROWSER` (its first `:`-separated
/// entry; `%s` is replaced by the URL, else the URL is appended), else `open` (macOS) or
/// `xdg-open`; with `--browser-profile`, Chrome or Chromium.
fn browser(env: &Env, how: &Opening) -> Option<Vec<String>> {
    if let Some(name) = &how.browser_profile {
        let flag = format!("--profile-directory={name}");
        if let Some(b) = env.get("BROWSER") {
            let mut argv: Vec<String> = b.split(':').next()?.split_whitespace().map(str::to_string).collect();
            argv.push(flag);
            return Some(argv);
        }
        if cfg!(target_os = "macos") {
            return Some(["open", "-na", "Google Chrome", "--args", &flag].map(str::to_string).to_vec());
        }
        let chrome = ["google-chrome", "google-chrome-stable", "chromium", "chromium-browser"]
            .into_iter()
            .find(|p| env.on_path(p))?;
        return Some(vec![chrome.to_string(), flag]);
    }
    if let Some(b) = env.get("BROWSER") {
        return Some(b.split(':').next()?.split_whitespace().map(str::to_string).collect());
    }
    let program = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    env.on_path(program).then(|| vec![program.to_string()])
}

/// Open `url`: the URL goes to the program as one argument (never through a shell), and
/// is never printed.
fn open(mut argv: Vec<String>, url: &str) -> Result<()> {
    if let Some(slot) = argv.iter_mut().find(|a| a.contains("%s")) {
        *slot = slot.replace("%s", url);
    } else {
        argv.push(url.to_string());
    }
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| anyhow::anyhow!("could not start the browser {:?}: {e}", argv[0]))?;
    // Launchers (xdg-open, open) return at once; a browser started directly may not: wait
    // a little for a failure, then leave it running.
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("the browser {:?} failed ({status}): pass --print to get the sign-in URL", argv[0]);
            }
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}
