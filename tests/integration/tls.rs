//! The TLS path real users take: moto's STS over HTTPS with a certificate from a private CA
//! made here (openssl), trusted through AWS_CA_BUNDLE or a profile's ca_bundle, as the AWS
//! CLI does.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Fixture, SEED_CONFIG, SEED_CREDENTIALS, require, swrole_path};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", text(&out.stderr));
}

/// A CA, a server certificate for `names` signed by it; returns (ca.pem, cert, key).
fn certificates(dir: &Path, names: &str) -> (PathBuf, PathBuf, PathBuf) {
    if !dir.join("ca.pem").exists() {
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=swrole test CA",
            ],
        );
    }
    let tag = names.replace([',', ':', '.'], "_");
    std::fs::write(
        dir.join(format!("{tag}.cnf")),
        format!("subjectAltName={names}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"),
    )
    .unwrap();
    let (key, csr, pem) = (format!("{tag}.key"), format!("{tag}.csr"), format!("{tag}.pem"));
    openssl(
        dir,
        &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr, "-subj", "/CN=server"],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &pem,
            "-days",
            "2",
            "-extfile",
            &format!("{tag}.cnf"),
        ],
    );
    (dir.join("ca.pem"), dir.join(pem), dir.join(key))
}

/// moto's server over HTTPS with the given certificate.
struct TlsMoto {
    child: Child,
    port: u16,
}

impl TlsMoto {
    fn start(cert: &Path, key: &Path) -> TlsMoto {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string(), "-c"])
            .arg(cert)
            .arg("-k")
            .arg(key)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        TlsMoto { child, port }
    }

    fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }
}

impl Drop for TlsMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tools() -> bool {
    ["openssl", "moto_server", "aws", "strace"].iter().all(|t| require(t))
}

#[test]
fn a_private_ca_is_trusted_as_the_aws_cli_trusts_it() {
    if !tools() {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(certs.path(), "DNS:localhost,IP:127.0.0.1");
    let moto = TlsMoto::start(&cert, &key);
    let empty = certs.path().join("empty.pem");
    std::fs::write(&empty, "no certificates here\n").unwrap();
    let ca_s = ca.display().to_string();
    let empty_s = empty.display().to_string();
    let switch = |config: &str, env: &[(&str, &str)]| {
        let fx = Fixture::new(config, SEED_CREDENTIALS);
        let out = fx
            .swrole()
            .args(["sw-staging", "-t", "123456", "--shell", "bash", "--connect-timeout", "2"])
            .env("AWS_ENDPOINT_URL_STS", moto.url())
            // A refused certificate is not worth a retry (nor the test's time).
            .env("AWS_MAX_ATTEMPTS", "1")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        (fx, out)
    };
    let with_profile_bundle = |path: &str| {
        SEED_CONFIG.replace("[profile sw-staging]\n", &format!("[profile sw-staging]\nca_bundle = {path}\n"))
    };
    // Without a bundle: refused, with the fix in the message.
    let (_, out) = switch(SEED_CONFIG, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("set AWS_CA_BUNDLE (or ca_bundle in the profile)"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    // AWS_CA_BUNDLE, or ca_bundle in the profile.
    let (_, out) = switch(SEED_CONFIG, &[("AWS_CA_BUNDLE", &ca_s)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (fx, out) = switch(&with_profile_bundle(&ca_s), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let explain = fx.swrole().args(["explain", "sw-staging"]).output().unwrap();
    assert!(
        text(&explain.stdout).contains(&format!("ca bundle  {ca_s} (ca_bundle of profile \"sw-staging\"")),
        "{}",
        text(&explain.stdout)
    );
    // The variable wins over the profile, in both directions.
    let (_, out) = switch(&with_profile_bundle(&empty_s), &[("AWS_CA_BUNDLE", &ca_s)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (_, out) = switch(&with_profile_bundle(&ca_s), &[("AWS_CA_BUNDLE", &empty_s)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!("CA bundle {empty_s} (AWS_CA_BUNDLE) holds no certificate")),
        "{}",
        text(&out.stderr)
    );
    // Unreadable, or empty in the profile: the file and the line.
    let (_, out) = switch(SEED_CONFIG, &[("AWS_CA_BUNDLE", "/nonexistent/ca.pem")]);
    assert!(
        text(&out.stderr).contains("CA bundle /nonexistent/ca.pem (AWS_CA_BUNDLE) cannot be read"),
        "{}",
        text(&out.stderr)
    );
    let (fx, out) = switch(&with_profile_bundle(&empty_s), &[]);
    assert!(
        text(&out.stderr).contains("(ca_bundle of profile \"sw-staging\", ")
            && text(&out.stderr).contains("config:6)"),
        "{}",
        text(&out.stderr)
    );
    let doctor = fx.swrole().arg("doctor").output().unwrap();
    assert!(text(&doctor.stdout).contains("holds no certificate"), "{}", text(&doctor.stdout));
    // The AWS CLI agrees: refused without the bundle, accepted with it.
    let aws = |bundle: Option<&str>| {
        let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
        let mut cmd = Command::new("aws");
        cmd.args(["sts", "get-caller-identity", "--region", "ap-northeast-1", "--endpoint-url", &moto.url()])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap())
            .env("HOME", fx.home())
            .env("AWS_MAX_ATTEMPTS", "1");
        if let Some(b) = bundle {
            cmd.env("AWS_CA_BUNDLE", b);
        }
        cmd.output().unwrap().status.success()
    };
    assert!(!aws(None), "the AWS CLI refuses the private CA too");
    assert!(aws(Some(&ca_s)), "and accepts it with AWS_CA_BUNDLE");
    // A cache hit reads no certificate at all, the bundle included.
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    fx.swrole()
        .args(["sw-staging", "-t", "123456", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .env("AWS_CA_BUNDLE", &ca_s)
        .assert()
        .success();
    let trace = fx.home().join("trace");
    let out = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=openat", "-o"])
        .arg(&trace)
        .arg(swrole_path())
        .args(["sw-staging", "--shell", "bash"])
        .env_clear()
        .env("HOME", fx.home())
        .env("USER", "tester")
        .env("SWROLE_CACHE_STORE", "file")
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .env("AWS_CA_BUNDLE", &ca_s)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let opened = std::fs::read_to_string(trace).unwrap();
    assert!(!opened.contains("ca.pem") && !opened.contains("/etc/ssl"), "{opened}");
}

#[test]
fn a_certificate_for_another_name_is_named_as_such() {
    if !tools() {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(certs.path(), "DNS:other.example");
    let moto = TlsMoto::start(&cert, &key);
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let out = fx
        .swrole()
        .args(["sw-staging", "-t", "123456", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .env("AWS_CA_BUNDLE", &ca)
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("for another name than the endpoint's host"), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).to_lowercase().contains("insecure"), "never offers to skip verification");
}
