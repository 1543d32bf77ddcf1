//! `swrole explain`, `swrole doctor` and `swrole credential-process`.

use std::os::unix::fs::PermissionsExt;

use crate::moto::{Moto, seed};
use crate::util::{Fixture, SEED_CONFIG, SEED_CREDENTIALS, swrole_path};

fn out_text(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

/// The value column of the first line that starts with `label`, and the lines under it.
fn section<'a>(text: &'a str, label: &str) -> Vec<&'a str> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(label));
    let Some(first) = lines.next() else { return Vec::new() };
    std::iter::once(first)
        .chain(lines.take_while(|l| l.starts_with(' ')))
        .map(|l| l.get(11..).unwrap_or(""))
        .collect()
}

#[test]
fn explain_shows_each_hop_and_where_values_came_from() {
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    // Paths under HOME are written ~/... (issue 43, item 16).
    let config = "~/.aws/config".to_string();
    let credentials = "~/.aws/credentials".to_string();
    let out = fx
        .swrole()
        .args(["explain", "sw-staging", "--long"])
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
        .assert()
        .success();
    let text = out_text(&out);
    assert!(text.starts_with("sw-staging: 1 role, from the static keys of profile \"default\"\n"), "{text}");
    assert_eq!(
        section(&text, "base"),
        ["the static keys of profile \"default\"", &format!("aws_access_key_id AKIA…0001, {credentials}:2")]
    );
    let hop = section(&text, "hop 1");
    assert_eq!(hop[0], "AssumeRole arn:aws:iam::210987654321:role/delegate_root_organization");
    assert_eq!(hop[1], format!("profile \"sw-staging\", role_arn at {config}:7"));
    assert_eq!(hop[2], "account 210987654321");
    assert!(hop.contains(&"session name tester (default: your login name)"), "{hop:?}");
    assert!(
        hop.contains(
            &format!("MFA device arn:aws:iam::123456789012:mfa/your.mail@example.com, {config}:8").as_str()
        ),
        "{hop:?}"
    );
    assert!(
        hop.contains(&"a code is asked once, then the MFA session serves every role of this device"),
        "{hop:?}"
    );
    assert!(hop.contains(&"duration: STS's default, 3600 s"), "{hop:?}");
    assert_eq!(section(&text, "region"), [format!("ap-northeast-1 (profile \"default\", {config}:2)")]);
    assert_eq!(section(&text, "endpoint"), ["http://127.0.0.1:9 (AWS_ENDPOINT_URL_STS)"]);
    assert_eq!(section(&text, "cache"), ["nothing cached for this chain: a switch calls STS"]);
    let sets = section(&text, "sets")[0].split(' ').collect::<Vec<_>>();
    assert!(
        sets.contains(&"AWS_SESSION_TOKEN")
            && sets.contains(&"AWS_REGION")
            && sets.contains(&"SWROLE_PROFILE"),
        "{sets:?}"
    );
    assert!(section(&text, "unsets")[0].split(' ').any(|v| v == "AWS_PROFILE"));

    let off = out_text(&fx.swrole().args(["explain", "sw-staging", "--no-cache"]).assert().success());
    assert!(off.contains("a code is asked on each switch (cache off)"), "{off}");
    assert!(
        section(&off, "endpoint")[0]
            .starts_with("https://sts.ap-northeast-1.amazonaws.com (regional default)"),
        "{off}"
    );
}

#[test]
fn explain_knows_the_caps_and_the_cache() {
    let Some(moto) = Moto::start() else { return };
    let config = format!(
        "{SEED_CONFIG}\n[profile long]\nsource_profile = default\nrole_arn = arn:aws:iam::111111111111:role/x\n\
         mfa_serial = arn:aws:iam::123456789012:mfa/your.mail@example.com\nduration_seconds = 7200\n\
         [profile chained]\nsource_profile = sw-staging\nrole_arn = arn:aws:iam::222222222222:role/y\nduration_seconds = 7200\n"
    );
    let fx = Fixture::new(&config, SEED_CREDENTIALS);
    let explain = |profile: &str| {
        out_text(
            &fx.swrole()
                .args(["explain", profile])
                .env("AWS_ENDPOINT_URL_STS", moto.url())
                .assert()
                .success(),
        )
    };
    assert!(
        explain("long").contains("a fresh code is asked: STS allows an hour at most from an MFA session")
    );
    let chained = explain("chained");
    assert!(
        chained.contains("duration 3600 s (duration_seconds = 7200 at") && chained.contains("capped"),
        "{chained}"
    );
    assert!(chained.contains("signed by the role of hop 1"), "{chained}");

    fx.swrole()
        .args(["sw-staging", "-t", "123456", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .assert()
        .success();
    let staging = explain("sw-staging");
    assert!(
        section(&staging, "cache")[0].starts_with("role credentials cached (")
            && staging.contains("a switch makes no STS call"),
        "{staging}"
    );
    let production = explain("sw-production");
    assert!(production.contains("no code needed: a cached MFA session covers it (1"), "{production}");

    let verified = fx
        .swrole()
        .args(["explain", "sw-production", "--verify"])
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .assert()
        .success();
    let text = out_text(&verified);
    assert!(
        section(&text, "verified")[0]
            .starts_with("arn:aws:sts::111111111111:assumed-role/delegate_root_organization/tester"),
        "{text}"
    );
    let actions: Vec<String> = moto.requests().iter().map(|r| r.form["Action"].clone()).collect();
    assert_eq!(
        actions,
        ["GetSessionToken", "AssumeRole", "AssumeRole", "GetCallerIdentity"],
        "explain alone calls nothing"
    );
}

fn doctor(fx: &Fixture, env: &[(&str, &str)]) -> (String, Option<i32>) {
    let out = fx.swrole().args(["doctor"]).envs(env.iter().copied()).output().unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.code())
}

#[test]
fn doctor_is_quiet_on_a_good_setup() {
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    std::fs::set_permissions(fx.home().join(".aws/credentials"), std::fs::Permissions::from_mode(0o600))
        .unwrap();
    let (text, code) = doctor(&fx, &[]);
    assert_eq!(code, Some(0));
    assert!(text.starts_with("no problems found\nchecked:\n"), "{text}");
    assert!(text.contains("profiles   3, 2 with a role"), "says what it checked: {text}");
}

#[test]
fn doctor_finds_each_problem_with_its_fix() {
    let config = "\
[profile my profile]
region = eu-west-1
[dev]
region = eu-west-1
[profile nowhere]
role_arn = arn:aws:iam::123456789012:role/a
source_profile = missing
[profile loop-a]
role_arn = arn:aws:iam::123456789012:role/a
source_profile = loop-b
[profile loop-b]
role_arn = arn:aws:iam::123456789012:role/b
source_profile = loop-a
[profile mfa-on-source]
role_arn = arn:aws:iam::123456789012:role/c
source_profile = user
[profile user]
aws_access_key_id = AKIASEEDUSERKEY00001
aws_secret_access_key = s
mfa_serial = arn:aws:iam::123456789012:mfa/me
[profile too-long]
role_arn = arn:aws:iam::123456789012:role/d
source_profile = user
duration_seconds = 50000
[profile chained]
role_arn = arn:aws:iam::123456789012:role/e
source_profile = mfa-on-source
duration_seconds = 7200
";
    let fx = Fixture::new(config, SEED_CREDENTIALS);
    let creds = fx.home().join(".aws/credentials");
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cache = fx.home().join(".cache/swrole");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o755)).unwrap();
    let env = [
        ("AWS_PROFILE", "a"),
        ("AWS_DEFAULT_PROFILE", "b"),
        ("AWS_ACCESS_KEY_ID", "AKIAX"),
        ("AWS_SECURITY_TOKEN", "old"),
        ("SWROLE_PROFILE", "sw-staging"),
        ("SWROLE_EXPIRATION", "1"),
    ];
    let (text, code) = doctor(&fx, &env);
    assert_eq!(code, Some(1));
    let expect = [
        (
            "warning: ",
            "holds secret keys and can be read by group or others (mode 644)",
            &format!("chmod 600 -- {}", creds.display())[..],
        ),
        (
            "warning: ",
            "section [profile my profile] is ignored (profile names cannot contain spaces",
            "rename the section",
        ),
        (
            "warning: ",
            "section [dev] is ignored (config-file profiles are written [profile NAME]",
            "rename the section",
        ),
        (
            "error: ",
            "could not find source profile \"missing\" referenced from profile \"nowhere\"",
            "fix source_profile",
        ),
        ("error: ", "infinite loop: loop-a -> loop-b -> loop-a", "fix source_profile"),
        (
            "warning: ",
            "profile \"mfa-on-source\" assumes a role without mfa_serial, but its source profile \"user\" has one",
            "add `mfa_serial = arn:aws:iam::123456789012:mfa/me` to [profile mfa-on-source]",
        ),
        ("error: ", "duration_seconds of profile \"too-long\" is \"50000\"", "correct the value"),
        (
            "warning: ",
            "profile \"chained\" asks for 7200 s, but its credentials come from another role",
            "duration_seconds = 3600 or less",
        ),
        ("warning: ", "AWS_PROFILE=a and AWS_ACCESS_KEY_ID are both set", "unset AWS_PROFILE"),
        (
            "warning: ",
            "AWS_SECURITY_TOKEN is set and differs from AWS_SESSION_TOKEN",
            "unset AWS_SECURITY_TOKEN",
        ),
        ("warning: ", "AWS_PROFILE=a and AWS_DEFAULT_PROFILE=b", "unset AWS_DEFAULT_PROFILE"),
        (
            "warning: ",
            "the credentials of sw-staging in this shell have expired",
            "eval \"$(swrole -- sw-staging)\"",
        ),
        (
            "warning: ",
            "can be read or written by group or others: not used",
            &format!("chmod 700 -- {}", cache.display())[..],
        ),
    ];
    let lines: Vec<&str> = text.lines().collect();
    for (level, message, fix) in expect {
        let at = lines
            .iter()
            .position(|l| l.starts_with(level) && l.contains(message))
            .unwrap_or_else(|| panic!("no {level}{message}:\n{text}"));
        assert!(
            lines[at + 1].starts_with("  fix: ") && lines[at + 1].contains(fix),
            "fix for {message}: {}",
            lines[at + 1]
        );
    }
    assert!(text.ends_with("4 error(s), 11 warning(s)\n"), "{text}");

    let json = fx.swrole().args(["doctor", "--json"]).envs(env).output().unwrap();
    assert_eq!(json.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["errors"], 4);
    assert_eq!(doc["warnings"], 11);
    let checks: Vec<&str> =
        doc["findings"].as_array().unwrap().iter().map(|f| f["check"].as_str().unwrap()).collect();
    for check in [
        "credentials-file-mode",
        "ignored",
        "chain",
        "mfa-serial-on-source",
        "profile",
        "duration",
        "profile-and-keys",
        "security-token",
        "two-profiles",
        "expired",
        "cache-directory",
    ] {
        assert!(checks.contains(&check), "{check} in {checks:?}");
    }
}

#[test]
fn doctor_reports_unreadable_files() {
    let fx = Fixture::new("", "");
    let (text, code) = doctor(&fx, &[("AWS_CONFIG_FILE", fx.home().to_str().unwrap())]);
    assert_eq!(code, Some(1));
    assert!(
        text.starts_with(&format!("error: could not read {}: not a regular file\n", fx.home().display())),
        "{text}"
    );
}

#[test]
fn credential_process_shares_the_cache_and_feeds_other_profiles() {
    let Some(moto) = Moto::start() else { return };
    let (fx, swrole) = seed(&moto);
    let first = swrole().args(["credential-process", "sw-staging", "-t", "123456"]).assert().success();
    let doc: serde_json::Value = serde_json::from_slice(&first.get_output().stdout).unwrap();
    assert_eq!(doc["Version"], 1);
    assert!(doc["Expiration"].as_str().unwrap().ends_with('Z'));
    // The terminal-on-stdout hint does not apply: SDKs read this output.
    let again = swrole().args(["credential-process", "sw-staging"]).assert().success();
    let doc2: serde_json::Value = serde_json::from_slice(&again.get_output().stdout).unwrap();
    assert_eq!(doc["AccessKeyId"], doc2["AccessKeyId"], "served from the cache");
    assert_eq!(moto.requests().len(), 2);

    // swrole as the credential_process of another profile, which swrole then chains from.
    let config = format!(
        "{SEED_CONFIG}[profile via-swrole]\ncredential_process = {} credential-process sw-staging\n\
         [profile onward]\nsource_profile = via-swrole\nrole_arn = arn:aws:iam::333333333333:role/onward\n",
        swrole_path().display()
    );
    std::fs::write(fx.config_path(), config).unwrap();
    let out = swrole().args(["onward", "--shell", "bash"]).assert().success();
    assert!(out_text(&out).contains("export AWS_ACCOUNT_ID=333333333333"));
    let r = moto.requests();
    assert_eq!(r.len(), 3);
    assert_eq!(r[2].form["RoleArn"], "arn:aws:iam::333333333333:role/onward");
    assert_eq!(
        r[2].access_key,
        doc["AccessKeyId"].as_str().unwrap(),
        "signed by the credentials credential_process gave"
    );
}

#[test]
fn credential_process_loops_are_stopped() {
    let fx = Fixture::new("", "");
    let config = format!(
        "[profile a]\ncredential_process = {0} credential-process b\n[profile b]\ncredential_process = {0} credential-process a\n",
        swrole_path().display()
    );
    std::fs::write(fx.config_path(), config).unwrap();
    let started = std::time::Instant::now();
    let out = fx
        .swrole()
        .args(["credential-process", "a"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("credential_process calls swrole in a loop: a -> b -> a"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

/// A config file others can write decides which commands credential_process runs.
#[test]
fn doctor_flags_a_writable_config_file() {
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    std::fs::set_permissions(fx.home().join(".aws/credentials"), std::fs::Permissions::from_mode(0o600))
        .unwrap();
    std::fs::set_permissions(fx.config_path(), std::fs::Permissions::from_mode(0o666)).unwrap();
    let (text, code) = doctor(&fx, &[]);
    assert_eq!(code, Some(1));
    let config = fx.config_path().display().to_string();
    assert!(
        text.starts_with(&format!("warning: {config} can be written by group or others (mode 666)")),
        "{text}"
    );
    assert!(text.contains(&format!("  fix: chmod go-w -- {config}\n")), "{text}");
    assert!(text.ends_with("0 error(s), 1 warning(s)\n"), "{text}");
}

/// Day one round 2, item 12: doctor's fix for expired credentials names sw, with `--` only
/// when sw would read the name as something else.
#[test]
fn doctor_writes_the_separator_only_when_needed() {
    let fx = Fixture::new("", "");
    for (profile, fix) in [("sw-staging", "switch again: sw sw-staging"), ("off", "switch again: sw -- off")]
    {
        let out = fx
            .swrole()
            .arg("doctor")
            .env("SWROLE_CMD", "sw")
            .env("SWROLE_PROFILE", profile)
            .env("SWROLE_EXPIRATION", "1000")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.lines().any(|l| l.trim_start() == format!("fix: {fix}")), "{profile}: {text}");
    }
}

/// A profile that asks for confirmation asks in each command's own words, and a no gives
/// nothing on stdout and calls nothing.
#[test]
fn each_command_asks_in_its_own_words() {
    if !crate::util::require("python3") {
        return;
    }
    let fx = Fixture::new(
        "[profile prod]\nsource_profile = default\nrole_arn = arn:aws:iam::111111111111:role/admin\nswrole_confirm = true\n",
        SEED_CREDENTIALS,
    );
    for (args, asked, refused) in [
        (&["credential-process", "prod"][..], "hand out the credentials of", "no credentials given for"),
        (&["console", "prod", "--print"][..], "open the console as", "no console opened for"),
        (&["exec", "prod", "--", "true"][..], "run the command as", "nothing run as"),
        (&["exec", "--server", "prod", "--", "true"][..], "run the command as", "nothing run as"),
    ] {
        let r = crate::util::pty_swrole(
            fx.home(),
            "[y/N]",
            "n",
            args,
            &[
                ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"),
                ("SWROLE_FEDERATION_URL", "http://127.0.0.1:9/federation"),
            ],
        );
        let tty = r["tty"].as_str().unwrap();
        assert_ne!(r["status"], 0, "{r}");
        assert!(tty.contains(&format!("{asked} prod (account 111111111111")), "{tty}");
        assert!(tty.contains(&format!("{refused} profile \"prod\": not confirmed")), "{tty}");
        assert_eq!(r["stdout"], "", "{r}");
    }
}
