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
