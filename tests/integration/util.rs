//! Fixtures and tools shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

/// Whether missing tools fail the test (CI sets `SWROLE_REQUIRE_TOOLS=1`) or skip it with a
/// printed notice (a laptop without zsh or moto).
pub fn require(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("SWROLE_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{tool} is required (SWROLE_REQUIRE_TOOLS=1) but not found on PATH");
        }
        eprintln!("skipping: {tool} not found (CI sets SWROLE_REQUIRE_TOOLS=1 and installs it)");
    }
    found
}

pub fn conformance(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance").join(path)
}

pub fn read_json(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(conformance(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A home directory with an AWS config and credentials file, and a command builder that
/// runs swrole against them with a clean environment.
pub struct Fixture {
    pub dir: TempDir,
}

impl Fixture {
    pub fn new(config: &str, credentials: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
        std::fs::write(dir.path().join(".aws/config"), config).unwrap();
        std::fs::write(dir.path().join(".aws/credentials"), credentials).unwrap();
        Fixture { dir }
    }

    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.home().join(".aws/config")
    }

    /// `swrole ARGS` with only PATH, HOME and USER from outside.
    /// swrole as a CI job, an IDE or the AWS CLI in a script starts it: no controlling
    /// terminal ([`without_terminal`]), run in the home, STS at `sts_url`, the file cache.
    pub fn no_terminal(&self, sts_url: &str) -> Command {
        let mut cmd = Command::new(swrole_path());
        cmd.current_dir(self.home())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("USER", "tester")
            .env("SWROLE_CACHE_STORE", "file")
            .env("AWS_ENDPOINT_URL_STS", sts_url);
        without_terminal(&mut cmd);
        cmd
    }

    pub fn swrole(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::cargo_bin("swrole").unwrap();
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("USER", "tester")
            .env("SHELL", "/bin/bash")
            // The file cache, whose files these tests inspect; the kernel-keyring cache has
            // tests of its own (`keystore.rs`, and `cache_stores()` below).
            .env("SWROLE_CACHE_STORE", "file");
        cmd
    }
}

pub fn swrole_path() -> PathBuf {
    assert_cmd::cargo::cargo_bin("swrole")
}

/// `swrole ARGS` on a new pseudo-terminal (`tests/support/pty_run.py`), each appearance of
/// `prompt` answered from `answers` (comma-separated), in a clean environment (PATH, HOME,
/// USER) plus `env`: the helper's report, `{"tty", "stdout", "status"}`.
pub fn pty_swrole(
    home: &Path,
    prompt: &str,
    answers: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> serde_json::Value {
    let helper = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/pty_run.py");
    let out = Command::new("python3")
        .args([helper, prompt, answers])
        .arg(swrole_path())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("USER", "tester")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("pty_run.py: {}", String::from_utf8_lossy(&out.stderr)))
}

/// PATH with the swrole under test first.
pub fn path_with_swrole() -> String {
    format!("{}:{}", swrole_path().parent().unwrap().display(), std::env::var("PATH").unwrap_or_default())
}

/// Start `cmd` in a session of its own: no controlling terminal, as a CI job, an IDE or
/// the AWS CLI in a script starts a program.
pub fn without_terminal(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    cmd.stdin(Stdio::null());
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        })
    }
}

/// One HTTP/1.1 request from a test server's connection: the request line and the body
/// (by Content-Length). `None` when the connection closes first.
pub fn read_http_request(reader: &mut impl std::io::BufRead) -> Option<(String, Vec<u8>)> {
    let mut first = String::new();
    if reader.read_line(&mut first).ok()? == 0 {
        return None;
    }
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((first.trim_end().to_string(), body))
}

/// The quick-start config (README) and a fake IAM user's keys, shared with
/// scripts/try-it.sh and bench/compare.sh (not moto's fixed AKIAIOSFODNN7EXAMPLE, which
/// it hands out as GetSessionToken credentials).
pub const SEED_CONFIG: &str = include_str!("../../contrib/seed/config");

pub const SEED_CREDENTIALS: &str = include_str!("../../contrib/seed/credentials");

/// The variables of `env -0` output.
pub fn parse_env0(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    bytes
        .split(|&b| b == 0)
        .filter(|e| !e.is_empty())
        .filter_map(|e| {
            let e = String::from_utf8_lossy(e);
            let (k, v) = e.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

/// Run `program ARGS` with `input` on stdin, in `dir`, with only PATH, HOME and `env` in
/// its environment, and wait for it: how the tests feed swrole's output to a real shell.
pub fn pipe_into(
    program: &str,
    args: &[&str],
    input: &[u8],
    home: &Path,
    dir: &Path,
    env: &[(&str, &str)],
) -> Output {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// The cache stores to run a store-independent test with: files, and the kernel keyring
/// where this machine lets a process use it (CI's does: SWROLE_REQUIRE_TOOLS=1 fails the
/// test otherwise).
pub fn cache_stores() -> Vec<&'static str> {
    let works =
        Command::new("keyctl").args(["show", "@u"]).output().map(|o| o.status.success()).unwrap_or(false);
    if !works {
        if std::env::var("SWROLE_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("the kernel keyring (keyctl show @u) is required (SWROLE_REQUIRE_TOOLS=1)");
        }
        eprintln!("skipping the kernel-keyring cache: keyctl show @u fails here");
        return vec!["file"];
    }
    vec!["file", "keyutils"]
}

/// The integration file `name` (`swrole.bash`, `swrole.zsh`, `swrole.fish`, `swrole.nu`,
/// `swrole.ps1`) as users get it: what `swrole init SHELL` prints (bash and zsh are
/// rendered from their templates and `shell/core.sh`), written once per test run.
pub fn shell_file(name: &str) -> PathBuf {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        for (shell, file) in [
            ("bash", "swrole.bash"),
            ("zsh", "swrole.zsh"),
            ("fish", "swrole.fish"),
            ("nu", "swrole.nu"),
            ("powershell", "swrole.ps1"),
        ] {
            let out = Command::new(swrole_path()).args(["init", shell]).output().unwrap();
            assert!(out.status.success(), "swrole init {shell}: {}", String::from_utf8_lossy(&out.stderr));
            std::fs::write(dir.path().join(file), out.stdout).unwrap();
        }
        dir
    });
    dir.path().join(name)
}

/// Wait until `path` holds a whole line (a job started by the test wrote it), 20 s at most:
/// an event, not a time.
pub fn wait_for_line(path: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::read_to_string(path).map_or(true, |t| !t.ends_with('\n')) {
        assert!(
            std::time::Instant::now() < deadline,
            "{} was never written: the job never started",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A bare HTTP/1.0 exchange with a loopback server, with a JSON body: (status, body).
pub fn request(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

/// A fake service of tests/support (a Python script given the file to write its port to),
/// on a free loopback port, stopped when dropped; controlled with JSON at `/admin/config`,
/// what it saw at `/admin/log`.
pub struct PyFake {
    child: std::process::Child,
    pub port: u16,
    _dir: TempDir,
}

impl PyFake {
    pub fn start(script: &str) -> Option<PyFake> {
        if !require("python3") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port_file = dir.path().join("port");
        let child = Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support").join(script))
            .arg(&port_file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{script} starts: {e}"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let port = loop {
            if let Ok(p) = std::fs::read_to_string(&port_file) {
                break p.trim().parse().unwrap();
            }
            assert!(std::time::Instant::now() < deadline, "{script} did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        Some(PyFake { child, port, _dir: dir })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn config(&self, body: serde_json::Value) {
        assert_eq!(request(self.port, "POST", "/admin/config", &body.to_string()).0, 200);
    }

    pub fn log(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(&request(self.port, "GET", "/admin/log", "").1).unwrap()
    }
}

impl Drop for PyFake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `program` as the login and SSO tests run it: in `home`, nothing from the outside
/// environment but PATH (this swrole first), HOME, USER and the file caches.
pub fn isolated(program: &Path, home: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(home)
        .env_clear()
        .env("PATH", path_with_swrole())
        .env("HOME", home)
        .env("USER", "ann")
        .env("SWROLE_CACHE_STORE", "file")
        .env("FAKE_BROWSER_LOG", home.join("browser.log"));
    c
}

/// What a terminal of 120 columns shows for `raw` (what a program wrote to it), line by line:
/// tests/support/screen.py, with pyte as the terminal emulator.
pub fn screen(raw: &str) -> String {
    screen_at(raw, 120)
}

/// [`screen`] on a terminal `columns` wide.
pub fn screen_at(raw: &str, columns: u16) -> String {
    use std::io::Write;
    let helper = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/screen.py");
    let mut child = std::process::Command::new("python3")
        .args([helper, &columns.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(raw.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "screen.py failed (pyte installed? scripts/test-tools.sh)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
