//! `aws login` sessions end to end: a fake AWS Sign-In service (tests/support/fake_signin.py,
//! proven against botocore first), moto for STS and IAM, a scripted browser, and boto3 with
//! `botocore[crt]` reading and refreshing the same token files as swrole.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::moto::Moto;
use crate::util::{Fixture, PyFake, require, swrole_path, without_terminal};

fn support(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support").join(name)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The fake sign-in service (tests/support/fake_signin.py).
type FakeSignin = PyFake;

/// IAM in moto, through boto3: `script` runs with `iam` a client of moto's IAM; its last
/// printed line is JSON.
fn moto_iam(moto: &Moto, script: &str) -> Value {
    let program = format!(
        "import boto3, json\niam = boto3.client('iam', region_name='us-east-1', endpoint_url='{}', \
         aws_access_key_id='admin', aws_secret_access_key='admin')\n{script}",
        moto.url()
    );
    let out = Command::new("python3")
        .args(["-c", &program])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_str(text(&out.stdout).lines().last().unwrap()).unwrap()
}

/// An IAM user with two access keys: (ARN, key one, key two), each (id, secret).
fn iam_user(moto: &Moto, name: &str) -> (String, (String, String), (String, String)) {
    let v = moto_iam(
        moto,
        &format!(
            "u = iam.create_user(UserName='{name}')['User']['Arn']\n\
             k = [iam.create_access_key(UserName='{name}')['AccessKey'] for _ in range(2)]\n\
             print(json.dumps([u] + [[x['AccessKeyId'], x['SecretAccessKey']] for x in k]))"
        ),
    );
    let pair = |i: usize| (v[i][0].as_str().unwrap().to_string(), v[i][1].as_str().unwrap().to_string());
    (v[0].as_str().unwrap().to_string(), pair(1), pair(2))
}

fn key_status(moto: &Moto, user: &str) -> Vec<(String, String)> {
    let v = moto_iam(
        moto,
        &format!(
            "print(json.dumps([[m['AccessKeyId'], m['Status']] for m in \
             iam.list_access_keys(UserName='{user}')['AccessKeyMetadata']]))"
        ),
    );
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
        .collect()
}

/// Moto, the fake and a home whose user `ann` signs in: the fake hands out ann's second
/// key as the session's credentials (moto then knows who signs), her first key is the old
/// one to retire.
struct World {
    moto: Moto,
    fake: FakeSignin,
    fx: Fixture,
    arn: String,
    old_key: (String, String),
    login_key: (String, String),
}

const ROLES: &str = "[profile sw-staging]\n\
    source_profile = me\n\
    role_arn = arn:aws:iam::210987654321:role/delegate_root_organization\n\n\
    [profile sw-production]\n\
    source_profile = me\n\
    role_arn = arn:aws:iam::111111111111:role/delegate_root_organization\n";

fn world(config: &str, credentials: &str) -> Option<World> {
    let moto = Moto::start()?;
    let fake = FakeSignin::start("fake_signin.py")?;
    let (arn, old_key, login_key) = iam_user(&moto, "ann");
    fake.config(json!({"user_arn": arn, "access_key_id": login_key.0, "secret_access_key": login_key.1}));
    let fx = Fixture::new(config, credentials);
    Some(World { moto, fake, fx, arn, old_key, login_key })
}

impl World {
    fn cmd(&self, program: &Path) -> Command {
        let mut c = crate::util::isolated(program, self.fx.home());
        c.env("SWROLE_KEY_STORE", "file")
            .env("AWS_ENDPOINT_URL_STS", self.moto.url())
            .env("AWS_ENDPOINT_URL_IAM", self.moto.url())
            .env("AWS_ENDPOINT_URL_SIGNIN", self.fake.url())
            .env("BROWSER", support("browser.py"));
        c
    }

    /// swrole ARGS without a terminal.
    fn swrole(&self, args: &[&str]) -> Output {
        let mut c = self.cmd(&swrole_path());
        c.args(args);
        without_terminal(&mut c);
        c.output().unwrap()
    }

    fn login(&self) -> Output {
        // A time limit well past a sign-in's second or two: a broken callback fails the
        // test in 30 s instead of waiting out the 10-minute default.
        self.swrole(&["login", "me", "--region", "ap-northeast-1", "--timeout", "30"])
    }

    fn boto3(&self) -> Value {
        let out = self.cmd(Path::new("python3")).arg(support("boto3_login.py")).arg("me").output().unwrap();
        assert!(out.status.success(), "boto3: {}", text(&out.stderr));
        serde_json::from_str(text(&out.stdout).trim()).unwrap()
    }

    fn token_file(&self) -> PathBuf {
        use sha2::Digest;
        let hash: String =
            sha2::Sha256::digest(self.arn.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        self.fx.home().join(".aws/login/cache").join(format!("{hash}.json"))
    }

    fn token(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.token_file()).unwrap()).unwrap()
    }

    /// The session's credentials expire: the next use refreshes.
    fn expire(&self) {
        let mut t = self.token();
        t["accessToken"]["expiresAt"] = json!("2020-01-01T00:00:00Z");
        std::fs::write(self.token_file(), t.to_string()).unwrap();
    }

    /// The access token has `secs` left: inside the refresh window, still valid.
    fn expire_in(&self, secs: u64) {
        let mut t = self.token();
        let at = std::time::SystemTime::now() + Duration::from_secs(secs);
        t["accessToken"]["expiresAt"] = json!(humantime::format_rfc3339_seconds(at).to_string());
        std::fs::write(self.token_file(), t.to_string()).unwrap();
    }

    fn refreshes(&self) -> usize {
        self.fake.log().iter().filter(|e| e["grant"] == "refresh_token").count()
    }

    fn browser_log(&self) -> Vec<Value> {
        std::fs::read_to_string(self.fx.home().join("browser.log"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

#[test]
fn the_fake_sign_in_service_answers_as_botocore_expects() {
    let Some(fake) = FakeSignin::start("fake_signin.py") else { return };
    if !require("moto_server") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .arg(support("signin_botocore.py"))
        .arg(fake.url())
        .arg(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "ok");
    let log = fake.log();
    assert!(log.iter().any(|e| e["grant"] == "refresh_token" && e["outcome"] == "ok"), "{log:?}");
}

/// A profile that already has credentials of another kind is not signed in over: the
/// error names what it has and where, and for an access key, how to retire it after.
#[test]
fn login_refuses_a_profile_that_has_other_credentials() {
    let fx = Fixture::new(
        "[profile keyed]\nregion = eu-west-1\n[profile roled]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = keyed\n",
        "[keyed]\naws_access_key_id = AKIAKEYEDKEY00000001\naws_secret_access_key = s\n",
    );
    let login = |profile: &str| {
        let mut c = fx.no_terminal("http://127.0.0.1:9");
        c.args(["login", profile, "--timeout", "30"]).env("AWS_ENDPOINT_URL_SIGNIN", "http://127.0.0.1:9");
        c.output().unwrap()
    };
    let keyed = login("keyed");
    let err = text(&keyed.stderr);
    assert_eq!(keyed.status.code(), Some(1), "{err}");
    assert!(err.contains("profile \"keyed\" already uses an access key (aws_access_key_id at "), "{err}");
    assert!(err.contains("`swrole keys retire keyed --login me` retires the key"), "{err}");
    let roled = login("roled");
    let err = text(&roled.stderr);
    assert_eq!(roled.status.code(), Some(1), "{err}");
    assert!(err.contains("profile \"roled\" already uses a role (role_arn) (role_arn at "), "{err}");
    assert!(err.contains("point source_profile at it") && !err.contains("keys retire"), "{err}");
    assert!(keyed.stdout.is_empty() && roled.stdout.is_empty());
    // A profile with nothing: the sign-in starts; with no browser to open (no BROWSER, no
    // display) it says so, shows the URL, and waits for it until the time limit.
    let fresh = {
        let mut c = fx.no_terminal("http://127.0.0.1:9");
        c.args(["login", "fresh", "--region", "eu-west-1", "--timeout", "5s"])
            .env("AWS_ENDPOINT_URL_SIGNIN", "http://127.0.0.1:9");
        c.output().unwrap()
    };
    let err = text(&fresh.stderr);
    assert_ne!(fresh.status.code(), Some(0), "{err}");
    assert!(err.contains("no browser to open (set BROWSER): open the URL above"), "{err}");
    assert!(err.contains("  http://127.0.0.1:9/v1/authorize?response_type=code&"), "the URL: {err}");
}

#[test]
fn login_then_switch_with_no_key_and_share_the_session_with_boto3() {
    let Some(w) = world(ROLES, "") else { return };
    let out = w.login();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "login prints nothing to eval");
    assert!(text(&out.stderr).contains(&format!("signed in as {}", w.arn)), "{}", text(&out.stderr));
    // The suggestion: not the first name, but the one likely used (issue 43, item 16):
    // with nothing to go by, the one not named like production.
    assert!(
        text(&out.stderr).contains("profiles on top of it: sw-production, sw-staging (try `sw sw-staging`)"),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains("no browser to open"), "the browser opened: {}", text(&out.stderr));
    let config = std::fs::read_to_string(w.fx.config_path()).unwrap();
    assert!(config.starts_with(ROLES), "everything before stays:\n{config}");
    assert!(
        config.ends_with(&format!("\n[profile me]\nlogin_session = {}\nregion = ap-northeast-1\n", w.arn)),
        "{config}"
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&w.token_file()), 0o600);
    assert_eq!(mode(w.token_file().parent().unwrap()), 0o700);
    let token = w.token();
    assert_eq!(token["clientId"], "arn:aws:signin:::devtools/same-device");
    assert!(token["dpopKey"].as_str().unwrap().starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
    let login_jkt = w.fake.log()[0]["jkt"].clone();
    assert!(login_jkt.is_string());
    assert_eq!(w.browser_log().iter().find(|e| e["step"] == "callback").unwrap()["status"], 200);

    // Both accounts, signed by the login session: no key, no MFA code, no terminal.
    for (profile, account) in [("sw-staging", "210987654321"), ("sw-production", "111111111111")] {
        let out = w.swrole(&[profile, "--shell", "bash"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains(&format!("export AWS_ACCOUNT_ID={account}")));
    }
    let assumes: Vec<_> =
        w.moto.requests().into_iter().filter(|r| r.form["Action"] == "AssumeRole").collect();
    assert_eq!(assumes.len(), 2);
    assert!(assumes.iter().all(|r| r.access_key == w.login_key.0), "signed by the session's key");

    // boto3 reads the file swrole wrote.
    let before = w.refreshes();
    let b = w.boto3();
    assert_eq!(
        (b["access_key"].as_str(), b["arn"].as_str()),
        (Some(w.login_key.0.as_str()), Some(w.arn.as_str()))
    );
    assert_eq!(w.refreshes(), before, "fresh: boto3 did not refresh");
    // boto3 refreshes it, with the key swrole made (the refresh token is bound to it).
    w.expire();
    w.boto3();
    let log = w.fake.log();
    let last = log.last().unwrap();
    assert_eq!((last["grant"].as_str(), last["outcome"].as_str()), (Some("refresh_token"), Some("ok")));
    assert_eq!(last["jkt"], login_jkt, "boto3 signed with swrole's DPoP key");
    let by_boto3 = w.token();
    assert_ne!(by_boto3["refreshToken"], token["refreshToken"]);
    // swrole uses what boto3 wrote, without a call.
    let calls = w.fake.log().len();
    let out = w.swrole(&["me", "--shell", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let exported: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(exported["SessionToken"], by_boto3["accessToken"]["sessionToken"]);
    assert_eq!(w.fake.log().len(), calls);
    // swrole refreshes, boto3 reads what swrole wrote.
    w.expire();
    let out = w.swrole(&["credential-process", "me"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let last = w.fake.log().last().unwrap().clone();
    assert_eq!((last["grant"].as_str(), last["outcome"].as_str()), (Some("refresh_token"), Some("ok")));
    assert_eq!(last["jkt"], login_jkt);
    let by_swrole = w.token();
    assert_ne!(by_swrole["refreshToken"], by_boto3["refreshToken"]);
    assert_eq!(by_swrole["idToken"], token["idToken"], "the other fields are kept");
    assert_eq!(mode(&w.token_file()), 0o600);
    let calls = w.fake.log().len();
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["SessionToken"], by_swrole["accessToken"]["sessionToken"]);
    w.boto3();
    assert_eq!(w.fake.log().len(), calls, "boto3 took swrole's refresh as it was");
    // explain names the session, its file and the time left; nothing secret.
    let out = w.swrole(&["explain", "sw-staging"]);
    let said = text(&out.stdout);
    assert!(
        said.contains(&format!("the login session {}", w.arn)) && said.contains("refreshable for"),
        "{said}"
    );
    assert!(!said.contains(by_swrole["refreshToken"].as_str().unwrap()));
    // Signed in again: the suggestion is the profile used last (swrole's record).
    let again = w.swrole(&["login", "me", "--yes", "--region", "ap-northeast-1", "--timeout", "30"]);
    assert!(text(&again.stderr).contains("(try `sw sw-production`)"), "{}", text(&again.stderr));
}

#[test]
fn swrole_and_boto3_refresh_the_same_file_at_once() {
    let Some(w) = world(ROLES, "") else { return };
    assert!(w.login().status.success());
    w.expire();
    let mut children = Vec::new();
    for i in 0..8 {
        let mut c = if i % 2 == 0 {
            let mut c = w.cmd(&swrole_path());
            c.args(["credential-process", "me"]);
            c
        } else {
            let mut c = w.cmd(Path::new("python3"));
            c.arg(support("boto3_login.py")).arg("me");
            c
        };
        children.push(c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap());
    }
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let log = w.fake.log();
    assert!(log.iter().filter(|e| e["grant"] == "refresh_token").all(|e| e["outcome"] == "ok"), "{log:?}");
    // What is left in the file works, for both.
    w.expire();
    assert!(w.swrole(&["credential-process", "me"]).status.success());
    w.expire();
    w.boto3();
    assert_eq!(w.fake.log().last().unwrap()["outcome"], "ok");
}

#[test]
fn an_ended_session_asks_for_a_new_sign_in_and_changes_nothing() {
    let Some(w) = world(ROLES, "") else { return };
    assert!(w.login().status.success());
    // An answer over the bound (64 KiB) is refused by name; the file stays.
    w.expire();
    let before = std::fs::read(w.token_file()).unwrap();
    w.fake.config(json!({"big_answer": true}));
    let out = w.swrole(&["sw-staging"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(text(&out.stderr).contains("could not be read (or over 64 KiB)"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(w.token_file()).unwrap(), before);
    w.fake.config(json!({"big_answer": false}));
    for code in ["TOKEN_EXPIRED", "USER_CREDENTIALS_CHANGED"] {
        w.expire();
        let before = std::fs::read(w.token_file()).unwrap();
        w.fake.config(json!({"fail": code}));
        let out = w.swrole(&["sw-staging", "--shell", "bash"]);
        assert!(!out.status.success());
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        assert!(err.contains(&format!("has ended ({code}): run `swrole login me`")), "{err}");
        let token = w.token();
        assert!(!err.contains(token["refreshToken"].as_str().unwrap()) && !err.contains("PRIVATE KEY"));
        assert_eq!(std::fs::read(w.token_file()).unwrap(), before, "the file is left as it was");
    }
    // A refusal that does not end the sign-in is said as the service said it.
    w.expire();
    w.fake.config(json!({"fail": "INSUFFICIENT_PERMISSIONS"}));
    let err = text(&w.swrole(&["sw-staging", "--shell", "bash"]).stderr);
    assert!(
        err.contains(
            "could not refresh the login session of profile \"me\": the sign-in service refused \
                      (INSUFFICIENT_PERMISSIONS)"
        ),
        "{err}"
    );
    assert!(!err.contains("has ended"), "{err}");
    // With time left, a failed refresh keeps the token for that time, as IAM Identity
    // Center's does (one policy): one warning says why, the switch works, the file stays.
    for fail in ["TOKEN_EXPIRED", "INSUFFICIENT_PERMISSIONS"] {
        w.expire_in(130);
        let before = std::fs::read(w.token_file()).unwrap();
        w.fake.config(json!({"fail": fail}));
        let out = w.swrole(&["sw-staging", "--shell", "bash", "--no-cache"]);
        let err = text(&out.stderr);
        assert!(out.status.success(), "{err}");
        let warnings: Vec<&str> = err.lines().filter(|l| l.contains("could not be refreshed")).collect();
        assert_eq!(warnings.len(), 1, "{err}");
        assert!(
            warnings[0]
                .starts_with("swrole: warning: the login session of profile \"me\" could not be refreshed (")
                && warnings[0].contains(fail)
                && warnings[0].ends_with("it is used for the 2m it has left"),
            "{err}"
        );
        assert_eq!(std::fs::read(w.token_file()).unwrap(), before, "the file is left as it was");
    }
    // A file another program's write cut short: the switch and doctor name it, and nothing
    // is written over it.
    let whole = std::fs::read(w.token_file()).unwrap();
    std::fs::write(w.token_file(), &whole[..whole.len() / 2]).unwrap();
    let out = w.swrole(&["sw-staging", "--shell", "bash", "--no-cache"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    let file = w.token_file().display().to_string();
    assert!(text(&out.stderr).contains(&file), "{}", text(&out.stderr));
    let doctor = text(&w.swrole(&["doctor"]).stdout);
    assert!(doctor.lines().any(|l| l.starts_with("error: ") && l.contains(&file)), "{doctor}");
    assert_eq!(std::fs::read(w.token_file()).unwrap(), &whole[..whole.len() / 2]);
}

/// A profile signed in as someone else is switched to this sign-in only when the user says
/// so (`--yes` here, with no terminal to ask on); signing in again as the same user asks
/// nothing.
#[test]
fn another_users_session_is_replaced_only_when_told() {
    let bob = "[profile me]\nlogin_session = arn:aws:iam::123456789012:user/bob\nregion = ap-northeast-1\n";
    let Some(w) = world(bob, "") else { return };
    let out = w.login();
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("pass --yes to replace it"), "{err}");
    assert_eq!(std::fs::read_to_string(w.fx.config_path()).unwrap(), bob, "nothing changed");
    let out = w.swrole(&["login", "me", "--yes", "--timeout", "30"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let config = std::fs::read_to_string(w.fx.config_path()).unwrap();
    assert!(
        config.contains(&format!("login_session = {}\n", w.arn)) && !config.contains("user/bob"),
        "{config}"
    );
    let again = w.login();
    assert!(again.status.success(), "the same user again: {}", text(&again.stderr));
}

#[test]
fn login_refuses_callbacks_that_did_not_come_from_its_page() {
    let Some(w) = world(ROLES, "") else { return };
    let config = std::fs::read_to_string(w.fx.config_path()).unwrap();
    for (mode, said) in [
        ("error", "the sign-in page answered access_denied"),
        ("empty-code", "carried no usable authorization code"),
        ("none", "no sign-in came back within 5 s"),
    ] {
        let _ = std::fs::remove_file(w.fx.home().join("browser.log"));
        let mut c = w.cmd(&swrole_path());
        c.args(["login", "me", "--region", "ap-northeast-1", "--timeout", "5"])
            .env("FAKE_BROWSER_MODE", mode);
        without_terminal(&mut c);
        let out = c.output().unwrap();
        assert!(!out.status.success(), "{mode}");
        assert!(text(&out.stderr).contains(said), "{mode}: {}", text(&out.stderr));
        assert!(!w.token_file().exists(), "{mode}: no token saved");
        assert_eq!(std::fs::read_to_string(w.fx.config_path()).unwrap(), config, "{mode}");
        assert!(w.fake.log().iter().all(|e| e["grant"] != "authorization_code"), "{mode}: no code redeemed");
    }
    // From another address: refused, and the real callback still signs in. A second
    // callback finds the listener closed.
    for mode in ["other-address", "strangers", "twice", "wrong-state", "error-no-state"] {
        let _ = std::fs::remove_file(w.fx.home().join("browser.log"));
        let mut c = w.cmd(&swrole_path());
        c.args(["login", "me", "--region", "ap-northeast-1", "--yes", "--timeout", "30"])
            .env("FAKE_BROWSER_MODE", mode);
        without_terminal(&mut c);
        let out = c.output().unwrap();
        assert!(out.status.success(), "{mode}: {}", text(&out.stderr));
        let log = w.browser_log();
        // The browser's argv holds a private page's address, never the state or the PKCE
        // challenge another local user could read in ps.
        let argv = log.iter().find(|e| e["step"] == "argv").expect("argv recorded")["argv"].to_string();
        assert!(
            argv.contains("file://") && !argv.contains("state") && !argv.contains("code_challenge"),
            "{argv}"
        );
        let status = |step: &str| log.iter().find(|e| e["step"] == step).map(|e| e["status"].clone());
        assert_eq!(status("callback"), Some(json!(200)), "{log:?}");
        if mode == "other-address" {
            assert_eq!(status("callback-from-127.0.0.2"), Some(json!(403)), "{log:?}");
            assert!(text(&out.stderr).contains("refused a callback from 127.0.0.2"));
        } else if mode == "strangers" {
            // The real code and state, by another method, on another path or under another
            // Host name: each refused, none ends the sign-in, the real callback then works.
            for (step, want) in
                [("post-callback", 404), ("get-elsewhere", 404), ("get-root", 404), ("other-host", 403)]
            {
                assert_eq!(status(step), Some(json!(want)), "{step}: {log:?}");
            }
        } else if mode == "wrong-state" || mode == "error-no-state" {
            // Another state, or an error without one: answered, waited past, said once.
            assert_eq!(status("stranger-callback"), Some(json!(400)), "{log:?}");
            assert!(text(&out.stderr).contains("state does not match this sign-in"), "{}", text(&out.stderr));
        } else {
            let second = status("second-callback").expect("a second callback was made");
            assert!(second.is_null() || second == json!(410), "nobody takes a second callback: {log:?}");
        }
    }
}

#[test]
fn remote_login_takes_the_code_pasted_back() {
    let Some(w) = world(ROLES, "") else { return };
    let run = |tamper: bool| {
        let mut c = w.cmd(Path::new("python3"));
        c.arg(support("remote_login.py"));
        if tamper {
            c.arg("--tamper");
        }
        c.arg(swrole_path()).args(["login", "me", "--remote", "--region", "ap-northeast-1"]);
        c.output().unwrap()
    };
    // Over SSH with no BROWSER, --remote is picked without being asked for (issue 43, item 7).
    let mut c = w.cmd(Path::new("python3"));
    c.arg(support("remote_login.py")).arg(swrole_path()).args(["login", "me", "--region", "ap-northeast-1"]);
    let out = c.env_remove("BROWSER").env("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22").output().unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        text(&out.stdout).contains("no browser can open here (over SSH): signing in as with --remote"),
        "{}",
        text(&out.stdout)
    );
    std::fs::remove_file(w.token_file()).unwrap();
    let out = run(true);
    assert!(!out.status.success());
    assert!(text(&out.stdout).contains("its state does not match"), "{}", text(&out.stdout));
    assert!(!w.token_file().exists());
    let out = run(false);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(w.fake.log().last().unwrap()["client"], "arn:aws:signin:::devtools/cross-device");
    assert!(
        std::fs::read_to_string(w.fx.config_path()).unwrap().contains(&format!("login_session = {}", w.arn))
    );
    assert!(w.swrole(&["sw-staging"]).status.success());
}

#[test]
fn exec_server_renews_on_a_login_session_until_it_ends() {
    let Some(w) = world(ROLES, "") else { return };
    assert!(w.login().status.success());
    // Session credentials that need a refresh at every use, role credentials renewed once
    // they are two seconds old (a margin of 3599 s on one hour): each request goes through a
    // refresh of the login session.
    w.fake.config(json!({"expires_in": 300}));
    w.expire();
    let script = format!(
        "import json, os, time, urllib.request\n\
         def get():\n\
         \x20   time.sleep(2)\n\
         \x20   r = urllib.request.Request(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'], \
         headers={{'Authorization': os.environ['AWS_CONTAINER_AUTHORIZATION_TOKEN']}})\n\
         \x20   try:\n\
         \x20       return json.load(urllib.request.urlopen(r))['AccessKeyId']\n\
         \x20   except urllib.error.HTTPError as e:\n\
         \x20       return e.read().decode()\n\
         keys = [get(), get()]\n\
         urllib.request.urlopen(urllib.request.Request('{}/admin/config', data=b'{{\"fail\": \"TOKEN_EXPIRED\"}}', method='POST'))\n\
         keys.append(get())\n\
         print(json.dumps(keys))\n",
        w.fake.url()
    );
    let out = w.swrole(&[
        "exec",
        "--server",
        "sw-staging",
        "--refresh-margin",
        "3599",
        "--",
        "python3",
        "-c",
        &script,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let keys: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(keys[0].starts_with("ASIA") && keys[1].starts_with("ASIA") && keys[0] != keys[1], "{keys:?}");
    // The session ended with its credentials still valid for minutes: they go on serving
    // the renewals (one policy for every sign-in token), and swrole says why.
    assert!(keys[2].starts_with("ASIA"), "{keys:?}");
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: the login session of profile \"me\" could not be refreshed (")
            && err.contains("TOKEN_EXPIRED"),
        "{err}"
    );
    assert!(w.refreshes() >= 3, "the session was refreshed for each renewal: {:?}", w.fake.log());
}

#[test]
fn mfa_roles_on_a_login_session_send_the_code_and_every_view_shows_the_session() {
    let mut config = format!(
        "{ROLES}\n[profile sw-mfa]\nsource_profile = me\nrole_arn = arn:aws:iam::210987654321:role/admin\n\
         mfa_serial = arn:aws:iam::123456789012:mfa/ann\n"
    );
    for n in [2, 3, 4] {
        config += &format!(
            "[profile sw-mfa{n}]\nsource_profile = me\nrole_arn = arn:aws:iam::210987654321:role/admin{n}\n\
             mfa_serial = arn:aws:iam::123456789012:mfa/ann\n"
        );
    }
    let Some(w) = world(&config, "") else { return };
    assert!(w.login().status.success());
    // The code goes with the AssumeRole itself: no GetSessionToken on temporary credentials.
    let out = w.swrole(&["sw-mfa", "--token-code", "123456"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let requests = w.moto.requests();
    assert!(requests.iter().all(|r| r.form["Action"] != "GetSessionToken"), "{requests:?}");
    let assume = requests.iter().find(|r| r.form["Action"] == "AssumeRole").unwrap();
    assert_eq!(
        assume.form.get("SerialNumber").map(String::as_str),
        Some("arn:aws:iam::123456789012:mfa/ann")
    );
    assert_eq!(assume.form.get("TokenCode").map(String::as_str), Some("123456"));
    assert_eq!(assume.access_key, w.login_key.0);
    // Without a code and without a terminal: the switch says how, nothing on stdout.
    let out = w.swrole(&["sw-mfa", "--no-cache"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(text(&out.stderr).contains("needs an MFA code"), "{}", text(&out.stderr));
    // On a terminal each role asks its own code; the second question says why, once
    // (issue 43, item 8).
    let asked = |profile: &str| {
        let out = w
            .cmd(Path::new("python3"))
            .arg(support("pty_run.py"))
            .args(["MFA code for", "123456"])
            .arg(swrole_path())
            .args([profile, "--shell", "bash"])
            .output()
            .unwrap();
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["status"], 0, "{r}");
        r["tty"].as_str().unwrap().to_string()
    };
    let why = "a code again: each role on the login session of \"me\" takes its own";
    assert!(!asked("sw-mfa2").contains(why));
    let second = asked("sw-mfa3");
    assert!(second.contains(why) && second.contains("remove mfa_serial from them"), "{second}");
    assert!(!asked("sw-mfa4").contains(why), "said once, at the second question");

    let stdout = |args: &[&str]| text(&w.swrole(args).stdout);
    let explain = stdout(&["explain", "sw-mfa"]);
    assert!(explain.contains("a code goes with the AssumeRole call itself"), "{explain}");
    let doctor = text(&w.swrole(&["doctor"]).stdout) + &text(&w.swrole(&["doctor"]).stderr);
    assert!(
        doctor.contains("profile \"sw-mfa\" assumes its role on the login session of \"me\""),
        "{doctor}"
    );
    let list = stdout(&["list", "--long"]);
    let me = list.lines().find(|l| l.starts_with("me ")).unwrap();
    assert!(
        // Signed in just now: the sign-in has its 12 hours left.
        me.contains("123456789012")
            && me.contains("login user/ann (")
            && (me.contains("m, sign-in 11h5") || me.contains("m, sign-in 12h")),
        "{list}"
    );
    let cache = stdout(&["cache", "list"]);
    let row: Vec<&str> = cache.lines().find(|l| l.starts_with("me\tlogin\t")).unwrap().split('\t').collect();
    assert!(row[4].starts_with(&w.arn) && row[4].contains(", sign-in 1"), "{cache}");
    // The expiration column is when the credentials end: within the hour, not past.
    let ends = humantime::parse_rfc3339(row[2]).unwrap();
    let now = std::time::SystemTime::now();
    assert!(ends > now && ends < now + std::time::Duration::from_secs(3700), "{cache}");
    // A token file others can read is not used (doctor says how to fix it); nor one in a
    // directory others can write, or one owned by another user; and a missing one.
    let file = w.token_file();
    let dir = file.parent().unwrap().to_path_buf();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let doctor = text(&w.swrole(&["doctor"]).stdout);
    assert!(
        doctor.contains("can be read or written by group or others: it is not used as your session"),
        "{doctor}"
    );
    assert!(doctor.contains(&format!("fix: chmod 600 -- {}", file.display())), "{doctor}");
    let out = w.swrole(&["sw-staging"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains(&format!("{} can be read or written by group or others", file.display()))
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = w.swrole(&["sw-staging"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(
        text(&out.stderr)
            .contains("can be written by group or others: another user could put a session there")
    );
    assert!(text(&w.swrole(&["doctor"]).stdout).contains(&format!("fix: chmod go-w -- {}", dir.display())));
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(&file, Some(65534), None).unwrap();
        let out = w.swrole(&["sw-staging"]);
        assert!(
            text(&out.stderr).contains("is owned by another user: it is not used"),
            "{}",
            text(&out.stderr)
        );
        std::os::unix::fs::chown(&file, Some(0), None).unwrap();
    }
    assert!(w.swrole(&["sw-staging", "--no-cache"]).status.success(), "fixed, it works again");
    std::fs::remove_file(w.token_file()).unwrap();
    let out = w.swrole(&["doctor"]);
    assert!(text(&out.stdout).contains("does not exist\n  fix: swrole login me"), "{}", text(&out.stdout));
    let out = w.swrole(&["sw-staging"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(text(&out.stderr).contains("run `swrole login me`"), "{}", text(&out.stderr));
}

fn credentials_with_key(w: &World) -> String {
    format!("[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n", w.old_key.0, w.old_key.1)
}

#[test]
fn keys_retire_deactivates_the_key_in_iam_and_removes_it_from_the_machine() {
    let Some(w) = world(&format!("[default]\nregion = ap-northeast-1\n\n{ROLES}"), "") else { return };
    std::fs::write(w.fx.home().join(".aws/credentials"), credentials_with_key(&w)).unwrap();
    assert!(w.login().status.success());
    let files = || {
        (
            std::fs::read_to_string(w.fx.config_path()).unwrap(),
            std::fs::read_to_string(w.fx.home().join(".aws/credentials")).unwrap(),
        )
    };
    let both_active =
        vec![(w.old_key.0.clone(), "Active".to_string()), (w.login_key.0.clone(), "Active".to_string())];

    // A profile that still takes its credentials from the key: refused, nothing changed.
    let config = std::fs::read_to_string(w.fx.config_path()).unwrap();
    std::fs::write(w.fx.config_path(), format!("{config}\n[profile legacy]\nsource_profile = default\nrole_arn = arn:aws:iam::210987654321:role/r\n")).unwrap();
    let before = files();
    let out = w.swrole(&["keys", "retire", "default", "--yes"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("legacy still take their credentials from profile \"default\""),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(files(), before);
    std::fs::write(w.fx.config_path(), &config).unwrap();
    // A local step fails after IAM: the key is turned back on, the files stay.
    let before = files();
    let mut c = w.cmd(&swrole_path());
    c.args(["keys", "retire", "default", "--yes"]).env("SWROLE_TEST_FAULT", "write-credentials");
    without_terminal(&mut c);
    let out = c.output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("active again in IAM"), "{}", text(&out.stderr));
    assert_eq!(files(), before);
    assert_eq!(key_status(&w.moto, "ann"), both_active);
    // No terminal and no --yes: nothing.
    assert!(!w.swrole(&["keys", "retire", "default"]).status.success());
    assert_eq!(key_status(&w.moto, "ann"), both_active);

    // The key store holds another key for the profile (not the one in the files): it is
    // not the key deactivated in IAM, so it stays, and the last step says so.
    let mut add = w.cmd(&swrole_path());
    add.args(["keys", "add", "default", "--stdin"]);
    without_terminal(&mut add);
    add.stdin(Stdio::piped());
    let mut child = add.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        b"AKIAOTHERKEY00000000\nother-secret-0000000000000000000000000000\n",
    )
    .unwrap();
    drop(child.stdin.take());
    let added = child.wait_with_output().unwrap();
    assert!(added.status.success(), "{}", text(&added.stderr));
    let out = w.swrole(&["keys", "retire", "default", "--yes"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("kept the other key AKIA") && err.contains("(not the one deactivated)"), "{err}");
    assert!(w.swrole(&["keys", "list"]).stdout.starts_with(b"default\t"), "the other key is still there");
    for step in ["[1/4]", "[2/4]", "[3/4]", "[4/4]"] {
        assert!(err.contains(step), "{err}");
    }
    assert_eq!(
        key_status(&w.moto, "ann"),
        vec![(w.old_key.0.clone(), "Inactive".to_string()), (w.login_key.0.clone(), "Active".to_string())]
    );
    let (config, credentials) = files();
    assert_eq!(credentials, "[default]\n", "the key lines only are gone");
    assert!(!config.contains(&w.old_key.0) && !credentials.contains(&w.old_key.1));
    assert!(!err.contains(&w.old_key.1));
    // Switching goes on with the login session.
    assert!(w.swrole(&["sw-staging"]).status.success());
    // The IAM call was signed by the login session.
    let retire: Vec<_> =
        w.moto.requests().into_iter().filter(|r| r.form["Action"] == "UpdateAccessKey").collect();
    assert!(retire.iter().all(|r| r.access_key == w.login_key.0), "{retire:?}");
}

#[test]
fn keys_retire_from_the_key_store_with_delete_and_refuses_another_user() {
    let Some(w) = world(&format!("[default]\nregion = ap-northeast-1\n\n{ROLES}"), "") else { return };
    std::fs::write(w.fx.home().join(".aws/credentials"), credentials_with_key(&w)).unwrap();
    let out = w.swrole(&["keys", "import", "default"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(w.login().status.success());
    // A session of another IAM user does not retire ann's key.
    let (bob, _, bob_key) = iam_user(&w.moto, "bob");
    w.fake.config(json!({"user_arn": bob, "access_key_id": bob_key.0, "secret_access_key": bob_key.1}));
    let config = std::fs::read_to_string(w.fx.config_path()).unwrap();
    let other = config.replace(&w.arn, &bob);
    std::fs::write(w.fx.config_path(), &other).unwrap();
    assert!(
        w.swrole(&["login", "me", "--yes", "--region", "ap-northeast-1", "--timeout", "30"]).status.success()
    );
    let out = w.swrole(&["keys", "retire", "default", "--yes"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("not the same IAM user"), "{}", text(&out.stderr));
    assert!(w.swrole(&["keys", "list"]).stdout.starts_with(b"default\t"));
    std::fs::write(w.fx.config_path(), &config).unwrap();
    // A session the config names as ann's whose credentials are bob's (same account): the
    // callers asked of STS differ, so nothing is retired.
    w.fake.config(json!({"user_arn": w.arn, "access_key_id": bob_key.0, "secret_access_key": bob_key.1}));
    assert!(
        w.swrole(&["login", "me", "--yes", "--region", "ap-northeast-1", "--timeout", "30"]).status.success()
    );
    let out = w.swrole(&["keys", "retire", "default", "--yes"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("not the same IAM user, nothing changed"), "{}", text(&out.stderr));
    assert_eq!(key_status(&w.moto, "ann").len(), 2, "nothing deactivated");
    w.fake.config(
        json!({"user_arn": w.arn, "access_key_id": w.login_key.0, "secret_access_key": w.login_key.1}),
    );
    assert!(
        w.swrole(&["login", "me", "--yes", "--region", "ap-northeast-1", "--timeout", "30"]).status.success()
    );

    let out = w.swrole(&["keys", "retire", "default", "--yes", "--delete"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(key_status(&w.moto, "ann"), vec![(w.login_key.0.clone(), "Active".to_string())]);
    assert!(w.swrole(&["keys", "list"]).stdout.is_empty(), "gone from the store");
    let config = std::fs::read_to_string(w.fx.config_path()).unwrap();
    assert!(!config.contains("credential-process default"), "{config}");
    assert!(config.starts_with("[default]\nregion = ap-northeast-1\n"), "{config}");
}

/// tests/support/go_caller built once against Debian's AWS SDK for Go v2 (GOPATH mode: the
/// library's source in /usr/share/gocode, nothing fetched).
fn go_caller() -> Option<PathBuf> {
    static BUILT: std::sync::OnceLock<Option<(tempfile::TempDir, PathBuf)>> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            if !require("go")
                || !Path::new("/usr/share/gocode/src/github.com/aws/aws-sdk-go-v2/config").exists()
            {
                assert!(std::env::var_os("SWROLE_REQUIRE_TOOLS").is_none(), "the Go SDK is missing");
                return None;
            }
            let dir = tempfile::tempdir().unwrap();
            let bin = dir.path().join("go-caller");
            let out = Command::new("go")
                .args(["build", "-o"])
                .arg(&bin)
                .arg(support("go_caller/main.go"))
                .env("GOPATH", "/usr/share/gocode")
                .env("GO111MODULE", "off")
                .env("GOFLAGS", "")
                .env("GOCACHE", dir.path().join("cache"))
                .output()
                .unwrap();
            assert!(out.status.success(), "go build: {}", text(&out.stderr));
            Some((dir, bin))
        })
        .as_ref()
        .map(|(_, bin)| bin.clone())
}

/// Issue 43, item 17: Go tools (Terraform's AWS provider among them, on aws-sdk-go-v2) cannot
/// chain a role on an `aws login` base; `credential_process = swrole credential-process
/// PROFILE` in the profile they read is the bridge (docs/login.md), proven with a Go program
/// built against the AWS SDK for Go v2.
#[test]
fn go_programs_reach_the_role_through_swrole_credential_process() {
    let Some(caller) = go_caller() else { return };
    let config =
        format!("{ROLES}\n[profile tf-staging]\ncredential_process = swrole credential-process sw-staging\n");
    let Some(w) = world(&config, "") else { return };
    assert!(w.login().status.success());
    let go = |profile: &str| {
        let mut c = w.cmd(&caller);
        c.arg(profile).env("STS_URL", w.moto.url()).env("AWS_REGION", "ap-northeast-1");
        without_terminal(&mut c);
        c.output().unwrap()
    };
    // The Go SDK alone: the role on the login session is out of its reach.
    let direct = go("sw-staging");
    assert!(!direct.status.success(), "{}", text(&direct.stdout));
    // Through swrole: the role's account, signed with the role's credentials.
    let bridged = go("tf-staging");
    assert!(bridged.status.success(), "{}", text(&bridged.stderr));
    assert_eq!(text(&bridged.stdout).trim(), "210987654321");
    let last = w.moto.requests().into_iter().rev().find(|r| r.form["Action"] == "GetCallerIdentity").unwrap();
    assert!(last.access_key.starts_with("ASIA") && last.access_key != w.login_key.0, "{}", last.access_key);
}
