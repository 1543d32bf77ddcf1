//! The AWS Sign-In service and the login token files on disk: `CreateOAuth2Token` (a new
//! sign-in's code, or a refresh, each with a DPoP proof), the token file read, refreshed
//! under a lock and written back atomically (0600) in the format botocore and the AWS CLI
//! v2 read, and the one-shot loopback callback of `swrole login`.
//!
//! The AWS CLI v2 and boto3 refresh the same file without swrole's lock: a refresh writes
//! only when the file still holds what was read before it, so a newer token another
//! program wrote is never overwritten.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::clock;
use crate::credentials::Credentials;
use crate::login::{self, DpopKey, Token, TokenOutput};
use crate::text::sanitize;

/// What an answer of the sign-in service may be: a token is a few KiB.
pub const MAX_ANSWER: usize = 64 * 1024;
/// How long a refresh waits for another swrole refreshing the same session.
const LOCK_WAIT: Duration = Duration::from_secs(60);

/// Where and how to call the sign-in service.
pub struct Service {
    /// The endpoint, without a path (`https://REGION.signin.aws.amazon.com`).
    pub url: String,
    pub timeout: Duration,
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
}

/// The service refused: its OAuth error code (`TOKEN_EXPIRED`, `USER_CREDENTIALS_CHANGED`,
/// `AUTHCODE_EXPIRED`, `INSUFFICIENT_PERMISSIONS`, ...) and message, escaped.
#[derive(Debug)]
pub struct Refused {
    pub code: String,
    pub message: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the sign-in service refused ({}): {}", self.code, self.message)
    }
}

impl std::error::Error for Refused {}

impl Refused {
    /// The sign-in is over: only a new sign-in helps.
    pub fn session_ended(&self) -> bool {
        matches!(self.code.as_str(), "TOKEN_EXPIRED" | "USER_CREDENTIALS_CHANGED" | "AUTHCODE_EXPIRED")
    }
}

/// `POST /v1/token` (`CreateOAuth2Token`) with `input` as the body (the operation's
/// `tokenInput` payload) and a DPoP proof by `key`. Neither the input nor the answer ever
/// appears in an error.
pub async fn create_token(svc: &Service, key: &DpopKey, input: &serde_json::Value) -> Result<TokenOutput> {
    let url = format!("{}/v1/token", svc.url.trim_end_matches('/'));
    let where_ = sanitize(&svc.url);
    let proof = key.proof("POST", &url, clock::now())?;
    let headers =
        [("content-type", "application/json"), ("accept", "application/json"), ("dpop", proof.as_str())];
    let (status, kind, body) = crate::sts::http_call(
        "the sign-in service",
        "POST",
        &url,
        &headers,
        Some(input.to_string()),
        svc.timeout,
        &svc.extra_roots,
        MAX_ANSWER,
    )
    .await?;
    if !(200..300).contains(&status) {
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let field = |k: &str| {
            doc.get(k).and_then(|v| v.as_str()).map(|s| sanitize(&s.chars().take(300).collect::<String>()))
        };
        let code = field("error").or(kind).unwrap_or_else(|| format!("HTTP {status}"));
        let message = field("message").unwrap_or_default();
        return Err(Refused { code, message }.into());
    }
    TokenOutput::parse(&body).map_err(|e| anyhow!("the sign-in service at {where_} answered badly: {e}"))
}

/// The rules of swrole's own cache for the token files it shares with the AWS CLI (the
/// `aws login` and IAM Identity Center caches): a file is your session only when you own it,
/// it is a regular file (no link), and nobody else can read or write it; its directory is
/// yours (or root's) and nobody else can write there, unless it is sticky. A token another
/// local user could plant (a shared `AWS_LOGIN_CACHE_DIRECTORY`, a file of theirs) would
/// make their session yours. A missing file or directory passes.
pub fn check_shared(path: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    if let Some(dir) = path.parent()
        && let Ok(meta) = std::fs::metadata(dir)
        && let Some(why) = dir_problem(meta.uid(), meta.mode(), crate::store::file::euid())
    {
        bail!(
            "{} {why}: another user could put a session there, so {} is not used (chmod go-w it if it is yours, \
             or choose a directory only you can write)",
            dir.display(),
            path.display()
        );
    }
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => bail!("could not read {}: {e}", path.display()),
        Ok(meta) => match crate::store::file::distrust(&meta, false) {
            Some(why) => bail!(
                "{} {why}: it is not used as your session (if it is yours: chmod 600 it; else remove it and sign \
                 in again)",
                path.display()
            ),
            None => Ok(()),
        },
    }
}

/// Why a directory of token files (its owner and mode) could hold another user's session
/// for `me`: owned by someone else than `me` or root, or writable by group or others
/// without the sticky bit. `None` when it is sound.
fn dir_problem(owner: u32, mode: u32, me: u32) -> Option<&'static str> {
    if owner != me && owner != 0 {
        return Some("is owned by another user");
    }
    (mode & 0o022 != 0 && mode & 0o1000 == 0).then_some("can be written by group or others")
}

/// The text of a token file, when there is one, bounded; held to [`check_shared`] first.
pub fn read_text(path: &Path) -> Result<Option<String>> {
    check_shared(path)?;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => bail!("could not read {}: {e}", path.display()),
    };
    let mut text = String::new();
    file.take(login::MAX_TOKEN_FILE + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("could not read {}", path.display()))?;
    if text.len() as u64 > login::MAX_TOKEN_FILE {
        bail!("{} is larger than 64 KiB: not a login token file", path.display());
    }
    Ok(Some(text))
}

/// The token file of `session`, parsed, with its text (what a refresh compares against).
pub fn read(path: &Path) -> Result<Option<(String, Token)>> {
    let Some(text) = read_text(path)? else { return Ok(None) };
    let token = Token::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(Some((text, token)))
}

/// Write a token file: staged beside it (0600), synced, renamed; the directory made 0700
/// when missing.
pub fn write(path: &Path, token: &Token) -> Result<()> {
    write_private(path, &token.to_json())
}

/// Write a file only this user may read: staged beside it (0600), synced, renamed; the
/// directory made 0700 when missing. Token files of the login and SSO caches.
pub fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let dir = path.parent().ok_or_else(|| anyhow!("{} has no directory", path.display()))?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("could not create {}", dir.display()))?;
    check_shared(path)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".swrole-")
        .tempfile_in(dir)
        .with_context(|| format!("could not write in {}", dir.display()))?;
    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o600))?;
    tmp.write_all(text.as_bytes()).with_context(|| format!("could not write {}", path.display()))?;
    tmp.as_file().sync_all().with_context(|| format!("could not write {}", path.display()))?;
    tmp.persist(path).with_context(|| format!("could not replace {}", path.display()))?;
    Ok(())
}

/// The lock every swrole takes to refresh `path`: a file beside it that no other tool reads.
pub fn lock(path: &Path) -> Result<std::fs::File> {
    lock_within(path, LOCK_WAIT)
}

fn lock_within(path: &Path, wait: Duration) -> Result<std::fs::File> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = path.parent().ok_or_else(|| anyhow!("{} has no directory", path.display()))?;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("token");
    let lock_path = dir.join(format!(".{name}.swrole-lock"));
    let file = crate::store::file::open_lock_file(&lock_path)?;
    let deadline = std::time::Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                bail!("another swrole has been refreshing {} for {} s", path.display(), wait.as_secs())
            }
            Err(std::fs::TryLockError::Error(e)) => bail!("could not lock {}: {e}", lock_path.display()),
        }
    }
}

/// Write a refreshed token file only if it still holds `before`, what was read before the
/// refresh: a token another program (the AWS CLI, boto3) wrote meanwhile is as new and stays.
/// A write that fails is a warning (the fresh token is still used for this call).
pub fn save_unless_changed(path: &Path, before: &str, text: &str, what: &str) -> Result<()> {
    if read_text(path)?.as_deref() == Some(before)
        && let Err(e) = write_private(path, text)
    {
        eprintln!("swrole: warning: {what} was not saved: {e:#}");
    }
    Ok(())
}

/// Where a login session's token file is, for messages and `explain`.
pub fn token_path(env: &crate::env::Env, session: &str) -> Result<PathBuf> {
    let dir =
        login::cache_dir(env).ok_or_else(|| anyhow!("neither AWS_LOGIN_CACHE_DIRECTORY nor HOME is set"))?;
    Ok(login::cache_file(&dir, session))
}

/// The line that says how to sign in again.
pub fn sign_in_again(profile: &str) -> String {
    format!("run `swrole login {profile}` (or `aws login --profile {profile}`)")
}

/// The credentials of a login session, refreshed first when less than five minutes are
/// left: under swrole's lock, the file read again (another program may have refreshed it),
/// then `CreateOAuth2Token`, then written back only if the file still holds what was read.
pub fn credentials(
    env: &crate::env::Env,
    profile: &str,
    session: &str,
    service: impl FnOnce() -> Result<Service>,
    runtime: &tokio::runtime::Runtime,
) -> Result<Credentials> {
    let path = token_path(env, session)?;
    let missing = || {
        anyhow!(
            "profile {profile:?} signs in with login_session = {}, but there is no token for it in {}: {}",
            sanitize(session),
            path.parent().map_or(String::new(), |p| p.display().to_string()),
            sign_in_again(profile)
        )
    };
    let (_, token) = read(&path)?.ok_or_else(missing)?;
    if !token.needs_refresh(clock::now()) {
        return Ok(token.credentials);
    }
    let _lock = lock(&path)?;
    let (before, token) = read(&path)?.ok_or_else(missing)?;
    if !token.needs_refresh(clock::now()) {
        return Ok(token.credentials);
    }
    let key = DpopKey::from_pem(&token.dpop_key).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let svc = service()?;
    let input = serde_json::json!({
        "clientId": token.client_id,
        "grantType": "refresh_token",
        "refreshToken": token.refresh_token,
    });
    let out = match runtime.block_on(create_token(&svc, &key, &input)) {
        Ok(out) => out,
        Err(e) => {
            let left = token.left(clock::now());
            return after_failed_refresh(
                token.credentials,
                left,
                e,
                &format!("the login session of profile {profile:?}"),
                |e| match e.downcast_ref::<Refused>() {
                    Some(r) if r.session_ended() => {
                        anyhow!(
                            "the login session of profile {profile:?} has ended ({}): {}",
                            r.code,
                            sign_in_again(profile)
                        )
                    }
                    _ => e.context(format!("could not refresh the login session of profile {profile:?}")),
                },
            );
        }
    };
    let fresh = token.refreshed(&out, clock::now());
    // Another program (the AWS CLI, boto3) may have refreshed the file meanwhile: its token
    // is as new as this one and stays.
    save_unless_changed(&path, &before, &fresh.to_json(), "the refreshed login session")?;
    Ok(fresh.credentials)
}

/// The one policy for a sign-in token whose refresh failed, IAM Identity Center's and
/// `aws login`'s alike: a token with time left is used for that time, with one warning that
/// says why the refresh failed (the service away, the refresh token refused, another
/// program's refresh cut short); a token with none left is the error `ended` makes of the
/// failure, which says how to sign in again.
pub fn after_failed_refresh<T>(
    token: T,
    left: i64,
    error: anyhow::Error,
    what: &str,
    ended: impl FnOnce(anyhow::Error) -> anyhow::Error,
) -> Result<T> {
    if left <= 0 {
        return Err(ended(error));
    }
    eprintln!(
        "swrole: warning: {what} could not be refreshed ({}); it is used for the {} it has left",
        sanitize(&format!("{error:#}")),
        clock::left_exact(left)
    );
    Ok(token)
}

/// Seconds left on a session's access token and the sign-in's start (the ID token's
/// `iat`), read without a refresh: for `explain`, `doctor`, `list --long`.
pub struct Status {
    pub account: Option<String>,
    pub left: i64,
    pub signed_in_at: Option<i64>,
}

/// What the token file of a session says, or why it cannot be read.
pub fn status(env: &crate::env::Env, session: &str) -> Result<Option<Status>> {
    let path = token_path(env, session)?;
    let Some((text, token)) = read(&path)? else { return Ok(None) };
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let signed_in_at = doc.get("idToken").and_then(|t| t.as_str()).and_then(|jwt| {
        use base64::Engine;
        let payload = jwt.split('.').nth(1)?;
        let raw =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
        serde_json::from_slice::<serde_json::Value>(&raw).ok()?.get("iat")?.as_i64()
    });
    Ok(Some(Status {
        account: token.credentials.account_id.clone(),
        left: token.left(clock::now()),
        signed_in_at,
    }))
}

/// How long a sign-in can be refreshed (the AWS docs: "up to 12 hours").
pub const SESSION_LIFE: i64 = 12 * 3600;

/// The one-shot loopback listener of a same-device sign-in: `127.0.0.1` only, a free port.
pub struct Callback {
    listener: std::net::TcpListener,
    port: u16,
}

/// How a callback ended.
#[derive(Debug)]
enum Outcome {
    Code(String),
    Failed(String),
}

impl Callback {
    pub fn bind() -> Result<Callback> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .context("could not listen on 127.0.0.1 for the sign-in's callback")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        Ok(Callback { listener, port })
    }

    /// Where the browser is sent back to.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/oauth/callback", self.port)
    }

    /// Wait for the callback with `state`, at most `limit`: the authorization code. A
    /// request from another address, to another host name or path is answered 403/404 and
    /// waited past, and so is one without this sign-in's `state` (with a code or an error);
    /// with the right state, an error from the page ends the sign-in. The
    /// listener closes with the first answer, so a second callback finds no one.
    pub fn wait(self, state: &str, limit: Duration) -> Result<String> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let port = self.port;
        let state = std::sync::Arc::new(state.to_string());
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(self.listener)?;
            let (tx, mut rx) = tokio::sync::mpsc::channel::<Outcome>(4);
            let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            // Set by the first callback that ends the sign-in: any later one is refused even
            // if it reaches a connection accepted before the listener closed.
            let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let accepting = {
                let connections = connections.clone();
                tokio::spawn(async move {
                    loop {
                        let Ok((stream, peer)) = listener.accept().await else { continue };
                        let (tx, state, done) = (tx.clone(), state.clone(), done.clone());
                        let handle = tokio::spawn(async move {
                            let service = hyper::service::service_fn(move |req| {
                                let (status, page, outcome) =
                                    if done.load(std::sync::atomic::Ordering::SeqCst) {
                                        (410, REFUSED, None)
                                    } else {
                                        callback(&req, peer, port, &state)
                                    };
                                if outcome.is_some() {
                                    done.store(true, std::sync::atomic::Ordering::SeqCst);
                                }
                                let tx = tx.clone();
                                async move {
                                    if let Some(o) = outcome {
                                        let _ = tx.send(o).await;
                                    }
                                    Ok::<_, std::convert::Infallible>(page_response(status, page))
                                }
                            });
                            let conn = hyper::server::conn::http1::Builder::new()
                                .max_buf_size(8 * 1024)
                                .keep_alive(false)
                                .header_read_timeout(Duration::from_secs(5))
                                .timer(hyper_util::rt::TokioTimer::new())
                                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                            let _ = tokio::time::timeout(Duration::from_secs(10), conn).await;
                        });
                        connections.lock().expect("not poisoned").push(handle);
                    }
                })
            };
            let outcome = match tokio::time::timeout(limit, rx.recv()).await {
                Ok(Some(outcome)) => outcome,
                _ => Outcome::Failed(format!(
                    "no sign-in came back within {} s: run swrole login again (or --remote to paste a code)",
                    limit.as_secs()
                )),
            };
            // The listener closes now: a second callback finds no one.
            accepting.abort();
            let _ = accepting.await;
            // The browser gets its page before swrole goes on.
            let pending = std::mem::take(&mut *connections.lock().expect("not poisoned"));
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                for handle in pending {
                    let _ = handle.await;
                }
            })
            .await;
            match outcome {
                Outcome::Code(code) => Ok(code),
                Outcome::Failed(why) => Err(anyhow!(why)),
            }
        })
    }
}

fn page_response(status: u16, page: &'static str) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    hyper::Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(page.as_bytes())))
        .expect("a valid response")
}

const SIGNED_IN: &str = "<!doctype html><meta charset=\"utf-8\"><title>swrole</title>\
    <p>Signed in. You can close this tab and go back to the terminal.</p>\n";
const NOT_SIGNED_IN: &str = "<!doctype html><meta charset=\"utf-8\"><title>swrole</title>\
    <p>The sign-in did not complete. See the terminal.</p>\n";
const REFUSED: &str = "<!doctype html><meta charset=\"utf-8\"><title>swrole</title><p>Refused.</p>\n";

/// One request to the callback: its status, page, and the outcome it brings, if any.
fn callback(
    req: &hyper::Request<hyper::body::Incoming>,
    peer: std::net::SocketAddr,
    port: u16,
    state: &str,
) -> (u16, &'static str, Option<Outcome>) {
    // Only this machine's own loopback address, by that name: no other host on a shared
    // network namespace, no page of a web site that resolves a name to 127.0.0.1.
    if peer.ip() != std::net::IpAddr::from([127, 0, 0, 1]) {
        eprintln!("swrole: refused a callback from {}", peer.ip());
        return (403, REFUSED, None);
    }
    let host = req.headers().get("host").and_then(|h| h.to_str().ok()).unwrap_or("");
    if host != format!("127.0.0.1:{port}") {
        return (403, REFUSED, None);
    }
    if req.method() != hyper::Method::GET || req.uri().path() != "/oauth/callback" {
        return (404, REFUSED, None);
    }
    judge(req.uri().query().unwrap_or(""), state)
}

/// What a callback's query brings for the sign-in of `state`: its status, page and outcome.
fn judge(query: &str, state: &str) -> (u16, &'static str, Option<Outcome>) {
    let mut code = None;
    let mut got_state = None;
    let mut error = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => got_state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            _ => {}
        }
    }
    // The state first: only the page swrole opened knows it. Anything else (another local
    // user, a web page in the browser, with a code or an `error=`) is answered and waited
    // past; it ends nothing.
    let state_ok =
        got_state.as_deref().is_some_and(|s| crate::server::constant_time_eq(s.as_bytes(), state.as_bytes()));
    if !state_ok {
        // Said once: a page may call again and again.
        static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if SAID.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return (400, NOT_SIGNED_IN, None);
        }
        eprintln!(
            "swrole: refused a callback whose state does not match this sign-in (it did not come from the page \
             swrole opened); still waiting"
        );
        return (400, NOT_SIGNED_IN, None);
    }
    if let Some(e) = error {
        let e: String = e.chars().take(200).collect();
        return (
            200,
            NOT_SIGNED_IN,
            Some(Outcome::Failed(format!("the sign-in page answered {}", sanitize(&e)))),
        );
    }
    match code {
        Some(c) if !c.is_empty() && c.len() <= 512 => (200, SIGNED_IN, Some(Outcome::Code(c))),
        _ => (
            400,
            NOT_SIGNED_IN,
            Some(Outcome::Failed("the callback carried no usable authorization code".into())),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_files_are_read_up_to_64_kib() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        assert!(read_text(&path).unwrap().is_none(), "missing: none");
        write_private(&path, &"x".repeat(64 * 1024)).unwrap();
        assert_eq!(read_text(&path).unwrap().unwrap().len(), 64 * 1024);
        write_private(&path, &"x".repeat(64 * 1024 + 1)).unwrap();
        assert!(read_text(&path).unwrap_err().to_string().contains("larger than 64 KiB"));
    }

    /// Only the right `state` gives a code: a callback without one, with an empty one or
    /// another is refused like a wrong one, and an empty code with the right state is none.
    #[test]
    fn a_callback_gives_its_code_only_with_this_sign_in_s_state() {
        let code = |(status, _, outcome): (u16, &str, Option<Outcome>)| match outcome {
            Some(Outcome::Code(c)) => format!("{status} code {c}"),
            Some(Outcome::Failed(why)) => format!("{status} failed: {why}"),
            None => format!("{status} none"),
        };
        // Without this sign-in's state, nothing ends: answered, and waited past (an error too).
        for query in [
            "code=abc",
            "code=abc&state=",
            "code=abc&state=other",
            "code=abc&State=s1",
            "code=abc&state=s1x",
            "error=access_denied",
            "error=access_denied&state=other",
            "",
        ] {
            assert_eq!(code(judge(query, "s1")), "400 none", "{query}");
        }
        assert_eq!(code(judge("code=abc&state=s1", "s1")), "200 code abc");
        assert_eq!(code(judge("state=s1&code=a%2Bb", "s1")), "200 code a+b");
        assert!(
            code(judge("code=&state=s1", "s1")).starts_with("400 failed: the callback carried no usable")
        );
        assert!(code(judge(&format!("code={}&state=s1", "c".repeat(513)), "s1")).contains("no usable"));
        assert_eq!(
            code(judge(&format!("code={}&state=s1", "c".repeat(512)), "s1")),
            format!("200 code {}", "c".repeat(512))
        );
        assert!(code(judge("state=s1", "s1")).contains("no usable"));
        assert!(
            code(judge("error=access_denied&state=s1", "s1"))
                .contains("the sign-in page answered access_denied")
        );
    }

    #[test]
    fn refusals_that_end_a_session() {
        let r = |code: &str| Refused { code: code.into(), message: String::new() };
        for code in ["TOKEN_EXPIRED", "USER_CREDENTIALS_CHANGED", "AUTHCODE_EXPIRED"] {
            assert!(r(code).session_ended(), "{code}");
        }
        assert!(!r("INSUFFICIENT_PERMISSIONS").session_ended() && !r("server_error").session_ended());
        assert_eq!(r("X").to_string(), "the sign-in service refused (X): ");
    }

    /// A held lock is waited for, up to the limit; a missing file is no token, any other
    /// failure to open it an error.
    #[test]
    fn locks_wait_and_files_that_cannot_be_opened_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let held = lock(&path).unwrap();
        let started = std::time::Instant::now();
        let e = lock_within(&path, Duration::from_millis(300)).unwrap_err().to_string();
        assert!(e.starts_with("another swrole has been refreshing"), "{e}");
        assert!(started.elapsed() >= Duration::from_millis(300), "it waited");
        drop(held);
        lock_within(&path, Duration::from_millis(300)).unwrap();
        write_private(&path, "a file").unwrap();
        let e = read_text(&path.join("under-a-file.json")).unwrap_err().to_string();
        assert!(e.starts_with("could not read"), "{e}");
    }

    /// The directory rule for any user, not only the one running the tests (root, whose
    /// own and root's directories are the same).
    #[test]
    fn a_token_directory_is_sound_only_when_no_one_else_can_write_in_it() {
        let me = 1000;
        assert_eq!(dir_problem(me, 0o40700, me), None);
        assert_eq!(dir_problem(0, 0o40755, me), None, "root's");
        assert_eq!(dir_problem(1001, 0o40700, me), Some("is owned by another user"));
        assert_eq!(dir_problem(me, 0o40770, me), Some("can be written by group or others"));
        assert_eq!(dir_problem(me, 0o40702, me), Some("can be written by group or others"));
        assert_eq!(dir_problem(0, 0o41777, me), None, "sticky, as /tmp");
        assert_eq!(dir_problem(1001, 0o41777, me), Some("is owned by another user"));
    }

    #[test]
    fn a_refresh_waits_for_another_only_so_long() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let held = lock_within(&path, Duration::from_secs(1)).unwrap();
        let start = std::time::Instant::now();
        let e = lock_within(&path, Duration::from_millis(300)).unwrap_err().to_string();
        assert!(e.contains("another swrole has been refreshing"), "{e}");
        assert!(start.elapsed() >= Duration::from_millis(300) && start.elapsed() < Duration::from_secs(5));
        drop(held);
        assert!(lock_within(&path, Duration::from_millis(300)).is_ok(), "free again");
    }

    /// A token file is a session only when it is this user's own, private, regular file in
    /// a directory nobody else can write (or a sticky one). As root, another user's file is
    /// made with chown; the same checks run as any user.
    #[test]
    fn shared_token_files_are_held_to_the_cache_s_rules() {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let path = cache.join("t.json");
        write_private(&path, "token").unwrap();
        assert_eq!(read_text(&path).unwrap().as_deref(), Some("token"));
        // Only a missing file is "no session": a path that cannot be looked at is an error.
        assert_eq!(read_text(&cache.join("none.json")).unwrap(), None);
        let beyond = path.join("x.json");
        assert!(
            check_shared(&beyond).unwrap_err().to_string().contains("could not read"),
            "a file is no directory"
        );
        assert!(read_text(&beyond).is_err());
        // An AWS CLI directory is 0755: fine. Group- or world-writable: not, unless sticky.
        mode(&cache, 0o755);
        assert!(read_text(&path).is_ok());
        mode(&cache, 0o777);
        let e = read_text(&path).unwrap_err().to_string();
        assert!(
            e.contains("can be written by group or others: another user could put a session there"),
            "{e}"
        );
        assert!(e.contains(&path.display().to_string()), "{e}");
        assert!(write_private(&path, "x").is_err(), "nothing written there either");
        mode(&cache, 0o1777);
        assert!(read_text(&path).is_ok());
        mode(&cache, 0o700);
        for (m, why) in [(0o644, "can be read or written by group or others"), (0o620, "by group or others")]
        {
            mode(&path, m);
            let e = read_text(&path).unwrap_err().to_string();
            assert!(e.contains(why) && e.contains("chmod 600"), "{m:o}: {e}");
        }
        mode(&path, 0o600);
        let link = cache.join("link.json");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(read_text(&link).unwrap_err().to_string().contains("is a symbolic link"));
        if crate::store::file::euid() == 0 {
            std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
            assert!(read_text(&path).unwrap_err().to_string().contains("is owned by another user"));
            std::os::unix::fs::chown(&path, Some(0), None).unwrap();
            std::os::unix::fs::chown(&cache, Some(65534), None).unwrap();
            assert!(
                read_text(&path).unwrap_err().to_string().contains("is owned by another user: another user")
            );
        }
    }

    /// A refreshed token is written only over the text it was refreshed from.
    #[test]
    fn a_refresh_is_saved_only_over_what_it_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        write_private(&path, "before").unwrap();
        save_unless_changed(&path, "before", "fresh", "t").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "fresh");
        write_private(&path, "another tool's").unwrap();
        save_unless_changed(&path, "before", "fresh", "t").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "another tool's");
        std::fs::remove_file(&path).unwrap();
        save_unless_changed(&path, "before", "fresh", "t").unwrap();
        assert!(!path.exists(), "a file removed meanwhile (a sign-out) stays removed");
        assert_eq!(sign_in_again("me"), "run `swrole login me` (or `aws login --profile me`)");
    }

    #[test]
    fn private_files_are_0600_in_a_0700_directory() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/t.json");
        write_private(&path, "text").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "text");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        let _held = lock(&path).unwrap();
        assert!(dir.path().join("a/b/.t.json.swrole-lock").exists());
    }
}
