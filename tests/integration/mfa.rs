//! MFA codes without typing: `mfa_process` (its code is the one sent, bad output is refused
//! before anything is sent), and a real zenity dialog under Xvfb, driven by xdotool, for a
//! credential_process with no terminal.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::moto::Moto;
use crate::util::{Fixture, SEED_CONFIG, SEED_CREDENTIALS, require, swrole_path};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The seed with `line` added to `[profile sw-staging]` (or to `[default]`).
fn seed_with(profile_line: &str, default_line: &str) -> Fixture {
    let config = SEED_CONFIG
        .replace("[profile sw-staging]\n", &format!("[profile sw-staging]\n{profile_line}"))
        .replace("[default]\n", &format!("[default]\n{default_line}"));
    Fixture::new(&config, SEED_CREDENTIALS)
}

/// `swrole ARGS` with no controlling terminal (a new session), as an IDE or the AWS CLI
/// in a script starts it.
fn swrole_no_tty(fx: &Fixture, moto: &Moto, args: &[&str], env: &[(&str, &str)]) -> Output {
    fx.no_terminal(&moto.url()).args(args).envs(env.iter().copied()).output().unwrap()
}

#[test]
fn the_code_from_mfa_process_is_the_one_sent() {
    let Some(moto) = Moto::start() else { return };
    // A tool in a directory with a space, printing progress on stderr and lines before
    // the code: the last line is the code.
    let cases = [
        ("profile", "mfa_process = \"$HOME/my tools/otp\" 'AWS: me'\n", ""),
        ("source profile", "", "mfa_process = \"$HOME/my tools/otp\" 'AWS: me'\n"),
    ];
    for (label, on_profile, on_default) in cases {
        let fx = seed_with(on_profile, on_default);
        let tools = fx.home().join("my tools");
        std::fs::create_dir_all(&tools).unwrap();
        std::fs::write(
            tools.join("otp"),
            "#!/bin/sh\necho 'touch your key' >&2\n[ \"$1\" = 'AWS: me' ] || exit 9\necho header\necho '654 321'\n",
        )
        .unwrap();
        std::fs::set_permissions(tools.join("otp"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let before = moto.requests().len();
        let out = swrole_no_tty(&fx, &moto, &["sw-staging", "--shell", "bash"], &[]);
        assert!(out.status.success(), "{label}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("touch your key"), "{label}: the tool's stderr reaches the user");
        let sent = &moto.requests()[before..];
        assert_eq!(sent[0].form["Action"], "GetSessionToken", "{label}");
        assert_eq!(sent[0].form["TokenCode"], "654321", "{label}");
        // explain names the source.
        let explain = fx.swrole().args(["explain", "sw-staging", "--no-cache"]).output().unwrap();
        assert!(
            text(&explain.stdout).contains("the code comes from mfa_process"),
            "{}",
            text(&explain.stdout)
        );
    }
    // --mfa-process and SWROLE_MFA_PROCESS win over the profile's.
    let fx = seed_with("mfa_process = echo 111111\n", "");
    for (args, env) in [
        (&["sw-staging", "--shell", "bash", "--no-cache", "--mfa-process", "echo 222222"][..], &[][..]),
        (&["sw-staging", "--shell", "bash", "--no-cache"][..], &[("SWROLE_MFA_PROCESS", "echo 222222")][..]),
    ] {
        let before = moto.requests().len();
        let out = swrole_no_tty(&fx, &moto, args, env);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(moto.requests()[before].form["TokenCode"], "222222");
    }
}

#[test]
fn a_bad_mfa_process_sends_nothing() {
    let Some(moto) = Moto::start() else { return };
    let cases = [
        ("exit 3", "failed"),
        ("sleep 30", "did not finish within 1 s"),
        ("echo 12345", "6 digits"),
        ("echo 1234567", "6 digits"),
        (
            "printf '\\357\\274\\221\\357\\274\\222\\357\\274\\223\\357\\274\\224\\357\\274\\225\\357\\274\\226\\n'",
            "6 digits",
        ),
        ("echo 12a456", "6 digits"),
        ("yes 123456 | head -c 100000", "more than 4 KiB"),
        ("true", "6 digits"),
    ];
    for (command, needle) in cases {
        let fx = seed_with(&format!("mfa_process = {command}\n"), "");
        let start = Instant::now();
        let out = swrole_no_tty(&fx, &moto, &["sw-staging", "--shell", "bash", "--mfa-timeout", "1"], &[]);
        assert_eq!(out.status.code(), Some(1), "{command}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "{command}");
        let err = text(&out.stderr);
        assert!(err.contains(needle), "{command}: {err}");
        assert!(err.contains("mfa_process of profile \"sw-staging\""), "{command}: names the profile: {err}");
        assert!(start.elapsed() < Duration::from_secs(10), "{command}: {:?}", start.elapsed());
    }
    assert!(moto.requests().is_empty(), "nothing was sent");
}

/// An Xvfb display for one test, on a free display number.
struct Display {
    child: Child,
    name: String,
}

impl Display {
    fn start() -> Option<Display> {
        if !["Xvfb", "zenity", "xdotool"].iter().all(|t| require(t)) {
            return None;
        }
        // Xvfb picks a free display itself and writes its number (-displayfd): two tests
        // starting at once never share one (and never answer each other's dialog).
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "800x600x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take()?), &mut line).ok()?;
        let n: u32 = line.trim().parse().ok()?;
        Some(Display { child, name: format!(":{n}") })
    }
}

/// Wait for the dialog on `display`, focus it (Xvfb has no window manager), then send
/// `keys`, from another thread while swrole waits for the answer.
fn answer_later(display: &str, keys: &'static [&'static [&'static str]]) -> std::thread::JoinHandle<()> {
    let display = display.to_string();
    std::thread::spawn(move || {
        let xdo =
            |args: &[&str]| Command::new("xdotool").args(args).env("DISPLAY", &display).output().unwrap();
        // An event, not a time: the dialog's window appearing (a minute at most, however
        // loaded the machine).
        let deadline = Instant::now() + Duration::from_secs(60);
        let window = loop {
            let out = xdo(&["search", "--name", "^swrole$"]);
            if let Some(id) = text(&out.stdout).lines().next().map(str::to_string) {
                break id;
            }
            assert!(Instant::now() < deadline, "no dialog appeared");
            std::thread::sleep(Duration::from_millis(100));
        };
        std::thread::sleep(Duration::from_millis(300));
        xdo(&["windowfocus", "--sync", &window]);
        for k in keys {
            xdo(k);
        }
    })
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_zenity_dialog_asks_when_there_is_no_terminal() {
    let Some(display) = Display::start() else { return };
    let Some(moto) = Moto::start() else { return };
    // OK: the typed code is the one sent, and the MFA session is cached.
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let typer = answer_later(&display.name, &[&["type", "--delay", "50", "123 456"], &["key", "Return"]]);
    let out = swrole_no_tty(&fx, &moto, &["credential-process", "sw-staging"], &[("DISPLAY", &display.name)]);
    typer.join().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["AccountId"], "210987654321");
    assert_eq!(moto.requests()[0].form["TokenCode"], "123456");
    // The next profile behind the same device needs nothing: no dialog.
    let out =
        swrole_no_tty(&fx, &moto, &["credential-process", "sw-production"], &[("DISPLAY", &display.name)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Cancel: a clean failure, nothing sent.
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let before = moto.requests().len();
    let canceller = answer_later(&display.name, &[&["key", "Escape"]]);
    let out = swrole_no_tty(&fx, &moto, &["credential-process", "sw-staging"], &[("DISPLAY", &display.name)]);
    canceller.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("cancelled"), "{}", text(&out.stderr));
    assert_eq!(moto.requests().len(), before, "nothing was sent");
    // No display and no terminal: the clear error, at once.
    let out = swrole_no_tty(&fx, &moto, &["credential-process", "sw-staging"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no terminal to ask on"), "{}", text(&out.stderr));
}

/// The AWS CLI runs swrole as a credential_process with no terminal; mfa_process gives the
/// code once, and the MFA session serves the next profile.
#[test]
fn the_aws_cli_with_no_terminal_gets_its_code_from_mfa_process() {
    if !require("aws") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let bin = swrole_path();
    let config = format!(
        "{SEED_CONFIG}\n[profile cp-staging]\ncredential_process = {0} credential-process sw-staging\n\
         [profile cp-production]\ncredential_process = {0} credential-process sw-production\n",
        bin.display()
    )
    .replace("[default]\n", "[default]\nmfa_process = echo 777777\n");
    let fx = Fixture::new(&config, SEED_CREDENTIALS);
    for (profile, account) in [("cp-staging", "210987654321"), ("cp-production", "111111111111")] {
        let mut cmd = Command::new("aws");
        cmd.args(["--profile", profile, "--region", "ap-northeast-1", "--endpoint-url", &moto.url()])
            .args(["sts", "get-caller-identity"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", fx.home())
            .env("SWROLE_CACHE_STORE", "file")
            .env("AWS_ENDPOINT_URL_STS", moto.url());
        let out = crate::util::without_terminal(&mut cmd).output().unwrap();
        assert!(out.status.success(), "{profile}: {}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["Account"], account, "{profile}");
    }
    let sessions: Vec<_> =
        moto.requests().into_iter().filter(|r| r.form["Action"] == "GetSessionToken").collect();
    assert_eq!(sessions.len(), 1, "one MFA session for the day");
    assert_eq!(sessions[0].form["TokenCode"], "777777");
}

/// On a terminal, the mfa_process's own messages (a YubiKey's "touch your key") reach the
/// user there, and no code is asked for.
#[test]
fn mfa_process_messages_reach_the_terminal() {
    if !require("python3") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let fx = seed_with("mfa_process = echo 'Touch your YubiKey...' >&2; echo 424242\n", "");
    let helper = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/pty_run.py");
    let out = Command::new("python3")
        .arg(helper)
        .arg("MFA code for")
        .arg("")
        .arg(swrole_path())
        .args(["sw-staging", "--shell", "bash"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", fx.home())
        .env("USER", "tester")
        .env("SWROLE_CACHE_STORE", "file")
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["status"], 0, "{r}");
    let tty = r["tty"].as_str().unwrap();
    assert!(tty.contains("Touch your YubiKey..."), "{tty}");
    assert!(!tty.contains("MFA code for"), "no question when mfa_process gives the code: {tty}");
    assert_eq!(moto.requests()[0].form["TokenCode"], "424242");
}
