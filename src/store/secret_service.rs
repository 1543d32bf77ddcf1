//! The `secret-service` store: GNOME Keyring, KWallet or KeePassXC over D-Bus, through
//! keyring-core and its `dbus-secret-service-keyring-store` crate (no D-Bus code here).
//! Items are `service = swrole-NAMESPACE`, `username = NAME` in the default (login)
//! collection.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use keyring_core::{CredentialStore, Entry, Error};

use super::{SecretStore, StoreKind};

pub struct SecretServiceStore {
    store: Arc<CredentialStore>,
    service: String,
}

/// A store error as one line, never with the secret bytes some variants carry.
pub fn describe_error(e: &Error) -> anyhow::Error {
    match e {
        Error::NoStorageAccess(p) => anyhow!("the store is locked or refused access: {p}"),
        Error::PlatformFailure(p) => anyhow!("the store failed: {p}"),
        Error::BadEncoding(_) | Error::BadDataFormat(..) => {
            anyhow!("the store holds an item that is not text")
        }
        Error::Ambiguous(_) => anyhow!("the store holds more than one item for this name"),
        other => anyhow!("the store refused: {}", kind_of(other)),
    }
}

fn kind_of(e: &Error) -> &'static str {
    match e {
        Error::NoEntry => "no such item",
        Error::BadStoreFormat(_) => "bad store format",
        Error::TooLong(..) => "a value is too long",
        Error::Invalid(..) => "an invalid parameter",
        _ => "an error",
    }
}

impl SecretServiceStore {
    pub fn open(namespace: &str) -> Result<SecretServiceStore> {
        let store: Arc<CredentialStore> = dbus_secret_service_keyring_store::Store::new()
            .map_err(|e| anyhow!("no Secret Service answers on the session bus: {}", describe_error(&e)))?;
        let this = SecretServiceStore { store, service: format!("swrole-{namespace}") };
        // Ask once now, so that "no service" is an error here rather than on first use.
        this.names().map_err(|e| anyhow!("no Secret Service answers on the session bus: {e}"))?;
        Ok(this)
    }

    fn entry(&self, name: &str) -> Result<Entry> {
        Entry::new_in_store(&self.store, &self.service, name).map_err(|e| describe_error(&e))
    }
}

impl SecretStore for SecretServiceStore {
    fn kind(&self) -> StoreKind {
        StoreKind::SecretService
    }

    fn get(&self, name: &str) -> Result<Option<String>> {
        match self.entry(name)?.get_password() {
            Ok(text) => Ok(Some(text)),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(describe_error(&e)),
        }
    }

    fn put(&self, name: &str, value: &str, _expires: Option<i64>) -> Result<()> {
        self.entry(name)?.set_password(value).map_err(|e| describe_error(&e))
    }

    fn delete(&self, name: &str) -> Result<bool> {
        match self.entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(describe_error(&e)),
        }
    }

    fn names(&self) -> Result<Vec<String>> {
        let spec = HashMap::from([("service", self.service.as_str())]);
        let found = Entry::search_in_store(&self.store, &spec).map_err(|e| describe_error(&e))?;
        let mut out: Vec<String> =
            found.iter().filter_map(|e| e.get_specifiers()).map(|(_, user)| user).collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn describe(&self) -> String {
        "the Secret Service (login collection)".to_string()
    }
}
