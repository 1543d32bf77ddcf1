//! Where secrets are kept: one small interface, one file per store. The cache and the key
//! commands use [`SecretStore`] and never know which store is behind it.
//!
//! | store | what it protects against |
//! | --- | --- |
//! | `keychain` (macOS login keychain) | encrypted at rest, tied to the login password; other apps are asked before reading |
//! | `secret-service` (GNOME Keyring, KWallet, KeePassXC over D-Bus) | encrypted at rest, locked with the session |
//! | `keyutils` (Linux kernel user keyring) | never written to disk; gone at reboot; entries expire in the kernel |
//! | `file` (0600 files, 0700 directory) | other users only; the fallback, and for containers |

pub mod file;
#[cfg(target_os = "macos")]
pub mod keychain;
#[cfg(target_os = "linux")]
pub mod keyutils;
#[cfg(target_os = "linux")]
pub mod secret_service;

use std::path::Path;

/// What a refused kernel-keyring write says when the user's key quota is full (the cache
/// then keeps the entry in a file).
pub const QUOTA_FULL: &str = "the user's key quota is full";

use anyhow::{Result, bail};

/// The four kinds of store, as `SWROLE_KEY_STORE` and `SWROLE_CACHE_STORE` name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    Keychain,
    SecretService,
    Keyutils,
    File,
}

impl StoreKind {
    pub const ALL: [StoreKind; 4] =
        [StoreKind::Keychain, StoreKind::SecretService, StoreKind::Keyutils, StoreKind::File];

    pub fn name(self) -> &'static str {
        match self {
            StoreKind::Keychain => "keychain",
            StoreKind::SecretService => "secret-service",
            StoreKind::Keyutils => "keyutils",
            StoreKind::File => "file",
        }
    }

    pub fn parse(var: &str, text: &str) -> Result<StoreKind> {
        match StoreKind::ALL.into_iter().find(|k| k.name() == text) {
            Some(k) => Ok(k),
            None => bail!("{var}={text:?} is not a store: use keychain, secret-service, keyutils or file"),
        }
    }
}

/// A place for named secrets. Names are short ASCII (`keys/PROFILE`, `cache/HEX`); values
/// are UTF-8 (JSON). Errors never carry a secret.
pub trait SecretStore {
    fn kind(&self) -> StoreKind;
    /// The value of `name`, or `None` when there is none (or it has expired).
    fn get(&self, name: &str) -> Result<Option<String>>;
    /// Create or replace `name`. `expires` (seconds since the epoch): a store that can
    /// drop the entry by itself at that time does so.
    fn put(&self, name: &str, value: &str, expires: Option<i64>) -> Result<()>;
    /// Remove `name`; `false` when there was none.
    fn delete(&self, name: &str) -> Result<bool>;
    /// Every name in this store's namespace.
    fn names(&self) -> Result<Vec<String>>;
    /// Where the entries are, for messages (`the kernel user keyring`, a directory).
    fn describe(&self) -> String;
}

/// Open a store for one namespace (`keys` or `cache`: kept apart in every store).
/// `file_dir` is where the `file` store keeps its files.
pub fn open(kind: StoreKind, namespace: &str, file_dir: &Path) -> Result<Box<dyn SecretStore>> {
    match kind {
        StoreKind::File => Ok(Box::new(file::FileStore::new(file_dir))),
        #[cfg(target_os = "linux")]
        StoreKind::Keyutils => Ok(Box::new(keyutils::KeyutilsStore::open(namespace)?)),
        #[cfg(target_os = "linux")]
        StoreKind::SecretService => Ok(Box::new(secret_service::SecretServiceStore::open(namespace)?)),
        #[cfg(target_os = "macos")]
        StoreKind::Keychain => Ok(Box::new(keychain::KeychainStore::open(namespace)?)),
        #[allow(unreachable_patterns)]
        other => bail!("the {} store does not exist on this system", other.name()),
    }
}

/// Whether `name` is safe as a store item name: letters, digits and `/._@+=-`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._@+=,:-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        for k in StoreKind::ALL {
            assert_eq!(StoreKind::parse("X", k.name()).unwrap(), k);
        }
        assert!(
            StoreKind::parse("SWROLE_KEY_STORE", "vault")
                .unwrap_err()
                .to_string()
                .contains("SWROLE_KEY_STORE")
        );
        assert!(valid_name("cache/ab12"));
        assert!(!valid_name("a b") && !valid_name("") && !valid_name("x\n"));
    }
}
