//! Hardening, round 2: what an outside review and real AWS clients found. Each test names
//! the finding it guards and tries several variants of it, not only the reported one.

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::moto::{Moto, seed};
use crate::util::{Fixture, parse_env0, pipe_into, require};

const STATIC: &str = "[profile static]\nregion = eu-west-1\n";
const STATIC_KEYS: &str =
    "[static]\naws_access_key_id = AKIASTATIC0000000001\naws_secret_access_key = static-secret-value\n";

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A loopback listener that counts the connections it gets (and answers none).
fn recorder() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            seen.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 1024];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = stream.read(&mut buf);
        }
    });
    (port, count)
}

/// Finding 1: The plain-http guard judges the host the request goes to: a user name or password in
/// an endpoint is refused, wherever the endpoint comes from.
#[test]
fn endpoints_with_userinfo_are_refused_everywhere() {
    let (port, seen) = recorder();
    let fx = Fixture::new(
        "[profile r]\nsource_profile = b\nrole_arn = arn:aws:iam::123456789012:role/r\n\
         [profile b]\naws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = s\n",
        "",
    );
    let variants = [
        "http://127.0.0.1:@sts.example.net/".to_string(),
        "http://127.0.0.1@sts.example.net/".to_string(),
        format!("http://sts.example.net@127.0.0.1:{port}/"),
        format!("http://user:pass@localhost:{port}/"),
        format!("http://[::1]:x@127.0.0.1:{port}/"),
        "https://token@sts.amazonaws.com/".to_string(),
    ];
    for url in &variants {
        for var in ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"] {
            let out = fx.swrole().args(["r", "--shell", "bash"]).env(var, url).output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{var}={url}");
            assert!(out.stdout.is_empty());
            assert!(stderr_of(&out).contains("user name or password"), "{var}={url}: {}", stderr_of(&out));
        }
    }
    // From the config file too: endpoint_url and a [services] block.
    for config in [
        format!(
            "[profile r]\nsource_profile = b\nrole_arn = arn:aws:iam::123456789012:role/r\nendpoint_url = {}\n\
             [profile b]\naws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = s\n",
            variants[0]
        ),
        format!(
            "[profile r]\nsource_profile = b\nrole_arn = arn:aws:iam::123456789012:role/r\nservices = s\n\
             [services s]\nsts =\n  endpoint_url = {}\n\
             [profile b]\naws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = s\n",
            variants[2]
        ),
    ] {
        let fx = Fixture::new(&config, "");
        let out = fx.swrole().args(["r", "--shell", "bash"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{config}");
        assert!(stderr_of(&out).contains("user name or password"), "{}", stderr_of(&out));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(seen.load(Ordering::SeqCst), 0, "nothing was sent");
}

/// Finding 2: An unset removes the variable from every scope that reaches child processes: in fish,
/// an exported universal variable too.
#[test]
fn fish_universal_variables_do_not_survive_a_switch() {
    if !require("fish") {
        return;
    }
    let fx = Fixture::new(STATIC, STATIC_KEYS);
    for (args, label) in
        [(&["--shell", "fish", "static"][..], "switch"), (&["unset", "--shell", "fish"][..], "unset")]
    {
        let out = fx.swrole().args(args).assert().success();
        let code = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        // A fish with its own universal-variable store (no --no-config: that disables it).
        let home = tempfile::tempdir().unwrap();
        let script =
            "set -Ux AWS_PROFILE dev; set -Ux AWS_VAULT old; set -gx AWS_DEFAULT_PROFILE g; source; env -0";
        let result = pipe_into(
            "fish",
            &["-c", script],
            code.as_bytes(),
            home.path(),
            home.path(),
            &[("XDG_CONFIG_HOME", home.path().join("config").to_str().unwrap())],
        );
        assert!(result.status.success(), "{label}: {}", stderr_of(&result));
        let env = parse_env0(&result.stdout);
        for name in ["AWS_PROFILE", "AWS_VAULT", "AWS_DEFAULT_PROFILE"] {
            assert!(!env.contains_key(name), "{label}: {name} reaches child processes: {:?}", env.get(name));
        }
    }
}

/// Finding 3: A cache entry copied onto another profile's file is a miss with a warning, never the
/// other profile's credentials under this name.
#[test]
fn cache_entries_are_bound_to_their_key() {
    let Some(moto) = Moto::start() else { return };
    let (fx, cmd) = seed(&moto);
    cmd().args(["sw-staging", "-t", "123456", "--shell", "bash"]).assert().success();
    cmd().args(["sw-production", "--shell", "bash"]).assert().success();
    let dir = fx.home().join(".cache/swrole");
    let entry_of = |profile: &str| {
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .find(|p| {
                let v: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
                v["profile"] == profile && v["kind"] == "role"
            })
            .unwrap()
    };
    let (staging, production) = (entry_of("sw-staging"), entry_of("sw-production"));
    std::fs::copy(&staging, &production).unwrap();
    let before = moto.requests().len();
    let out = cmd().args(["sw-production", "--shell", "bash"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("made for another key"), "{}", stderr_of(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("AWS_ACCOUNT_ID=111111111111"), "{text}");
    assert!(text.contains("SWROLE_ROLE_ARN='arn:aws:iam::111111111111:role/"), "{text}");
    assert_eq!(moto.requests().len(), before + 1, "fetched anew");
    // Renamed rather than copied: the same.
    std::fs::rename(entry_of("sw-staging"), entry_of("sw-production")).unwrap();
    let out = cmd().args(["sw-production", "--shell", "bash"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("AWS_ACCOUNT_ID=111111111111"));
}

/// Finding 4: A credential_process that calls swrole for its own profile is stopped in every mode
/// that can start one; a credential_process is bounded in time and output.
#[test]
fn credential_process_loops_and_bounds() {
    let swrole = crate::util::swrole_path();
    let config = format!(
        "[profile loop]\ncredential_process = {0} loop --shell json\n\
         [profile a]\ncredential_process = {0} b --shell json\n\
         [profile b]\ncredential_process = {0} a --shell json\n\
         [profile slow]\ncredential_process = sleep 40\n\
         [profile flood]\ncredential_process = head -c 400000000 /dev/zero\n\
         [profile badacct]\ncredential_process = cat doc.json\n",
        swrole.display()
    );
    let fx = Fixture::new(&config, "");
    std::fs::write(
        fx.home().join("doc.json"),
        r#"{"Version":1,"AccessKeyId":"ASIAAAAAAAAAAAAAAAAA","SecretAccessKey":"s","AccountId":"12345\u001b[31m6789"}"#,
    )
    .unwrap();
    for args in [
        &["loop", "--shell", "json"][..],
        &["loop", "--shell", "bash"][..],
        &["exec", "loop", "--", "true"][..],
        &["explain", "loop", "--verify"][..],
        &["credential-process", "loop"][..],
        &["a", "--shell", "bash"][..],
    ] {
        let start = Instant::now();
        let out = fx.swrole().args(args).timeout(Duration::from_secs(30)).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr_of(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            stderr_of(&out).contains("credential_process calls swrole in a loop"),
            "{args:?}: {}",
            stderr_of(&out)
        );
        assert!(start.elapsed() < Duration::from_secs(10), "{args:?}: took {:?}", start.elapsed());
    }
    let start = Instant::now();
    let out = fx.swrole().args(["slow", "--shell", "bash", "--process-timeout", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("did not finish within 1 s"), "{}", stderr_of(&out));
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    let start = Instant::now();
    let out = fx.swrole().args(["flood", "--shell", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("printed more than 64 KiB"), "{}", stderr_of(&out));
    assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
    // Finding 6: an account id that is not 12 digits, from a process or from a file.
    let out = fx.swrole().args(["badacct", "--shell", "bash"]).current_dir(fx.home()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("AccountId") && !stderr_of(&out).contains('\u{1b}'),
        "{}",
        stderr_of(&out)
    );
    let fx = Fixture::new(
        "[profile p]\naws_access_key_id = AKIASTATIC0000000001\naws_secret_access_key = s\n\
         aws_account_id = 12345678901\u{1b}[31m\n",
        "",
    );
    let out = fx.swrole().args(["p", "--shell", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("config:4: aws_account_id of profile \"p\" is not an account id"),
        "{}",
        stderr_of(&out)
    );
}

/// Finding 5: Loopback traffic never goes through a proxy, whichever variable names it, and the
/// user's own NO_PROXY rules still apply.
#[test]
fn loopback_endpoints_bypass_proxies() {
    let Some(moto) = Moto::start() else { return };
    let (_fx, cmd) = seed(&moto);
    let (port, seen) = recorder();
    let proxy = format!("http://127.0.0.1:{port}");
    for (var, no_proxy) in [
        ("HTTP_PROXY", None),
        ("http_proxy", None),
        ("ALL_PROXY", None),
        ("HTTPS_PROXY", None),
        ("HTTP_PROXY", Some(("NO_PROXY", "corp.example"))),
        ("http_proxy", Some(("no_proxy", "corp.example"))),
    ] {
        let mut c = cmd();
        c.args(["sw-staging", "-t", "123456", "--no-cache", "--shell", "bash"]).env(var, &proxy);
        if let Some((k, v)) = no_proxy {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{var}: {}", stderr_of(&out));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(seen.load(Ordering::SeqCst), 0, "a request went through the proxy");
}

/// Finding 5, the rules kept: the loopback ranges are added to the user's own NO_PROXY (the
/// first of `NO_PROXY`, `no_proxy` that says something), under both spellings, as the
/// command `exec` runs sees them.
#[test]
fn loopback_is_added_to_the_users_no_proxy() {
    let Some(moto) = Moto::start() else { return };
    let (_fx, cmd) = seed(&moto);
    let loopback = "localhost,127.0.0.0/8,::1";
    for (vars, expected) in [
        (vec![], loopback.to_string()),
        (vec![("NO_PROXY", "corp.example")], format!("corp.example,{loopback}")),
        (vec![("NO_PROXY", " "), ("no_proxy", "intra.example")], format!("intra.example,{loopback}")),
    ] {
        let out = cmd()
            .args([
                "exec",
                "sw-staging",
                "-t",
                "123456",
                "--no-cache",
                "--",
                "sh",
                "-c",
                "echo \"$NO_PROXY|$no_proxy\"",
            ])
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        assert!(out.status.success(), "{vars:?}: {}", stderr_of(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim_end(),
            format!("{expected}|{expected}"),
            "{vars:?}"
        );
    }
}

/// Finding 7: A switch that waits for another one says so; one with its own MFA code does not wait
/// for another terminal's prompt.
#[test]
fn lock_waits_are_announced_and_own_codes_go_ahead() {
    let Some(moto) = Moto::start() else { return };
    let (fx, cmd) = seed(&moto);
    cmd().args(["sw-staging", "-t", "123456", "--shell", "bash"]).assert().success();
    let dir = fx.home().join(".cache/swrole");
    // Keep the lock files, drop the entries: the next switch must fetch, and wait for
    // whoever holds the locks.
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|e| e == "json") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let open = |name: &std::path::Path| {
        std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(name).unwrap()
    };
    let lock_all = || {
        let locks: Vec<std::fs::File> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "lock") && !p.ends_with("prompting.lock"))
            .map(|p| open(&p))
            .collect();
        assert!(locks.len() >= 2, "the role and the MFA-session locks");
        for l in &locks {
            l.lock().unwrap();
        }
        locks
    };
    let locks = lock_all();
    // Another swrole sits at its MFA prompt.
    let prompting = open(&dir.join("prompting.lock"));
    prompting.lock().unwrap();
    let start = Instant::now();
    let out = cmd()
        .args(["sw-staging", "-t", "654321", "--shell", "bash"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("going ahead with yours"), "{}", stderr_of(&out));
    assert!(start.elapsed() < Duration::from_secs(10), "waited {:?}", start.elapsed());
    // Without a code of its own it waits, and says so; it goes on once the lock is free.
    prompting.unlock().unwrap();
    let child = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        drop(locks);
    });
    let out = cmd()
        .args(["sw-staging", "--shell", "bash", "--refresh"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    child.join().unwrap();
    let said = stderr_of(&out).matches("swrole: waiting for another swrole that is getting").count();
    assert_eq!(said, 1, "said once: {}", stderr_of(&out));
    // A wait of a moment is not worth a line.
    let locks = lock_all();
    let child = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        drop(locks);
    });
    let out = cmd().args(["sw-staging", "-t", "111111", "--shell", "bash", "--refresh"]).output().unwrap();
    child.join().unwrap();
    assert!(out.status.success() && !stderr_of(&out).contains("waiting"), "{}", stderr_of(&out));
}

/// Finding 8: Without --shell, the output fits the shell that evaluates it, even when $SHELL names
/// another one (the parent process decides); the POSIX default works in every POSIX shell.
#[test]
fn output_syntax_follows_the_calling_shell() {
    let fx = Fixture::new(STATIC, STATIC_KEYS);
    let bin = crate::util::swrole_path();
    for (shell, wrong) in [
        ("zsh", "/usr/bin/fish"),
        ("bash", "/usr/bin/fish"),
        ("dash", "/usr/bin/fish"),
        ("zsh", "/usr/bin/pwsh"),
        ("bash", "/usr/bin/nu"),
    ] {
        if !require(shell) {
            continue;
        }
        let script = format!("eval \"$('{}' static)\"; printf '%s' \"$SWROLE_PROFILE\"", bin.display());
        let out =
            pipe_into(shell, &["-c", &script], b"", fx.home(), fx.home(), &[("SHELL", wrong), ("USER", "t")]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "static",
            "{shell} with SHELL={wrong}: {}",
            stderr_of(&out)
        );
    }
    if require("fish") {
        let script = format!("'{}' static | source; printf '%s' $SWROLE_PROFILE", bin.display());
        let out = pipe_into(
            "fish",
            &["--no-config", "-c", &script],
            b"",
            fx.home(),
            fx.home(),
            &[("SHELL", "/bin/zsh")],
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "static", "{}", stderr_of(&out));
    }
}

/// Finding 9: Text from the files reaches the terminal escaped on every path: list --long,
/// explain, --verbose and the warnings.
#[test]
fn file_text_is_escaped_on_every_terminal_path() {
    let fx = Fixture::new(
        "[profile evil]\nsource_profile = b\nrole_arn = arn:aws:iam::123456789012:role/x\u{1b}[2J\u{1b}]0;t\u{7}\n\
         [profile b]\naws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = s\n",
        "",
    );
    for args in [&["list", "--long"][..], &["explain", "evil"][..]] {
        let out = fx.swrole().args(args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("\\u{1b}[2J"), "{args:?}: {text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{args:?}: raw escape: {text:?}");
    }
    let out = fx
        .swrole()
        .args(["evil", "-v", "--shell", "bash", "--connect-timeout", "1"])
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(err.contains("\\u{1b}[2J"), "{err}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "raw escape: {err:?}");
}

/// Finding 10: A pasted doctor fix does exactly what it says, whatever the path holds.
#[test]
fn doctor_fixes_are_quoted_for_the_shell() {
    if !require("bash") {
        return;
    }
    let fx = Fixture::new("", "");
    let dir = fx.home().join("a b$(touch pwned)");
    std::fs::create_dir_all(&dir).unwrap();
    let creds = dir.join("cred's");
    std::fs::write(&creds, STATIC_KEYS).unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = fx.swrole().arg("doctor").env("AWS_SHARED_CREDENTIALS_FILE", &creds).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let fix = text.lines().find(|l| l.contains("fix: chmod 600")).unwrap_or_else(|| panic!("{text}"));
    let fix = fix.trim_start().strip_prefix("fix: ").unwrap();
    let run = pipe_into("bash", &["-c", fix], b"", fx.home(), fx.home(), &[]);
    assert!(run.status.success(), "{fix}: {}", stderr_of(&run));
    assert_eq!(std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(!fx.home().join("pwned").exists(), "the fix ran a command");
}

/// Finding 11–13: Bounded timeouts, a trusted cache parent, reserved --cmd names.
#[test]
fn timeouts_cache_parent_and_cmd_names() {
    let fx = Fixture::new(STATIC, STATIC_KEYS);
    for flag in ["--connect-timeout", "--read-timeout", "--process-timeout"] {
        for value in ["18446744073709551615", "99999999999999999999999", "0"] {
            let out = fx.swrole().args(["static", flag, value]).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{flag} {value}: {}", stderr_of(&out));
            assert!(!stderr_of(&out).contains("panicked"), "{}", stderr_of(&out));
        }
    }
    for name in ["export", "command", "builtin", "unset", "eval", "__swrole_sw", "swrole_prompt_update", "cd"]
    {
        let out = fx.swrole().args(["init", "bash", "--cmd", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "--cmd {name}");
        assert!(out.stdout.is_empty());
    }
    // A group/world-writable cache parent without the sticky bit: the cache is not used.
    let Some(moto) = Moto::start() else { return };
    let (fx, cmd) = seed(&moto);
    let parent = fx.home().join("shared-cache");
    std::fs::create_dir_all(&parent).unwrap();
    std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = cmd()
        .args(["sw-staging", "-t", "123456", "--shell", "bash"])
        .env("XDG_CACHE_HOME", &parent)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("can be written by group or others"), "{}", stderr_of(&out));
    let entries = std::fs::read_dir(&parent).unwrap().count();
    assert_eq!(entries, 0, "nothing written under an untrusted parent");
    let out = cmd().arg("doctor").env("XDG_CACHE_HOME", &parent).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("can be written by group or others"));
}

/// Finding 14: `sw -- NAME` reaches profiles named like a flag or `off`; a profile named `off` can
/// be refreshed.
#[test]
fn sw_reaches_every_profile_name() {
    if !require("bash") {
        return;
    }
    let fx = Fixture::new(
        "[profile off]\nregion = eu-west-1\n[profile -dash]\nregion = eu-west-2\n",
        "[off]\naws_access_key_id = AKIASTATIC0000000001\naws_secret_access_key = s\n\
         [-dash]\naws_access_key_id = AKIASTATIC0000000002\naws_secret_access_key = s\n",
    );
    let file = crate::util::shell_file("swrole.bash");
    let path = crate::util::path_with_swrole();
    let script = format!(
        "source '{}'\nsw -- -dash || exit 11\nprintf 'A=%s\\n' \"$SWROLE_PROFILE\"\nsw -- off || exit 12\n\
         printf 'B=%s\\n' \"$SWROLE_PROFILE\"\nsw --profile -dash --region us-east-2 || exit 13\n\
         printf 'C=%s %s\\n' \"$SWROLE_PROFILE\" \"$AWS_REGION\"\nsw off\nprintf 'D=%s\\n' \"${{SWROLE_PROFILE-none}}\"\n",
        file.display()
    );
    let out = pipe_into(
        "bash",
        &["--noprofile", "--norc", "-c", &script],
        b"",
        fx.home(),
        fx.home(),
        &[("PATH", &path)],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text} {}", stderr_of(&out));
    assert!(text.contains("A=-dash\nB=off\nC=-dash us-east-2\nD=none\n"), "{text}");
}

/// Finding 15–16: What real clients read: AccountId in the credential_process document; without a
/// terminal or MFA session, an error that says what works there.
#[test]
fn credential_process_document_and_its_mfa_message() {
    let Some(moto) = Moto::start() else { return };
    let (_fx, cmd) = seed(&moto);
    let out = cmd().args(["credential-process", "sw-staging", "-t", "123456"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["AccountId"], "210987654321");
    let out = cmd().args(["credential-process", "sw-staging", "--refresh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("switch once in a terminal"), "{err}");
    assert!(!err.contains("--token-code") && !err.contains("os error"), "{err}");
}

/// Finding 17: Other switchers' markers of the replaced credentials are cleared; doctor flags the
/// credential sources a switch leaves alone.
#[test]
fn other_switchers_markers_are_cleared() {
    if !require("bash") {
        return;
    }
    let fx = Fixture::new(STATIC, STATIC_KEYS);
    let markers = [
        "AWS_VAULT",
        "AWSUME_EXPIRATION",
        "AWSUME_COMMAND",
        "AWSU_PROFILE",
        "GRANTED_SSO",
        "GRANTED_SSO_START_URL",
        "GRANTED_SSO_ROLE_NAME",
        "GRANTED_SSO_REGION",
        "GRANTED_SSO_ACCOUNT_ID",
        "GRANTED_COMMAND",
    ];
    let env: Vec<(&str, &str)> = markers.iter().map(|m| (*m, "old")).collect();
    let out = fx.swrole().args(["static", "--shell", "bash"]).assert().success();
    let code = out.get_output().stdout.clone();
    let result = pipe_into("bash", &["-c", "eval \"$(cat)\"; env -0"], &code, fx.home(), fx.home(), &env);
    let after = parse_env0(&result.stdout);
    for m in markers {
        assert!(!after.contains_key(m), "{m} survived the switch");
    }
    let out = fx
        .swrole()
        .arg("doctor")
        .env("AWS_VAULT", "x")
        .env("AWS_ROLE_ARN", "arn:aws:iam::1:role/x")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("AWS_VAULT is set by aws-vault"), "{text}");
    assert!(text.contains("AWS_ROLE_ARN is set"), "{text}");
}

/// Finding 18: The default session name is the same with or without USER (the OS's login name),
/// so every shell shares the cache.
#[test]
fn session_name_does_not_depend_on_user() {
    let fx = Fixture::new(
        "[profile r]\nsource_profile = b\nrole_arn = arn:aws:iam::123456789012:role/r\n\
         [profile b]\naws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = s\n",
        "",
    );
    let me = String::from_utf8(std::process::Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    let me = me.trim();
    let with = fx.swrole().args(["explain", "r"]).env("USER", me).output().unwrap();
    let without = fx.swrole().args(["explain", "r"]).env_remove("USER").output().unwrap();
    let line = |o: &std::process::Output| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .find(|l| l.contains("session name"))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line(&with).contains(&format!("session name {me} ")), "{}", line(&with));
    assert_eq!(line(&with), line(&without));
}
