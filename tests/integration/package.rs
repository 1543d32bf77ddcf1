//! What a newcomer and a packager get: the crate's file list, the man page, the completion
//! files, the version with its commit, and the two scripts the README starts with.

use std::process::Command;

use crate::util::{Fixture, require, swrole_path};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `cargo package --list`: everything the tests and `init` need is in the crate, and
/// nothing else (no virtual environment, no build output, no CI or benchmark files).
#[test]
fn the_crate_holds_what_it_needs_and_nothing_else() {
    let out = Command::new(env!("CARGO"))
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&out.stdout);
    let files: Vec<&str> = list.lines().collect();
    for must in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "ARCHITECTURE.md",
        "SECURITY.md",
        "CONTRIBUTING.md",
        "docs/guide.md",
        "docs/reference.md",
        "LICENSE",
        "build.rs",
        "src/main.rs",
        "src/cmd/switch.rs",
        "shell/core.sh",
        "shell/swrole.bash",
        "shell/swrole.zsh",
        "shell/swrole.fish",
        "shell/swrole.ps1",
        "shell/swrole.nu",
        "contrib/seed/config",
        "contrib/seed/credentials",
        "tests/integration/main.rs",
        "tests/support/pty_run.py",
        "tests/conformance/SOURCES.md",
        "tests/conformance/smithy-rs/LICENSE",
        "tests/conformance/botocore/LICENSE.txt",
        "tests/conformance/botocore/NOTICE",
        "tests/conformance/aws-sdk-kotlin/LICENSE",
        "tests/conformance/aws-sdk-go-v1/LICENSE.txt",
    ] {
        assert!(files.contains(&must), "{must} is not in the crate:\n{list}");
    }
    for f in &files {
        assert!(
            !f.starts_with(".venv")
                && !f.starts_with("bench/")
                && !f.starts_with("target/")
                && !f.starts_with(".ci/"),
            "{f} should not be in the crate"
        );
    }
    assert!(files.len() < 400, "{} files", files.len());
}

#[test]
fn man_page_completions_and_version() {
    let fx = Fixture::new("", "");
    let out = fx.swrole().arg("man").assert().success();
    let man = text(&out.get_output().stdout);
    assert!(
        man.starts_with(".ie \\n(.g .ds Aq") || man.contains(".TH swrole 1"),
        "{}",
        &man[..200.min(man.len())]
    );
    for word in ["console", "keys", "AWS_CONFIG_FILE", "\\-\\-token\\-code"] {
        assert!(man.contains(word), "the man page lacks {word}");
    }
    if require("man") {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("swrole.1"), &man).unwrap();
        let out = Command::new("man")
            .arg(dir.path().join("swrole.1"))
            .env("MANPAGER", "cat")
            .env("COLUMNS", "80")
            .output()
            .unwrap();
        assert!(text(&out.stdout).contains("swrole"), "man renders it: {}", text(&out.stderr));
    }
    for (shell, runner, check) in [
        ("bash", "bash", "complete -p swrole"),
        ("zsh", "zsh", "true"),
        ("fish", "fish", "complete -c swrole | count"),
    ] {
        let out = fx.swrole().args(["completions", shell]).assert().success();
        let script = text(&out.get_output().stdout);
        assert!(script.contains("swrole"), "{shell}");
        if shell != "zsh" && require(runner) {
            let full = format!("{script}\n{check}");
            let args: Vec<&str> = match runner {
                "fish" => vec!["--no-config", "-c", &full],
                _ => vec!["--norc", "-c", &full],
            };
            let out = Command::new(runner).args(&args).output().unwrap();
            assert!(out.status.success() && out.stderr.is_empty(), "{shell}: {}", text(&out.stderr));
        }
    }
    let out = fx.swrole().arg("--version").assert().success();
    let version = text(&out.get_output().stdout);
    let want = format!("swrole {} (", env!("CARGO_PKG_VERSION"));
    assert!(version.starts_with(&want) && version.trim_end().ends_with(')'), "{version}");
    let commit = version.trim_end().rsplit('(').next().unwrap().trim_end_matches(')');
    assert!(
        commit == "unknown" || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{commit}"
    );
}

/// The README's first screen is the front door: install, the `sw` line, the first switch,
/// and the two scripts a newcomer copies (which exist and are runnable); the README stays
/// short, and what moved out of it is linked.
#[test]
fn the_readme_front_door_has_install_first_switch_sw_and_the_scripts() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let top: String = readme.lines().take(50).collect::<Vec<_>>().join("\n");
    for must in [
        "cargo install",
        "swrole init",
        "sw sw-staging",
        "sw -",
        "sw off",
        "scripts/try-it.sh",
        "scripts/test.sh",
    ] {
        assert!(top.contains(must), "the README's first 50 lines lack {must}:\n{top}");
    }
    assert!(readme.lines().count() <= 250, "the README is a front door: at most 250 lines");
    for doc in [
        "docs/guide.md",
        "docs/secrets.md",
        "docs/long-jobs.md",
        "docs/troubleshooting.md",
        "docs/reference.md",
        "SECURITY.md",
        "CONTRIBUTING.md",
        "ARCHITECTURE.md",
    ] {
        assert!(readme.contains(&format!("]({doc})")), "the README does not link {doc}");
        assert!(root.join(doc).is_file(), "{doc}");
    }
    for script in ["scripts/try-it.sh", "scripts/test.sh", "scripts/test-tools.sh"] {
        let meta = std::fs::metadata(root.join(script)).unwrap();
        assert!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0,
            "{script} is executable"
        );
        let out = Command::new("bash").arg("-n").arg(root.join(script)).output().unwrap();
        assert!(out.status.success(), "{script}: {}", text(&out.stderr));
    }
    // On this machine every test tool is there: the tools script installs nothing.
    if std::env::var("SWROLE_REQUIRE_TOOLS").as_deref() == Ok("1") {
        let out = Command::new(root.join("scripts/test-tools.sh")).arg("--check").output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
}

/// Day one round 2, item 5: the man page renders without a warning at 80 columns, answers
/// what the README answers about sw, the prompt and the cache, and `swrole man --install`
/// puts it where `man swrole` finds it (beside the directory swrole is run from on PATH).
#[test]
fn the_man_page_has_its_sections_and_installs_where_man_finds_it() {
    if !require("man") {
        return;
    }
    let fx = Fixture::new("", "");
    let page = fx.swrole().arg("man").assert().success().get_output().stdout.clone();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("swrole.1");
    std::fs::write(&file, &page).unwrap();
    let out =
        Command::new("man").args(["--warnings", "-l"]).arg(&file).env("MANWIDTH", "80").output().unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    for section in swrole::cmd::man::SECTIONS {
        assert!(shown.lines().any(|l| l == section), "no {section} section:\n{shown}");
    }
    for words in [
        "sw -",
        "SWROLE_REFRESH_MINUTES",
        "SWROLE_PROMPT",
        "swrole cache list",
        "MFA session",
        "~/.aws/config",
    ] {
        let flat = shown.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(words), "{words}: {flat}");
    }
    assert!(shown.lines().all(|l| l.chars().count() <= 80), "80 columns");
    // --install: beside the binary's directory, found by man through PATH alone.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::hard_link(swrole_path(), bin.join("swrole")).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let out =
        Command::new(bin.join("swrole")).args(["man", "--install"]).env("PATH", &path).output().unwrap();
    assert!(out.status.success() && out.stdout.is_empty(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("`man swrole` finds it"), "{}", text(&out.stderr));
    let installed = dir.path().join("share/man/man1/swrole.1").canonicalize().unwrap();
    assert_eq!(std::fs::read(&installed).unwrap(), page);
    let out =
        Command::new("man").args(["-w", "swrole"]).env_remove("MANPATH").env("PATH", &path).output().unwrap();
    assert_eq!(text(&out.stdout).trim(), installed.display().to_string(), "{}", text(&out.stderr));
    // Run from a directory not on PATH: written, and said that man will not look there.
    let out = Command::new(bin.join("swrole"))
        .args(["man", "--install"])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!("{} is not on PATH, so man will not look there", bin.display())),
        "{}",
        text(&out.stderr)
    );
    // The examples are shown as typed: each command on a line of its own, unfilled.
    assert!(shown.lines().any(|l| l.trim() == "eval \"$(swrole init bash)\"     # ~/.bashrc"), "{shown}");
}
