//! The `credential_process` document, version 1, as the AWS SDKs read it.

use serde::Serialize;

use crate::clock::rfc3339;
use crate::credentials::Credentials;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Document<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
    /// Read by botocore and the JS SDK v3 (`AccountId`, for account-based endpoints).
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
}

pub fn render(c: &Credentials) -> String {
    let doc = Document {
        version: 1,
        access_key_id: &c.access_key_id,
        secret_access_key: &c.secret_access_key,
        session_token: c.session_token.as_deref(),
        expiration: c.expiration.map(rfc3339),
        account_id: c.account_id.as_deref(),
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("serializing strings cannot fail");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document() {
        let c = Credentials {
            access_key_id: "AK".into(),
            secret_access_key: "S\"K".into(),
            session_token: None,
            expiration: Some(0),
            arn: None,
            account_id: None,
        };
        let v: serde_json::Value = serde_json::from_str(&render(&c)).unwrap();
        assert_eq!(v["Version"], 1);
        assert_eq!(v["SecretAccessKey"], "S\"K");
        assert_eq!(v["Expiration"], "1970-01-01T00:00:00Z");
        assert!(v.get("SessionToken").is_none());
    }
}
