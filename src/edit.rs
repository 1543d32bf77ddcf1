//! Edits of the user's own files (`~/.aws/config`, `~/.aws/credentials`): through links to
//! the real file, staged beside it, checked against what was read, renamed into place, and
//! put back when a later file of the same edit fails. Used by `keys import` and `team`.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::config::read_file;

/// The fault a test asks for, if any (`SWROLE_TEST_FAULT`, debug builds only).
fn fault(name: &str) -> bool {
    crate::keys::test_fault(name)
}

/// The file a path names: through a symbolic link (a dotfiles repository) to the real file,
/// so that an edit lands there and the link stays. A missing file is its own path.
pub fn real_file(path: &Path) -> Result<PathBuf> {
    match std::fs::canonicalize(path) {
        Ok(real) => Ok(real),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::fs::symlink_metadata(path).is_err() => {
            Ok(path.to_path_buf())
        }
        Err(e) => Err(anyhow::anyhow!("{} cannot be followed to a file: {e}", path.display())),
    }
}

/// What a path is called in a message: itself, or `link (-> real file)`.
pub fn shown(path: &Path, real: &Path) -> String {
    if path == real {
        path.display().to_string()
    } else {
        format!("{} (-> {})", path.display(), real.display())
    }
}

/// The text of a file swrole is about to edit: empty when it does not exist yet.
pub fn read_or_empty(path: &Path) -> Result<String> {
    if path.exists() { read_file(path) } else { Ok(String::new()) }
}

/// One file of an edit: where, what it held when read, what it will hold, and its name in
/// test faults (`config`, `credentials`).
pub struct Written<'a> {
    pub path: &'a Path,
    pub old: &'a str,
    pub new: &'a str,
    pub name: &'static str,
}

/// The differences between swrole's reading and botocore's that the edit of `f` would bring
/// in (ones the file already had are the user's own and stay): an error naming the first.
fn check_read_alike(f: &Written) -> Result<()> {
    let new = crate::config::botocore::new_differences(f.old, f.new);
    let Some(first) = new.first() else { return Ok(()) };
    let more = match new.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    bail!("{}:{}: after this edit {}{more}: nothing was written", f.path.display(), first.line, first.what)
}

/// A temporary file beside `path` with `text`, synced, with `path`'s mode (0600 for a new
/// file). A missing directory is made, 0700 (`~/.aws` on a new machine).
fn stage(path: &Path, text: &str, fault_name: &str) -> Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    let mode = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o7777).unwrap_or(0o600);
    let mut tmp = tempfile::Builder::new()
        .prefix(".swrole-")
        .tempfile_in(dir)
        .with_context(|| format!("could not write beside {}", path.display()))?;
    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    if fault(fault_name) || fault("disk-full") {
        bail!("could not write {}: No space left on device (SWROLE_TEST_FAULT)", path.display());
    }
    tmp.write_all(text.as_bytes()).with_context(|| format!("could not write {}", path.display()))?;
    tmp.as_file().sync_all().with_context(|| format!("could not write {}", path.display()))?;
    Ok(tmp)
}

/// Replace every file of an edit, all or none: each new text is written and synced beside
/// its file first; each file is read again just before the renames, and one that another
/// program changed meanwhile stops the edit (nothing is lost); when a rename fails, the
/// files already renamed get their old text back. Before anything is staged, each new text
/// must read alike for swrole and for botocore (the AWS CLI, boto3): an edit that brings in a
/// line the two read differently is refused, naming it.
pub fn replace(files: &[Written]) -> Result<()> {
    for f in files {
        check_read_alike(f)?;
    }
    let mut staged = Vec::new();
    for f in files {
        staged.push(stage(f.path, f.new, &format!("write-{}", f.name))?);
    }
    for f in files {
        if read_or_empty(f.path)? != f.old {
            bail!("{} changed while swrole was editing it: nothing was written, try again", f.path.display());
        }
    }
    for (i, (f, tmp)) in files.iter().zip(staged).enumerate() {
        let renamed = if fault(&format!("rename-{}", f.name)) {
            Err(anyhow::anyhow!("could not replace {} (SWROLE_TEST_FAULT)", f.path.display()))
        } else {
            tmp.persist(f.path).map(|_| ()).with_context(|| format!("could not replace {}", f.path.display()))
        };
        if let Err(e) = renamed {
            for done in &files[..i] {
                let back = stage(done.path, done.old, "")
                    .and_then(|t| t.persist(done.path).map(|_| ()).map_err(anyhow::Error::from));
                if let Err(back) = back {
                    return Err(
                        e.context(format!("and {} could not be put back: {back:#}", done.path.display()))
                    );
                }
            }
            return Err(e);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    /// A file that changed after it was read stops the edit, also when the new text has the
    /// same length; nothing is written to it or beside it.
    #[test]
    fn a_file_changed_since_it_was_read_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, "[default]\nregion = b\n").unwrap();
        let e = replace(&[Written {
            path: &path,
            old: "[default]\nregion = a\n",
            new: "[default]\nregion = c\n",
            name: "config",
        }])
        .unwrap_err()
        .to_string();
        assert!(e.contains("changed while swrole was editing it"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[default]\nregion = b\n");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["config"], "no staged file is left");
        // What was read is what is there: the edit goes through.
        replace(&[Written {
            path: &path,
            old: "[default]\nregion = b\n",
            new: "[default]\nregion = c\n",
            name: "config",
        }])
        .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[default]\nregion = c\n");
    }

    /// A file an edit creates is 0600 (in a 0700 directory it makes); an existing file keeps
    /// its mode.
    #[test]
    fn new_files_are_private_and_old_ones_keep_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let made = dir.path().join("new/.aws/credentials");
        replace(&[Written { path: &made, old: "", new: "[default]\nregion = x\n", name: "credentials" }])
            .unwrap();
        assert_eq!(mode(&made), 0o600);
        assert_eq!(mode(made.parent().unwrap()), 0o700);
        let kept = dir.path().join("config");
        std::fs::write(&kept, "[default]\n").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
        replace(&[Written {
            path: &kept,
            old: "[default]\n",
            new: "[default]\nregion = x\n",
            name: "config",
        }])
        .unwrap();
        assert_eq!(mode(&kept), 0o640);
    }

    /// An edit that would bring in a line botocore reads otherwise is refused with its line;
    /// one the file already had does not stop another edit.
    #[test]
    fn an_edit_botocore_would_read_otherwise_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let old = "[default]\nk: v=1\n";
        std::fs::write(&path, old).unwrap();
        let new = "[default]\nk: v=1\n[profile a]\n\u{a0}[plugins]=x\n";
        let e = replace(&[Written { path: &path, old, new, name: "config" }]).unwrap_err().to_string();
        assert!(
            e.contains(
                ":4: after this edit the AWS CLI reads a section [plugins] that swrole does not (and 1 more)"
            ),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), old);
        replace(&[Written { path: &path, old, new: "[default]\nk: v=1\nregion = x\n", name: "config" }])
            .unwrap();
    }
    /// An edit lands in the file a link names, the link stays; a missing file is its own
    /// path; a link that names nothing is an error, not a new file beside it.
    #[test]
    fn links_are_followed_to_the_real_file() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles/config");
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::write(&real, "").unwrap();
        let link = dir.path().join("config");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let found = real_file(&link).unwrap();
        assert_eq!(found, std::fs::canonicalize(&real).unwrap());
        assert_eq!(shown(&link, &found), format!("{} (-> {})", link.display(), found.display()));
        assert_eq!(shown(&found, &found), found.display().to_string());
        let missing = dir.path().join("missing");
        assert_eq!(real_file(&missing).unwrap(), missing);
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        let e = real_file(&dangling).unwrap_err().to_string();
        assert!(e.contains("cannot be followed to a file"), "{e}");
        let through_file = dir.path().join("dotfiles/config/x");
        assert!(real_file(&through_file).unwrap_err().to_string().contains("cannot be followed"));
    }
}
