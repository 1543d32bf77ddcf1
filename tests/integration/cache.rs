//! The credential cache against moto: hits without STS, MFA sessions across profiles,
//! margins, refusals of unsafe files, concurrency.

use std::collections::BTreeSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::moto::{Moto, seed};
use crate::util::{Fixture, SEED_CONFIG, SEED_CREDENTIALS, swrole_path};

const NO_MFA: &str = "[profile ci]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/ci\n\
                      [profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = base-secret\n";

fn cache_dir(fx: &Fixture) -> PathBuf {
    fx.home().join(".cache/swrole")
}

fn entries(fx: &Fixture) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cache_dir(fx))
        .map(|d| {
            d.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn key_id(out: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    text.lines()
        .find_map(|l| l.strip_prefix("\\export AWS_ACCESS_KEY_ID=").map(|v| v.trim_end_matches(';')))
        .expect("an access key")
        .to_string()
}

fn switch(fx: &Fixture, moto_url: &str, args: &[&str]) -> std::process::Output {
    fx.swrole().args(args).args(["--shell", "bash"]).env("AWS_ENDPOINT_URL_STS", moto_url).output().unwrap()
}

#[test]
fn a_cache_hit_needs_no_sts() {
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(NO_MFA, "");
    let first = switch(&fx, &moto.url(), &["ci"]);
    assert!(first.status.success());
    let url = moto.url();
    drop(moto);
    let second = switch(&fx, &url, &["ci", "-v"]);
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert_eq!(key_id(&first.stdout), key_id(&second.stdout));
    assert!(String::from_utf8_lossy(&second.stderr).contains("credentials from the cache"));
    // With the cache off, the stopped endpoint shows.
    let third = switch(&fx, &url, &["ci", "--no-cache", "--connect-timeout", "1"]);
    assert_eq!(third.status.code(), Some(1));
}

#[test]
fn margin_and_refresh_are_honoured() {
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(NO_MFA, "");
    let url = moto.url();
    let a = key_id(&switch(&fx, &url, &["ci"]).stdout);
    assert_eq!(key_id(&switch(&fx, &url, &["ci"]).stdout), a, "fresh: from the cache");
    assert_eq!(moto.requests().len(), 1);
    // moto's sessions last an hour: a 61-minute margin would renew them at every call, so
    // it is clamped to half the session, said on stderr, and the entry is still fresh.
    let clamped = switch(&fx, &url, &["ci", "--refresh-margin", "61m"]);
    assert!(
        String::from_utf8_lossy(&clamped.stderr)
            .contains("not shorter than the role's 60 min session: using 30 min"),
        "{}",
        String::from_utf8_lossy(&clamped.stderr)
    );
    assert_eq!(key_id(&clamped.stdout), a);
    assert_eq!(moto.requests().len(), 1, "no STS call for a clamped margin");
    let b = key_id(&switch(&fx, &url, &["ci", "--refresh"]).stdout);
    assert_ne!(a, b);
    assert_eq!(moto.requests().len(), 2);
    let c = key_id(&switch(&fx, &url, &["ci", "--refresh"]).stdout);
    assert_ne!(b, c);
    assert_eq!(key_id(&switch(&fx, &url, &["ci"]).stdout), c, "--refresh wrote the new credentials");
    let d = switch(&fx, &url, &["ci", "--no-cache"]);
    assert_ne!(key_id(&d.stdout), c);
    assert_eq!(key_id(&switch(&fx, &url, &["ci"]).stdout), c, "--no-cache wrote nothing");
    assert_eq!(moto.requests().len(), 4);
}

#[test]
fn a_long_role_session_falls_back_to_a_fresh_code() {
    let Some(moto) = Moto::start() else { return };
    let config = format!("{SEED_CONFIG}duration_seconds = 7200\n");
    let fx = Fixture::new(&config, SEED_CREDENTIALS);
    let out = switch(&fx, &moto.url(), &["sw-production", "-t", "123456"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("more than the hour STS allows a role assumed from an MFA session"), "{stderr}");
    let r = moto.requests();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].form["Action"], "AssumeRole");
    assert_eq!(r[0].form["TokenCode"], "123456");
    assert_eq!(r[0].form["DurationSeconds"], "7200");
}

#[test]
fn files_and_directories_are_private_whatever_the_umask() {
    let Some(moto) = Moto::start() else { return };
    let (fx, _) = seed(&moto);
    let script = format!("umask 000; exec '{}' sw-staging -t 123456 --shell bash", swrole_path().display());
    let out = Command::new("sh")
        .args(["-c", &script])
        .env_clear()
        .env("HOME", fx.home())
        .env("SWROLE_CACHE_STORE", "file")
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::metadata(cache_dir(&fx)).unwrap().mode() & 0o777, 0o700);
    let files: Vec<PathBuf> = std::fs::read_dir(cache_dir(&fx)).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(entries(&fx).len(), 2, "the MFA session and the role: {files:?}");
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        let stem = name.split('.').next().unwrap();
        assert!(stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit()), "hashed names only: {name}");
        assert_eq!(std::fs::metadata(f).unwrap().mode() & 0o777, 0o600, "{name}");
    }
}

/// Run `tamper` on the role entry, then switch again: the entry must not be used (one more
/// STS call), with `warning` on stderr when given.
fn refused_after(tamper: impl Fn(&Path), warning: Option<&str>) {
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(NO_MFA, "");
    assert!(switch(&fx, &moto.url(), &["ci"]).status.success());
    let entry = entries(&fx).pop().unwrap();
    tamper(&entry);
    let out = switch(&fx, &moto.url(), &["ci"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    match warning {
        Some(w) => assert!(stderr.contains(w), "expected {w:?}: {stderr}"),
        None => assert!(stderr.is_empty(), "{stderr}"),
    }
    assert_eq!(moto.requests().len(), 2, "the entry was not used");
}

#[test]
fn group_readable_entry_is_refused() {
    refused_after(
        |p| std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap(),
        Some("can be read or written by group or others"),
    );
}

#[test]
fn symlinked_entry_is_refused_and_its_target_untouched() {
    let target = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(target.path(), "not yours").unwrap();
    let t = target.path().to_path_buf();
    refused_after(
        move |p| {
            std::fs::remove_file(p).unwrap();
            std::os::unix::fs::symlink(&t, p).unwrap();
        },
        Some("is a symbolic link"),
    );
    assert_eq!(std::fs::read_to_string(target.path()).unwrap(), "not yours");
}

#[test]
fn corrupt_or_truncated_entry_is_a_quiet_miss() {
    refused_after(
        |p| {
            std::fs::write(p, "{\"format\":1,\"kind\":\"role\",\"profile\":\"ci\",\"access_key_id\":")
                .unwrap()
        },
        None,
    );
    refused_after(|p| std::fs::write(p, b"\x00\xff garbage").unwrap(), None);
}

#[test]
fn entry_owned_by_another_user_is_refused() {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        // Only root can give a file away. CI runs as root; where the tools are required,
        // not running it is a failure, never a silent pass.
        if std::env::var("SWROLE_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("the other-owner case needs root to give a file away (SWROLE_REQUIRE_TOOLS=1)");
        }
        eprintln!("skipping: other-owner case needs root");
        return;
    }
    refused_after(
        |p| std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap(),
        Some("is owned by another user"),
    );
}

#[test]
fn an_open_cache_directory_is_not_used() {
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(NO_MFA, "");
    std::fs::create_dir_all(cache_dir(&fx)).unwrap();
    std::fs::set_permissions(cache_dir(&fx), std::fs::Permissions::from_mode(0o755)).unwrap();
    for _ in 0..2 {
        let out = switch(&fx, &moto.url(), &["ci"]);
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("can be read or written by group or others"));
    }
    assert!(entries(&fx).is_empty(), "nothing written into an open directory");
    assert_eq!(moto.requests().len(), 2);
}

#[test]
fn a_cache_that_cannot_be_written_still_switches() {
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(NO_MFA, "");
    let file = fx.home().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let out = fx
        .swrole()
        .args(["ci", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .env("XDG_CACHE_HOME", &file)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("export AWS_ACCESS_KEY_ID="));
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: the credentials were not cached"));
}

/// 20 terminals switching at once: one STS call (one MFA session and one role for an MFA
/// profile), the same credentials everywhere, no torn file; with each cache store.
#[test]
fn twenty_parallel_switches_make_one_call() {
    let Some(moto) = Moto::start() else { return };
    for store in crate::util::cache_stores() {
        for (config, credentials, args, calls) in [
            (NO_MFA, "", &["ci"][..], &["AssumeRole"][..]),
            (
                SEED_CONFIG,
                SEED_CREDENTIALS,
                &["sw-staging", "-t", "123456"][..],
                &["GetSessionToken", "AssumeRole"][..],
            ),
        ] {
            let before = moto.requests().len();
            let fx = Fixture::new(config, credentials);
            let children: Vec<_> = (0..20)
                .map(|_| {
                    Command::new(swrole_path())
                        .args(args)
                        .args(["--shell", "bash"])
                        .env_clear()
                        .env("HOME", fx.home())
                        .env("SWROLE_CACHE_STORE", store)
                        .env("AWS_ENDPOINT_URL_STS", moto.url())
                        .stdout(Stdio::piped())
                        .stderr(Stdio::piped())
                        .spawn()
                        .unwrap()
                })
                .collect();
            let keys: BTreeSet<String> = children
                .into_iter()
                .map(|c| {
                    let out = c.wait_with_output().unwrap();
                    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                    key_id(&out.stdout)
                })
                .collect();
            assert_eq!(keys.len(), 1, "everyone got the same credentials");
            let made: Vec<String> =
                moto.requests()[before..].iter().map(|r| r.form["Action"].clone()).collect();
            println!("20 parallel switches of {:?} ({store} cache): {} STS calls", args[0], made.len());
            assert_eq!(made, calls, "{store}");
            for e in entries(&fx) {
                let text = std::fs::read_to_string(&e).unwrap();
                serde_json::from_str::<serde_json::Value>(&text).expect("a whole entry");
            }
        }
    }
}

#[test]
fn list_and_clear() {
    let Some(moto) = Moto::start() else { return };
    for store in crate::util::cache_stores() {
        let (fx, swrole) = seed(&moto);
        swrole()
            .args(["sw-staging", "-t", "123456", "--shell", "bash"])
            .env("SWROLE_CACHE_STORE", store)
            .assert()
            .success();
        swrole()
            .args(["sw-production", "--shell", "bash"])
            .env("SWROLE_CACHE_STORE", store)
            .assert()
            .success();
        let count = || {
            let out = fx.swrole().args(["cache", "list"]).env("SWROLE_CACHE_STORE", store).assert().success();
            String::from_utf8_lossy(&out.get_output().stdout).lines().count()
        };
        let out = fx.swrole().args(["cache", "list"]).env("SWROLE_CACHE_STORE", store).assert().success();
        let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
        let names: Vec<(&str, &str)> = rows.iter().map(|r| (r[0], r[1])).collect();
        assert_eq!(names, [("default", "mfa-session"), ("sw-production", "role"), ("sw-staging", "role")]);
        assert!(rows.iter().all(|r| r[2].ends_with('Z') && r[3].ends_with('m')), "{text}");
        // What each entry is: the device and the profiles an MFA session covers; the
        // session name and length of role credentials.
        // And the endpoint they came from, when one was configured (here moto's).
        let endpoint = format!("endpoint {}", moto.url());
        assert_eq!(
            rows[0][4],
            format!("device your.mail@example.com, covers sw-production sw-staging, {endpoint}"),
            "{text}"
        );
        assert_eq!(rows[1][4], format!("session tester, 3600 s, {endpoint}"), "{text}");
        assert!(rows[0][3].starts_with("12h00m") || rows[0][3].starts_with("11h59m"), "{text}");
        for secret in ["ASIA", "AKIA", "wJalr"] {
            assert!(!text.contains(secret), "{text}");
        }
        let said = |args: &[&str]| {
            let out = fx.swrole().args(args).env("SWROLE_CACHE_STORE", store).assert().success();
            String::from_utf8_lossy(&out.get_output().stderr).into_owned()
        };
        assert!(said(&["cache", "clear", "sw-staging"]).starts_with("swrole: removed 1 cache entry from "));
        assert_eq!(count(), 2, "{store}");
        assert!(said(&["cache", "clear"]).starts_with("swrole: removed 2 cache entries from "));
        assert_eq!(count(), 0, "{store}");
        assert!(entries(&fx).is_empty());
    }
}

/// A cache hit builds no SDK client, starts no runtime and loads no TLS roots: under
/// strace it opens no socket and no CA-store file (a cold switch opens both).
#[test]
fn a_cache_hit_opens_no_socket_and_no_ca_store() {
    if !crate::util::require("strace") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(NO_MFA, "");
    let trace = fx.home().join("trace");
    let run = |args: &[&str]| {
        let out = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=openat,socket,connect", "-o"])
            .arg(&trace)
            .arg(swrole_path())
            .args(args)
            .args(["--shell", "bash"])
            .env_clear()
            .env("HOME", fx.home())
            .env("AWS_ENDPOINT_URL_STS", moto.url())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(&trace).unwrap();
        let sockets = text.lines().filter(|l| l.contains("socket(")).count();
        let ca = text
            .lines()
            .filter(|l| l.contains("/etc/ssl") || l.contains("certs") || l.contains(".pem"))
            .count();
        (sockets, ca)
    };
    let (cold_sockets, _) = run(&["ci"]);
    assert!(cold_sockets > 0, "the cold switch talks to STS");
    assert_eq!(run(&["ci"]), (0, 0), "the cache hit");
}

/// Entries are replaced, never written in place: a rewrite makes a new file (a new inode,
/// renamed over the old one), so a reader sees the old entry or the new one, never half;
/// no temporary file is left behind.
#[test]
fn entries_are_replaced_atomically() {
    use std::os::unix::fs::MetadataExt;
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(NO_MFA, "");
    assert!(switch(&fx, &moto.url(), &["ci"]).status.success());
    let entry = entries(&fx).pop().unwrap();
    let first = std::fs::metadata(&entry).unwrap().ino();
    assert!(switch(&fx, &moto.url(), &["ci", "--refresh"]).status.success());
    let second = std::fs::metadata(&entry).unwrap().ino();
    assert_ne!(first, second, "the entry was rewritten in place");
    let leftovers: Vec<_> = std::fs::read_dir(cache_dir(&fx))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A cache entry bigger than 64 KiB is not read, even when it is a valid entry (here:
/// padded with JSON whitespace); a FIFO planted as an entry does not hang the switch; a
/// lock file that is a symlink is not followed (its target is never created).
#[test]
fn planted_entries_cannot_stall_or_redirect_the_cache() {
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(NO_MFA, "");
    assert!(switch(&fx, &moto.url(), &["ci"]).status.success());
    let entry = entries(&fx).pop().unwrap();
    let text = std::fs::read_to_string(&entry).unwrap();
    let calls = moto.requests().len();
    // The same, valid entry, padded past 64 KiB: a miss, so STS is called.
    let padded = format!("{}{}}}", &text[..text.len() - 1], " ".repeat(70 * 1024));
    std::fs::write(&entry, &padded).unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&padded).is_ok(), "still a valid entry");
    assert!(switch(&fx, &moto.url(), &["ci"]).status.success());
    assert_eq!(moto.requests().len(), calls + 1, "an entry over 64 KiB is not read");
    // A FIFO: no hang (nothing ever writes to it).
    std::fs::remove_file(&entry).unwrap();
    let status = Command::new("mkfifo").arg(&entry).status().unwrap();
    assert!(status.success());
    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o600)).unwrap();
    let start = std::time::Instant::now();
    let out = switch(&fx, &moto.url(), &["ci"]);
    assert!(start.elapsed() < std::time::Duration::from_secs(10), "a FIFO stalled the switch");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a regular file"));
    std::fs::remove_file(&entry).unwrap();
    // A lock file that is a symlink: refused, its target untouched.
    let lock = entry.with_extension("lock");
    let _ = std::fs::remove_file(&lock);
    let target = fx.home().join("elsewhere");
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    let out = switch(&fx, &moto.url(), &["ci", "--refresh"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!target.exists(), "the lock's symlink was followed");
    assert!(std::fs::symlink_metadata(&lock).unwrap().file_type().is_symlink());
}
