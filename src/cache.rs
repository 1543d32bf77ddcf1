//! Cached role credentials and MFA sessions, shared by every terminal of the user.
//!
//! Storage: `$XDG_CACHE_HOME/swrole` (default `~/.cache/swrole`), directory 0700, files
//! 0600 whatever the umask, named by a SHA-256 of the cache key (never text from the
//! config). Reads never follow a symlink and refuse, with a warning, anything that is a
//! symlink, owned by another user or open to group/others; a corrupt entry is a miss.
//! Writes go to a temporary file in the same directory, are synced, then renamed. A lock
//! file per key makes concurrent switches wait for the first one instead of calling STS
//! (and asking for an MFA code) again.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::now;
use crate::credentials::Credentials;
use crate::env::Env;

/// Entries are plain JSON; this bounds what a read will take.
const MAX_ENTRY_BYTES: u64 = 64 * 1024;
const FORMAT: u32 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Credentials of a role chain, ready to export.
    Role,
    /// A `GetSessionToken` session made with an MFA code, used to assume roles without one.
    MfaSession,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Role => "role",
            Kind::MfaSession => "mfa-session",
        }
    }
}

/// What a cache file holds.
#[derive(Clone, Serialize, Deserialize)]
pub struct Entry {
    pub format: u32,
    pub kind: Kind,
    /// The cache key (file name) the entry was made for: an entry copied or renamed onto
    /// another key's file is not used.
    pub key: String,
    /// The profile the entry was made for (for `cache list` and `cache clear PROFILE`).
    pub profile: String,
    /// The role these credentials are for (`None` for an MFA session).
    pub role_arn: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub expiration: i64,
    pub arn: Option<String>,
    pub account_id: Option<String>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("kind", &self.kind)
            .field("profile", &self.profile)
            .field("expiration", &self.expiration)
            .finish()
    }
}

impl Entry {
    pub fn new(
        kind: Kind,
        key: &str,
        profile: &str,
        role_arn: Option<&str>,
        c: &Credentials,
    ) -> Option<Entry> {
        Some(Entry {
            format: FORMAT,
            kind,
            key: key.to_string(),
            profile: profile.to_string(),
            role_arn: role_arn.map(str::to_string),
            access_key_id: c.access_key_id.clone(),
            secret_access_key: c.secret_access_key.clone(),
            session_token: c.session_token.clone(),
            expiration: c.expiration?,
            arn: c.arn.clone(),
            account_id: c.account_id.clone(),
        })
    }

    pub fn credentials(&self) -> Credentials {
        Credentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: self.session_token.clone(),
            expiration: Some(self.expiration),
            arn: self.arn.clone(),
            account_id: self.account_id.clone(),
        }
    }
}

/// The file name of a key: SHA-256 of its canonical JSON, in hex.
pub fn key_name(key: &serde_json::Value) -> String {
    let digest = Sha256::digest(key.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether an entry expiring at `expiration` is still good at `now` with `margin` to spare.
pub fn fresh(expiration: i64, now: i64, margin: i64) -> bool {
    expiration - margin > now
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Why a file or directory is not trusted, if it is not.
fn distrust(meta: &fs::Metadata, want_dir: bool) -> Option<&'static str> {
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

pub struct Cache {
    dir: PathBuf,
    /// Refresh this many seconds before expiry.
    pub margin: i64,
}

impl Cache {
    /// The cache directory from `XDG_CACHE_HOME` or `HOME`.
    pub fn locate(env: &Env, margin: i64) -> Option<Cache> {
        let base = match env.get("XDG_CACHE_HOME").filter(|p| p.starts_with('/')) {
            Some(xdg) => PathBuf::from(xdg),
            None => PathBuf::from(env.get("HOME")?).join(".cache"),
        };
        Some(Cache { dir: base.join("swrole"), margin })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{name}.{ext}"))
    }

    /// The directory, if it exists and can be trusted. `Ok(None)`: it does not exist.
    /// Its parent is checked too: whoever can write there (another user owning it, or a
    /// group- or world-writable directory without the sticky bit) can replace the cache.
    fn trusted_dir(&self) -> Result<Option<()>> {
        if let Some(parent) = self.dir.parent()
            && let Ok(meta) = fs::metadata(parent)
        {
            let foreign = meta.uid() != euid() && meta.uid() != 0;
            let open = meta.mode() & 0o022 != 0 && meta.mode() & 0o1000 == 0;
            if foreign || open {
                bail!(
                    "the cache directory's parent {} {}: another user could replace the cache, so it is not used \
                     (set XDG_CACHE_HOME to a directory only you can write)",
                    parent.display(),
                    if foreign { "is owned by another user" } else { "can be written by group or others" }
                );
            }
        }
        match fs::symlink_metadata(&self.dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cache directory {}", self.dir.display())),
            Ok(meta) => match distrust(&meta, true) {
                Some(why) => bail!(
                    "cache directory {} {why}: not used (chmod 700 it, or remove it)",
                    self.dir.display()
                ),
                None => Ok(Some(())),
            },
        }
    }

    /// Whether the directory, if it exists, can be trusted (for `doctor`).
    pub fn check_dir(&self) -> Result<()> {
        self.trusted_dir().map(|_| ())
    }

    /// Create the directory (0700) if needed, and check it.
    fn ensure_dir(&self) -> Result<()> {
        if self.trusted_dir()?.is_none() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.dir)
                .with_context(|| format!("could not create the cache directory {}", self.dir.display()))?;
            // The mode given to mkdir is masked by the umask; set it exactly.
            fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
                .with_context(|| format!("could not set the mode of {}", self.dir.display()))?;
            self.trusted_dir()?;
        }
        Ok(())
    }

    /// The entry named `name`, if present, trusted, readable, of the right kind and fresh.
    /// Problems worth knowing about (a distrusted file) come back as `Err`; a missing,
    /// corrupt or expired entry is `Ok(None)`.
    pub fn get(&self, name: &str, kind: Kind) -> Result<Option<Entry>> {
        if self.trusted_dir()?.is_none() {
            return Ok(None);
        }
        let path = self.path(name, "json");
        let file = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                bail!("cache file {} is a symbolic link: not used", path.display())
            }
            Err(e) => return Err(e).with_context(|| format!("could not read cache file {}", path.display())),
        };
        let meta =
            file.metadata().with_context(|| format!("could not read cache file {}", path.display()))?;
        if let Some(why) = distrust(&meta, false) {
            bail!("cache file {} {why}: not used", path.display());
        }
        let mut text = String::new();
        if file.take(MAX_ENTRY_BYTES).read_to_string(&mut text).is_err() {
            return Ok(None);
        }
        let Ok(entry) = serde_json::from_str::<Entry>(&text) else { return Ok(None) };
        // A planted or damaged entry must not reach the shell: the same checks as STS answers.
        if entry.format == FORMAT && entry.credentials().check_shape().is_err() && entry.expiration > now() {
            bail!("cache file {} holds malformed credentials: not used", path.display());
        }
        if entry.format == FORMAT && entry.key != name {
            bail!(
                "cache file {} holds an entry made for another key (profile {:?}): not used",
                path.display(),
                crate::text::sanitize(&entry.profile)
            );
        }
        let good =
            entry.format == FORMAT && entry.kind == kind && fresh(entry.expiration, now(), self.margin);
        Ok(good.then_some(entry))
    }

    /// Write an entry atomically (temporary file, fsync, rename).
    pub fn put(&self, name: &str, entry: &Entry) -> Result<()> {
        self.ensure_dir()?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .permissions(fs::Permissions::from_mode(0o600))
            .tempfile_in(&self.dir)
            .with_context(|| format!("could not write to the cache directory {}", self.dir.display()))?;
        // tempfile's mode is masked by the umask too.
        tmp.as_file().set_permissions(fs::Permissions::from_mode(0o600))?;
        tmp.write_all(serde_json::to_string(entry)?.as_bytes())?;
        tmp.as_file().sync_all()?;
        let path = self.path(name, "json");
        tmp.persist(&path).with_context(|| format!("could not write cache file {}", path.display()))?;
        Ok(())
    }

    /// An exclusive lock for `name`, held until the returned file is dropped. Waits for
    /// another swrole holding it (it may be asking for an MFA code), up to `wait`, and says
    /// so on stderr (`waiting_for`) once the wait is longer than a moment. `Ok(None)`: the
    /// lock is busy and `wait` is zero.
    ///
    /// `own_code`: the caller has its own MFA code, so it does not wait for a holder that
    /// is asking for one on its terminal (see [`Cache::prompting`]): it goes ahead without
    /// the lock.
    pub fn lock(
        &self,
        name: &str,
        wait: Duration,
        waiting_for: &str,
        own_code: bool,
    ) -> Result<Option<File>> {
        self.ensure_dir()?;
        let path = self.path(name, "lock");
        let file = self.open_lock_file(&path)?;
        let start = Instant::now();
        let deadline = start + wait;
        let mut said = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(file)),
                Err(std::fs::TryLockError::WouldBlock) if wait.is_zero() => return Ok(None),
                Err(std::fs::TryLockError::WouldBlock) if own_code && self.someone_prompting() => {
                    eprintln!(
                        "swrole: another swrole is asking for an MFA code for {waiting_for}: going ahead with yours"
                    );
                    return Ok(None);
                }
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    if !said && start.elapsed() >= Duration::from_millis(500) {
                        eprintln!(
                            "swrole: waiting for another swrole that is getting {waiting_for} (it may be asking \
                             for an MFA code), up to {} s; Ctrl-C to stop",
                            wait.as_secs()
                        );
                        said = true;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    eprintln!(
                        "swrole: another swrole has held {} for {} s: going ahead without it",
                        path.display(),
                        wait.as_secs()
                    );
                    return Ok(None);
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("could not lock {}", path.display()));
                }
            }
        }
    }

    /// Held while this swrole asks for an MFA code on its terminal, so that a switch that
    /// has its own code does not wait for the answer. `None` when it cannot be taken (no
    /// cache directory, or another swrole is asking too): nothing depends on it.
    pub fn prompting(&self) -> Option<File> {
        self.ensure_dir().ok()?;
        let file = self.open_lock_file(&self.dir.join("prompting.lock")).ok()?;
        file.try_lock().ok()?;
        Some(file)
    }

    /// Whether another swrole holds [`Cache::prompting`] (a shared lock: checkers never
    /// block each other, only a prompter's exclusive lock blocks them).
    fn someone_prompting(&self) -> bool {
        let Ok(file) = self.open_lock_file(&self.dir.join("prompting.lock")) else { return false };
        matches!(file.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock))
    }

    fn open_lock_file(&self, path: &Path) -> Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .with_context(|| format!("could not open lock file {}", path.display()))
    }

    /// Every entry (fresh or not), with its file name, for `cache list` and `cache clear`.
    /// Untrusted or unreadable files are left out.
    pub fn entries(&self) -> Result<Vec<(PathBuf, Entry)>> {
        if self.trusted_dir()?.is_none() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for dirent in fs::read_dir(&self.dir)? {
            let path = dirent?.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let Ok(meta) = fs::symlink_metadata(&path) else { continue };
            if distrust(&meta, false).is_some() || meta.len() > MAX_ENTRY_BYTES {
                continue;
            }
            let Ok(text) = fs::read_to_string(&path) else { continue };
            if let Ok(entry) = serde_json::from_str::<Entry>(&text) {
                out.push((path, entry));
            }
        }
        out.sort_by(|a, b| (&a.1.profile, a.1.kind.name()).cmp(&(&b.1.profile, b.1.kind.name())));
        Ok(out)
    }

    /// Remove an entry and its lock file.
    pub fn remove(&self, path: &Path) -> Result<()> {
        fs::remove_file(path).with_context(|| format!("could not remove {}", path.display()))?;
        let _ = fs::remove_file(path.with_extension("lock"));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_hex_digests() {
        let a = key_name(&serde_json::json!({"k": "../../etc/passwd"}));
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, key_name(&serde_json::json!({"k": "x"})));
    }

    #[test]
    fn freshness() {
        assert!(fresh(1000, 0, 600));
        assert!(!fresh(1000, 400, 600));
        assert!(!fresh(1000, 1000, 0));
    }

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::from_pairs([("XDG_CACHE_HOME", dir.path().to_str().unwrap())]);
        let cache = Cache::locate(&env, 60).unwrap();
        let c = Credentials {
            access_key_id: "ASIAAAAAAAAAAAAAAAAA".into(),
            secret_access_key: "s".into(),
            session_token: Some("t".into()),
            expiration: Some(now() + 3600),
            arn: None,
            account_id: None,
        };
        let entry = Entry::new(Kind::Role, "k", "p", None, &c).unwrap();
        assert!(cache.get("k", Kind::Role).unwrap().is_none());
        cache.put("k", &entry).unwrap();
        assert_eq!(cache.get("k", Kind::Role).unwrap().unwrap().credentials(), c);
        assert!(cache.get("k", Kind::MfaSession).unwrap().is_none(), "kinds do not mix");
        // Bound to its key: the same entry copied to another key's file is refused.
        fs::copy(cache.path("k", "json"), cache.path("other", "json")).unwrap();
        assert!(cache.get("other", Kind::Role).unwrap_err().to_string().contains("another key"));
        let meta = fs::metadata(cache.path("k", "json")).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(cache.dir()).unwrap().mode() & 0o777, 0o700);
        assert!(!format!("{entry:?}").contains("ASIA"));

        fs::set_permissions(cache.path("k", "json"), fs::Permissions::from_mode(0o644)).unwrap();
        assert!(cache.get("k", Kind::Role).unwrap_err().to_string().contains("group or others"));
        fs::remove_file(cache.path("k", "json")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", cache.path("k", "json")).unwrap();
        assert!(cache.get("k", Kind::Role).unwrap_err().to_string().contains("symbolic link"));
        fs::remove_file(cache.path("k", "json")).unwrap();
        fs::write(cache.path("k", "json"), "{\"format\": 1, \"kind\":").unwrap();
        fs::set_permissions(cache.path("k", "json"), fs::Permissions::from_mode(0o600)).unwrap();
        assert!(cache.get("k", Kind::Role).unwrap().is_none(), "corrupt is a miss");
    }
}
