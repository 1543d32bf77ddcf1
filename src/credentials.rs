//! Credentials in memory. `Debug` never shows the secret key or the session token.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// Seconds since the Unix epoch; `None` for long-term keys.
    pub expiration: Option<i64>,
    /// The ARN these credentials act as, when STS said so (`AssumedRoleUser.Arn`).
    pub arn: Option<String>,
    pub account_id: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("session_token", &self.session_token.as_ref().map(|_| "** redacted **"))
            .field("expiration", &self.expiration)
            .field("arn", &self.arn)
            .finish()
    }
}

/// Real secret keys are 40 characters and session tokens a few KiB; these bound what a
/// broken or hostile endpoint (or cache file) can make swrole print.
pub const MAX_SECRET: usize = 1024;
pub const MAX_TOKEN: usize = 16 * 1024;

impl Credentials {
    /// Credentials that will be printed into a shell, from STS or from the cache: an access
    /// key id is `[A-Za-z0-9]`, nothing may be empty, oversized or hold control characters,
    /// and they must not have expired already. Secrets are quoted on output whatever they
    /// hold, but an odd value means a broken or hostile source.
    pub fn check_shape(&self) -> anyhow::Result<()> {
        let id = &self.access_key_id;
        if !((16..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())) {
            anyhow::bail!("the credentials received have a malformed access key id");
        }
        let secrets = [
            (self.secret_access_key.as_str(), MAX_SECRET),
            (self.session_token.as_deref().unwrap_or("x"), MAX_TOKEN),
        ];
        for (secret, max) in secrets {
            if secret.is_empty() || secret.len() > max || secret.chars().any(char::is_control) {
                anyhow::bail!(
                    "the credentials received have an empty or oversized secret, or one with control characters"
                );
            }
        }
        if let Some(account) = &self.account_id
            && !is_account_id(account)
        {
            anyhow::bail!("the credentials received name an account id that is not 12 digits");
        }
        if self.expiration.is_some_and(|e| e <= crate::clock::now()) {
            anyhow::bail!("the credentials received have already expired: check this machine's clock");
        }
        Ok(())
    }
}

/// An AWS account id: exactly 12 ASCII digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let c = Credentials {
            access_key_id: "ASIAXXXX".into(),
            secret_access_key: "very-secret".into(),
            session_token: Some("token-secret".into()),
            expiration: Some(0),
            arn: None,
            account_id: None,
        };
        let text = format!("{c:?} {c:#?}");
        assert!(!text.contains("very-secret") && !text.contains("token-secret"), "{text}");
        assert!(text.contains("ASIAXXXX"));
    }
}
