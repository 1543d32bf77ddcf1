//! The hostile cases of the threat model (docs in README "Hardening"), grouped by kind.
//! Each case has one outcome, checked here:
//! - round trip: the value reaches the shell literally (read back byte for byte after
//!   `eval` in bash, zsh, dash and fish, nothing executed);
//! - rejected: exit status 1, empty stdout, a clear message (control characters escaped);
//! - documented: a defined behaviour the README states.
//!
//! Every group prints its tally (`hostile: GROUP: N cases: ...`).

use std::process::Command;

use crate::util::{Fixture, parse_env0, pipe_into, require};

#[derive(Default)]
struct Tally {
    round_trip: usize,
    rejected: usize,
    documented: usize,
}

impl Tally {
    fn print(&self, group: &str) {
        let n = self.round_trip + self.rejected + self.documented;
        println!(
            "hostile: {group}: {n} cases: {} round-trip, {} rejected, {} documented",
            self.round_trip, self.rejected, self.documented
        );
    }
}

/// Run swrole; on failure check the contract and return stderr.
fn rejected(cmd: &mut assert_cmd::Command, needle: &str) -> String {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "expected a rejection containing {needle:?}: {stderr}");
    assert!(out.stdout.is_empty(), "stdout must be empty on failure");
    assert!(stderr.contains(needle), "expected {needle:?} in: {stderr}");
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\r'),
        "raw control characters on the terminal: {stderr:?}"
    );
    stderr
}

/// Evaluate swrole's output for `profile` in each real shell, in an empty directory, and
/// return the variable `var` as each shell holds it afterwards.
fn eval_everywhere(fx: &Fixture, profile: &str, var: &str, env: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut got = Vec::new();
    for (shell, flag, script) in [
        ("bash", "bash", "set -euo pipefail; shopt -s failglob; eval \"$(cat)\"; env -0"),
        ("zsh", "zsh", "set -euo pipefail; eval \"$(cat)\"; env -0"),
        ("dash", "posix", "set -eu; eval \"$(cat)\"; env -0"),
        ("fish", "fish", "source; env -0"),
    ] {
        if !require(shell) {
            continue;
        }
        let out =
            fx.swrole().args(["--shell", flag, "--", profile]).envs(env.iter().copied()).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        let work = tempfile::tempdir().unwrap();
        let result = pipe_into(shell, &["-c", script], &out.stdout, fx.home(), work.path(), &[]);
        assert!(
            result.status.success() && result.stderr.is_empty(),
            "{shell}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        assert_eq!(std::fs::read_dir(work.path()).unwrap().count(), 0, "{shell}: a command ran");
        let env = parse_env0(&result.stdout);
        got.push((shell.to_string(), env.get(var).cloned().unwrap_or_default()));
    }
    got
}

/// security.md §3.1: payloads in the config values that can reach stdout.
const PAYLOADS: &[&str] = &[
    "us-east-1;touch${IFS}pwned",
    "us-east-1; touch pwned",
    "$(touch${IFS}pwned)",
    "`touch${IFS}pwned`",
    "'",
    "'\\''",
    "\"",
    "\\",
    "\\'",
    "$HOME",
    "${HOME}",
    "$'\\x41'",
    "!",
    "%s%n",
    "a#x",
    "*",
    "?",
    "[a-z]",
    "{a,b}",
    "~",
    "us-east-1\n  ;touch pwned",
    "a\rb",
    "a\u{b}b",
    "a\u{c}b",
    "\u{1b}[2J",
    "\u{1b}]52;c;aGk=\u{7}",
    "a\0b",
    "a\u{202e}b\u{200b}",
    "\"us-east-1\"",
];

/// Whether a payload, written as a static secret key, is printed (and so must round-trip)
/// or refused before output: spaces, quotes and control characters are refused.
fn printable_secret(p: &str) -> bool {
    !p.contains([' ', '"', '\'']) && !p.chars().any(char::is_control)
}

#[test]
fn config_values_that_reach_stdout() {
    let mut tally = Tally::default();
    for payload in PAYLOADS {
        // As a region: never a region name, so always refused.
        let fx = Fixture::new(
            &format!("[profile p]\nregion = {payload}\n"),
            "[p]\naws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = s\n",
        );
        let stderr = rejected(fx.swrole().args(["--shell", "bash", "p"]), "is not a region name");
        if payload.starts_with('"') {
            assert!(stderr.contains("keeps quotes"), "a hint for quoted values: {stderr}");
        }
        tally.rejected += 1;

        // As a static secret key, printed directly when no role is involved.
        let fx = Fixture::new(
            "",
            &format!("[p]\naws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = {payload}\n"),
        );
        if printable_secret(payload) {
            for (shell, value) in eval_everywhere(&fx, "p", "AWS_SECRET_ACCESS_KEY", &[]) {
                assert_eq!(value, *payload, "{shell}");
            }
            tally.round_trip += 1;
        } else {
            rejected(
                fx.swrole().args(["--shell", "bash", "p"]),
                "contains spaces, quotes or control characters",
            );
            tally.rejected += 1;
        }
    }
    // A 1 MiB value: refused without a quadratic blow-up.
    let big = "A".repeat(1 << 20);
    let fx = Fixture::new(
        "",
        &format!("[p]\naws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = {big}\n"),
    );
    rejected(fx.swrole().args(["--shell", "bash", "p"]), "longer than 1024 bytes");
    let fx = Fixture::new("", &format!("[p]\naws_access_key_id = {big}\naws_secret_access_key = s\n"));
    rejected(fx.swrole().args(["--shell", "bash", "p"]), "is not an access key id");
    tally.rejected += 2;
    tally.print("config values reaching stdout");
}

#[test]
fn profile_names_and_selection() {
    let mut tally = Tally::default();
    let keys = "aws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = s\n";
    let config = format!(
        "[profile my profile]\n{keys}[profile \"quoted\"]\n{keys}[profile -x]\n{keys}[profile a/../../b]\n{keys}\
         [profile %2e%2e]\n{keys}[profile a:b@c]\n{keys}[profile Default]\nregion = eu-west-1\n{keys}\
         [profile default]\nregion = us-east-2\n{keys}[profile via-dash]\nsource_profile = -x\nrole_arn = arn:aws:iam::123456789012:role/r\n\
         [profile bidi\u{202e}x]\n{keys}"
    );
    let fx = Fixture::new(&config, &format!("[profile only-here]\n{keys}"));
    // Names with a space or quotes: ignored, and the error says why.
    let err = rejected(fx.swrole().args(["--", "my profile"]), "not found");
    assert!(err.contains("profile names cannot contain spaces or quotes"), "{err}");
    rejected(fx.swrole().arg("\"quoted\""), "not found");
    tally.documented += 2;
    // An option-looking name: a usage error on argv, reachable after `--`.
    let out = fx.swrole().arg("-x").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    tally.rejected += 1;
    for name in ["-x", "a/../../b", "%2e%2e", "a:b@c"] {
        let out = fx.swrole().args(["--shell", "bash", "--", name]).assert().success();
        assert!(
            String::from_utf8_lossy(&out.get_output().stdout).contains(&format!("SWROLE_PROFILE='{name}';"))
                || String::from_utf8_lossy(&out.get_output().stdout)
                    .contains(&format!("SWROLE_PROFILE={name};\n"))
        );
        tally.round_trip += 1;
    }
    // Case matters: Default and default are two profiles.
    let upper = fx.swrole().args(["--shell", "bash", "Default"]).assert().success();
    assert!(String::from_utf8_lossy(&upper.get_output().stdout).contains("AWS_REGION=eu-west-1"));
    let lower = fx.swrole().args(["--shell", "bash", "default"]).assert().success();
    assert!(String::from_utf8_lossy(&lower.get_output().stdout).contains("AWS_REGION=us-east-2"));
    tally.documented += 1;
    // A `[profile x]` section in the credentials file is ignored, with a note.
    let err = rejected(fx.swrole().arg("only-here"), "not found");
    assert!(err.contains("credentials-file profiles are written [NAME]"), "{err}");
    tally.documented += 1;
    // Bidi controls are not identifier characters: the section is ignored, never printed raw.
    let err = rejected(fx.swrole().arg("bidi\u{202e}x"), "not found");
    assert!(!err.contains('\u{202e}'), "{err:?}");
    tally.documented += 1;
    // AWS_PROFILE never selects a profile and is cleared by a switch, whatever it holds.
    let out = fx
        .swrole()
        .args(["--shell", "bash", "Default"])
        .env("AWS_PROFILE", "$(touch pwned)")
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).starts_with("\\unset AWS_PROFILE;\n"));
    tally.documented += 1;
    // Cache file names are hashes: a path-like profile name writes nothing outside.
    let cache_dir = fx.home().join(".cache");
    let _ = fx
        .swrole()
        .args(["--shell", "bash", "via-dash"])
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("SWROLE_CONNECT_TIMEOUT", "1")
        .output();
    // The switch took its cache lock before calling STS: there is something to look at.
    let written = walk(&cache_dir);
    assert!(written.iter().any(|p| p.extension().is_some_and(|e| e == "lock")), "{written:?}");
    for e in written {
        let name = e.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name == "swrole" || name.split('.').next().unwrap().len() == 64, "{name}");
    }
    tally.documented += 1;
    tally.print("profile names and selection");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn chain_resolution() {
    let mut tally = Tally::default();
    let keys = "aws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = s\n";
    let role = |n: &str| format!("role_arn = arn:aws:iam::123456789012:role/{n}\n");
    let dead = [("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"), ("AWS_MAX_ATTEMPTS", "1")];
    // A 10,000-profile linear chain: refused at once, with no STS call.
    let mut config = String::new();
    for i in 0..10_000 {
        config.push_str(&format!("[profile p{i}]\nsource_profile = p{}\n{}", i + 1, role("r")));
    }
    config.push_str(&format!("[profile p10000]\n{keys}"));
    let fx = Fixture::new(&config, "");
    let started = std::time::Instant::now();
    rejected(fx.swrole().arg("p0").envs(dead), "longer than 32 profiles");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    tally.rejected += 1;

    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!(
                "[profile a]\nsource_profile = b\n{}[profile b]\nsource_profile = a\n{}",
                role("a"),
                role("b")
            ),
            "a",
            "a -> b -> a",
        ),
        (
            format!(
                "[profile a]\nsource_profile = b\n{}[profile b]\nsource_profile = c\n{}[profile c]\nsource_profile = a\n{}",
                role("a"),
                role("b"),
                role("c")
            ),
            "a",
            "a -> b -> c -> a",
        ),
        (format!("[profile a]\nsource_profile = a\n{}", role("a")), "a", "a -> a"),
        (
            format!(
                "[profile a]\nsource_profile = b\n{}[profile b]\nsource_profile = c\ncredential_source = Environment\n{}[profile c]\n{keys}",
                role("a"),
                role("b")
            ),
            "a",
            "contained both source_profile and credential_source",
        ),
        (format!("[profile a]\ncredential_source = environment\n{}", role("a")), "a", "is not valid"),
        // The spec reads an indented line after an empty value as a sub-property.
        (
            format!("[profile a]\ncredential_source =\n  Environment\n{}", role("a")),
            "a",
            "expected an '=' sign defining a sub-property",
        ),
        (format!("[profile a]\ncredential_source = Environ\tment\n{}", role("a")), "a", "is not valid"),
        (format!("[profile a]\ncredential_source = Environment\u{a0}\n{}", role("a")), "a", "is not valid"),
    ];
    for (config, profile, needle) in &cases {
        let fx = Fixture::new(config, "");
        rejected(fx.swrole().arg(profile).envs(dead), needle);
        tally.rejected += 1;
    }
    for duration in ["3600abc", "-1", "0", "899", "43201", "1e3", "0x10", "99999999999999999999", "", "3600;"]
    {
        let fx = Fixture::new(
            &format!(
                "[profile a]\nsource_profile = b\nduration_seconds = {duration}\n{}[profile b]\n{keys}",
                role("a")
            ),
            "",
        );
        rejected(fx.swrole().arg("a").envs(dead), "duration_seconds of profile \"a\"");
        tally.rejected += 1;
    }
    let long_name = "n".repeat(65);
    for name in ["x", long_name.as_str(), "has space", "a/b", "naïve"] {
        let fx = Fixture::new(
            &format!(
                "[profile a]\nsource_profile = b\nrole_session_name = {name}\n{}[profile b]\n{keys}",
                role("a")
            ),
            "",
        );
        rejected(fx.swrole().arg("a").envs(dead), "role_session_name of profile \"a\" is not valid");
        tally.rejected += 1;
    }
    for (key, value) in [
        ("external_id", "x"),
        ("external_id", "has space"),
        ("mfa_serial", "short"),
        ("mfa_serial", "arn:aws:iam::1:mfa/a b"),
    ] {
        let fx = Fixture::new(
            &format!("[profile a]\nsource_profile = b\n{key} = {value}\n{}[profile b]\n{keys}", role("a")),
            "",
        );
        rejected(fx.swrole().arg("a").envs(dead), &format!("{key} of profile \"a\" is not valid"));
        tally.rejected += 1;
    }
    for code in ["12345", "1234567", "12a456", "12345 ", "\u{a0}123456", "１２３４５６"] {
        let fx = Fixture::new(
            &format!(
                "[profile a]\nsource_profile = b\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n{}[profile b]\n{keys}",
                role("a")
            ),
            "",
        );
        rejected(fx.swrole().args(["a", "--token-code", code]).envs(dead), "the MFA code must be 6 digits");
        tally.rejected += 1;
    }
    // credential_source = Environment chains from the calling shell's credentials (an
    // earlier switch's, then): documented, and checked in cli.rs for the missing case.
    tally.documented += 1;
    tally.print("chain resolution");
}

#[test]
fn files_and_paths() {
    let mut tally = Tally::default();
    let fx = Fixture::new("", "");
    let home = fx.home().to_path_buf();
    let keys = "aws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = s\n";
    let with_config = |path: &std::path::Path, needle: &str| {
        rejected(
            fx.swrole().arg("a").env("AWS_CONFIG_FILE", path).timeout(std::time::Duration::from_secs(10)),
            needle,
        )
    };
    // Not regular files: refused without reading (a FIFO would block, /dev/zero never ends).
    let fifo = home.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let socket = home.join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    for path in [home.clone(), fifo, socket, "/dev/zero".into(), "/dev/urandom".into()] {
        with_config(&path, "not a regular file");
        tally.rejected += 1;
    }
    // A 100 MB file (sparse): refused by size, not read.
    let big = home.join("big");
    std::fs::File::create(&big).unwrap().set_len(100 << 20).unwrap();
    with_config(&big, "larger than 16 MiB");
    tally.rejected += 1;
    // Links: a loop and a dangling link are errors, not empty files.
    let looped = home.join("loop");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    with_config(&looped, "could not read");
    let dangling = home.join("dangling");
    std::os::unix::fs::symlink(home.join("nothing-here"), &dangling).unwrap();
    with_config(&dangling, "a symbolic link to a file that does not exist");
    tally.rejected += 2;
    // Bytes: not UTF-8 is an error with the line; a byte-order mark is dropped.
    let latin1 = home.join("latin1");
    std::fs::write(&latin1, b"[profile a]\n# caf\xe9\n").unwrap();
    with_config(&latin1, ":2: not valid UTF-8");
    tally.rejected += 1;
    let bom = home.join("bom");
    std::fs::write(&bom, format!("\u{feff}[profile a]\n{keys}")).unwrap();
    fx.swrole().args(["a", "--shell", "bash"]).env("AWS_CONFIG_FILE", &bom).assert().success();
    tally.documented += 1;
    // Line endings and layout.
    for (name, text, ok) in [
        ("crlf", format!("[profile a]\r\n{}", keys.replace('\n', "\r\n")), true),
        ("no final newline", format!("[profile a]\n{}", keys.trim_end()), true),
        ("tabs", format!("[profile\ta]\n{}", keys.replace(" = ", "\t=\t")), true),
        ("cr only", format!("[profile a]\r{}", keys.replace('\n', "\r")), false),
        ("indented first key", format!("[profile a]\n  {keys}"), false),
    ] {
        let path = home.join(name.replace(' ', "-"));
        std::fs::write(&path, text).unwrap();
        let out = fx.swrole().args(["a", "--shell", "bash"]).env("AWS_CONFIG_FILE", &path).output().unwrap();
        assert_eq!(out.status.success(), ok, "{name}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.stdout.is_empty(), !ok, "{name}");
        if ok { tally.documented += 1 } else { tally.rejected += 1 }
    }
    // Paths: a newline in the path works; `$HOME` and `~user` are not expanded; `~/` is.
    let odd = home.join("odd\nname");
    std::fs::write(&odd, format!("[profile a]\n{keys}")).unwrap();
    fx.swrole().args(["a", "--shell", "bash"]).env("AWS_CONFIG_FILE", &odd).assert().success();
    std::fs::write(home.join("tilde"), format!("[profile a]\n{keys}")).unwrap();
    fx.swrole().args(["a", "--shell", "bash"]).env("AWS_CONFIG_FILE", "~/tilde").assert().success();
    for literal in ["$HOME/tilde", "~root/tilde"] {
        rejected(fx.swrole().arg("a").env("AWS_CONFIG_FILE", literal), "not found");
    }
    // An empty variable is unset: the default path is used.
    std::fs::write(home.join(".aws/config"), format!("[profile a]\n{keys}")).unwrap();
    fx.swrole().args(["a", "--shell", "bash"]).env("AWS_CONFIG_FILE", "").assert().success();
    tally.documented += 5;
    // No files at all: a clean "not found".
    let empty = Fixture::new("", "");
    std::fs::remove_file(empty.home().join(".aws/config")).unwrap();
    std::fs::remove_file(empty.home().join(".aws/credentials")).unwrap();
    let err = rejected(empty.swrole().arg("a"), "not found");
    assert!(err.contains("no profiles are defined"), "{err}");
    tally.rejected += 1;
    tally.print("files and paths");
}

#[test]
fn cache_entries_planted_or_damaged() {
    let mut tally = Tally::default();
    let fx = Fixture::new(
        "[profile r]\nsource_profile = b\nrole_arn = arn:aws:iam::123456789012:role/r\n[profile b]\n\
         aws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = s\n",
        "",
    );
    let dir = fx.home().join(".cache/swrole");
    let dead = [
        ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"),
        ("AWS_MAX_ATTEMPTS", "1"),
        ("SWROLE_CONNECT_TIMEOUT", "1"),
    ];
    // Find the entry's name the way swrole does: run once against a dead endpoint (no
    // entry is written), then plant entries under every name `explain` would look up.
    let name = entry_name(&fx);
    let plant = |secret: &str, expiration: i64, extra: &str| {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let entry = serde_json::json!({
            "format": 2, "kind": "role", "key": name, "profile": "r", "role_arn": "arn:aws:iam::123456789012:role/r", "access_key_id": "ASIAPLANTEDKEY000001",
            "secret_access_key": secret, "session_token": "tok", "expiration": expiration, "arn": null, "account_id": null,
        });
        let mut text = entry.to_string();
        text.insert_str(text.len() - 1, extra);
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    };
    let later =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 + 3600;
    // Shell metacharacters in a planted secret: quoted like any value.
    plant("$(touch${IFS}pwned)`id`'", later, "");
    for (shell, value) in eval_everywhere(&fx, "r", "AWS_SECRET_ACCESS_KEY", &dead) {
        assert_eq!(value, "$(touch${IFS}pwned)`id`'", "{shell}");
    }
    tally.round_trip += 1;
    // Control characters: refused, then fetched anew (here: the dead endpoint's error).
    plant("line\nexport PWNED=1", later, "");
    let err = rejected(fx.swrole().arg("r").envs(dead), "could not reach STS");
    assert!(err.contains("holds malformed credentials: not used"), "{err}");
    tally.rejected += 1;
    // Expired, or within the margin: a miss.
    for expiration in [later - 7200, later - 3600 + 300] {
        plant("s", expiration, "");
        rejected(fx.swrole().arg("r").envs(dead), "could not reach STS");
        tally.rejected += 1;
    }
    // Unknown extra fields: still an entry.
    plant("s", later, ",\"note\":\"from a newer swrole\"");
    fx.swrole().args(["r", "--shell", "bash"]).envs(dead).assert().success();
    tally.documented += 1;
    // Huge: a miss (not read past 64 KiB).
    plant(&"x".repeat(100_000), later, "");
    rejected(fx.swrole().arg("r").envs(dead), "could not reach STS");
    tally.rejected += 1;
    // A world-writable (sticky) cache directory: not used.
    plant("s", later, "");
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o1777)).unwrap();
    let err = rejected(fx.swrole().arg("r").envs(dead), "could not reach STS");
    assert!(err.contains("can be read or written by group or others"), "{err}");
    tally.rejected += 1;
    // No HOME and no XDG_CACHE_HOME: no cache, no crash (AWS_CONFIG_FILE names the file).
    let out = fx
        .swrole()
        .args(["r", "--shell", "bash"])
        .env_remove("HOME")
        .env("AWS_CONFIG_FILE", fx.config_path())
        .env("AWS_SHARED_CREDENTIALS_FILE", fx.home().join(".aws/credentials"))
        .envs(dead)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not reach STS"));
    tally.documented += 1;
    tally.print("cache entries planted or damaged");
}

/// The cache file name `explain` and a switch use for profile `r` (the only .json file
/// after a successful switch, computed here without one: from the library).
fn entry_name(fx: &Fixture) -> String {
    let env = swrole::env::Env::from_pairs([
        ("HOME", fx.home().to_str().unwrap()),
        ("USER", "tester"),
        ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"),
    ]);
    let files = swrole::switch::Files::load(&env).unwrap();
    let plan = files.plan(&env, "r", &swrole::options::Options::default()).unwrap();
    let source = swrole::switch::source_identity(&plan.base, &files.set, &env);
    swrole::switch::role_key(&plan, &source)
}

/// Every command swrole has, verbose where it can be, on failures and successes: none of
/// what it writes (stderr, stdout of non-secret commands, its cache listing) holds the
/// source secret or a session secret.
#[test]
fn secrets_never_leak_into_messages() {
    let mut tally = Tally::default();
    let secret = "SuPeRsEcReT0123456789abcdefghijklmnopqrs";
    let fx = Fixture::new(
        "[profile r]\nsource_profile = b\nrole_arn = arn:aws:iam::123456789012:role/r\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n",
        &format!(
            "[b]\naws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = {secret}\naws_session_token = {secret}TOKEN\n"
        ),
    );
    let dead = [
        ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"),
        ("AWS_MAX_ATTEMPTS", "1"),
        ("SWROLE_CONNECT_TIMEOUT", "1"),
    ];
    let runs: Vec<Vec<&str>> = vec![
        vec!["r", "-v", "-t", "123456"],
        vec!["r", "-v"],
        vec!["b", "-v", "--print", "--shell", "json"],
        vec!["explain", "r"],
        vec!["explain", "b"],
        vec!["doctor"],
        vec!["doctor", "--json"],
        vec!["cache", "list"],
        vec!["list", "--long"],
        vec!["exec", "r", "-v", "-t", "123456", "--", "true"],
        vec!["credential-process", "r", "-t", "123456"],
    ];
    // What each command must have reached: the code it is meant to test (so that a
    // command that fails early cannot pass for one that handled the secret).
    let reached = [
        "could not assume",
        "needs an MFA code",
        "\"SecretAccessKey\"",
        "sw-staging",
        "the static keys of profile \"b\"",
        "holds secret keys",
        "\"findings\"",
        "",
        "PROFILE",
        "could not assume",
        "could not assume",
    ];
    for (args, needle) in runs.iter().zip(reached) {
        let out = fx.swrole().args(args).envs(dead).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let all = format!("{}{stderr}", String::from_utf8_lossy(&out.stdout));
        let needle = if needle == "sw-staging" { "r: 1 role" } else { needle };
        assert!(all.contains(needle), "{args:?} did not reach what it tests ({needle:?}): {all}");
        assert!(!stderr.contains(secret), "{args:?} stderr: {stderr}");
        // Only the commands that print credentials on purpose may have them on stdout.
        if args[0] != "b" {
            assert!(!String::from_utf8_lossy(&out.stdout).contains(secret), "{args:?} stdout");
        }
        tally.documented += 1;
    }
    tally.print("secrets in messages");
}
