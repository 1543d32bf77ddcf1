//! `swrole exec --server`: a credentials endpoint on loopback that speaks the container
//! credentials protocol every AWS SDK and the CLI read (`AWS_CONTAINER_CREDENTIALS_FULL_URI`
//! with `AWS_CONTAINER_AUTHORIZATION_TOKEN`), so that a long job gets fresh role credentials
//! for as long as the MFA session lives. hyper serves HTTP (no hand-written parser); one
//! refresh at a time serves any number of concurrent requests.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode};

use crate::clock;
use crate::credentials::Credentials;

/// Requests larger than this (headers included) are refused.
pub const MAX_REQUEST: usize = 8 * 1024;

/// Connections that have not shown the token yet, at most (fewer when the limit on open
/// files is low: half of what is left of it): past this, the oldest of them is closed to
/// make room. A connection that has shown the token is the job's and is never closed for
/// another; the accept loop never waits.
pub const MAX_UNPROVEN: usize = 4096;
/// A client has this long to send a request's headers (the SDKs send them at once).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
/// No connection is kept longer than this, busy or idle.
pub const CONNECTION_LIFE: Duration = Duration::from_secs(30);

/// Raise the soft limit on open files to the hard one (at most 65,536), so that the
/// endpoint does not run out of descriptors before a local user's connections time out.
/// Returns the soft limit as it was, for the job (which gets it back).
pub fn raise_open_files() -> Option<libc::rlim_t> {
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        let before = limit.rlim_cur;
        let wanted = limit.rlim_max.min(65_536);
        if wanted > before {
            limit.rlim_cur = wanted;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
        Some(before)
    }
}

/// 32 random bytes from the kernel (`/dev/urandom`, on Linux and macOS alike), as 64 hex
/// digits.
pub fn new_token() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("could not get random bytes for the endpoint's token")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Equality that takes the same time wherever the first difference is.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The JSON the container credentials providers read.
pub fn document(c: &Credentials) -> String {
    let mut doc = serde_json::json!({
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key,
        "Token": c.session_token,
        "Expiration": c.expiration.map(clock::rfc3339),
    });
    if let Some(a) = &c.account_id {
        doc["AccountId"] = serde_json::json!(a);
    }
    doc.to_string()
}

/// What the endpoint serves: credentials in memory, renewed (once, whoever asks) by
/// `renew` when they have less than `margin` left.
pub struct Source {
    pub current: tokio::sync::Mutex<Credentials>,
    pub margin: i64,
    /// Blocking: runs on a thread of its own.
    pub renew: Arc<dyn Fn() -> Result<Credentials> + Send + Sync>,
}

impl Source {
    async fn credentials(&self) -> Result<Credentials> {
        let mut current = self.current.lock().await;
        if current.expiration.is_some_and(|e| crate::cache::fresh(e, clock::now(), self.margin)) {
            return Ok(current.clone());
        }
        let renew = self.renew.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        // A thread of its own: the switch code starts its own runtime for STS calls.
        std::thread::spawn(move || {
            let _ = tx.send(renew());
        });
        let fresh = rx.await.context("the renewal stopped")??;
        *current = fresh.clone();
        Ok(fresh)
    }
}

fn reply(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}

/// A refusal, after which the connection is closed: a stranger holds no place.
fn refuse(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let mut response =
        reply(status, serde_json::json!({"code": status.as_u16(), "message": message}).to_string());
    response
        .headers_mut()
        .insert(hyper::header::CONNECTION, hyper::header::HeaderValue::from_static("close"));
    response
}

/// The connections that have not shown the token yet, oldest first, each with the way to
/// close it. A flood of connections from another local user can only push out its own
/// (and, at worst, a job's connection that has not sent its request while `cap` newer ones
/// arrived): the job's proven connections are not in here.
struct Unproven {
    cap: usize,
    next: u64,
    waiting: std::collections::VecDeque<(u64, tokio::sync::oneshot::Sender<()>)>,
}

impl Unproven {
    fn new(cap: usize) -> Unproven {
        Unproven { cap, next: 0, waiting: std::collections::VecDeque::new() }
    }

    /// A new connection: its id, and what resolves when it is pushed out.
    fn add(&mut self) -> (u64, tokio::sync::oneshot::Receiver<()>) {
        while self.waiting.len() >= self.cap {
            if let Some((_, close)) = self.waiting.pop_front() {
                let _ = close.send(());
            }
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.next += 1;
        self.waiting.push_back((self.next, tx));
        (self.next, rx)
    }

    /// The connection showed the token, or ended: out of the line, never pushed out.
    fn remove(&mut self, id: u64) {
        self.waiting.retain(|(i, _)| *i != id);
    }
}

/// How many unproven connections to hold: [`MAX_UNPROVEN`], or half of the open files
/// left under the soft limit (64 kept for the job's own and swrole's), at least 16.
fn unproven_cap() -> usize {
    // SAFETY: getrlimit only writes the struct passed.
    let soft = unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 { 1024 } else { limit.rlim_cur }
    };
    let soft = usize::try_from(soft).unwrap_or(MAX_UNPROVEN * 2);
    (soft.saturating_sub(64) / 2).clamp(16, MAX_UNPROVEN)
}

/// One request: `GET /` with the token, no body, small; anything else a 4xx with nothing
/// in it. `proven` runs once the token matches (the connection is the job's from then on).
async fn handle(
    req: Request<hyper::body::Incoming>,
    token: Arc<String>,
    source: Arc<Source>,
    proven: Arc<dyn Fn() + Send + Sync>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::GET {
        return Ok(refuse(StatusCode::METHOD_NOT_ALLOWED, "GET only"));
    }
    if req.uri().path() != "/" || req.uri().query().is_some() {
        return Ok(refuse(StatusCode::NOT_FOUND, "not found"));
    }
    // The size of the head is bounded before this runs: hyper's buffer (MAX_REQUEST)
    // answers 431 to anything longer. A GET carries no body at all.
    let has_body = req
        .headers()
        .get("content-length")
        .is_some_and(|v| v.to_str().ok().and_then(|s| s.parse::<u64>().ok()) != Some(0))
        || req.headers().contains_key("transfer-encoding");
    if has_body {
        return Ok(refuse(StatusCode::PAYLOAD_TOO_LARGE, "request too large"));
    }
    let given = req.headers().get("authorization").map(|v| v.as_bytes()).unwrap_or(b"");
    if !constant_time_eq(given, token.as_bytes()) {
        return Ok(refuse(StatusCode::UNAUTHORIZED, "missing or wrong authorization token"));
    }
    proven();
    Ok(match source.credentials().await {
        Ok(c) => reply(StatusCode::OK, document(&c)),
        Err(e) => {
            let message = format!(
                "swrole could not renew the credentials: {}",
                crate::text::sanitize(&format!("{e:#}"))
            );
            eprintln!("swrole: {message}");
            refuse(StatusCode::SERVICE_UNAVAILABLE, &message)
        }
    })
}

/// Bind `addr` (loopback only) and serve on a thread of its own until the process ends.
/// Returns the address bound.
pub fn start(addr: SocketAddr, token: String, source: Source) -> Result<SocketAddr> {
    if !addr.ip().is_loopback() {
        bail!("the credentials endpoint listens on loopback only ({} is not a loopback address)", addr.ip());
    }
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("could not listen on {addr}"))?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let token = Arc::new(token);
    let source = Arc::new(source);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            // A local user opening connections by the thousand cannot take the job's place:
            // the accept loop never waits, connections that have not shown the token are
            // bounded (the oldest pushed out), idle ones closed after HEADER_TIMEOUT, and a
            // failing accept (no descriptor left) backs off instead of spinning.
            let unproven = Arc::new(std::sync::Mutex::new(Unproven::new(unproven_cap())));
            let mut pause = Duration::from_millis(5);
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(accepted) => {
                        pause = Duration::from_millis(5);
                        accepted
                    }
                    Err(_) => {
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_secs(1));
                        continue;
                    }
                };
                if !peer.ip().is_loopback() {
                    continue;
                }
                let (id, pushed_out) = unproven.lock().expect("not poisoned").add();
                let (token, source, line) = (token.clone(), source.clone(), unproven.clone());
                tokio::spawn(async move {
                    let proven: Arc<dyn Fn() + Send + Sync> = {
                        let line = line.clone();
                        Arc::new(move || line.lock().expect("not poisoned").remove(id))
                    };
                    let service = hyper::service::service_fn(move |req| {
                        handle(req, token.clone(), source.clone(), proven.clone())
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .max_buf_size(MAX_REQUEST)
                        .header_read_timeout(HEADER_TIMEOUT)
                        .timer(hyper_util::rt::TokioTimer::new())
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                    // Pushed out only by a send: a sender dropped because the connection
                    // was proven closes nothing.
                    let pushed_out = async {
                        if pushed_out.await.is_err() {
                            std::future::pending::<()>().await;
                        }
                    };
                    let mut served = std::pin::pin!(tokio::time::timeout(CONNECTION_LIFE, conn));
                    let mut pushed_out = std::pin::pin!(pushed_out);
                    std::future::poll_fn(|cx| {
                        use std::future::Future;
                        if served.as_mut().poll(cx).is_ready() || pushed_out.as_mut().poll(cx).is_ready() {
                            std::task::Poll::Ready(())
                        } else {
                            std::task::Poll::Pending
                        }
                    })
                    .await;
                    line.lock().expect("not poisoned").remove(id);
                });
            }
        });
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Past its cap, the oldest unproven connection is pushed out; a proven one never is,
    /// and its sender going away closes nothing.
    #[test]
    fn the_oldest_unproven_connection_makes_room() {
        let mut u = Unproven::new(2);
        let (a, mut ra) = u.add();
        let (b, mut rb) = u.add();
        u.remove(b);
        assert_eq!(
            rb.try_recv(),
            Err(tokio::sync::oneshot::error::TryRecvError::Closed),
            "proven: dropped, not sent"
        );
        let (_c, mut rc) = u.add();
        assert_eq!(
            ra.try_recv(),
            Err(tokio::sync::oneshot::error::TryRecvError::Empty),
            "room for two: a stays"
        );
        let (_d, _rd) = u.add();
        assert_eq!(ra.try_recv(), Ok(()), "a, the oldest, is pushed out");
        assert_eq!(rc.try_recv(), Err(tokio::sync::oneshot::error::TryRecvError::Empty));
        assert_eq!(u.waiting.len(), 2);
        let _ = a;
        assert!((16..=MAX_UNPROVEN).contains(&unproven_cap()));
    }

    #[test]
    fn tokens_and_comparison() {
        let a = new_token().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token().unwrap());
        assert!(constant_time_eq(a.as_bytes(), a.as_bytes()));
        assert!(!constant_time_eq(a.as_bytes(), &a.as_bytes()[1..]));
        assert!(!constant_time_eq(b"abc", b"abd"));
        // Differences that cancel out when combined with XOR still differ.
        assert!(!constant_time_eq(b"ab", b"ba"));
    }

    #[test]
    fn credentials_are_renewed_inside_the_margin_only() {
        let now = clock::now();
        let renewals = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let source = |expiration: i64| {
            let count = renewals.clone();
            Source {
                current: tokio::sync::Mutex::new(Credentials::sample(expiration)),
                margin: 600,
                renew: Arc::new(move || {
                    count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Ok(Credentials::sample(now + 3600))
                }),
            }
        };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let kept = source(now + 1200);
            assert_eq!(kept.credentials().await.unwrap().expiration, Some(now + 1200));
            assert_eq!(renewals.load(std::sync::atomic::Ordering::SeqCst), 0);
            let renewed = source(now + 300);
            assert_eq!(renewed.credentials().await.unwrap().expiration, Some(now + 3600));
            assert_eq!(renewed.credentials().await.unwrap().expiration, Some(now + 3600), "kept after");
            assert_eq!(renewals.load(std::sync::atomic::Ordering::SeqCst), 1, "renewed once");
        });
    }

    #[test]
    fn loopback_only() {
        let never = Source {
            current: tokio::sync::Mutex::new(Credentials::sample(0)),
            margin: 0,
            renew: Arc::new(|| anyhow::bail!("not called")),
        };
        let e = start("0.0.0.0:0".parse().unwrap(), "t".into(), never).unwrap_err().to_string();
        assert!(e.contains("loopback only (0.0.0.0 is not a loopback address)"), "{e}");
    }

    #[test]
    fn the_document() {
        let c = Credentials { account_id: Some("111111111111".into()), ..Credentials::sample(60) };
        let v: serde_json::Value = serde_json::from_str(&document(&c)).unwrap();
        assert_eq!(v["Token"], "t");
        assert_eq!(v["Expiration"], "1970-01-01T00:01:00Z");
        assert_eq!(v["AccountId"], "111111111111");
    }
}
