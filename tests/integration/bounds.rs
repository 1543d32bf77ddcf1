//! Tests that catch the next bug, round 2 (issue 31): every bound a flag has, at and one
//! past each end, through the real command line, with a recorder proving that a refused
//! value reaches no STS; and the endpoint's listening socket as the kernel reports it.

use crate::dayone::ShortSts;
use crate::util::Fixture;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const ROLE: &str = "[profile r]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/r\n\
                    [profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = s\n";

/// Each flag with a bound: its lowest and highest good values, and one past each.
const BOUNDS: &[(&str, &str, &str, &str, &str)] = &[
    ("--duration", "899", "900", "43200", "43201"),
    ("--duration", "14m59s", "15m", "12h", "12h1s"),
    ("--connect-timeout", "0", "1", "3600", "3601"),
    ("--read-timeout", "0", "1", "3600", "3601"),
    ("--process-timeout", "0", "1", "3600", "3601"),
    ("--mfa-timeout", "0", "1", "3600", "3601"),
    ("--refresh-margin", "-1", "0", "12h", "43201"),
    ("--mfa-session-duration", "899", "900", "36h", "129601"),
];

#[test]
fn every_flag_bound_is_checked_before_any_call() {
    let sts = ShortSts::start(&[3300]);
    let fx = Fixture::new(ROLE, "");
    let run = |flag: &str, value: &str| {
        fx.swrole()
            .args(["r", "--shell", "bash", "--no-cache", "--yes"])
            .arg(format!("{flag}={value}"))
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            .output()
            .unwrap()
    };
    for (flag, below, low, high, above) in BOUNDS {
        for bad in [below, above] {
            let before = sts.requests();
            let out = run(flag, bad);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{flag}={bad} is refused as a usage error: {}",
                text(&out.stderr)
            );
            assert!(out.stdout.is_empty());
            assert!(
                text(&out.stderr).contains(flag),
                "{flag}={bad}: the error names the flag: {}",
                text(&out.stderr)
            );
            assert_eq!(sts.requests(), before, "{flag}={bad} reached STS");
        }
        for good in [low, high] {
            let before = sts.requests();
            let out = run(flag, good);
            // A margin of 12h on a one-hour role is clamped: still a switch.
            assert!(out.status.success(), "{flag}={good} is accepted: {}", text(&out.stderr));
            assert_eq!(sts.requests(), before + 1, "{flag}={good}: one call");
        }
    }
    // What was accepted is what is sent: --duration at both ends.
    let forms = sts.forms();
    assert!(forms.iter().any(|f| f.contains("DurationSeconds=900")), "900 sent");
    assert!(forms.iter().any(|f| f.contains("DurationSeconds=43200")), "43200 sent");
}

/// The ports the kernel says are listening, with their local address (hex, as
/// /proc/net/tcp and tcp6 write it).
fn listening(port: u16) -> Vec<String> {
    let mut out = Vec::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(table) = std::fs::read_to_string(file) else { continue };
        for line in table.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (cols.get(1), cols.get(3)) else { continue };
            let Some((addr, hex_port)) = local.split_once(':') else { continue };
            if *state == "0A" && u16::from_str_radix(hex_port, 16) == Ok(port) {
                out.push(addr.to_string());
            }
        }
    }
    out
}

/// Issue 31, item 2: the endpoint listens on loopback only, as the kernel reports the
/// socket, for the default and for `--server-address ::1`.
#[test]
fn the_endpoint_listens_on_loopback_only_as_the_kernel_says() {
    let sts = ShortSts::start(&[3300]);
    let fx = Fixture::new(ROLE, "");
    for (address, expected) in [(None, "0100007F"), (Some("::1"), "00000000000000000000000001000000")] {
        let _ = std::fs::remove_file(fx.home().join("go"));
        let _ = std::fs::remove_file(fx.home().join("uri.txt"));
        let mut cmd = fx.no_terminal(&sts.url());
        cmd.args(["exec", "--server", "r"]);
        if let Some(a) = address {
            cmd.args(["--server-address", a]);
        }
        let job =
            "echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" > uri.txt; while [ ! -e go ]; do sleep 0.05; done";
        let mut swrole = cmd.args(["--", "sh", "-c", job]).spawn().unwrap();
        let uri_file = fx.home().join("uri.txt");
        crate::util::wait_for_line(&uri_file);
        let uri = std::fs::read_to_string(&uri_file).unwrap();
        let port: u16 = uri.trim().trim_end_matches('/').rsplit(':').next().unwrap().parse().unwrap();
        let sockets = listening(port);
        std::fs::write(fx.home().join("go"), "").unwrap();
        swrole.wait().unwrap();
        assert_eq!(sockets, [expected], "{address:?}: the kernel's listening sockets for port {port}");
    }
}

/// Issue 31, item 5: plain http to a remote host with a port is refused from every source
/// an endpoint comes from, before anything is sent, and the error names the URL.
#[test]
fn plain_http_with_a_port_is_refused_from_every_source() {
    let bad = "http://sts.example.com:8080";
    let services = format!("[profile r]\nservices = s\n[services s]\nsts =\n  endpoint_url = {bad}\n");
    let profile = format!("[profile r]\nendpoint_url = {bad}\n");
    let role = "source_profile = base\nrole_arn = arn:aws:iam::111111111111:role/r\n\
                [profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = s\n";
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        (format!("[profile r]\n{role}"), vec![("AWS_ENDPOINT_URL_STS", bad)], vec!["r"]),
        (format!("[profile r]\n{role}"), vec![("AWS_ENDPOINT_URL", bad)], vec!["r"]),
        (format!("{profile}{role}"), vec![], vec!["r"]),
        (services.replace("services = s\n", &format!("services = s\n{role}")), vec![], vec!["r"]),
        (
            format!("[profile r]\n{role}"),
            vec![("SWROLE_FEDERATION_URL", bad)],
            vec!["console", "r", "--print"],
        ),
    ];
    for (config, env, args) in cases {
        let fx = Fixture::new(&config, "");
        let out = fx
            .swrole()
            .args(&args)
            .args(["--shell", "bash"].iter().filter(|_| args[0] == "r"))
            .envs(env.clone())
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{env:?} {config}: {err}");
        assert!(out.stdout.is_empty());
        assert!(
            err.contains("sts.example.com:8080") && err.contains("plain http to a non-loopback host"),
            "{env:?}: {err}"
        );
    }
}

/// Issue 31, item 3: the whole environment contract of each mode, as the exact set of
/// AWS and switcher variables the job sees, starting from a shell full of stale ones; and
/// no secret value anywhere in the job's environment.
#[test]
fn the_environment_of_each_mode_is_exactly_the_contract() {
    let sts = ShortSts::start(&[3300]);
    let fx = Fixture::new(ROLE, "");
    let stale = [
        ("AWS_PROFILE", "old"),
        ("AWS_DEFAULT_PROFILE", "old"),
        ("AWS_SECURITY_TOKEN", "stale-token"),
        ("AWS_SESSION_EXPIRATION", "2000-01-01T00:00:00Z"),
        ("AWS_VAULT", "old"),
        ("AWSUME_EXPIRATION", "x"),
        ("AWSUME_COMMAND", "x"),
        ("AWSU_PROFILE", "x"),
        ("GRANTED_SSO", "true"),
        ("GRANTED_COMMAND", "x"),
        ("AWS_ACCESS_KEY_ID", "AKIASTALE00000000000"),
        ("AWS_SECRET_ACCESS_KEY", "stale-secret"),
        ("SWROLE_CREDENTIAL_PROCESS_CHAIN", "other"),
        ("SWROLE_COLOR", "red"),
    ];
    // The role's own secret is the point of plain `exec`; never under `--server`.
    let names = |args: &[&str], secrets: &[&str]| {
        let out = fx.swrole().args(args).env("AWS_ENDPOINT_URL_STS", sts.url()).envs(stale).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        let env = text(&out.stdout);
        for secret in ["stale-secret", "stale-token", "base-secret"].iter().chain(secrets) {
            assert!(!env.contains(secret), "{args:?}: {secret} in the job's environment");
        }
        let mut set: Vec<String> = env
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.to_string()))
            .filter(|k| ["AWS", "SWROLE_", "GRANTED_"].iter().any(|p| k.starts_with(p)))
            .collect();
        set.sort();
        set
    };
    // The chain variable is gone even though the caller had one: the job is not a
    // credential_process of swrole's.
    let exec = names(&["exec", "r", "--no-cache", "--", "env"], &[]);
    assert_eq!(
        exec,
        [
            "AWSUME_PROFILE",
            "AWS_ACCESS_KEY_ID",
            "AWS_ACCOUNT_ID",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWS_ENDPOINT_URL_STS",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "SWROLE_CACHE_STORE", // the caller's own setting, passed on
            "SWROLE_EXPIRATION",
            "SWROLE_PROFILE",
            "SWROLE_ROLE_ARN",
        ],
        "exec"
    );
    let server = names(&["exec", "--server", "r", "--no-cache", "--", "env"], &["secret", "token"]);
    assert_eq!(
        server,
        [
            "AWSUME_PROFILE",
            "AWS_ACCOUNT_ID",
            "AWS_CONFIG_FILE",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_ENDPOINT_URL_STS",
            "AWS_SDK_LOAD_CONFIG",
            "AWS_SHARED_CREDENTIALS_FILE",
            "SWROLE_CACHE_STORE",
            "SWROLE_PROFILE",
            "SWROLE_ROLE_ARN",
        ],
        "exec --server: no key, no secret, no expiry of credentials it does not hold"
    );
}

/// Issue 31, item 7: a name the files could never hold as a profile is refused by every
/// command that takes one, with the name in the message and nothing sent or stored.
#[test]
fn every_command_that_takes_a_profile_refuses_one_no_file_could_hold() {
    let sts = ShortSts::start(&[3300]);
    let fx = Fixture::new(ROLE, "");
    let name = "a b";
    for args in [
        vec![name, "--shell", "bash"],
        vec!["exec", name, "--", "true"],
        vec!["exec", "--server", name, "--", "true"],
        vec!["explain", name],
        vec!["console", name, "--print"],
        vec!["credential-process", name],
        vec!["cache", "clear", name],
        vec!["keys", "add", name, "--stdin"],
        vec!["keys", "import", name],
        vec!["keys", "remove", name],
        vec!["login", name],
    ] {
        let out = fx
            .swrole()
            .args(&args)
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            .env("SWROLE_KEY_STORE", "file")
            .write_stdin("AKIAAAAAAAAAAAAAAAAA\nsecret\n")
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(err.contains("\"a b\""), "{args:?}: the message names it: {err}");
    }
    assert_eq!(sts.requests(), 0, "nothing was sent");
    assert!(!fx.home().join(".local/share/swrole/keys").exists(), "nothing was stored");
}

/// An STS that answers by action: GetSessionToken with an MFA session that lasts
/// `session_secs`, AssumeRole with role credentials that last `role_secs`; each request's
/// form recorded.
struct MfaSts {
    port: u16,
    forms: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl MfaSts {
    fn start(session_secs: u64, role_secs: u64) -> MfaSts {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let forms = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = forms.clone();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let Some((_, body)) = crate::util::read_http_request(&mut reader) else { continue };
                let form = text(&body);
                seen.lock().unwrap().push(form.clone());
                let (action, secs) = if form.contains("Action=GetSessionToken") {
                    ("GetSessionToken", session_secs)
                } else {
                    ("AssumeRole", role_secs)
                };
                let expires = humantime::format_rfc3339_seconds(
                    std::time::SystemTime::now() + std::time::Duration::from_secs(secs),
                );
                let user = if action == "AssumeRole" {
                    "<AssumedRoleUser><AssumedRoleId>AROA:x</AssumedRoleId>\
                     <Arn>arn:aws:sts::111111111111:assumed-role/r/x</Arn></AssumedRoleUser>"
                } else {
                    ""
                };
                let xml = format!(
                    "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result><Credentials>\
                     <AccessKeyId>ASIAMFASTS{n:010}</AccessKeyId><SecretAccessKey>secret{n}</SecretAccessKey>\
                     <SessionToken>token{n}</SessionToken><Expiration>{expires}</Expiration></Credentials>{user}\
                     </{action}Result><ResponseMetadata><RequestId>r-{n}</RequestId></ResponseMetadata></{action}Response>"
                );
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                    xml.len()
                );
            }
        });
        MfaSts { port, forms }
    }
}

/// Issue 31, item 6: an `exec --server` job whose MFA session runs out, without
/// `--allow-prompt`: the job gets an error, and nothing is asked on the terminal swrole
/// runs on (a pty here) or anywhere else.
#[test]
fn a_renewal_past_the_mfa_session_never_asks_without_allow_prompt() {
    if !crate::util::require("python3") {
        return;
    }
    // The MFA session lasts 4 s, role credentials 3 s: the third request needs a new code.
    let sts = MfaSts::start(4, 3);
    let config = "[profile r]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/r\n\
                  mfa_serial = arn:aws:iam::123456789012:mfa/me\n\
                  [profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = s\n";
    let fx = Fixture::new(config, "");
    std::fs::write(
        fx.home().join("ask.py"),
        "import os, sys, time, urllib.request, urllib.error\n\
         r = urllib.request.Request(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'], headers={'Authorization': os.environ['AWS_CONTAINER_AUTHORIZATION_TOKEN']})\n\
         for i in range(12):\n\
         \x20   try:\n\
         \x20       with urllib.request.urlopen(r, timeout=5) as a: print(a.status, flush=True)\n\
         \x20   except urllib.error.HTTPError as e:\n\
         \x20       print(e.code, flush=True); sys.exit(0)\n\
         \x20   time.sleep(1)\n",
    )
    .unwrap();
    let helper = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/pty_run.py");
    let out = std::process::Command::new("python3")
        .args([helper, "MFA code", "123456"])
        .arg(crate::util::swrole_path())
        .args(["exec", "--server", "r", "-t", "123456", "--refresh-margin", "1", "--", "python3", "ask.py"])
        .current_dir(fx.home())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", fx.home())
        .env("USER", "tester")
        .env("SWROLE_CACHE_STORE", "file")
        .env("AWS_ENDPOINT_URL_STS", format!("http://127.0.0.1:{}", sts.port))
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tty = r["tty"].as_str().unwrap();
    assert!(!tty.contains("MFA code for"), "a code was asked on the terminal: {tty}");
    assert!(tty.contains("cannot be renewed without you"), "swrole said what to do: {tty}");
    let answers: Vec<&str> = r["stdout"].as_str().unwrap().lines().collect();
    assert_eq!(answers.first(), Some(&"200"), "{answers:?}");
    assert!(answers.last().is_some_and(|s| s.starts_with('5')), "the job got an error: {answers:?}");
    let codes = sts.forms.lock().unwrap().iter().filter(|f| f.contains("TokenCode=")).count();
    assert_eq!(codes, 1, "one code, the one given with -t");
}

/// Issue 31, item 4: what another process prints is read up to its limit exactly and
/// refused one byte past it, with the named error: a credential_process (64 KiB) and an
/// mfa_process (4 KiB).
#[test]
fn process_output_is_bounded_at_its_limit_exactly() {
    let fx = Fixture::new("", "");
    let doc = |size: usize| {
        let head =
            "{\"Version\":1,\"AccessKeyId\":\"AKIAPROCESS000000001\",\"SecretAccessKey\":\"s\",\"Pad\":\"";
        format!("{head}{}\"}}", "x".repeat(size - head.len() - 2))
    };
    for (size, ok) in [(64 * 1024, true), (64 * 1024 + 1, false)] {
        std::fs::write(fx.home().join("doc.json"), doc(size)).unwrap();
        std::fs::write(fx.config_path(), "[profile p]\ncredential_process = cat doc.json\n").unwrap();
        let out = fx.swrole().args(["p", "--shell", "bash"]).current_dir(fx.home()).output().unwrap();
        assert_eq!(out.status.success(), ok, "credential_process of {size} bytes: {}", text(&out.stderr));
        if !ok {
            assert!(text(&out.stderr).contains("printed more than 64 KiB"), "{}", text(&out.stderr));
        }
    }
    let sts = ShortSts::start(&[3300]);
    for (size, ok) in [(4096, true), (4097, false)] {
        // The code on the last line, after blank lines that fill the output to `size` bytes.
        std::fs::write(fx.home().join("code.txt"), format!("{}123456\n", "\n".repeat(size - 7))).unwrap();
        std::fs::write(
            fx.config_path(),
            format!("{ROLE}mfa_process = cat code.txt\n").replace(
                "role_arn = arn:aws:iam::111111111111:role/r\n",
                "role_arn = arn:aws:iam::111111111111:role/r\nmfa_serial = arn:aws:iam::123456789012:mfa/me\nmfa_process = cat code.txt\n",
            ),
        )
        .unwrap();
        let out = fx
            .swrole()
            .args(["r", "--shell", "bash", "--no-cache"])
            .current_dir(fx.home())
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            .output()
            .unwrap();
        assert_eq!(out.status.success(), ok, "mfa_process of {size} bytes: {}", text(&out.stderr));
        if !ok {
            assert!(text(&out.stderr).contains("printed more than 4 KiB"), "{}", text(&out.stderr));
        }
    }
}

/// Issue 31, item 8: the dialog gets exactly the argv swrole means, whatever the profile's
/// name holds, and the code it prints is what is sent.
#[test]
fn the_dialog_gets_exactly_its_argv_and_its_code_is_sent() {
    let sts = ShortSts::start(&[3300]);
    let name = "we-ird%40name+1:x/y@z";
    let serial = "arn:aws:iam::123456789012:mfa/me.you+1@example.com";
    let config = format!(
        "[profile {name}]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/r\nmfa_serial = {serial}\n\
         [profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = s\n"
    );
    let fx = Fixture::new(&config, "");
    let bin = fx.home().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let zenity = bin.join("zenity");
    std::fs::write(&zenity, "#!/bin/sh\nprintf '%s\\0' \"$@\" > \"$HOME/argv\"\necho 654321\n").unwrap();
    std::fs::set_permissions(&zenity, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = fx
        .no_terminal(&sts.url())
        .args(["credential-process", name, "--no-cache"])
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
        .env("DISPLAY", ":99")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let argv = std::fs::read(fx.home().join("argv")).unwrap();
    let argv: Vec<String> = argv.split(|b| *b == 0).filter(|a| !a.is_empty()).map(text).collect();
    assert_eq!(
        argv,
        [
            "--entry".to_string(),
            "--title=swrole".to_string(),
            format!("--text=MFA code for profile {name}\n(device {serial})")
        ]
    );
    let forms = sts.forms();
    assert!(forms[0].contains("TokenCode=654321"), "the dialog's code is the one sent: {}", forms[0]);
}

/// One AssumeRole answer with a session token of `len` bytes, from a one-shot STS on
/// loopback; the requests it got are counted.
fn sts_with_token(len: usize) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            if crate::util::read_http_request(&mut reader).is_none() {
                continue;
            }
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let expires = humantime::format_rfc3339_seconds(
                std::time::SystemTime::now() + std::time::Duration::from_secs(3600),
            );
            let xml = format!(
                "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials>\
                 <AccessKeyId>ASIABOUNDEDTOKEN0001</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>\
                 <SessionToken>{}</SessionToken><Expiration>{expires}</Expiration></Credentials>\
                 <AssumedRoleUser><AssumedRoleId>AROA:x</AssumedRoleId><Arn>arn:aws:sts::111111111111:assumed-role/r/x</Arn>\
                 </AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\
                 </AssumeRoleResponse>",
                "T".repeat(len)
            );
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                xml.len()
            );
        }
    });
    (url, count)
}

/// Issue 31, item 4: an STS answer read through the SDK is bounded by the credentials'
/// shape: a session token of 16 KiB is taken, one byte more is refused by name with
/// nothing printed and nothing cached; a dialog that prints more than 4 KiB is refused by
/// name and nothing is sent.
#[test]
fn sts_answers_and_dialog_output_are_bounded_at_their_limits() {
    let fx = Fixture::new(ROLE, "");
    for (len, ok) in [(16 * 1024, true), (16 * 1024 + 1, false)] {
        let (url, calls) = sts_with_token(len);
        let out =
            fx.swrole().args(["r", "--shell", "bash"]).env("AWS_ENDPOINT_URL_STS", &url).output().unwrap();
        assert_eq!(out.status.success(), ok, "a token of {len} bytes: {}", text(&out.stderr));
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        if ok {
            assert!(text(&out.stdout).contains(&"T".repeat(len)));
            std::fs::remove_dir_all(fx.home().join(".cache")).unwrap();
        } else {
            assert!(out.stdout.is_empty());
            assert!(text(&out.stderr).contains("oversized secret"), "{}", text(&out.stderr));
            assert!(!text(&out.stderr).contains("TTTT"), "the value is never shown");
            // Nothing was cached: the next switch asks STS again.
            let (url, calls) = sts_with_token(len);
            let _ = fx
                .swrole()
                .args(["r", "--shell", "bash"])
                .env("AWS_ENDPOINT_URL_STS", &url)
                .output()
                .unwrap();
            assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        }
    }
    // A dialog's output over 4 KiB.
    let sts = ShortSts::start(&[3300]);
    let config = ROLE.replace(
        "role_arn = arn:aws:iam::111111111111:role/r\n",
        "role_arn = arn:aws:iam::111111111111:role/r\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n",
    );
    let fx = Fixture::new(&config, "");
    let bin = fx.home().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let zenity = bin.join("zenity");
    std::fs::write(&zenity, "#!/bin/sh\nhead -c 4090 /dev/zero | tr '\\0' '\\n'\necho 123456\n").unwrap();
    std::fs::set_permissions(&zenity, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = fx
        .no_terminal(&sts.url())
        .args(["credential-process", "r", "--no-cache"])
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
        .env("DISPLAY", ":99")
        .output()
        .unwrap();
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(text(&out.stderr).contains("printed more than 4 KiB"), "{}", text(&out.stderr));
    assert!(sts.forms().is_empty(), "no code was sent");
}
