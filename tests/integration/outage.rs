//! Issue 41: `exec --server` while STS is slow or away, with the AWS CLI, boto3 and the JS
//! SDK v3 as the job's clients. A small STS front on loopback issues short role credentials,
//! answers GetCallerIdentity only for a key it issued that has not expired (so a client that
//! was served stale credentials fails), and can be told to hang, to answer 500, or to drop
//! every connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::{Fixture, require};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const OK: u8 = 0;
const HANG: u8 = 1;
const ERROR_500: u8 = 2;
const DROP: u8 = 3;

/// The STS front: AssumeRole gives keys that live `life` seconds (unless `mode` says
/// otherwise); GetCallerIdentity checks the key against what it issued.
struct Front {
    port: u16,
    mode: Arc<AtomicU8>,
    /// Each key issued, with its expiry (seconds since the epoch).
    issued: Arc<Mutex<Vec<(String, u64)>>>,
    /// The GetCallerIdentity calls: (key, accepted).
    checked: Arc<Mutex<Vec<(String, bool)>>>,
}

fn epoch() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

impl Front {
    fn start(life: u64) -> Front {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mode = Arc::new(AtomicU8::new(OK));
        let issued = Arc::new(Mutex::new(Vec::new()));
        let checked = Arc::new(Mutex::new(Vec::new()));
        let (m, i, c) = (mode.clone(), issued.clone(), checked.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (m, i, c) = (m.clone(), i.clone(), c.clone());
                std::thread::spawn(move || answer(stream, life, &m, &i, &c));
            }
        });
        Front { port, mode, issued, checked }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    fn issued(&self) -> usize {
        self.issued.lock().unwrap().len()
    }

    fn checked(&self) -> Vec<(String, bool)> {
        self.checked.lock().unwrap().clone()
    }
}

/// One connection: one request, one answer.
fn answer(
    stream: std::net::TcpStream,
    life: u64,
    mode: &AtomicU8,
    issued: &Mutex<Vec<(String, u64)>>,
    checked: &Mutex<Vec<(String, bool)>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let (mut length, mut key) = (0usize, String::new());
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            return;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("authorization:")
            && let Some(at) = header.find("Credential=")
        {
            key = header[at + 11..].split('/').next().unwrap_or("").to_string();
        }
        if header == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let form = text(&body);
    let (status, xml) = if form.contains("Action=GetCallerIdentity") {
        let valid = issued.lock().unwrap().iter().any(|(k, until)| *k == key && *until > epoch());
        checked.lock().unwrap().push((key.clone(), valid));
        if valid {
            (
                200,
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
                 <Arn>arn:aws:sts::111111111111:assumed-role/r/job</Arn><UserId>AROA:job</UserId>\
                 <Account>111111111111</Account></GetCallerIdentityResult>\
                 <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
                    .to_string(),
            )
        } else {
            (403, error("ExpiredToken", "The security token included in the request is expired"))
        }
    } else {
        match mode.load(Ordering::SeqCst) {
            HANG => {
                std::thread::sleep(Duration::from_secs(60));
                return;
            }
            DROP => return,
            ERROR_500 => (500, error("InternalError", "STS is having a bad day")),
            _ => {
                let mut all = issued.lock().unwrap();
                let id = format!("ASIAOUTAGE{:010}", all.len());
                let until = epoch() + life;
                all.push((id.clone(), until));
                let expires =
                    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(until));
                (
                    200,
                    format!(
                        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
                         <Credentials><AccessKeyId>{id}</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>\
                         <SessionToken>token</SessionToken><Expiration>{expires}</Expiration></Credentials>\
                         <AssumedRoleUser><AssumedRoleId>AROA:job</AssumedRoleId>\
                         <Arn>arn:aws:sts::111111111111:assumed-role/r/job</Arn></AssumedRoleUser></AssumeRoleResult>\
                         <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>"
                    ),
                )
            }
        }
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
        xml.len()
    );
}

fn error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Receiver</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    )
}

const CONFIG: &str = "[profile job]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/r\n\
                      region = eu-west-1\n\
                      [profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = s\n";

/// The three clients, one after the other, each line `NAME STATUS SECONDS` then what it
/// printed (on one line), after waiting until `at` seconds since the job began.
const CLIENTS: &str = r#"
round() {
    at=$1
    while [ "$(( $(date +%s) - start ))" -lt "$at" ]; do sleep 0.2; done
    for client in cli boto3 js; do
        begin=$(date +%s%N)
        case $client in
            cli) said=$(aws sts get-caller-identity --query Arn --output text 2>&1) ;;
            boto3) said=$(python3 -c 'import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])' 2>&1) ;;
            js) said=$(NODE_NO_WARNINGS=1 node who.js 2>&1) ;;
        esac
        status=$?
        took=$(( ($(date +%s%N) - begin) / 1000000 ))
        printf '%s %s %s %s\n' "$client" "$status" "$took" "$(printf '%s' "$said" | tail -n 1)"
    done
}
"#;

const WHO_JS: &str = "const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');\n\
    new STSClient({ region: 'eu-west-1' }).send(new GetCallerIdentityCommand({}))\n\
    .then((r) => console.log(r.Arn), (e) => { console.log(e.message); process.exit(1); });\n";

/// A client's result: (name, exit status, milliseconds, its last line).
fn results(stdout: &str) -> Vec<(String, i32, u64, String)> {
    stdout
        .lines()
        .filter_map(|l| {
            let mut words = l.splitn(4, ' ');
            Some((
                words.next()?.to_string(),
                words.next()?.parse().ok()?,
                words.next()?.parse().ok()?,
                words.next().unwrap_or("").to_string(),
            ))
        })
        .collect()
}

/// `exec --server job` running `rounds` (the CLIENTS function, then `round N` lines), with
/// `margin` and one-second timeouts; `faults` is what the front does from when on (seconds
/// after the job began).
fn run_job(front: &Front, margin: &str, rounds: &str, faults: &[(u64, u8)]) -> (String, String) {
    let fx = Fixture::new(CONFIG, "");
    std::fs::write(fx.home().join("who.js"), WHO_JS).unwrap();
    let node_path =
        text(&Command::new("npm").args(["root", "-g"]).output().unwrap().stdout).trim().to_string();
    let script = format!("start=$(date +%s)\n{CLIENTS}\n{rounds}\n");
    let mut cmd = fx.no_terminal(&front.url());
    cmd.args([
        "exec",
        "--server",
        "job",
        "--refresh-margin",
        margin,
        "--read-timeout",
        "1",
        "--connect-timeout",
        "1",
        "--",
        "sh",
        "-c",
        &script,
    ])
    .env("AWS_ENDPOINT_URL", front.url())
    .env("NODE_PATH", node_path)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let began = Instant::now();
    let child = cmd.spawn().unwrap();
    for (at, mode) in faults {
        let when = began + Duration::from_secs(*at);
        if let Some(wait) = when.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        front.set(*mode);
    }
    let out = child.wait_with_output().unwrap();
    (text(&out.stdout), text(&out.stderr))
}

fn clients_here() -> bool {
    ["aws", "node", "python3"].iter().all(|t| require(t))
}

/// An outage shorter than the margin: STS hangs from the first second to the 18th, the
/// credentials (30 s) are due for renewal at the 10th; every client call succeeds with
/// credentials the front accepts, the failure is said once and the recovery once, and
/// after it the clients get the renewed key.
#[test]
fn an_outage_shorter_than_the_margin_is_invisible_to_every_client() {
    if !clients_here() {
        return;
    }
    let front = Front::start(30);
    let (stdout, stderr) = run_job(&front, "20", "round 12\nround 24\n", &[(1, HANG), (18, OK)]);
    let r = results(&stdout);
    assert_eq!(r.len(), 6, "{stdout}\n{stderr}");
    for (client, status, ms, said) in &r {
        assert_eq!(*status, 0, "{client}: {said}\n{stdout}\n{stderr}");
        assert!(said.ends_with("assumed-role/r/job"), "{client}: {said}");
        assert!(*ms < 15_000, "{client} took {ms} ms");
    }
    let checked = front.checked();
    assert!(checked.iter().all(|(_, ok)| *ok), "only valid keys reached STS: {checked:?}");
    let first_key = &checked[0].0;
    assert!(checked[..3].iter().all(|(k, _)| k == first_key), "the outage's calls used the first key");
    assert!(checked[3..].iter().all(|(k, _)| k != first_key), "after it, the renewed key: {checked:?}");
    let failed: Vec<&str> = stderr.lines().filter(|l| l.contains("could not renew")).collect();
    assert_eq!(failed.len(), 1, "said once: {stderr}");
    assert!(failed[0].contains("the job keeps the ones it has"), "{stderr}");
    assert!(failed[0].contains("timed out") || failed[0].contains("did not answer"), "{stderr}");
    assert_eq!(stderr.matches("renewed the credentials of job again").count(), 1, "{stderr}");
    assert!(!stderr.contains("cannot be renewed without you"), "{stderr}");
}

/// An outage past the expiry: STS answers 500 from the start (the credentials live 8 s,
/// due at the 3rd); at the 10th nothing valid is left, and each client fails within its
/// own timeout, the AWS CLI and boto3 printing swrole's reason (the JS SDK v3 prints its
/// own "could not load" line: the reason is on the job's terminal, once). Once STS is back
/// the next retry renews and the clients work again.
#[test]
fn an_outage_past_the_expiry_gives_each_client_the_reason_in_time() {
    if !clients_here() {
        return;
    }
    let front = Front::start(8);
    let (stdout, stderr) =
        run_job(&front, "5", "round 10\nround 44\n", &[(1, ERROR_500), (16, DROP), (22, OK)]);
    let r = results(&stdout);
    assert_eq!(r.len(), 6, "{stdout}\n{stderr}");
    for (client, status, ms, said) in &r[..3] {
        assert_ne!(*status, 0, "{client}: {said}");
        // botocore's own limit: 3 attempts, 2 s each, 1 s apart; the JS SDK's: 4 of 1 s.
        assert!(*ms < 12_000, "{client} took {ms} ms: {said}");
        if client != "js" {
            assert!(
                said.contains("swrole could not renew the credentials of job")
                    && said.contains("InternalError"),
                "{client}: {said}"
            );
        }
    }
    for (client, status, _, said) in &r[3..] {
        assert_eq!(*status, 0, "{client} after the outage: {said}\n{stderr}");
    }
    assert!(front.checked().iter().all(|(_, ok)| *ok), "no stale key was served: {:?}", front.checked());
    assert_eq!(stderr.matches("could not renew the credentials of job").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("have expired and could not be renewed").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("renewed the credentials of job again").count(), 1, "{stderr}");
    assert!(front.issued() >= 2);
}
