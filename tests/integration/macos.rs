//! What only macOS can run: the Keychain store, against the temporary keychain the macOS
//! CI job makes (`security create-keychain`, set as the default, removed after). On Linux
//! this module is empty; the code is type-checked here by the aarch64-apple-darwin clippy.

#[cfg(target_os = "macos")]
#[test]
fn the_keychain_store_keeps_the_keys_and_a_switch_reads_them() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    use crate::moto::Moto;
    use crate::util::{Fixture, SEED_CONFIG};

    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(SEED_CONFIG, "");
    let profile = format!("swrole-ci-{}", std::process::id());
    let run = |args: &[&str]| {
        let mut c = Command::new(crate::util::swrole_path());
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", fx.home())
            .env("USER", "tester")
            .env("SWROLE_KEY_STORE", "keychain")
            .env("SWROLE_CACHE_STORE", "file")
            .env("AWS_ENDPOINT_URL_STS", moto.url());
        c
    };
    let mut add = run(&["keys", "add", &profile, "--stdin"]).stdin(Stdio::piped()).spawn().unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"AKIASEEDUSERKEY00001\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
        .unwrap();
    assert!(add.wait().unwrap().success());
    let list = run(&["keys", "list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains(&format!("{profile}\tkeychain\tAKIA…0001")));
    let removed = run(&["keys", "remove", &profile]).output().unwrap();
    assert!(removed.status.success(), "{}", String::from_utf8_lossy(&removed.stderr));
}
