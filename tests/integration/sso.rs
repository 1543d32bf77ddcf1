//! IAM Identity Center end to end: a fake OIDC service and portal
//! (tests/support/fake_sso.py, proven against botocore first), moto for the role hops, a
//! scripted browser, and the AWS CLI and boto3 on the same token files as swrole.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::moto::Moto;
use crate::util::{Fixture, PyFake, swrole_path, without_terminal};

fn support(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support").join(name)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The fake IAM Identity Center (tests/support/fake_sso.py).
type FakeSso = PyFake;

/// The token calls so far with this grant (`authorization_code`, `refresh_token`, the
/// device code's URN).
fn grants(fake: &FakeSso, grant: &str) -> Vec<Value> {
    fake.log().into_iter().filter(|e| e["op"] == "token" && e["grant"] == grant).collect()
}

const START: &str = "https://example.awsapps.com/start";
const DEVICE: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn config(extra_session: &str) -> String {
    format!(
        "# my own comment\n[sso-session work]\nsso_start_url = {START}\nsso_region = us-east-1\n{extra_session}\n\
         [profile prod]\nsso_session = work\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\n\
         region = eu-west-1\n\n[profile prod-admin]\nsource_profile = prod\n\
         role_arn = arn:aws:iam::111111111111:role/admin\n"
    )
}

struct World {
    moto: Moto,
    fake: FakeSso,
    fx: Fixture,
}

fn world(config: &str) -> Option<World> {
    let moto = Moto::start()?;
    let fake = FakeSso::start("fake_sso.py")?;
    let fx = Fixture::new(config, "");
    Some(World { moto, fake, fx })
}

impl World {
    fn cmd(&self, program: &Path) -> Command {
        let mut c = crate::util::isolated(program, self.fx.home());
        c.env("AWS_ENDPOINT_URL_STS", self.moto.url())
            .env("AWS_ENDPOINT_URL_SSO", self.fake.url())
            .env("AWS_ENDPOINT_URL_SSO_OIDC", self.fake.url());
        c
    }

    fn swrole_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = self.cmd(&swrole_path());
        c.args(args).env("BROWSER", support("browser.py"));
        for (k, v) in env {
            c.env(k, v);
        }
        without_terminal(&mut c);
        c.output().unwrap()
    }

    fn swrole(&self, args: &[&str]) -> Output {
        self.swrole_with(args, &[])
    }

    fn login(&self) {
        // A broken callback fails in 30 s, not the 10-minute default.
        let out = self.swrole(&["login", "work", "--timeout", "30"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }

    fn cache(&self) -> PathBuf {
        self.fx.home().join(".aws/sso/cache")
    }

    /// ~/.aws/sso/cache/<sha1("work")>.json
    fn token_file(&self) -> PathBuf {
        self.cache().join("e274eeff768c6396088ec6eb091f4bf4d47ab1e0.json")
    }

    fn token(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.token_file()).unwrap()).unwrap()
    }

    /// The token has five minutes left: the next use refreshes it (botocore's window is 15).
    fn nearly_expired(&self) {
        let mut t = self.token();
        let soon = std::time::SystemTime::now() + Duration::from_secs(300);
        t["expiresAt"] = json!(humantime::format_rfc3339_seconds(soon).to_string());
        std::fs::write(self.token_file(), t.to_string()).unwrap();
    }

    /// Python (boto3 / botocore) with the same files and endpoints; `script` prints JSON.
    fn python(&self, script: &str) -> Value {
        let out = self.cmd(Path::new("python3")).args(["-c", script]).output().unwrap();
        assert!(out.status.success(), "python: {}", text(&out.stderr));
        serde_json::from_str(text(&out.stdout).trim()).unwrap()
    }

    fn boto3_prod(&self) -> Value {
        self.python(
            "import boto3, json\ns = boto3.Session(profile_name='prod')\n\
             c = s.get_credentials().get_frozen_credentials()\nprint(json.dumps({'access_key': c.access_key, 'token': c.token}))",
        )
    }
}

#[test]
fn the_fake_identity_center_answers_as_botocore_expects() {
    let Some(fake) = FakeSso::start("fake_sso.py") else { return };
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .arg(support("sso_botocore.py"))
        .arg(fake.url())
        .arg(home.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "ok");
    assert!(!grants(&fake, "refresh_token").is_empty());
}

#[test]
fn browser_sign_in_then_switch_and_the_aws_cli_uses_the_same_token() {
    let Some(w) = world(&config("sso_registration_scopes = sso:account:access, codewhisperer:completions\n"))
    else {
        return;
    };
    w.login();
    let log = w.fake.log();
    let register = log.iter().find(|e| e["op"] == "register").unwrap();
    assert_eq!(register["grants"], json!(["authorization_code", "refresh_token"]));
    assert_eq!(register["scopes"], json!(["sso:account:access", "codewhisperer:completions"]));
    let authorize = log.iter().find(|e| e["op"] == "authorize").unwrap();
    assert_eq!(authorize["scopes"], "sso:account:access codewhisperer:completions");
    assert_eq!(grants(&w.fake, "authorization_code")[0]["outcome"], "ok");
    // The files, as the AWS CLI v2 writes them.
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&w.token_file()), 0o600);
    assert_eq!(mode(&w.cache()), 0o700);
    let token = w.token();
    for field in [
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ] {
        assert!(token[field].is_string(), "{field} in {token}");
    }
    assert_eq!(token["startUrl"], START);
    let registrations: Vec<_> = std::fs::read_dir(w.cache())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p != &w.token_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(registrations.len(), 1, "one registration file: {registrations:?}");

    // The role, and a role on top of it, with no second sign-in.
    let out = w.swrole(&["prod", "--shell", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(c["AccessKeyId"], "ASIAFAKESSO111111111");
    let out = w.swrole(&["prod-admin", "--shell", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let assume = w.moto.requests().into_iter().find(|r| r.form["Action"] == "AssumeRole").unwrap();
    assert_eq!(assume.access_key, "ASIAFAKESSO111111111", "signed by the Identity Center role");
    let portal: Vec<_> = w.fake.log().into_iter().filter(|e| e["op"] == "/federation/credentials").collect();
    assert!(
        portal.iter().all(|e| e["authorized"] == true && e["query"]["role_name"] == "ReadOnly"),
        "{portal:?}"
    );
    // The AWS CLI (v1 here, through botocore) uses the same token: no second sign-in.
    let before = w.fake.log().len();
    let out = w
        .cmd(Path::new("aws"))
        .args(["sts", "get-caller-identity", "--profile", "prod", "--output", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "aws: {}", text(&out.stderr));
    let after = w.fake.log();
    assert!(after[before..].iter().any(|e| e["op"] == "/federation/credentials" && e["authorized"] == true));
    assert!(
        after[before..].iter().all(|e| e["op"] != "token" && e["op"] != "authorize"),
        "{:?}",
        &after[before..]
    );
    // A second sign-in reuses the registration.
    w.login();
    assert_eq!(w.fake.log().iter().filter(|e| e["op"] == "register").count(), 1);
    // explain, list --long, cache list and doctor show the session.
    let said = text(&w.swrole(&["explain", "prod-admin"]).stdout);
    assert!(
        said.contains(&format!(
            "IAM Identity Center sso-session work ({START}), account 111111111111, role ReadOnly"
        )),
        "{said}"
    );
    assert!(!said.contains(token["accessToken"].as_str().unwrap()));
    let list = text(&w.swrole(&["list", "--long"]).stdout);
    assert!(list.lines().any(|l| l.starts_with("prod ") && l.contains("sso ReadOnly (token ")), "{list}");
    let cache = text(&w.swrole(&["cache", "list"]).stdout);
    assert!(cache.lines().any(|l| l.starts_with("prod\tsso\t") && l.contains("refreshable")), "{cache}");
    // A token others can read is not used as the session: doctor says how to fix it.
    std::fs::set_permissions(w.token_file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let doctor = text(&w.swrole(&["doctor"]).stdout);
    assert!(
        doctor.contains("can be read or written by group or others: it is not used as your session"),
        "{doctor}"
    );
    assert!(doctor.contains(&format!("fix: chmod 600 -- {}", w.token_file().display())), "{doctor}");
    let out = w.swrole(&["prod", "--no-cache"]);
    assert!(!out.status.success() && out.stdout.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn refreshes_go_both_ways_with_boto3_and_never_over_a_newer_token() {
    let Some(w) = world(&config("")) else { return };
    w.login();
    // swrole refreshes a token with five minutes left; boto3 takes it as it is.
    w.nearly_expired();
    let out = w.swrole(&["prod"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(grants(&w.fake, "refresh_token").len(), 1);
    assert_eq!(grants(&w.fake, "refresh_token")[0]["outcome"], "ok");
    let by_swrole = w.token();
    assert_eq!(std::fs::metadata(w.token_file()).unwrap().permissions().mode() & 0o777, 0o600);
    w.boto3_prod();
    assert_eq!(grants(&w.fake, "refresh_token").len(), 1, "boto3 used swrole's refresh");
    // boto3 refreshes; swrole takes it as it is.
    w.nearly_expired();
    w.boto3_prod();
    assert_eq!(grants(&w.fake, "refresh_token").len(), 2);
    let by_boto3 = w.token();
    assert_ne!(by_boto3["accessToken"], by_swrole["accessToken"]);
    assert!(w.swrole(&["prod", "--refresh"]).status.success());
    assert_eq!(grants(&w.fake, "refresh_token").len(), 2, "swrole used boto3's refresh");
    assert_eq!(w.token()["accessToken"], by_boto3["accessToken"]);
    // Both at once: every process gets credentials, the file stays whole.
    w.nearly_expired();
    let mut children = Vec::new();
    for i in 0..8 {
        let mut c = if i % 2 == 0 {
            let mut c = w.cmd(&swrole_path());
            c.args(["credential-process", "prod", "--refresh"]);
            c
        } else {
            let mut c = w.cmd(Path::new("python3"));
            c.args([
                "-c",
                "import boto3; boto3.Session(profile_name='prod').get_credentials().get_frozen_credentials()",
            ]);
            c
        };
        children.push(c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap());
    }
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    assert!(grants(&w.fake, "refresh_token").iter().all(|e| e["outcome"] == "ok"));
    assert!(serde_json::from_str::<Value>(&std::fs::read_to_string(w.token_file()).unwrap()).is_ok());
    // A refresh token the service no longer takes: the token still has minutes, so it is
    // used; once it has ended, the switch says to sign in again.
    w.nearly_expired();
    w.fake.config(json!({"refresh_fails": true}));
    let out = w.swrole(&["prod", "--refresh"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("could not be refreshed"), "{}", text(&out.stderr));
    let mut t = w.token();
    t["expiresAt"] = json!("2020-01-01T00:00:00Z");
    std::fs::write(w.token_file(), t.to_string()).unwrap();
    let before = std::fs::read(w.token_file()).unwrap();
    let out = w.swrole(&["prod-admin", "--refresh"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(text(&out.stderr).contains("run `swrole login prod`"), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains(t["refreshToken"].as_str().unwrap()));
    assert_eq!(std::fs::read(w.token_file()).unwrap(), before);
}

#[test]
fn the_device_code_is_chosen_over_ssh_and_polls_as_the_service_says() {
    let Some(w) = world(&config("")) else { return };
    w.fake.config(json!({"slow_down_polls": 1, "pending_polls": 1}));
    let mut c = w.cmd(&swrole_path());
    // A time limit: a browser sign-in started instead would wait 30 s, not the default 10 min.
    c.args(["login", "work", "--timeout", "30"]).env("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22");
    without_terminal(&mut c);
    let out = c.output().unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("ABCD-EFGH") && err.contains("/device"), "{err}");
    let polls = grants(&w.fake, DEVICE);
    let outcomes: Vec<&str> = polls.iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["slow_down", "authorization_pending", "ok"]);
    // The interval is 1 s; after slow_down it is 6 s.
    let at = |i: usize| polls[i]["at"].as_f64().unwrap();
    assert!(at(1) - at(0) >= 6.0, "slowed down: {polls:?}");
    assert!(at(2) - at(1) >= 6.0, "stays slower: {polls:?}");
    let register = w.fake.log().into_iter().find(|e| e["op"] == "register").unwrap();
    assert_eq!(register["grants"], json!([]), "a device registration has no grant types");
    assert!(w.swrole(&["prod"]).status.success());
    // A legacy profile (sso_start_url in the profile) signs in with the device code too,
    // into the file named after its start URL.
    let config = std::fs::read_to_string(w.fx.config_path()).unwrap();
    std::fs::write(
        w.fx.config_path(),
        format!("{config}\n[profile legacy]\nsso_start_url = {START}\nsso_region = us-east-1\nsso_account_id = 210987654321\nsso_role_name = AdministratorAccess\n"),
    )
    .unwrap();
    // Chosen by itself (a legacy profile), the device code opens no browser (checked at the
    // end: a browser is started beside the sign-in, which is not waited for); asked for with
    // --device-code, it opens the page that confirms it. A second of polling each.
    w.fake.config(json!({"slow_down_polls": 0, "pending_polls": 1}));
    let browser_log = |name: &str| {
        let log = w.fx.home().join(name);
        let env =
            [("FAKE_BROWSER_LOG", log.to_str().unwrap().to_string()), ("FAKE_BROWSER_MODE", "none".into())];
        (log, env)
    };
    let (opened_legacy, env) = browser_log("legacy-browser.log");
    let out = w.swrole_with(&["login", "legacy"], &env.each_ref().map(|(k, v)| (*k, v.as_str())));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("ABCD-EFGH"), "the device code, though BROWSER is set");
    w.fake.config(json!({"slow_down_polls": 0, "pending_polls": 0}));
    // hashlib.sha1(START.encode()).hexdigest()
    assert!(w.cache().join("e8be5486177c5b5392bd9aa76563515b29358e6e.json").exists());
    let out = w.swrole(&["legacy", "--shell", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A token without a refresh token (as the AWS CLI v1 writes them) is used while it lasts,
    // in the refresh window too, with no refresh tried; once it has ended, sign in again.
    let legacy = w.cache().join("e8be5486177c5b5392bd9aa76563515b29358e6e.json");
    let mut t: Value = serde_json::from_str(&std::fs::read_to_string(&legacy).unwrap()).unwrap();
    for gone in ["refreshToken", "clientId", "clientSecret", "registrationExpiresAt"] {
        t.as_object_mut().unwrap().remove(gone);
    }
    let refreshes = grants(&w.fake, "refresh_token").len();
    for (left, works) in [(3000_i64, true), (300, true), (-5, false)] {
        let now = std::time::SystemTime::now();
        let by = Duration::from_secs(left.unsigned_abs());
        let at = if left > 0 { now + by } else { now - by };
        t["expiresAt"] = json!(humantime::format_rfc3339_seconds(at).to_string());
        std::fs::write(&legacy, t.to_string()).unwrap();
        let out = w.swrole(&["legacy", "--shell", "json", "--no-cache"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.success(), works, "{left} s left: {err}");
        if !works {
            assert!(err.contains("has ended") && err.contains("swrole login legacy"), "{err}");
        }
    }
    assert_eq!(grants(&w.fake, "refresh_token").len(), refreshes, "nothing to refresh with");
    // A verification URI that is not https (or http to loopback) is never printed or opened.
    for hostile in ["javascript:alert(1)", "http://evil.example.com/device", "file:///etc/passwd"] {
        w.fake.config(json!({"uri_complete": hostile}));
        let out = w.swrole(&["login", "work", "--device-code"]);
        assert!(!out.status.success(), "{hostile}");
        assert!(text(&out.stderr).contains("verification URI"), "{hostile}: {}", text(&out.stderr));
    }
    w.fake.config(json!({"uri_complete": null, "pending_polls": 1}));
    let (opened, env) = browser_log("browser.log");
    let out =
        w.swrole_with(&["login", "work", "--device-code"], &env.each_ref().map(|(k, v)| (*k, v.as_str())));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&opened).unwrap_or_default().contains("/device?user_code=ABCD-EFGH") {
        assert!(std::time::Instant::now() < deadline, "the confirmation page never opened");
        std::thread::sleep(Duration::from_millis(50));
    }
    w.fake.config(json!({"pending_polls": 0}));
    // The code expires, or is denied: one line, nothing saved over the token.
    let before = std::fs::read(w.token_file()).unwrap();
    for (fail, said) in [
        ("expired_token", "the code ABCD-EFGH expired before it was confirmed: run swrole login again"),
        ("access_denied", "the sign-in was denied on the confirmation page"),
    ] {
        w.fake.config(json!({"device_fail": fail, "slow_down_polls": 0, "pending_polls": 0}));
        let out = w.swrole(&["login", "work", "--device-code"]);
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains(said), "{fail}: {}", text(&out.stderr));
        assert_eq!(std::fs::read(w.token_file()).unwrap(), before);
    }
    // Never confirmed: it gives up at the time limit, and polls no later than that.
    w.fake.config(json!({"device_fail": null, "pending_polls": 1000}));
    let polled = grants(&w.fake, DEVICE).len();
    let out = w.swrole(&["login", "work", "--device-code", "--timeout", "5"]);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("the code ABCD-EFGH was not confirmed within 5 s: run swrole login again"), "{err}");
    let polls = grants(&w.fake, DEVICE)[polled..].to_vec();
    let at = |i: usize| polls[i]["at"].as_f64().unwrap();
    assert!(polls.len() >= 3, "polled each second: {polls:?}");
    assert!(at(polls.len() - 1) - at(0) < 5.5, "polled past the 5 s: {polls:?}");
    assert_eq!(std::fs::read(w.token_file()).unwrap(), before);
    assert!(!opened_legacy.exists(), "a browser opened for a device code chosen by itself");
}

#[test]
fn the_callback_refuses_what_did_not_come_from_its_page() {
    let Some(w) = world(&config("")) else { return };
    let out = w.swrole_with(&["login", "work", "--timeout", "5"], &[("FAKE_BROWSER_MODE", "none")]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no sign-in came back within 5 s"), "{}", text(&out.stderr));
    assert!(!w.token_file().exists());
    // Another state, or an error without one, ends nothing: the real callback then signs in.
    for mode in ["wrong-state", "error-no-state"] {
        let out = w.swrole_with(&["login", "work", "--timeout", "30"], &[("FAKE_BROWSER_MODE", mode)]);
        assert!(out.status.success(), "{mode}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("state does not match this sign-in"),
            "{mode}: {}",
            text(&out.stderr)
        );
        assert!(w.token_file().exists(), "{mode}");
        std::fs::remove_file(w.token_file()).unwrap();
    }
    let out = w.swrole_with(&["login", "work", "--timeout", "30"], &[("FAKE_BROWSER_MODE", "other-address")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(w.token_file().exists());
    // An answer over the bound is refused by name, nothing printed.
    w.fake.config(json!({"big_answer": true}));
    let out = w.swrole(&["prod", "--no-cache"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(text(&out.stderr).contains("could not be read (or over 256 KiB)"), "{}", text(&out.stderr));
}

/// A config full of comments, odd spacing and other tools' blocks.
const BUSY: &str = "; a comment in the old style\n\
    [default]\n\
    region=us-east-1   \n\
    \n\
    # granted: registry begin (another tool's block)\n\
    [profile granted-x]\n\
    region = eu-west-1\n\
    # granted: registry end\n\
    \n\
    [sso-session work]\n\
    sso_start_url = https://example.awsapps.com/start\n\
    sso_region    =   us-east-1\n\
    [profile   staging-administratoraccess  ]\n\
    region = ap-northeast-1\n\
    \n\
    [services dev]\n\
    s3 =\n  endpoint_url = http://127.0.0.1:1\n";

#[test]
fn sso_profiles_write_keeps_every_byte_outside_its_block() {
    let Some(w) = world(BUSY) else { return };
    let path = w.fx.config_path();
    let read = || std::fs::read_to_string(&path).unwrap();
    // Not signed in: nothing written.
    let out = w.swrole(&["sso", "profiles", "--write", "--yes"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("swrole login"), "{}", text(&out.stderr));
    assert_eq!(read(), BUSY);
    w.login();
    // Printed: every role, nothing written.
    let out = w.swrole(&["sso", "profiles"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(printed.contains("[profile production-readonly]\nsso_session = work\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\n"), "{printed}");
    assert!(printed.contains("[profile sandbox-team-a-poweruser]"), "{printed}");
    // Every profile has a region, and swrole says whose (issue 43, item 9).
    assert_eq!(
        printed.matches("\nregion = us-east-1\n").count(),
        printed.matches("[profile ").count(),
        "{printed}"
    );
    assert!(
        text(&out.stderr)
            .contains("the profiles get region = us-east-1 (the region of [default]; --region REGION"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(read(), BUSY);
    // A portal that ends its lists with an empty nextToken, not none: each list ends there.
    w.fake.config(json!({"last_next_token": ""}));
    let out = w.swrole(&["sso", "profiles"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), printed);
    w.fake.config(json!({"last_next_token": null}));
    // No terminal and no --yes, or --dry-run: nothing written.
    assert!(!w.swrole(&["sso", "profiles", "--write"]).status.success());
    assert!(w.swrole(&["sso", "profiles", "--write", "--dry-run"]).status.success());
    assert_eq!(read(), BUSY);

    let out = w.swrole(&["sso", "profiles", "work", "--write", "--yes", "--region", "eu-central-1"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    // The clash: the user's own profile is kept, the role is not added.
    assert!(err.contains("[profile staging-administratoraccess] is already at"), "{err}");
    assert!(err.contains("swrole: sso work: 3 profiles in "), "four roles, one clash: {err}");
    let written = read();
    assert!(written.starts_with(BUSY), "every byte before is kept:\n{written}");
    let block = &written[BUSY.len()..];
    assert!(
        block.starts_with("\n# swrole sso work: begin (managed by swrole sso profiles --write)\n"),
        "{block}"
    );
    assert!(block.ends_with("# swrole sso work: end\n"));
    assert!(!block.contains("[profile staging-administratoraccess]"));
    assert!(block.contains("[profile production-administratoraccess]\nsso_session = work\nsso_account_id = 111111111111\nsso_role_name = AdministratorAccess\nregion = eu-central-1\n"));
    // The generated profiles switch.
    let out = w.swrole(&["production-readonly", "--shell", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // cache list: the one token of sso-session work, once, with every profile that uses it.
    let cache = text(&w.swrole(&["cache", "list"]).stdout);
    let rows: Vec<&str> = cache.lines().filter(|l| l.contains("\tsso\t")).collect();
    assert_eq!(rows.len(), 1, "{cache}");
    let users: Vec<&str> = rows[0].split('\t').next().unwrap().split(' ').collect();
    assert!(users.len() == 3 && users.contains(&"production-readonly"), "{cache}");
    // A second run changes nothing (the same inode), an offline one writes nothing.
    let inode = std::fs::metadata(&path).unwrap().ino();
    let out = w.swrole(&["sso", "profiles", "work", "--write", "--yes", "--region", "eu-central-1"]);
    assert!(out.status.success() && text(&out.stderr).contains("is up to date"), "{}", text(&out.stderr));
    assert_eq!(std::fs::metadata(&path).unwrap().ino(), inode);
    let out = w.swrole_with(
        &["sso", "profiles", "--write", "--yes", "--prune"],
        &[("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:9")],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("nothing was written"), "{}", text(&out.stderr));
    assert_eq!(read(), written);
    // A role taken away: kept and marked, until --prune; a hand edit inside is found.
    w.fake.config(json!({"accounts": [
        {"accountId": "111111111111", "accountName": "Production", "emailAddress": "p@example.com",
         "roles": ["AdministratorAccess", "ReadOnly"]},
        {"accountId": "444444444444", "accountName": "Dev", "emailAddress": "d@example.com", "roles": ["Admin"]},
    ]}));
    let out = w.swrole(&["sso", "profiles", "--write", "--yes", "--region", "eu-central-1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "swrole: sso work: no longer usable, kept: profile sandbox-team-a-poweruser (--prune removes them)"
        ),
        "{}",
        text(&out.stderr)
    );
    let kept = read();
    assert!(kept.starts_with(BUSY));
    assert!(kept.contains("[profile sandbox-team-a-poweruser]\n# swrole: no longer in IAM Identity Center; swrole sso profiles --write --prune removes it\n"), "{kept}");
    assert!(kept.contains("[profile dev-admin]"));
    std::fs::write(
        &path,
        kept.replace(
            "sso_role_name = Admin\n",
            "sso_role_name = Admin\nregion = us-west-2\n\n[profile my-own]\nregion = eu-west-1\n",
        ),
    )
    .unwrap();
    let doctor = text(&w.swrole(&["doctor"]).stdout);
    assert!(doctor.contains("[profile dev-admin] was edited by hand inside sso work's block"), "{doctor}");
    let out = w.swrole(&["sso", "profiles", "--write", "--yes", "--prune", "--region", "eu-central-1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    assert!(
        said.contains("swrole: sso work: removed (no longer usable): profile sandbox-team-a-poweruser"),
        "{said}"
    );
    assert!(
        said.contains("swrole: sso work: added by hand inside the block, kept: profile my-own"),
        "{said}"
    );
    let pruned = read();
    assert!(
        pruned.starts_with(BUSY)
            && !pruned.contains("sandbox-team-a-poweruser")
            && !pruned.contains("us-west-2"),
        "{pruned}"
    );
    // A role name that would carry a comment or a second key into the config: refused.
    w.fake.config(json!({"accounts": [{"accountId": "111111111111", "accountName": "P",
        "emailAddress": "p@example.com", "roles": ["Admin\nregion = evil"]}]}));
    let out = w.swrole(&["sso", "profiles", "--write", "--yes", "--prune"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("a role name that cannot go into a profile"), "{}", text(&out.stderr));
    assert_eq!(read(), pruned);
    // A region that is empty or not a region's name: refused before anything.
    for bad in ["", "EU-WEST-1", "eu west"] {
        let out = w.swrole(&["sso", "profiles", "--write", "--yes", "--region", bad]);
        assert!(!out.status.success(), "{bad:?}");
        assert!(text(&out.stderr).contains("is not a region"), "{bad:?}: {}", text(&out.stderr));
        assert_eq!(read(), pruned);
    }
    // A bad template is refused before anything.
    let out = w.swrole(&["sso", "profiles", "--write", "--yes", "--template", "{nope}"]);
    assert!(!out.status.success());
    assert_eq!(read(), pruned);
}

#[test]
fn exec_server_renews_from_the_identity_center_role() {
    let Some(w) = world(&config("")) else { return };
    w.login();
    let script = "import json, os, time, urllib.request\n\
        def get():\n\
        \x20   time.sleep(2)\n\
        \x20   r = urllib.request.Request(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'], \
        headers={'Authorization': os.environ['AWS_CONTAINER_AUTHORIZATION_TOKEN']})\n\
        \x20   return json.load(urllib.request.urlopen(r))['Token']\n\
        print(json.dumps([get(), get()]))\n";
    let out =
        w.swrole(&["exec", "--server", "prod", "--refresh-margin", "3599", "--", "python3", "-c", script]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tokens: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(tokens[0], tokens[1], "renewed from the portal");
    let calls = w.fake.log().into_iter().filter(|e| e["op"] == "/federation/credentials").count();
    assert!(calls >= 3, "GetRoleCredentials for the start and each renewal: {calls}");
    // The console takes the Identity Center role's credentials to the federation endpoint.
    let out = w.swrole_with(
        &["console", "prod", "--print"],
        &[("SWROLE_FEDERATION_URL", "http://127.0.0.1:9/federation")],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("could not reach the federation endpoint"), "{}", text(&out.stderr));
}

/// A token file the AWS CLI rewrote while swrole's refresh was in flight keeps the CLI's
/// token: swrole writes its refresh only over what it read.
#[test]
fn a_refresh_never_overwrites_a_token_written_while_it_was_in_flight() {
    let Some(w) = world(&config("")) else { return };
    w.login();
    w.nearly_expired();
    w.fake.config(json!({"refresh_delay": 2}));
    let mut c = w.cmd(&swrole_path());
    c.arg("prod");
    without_terminal(&mut c);
    let child = c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !w.fake.log().iter().any(|e| e["op"] == "refresh_started") {
        assert!(std::time::Instant::now() < deadline, "the refresh never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The writer in the middle: a token as the AWS CLI writes it after its own refresh.
    let mut newer = w.token();
    newer["accessToken"] = json!("written-by-the-aws-cli");
    let later = std::time::SystemTime::now() + Duration::from_secs(3600);
    newer["expiresAt"] = json!(humantime::format_rfc3339_seconds(later).to_string());
    let newer = newer.to_string();
    std::fs::write(w.token_file(), &newer).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(grants(&w.fake, "refresh_token").len(), 1);
    assert_eq!(std::fs::read_to_string(w.token_file()).unwrap(), newer, "the newer token stays");
}

/// Role names from the portal are held to IAM's characters before they become
/// `sso_role_name`: a space, `;`, `#`, a quote or a bracket (not only a newline) is refused,
/// and nothing is written.
#[test]
fn portal_role_names_outside_iam_s_characters_are_refused() {
    let Some(w) = world(&config("")) else { return };
    w.login();
    let before = std::fs::read_to_string(w.fx.config_path()).unwrap();
    for bad in [
        "Admin Role",
        "Admin;x",
        "Admin#x",
        "Admin\"x",
        "Admin'x",
        "Admin[x]",
        "Admin]x",
        "Admin\nx",
        "Admín",
    ] {
        w.fake.config(json!({"accounts": [{"accountId": "111111111111", "accountName": "Production",
            "emailAddress": "prod@example.com", "roles": ["ReadOnly", bad]}]}));
        for args in [&["sso", "profiles"][..], &["sso", "profiles", "--write", "--yes"][..]] {
            let out = w.swrole(args);
            let err = text(&out.stderr);
            assert!(!out.status.success(), "{bad:?} {args:?}: {err}");
            assert!(
                err.contains("the portal sent a role name that cannot go into a profile"),
                "{bad:?}: {err}"
            );
            assert!(out.stdout.is_empty(), "{bad:?}: nothing printed");
        }
        assert_eq!(std::fs::read_to_string(w.fx.config_path()).unwrap(), before, "{bad:?}");
    }
    // IAM's own characters pass.
    w.fake.config(json!({"accounts": [{"accountId": "111111111111", "accountName": "Production",
        "emailAddress": "prod@example.com", "roles": ["Admin+=,.@_-1"]}]}));
    let out = w.swrole(&["sso", "profiles"]);
    assert!(
        out.status.success() && text(&out.stdout).contains("sso_role_name = Admin+=,.@_-1"),
        "{}",
        text(&out.stderr)
    );
}

/// Issue 41, item 6: an IAM Identity Center role's credentials are cached like any role's:
/// the next switch makes no portal call, a switch with the portal away works from the
/// cache, `cache list` shows the entry, and another role in the profile is another entry.
#[test]
fn identity_center_role_credentials_are_cached_like_any_role_s() {
    let Some(w) = world(&config("")) else { return };
    w.login();
    let portal = || w.fake.log().into_iter().filter(|e| e["op"] == "/federation/credentials").count();
    let key_of = |out: &Output| -> String {
        assert!(out.status.success(), "{}", text(&out.stderr));
        let c: Value = serde_json::from_slice(&out.stdout).unwrap();
        c["AccessKeyId"].as_str().unwrap().to_string()
    };
    let first = key_of(&w.swrole(&["prod", "--shell", "json"]));
    assert_eq!(portal(), 1);
    assert_eq!(key_of(&w.swrole(&["prod", "--shell", "json"])), first);
    assert_eq!(portal(), 1, "the second switch came from the cache");
    // The portal away: the switch still works, from the cache.
    let away = w.swrole_with(&["prod", "--shell", "json"], &[("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:9")]);
    assert_eq!(key_of(&away), first);
    let cache = text(&w.swrole(&["cache", "list"]).stdout);
    assert!(cache.lines().any(|l| l.starts_with("prod\trole\t")), "{cache}");
    // Another role in the same profile is not served the first role's credentials.
    let config = config("").replace("sso_role_name = ReadOnly", "sso_role_name = AdministratorAccess");
    std::fs::write(w.fx.home().join(".aws/config"), config).unwrap();
    key_of(&w.swrole(&["prod", "--shell", "json"]));
    assert_eq!(portal(), 2, "another role: another GetRoleCredentials");
    let roles: Vec<Value> = w
        .fake
        .log()
        .into_iter()
        .filter(|e| e["op"] == "/federation/credentials")
        .map(|e| e["query"]["role_name"].clone())
        .collect();
    assert_eq!(roles, [json!("ReadOnly"), json!("AdministratorAccess")]);
}
