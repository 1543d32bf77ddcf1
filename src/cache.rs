//! Cached role credentials and MFA sessions, shared by every terminal of the user.
//!
//! Entries live in a [`SecretStore`] (`SWROLE_CACHE_STORE`): on Linux the kernel user
//! keyring when it works (never on disk, dropped by the kernel at expiry), else 0600 files
//! in `$XDG_CACHE_HOME/swrole` (default `~/.cache/swrole`). Entries are named by a SHA-256
//! of the cache key (never text from the config), bound to that key, and checked like STS
//! answers on every read; a corrupt entry is a miss. Lock files in the cache directory
//! (they hold no secret, whatever the store) make concurrent switches wait for the first
//! one instead of calling STS (and asking for an MFA code) again.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::now;
use crate::credentials::Credentials;
use crate::env::Env;
use crate::store::file::FileStore;
use crate::store::{self, SecretStore, StoreKind};

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
    /// What tells entries apart in `cache list`: the MFA device of a session, the session
    /// name and length of role credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    /// The STS endpoint it came from, when one was configured (a local emulator, a VPC
    /// endpoint): entries for the same profile from two endpoints are two entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
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
            serial: None,
            session_name: None,
            duration: None,
            endpoint: None,
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

/// The share of the user's kernel key quota (20,000 bytes by default) that swrole's cache
/// keeps to, so that Kerberos and other programs of the user still have room.
pub const KEYRING_SHARE: usize = 8_000;

/// What the kernel counts against the quota for a key besides its payload and name (the
/// description's prefix and bookkeeping), roughly.
const KEY_OVERHEAD: usize = 48;

/// What a cache entry must have been made for, besides its key (`None`: anything).
#[derive(Clone, Copy, Debug, Default)]
pub struct Bound<'a> {
    pub profile: Option<&'a str>,
    pub role_arn: Option<&'a str>,
}

/// A background renewal that failed: when (Unix seconds), whether a prompt said so yet, and
/// why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub at: i64,
    pub said: bool,
    pub why: String,
}

pub struct Cache {
    /// Lock files (and, for the `file` store, the entries).
    files: FileStore,
    store: Box<dyn SecretStore>,
    /// Refresh this many seconds before expiry.
    pub margin: i64,
}

/// The default cache store: the kernel keyring on Linux when it works, else files. On
/// macOS files: a Keychain read on every cache hit costs an IPC round trip to securityd
/// and may show an access prompt after an update of the binary, where a hit must take a
/// few milliseconds and never ask anything.
fn default_store(dir: &Path, namespace: &str) -> Box<dyn SecretStore> {
    #[cfg(target_os = "linux")]
    if let Ok(s) = store::open(StoreKind::Keyutils, namespace, dir) {
        return s;
    }
    let _ = namespace;
    Box::new(FileStore::new(dir))
}

impl Cache {
    /// The cache directory from `XDG_CACHE_HOME` or `HOME`, and its store from
    /// `SWROLE_CACHE_STORE` (a chosen store that cannot be used is said, and files are used).
    pub fn locate(env: &Env, margin: i64) -> Option<Cache> {
        let base = match env.get("XDG_CACHE_HOME").filter(|p| p.starts_with('/')) {
            Some(xdg) => PathBuf::from(xdg),
            None => PathBuf::from(env.get("HOME")?).join(".cache"),
        };
        let dir = base.join("swrole");
        // Kernel keys are per user, not per directory: the namespace keeps two cache
        // directories (two HOMEs, two XDG_CACHE_HOMEs) apart, as the files are.
        let namespace = format!("cache-{}", &key_name(&serde_json::json!(dir.display().to_string()))[..16]);
        let store = match env.get("SWROLE_CACHE_STORE") {
            None => default_store(&dir, &namespace),
            Some(text) => match StoreKind::parse("SWROLE_CACHE_STORE", text)
                .and_then(|k| store::open(k, &namespace, &dir))
            {
                Ok(s) => s,
                Err(e) => {
                    eprintln!(
                        "swrole: warning: SWROLE_CACHE_STORE: {e:#}; using files in {} instead",
                        dir.display()
                    );
                    Box::new(FileStore::new(&dir))
                }
            },
        };
        Some(Cache { files: FileStore::new(&dir), store, margin })
    }

    pub fn dir(&self) -> &Path {
        self.files.dir()
    }

    /// Which store holds the entries.
    pub fn store_kind(&self) -> StoreKind {
        self.store.kind()
    }

    /// Where the entries are, for messages.
    pub fn describe(&self) -> String {
        self.store.describe()
    }

    fn lock_path(&self, name: &str) -> PathBuf {
        self.dir().join(format!("{name}.lock"))
    }

    /// Whether the directory, if it exists, can be trusted (for `doctor`).
    pub fn check_dir(&self) -> Result<()> {
        self.files.trusted_dir().map(|_| ())
    }

    /// The entry named `name`, if present, trusted, readable, of the right kind and fresh.
    /// Problems worth knowing about (a distrusted file, an entry made for another key)
    /// come back as `Err`; a missing, corrupt or expired entry is `Ok(None)`.
    pub fn get(&self, name: &str, kind: Kind, bound: Bound) -> Result<Option<Entry>> {
        let text = match self.store.get(name)? {
            Some(text) => text,
            // An entry the full kernel keyring could not take is in a file.
            None if self.store.kind() == StoreKind::Keyutils => match self.files.get(name)? {
                Some(text) => text,
                None => return Ok(None),
            },
            None => return Ok(None),
        };
        let Ok(entry) = serde_json::from_str::<Entry>(&text) else { return Ok(None) };
        let place = || match self.store.kind() {
            StoreKind::File => format!("cache file {}", self.files.path(name).display()),
            k => format!("cache entry {name} ({})", k.name()),
        };
        // A planted or damaged entry must not reach the shell: the same checks as STS answers.
        if entry.format == FORMAT && entry.credentials().check_shape().is_err() && entry.expiration > now() {
            bail!("{} holds malformed credentials: not used", place());
        }
        if entry.format == FORMAT && entry.key != name {
            bail!(
                "{} holds an entry made for another key (profile {:?}): not used",
                place(),
                crate::text::sanitize(&entry.profile)
            );
        }
        // Bound to more than the key: the role it is for, and credentials of that role's
        // account. An entry copied over another's file with its key changed is refused.
        let account = entry.role_arn.as_deref().and_then(crate::plan::account_of);
        if entry.format == FORMAT
            && (bound.role_arn.is_some_and(|r| Some(r) != entry.role_arn.as_deref())
                || account.is_some_and(|a| entry.account_id.as_deref().is_some_and(|b| a != b)))
        {
            bail!(
                "{} holds credentials made for another role (profile {:?}): not used",
                place(),
                crate::text::sanitize(&entry.profile)
            );
        }
        // Two profiles with the same chain share a key: the other one's entry is a miss
        // (renewed under this profile's name), never exported under this name.
        let mine = bound.profile.is_none_or(|p| p == entry.profile);
        let good = mine
            && entry.format == FORMAT
            && entry.kind == kind
            && fresh(entry.expiration, now(), self.margin);
        Ok(good.then_some(entry))
    }

    /// Write an entry (atomically, for files; with a kernel timeout at its expiry, for
    /// the kernel keyring).
    pub fn put(&self, name: &str, entry: &Entry) -> Result<()> {
        let text = serde_json::to_string(entry)?;
        if self.store.kind() != StoreKind::Keyutils {
            return self.store.put(name, &text, Some(entry.expiration));
        }
        // The kernel keyring's quota is the user's (20,000 bytes by default), shared with
        // Kerberos and every other program: swrole keeps to a share of it, making room by
        // dropping its own entries (role credentials that expire soonest first, MFA
        // sessions last), and keeps an entry in a file when the keyring still refuses it.
        self.make_room(name, text.len() + name.len() + KEY_OVERHEAD);
        let _ = self.files.delete(name);
        match self.store.put(name, &text, Some(entry.expiration)) {
            Ok(()) => Ok(()),
            Err(e) if e.to_string().contains(crate::store::QUOTA_FULL) => {
                eprintln!(
                    "swrole: warning: the kernel keyring is full (the user's key quota, \
                     /proc/sys/kernel/keys/maxbytes): this entry is kept in a 0600 file in {}",
                    self.dir().display()
                );
                self.files.put(name, &text, Some(entry.expiration))
            }
            Err(e) => Err(e),
        }
    }

    /// Drop swrole's own kernel-keyring entries until `incoming` more bytes fit in
    /// [`KEYRING_SHARE`].
    fn make_room(&self, incoming_name: &str, incoming: usize) {
        let Ok(names) = self.store.names() else { return };
        let mut ours: Vec<(bool, i64, String, usize)> = names
            .into_iter()
            .filter(|n| n != incoming_name)
            .filter_map(|n| {
                let text = self.store.get(&n).ok().flatten()?;
                let e = serde_json::from_str::<Entry>(&text).ok();
                let (session, expiration) =
                    e.map_or((false, 0), |e| (e.kind == Kind::MfaSession, e.expiration));
                let size = text.len() + n.len() + KEY_OVERHEAD;
                Some((session, expiration, n, size))
            })
            .collect();
        let mut used: usize = ours.iter().map(|o| o.3).sum();
        ours.sort();
        for (_, _, n, len) in ours {
            if used + incoming <= KEYRING_SHARE {
                break;
            }
            if self.store.delete(&n).is_ok() {
                used -= len;
            }
        }
    }

    /// An exclusive lock for `name`, held until the returned file is dropped. Waits for
    /// another swrole holding it (it may be asking for an MFA code), up to `wait`, and says
    /// so on stderr (`waiting_for`) once the wait is longer than a moment. `Ok(None)`: still
    /// busy after `wait` (said on stderr too): the caller goes ahead without it.
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
        self.files.ensure_dir()?;
        let path = self.lock_path(name);
        let file = self.open_lock_file(&path)?;
        let start = Instant::now();
        let deadline = start + wait;
        let mut said = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(file)),
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

    /// Held by a background renewal of entry `name` for as long as it runs (the
    /// auto-refresh starts one at a time). `None` when another holds it.
    pub fn renewing(&self, name: &str) -> Result<Option<File>> {
        self.files.ensure_dir()?;
        let file = self.open_lock_file(&self.dir().join(format!("{name}.renewing.lock")))?;
        Ok(file.try_lock().ok().map(|()| file))
    }

    /// Count one more time of `what` (a name made of letters, digits, `-` and `.`): 1 the
    /// first time, and again 1 once `window` seconds have passed since that first. Kept in a
    /// file of its own (no secret in it); 0 when it cannot be counted.
    pub fn count(&self, what: &str, window: i64) -> u32 {
        use std::io::Read;
        let path = self.dir().join(format!("{what}.count"));
        let read = || -> Option<(i64, u32)> {
            let file = OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(&path).ok()?;
            if crate::store::file::distrust(&file.metadata().ok()?, false).is_some() {
                return None;
            }
            let mut text = String::new();
            file.take(64).read_to_string(&mut text).ok()?;
            let (first, n) = text.trim_end().split_once('\t')?;
            Some((first.parse().ok()?, n.parse().ok()?))
        };
        let (first, n) = match read() {
            Some((first, n)) if now() - first < window && now() >= first => (first, n.saturating_add(1)),
            _ => (now(), 1),
        };
        let write = || -> Result<()> {
            self.files.ensure_dir()?;
            let mut file = tempfile::NamedTempFile::new_in(self.dir())?;
            writeln!(file, "{first}\t{n}")?;
            file.persist(&path).map_err(|e| e.error)?;
            Ok(())
        };
        if write().is_ok() { n } else { 0 }
    }

    fn note_path(&self, name: &str) -> PathBuf {
        self.dir().join(format!("{name}.renew-failed"))
    }

    /// Remember that a background renewal of `name` failed, and why (one line, no secret),
    /// for the next prompt to say once.
    pub fn note_failure(&self, name: &str, why: &str) -> Result<()> {
        let why: String = why.chars().map(|c| if c.is_control() { ' ' } else { c }).take(1000).collect();
        self.write_note(name, &Failure { at: now(), said: false, why })
    }

    /// The note of `name`, written whole (a temporary file renamed over it).
    fn write_note(&self, name: &str, failure: &Failure) -> Result<()> {
        self.files.ensure_dir()?;
        let mut file = tempfile::NamedTempFile::new_in(self.dir())?;
        writeln!(file, "{}\t{}\t{}", failure.at, u8::from(failure.said), failure.why)?;
        file.persist(self.note_path(name)).map_err(|e| e.error)?;
        Ok(())
    }

    /// The last failure of a background renewal of `name`: when, whether it was said, and
    /// why. A missing, unreadable or malformed note is `None`.
    pub fn failure(&self, name: &str) -> Option<Failure> {
        use std::io::Read;
        let file =
            OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(self.note_path(name)).ok()?;
        if crate::store::file::distrust(&file.metadata().ok()?, false).is_some() {
            return None;
        }
        let mut text = String::new();
        file.take(4096).read_to_string(&mut text).ok()?;
        let mut parts = text.trim_end().splitn(3, '\t');
        let at = parts.next()?.parse().ok()?;
        let said = parts.next()? == "1";
        Some(Failure { at, said, why: parts.next()?.to_string() })
    }

    /// Mark the failure note of `name` as said (so the next prompt stays quiet).
    pub fn failure_said(&self, name: &str, failure: &Failure) -> Result<()> {
        self.write_note(name, &Failure { said: true, ..failure.clone() })
    }

    /// Forget the failure of `name` (a renewal worked).
    pub fn clear_failure(&self, name: &str) {
        let _ = std::fs::remove_file(self.note_path(name));
    }

    /// Held while this swrole asks for an MFA code on its terminal, so that a switch that
    /// has its own code does not wait for the answer. `None` when it cannot be taken (no
    /// cache directory, or another swrole is asking too): nothing depends on it.
    pub fn prompting(&self) -> Option<File> {
        self.files.ensure_dir().ok()?;
        let file = self.open_lock_file(&self.dir().join("prompting.lock")).ok()?;
        file.try_lock().ok()?;
        Some(file)
    }

    /// Whether another swrole holds [`Cache::prompting`] (a shared lock: checkers never
    /// block each other, only a prompter's exclusive lock blocks them).
    fn someone_prompting(&self) -> bool {
        let Ok(file) = self.open_lock_file(&self.dir().join("prompting.lock")) else { return false };
        matches!(file.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock))
    }

    fn open_lock_file(&self, path: &Path) -> Result<File> {
        crate::store::file::open_lock_file(path)
    }

    /// Every entry (fresh or not), with its name, for `cache list` and `cache clear`.
    /// Untrusted, unreadable or foreign files are left out.
    pub fn entries(&self) -> Result<Vec<(String, Entry)>> {
        let mut out = Vec::new();
        // With the kernel keyring, entries it could not take are files.
        let stores: Vec<&dyn SecretStore> = match self.store.kind() {
            StoreKind::Keyutils => vec![self.store.as_ref(), &self.files],
            _ => vec![self.store.as_ref()],
        };
        for store in stores {
            for name in store.names()? {
                let Ok(Some(text)) = store.get(&name) else { continue };
                if let Ok(entry) = serde_json::from_str::<Entry>(&text) {
                    out.push((name, entry));
                }
            }
        }
        out.sort_by(|a, b| (&a.1.profile, a.1.kind.name()).cmp(&(&b.1.profile, b.1.kind.name())));
        Ok(out)
    }

    /// Remove an entry and its lock file.
    pub fn remove(&self, name: &str) -> Result<()> {
        self.store.delete(name)?;
        if self.store.kind() == StoreKind::Keyutils {
            let _ = self.files.delete(name);
        }
        let _ = std::fs::remove_file(self.lock_path(name));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

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
        let env = Env::from_pairs([
            ("XDG_CACHE_HOME", dir.path().to_str().unwrap()),
            ("SWROLE_CACHE_STORE", "file"),
        ]);
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
        assert!(cache.get("k", Kind::Role, Bound::default()).unwrap().is_none());
        cache.put("k", &entry).unwrap();
        assert_eq!(cache.get("k", Kind::Role, Bound::default()).unwrap().unwrap().credentials(), c);
        assert!(cache.get("k", Kind::MfaSession, Bound::default()).unwrap().is_none(), "kinds do not mix");
        // Bound to its key: the same entry copied to another key's file is refused.
        fs::copy(cache.files.path("k"), cache.files.path("other")).unwrap();
        assert!(
            cache.get("other", Kind::Role, Bound::default()).unwrap_err().to_string().contains("another key")
        );
        // Bound to its profile, role and account too (hardening round 3, item 11).
        let role = "arn:aws:iam::111111111111:role/r";
        let c = Credentials { account_id: Some("111111111111".into()), ..c };
        let entry = Entry::new(Kind::Role, "r", "p", Some(role), &c).unwrap();
        cache.put("r", &entry).unwrap();
        let bound = |profile, role_arn| Bound { profile: Some(profile), role_arn: Some(role_arn) };
        assert!(cache.get("r", Kind::Role, bound("p", role)).unwrap().is_some());
        assert!(cache.get("r", Kind::Role, bound("q", role)).unwrap().is_none(), "another profile's: a miss");
        let other_role = cache.get("r", Kind::Role, bound("p", "arn:aws:iam::111111111111:role/x"));
        assert!(other_role.unwrap_err().to_string().contains("another role"));
        let wrong_account = Entry::new(
            Kind::Role,
            "w",
            "p",
            Some(role),
            &Credentials { account_id: Some("222222222222".into()), ..c.clone() },
        )
        .unwrap();
        cache.put("w", &wrong_account).unwrap();
        assert!(
            cache.get("w", Kind::Role, bound("p", role)).unwrap_err().to_string().contains("another role")
        );
        let meta = fs::metadata(cache.files.path("k")).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(cache.dir()).unwrap().mode() & 0o777, 0o700);
        let shown = format!("{entry:?}");
        assert!(!shown.contains("ASIA") && shown.contains("profile: \"p\""), "{shown}");

        fs::set_permissions(cache.files.path("k"), fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            cache.get("k", Kind::Role, Bound::default()).unwrap_err().to_string().contains("group or others")
        );
        assert!(cache.check_dir().is_ok());
        fs::set_permissions(cache.dir(), fs::Permissions::from_mode(0o755)).unwrap();
        assert!(cache.check_dir().unwrap_err().to_string().contains("chmod 700"));
        fs::set_permissions(cache.dir(), fs::Permissions::from_mode(0o700)).unwrap();
        fs::remove_file(cache.files.path("k")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", cache.files.path("k")).unwrap();
        assert!(
            cache.get("k", Kind::Role, Bound::default()).unwrap_err().to_string().contains("symbolic link")
        );
        fs::remove_file(cache.files.path("k")).unwrap();
        fs::write(cache.files.path("k"), "{\"format\": 1, \"kind\":").unwrap();
        fs::set_permissions(cache.files.path("k"), fs::Permissions::from_mode(0o600)).unwrap();
        assert!(cache.get("k", Kind::Role, Bound::default()).unwrap().is_none(), "corrupt is a miss");
    }

    fn file_cache(dir: &Path, margin: i64) -> Cache {
        let env =
            Env::from_pairs([("XDG_CACHE_HOME", dir.to_str().unwrap()), ("SWROLE_CACHE_STORE", "file")]);
        Cache::locate(&env, margin).unwrap()
    }

    #[test]
    fn where_the_cache_is() {
        let at = |pairs: &[(&str, &str)]| {
            Cache::locate(&Env::from_pairs(pairs.iter().copied()), 0).map(|c| c.dir().to_path_buf())
        };
        assert_eq!(at(&[("HOME", "/h"), ("SWROLE_CACHE_STORE", "file")]), Some("/h/.cache/swrole".into()));
        assert_eq!(
            at(&[("HOME", "/h"), ("XDG_CACHE_HOME", "/x"), ("SWROLE_CACHE_STORE", "file")]),
            Some("/x/swrole".into())
        );
        assert_eq!(
            at(&[("HOME", "/h"), ("XDG_CACHE_HOME", "rel"), ("SWROLE_CACHE_STORE", "file")]),
            Some("/h/.cache/swrole".into()),
            "a relative XDG path is ignored, as the spec says"
        );
        assert_eq!(at(&[("SWROLE_CACHE_STORE", "file")]), None);
        let unknown =
            Cache::locate(&Env::from_pairs([("HOME", "/h"), ("SWROLE_CACHE_STORE", "vault")]), 0).unwrap();
        assert_eq!(unknown.store_kind(), StoreKind::File, "an unknown store falls back to files");
        assert_eq!(unknown.describe(), "/h/.cache/swrole");
        assert_eq!([Kind::Role.name(), Kind::MfaSession.name()], ["role", "mfa-session"]);
    }

    #[test]
    fn entries_are_checked_like_sts_answers_and_kept_with_a_margin() {
        let dir = tempfile::tempdir().unwrap();
        let cache = file_cache(dir.path(), 300);
        assert!(
            Entry::new(
                Kind::Role,
                "k",
                "p",
                None,
                &Credentials { expiration: None, ..Credentials::sample(0) }
            )
            .is_none(),
            "long-term keys are not cached"
        );
        let put = |name: &str, c: &Credentials| {
            cache.put(name, &Entry::new(Kind::Role, name, "p", None, c).unwrap()).unwrap()
        };
        put("soon", &Credentials::sample(now() + 200));
        assert!(
            cache.get("soon", Kind::Role, Bound::default()).unwrap().is_none(),
            "inside the margin: renewed"
        );
        put("later", &Credentials::sample(now() + 400));
        assert!(cache.get("later", Kind::Role, Bound::default()).unwrap().is_some());
        put(
            "bad",
            &Credentials {
                access_key_id: "AKIA/../..AAAAAAAAAAAA".into(),
                ..Credentials::sample(now() + 3600)
            },
        );
        assert!(
            cache
                .get("bad", Kind::Role, Bound::default())
                .unwrap_err()
                .to_string()
                .contains("holds malformed credentials: not used")
        );
        put("bad-expired", &Credentials { access_key_id: "x".into(), ..Credentials::sample(now() - 10) });
        assert!(
            cache.get("bad-expired", Kind::Role, Bound::default()).unwrap().is_none(),
            "an expired entry is a plain miss"
        );
        let mut old = Entry::new(Kind::Role, "old", "p", None, &Credentials::sample(now() + 3600)).unwrap();
        old.format = FORMAT - 1;
        cache.put("old", &old).unwrap();
        assert!(
            cache.get("old", Kind::Role, Bound::default()).unwrap().is_none(),
            "another format is a miss"
        );
    }

    #[test]
    fn listing_sorts_by_profile_and_kind_and_removal_takes_the_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        let cache = file_cache(dir.path(), 0);
        for (name, kind, profile) in
            [("n1", Kind::Role, "b"), ("n2", Kind::Role, "a"), ("n3", Kind::MfaSession, "a")]
        {
            cache
                .put(
                    name,
                    &Entry::new(kind, name, profile, None, &Credentials::sample(now() + 3600)).unwrap(),
                )
                .unwrap();
        }
        let listed: Vec<_> = cache.entries().unwrap().into_iter().map(|(n, _)| n).collect();
        assert_eq!(listed, ["n3", "n2", "n1"], "a/mfa-session, a/role, b/role");
        drop(cache.lock("n1", Duration::ZERO, "x", false).unwrap().unwrap());
        assert!(cache.lock_path("n1").exists());
        cache.remove("n1").unwrap();
        assert!(!cache.lock_path("n1").exists() && !cache.files.path("n1").exists());
        assert_eq!(cache.entries().unwrap().len(), 2);
    }

    #[test]
    fn counts_start_again_after_their_window() {
        let dir = tempfile::tempdir().unwrap();
        let cache = file_cache(dir.path(), 0);
        assert_eq!([cache.count("a", 3600), cache.count("a", 3600), cache.count("a", 3600)], [1, 2, 3]);
        assert_eq!(cache.count("b", 3600), 1, "each name its own");
        assert_eq!([cache.count("c", 0), cache.count("c", 0)], [1, 1], "a window that has passed");
        let path = cache.dir().join("a.count");
        fs::write(&path, "not a count\n").unwrap();
        assert_eq!(cache.count("a", 3600), 1, "a malformed file starts again");
        fs::write(&path, format!("{}\t7\n", now() + 100)).unwrap();
        assert_eq!(cache.count("a", 3600), 1, "a first time in the future starts again");
        fs::write(&path, format!("{}\t7\n", now() - 10)).unwrap();
        assert_eq!(cache.count("a", 3600), 8);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(cache.count("a", 3600), 1, "a file others can write is not trusted");
    }

    #[test]
    fn locks_exclude_wait_and_give_way() {
        let dir = tempfile::tempdir().unwrap();
        let cache = file_cache(dir.path(), 0);
        // Another swrole (the same lock files, opened again) tries `name` on a thread: a
        // wait that never ends fails the test instead of hanging it. Whether it got the
        // lock, and how long it took.
        let other = |name: &'static str, wait: Duration, own_code: bool| {
            let (tx, rx) = std::sync::mpsc::channel();
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let start = Instant::now();
                let got = file_cache(&path, 0).lock(name, wait, "x", own_code).unwrap().is_some();
                tx.send((got, start.elapsed())).unwrap();
            });
            rx.recv_timeout(Duration::from_secs(10)).expect("the wait ends")
        };
        let held = cache.lock("k", Duration::ZERO, "x", false).unwrap().expect("free");
        assert_eq!(fs::metadata(cache.lock_path("k")).unwrap().mode() & 0o777, 0o600);
        assert!(!other("k", Duration::ZERO, false).0, "busy, no wait");
        let (got, waited) = other("k", Duration::from_millis(300), false);
        assert!(!got && waited >= Duration::from_millis(300), "busy past the wait, after waiting");
        // A holder that lets go within the wait hands the lock over.
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(held);
        });
        assert!(other("k", Duration::from_secs(5), false).0);
        release.join().unwrap();

        // With its own MFA code, a switch does not wait for one that is asking for a code.
        let _busy = cache.lock("m", Duration::ZERO, "x", false).unwrap().unwrap();
        assert!(!cache.someone_prompting());
        let asking = cache.prompting().expect("nobody is asking");
        assert!(cache.someone_prompting());
        assert!(cache.prompting().is_none(), "one asker at a time");
        let (got, waited) = other("m", Duration::from_secs(5), true);
        assert!(!got && waited < Duration::from_secs(4), "went ahead at once");
        // Without a code of its own, it waits for the one asking.
        let (got, waited) = other("m", Duration::from_millis(300), false);
        assert!(!got && waited >= Duration::from_millis(300), "it waited");
        drop(asking);
        assert!(!cache.someone_prompting());

        // The lock file is never reached through a symlink.
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), cache.lock_path("s")).unwrap();
        assert!(
            cache
                .lock("s", Duration::ZERO, "x", false)
                .unwrap_err()
                .to_string()
                .contains("could not open lock file")
        );
        assert!(!dir.path().join("elsewhere").exists());
    }
}
