//! `swrole team` and `swrole setup`: the team's profiles from one team file (a path or a
//! real git repository), merged into configs full of comments, odd spacing, CRLF and other
//! tools' blocks; every byte outside the team's block checked unchanged after each step.

use std::path::Path;
use std::process::{Command, Output};

use crate::moto::Moto;
use crate::util::{Fixture, require};

const TEAM: &str = "# The web team's AWS accounts\n[swrole-team]\nname = web\nversion = 1\n\n\
[profile sw-staging]\nsource_profile = {{source_profile}}\nrole_arn = arn:aws:iam::210987654321:role/delegate_root_organization\n\
mfa_serial = arn:aws:iam::123456789012:mfa/{{user}}\n\n\
[profile sw-production]\nsource_profile = {{source_profile}}\nrole_arn = arn:aws:iam::111111111111:role/delegate_root_organization\n\
mfa_serial = arn:aws:iam::123456789012:mfa/{{user}}\nswrole_confirm = true\n";

/// A config as people have them: comments of both kinds, odd spacing, a continuation, a
/// `[services]` block, another tool's managed block, no newline at the end.
const MESSY: &str = "; my config\n[default]\nregion   =  ap-northeast-1   # Tokyo\noutput=json\n\n\n\
# >>> granted profiles >>>\n[profile granted-x]\ngranted_sso_start_url = https://x.awsapps.com/start\n\
# <<< granted profiles <<<\n[profile s3-tuned]\ns3 =\n  max_concurrent_requests = 20\n\
[services local]\nsts =\n  endpoint_url = http://127.0.0.1:1\n# between sections\n\t\n[profile last]\nregion=eu-west-1";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
}

/// A team repository with the team file committed.
fn repo(team: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("swrole-team.ini"), team).unwrap();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "team"]);
    dir
}

fn commit(dir: &Path, team: &str, message: &str) {
    std::fs::write(dir.join("swrole-team.ini"), team).unwrap();
    git(dir, &["commit", "-qam", message]);
}

fn swrole(fx: &Fixture, args: &[&str]) -> Output {
    let mut c = fx.no_terminal("http://127.0.0.1:1");
    c.args(args).output().unwrap()
}

fn config(fx: &Fixture) -> String {
    std::fs::read_to_string(fx.config_path()).unwrap()
}

/// The config without team `team`'s block: what must be byte for byte the user's.
fn outside(config: &str, team: &str) -> String {
    let begin = format!("# swrole team {team}: begin");
    let end = format!("# swrole team {team}: end");
    let Some(b) = config.find(&begin) else { return config.to_string() };
    let e = config[b..].find(&end).unwrap() + b + end.len();
    let e = config[e..].find('\n').map_or(config.len(), |n| e + n + 1);
    format!("{}{}", &config[..b], &config[e..])
}

#[test]
fn add_sync_prune_from_git_keep_every_byte_outside_the_block() {
    if !require("git") {
        return;
    }
    let team = repo(TEAM);
    let fx = Fixture::new(
        MESSY,
        "[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = s\n",
    );
    let url = format!("git+file://{}", team.path().display());
    let out = swrole(&fx, &["team", "add", &url, "--user", "ann@example.com", "--yes"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "stdout stays empty: {}", text(&out.stdout));
    let after = config(&fx);
    // The user's text is a prefix: only a line end (the file had none) and a blank line added.
    assert!(
        after.starts_with(&format!("{MESSY}\n\n# swrole team web: begin (managed by swrole team sync)\n"))
    );
    assert_eq!(outside(&after, "web"), format!("{MESSY}\n\n"));
    let err = text(&out.stderr);
    assert!(err.contains("swrole: team web: 2 sections in "), "{err}");
    assert!(
        err.contains("+[profile sw-production]")
            && err.contains("+mfa_serial = arn:aws:iam::123456789012:mfa/ann@example.com"),
        "the diff is shown: {err}"
    );
    // The AWS tools read the result: every team profile resolves, and the others are intact.
    let explain = swrole(&fx, &["explain", "sw-production"]);
    assert!(explain.status.success(), "{}", text(&explain.stderr));
    assert!(text(&explain.stdout).contains("arn:aws:iam::111111111111:role/delegate_root_organization"));
    let list = text(&swrole(&fx, &["list"]).stdout);
    for p in ["default", "granted-x", "s3-tuned", "last", "sw-staging", "sw-production"] {
        assert!(list.lines().any(|l| l == p), "{p} in {list}");
    }
    // A second run changes nothing (not even the file's inode).
    let inode =
        |fx: &Fixture| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(fx.config_path()).unwrap());
    let before = inode(&fx);
    let again = swrole(&fx, &["team", "sync", "--yes"]);
    assert!(
        again.status.success() && text(&again.stderr).contains("is up to date"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(config(&fx), after);
    assert_eq!(inode(&fx), before);

    // The team adds an account and drops one: sync adds it, keeps the dropped one (marked).
    let changed = TEAM.replace("[profile sw-staging]", "[profile sw-stage]")
        + "\n[profile sw-sandbox]\nsource_profile = {{source_profile}}\nrole_arn = arn:aws:iam::333333333333:role/dev\n";
    commit(team.path(), &changed, "accounts");
    let sync = swrole(&fx, &["team", "sync", "--yes"]);
    assert!(sync.status.success(), "{}", text(&sync.stderr));
    let synced = config(&fx);
    assert_eq!(outside(&synced, "web"), format!("{MESSY}\n\n"));
    assert!(synced.contains("[profile sw-sandbox]") && synced.contains("[profile sw-stage]"));
    assert!(synced.contains("[profile sw-staging]\n# swrole: no longer in the team file"), "{synced}");
    assert!(
        text(&sync.stderr)
            .contains("no longer in the team file, kept: profile sw-staging (--prune removes them)")
    );
    // --prune removes it, and only it.
    let prune = swrole(&fx, &["team", "sync", "--prune", "--yes"]);
    assert!(prune.status.success(), "{}", text(&prune.stderr));
    assert!(
        text(&prune.stderr).contains("team web: removed (no longer in the team file): profile sw-staging"),
        "{}",
        text(&prune.stderr)
    );
    let pruned = config(&fx);
    assert!(!pruned.contains("[profile sw-staging]"));
    assert_eq!(outside(&pruned, "web"), format!("{MESSY}\n\n"));

    // The source cannot be read: nothing is removed, the file is untouched.
    let gone = team.path().join(".git");
    std::fs::rename(&gone, team.path().join("moved")).unwrap();
    let failed = swrole(&fx, &["team", "sync", "--prune", "--yes"]);
    assert!(!failed.status.success());
    assert!(text(&failed.stderr).contains("team web: nothing changed"), "{}", text(&failed.stderr));
    assert_eq!(config(&fx), pruned);
    std::fs::rename(team.path().join("moved"), &gone).unwrap();

    // A pinned ref: the block follows the tag, not the branch.
    git(team.path(), &["tag", "v1", "HEAD~1"]);
    let pinned = swrole(&fx, &["team", "add", &format!("{url}#v1"), "--user", "ann@example.com", "--yes"]);
    assert!(pinned.status.success(), "{}", text(&pinned.stderr));
    let at_v1 = config(&fx);
    assert!(
        at_v1.contains(&format!("# source = {url}#v1")) && !at_v1.contains("[profile sw-sandbox]\nsource")
    );
    assert!(at_v1.contains("[profile sw-sandbox]\n# swrole: no longer"), "{at_v1}");

    // Removing the team gives the user's file back, byte for byte.
    let removed = swrole(&fx, &["team", "remove", "web", "--yes"]);
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    assert_eq!(config(&fx), format!("{MESSY}\n"));
}

#[test]
fn crlf_files_stay_crlf_and_hand_edits_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let team_file = dir.path().join("team.ini");
    std::fs::write(&team_file, TEAM).unwrap();
    let crlf = MESSY.replace('\n', "\r\n") + "\r\n";
    let fx = Fixture::new(&crlf, "");
    let add = swrole(&fx, &["team", "add", team_file.to_str().unwrap(), "--user", "ann", "--yes"]);
    assert!(add.status.success(), "{}", text(&add.stderr));
    let after = config(&fx);
    assert!(after.starts_with(&crlf));
    assert_eq!(after.matches('\n').count(), after.matches("\r\n").count(), "every line ends CRLF");
    // A hand edit inside the block: team list and doctor name it; sync puts the team's text back.
    let edited = after.replace("swrole_confirm = true", "swrole_confirm = false");
    std::fs::write(fx.config_path(), &edited).unwrap();
    let list = text(&swrole(&fx, &["team", "list"]).stdout);
    assert!(list.contains("edited by hand: profile sw-production"), "{list}");
    let doctor = swrole(&fx, &["doctor"]);
    let report = text(&doctor.stdout) + &text(&doctor.stderr);
    assert!(
        report.contains("[profile sw-production] was edited by hand inside team web's block"),
        "{report}"
    );
    let sync = swrole(&fx, &["team", "sync", "web", "--yes"]);
    assert!(text(&sync.stderr).contains("was edited by hand inside the block: the team's text replaces it"));
    assert_eq!(config(&fx), after);
    // A section added by hand inside the block: kept, and said.
    let end = after.find("# swrole team web: end").unwrap();
    let mine = format!("{}[profile my-own]\r\nregion = eu-west-1\r\n{}", &after[..end], &after[end..]);
    std::fs::write(fx.config_path(), &mine).unwrap();
    let sync = swrole(&fx, &["team", "sync", "--yes"]);
    assert!(sync.status.success(), "{}", text(&sync.stderr));
    assert!(
        text(&sync.stderr).contains(
            "team web: added by hand inside the block, kept (move it out of the block to own it): profile my-own"
        ),
        "{}",
        text(&sync.stderr)
    );
    assert!(config(&fx).contains("[profile my-own]\r\nregion = eu-west-1\r\n"));
    std::fs::write(fx.config_path(), &after).unwrap();
    // The team file changed since the sync: doctor says so (a path source is read offline).
    std::fs::write(&team_file, TEAM.replace("111111111111", "111111111112")).unwrap();
    let doctor = swrole(&fx, &["doctor"]);
    let report = text(&doctor.stdout) + &text(&doctor.stderr);
    assert!(report.contains("team web's file changed since the last sync"), "{report}");
}

#[test]
fn clashes_are_reported_never_overwritten_and_a_prefix_adds_them() {
    let dir = tempfile::tempdir().unwrap();
    let team_file = dir.path().join("swrole-team.ini");
    std::fs::write(&team_file, TEAM.to_string() + "\n[profile sw-ro]\nsource_profile = sw-production\nrole_arn = arn:aws:iam::111111111111:role/ro\n").unwrap();
    let mine = "[default]\nregion = ap-northeast-1\n\n[profile sw-staging]\nrole_arn = arn:aws:iam::1:role/mine\nsource_profile = default\n";
    let fx = Fixture::new(mine, "[sw-production]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\n");
    let add = swrole(&fx, &["team", "add", dir.path().to_str().unwrap(), "--user", "ann", "--yes"]);
    assert!(add.status.success(), "{}", text(&add.stderr));
    let err = text(&add.stderr);
    assert!(err.contains("[profile sw-staging] is already at") && err.contains("config:4"), "{err}");
    assert!(err.contains("team web: 1 sections in "), "three rendered, two clash: {err}");
    assert!(err.contains("[profile sw-production] is already at") && err.contains("credentials:1"), "{err}");
    let after = config(&fx);
    assert!(after.starts_with(mine));
    assert_eq!(after.matches("[profile sw-staging]").count(), 1, "the user's own is the only one");
    assert!(after.contains("[profile sw-ro]"));
    // With a prefix, every team profile is added, and references inside the team follow.
    let prefixed = swrole(
        &fx,
        &["team", "add", dir.path().to_str().unwrap(), "--user", "ann", "--prefix", "web-", "--yes"],
    );
    assert!(prefixed.status.success(), "{}", text(&prefixed.stderr));
    let after = config(&fx);
    assert!(after.starts_with(mine));
    for p in ["web-sw-staging", "web-sw-production", "web-sw-ro"] {
        assert!(after.contains(&format!("[profile {p}]")), "{p}: {after}");
    }
    assert!(after.contains("[profile web-sw-ro]\nsource_profile = web-sw-production\n"), "{after}");
    assert!(after.contains("source_profile = default\n"), "{{source_profile}} is the user's, never prefixed");
    assert!(!after.contains("[profile sw-ro]"), "the unprefixed names went with the old rendering");
    assert!(
        text(&prefixed.stderr).contains("[profile sw-ro] is now [profile web-sw-ro] (the prefix changed)")
    );
}

#[test]
fn bad_team_files_and_sources_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(MESSY, "");
    let cases: [(&str, &str); 5] = [
        (
            "[swrole-team]\nname = web\nversion = 1\n[profile a]\nmfa_serial = {{usr}}\n",
            "swrole-team.ini:5: unknown placeholder {{usr}}",
        ),
        (TEAM, "{{user}} has no value: pass --user NAME"),
        (
            "[swrole-team]\nname = web\nversion = 9\n[profile a]\n",
            "swrole-team.ini:3: the team file is version 9",
        ),
        (
            "[swrole-team]\nname = web\nversion = 1\n[profile a]\naws_access_key_id = AKIA\n",
            "swrole-team.ini:5: aws_access_key_id in a team file",
        ),
        (
            "[swrole-team]\nname = web\nversion = 1\n[profile a\n",
            "swrole-team.ini:4: profile definition must end with ']'",
        ),
    ];
    for (team, want) in cases {
        std::fs::write(dir.path().join("swrole-team.ini"), team).unwrap();
        let out = swrole(&fx, &["team", "add", dir.path().to_str().unwrap(), "--yes"]);
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains(want), "{want}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty());
        assert_eq!(config(&fx), MESSY);
    }
    for source in [
        "git+ext::sh -c touch${IFS}/tmp/pwned",
        "git+https://x.example/r#--upload-pack=x",
        "/nonexistent/team",
    ] {
        let out = swrole(&fx, &["team", "add", source, "--user", "ann", "--yes"]);
        assert!(!out.status.success(), "{source}");
        assert_eq!(config(&fx), MESSY);
    }
    std::fs::write(dir.path().join("swrole-team.ini"), TEAM).unwrap();
    for user in ["a b", "x\n[profile evil]", "a#b", "{{user}}"] {
        let out = swrole(&fx, &["team", "add", dir.path().to_str().unwrap(), "--user", user, "--yes"]);
        assert!(!out.status.success() && text(&out.stderr).contains("is not a user name"), "{user:?}");
        assert_eq!(config(&fx), MESSY);
    }
    // Without a terminal and without --yes: the diff, then nothing written.
    let out = swrole(&fx, &["team", "add", dir.path().to_str().unwrap(), "--user", "ann"]);
    assert!(!out.status.success() && text(&out.stderr).contains("pass --yes"), "{}", text(&out.stderr));
    assert_eq!(config(&fx), MESSY);
    let dry = swrole(&fx, &["team", "add", dir.path().to_str().unwrap(), "--user", "ann", "--dry-run"]);
    assert!(dry.status.success() && text(&dry.stderr).contains("--dry-run: nothing written"));
    assert_eq!(config(&fx), MESSY);
    // A broken block (an end line deleted by hand) stops every edit, with its line.
    let add = swrole(&fx, &["team", "add", dir.path().to_str().unwrap(), "--user", "ann", "--yes"]);
    assert!(add.status.success());
    let broken = config(&fx).replace("# swrole team web: end\n", "");
    std::fs::write(fx.config_path(), &broken).unwrap();
    let out = swrole(&fx, &["team", "sync", "--yes"]);
    assert!(text(&out.stderr).contains("team web's block has no end line"), "{}", text(&out.stderr));
    assert_eq!(config(&fx), broken);
}

/// Two syncs of two teams at once: each waits for the other, and both blocks land.
#[test]
fn concurrent_adds_lose_no_edit() {
    let dirs: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    for (i, d) in dirs.iter().enumerate() {
        let team = TEAM.replace("name = web", &format!("name = t{i}")).replace("sw-", &format!("t{i}-"));
        std::fs::write(d.path().join("swrole-team.ini"), team).unwrap();
    }
    let fx = Fixture::new(MESSY, "");
    let children: Vec<_> = dirs
        .iter()
        .map(|d| {
            let mut c = fx.no_terminal("http://127.0.0.1:1");
            c.args(["team", "add", d.path().to_str().unwrap(), "--user", "ann", "--yes"]);
            c.stderr(std::process::Stdio::piped()).spawn().unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let after = config(&fx);
    assert!(after.starts_with(MESSY));
    for i in 0..4 {
        assert!(after.contains(&format!("# swrole team t{i}: begin")), "t{i}: {after}");
        assert!(after.contains(&format!("[profile t{i}-production]")));
    }
}

/// The onboarding page as one command, on a real terminal: a new member with an empty
/// home runs `swrole setup`, types the team file, the keys and one MFA code; IAM (moto)
/// names the MFA device; the keys go to a real gnome-keyring; both profiles are checked.
/// Afterwards no file holds the secret, `sw-staging` switches, and a second run changes
/// nothing and asks only for what it must.
#[test]
fn setup_on_a_terminal_against_moto_and_gnome_keyring() {
    if !["dbus-run-session", "gnome-keyring-daemon", "python3"].iter().all(|t| require(t)) {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    // An IAM user with a key and a virtual MFA device, made in moto by boto3.
    let script = format!(
        r#"import boto3, json
iam = boto3.client("iam", endpoint_url="{url}", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
iam.create_user(UserName="ann")
k = iam.create_access_key(UserName="ann")["AccessKey"]
d = iam.create_virtual_mfa_device(VirtualMFADeviceName="ann.mail@example.com")["VirtualMFADevice"]
iam.enable_mfa_device(UserName="ann", SerialNumber=d["SerialNumber"], AuthenticationCode1="123456", AuthenticationCode2="654321")
print(json.dumps([k["AccessKeyId"], k["SecretAccessKey"], d["SerialNumber"]]))
"#,
        url = moto.url()
    );
    let made = Command::new("python3").args(["-c", &script]).output().unwrap();
    assert!(made.status.success(), "{}", text(&made.stderr));
    let made: Vec<String> = serde_json::from_slice(&made.stdout).unwrap();
    let (key_id, secret, serial) = (&made[0], &made[1], &made[2]);
    assert_eq!(serial, "arn:aws:iam::123456789012:mfa/ann.mail@example.com");

    let fx = Fixture::new("", "");
    std::fs::remove_dir_all(fx.home().join(".aws")).unwrap();
    let team_dir = fx.home().join("team");
    std::fs::create_dir(&team_dir).unwrap();
    std::fs::write(team_dir.join("swrole-team.ini"), TEAM).unwrap();
    let steps = |first: bool| {
        let mut s = vec![serde_json::json!({"send": "swrole setup\r", "expect": "team file"})];
        s.push(serde_json::json!({"send": "team\r", "expect": if first { "access key id" } else { "MFA code|profile" }}));
        if first {
            s.push(serde_json::json!({"send": format!("{key_id}\r"), "expect": "secret access key"}));
            s.push(serde_json::json!({"send": format!("{secret}\r"), "expect": "write these changes"}));
            s.push(serde_json::json!({"send": "y\r", "expect": "MFA code for sw-staging \\(ann.mail@example.com\\)"}));
            s.push(serde_json::json!({"send": "123456\r", "expect": "done: switch with sw", "timeout": 30}));
        } else {
            s.push(serde_json::json!({"send": "", "expect": "done: switch with sw", "timeout": 30}));
        }
        s.push(serde_json::json!({"send": "swrole sw-staging --shell bash > staging.out; echo rc=$?\r", "expect": "rc=\\d"}));
        serde_json::Value::from(s).to_string()
    };
    let run = |first: bool| {
        let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/interactive.py");
        let script = format!("exec python3 {} bash \"$STEPS\"", driver.display());
        let steps = steps(first);
        crate::keystore::in_secret_service(
            &fx,
            &script,
            &[
                ("SWROLE_CACHE_STORE", "file"),
                ("AWS_ENDPOINT_URL_STS", &moto.url()),
                ("AWS_ENDPOINT_URL_IAM", &moto.url()),
                ("STEPS", &steps),
            ],
        )
    };
    let out = run(true);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}\n{}", text(&out.stdout), text(&out.stderr)));
    let tty = report["tty"].as_str().unwrap();
    assert!(report["failed"].is_null(), "step {} failed:\n{tty}", report["failed"]);
    assert!(
        tty.contains(
            "your MFA device is arn:aws:iam::123456789012:mfa/ann.mail@example.com (IAM ListMFADevices)"
        ),
        "{tty}"
    );
    for (profile, account) in [("sw-staging", "210987654321"), ("sw-production", "111111111111")] {
        assert!(
            tty.lines().any(|l| l.starts_with(profile)
                && l.contains(account)
                && l.contains("delegate_root_organization")
                && l.trim_end().ends_with("OK")),
            "{profile}: {tty}"
        );
    }
    assert!(tty.contains("rc=0"), "{tty}");
    assert!(!tty.contains(secret.as_str()), "the secret is never echoed");
    let staging = std::fs::read_to_string(fx.home().join("staging.out")).unwrap();
    assert!(staging.contains("AWS_ACCOUNT_ID=210987654321"), "{staging}");
    std::fs::remove_file(fx.home().join("staging.out")).unwrap();
    let config = config(&fx);
    assert!(
        config.starts_with("[default]\ncredential_process = swrole credential-process default\n"),
        "{config}"
    );
    assert!(config.contains("mfa_serial = arn:aws:iam::123456789012:mfa/ann.mail@example.com"));
    let grep = Command::new("grep").args(["-rl", "--", secret]).arg(fx.home()).output().unwrap();
    assert_eq!(text(&grep.stdout), "", "no file holds the secret");
    // One MFA code served both checks: one GetSessionToken, then the roles.
    let actions: Vec<String> = moto.requests().iter().map(|r| r.form["Action"].clone()).collect();
    assert_eq!(actions.iter().filter(|a| *a == "GetSessionToken").count(), 1, "{actions:?}");

    // Again: the keys are found, nothing is written, no code is asked (the MFA session lives).
    let out = run(false);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tty = report["tty"].as_str().unwrap();
    assert!(report["failed"].is_null(), "step {} failed:\n{tty}", report["failed"]);
    assert!(tty.contains("the keys of profile default are in") && tty.contains("is up to date"), "{tty}");
    assert!(!tty.contains("MFA code for"), "{tty}");
    assert_eq!(std::fs::read_to_string(fx.config_path()).unwrap(), config);
}

/// `team remove` without --yes asks on the terminal: "n" keeps the block, "y" removes it.
#[test]
fn team_remove_asks_on_the_terminal() {
    if !require("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let team_file = dir.path().join("team.ini");
    std::fs::write(&team_file, TEAM).unwrap();
    let fx = Fixture::new("[default]\nregion = eu-west-1\n", "");
    let add = swrole(&fx, &["team", "add", team_file.to_str().unwrap(), "--user", "ann", "--yes"]);
    assert!(add.status.success(), "{}", text(&add.stderr));
    let added = config(&fx);
    let ask = |answer: &str| {
        crate::util::pty_swrole(fx.home(), "remove team web", answer, &["team", "remove", "web"], &[])
    };
    let no = ask("n");
    assert_ne!(no["status"], 0, "{no}");
    assert!(no["tty"].as_str().unwrap().contains("nothing removed"), "{no}");
    assert_eq!(config(&fx), added);
    let yes = ask("y");
    assert_eq!(yes["status"], 0, "{yes}");
    assert!(yes["tty"].as_str().unwrap().contains("removed team web's block"), "{yes}");
    assert_eq!(config(&fx), "[default]\nregion = eu-west-1\n");
}

/// Setup where the user's keys are already in the AWS files: kept there, none asked for,
/// no credential_process line added.
#[test]
fn setup_keeps_keys_already_in_the_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("swrole-team.ini"), TEAM).unwrap();
    let creds = "[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = s\n";
    let fx = Fixture::new("[default]\nregion = eu-west-1\n", creds);
    let mut c = fx.no_terminal("http://127.0.0.1:1");
    c.args(["setup", dir.path().to_str().unwrap(), "--user", "ann", "--yes", "--no-check"])
        .env("SWROLE_KEY_STORE", "file");
    let out = c.output().unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("profile default has credentials in your AWS files: kept as they are"), "{err}");
    let config = config(&fx);
    assert!(config.starts_with("[default]\nregion = eu-west-1\n"), "{config}");
    assert!(config.contains("[profile sw-staging]\nsource_profile = default\n"), "{config}");
    assert!(!config.contains("credential_process"), "the files' keys need no line: {config}");
    assert_eq!(std::fs::read_to_string(fx.home().join(".aws/credentials")).unwrap(), creds);
}

/// Setup's check: the user's own profile of a team name is not checked (it is theirs); the
/// code comes from --token-code, and SWROLE_MFA_PROMPT=never is kept even on a terminal.
#[test]
fn setup_checks_the_team_profiles_with_the_code_it_is_given() {
    if !require("python3") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("swrole-team.ini"),
        TEAM.to_string()
            + "\n[profile sw-ro]\nsource_profile = sw-production\nrole_arn = arn:aws:iam::111111111111:role/ro\n",
    )
    .unwrap();
    let mine = "[default]\nregion = eu-west-1\n\n[profile sw-staging]\nsource_profile = default\nrole_arn = arn:aws:iam::999999999999:role/mine\n";
    let fx = Fixture::new(mine, crate::util::SEED_CREDENTIALS);
    let setup = ["setup", dir.path().to_str().unwrap(), "--user", "ann", "--yes"];
    // On a terminal, with SWROLE_MFA_PROMPT=never: no code is asked, each check fails.
    let r = crate::util::pty_swrole(
        fx.home(),
        "MFA code",
        "123456",
        &setup,
        &[
            ("SWROLE_KEY_STORE", "file"),
            ("SWROLE_CACHE_STORE", "file"),
            ("SWROLE_MFA_PROMPT", "never"),
            ("AWS_ENDPOINT_URL_STS", &moto.url()),
        ],
    );
    let tty = r["tty"].as_str().unwrap();
    assert_ne!(r["status"], 0, "{tty}");
    assert!(tty.contains("2 of 2 profiles do not work yet"), "{tty}");
    assert!(!tty.contains("MFA code for"), "never asked: {tty}");
    assert!(moto.requests().is_empty(), "no call without a code");
    // Without a terminal, with --token-code: both team profiles work; the user's is not checked.
    let mut c = fx.no_terminal(&moto.url());
    c.args(setup).args(["--token-code", "123456"]).env("SWROLE_KEY_STORE", "file");
    let out = c.output().unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    for (profile, account, role) in
        [("sw-production", "111111111111", "delegate_root_organization"), ("sw-ro", "111111111111", "ro")]
    {
        assert!(
            err.lines().any(|l| l.starts_with(profile)
                && l.contains(account)
                && l.contains(role)
                && l.trim_end().ends_with("OK")),
            "{profile}: {err}"
        );
    }
    assert!(!err.lines().any(|l| l.starts_with("sw-staging")), "{err}");
    let codes: Vec<String> = moto
        .requests()
        .iter()
        .filter(|r| r.form["Action"] == "GetSessionToken")
        .map(|r| r.form["TokenCode"].clone())
        .collect();
    assert_eq!(codes, ["123456"], "one MFA session, from the flag");
}

/// Setup without --user takes the MFA device IAM lists; with none, or several, it says
/// which, and (no terminal here to ask the ARN on) stops naming the flags, writing nothing.
#[test]
fn setup_says_what_iam_lists_when_it_cannot_choose() {
    if !require("python3") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let iam = |body: &str| -> Vec<String> {
        let script = format!(
            "import boto3, json\niam = boto3.client('iam', endpoint_url='{}', region_name='us-east-1', \
             aws_access_key_id='x', aws_secret_access_key='x')\n{body}",
            moto.url()
        );
        let out = Command::new("python3").args(["-c", &script]).output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let key =
        iam("iam.create_user(UserName='bob')\nk = iam.create_access_key(UserName='bob')['AccessKey']\n\
         print(json.dumps([k['AccessKeyId'], k['SecretAccessKey']]))");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("swrole-team.ini"), TEAM).unwrap();
    let creds = format!("[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n", key[0], key[1]);
    // The keys' own profile asks for confirmation: asking IAM is not a switch, and asks nothing.
    let mine = "[default]\nregion = us-east-1\nswrole_confirm = true\n";
    let fx = Fixture::new(mine, &creds);
    let run = || {
        let mut c = fx.no_terminal(&moto.url());
        c.args(["setup", dir.path().to_str().unwrap(), "--yes", "--no-check"])
            .env("SWROLE_KEY_STORE", "file")
            .env("AWS_ENDPOINT_URL_IAM", moto.url());
        let out = c.output().unwrap();
        assert!(!out.status.success());
        assert_eq!(config(&fx), mine, "nothing written");
        text(&out.stderr)
    };
    let err = run();
    assert!(err.contains("swrole: IAM lists no MFA device for you\n"), "{err}");
    assert!(err.contains("pass --user NAME or --mfa-serial ARN"), "{err}");
    iam(
        "for n in ['bob-key', 'bob-phone']:\n    d = iam.create_virtual_mfa_device(VirtualMFADeviceName=n)['VirtualMFADevice']\n    \
         iam.enable_mfa_device(UserName='bob', SerialNumber=d['SerialNumber'], AuthenticationCode1='123456', \
         AuthenticationCode2='654321')\nprint('[]')",
    );
    let err = run();
    assert!(
        err.contains("swrole: IAM lists several MFA devices for you: arn:aws:iam::123456789012:mfa/bob-"),
        "{err}"
    );
    assert!(err.contains("pass --user NAME or --mfa-serial ARN"), "{err}");
    // On a terminal the ARN is asked; a slip is said and asked again (issue 43, item 11).
    let url = moto.url();
    let asked = crate::util::pty_swrole(
        fx.home(),
        "MFA device's ARN",
        "arn:aws:iam::123456789012:mfa/bob key,arn:aws:iam::123456789012:mfa/bob-key",
        &["setup", dir.path().to_str().unwrap(), "--yes", "--no-check"],
        &[
            ("SWROLE_CACHE_STORE", "file"),
            ("SWROLE_KEY_STORE", "file"),
            ("AWS_ENDPOINT_URL_STS", &url),
            ("AWS_ENDPOINT_URL_IAM", &url),
        ],
    );
    let tty = asked["tty"].as_str().unwrap();
    assert_eq!(asked["status"], 0, "{tty}");
    assert!(tty.contains("try again (Ctrl-C stops)"), "{tty}");
    assert_eq!(tty.matches("MFA device's ARN").count(), 2, "{tty}");
    assert!(config(&fx).contains("mfa_serial = arn:aws:iam::123456789012:mfa/bob-key\n"), "{}", config(&fx));
}

// ---- A team file is code: what a shared file may set, and what a member sees first. ----

/// botocore's own reading of each text (`configloader.raw_config_parse`, what the AWS CLI,
/// boto3 and both CLIs use): each section with its keys, or `None` when it refuses the file.
fn botocore_readings(texts: &[String]) -> Vec<Option<std::collections::BTreeMap<String, Vec<String>>>> {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let p = dir.path().join(format!("c{i}"));
        std::fs::write(&p, t).unwrap();
        paths.push(p);
    }
    let script = "import json, sys\nimport botocore.configloader as c, botocore.exceptions as e\nout = []\n\
        for path in sys.argv[1:]:\n    try:\n        r = c.raw_config_parse(path)\n        \
        out.append({k: sorted(v) for k, v in r.items()})\n    except e.ConfigParseError:\n        out.append(None)\n\
        print(json.dumps(out))\n";
    let out = Command::new("python3").arg("-c").arg(script).args(&paths).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn readings_of(
    r: &swrole::config::botocore::Reading,
) -> Option<std::collections::BTreeMap<String, Vec<String>>> {
    if r.refused.is_some() {
        return None;
    }
    Some(r.sections.iter().map(|(name, (_, keys))| (name.clone(), keys.keys().cloned().collect())).collect())
}

/// The texts where the readings part, and some where they do not: every Unicode space
/// Python strips, `:` delimiters, bracket forms, `[DEFAULT]`, duplicates, a lone CR.
fn differential_table() -> Vec<String> {
    let mut t: Vec<String> = Vec::new();
    for space in [
        '\u{a0}', '\u{1680}', '\u{2000}', '\u{2003}', '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}',
        '\u{205f}', '\u{3000}', '\u{85}', '\u{1c}', '\u{0b}', '\u{0c}',
    ] {
        t.push(format!("[profile a]\n{space}[default]=x\n"));
        t.push(format!("[profile a]\n{space}[plugins]=x\ncli_legacy_plugin_path = /tmp\n"));
        t.push(format!("[profile a]\nk = v\n{space}[b]=1\n"));
        t.push(format!("[profile a]\nk{space}= v\nj = 1\n"));
    }
    t.extend(
        [
            "[default]\nregion = x\n\n[profile a]\nrole_arn = r # c\ns3 =\n  max = 1\n; c\n# c\n",
            "[profile a]\naws_secret_access_key: s=x\n",
            "[profile a]\nregion : eu-west-1\n",
            "[profile a]\nk: v\n",
            "[DEFAULT]\ncredential_process = evil\n[profile a]\nk = v\n",
            "[ profile a ]\nk = v\n",
            "[profile a] ; c]\nk = v\n",
            "[profile a]x\nk = v\n",
            "[a]\nk = 1\n[a]\nj = 2\n",
            "[a]\nk = 1\nK = 2\n",
            "[a]\nk = 1\r[b]\nj = 2\n",
            "[a]\nk = 1\n  # indented\n",
            "[a]\nk = 1\n  more\n",
            "[a]\ns3 =\n  x = 1\n",
            "[a]\ns3 =\n  no equals\n",
            "\u{feff}[a]\nk = v\n",
            "k = v\n[a]\n",
            "[a]\nnoequals\n",
            "[a]\n= x\n",
            "[profile a]\n\tregion = x\n",
            "[profile a]\n[profile b]\n  [default]\n",
        ]
        .map(String::from),
    );
    t
}

/// The model of botocore's reader that every edit is checked with is botocore's reader:
/// the same sections and keys, or both refuse, over the whole table.
#[test]
fn the_botocore_model_reads_as_botocore_does() {
    if !require("python3") {
        return;
    }
    let table = differential_table();
    let real = botocore_readings(&table);
    for (t, real) in table.iter().zip(real) {
        let model = readings_of(&swrole::config::botocore::python_reading(t));
        assert_eq!(model, real, "{t:?}");
    }
}

/// A team file with any line the two readers part on is refused with its file and line, and
/// nothing is written; what a team file may hold is written so that botocore reads the
/// config exactly as swrole does (sections and keys), checked with botocore itself.
#[test]
fn hostile_team_files_change_nothing_and_written_configs_read_alike_in_botocore() {
    if !require("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("swrole-team.ini");
    // The member's own config has a line botocore reads otherwise (theirs: it stays, and does
    // not stop the edit); the team's lines may bring in none.
    let mine = "[default]\nregion = eu-west-1\n[profile old]\nk: v=1\n";
    let fx = Fixture::new(mine, "");
    let path = file.to_str().unwrap();
    let hostile = [
        ("[profile sw-x]\n\u{a0}[default]=x\n", 17),
        ("[profile sw-x]\n\u{3000}[plugins]=x\n", 17),
        ("[profile sw-x]\nregion = x\n\u{2028}[services s]\n", 18),
        ("[profile sw-x]\naws_secret_access_key: s=x\n", 17),
        ("[profile sw-x]\nregion\u{a0}= x\n", 17),
        ("[ profile sw-x ]\nregion = x\n", 16),
        ("[profile sw-x] ; c]\nregion = x\n", 16),
        ("[profile sw-x]\nregion = x\n  [default]\n", 18),
        ("[profile sw-x]\nregion = x\n# swrole team web: end\n", 18),
        ("[profile default]\nregion = x\n", 16),
        ("[profile sw-x]\nAWS_SESSION_TOKEN = x\n", 17),
    ];
    for (body, line) in hostile {
        std::fs::write(&file, format!("{TEAM}{body}")).unwrap();
        let out = swrole(&fx, &["team", "add", path, "--user", "ann", "--yes"]);
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{body:?}: {err}");
        assert!(err.contains(&format!("{path}:{line}: ")), "{body:?}: the file and line: {err}");
        assert_eq!(config(&fx), mine, "{body:?}: nothing written");
        assert!(out.stdout.is_empty());
    }
    // What a team may write: comments, a header's comment, tabs, sub-properties.
    let fine = format!(
        "{TEAM}# the team's sandbox\n[profile sw-x] # sandbox\nregion\t=\teu-west-1\ns3 =\n  max_concurrent_requests = 20\n"
    );
    std::fs::write(&file, &fine).unwrap();
    let out = swrole(&fx, &["team", "add", path, "--user", "ann", "--yes"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = config(&fx);
    assert!(written.starts_with(mine));
    let ours = readings_of(&swrole::config::botocore::swrole_reading(&written)).unwrap();
    let theirs = botocore_readings(std::slice::from_ref(&written)).remove(0).unwrap();
    // The member's own differing line is the one difference, as before the edit.
    let mut expected = ours.clone();
    expected.insert("profile old".into(), vec!["k".into()]);
    assert_eq!(theirs, expected, "{written}");
    assert_eq!(ours["profile old"], ["k: v"]);
    assert!(ours.contains_key("profile sw-x") && ours.contains_key("profile sw-production"));
    // doctor names the member's line, with its file and line.
    let doctor = swrole(&fx, &["doctor"]);
    let report = text(&doctor.stdout) + &text(&doctor.stderr);
    assert!(
        report.contains(&format!(
            "{}:4: the AWS CLI reads a key k in [profile old] that swrole does not",
            fx.config_path().display()
        )),
        "{report}"
    );
}

/// Keys that choose where secrets go, what runs or what is trusted come in only with the
/// member's `--allow KEY` (never `--yes`), said in words; a value the block already holds as
/// it is needs no new word, a changed one does.
#[test]
fn opt_in_keys_need_allow_and_yes_never_gives_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("swrole-team.ini");
    let with = |url: &str| {
        format!(
            "{TEAM}\n[profile sw-local]\nsource_profile = {{{{source_profile}}}}\nregion = eu-west-1\nendpoint_url = {url}\n"
        )
    };
    std::fs::write(&file, with("https://capture.example")).unwrap();
    let fx = Fixture::new("[default]\nregion = eu-west-1\n", "");
    let path = file.to_str().unwrap();
    let refused = swrole(&fx, &["team", "add", path, "--user", "ann", "--yes"]);
    let err = text(&refused.stderr);
    assert!(!refused.status.success());
    assert!(err.contains(&format!("{path}:20: endpoint_url in [profile sw-local]")), "{err}");
    assert!(
        err.contains("--allow endpoint_url (--yes does not)") && err.contains("which is not an AWS endpoint"),
        "{err}"
    );
    assert_eq!(config(&fx), "[default]\nregion = eu-west-1\n");
    // Another key's --allow is not this one's.
    let other = swrole(&fx, &["team", "add", path, "--user", "ann", "--yes", "--allow", "ca_bundle"]);
    assert!(!other.status.success());
    let bad = swrole(&fx, &["team", "add", path, "--allow", "region"]);
    assert!(!bad.status.success() && text(&bad.stderr).contains("is not a key --allow lets in"));
    let allowed = swrole(&fx, &["team", "add", path, "--user", "ann", "--yes", "--allow", "endpoint_url"]);
    let err = text(&allowed.stderr);
    assert!(allowed.status.success(), "{err}");
    assert!(
        err.contains("team web: allowed with --allow endpoint_url: [profile sw-local] sends every request, with your credentials, MFA codes and sign-in tokens, to https://capture.example, which is not an AWS endpoint"),
        "{err}"
    );
    // The same value again: no word needed. A changed value: the word again.
    let again = swrole(&fx, &["team", "sync", "--yes"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    std::fs::write(&file, with("https://capture2.example")).unwrap();
    let before = config(&fx);
    let changed = swrole(&fx, &["team", "sync", "--yes"]);
    assert!(
        !changed.status.success() && text(&changed.stderr).contains("capture2.example"),
        "{}",
        text(&changed.stderr)
    );
    assert_eq!(config(&fx), before);
    let changed = swrole(&fx, &["team", "sync", "--yes", "--allow", "endpoint_url"]);
    assert!(changed.status.success(), "{}", text(&changed.stderr));
    assert!(config(&fx).contains("endpoint_url = https://capture2.example"));
}

/// `setup SOURCE --yes` checks every team profile by switching to it: a team command
/// (credential_process) never runs unless the member allowed it, and nothing is written.
#[test]
fn setup_runs_no_team_command_without_allow() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let team = format!(
        "{TEAM}\n[profile sw-tool]\nregion = eu-west-1\ncredential_process = /bin/sh -c \"touch {}\"\n",
        marker.display()
    );
    std::fs::write(dir.path().join("swrole-team.ini"), team).unwrap();
    let creds = "[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = s\n";
    let fx = Fixture::new("[default]\nregion = eu-west-1\n", creds);
    let mut c = fx.no_terminal("http://127.0.0.1:1");
    c.args(["setup", dir.path().to_str().unwrap(), "--user", "ann", "--yes"]).env("SWROLE_KEY_STORE", "file");
    let out = c.output().unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("credential_process in [profile sw-tool]: it runs a command as you"), "{err}");
    assert!(err.contains("--allow credential_process"), "{err}");
    assert!(!marker.exists(), "the team's command did not run");
    assert_eq!(config(&fx), "[default]\nregion = eu-west-1\n");
}

/// A sync that takes production safety away says so, in words, before the diff and the
/// question; `--yes` does not silence it.
#[test]
fn a_sync_that_weakens_production_says_so_first() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("swrole-team.ini");
    let strict = TEAM.replace(
        "swrole_confirm = true\n",
        "swrole_confirm = true\nswrole_session_policy = readonly\nswrole_guard_commands = terraform apply\n",
    );
    std::fs::write(&file, &strict).unwrap();
    let fx = Fixture::new("[default]\nregion = eu-west-1\n", "");
    let path = file.to_str().unwrap();
    assert!(swrole(&fx, &["team", "add", path, "--user", "ann", "--yes"]).status.success());
    let loose = TEAM.replace("swrole_confirm = true\n", "swrole_guard_commands = none\n");
    std::fs::write(&file, loose).unwrap();
    let out = swrole(&fx, &["team", "sync", "--yes"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let words = [
        "swrole: team web: sw-production: no longer asks before a switch (swrole_confirm)",
        "swrole: team web: sw-production: no longer read-only (swrole_session_policy removed)",
        "swrole: team web: sw-production: no longer asks before any command (swrole_guard_commands = none)",
    ];
    for w in words {
        let at = err.find(w).unwrap_or_else(|| panic!("{w}: {err}"));
        assert!(at < err.find("@@").unwrap(), "said before the diff: {err}");
    }
}

/// The low items: a password in a source is refused and never printed (an older block's is
/// shown as ***); a second team file of the same name does not take over a block; typed keys
/// are stored only after the last question.
#[test]
fn passwords_other_files_of_the_same_name_and_keys_after_the_last_question() {
    let fx = Fixture::new("[default]\nregion = eu-west-1\n", "");
    let out = swrole(
        &fx,
        &["team", "add", "git+https://ann:SECRETTOKEN@127.0.0.1:1/web.git", "--user", "ann", "--yes"],
    );
    let err = text(&out.stderr);
    assert!(!out.status.success() && !err.contains("SECRETTOKEN"), "{err}");
    assert!(
        err.contains("https://ann:***@127.0.0.1:1/web.git") && err.contains("credential helper"),
        "{err}"
    );
    // A block written before holds one: list shows it masked.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("swrole-team.ini"), TEAM).unwrap();
    assert!(
        swrole(&fx, &["team", "add", dir.path().to_str().unwrap(), "--user", "ann", "--yes"])
            .status
            .success()
    );
    let with_password = config(&fx).replace(
        &format!("# source = {}", dir.path().display()),
        "# source = git+https://ann:SECRETTOKEN@127.0.0.1:1/web.git",
    );
    std::fs::write(fx.config_path(), &with_password).unwrap();
    let list = swrole(&fx, &["team", "list"]);
    assert!(text(&list.stdout).contains("git+https://ann:***@127.0.0.1:1/web.git"), "{}", text(&list.stdout));
    let sync = swrole(&fx, &["team", "sync", "--yes"]);
    assert!(!sync.status.success());
    for out in [&list, &sync] {
        assert!(!text(&out.stdout).contains("SECRETTOKEN") && !text(&out.stderr).contains("SECRETTOKEN"));
    }
    std::fs::write(
        fx.config_path(),
        config(&fx)
            .replace("git+https://ann:SECRETTOKEN@127.0.0.1:1/web.git", &dir.path().display().to_string()),
    )
    .unwrap();

    // Another file that also says name = web: refused, the block keeps its source.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("swrole-team.ini"), TEAM.replace("sw-staging", "sw-evil")).unwrap();
    let before = config(&fx);
    let out = swrole(&fx, &["team", "add", other.path().to_str().unwrap(), "--user", "ann", "--yes"]);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("is another team file with the same name") && err.contains("swrole team remove web"),
        "{err}"
    );
    assert_eq!(config(&fx), before);

    // setup with typed keys, refused at the diff (no terminal, no --yes): nothing stored.
    let fresh = Fixture::new("[default]\nregion = eu-west-1\n", "");
    let mut c = fresh.no_terminal("http://127.0.0.1:1");
    c.args(["setup", dir.path().to_str().unwrap(), "--user", "ann", "--keys-stdin", "--no-check"])
        .env("SWROLE_KEY_STORE", "file")
        .stdin(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"AKIAEXAMPLEEXAMPLE01\nsecret-of-ann\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "{}", text(&out.stderr));
    let mut list = fresh.no_terminal("http://127.0.0.1:1");
    let keys = list.args(["keys", "list"]).env("SWROLE_KEY_STORE", "file").output().unwrap();
    assert_eq!(text(&keys.stdout), "", "no key stored: {}", text(&keys.stderr));
    assert!(!text(&out.stderr).contains("stored the keys"), "{}", text(&out.stderr));
}

/// A relative ca_bundle (a team's or the member's own) is refused, naming file and line: it
/// would be exported as it is and name another file in every directory.
#[test]
fn a_relative_ca_bundle_is_refused() {
    let fx = Fixture::new(
        "[profile rel]\nregion = eu-west-1\nca_bundle = repo/team-ca.pem\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = s\n",
        "",
    );
    let out = swrole(&fx, &["rel"]);
    let err = text(&out.stderr);
    assert!(!out.status.success() && out.stdout.is_empty(), "{err}");
    assert!(
        err.contains(&format!(
            "ca_bundle of profile \"rel\", {}:3: \"repo/team-ca.pem\" is a relative path",
            fx.config_path().display()
        )),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("swrole-team.ini");
    std::fs::write(&file, format!("{TEAM}ca_bundle = repo/team-ca.pem\n")).unwrap();
    let out = swrole(
        &fx,
        &["team", "add", file.to_str().unwrap(), "--user", "ann", "--yes", "--allow", "ca_bundle"],
    );
    assert!(
        !out.status.success()
            && text(&out.stderr).contains(
                ":16: ca_bundle \"repo/team-ca.pem\" in [profile sw-production] is a relative path"
            ),
        "{}",
        text(&out.stderr)
    );
}

/// An IAM Identity Center profile whose endpoint a team wrote (even allowed for its STS
/// calls) sends no sign-in token there: the switch stops before any connection.
#[test]
fn sign_in_tokens_never_go_to_a_team_chosen_host() {
    let capture = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    capture.set_nonblocking(true).unwrap();
    let url = format!("http://127.0.0.1:{}", capture.local_addr().unwrap().port());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("swrole-team.ini");
    std::fs::write(
        &file,
        format!(
            "[swrole-team]\nname = web\nversion = 1\n[profile sw-sso]\nsso_session = corp\nsso_account_id = 111111111111\n\
             sso_role_name = dev\nregion = eu-west-1\nendpoint_url = {url}\n[sso-session corp]\n\
             sso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n"
        ),
    )
    .unwrap();
    let fx = Fixture::new("[default]\nregion = eu-west-1\n", "");
    let add = swrole(&fx, &["team", "add", file.to_str().unwrap(), "--yes", "--allow", "endpoint_url"]);
    assert!(add.status.success(), "{}", text(&add.stderr));
    let mut c = fx.no_terminal("http://127.0.0.1:1");
    c.env_remove("AWS_ENDPOINT_URL_STS").arg("sw-sso");
    let out = c.output().unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success() && out.stdout.is_empty(), "{err}");
    assert!(err.contains("comes from team web's block, which you did not write"), "{err}");
    assert!(capture.accept().is_err(), "nothing connected to the team's host");
}

/// Issue 43, item 10: a member who already has the team's profiles adopts the team file.
/// `team add` finds {{user}} in their own mfa_serial lines; with every profile theirs it adds
/// no empty block and says how to adopt; `--adopt` shows the difference and replaces their
/// sections with the team's (production safety included), every other byte kept; on a
/// terminal the question is asked, and "n" changes nothing.
#[test]
fn a_member_with_the_profiles_adopts_the_team_file() {
    let seed = crate::util::SEED_CONFIG;
    let fx = Fixture::new(seed, crate::util::SEED_CREDENTIALS);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("swrole-team.ini"), TEAM).unwrap();
    let team_dir = dir.path().to_str().unwrap();
    let out = swrole(&fx, &["team", "add", team_dir]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("{{user}} = your.mail@example.com (from "), "{err}");
    assert!(err.contains("team web: every section is already yours in "), "{err}");
    assert!(err.contains("nothing added (swrole team add --adopt replaces yours"), "{err}");
    assert_eq!(config(&fx), seed, "no empty block");
    // On a terminal: asked, after the difference; "n" keeps everything.
    let asked = crate::util::pty_swrole(fx.home(), "replace yours", "n", &["team", "add", team_dir], &[]);
    let tty = asked["tty"].as_str().unwrap();
    assert!(
        tty.contains("[profile sw-production] are yours already") || tty.contains("are yours already"),
        "{tty}"
    );
    assert!(tty.contains("+swrole_confirm = true"), "the team's production safety is shown: {tty}");
    assert_eq!(config(&fx), seed);
    // --adopt: theirs go, the team's block comes, the rest stays byte for byte.
    let out = swrole(&fx, &["team", "add", team_dir, "--adopt", "--yes"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("your own [profile sw-staging], [profile sw-production] replaced by the team's"),
        "{err}"
    );
    let written = config(&fx);
    assert!(written.starts_with("[default]\nregion = ap-northeast-1\noutput = json\n"), "{written}");
    assert_eq!(written.matches("[profile sw-production]").count(), 1, "{written}");
    let block = &written[written.find("# swrole team web: begin").expect("a block")..];
    assert!(block.contains("[profile sw-production]\nsource_profile = default\n"), "{written}");
    assert!(
        block.contains(
            "mfa_serial = arn:aws:iam::123456789012:mfa/your.mail@example.com\nswrole_confirm = true\n"
        ),
        "{written}"
    );
    let again = swrole(&fx, &["team", "add", team_dir]);
    assert!(text(&again.stderr).contains("is up to date"), "{}", text(&again.stderr));
}
