//! The `keyutils` store: the Linux kernel's user keyring (`@u`), through the
//! `linux-keyutils` crate. Entries live in kernel memory only: never on disk, gone at
//! reboot, and each one is given a kernel timeout at its expiry, so the kernel drops it on
//! time. Shared by every process of the user, like the file cache. Key type `user`,
//! description `swrole:NAMESPACE:NAME`, readable by this user only.

use anyhow::{Result, anyhow, bail};
use linux_keyutils::{KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};

use super::{SecretStore, StoreKind};

pub struct KeyutilsStore {
    ring: KeyRing,
    namespace: String,
}

fn describe_error(e: KeyError) -> anyhow::Error {
    let what = match e {
        KeyError::AccessDenied => "access denied (a container may block the kernel keyring)",
        KeyError::QuotaExceeded => super::QUOTA_FULL,
        KeyError::OperationNotSupported => "not supported by this kernel",
        _ => "the kernel refused",
    };
    anyhow!("kernel keyring: {what} ({e:?})")
}

impl KeyutilsStore {
    /// The user keyring, or why it cannot be used (containers often block `keyctl`).
    pub fn open(namespace: &str) -> Result<KeyutilsStore> {
        let ring = KeyRing::from_special_id(KeyRingIdentifier::User, true).map_err(describe_error)?;
        // A read proves more than the open: seccomp filters may let one through and not the other.
        ring.metadata().map_err(describe_error)?;
        Ok(KeyutilsStore { ring, namespace: namespace.to_string() })
    }

    fn description(&self, name: &str) -> String {
        format!("swrole:{}:{name}", self.namespace)
    }
}

impl SecretStore for KeyutilsStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Keyutils
    }

    fn get(&self, name: &str) -> Result<Option<String>> {
        let key = match self.ring.search(&self.description(name)) {
            Ok(k) => k,
            Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => return Ok(None),
            Err(e) => return Err(describe_error(e)),
        };
        match key.read_to_vec() {
            Ok(bytes) => Ok(String::from_utf8(bytes).ok()),
            Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => Ok(None),
            Err(e) => Err(describe_error(e)),
        }
    }

    fn put(&self, name: &str, value: &str, expires: Option<i64>) -> Result<()> {
        let key = self.ring.add_key(&self.description(name), value.as_bytes()).map_err(describe_error)?;
        let perms = KeyPermissionsBuilder::builder().posessor(Permission::ALL).user(Permission::ALL).build();
        key.set_perms(perms).map_err(describe_error)?;
        if let Some(at) = expires {
            let secs = at - crate::clock::now();
            if secs <= 0 {
                let _ = key.invalidate();
                bail!("kernel keyring: the entry has already expired");
            }
            key.set_timeout(secs as usize).map_err(describe_error)?;
        }
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<bool> {
        match self.ring.search(&self.description(name)) {
            Ok(key) => {
                key.invalidate().map_err(describe_error)?;
                Ok(true)
            }
            Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => Ok(false),
            Err(e) => Err(describe_error(e)),
        }
    }

    fn names(&self) -> Result<Vec<String>> {
        let prefix = self.description("");
        let links = self.ring.get_links(4096).map_err(describe_error)?;
        let mut out: Vec<String> = links
            .iter()
            .filter_map(|node| node.as_key())
            .filter_map(|key| key.metadata().ok())
            .filter_map(|m| m.get_description().strip_prefix(&prefix).map(str::to_string))
            .collect();
        out.sort();
        Ok(out)
    }

    fn describe(&self) -> String {
        "the kernel user keyring".to_string()
    }
}
