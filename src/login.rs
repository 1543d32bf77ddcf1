//! `aws login` sessions (`login_session = ARN`): the token file that the AWS CLI v2,
//! botocore and swrole share, the DPoP proofs its refresh needs, and the values and URLs
//! of the sign-in itself (PKCE, `state`, the authorize URL, the code pasted back with
//! `--remote`). Pure: the calls to the sign-in service and the file writes are `signin`'s.
//!
//! The format follows botocore (`LoginCredentialFetcher`, `LoginTokenLoader`) and the AWS
//! CLI v2 (`awscli/customizations/login/utils.py`): the file is
//! `<cache dir>/<sha256 of the login_session>.json`, the cache dir `AWS_LOGIN_CACHE_DIRECTORY`
//! or `~/.aws/login/cache`.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::credentials::Credentials;
use crate::env::Env;

/// Refresh when less than this is left (botocore's and the Rust SDK's five minutes).
pub const REFRESH_WINDOW: i64 = 5 * 60;
/// The client of the same-device sign-in (browser and loopback callback).
pub const SAME_DEVICE: &str = "arn:aws:signin:::devtools/same-device";
/// The client of `--remote` (the code is pasted back).
pub const CROSS_DEVICE: &str = "arn:aws:signin:::devtools/cross-device";
/// A token file is a few KiB; a bigger one is not read.
pub const MAX_TOKEN_FILE: u64 = 64 * 1024;

/// Where the login token files are: `AWS_LOGIN_CACHE_DIRECTORY` (`~` expanded, as botocore
/// does), else `~/.aws/login/cache`.
pub fn cache_dir(env: &Env) -> Option<PathBuf> {
    let home = env.get("HOME").filter(|h| !h.is_empty());
    match env.get("AWS_LOGIN_CACHE_DIRECTORY").filter(|d| !d.is_empty()) {
        Some(dir) => match (dir.strip_prefix("~/"), home) {
            (Some(rest), Some(home)) => Some(Path::new(home).join(rest)),
            _ if dir == "~" => home.map(PathBuf::from),
            _ => Some(PathBuf::from(dir)),
        },
        None => home.map(|h| Path::new(h).join(".aws/login/cache")),
    }
}

/// The token file of a login session: `sha256(session)` in hex, `.json` (botocore's
/// `generate_login_cache_key`).
pub fn cache_file(dir: &Path, session: &str) -> PathBuf {
    dir.join(format!("{}.json", hex(&Sha256::digest(session.as_bytes()))))
}

/// Bytes as lower-case hex (cache file names).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sign-in endpoint of a region, by the service's endpoint rules.
pub fn default_endpoint(region: &str) -> String {
    if region.starts_with("cn-") {
        format!("https://{region}.signin.amazonaws.cn")
    } else if region.starts_with("us-gov-") {
        format!("https://{region}.signin.amazonaws-us-gov.com")
    } else {
        format!("https://{region}.signin.aws.amazon.com")
    }
}

/// The account of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:...`), when it has one.
pub fn account_of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some(_), Some(_), Some(account), Some(_)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    crate::credentials::is_account_id(account).then_some(account)
}

/// A login session's token file, as read: the whole document (fields swrole does not use,
/// such as `idToken` and `tokenType`, are written back as they were) and the fields it
/// needs, checked.
#[derive(Clone)]
pub struct Token {
    doc: Map<String, Value>,
    pub credentials: Credentials,
    pub refresh_token: String,
    pub client_id: String,
    pub dpop_key: String,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("credentials", &self.credentials)
            .field("refresh_token", &"** redacted **")
            .field("client_id", &self.client_id)
            .field("dpop_key", &"** redacted **")
            .finish()
    }
}

/// A JSON field that must be a non-empty string (token files and answers); the error names
/// the field, never a value.
pub fn text<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a str> {
    match map.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => bail!("{key} is not a non-empty string"),
        None => bail!("{key} is missing"),
    }
}

impl Token {
    /// A token file's text, checked: botocore's required fields (`accessToken`,
    /// `refreshToken`, `dpopKey`, `clientId`) and the credentials' shape. Errors name the
    /// field, never a value.
    pub fn parse(file: &str) -> Result<Token> {
        let doc: Map<String, Value> = serde_json::from_str(file).map_err(|_| anyhow!("not a JSON object"))?;
        let access = match doc.get("accessToken") {
            Some(Value::Object(a)) => a,
            Some(_) => bail!("accessToken is not an object"),
            None => bail!("accessToken is missing"),
        };
        let expires = text(access, "expiresAt")?;
        let expiration = crate::clock::parse_rfc3339(expires)
            .ok_or_else(|| anyhow!("accessToken.expiresAt is not an RFC 3339 time"))?;
        let account = text(access, "accountId")?;
        if !crate::credentials::is_account_id(account) {
            bail!("accessToken.accountId is not a 12-digit account id");
        }
        let mut credentials = Credentials {
            access_key_id: text(access, "accessKeyId")?.to_string(),
            secret_access_key: text(access, "secretAccessKey")?.to_string(),
            session_token: Some(text(access, "sessionToken")?.to_string()),
            expiration: None,
            arn: None,
            account_id: Some(account.to_string()),
        };
        // The shape only: an expired token is read, to be refreshed.
        credentials.check_shape()?;
        credentials.expiration = Some(expiration);
        let token = Token {
            refresh_token: text(&doc, "refreshToken")?.to_string(),
            client_id: text(&doc, "clientId")?.to_string(),
            dpop_key: text(&doc, "dpopKey")?.to_string(),
            credentials,
            doc,
        };
        if token.refresh_token.len() > 8192 {
            bail!("refreshToken is longer than 8 KiB");
        }
        Ok(token)
    }

    /// Seconds the access token has left at `now`.
    pub fn left(&self, now: i64) -> i64 {
        self.credentials.expiration.unwrap_or(0) - now
    }

    /// Whether it is time to refresh (less than [`REFRESH_WINDOW`] left).
    pub fn needs_refresh(&self, now: i64) -> bool {
        self.left(now) <= REFRESH_WINDOW
    }

    /// The file's text: the document read, with swrole's changes.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.doc).expect("a JSON object serializes");
        text.push('\n');
        text
    }

    /// The token after a refresh answered `out` at `now`: new credentials and refresh
    /// token, the account and every other field kept (as botocore does).
    pub fn refreshed(&self, out: &TokenOutput, now: i64) -> Token {
        let mut doc = self.doc.clone();
        let expires = now + out.expires_in;
        let account = self.credentials.account_id.clone().unwrap_or_default();
        doc.insert("accessToken".into(), access_token(&out.credentials, &account, expires));
        doc.insert("refreshToken".into(), json!(out.refresh_token));
        Token {
            doc,
            credentials: Credentials {
                expiration: Some(expires),
                account_id: self.credentials.account_id.clone(),
                ..out.credentials.clone()
            },
            refresh_token: out.refresh_token.clone(),
            client_id: self.client_id.clone(),
            dpop_key: self.dpop_key.clone(),
        }
    }

    /// The token of a new sign-in: the session (the ID token's subject, an IAM ARN), and
    /// the file as the AWS CLI v2 writes it.
    pub fn from_login(
        out: &TokenOutput,
        client_id: &str,
        key: &DpopKey,
        now: i64,
    ) -> Result<(String, Token)> {
        let id_token = out.id_token.as_deref().ok_or_else(|| anyhow!("the answer has no idToken"))?;
        let session = session_of_id_token(id_token)?;
        let account = account_of_arn(&session)
            .ok_or_else(|| {
                anyhow!("the idToken's subject {:?} names no account", crate::text::sanitize(&session))
            })?
            .to_string();
        let expires = now + out.expires_in;
        let mut doc = Map::new();
        doc.insert("accessToken".into(), access_token(&out.credentials, &account, expires));
        doc.insert("tokenType".into(), json!(out.token_type));
        doc.insert("clientId".into(), json!(client_id));
        doc.insert("refreshToken".into(), json!(out.refresh_token));
        doc.insert("idToken".into(), json!(id_token));
        doc.insert("dpopKey".into(), json!(key.to_pem()?));
        let token = Token::parse(&serde_json::to_string(&doc)?)?;
        Ok((session, token))
    }
}

/// The file's `accessToken` object: the credentials, the account, when they end.
fn access_token(c: &Credentials, account: &str, expires: i64) -> Value {
    json!({
        "accessKeyId": c.access_key_id,
        "secretAccessKey": c.secret_access_key,
        "sessionToken": c.session_token,
        "accountId": account,
        "expiresAt": crate::clock::rfc3339(expires),
    })
}

/// What `CreateOAuth2Token` answers (its `tokenOutput`), checked.
#[derive(Clone)]
pub struct TokenOutput {
    pub credentials: Credentials,
    pub token_type: String,
    pub expires_in: i64,
    pub refresh_token: String,
    pub id_token: Option<String>,
}

impl fmt::Debug for TokenOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenOutput")
            .field("credentials", &self.credentials)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &"** redacted **")
            .finish()
    }
}

impl TokenOutput {
    /// The service's JSON answer. `expiresIn` is at most 900 s by the model; up to 12 hours is
    /// taken, nothing else.
    pub fn parse(body: &[u8]) -> Result<TokenOutput> {
        let doc: Map<String, Value> =
            serde_json::from_slice(body).map_err(|_| anyhow!("the answer is not a JSON object"))?;
        // rest-json: the payload member is the body; some servers wrap it.
        let doc = match doc.get("tokenOutput") {
            Some(Value::Object(inner)) => inner.clone(),
            _ => doc,
        };
        let access = match doc.get("accessToken") {
            Some(Value::Object(a)) => a,
            _ => bail!("the answer has no accessToken"),
        };
        let credentials = Credentials {
            access_key_id: text(access, "accessKeyId")?.to_string(),
            secret_access_key: text(access, "secretAccessKey")?.to_string(),
            session_token: Some(text(access, "sessionToken")?.to_string()),
            expiration: None,
            arn: None,
            account_id: None,
        };
        credentials.check_shape()?;
        let expires_in = doc
            .get("expiresIn")
            .and_then(Value::as_i64)
            .filter(|e| (1..=12 * 3600).contains(e))
            .ok_or_else(|| anyhow!("the answer's expiresIn is missing or out of range"))?;
        let refresh_token = text(&doc, "refreshToken")?.to_string();
        if refresh_token.len() > 8192 {
            bail!("the answer's refreshToken is longer than 8 KiB");
        }
        Ok(TokenOutput {
            credentials,
            token_type: doc.get("tokenType").and_then(Value::as_str).unwrap_or("aws_sigv4").to_string(),
            expires_in,
            refresh_token,
            id_token: doc.get("idToken").and_then(Value::as_str).map(str::to_string),
        })
    }
}

/// The login session an ID token names: its `sub`, an IAM ARN. The signature is not
/// checked (the token came over TLS from the service just called, as for the AWS CLI).
pub fn session_of_id_token(jwt: &str) -> Result<String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 || jwt.len() > 16 * 1024 {
        bail!("the idToken is not a JWT");
    }
    let payload = URL_SAFE_NO_PAD
        .decode(parts[1].trim_end_matches('='))
        .map_err(|_| anyhow!("the idToken's payload is not base64url"))?;
    let claims: Value =
        serde_json::from_slice(&payload).map_err(|_| anyhow!("the idToken's payload is not JSON"))?;
    let sub = claims.get("sub").and_then(Value::as_str).ok_or_else(|| anyhow!("the idToken has no sub"))?;
    if !sub.starts_with("arn:")
        || sub.len() > 2048
        || sub.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        bail!("the idToken's sub is not an ARN");
    }
    Ok(sub.to_string())
}

/// Random bytes from the system's generator.
fn random<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    aws_lc_rs::rand::fill(&mut out).map_err(|_| anyhow!("no random bytes from the system"))?;
    Ok(out)
}

/// The P-256 key a login session's refresh token is bound to (DPoP, RFC 9449). Kept in the
/// token file as a PEM `EC PRIVATE KEY` (SEC1), as botocore reads it.
pub struct DpopKey {
    pair: EcdsaKeyPair,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DpopKey(P-256, ** redacted **)")
    }
}

impl DpopKey {
    /// A new key, for one sign-in.
    pub fn generate() -> Result<DpopKey> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| anyhow!("could not make a P-256 key"))?;
        Ok(DpopKey { pair })
    }

    /// The key of a token file (`-----BEGIN EC PRIVATE KEY-----`, or PKCS#8).
    pub fn from_pem(pem: &str) -> Result<DpopKey> {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect();
        let der = STANDARD.decode(body.as_bytes()).map_err(|_| anyhow!("dpopKey is not PEM"))?;
        let pair = EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
            .map_err(|_| anyhow!("dpopKey is not a P-256 private key"))?;
        Ok(DpopKey { pair })
    }

    /// PEM, SEC1, lines of 64 characters (as the AWS CLI writes it).
    pub fn to_pem(&self) -> Result<String> {
        let der = self.pair.private_key().as_der().map_err(|_| anyhow!("could not encode the P-256 key"))?;
        let b64 = STANDARD.encode(der.as_ref());
        let mut pem = String::from("-----BEGIN EC PRIVATE KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END EC PRIVATE KEY-----\n");
        Ok(pem)
    }

    /// The public key as a JWK (`kty`, `x`, `y`, `crv`).
    pub fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        // Uncompressed: 0x04, X (32 bytes), Y (32 bytes).
        json!({
            "kty": "EC",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            "crv": "P-256",
        })
    }

    /// A DPoP proof for one request: an ES256 JWT with the public key in its header, over
    /// the method and URL, a fresh `jti` and `iat`.
    pub fn proof(&self, method: &str, url: &str, iat: i64) -> Result<String> {
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()});
        let payload = json!({"htm": method, "htu": url, "iat": iat, "jti": uuid()?});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let signature =
            self.pair.sign(&rng, input.as_bytes()).map_err(|_| anyhow!("could not sign the DPoP proof"))?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref())))
    }
}

/// A random UUID (version 4), as text.
pub fn uuid() -> Result<String> {
    let mut b = random::<16>()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    Ok(format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..]))
}

/// PKCE (RFC 7636): a verifier of 64 unreserved characters and its S256 challenge.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce").field("challenge", &self.challenge).finish_non_exhaustive()
    }
}

const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

impl Pkce {
    pub fn new() -> Result<Pkce> {
        let mut verifier = String::with_capacity(64);
        while verifier.len() < 64 {
            // Rejection sampling: no character is likelier than another.
            for b in random::<64>()? {
                if (b as usize) < UNRESERVED.len() * 3 && verifier.len() < 64 {
                    verifier.push(UNRESERVED[b as usize % UNRESERVED.len()] as char);
                }
            }
        }
        let challenge = challenge_of(&verifier);
        Ok(Pkce { verifier, challenge })
    }
}

/// `BASE64URL(SHA256(verifier))`, no padding.
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE.encode(Sha256::digest(verifier.as_bytes())).trim_end_matches('=').to_string()
}

/// The sign-in page a browser opens: `/v1/authorize` of the sign-in endpoint, with the
/// parameters the AWS CLI v2 sends (its `code_challenge_method` is `SHA-256`).
pub fn authorize_url(
    base: &str,
    client_id: &str,
    state: &str,
    challenge: &str,
    redirect_uri: &str,
) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("state", state)
        .append_pair("code_challenge_method", "SHA-256")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("code_challenge", challenge)
        .finish();
    format!("{}/v1/authorize?{query}", base.trim_end_matches('/'))
}

/// The code the sign-in page shows with `--remote`: base64 of `code=...&state=...`. Returns
/// the authorization code and the state.
pub fn parse_remote_code(text: &str) -> Result<(String, String)> {
    let text = text.trim();
    let raw = STANDARD
        .decode(text.as_bytes())
        .or_else(|_| URL_SAFE.decode(text.as_bytes()))
        .map_err(|_| anyhow!("that is not the code the sign-in page shows (it is not base64)"))?;
    let query = String::from_utf8(raw).map_err(|_| anyhow!("that is not the code the sign-in page shows"))?;
    let mut code = None;
    let mut state = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => state = Some(v.into_owned()),
            _ => {}
        }
    }
    match (code, state) {
        (Some(c), Some(s)) if !c.is_empty() && c.len() <= 512 => Ok((c, s)),
        _ => bail!("that is not the code the sign-in page shows (no code and state in it)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(expires_in: i64) -> TokenOutput {
        TokenOutput::parse(
            json!({"accessToken": {"accessKeyId": "ASIAEXAMPLEEXAMPLE01", "secretAccessKey": "s".repeat(40),
                                   "sessionToken": "t".repeat(200)},
                   "tokenType": "aws_sigv4", "expiresIn": expires_in, "refreshToken": "r2",
                   "idToken": format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(r#"{"sub":"arn:aws:iam::123456789012:user/ann"}"#))})
            .to_string()
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn cache_file_is_botocore_s() {
        // hashlib.sha256(b"arn:aws:iam::0123456789012:user/Admin").hexdigest()
        let f = cache_file(Path::new("/c"), "arn:aws:iam::0123456789012:user/Admin");
        assert_eq!(f.extension().unwrap(), "json");
        assert_eq!(f.file_stem().unwrap().len(), 64);
        let env = Env::from_pairs([("HOME", "/h"), ("AWS_LOGIN_CACHE_DIRECTORY", "~/x")]);
        assert_eq!(cache_dir(&env).unwrap(), Path::new("/h/x"));
        let home = Env::from_pairs([("HOME", "/h"), ("AWS_LOGIN_CACHE_DIRECTORY", "~")]);
        assert_eq!(cache_dir(&home).unwrap(), Path::new("/h"));
        let plain = Env::from_pairs([("HOME", "/h"), ("AWS_LOGIN_CACHE_DIRECTORY", "/c/~")]);
        assert_eq!(cache_dir(&plain).unwrap(), Path::new("/c/~"));
        assert_eq!(cache_dir(&Env::from_pairs([("HOME", "/h")])).unwrap(), Path::new("/h/.aws/login/cache"));
        assert_eq!(default_endpoint("cn-north-1"), "https://cn-north-1.signin.amazonaws.cn");
        assert_eq!(default_endpoint("ap-northeast-1"), "https://ap-northeast-1.signin.aws.amazon.com");
    }

    #[test]
    fn a_login_then_a_refresh_keep_the_other_fields() {
        let key = DpopKey::generate().unwrap();
        let (session, token) = Token::from_login(&output(900), SAME_DEVICE, &key, 1000).unwrap();
        assert_eq!(session, "arn:aws:iam::123456789012:user/ann");
        assert_eq!(token.credentials.account_id.as_deref(), Some("123456789012"));
        assert_eq!(token.left(1000), 900);
        assert!(!token.needs_refresh(1000) && token.needs_refresh(1000 + 600));
        let again = Token::parse(&token.to_json()).unwrap();
        assert_eq!(again.credentials, token.credentials);
        let refreshed = again.refreshed(&output(600), 2000);
        assert_eq!(refreshed.refresh_token, "r2");
        assert_eq!(refreshed.credentials.expiration, Some(2600));
        let text = refreshed.to_json();
        assert!(text.contains("idToken") && text.contains("tokenType") && text.contains("123456789012"));
        // The key survives the file.
        let back = DpopKey::from_pem(&Token::parse(&text).unwrap().dpop_key).unwrap();
        assert_eq!(back.jwk(), key.jwk());
        assert_eq!(refreshed.credentials.account_id.as_deref(), Some("123456789012"), "the account is kept");
        // No secret in Debug, and what is not secret is there.
        let shown = format!("{refreshed:?} {key:?} {:?}", output(5));
        assert!(!shown.contains("sss") && !shown.contains("ttt") && !shown.contains("r2"), "{shown}");
        assert!(
            shown.contains("client_id")
                && shown.contains("** redacted **")
                && shown.contains("expires_in: 5"),
            "{shown}"
        );
        // A refresh token of 8 KiB is taken, one byte more is not; an empty one is not.
        let with = |r: &str| {
            let mut d: Value = serde_json::from_str(&token.to_json()).unwrap();
            d["refreshToken"] = json!(r);
            Token::parse(&d.to_string())
        };
        assert!(with(&"r".repeat(8192)).is_ok());
        assert!(with(&"r".repeat(8193)).unwrap_err().to_string().contains("longer than 8 KiB"));
        assert!(with("").unwrap_err().to_string().contains("refreshToken is not a non-empty string"));
        // The answer may come wrapped in its payload member.
        let wrapped = json!({"tokenOutput": {"accessToken": {"accessKeyId": "ASIAEXAMPLEEXAMPLE01",
            "secretAccessKey": "s", "sessionToken": "t"}, "expiresIn": 60, "refreshToken": "r"}});
        assert_eq!(TokenOutput::parse(wrapped.to_string().as_bytes()).unwrap().expires_in, 60);
    }

    #[test]
    fn token_files_are_checked() {
        for (doc, what) in [
            (json!([]), "JSON object"),
            (json!({"refreshToken": "r", "dpopKey": "k", "clientId": "c"}), "accessToken is missing"),
            (
                json!({"accessToken": {"accessKeyId": "A", "secretAccessKey": "s", "sessionToken": "t",
                       "accountId": "1", "expiresAt": "2026-01-01T00:00:00Z"}, "refreshToken": "r", "dpopKey": "k", "clientId": "c"}),
                "accountId",
            ),
            (
                json!({"accessToken": {"accessKeyId": "A", "secretAccessKey": "s", "sessionToken": "t",
                       "accountId": "123456789012", "expiresAt": "soon"}, "refreshToken": "r", "dpopKey": "k", "clientId": "c"}),
                "expiresAt",
            ),
        ] {
            let e = Token::parse(&doc.to_string()).unwrap_err().to_string();
            assert!(e.contains(what), "{e}");
        }
        assert!(TokenOutput::parse(br#"{"accessToken":{}}"#).is_err());
        let mut big = serde_json::to_value(output(900).expires_in).unwrap();
        big = json!(big.as_i64().unwrap() * 100);
        assert!(
            TokenOutput::parse(
                json!({"accessToken": {"accessKeyId": "ASIAEXAMPLEEXAMPLE01",
            "secretAccessKey": "s".repeat(40), "sessionToken": "t"}, "expiresIn": big, "refreshToken": "r"})
                .to_string()
                .as_bytes()
            )
            .is_err()
        );
    }

    #[test]
    fn answers_and_id_tokens_are_bounded() {
        let answer = |expires: i64, refresh: &str| {
            TokenOutput::parse(
                json!({"accessToken": {"accessKeyId": "ASIAEXAMPLEEXAMPLE01", "secretAccessKey": "s",
                       "sessionToken": "t"}, "expiresIn": expires, "refreshToken": refresh})
                .to_string()
                .as_bytes(),
            )
        };
        assert!(answer(1, "r").is_ok() && answer(43_200, "r").is_ok());
        assert!(answer(0, "r").is_err() && answer(43_201, "r").is_err());
        assert!(answer(60, &"r".repeat(8192)).is_ok());
        assert!(answer(60, &"r".repeat(8193)).unwrap_err().to_string().contains("longer than 8 KiB"));
        let jwt = |sub: &str, pad: usize| {
            let claims = json!({"sub": sub, "pad": "p".repeat(pad)}).to_string();
            format!("e30.{}.s", URL_SAFE_NO_PAD.encode(claims))
        };
        let arn = "arn:aws:iam::123456789012:user/ann";
        assert_eq!(session_of_id_token(&jwt(arn, 0)).unwrap(), arn);
        assert!(session_of_id_token(&jwt(arn, 0).replacen('.', "", 1)).is_err(), "two parts");
        assert!(session_of_id_token(&format!("{}.x", jwt(arn, 0))).is_err(), "four parts");
        // 16 KiB of token at most.
        let base = jwt(arn, 0).len();
        let near = |total: usize| jwt(arn, (total - base) * 3 / 4);
        let fits = (0..8).map(|d| near(16 * 1024 - d)).find(|t| t.len() <= 16 * 1024).unwrap();
        assert!(session_of_id_token(&fits).is_ok(), "{}", fits.len());
        let over = (0..8).map(|d| near(16 * 1024 + 4 + d)).find(|t| t.len() > 16 * 1024).unwrap();
        assert!(session_of_id_token(&over).is_err());
        assert!(session_of_id_token(&jwt("user/ann", 0)).is_err(), "not an ARN");
        assert!(session_of_id_token(&jwt("arn:aws:iam::1:user/a b", 0)).is_err(), "a space");
        assert!(session_of_id_token(&jwt("arn:aws:iam::1:user/a\nb", 0)).is_err(), "a control character");
        let long = format!("arn:{}", "a".repeat(2044));
        assert!(session_of_id_token(&jwt(&long, 0)).is_ok());
        assert!(session_of_id_token(&jwt(&format!("{long}a"), 0)).is_err(), "over 2048");
        assert!(format!("{:?}", DpopKey::generate().unwrap()).starts_with("DpopKey(P-256"));
    }

    #[test]
    fn dpop_proofs_verify_with_their_own_key() {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
        let key = DpopKey::generate().unwrap();
        let proof = key.proof("POST", "https://x/v1/token", 42).unwrap();
        let parts: Vec<&str> = proof.split('.').collect();
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        let payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["jwk"], key.jwk());
        assert_eq!(
            (payload["htm"].as_str(), payload["htu"].as_str(), payload["iat"].as_i64()),
            (Some("POST"), Some("https://x/v1/token"), Some(42))
        );
        let other = key.proof("POST", "https://x/v1/token", 42).unwrap();
        assert_ne!(proof.split('.').nth(1), other.split('.').nth(1), "a fresh jti each time");
        let mut point = vec![4u8];
        point.extend(URL_SAFE_NO_PAD.decode(header["jwk"]["x"].as_str().unwrap()).unwrap());
        point.extend(URL_SAFE_NO_PAD.decode(header["jwk"]["y"].as_str().unwrap()).unwrap());
        let signed = format!("{}.{}", parts[0], parts[1]);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
            .verify(signed.as_bytes(), &URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
            .expect("the signature verifies");
    }

    #[test]
    fn pkce_and_urls() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let p = Pkce::new().unwrap();
        assert_eq!(p.verifier.len(), 64);
        assert!(p.verifier.bytes().all(|b| UNRESERVED.contains(&b)));
        assert_ne!(Pkce::new().unwrap().verifier, p.verifier);
        let url = authorize_url(
            "https://r.signin.aws.amazon.com/",
            SAME_DEVICE,
            "st",
            "ch",
            "http://127.0.0.1:5/oauth/callback",
        );
        assert!(
            url.starts_with(
                "https://r.signin.aws.amazon.com/v1/authorize?response_type=code&client_id=arn%3Aaws"
            ),
            "{url}"
        );
        assert!(
            url.contains("&state=st&")
                && url.ends_with("&code_challenge=ch")
                && url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A5")
        );
        let pasted = STANDARD.encode("code=abc&state=st");
        assert_eq!(
            parse_remote_code(&format!(" {pasted}\n")).unwrap(),
            ("abc".to_string(), "st".to_string())
        );
        assert!(parse_remote_code("not base64!").is_err());
        assert!(parse_remote_code(&STANDARD.encode("state=st")).is_err());
        for _ in 0..32 {
            let u = uuid().unwrap();
            let b = u.as_bytes();
            assert_eq!((u.len(), b[8], b[13], b[18], b[23]), (36, b'-', b'-', b'-', b'-'), "{u}");
            assert_eq!(b[14], b'4', "version 4: {u}");
            assert!(b"89ab".contains(&b[19]), "the RFC 4122 variant: {u}");
        }
        assert!(format!("{p:?}").contains(&p.challenge) && !format!("{p:?}").contains(&p.verifier));
        let code = |c: &str| STANDARD.encode(format!("code={c}&state=st"));
        assert!(parse_remote_code(&code("")).is_err(), "an empty code");
        assert!(parse_remote_code(&code(&"c".repeat(512))).is_ok());
        assert!(parse_remote_code(&code(&"c".repeat(513))).is_err(), "over 512");
        assert_eq!(account_of_arn("arn:aws:iam::123456789012:user/a"), Some("123456789012"));
        assert_eq!(account_of_arn("arn:aws:iam::12:user/a"), None);
    }
}
