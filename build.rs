//! The commit swrole is built from, for `swrole --version`: `git rev-parse` in a checkout,
//! else the `.cargo_vcs_info.json` that `cargo package` writes (crates.io, a release
//! tarball), else "unknown".

use std::process::Command;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let from_git = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(&dir)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let from_package = || {
        let text = std::fs::read_to_string(format!("{dir}/.cargo_vcs_info.json")).ok()?;
        let start = text.find("\"sha1\"")?;
        let rest = &text[start + 6..];
        let sha: String = rest.chars().skip_while(|c| !c.is_ascii_hexdigit()).take(12).collect();
        (sha.len() == 12).then_some(sha)
    };
    let commit = from_git.or_else(from_package).unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=SWROLE_COMMIT={commit}");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    println!("cargo:rerun-if-changed=.cargo_vcs_info.json");
}
