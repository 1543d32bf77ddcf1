//! The `file` store: one file per entry in a directory of its own, 0700, files 0600
//! whatever the umask. Reads never follow a symlink, never block on a FIFO, stop at 64 KiB,
//! and refuse (with a warning) a file or directory that is a symlink, owned by another
//! user or open to group/others, or whose parent another user could write. Writes go to a
//! temporary file in the same directory, are synced, then renamed.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::{SecretStore, StoreKind};

/// Entries are small JSON documents; this bounds what a read will take.
pub const MAX_ENTRY_BYTES: u64 = 64 * 1024;

pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Why a file or directory is not trusted, if it is not.
pub fn distrust(meta: &fs::Metadata, want_dir: bool) -> Option<&'static str> {
    if meta.file_type().is_symlink() {
        Some("is a symbolic link")
    } else if want_dir && !meta.is_dir() || !want_dir && !meta.is_file() {
        Some(if want_dir { "is not a directory" } else { "is not a regular file" })
    } else if meta.uid() != euid() {
        Some("is owned by another user")
    } else if meta.mode() & 0o077 != 0 {
        Some("can be read or written by group or others")
    } else {
        None
    }
}

pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub fn new(dir: &Path) -> FileStore {
        FileStore { dir: dir.to_path_buf() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of `name`: bytes other than `[A-Za-z0-9._-]` written `%XX`, so a name
    /// can never leave the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        let mut file = String::new();
        for b in name.bytes() {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                file.push(b as char);
            } else {
                file.push_str(&format!("%{b:02X}"));
            }
        }
        self.dir.join(format!("{file}.json"))
    }

    fn name_of(file: &str) -> Option<String> {
        let stem = file.strip_suffix(".json")?;
        let mut out = Vec::new();
        let mut bytes = stem.bytes();
        while let Some(b) = bytes.next() {
            if b == b'%' {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            } else {
                out.push(b);
            }
        }
        String::from_utf8(out).ok()
    }

    /// The directory, if it exists and can be trusted. `Ok(None)`: it does not exist.
    /// Its parent is checked too: whoever can write there (another user owning it, or a
    /// group- or world-writable directory without the sticky bit) can replace the files.
    pub fn trusted_dir(&self) -> Result<Option<()>> {
        if let Some(parent) = self.dir.parent()
            && let Ok(meta) = fs::metadata(parent)
        {
            let foreign = meta.uid() != euid() && meta.uid() != 0;
            let open = meta.mode() & 0o022 != 0 && meta.mode() & 0o1000 == 0;
            if foreign || open {
                bail!(
                    "the parent of {} ({}) {}: another user could replace what is kept there, so it is not used \
                     (choose a directory only you can write: XDG_CACHE_HOME for the cache, XDG_DATA_HOME for the \
                     key store's files)",
                    self.dir.display(),
                    parent.display(),
                    if foreign { "is owned by another user" } else { "can be written by group or others" }
                );
            }
        }
        match fs::symlink_metadata(&self.dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("directory {}", self.dir.display())),
            Ok(meta) => match distrust(&meta, true) {
                Some(why) => {
                    bail!("directory {} {why}: not used (chmod 700 it, or remove it)", self.dir.display())
                }
                None => Ok(Some(())),
            },
        }
    }

    /// Create the directory (0700) if needed, and check it.
    pub fn ensure_dir(&self) -> Result<()> {
        if self.trusted_dir()?.is_none() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.dir)
                .with_context(|| format!("could not create the directory {}", self.dir.display()))?;
            // The mode given to mkdir is masked by the umask; set it exactly.
            fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
                .with_context(|| format!("could not set the mode of {}", self.dir.display()))?;
            self.trusted_dir()?;
        }
        Ok(())
    }

    /// The text of a trusted file, at most [`MAX_ENTRY_BYTES`]; `Ok(None)` when missing,
    /// unreadable or too long.
    fn read(&self, path: &Path) -> Result<Option<String>> {
        let file = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                bail!("{} is a symbolic link: not used", path.display())
            }
            Err(e) => return Err(e).with_context(|| format!("could not read {}", path.display())),
        };
        let meta = file.metadata().with_context(|| format!("could not read {}", path.display()))?;
        if let Some(why) = distrust(&meta, false) {
            bail!("{} {why}: not used", path.display());
        }
        let mut bytes = Vec::new();
        if file.take(MAX_ENTRY_BYTES + 1).read_to_end(&mut bytes).is_err()
            || bytes.len() as u64 > MAX_ENTRY_BYTES
        {
            return Ok(None);
        }
        Ok(String::from_utf8(bytes).ok())
    }
}

impl SecretStore for FileStore {
    fn kind(&self) -> StoreKind {
        StoreKind::File
    }

    fn get(&self, name: &str) -> Result<Option<String>> {
        if self.trusted_dir()?.is_none() {
            return Ok(None);
        }
        self.read(&self.path(name))
    }

    fn put(&self, name: &str, value: &str, _expires: Option<i64>) -> Result<()> {
        self.ensure_dir()?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .permissions(fs::Permissions::from_mode(0o600))
            .tempfile_in(&self.dir)
            .with_context(|| format!("could not write to the directory {}", self.dir.display()))?;
        // tempfile's mode is masked by the umask too.
        tmp.as_file().set_permissions(fs::Permissions::from_mode(0o600))?;
        tmp.write_all(value.as_bytes())?;
        tmp.as_file().sync_all()?;
        let path = self.path(name);
        tmp.persist(&path).with_context(|| format!("could not write {}", path.display()))?;
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<bool> {
        let path = self.path(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e).with_context(|| format!("could not remove {}", path.display())),
        }
    }

    fn names(&self) -> Result<Vec<String>> {
        if self.trusted_dir()?.is_none() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for dirent in fs::read_dir(&self.dir)? {
            let dirent = dirent?;
            let file = dirent.file_name();
            let Some(name) = file.to_str().and_then(FileStore::name_of) else { continue };
            let Ok(meta) = fs::symlink_metadata(dirent.path()) else { continue };
            if distrust(&meta, false).is_none() && meta.len() <= MAX_ENTRY_BYTES {
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }

    fn describe(&self) -> String {
        self.dir.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_leave_the_directory() {
        let store = FileStore::new(Path::new("/d"));
        assert_eq!(store.path("abc"), Path::new("/d/abc.json"));
        assert_eq!(store.path("../x"), Path::new("/d/..%2Fx.json"));
        assert_eq!(store.path("keys/a b"), Path::new("/d/keys%2Fa%20b.json"));
        assert_eq!(FileStore::name_of("keys%2Fa%20b.json").as_deref(), Some("keys/a b"));
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(&dir.path().join("s"));
        assert_eq!(store.get("a").unwrap(), None);
        store.put("a/b", "v", None).unwrap();
        assert_eq!(store.get("a/b").unwrap().as_deref(), Some("v"));
        assert_eq!(store.names().unwrap(), ["a/b"]);
        assert_eq!(fs::metadata(store.path("a/b")).unwrap().mode() & 0o777, 0o600);
        assert!(store.delete("a/b").unwrap());
        assert!(!store.delete("a/b").unwrap());
    }
}
