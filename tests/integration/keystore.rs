//! Secrets off the disk: the IAM user's keys in a real Secret Service (gnome-keyring in a
//! dbus-run-session started here) or the real kernel keyring, the cache in the kernel
//! keyring, and `keys import` that changes both files or neither.

use std::process::{Command, Output};

use crate::moto::Moto;
use crate::util::{
    Fixture, SEED_CONFIG, SEED_CREDENTIALS, cache_stores, path_with_swrole, require, swrole_path,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Run a bash `script` in a fresh D-Bus session with gnome-keyring unlocked (its keyring
/// files under the fixture's home), and only `env` from outside.
pub fn in_secret_service(fx: &Fixture, script: &str, env: &[(&str, &str)]) -> Output {
    // A keyring daemon of this test's own: its runtime directory (control socket) and its
    // data directory are the fixture's, never shared with a test running beside it.
    let runtime = fx.home().join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let full = format!(
        "echo -n test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1\n{script}"
    );
    Command::new("dbus-run-session")
        .args(["--", "bash", "-c", &full])
        .current_dir(fx.home())
        .env_clear()
        .env("PATH", path_with_swrole())
        .env("HOME", fx.home())
        .env("USER", "tester")
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("XDG_DATA_HOME", fx.home().join(".local/share"))
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn tools() -> bool {
    ["dbus-run-session", "gnome-keyring-daemon", "aws"].iter().all(|t| require(t))
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let out = Command::new("grep").args(["-rl", "--", needle]).arg(dir).output().unwrap();
    text(&out.stdout).lines().map(str::to_string).collect()
}

/// The seed moved with one command: afterwards no secret of the user is on disk, and
/// `sw-staging`, `sw-production` and the AWS CLI (through the credential_process line)
/// all still work; with the STS endpoint stopped, a cache hit comes from the kernel keyring.
#[test]
fn import_moves_the_seed_keys_off_the_disk() {
    if !tools() || cache_stores().len() < 2 {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let url = moto.url();
    let script = format!(
        r#"set -e
swrole keys import default
swrole sw-staging -t 123456 --shell bash > staging.out
swrole sw-production --shell bash > production.out
echo 123456 | aws --profile sw-staging --region ap-northeast-1 --endpoint-url {url} sts get-caller-identity > cli.json 2>cli.err
swrole explain sw-staging > explain.out
swrole keys list > list.out
"#
    );
    let out = in_secret_service(
        &fx,
        &script,
        &[("AWS_ENDPOINT_URL_STS", &url), ("SWROLE_CACHE_STORE", "keyutils")],
    );
    assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
    let home = fx.home();
    let read = |f: &str| std::fs::read_to_string(home.join(f)).unwrap();
    let creds = read(".aws/credentials");
    assert!(!creds.contains(SECRET) && !creds.contains("aws_access_key_id"), "{creds}");
    let config = read(".aws/config");
    // swrole is on PATH (it resolves to this binary): the line names the command, not a path
    // that breaks when the binary moves.
    let line = "credential_process = swrole credential-process default\n";
    assert!(config.starts_with(&format!("[default]\n{line}region = ap-northeast-1\n")), "{config}");
    assert!(text(&out.stderr).contains("(swrole on PATH is this swrole, "), "{}", text(&out.stderr));
    assert!(read("staging.out").contains("AWS_ACCOUNT_ID=210987654321"));
    assert!(read("production.out").contains("AWS_ACCOUNT_ID=111111111111"));
    let cli: serde_json::Value =
        serde_json::from_str(&read("cli.json")).unwrap_or_else(|_| panic!("{}", read("cli.err")));
    assert_eq!(cli["Account"], "210987654321");
    assert!(
        read("explain.out").contains("read from swrole's key store (secret-service, the default)"),
        "{}",
        read("explain.out")
    );
    assert_eq!(read("list.out"), "default\tsecret-service\tAKIA…0001\n");
    // The MFA session served production; the AWS CLI signed with the stored keys.
    let actions: Vec<String> = moto.requests().iter().map(|r| r.form["Action"].clone()).collect();
    assert_eq!(&actions[..3], ["GetSessionToken", "AssumeRole", "AssumeRole"]);
    // Nothing on disk holds the IAM user's secret or the role's (the files the test
    // wrote itself aside).
    let role_secret = read("staging.out")
        .lines()
        .find_map(|l| l.strip_prefix("\\export AWS_SECRET_ACCESS_KEY="))
        .unwrap()
        .trim_end_matches(';')
        .trim_matches('\'')
        .to_string();
    for f in ["staging.out", "production.out"] {
        std::fs::remove_file(home.join(f)).unwrap();
    }
    assert_eq!(files_containing(home, SECRET), Vec::<String>::new(), "the IAM user's secret is on disk");
    assert_eq!(files_containing(&home.join(".cache"), &role_secret), Vec::<String>::new());
    let cache_files: Vec<String> = std::fs::read_dir(home.join(".cache/swrole"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert!(cache_files.is_empty(), "only lock files in the cache directory: {cache_files:?}");
    // STS stopped, no D-Bus session: a cache hit needs neither.
    drop(moto);
    let hit = Command::new(swrole_path())
        .args(["sw-staging", "--shell", "bash"])
        .env_clear()
        .env("HOME", home)
        .env("USER", "tester")
        .env("SWROLE_CACHE_STORE", "keyutils")
        .env("AWS_ENDPOINT_URL_STS", &url)
        .output()
        .unwrap();
    assert!(hit.status.success(), "{}", text(&hit.stderr));
    assert!(text(&hit.stdout).contains(&role_secret));
}

/// Kernel-keyring cache entries carry a kernel timeout at their expiry, readable by this
/// user only.
#[test]
fn kernel_keyring_entries_expire_in_the_kernel() {
    if cache_stores().len() < 2 {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let out = fx
        .swrole()
        .args(["sw-staging", "-t", "123456", "--shell", "bash"])
        .env("SWROLE_CACHE_STORE", "keyutils")
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = fx.swrole().args(["cache", "list"]).env("SWROLE_CACHE_STORE", "keyutils").output().unwrap();
    let rows = text(&list.stdout);
    assert_eq!(rows.lines().count(), 2, "{rows}");
    // /proc/keys: the namespace of this fixture's cache directory, two entries, each with
    // a timeout (not "perm"), permissions possessor+user only.
    let keys = std::fs::read_to_string("/proc/keys").unwrap();
    let dir = fx.home().join(".cache/swrole").display().to_string();
    let prefix = format!(" swrole:cache-{}:", &swrole::cache::key_name(&serde_json::json!(dir))[..16]);
    let ns: Vec<&str> = keys.lines().filter(|l| l.contains(&prefix)).collect();
    assert_eq!(ns.len(), 2, "{keys}");
    for l in &ns {
        let fields: Vec<&str> = l.split_whitespace().collect();
        assert_ne!(fields[3], "perm", "no timeout: {l}");
        assert!(fields[4].ends_with("0000"), "group/other permissions: {l}");
    }
    fx.swrole().args(["cache", "clear"]).env("SWROLE_CACHE_STORE", "keyutils").assert().success();
    let list = fx.swrole().args(["cache", "list"]).env("SWROLE_CACHE_STORE", "keyutils").output().unwrap();
    assert_eq!(text(&list.stdout), "");
}

/// `keys import` changes both files or neither: whatever fails, they stay byte for byte.
#[test]
fn import_failures_leave_both_files_unchanged() {
    if cache_stores().len() < 2 {
        return;
    }
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 7] = [
        (
            "store unavailable",
            &[("SWROLE_KEY_STORE", "secret-service"), ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")],
            "SWROLE_KEY_STORE=file",
        ),
        ("unknown store", &[("SWROLE_KEY_STORE", "vault")], "is not a store"),
        (
            "store write refused",
            &[("SWROLE_KEY_STORE", "keyutils"), ("SWROLE_TEST_FAULT", "store-write")],
            "refused the write",
        ),
        (
            "read-back mismatch",
            &[("SWROLE_KEY_STORE", "keyutils"), ("SWROLE_TEST_FAULT", "read-back")],
            "gave back other keys",
        ),
        (
            "credentials not writable",
            &[("SWROLE_KEY_STORE", "keyutils"), ("SWROLE_TEST_FAULT", "write-credentials")],
            "could not write",
        ),
        (
            "disk full",
            &[("SWROLE_KEY_STORE", "keyutils"), ("SWROLE_TEST_FAULT", "disk-full")],
            "No space left on device",
        ),
        (
            "second rename fails",
            &[("SWROLE_KEY_STORE", "keyutils"), ("SWROLE_TEST_FAULT", "rename-credentials")],
            "could not replace",
        ),
    ];
    for (label, env, needle) in cases {
        let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
        let before = (
            std::fs::read(fx.config_path()).unwrap(),
            std::fs::read(fx.home().join(".aws/credentials")).unwrap(),
        );
        let out = fx.swrole().args(["keys", "import", "default"]).envs(env.iter().copied()).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{label}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty());
        assert!(text(&out.stderr).contains(needle), "{label}: {}", text(&out.stderr));
        assert!(!text(&out.stderr).contains(SECRET), "{label}: the secret in a message");
        let after = (
            std::fs::read(fx.config_path()).unwrap(),
            std::fs::read(fx.home().join(".aws/credentials")).unwrap(),
        );
        assert!(before == after, "{label}: a file changed");
        let leftovers: Vec<_> =
            std::fs::read_dir(fx.home().join(".aws")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 2, "{label}: temporary files left: {leftovers:?}");
    }
    // A real unwritable directory, where the OS enforces it (not for root).
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        use std::os::unix::fs::PermissionsExt;
        let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
        let aws = fx.home().join(".aws");
        std::fs::set_permissions(&aws, std::fs::Permissions::from_mode(0o500)).unwrap();
        let out = fx
            .swrole()
            .args(["keys", "import", "default"])
            .env("SWROLE_KEY_STORE", "keyutils")
            .output()
            .unwrap();
        std::fs::set_permissions(&aws, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(std::fs::read_to_string(aws.join("credentials")).unwrap().contains(SECRET));
    }
}

/// `keys add` (never from argv), `list`, `remove`, `--keep-file`, and what `doctor` and a
/// switch say about keys in two places or in none.
#[test]
fn keys_add_list_remove_and_doctor() {
    if cache_stores().len() < 2 {
        return;
    }
    for store in ["keyutils", "file"] {
        let fx = Fixture::new("[profile p]\nregion = eu-west-1\n", "");
        let keys = |args: &[&str], stdin: &str| {
            fx.swrole()
                .arg("keys")
                .args(args)
                .env("SWROLE_KEY_STORE", store)
                .write_stdin(stdin.to_string())
                .output()
                .unwrap()
        };
        let bad = keys(&["add", "p", "--stdin"], "AKIA\nsecret\n");
        assert_eq!(bad.status.code(), Some(1), "{store}");
        assert!(text(&bad.stderr).contains("access key id is not one"));
        let out = keys(&["add", "p", "--stdin"], "AKIAADDEDKEY00000042\nadded/secret+value\n");
        assert!(out.status.success(), "{store}: {}", text(&out.stderr));
        assert_eq!(text(&keys(&["list"], "").stdout), format!("p\t{store}\tAKIA…0042\n"));
        // A profile that names swrole's own line: the keys come from the store.
        std::fs::write(
            fx.config_path(),
            format!(
                "[profile p]\nregion = eu-west-1\ncredential_process = {} credential-process p\n",
                swrole_path().display()
            ),
        )
        .unwrap();
        let json =
            fx.swrole().args(["credential-process", "p"]).env("SWROLE_KEY_STORE", store).output().unwrap();
        assert!(json.status.success(), "{store}: {}", text(&json.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(doc["SecretAccessKey"], "added/secret+value");
        // Keys in the credentials file too: they win, and doctor says so.
        std::fs::write(
            fx.home().join(".aws/credentials"),
            "[p]\naws_access_key_id = AKIAFILEKEY000000001\naws_secret_access_key = file-secret\n",
        )
        .unwrap();
        let json =
            fx.swrole().args(["credential-process", "p"]).env("SWROLE_KEY_STORE", store).output().unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(doc["AccessKeyId"], "AKIAFILEKEY000000001");
        let doctor = fx.swrole().arg("doctor").env("SWROLE_KEY_STORE", store).output().unwrap();
        assert!(
            text(&doctor.stdout).contains("holds other keys than the key store"),
            "{store}: {}",
            text(&doctor.stdout)
        );
        let out = keys(&["remove", "p"], "");
        assert!(out.status.success());
        assert_eq!(keys(&["remove", "p"], "").status.code(), Some(1));
        assert_eq!(text(&keys(&["list"], "").stdout), "");
        std::fs::write(fx.home().join(".aws/credentials"), "").unwrap();
        let none =
            fx.swrole().args(["p", "--shell", "bash"]).env("SWROLE_KEY_STORE", store).output().unwrap();
        assert_eq!(none.status.code(), Some(1));
        assert!(text(&none.stderr).contains("run `swrole keys add p`"), "{}", text(&none.stderr));
        // doctor says so once per stored profile, however many profiles stand on it.
        let config = std::fs::read_to_string(fx.config_path()).unwrap()
            + "[profile q]\nsource_profile = p\nrole_arn = arn:aws:iam::111111111111:role/q\n";
        std::fs::write(fx.config_path(), config).unwrap();
        let doctor = fx.swrole().arg("doctor").env("SWROLE_KEY_STORE", store).output().unwrap();
        assert_eq!(
            text(&doctor.stdout).matches("which holds none for it").count(),
            1,
            "{}",
            text(&doctor.stdout)
        );
    }
    // --keep-file: both files as they were, the store holds a copy.
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let before = std::fs::read(fx.home().join(".aws/credentials")).unwrap();
    fx.swrole()
        .args(["keys", "import", "default", "--keep-file"])
        .env("SWROLE_KEY_STORE", "keyutils")
        .assert()
        .success();
    assert_eq!(std::fs::read(fx.home().join(".aws/credentials")).unwrap(), before);
    let list = fx.swrole().args(["keys", "list"]).env("SWROLE_KEY_STORE", "keyutils").output().unwrap();
    assert_eq!(text(&list.stdout), "default\tkeyutils\tAKIA…0001\n");
    let doctor = fx.swrole().arg("doctor").env("SWROLE_KEY_STORE", "keyutils").output().unwrap();
    assert!(
        text(&doctor.stdout).contains("still holds the keys of profile \"default\""),
        "{}",
        text(&doctor.stdout)
    );
    fx.swrole().args(["keys", "remove", "default"]).env("SWROLE_KEY_STORE", "keyutils").assert().success();
}

/// A chosen store that cannot be used is an error that names it and the other stores;
/// keys never move to a weaker store unasked.
#[test]
fn an_unavailable_key_store_is_an_error_not_a_downgrade() {
    let fx = Fixture::new("", "");
    let out = fx
        .swrole()
        .args(["keys", "list"])
        .env("SWROLE_KEY_STORE", "secret-service")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("the secret-service key store (chosen by SWROLE_KEY_STORE) cannot be used"),
        "{err}"
    );
    assert!(err.contains("no Secret Service answers on the D-Bus session"), "{err}");
    assert!(err.contains("start it: gnome-keyring-daemon --start --components=secrets"), "{err}");
    assert!(err.contains("SWROLE_KEY_STORE=file"), "{err}");
    assert!(
        !err.contains("keyutils"),
        "a store that forgets at reboot is not offered for long-term keys: {err}"
    );
    assert!(!err.contains("DBus error") && err.lines().count() <= 3, "short, no raw D-Bus error: {err}");
    // With no D-Bus session at all (an SSH login): the command that starts one.
    let out = fx
        .swrole()
        .args(["keys", "list"])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("SWROLE_KEY_STORE")
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "the secret-service key store (the default) cannot be used: there is no D-Bus session here"
        ) && err.contains("start it: dbus-run-session -- $SHELL"),
        "{err}"
    );
    let out = fx.swrole().args(["keys", "list"]).env("SWROLE_KEY_STORE", "keychain").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("keychain"), "{}", text(&out.stderr));
    // The cache store may fall back to files, and says so.
    let fx = Fixture::new(
        "[profile p]\nsource_profile = b\nrole_arn = arn:aws:iam::123456789012:role/r\n[profile b]\naws_access_key_id = AKIAFILEKEY000000001\naws_secret_access_key = s\n",
        "",
    );
    let out = fx.swrole().args(["cache", "list"]).env("SWROLE_CACHE_STORE", "keychain").output().unwrap();
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("SWROLE_CACHE_STORE") && text(&out.stderr).contains("using files"),
        "{}",
        text(&out.stderr)
    );
}

/// Hardening round 3, item 7 (and day one round 2, item 14): `keys import` writes the
/// command the user can rely on, and says which: plain `swrole` when `swrole` on PATH is
/// this binary (through a symlink, as Homebrew installs it), the full path when it is not
/// on PATH at all.
#[test]
fn import_writes_the_command_on_path_and_says_which() {
    if !require("keyctl") {
        return;
    }
    let run = |path: &str| {
        let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
        let out = fx
            .swrole()
            .args(["keys", "import", "default"])
            .env("SWROLE_KEY_STORE", "keyutils")
            .env("PATH", path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let config = std::fs::read_to_string(fx.config_path()).unwrap();
        let line = config.lines().find(|l| l.starts_with("credential_process")).unwrap().to_string();
        fx.swrole()
            .args(["keys", "remove", "default"])
            .env("SWROLE_KEY_STORE", "keyutils")
            .assert()
            .success();
        (line, text(&out.stderr))
    };
    let linked = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(swrole_path(), linked.path().join("swrole")).unwrap();
    let (line, said) = run(&format!("{}:/usr/bin:/bin", linked.path().display()));
    assert_eq!(line, "credential_process = swrole credential-process default");
    assert!(
        said.contains(
            "now says credential_process = swrole credential-process default (swrole on PATH is this swrole"
        ),
        "{said}"
    );
    let (line, said) = run("/usr/bin:/bin");
    assert_eq!(line, format!("credential_process = {} credential-process default", swrole_path().display()));
    assert!(said.contains("swrole is not on PATH: its full path is written"), "{said}");
    // Another swrole first on PATH: that one will run, and the message says so.
    let other = tempfile::tempdir().unwrap();
    let impostor = other.path().join("swrole");
    std::fs::write(&impostor, "#!/bin/sh\nexit 1\n").unwrap();
    std::fs::set_permissions(&impostor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (line, said) = run(&format!("{}:/usr/bin:/bin", other.path().display()));
    assert_eq!(line, "credential_process = swrole credential-process default");
    assert!(said.contains(&format!("swrole on PATH is {}, not this one (", impostor.display())), "{said}");
}

/// Hardening round 3, items 3–6 and 10: `keys import/add/remove` lose nothing and leave
/// nothing behind, whatever links the files are, wherever the keys are written, however
/// the file is laid out, and however many run at once. All with the kernel keyring.
mod round3 {
    use super::*;

    const A: &str = "AKIAAAAAAAAAAAAAAAAA";
    const B: &str = "AKIABBBBBBBBBBBBBBBB";

    fn import(fx: &Fixture, profile: &str) -> Output {
        fx.swrole().args(["keys", "import", profile]).env("SWROLE_KEY_STORE", "keyutils").output().unwrap()
    }

    fn stored(fx: &Fixture) -> String {
        text(&fx.swrole().args(["keys", "list"]).env("SWROLE_KEY_STORE", "keyutils").output().unwrap().stdout)
    }

    fn forget(fx: &Fixture, profile: &str) {
        let _ = fx.swrole().args(["keys", "remove", profile]).env("SWROLE_KEY_STORE", "keyutils").output();
    }

    /// Item 3a: the files are links into a dotfiles repository: the real files are edited,
    /// the links stay, and no copy of the secret is left behind.
    #[test]
    fn import_follows_links_to_the_real_files() {
        if !require("keyctl") {
            return;
        }
        let fx = Fixture::new("", "");
        let dotfiles = fx.home().join("dotfiles");
        std::fs::create_dir(&dotfiles).unwrap();
        std::fs::write(dotfiles.join("config"), "[default]\nregion = eu-west-1\n").unwrap();
        std::fs::write(
            dotfiles.join("credentials"),
            format!("[default]\naws_access_key_id = {A}\naws_secret_access_key = secretA\n"),
        )
        .unwrap();
        for f in ["config", "credentials"] {
            std::fs::remove_file(fx.home().join(".aws").join(f)).unwrap();
            std::os::unix::fs::symlink(dotfiles.join(f), fx.home().join(".aws").join(f)).unwrap();
        }
        let out = import(&fx, "default");
        assert!(out.status.success(), "{}", text(&out.stderr));
        for f in ["config", "credentials"] {
            assert!(
                std::fs::symlink_metadata(fx.home().join(".aws").join(f)).unwrap().file_type().is_symlink(),
                "{f} is still a link"
            );
        }
        assert!(files_containing(fx.home(), "secretA").is_empty(), "a copy of the secret is left");
        assert!(std::fs::read_to_string(dotfiles.join("config")).unwrap().contains("credential_process = "));
        assert!(
            text(&out.stderr).contains(&format!("(-> {})", dotfiles.join("credentials").display())),
            "{}",
            text(&out.stderr)
        );
        forget(&fx, "default");
    }

    /// Item 3b: the same keys in the config file as well: removed from both files, and the
    /// profile then resolves to the store, not to keys left in plain text.
    #[test]
    fn import_removes_the_keys_from_both_files() {
        if !require("keyctl") {
            return;
        }
        let keys = format!("aws_access_key_id = {A}\naws_secret_access_key = secretA\n");
        let fx = Fixture::new(
            &format!("[profile user]\nregion = x\n{keys}[default]\nregion = y\n"),
            &format!("[user]\n{keys}"),
        );
        let out = import(&fx, "user");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(files_containing(fx.home(), "secretA").is_empty(), "a key is left in a file");
        let explain = text(
            &fx.swrole()
                .args(["explain", "user"])
                .env("SWROLE_KEY_STORE", "keyutils")
                .output()
                .unwrap()
                .stdout,
        );
        assert!(explain.contains("swrole's key store"), "{explain}");
        // Keys only in the config file are found there too.
        let fx = Fixture::new(&format!("[profile solo]\n{keys}"), "");
        let out = import(&fx, "solo");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(files_containing(fx.home(), "secretA").is_empty());
        forget(&fx, "user");
        forget(&fx, "solo");
    }

    /// Item 6: an indented `[a]` inside a value of `[b]` is part of that value (the parser's
    /// reading): importing `a` removes a's keys and never b's.
    #[test]
    fn import_removes_exactly_the_lines_the_parser_gives_the_profile() {
        if !require("keyctl") {
            return;
        }
        let creds = format!(
            "[b]\nnote = x\n  [a]\naws_access_key_id = {B}\naws_secret_access_key = secretB\n\
             [a]\naws_access_key_id = {A}\naws_secret_access_key = secretA\n"
        );
        let fx = Fixture::new("", &creds);
        let out = import(&fx, "a");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let after = std::fs::read_to_string(fx.home().join(".aws/credentials")).unwrap();
        assert!(
            after.contains(&format!("aws_access_key_id = {B}\naws_secret_access_key = secretB\n")),
            "b's keys: {after}"
        );
        assert!(!after.contains("secretA"), "{after}");
        forget(&fx, "a");
    }

    /// Item 4: imports of two profiles over one credentials file, at once, many times:
    /// both end with their keys in the store and their line in the config, none in a file.
    #[test]
    fn concurrent_imports_lose_no_edit() {
        if !require("keyctl") {
            return;
        }
        for run in 0..10 {
            let fx = Fixture::new(
                "",
                &format!(
                    "[a]\naws_access_key_id = {A}\naws_secret_access_key = secretA\n\
                     [b]\naws_access_key_id = {B}\naws_secret_access_key = secretB\n"
                ),
            );
            let (a, b) = std::thread::scope(|s| {
                let a = s.spawn(|| import(&fx, "a"));
                let b = s.spawn(|| import(&fx, "b"));
                (a.join().unwrap(), b.join().unwrap())
            });
            assert!(
                a.status.success() && b.status.success(),
                "run {run}: {} {}",
                text(&a.stderr),
                text(&b.stderr)
            );
            let config = std::fs::read_to_string(fx.config_path()).unwrap();
            for p in ["a", "b"] {
                assert!(config.contains(&format!("credential-process {p}\n")), "run {run}: {config}");
            }
            assert!(files_containing(fx.home(), "secret").is_empty(), "run {run}");
            let list = stored(&fx);
            assert!(list.contains("a\tkeyutils") && list.contains("b\tkeyutils"), "run {run}: {list}");
            forget(&fx, "a");
            forget(&fx, "b");
        }
    }

    /// Item 5: two `keys add --stdin` at once never leave the store empty, and a read-back
    /// that differs puts the previous keys back instead of deleting them.
    #[test]
    fn keys_add_never_deletes_what_it_replaces() {
        if !require("keyctl") {
            return;
        }
        let fx = Fixture::new("", "");
        let add = |id: &str| {
            fx.swrole()
                .args(["keys", "add", "user", "--stdin"])
                .env("SWROLE_KEY_STORE", "keyutils")
                .write_stdin(format!("{id}\nsecret-of-{id}\n"))
                .output()
                .unwrap()
        };
        for run in 0..10 {
            let (x, y) = std::thread::scope(|s| {
                let x = s.spawn(|| add(A));
                let y = s.spawn(|| add(B));
                (x.join().unwrap(), y.join().unwrap())
            });
            assert!(
                x.status.success() && y.status.success(),
                "run {run}: {} {}",
                text(&x.stderr),
                text(&y.stderr)
            );
            let list = stored(&fx);
            assert!(list.contains("user\tkeyutils\tAKIA"), "run {run}: the store is empty: {list}");
        }
        // A read-back that differs: the keys held before are put back.
        let before = stored(&fx);
        let out = fx
            .swrole()
            .args(["keys", "add", "user", "--stdin"])
            .env("SWROLE_KEY_STORE", "keyutils")
            .env("SWROLE_TEST_FAULT", "read-back")
            .write_stdin("AKIACCCCCCCCCCCCCCCC\nsecretC\n")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out.stderr).contains("the keys it held before are back"), "{}", text(&out.stderr));
        assert_eq!(stored(&fx), before, "the previous keys are in the store");
        forget(&fx, "user");
    }

    /// Item 10: an item name from the store (another program can write one) is escaped on
    /// its way to the terminal.
    /// A user keyring crowded with other programs' keys (1,100 here; a test machine's held
    /// 1,035 after interrupted runs, and the list came back empty): swrole still finds,
    /// lists and removes its own.
    #[test]
    fn a_crowded_user_keyring_still_lists_and_removes_swroles_keys() {
        if !require("keyctl") {
            return;
        }
        let tag = format!("swrole-test-crowd-{}-", std::process::id());
        struct Purge(String);
        impl Drop for Purge {
            fn drop(&mut self) {
                let _ = std::process::Command::new("keyctl").args(["purge", "-p", "user", &self.0]).output();
            }
        }
        let _purge = Purge(tag.clone());
        let fill = std::process::Command::new("sh")
            .args([
                "-c",
                &format!("for i in $(seq 1100); do keyctl add user {tag}$i x @u >/dev/null || exit 1; done"),
            ])
            .output()
            .unwrap();
        assert!(fill.status.success(), "{}", text(&fill.stderr));
        let fx =
            Fixture::new("", &format!("[a]\naws_access_key_id = {A}\naws_secret_access_key = secretA\n"));
        let out = import(&fx, "a");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(stored(&fx), "a\tkeyutils\tAKIA…AAAA\n");
        let removed =
            fx.swrole().args(["keys", "remove", "a"]).env("SWROLE_KEY_STORE", "keyutils").output().unwrap();
        assert!(removed.status.success(), "{}", text(&removed.stderr));
        assert_eq!(stored(&fx), "");
    }

    #[test]
    fn keys_list_escapes_item_names() {
        let fx = Fixture::new("", "");
        let dir = fx.home().join(".local/share/swrole/keys");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        for d in
            [fx.home().join(".local/share/swrole"), fx.home().join(".local/share"), fx.home().join(".local")]
        {
            std::fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        }
        let file = dir.join("evil%1B%5D0%3Bpwned%07.json");
        std::fs::write(&file, format!("{{\"aws_access_key_id\":\"{A}\",\"aws_secret_access_key\":\"s\"}}"))
            .unwrap();
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let out = fx.swrole().args(["keys", "list"]).env("SWROLE_KEY_STORE", "file").output().unwrap();
        let list = text(&out.stdout);
        assert!(list.starts_with("evil"), "{list} {}", text(&out.stderr));
        assert!(
            !list.contains('\u{1b}') && !list.contains('\u{7}'),
            "an escape reached the terminal: {list:?}"
        );
    }
}

/// Issue 43, item 6: keys stored in the store SWROLE_KEY_STORE chose (what the D-Bus error
/// tells an SSH or container user to set) are found later without the variable: `keys
/// import` and `setup` record the store with the profile (`swrole_key_store = file`); a
/// profile whose keys sit in the file store without the record gets a doctor error that
/// says where they are and what to set. Here there is no D-Bus session, as over SSH.
#[test]
fn the_store_the_keys_went_to_is_found_again_without_the_variable() {
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let import =
        fx.swrole().args(["keys", "import", "default"]).env("SWROLE_KEY_STORE", "file").output().unwrap();
    assert!(import.status.success(), "{}", text(&import.stderr));
    let config = std::fs::read_to_string(fx.home().join(".aws/config")).unwrap();
    assert!(
        config.starts_with(
            "[default]\nswrole_key_store = file\ncredential_process = swrole credential-process default\n"
        ) || config.contains("swrole_key_store = file\n"),
        "{config}"
    );
    // No variable now: a switch of the base, and the AWS CLI's credential_process, work.
    let out = fx.swrole().args(["default", "--shell", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["AccessKeyId"], "AKIASEEDUSERKEY00001");
    let out = fx.swrole().args(["credential-process", "default"]).output().unwrap();
    assert!(out.status.success() && text(&out.stdout).contains("\"Version\": 1"), "{}", text(&out.stderr));
    let explain = text(&fx.swrole().args(["explain", "sw-staging"]).output().unwrap().stdout);
    assert!(explain.contains("swrole's key store (file, swrole_key_store at "), "{explain}");
    let doctor = fx.swrole().arg("doctor").output().unwrap();
    assert!(!text(&doctor.stdout).contains("key-store"), "{}", text(&doctor.stdout));
    // Without the record (stored before swrole wrote it): doctor says where the keys are.
    let bare: String =
        config.lines().filter(|l| !l.starts_with("swrole_key_store")).map(|l| format!("{l}\n")).collect();
    std::fs::write(fx.home().join(".aws/config"), &bare).unwrap();
    let doctor = text(&fx.swrole().arg("doctor").output().unwrap().stdout);
    assert!(
        doctor
            .contains("the file store holds the keys of profile \"default\": add `swrole_key_store = file`"),
        "{doctor}"
    );
    // A record that names no store is refused, naming the file and line.
    std::fs::write(
        fx.home().join(".aws/config"),
        bare.replacen("[default]\n", "[default]\nswrole_key_store = vault\n", 1),
    )
    .unwrap();
    let out = fx.swrole().args(["default", "--shell", "json"]).output().unwrap();
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(text(&out.stderr).contains("config:2"), "{}", text(&out.stderr));
}
