//! The `keyutils` store: the Linux kernel's user keyring (`@u`), through the
//! `linux-keyutils` crate. Entries live in kernel memory only: never on disk, gone at
//! reboot, and each one is given a kernel timeout at its expiry, so the kernel drops it on
//! time. Shared by every process of the user, like the file cache. Key type `user`,
//! description `swrole:NAMESPACE:NAME`, readable by this user only.

use anyhow::{Result, anyhow, bail};
use linux_keyutils::{
    Key, KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, KeySerialId, Permission,
};

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

/// The serial numbers of every key linked in the user keyring, however many there are.
/// (`KeyRing::get_links(max)` of linux-keyutils 0.2 tells the kernel its buffer is `max`
/// bytes, not entries: a keyring holding more than `max / 4` keys, other programs' keys
/// included, read as none.) The kernel says how many bytes the list takes and copies it
/// only into a buffer that holds it whole: read, and read again in a larger buffer while
/// the list grows.
fn linked() -> Result<Vec<i32>> {
    const KEYCTL_READ: libc::c_long = 11;
    const KEY_SPEC_USER_KEYRING: libc::c_long = -4;
    let mut ids: Vec<i32> = Vec::new();
    loop {
        let room = ids.capacity() * size_of::<i32>();
        // SAFETY: the kernel writes at most `room` bytes, into the vector's own allocation.
        let needed = unsafe {
            libc::syscall(libc::SYS_keyctl, KEYCTL_READ, KEY_SPEC_USER_KEYRING, ids.as_mut_ptr(), room)
        };
        if needed < 0 {
            return Err(describe_error(KeyError::from_errno()));
        }
        let needed = needed as usize;
        if needed <= room {
            // SAFETY: the kernel filled `needed` bytes, whole serial numbers.
            unsafe { ids.set_len(needed / size_of::<i32>()) };
            return Ok(ids);
        }
        // Room for keys added between the two reads.
        ids.reserve_exact(needed / size_of::<i32>() + 64);
    }
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
        let mut out: Vec<String> = linked()?
            .into_iter()
            .filter_map(|id| Key::from_id(KeySerialId(id)).metadata().ok())
            .filter_map(|m| m.get_description().strip_prefix(&prefix).map(str::to_string))
            .collect();
        out.sort();
        Ok(out)
    }

    fn describe(&self) -> String {
        "the kernel user keyring".to_string()
    }
}
