//! STS faults from a small fake STS on loopback (moto cannot produce them in a form the
//! Rust SDK parses): each one gives a single readable line on stderr, no secret, empty
//! stdout, exit status 1, in bounded time.

use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::util::{Fixture, SEED_CONFIG, SEED_CREDENTIALS, read_http_request};

const SOURCE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// What the fake answers every request with.
#[derive(Clone)]
enum Answer {
    Status(u16, String),
    /// Accept the connection and never answer.
    Hang,
    /// Refuse a request whose form holds this text with this answer; answer any other with
    /// credentials.
    RefuseIf(&'static str, u16, String),
}

struct FakeSts {
    port: u16,
    requests: Arc<AtomicUsize>,
    /// Each request's form, as sent.
    forms: Arc<std::sync::Mutex<Vec<String>>>,
}

fn error_xml(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
    )
}

fn credentials_xml(access_key: &str, secret: &str, token: &str) -> String {
    format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials>\
         <AccessKeyId>{access_key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>\
         <SessionToken>{token}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>\
         <AssumedRoleUser><AssumedRoleId>AROA:x</AssumedRoleId>\
         <Arn>arn:aws:sts::210987654321:assumed-role/r/x</Arn></AssumedRoleUser></AssumeRoleResult>\
         <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>"
    )
}

impl FakeSts {
    fn start(answer: Answer) -> FakeSts {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let count = requests.clone();
        let forms = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = forms.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let answer = answer.clone();
                let count = count.clone();
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let Some((_, body)) = read_http_request(&mut reader) else { return };
                    let form = String::from_utf8_lossy(&body).into_owned();
                    seen.lock().unwrap().push(form.clone());
                    count.fetch_add(1, Ordering::SeqCst);
                    let answer = match answer {
                        Answer::RefuseIf(needle, status, refusal) if form.contains(needle) => {
                            Answer::Status(status, refusal)
                        }
                        Answer::RefuseIf(..) => {
                            Answer::Status(200, credentials_xml("ASIAFRESHCODE0000001", "s", "t"))
                        }
                        other => other,
                    };
                    match answer {
                        Answer::RefuseIf(..) => unreachable!(),
                        Answer::Hang => std::thread::sleep(Duration::from_secs(60)),
                        Answer::Status(status, body) => {
                            let _ = write!(
                                stream,
                                "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                                body.len()
                            );
                        }
                    }
                });
            }
        });
        FakeSts { port, requests, forms }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn forms(&self) -> Vec<String> {
        self.forms.lock().unwrap().clone()
    }
}

/// Switch to sw-staging against `url`; check the failure contract; return stderr.
/// The one error line of a switch against `url`, with a single attempt at the call
/// (`AWS_MAX_ATTEMPTS=1`): what each fault looks like, without the retries, which
/// [`fails_with`] and the retry tests below keep.
fn fails(url: &str) -> String {
    fails_with(url, &[("AWS_MAX_ATTEMPTS", "1")])
}

fn fails_with(url: &str, env: &[(&str, &str)]) -> String {
    fails_as(url, env, &["sw-staging", "-t", "123456"])
}

/// A role without MFA: its calls carry no code, so they are retried.
const NO_MFA: &str =
    "[profile plain]\nsource_profile = default\nrole_arn = arn:aws:iam::210987654321:role/r\n";

/// [`fails_with`] for profile `plain`, whose AssumeRole carries no code.
fn fails_without_a_code(url: &str, env: &[(&str, &str)]) -> String {
    fails_as(url, env, &["plain"])
}

fn fails_as(url: &str, env: &[(&str, &str)], switch: &[&str]) -> String {
    let fx = Fixture::new(&format!("{SEED_CONFIG}\n{NO_MFA}"), SEED_CREDENTIALS);
    let started = Instant::now();
    let out = fx
        .swrole()
        .args(switch)
        .args(["--shell", "bash", "-v", "--no-cache", "--connect-timeout", "1", "--read-timeout", "1"])
        .env("AWS_ENDPOINT_URL_STS", url)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty(), "stdout must stay empty on failure");
    assert!(!stderr.contains(SOURCE_SECRET), "the source secret leaked: {stderr}");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    let error_lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("swrole: base") && !l.starts_with("swrole: AssumeRole"))
        .collect();
    assert_eq!(error_lines.len(), 1, "one error line: {stderr}");
    error_lines[0].to_string()
}

#[test]
fn access_denied() {
    let sts = FakeSts::start(Answer::Status(
        403,
        error_xml(
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole",
        ),
    ));
    let line = fails_with(&sts.url(), &[]);
    assert!(line.contains("could not assume arn:aws:iam::210987654321:role/delegate_root_organization for profile \"sw-staging\""), "{line}");
    assert!(
        line.contains("AccessDenied: User: arn:aws:iam::123456789012:user/alice is not authorized")
            && line.contains("trust policy"),
        "{line}"
    );
    assert_eq!(sts.requests(), 1, "a client error is not retried");
}

#[test]
fn invalid_mfa_code() {
    let sts = FakeSts::start(Answer::Status(
        403,
        error_xml("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code."),
    ));
    let line = fails(&sts.url());
    assert!(
        line.contains(": STS refused the MFA code: \"MultiFactorAuthentication failed with invalid MFA one time pass code.\"; use a fresh code from the device named by mfa_serial"),
        "{line}"
    );
    assert!(!line.contains("(("), "no nested brackets: {line}");
    assert_eq!(sts.requests(), 1, "a code from --token-code is not asked again");
}

/// A code STS refuses is asked again on the terminal (three tries in all), saying plainly
/// that STS refused it; the right one then works.
#[test]
fn a_refused_code_is_asked_again_on_the_terminal() {
    // The code 111111 is refused (AccessDenied about MFA); any other gets credentials.
    let sts = FakeSts::start(Answer::RefuseIf(
        "TokenCode=111111",
        403,
        error_xml("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code."),
    ));
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let helper = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/pty_run.py");
    let run = |answers: &str| -> serde_json::Value {
        let out = std::process::Command::new("python3")
            .args([helper, "MFA code", answers])
            .arg(crate::util::swrole_path())
            .args(["sw-staging", "--no-cache", "--shell", "bash"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap())
            .env("HOME", fx.home())
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let ok = run("111111,222222");
    assert_eq!(ok["status"], 0, "{ok}");
    assert!(ok["stdout"].as_str().unwrap().contains("ASIAFRESHCODE0000001"), "{ok}");
    let tty = ok["tty"].as_str().unwrap();
    assert_eq!(tty.matches("swrole: STS refused that code; type the next one").count(), 1, "{tty}");
    assert_eq!(tty.matches("MFA code for sw-staging").count(), 2, "{tty}");
    assert_eq!(sts.requests(), 2);
    // Three refusals: the third is the answer, and nothing is printed.
    let no = run("111111,111111,111111,222222");
    assert_eq!(no["status"], 1, "{no}");
    assert_eq!(no["stdout"], "");
    assert_eq!(no["tty"].as_str().unwrap().matches("MFA code for sw-staging").count(), 3, "{no}");
    assert!(no["tty"].as_str().unwrap().contains("STS refused the MFA code"), "{no}");
    assert_eq!(sts.requests(), 5);
}

#[test]
fn expired_source_token() {
    let sts = FakeSts::start(Answer::Status(
        400,
        error_xml("ExpiredToken", "The security token included in the request is expired"),
    ));
    assert!(fails(&sts.url()).contains("ExpiredToken: The security token included in the request is expired (the source credentials have expired"));
}

#[test]
fn chained_duration_over_an_hour() {
    let msg =
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.";
    let sts = FakeSts::start(Answer::Status(400, error_xml("ValidationError", msg)));
    assert!(fails(&sts.url()).contains("role chaining) is limited to 3600 seconds"));
}

#[test]
fn server_errors_are_retried_then_reported() {
    let sts = FakeSts::start(Answer::Status(500, error_xml("InternalError", "boom")));
    let line = fails_without_a_code(&sts.url(), &[]);
    assert!(line.contains("InternalError: boom"), "{line}");
    assert_eq!(sts.requests(), 3, "the SDK's standard retry: three attempts");
    // AWS_MAX_ATTEMPTS, as the SDKs and the AWS CLI read it.
    fails_without_a_code(&sts.url(), &[("AWS_MAX_ATTEMPTS", "2")]);
    assert_eq!(sts.requests(), 3 + 2);
    fails(&sts.url());
    assert_eq!(sts.requests(), 3 + 2 + 1);
}

#[test]
fn throttling_is_retried_then_reported() {
    let sts = FakeSts::start(Answer::Status(400, error_xml("Throttling", "Rate exceeded")));
    let line = fails_without_a_code(&sts.url(), &[]);
    assert!(line.contains("Throttling: Rate exceeded (too many requests"), "{line}");
    assert_eq!(sts.requests(), 3);
}

/// Issue 41, item 5: STS takes an MFA code once, so a call that carries one is sent once,
/// whatever the fault and whatever AWS_MAX_ATTEMPTS says (a retry after a slow first
/// answer would be refused as an invalid code).
#[test]
fn a_call_with_an_mfa_code_is_sent_once() {
    for answer in [
        Answer::Status(500, error_xml("InternalError", "boom")),
        Answer::Status(400, error_xml("Throttling", "Rate exceeded")),
        Answer::Hang,
    ] {
        let sts = FakeSts::start(answer);
        fails_with(&sts.url(), &[("AWS_MAX_ATTEMPTS", "5")]);
        let forms = sts.forms();
        assert_eq!(forms.len(), 1, "one request: {forms:?}");
        assert!(forms[0].contains("TokenCode=123456"), "{forms:?}");
    }
}

/// Issue 41, item 5: against an STS that never answers, a switch with a code says within
/// a few seconds where it waits and for how long at most (also without -v), and gives up
/// after that one attempt's timeouts (read 4 s + connect 1 s here), not three.
#[test]
fn a_hanging_sts_is_said_while_waiting_and_the_timeouts_hold() {
    let sts = FakeSts::start(Answer::Hang);
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let started = Instant::now();
    let mut child = std::process::Command::new(crate::util::swrole_path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", fx.home())
        .env("USER", "tester")
        .env("SWROLE_CACHE_STORE", "file")
        .args(["sw-staging", "-t", "123456", "--no-cache", "--connect-timeout", "1", "--read-timeout", "4"])
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send((started.elapsed(), line));
        }
    });
    let (at, first) = rx.recv_timeout(Duration::from_secs(10)).expect("a line while waiting");
    assert_eq!(first, format!("swrole: waiting for STS at {} (at most 5 s; Ctrl-C stops)", sts.url()));
    assert!(at >= Duration::from_millis(2500) && at < Duration::from_secs(5), "said after {at:?}");
    let status = child.wait().unwrap();
    let took = started.elapsed();
    let rest: Vec<String> = rx.iter().map(|(_, l)| l).collect();
    assert_eq!(status.code(), Some(1));
    assert!(rest.len() == 1 && rest[0].contains("timed out"), "{rest:?}");
    assert!(took >= Duration::from_secs(4) && took < Duration::from_secs(9), "took {took:?}");
    assert_eq!(sts.requests(), 1);
}

#[test]
fn no_answer_times_out() {
    let sts = FakeSts::start(Answer::Hang);
    let line = fails(&sts.url());
    assert!(line.contains("did not answer in time") || line.contains("timed out"), "{line}");
}

#[test]
fn connection_refused() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let line = fails(&format!("http://127.0.0.1:{port}"));
    assert!(line.contains(&format!("could not reach STS at http://127.0.0.1:{port}")), "{line}");
}

#[test]
fn malformed_body() {
    let sts = FakeSts::start(Answer::Status(200, "<AssumeRoleResponse><oops".into()));
    let line = fails(&sts.url());
    assert!(line.contains("could not be read") || line.contains("without credentials"), "{line}");
}

#[test]
fn hostile_credentials_are_refused() {
    let big = "A".repeat(1 << 20);
    for (id, secret, token) in [
        ("ASIA$(touch x)AAAAAAAA", "s", "t"),
        ("ASIAAAAAAAAAAAAAAAAA", "line1&#10;export PWNED=1", "t"),
        ("ASIAAAAAAAAAAAAAAAAA", "s", ""),
        ("ASIA", "s", "t"),
        ("ASIAAAAAAAAAAAAAAAAA", "s", big.as_str()),
        ("ASIAAAAAAAAAAAAAAAAA", "a&#27;]0;title&#7;", "t"),
    ] {
        let sts = FakeSts::start(Answer::Status(200, credentials_xml(id, secret, token)));
        let line = fails(&sts.url());
        assert!(line.contains("credentials received"), "{id} {secret} {token}: {line}");
    }
}

#[test]
fn odd_but_valid_secrets_are_quoted_not_refused() {
    let sts = FakeSts::start(Answer::Status(
        200,
        credentials_xml("ASIAAAAAAAAAAAAAAAAA", "a'$(touch x)`id`", "tok+/="),
    ));
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let out = fx
        .swrole()
        .args(["sw-staging", "-t", "123456", "--shell", "bash", "--no-cache"])
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains(r#"export AWS_SECRET_ACCESS_KEY='a'\''$(touch x)`id`'"#), "{text}");
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let out = fx
        .swrole()
        .args(["sw-staging", "-t", "123456"])
        .env("AWS_ENDPOINT_URL_STS", "http://sts.example.com")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("plain http to a non-loopback host"));
}

#[test]
fn expired_or_hostile_xml_answers_are_refused() {
    let expired = credentials_xml("ASIAAAAAAAAAAAAAAAAA", "s", "t")
        .replace("2099-01-01T00:00:00Z", "2001-01-01T00:00:00Z");
    let sts = FakeSts::start(Answer::Status(200, expired));
    assert!(fails(&sts.url()).contains("already expired: check this machine's clock"));

    let no_expiry = credentials_xml("ASIAAAAAAAAAAAAAAAAA", "s", "t")
        .replace("<Expiration>2099-01-01T00:00:00Z</Expiration>", "");
    let sts = FakeSts::start(Answer::Status(200, no_expiry));
    let line = fails(&sts.url());
    assert!(line.contains("could not be read") || line.contains("could not assume"), "{line}");

    // An external entity must not be resolved: the body is refused as unreadable.
    let entity = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{}",
        credentials_xml("ASIAAAAAAAAAAAAAAAAA", "&x;", "t")
    );
    let sts = FakeSts::start(Answer::Status(200, entity));
    let line = fails(&sts.url());
    assert!(!line.contains("root:"), "{line}");

    let error_in_200 = error_xml("AccessDenied", "denied in a 200");
    let sts = FakeSts::start(Answer::Status(200, error_in_200));
    fails(&sts.url());

    let truncated = credentials_xml("ASIAAAAAAAAAAAAAAAAA", "s", "t")[..200].to_string();
    let sts = FakeSts::start(Answer::Status(200, truncated));
    fails(&sts.url());
}

#[test]
fn spaces_in_a_secret_are_quoted() {
    let sts = FakeSts::start(Answer::Status(200, credentials_xml("ASIAAAAAAAAAAAAAAAAA", "a b\tc", "tok")));
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let out = fx
        .swrole()
        .args(["sw-staging", "-t", "123456", "--shell", "bash", "--no-cache"])
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .output()
        .unwrap();
    // A TAB is a control character: refused. A plain space alone would be quoted.
    assert_eq!(out.status.code(), Some(1));
    let sts = FakeSts::start(Answer::Status(200, credentials_xml("ASIAAAAAAAAAAAAAAAAA", "a b", "tok")));
    let out = fx
        .swrole()
        .args(["sw-staging", "-t", "123456", "--shell", "bash", "--no-cache"])
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .assert()
        .success();
    assert!(
        String::from_utf8_lossy(&out.get_output().stdout).contains("\\export AWS_SECRET_ACCESS_KEY='a b';\n")
    );
}

/// A production profile that sends a SourceIdentity (a fixed one: no GetCallerIdentity)
/// and, with `--write --reason`, the reason as a session tag.
const GUARDED: &str = "[default]\nregion = ap-northeast-1\n\n[profile guarded]\nsource_profile = default\n\
role_arn = arn:aws:iam::111111111111:role/r\nswrole_session_policy = readonly\nswrole_source_identity = ann.admin\n";

fn guarded(sts: &FakeSts, args: &[&str]) -> std::process::Output {
    let fx = Fixture::new(GUARDED, SEED_CREDENTIALS);
    fx.swrole()
        .args(["guarded", "--shell", "bash", "--no-cache"])
        .args(args)
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap()
}

const TAGS_REFUSED: &str = "User: arn:aws:iam::123456789012:user/ann is not authorized to perform: \
sts:TagSession on resource: arn:aws:iam::111111111111:role/r";

/// A trust policy without sts:TagSession: the call is made again without the tag (said on
/// stderr), and only when there was a tag to drop.
#[test]
fn a_refused_session_tag_is_dropped_once() {
    let sts = FakeSts::start(Answer::RefuseIf("Tags.member", 403, error_xml("AccessDenied", TAGS_REFUSED)));
    let out = guarded(&sts, &["--write", "--reason", "INC-7"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("ASIAFRESHCODE0000001"));
    assert!(
        stderr.contains("does not allow session tags (sts:TagSession): assuming it without the reason tag"),
        "{stderr}"
    );
    let forms = sts.forms();
    assert_eq!(forms.len(), 2, "{forms:?}");
    assert!(forms[0].contains("Tags.member.1.Key=swrole-reason"), "{}", forms[0]);
    assert!(
        !forms[1].contains("Tags.member") && forms[1].contains("SourceIdentity=ann.admin"),
        "{}",
        forms[1]
    );

    // Without a tag the same refusal is an error, with no second call.
    let sts = FakeSts::start(Answer::Status(403, error_xml("AccessDenied", TAGS_REFUSED)));
    let out = guarded(&sts, &[]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert_eq!(sts.requests(), 1);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("without the reason tag"));
}

/// A trust policy without sts:SetSourceIdentity: an error that names the setting, with
/// no second call (and never a call without the SourceIdentity).
#[test]
fn a_refused_source_identity_is_an_error_that_names_the_setting() {
    let refusal = "User: arn:aws:iam::123456789012:user/ann is not authorized to perform: sts:SetSourceIdentity \
                   on resource: arn:aws:iam::111111111111:role/r";
    let sts = FakeSts::start(Answer::RefuseIf("SourceIdentity", 403, error_xml("AccessDenied", refusal)));
    let out = guarded(&sts, &["--write", "--reason", "INC-7"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && out.stdout.is_empty(), "{stderr}");
    assert!(
        stderr.contains(
            "does not allow sts:SetSourceIdentity, which swrole_source_identity of profile \"guarded\" needs: ask an \
             administrator to allow it, or remove swrole_source_identity"
        ),
        "{stderr}"
    );
    assert_eq!(sts.requests(), 1);
    // Another AccessDenied is the usual line, not this one.
    let sts = FakeSts::start(Answer::Status(403, error_xml("AccessDenied", TAGS_REFUSED)));
    let stderr = String::from_utf8_lossy(&guarded(&sts, &[]).stderr).into_owned();
    assert!(!stderr.contains("swrole_source_identity"), "{stderr}");
    assert!(
        stderr.contains("could not assume arn:aws:iam::111111111111:role/r for profile \"guarded\""),
        "{stderr}"
    );
}
