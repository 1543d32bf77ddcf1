//! The binary without a network: static-key profiles, error texts, exit codes, and the
//! stdout contract (only code to evaluate, written once, empty on any failure).

use std::process::Command;

use crate::util::{Fixture, SEED_CONFIG, SEED_CREDENTIALS, require, swrole_path};

const STATIC: &str = "[profile static]\nregion = eu-central-1\naws_access_key_id = AKIASTATIC0000000001\naws_secret_access_key = static-secret-value\n";

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Run and check the failure contract: exit 1, nothing on stdout; return stderr.
fn fails(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(out.stdout.is_empty(), "stdout must stay empty: {:?}", String::from_utf8_lossy(&out.stdout));
    stderr_of(&out)
}

#[test]
fn static_profile_in_each_syntax() {
    let fx = Fixture::new(STATIC, "");
    let bash = fx.swrole().args(["static", "--shell", "bash"]).assert().success();
    assert_eq!(
        String::from_utf8_lossy(&bash.get_output().stdout),
        "\\unset AWS_PROFILE;\n\\unset AWS_DEFAULT_PROFILE;\n\\unset AWS_SECURITY_TOKEN;\n\\unset AWS_SESSION_EXPIRATION;\n\
         \\unset AWS_VAULT;\n\\unset AWSUME_EXPIRATION;\n\\unset AWSUME_COMMAND;\n\\unset AWSU_PROFILE;\n\
         \\unset GRANTED_SSO;\n\\unset GRANTED_SSO_START_URL;\n\\unset GRANTED_SSO_ROLE_NAME;\n\
         \\unset GRANTED_SSO_REGION;\n\\unset GRANTED_SSO_ACCOUNT_ID;\n\\unset GRANTED_COMMAND;\n\
         \\unset GRANTED_AWS_ROLE_PROFILE;\n\\unset GRANTED_FLAG;\n\
         \\unset AWS_SESSION_TOKEN;\n\\unset AWS_CREDENTIAL_EXPIRATION;\n\\unset AWS_ACCOUNT_ID;\n\\unset SWROLE_ROLE_ARN;\n\
         \\unset SWROLE_EXPIRATION;\n\\unset SWROLE_COLOR;\n\\unset SWROLE_ACCESS;\n\\unset SWROLE_GUARDED;\n\\unset SWROLE_IDLE;\n\
         \\export AWS_ACCESS_KEY_ID=AKIASTATIC0000000001;\n\\export AWS_SECRET_ACCESS_KEY=static-secret-value;\n\
         \\export AWS_REGION=eu-central-1;\n\\export AWS_DEFAULT_REGION=eu-central-1;\n\\export AWSUME_PROFILE=static;\n\
         \\export SWROLE_PROFILE=static;\n"
    );
    let pwsh = fx.swrole().args(["static", "--shell", "pwsh"]).assert().success();
    let text = String::from_utf8_lossy(&pwsh.get_output().stdout).into_owned();
    assert!(text.starts_with("Remove-Item -LiteralPath Env:AWS_PROFILE -ErrorAction Ignore\n"), "{text}");
    assert!(text.contains("$Env:AWS_SECRET_ACCESS_KEY = 'static-secret-value'\n"), "{text}");
    let fish = fx.swrole().args(["static", "--shell", "fish"]).assert().success();
    assert!(String::from_utf8_lossy(&fish.get_output().stdout).contains("set -gx SWROLE_PROFILE 'static'\n"));
    // $SHELL decides when --shell is not given.
    let detected = fx.swrole().arg("static").env("SHELL", "/usr/bin/fish").assert().success();
    assert!(
        String::from_utf8_lossy(&detected.get_output().stdout)
            .starts_with("set -e -g AWS_PROFILE; set -e -U AWS_PROFILE; or true\n")
    );
}

#[test]
fn unknown_profile_suggests_the_closest_names() {
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let err = fails(fx.swrole().arg("sw-stagin"));
    assert!(err.contains("profile \"sw-stagin\" not found in") && err.contains(".aws/config"), "{err}");
    assert!(err.contains("did you mean \"sw-staging\"?"), "{err}");
}

#[test]
fn config_profile_without_prefix_is_explained() {
    let fx = Fixture::new("[sw-staging]\nregion = x\n", "");
    let err = fails(fx.swrole().arg("sw-staging"));
    assert!(
        err.contains("note: config file line 1: section [sw-staging] is ignored")
            && err.contains("[profile NAME]"),
        "{err}"
    );
}

#[test]
fn chain_errors_name_the_profiles() {
    let fx = Fixture::new(
        "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n\
         [profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n\
         [profile c]\nrole_arn = arn:aws:iam::123456789012:role/c\nsource_profile = nowhere\n\
         [profile d]\nregion = eu-west-1\n",
        "",
    );
    assert!(fails(fx.swrole().arg("a")).contains("infinite loop: a -> b -> a"));
    assert!(
        fails(fx.swrole().arg("c"))
            .contains("could not find source profile \"nowhere\" referenced from profile \"c\"")
    );
    assert!(fails(fx.swrole().arg("d")).contains("profile \"d\" did not contain credential information"));
}

#[test]
fn bad_values_are_reported_with_file_and_line_before_any_call() {
    let fx = Fixture::new(
        "[profile long]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/r\nduration_seconds = 12h\n\
         [profile name]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/r\nrole_session_name = has space\n\
         [profile base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = s\n",
        "",
    );
    // A dead endpoint: reaching it would be a different error.
    let dead = "http://127.0.0.1:9";
    let config = fx.config_path().display().to_string();
    let err = fails(fx.swrole().arg("long").env("AWS_ENDPOINT_URL_STS", dead));
    assert!(
        err.contains(&format!("{config}:4: duration_seconds of profile \"long\" is \"12h\""))
            && err.contains("900 to 43200"),
        "{err}"
    );
    let err = fails(fx.swrole().arg("name").env("AWS_ENDPOINT_URL_STS", dead));
    assert!(
        err.contains(&format!("{config}:8: role_session_name of profile \"name\" is not valid")),
        "{err}"
    );
    // A bad flag is a usage error: clap's exit status 2.
    let out = fx.swrole().args(["long", "--duration", "5m"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty() && stderr_of(&out).contains("outside the allowed 900 to 43200 seconds"));
}

#[test]
fn mfa_without_code_or_terminal_fails_at_once() {
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let started = std::time::Instant::now();
    let err = fails(fx.swrole().arg("sw-staging").env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"));
    assert!(
        err.contains("profile \"sw-staging\" needs an MFA code, but there is no terminal")
            && err.contains("--token-code"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let err = fails(
        fx.swrole().args(["sw-staging", "-t", "12345"]).env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"),
    );
    assert!(err.contains("the MFA code must be 6 digits"), "{err}");
}

#[test]
fn files_that_cannot_be_read_are_errors_naming_the_path() {
    let fx = Fixture::new(STATIC, "");
    let dir = fx.home().join("adir");
    std::fs::create_dir(&dir).unwrap();
    let err = fails(fx.swrole().arg("static").env("AWS_CONFIG_FILE", &dir));
    assert!(err.contains(&format!("could not read {}: not a regular file", dir.display())), "{err}");

    let bad = fx.home().join("latin1");
    std::fs::write(&bad, b"[profile a]\nregion = caf\xe9\n").unwrap();
    let err = fails(fx.swrole().arg("a").env("AWS_CONFIG_FILE", &bad));
    assert!(err.contains(&format!("{}:2: not valid UTF-8", bad.display())), "{err}");

    let fifo = fx.home().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let err =
        fails(fx.swrole().arg("a").env("AWS_CONFIG_FILE", &fifo).timeout(std::time::Duration::from_secs(10)));
    assert!(err.contains("not a regular file"), "{err}");

    let syntax = fx.home().join("syntax");
    std::fs::write(&syntax, "[profile a]\nregion = x\n[profile b\n").unwrap();
    let err = fails(fx.swrole().arg("a").env("AWS_CONFIG_FILE", &syntax));
    assert!(err.contains(&format!("{}:3: profile definition must end with ']'", syntax.display())), "{err}");

    // A missing file is empty, not an error.
    fx.swrole()
        .arg("static")
        .env("AWS_SHARED_CREDENTIALS_FILE", fx.home().join("missing"))
        .assert()
        .success();
}

#[test]
fn list_and_profiles_named_like_subcommands() {
    let fx = Fixture::new(
        &format!(
            "{SEED_CONFIG}[profile list]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = s\n"
        ),
        SEED_CREDENTIALS,
    );
    let out = fx.swrole().arg("list").assert().success();
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stdout),
        "default\nlist\nsw-production\nsw-staging\n"
    );
    let long = fx.swrole().args(["list", "--long"]).assert().success();
    let text = String::from_utf8_lossy(&long.get_output().stdout).into_owned();
    assert!(text.lines().next().unwrap().starts_with("PROFILE"), "{text}");
    assert!(
        text.contains(
            "sw-staging     210987654321  delegate_root_organization  yes  ap-northeast-1 (default)"
        ),
        "{text}"
    );
    for args in [&["--profile", "list", "--shell", "bash"][..], &["--shell", "bash", "--", "list"][..]] {
        let out = fx.swrole().args(args).assert().success();
        assert!(
            String::from_utf8_lossy(&out.get_output().stdout).contains("export SWROLE_PROFILE=list;\n"),
            "{args:?}"
        );
    }
}

#[test]
fn no_profile_is_a_usage_error() {
    let fx = Fixture::new(STATIC, "");
    assert!(fails(&mut fx.swrole()).contains("no profile given"));
}

#[test]
fn verbose_output_never_shows_secrets() {
    let fx = Fixture::new(STATIC, "");
    let out = fx.swrole().args(["static", "-v", "--shell", "bash"]).assert().success();
    let err = stderr_of(out.get_output());
    assert!(err.contains("static keys of profile \"static\""), "{err}");
    assert!(!err.contains("static-secret-value"));
}

#[test]
fn credential_source_environment_uses_the_callers_keys() {
    let fx = Fixture::new(
        "[profile env]\ncredential_source = Environment\nrole_arn = arn:aws:iam::123456789012:role/r\n",
        "",
    );
    let err = fails(fx.swrole().arg("env").env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"));
    assert!(err.contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set"), "{err}");
}

/// The user forgot `eval`: stdout is the terminal, so a hint and no secrets.
#[test]
fn a_terminal_on_stdout_gets_a_hint_not_secrets() {
    if !require("python3") {
        return;
    }
    let fx = Fixture::new(STATIC, "");
    let helper = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/pty_run.py");
    let out = Command::new("python3")
        .args([helper, "--tty-stdout", "never-prompted", ""])
        .arg(swrole_path())
        .arg("static")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", fx.home())
        .env("SHELL", "/bin/zsh")
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tty = r["tty"].as_str().unwrap();
    assert_eq!(r["status"], 1, "{r}");
    assert!(tty.contains("eval \"$(swrole static)\""), "{tty}");
    assert!(!tty.contains("static-secret-value") && !tty.contains("AKIASTATIC"), "{tty}");
    // A typo as well (day one round 2, item 11): the hint names the closest profile, never
    // the typo again; with the integration loaded it names sw, and `--` only when needed.
    let hint = |profile: &str, cmd: Option<&str>| {
        let mut c = Command::new("python3");
        c.args([helper, "--tty-stdout", "never-prompted", ""])
            .arg(swrole_path())
            .arg(profile)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", fx.home())
            .env("SHELL", "/bin/zsh");
        if let Some(cmd) = cmd {
            c.env("SWROLE_CMD", cmd);
        }
        let r: serde_json::Value = serde_json::from_slice(&c.output().unwrap().stdout).unwrap();
        r["tty"].as_str().unwrap().to_string()
    };
    let tty = hint("statik", None);
    assert!(tty.contains("(\"statik\" is not a profile: the closest is \"static\")"), "{tty}");
    assert!(tty.contains("eval \"$(swrole static)\"") && !tty.contains("swrole statik)"), "{tty}");
    let tty = hint("statik", Some("sw"));
    assert!(tty.contains("  sw static\r\n") || tty.contains("  sw static\n"), "{tty}");
    let tty = hint("zzzzzzzz", None);
    assert!(tty.contains("profile \"zzzzzzzz\" not found") && !tty.contains("Run:"), "{tty}");
}
