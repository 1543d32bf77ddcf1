//! Production, safely: read-only by session policy until `--write` with a reason, the
//! SourceIdentity, and swrole's record. What STS receives is read from moto's recorder.

use std::process::{Command, Output};

use crate::moto::Moto;
use crate::util::{Fixture, SEED_CREDENTIALS};

const CONFIG: &str = "[default]\nregion = ap-northeast-1\n\n\
[profile sw-staging]\nsource_profile = default\nrole_arn = arn:aws:iam::210987654321:role/delegate_root_organization\n\
mfa_serial = arn:aws:iam::123456789012:mfa/your.mail@example.com\n\n\
[profile sw-production]\nsource_profile = default\nrole_arn = arn:aws:iam::111111111111:role/delegate_root_organization\n\
mfa_serial = arn:aws:iam::123456789012:mfa/your.mail@example.com\nswrole_session_policy = readonly\n\
swrole_source_identity = true\nswrole_write_duration = 15m\nswrole_idle = 15m\n\n\
[profile sw-audit]\nsource_profile = default\nrole_arn = arn:aws:iam::111111111111:role/audit\n\
swrole_session_policy = ~/policy.json\nswrole_source_identity = ann.admin\nrole_session_name = audit-job\n";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run(fx: &Fixture, moto: &Moto, args: &[&str]) -> Output {
    let mut c = fx.no_terminal(&moto.url());
    c.env("XDG_STATE_HOME", fx.home().join("state")).args(args).output().unwrap()
}

/// `SHELL -c script` in the fixture's home, with swrole on PATH, the file cache, the record
/// in the home and moto as STS: nothing of the machine's own environment.
fn in_shell(fx: &Fixture, moto: &Moto, shell: &str, script: &str) -> Command {
    let mut c = Command::new(shell);
    c.args(["-c", script])
        .current_dir(fx.home())
        .env_clear()
        .env("PATH", crate::util::path_with_swrole())
        .env("HOME", fx.home())
        .env("USER", "tester")
        .env("SWROLE_CACHE_STORE", "file")
        .env("XDG_STATE_HOME", fx.home().join("state"))
        .env("AWS_ENDPOINT_URL_STS", moto.url());
    c
}

fn log_lines(fx: &Fixture) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(fx.home().join("state/swrole/log")).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn read_only_by_policy_until_write_with_a_reason() {
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(CONFIG, SEED_CREDENTIALS);
    // Read-only: the managed ReadOnlyAccess rides on the AssumeRole, with the IAM user's
    // name as SourceIdentity and session name (moto's GetCallerIdentity answers `user/moto`).
    let ro = run(&fx, &moto, &["sw-production", "-t", "123456", "--shell", "bash"]);
    assert!(ro.status.success(), "{}", text(&ro.stderr));
    let out = text(&ro.stdout);
    assert!(out.contains("SWROLE_ACCESS=ro") && out.contains("SWROLE_GUARDED=111111111111"), "{out}");
    assert!(out.contains("SWROLE_IDLE=900"), "{out}");
    let r = moto.requests();
    let actions: Vec<&str> = r.iter().map(|q| q.form["Action"].as_str()).collect();
    assert_eq!(actions, ["GetSessionToken", "GetCallerIdentity", "AssumeRole"], "{r:?}");
    let assume = &r[2].form;
    assert_eq!(assume["PolicyArns.member.1.arn"], "arn:aws:iam::aws:policy/ReadOnlyAccess", "{assume:?}");
    assert_eq!(assume["SourceIdentity"], "moto");
    assert_eq!(assume["RoleSessionName"], "moto", "the session is named after the person too");
    assert!(!assume.contains_key("Policy") && !assume.keys().any(|k| k.starts_with("Tags")), "{assume:?}");
    assert!(!assume.contains_key("DurationSeconds"));

    // explain says all of it, offline.
    let explain = text(&run(&fx, &moto, &["explain", "sw-production"]).stdout);
    assert!(explain.contains("read-only: PolicyArns arn:aws:iam::aws:policy/ReadOnlyAccess"), "{explain}");
    assert!(explain.contains("SourceIdentity of sw-production: your IAM user's name"), "{explain}");
    assert!(explain.contains("dropped after 15m without a command"), "{explain}");
    // Write access needs a reason; without a terminal and without --reason: no call at all.
    let before = moto.requests().len();
    let refused = run(&fx, &moto, &["sw-production", "--write", "--shell", "bash"]);
    assert!(!refused.status.success() && refused.stdout.is_empty());
    assert!(text(&refused.stderr).contains("pass it with --reason TEXT"), "{}", text(&refused.stderr));
    assert_eq!(moto.requests().len(), before);
    let rw = run(
        &fx,
        &moto,
        &["sw-production", "--write", "--reason", "INC-42: rotate \"keys\"", "--shell", "bash"],
    );
    assert!(rw.status.success(), "{}", text(&rw.stderr));
    assert!(text(&rw.stdout).contains("SWROLE_ACCESS=rw"));
    let r = moto.requests();
    let actions: Vec<&str> = r[before..].iter().map(|q| q.form["Action"].as_str()).collect();
    assert_eq!(actions, ["AssumeRole"], "the MFA session (and the name it remembers) served it");
    let assume = &r.last().unwrap().form;
    assert!(!assume.keys().any(|k| k.starts_with("PolicyArns") || k == "Policy"), "{assume:?}");
    assert_eq!(assume["DurationSeconds"], "900", "swrole_write_duration");
    assert_eq!(assume["Tags.member.1.Key"], "swrole-reason");
    assert_eq!(assume["Tags.member.1.Value"], "INC-42: rotate _keys_");
    assert_eq!(assume["SourceIdentity"], "moto");
    // The read-only session is still cached apart from the write one: no new call.
    let again = run(&fx, &moto, &["sw-production", "--shell", "bash"]);
    assert!(text(&again.stdout).contains("SWROLE_ACCESS=ro"));
    assert_eq!(moto.requests().len(), r.len());
    // --write where there is no policy to lift is an error, before any call.
    let plain = run(&fx, &moto, &["sw-staging", "--write", "--reason", "why not", "--shell", "bash"]);
    assert!(text(&plain.stderr).contains("has no swrole_session_policy"), "{}", text(&plain.stderr));
    assert_eq!(moto.requests().len(), r.len());

    // The record: one line per hand-out, who and why, never a secret.
    let lines = log_lines(&fx);
    let modes: Vec<(&str, &str)> =
        lines.iter().map(|l| (l["mode"].as_str().unwrap(), l["access"].as_str().unwrap_or("-"))).collect();
    assert_eq!(modes, [("switch", "ro"), ("switch", "rw"), ("switch", "ro")], "{lines:?}");
    assert_eq!(lines[1]["reason"], "INC-42: rotate \"keys\"");
    assert_eq!(lines[1]["account"], "111111111111");
    assert_eq!(lines[1]["role"], "arn:aws:iam::111111111111:role/delegate_root_organization");
    assert_eq!(lines[1]["terminal"], "none");
    assert_eq!(lines[1]["user"], "tester");
    let log = std::fs::read_to_string(fx.home().join("state/swrole/log")).unwrap();
    for out in [&ro.stdout, &rw.stdout] {
        let secret = text(out)
            .lines()
            .find_map(|l| l.strip_prefix("\\export AWS_SECRET_ACCESS_KEY="))
            .unwrap()
            .trim_end_matches(';')
            .trim_matches('\'')
            .to_string();
        assert!(!log.contains(&secret), "no secret in the record");
    }
    assert!(!log.contains("wJalrXUtnFEMI"));
    let mode = |p: &str| {
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(fx.home().join(p)).unwrap().permissions())
            & 0o777
    };
    assert_eq!((mode("state/swrole"), mode("state/swrole/log")), (0o700, 0o600));

    // `swrole log`: who had write access to production, and why.
    let mut c = fx.no_terminal(&moto.url());
    let shown = c
        .env("XDG_STATE_HOME", fx.home().join("state"))
        .env("TZ", "UTC0")
        .args(["log", "sw-production", "--write", "--since", "7d"])
        .output()
        .unwrap();
    let table = text(&shown.stdout);
    assert_eq!(table.lines().count(), 2, "a header and the line: {table}");
    let words = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
    let header = table.lines().next().unwrap();
    assert_eq!(words(header), "WHEN PROFILE ACCOUNT ACCESS MODE USER TERMINAL WHY / WHAT RAN", "{table}");
    let row = table.lines().nth(1).unwrap();
    assert!(
        words(row)
            .contains("sw-production 111111111111 rw switch tester none reason: INC-42: rotate \"keys\""),
        "{table}"
    );
    // Aligned: every column starts where its header does; the time is local (here TZ=UTC0,
    // +00:00), and --utc gives it as recorded.
    assert_eq!(row.find("sw-production"), header.find("PROFILE"), "{table}");
    assert!(row.contains(" +00:00  "), "{table}");
    let mut c = fx.no_terminal(&moto.url());
    let utc = c
        .env("XDG_STATE_HOME", fx.home().join("state"))
        .env("TZ", "JST-9")
        .args(["log", "sw-production", "--write", "--utc"])
        .output()
        .unwrap();
    assert!(
        text(&utc.stdout).lines().nth(1).unwrap().split(' ').next().unwrap().ends_with('Z'),
        "{}",
        text(&utc.stdout)
    );
    let mut c = fx.no_terminal(&moto.url());
    let tokyo = c
        .env("XDG_STATE_HOME", fx.home().join("state"))
        .env("TZ", "JST-9")
        .args(["log", "sw-production", "--write"])
        .output()
        .unwrap();
    assert!(text(&tokyo.stdout).contains(" +09:00  "), "{}", text(&tokyo.stdout));
    let mut c = fx.no_terminal(&moto.url());
    let json = c.env("XDG_STATE_HOME", fx.home().join("state")).args(["log", "--json"]).output().unwrap();
    assert_eq!(text(&json.stdout).lines().count(), 3);
    let mut c = fx.no_terminal(&moto.url());
    let future = c
        .env("XDG_STATE_HOME", fx.home().join("state"))
        .args(["log", "--since", "2999-01-01"])
        .output()
        .unwrap();
    assert_eq!(text(&future.stdout), "");
}

#[test]
fn a_policy_file_is_checked_before_any_call_and_sent_minified() {
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(CONFIG, SEED_CREDENTIALS);
    let policy = fx.home().join("policy.json");
    for (body, want) in [
        ("{ not json", "is not JSON: line 1"),
        ("[1, 2]", "is not a policy"),
        (r#"{"Statement": []}"#, "has no \"Version\""),
    ] {
        std::fs::write(&policy, body).unwrap();
        let out = run(&fx, &moto, &["sw-audit", "--shell", "bash"]);
        let err = text(&out.stderr);
        assert!(!out.status.success() && err.contains(want), "{body}: {err}");
        assert!(
            err.contains(&format!("the session policy {}", policy.display())) && err.contains("config:21"),
            "{err}"
        );
    }
    // The file is read up to 64 KiB (then STS's 2,048-character limit speaks); one byte more
    // is not read at all.
    let spaces = |n: usize| format!("{{\"Version\": \"2012-10-17\", \"Statement\": []{}}}", " ".repeat(n));
    let exact = spaces(65536 - spaces(0).len());
    assert_eq!(exact.len(), 65536);
    std::fs::write(&policy, &exact).unwrap();
    let small = run(&fx, &moto, &["sw-audit", "--shell", "bash", "--no-cache"]);
    assert!(small.status.success(), "64 KiB of spaces minify to a small policy: {}", text(&small.stderr));
    std::fs::write(&policy, exact + " ").unwrap();
    let out = run(&fx, &moto, &["sw-audit", "--shell", "bash", "--no-cache"]);
    assert!(text(&out.stderr).contains("is not a regular file of at most 64 KiB"), "{}", text(&out.stderr));
    let sent = moto.requests().len();
    let big = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Deny", "Action": "*", "Resource": "{}"}}]}}"#,
        "x".repeat(2100)
    );
    std::fs::write(&policy, big).unwrap();
    let out = run(&fx, &moto, &["sw-audit", "--shell", "bash"]);
    assert!(text(&out.stderr).contains("at most 2048"), "{}", text(&out.stderr));
    assert_eq!(moto.requests().len(), sent, "nothing was sent for a bad policy");
    std::fs::write(&policy, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [ {\"Effect\": \"Allow\", \"Action\": \"s3:Get*\", \"Resource\": \"*\"} ]\n}\n").unwrap();
    let out = run(&fx, &moto, &["sw-audit", "--shell", "bash"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = moto.requests();
    let assume = &r.last().unwrap().form;
    assert_eq!(
        assume["Policy"],
        r#"{"Statement":[{"Action":"s3:Get*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}"#
    );
    assert_eq!(assume["SourceIdentity"], "ann.admin", "a fixed source identity");
    assert_eq!(assume["RoleSessionName"], "audit-job", "role_session_name wins over the identity");
    assert_eq!(r.iter().filter(|q| q.form["Action"] == "GetCallerIdentity").count(), 0);
}

/// exec and credential-process are recorded with the command and the calling program; 24
/// swroles appending at once leave 24 whole lines; past 1 MiB the record rotates.
#[test]
fn every_mode_is_recorded_whole_and_rotated() {
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(CONFIG, SEED_CREDENTIALS);
    let state = fx.home().join("state/swrole");
    std::fs::create_dir_all(&state).unwrap();
    let exec = run(&fx, &moto, &["exec", "sw-staging", "-t", "123456", "--", "true", "--flag", "x y"]);
    assert!(exec.status.success(), "{}", text(&exec.stderr));
    // A job's secrets on its command line stay out of the record (and its rotation).
    let secret = run(
        &fx,
        &moto,
        &[
            "exec",
            "sw-staging",
            "--",
            "env",
            "PGPASSWORD=pw-1",
            "true",
            "postgres://u:pw-2@db/app",
            "--password=pw-3",
        ],
    );
    assert!(secret.status.success(), "{}", text(&secret.stderr));
    let recorded = std::fs::read_to_string(state.join("log")).unwrap();
    assert!(!recorded.contains("pw-"), "{recorded}");
    let last = log_lines(&fx).pop().unwrap();
    assert_eq!(
        last["command"],
        serde_json::json!(["env", "PGPASSWORD=***", "true", "postgres://u:***@db/app", "--password=***"])
    );
    std::fs::write(state.join("log"), recorded.lines().next().unwrap().to_string() + "\n").unwrap();
    let cp = Command::new("sh")
        .args([
            "-c",
            &format!("{} credential-process sw-staging; exit $?", crate::util::swrole_path().display()),
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", fx.home())
        .env("USER", "tester")
        .env("SWROLE_CACHE_STORE", "file")
        .env("XDG_STATE_HOME", fx.home().join("state"))
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .output()
        .unwrap();
    assert!(cp.status.success(), "{}", text(&cp.stderr));
    let lines = log_lines(&fx);
    assert_eq!(lines[0]["mode"], "exec");
    assert_eq!(lines[0]["command"], serde_json::json!(["true", "--flag", "x y"]));
    assert_eq!(lines[1]["mode"], "credential-process");
    assert_eq!(lines[1]["caller"], "sh", "the program that ran it: {:?}", lines[1]);
    // The text view ends each line with what ran: exec's command, else "by" the caller.
    let mut c = fx.no_terminal(&moto.url());
    let shown = c.env("XDG_STATE_HOME", fx.home().join("state")).arg("log").output().unwrap();
    let table = text(&shown.stdout);
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert!(rows[0].contains("  exec  ") && rows[0].ends_with("  true --flag x y"), "{table}");
    assert!(rows[1].contains("  credential-process  ") && rows[1].ends_with("  by sh"), "{table}");
    // Concurrent writers.
    let children: Vec<_> = (0..24)
        .map(|_| {
            let mut c = fx.no_terminal(&moto.url());
            c.env("XDG_STATE_HOME", fx.home().join("state")).args(["sw-staging", "--shell", "bash"]);
            c.stdout(std::process::Stdio::null()).spawn().unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_eq!(log_lines(&fx).len(), 26, "every line whole and parsed");
    // Rotation: a record at its limit moves to log.1; the new line starts a new log.
    let log = state.join("log");
    let filler = format!("{}\n", "x".repeat(1023));
    std::fs::write(&log, filler.repeat(1024)).unwrap();
    let out = run(&fx, &moto, &["sw-staging", "--shell", "bash"]);
    assert!(out.status.success());
    assert_eq!(std::fs::metadata(state.join("log.1")).unwrap().len(), 1024 * 1024);
    assert_eq!(log_lines(&fx).len(), 1);
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&log).unwrap().permissions()) & 0o777;
    assert_eq!(mode, 0o600);
}

/// In real interactive zsh, bash and fish on a pty: the prompt says ro, the terminal gets
/// its title and tint in the guarded profile (and loses them in another), `terraform apply`
/// asks first naming the account, `n` leaves the line in the editor and runs nothing, `y`
/// runs it; in a profile that is not guarded it runs at once; after the idle limit the
/// profile is dropped before the next command, and `sw -` brings it back.
#[test]
fn guard_tint_and_idle_in_real_shells() {
    if !crate::util::require("python3") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let helper = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/interactive.py");
    for shell in ["zsh", "bash", "fish"] {
        if !crate::util::require(shell) {
            continue;
        }
        let fx = Fixture::new(CONFIG, SEED_CREDENTIALS);
        // A terraform that leaves a mark when it runs.
        let bin = fx.home().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::fs::write(
            bin.join("terraform"),
            "#!/bin/sh\necho \"$@\" >> \"$HOME/terraform-ran\"\necho TERRAFORM-RAN\n",
        )
        .unwrap();
        std::fs::set_permissions(bin.join("terraform"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let marker = |n: u32| match shell {
            "fish" => (
                format!("echo \"@@\"(math {n} + 0)\"@@[$SWROLE_PROFILE]\"\n"),
                format!("@@{n}@@\\[([a-z-]*)\\]"),
            ),
            _ => (format!("echo \"@@$(({n} + 0))@@[$SWROLE_PROFILE]\"\n"), format!("@@{n}@@\\[([a-z-]*)\\]")),
        };
        let init = match shell {
            "fish" => "swrole init fish | source; ".to_string(),
            _ => format!("eval \"$(swrole init {shell})\"; "),
        };
        let idle = match shell {
            "fish" => "set -gx SWROLE_IDLE 2; ",
            _ => "export SWROLE_IDLE=2; ",
        };
        let alias = match shell {
            "fish" => "alias tf terraform; ",
            _ => "alias tf=terraform; ",
        };
        let step = |send: String, expect: &str, sleep: f64| serde_json::json!({"send": send, "expect": expect, "timeout": 20, "sleep": sleep});
        let (m1, e1) = marker(1);
        let (m2, e2) = marker(2);
        let (m3, e3) = marker(3);
        let (m4, _) = marker(4);
        let steps = vec![
            step(format!("{init}{m1}"), &e1, 0.0),
            // The prompt after the switch: a title naming the account, and the tint.
            step(
                "sw sw-production -t 123456\n".into(),
                "sw-production  (account )?111111111111[\\s\\S]*\x1b\\]2;!! sw-production \\(111111111111\\) !!\x07[\\s\\S]*\x1b\\]11;#301010\x07",
                0.0,
            ),
            step(m2.clone(), &e2, 0.0),
            // A line the guard does not ask about is drawn once: the screen changes only for
            // a question (issue 43, item 1: zsh printed every line twice).
            step(
                if shell == "fish" { "echo drawn-once-(math 2+3)\r" } else { "echo drawn-once-$((2+3))\r" }
                    .into(),
                "drawn-once-5",
                // Typed once the editor is up (typeahead is echoed by the terminal itself).
                0.7,
            ),
            // While the question waits, no process's argv holds the line (any local user
            // can read argv in ps).
            serde_json::json!({
                "send": "terraform apply -auto-approve\r",
                "expect": "run in SW-PRODUCTION \\(111111111111\\)\\? \\(terraform apply\\) \\[y/N\\]",
                "timeout": 20, "sleep": 0.5, "scan": "-auto-approve",
            }),
            step("n".into(), "n\r\n[\\s\\S]*terraform apply -auto-approve", 0.0),
            // The line is still in the editor: Enter asks again; y runs it.
            step("\r".into(), "run in SW-PRODUCTION", 0.3),
            step("y".into(), "TERRAFORM-RAN", 0.0),
            step(
                "aws s3 ls 2>/dev/null; echo listed-$((1+1))\r"
                    .replace("$((1+1))", if shell == "fish" { "(math 1+1)" } else { "$((1+1))" }),
                "listed-2",
                0.0,
            ),
            // Staging is not guarded: the same command runs at once, and the tint goes.
            step(
                "sw sw-staging\n".into(),
                "sw-staging  (account )?210987654321[\\s\\S]*\x1b\\[23;0t\x1b\\]111\x07",
                0.0,
            ),
            step("terraform apply\r".into(), "TERRAFORM-RAN", 0.5),
            // An alias is seen through: `tf apply` asks as `terraform apply` does.
            step(format!("{alias}{m3}"), &e3, 0.0),
            step("sw -\n".to_string(), "sw-production  (account )?111111111111", 0.0),
            step(
                "tf apply\r".into(),
                "run in SW-PRODUCTION \\(111111111111\\)\\? \\(terraform apply\\)",
                0.5,
            ),
            step("n".into(), "n\r\n[\\s\\S]*tf apply", 0.0),
            step("\x15".into(), "", 0.2),
            // An idle limit of 2 s, set on the line of the switch: the first idle period after
            // the switch counts. The line typed then stays in the editor, not run, and one
            // line of its own says why; Enter then runs it without the role.
            step(format!("sw sw-staging; sw -; {idle}\n"), "sw-production  (account )?111111111111", 0.0),
            step(
                m4.clone(),
                "\n(\x1b\\[[0-9;]*[A-Za-z])*swrole: dropped sw-production after 1m without a command; the line did not run",
                3.0,
            ),
            step("\r".into(), "@@4@@\\[\\]", 0.5),
            step("sw -\n".into(), "sw-production  (account )?111111111111", 0.0),
        ];
        let out = Command::new("python3")
            .arg(helper)
            .arg(shell)
            .arg(serde_json::Value::Array(steps).to_string())
            .current_dir(fx.home())
            .env_clear()
            .env("PATH", format!("{}:{}", bin.display(), crate::util::path_with_swrole()))
            .env("HOME", fx.home())
            .env("USER", "tester")
            .env("TERM", "xterm")
            .env("SWROLE_CACHE_STORE", "file")
            .env("XDG_STATE_HOME", fx.home().join("state"))
            .env("AWS_ENDPOINT_URL_STS", moto.url())
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{shell}: {}\n{}", text(&out.stdout), text(&out.stderr)));
        let tty = r["tty"].as_str().unwrap();
        assert!(r["failed"].is_null(), "{shell}: step {} failed:\n{tty}", r["failed"]);
        assert_eq!(r["scans"], serde_json::json!([[]]), "{shell}: the typed line is on no process's argv");
        // On the screen (a terminal emulator reads the stream: a shell may redraw a line in
        // place), the unguarded line is there once.
        let screen = crate::util::screen(tty);
        let typed = if shell == "fish" { "echo drawn-once-(math 2+3)" } else { "echo drawn-once-$((2+3))" };
        assert_eq!(
            screen.lines().filter(|l| l.contains(typed)).count(),
            1,
            "{shell}: the line is on the screen twice:\n{screen}"
        );
        assert!(
            !tty.contains("@@4@@[sw-production]"),
            "{shell}: the line typed after the idle limit never ran in production"
        );
        let ran = std::fs::read_to_string(fx.home().join("terraform-ran")).unwrap();
        assert_eq!(
            ran, "apply -auto-approve\napply\n",
            "{shell}: n ran nothing; y and staging ran once each"
        );
        assert_eq!(
            tty.matches("run in SW-").count(),
            3,
            "{shell}: asked twice in production, once for the alias, never in staging"
        );
        // The record names the shell's terminal.
        let lines = log_lines(&fx);
        assert!(!lines.is_empty(), "{shell}: the switches are recorded");
        assert!(
            lines.iter().all(|l| l["terminal"].as_str().unwrap().starts_with("/dev/pts/")),
            "{shell}: {lines:?}"
        );
    }
}

/// Not a terminal: no escape at all, whatever the profile.
#[test]
fn no_escape_where_stdout_is_not_a_terminal() {
    let Some(moto) = Moto::start() else { return };
    for shell in ["bash", "zsh"] {
        if !crate::util::require(shell) {
            continue;
        }
        let fx = Fixture::new(CONFIG, SEED_CREDENTIALS);
        let script = format!(
            "eval \"$(swrole init {shell})\"; sw sw-production -t 123456 2>/dev/null; __swrole_tint; __swrole_precmd; echo \"[$SWROLE_GUARDED]\""
        );
        let out = in_shell(&fx, &moto, shell, &script)
            .env("TERM", "xterm")
            .env("VTE_VERSION", "7000")
            .output()
            .unwrap();
        let t = text(&out.stdout);
        assert_eq!(t, "[111111111111]\n", "{shell}: {t:?} {}", text(&out.stderr));
    }
}

/// A renewal never escalates. In bash and zsh after `sw sw-production --write --reason R`
/// with the auto-refresh on: the flags kept for renewals hold neither `--write` nor the
/// reason; when the write session ends the shell goes back to read-only (a renewal that
/// carries the session policy, started in the background) and one line says so; `--write`
/// with `--background` is refused. `exec --server --write`: only the first session writes,
/// every renewal is read-only, and the record says so line by line.
#[test]
fn write_access_is_never_renewed() {
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(CONFIG, SEED_CREDENTIALS);
    let refused = run(&fx, &moto, &["sw-production", "--write", "--reason", "INC-1 fix", "--background"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains("--write is never renewed in the background"));
    assert!(refused.stdout.is_empty());
    for shell in ["bash", "zsh", "fish"] {
        if !crate::util::require(shell) {
            continue;
        }
        let fx = Fixture::new(CONFIG, SEED_CREDENTIALS);
        let before = moto.requests().len();
        // The write window ends (its expiry moved to the past); the next command's renewal
        // goes back to read-only.
        let script = if shell == "fish" {
            "swrole init fish | source\n\
             sw sw-production -t 123456 --write --reason 'INC-1 fix' -d 15m 2>/dev/null\n\
             echo \"flags=[$__swrole_flags] access=$SWROLE_ACCESS\"\n\
             set -gx SWROLE_REFRESH_MINUTES 10\n\
             __swrole_refresh; echo \"in the window: $SWROLE_ACCESS\"\n\
             set -gx SWROLE_EXPIRATION (math $SWROLE_EXPIRATION - 901)\n\
             __swrole_refresh\n\
             echo \"after: [$SWROLE_PROFILE] [$SWROLE_ACCESS]\"\n"
                .to_string()
        } else {
            format!(
                "eval \"$(swrole init {shell})\"\n\
                 sw sw-production -t 123456 --write --reason 'INC-1 fix' -d 15m 2>/dev/null\n\
                 echo \"flags=[${{__swrole_flags[*]}}] access=$SWROLE_ACCESS\"\n\
                 export SWROLE_REFRESH_MINUTES=10\n\
                 __swrole_refresh; echo \"in the window: $SWROLE_ACCESS\"\n\
                 SWROLE_EXPIRATION=$((SWROLE_EXPIRATION - 901))\n\
                 __swrole_refresh\n\
                 echo \"after: [${{SWROLE_PROFILE-}}] [${{SWROLE_ACCESS-}}]\"\n"
            )
        };
        let out = in_shell(&fx, &moto, shell, &script).output().unwrap();
        let (o, e) = (text(&out.stdout), text(&out.stderr));
        assert!(
            o.contains("flags=[-d 15m] access=rw\n"),
            "{shell}: neither --write nor the reason is kept: {o}{e}"
        );
        assert!(
            o.contains("in the window: rw\n"),
            "{shell}: nothing renewed inside the write window: {o}{e}"
        );
        assert!(o.contains("after: [] []\n"), "{shell}: {o}{e}");
        assert_eq!(
            e.matches("swrole: write access to sw-production ended: role dropped (sw sw-production switches back, read-only)").count(),
            1,
            "{shell}: {e}"
        );
        // The background renewal: read-only, and nothing else.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let assumes = || {
            moto.requests()[before..]
                .iter()
                .filter(|r| r.form["Action"] == "AssumeRole")
                .map(|r| r.form.clone())
                .collect::<Vec<_>>()
        };
        while assumes().len() < 2 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let a = assumes();
        assert_eq!(a.len(), 2, "{shell}: the switch and one renewal: {a:?}");
        assert!(!a[0].contains_key("PolicyArns.member.1.arn"), "{shell}: the write session");
        assert_eq!(
            a[1]["PolicyArns.member.1.arn"], "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "{shell}: {:?}",
            a[1]
        );
        assert!(!a[1].values().any(|v| v.contains("INC-1")), "{shell}: no reason on a renewal: {:?}", a[1]);
        // Back by hand: read-only from the cache the renewal filled (once it has written
        // it: the write and the read-only session are two entries), no call.
        let entries = || {
            let listed = run(&fx, &moto, &["cache", "list"]);
            text(&listed.stdout).lines().filter(|l| l.starts_with("sw-production\t")).count()
        };
        while entries() < 2 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        // (fish sets USER from the password database: the session is named after that user.)
        let user = if shell == "fish" {
            text(&Command::new("id").arg("-un").output().unwrap().stdout).trim().to_string()
        } else {
            "tester".to_string()
        };
        let mut c = fx.no_terminal(&moto.url());
        c.env("XDG_STATE_HOME", fx.home().join("state")).env("USER", &user);
        let back = c.args(["sw-production", "-d", "15m", "--shell", "bash"]).output().unwrap();
        assert!(back.status.success(), "{}", text(&back.stderr));
        assert!(text(&back.stdout).contains("SWROLE_ACCESS=ro"), "{shell}: {}", text(&back.stdout));
        assert_eq!(
            assumes().len(),
            2,
            "{shell}: from the cache: {:?}\n{}",
            assumes(),
            text(&run(&fx, &moto, &["cache", "list"]).stdout)
        );
        let lines = log_lines(&fx);
        assert_eq!(lines[0]["access"], "rw");
        assert_eq!(lines.last().unwrap()["access"], "ro", "{shell}: {lines:?}");
    }
    // exec --server --write: 15-minute credentials renewed on every request a second apart.
    let fx = Fixture::new(CONFIG, SEED_CREDENTIALS);
    let before = moto.requests().len();
    let job = "import json, os, time, urllib.request\n\
               for _ in range(2):\n\
               \x20   r = urllib.request.Request(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'], headers={'Authorization': os.environ['AWS_CONTAINER_AUTHORIZATION_TOKEN']})\n\
               \x20   json.load(urllib.request.urlopen(r))\n\
               \x20   time.sleep(1.5)\n";
    let out = run(
        &fx,
        &moto,
        &[
            "exec",
            "--server",
            "sw-production",
            "-t",
            "123456",
            "--write",
            "--reason",
            "INC-2 job",
            "-d",
            "15m",
            "--refresh-margin",
            "899",
            "--",
            "python3",
            "-c",
            job,
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let a: Vec<_> = moto.requests()[before..]
        .iter()
        .filter(|r| r.form["Action"] == "AssumeRole")
        .map(|r| r.form.clone())
        .collect();
    assert!(a.len() >= 2, "{a:?}");
    assert!(!a[0].contains_key("PolicyArns.member.1.arn"), "the first session writes");
    assert!(
        a[1..].iter().all(|f| f["PolicyArns.member.1.arn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"),
        "{a:?}"
    );
    let lines = log_lines(&fx);
    assert_eq!(
        (lines[0]["mode"].as_str(), lines[0]["access"].as_str()),
        (Some("server"), Some("rw")),
        "{lines:?}"
    );
    assert!(lines[1..].iter().all(|l| l["mode"] == "renewal" && l["access"] == "ro"), "{lines:?}");
}
