//! End to end against moto's STS server on loopback: moto accepts any MFA code, ARN and
//! duration, so each test asserts what swrole actually sent, from moto's request recorder.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;

use crate::util::{Fixture, SEED_CONFIG, SEED_CREDENTIALS, parse_env0, pipe_into, require};

/// A moto server on a free loopback port, stopped when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
    /// moto's recorder writes to a file: one per server, or parallel tests would mix.
    recording: tempfile::TempDir,
}

/// One request as moto recorded it: the form fields plus the signing key and region.
#[derive(Debug)]
pub struct Request {
    pub form: BTreeMap<String, String>,
    pub access_key: String,
    pub region: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A bare HTTP/1.0 exchange with a loopback server: (status, body).
pub fn http(port: u16, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(s, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

impl Moto {
    /// `None` when moto is not installed and not required (see `util::require`).
    pub fn start() -> Option<Moto> {
        if !require("moto_server") {
            return None;
        }
        let port = free_port();
        let recording = tempfile::tempdir().unwrap();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_RECORDER_FILEPATH", recording.path().join("recording"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto { child, port, recording };
        let deadline = Instant::now() + Duration::from_secs(60);
        while http(port, "GET", "/moto-api/").is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        let (status, _) = http(port, "POST", "/moto-api/recorder/start-recording").unwrap();
        assert_eq!(status, 200);
        Some(moto)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The STS requests received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        // The recorder appends one JSON line per request to its file (none yet: no file).
        let body = std::fs::read_to_string(self.recording.path().join("recording")).unwrap_or_default();
        body.lines()
            .filter(|l| !l.trim().is_empty())
            .filter_map(|line| {
                let entry: serde_json::Value = serde_json::from_str(line).unwrap();
                let raw = entry["body"].as_str().unwrap_or("");
                let bytes = if entry["body_encoded"].as_bool() == Some(true) {
                    base64::engine::general_purpose::STANDARD.decode(raw).unwrap()
                } else {
                    raw.as_bytes().to_vec()
                };
                let form: BTreeMap<String, String> = form_urlencoded::parse(&bytes).into_owned().collect();
                form.contains_key("Action").then_some(())?;
                let auth = entry["headers"]["Authorization"].as_str().unwrap_or("");
                let scope = auth.split("Credential=").nth(1).unwrap_or("").split(',').next().unwrap_or("");
                let parts: Vec<&str> = scope.split('/').collect();
                Some(Request {
                    form,
                    access_key: parts.first().unwrap_or(&"").to_string(),
                    region: parts.get(2).unwrap_or(&"").to_string(),
                })
            })
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn seed(moto: &Moto) -> (Fixture, impl Fn() -> assert_cmd::Command + '_) {
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let url = moto.url();
    let home = fx.home().to_path_buf();
    let cmd = move || {
        let mut c = assert_cmd::Command::cargo_bin("swrole").unwrap();
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("USER", "tester")
            .env("SWROLE_CACHE_STORE", "file")
            .env("AWS_ENDPOINT_URL_STS", &url);
        c
    };
    (fx, cmd)
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

/// Evaluate swrole's bash output in a real bash started with `env`, and return its
/// environment afterwards.
fn eval_in_bash(code: &str, env: &[(&str, &str)]) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--noprofile", "--norc", "-euc", "eval \"$(cat)\"; env -0"];
    parse_env0(&pipe_into("bash", &args, code.as_bytes(), dir.path(), dir.path(), env).stdout)
}

#[test]
fn seed_scenario_staging_then_production() {
    let Some(moto) = Moto::start() else { return };
    let (_fx, swrole) = seed(&moto);

    let staging =
        swrole().args(["sw-staging", "--token-code", "123456", "--shell", "bash"]).assert().success();
    let env =
        eval_in_bash(&stdout(&staging), &[("AWS_PROFILE", "sw-staging"), ("AWS_SECURITY_TOKEN", "stale")]);
    assert!(env["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{env:?}");
    assert!(!env["AWS_SESSION_TOKEN"].is_empty());
    assert_eq!(env["AWS_REGION"], "ap-northeast-1");
    assert_eq!(env["AWS_DEFAULT_REGION"], "ap-northeast-1");
    assert_eq!(env["AWS_ACCOUNT_ID"], "210987654321");
    assert_eq!(env["SWROLE_PROFILE"], "sw-staging");
    assert_eq!(env["AWSUME_PROFILE"], "sw-staging");
    assert_eq!(env["SWROLE_ROLE_ARN"], "arn:aws:iam::210987654321:role/delegate_root_organization");
    assert!(env["AWS_CREDENTIAL_EXPIRATION"].ends_with('Z'));
    let expiry: i64 = env["SWROLE_EXPIRATION"].parse().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((now + 3000..now + 3700).contains(&expiry), "default session is one hour: {expiry} vs {now}");
    assert!(!env.contains_key("AWS_PROFILE") && !env.contains_key("AWS_SECURITY_TOKEN"));

    // No code, no terminal: the MFA session made for sw-staging serves sw-production.
    let production = swrole()
        .args(["sw-production", "--shell", "bash"])
        .env("SWROLE_PROFILE", "sw-staging")
        .assert()
        .success();
    let env = eval_in_bash(&stdout(&production), &[]);
    assert_eq!(env["SWROLE_PROFILE"], "sw-production");
    assert_eq!(env["SWROLE_PREVIOUS_PROFILE"], "sw-staging");
    assert_eq!(env["AWS_ACCOUNT_ID"], "111111111111");

    let r = moto.requests();
    let actions: Vec<&str> = r.iter().map(|q| q.form["Action"].as_str()).collect();
    assert_eq!(actions, ["GetSessionToken", "AssumeRole", "AssumeRole"], "{r:?}");
    assert_eq!(r[0].form["SerialNumber"], "arn:aws:iam::123456789012:mfa/your.mail@example.com");
    assert_eq!(r[0].form["TokenCode"], "123456");
    assert_eq!(r[0].form["DurationSeconds"], "43200", "a 12-hour MFA session by default");
    assert_eq!(r[0].access_key, "AKIASEEDUSERKEY00001", "signed with the IAM user's key");
    assert_eq!(r[0].region, "ap-northeast-1", "the source profile's region");
    for (q, arn) in r[1..].iter().zip(["210987654321", "111111111111"]) {
        assert_eq!(q.form["RoleArn"], format!("arn:aws:iam::{arn}:role/delegate_root_organization"));
        assert_eq!(q.form["RoleSessionName"], "tester");
        assert!(
            !q.form.contains_key("SerialNumber") && !q.form.contains_key("TokenCode"),
            "the session carries the MFA"
        );
        assert!(!q.form.contains_key("DurationSeconds") && !q.form.contains_key("ExternalId"));
        assert_eq!(
            q.access_key, "AKIAIOSFODNN7EXAMPLE",
            "signed with moto's MFA-session key, not the user's"
        );
    }
}

/// With the cache off, each switch sends its MFA code with its own AssumeRole.
#[test]
fn without_the_cache_each_assume_role_carries_the_code() {
    let Some(moto) = Moto::start() else { return };
    let (_fx, swrole) = seed(&moto);
    for (profile, code) in [("sw-staging", "123456"), ("sw-production", "654321"), ("sw-staging", "111111")] {
        swrole().args([profile, "-t", code, "--no-cache", "--shell", "bash"]).assert().success();
    }
    let r = moto.requests();
    assert_eq!(r.len(), 3);
    for (q, code) in r.iter().zip(["123456", "654321", "111111"]) {
        assert_eq!(q.form["Action"], "AssumeRole");
        assert_eq!(q.form["SerialNumber"], "arn:aws:iam::123456789012:mfa/your.mail@example.com");
        assert_eq!(q.form["TokenCode"], code);
        assert_eq!(q.access_key, "AKIASEEDUSERKEY00001");
    }
    let err = swrole().args(["sw-staging", "--no-cache"]).output().unwrap();
    assert!(String::from_utf8_lossy(&err.stderr).contains("needs an MFA code"), "nothing was cached");
}

#[test]
fn three_hop_chain_sends_each_hop_its_own_parameters() {
    let Some(moto) = Moto::start() else { return };
    let config = "\
[profile base]
region = eu-west-1
[profile hop1]
source_profile = base
role_arn = arn:aws:iam::111111111111:role/one
duration_seconds = 7200
[profile hop2]
source_profile = hop1
role_arn = arn:aws:iam::222222222222:role/two
external_id = partner-42
role_session_name = ci.bot@example
[profile hop3]
source_profile = hop2
role_arn = arn:aws:iam::333333333333:role/three
mfa_serial = arn:aws:iam::000000000000:mfa/alice
duration_seconds = 7200
";
    let fx =
        Fixture::new(config, "[base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = s\n");
    let out = fx
        .swrole()
        .args(["hop3", "-t", "111222", "--shell", "json"])
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("role chaining") && stderr.contains("hop3"),
        "the 7200 s on a chained hop is capped with a warning: {stderr}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["Version"], 1);
    assert!(doc["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));

    let r = moto.requests();
    let arns: Vec<&str> = r.iter().map(|q| q.form["RoleArn"].as_str()).collect();
    assert_eq!(
        arns,
        [
            "arn:aws:iam::111111111111:role/one",
            "arn:aws:iam::222222222222:role/two",
            "arn:aws:iam::333333333333:role/three"
        ]
    );
    assert_eq!(r[0].access_key, "AKIABASEKEY000000001");
    assert!(
        r[1].access_key.starts_with("ASIA")
            && r[2].access_key.starts_with("ASIA")
            && r[1].access_key != r[2].access_key,
        "each hop signed by the previous one's credentials"
    );
    assert!(r.iter().all(|q| q.region == "eu-west-1"), "region from the chain: {r:?}");
    assert_eq!(r[0].form["DurationSeconds"], "7200", "the first hop is not chained");
    assert_eq!(r[2].form["DurationSeconds"], "3600", "a chained hop is capped at one hour");
    assert!(!r[1].form.contains_key("DurationSeconds"));
    assert_eq!(r[1].form["ExternalId"], "partner-42");
    assert_eq!(r[1].form["RoleSessionName"], "ci.bot@example");
    assert_eq!(r[0].form["RoleSessionName"], "tester");
    assert!(
        r[..2].iter().all(|q| !q.form.contains_key("SerialNumber")),
        "MFA only on the hop that asks for it"
    );
    assert_eq!(r[2].form["SerialNumber"], "arn:aws:iam::000000000000:mfa/alice");
    assert_eq!(r[2].form["TokenCode"], "111222");
}

#[test]
fn exec_runs_the_command_with_the_role_and_keeps_its_status() {
    let Some(moto) = Moto::start() else { return };
    let (_fx, swrole) = seed(&moto);
    let out = swrole()
        .args(["exec", "sw-staging", "-t", "123456", "--", "sh", "-c", "env -0; exit 7"])
        .env("AWS_PROFILE", "stale")
        .assert()
        .code(7);
    let env = parse_env0(&out.get_output().stdout);
    assert_eq!(env["SWROLE_PROFILE"], "sw-staging");
    assert!(env["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert!(!env.contains_key("AWS_PROFILE"));

    swrole().args(["exec", "sw-staging", "-t", "123456", "--", "true"]).assert().code(0);
    let missing =
        swrole().args(["exec", "sw-staging", "-t", "123456", "--", "/nonexistent/cmd"]).assert().code(127);
    assert!(String::from_utf8_lossy(&missing.get_output().stderr).contains("could not run /nonexistent/cmd"));
    // A signal ends the command itself: swrole's process is the command (exec), so the
    // caller sees the signal, as if it had run the command directly.
    let status = swrole()
        .args(["exec", "sw-staging", "-t", "123456", "--", "sh", "-c", "kill -TERM $$"])
        .output()
        .unwrap()
        .status;
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(15));
    // The first exec made the credentials (MFA session + role); the others used the cache.
    assert_eq!(moto.requests().len(), 2);
}

#[test]
fn endpoint_from_the_services_section() {
    let Some(moto) = Moto::start() else { return };
    let config = format!(
        "[profile local]\nservices = emulator\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/r\n\
         [profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = s\n\
         [services emulator]\nsts =\n  endpoint_url = {}\n",
        moto.url()
    );
    let fx = Fixture::new(&config, "");
    fx.swrole().args(["local", "--shell", "bash"]).assert().success();
    assert_eq!(moto.requests().len(), 1);
}

/// The README's "try it without an AWS account" command works as written.
#[test]
fn try_it_script_switches_to_sw_staging() {
    if !require("moto_server") || !require("python3") {
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/try-it.sh");
    let out = Command::new("bash")
        .args([script, "sh", "-c", "env -0"])
        .env("SWROLE", crate::util::swrole_path())
        .env("USER", "tester")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let env = parse_env0(&out.stdout);
    assert_eq!(env["SWROLE_PROFILE"], "sw-staging");
    assert!(env["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
}
