//! `swrole login [PROFILE]`: an `aws login` session without the AWS CLI. The browser signs
//! in (password, MFA, passkey: whatever the account asks), comes back to a one-time
//! address on 127.0.0.1 with a code, and the code is exchanged (PKCE, DPoP) for short
//! credentials and a refresh token bound to a new key. The token file is the one the AWS
//! CLI v2 and the SDKs read; the profile gets `login_session = ARN`.

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use super::check_profile_name;
use crate::cli::LoginArgs;
use crate::config::FileKind;
use crate::edit::{self, Written, real_file};
use crate::env::Env;
use crate::login::{self, DpopKey, Pkce, Token};
use crate::switch::Files;
use crate::text::{printable, sanitize};
use crate::{clock, signin, tty};

/// The keys that make a profile another kind of credentials: a login session would not be
/// used there (the SDKs read them first, or instead).
const OTHER_CREDENTIALS: [(&str, &str); 8] = [
    ("aws_access_key_id", "an access key"),
    ("role_arn", "a role (role_arn)"),
    ("credential_process", "a credential_process"),
    ("web_identity_token_file", "a web identity token"),
    ("sso_session", "IAM Identity Center (sso_session)"),
    ("sso_start_url", "IAM Identity Center (sso_start_url)"),
    ("sso_account_id", "IAM Identity Center (sso_account_id)"),
    ("credential_source", "a credential_source"),
];

pub fn run(env: &Env, args: LoginArgs) -> Result<()> {
    let profile = args.profile.clone().or_else(|| env.get("AWS_PROFILE").map(str::to_string));
    let profile = profile.unwrap_or_else(|| "default".to_string());
    check_profile_name(&profile)?;
    let files = Files::load(env)?;
    if let Some((session, selected)) = sso_target(&files, &profile)? {
        return sso_login(env, &files, &profile, &selected, &session, &args);
    }
    let section = files.set.profile(&profile);
    if let Some(s) = section
        && let Some((key, what)) = OTHER_CREDENTIALS.iter().find(|(k, _)| s.get(k).is_some())
    {
        let at = crate::plan::at(&files.paths, s.get(key).expect("found"));
        let hint = if *key == "aws_access_key_id" {
            format!(
                "sign in a profile of its own (`swrole login me`), point source_profile at it, then `swrole keys \
                 retire {profile} --login me` retires the key"
            )
        } else {
            "sign in a profile of its own (`swrole login me`) and point source_profile at it".to_string()
        };
        bail!("profile {profile:?} already uses {what} ({key} at {at}): {hint}");
    }
    // The region: the flag, the environment, the profile, [default].
    let from_profile = |p: &str| files.set.profile(p).and_then(|s| s.text("region")).map(str::to_string);
    let region = args
        .region
        .clone()
        .or_else(|| env.first(&["AWS_REGION", "AWS_DEFAULT_REGION"]).map(str::to_string))
        .or_else(|| from_profile(&profile))
        .or_else(|| from_profile("default"))
        .ok_or_else(|| {
            anyhow!("no region for the sign-in: pass --region REGION (it is written to profile {profile:?})")
        })?;
    if !crate::plan::valid_region(&region) {
        bail!("{:?} is not a region", sanitize(&region));
    }
    let write_region = from_profile(&profile).is_none();
    let (base_url, from) =
        crate::plan::signin_endpoint(&files.set, &files.paths, env, &profile, Some(&region))?
            .expect("a region gives an endpoint");
    let extra_roots = match crate::plan::ca_bundle(&files.set, &files.paths, env, &profile)? {
        Some((path, from)) => crate::sts::CaBundle::load(&path, &from)?.certs,
        None => Vec::new(),
    };
    let service = signin::Service { url: base_url.clone(), timeout: Duration::from_secs(60), extra_roots };

    let key = DpopKey::generate()?;
    let pkce = Pkce::new()?;
    let state = login::uuid()?;
    // Where no browser can open (SSH, a container, WSL), the URL is opened anywhere and
    // the code pasted back on the terminal, as the device code is picked for IAM Identity
    // Center. (With no terminal either, the URL is shown and its callback awaited.)
    let pasted = args.remote
        || (crate::mfa::have_terminal()
            && without_browser(env, "signing in as with --remote (set BROWSER to use one)"));
    let (client, code, redirect) = if pasted {
        remote(&base_url, &pkce, &state)?
    } else {
        same_device(env, &base_url, &from, &pkce, &state, Duration::from_secs(args.timeout.into()))?
    };
    let input = serde_json::json!({
        "clientId": client,
        "grantType": "authorization_code",
        "code": code,
        "codeVerifier": pkce.verifier,
        "redirectUri": redirect,
    });
    let out = crate::sts::runtime()?
        .block_on(signin::create_token(&service, &key, &input))
        .context("the sign-in could not be completed")?;
    let (session, token) = Token::from_login(&out, client, &key, clock::now())?;
    // Whose session this is, before anything is written: a sign-in finished by someone else
    // shows their name here.
    let account = token.credentials.account_id.as_deref().unwrap_or("?");
    eprintln!("swrole: {}", printable(&format!("signed in as {session} (account {account})")));
    save(env, &files, &profile, &session, &token, write_region.then_some(region.as_str()), args.yes)?;
    let users: Vec<&str> = files
        .set
        .profiles
        .iter()
        .filter(|(_, s)| s.text("source_profile") == Some(profile.as_str()))
        .map(|(n, _)| n.as_str())
        .collect();
    let next = match likely(env, &files, &users) {
        Some(first) => format!("profiles on top of it: {} (try `sw {first}`)", users.join(", ")),
        None => format!("set source_profile = {profile} in the profiles that assume a role"),
    };
    eprintln!(
        "swrole: {}",
        printable(&format!(
            "saved for profile {profile:?}: no access key needed; the session refreshes itself for up to {} h; \
             {next}",
            signin::SESSION_LIFE / 3600
        ))
    );
    Ok(())
}

/// The profile among `users` to suggest after a sign-in: the active one, else the one last
/// used (swrole's record), else the first that is neither guarded nor named like production,
/// else the first.
fn likely<'a>(env: &Env, files: &Files, users: &[&'a str]) -> Option<&'a str> {
    let among = |p: &str| users.iter().copied().find(|u| *u == p);
    if let Some(p) = env.get("SWROLE_PROFILE").and_then(among) {
        return Some(p);
    }
    if let Some(p) =
        crate::record::read(env).ok().and_then(|r| r.iter().rev().find_map(|l| among(&l.profile)))
    {
        return Some(p);
    }
    let guarded = |p: &str| {
        files
            .set
            .profile(p)
            .is_some_and(|s| s.get("swrole_confirm").is_some() || s.get("swrole_session_policy").is_some())
    };
    let production = |p: &str| p.to_ascii_lowercase().contains("prod");
    users.iter().copied().find(|u| !guarded(u) && !production(u)).or(users.first().copied())
}

/// The browser on this machine: the page comes back to 127.0.0.1 with the code.
fn same_device(
    env: &Env,
    base_url: &str,
    from: &str,
    pkce: &Pkce,
    state: &str,
    limit: Duration,
) -> Result<(&'static str, String, String)> {
    let callback = signin::Callback::bind()?;
    let redirect = callback.redirect_uri();
    let url = login::authorize_url(base_url, login::SAME_DEVICE, state, &pkce.challenge, &redirect);
    open_page(env, &format!("sign in at {} ({from})", sanitize(base_url)), &url, "--remote");
    let code = callback.wait(state, limit)?;
    Ok((login::SAME_DEVICE, code, redirect))
}

/// Say where to sign in, and open the page in the browser: beside the callback (a browser
/// that calls back before it returns finds swrole answering), never waited for (a browser
/// started directly keeps running).
fn open_page(env: &Env, what: &str, url: &str, instead: &str) {
    eprintln!(
        "swrole: {}",
        printable(&format!(
            "{what} in the browser; if it does not open, open this URL on this machine (or run swrole login \
             {instead}):\n  {url}"
        ))
    );
    if !open_beside(env, url) {
        eprintln!("swrole: no browser to open (set BROWSER): open the URL above");
    }
}

/// Open `url` in the browser on a thread of its own, never waited for (a browser started
/// directly keeps running; one that calls back before it returns finds swrole answering).
/// The browser's argv holds only a private page's `file://` address: the URL's `state`,
/// PKCE challenge or device code would let another local user who reads `ps` finish the
/// sign-in first, with their own account. `false` when there is no browser to open.
fn open_beside(env: &Env, url: &str) -> bool {
    let how =
        super::console::Opening { print: false, destination: None, container: false, browser_profile: None };
    let Some(argv) = super::console::browser(env, &how).filter(|a| !a.is_empty()) else { return false };
    let page = match super::console::handoff(url, "swrole sign-in") {
        Ok(page) => format!("file://{}", page.display()),
        Err(e) => {
            eprintln!("swrole: {}", printable(&format!("{e:#}")));
            return false;
        }
    };
    std::thread::spawn(move || {
        if let Err(e) = super::console::open(argv, &page) {
            eprintln!("swrole: {}", printable(&format!("{e:#}")));
        }
    });
    true
}

/// Whether a browser can open here: `$BROWSER`, else not over SSH, not in a container,
/// not in WSL, not without a display (Linux), and a launcher on PATH.
pub fn browser_can_open(env: &Env) -> bool {
    no_browser_here(env).is_none()
}

/// Whether no browser can open here, said once with what is done `instead`.
fn without_browser(env: &Env, instead: &str) -> bool {
    no_browser_here(env)
        .inspect(|why| eprintln!("swrole: no browser can open here ({why}): {instead}"))
        .is_some()
}

/// Why no browser can open here (`over SSH`), or `None` when one can.
pub fn no_browser_here(env: &Env) -> Option<&'static str> {
    let root = std::path::Path::new("/");
    no_browser(env, cfg!(target_os = "macos"), in_container(root), in_wsl(env, root))
}

/// Whether the system under `root` is a container: Docker's or Podman's mark is there.
fn in_container(root: &std::path::Path) -> bool {
    root.join(".dockerenv").exists() || root.join("run/.containerenv").exists()
}

/// Whether this is Linux under Windows (WSL): its variables, or the kernel's name. A
/// browser started there opens on Windows, which cannot reach a callback on WSL's loopback.
fn in_wsl(env: &Env, root: &std::path::Path) -> bool {
    env.get("WSL_DISTRO_NAME").is_some()
        || env.get("WSL_INTEROP").is_some()
        || std::fs::read_to_string(root.join("proc/sys/kernel/osrelease"))
            .is_ok_and(|r| r.to_ascii_lowercase().contains("microsoft"))
}

/// `no_browser_here` on a given system: macOS or not, in a container or WSL or not.
fn no_browser(env: &Env, macos: bool, container: bool, wsl: bool) -> Option<&'static str> {
    if env.get("BROWSER").is_some() {
        return None;
    }
    if env.get("SSH_CONNECTION").is_some() || env.get("SSH_TTY").is_some() {
        return Some("over SSH");
    }
    if container {
        return Some("in a container");
    }
    if wsl {
        return Some("in WSL");
    }
    if macos {
        return (!env.on_path("open")).then_some("no `open` on PATH");
    }
    if env.get("DISPLAY").is_none() && env.get("WAYLAND_DISPLAY").is_none() {
        return Some("no display");
    }
    (!env.on_path("xdg-open")).then_some("no xdg-open on PATH")
}

/// What `swrole login TARGET` signs in to when it is IAM Identity Center: a profile with
/// `sso_session` or `sso_start_url`, a profile whose chain ends in one, or an
/// `[sso-session TARGET]`. The profile whose endpoint settings apply comes with it.
fn sso_target(files: &Files, target: &str) -> Result<Option<(crate::sso::Session, String)>> {
    if files.set.profile(target).is_some() {
        if let Some(s) = crate::sso::Session::of_profile(&files.set, target)? {
            return Ok(Some((s, target.to_string())));
        }
        if let Ok(chain) = crate::chain::resolve(&files.set, target)
            && let crate::chain::Base::Delegated { profile, kind: crate::chain::DelegatedKind::Sso } =
                &chain.base
            && let Some(s) = crate::sso::Session::of_profile(&files.set, profile)?
        {
            return Ok(Some((s, target.to_string())));
        }
        return Ok(None);
    }
    if files.set.sso_sessions.contains_key(target) {
        return Ok(Some((crate::sso::Session::named(&files.set, target)?, String::new())));
    }
    Ok(None)
}

/// Sign in to IAM Identity Center: the browser with PKCE (a one-time callback on 127.0.0.1),
/// or the device code; the token saved where the AWS CLI v2 and the SDKs read it.
fn sso_login(
    env: &Env,
    files: &Files,
    target: &str,
    selected: &str,
    session: &crate::sso::Session,
    args: &LoginArgs,
) -> Result<()> {
    let (oidc, portal) =
        crate::plan::sso_endpoints(&files.set, &files.paths, env, selected, &session.region)?;
    let extra_roots = match crate::plan::ca_bundle(&files.set, &files.paths, env, selected)? {
        Some((path, from)) => crate::sts::CaBundle::load(&path, &from)?.certs,
        None => Vec::new(),
    };
    let ep = crate::oidc::Endpoints { oidc, portal, timeout: Duration::from_secs(60), extra_roots };
    let dir =
        crate::sso::cache_dir(env).ok_or_else(|| anyhow!("HOME is not set: there is no SSO token cache"))?;
    // A legacy profile (sso_start_url in it, no sso-session) signs in with the device code,
    // as the AWS CLI does: the browser flow needs a session to register for.
    let device = args.device_code
        || args.remote
        || session.name.is_none()
        || without_browser(env, "signing in with a device code");
    let rt = crate::sts::runtime()?;
    // The client registration is shared with the AWS CLI (its file and key), and made anew
    // when it nears its end or was made for the other flow.
    let reg_path = crate::sso::registration_file(&dir, session);
    let reg = match crate::oidc::read_registration(&reg_path)?.filter(|r| r.usable(!device, clock::now())) {
        Some(r) => r,
        None => {
            let r = rt.block_on(crate::oidc::register(&ep, session, !device))?;
            signin::write_private(&reg_path, &r.to_json())?;
            r
        }
    };
    let limit = Duration::from_secs(args.timeout.into());
    let out = if device {
        device_flow(env, &rt, &ep, &reg, session, args.device_code, limit)?
    } else {
        let callback = signin::Callback::bind()?;
        let redirect = callback.redirect_uri();
        let pkce = Pkce::new()?;
        let state = login::uuid()?;
        let url = crate::sso::authorize_url(
            &ep.oidc,
            &reg.client_id,
            &redirect,
            &state,
            &pkce.challenge,
            &session.registration_scopes(),
        );
        open_page(
            env,
            &format!("sign in to IAM Identity Center ({})", sanitize(&session.start_url)),
            &url,
            "--device-code",
        );
        let code = callback.wait(&state, limit)?;
        let body = serde_json::json!({
            "clientId": reg.client_id,
            "clientSecret": reg.client_secret,
            "grantType": "authorization_code",
            "redirectUri": redirect,
            "codeVerifier": pkce.verifier,
            "code": code,
        });
        rt.block_on(crate::oidc::create_token(&ep, &body)).context("the sign-in could not be completed")?
    };
    let token = crate::sso::Token::new(session, &out, &reg, clock::now())?;
    let path = crate::sso::token_file(&dir, session);
    {
        let _lock = signin::lock(&path)?;
        signin::write_private(&path, &token.to_json())?;
    }
    let next = if files.set.profile(target).and_then(crate::sso::role_of).is_some() {
        format!("`sw {target}` switches to its role")
    } else {
        format!(
            "`swrole sso profiles {} --write` adds a profile for each account and role you can use",
            session.name.as_deref().unwrap_or("NAME")
        )
    };
    eprintln!(
        "swrole: {}",
        printable(&format!(
            "signed in to IAM Identity Center ({}, {}): the token lasts {} and refreshes itself while the \
             sign-in lives, shared with the AWS CLI and the SDKs; {next}",
            session.label(),
            session.start_url,
            clock::left(token.left(clock::now()))
        ))
    );
    Ok(())
}

/// The device code: shown here, confirmed on any device; CreateToken is polled at the
/// interval the service gives, five seconds slower after each `slow_down`.
fn device_flow(
    env: &Env,
    rt: &tokio::runtime::Runtime,
    ep: &crate::oidc::Endpoints,
    reg: &crate::sso::Registration,
    session: &crate::sso::Session,
    open: bool,
    limit: Duration,
) -> Result<crate::sso::TokenOutput> {
    let d = rt.block_on(crate::oidc::start_device(ep, reg, &session.start_url))?;
    eprintln!(
        "swrole: {}",
        printable(&format!(
            "open {} on any device, sign in, and confirm the code\n\n    {}\n\n  (or open {}); waiting...",
            d.uri, d.user_code, d.uri_complete
        ))
    );
    if open && browser_can_open(env) {
        open_beside(env, &d.uri_complete);
    }
    let body = serde_json::json!({
        "clientId": reg.client_id,
        "clientSecret": reg.client_secret,
        "grantType": crate::sso::DEVICE_GRANT,
        "deviceCode": d.device_code,
    });
    let deadline = std::time::Instant::now() + limit.min(Duration::from_secs(d.expires_in));
    let mut interval = Duration::from_secs(d.interval);
    loop {
        match rt.block_on(crate::oidc::create_token(ep, &body)) {
            Ok(out) => return Ok(out),
            Err(e) => match e.downcast_ref::<crate::oidc::Refused>().map(|r| r.kind.as_str()) {
                Some("AuthorizationPendingException") => {}
                Some("SlowDownException") => interval += Duration::from_secs(5),
                Some("ExpiredTokenException") => {
                    bail!("the code {} expired before it was confirmed: run swrole login again", d.user_code)
                }
                Some("AccessDeniedException") => bail!("the sign-in was denied on the confirmation page"),
                _ => return Err(e.context("the sign-in could not be completed")),
            },
        }
        if std::time::Instant::now() + interval > deadline {
            bail!(
                "the code {} was not confirmed within {} s: run swrole login again",
                d.user_code,
                limit.as_secs()
            );
        }
        std::thread::sleep(interval);
    }
}

/// `--remote`: the URL opened anywhere, the code the page shows pasted back here.
fn remote(base_url: &str, pkce: &Pkce, state: &str) -> Result<(&'static str, String, String)> {
    let redirect = format!("{}/v1/sessions/confirmation", base_url.trim_end_matches('/'));
    let url = login::authorize_url(base_url, login::CROSS_DEVICE, state, &pkce.challenge, &redirect);
    let t = tty::terminal("swrole login --remote asks for the code on the terminal", "run it in a terminal")?;
    {
        use std::io::Write;
        let mut out = &t;
        writeln!(
            out,
            "swrole: open this URL in a browser on any device and sign in:\n\n  {}\n",
            printable(&url)
        )?;
    }
    let pasted = tty::ask_line(&t, "paste the code the page shows: ")?;
    let (code, got) = login::parse_remote_code(&pasted)?;
    if !crate::server::constant_time_eq(got.as_bytes(), state.as_bytes()) {
        bail!(
            "that code belongs to another sign-in (its state does not match): run swrole login --remote again"
        );
    }
    Ok((login::CROSS_DEVICE, code, redirect))
}

/// The token file, then the profile's `login_session` (and `region` for a new profile):
/// another session of the profile is replaced only when the user says so.
fn save(
    env: &Env,
    files: &Files,
    profile: &str,
    session: &str,
    token: &Token,
    region: Option<&str>,
    yes: bool,
) -> Result<()> {
    let existing = files.set.profile(profile).and_then(|s| s.text("login_session")).map(str::to_string);
    if let Some(old) = existing.as_deref().filter(|old| *old != session) {
        let question = format!(
            "profile {profile:?} signs in as {}; make it {} instead?",
            sanitize(old),
            sanitize(session)
        );
        let agreed = yes || {
            let t = tty::terminal(&question, "pass --yes to replace it")?;
            tty::confirm(&t, &question)?
        };
        if !agreed {
            bail!("nothing changed: profile {profile:?} keeps login_session = {}", sanitize(old));
        }
    }
    let path = signin::token_path(env, session)?;
    signin::write(&path, token)?;
    // One editor of the AWS files at a time: the lock keys import, team and sso take.
    let _lock = crate::keys::lock(env)?;
    let config_path = real_file(&files.paths.config)?;
    let old = edit::read_or_empty(&config_path)?;
    let mut new = old.clone();
    if let Some(r) = region {
        new = crate::keys::set_profile_value(&new, profile, "region", r, false)?;
    }
    new = crate::keys::set_profile_value(&new, profile, "login_session", session, true)?;
    // Read back through the parser: the profile must resolve to this session.
    let check = crate::config::parse::parse(&new).map_err(|e| anyhow!("line {}: {}", e.line, e.message))?;
    let ok = check.iter().any(|s| {
        crate::config::profile_of(FileKind::Config, &s.header) == Some(profile)
            && s.properties.iter().any(|p| p.key == "login_session")
    });
    if !ok {
        bail!("could not add login_session to profile {profile:?} in {}", files.paths.config.display());
    }
    if new != old {
        edit::replace(&[Written { path: &config_path, old: &old, new: &new, name: "config" }]).with_context(
            || format!("the session is saved in {}, but the config is unchanged", path.display()),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `$BROWSER` wins; over SSH never; on macOS `open`; elsewhere a display, no container
    /// and `xdg-open`.
    #[test]
    fn a_browser_opens_only_where_one_can() {
        let bin = tempfile::tempdir().unwrap();
        let none = tempfile::tempdir().unwrap();
        for name in ["xdg-open", "open"] {
            std::fs::write(bin.path().join(name), "").unwrap();
        }
        let path = bin.path().to_str().unwrap();
        let empty = none.path().to_str().unwrap();
        let env = |pairs: &[(&str, &str)]| Env::from_pairs(pairs.iter().copied());
        let can_open =
            |e: &Env, macos: bool, container: bool| no_browser(e, macos, container, false).is_none();
        let linux = |pairs: &[(&str, &str)]| can_open(&env(pairs), false, false);
        // Linux, not in a container.
        assert!(linux(&[("DISPLAY", ":0"), ("PATH", path)]));
        assert!(linux(&[("WAYLAND_DISPLAY", "wayland-0"), ("PATH", path)]));
        assert_eq!(no_browser(&env(&[("PATH", path)]), false, false, false), Some("no display"));
        assert!(!linux(&[("DISPLAY", ":0"), ("PATH", empty)]), "no xdg-open");
        assert!(!linux(&[("DISPLAY", ":0"), ("PATH", path), ("SSH_CONNECTION", "1 2 3 4")]));
        assert_eq!(
            no_browser(&env(&[("DISPLAY", ":0"), ("SSH_TTY", "/dev/pts/1")]), false, false, false),
            Some("over SSH")
        );
        assert!(linux(&[("BROWSER", "firefox"), ("SSH_TTY", "/dev/pts/1")]), "BROWSER wins");
        assert!(!linux(&[("BROWSER", ""), ("DISPLAY", ":0"), ("PATH", empty)]), "an empty BROWSER is unset");
        // In a container, or WSL: only BROWSER.
        assert_eq!(
            no_browser(&env(&[("DISPLAY", ":0"), ("PATH", path)]), false, true, false),
            Some("in a container")
        );
        assert!(can_open(&env(&[("BROWSER", "w3m")]), false, true));
        assert_eq!(
            no_browser(&env(&[("DISPLAY", ":0"), ("PATH", path)]), false, false, true),
            Some("in WSL")
        );
        assert_eq!(no_browser(&env(&[("BROWSER", "wslview")]), false, false, true), None);
        // macOS: `open`, no display needed, still not over SSH.
        assert!(can_open(&env(&[("PATH", path)]), true, false));
        assert!(!can_open(&env(&[("PATH", empty), ("DISPLAY", ":0")]), true, false));
        assert!(!can_open(&env(&[("PATH", path), ("SSH_CONNECTION", "x")]), true, false));
    }

    #[test]
    fn wsl_is_known_by_its_variables_or_its_kernel() {
        let root = tempfile::tempdir().unwrap();
        let none = Env::from_pairs::<&str, &str>([]);
        assert!(!in_wsl(&none, root.path()));
        assert!(in_wsl(&Env::from_pairs([("WSL_DISTRO_NAME", "Ubuntu")]), root.path()));
        assert!(in_wsl(&Env::from_pairs([("WSL_INTEROP", "/run/WSL/1_interop")]), root.path()));
        std::fs::create_dir_all(root.path().join("proc/sys/kernel")).unwrap();
        std::fs::write(root.path().join("proc/sys/kernel/osrelease"), "6.6.0-1-amd64\n").unwrap();
        assert!(!in_wsl(&none, root.path()));
        std::fs::write(root.path().join("proc/sys/kernel/osrelease"), "5.15.167.4-microsoft-standard-WSL2\n")
            .unwrap();
        assert!(in_wsl(&none, root.path()));
    }

    #[test]
    fn a_container_is_known_by_either_mark() {
        let root = tempfile::tempdir().unwrap();
        assert!(!in_container(root.path()));
        std::fs::create_dir(root.path().join("run")).unwrap();
        std::fs::write(root.path().join("run/.containerenv"), "").unwrap();
        assert!(in_container(root.path()), "Podman");
        std::fs::remove_file(root.path().join("run/.containerenv")).unwrap();
        std::fs::write(root.path().join(".dockerenv"), "").unwrap();
        assert!(in_container(root.path()), "Docker");
    }
}
