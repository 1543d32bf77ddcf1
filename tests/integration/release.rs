//! Release packaging, as far as it can be proven here: scripts/release.sh packs the binary
//! under test into a tarball with everything a user needs, scripts/formula.sh renders the
//! Homebrew formula from real tarballs (checked with `ruby -c`), the changelog and the
//! version agree, and the workflows exist for CI and release.

use std::path::Path;
use std::process::Command;

use crate::util::{require, swrole_path};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The binary under test without its debug information (a release is stripped too; the
/// debug build is 180 MB, and packing it would time gzip, not the script).
fn stripped() -> std::path::PathBuf {
    static ONCE: std::sync::OnceLock<(tempfile::TempDir, std::path::PathBuf)> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("swrole");
        let out = Command::new("strip").arg("-o").arg(&path).arg(swrole_path()).output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        (dir, path)
    })
    .1
    .clone()
}

fn pack(target: &str, out: &Path) -> String {
    let run = Command::new(repo().join("scripts/release.sh"))
        .args(["--binary", stripped().to_str().unwrap(), target, out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    text(&run.stdout).trim().to_string()
}

#[test]
fn a_tarball_holds_the_binary_man_page_completions_and_shell_files() {
    if !require("tar") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let tarball = pack("x86_64-unknown-linux-musl", out.path());
    let name = format!("swrole-{version}-x86_64-unknown-linux-musl");
    assert_eq!(tarball, out.path().join(format!("{name}.tar.gz")).display().to_string());
    let list = Command::new("tar").args(["-tzvf", &tarball]).output().unwrap();
    let listing = text(&list.stdout);
    let mut names: Vec<&str> = listing.lines().map(|l| l.rsplit(' ').next().unwrap()).collect();
    names.sort_unstable();
    let want = [
        "",
        "/CHANGELOG.md",
        "/LICENSE",
        "/README.md",
        "/completions/",
        "/completions/_swrole",
        "/completions/swrole.bash",
        "/completions/swrole.fish",
        "/shell/",
        "/shell/swrole.bash",
        "/shell/swrole.fish",
        "/shell/swrole.nu",
        "/shell/swrole.ps1",
        "/shell/swrole.zsh",
        "/swrole",
        "/swrole.1",
    ]
    .map(|w| format!("{name}{}", if w.is_empty() { "/" } else { w }));
    assert_eq!(names, want, "{listing}");
    assert!(listing.lines().all(|l| l.contains("0/0")), "no owner from the build machine: {listing}");
    assert!(listing.lines().any(|l| l.starts_with("-rwxr-xr-x") && l.ends_with("/swrole")), "{listing}");
    // The checksum file is sha256sum's, and it checks.
    let check = Command::new("sha256sum")
        .arg("-c")
        .arg(format!("{name}.tar.gz.sha256"))
        .current_dir(out.path())
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check.stdout));
    // What is inside works: the binary runs, the shell file defines sw in bash, the man page
    // renders, the completion is bash's.
    let x = tempfile::tempdir().unwrap();
    assert!(Command::new("tar").args(["-xzf", &tarball, "-C"]).arg(x.path()).status().unwrap().success());
    let dir = x.path().join(&name);
    let v = Command::new(dir.join("swrole")).arg("--version").output().unwrap();
    assert!(text(&v.stdout).starts_with(&format!("swrole {version}")), "{}", text(&v.stdout));
    let sourced = Command::new("bash")
        .args(["--norc", "-c", "source \"$1\" && declare -F sw", "_"])
        .arg(dir.join("shell/swrole.bash"))
        .output()
        .unwrap();
    assert_eq!(text(&sourced.stdout), "sw\n", "{}", text(&sourced.stderr));
    let man = std::fs::read_to_string(dir.join("swrole.1")).unwrap();
    assert!(
        man.starts_with(".ie \\n(.g .ds Aq") || man.contains(".TH swrole 1"),
        "{}",
        &man[..200.min(man.len())]
    );
    assert!(std::fs::read_to_string(dir.join("completions/swrole.bash")).unwrap().contains("complete"));
    // Reproducible: the same inputs give the same bytes.
    let again = tempfile::tempdir().unwrap();
    let second = pack("x86_64-unknown-linux-musl", again.path());
    assert_eq!(std::fs::read(&tarball).unwrap(), std::fs::read(second).unwrap());
}

#[test]
fn the_formula_is_rendered_from_real_tarballs_and_parses() {
    if !require("ruby") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let targets = [
        "aarch64-apple-darwin",
        "x86_64-apple-darwin",
        "aarch64-unknown-linux-musl",
        "x86_64-unknown-linux-musl",
    ];
    // The binary under test stands in for each platform's: the formula only needs the files.
    for t in targets {
        pack(t, out.path());
    }
    let base = format!("file://{}", out.path().display());
    let formula = Command::new(repo().join("scripts/formula.sh"))
        .args([&format!("v{version}"), &base, out.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(formula.status.success(), "{}", text(&formula.stderr));
    let rb = text(&formula.stdout);
    let path = out.path().join("swrole.rb");
    std::fs::write(&path, &rb).unwrap();
    let check = Command::new("ruby").arg("-c").arg(&path).output().unwrap();
    assert_eq!(text(&check.stdout), "Syntax OK\n", "{}\n{rb}", text(&check.stderr));
    for t in targets {
        let sum =
            std::fs::read_to_string(out.path().join(format!("swrole-{version}-{t}.tar.gz.sha256"))).unwrap();
        let sum = sum.split_whitespace().next().unwrap();
        assert!(
            rb.contains(&format!("url \"{base}/swrole-{version}-{t}.tar.gz\"\n      sha256 \"{sum}\"")),
            "{t}: {rb}"
        );
    }
    assert!(!rb.contains(&"0".repeat(64)), "no placeholder checksum");
    assert!(rb.contains(&format!("version \"{version}\"")));
    // A missing tarball is an error, not a formula with a hole.
    std::fs::remove_file(out.path().join(format!("swrole-{version}-x86_64-apple-darwin.tar.gz.sha256")))
        .unwrap();
    std::fs::remove_file(out.path().join(format!("swrole-{version}-x86_64-apple-darwin.tar.gz"))).unwrap();
    let broken = Command::new(repo().join("scripts/formula.sh"))
        .args([version, &base, out.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        !broken.status.success() && text(&broken.stderr).contains("no swrole-"),
        "{}",
        text(&broken.stderr)
    );
    // No formula with a placeholder is kept in the tree: it is generated.
    assert!(!repo().join("contrib/homebrew/swrole.rb").exists());
}

#[test]
fn the_version_lives_in_one_place_and_the_changelog_has_it() {
    let version = env!("CARGO_PKG_VERSION");
    let notes =
        Command::new(repo().join("scripts/changelog.sh")).arg(format!("v{version}")).output().unwrap();
    assert!(notes.status.success(), "{}", text(&notes.stderr));
    assert!(text(&notes.stdout).contains("### Added"));
    let other = Command::new(repo().join("scripts/changelog.sh")).arg("v99.0.0").output().unwrap();
    assert!(!other.status.success() && text(&other.stderr).contains("Cargo.toml says"));
    let v = Command::new(swrole_path()).arg("--version").output().unwrap();
    assert!(text(&v.stdout).starts_with(&format!("swrole {version}")));
    // The workflows pin every action by commit.
    for wf in ["ci.yml", "release.yml"] {
        let text = std::fs::read_to_string(repo().join(".github/workflows").join(wf)).unwrap();
        for line in text
            .lines()
            .filter(|l| l.trim_start().starts_with("- uses:") || l.trim_start().starts_with("uses:"))
        {
            let reference = line.split('@').nth(1).unwrap_or("").split_whitespace().next().unwrap_or("");
            assert!(
                reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit()),
                "{wf}: {line}"
            );
        }
    }
}
