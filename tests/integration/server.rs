//! `swrole exec --server`: a job gets fresh role credentials from a loopback endpoint for
//! as long as the MFA session lives; the AWS CLI, boto3 and the JS SDK v3 read it; the
//! endpoint refuses everything but its own GET; signals and exit statuses are the job's.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::moto::{Moto, seed};
use crate::util::{Fixture, require};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `swrole ARGS` in a new session (no terminal), as a CI job or a cron job runs it.
fn swrole_no_tty(fx: &Fixture, moto_url: &str, args: &[&str]) -> Command {
    let mut cmd = fx.no_terminal(moto_url);
    cmd.args(args).env("AWS_ENDPOINT_URL", moto_url);
    cmd
}

/// `exec --server` for profile sw-staging running `sh -c job`, its credentials renewed
/// on every request (a margin of 3599 s on one-hour credentials).
fn serve_job(fx: &Fixture, moto_url: &str, job: &str) -> Command {
    serve_job_with_margin(fx, moto_url, job, "3599")
}

fn serve_job_with_margin(fx: &Fixture, moto_url: &str, job: &str, margin: &str) -> Command {
    let args =
        ["exec", "--server", "sw-staging", "-t", "123456", "--refresh-margin", margin, "--", "sh", "-c", job];
    swrole_no_tty(fx, moto_url, &args)
}

/// One raw HTTP request to the endpoint: (status, body).
fn get(uri: &str, request: &str) -> (u16, String) {
    let addr = uri.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    let t = text(&out);
    let status = t.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = t.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// The AWS CLI, boto3 and the JS SDK v3 inside `exec --server`, with a refresh margin that
/// renews on every request a second apart (3599 s on one-hour credentials): each sees the role; STS got one GetSessionToken (the code) and
/// then only AssumeRole calls signed by the MFA session; no terminal was touched.
#[test]
fn three_sdks_get_fresh_credentials_from_the_endpoint() {
    if !["aws", "node", "python3"].iter().all(|t| require(t)) {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let (fx, _) = seed(&moto);
    let node_path =
        text(&Command::new("npm").args(["root", "-g"]).output().unwrap().stdout).trim().to_string();
    let js = "const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');\n\
              (async () => { const c = new STSClient({ region: 'ap-northeast-1', endpoint: process.env.AWS_ENDPOINT_URL });\n\
              console.log('js ' + (await c.send(new GetCallerIdentityCommand({}))).Arn); })()\n\
              .catch((e) => { console.error(e.message); process.exit(1); });\n";
    std::fs::write(fx.home().join("who.js"), js).unwrap();
    // The JS SDK v2 reads ~/.aws/credentials (the IAM user's keys here) before a container
    // endpoint unless AWS_SDK_LOAD_CONFIG makes it honour the files swrole hides.
    let js2 = "const AWS = require('aws-sdk');\n\
               new AWS.STS({ region: 'ap-northeast-1', endpoint: process.env.AWS_ENDPOINT_URL })\n\
               .getCallerIdentity({}, (e, d) => { if (e) { console.error(e.message); process.exit(1); }\n\
               console.log('js2 ' + d.Arn); });\n";
    std::fs::write(fx.home().join("who2.js"), js2).unwrap();
    let job = "set -e\n\
               test -z \"$AWS_ACCESS_KEY_ID\" && test -z \"$AWS_PROFILE\" && test -n \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\"\n\
               echo \"cli $(aws sts get-caller-identity --query Arn --output text)\"\n\
               sleep 1.1\n\
               python3 -c 'import boto3; print(\"boto3 \" + boto3.client(\"sts\").get_caller_identity()[\"Arn\"])'\n\
               sleep 1.1\n\
               NODE_NO_WARNINGS=1 node who.js\n\
               sleep 1.1\n\
               NODE_NO_WARNINGS=1 AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1 node who2.js\n";
    let before = moto.requests().len();
    let out = serve_job(&fx, &moto.url(), job).env("NODE_PATH", node_path).output().unwrap();
    assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    for client in ["cli", "boto3", "js", "js2"] {
        assert!(
            stdout.contains(&format!(
                "{client} arn:aws:sts::210987654321:assumed-role/delegate_root_organization/"
            )),
            "{client}: {stdout}"
        );
    }
    let actions: Vec<String> = moto.requests()[before..]
        .iter()
        .map(|r| r.form["Action"].clone())
        .filter(|a| a != "GetCallerIdentity")
        .collect();
    assert_eq!(actions[0], "GetSessionToken");
    assert!(actions[1..].iter().all(|a| a == "AssumeRole"), "{actions:?}");
    assert!(actions.len() >= 4, "a new AssumeRole for each client: {actions:?}");
}

/// A renewal ahead of the expiry, with no request; then 50 requests at once: no STS call,
/// one answer for all; everything but
/// the endpoint's own GET is refused; the token is in no command line; signals reach the
/// job and its status is swrole's; the port is gone afterwards.
#[test]
fn the_endpoint_refuses_strangers_and_renews_once() {
    let Some(moto) = Moto::start() else { return };
    let (fx, _) = seed(&moto);
    let job = "printf '%s %s\\n' \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" \"$AWS_CONTAINER_AUTHORIZATION_TOKEN\" > endpoint.txt\n\
               trap 'exit 42' TERM\nwhile :; do sleep 0.1; done\n";
    // A margin of 3590 s on one-hour credentials: the first ones are inside it once they are
    // ten seconds old, the renewed ones stay outside it for ten seconds, so however slowly a
    // loaded machine sends the 50 requests, one renewal serves them all.
    let mut swrole =
        serve_job_with_margin(&fx, &moto.url(), job, "3590").stderr(Stdio::piped()).spawn().unwrap();
    let file = fx.home().join("endpoint.txt");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&file).map_or(true, |t| !t.ends_with('\n')) {
        assert!(Instant::now() < deadline, "the job never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let line = std::fs::read_to_string(&file).unwrap();
    let (uri, token) = line.trim().split_once(' ').unwrap();
    let (uri, token) = (uri.to_string(), token.to_string());
    assert_eq!(token.len(), 64);
    let host = uri.trim_start_matches("http://").trim_end_matches('/').to_string();
    let ok = format!("GET / HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n");
    // The first credentials are renewed ahead, once they are older than the margin allows,
    // by the endpoint itself (no request waits for STS); then 50 at once get the renewed
    // credentials, and make no STS call.
    let assumed = || moto.requests().iter().filter(|r| r.form["Action"] == "AssumeRole").count();
    let before = assumed();
    let log_file = fx.home().join(".local/state/swrole/log");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&log_file).unwrap_or_default().contains("\"renewal\"") {
        assert!(Instant::now() < deadline, "no renewal ahead of the expiry");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(assumed() - before, 1, "one renewal, with no request");
    let before = assumed();
    let answers: Vec<String> = (0..50)
        .map(|_| {
            let (uri, ok) = (uri.clone(), ok.clone());
            std::thread::spawn(move || get(&uri, &ok))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| {
            let (status, body) = h.join().unwrap();
            assert_eq!(status, 200, "{body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            v["AccessKeyId"].as_str().unwrap().to_string()
        })
        .collect();
    let after = moto.requests().iter().filter(|r| r.form["Action"] == "AssumeRole").count();
    assert_eq!(after - before, 0, "no STS call for 50 requests");
    // swrole's record: the job's first credentials, then its one renewal, with the command.
    let log = std::fs::read_to_string(fx.home().join(".local/state/swrole/log")).unwrap();
    let modes: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|l| format!("{} {}", l["mode"].as_str().unwrap(), l["command"][0].as_str().unwrap_or("-")))
        .collect();
    assert_eq!(modes, ["server sh", "renewal sh"], "{log}");
    assert!(answers.iter().all(|a| a == &answers[0]));
    // Strangers.
    let wrong = token.replace(&token[..1], if token.starts_with('0') { "1" } else { "0" });
    for (label, request, want) in [
        ("no token", format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"), 401),
        (
            "wrong token",
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nAuthorization: {wrong}\r\nConnection: close\r\n\r\n"),
            401,
        ),
        (
            "POST",
            format!(
                "POST / HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            ),
            405,
        ),
        (
            "another path",
            format!("GET /x HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"),
            404,
        ),
        (
            "a body",
            format!(
                "GET / HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
            ),
            413,
        ),
        (
            "oversize",
            format!(
                "GET / HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nX-Pad: {}\r\nConnection: close\r\n\r\n",
                "a".repeat(20_000)
            ),
            431,
        ),
    ] {
        let (status, body) = get(&uri, &request);
        assert_eq!(status, want, "{label}");
        assert!(!body.contains("AccessKeyId"), "{label}: {body}");
    }
    // The token only ever travels in the environment.
    let child_cmdlines: String = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|b| text(&b))
        .collect();
    assert!(!child_cmdlines.contains(&token), "the token is on a command line");
    // SIGTERM to swrole reaches the job (its trap exits 42); swrole exits with that.
    // SAFETY: kill to our own child.
    unsafe { libc::kill(swrole.id() as i32, libc::SIGTERM) };
    // Within 20 s, else the signal never reached the job: swrole is killed (the job dies
    // with it, PR_SET_PDEATHSIG) and the test fails instead of hanging.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = swrole.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = swrole.kill();
            panic!("SIGTERM did not reach the job: it still runs 20 s later");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(42));
    let mut stderr = String::new();
    swrole.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(!stderr.contains(&token), "the token in a message");
    assert!(TcpStream::connect(&host).is_err(), "the port is closed once the job ends");
}

#[test]
fn exit_statuses_and_refusals() {
    let Some(moto) = Moto::start() else { return };
    let (fx, _) = seed(&moto);
    let run = |args: &[&str]| swrole_no_tty(&fx, &moto.url(), args).output().unwrap();
    let out = run(&["exec", "--server", "sw-staging", "-t", "123456", "--", "sh", "-c", "exit 3"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let out = run(&["exec", "--server", "sw-staging", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.code(), Some(143), "128 + SIGTERM: {}", text(&out.stderr));
    let out = run(&["exec", "--server", "sw-staging", "--", "no-such-program-here"]);
    assert_eq!(out.status.code(), Some(127));
    // swrole raises its own limit on open files for the endpoint; the job gets the one swrole
    // was started with.
    let mut limited =
        swrole_no_tty(&fx, &moto.url(), &["exec", "--server", "sw-staging", "--", "sh", "-c", "ulimit -n"]);
    // SAFETY: getrlimit and setrlimit, async-signal-safe, on a struct of the child's own.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut limited, || {
            let mut limit: libc::rlimit = std::mem::zeroed();
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
            limit.rlim_cur = 256;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            Ok(())
        });
    }
    let out = limited.output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "256\n", "the job's soft limit on open files");
    // There but not executable: 126, as a shell says.
    std::fs::write(fx.home().join("not-a-program"), "echo hi\n").unwrap();
    let out = run(&["exec", "--server", "sw-staging", "--", "./not-a-program"]);
    assert_eq!(out.status.code(), Some(126), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("could not run ./not-a-program"), "{}", text(&out.stderr));
    for address in ["0.0.0.0", "192.0.2.1", "::"] {
        let out = run(&["exec", "--server", "--server-address", address, "sw-staging", "--", "true"]);
        assert_eq!(out.status.code(), Some(1), "{address}");
        assert!(text(&out.stderr).contains("loopback only"), "{address}: {}", text(&out.stderr));
    }
    let out = run(&["exec", "--server", "default", "--", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("assumes no role"), "{}", text(&out.stderr));
}

/// The job survives past its first credentials' expiry: an STS that hands out credentials
/// for a few seconds, a job that asks again after they expired. On a terminal, for a
/// profile with `swrole_confirm`: asked once, before the job; the renewals never ask.
#[test]
fn a_job_outlives_its_first_credentials() {
    if !require("python3") {
        return;
    }
    let sts = crate::dayone::ShortSts::start(&[6]);
    let fx = Fixture::new(
        "[profile job]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/r\nregion = eu-west-1\n\
         swrole_confirm = true\n\
         [profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = s\n",
        "",
    );
    let script = "import time, botocore.session\n\
                  keys = []\n\
                  for i in range(3):\n\
                  \x20   c = botocore.session.get_session().get_credentials().get_frozen_credentials()\n\
                  \x20   keys.append(c.access_key)\n\
                  \x20   time.sleep(4)\n\
                  print(' '.join(keys))\n";
    let start = Instant::now();
    // A second question (there must be none) would be answered no.
    let r = crate::util::pty_swrole(
        fx.home(),
        "[y/N]",
        "y,n",
        &["exec", "--server", "job", "--refresh-margin", "2", "--", "python3", "-c", script],
        &[("AWS_ENDPOINT_URL_STS", &sts.url()), ("SWROLE_CACHE_STORE", "file")],
    );
    let tty = r["tty"].as_str().unwrap();
    assert_eq!(r["status"], 0, "{r}");
    assert_eq!(tty.matches("run the command as job").count(), 1, "asked once: {tty}");
    assert!(start.elapsed() > Duration::from_secs(10), "the job ran past the first credentials' 6 s");
    let keys: Vec<String> = r["stdout"].as_str().unwrap().split_whitespace().map(str::to_string).collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert_ne!(keys[0], keys[2], "renewed after they expired: {keys:?}");
    assert!(sts.requests() >= 2);
}

/// A signal from the terminal (Ctrl-C) already reaches the whole foreground process group:
/// swrole does not send it to the job a second time (a second Ctrl-C means "force" to
/// terraform). The job here leaves the terminal's process group first, so that any SIGINT
/// it gets can only have come from swrole.
#[test]
fn ctrl_c_is_not_forwarded_twice() {
    if !require("python3") {
        return;
    }
    let sts = crate::dayone::ShortSts::start(&[3300]);
    let fx = Fixture::new(crate::round3::ROLE, "");
    let job = "import os, signal, sys, time\n\
               os.setpgrp()\n\
               got = []\n\
               signal.signal(signal.SIGINT, lambda s, f: got.append(s))\n\
               sys.stderr.write('READY\\n'); sys.stderr.flush()\n\
               time.sleep(2)\n\
               print('got SIGINT' if got else 'no SIGINT')\n";
    let r = crate::util::pty_swrole(
        fx.home(),
        "READY",
        "^C",
        &["exec", "--server", "job", "--", "python3", "-c", job],
        &[("AWS_ENDPOINT_URL_STS", &sts.url()), ("SWROLE_CACHE_STORE", "file")],
    );
    assert_eq!(r["status"], 0, "swrole outlived the Ctrl-C: {r}");
    assert_eq!(r["stdout"], "no SIGINT\n", "{r}");
}
