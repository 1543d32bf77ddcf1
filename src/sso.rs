//! IAM Identity Center without I/O: a profile's session (start URL, region, scopes, account
//! and role), the token and client-registration files of `~/.aws/sso/cache` exactly as
//! botocore and the AWS CLI v2 name and write them, the authorize URL of the browser
//! sign-in, and the profiles generated from what a session can access. The calls and the
//! file writes are `oidc`'s.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use serde_json::{Map, Value, json};

use crate::config::{ProfileSet, Section};
use crate::env::Env;
use crate::login::text;

/// Refresh when less than this is left (botocore's `_REFRESH_WINDOW`, the CLI's
/// `_EXPIRY_WINDOW`).
pub const REFRESH_WINDOW: i64 = 15 * 60;
/// The scope a registration asks for when the session names none.
pub const DEFAULT_SCOPE: &str = "sso:account:access";
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The registered redirect URI of the browser sign-in; the port is the callback's own
/// (loopback redirect URIs match on everything but the port, RFC 8252 §7.3).
pub const REDIRECT_URI: &str = "http://127.0.0.1/oauth/callback";

/// What a profile's IAM Identity Center settings say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The `[sso-session NAME]`; `None` for a legacy profile (`sso_start_url` in it).
    pub name: Option<String>,
    pub start_url: String,
    pub region: String,
    /// `sso_registration_scopes`, as written (comma-separated); `None` when not set.
    pub scopes: Option<Vec<String>>,
}

impl Session {
    /// The session of `[sso-session name]`.
    pub fn named(set: &ProfileSet, name: &str) -> Result<Session> {
        let s = set
            .sso_sessions
            .get(name)
            .ok_or_else(|| anyhow!("there is no [sso-session {name}] in the config"))?;
        Self::from_section(Some(name), s)
    }

    /// The session of a profile: its `sso_session`, or its own legacy `sso_start_url`.
    pub fn of_profile(set: &ProfileSet, profile: &str) -> Result<Option<Session>> {
        let Some(section) = set.profile(profile) else { return Ok(None) };
        if let Some(name) = section.text("sso_session") {
            return Self::named(set, name).map(Some);
        }
        if section.get("sso_start_url").is_some() {
            return Self::from_section(None, section).map(Some);
        }
        Ok(None)
    }

    fn from_section(name: Option<&str>, s: &Section) -> Result<Session> {
        let what = name.map_or("the profile".to_string(), |n| format!("[sso-session {n}]"));
        let start_url = s.text("sso_start_url").ok_or_else(|| anyhow!("{what} has no sso_start_url"))?;
        let region = s.text("sso_region").ok_or_else(|| anyhow!("{what} has no sso_region"))?;
        match url::Url::parse(start_url) {
            Ok(u) if matches!(u.scheme(), "https" | "http") && start_url.len() <= 2048 => {}
            _ => bail!("{what}: sso_start_url {:?} is not an http(s) URL", crate::text::sanitize(start_url)),
        }
        if region.is_empty()
            || !region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            bail!("{what}: sso_region {:?} is not a region", crate::text::sanitize(region));
        }
        let scopes = s.text("sso_registration_scopes").map(|raw| {
            raw.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect::<Vec<_>>()
        });
        Ok(Session {
            name: name.map(str::to_string),
            start_url: start_url.to_string(),
            region: region.to_string(),
            scopes,
        })
    }

    /// What the user calls it in messages and commands.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("sso-session {n}"),
            None => format!("start URL {}", self.start_url),
        }
    }

    /// The scopes a registration asks for.
    pub fn registration_scopes(&self) -> Vec<String> {
        self.scopes.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| vec![DEFAULT_SCOPE.to_string()])
    }
}

/// The account and role of a profile (`sso_account_id`, `sso_role_name`).
pub fn role_of(section: &Section) -> Option<(String, String)> {
    Some((section.text("sso_account_id")?.to_string(), section.text("sso_role_name")?.to_string()))
}

/// `~/.aws/sso/cache`, where botocore, the AWS CLI v2 and the SDKs keep the tokens (no
/// variable moves it).
pub fn cache_dir(env: &Env) -> Option<PathBuf> {
    env.get("HOME").filter(|h| !h.is_empty()).map(|h| Path::new(h).join(".aws/sso/cache"))
}

fn sha1_hex(bytes: &[u8]) -> String {
    crate::login::hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes).as_ref())
}

/// The token file: SHA-1 of the session name (of the start URL for a legacy profile).
pub fn token_file(dir: &Path, session: &Session) -> PathBuf {
    let key = session.name.as_deref().unwrap_or(&session.start_url);
    dir.join(format!("{}.json", sha1_hex(key.as_bytes())))
}

/// A string as Python's `json.dumps` writes it (`ensure_ascii`).
fn py_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The client-registration file: SHA-1 of botocore's `json.dumps({"tool": "botocore",
/// "startUrl", "region", "scopes", "session_name"}, sort_keys=True)`, so that the AWS CLI
/// and swrole share one registration per session.
pub fn registration_file(dir: &Path, session: &Session) -> PathBuf {
    let scopes = match &session.scopes {
        None => "null".to_string(),
        Some(s) => format!("[{}]", s.iter().map(|x| py_string(x)).collect::<Vec<_>>().join(", ")),
    };
    let name = session.name.as_deref().map_or("null".to_string(), py_string);
    let args = format!(
        "{{\"region\": {}, \"scopes\": {scopes}, \"session_name\": {name}, \"startUrl\": {}, \"tool\": \"botocore\"}}",
        py_string(&session.region),
        py_string(&session.start_url)
    );
    dir.join(format!("{}.json", sha1_hex(args.as_bytes())))
}

fn time(map: &Map<String, Value>, key: &str) -> Result<i64> {
    crate::clock::parse_rfc3339(text(map, key)?).ok_or_else(|| anyhow!("{key} is not an RFC 3339 time"))
}

/// A token file (`startUrl`, `region`, `accessToken`, `expiresAt`, and for a refresh
/// `clientId`, `clientSecret`, `registrationExpiresAt`, `refreshToken`): the document as
/// read, with the fields checked. Fields swrole does not use are written back as they were.
#[derive(Clone)]
pub struct Token {
    doc: Map<String, Value>,
    pub access_token: String,
    pub expires_at: i64,
    pub refresh: Option<Refresh>,
}

/// What a refresh needs: the registration and the refresh token.
#[derive(Clone)]
pub struct Refresh {
    pub client_id: String,
    pub client_secret: String,
    pub registration_expires_at: i64,
    pub refresh_token: String,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &"** redacted **")
            .field("expires_at", &self.expires_at)
            .field("refreshable", &self.refresh.is_some())
            .finish()
    }
}

impl Token {
    pub fn parse(file: &str) -> Result<Token> {
        let doc: Map<String, Value> = serde_json::from_str(file).map_err(|_| anyhow!("not a JSON object"))?;
        let access_token = text(&doc, "accessToken")?.to_string();
        if access_token.len() > 16 * 1024 || access_token.chars().any(char::is_control) {
            bail!("accessToken is not a token");
        }
        let expires_at = time(&doc, "expiresAt")?;
        let refresh = match (doc.get("refreshToken"), doc.get("clientId"), doc.get("clientSecret")) {
            (Some(_), Some(_), Some(_)) => Some(Refresh {
                client_id: text(&doc, "clientId")?.to_string(),
                client_secret: text(&doc, "clientSecret")?.to_string(),
                registration_expires_at: time(&doc, "registrationExpiresAt")?,
                refresh_token: text(&doc, "refreshToken")?.to_string(),
            }),
            _ => None,
        };
        Ok(Token { doc, access_token, expires_at, refresh })
    }

    pub fn left(&self, now: i64) -> i64 {
        self.expires_at - now
    }

    /// The token still opens the portal at `now`: a second or more is left.
    pub fn valid(&self, now: i64) -> bool {
        self.left(now) > 0
    }

    pub fn needs_refresh(&self, now: i64) -> bool {
        self.left(now) < REFRESH_WINDOW
    }

    /// The registration is still good and there is a refresh token.
    pub fn refreshable(&self, now: i64) -> Option<&Refresh> {
        self.refresh.as_ref().filter(|r| r.registration_expires_at > now)
    }

    pub fn start_url(&self) -> Option<&str> {
        self.doc.get("startUrl").and_then(Value::as_str)
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string(&self.doc).expect("a JSON object serializes");
        text.push('\n');
        text
    }

    /// A new token (a sign-in) for `session`, with the registration that made it.
    pub fn new(session: &Session, out: &TokenOutput, registration: &Registration, now: i64) -> Result<Token> {
        let mut doc = Map::new();
        doc.insert("startUrl".into(), json!(session.start_url));
        doc.insert("region".into(), json!(session.region));
        doc.insert("accessToken".into(), json!(out.access_token));
        doc.insert("expiresAt".into(), json!(crate::clock::rfc3339(now + out.expires_in)));
        doc.insert("clientId".into(), json!(registration.client_id));
        doc.insert("clientSecret".into(), json!(registration.client_secret));
        doc.insert("registrationExpiresAt".into(), json!(crate::clock::rfc3339(registration.expires_at)));
        if let Some(r) = &out.refresh_token {
            doc.insert("refreshToken".into(), json!(r));
        }
        Token::parse(&serde_json::to_string(&doc)?)
    }

    /// The token after a refresh answered `out` at `now` (botocore's fields; a refresh
    /// token not sent again is kept).
    pub fn refreshed(&self, out: &TokenOutput, now: i64) -> Token {
        let mut doc = self.doc.clone();
        doc.insert("accessToken".into(), json!(out.access_token));
        doc.insert("expiresAt".into(), json!(crate::clock::rfc3339(now + out.expires_in)));
        if let Some(r) = &out.refresh_token {
            doc.insert("refreshToken".into(), json!(r));
        }
        Token::parse(&serde_json::to_string(&doc).expect("a JSON object")).expect("made from a checked token")
    }
}

/// What CreateToken answers, checked.
#[derive(Clone)]
pub struct TokenOutput {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: Option<String>,
}

impl fmt::Debug for TokenOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenOutput").field("expires_in", &self.expires_in).finish_non_exhaustive()
    }
}

impl TokenOutput {
    pub fn parse(body: &[u8]) -> Result<TokenOutput> {
        let doc: Map<String, Value> =
            serde_json::from_slice(body).map_err(|_| anyhow!("the answer is not JSON"))?;
        let access_token = text(&doc, "accessToken")?.to_string();
        if access_token.len() > 16 * 1024 || access_token.chars().any(char::is_control) {
            bail!("the answer's accessToken is not a token");
        }
        let expires_in = doc
            .get("expiresIn")
            .and_then(Value::as_i64)
            .filter(|e| (1..=90 * 86400).contains(e))
            .ok_or_else(|| anyhow!("the answer's expiresIn is missing or out of range"))?;
        let refresh_token = doc.get("refreshToken").and_then(Value::as_str).map(str::to_string);
        if refresh_token.as_ref().is_some_and(|r| r.len() > 16 * 1024 || r.chars().any(char::is_control)) {
            bail!("the answer's refreshToken is not a token");
        }
        Ok(TokenOutput { access_token, expires_in, refresh_token })
    }
}

/// A client registration (RegisterClient), as the AWS CLI caches it: `clientId`,
/// `clientSecret`, `expiresAt`, `scopes`, and `grantTypes` for the browser sign-in.
#[derive(Clone)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: String,
    pub expires_at: i64,
    pub scopes: Vec<String>,
    pub grant_types: Vec<String>,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("client_id", &self.client_id)
            .field("client_secret", &"** redacted **")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Registration {
    pub fn parse(file: &str) -> Result<Registration> {
        let doc: Map<String, Value> = serde_json::from_str(file).map_err(|_| anyhow!("not a JSON object"))?;
        let list = |key: &str| -> Vec<String> {
            doc.get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default()
        };
        Ok(Registration {
            client_id: text(&doc, "clientId")?.to_string(),
            client_secret: text(&doc, "clientSecret")?.to_string(),
            expires_at: time(&doc, "expiresAt")?,
            scopes: list("scopes"),
            grant_types: list("grantTypes"),
        })
    }

    /// RegisterClient's answer (`clientSecretExpiresAt` in epoch seconds).
    pub fn from_answer(body: &[u8], scopes: Vec<String>, grant_types: Vec<String>) -> Result<Registration> {
        let doc: Map<String, Value> =
            serde_json::from_slice(body).map_err(|_| anyhow!("the answer is not JSON"))?;
        Ok(Registration {
            client_id: text(&doc, "clientId")?.to_string(),
            client_secret: text(&doc, "clientSecret")?.to_string(),
            expires_at: doc
                .get("clientSecretExpiresAt")
                .and_then(Value::as_i64)
                .ok_or_else(|| anyhow!("the answer has no clientSecretExpiresAt"))?,
            scopes,
            grant_types,
        })
    }

    pub fn to_json(&self) -> String {
        let mut doc = json!({
            "clientId": self.client_id,
            "clientSecret": self.client_secret,
            "expiresAt": crate::clock::rfc3339(self.expires_at),
            "scopes": self.scopes,
        });
        if !self.grant_types.is_empty() {
            doc["grantTypes"] = json!(self.grant_types);
        }
        doc.to_string() + "\n"
    }

    /// Usable for this flow: not within the refresh window of its end, and registered for
    /// the browser (authorization code) or not, as the flow needs (the AWS CLI's rule).
    pub fn usable(&self, auth_code: bool, now: i64) -> bool {
        self.expires_at - now >= REFRESH_WINDOW
            && self.grant_types.iter().any(|g| g == "authorization_code") == auth_code
    }
}

/// The OIDC endpoint of a region.
pub fn default_oidc(region: &str) -> String {
    format!("https://oidc.{region}.{}", suffix(region))
}

/// The access portal of a region.
pub fn default_portal(region: &str) -> String {
    format!("https://portal.sso.{region}.{}", suffix(region))
}

fn suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" }
}

/// The page the browser opens: `/authorize` of the OIDC endpoint, S256, the scopes space
/// separated (as the AWS CLI v2 sends them).
pub fn authorize_url(
    base: &str,
    client_id: &str,
    redirect: &str,
    state: &str,
    challenge: &str,
    scopes: &[String],
) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("state", state)
        .append_pair("code_challenge_method", "S256")
        .append_pair("scopes", &scopes.join(" "))
        .append_pair("code_challenge", challenge)
        .finish();
    format!("{}/authorize?{query}", base.trim_end_matches('/'))
}

/// One role a session can take.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Access {
    pub account_id: String,
    pub account_name: String,
    pub role_name: String,
}

/// The default name template of generated profiles.
pub const DEFAULT_TEMPLATE: &str = "{account_name}-{role_name}";

/// A profile name from a template: `{account_name}`, `{account_id}`, `{role_name}`,
/// `{session}` filled in, lower case, every run of other characters than a-z, 0-9, `.`, `_`
/// and `-` made one `-`, no `-` at either end.
pub fn profile_name(template: &str, a: &Access, session: &str) -> Result<String> {
    for part in template.split('{').skip(1) {
        let key = part.split('}').next().unwrap_or("");
        if !["account_name", "account_id", "role_name", "session"].contains(&key) {
            bail!("--template: {{{key}}} is not a field (account_name, account_id, role_name, session)");
        }
    }
    let filled = template
        .replace("{account_name}", &a.account_name)
        .replace("{account_id}", &a.account_id)
        .replace("{role_name}", &a.role_name)
        .replace("{session}", session)
        .to_lowercase();
    let mut name = String::new();
    for c in filled.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_matches('-').to_string();
    if name.is_empty() || name.len() > 128 {
        bail!("--template makes no usable name for account {} role {}", a.account_id, a.role_name);
    }
    Ok(name)
}

/// The profiles of `access`, as a team block's sections: `[profile NAME]` with the
/// session, account and role (and a region when one is given). Two roles that would get one
/// name are told apart by their account id.
pub fn render(
    access: &[Access],
    session: &str,
    template: &str,
    region: Option<&str>,
) -> Result<Vec<crate::team::Rendered>> {
    let mut names: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for a in access {
        let mut name = profile_name(template, a, session)?;
        if names.contains(&name) {
            name = format!("{name}-{}", a.account_id);
        }
        names.push(name.clone());
        let mut lines = vec![
            format!("[profile {name}]"),
            format!("sso_session = {session}"),
            format!("sso_account_id = {}", a.account_id),
            format!("sso_role_name = {}", a.role_name),
        ];
        if let Some(r) = region {
            lines.push(format!("region = {r}"));
        }
        let id = crate::team::section_id(&format!("profile {name}")).expect("a profile header");
        out.push(crate::team::Rendered { id, team_name: name, lines });
    }
    Ok(out)
}

/// A role name from the portal, before it becomes the value of `sso_role_name`: what IAM
/// allows in a role or permission-set name (letters, digits and `+=,.@_-`, up to 64), so that
/// it can never carry a comment, a space or a second key into the config.
pub fn check_role_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
    {
        bail!("the portal sent a role name that cannot go into a profile: {:?}", crate::text::sanitize(name));
    }
    Ok(())
}

/// A portal name or id from the network, before it goes into a file: printable, bounded.
pub fn check_portal_text(what: &str, text: &str) -> Result<()> {
    if text.is_empty() || text.len() > 256 || text.chars().any(|c| c.is_control() || c == '[' || c == ']') {
        bail!("the portal sent a {what} that cannot go into a profile: {:?}", crate::text::sanitize(text));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(name: Option<&str>, scopes: Option<Vec<&str>>) -> Session {
        Session {
            name: name.map(str::to_string),
            start_url: "https://example.awsapps.com/start".into(),
            region: "us-east-1".into(),
            scopes: scopes.map(|s| s.into_iter().map(str::to_string).collect()),
        }
    }

    fn set(config: &str) -> ProfileSet {
        let paths = crate::config::Paths { config: "/c".into(), credentials: "/k".into() };
        ProfileSet::from_texts(config, "", &paths).unwrap()
    }

    #[test]
    fn sessions_of_profiles() {
        let s =
            set("[sso-session work]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n\
                     sso_registration_scopes = a, ,b\n\
                     [profile p]\nsso_session = work\nsso_account_id = 1\nsso_role_name = R\n\
                     [profile legacy]\nsso_start_url = http://127.0.0.1:9/start\nsso_region = us-east-1\n\
                     [profile plain]\nregion = us-east-1\n");
        let p = Session::of_profile(&s, "p").unwrap().unwrap();
        assert_eq!((p.name.as_deref(), p.region.as_str()), (Some("work"), "eu-west-1"));
        assert_eq!(p.scopes, Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(p.registration_scopes(), ["a", "b"]);
        assert_eq!(p.label(), "sso-session work");
        let legacy = Session::of_profile(&s, "legacy").unwrap().unwrap();
        assert_eq!((legacy.name.clone(), legacy.scopes.clone()), (None, None));
        assert_eq!(legacy.registration_scopes(), [DEFAULT_SCOPE]);
        assert!(legacy.label().starts_with("start URL http://127.0.0.1:9/start"));
        assert!(Session::of_profile(&s, "plain").unwrap().is_none());
        assert!(Session::of_profile(&s, "nope").unwrap().is_none());
        assert_eq!(role_of(s.profile("p").unwrap()), Some(("1".to_string(), "R".to_string())));
        assert_eq!(role_of(s.profile("legacy").unwrap()), None);
        for (bad, said) in [
            ("sso_region = us-east-1\n", "has no sso_start_url"),
            ("sso_start_url = https://x/start\n", "has no sso_region"),
            ("sso_start_url = ftp://x/start\nsso_region = us-east-1\n", "not an http(s) URL"),
            ("sso_start_url = not a url\nsso_region = us-east-1\n", "not an http(s) URL"),
            ("sso_start_url = https://x/start\nsso_region = US-EAST-1\n", "not a region"),
        ] {
            let e = Session::named(&set(&format!("[sso-session w]\n{bad}")), "w").unwrap_err().to_string();
            assert!(e.contains(said), "{bad}: {e}");
        }
        let long = format!("https://x/{}", "a".repeat(2038));
        assert!(
            Session::named(&set(&format!("[sso-session w]\nsso_start_url = {long}\nsso_region = r\n")), "w")
                .is_ok()
        );
        let e =
            Session::named(&set(&format!("[sso-session w]\nsso_start_url = {long}a\nsso_region = r\n")), "w");
        assert!(e.is_err(), "over 2048");
        assert!(Session::named(&s, "other").unwrap_err().to_string().contains("no [sso-session other]"));
        let env = Env::from_pairs([("HOME", "/h")]);
        assert_eq!(cache_dir(&env).unwrap(), Path::new("/h/.aws/sso/cache"));
        assert!(cache_dir(&Env::from_pairs([("HOME", "")])).is_none());
        assert_eq!(default_oidc("cn-north-1"), "https://oidc.cn-north-1.amazonaws.com.cn");
        assert_eq!(default_portal("us-east-1"), "https://portal.sso.us-east-1.amazonaws.com");
    }

    #[test]
    fn file_names_are_botocore_s() {
        let dir = Path::new("/c");
        // hashlib.sha1(b"work").hexdigest()
        assert_eq!(
            token_file(dir, &session(Some("work"), None)),
            dir.join("e274eeff768c6396088ec6eb091f4bf4d47ab1e0.json")
        );
        // hashlib.sha1(json.dumps({"tool": "botocore", "startUrl": "https://example.awsapps.com/start",
        //   "region": "us-east-1", "scopes": None, "session_name": "work"}, sort_keys=True).encode()).hexdigest()
        assert_eq!(
            registration_file(dir, &session(Some("work"), None)),
            dir.join("7ca127b45714de7645dc6c95e81e8b21b014a3ba.json")
        );
        assert_eq!(py_string("é\"\n"), "\"\\u00e9\\\"\\n\"");
        assert_eq!(py_string(" ~"), "\" ~\"", "printable ASCII stays as it is");
        // json.dumps("\x01\x7f\u00e9\U0001D11E\b\f\t\\"), as Python writes it
        assert_eq!(
            py_string("\u{1}\u{7f}\u{e9}\u{1d11e}\u{8}\u{c}\t\\"),
            r#""\u0001\u007f\u00e9\ud834\udd1e\b\f\t\\""#
        );
    }

    #[test]
    fn tokens_and_registrations() {
        let reg = Registration {
            client_id: "c".into(),
            client_secret: "s3cret".into(),
            expires_at: 10_000,
            scopes: vec![DEFAULT_SCOPE.into()],
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        };
        let back = Registration::parse(&reg.to_json()).unwrap();
        assert!(back.usable(true, 100) && !back.usable(false, 100) && !back.usable(true, 10_000 - 60));
        let refresh_only = Registration { grant_types: vec!["refresh_token".into()], ..back.clone() };
        assert!(
            !refresh_only.usable(true, 100) && refresh_only.usable(false, 100),
            "no authorization_code grant"
        );
        let out = TokenOutput::parse(
            br#"{"accessToken":"at","expiresIn":3600,"refreshToken":"rt","tokenType":"Bearer"}"#,
        )
        .unwrap();
        let t = Token::new(&session(Some("work"), None), &out, &back, 1000).unwrap();
        assert_eq!((t.left(1000), t.needs_refresh(1000), t.needs_refresh(1000 + 2800)), (3600, false, true));
        assert!(!t.needs_refresh(1000 + 2700) && t.needs_refresh(1000 + 2701), "15 minutes left is enough");
        assert!(
            t.valid(1000 + 3599) && !t.valid(1000 + 3600) && !t.valid(1000 + 3601),
            "it ends at its second"
        );
        assert_eq!(t.refreshable(1000).unwrap().refresh_token, "rt");
        assert!(t.refreshable(10_001).is_none(), "the registration has ended");
        assert!(t.refreshable(10_000).is_none() && t.refreshable(9_999).is_some(), "it ends at its second");
        let again = Token::parse(&t.to_json()).unwrap();
        assert_eq!(again.start_url(), Some("https://example.awsapps.com/start"));
        let out2 = TokenOutput::parse(br#"{"accessToken":"at2","expiresIn":60}"#).unwrap();
        let r = again.refreshed(&out2, 2000);
        assert_eq!((r.access_token.as_str(), r.expires_at), ("at2", 2060));
        assert_eq!(r.refresh.as_ref().unwrap().refresh_token, "rt", "kept when not sent again");
        let shown = format!("{r:?} {back:?} {out2:?}");
        assert!(shown.contains("client_id: \"c\"") && shown.contains("expires_at: 10000"), "{shown}");
        assert!(!shown.contains("at2") && !shown.contains("s3cret") && !shown.contains("\"rt\""), "{shown}");
        assert!(Token::parse(r#"{"accessToken":"x"}"#).is_err());
        let token = |access: &str| {
            Token::parse(&json!({"accessToken": access, "expiresAt": "2026-01-01T00:00:00Z"}).to_string())
        };
        assert!(token(&"a".repeat(16 * 1024)).is_ok());
        assert!(token(&"a".repeat(16 * 1024 + 1)).is_err(), "over 16 KiB");
        assert!(token("a\u{1}b").is_err(), "a control character");
        assert!(token("").unwrap_err().to_string().contains("not a non-empty string"));
        let answer = |access: &str, expires: i64, refresh: &str| {
            TokenOutput::parse(
                json!({"accessToken": access, "expiresIn": expires, "refreshToken": refresh})
                    .to_string()
                    .as_bytes(),
            )
        };
        let big = "a".repeat(16 * 1024);
        assert!(answer(&big, 1, &big).is_ok() && answer("a", 90 * 86400, "r").is_ok());
        assert!(answer(&format!("{big}a"), 1, "r").is_err() && answer("a\u{7}", 1, "r").is_err());
        assert!(answer("a", 1, &format!("{big}a")).is_err() && answer("a", 1, "r\n").is_err());
        assert!(answer("a", 0, "r").is_err() && answer("a", 90 * 86400 + 1, "r").is_err());
        let out = format!("{:?}", answer("secret-a", 7, "secret-r").unwrap());
        assert!(out.contains("expires_in: 7") && !out.contains("secret-"), "{out}");
        let shown = format!("{:?}", token("secret-access").unwrap());
        assert!(
            shown.contains("expires_at: 1767225600")
                && shown.contains("refreshable: false")
                && !shown.contains("secret-access")
        );
        assert!(TokenOutput::parse(br#"{"accessToken":"x","expiresIn":0}"#).is_err());
    }

    #[test]
    fn names_and_blocks() {
        let a = |id: &str, name: &str, role: &str| Access {
            account_id: id.into(),
            account_name: name.into(),
            role_name: role.into(),
        };
        assert_eq!(
            profile_name(DEFAULT_TEMPLATE, &a("1", "Sandbox (Team A)", "PowerUser"), "w").unwrap(),
            "sandbox-team-a-poweruser"
        );
        assert_eq!(
            profile_name("{session}.{account_id}/{role_name}", &a("1", "x", "R"), "work").unwrap(),
            "work.1-r"
        );
        assert!(profile_name("{nope}", &a("1", "x", "r"), "w").is_err());
        assert!(profile_name("{account_name}", &a("1", "日本", "r"), "w").is_err());
        let r = render(
            &[a("1", "Prod", "Admin"), a("2", "prod", "admin")],
            "work",
            DEFAULT_TEMPLATE,
            Some("eu-west-1"),
        )
        .unwrap();
        assert_eq!(r[0].lines[0], "[profile prod-admin]");
        assert_eq!(r[1].lines[0], "[profile prod-admin-2]");
        assert_eq!(
            r[0].lines[1..],
            ["sso_session = work", "sso_account_id = 1", "sso_role_name = Admin", "region = eu-west-1"]
        );
        let url = authorize_url(
            "https://oidc.us-east-1.amazonaws.com/",
            "cid",
            "http://127.0.0.1:5/oauth/callback",
            "st",
            "ch",
            &["a".into(), "b".into()],
        );
        assert!(
            url.starts_with(
                "https://oidc.us-east-1.amazonaws.com/authorize?response_type=code&client_id=cid"
            ),
            "{url}"
        );
        assert!(
            url.contains("code_challenge_method=S256")
                && url.contains("scopes=a+b")
                && url.ends_with("code_challenge=ch")
        );
        assert!(
            check_portal_text("role name", "a]b").is_err() && check_portal_text("role name", "Admin").is_ok()
        );
        assert!(check_portal_text("x", "").is_err() && check_portal_text("x", "a[b").is_err());
        assert!(
            check_role_name("AWSAdministratorAccess_x+=,.@-1").is_ok()
                && check_role_name(&"r".repeat(64)).is_ok()
        );
        for bad in ["", "a b", "a;b", "a#b", "a\nb", "ü"] {
            assert!(check_role_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_role_name(&"r".repeat(65)).is_err());
        assert!(check_portal_text("x", "a\u{1b}b").is_err());
        assert!(
            check_portal_text("x", &"a".repeat(256)).is_ok()
                && check_portal_text("x", &"a".repeat(257)).is_err()
        );
        let named = |n: usize| profile_name("{role_name}", &a("1", "x", &"r".repeat(n)), "w");
        assert_eq!(named(128).unwrap().len(), 128);
        assert!(named(129).is_err(), "over 128");
    }
}
