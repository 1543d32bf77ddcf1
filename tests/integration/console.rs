//! `swrole console` against a fake federation endpoint on loopback that records what it is
//! asked, with a recording `$BROWSER`.

use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::moto::{Moto, seed};
use crate::util::{Fixture, read_http_request};

#[derive(Clone, Copy)]
enum Reply {
    Token,
    Status(u16),
    NotJson,
    NoToken,
    Hang,
    /// A valid answer one byte over the 64 KiB swrole reads (issue 31, item 4), and one at it.
    Over,
    AtLimit,
}

struct Federation {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Federation {
    fn start(reply: Reply) -> Federation {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let Some((first, _)) = read_http_request(&mut reader) else { continue };
                seen.lock().unwrap().push(first);
                let (status, body) = match reply {
                    Reply::Token => (200, "{\"SigninToken\":\"tok-EN_123.abc\"}".to_string()),
                    Reply::Status(s) => (s, "{\"error\":\"no\"}".to_string()),
                    Reply::NotJson => (200, "<html>maintenance</html>".to_string()),
                    Reply::NoToken => (200, "{\"Other\":1}".to_string()),
                    Reply::Over | Reply::AtLimit => {
                        let fill = if matches!(reply, Reply::Over) { 64 * 1024 + 1 } else { 64 * 1024 };
                        let head = "{\"SigninToken\":\"tok-EN_123.abc\",\"Pad\":\"";
                        let pad = "x".repeat(fill - head.len() - 2);
                        (200, format!("{head}{pad}\"}}"))
                    }
                    Reply::Hang => {
                        std::thread::sleep(Duration::from_secs(30));
                        continue;
                    }
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Federation { port, requests }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/federation", self.port)
    }
}

/// The query parameters of a recorded `GET /federation?...` line.
fn query(line: &str) -> std::collections::BTreeMap<String, String> {
    let target = line.split_whitespace().nth(1).unwrap();
    let q = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// A `$BROWSER` that writes its arguments, one a line, to `argv` in the home, and to
/// `opened` the URL the page it was given redirects to (the sign-in URL is never an
/// argument: swrole hands over a `file://` page), with the page's and its directory's
/// modes in `modes`.
fn recording_browser(fx: &Fixture) -> String {
    let path = fx.home().join("browser");
    std::fs::write(
        &path,
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$HOME/argv\"\nprintenv SWROLE_CREDENTIAL_PROCESS_CHAIN > \"$HOME/chain\"\nfor a in \"$@\"; do case \"$a\" in file://*) f=${a#file://};\n\
         sed -n 's/.*location.replace(\"\\([^\"]*\\)\").*/\\1/p' \"$f\" > \"$HOME/opened\";\n\
         stat -c '%a' \"$f\" \"$(dirname \"$f\")\" > \"$HOME/modes\";; esac; done\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path.display().to_string()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn the_console_opens_as_the_role_in_its_region() {
    let Some(moto) = Moto::start() else { return };
    let fed = Federation::start(Reply::Token);
    let (fx, cmd) = seed(&moto);
    let browser = recording_browser(&fx);
    // Through the MFA session (the usual day): no SessionDuration, the credentials decide.
    let out = cmd()
        .args(["console", "sw-production", "-t", "123456"])
        .env("SWROLE_FEDERATION_URL", fed.url())
        .env("BROWSER", &browser)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "nothing on stdout without --print");
    let opened = std::fs::read_to_string(fx.home().join("opened")).unwrap();
    let url = opened.trim_end();
    // Hardening round 3, item 2: the browser's command line holds a page's address, never
    // the token; the page is the user's alone.
    let argv = std::fs::read_to_string(fx.home().join("argv")).unwrap();
    assert!(
        argv.starts_with("file:///") && !argv.contains("SigninToken") && !argv.contains("tok-EN"),
        "{argv}"
    );
    assert_eq!(std::fs::read_to_string(fx.home().join("modes")).unwrap(), "600\n700\n");
    // The page stays a minute (a browser may be slow to start): still there seconds later.
    let first_page = std::path::PathBuf::from(argv.trim().trim_start_matches("file://"));
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert!(first_page.exists(), "the sign-in page went too soon: {}", first_page.display());
    assert_eq!(std::fs::read_to_string(fx.home().join("chain")).unwrap(), "", "no loop guard in the browser");
    // swrole's record has the console sign-in (and no secret).
    let log = std::fs::read_to_string(fx.home().join(".local/state/swrole/log")).unwrap();
    let line: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!((line["mode"].as_str(), line["profile"].as_str()), (Some("console"), Some("sw-production")));
    assert!(!log.contains("tok-EN") && !log.contains("SessionToken"), "{log}");
    // The page goes once the browser has had time to read it (a second here).
    let out = cmd()
        .args(["console", "sw-production"])
        .env("SWROLE_FEDERATION_URL", fed.url())
        .env("BROWSER", &browser)
        .env("SWROLE_TEST_PAGE_SECONDS", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let argv = std::fs::read_to_string(fx.home().join("argv")).unwrap();
    let page = std::path::PathBuf::from(argv.trim().trim_start_matches("file://"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while page.exists() || page.parent().unwrap().exists() {
        assert!(std::time::Instant::now() < deadline, "the sign-in page stayed: {}", page.display());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(url.starts_with(&format!("{}?Action=login&Issuer=swrole&Destination=", fed.url())), "{url}");
    let q =
        query(&format!("GET {} HTTP/1.1", url.trim_start_matches(&format!("http://127.0.0.1:{}", fed.port))));
    assert_eq!(q["SigninToken"], "tok-EN_123.abc");
    assert_eq!(
        q["Destination"],
        "https://ap-northeast-1.console.aws.amazon.com/console/home?region=ap-northeast-1"
    );
    assert!(!text(&out.stderr).contains("tok-EN"), "the URL is never logged");
    let req = query(&fed.requests.lock().unwrap()[0]);
    assert_eq!(req["Action"], "getSigninToken");
    assert!(!req.contains_key("SessionDuration"), "a role from the MFA session takes no SessionDuration");
    let session: serde_json::Value = serde_json::from_str(&req["Session"]).unwrap();
    // The same credentials a switch gets (from the cache now).
    let doc = cmd().args(["credential-process", "sw-production"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&doc.stdout).unwrap();
    assert_eq!(session["sessionId"], doc["AccessKeyId"]);
    assert_eq!(session["sessionKey"], doc["SecretAccessKey"]);
    assert_eq!(session["sessionToken"], doc["SessionToken"]);
    // --print, --destination, and a direct AssumeRole (--no-cache): SessionDuration is the
    // credentials' time left.
    let out = cmd()
        .args([
            "console",
            "sw-staging",
            "-t",
            "123456",
            "--no-cache",
            "--print",
            "--destination",
            "cloudwatch/home",
        ])
        .env("SWROLE_FEDERATION_URL", fed.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert_eq!(printed.lines().count(), 1);
    assert!(printed.contains("cloudwatch%2Fhome%3Fregion%3Dap-northeast-1"), "{printed}");
    let req = query(fed.requests.lock().unwrap().last().unwrap());
    let duration: u32 = req["SessionDuration"].parse().unwrap();
    assert!((3500..=3600).contains(&duration), "{duration}");
    // The URL is a password: swrole says for how long (issue 43, item 16).
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "anyone with this URL can open the console as sw-staging within 15 minutes, signed in for "
        ) && (err.contains("for 1h00m") || err.contains("for 59m")),
        "{err}"
    );
}

#[test]
fn containers_carry_the_profile_and_its_colour_encoded() {
    let Some(moto) = Moto::start() else { return };
    let fed = Federation::start(Reply::Token);
    let (fx, cmd) = seed(&moto);
    let config = std::fs::read_to_string(fx.config_path()).unwrap()
        + "\n[profile a%b@c+d/e:f]\nsource_profile = default\nrole_arn = arn:aws:iam::111111111111:role/r\n\
           mfa_serial = arn:aws:iam::123456789012:mfa/your.mail@example.com\nswrole_color = magenta\n";
    std::fs::write(fx.config_path(), config).unwrap();
    let out = cmd()
        .args(["console", "a%b@c+d/e:f", "-t", "123456", "--container", "--print"])
        .env("SWROLE_FEDERATION_URL", fed.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let url = text(&out.stdout);
    let rest = url.trim_end().strip_prefix("ext+container:").unwrap();
    let params: std::collections::BTreeMap<String, String> =
        form_urlencoded::parse(rest.as_bytes()).into_owned().collect();
    assert_eq!(params.len(), 4, "no injected parameter: {rest}");
    assert_eq!(params["name"], "a%b@c+d/e:f");
    assert_eq!(params["color"], "purple");
    assert!(params["url"].starts_with(&format!("{}?Action=login", fed.url())));
    assert!(rest.starts_with("name=a%25b%40c%2Bd%2Fe%3Af&color=purple&"), "{rest}");
}

#[test]
fn federation_faults_open_nothing() {
    let Some(moto) = Moto::start() else { return };
    let cases = [
        (Some(Reply::Status(500)), "answered HTTP 500\n"),
        (
            Some(Reply::Status(403)),
            "answered HTTP 403 (the credentials cannot be federated: a role's temporary credentials are needed)",
        ),
        (Some(Reply::Status(400)), "answered HTTP 400 (the credentials cannot be federated"),
        (Some(Reply::NotJson), "not JSON"),
        (Some(Reply::NoToken), "without a usable SigninToken"),
        (Some(Reply::Hang), "did not answer within 2 s"),
        (Some(Reply::Over), "could not be read (or over 64 KiB)"),
        (None, "could not reach the federation endpoint"),
    ];
    for (reply, needle) in cases {
        let (fx, cmd) = seed(&moto);
        let browser = recording_browser(&fx);
        let url = match reply {
            Some(r) => Federation::start(r).url(),
            None => {
                let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
                format!("http://127.0.0.1:{port}/federation")
            }
        };
        let out = cmd()
            .args(["console", "sw-staging", "-t", "123456", "--connect-timeout", "1", "--read-timeout", "1"])
            .env("SWROLE_FEDERATION_URL", &url)
            .env("BROWSER", &browser)
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{needle}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty());
        assert!(text(&out.stderr).contains(needle), "{needle}: {}", text(&out.stderr));
        assert!(!fx.home().join("opened").exists(), "{needle}: a browser was opened");
    }
}

#[test]
fn what_cannot_be_federated_or_opened_says_what_to_do() {
    let Some(moto) = Moto::start() else { return };
    let fed = Federation::start(Reply::Token);
    let (_fx, cmd) = seed(&moto);
    // Long-term keys, no role.
    let out = cmd().args(["console", "default"]).env("SWROLE_FEDERATION_URL", fed.url()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("assumes no role"), "{}", text(&out.stderr));
    // No browser anywhere.
    let out = cmd()
        .args(["console", "sw-staging", "-t", "123456"])
        .env("SWROLE_FEDERATION_URL", fed.url())
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("pass --print"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    // Plain http off loopback, or userinfo: refused before anything is asked.
    for url in ["http://signin.example.net/federation", "http://127.0.0.1:@evil.example/federation"] {
        let out = cmd()
            .args(["console", "sw-staging", "-t", "123456"])
            .env("SWROLE_FEDERATION_URL", url)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{url}");
        assert!(text(&out.stderr).contains("federation endpoint"), "{}", text(&out.stderr));
    }
    assert!(fed.requests.lock().unwrap().is_empty());
}

/// Issue 31, item 4: the federation answer is read up to 64 KiB exactly (one byte more is
/// the named error, in `federation_faults_open_nothing`).
#[test]
fn a_federation_answer_of_64_kib_is_read() {
    let Some(moto) = Moto::start() else { return };
    let fed = Federation::start(Reply::AtLimit);
    let (_fx, cmd) = seed(&moto);
    let out = cmd()
        .args(["console", "sw-staging", "-t", "123456", "--print"])
        .env("SWROLE_FEDERATION_URL", fed.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("SigninToken=tok-EN_123.abc"), "{}", text(&out.stdout));
}

/// SessionDuration only where the federation endpoint accepts it: a role assumed straight
/// from long-term keys (from the cache too), never one assumed with another role's session.
#[test]
fn session_duration_only_for_a_role_straight_from_long_term_keys() {
    let Some(moto) = Moto::start() else { return };
    let fed = Federation::start(Reply::Token);
    let (fx, cmd) = seed(&moto);
    let config = std::fs::read_to_string(fx.config_path()).unwrap()
        + "\n[profile plain]\nsource_profile = default\nrole_arn = arn:aws:iam::111111111111:role/plain\n\n\
           [profile second]\nsource_profile = plain\nrole_arn = arn:aws:iam::222222222222:role/second\n";
    std::fs::write(fx.config_path(), config).unwrap();
    for (profile, given) in [("plain", true), ("plain", true), ("second", false)] {
        let out = cmd()
            .args(["console", profile, "--print"])
            .env("SWROLE_FEDERATION_URL", fed.url())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let req = query(fed.requests.lock().unwrap().last().unwrap());
        assert_eq!(req.contains_key("SessionDuration"), given, "{profile}: {req:?}");
    }
}

/// A browser that fails within its first seconds is said, with the way out (`--print`),
/// and the URL is not.
#[test]
fn a_browser_that_fails_is_said() {
    let Some(moto) = Moto::start() else { return };
    let fed = Federation::start(Reply::Token);
    let (fx, cmd) = seed(&moto);
    let failing = fx.home().join("failing-browser");
    std::fs::write(&failing, "#!/bin/sh\nsleep 0.3\nexit 3\n").unwrap();
    std::fs::set_permissions(&failing, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = cmd()
        .args(["console", "sw-staging", "-t", "123456"])
        .env("SWROLE_FEDERATION_URL", fed.url())
        .env("BROWSER", &failing)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("failed (exit status: 3): pass --print to get the sign-in URL"), "{err}");
    assert!(!err.contains("SigninToken"), "{err}");
}
