//! Hardening, round 3: what the attack of a second local user and real clients found,
//! each class with its variants (the key store's items are in `keystore.rs`).

use crate::moto::Moto;
use crate::util::Fixture;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const CA: &str = "/etc/ssl/certs/ca-certificates.crt";

fn config(sts: &str) -> String {
    format!(
        "[profile tls]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/tls\nca_bundle = {CA}\n\
         services = local\n\
         [services local]\nsts =\n  endpoint_url = {sts}\ns3 =\n  endpoint_url = http://127.0.0.1:9/s3\n\
         [profile plain]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/plain\n\
         [profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = base-secret\n"
    )
}

/// Items 13 and 14: the CA bundle a profile names reaches the shell's tools (a switch
/// exports it, and clears only what it exported), and a job of `exec --server`, which sees
/// no AWS file, gets the bundle and the endpoints the profile configured.
#[test]
fn what_the_profile_configured_reaches_the_shell_and_the_job() {
    if !std::path::Path::new(CA).is_file() {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(&config(&moto.url()), "");
    let switch = |profile: &str, env: &[(&str, &str)]| {
        let out = fx
            .swrole()
            .args([profile, "--shell", "bash", "--no-cache"])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(out.status.success(), "{profile}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let tls = switch("tls", &[]);
    let has = |out: &str, line: String| out.lines().any(|l| l == line);
    assert!(has(&tls, format!("\\export AWS_CA_BUNDLE={CA}")), "{tls}");
    assert!(has(&tls, format!("\\export SWROLE_CA_BUNDLE={CA}")), "{tls}");
    // Then a profile without one: what swrole exported goes, the user's own stays.
    let ours = switch(
        "plain",
        &[("AWS_CA_BUNDLE", CA), ("SWROLE_CA_BUNDLE", CA), ("AWS_ENDPOINT_URL_STS", &moto.url())],
    );
    assert!(
        has(&ours, "\\unset AWS_CA_BUNDLE".into()) && has(&ours, "\\unset SWROLE_CA_BUNDLE".into()),
        "{ours}"
    );
    let users = switch("plain", &[("AWS_CA_BUNDLE", CA), ("AWS_ENDPOINT_URL_STS", &moto.url())]);
    assert!(!users.contains("CA_BUNDLE"), "the user's own bundle is left alone: {users}");
    // An exported bundle does not hide the next profile's own.
    let again = switch("tls", &[("AWS_CA_BUNDLE", "/elsewhere.pem"), ("SWROLE_CA_BUNDLE", "/elsewhere.pem")]);
    assert!(has(&again, format!("\\export AWS_CA_BUNDLE={CA}")), "{again}");
    // The job: no files, but the bundle, the endpoints, and the JS SDK v2 told to honour
    // the hidden files; no secret and no loop guard in its environment.
    let out = fx.swrole().args(["exec", "--server", "tls", "--no-cache", "--", "env"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let env = text(&out.stdout);
    for line in [
        format!("AWS_CA_BUNDLE={CA}"),
        "AWS_ENDPOINT_URL_S3=http://127.0.0.1:9/s3".to_string(),
        format!("AWS_ENDPOINT_URL_STS={}", moto.url()),
        "AWS_SDK_LOAD_CONFIG=1".to_string(),
        "AWS_CONFIG_FILE=/dev/null".to_string(),
    ] {
        assert!(env.lines().any(|l| l == line), "the job lacks {line}:\n{env}");
    }
    for absent in [
        "AWS_ACCESS_KEY_ID=",
        "AWS_SECRET_ACCESS_KEY=",
        "AWS_SESSION_TOKEN=",
        "SWROLE_CREDENTIAL_PROCESS_CHAIN=",
    ] {
        assert!(!env.lines().any(|l| l.starts_with(absent)), "the job has {absent}:\n{env}");
    }
    assert!(!env.contains("base-secret"), "a secret in the job's environment");
}

/// Item 8: as an ordinary user (uid 65534, whose kernel key quota is 20,000 bytes), thirty
/// role profiles switch one after the other: every switch works, and swrole's cache keeps
/// to its share of the quota, leaving room for the user's other programs.
#[test]
fn the_kernel_keyring_cache_keeps_to_its_share_of_the_quota() {
    if !crate::util::require("setpriv") || !crate::util::require("keyctl") {
        return;
    }
    let sts = crate::dayone::ShortSts::start(&[3300]);
    let mut config =
        String::from("[profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = s\n");
    for n in 0..30 {
        config.push_str(&format!(
            "[profile p{n}]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/role-{n}\n"
        ));
    }
    let fx = Fixture::new(&config, "");
    let chown =
        std::process::Command::new("chown").args(["-R", "65534:65534"]).arg(fx.home()).status().unwrap();
    assert!(chown.success());
    let nobody = |script: &str| {
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--", "sh", "-c", script])
            .current_dir(fx.home())
            .env_clear()
            .env("PATH", crate::util::path_with_swrole())
            .env("HOME", fx.home())
            .env("USER", "nobody")
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            .output()
            .unwrap()
    };
    // A clean keyring for the test user, then thirty switches.
    nobody("keyctl clear @u");
    let out = nobody("for n in $(seq 0 29); do swrole p$n --shell bash >/dev/null || exit $((10 + n)); done");
    assert!(out.status.success(), "{:?} {}", out.status.code(), text(&out.stderr));
    assert!(!text(&out.stderr).contains("quota"), "the quota never got in the way: {}", text(&out.stderr));
    let users = std::fs::read_to_string("/proc/key-users").unwrap();
    let line = users.lines().find(|l| l.trim_start().starts_with("65534:")).expect("uid 65534 has keys");
    // "65534:  N N/N K/200 BYTES/20000"
    let bytes: usize = line.split_whitespace().nth(4).unwrap().split('/').next().unwrap().parse().unwrap();
    assert!(bytes <= swrole::cache::KEYRING_SHARE + 2_000, "{bytes} bytes used of 20000: {line}");
    // The latest switches are still served from the cache (no STS call).
    let before = sts.requests();
    let out = nobody("swrole p29 --shell bash >/dev/null");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(sts.requests(), before, "p29 came from the cache");
    nobody("keyctl clear @u");
}
