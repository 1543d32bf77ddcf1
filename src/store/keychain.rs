//! The `keychain` store: the macOS login keychain, through keyring-core and its
//! `apple-native-keyring-store` crate (no Security-framework code here). Items are generic
//! passwords with `service = swrole-NAMESPACE`, `account = NAME`. The keychain cannot list
//! items through this crate, so an index item (`service = swrole-NAMESPACE-index`) keeps
//! the names. Compiled and linted for aarch64-apple-darwin in CI; it cannot run there.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use keyring_core::{CredentialStore, Entry, Error};

use super::{SecretStore, StoreKind};

pub struct KeychainStore {
    store: Arc<CredentialStore>,
    service: String,
}

fn describe_error(e: &Error) -> anyhow::Error {
    match e {
        Error::NoStorageAccess(p) => anyhow!("the keychain is locked or refused access: {p}"),
        Error::PlatformFailure(p) => anyhow!("the keychain failed: {p}"),
        Error::BadEncoding(_) | Error::BadDataFormat(..) => {
            anyhow!("the keychain holds an item that is not text")
        }
        _ => anyhow!("the keychain refused the request"),
    }
}

impl KeychainStore {
    pub fn open(namespace: &str) -> Result<KeychainStore> {
        let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()
            .map_err(|e| anyhow!("the login keychain cannot be opened: {}", describe_error(&e)))?;
        Ok(KeychainStore { store, service: format!("swrole-{namespace}") })
    }

    fn entry(&self, service: &str, name: &str) -> Result<Entry> {
        Entry::new_in_store(&self.store, service, name).map_err(|e| describe_error(&e))
    }

    fn index(&self) -> Result<Entry> {
        self.entry(&format!("{}-index", self.service), "names")
    }

    fn write_index(&self, names: &[String]) -> Result<()> {
        let text = serde_json::to_string(names)?;
        self.index()?.set_password(&text).map_err(|e| describe_error(&e))
    }
}

impl SecretStore for KeychainStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Keychain
    }

    fn get(&self, name: &str) -> Result<Option<String>> {
        match self.entry(&self.service, name)?.get_password() {
            Ok(text) => Ok(Some(text)),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(describe_error(&e)),
        }
    }

    fn put(&self, name: &str, value: &str, _expires: Option<i64>) -> Result<()> {
        self.entry(&self.service, name)?.set_password(value).map_err(|e| describe_error(&e))?;
        let mut names = self.names()?;
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
            names.sort();
            self.write_index(&names)?;
        }
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<bool> {
        let found = match self.entry(&self.service, name)?.delete_credential() {
            Ok(()) => true,
            Err(Error::NoEntry) => false,
            Err(e) => return Err(describe_error(&e)),
        };
        let names: Vec<String> = self.names()?.into_iter().filter(|n| n != name).collect();
        self.write_index(&names)?;
        Ok(found)
    }

    fn names(&self) -> Result<Vec<String>> {
        match self.index()?.get_password() {
            Ok(text) => Ok(serde_json::from_str(&text).unwrap_or_default()),
            Err(Error::NoEntry) => Ok(Vec::new()),
            Err(e) => Err(describe_error(&e)),
        }
    }

    fn describe(&self) -> String {
        "the login keychain".to_string()
    }
}
