//! IAM Identity Center on the network and on disk: the OIDC service (RegisterClient,
//! StartDeviceAuthorization, CreateToken), the access portal (GetRoleCredentials,
//! ListAccounts, ListAccountRoles), and the token and client-registration files of
//! `~/.aws/sso/cache`, refreshed under swrole's lock and written back only over what was
//! read (the AWS CLI and the SDKs refresh them too, without that lock).

use std::fmt;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

use crate::clock;
use crate::credentials::Credentials;
use crate::signin::{lock, read_text};
use crate::sso::{Registration, Session, Token, TokenOutput};
use crate::text::sanitize;

/// Answers of either service are small (a page of accounts is a few KiB).
pub const MAX_ANSWER: usize = 256 * 1024;
/// Pages of ListAccounts / ListAccountRoles read at most: a bound on a hostile portal.
const MAX_PAGES: usize = 200;

/// Where and how to reach both services.
pub struct Endpoints {
    pub oidc: String,
    pub portal: String,
    pub timeout: Duration,
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
}

/// The service said no: its error type (`AuthorizationPendingException`), OAuth code
/// (`authorization_pending`) and description, escaped.
#[derive(Debug)]
pub struct Refused {
    pub kind: String,
    pub code: String,
    pub description: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IAM Identity Center refused ({}", self.kind)?;
        if !self.code.is_empty() && !self.kind.to_lowercase().starts_with(&self.code.replace('_', "")) {
            write!(f, ", {}", self.code)?;
        }
        write!(f, ")")?;
        if !self.description.is_empty() {
            write!(f, ": {}", self.description)?;
        }
        Ok(())
    }
}

impl std::error::Error for Refused {}

fn refused(status: u16, kind: Option<String>, body: &[u8]) -> anyhow::Error {
    let doc: Value = serde_json::from_slice(body).unwrap_or_default();
    let field = |k: &str| {
        doc.get(k)
            .and_then(Value::as_str)
            .map(|s| sanitize(&s.chars().take(300).collect::<String>()))
            .unwrap_or_default()
    };
    let description = match field("error_description") {
        d if d.is_empty() => field("message"),
        d => d,
    };
    Refused { kind: kind.unwrap_or_else(|| format!("HTTP {status}")), code: field("error"), description }
        .into()
}

/// One call to either service: the answer's body, or the service's refusal as [`Refused`].
async fn call(
    ep: &Endpoints,
    what: &str,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Result<bytes::Bytes> {
    let (status, kind, answer) =
        crate::sts::http_call(what, method, url, headers, body, ep.timeout, &ep.extra_roots, MAX_ANSWER)
            .await?;
    if !(200..300).contains(&status) {
        return Err(refused(status, kind, &answer));
    }
    Ok(answer)
}

async fn oidc_post(ep: &Endpoints, path: &str, body: &Value) -> Result<bytes::Bytes> {
    let url = format!("{}{path}", ep.oidc.trim_end_matches('/'));
    let headers = [("content-type", "application/json")];
    call(ep, "IAM Identity Center (OIDC)", "POST", &url, &headers, Some(body.to_string())).await
}

async fn portal_get(ep: &Endpoints, path: &str, query: &[(&str, &str)], token: &str) -> Result<Value> {
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish();
    let url = format!("{}{path}?{query}", ep.portal.trim_end_matches('/'));
    let headers = [("x-amz-sso_bearer_token", token), ("accept", "application/json")];
    let answer = call(ep, "the IAM Identity Center portal", "GET", &url, &headers, None).await?;
    serde_json::from_slice(&answer)
        .map_err(|_| anyhow!("the IAM Identity Center portal answered with something that is not JSON"))
}

/// RegisterClient: for the browser sign-in (authorization code and refresh token grants, the
/// loopback redirect URI, the start URL as issuer) or for the device code.
pub async fn register(ep: &Endpoints, session: &Session, auth_code: bool) -> Result<Registration> {
    let name = format!("swrole-client-{}", session.name.as_deref().unwrap_or("legacy"));
    let scopes = session.registration_scopes();
    let mut body = json!({"clientName": name, "clientType": "public", "scopes": scopes});
    let grants: Vec<String> = if auth_code {
        body["grantTypes"] = json!(["authorization_code", "refresh_token"]);
        body["redirectUris"] = json!([crate::sso::REDIRECT_URI]);
        body["issuerUrl"] = json!(session.start_url);
        vec!["authorization_code".into(), "refresh_token".into()]
    } else {
        Vec::new()
    };
    let answer = oidc_post(ep, "/client/register", &body).await.context("RegisterClient")?;
    Registration::from_answer(&answer, scopes, grants).context("RegisterClient answered badly")
}

/// What StartDeviceAuthorization gives.
pub struct Device {
    pub device_code: String,
    pub user_code: String,
    pub uri: String,
    pub uri_complete: String,
    pub expires_in: u64,
    pub interval: u64,
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Device")
            .field("user_code", &self.user_code)
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

pub async fn start_device(ep: &Endpoints, reg: &Registration, start_url: &str) -> Result<Device> {
    let body = json!({"clientId": reg.client_id, "clientSecret": reg.client_secret, "startUrl": start_url});
    let answer = oidc_post(ep, "/device_authorization", &body).await.context("StartDeviceAuthorization")?;
    Device::from_answer(&answer)
}

impl Device {
    /// StartDeviceAuthorization's answer: every text present, printable and at most 2 KiB;
    /// both URIs held to the rule of every endpoint; the times clamped to sane ranges.
    fn from_answer(answer: &[u8]) -> Result<Device> {
        let doc: Value =
            serde_json::from_slice(answer).map_err(|_| anyhow!("StartDeviceAuthorization: not JSON"))?;
        let text = |k: &str| -> Result<String> {
            let v = doc
                .get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("StartDeviceAuthorization: no {k}"))?;
            if v.is_empty() || v.len() > 2048 || v.chars().any(char::is_control) {
                bail!("StartDeviceAuthorization: {k} is not usable");
            }
            Ok(v.to_string())
        };
        // Both URIs are printed, and the complete one may go to the browser: each is held to
        // the rule of every endpoint (https, or http to loopback), not only the first.
        let uri = crate::plan::check_url("verification URI", &text("verificationUri")?)?;
        let uri_complete = match text("verificationUriComplete") {
            Ok(u) => crate::plan::check_url("verification URI", &u)?,
            Err(_) => uri.clone(),
        };
        Ok(Device {
            device_code: text("deviceCode")?,
            user_code: text("userCode")?,
            uri,
            uri_complete,
            expires_in: doc.get("expiresIn").and_then(Value::as_u64).unwrap_or(600).clamp(1, 3600),
            interval: doc.get("interval").and_then(Value::as_u64).unwrap_or(5).clamp(1, 60),
        })
    }
}

pub async fn create_token(ep: &Endpoints, body: &Value) -> Result<TokenOutput> {
    let answer = oidc_post(ep, "/token", body).await?;
    TokenOutput::parse(&answer).context("CreateToken answered badly")
}

/// GetRoleCredentials: the role's credentials.
pub async fn role_credentials(ep: &Endpoints, token: &str, account: &str, role: &str) -> Result<Credentials> {
    let doc =
        portal_get(ep, "/federation/credentials", &[("role_name", role), ("account_id", account)], token)
            .await?;
    role_credentials_from(&doc, account)
}

/// GetRoleCredentials' answer (the expiration comes in milliseconds), checked as any
/// credentials are.
fn role_credentials_from(doc: &Value, account: &str) -> Result<Credentials> {
    let c = doc.get("roleCredentials").ok_or_else(|| anyhow!("GetRoleCredentials: no roleCredentials"))?;
    let text = |k: &str| {
        c.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| anyhow!("GetRoleCredentials: no {k}"))
    };
    let creds = Credentials {
        access_key_id: text("accessKeyId")?,
        secret_access_key: text("secretAccessKey")?,
        session_token: Some(text("sessionToken")?),
        expiration: c.get("expiration").and_then(Value::as_i64).map(|ms| ms / 1000),
        arn: None,
        account_id: Some(account.to_string()),
    };
    creds.check_shape().context("GetRoleCredentials")?;
    Ok(creds)
}

/// Every page of a portal list: `items` of each answer, following `nextToken`.
async fn pages(
    ep: &Endpoints,
    path: &str,
    extra: &[(&str, &str)],
    items: &str,
    token: &str,
) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut query: Vec<(&str, &str)> = extra.to_vec();
        if let Some(n) = &next {
            query.push(("next_token", n));
        }
        let doc = portal_get(ep, path, &query, token).await?;
        if let Some(list) = doc.get(items).and_then(Value::as_array) {
            out.extend(list.iter().cloned());
        }
        match doc.get("nextToken").and_then(Value::as_str) {
            Some(n) if !n.is_empty() && Some(n) != next.as_deref() => next = Some(n.to_string()),
            _ => return Ok(out),
        }
    }
    bail!("the IAM Identity Center portal gave more than {MAX_PAGES} pages of {items}")
}

/// ListAccounts then ListAccountRoles of each: every role the token may take, sorted.
pub async fn access(ep: &Endpoints, token: &str) -> Result<Vec<crate::sso::Access>> {
    let mut out = Vec::new();
    for account in
        pages(ep, "/assignment/accounts", &[], "accountList", token).await.context("ListAccounts")?
    {
        let id = account.get("accountId").and_then(Value::as_str).unwrap_or("");
        if !crate::credentials::is_account_id(id) {
            bail!("ListAccounts gave an account id that is not one: {:?}", sanitize(id));
        }
        let name = account.get("accountName").and_then(Value::as_str).unwrap_or(id).to_string();
        crate::sso::check_portal_text("account name", &name)?;
        let roles = pages(ep, "/assignment/roles", &[("account_id", id)], "roleList", token)
            .await
            .with_context(|| format!("ListAccountRoles of account {id}"))?;
        for r in roles {
            let role = r.get("roleName").and_then(Value::as_str).unwrap_or("");
            crate::sso::check_role_name(role)?;
            out.push(crate::sso::Access {
                account_id: id.to_string(),
                account_name: name.clone(),
                role_name: role.to_string(),
            });
        }
    }
    out.sort();
    Ok(out)
}

/// A token or registration file, parsed with `parse`, and its text.
fn read<T>(path: &Path, parse: impl Fn(&str) -> Result<T>) -> Result<Option<(String, T)>> {
    let Some(text) = read_text(path)? else { return Ok(None) };
    let value = parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(Some((text, value)))
}

pub fn read_token(path: &Path) -> Result<Option<(String, Token)>> {
    read(path, Token::parse)
}

pub fn read_registration(path: &Path) -> Result<Option<Registration>> {
    Ok(read(path, Registration::parse).ok().flatten().map(|(_, r)| r))
}

/// A portal refusal of the token itself (UnauthorizedException: signed out, or revoked) as
/// the one line that says to sign in again; any other error as it is.
pub fn unless_accepted(e: anyhow::Error, what: &str, target: &str) -> anyhow::Error {
    match e.downcast_ref::<Refused>() {
        Some(r) if r.kind == "UnauthorizedException" => {
            anyhow!(
                "the IAM Identity Center sign-in of {what} is no longer accepted ({r}): {}",
                sign_in_again(target)
            )
        }
        _ => e,
    }
}

/// How to sign in again, for messages.
pub fn sign_in_again(profile: &str) -> String {
    format!("run `swrole login {profile}` (or `aws sso login --profile {profile}`)")
}

/// The session's token, refreshed first when less than 15 minutes are left and it can be:
/// under swrole's lock, the file read again (another program may have refreshed it), then
/// CreateToken with the refresh token, then written back only if the file still holds what
/// was read. A refresh that fails leaves a token that is still valid in use (the policy of
/// [`crate::signin::after_failed_refresh`], shared with `aws login`).
pub fn token(
    env: &crate::env::Env,
    profile: &str,
    session: &Session,
    ep: &Endpoints,
    runtime: &tokio::runtime::Runtime,
) -> Result<Token> {
    let dir =
        crate::sso::cache_dir(env).ok_or_else(|| anyhow!("HOME is not set: there is no SSO token cache"))?;
    let path = crate::sso::token_file(&dir, session);
    let missing = || {
        anyhow!(
            "profile {profile:?} signs in with IAM Identity Center ({}), and there is no token for it in {}: {}",
            sanitize(&session.label()),
            dir.display(),
            sign_in_again(profile)
        )
    };
    let (_, token) = read_token(&path)?.ok_or_else(missing)?;
    let now = clock::now();
    if !token.needs_refresh(now) || (token.refreshable(now).is_none() && token.valid(now)) {
        return Ok(token);
    }
    if token.refreshable(now).is_none() {
        bail!(
            "the IAM Identity Center sign-in of profile {profile:?} ({}) has ended: {}",
            sanitize(&session.label()),
            sign_in_again(profile)
        );
    }
    let _lock = lock(&path)?;
    let (before, token) = read_token(&path)?.ok_or_else(missing)?;
    let now = clock::now();
    let Some(r) = token.refreshable(now).filter(|_| token.needs_refresh(now)).cloned() else {
        return usable(token, now, profile, session);
    };
    let body = json!({
        "clientId": r.client_id,
        "clientSecret": r.client_secret,
        "grantType": "refresh_token",
        "refreshToken": r.refresh_token,
    });
    match runtime.block_on(create_token(ep, &body)) {
        Ok(out) => {
            let fresh = token.refreshed(&out, clock::now());
            crate::signin::save_unless_changed(
                &path,
                &before,
                &fresh.to_json(),
                "the refreshed IAM Identity Center token",
            )?;
            Ok(fresh)
        }
        Err(e) => {
            let left = token.left(clock::now());
            crate::signin::after_failed_refresh(
                token,
                left,
                e,
                &format!("the IAM Identity Center token of profile {profile:?}"),
                |e| {
                    e.context(format!(
                        "the IAM Identity Center sign-in of profile {profile:?} has ended and could not be \
                         refreshed: {}",
                        sign_in_again(profile)
                    ))
                },
            )
        }
    }
}

/// After the lock, a token that needs no refresh (another program refreshed it) or cannot
/// have one: used while it is valid, otherwise the sign-in has ended.
fn usable(token: Token, now: i64, profile: &str, session: &Session) -> Result<Token> {
    if token.valid(now) {
        return Ok(token);
    }
    bail!(
        "the IAM Identity Center sign-in of profile {profile:?} ({}) has ended: {}",
        sanitize(&session.label()),
        sign_in_again(profile)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_read_again_under_the_lock_is_used_while_it_is_valid() {
        let session = Session {
            name: Some("work".into()),
            start_url: "https://example.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            scopes: None,
        };
        let token = Token::parse(r#"{"accessToken":"a","expiresAt":"2026-01-01T00:00:00Z"}"#).unwrap();
        let end = token.expires_at;
        assert_eq!(usable(token.clone(), end - 1, "dev", &session).unwrap().access_token, "a");
        for now in [end, end + 1] {
            let e = usable(token.clone(), now, "dev", &session).unwrap_err().to_string();
            assert!(
                e.contains("profile \"dev\" (sso-session work) has ended") && e.contains("swrole login dev"),
                "{e}"
            );
        }
    }

    fn refusal(kind: &str, code: &str, description: &str) -> String {
        Refused { kind: kind.into(), code: code.into(), description: description.into() }.to_string()
    }

    /// The error type always; the OAuth code only when the type does not already say it;
    /// the description when there is one.
    #[test]
    fn refusals_read_as_one_line() {
        assert_eq!(
            refusal("AuthorizationPendingException", "authorization_pending", ""),
            "IAM Identity Center refused (AuthorizationPendingException)"
        );
        assert_eq!(
            refusal("InvalidGrantException", "invalid_grant", "refresh token expired"),
            "IAM Identity Center refused (InvalidGrantException): refresh token expired"
        );
        assert_eq!(
            refusal("HTTP 400", "slow_down", "wait"),
            "IAM Identity Center refused (HTTP 400, slow_down): wait"
        );
        assert_eq!(refusal("HTTP 500", "", ""), "IAM Identity Center refused (HTTP 500)");
    }

    /// What an answer's body says: `error_description`, else `message`, escaped and cut at
    /// 300 characters; the type from the header, else the status.
    #[test]
    fn refusals_are_read_from_the_answer() {
        let read = |status, kind: Option<&str>, body: &str| {
            let e = refused(status, kind.map(str::to_string), body.as_bytes());
            let r = e.downcast::<Refused>().unwrap();
            (r.kind, r.code, r.description)
        };
        assert_eq!(
            read(
                400,
                Some("ExpiredTokenException"),
                r#"{"error":"expired_token","error_description":"gone","message":"m"}"#
            ),
            ("ExpiredTokenException".into(), "expired_token".into(), "gone".into())
        );
        assert_eq!(
            read(401, None, r#"{"message":"Session token not found or invalid"}"#).2,
            "Session token not found or invalid"
        );
        assert_eq!(read(401, None, r#"{"error_description":"","message":"m"}"#).2, "m");
        assert_eq!(read(502, None, "<html>").0, "HTTP 502");
        let long = format!(r#"{{"message":"{}\u001b"}}"#, "x".repeat(400));
        assert_eq!(read(400, None, &long).2, "x".repeat(300));
        assert_eq!(read(400, None, r#"{"message":"a\u001bb"}"#).2, "a\\u{1b}b");
    }

    /// Only UnauthorizedException (signed out, revoked) becomes the sign-in-again line.
    #[test]
    fn only_an_unaccepted_token_says_sign_in_again() {
        let unauthorized = refused(401, Some("UnauthorizedException".into()), br#"{"message":"revoked"}"#);
        assert_eq!(
            unless_accepted(unauthorized, "profile \"prod\"", "prod").to_string(),
            "the IAM Identity Center sign-in of profile \"prod\" is no longer accepted (IAM Identity Center refused \
             (UnauthorizedException): revoked): run `swrole login prod` (or `aws sso login --profile prod`)"
        );
        let other = refused(403, Some("ForbiddenException".into()), b"{}");
        assert_eq!(
            unless_accepted(other, "x", "prod").to_string(),
            "IAM Identity Center refused (ForbiddenException)"
        );
    }

    #[test]
    fn a_device_code_shows_what_the_user_needs_and_nothing_else() {
        let device = Device {
            device_code: "secret-device-code".into(),
            user_code: "ABCD-EFGH".into(),
            uri: "https://device.sso.eu-west-1.amazonaws.com/".into(),
            uri_complete: "https://device.sso.eu-west-1.amazonaws.com/?user_code=ABCD-EFGH".into(),
            expires_in: 600,
            interval: 5,
        };
        assert_eq!(
            format!("{device:?}"),
            "Device { user_code: \"ABCD-EFGH\", uri: \"https://device.sso.eu-west-1.amazonaws.com/\", .. }"
        );
    }

    fn device(doc: Value) -> Result<Device> {
        Device::from_answer(doc.to_string().as_bytes())
    }

    fn device_answer() -> Value {
        json!({
            "deviceCode": "dc",
            "userCode": "ABCD-EFGH",
            "verificationUri": "https://device.sso.eu-west-1.amazonaws.com/",
            "verificationUriComplete": "https://device.sso.eu-west-1.amazonaws.com/?user_code=ABCD-EFGH",
            "expiresIn": 600,
            "interval": 5
        })
    }

    /// Each text of the answer at 2048 bytes is taken, at 2049 refused by name; empty,
    /// control characters and missing are refused too; times are clamped.
    #[test]
    fn a_device_answer_is_read_within_its_bounds() {
        let d = device(device_answer()).unwrap();
        assert_eq!((d.device_code.as_str(), d.user_code.as_str()), ("dc", "ABCD-EFGH"));
        assert_eq!(d.uri_complete, "https://device.sso.eu-west-1.amazonaws.com/?user_code=ABCD-EFGH");
        assert_eq!((d.expires_in, d.interval), (600, 5));
        for key in ["deviceCode", "userCode"] {
            let mut doc = device_answer();
            doc[key] = json!("x".repeat(2048));
            let d = device(doc).unwrap_or_else(|e| panic!("{key}: {e}"));
            assert_eq!(if key == "deviceCode" { d.device_code } else { d.user_code }, "x".repeat(2048));
            for bad in [json!("x".repeat(2049)), json!(""), json!("a\u{7}b")] {
                let mut doc = device_answer();
                doc[key] = bad;
                assert_eq!(
                    device(doc).unwrap_err().to_string(),
                    format!("StartDeviceAuthorization: {key} is not usable")
                );
            }
            let mut doc = device_answer();
            doc.as_object_mut().unwrap().remove(key);
            assert_eq!(device(doc).unwrap_err().to_string(), format!("StartDeviceAuthorization: no {key}"));
        }
        let long = format!("https://device.sso.eu-west-1.amazonaws.com/?c={}", "x".repeat(2048 - 46));
        assert_eq!(long.len(), 2048);
        let mut doc = device_answer();
        doc["verificationUriComplete"] = json!(long);
        assert_eq!(device(doc).unwrap().uri_complete, long);
        // The complete URI absent: the plain one; present but over the rule: refused.
        let mut doc = device_answer();
        doc.as_object_mut().unwrap().remove("verificationUriComplete");
        assert_eq!(device(doc).unwrap().uri_complete, "https://device.sso.eu-west-1.amazonaws.com/");
        let mut doc = device_answer();
        doc["verificationUriComplete"] = json!("http://evil.example.com/");
        assert!(device(doc).is_err());
        let mut doc = device_answer();
        doc["expiresIn"] = json!(100_000);
        doc["interval"] = json!(0);
        let d = device(doc).unwrap();
        assert_eq!((d.expires_in, d.interval), (3600, 1));
        assert_eq!(
            device(json!([])).unwrap_err().to_string(),
            "StartDeviceAuthorization: no verificationUri"
        );
        assert!(Device::from_answer(b"<html>").unwrap_err().to_string().contains("not JSON"));
    }

    /// The portal gives the expiration in milliseconds: swrole keeps seconds.
    #[test]
    fn role_credentials_keep_the_expiration_in_seconds() {
        let ms = (crate::clock::now() + 3600) * 1000 + 999;
        let doc = json!({"roleCredentials": {
            "accessKeyId": "ASIAEXAMPLEEXAMPLE01",
            "secretAccessKey": "secret",
            "sessionToken": "token",
            "expiration": ms
        }});
        let c = role_credentials_from(&doc, "123456789012").unwrap();
        assert_eq!(c.expiration, Some(crate::clock::now() + 3600));
        assert_eq!(c.account_id.as_deref(), Some("123456789012"));
        assert_eq!(c.session_token.as_deref(), Some("token"));
        let mut gone = doc.clone();
        gone["roleCredentials"].as_object_mut().unwrap().remove("sessionToken");
        assert_eq!(
            role_credentials_from(&gone, "123456789012").unwrap_err().to_string(),
            "GetRoleCredentials: no sessionToken"
        );
        assert!(role_credentials_from(&json!({}), "123456789012").is_err());
        assert!(role_credentials_from(&doc, "12345").is_err(), "the account is checked");
    }
}
