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
    // An IAM Identity Center base is a role's credentials already: they federate.
    let sso_base = matches!(plan.base, Base::Delegated { kind: crate::chain::DelegatedKind::Sso, .. });
    if plan.hops.is_empty() && !sso_base {
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
    super::record(env, "console", &plan, &creds, |_| {});
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
        // The URL is a password: say for how long, and for what.
        let lasts = console::session_duration(remaining, chained).map_or(remaining, i64::from);
        eprintln!(
            "swrole: {}",
            crate::text::printable(&format!(
                "anyone with this URL can open the console as {profile} within 15 minutes, signed in for {} \
                 (keep it to yourself)",
                clock::left(lasts)
            ))
        );
        return write_stdout(&format!("{url}\n"));
    }
    let page = handoff(&url, "AWS console")?;
    open(argv, &format!("file://{}", page.display()))?;
    eprintln!("swrole: opened the console as {profile} (the sign-in link is good for 15 minutes)");
    Ok(())
}

/// How long the sign-in page stays on disk: long enough for a browser to start and read it.
fn page_life() -> u32 {
    let test = cfg!(debug_assertions).then(|| std::env::var("SWROLE_TEST_PAGE_SECONDS").ok()).flatten();
    test.and_then(|s| s.parse().ok()).unwrap_or(60)
}

/// A URL handed to the browser without a command line (where every local user can read it
/// in /proc): a page titled `title` that redirects to it, 0600 in a 0700 directory of its
/// own, whose `file://` address is all the browser's argv holds. A detached process of
/// swrole's removes it a minute later (the browser has read it by then). The console's
/// sign-in link and the sign-ins' authorize pages (their `state` and PKCE challenge) go
/// this way; `--print` remains the way to get the console's URL itself.
pub fn handoff(url: &str, title: &str) -> Result<std::path::PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("swrole-console-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()?
        .keep();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    let page = dir.join("signin.html");
    // A JSON string is a JavaScript string; `<` escaped so that nothing ends the script.
    let target = serde_json::to_string(url)?.replace('<', "\\u003c");
    let html = format!(
        "<!doctype html><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">\
         <title>{title}</title><script>location.replace({target})</script>\n",
        title = crate::text::printable(title).replace(['<', '>', '&'], "")
    );
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&page)
        .map_err(|e| anyhow::anyhow!("could not write the sign-in page in {}: {e}", dir.display()))?;
    file.write_all(html.as_bytes())?;
    drop(file);
    remove_later(&page, &dir, page_life())?;
    Ok(page)
}

/// Remove `page` and `dir` after `seconds`, from a process of its own (swrole returns at
/// once). Only async-signal-safe calls after the fork.
fn remove_later(page: &std::path::Path, dir: &std::path::Path, seconds: u32) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let page = std::ffi::CString::new(page.as_os_str().as_bytes())?;
    let dir = std::ffi::CString::new(dir.as_os_str().as_bytes())?;
    let null = c"/dev/null";
    // SAFETY: in the child only setsid, sleep, unlink, rmdir and _exit run, all
    // async-signal-safe; the strings were made before the fork.
    unsafe {
        match libc::fork() {
            -1 => bail!("could not start the process that removes the sign-in page"),
            0 => {
                libc::setsid();
                // Hold nothing of the caller's open: a `$(...)` or a pipe reading swrole's
                // output must not wait for this process.
                let fd = libc::open(null.as_ptr(), libc::O_RDWR);
                for std_fd in 0..3 {
                    libc::dup2(fd, std_fd);
                }
                for other in 3..1024 {
                    libc::close(other);
                }
                let mut left = seconds;
                while left > 0 {
                    left = libc::sleep(left);
                }
                libc::unlink(page.as_ptr());
                libc::rmdir(dir.as_ptr());
                libc::_exit(0);
            }
            _ => Ok(()),
        }
    }
}

/// The program (and arguments) that opens a URL: `$BROWSER` (its first `:`-separated
/// entry; `%s` is replaced by the URL, else the URL is appended), else `open` (macOS) or
/// `xdg-open`; with `--browser-profile`, Chrome or Chromium.
pub fn browser(env: &Env, how: &Opening) -> Option<Vec<String>> {
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
pub fn open(mut argv: Vec<String>, url: &str) -> Result<()> {
    if let Some(slot) = argv.iter_mut().find(|a| a.contains("%s")) {
        *slot = slot.replace("%s", url);
    } else {
        argv.push(url.to_string());
    }
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        // The browser outlives swrole and is no credential_process of it: a clean loop
        // guard, as for an exec job.
        .env_remove(crate::switch::PROCESS_CHAIN)
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
