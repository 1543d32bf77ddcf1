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
impl Credentials {
    /// Well-formed role credentials that expire at `expiration`, for tests.
    pub fn sample(expiration: i64) -> Credentials {
        Credentials {
            access_key_id: "ASIAAAAAAAAAAAAAAAAA".into(),
            secret_access_key: "s".into(),
            session_token: Some("t".into()),
            expiration: Some(expiration),
            arn: None,
            account_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Credentials {
        Credentials {
            access_key_id: "ASIAAAAAAAAAAAAAAAAA".into(),
            secret_access_key: "s".into(),
            session_token: Some("t".into()),
            expiration: Some(crate::clock::now() + 3600),
            arn: None,
            account_id: Some("111111111111".into()),
        }
    }

    #[test]
    fn shapes() {
        assert!(good().check_shape().is_ok());
        let bad = |f: &dyn Fn(&mut Credentials)| {
            let mut c = good();
            f(&mut c);
            c.check_shape().is_err()
        };
        assert!(bad(&|c| c.access_key_id = "ASIA".into()), "too short");
        assert!(bad(&|c| c.access_key_id = "A".repeat(129)), "too long");
        assert!(!bad(&|c| c.access_key_id = "A".repeat(128)), "128 is the limit");
        assert!(!bad(&|c| c.access_key_id = "A".repeat(16)), "16 is the limit");
        assert!(bad(&|c| c.access_key_id = "ASIAAAAAAAAAAAAAAA-A".into()), "not alphanumeric");
        assert!(bad(&|c| c.secret_access_key = String::new()), "empty secret");
        assert!(bad(&|c| c.secret_access_key = "x".repeat(MAX_SECRET + 1)), "oversized secret");
        assert!(!bad(&|c| c.secret_access_key = "x".repeat(MAX_SECRET)), "the secret limit");
        assert!(bad(&|c| c.secret_access_key = "a\nb".into()), "control character");
        assert!(bad(&|c| c.session_token = Some(String::new())), "empty token");
        assert!(bad(&|c| c.session_token = Some("x".repeat(MAX_TOKEN + 1))), "oversized token");
        assert!(!bad(&|c| c.session_token = Some("x".repeat(MAX_TOKEN))), "the token limit");
        assert!(!bad(&|c| c.session_token = None), "long-term keys have none");
        assert!(bad(&|c| c.account_id = Some("12345678901".into())), "11 digits");
        assert!(bad(&|c| c.account_id = Some("12345678901a".into())), "a letter");
        assert!(bad(&|c| c.expiration = Some(crate::clock::now() - 1)), "expired");
        assert!(!bad(&|c| c.expiration = None), "no expiry");
        assert!(is_account_id("123456789012"));
        assert!(!is_account_id("1234567890123") && !is_account_id("") && !is_account_id("12345678901x"));
        assert_eq!(MAX_TOKEN, 16 * 1024);
    }

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
