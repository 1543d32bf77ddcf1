//! `swrole exec PROFILE -- CMD...`: replace this process with CMD, so its exit status and
//! signals are the command's own.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;

use anyhow::Result;

use crate::cli::SwitchArgs;
use crate::env::Env;
use crate::error::Failure;
use crate::switch::{self as core, Files};

pub fn run(env: &Env, profile: &str, args: &SwitchArgs, command: Vec<OsString>) -> Result<()> {
    let files = Files::load(env)?;
    let opts =
        crate::options::Options { purpose: crate::options::Purpose::Job, ..super::options(env, args)? };
    let (plan, creds) = core::credentials(&files, env, profile, &opts)?;
    super::record(env, "exec", &plan, &creds, |l| l.command = Some(command_words(&command)));
    let exports = super::switch_exports(env, profile, &plan, &creds);
    let (program, rest) = command.split_first().expect("clap requires a command");
    let mut cmd = job(program, rest, &exports);
    let err = cmd.exec();
    let code = if err.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 };
    Err(anyhow::Error::new(Failure {
        code,
        message: format!("could not run {}: {err}", program.to_string_lossy()),
    }))
}

/// The job: CMD with the role's environment. It starts with a clean credential_process
/// loop guard: the guard follows credential_process chains only, so a shell started by
/// `exec` (the aws-vault subshell habit) can switch and `exec` again.
fn job(program: &OsString, rest: &[OsString], exports: &crate::exports::Exports) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest);
    exports.apply(&mut cmd);
    cmd.env_remove(core::PROCESS_CHAIN);
    cmd
}

/// After the job: wait for every process it left behind (adopted by swrole, the
/// subreaper), while the endpoint goes on serving them; say so once if there are any.
fn wait_for_the_rest() {
    let mut status = 0;
    // SAFETY: waitpid with a pointer to a local.
    let mut waited = |flags| unsafe { libc::waitpid(-1, &mut status, flags) };
    // What has ended already is reaped; if something still runs, say so once, then wait
    // for each in turn until none is left (ECHILD).
    loop {
        match waited(libc::WNOHANG) {
            0 => break,
            p if p > 0 => {}
            _ => return,
        }
    }
    eprintln!(
        "swrole: the job left processes running; the endpoint serves them until they end (Ctrl-C stops swrole)"
    );
    while waited(0) > 0 {}
}

/// The child's pid, for the signal handler (0: none yet).
static CHILD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// Forward a signal sent to swrole (by `kill`, a supervisor) to CMD. Signals from the
/// terminal (Ctrl-C, Ctrl-\) already reach CMD, which is in the same process group: they
/// are not sent twice (a second Ctrl-C means "force" to terraform).
extern "C" fn forward(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: reading si_code of the siginfo the kernel passed; kill is async-signal-safe.
    unsafe {
        let from_a_process = info.is_null() || (*info).si_code <= 0;
        let child = CHILD.load(std::sync::atomic::Ordering::SeqCst);
        if from_a_process && child > 0 {
            libc::kill(child, sig);
        }
    }
}

/// `swrole exec --server PROFILE -- CMD`: CMD gets `AWS_CONTAINER_CREDENTIALS_FULL_URI` and
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN` (in its environment only, never on a command line)
/// and no keys; swrole serves it fresh role credentials, forwards SIGINT, SIGTERM, SIGHUP
/// and SIGQUIT, and exits with CMD's status (128+N for a signal). The endpoint ends with
/// swrole.
pub fn serve(
    env: &Env,
    profile: &str,
    args: &SwitchArgs,
    command: Vec<OsString>,
    allow_prompt: bool,
    address: std::net::IpAddr,
    container: bool,
) -> Result<()> {
    // In a container: the docker CLI, and its daemon and network, checked before anything
    // is asked or started.
    let docker = if container {
        crate::docker::ensure_network(&crate::docker::cli(&command)?)?;
        Some(command[0].clone())
    } else {
        None
    };
    let opts =
        crate::options::Options { purpose: crate::options::Purpose::Job, ..super::options(env, args)? };
    let files = Files::load(env)?;
    let (plan, creds) = core::credentials(&files, env, profile, &opts)?;
    if plan.hops.is_empty() && !plan.base.renews_itself() {
        anyhow::bail!(
            "profile {profile:?} assumes no role: exec --server serves a role's temporary credentials; for long-term \
             keys, plain `swrole exec {profile} -- ...` gives the command keys that do not expire"
        );
    }
    // Renewals: no confirmation again, no new code unless --allow-prompt (never on the
    // terminal CMD is using otherwise), and never write access: `--write` is the first
    // session's alone (at most swrole_write_duration); every renewal is read-only.
    let renew_opts = crate::options::Options {
        yes: true,
        token_code: None,
        renewal: true,
        write: false,
        reason: None,
        mfa_prompt: if allow_prompt { opts.mfa_prompt } else { crate::options::Prompt::Never },
        ..opts.clone()
    };
    let token = crate::server::new_token()?;
    let container = docker.map(|cli| Container::new(cli, profile)).transpose()?;
    let words = match &container {
        Some(c) => c.record_words(&command, plan.region.as_deref())?,
        None => command_words(&command),
    };
    super::record(env, if container.is_some() { "container" } else { "server" }, &plan, &creds, |l| {
        l.command = Some(words.clone())
    });
    let renew = renewal(env, profile, renew_opts, words);
    let open_files = crate::server::raise_open_files();
    let source = crate::server::Source {
        profile: profile.to_string(),
        current: creds.clone(),
        margin: i64::from(opts.refresh_margin),
        renew,
    };
    let (address, peers) = match container {
        Some(_) => (
            std::net::IpAddr::V4(crate::docker::GATEWAY),
            crate::server::Peers::Network { gateway: crate::docker::GATEWAY, prefix: 24 },
        ),
        None => (address, crate::server::Peers::Loopback),
    };
    let bound = crate::server::start(std::net::SocketAddr::new(address, 0), token.clone(), source, peers)?;
    let (program, cmd) = match &container {
        Some(c) => c.command(&command, plan.region.as_deref(), bound, &token)?,
        None => {
            let exports = super::switch_exports(env, profile, &plan, &creds);
            let (program, rest) = command.split_first().expect("clap requires a command");
            let mut cmd = job(program, rest, &exports);
            endpoint_environment(&mut cmd, &files, env, profile, bound, &token);
            (program.clone(), cmd)
        }
    };
    // The token file lives until the job ends (`container` is dropped after it).
    run_job(&program, cmd, open_files)
}

/// Run the job of `exec --server` or `--container` as swrole's child and wait for it: it dies
/// with swrole, gets its own limit on open files back, and receives the signals swrole gets;
/// its exit status (or 128 + its signal) is swrole's.
fn run_job(
    program: &OsString,
    mut cmd: std::process::Command,
    open_files: Option<libc::rlim_t>,
) -> Result<()> {
    use std::os::unix::process::ExitStatusExt;
    // The job dies with swrole where the OS allows (Linux: PR_SET_PDEATHSIG), and gets the
    // limit on open files it would have had.
    // SAFETY: prctl and setrlimit are async-signal-safe and touch no memory of the parent.
    unsafe {
        cmd.pre_exec(move || {
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            if let Some(soft) = open_files {
                let mut limit: libc::rlimit = std::mem::zeroed();
                if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
                    limit.rlim_cur = soft;
                    libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
                }
            }
            Ok(())
        });
    }
    // Whatever the job leaves running in the background still holds the endpoint's URL and
    // token: on Linux swrole adopts those processes (a subreaper) and serves them until
    // they end, so the port is never free for someone else while they may ask.
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with integer arguments only.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 };
            return Err(anyhow::Error::new(Failure {
                code,
                message: format!("could not run {}: {e}", program.to_string_lossy()),
            }));
        }
    };
    CHILD.store(child.id() as i32, std::sync::atomic::Ordering::SeqCst);
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
        // SAFETY: a sigaction with an async-signal-safe handler and an empty mask.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = forward as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
    let status =
        child.wait().map_err(|e| anyhow::anyhow!("could not wait for {}: {e}", program.to_string_lossy()))?;
    // Signals act on swrole again (Ctrl-C, a supervisor's TERM) while it waits.
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
        // SAFETY: restoring the default action.
        unsafe { libc::signal(sig, libc::SIG_DFL) };
    }
    wait_for_the_rest();
    let code = match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        _ => 1,
    };
    if code == 0 {
        return Ok(());
    }
    Err(crate::error::Failure::silent(code.clamp(1, 255) as u8))
}

/// What renews the credentials of `exec --server`: the switch again with the renewal's
/// options (from the cache, else from the MFA session), recorded as a renewal. An MFA session
/// that ended needs the user, and says so; anything else (STS away, slow, refusing) is said
/// as it is, once, by the endpoint.
fn renewal(
    env: &Env,
    profile: &str,
    opts: crate::options::Options,
    words: Vec<String>,
) -> std::sync::Arc<dyn Fn() -> Result<crate::credentials::Credentials> + Send + Sync> {
    let (env, profile) = (env.clone(), profile.to_string());
    std::sync::Arc::new(move || -> Result<crate::credentials::Credentials> {
        let files = Files::load(&env)?;
        let (plan, creds) = core::credentials(&files, &env, &profile, &opts).map_err(|e| {
            if e.downcast_ref::<crate::mfa::NoCode>().is_some() {
                anyhow::anyhow!(
                    "they cannot be renewed without you: switch once in another terminal (sw {profile}) to \
                     renew the MFA session, or restart with --allow-prompt"
                )
            } else {
                e
            }
        })?;
        super::record(&env, "renewal", &plan, &creds, |l| l.command = Some(words.clone()));
        Ok(creds)
    })
}

/// The job's environment for the endpoint at `bound`: no keys, no files, the endpoint's URL
/// and token, and what the hidden files gave the profile.
fn endpoint_environment(
    cmd: &mut std::process::Command,
    files: &Files,
    env: &Env,
    profile: &str,
    bound: std::net::SocketAddr,
    token: &str,
) {
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "SWROLE_EXPIRATION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    ] {
        cmd.env_remove(var);
    }
    let host = match bound {
        std::net::SocketAddr::V4(a) => a.to_string(),
        std::net::SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    };
    // The SDKs read the default profile's keys (or its credential_process) before a
    // container endpoint: CMD sees no AWS config or credentials file, so the endpoint is
    // what it uses. The region is in AWS_REGION.
    cmd.env("AWS_CONFIG_FILE", "/dev/null");
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    // The JS SDK v2 reads ~/.aws/credentials before the endpoint unless told to honour
    // the two variables above.
    cmd.env("AWS_SDK_LOAD_CONFIG", "1");
    // What the profile gave and the files now hidden would have: its endpoints (the CA
    // bundle is in the exports above, as for a switch).
    for (var, url) in crate::plan::configured_endpoints(&files.set, env, profile) {
        cmd.env(var, url);
    }
    cmd.env("AWS_CONTAINER_CREDENTIALS_FULL_URI", format!("http://{host}/"));
    cmd.env("AWS_CONTAINER_AUTHORIZATION_TOKEN", token);
}

/// What `exec --container` keeps for its container: the docker CLI to run, the directory
/// of the token file (0700: no other local user reaches the file; the file itself 0644, so
/// that a container's user other than root reads it through the mount; removed with this
/// value), and the container's name, unless the command gives one (the record names it).
struct Container {
    cli: OsString,
    dir: tempfile::TempDir,
    name: String,
}

impl Container {
    fn new(cli: OsString, profile: &str) -> Result<Container> {
        use std::os::unix::fs::PermissionsExt;
        let base = std::env::var_os("XDG_RUNTIME_DIR").map(std::path::PathBuf::from).filter(|d| d.is_dir());
        let builder = || tempfile::Builder::new().prefix("swrole-container-").clone();
        let dir = match base {
            Some(b) => builder().tempdir_in(b)?,
            None => builder().tempdir()?,
        };
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))?;
        let file = dir.path().join("token");
        std::fs::write(&file, "")?;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))?;
        // A random suffix of its own: the name is public (`docker ps`, argv), the token not.
        let name = crate::docker::name_for(profile, &crate::server::new_token()?);
        Ok(Container { cli, dir, name })
    }

    fn token_file(&self) -> std::path::PathBuf {
        self.dir.path().join("token")
    }

    fn wire(&self, command: &[OsString], region: Option<&str>, port: u16) -> Result<Vec<OsString>> {
        let file = self.token_file();
        let w = crate::docker::Wiring { port, token_file: &file, region, name: &self.name };
        Ok(crate::docker::wire(command, &w)?.0)
    }

    /// The command as the record keeps it: wired, the port (not known yet) written `PORT`.
    fn record_words(&self, command: &[OsString], region: Option<&str>) -> Result<Vec<String>> {
        let mut words = command_words(&self.wire(command, region, 0)?);
        for w in words.iter_mut().filter(|w| w.starts_with("AWS_CONTAINER_CREDENTIALS_FULL_URI=")) {
            *w = format!("AWS_CONTAINER_CREDENTIALS_FULL_URI=http://{}:PORT/", crate::docker::GATEWAY);
        }
        Ok(words)
    }

    /// The docker command wired to the endpoint at `bound`, the token written to its file.
    /// The docker CLI's environment has no keys of the role or of the user (nor what other
    /// switchers left), and for `docker compose` the values its file refers to.
    fn command(
        &self,
        command: &[OsString],
        region: Option<&str>,
        bound: std::net::SocketAddr,
        token: &str,
    ) -> Result<(OsString, std::process::Command)> {
        let file = self.token_file();
        std::fs::write(&file, token)?;
        let words = self.wire(command, region, bound.port())?;
        let mut cmd = std::process::Command::new(&self.cli);
        cmd.args(&words[1..]);
        let stale = crate::exports::always_unset().chain(crate::exports::MANAGED);
        for var in
            stale.chain(["AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"])
        {
            cmd.env_remove(var);
        }
        cmd.env("AWS_CONTAINER_CREDENTIALS_FULL_URI", format!("http://{bound}/"))
            .env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", crate::docker::TOKEN_PATH)
            .env("SWROLE_TOKEN_FILE", &file)
            .env("SWROLE_NETWORK", crate::docker::NETWORK);
        if let Some(r) = region {
            cmd.env("AWS_REGION", r).env("AWS_DEFAULT_REGION", r);
        }
        Ok((self.cli.clone(), cmd))
    }
}

/// The job's command line as text, for the record: without what looks like a secret.
fn command_words(command: &[OsString]) -> Vec<String> {
    let words: Vec<String> = command.iter().map(|w| crate::text::sanitize(&w.to_string_lossy())).collect();
    crate::record::redacted_command(&words)
}
