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

/// A lock file (no secret in it): 0600, created if missing, never through a symbolic link.
pub fn open_lock_file(path: &Path) -> anyhow::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| anyhow::anyhow!("could not open lock file {}: {e}", path.display()))
}

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

    /// A store in a fresh private directory (whose parent, the temporary directory, is ours).
    fn private() -> (tempfile::TempDir, FileStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(&dir.path().join("s"));
        store.ensure_dir().unwrap();
        (dir, store)
    }

    fn error(r: Result<Option<String>>) -> String {
        format!("{:#}", r.expect_err("refused"))
    }

    #[test]
    fn reads_take_only_private_regular_files_up_to_the_limit() {
        let (_dir, store) = private();
        std::os::unix::fs::symlink("/etc/hostname", store.path("link")).unwrap();
        assert!(error(store.get("link")).ends_with("is a symbolic link: not used"));
        fs::create_dir(store.path("dir")).unwrap();
        assert!(error(store.get("dir")).ends_with("is not a regular file: not used"));
        fs::write(store.path("open"), "v").unwrap();
        for mode in [0o640, 0o604, 0o620, 0o602] {
            fs::set_permissions(store.path("open"), fs::Permissions::from_mode(mode)).unwrap();
            assert!(
                error(store.get("open")).ends_with("can be read or written by group or others: not used")
            );
        }
        fs::set_permissions(store.path("open"), fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(store.get("open").unwrap().as_deref(), Some("v"));
        fs::set_permissions(store.path("open"), fs::Permissions::from_mode(0o400)).unwrap();
        assert_eq!(store.get("open").unwrap().as_deref(), Some("v"), "read-only for the owner is private");

        let limit = 65_536;
        assert_eq!(store.get("missing").unwrap(), None, "a missing entry is a miss");
        let e = error(store.get(&"n".repeat(300)));
        assert!(e.starts_with("could not read "), "other errors are errors: {e}");
        store.put("full", &"x".repeat(limit), None).unwrap();
        store.put("over", &"x".repeat(limit + 1), None).unwrap();
        assert_eq!(store.get("full").unwrap().map(|v| v.len()), Some(limit));
        assert_eq!(store.get("over").unwrap(), None, "one byte past the limit is not read");
        store.put("bad-utf8", "", None).unwrap();
        fs::write(store.path("bad-utf8"), [0xff, 0xfe]).unwrap();
        assert_eq!(store.get("bad-utf8").unwrap(), None);
        // Listing: only the names a read would take.
        assert_eq!(store.names().unwrap(), ["bad-utf8", "full", "open"]);
    }

    #[test]
    fn a_fifo_planted_as_an_entry_does_not_block_the_read() {
        let (_dir, store) = private();
        let path = std::ffi::CString::new(store.path("fifo").into_os_string().into_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(error(store.get("fifo"))));
        let e =
            rx.recv_timeout(std::time::Duration::from_secs(10)).expect("the read of a FIFO returns at once");
        assert!(e.ends_with("is not a regular file: not used"), "{e}");
    }

    #[test]
    fn the_directory_and_its_parent_must_be_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(&dir.path().join("s"));
        assert_eq!(store.trusted_dir().unwrap(), None, "missing");
        assert_eq!(store.names().unwrap(), Vec::<String>::new());
        assert_eq!(store.get("a").unwrap(), None);
        store.ensure_dir().unwrap();
        assert_eq!(fs::metadata(store.dir()).unwrap().mode() & 0o7777, 0o700);
        for mode in [0o750, 0o705, 0o720] {
            fs::set_permissions(store.dir(), fs::Permissions::from_mode(mode)).unwrap();
            let e = format!("{:#}", store.trusted_dir().unwrap_err());
            assert!(e.contains("can be read or written by group or others: not used (chmod 700"), "{e}");
            assert!(store.put("a", "v", None).is_err() && store.get("a").is_err() && store.names().is_err());
        }
        fs::set_permissions(store.dir(), fs::Permissions::from_mode(0o700)).unwrap();
        // A parent others can write (without the sticky bit) could swap the directory.
        for (mode, trusted) in [(0o777, false), (0o770, false), (0o1777, true), (0o755, true)] {
            fs::set_permissions(dir.path(), fs::Permissions::from_mode(mode)).unwrap();
            match store.trusted_dir() {
                Ok(_) => assert!(trusted, "{mode:o}"),
                Err(e) => assert!(
                    !trusted && e.to_string().contains("can be written by group or others"),
                    "{mode:o}"
                ),
            }
        }
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(store.describe(), store.dir().display().to_string());
        // A parent another user owns (root's are fine: /home, /tmp); only root can make one.
        if euid() == 0 {
            std::os::unix::fs::chown(dir.path(), Some(1234), None).unwrap();
            let e = store.trusted_dir().unwrap_err().to_string();
            assert!(e.contains("is owned by another user"), "{e}");
            std::os::unix::fs::chown(dir.path(), Some(0), None).unwrap();
            assert!(store.trusted_dir().is_ok());
        }
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(store.dir(), &link).unwrap();
        let e = FileStore::new(&link).trusted_dir().unwrap_err().to_string();
        assert!(e.contains("is a symbolic link"), "{e}");
        assert!(
            FileStore::new(&link).put("a", "v", None).is_err(),
            "no writes through a symlinked directory"
        );
        fs::write(dir.path().join("plain"), "").unwrap();
        assert!(
            FileStore::new(&dir.path().join("plain"))
                .ensure_dir()
                .unwrap_err()
                .to_string()
                .contains("not a directory")
        );
        // Only absence is "no directory yet"; any other failure is an error.
        assert!(FileStore::new(&dir.path().join("plain/s")).trusted_dir().is_err());
    }

    #[test]
    fn writes_replace_the_file_and_deletes_report_errors() {
        let (_dir, store) = private();
        store.put("a", "one", None).unwrap();
        let before = fs::metadata(store.path("a")).unwrap().ino();
        store.put("a", "two", None).unwrap();
        assert_ne!(
            fs::metadata(store.path("a")).unwrap().ino(),
            before,
            "a new file renamed over the old one"
        );
        assert_eq!(store.get("a").unwrap().as_deref(), Some("two"));
        assert_eq!(fs::read_dir(store.dir()).unwrap().count(), 1, "no temporary file left");
        fs::create_dir(store.path("d")).unwrap();
        fs::write(store.path("d").join("x"), "").unwrap();
        assert!(store.delete("d").is_err(), "a failure other than absence is an error");
    }

    #[test]
    fn only_well_formed_file_names_are_entries() {
        for (file, name) in [("a.json", Some("a")), ("%41b.json", Some("Ab")), ("a%2f.json", Some("a/"))] {
            assert_eq!(FileStore::name_of(file).as_deref(), name, "{file}");
        }
        for file in ["a.lock", "a.json.tmp", "%4.json", "%zz.json", "%FF.json", ".json.x"] {
            assert_eq!(FileStore::name_of(file), None, "{file}");
        }
        let (_dir, store) = private();
        fs::write(store.dir().join("x.lock"), "").unwrap();
        fs::write(store.dir().join("%zz.json"), "").unwrap();
        assert!(store.names().unwrap().is_empty());
    }
}
