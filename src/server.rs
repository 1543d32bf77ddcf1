//! `swrole exec --server`: a credentials endpoint on loopback that speaks the container
//! credentials protocol every AWS SDK and the CLI read (`AWS_CONTAINER_CREDENTIALS_FULL_URI`
//! with `AWS_CONTAINER_AUTHORIZATION_TOKEN`), so that a long job gets fresh role credentials
//! for as long as the MFA session lives. hyper serves HTTP (no hand-written parser). A
//! renewal thread of its own renews ahead of the expiry; a request is answered at once with
//! what is valid, so a slow or absent STS never makes a client wait past its own timeout.

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

/// Credentials with fewer seconds than this left are not handed out: a client could not
/// sign and send a request with them before they expire.
pub const LAST_SECONDS: i64 = 2;
/// The first pause after a failed renewal; it doubles after each failure, up to
/// [`BACKOFF_MAX`].
pub const BACKOFF_FIRST: i64 = 5;
pub const BACKOFF_MAX: i64 = 60;
/// How long a request waits for a renewal under way when nothing valid is left: within
/// the 1 s the JS SDK gives the endpoint (botocore gives 2 s).
pub const WAIT_FOR_RENEWAL: Duration = Duration::from_millis(700);

/// What the endpoint serves: `current`, renewed by `renew` (blocking, on the endpoint's
/// renewal thread) once it has less than `margin` left, never inside a request.
pub struct Source {
    /// The profile, for the messages on the job's terminal.
    pub profile: String,
    pub current: Credentials,
    pub margin: i64,
    pub renew: Arc<dyn Fn() -> Result<Credentials> + Send + Sync>,
}

/// The renewal's state, decided here without a clock or a thread (both are the caller's):
/// what a request gets, when the next renewal is due, and the few lines the job's terminal
/// sees (a failure once, then its end: renewed again, or expired).
#[derive(Debug)]
pub struct Renewal {
    pub profile: String,
    pub current: Credentials,
    pub margin: i64,
    /// When the renewal thread tries next (seconds since the epoch).
    pub next_try: i64,
    /// Failed renewals in a row.
    pub failures: u32,
    /// Why the last renewal failed, until one succeeds.
    pub trouble: Option<String>,
    /// The expiry was said (once per failure streak).
    said_expired: bool,
    /// A renewal is running.
    pub renewing: bool,
}

impl Renewal {
    pub fn new(profile: &str, current: Credentials, margin: i64) -> Renewal {
        let next_try = Renewal::due_at(&current, margin, None);
        Renewal {
            profile: profile.to_string(),
            current,
            margin,
            next_try,
            failures: 0,
            trouble: None,
            said_expired: false,
            renewing: false,
        }
    }

    /// When credentials got at `now` are renewed: `margin` before they expire, at most once
    /// a second (a margin longer than their life renews every second, not in a busy loop),
    /// never at all for credentials without an expiry.
    fn due_at(c: &Credentials, margin: i64, last: Option<i64>) -> i64 {
        match c.expiration {
            None => i64::MAX,
            Some(e) => (e - margin).max(last.map_or(i64::MIN, |l| l + 1)),
        }
    }

    /// Seconds left of what is served (`None`: no expiry).
    fn left(&self, now: i64) -> Option<i64> {
        self.current.expiration.map(|e| e - now)
    }

    /// The credentials a request gets at `now`, or why there are none, and a line for the
    /// job's terminal (the expiry, said once).
    pub fn answer(&mut self, now: i64) -> (std::result::Result<Credentials, String>, Option<String>) {
        if self.left(now).is_none_or(|l| l >= LAST_SECONDS) {
            return (Ok(self.current.clone()), None);
        }
        let why = match &self.trouble {
            Some(why) => format!("swrole could not renew the credentials of {}: {why}", self.profile),
            None => {
                format!("swrole is renewing the credentials of {}: STS has not answered yet", self.profile)
            }
        };
        let line = match &self.trouble {
            Some(why) if !self.said_expired => {
                self.said_expired = true;
                Some(format!(
                    "the credentials of {} have expired and could not be renewed ({why}): the job gets an error \
                     until a renewal succeeds (swrole tries again in the background)",
                    self.profile
                ))
            }
            _ => None,
        };
        (Err(why), line)
    }

    /// Whether a renewal is due at `now` (and none is running).
    pub fn due(&self, now: i64) -> bool {
        !self.renewing && now >= self.next_try
    }

    /// A renewal got `fresh` at `now`: served from now on; a line if it ends a failure.
    pub fn renewed(&mut self, fresh: Credentials, now: i64) -> Option<String> {
        self.renewing = false;
        self.next_try = Renewal::due_at(&fresh, self.margin, Some(now));
        self.current = fresh;
        let line = self.trouble.take().map(|_| {
            let tries = self.failures;
            format!(
                "renewed the credentials of {} again, after {tries} failed {}",
                self.profile,
                if tries == 1 { "try" } else { "tries" }
            )
        });
        self.failures = 0;
        self.said_expired = false;
        line
    }

    /// A renewal failed at `now` for `why`: the next one after a pause that doubles each
    /// time; a line the first time only (what failed, and what the job has meanwhile).
    pub fn failed(&mut self, why: String, now: i64) -> Option<String> {
        self.renewing = false;
        let pause = BACKOFF_FIRST.saturating_mul(1 << self.failures.min(8)).min(BACKOFF_MAX);
        self.failures += 1;
        self.next_try = now + pause;
        let first = self.trouble.is_none();
        let line = first.then(|| match self.left(now) {
            Some(l) if l >= LAST_SECONDS => format!(
                "could not renew the credentials of {}: {why}; the job keeps the ones it has ({} left) and swrole \
                 tries again in the background",
                self.profile,
                clock::left_exact(l)
            ),
            Some(_) => {
                self.said_expired = true;
                format!(
                    "could not renew the credentials of {}: {why}; they have expired: the job gets an error until a \
                     renewal succeeds (swrole tries again in the background)",
                    self.profile
                )
            }
            None => format!("could not renew the credentials of {}: {why}", self.profile),
        });
        self.trouble = Some(why);
        line
    }
}

/// The renewal thread: wakes every second (a wall clock, so a machine that slept is
/// caught up at once) or when a request finds nothing valid, and renews when due.
fn renewal_thread(
    state: Arc<std::sync::Mutex<Renewal>>,
    renew: Arc<dyn Fn() -> Result<Credentials> + Send + Sync>,
    wake: Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
    changed: tokio::sync::watch::Sender<u64>,
) {
    let mut round = 0u64;
    loop {
        {
            let (woken, signal) = &*wake;
            let guard = woken.lock().expect("not poisoned");
            let (mut guard, _) =
                signal.wait_timeout_while(guard, Duration::from_secs(1), |w| !*w).expect("not poisoned");
            *guard = false;
        }
        {
            let mut s = state.lock().expect("not poisoned");
            if !s.due(clock::now()) {
                continue;
            }
            s.renewing = true;
        }
        let result = renew();
        let line = {
            let mut s = state.lock().expect("not poisoned");
            match result {
                Ok(fresh) => s.renewed(fresh, clock::now()),
                Err(e) => s.failed(crate::text::sanitize(&format!("{e:#}")), clock::now()),
            }
        };
        if let Some(line) = line {
            eprintln!("swrole: {line}");
        }
        round += 1;
        let _ = changed.send(round);
    }
}

/// What requests share: the renewal's state, the way to wake its thread, and a signal
/// that a renewal ended.
struct Shared {
    state: Arc<std::sync::Mutex<Renewal>>,
    wake: Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
    changed: tokio::sync::watch::Receiver<u64>,
}

impl Shared {
    /// A request's answer, at once: what is valid now; with nothing valid, the renewal
    /// thread is woken and a renewal under way (or due) waited for, within
    /// [`WAIT_FOR_RENEWAL`].
    async fn credentials(&self) -> std::result::Result<Credentials, String> {
        let mut changed = self.changed.clone();
        changed.mark_unchanged();
        let (answer, busy) = {
            let mut s = self.state.lock().expect("not poisoned");
            let now = clock::now();
            let (answer, line) = s.answer(now);
            if let Some(line) = line {
                eprintln!("swrole: {line}");
            }
            (answer, s.renewing || s.due(now))
        };
        if answer.is_ok() || !busy {
            return answer;
        }
        let (woken, signal) = &*self.wake;
        *woken.lock().expect("not poisoned") = true;
        signal.notify_one();
        let _ = tokio::time::timeout(WAIT_FOR_RENEWAL, changed.changed()).await;
        self.state.lock().expect("not poisoned").answer(clock::now()).0
    }
}

fn reply(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}

/// A refusal, after which the connection is closed: a stranger holds no place. The body is
/// the container-credentials error every SDK reads: `code` and `message` as strings (the
/// Go SDK's field names; the JS SDK v3 reads `Code` and `Message`, so both spellings carry
/// the same text; botocore and the AWS CLI print the body as it is).
fn refuse(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({"code": code, "message": message, "Code": code, "Message": message});
    let mut response = reply(status, body.to_string());
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
    shared: Arc<Shared>,
    proven: Arc<dyn Fn() + Send + Sync>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::GET {
        return Ok(refuse(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "GET only"));
    }
    if req.uri().path() != "/" || req.uri().query().is_some() {
        return Ok(refuse(StatusCode::NOT_FOUND, "NotFound", "not found"));
    }
    // The size of the head is bounded before this runs: hyper's buffer (MAX_REQUEST)
    // answers 431 to anything longer. A GET carries no body at all.
    let has_body = req
        .headers()
        .get("content-length")
        .is_some_and(|v| v.to_str().ok().and_then(|s| s.parse::<u64>().ok()) != Some(0))
        || req.headers().contains_key("transfer-encoding");
    if has_body {
        return Ok(refuse(StatusCode::PAYLOAD_TOO_LARGE, "RequestTooLarge", "request too large"));
    }
    let given = req.headers().get("authorization").map(|v| v.as_bytes()).unwrap_or(b"");
    if !constant_time_eq(given, token.as_bytes()) {
        return Ok(refuse(StatusCode::UNAUTHORIZED, "Unauthorized", "missing or wrong authorization token"));
    }
    proven();
    Ok(match shared.credentials().await {
        Ok(c) => reply(StatusCode::OK, document(&c)),
        // Said on the job's terminal by the renewal (once), not once per request.
        Err(why) => refuse(StatusCode::SERVICE_UNAVAILABLE, "CredentialsUnavailable", &why),
    })
}

/// Who may connect to the endpoint. A connection from anywhere else is closed unread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peers {
    /// This machine's own programs (`exec --server`).
    Loopback,
    /// The containers of swrole's Docker network (`exec --container`), which reach the
    /// endpoint at the network's gateway, and this machine.
    Network { gateway: std::net::Ipv4Addr, prefix: u8 },
}

impl Peers {
    /// Whether the endpoint may listen on `ip`.
    pub fn may_listen_on(self, ip: std::net::IpAddr) -> bool {
        match self {
            Peers::Loopback => ip.is_loopback(),
            Peers::Network { gateway, .. } => ip == std::net::IpAddr::V4(gateway),
        }
    }

    /// Whether a connection from `ip` is served.
    pub fn allows(self, ip: std::net::IpAddr) -> bool {
        match (self, ip) {
            _ if ip.is_loopback() => true,
            (Peers::Network { gateway, prefix }, std::net::IpAddr::V4(v4)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                u32::from(v4) & mask == u32::from(gateway) & mask
            }
            _ => false,
        }
    }
}

/// Bind `addr` (where `peers` allows) and serve on a thread of its own until the process
/// ends. Returns the address bound.
pub fn start(addr: SocketAddr, token: String, source: Source, peers: Peers) -> Result<SocketAddr> {
    if !peers.may_listen_on(addr.ip()) {
        bail!("the credentials endpoint listens on loopback only ({} is not a loopback address)", addr.ip());
    }
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("could not listen on {addr}"))?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let token = Arc::new(token);
    let state = Arc::new(std::sync::Mutex::new(Renewal::new(&source.profile, source.current, source.margin)));
    let wake = Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
    let (changed_tx, changed) = tokio::sync::watch::channel(0u64);
    {
        let (state, wake, renew) = (state.clone(), wake.clone(), source.renew.clone());
        std::thread::spawn(move || renewal_thread(state, renew, wake, changed_tx));
    }
    let source = Arc::new(Shared { state, wake, changed });
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
                if !peers.allows(peer.ip()) {
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

    #[test]
    fn only_the_peers_it_serves_may_connect() {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
        let ip = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
        let net = Peers::Network { gateway: Ipv4Addr::new(169, 254, 170, 2), prefix: 24 };
        assert!(
            Peers::Loopback.allows(ip(127, 0, 0, 1))
                && Peers::Loopback.allows(IpAddr::V6(Ipv6Addr::LOCALHOST))
        );
        assert!(!Peers::Loopback.allows(ip(169, 254, 170, 3)));
        assert!(
            net.allows(ip(169, 254, 170, 1))
                && net.allows(ip(169, 254, 170, 254))
                && net.allows(ip(127, 0, 0, 1))
        );
        assert!(
            !net.allows(ip(169, 254, 171, 1))
                && !net.allows(ip(10, 0, 0, 1))
                && !net.allows(ip(169, 254, 169, 254))
        );
        assert!(!net.allows(IpAddr::V6("fd00:ec2::23".parse().unwrap())));
        assert!(net.may_listen_on(ip(169, 254, 170, 2)) && !net.may_listen_on(ip(0, 0, 0, 0)));
        assert!(
            Peers::Loopback.may_listen_on(ip(127, 0, 0, 1))
                && !Peers::Loopback.may_listen_on(ip(169, 254, 170, 2))
        );
        let all = Peers::Network { gateway: Ipv4Addr::new(169, 254, 170, 2), prefix: 0 };
        assert!(all.allows(ip(8, 8, 8, 8)), "a /0 is everything (no shift overflow)");
    }

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

    /// Renewals are due `margin` before the expiry and at most once a second; a request is
    /// served what is valid whatever the renewal does.
    #[test]
    fn renewals_are_due_inside_the_margin_and_never_in_a_request() {
        let now = 1_000_000;
        let mut r = Renewal::new("prod", Credentials::sample(now + 1200), 600);
        assert_eq!(r.next_try, now + 600);
        assert!(!r.due(now + 599) && r.due(now + 600));
        assert_eq!(r.answer(now + 900).0.unwrap().expiration, Some(now + 1200), "inside the margin: served");
        r.renewing = true;
        assert!(!r.due(now + 700), "one renewal at a time");
        assert_eq!(r.renewed(Credentials::sample(now + 4300), now + 700), None, "nothing to say");
        assert_eq!(r.next_try, now + 3700);
        assert_eq!(r.answer(now + 701).0.unwrap().expiration, Some(now + 4300));
        // A margin longer than the credentials' life: once a second, not in a busy loop.
        let mut short = Renewal::new("p", Credentials::sample(now + 10), 3599);
        assert_eq!(short.next_try, now - 3589);
        short.renewed(Credentials::sample(now + 20), now);
        assert_eq!(short.next_try, now + 1);
        let long_term = Renewal::new("p", Credentials { expiration: None, ..Credentials::sample(0) }, 600);
        assert!(!long_term.due(i64::MAX - 1));
    }

    /// An outage: the job keeps what is valid (said once, with the time left), the retries
    /// back off 5, 10, 20, 40, 60, 60 s; the expiry is said once; then the recovery, once.
    #[test]
    fn an_outage_is_said_once_and_its_end_once() {
        let now = 1_000_000;
        let mut r = Renewal::new("prod", Credentials::sample(now + 600), 600);
        let first = r.failed("STS at sts.x did not answer in time".into(), now).unwrap();
        assert_eq!(
            first,
            "could not renew the credentials of prod: STS at sts.x did not answer in time; the job keeps the ones \
             it has (10m left) and swrole tries again in the background"
        );
        let mut pauses = vec![r.next_try - now];
        for i in 1..6 {
            assert_eq!(r.failed("again".into(), now + i), None, "said once");
            pauses.push(r.next_try - (now + i));
        }
        assert_eq!(pauses, [5, 10, 20, 40, 60, 60]);
        assert!(r.answer(now + 598).0.is_ok(), "valid: served, whatever the renewal does");
        let (gone, line) = r.answer(now + 599);
        assert_eq!(gone.unwrap_err(), "swrole could not renew the credentials of prod: again");
        assert!(
            line.unwrap()
                .starts_with("the credentials of prod have expired and could not be renewed (again)")
        );
        assert_eq!(r.answer(now + 600).1, None, "the expiry is said once");
        let back = r.renewed(Credentials::sample(now + 4200), now + 600).unwrap();
        assert_eq!(back, "renewed the credentials of prod again, after 6 failed tries");
        assert_eq!((r.failures, r.trouble.as_deref()), (0, None));
        // A failure when nothing is left says so in its one line; no second expiry line.
        let mut late = Renewal::new("p", Credentials::sample(now + 1), 600);
        assert!(
            late.failed("refused".into(), now).unwrap().contains("they have expired: the job gets an error")
        );
        assert_eq!(late.answer(now).1, None);
        assert_eq!(
            Renewal::new("p", Credentials::sample(now), 0).answer(now).0.unwrap_err(),
            "swrole is renewing the credentials of p: STS has not answered yet"
        );
        let mut one = Renewal::new("p", Credentials::sample(now + 900), 600);
        one.failed("x".into(), now);
        assert!(one.renewed(Credentials::sample(now + 3600), now).unwrap().ends_with("after 1 failed try"));
    }

    #[test]
    fn loopback_only() {
        let never = Source {
            profile: "p".into(),
            current: Credentials::sample(0),
            margin: 0,
            renew: Arc::new(|| anyhow::bail!("not called")),
        };
        let e =
            start("0.0.0.0:0".parse().unwrap(), "t".into(), never, Peers::Loopback).unwrap_err().to_string();
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
