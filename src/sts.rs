//! The network edge: the only module that talks to STS or to the SDK's credential
//! providers. Errors become one readable line with what to check, never the SDK's debug
//! dump and never a secret.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{BehaviorVersion, ProvideCredentials, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

use crate::chain::{Base, CredentialSource};
use crate::credentials::Credentials;
use crate::plan::HopPlan;
use crate::text::sanitize;

/// An MFA code with the device it belongs to: they are always sent together.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaCode {
    pub serial: String,
    pub code: String,
}

impl std::fmt::Debug for MfaCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaCode").field("serial", &self.serial).finish_non_exhaustive()
    }
}

/// A CA bundle: its certificates are trusted in addition to the system's roots, for every
/// HTTPS call swrole makes (STS, the SDK's credential providers, the federation endpoint),
/// as `AWS_CA_BUNDLE` / `ca_bundle` do for the AWS CLI.
#[derive(Clone)]
pub struct CaBundle {
    pub path: std::path::PathBuf,
    pub pem: Vec<u8>,
    pub certs: Vec<rustls::pki_types::CertificateDer<'static>>,
}

impl std::fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaBundle").field("path", &self.path).field("certs", &self.certs.len()).finish()
    }
}

impl CaBundle {
    /// Read and parse the bundle named at `from`; unreadable, not PEM, or without a single
    /// certificate is an error that names the file and where it was named.
    pub fn load(path: &std::path::Path, from: &str) -> Result<CaBundle> {
        use rustls::pki_types::pem::PemObject;
        let shown = path.display();
        let meta =
            std::fs::metadata(path).with_context(|| format!("CA bundle {shown} ({from}) cannot be read"))?;
        if !meta.is_file() || meta.len() > crate::config::MAX_FILE_BYTES {
            bail!("CA bundle {shown} ({from}) is not a regular file of at most 16 MiB");
        }
        let pem =
            std::fs::read(path).with_context(|| format!("CA bundle {shown} ({from}) cannot be read"))?;
        let mut certs = Vec::new();
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
            certs.push(cert.map_err(|_| {
                anyhow!("CA bundle {shown} ({from}) holds a certificate that cannot be parsed")
            })?);
        }
        if certs.is_empty() {
            bail!("CA bundle {shown} ({from}) holds no certificate (PEM, -----BEGIN CERTIFICATE-----)");
        }
        Ok(CaBundle { path: path.to_path_buf(), pem, certs })
    }

    /// The SDK's HTTP client, trusting the system's roots and this bundle.
    fn http_client(&self) -> Result<aws_sdk_sts::config::SharedHttpClient> {
        use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
        let trust = TrustStore::empty().with_native_roots(true).with_pem_certificate(self.pem.clone());
        let context = TlsContext::builder()
            .with_trust_store(trust)
            .build()
            .map_err(|e| anyhow!("CA bundle {}: {e}", self.path.display()))?;
        Ok(aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(context)
            .build_https())
    }
}

/// Network settings for every STS call of one switch.
#[derive(Clone, Debug)]
pub struct Settings {
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub ca_bundle: Option<CaBundle>,
    /// Attempts at each call (the plan's `max_attempts`); a call that carries an MFA code
    /// is sent once whatever this says (STS takes a code once: a retry after a slow first
    /// answer would be refused as an invalid code).
    pub attempts: u32,
    /// Say on stderr when a call has waited [`WAIT_NOTICE`] (not in a renewal in the
    /// background: the endpoint says what failed, once).
    pub say_waiting: bool,
}

/// A call that has not been answered after this gets a line on stderr.
pub const WAIT_NOTICE: Duration = Duration::from_secs(3);

impl Settings {
    /// The settings of one switch: where its plan says, with the command line's timeouts
    /// (the CA bundle, if any, is read here: only a network call needs it).
    pub fn for_plan(plan: &crate::plan::Plan, opts: &crate::options::Options) -> Result<Settings> {
        Ok(Settings {
            region: plan.region.clone(),
            endpoint: plan.endpoint.clone(),
            connect_timeout: opts.connect_timeout,
            read_timeout: opts.read_timeout,
            ca_bundle: plan.ca_bundle.as_ref().map(|(p, from)| CaBundle::load(p, from)).transpose()?,
            attempts: plan.attempts.0,
            say_waiting: !opts.renewal && !opts.quiet,
        })
    }

    fn describe_endpoint(&self) -> String {
        match (&self.endpoint, &self.region) {
            (Some(url), _) => url.clone(),
            (None, Some(region)) => format!("sts.{region}.amazonaws.com"),
            (None, None) => "sts.us-east-1.amazonaws.com".to_string(),
        }
    }
}

/// Loopback addresses added to `NO_PROXY` / `no_proxy` (the rules of hyper-util's proxy
/// matcher, which the SDK's HTTP client and its credential providers read).
const LOOPBACK: &str = "localhost,127.0.0.0/8,::1";

/// Never send loopback traffic (a local STS emulator, a federation endpoint under test,
/// the container credentials endpoint) through `HTTP_PROXY` / `HTTPS_PROXY` /
/// `ALL_PROXY`: signed requests and MFA codes would leave the machine in clear text. The
/// user's own `NO_PROXY` rules are kept; the loopback ranges are added to both spellings.
/// Called once at start-up, before any thread exists.
pub fn keep_loopback_off_proxies() {
    let existing =
        ["NO_PROXY", "no_proxy"].iter().find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()));
    let merged = match existing {
        Some(rules) => format!("{rules},{LOOPBACK}"),
        None => LOOPBACK.to_string(),
    };
    for var in ["NO_PROXY", "no_proxy"] {
        // SAFETY: called from `run` before anything else: no other thread exists.
        unsafe { std::env::set_var(var, &merged) };
    }
}

/// A tokio runtime for the calls of one switch: current thread, built only when a call
/// is needed.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

/// The attempts a call gets: one when it carries an MFA code.
fn attempts(settings: &Settings, with_code: bool) -> u32 {
    if with_code { 1 } else { settings.attempts.max(1) }
}

/// The longest a call can take: each attempt's connect and read timeouts.
fn longest(settings: &Settings, with_code: bool) -> Duration {
    attempts(settings, with_code) * (settings.read_timeout + settings.connect_timeout)
}

/// `call`, with one line on stderr once it has waited [`WAIT_NOTICE`]: where swrole waits
/// and for how long at most.
async fn said_while_waiting<F: std::future::Future>(
    settings: &Settings,
    with_code: bool,
    call: F,
) -> F::Output {
    use std::future::Future;
    use std::task::Poll;
    let mut call = std::pin::pin!(call);
    let mut notice = std::pin::pin!(tokio::time::sleep(WAIT_NOTICE));
    let mut said = !settings.say_waiting;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = call.as_mut().poll(cx) {
            return Poll::Ready(v);
        }
        if !said && notice.as_mut().poll(cx).is_ready() {
            said = true;
            eprintln!("swrole: {}", waiting_line(settings, with_code));
        }
        Poll::Pending
    })
    .await
}

fn waiting_line(settings: &Settings, with_code: bool) -> String {
    let tries = attempts(settings, with_code);
    format!(
        "waiting for STS at {} (at most {} s{}; Ctrl-C stops)",
        settings.describe_endpoint(),
        longest(settings, with_code).as_secs(),
        if tries == 1 { String::new() } else { format!(" for {tries} attempts") }
    )
}

fn client(settings: &Settings, signer: &Credentials, with_code: bool) -> Result<aws_sdk_sts::Client> {
    let creds = aws_sdk_sts::config::Credentials::new(
        &signer.access_key_id,
        &signer.secret_access_key,
        signer.session_token.clone(),
        None,
        "swrole",
    );
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(settings.connect_timeout)
        .read_timeout(settings.read_timeout)
        .operation_attempt_timeout(settings.read_timeout + settings.connect_timeout)
        .operation_timeout(longest(settings, with_code))
        .build();
    // No region anywhere: STS's default region, as the AWS CLI does.
    let region = settings.region.clone().unwrap_or_else(|| "us-east-1".to_string());
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(creds)
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(attempts(settings, with_code)));
    if let Some(url) = &settings.endpoint {
        config = config.endpoint_url(url);
    }
    if let Some(bundle) = &settings.ca_bundle {
        config = config.http_client(bundle.http_client()?);
    }
    Ok(aws_sdk_sts::Client::from_conf(config.build()))
}

/// What an AssumeRole carries besides the hop's own parameters, decided by the switch:
/// the session name (a source identity replaces the default), the SourceIdentity, and the
/// session tags (the reason for write access).
#[derive(Clone, Debug, Default)]
pub struct Extras {
    pub session_name: Option<String>,
    pub source_identity: Option<String>,
    pub tags: Vec<(String, String)>,
}

/// Why STS refused the SourceIdentity or the tags, if that is what it said.
fn refused_permission(error: &anyhow::Error, action: &str) -> bool {
    let text = format!("{error:#}");
    text.contains("AccessDenied") && text.contains(action)
}

/// One AssumeRole call. A role whose trust policy does not allow `sts:TagSession` gets the
/// call again without tags (said on stderr); one that does not allow
/// `sts:SetSourceIdentity` is an error that says so.
pub async fn assume_role(
    settings: &Settings,
    signer: &Credentials,
    hop: &HopPlan,
    mfa: Option<&MfaCode>,
    extras: &Extras,
) -> Result<Credentials> {
    use aws_sdk_sts::types::{PolicyDescriptorType, Tag};
    let send = |tags: &[(String, String)]| {
        let mut request = client(settings, signer, mfa.is_some())?
            .assume_role()
            .role_arn(&hop.role_arn)
            .role_session_name(extras.session_name.as_deref().unwrap_or(&hop.session_name))
            .set_external_id(hop.external_id.clone())
            .set_serial_number(mfa.map(|m| m.serial.clone()))
            .set_token_code(mfa.map(|m| m.code.clone()))
            .set_duration_seconds(hop.duration_seconds.map(|d| d as i32))
            .set_source_identity(extras.source_identity.clone());
        match hop.policy.as_ref().map(|p| &p.policy) {
            Some(crate::safety::Policy::Arns(arns)) => {
                for arn in arns {
                    request = request.policy_arns(PolicyDescriptorType::builder().arn(arn).build());
                }
            }
            Some(crate::safety::Policy::Json(json)) => request = request.policy(json),
            Some(crate::safety::Policy::File(path)) => {
                bail!("the session policy {} was not read before the call", path.display())
            }
            None => {}
        }
        for (k, v) in tags {
            request = request.tags(Tag::builder().key(k).value(v).build().context("a session tag")?);
        }
        Ok::<_, anyhow::Error>(request)
    };
    let context = || format!("could not assume {} for profile {:?}", hop.role_arn, hop.profile);
    let with_code = mfa.is_some();
    let mut result = said_while_waiting(settings, with_code, send(&extras.tags)?.send())
        .await
        .map_err(|e| describe(e, settings));
    if let Err(e) = &result
        && !extras.tags.is_empty()
        && refused_permission(e, "sts:TagSession")
    {
        eprintln!(
            "swrole: the trust policy of {} does not allow session tags (sts:TagSession): assuming it without \
             the reason tag (the reason is in swrole's record)",
            sanitize(&hop.role_arn)
        );
        result = said_while_waiting(settings, with_code, send(&[])?.send())
            .await
            .map_err(|e| describe(e, settings));
    }
    let output = match result {
        Err(e) if extras.source_identity.is_some() && refused_permission(&e, "sts:SetSourceIdentity") => {
            return Err(e.context(format!(
                "the trust policy of {} does not allow sts:SetSourceIdentity, which swrole_source_identity of \
                 profile {:?} needs: ask an administrator to allow it, or remove swrole_source_identity",
                hop.role_arn, hop.profile
            )));
        }
        other => other.with_context(context)?,
    };
    let arn = output.assumed_role_user().map(|u| u.arn().to_string());
    let account_id = arn.as_deref().and_then(crate::plan::account_of).or(hop.account()).map(str::to_string);
    from_sts(output.credentials(), arn, account_id).with_context(context)
}

/// One GetSessionToken call with an MFA code: a session of the IAM user that satisfies
/// MFA conditions, to assume roles with later without another code.
pub async fn get_session_token(
    settings: &Settings,
    signer: &Credentials,
    mfa: &MfaCode,
    duration_seconds: u32,
) -> Result<Credentials> {
    let context = || format!("could not get an MFA session for {}", mfa.serial);
    let call = client(settings, signer, true)?
        .get_session_token()
        .serial_number(&mfa.serial)
        .token_code(&mfa.code)
        .duration_seconds(duration_seconds as i32)
        .send();
    let output = said_while_waiting(settings, true, call)
        .await
        .map_err(|e| describe(e, settings))
        .with_context(context)?;
    from_sts(output.credentials(), None, signer.account_id.clone()).with_context(context)
}

/// The credentials in an STS answer, checked before anything can print them.
fn from_sts(
    c: Option<&aws_sdk_sts::types::Credentials>,
    arn: Option<String>,
    account_id: Option<String>,
) -> Result<Credentials> {
    let c = c.ok_or_else(|| anyhow!("STS answered without credentials"))?;
    let creds = Credentials {
        access_key_id: c.access_key_id().to_string(),
        secret_access_key: c.secret_access_key().to_string(),
        session_token: Some(c.session_token().to_string()),
        expiration: Some(c.expiration().secs()),
        arn,
        account_id,
    };
    creds.check_shape()?;
    Ok(creds)
}

/// GetCallerIdentity: the ARN these credentials act as.
pub async fn caller_identity(settings: &Settings, creds: &Credentials) -> Result<String> {
    let output =
        said_while_waiting(settings, false, client(settings, creds, false)?.get_caller_identity().send())
            .await
            .map_err(|e| describe(e, settings))
            .context("could not verify the credentials (GetCallerIdentity)")?;
    Ok(sanitize(output.arn().unwrap_or("(no ARN returned)")))
}

/// Credentials from a source the AWS SDK implements (credential_process, IAM Identity
/// Center, web identity, instance or container metadata).
pub async fn provided_credentials(base: &Base, ca_bundle: Option<&CaBundle>) -> Result<Credentials> {
    use aws_config::provider_config::ProviderConfig;
    use aws_config::{ecs, imds, profile};
    let mut provider_config = ProviderConfig::default();
    if let Some(bundle) = ca_bundle {
        provider_config = provider_config.with_http_client(bundle.http_client()?);
    }
    let result = match base {
        Base::StaticKeys { .. }
        | Base::StoredKeys { .. }
        | Base::LoginSession { .. }
        | Base::CredentialSource { source: CredentialSource::Environment, .. } => {
            unreachable!("static, stored, login and environment credentials are read without the SDK")
        }
        Base::CredentialSource { source: CredentialSource::Ec2InstanceMetadata, .. } => {
            imds::credentials::ImdsCredentialsProvider::builder()
                .configure(&provider_config)
                .build()
                .provide_credentials()
                .await
        }
        Base::CredentialSource { source: CredentialSource::EcsContainer, .. } => {
            ecs::EcsCredentialsProvider::builder()
                .configure(&provider_config)
                .build()
                .provide_credentials()
                .await
        }
        Base::Delegated { profile, .. } => {
            profile::ProfileFileCredentialsProvider::builder()
                .configure(&provider_config)
                .profile_name(profile)
                .build()
                .provide_credentials()
                .await
        }
    };
    let c = result.map_err(|e| anyhow!(root_cause(&e))).with_context(|| match base {
        Base::CredentialSource { profile, source, .. } => {
            format!("could not get {} credentials for profile {profile:?}", source.name())
        }
        other => format!("could not get the credentials of profile {:?}", other.profile()),
    })?;
    let creds = Credentials {
        access_key_id: c.access_key_id().to_string(),
        secret_access_key: c.secret_access_key().to_string(),
        session_token: c.session_token().map(str::to_string),
        expiration: c.expiry().map(epoch),
        arn: None,
        account_id: c.account_id().map(|a| a.as_str().to_string()),
    };
    creds.check_shape()?;
    Ok(creds)
}

fn epoch(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The innermost error message of a chain: the part that says what happened.
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    let mut text = cur.to_string();
    while let Some(next) = cur.source() {
        cur = next;
        let t = cur.to_string();
        if !t.is_empty() {
            text = t;
        }
    }
    text
}

/// One readable line for an STS failure, with what to check.
fn describe<E>(err: SdkError<E, HttpResponse>, settings: &Settings) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let endpoint = settings.describe_endpoint();
    match &err {
        SdkError::TimeoutError(_) => anyhow!(
            "STS at {endpoint} did not answer in time (connect timeout {:?}, read timeout {:?})",
            settings.connect_timeout,
            settings.read_timeout
        ),
        SdkError::DispatchFailure(d) => {
            let what = if d.is_timeout() { "timed out".to_string() } else { root_cause(&err) };
            anyhow!("could not reach STS at {endpoint}: {}{}", sanitize(&what), certificate_hint(&what))
        }
        SdkError::ResponseError(_) => anyhow!("STS at {endpoint} sent a response that could not be read"),
        SdkError::ServiceError(service) if service.err().code().is_none() => anyhow!(
            "STS at {endpoint} sent a response that could not be read (HTTP status {})",
            service.raw().status().as_u16()
        ),
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown");
            let message = service.err().message().unwrap_or("").to_string();
            if mfa_refused(code, &message) {
                return anyhow::Error::new(MfaRefused { message: sanitize(&message) });
            }
            anyhow!("{}", service_error_line(code, &message))
        }
        _ => anyhow!("could not call STS at {endpoint}: {}", root_cause(&err)),
    }
}

/// What a TLS certificate error means, and how to fix it (never: skip verification).
pub fn certificate_hint(error: &str) -> &'static str {
    if error.contains("UnknownIssuer") || error.contains("unknown issuer") {
        " (the server's certificate comes from a CA this machine does not trust: set AWS_CA_BUNDLE (or ca_bundle in \
         the profile) to your organisation's CA bundle)"
    } else if error.contains("NotValidForName") || error.contains("not valid for name") {
        " (the server's certificate is for another name than the endpoint's host: check the endpoint URL, or a proxy \
         that answers for it)"
    } else if error.contains("Expired") || error.contains("expired") {
        " (the server's certificate has expired, or this machine's clock is wrong)"
    } else if error.contains("certificate") {
        " (the server's certificate was not accepted)"
    } else {
        ""
    }
}

/// STS refused the MFA code that came with a call (AccessDenied about MFA): a switch that
/// asked for the code on the terminal asks again.
#[derive(Debug)]
pub struct MfaRefused {
    /// STS's own words, made printable.
    pub message: String,
}

impl std::fmt::Display for MfaRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "STS refused the MFA code: \"{}\"; use a fresh code from the device named by mfa_serial",
            self.message
        )
    }
}

impl std::error::Error for MfaRefused {}

/// Whether an STS error says the MFA code was wrong.
fn mfa_refused(code: &str, message: &str) -> bool {
    code == "AccessDenied" && (message.contains("MultiFactorAuthentication") || message.contains("MFA"))
}

/// STS error codes, with the fix users need most often.
pub fn service_error_line(code: &str, message: &str) -> String {
    let hint = match code {
        "AccessDenied" if mfa_refused(code, message) => {
            "use a fresh MFA code from the device named by mfa_serial"
        }
        "AccessDenied" => {
            "check that the role's trust policy allows the source identity, and whether it requires MFA or an external id"
        }
        "ExpiredToken" | "ExpiredTokenException" => {
            "the source credentials have expired: refresh them and try again"
        }
        "InvalidClientTokenId" | "UnrecognizedClientException" => {
            "the source access key is not valid: check the source profile's keys"
        }
        "SignatureDoesNotMatch" => "the source secret key is wrong: check the source profile's keys",
        "ValidationError"
            if message.contains("1 hour session limit") || message.contains("DurationSeconds") =>
        {
            "a role assumed with another role's credentials (role chaining) is limited to 3600 seconds: lower duration_seconds"
        }
        "ValidationError" => "STS rejected a parameter: check the profile's values",
        "RegionDisabledException" => {
            "STS is not activated in this region for the account: use another region"
        }
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => "too many requests: wait a moment",
        "PackedPolicyTooLarge" | "MalformedPolicyDocument" => "the session policy is too large or malformed",
        _ => "",
    };
    let message = sanitize(message);
    let mut line = format!("{code}: {message}");
    if !hint.is_empty() {
        line.push_str(&format!(" ({hint})"));
    }
    line
}

/// The TLS settings of swrole's own HTTPS calls (the federation endpoint): the system's
/// roots, plus the certificates of a CA bundle when one is given.
fn tls_config(extra: &[rustls::pki_types::CertificateDer<'static>]) -> Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    for cert in extra {
        roots.add(cert.clone()).context("a certificate of the CA bundle could not be used")?;
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS setup")?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The HTTP/1 client of swrole's own calls (federation, IAM): rustls with the system's roots
/// and a CA bundle's, `http://` allowed for loopback (the endpoint checks decide).
type HttpsClient<B> = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    B,
>;

pub fn https_client<B>(extra_roots: &[rustls::pki_types::CertificateDer<'static>]) -> Result<HttpsClient<B>>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
{
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls_config(extra_roots)?)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector))
}

/// One HTTP exchange of swrole's own (no SDK): `method` on `url` with `headers` and an
/// optional body; the status, the `x-amzn-errortype` (without its `:` tail) and at most
/// `limit` bytes of the answer, all within `timeout`. `what` names the service in errors,
/// with the URL's scheme, host and path only (never its query or a header's value).
#[allow(clippy::too_many_arguments)]
pub async fn http_call(
    what: &str,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
    timeout: Duration,
    extra_roots: &[rustls::pki_types::CertificateDer<'static>],
    limit: usize,
) -> Result<(u16, Option<String>, bytes::Bytes)> {
    use http_body_util::{BodyExt, Full, Limited};
    let shown = url::Url::parse(url)
        .map(|u| {
            format!(
                "{}://{}{}",
                u.scheme(),
                u.host_str().unwrap_or(""),
                u.port().map_or(String::new(), |p| format!(":{p}"))
            )
        })
        .unwrap_or_default();
    let where_ = sanitize(&shown);
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("user-agent", concat!("swrole/", env!("CARGO_PKG_VERSION")));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let request = request
        .body(Full::new(bytes::Bytes::from(body.unwrap_or_default())))
        .with_context(|| format!("could not build the request to {what}"))?;
    let client = https_client::<Full<bytes::Bytes>>(extra_roots)?;
    let answer = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| anyhow!("could not reach {what} at {where_}: {}", sanitize(&root_cause(&e))))?;
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(|v| sanitize(v.split(':').next().unwrap_or(v)));
        let body = Limited::new(response.into_body(), limit).collect().await.map_err(|_| {
            anyhow!("{what} at {where_} sent an answer that could not be read (or over {} KiB)", limit / 1024)
        })?;
        Ok::<_, anyhow::Error>((status, kind, body.to_bytes()))
    };
    match tokio::time::timeout(timeout, answer).await {
        Err(_) => bail!("{what} at {where_} did not answer within {} s", timeout.as_secs()),
        Ok(r) => r,
    }
}

/// Where and how to call the federation endpoint.
pub struct Federation {
    pub url: String,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
}

/// `getSigninToken`: exchange role credentials for a console sign-in token. Neither the
/// request URL (it carries the credentials) nor the token ever appears in an error.
pub async fn signin_token(fed: &Federation, session_json: &str, duration: Option<u32>) -> Result<String> {
    use http_body_util::{BodyExt, Empty, Limited};
    let mut uri = format!("{}?Action=getSigninToken", fed.url);
    if let Some(d) = duration {
        uri.push_str(&format!("&SessionDuration={d}"));
    }
    uri.push_str("&Session=");
    uri.push_str(&crate::console::encode(session_json));
    let where_ = sanitize(&fed.url);
    let client = https_client::<Empty<bytes::Bytes>>(&fed.extra_roots)?;
    let request = hyper::Request::get(uri.as_str())
        .header("user-agent", concat!("swrole/", env!("CARGO_PKG_VERSION")))
        .body(Empty::new())
        .context("could not build the federation request")?;
    let total = fed.connect_timeout + fed.read_timeout;
    let response = match tokio::time::timeout(total, client.request(request)).await {
        Err(_) => bail!("the federation endpoint {where_} did not answer within {} s", total.as_secs()),
        Ok(Err(e)) => {
            bail!("could not reach the federation endpoint {where_}: {}", sanitize(&root_cause(&e)))
        }
        Ok(Ok(r)) => r,
    };
    let status = response.status();
    let body =
        match tokio::time::timeout(fed.read_timeout, Limited::new(response.into_body(), 64 * 1024).collect())
            .await
        {
            Err(_) => bail!(
                "the federation endpoint {where_} did not finish its answer within {} s",
                fed.read_timeout.as_secs()
            ),
            Ok(Err(_)) => bail!(
                "the federation endpoint {where_} sent an answer that could not be read (or over 64 KiB)"
            ),
            Ok(Ok(b)) => b.to_bytes(),
        };
    if !status.is_success() {
        let hint = match status.as_u16() {
            400 | 403 => " (the credentials cannot be federated: a role's temporary credentials are needed)",
            _ => "",
        };
        bail!("the federation endpoint {where_} answered HTTP {}{hint}", status.as_u16());
    }
    let doc: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| anyhow!("the federation endpoint {where_} answered with something that is not JSON"))?;
    let token = doc.get("SigninToken").and_then(|t| t.as_str()).unwrap_or("");
    if !usable_signin_token(token) {
        bail!("the federation endpoint {where_} answered without a usable SigninToken");
    }
    Ok(token.to_string())
}

/// A sign-in token goes into a URL as it is: 1 to 8 KiB of printable ASCII, no spaces.
fn usable_signin_token(token: &str) -> bool {
    !token.is_empty() && token.len() <= 8192 && token.bytes().all(|b| b.is_ascii_graphic())
}

/// The IAM endpoint for a region's partition, and the region requests to it are signed for.
pub fn iam_default(region: Option<&str>) -> (&'static str, &'static str) {
    match region {
        Some(r) if r.starts_with("cn-") => ("https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1"),
        Some(r) if r.starts_with("us-gov-") => ("https://iam.us-gov.amazonaws.com", "us-gov-west-1"),
        _ => ("https://iam.amazonaws.com", "us-east-1"),
    }
}

/// Where and how to call IAM (`swrole setup` finds the user's MFA device).
pub struct Iam {
    pub url: String,
    pub signing_region: String,
    pub timeout: Duration,
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
}

/// What an IAM answer may be: a list of a user's MFA devices is well under 64 KiB.
const MAX_IAM_ANSWER: usize = 64 * 1024;

/// The text of every `<tag>...</tag>` in an XML answer (IAM's Query protocol), unescaped.
fn xml_values(body: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(
            after[..end]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        );
        rest = &after[end + close.len()..];
    }
    out
}

/// One IAM call (the Query protocol): `params` besides `Action` and `Version`, SigV4-signed
/// by `creds`, on the HTTP stack swrole already has. The answer's text, or the service's
/// error as one line (`action: Code: message`).
async fn iam_call(iam: &Iam, creds: &Credentials, action: &str, params: &[(&str, &str)]) -> Result<String> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use http_body_util::{BodyExt, Full, Limited};
    let where_ = sanitize(&iam.url);
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", action);
    for (k, v) in params {
        form.append_pair(k, v);
    }
    let body = form.append_pair("Version", "2010-05-08").finish();
    let identity = aws_credential_types::Credentials::new(
        creds.access_key_id.clone(),
        creds.secret_access_key.clone(),
        creds.session_token.clone(),
        None,
        "swrole",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(&iam.signing_region)
        .name("iam")
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|_| anyhow!("could not sign the IAM request"))?
        .into();
    let headers = [("content-type", "application/x-www-form-urlencoded; charset=utf-8")];
    let signable =
        SignableRequest::new("POST", &iam.url, headers.into_iter(), SignableBody::Bytes(body.as_bytes()))
            .map_err(|_| anyhow!("the IAM endpoint {where_} is not a URL that can be signed"))?;
    let (instructions, _) =
        sign(signable, &params).map_err(|_| anyhow!("could not sign the IAM request"))?.into_parts();
    let mut request = hyper::Request::post(iam.url.as_str())
        .header("content-type", headers[0].1)
        .header("user-agent", concat!("swrole/", env!("CARGO_PKG_VERSION")))
        .body(Full::new(bytes::Bytes::from(body.clone())))
        .context("could not build the IAM request")?;
    instructions.apply_to_request_http1x(&mut request);
    let client = https_client::<Full<bytes::Bytes>>(&iam.extra_roots)?;
    let answer = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| anyhow!("could not reach IAM at {where_}: {}", sanitize(&root_cause(&e))))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), MAX_IAM_ANSWER)
            .collect()
            .await
            .map_err(|_| anyhow!("IAM at {where_} sent an answer that could not be read (or over 64 KiB)"))?
            .to_bytes();
        Ok::<_, anyhow::Error>((status, String::from_utf8_lossy(&body).into_owned()))
    };
    let (status, text) = match tokio::time::timeout(iam.timeout, answer).await {
        Err(_) => bail!("IAM at {where_} did not answer within {} s", iam.timeout.as_secs()),
        Ok(r) => r?,
    };
    if !status.is_success() {
        let code = xml_values(&text, "Code")
            .into_iter()
            .next()
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
        let message = xml_values(&text, "Message").into_iter().next().unwrap_or_default();
        bail!("IAM {action}: {}", service_error_line(&code, &message));
    }
    Ok(text)
}

/// IAM `ListMFADevices` for `user` (the IAM user the credentials belong to, as
/// GetCallerIdentity names it): the serial numbers (ARNs) of their MFA devices.
pub async fn list_mfa_devices(iam: &Iam, creds: &Credentials, user: &str) -> Result<Vec<String>> {
    let text = iam_call(iam, creds, "ListMFADevices", &[("UserName", user)]).await?;
    let serials = xml_values(&text, "SerialNumber");
    for s in &serials {
        if !crate::plan::is_mfa_serial(s) {
            bail!(
                "IAM at {} answered with an MFA serial that is not one: {}",
                sanitize(&iam.url),
                sanitize(s)
            );
        }
    }
    Ok(serials)
}

/// IAM `UpdateAccessKey` (`Inactive`), or `DeleteAccessKey` with `delete`, for one access
/// key of `user`.
pub async fn retire_access_key(
    iam: &Iam,
    creds: &Credentials,
    user: &str,
    key_id: &str,
    delete: bool,
) -> Result<()> {
    if delete {
        iam_call(iam, creds, "DeleteAccessKey", &[("UserName", user), ("AccessKeyId", key_id)]).await?;
    } else {
        iam_call(
            iam,
            creds,
            "UpdateAccessKey",
            &[("UserName", user), ("AccessKeyId", key_id), ("Status", "Inactive")],
        )
        .await?;
    }
    Ok(())
}

/// IAM `UpdateAccessKey` back to `Active`: the undo of a retirement whose local step failed.
pub async fn iam_call_activate(iam: &Iam, creds: &Credentials, user: &str, key_id: &str) -> Result<()> {
    iam_call(
        iam,
        creds,
        "UpdateAccessKey",
        &[("UserName", user), ("AccessKeyId", key_id), ("Status", "Active")],
    )
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_lines() {
        let l = service_error_line(
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        );
        assert!(l.starts_with("AccessDenied: MultiFactorAuthentication") && l.contains("MFA code"), "{l}");
        assert_eq!(service_error_line("X", "a\u{1b}[31mb"), "X: a\\u{1b}[31mb");
    }

    #[test]
    fn refusals_of_tags_and_source_identity_are_told_apart() {
        let tag = anyhow!(
            "AccessDenied: User: arn:aws:sts::1:assumed-role/a/b is not authorized to perform: sts:TagSession on resource: r"
        );
        assert!(refused_permission(&tag, "sts:TagSession"));
        assert!(!refused_permission(&tag, "sts:SetSourceIdentity"));
        let other = anyhow!("AccessDenied: not authorized to perform: sts:AssumeRole");
        assert!(!refused_permission(&other, "sts:TagSession"));
        assert!(!refused_permission(&anyhow!("Throttling: sts:TagSession"), "sts:TagSession"));
    }

    fn settings() -> Settings {
        Settings {
            region: Some("eu-west-1".into()),
            endpoint: None,
            connect_timeout: Duration::from_secs(3),
            read_timeout: Duration::from_secs(7),
            ca_bundle: None,
            attempts: 2,
            say_waiting: true,
        }
    }

    /// A call with a code is sent once, and waits at most one attempt's timeouts; the
    /// waiting line says where and how long.
    #[test]
    fn a_call_with_a_code_is_sent_once() {
        let s = settings();
        assert_eq!((attempts(&s, true), attempts(&s, false)), (1, 2));
        assert_eq!((longest(&s, true).as_secs(), longest(&s, false).as_secs()), (10, 20));
        assert_eq!(
            waiting_line(&s, true),
            "waiting for STS at sts.eu-west-1.amazonaws.com (at most 10 s; Ctrl-C stops)"
        );
        assert_eq!(
            waiting_line(&s, false),
            "waiting for STS at sts.eu-west-1.amazonaws.com (at most 20 s for 2 attempts; Ctrl-C stops)"
        );
        assert_eq!(attempts(&Settings { attempts: 0, ..s }, false), 1);
    }

    type CallerError = aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;

    fn answer(status: u16) -> HttpResponse {
        HttpResponse::new(status.try_into().unwrap(), aws_smithy_types::body::SdkBody::empty())
    }

    fn service(code: Option<&str>, message: &str, status: u16) -> SdkError<CallerError, HttpResponse> {
        let mut meta = aws_sdk_sts::error::ErrorMetadata::builder().message(message);
        if let Some(code) = code {
            meta = meta.code(code);
        }
        SdkError::service_error(CallerError::generic(meta.build()), answer(status))
    }

    /// Every kind of SDK failure becomes its own line, naming the endpoint.
    #[test]
    fn each_failure_has_its_line() {
        use aws_sdk_sts::error::ConnectorError;
        let s = settings();
        let line = |e: SdkError<CallerError, HttpResponse>| format!("{:#}", describe(e, &s));
        assert_eq!(
            line(SdkError::timeout_error("slow")),
            "STS at sts.eu-west-1.amazonaws.com did not answer in time (connect timeout 3s, read timeout 7s)"
        );
        assert_eq!(
            line(SdkError::dispatch_failure(ConnectorError::io(
                "invalid peer certificate: UnknownIssuer".into()
            ))),
            format!(
                "could not reach STS at sts.eu-west-1.amazonaws.com: invalid peer certificate: UnknownIssuer{}",
                certificate_hint("UnknownIssuer")
            )
        );
        assert_eq!(
            line(SdkError::dispatch_failure(ConnectorError::timeout("deadline".into()))),
            "could not reach STS at sts.eu-west-1.amazonaws.com: timed out"
        );
        assert_eq!(
            line(SdkError::response_error("not XML", answer(200))),
            "STS at sts.eu-west-1.amazonaws.com sent a response that could not be read"
        );
        assert_eq!(
            line(service(None, "", 502)),
            "STS at sts.eu-west-1.amazonaws.com sent a response that could not be read (HTTP status 502)"
        );
        assert_eq!(
            line(service(Some("Throttling"), "Rate exceeded", 400)),
            "Throttling: Rate exceeded (too many requests: wait a moment)"
        );
        let refused = describe(service(Some("AccessDenied"), "MultiFactorAuthentication failed", 403), &s);
        let mfa = refused.downcast_ref::<MfaRefused>().expect("an MFA refusal is its own error");
        assert_eq!(mfa.message, "MultiFactorAuthentication failed");
        assert_eq!(
            refused.to_string(),
            "STS refused the MFA code: \"MultiFactorAuthentication failed\"; use a fresh code from the device named by \
             mfa_serial"
        );
        assert!(
            describe(service(Some("AccessDenied"), "not authorized", 403), &s)
                .downcast_ref::<MfaRefused>()
                .is_none()
        );
        assert_eq!(
            line(SdkError::construction_failure("no region")),
            "could not call STS at sts.eu-west-1.amazonaws.com: no region"
        );
    }

    #[test]
    fn the_endpoint_named_in_errors() {
        let mut s = settings();
        assert_eq!(s.describe_endpoint(), "sts.eu-west-1.amazonaws.com");
        s.region = None;
        assert_eq!(s.describe_endpoint(), "sts.us-east-1.amazonaws.com");
        s.endpoint = Some("http://127.0.0.1:5000".into());
        s.region = Some("eu-west-1".into());
        assert_eq!(s.describe_endpoint(), "http://127.0.0.1:5000");
    }

    /// Each error code's hint, and none for a code without one.
    #[test]
    fn each_error_code_has_its_hint() {
        for (code, message, hint) in [
            ("AccessDenied", "an MFA code is needed", "use a fresh MFA code"),
            (
                "AccessDenied",
                "not authorized to perform sts:AssumeRole",
                "trust policy allows the source identity",
            ),
            ("ExpiredToken", "gone", "source credentials have expired"),
            ("ExpiredTokenException", "gone", "source credentials have expired"),
            ("InvalidClientTokenId", "no", "source access key is not valid"),
            ("UnrecognizedClientException", "no", "source access key is not valid"),
            ("SignatureDoesNotMatch", "no", "source secret key is wrong"),
            ("ValidationError", "exceeds the 1 hour session limit", "role chaining"),
            ("ValidationError", "The requested DurationSeconds exceeds", "role chaining"),
            ("ValidationError", "1 validation error", "STS rejected a parameter"),
            ("RegionDisabledException", "off", "not activated in this region"),
            ("Throttling", "x", "too many requests"),
            ("ThrottlingException", "x", "too many requests"),
            ("RequestLimitExceeded", "x", "too many requests"),
            ("PackedPolicyTooLarge", "x", "session policy is too large"),
            ("MalformedPolicyDocument", "x", "session policy is too large or malformed"),
        ] {
            let line = service_error_line(code, message);
            assert!(line.starts_with(&format!("{code}: {message} (")), "{line}");
            assert!(line.contains(hint), "{code} {message:?}: {line}");
        }
        assert_eq!(service_error_line("NoSuchThing", "odd"), "NoSuchThing: odd");
    }

    #[test]
    fn mfa_refusals_are_access_denied_about_mfa() {
        assert!(mfa_refused(
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code."
        ));
        assert!(mfa_refused("AccessDenied", "an MFA code is needed"));
        assert!(!mfa_refused("AccessDenied", "not authorized to perform sts:AssumeRole"));
        assert!(!mfa_refused("ValidationError", "MFA"));
    }

    #[test]
    fn certificate_errors_have_their_hints() {
        for (error, fragment) in [
            ("invalid peer certificate: UnknownIssuer", "AWS_CA_BUNDLE"),
            ("certificate signed by unknown issuer", "AWS_CA_BUNDLE"),
            ("invalid peer certificate: NotValidForName", "another name"),
            ("certificate not valid for name \"x\"", "another name"),
            ("invalid peer certificate: Expired", "has expired"),
            ("the certificate expired", "has expired"),
            ("bad certificate", "was not accepted"),
        ] {
            assert!(certificate_hint(error).contains(fragment), "{error}: {}", certificate_hint(error));
        }
        assert_eq!(certificate_hint("connection refused"), "");
    }

    /// Debug output names what it can and never the MFA code or the bundle's bytes.
    #[test]
    fn debug_output_says_what_and_hides_the_code() {
        let code = MfaCode { serial: "arn:aws:iam::1:mfa/ann".into(), code: "123456".into() };
        assert_eq!(format!("{code:?}"), "MfaCode { serial: \"arn:aws:iam::1:mfa/ann\", .. }");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, include_str!("../tests/data/test-ca.pem")).unwrap();
        let bundle = CaBundle::load(&path, "AWS_CA_BUNDLE").unwrap();
        assert_eq!(format!("{bundle:?}"), format!("CaBundle {{ path: {path:?}, certs: 1 }}"));
    }

    /// A CA bundle is a regular file of at most 16 MiB holding at least one certificate;
    /// each refusal names the file and where it was named.
    #[test]
    fn ca_bundles_are_bounded_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let cert = include_str!("../tests/data/test-ca.pem");
        // The certificate, then zero bytes up to `len` (a sparse file: quick to make and read).
        let padded = |name: &str, len: u64| {
            let path = dir.path().join(name);
            std::fs::write(&path, cert).unwrap();
            std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(len).unwrap();
            path
        };
        let at = padded("at-limit.pem", crate::config::MAX_FILE_BYTES);
        assert_eq!(CaBundle::load(&at, "ca_bundle").unwrap().certs.len(), 1);
        let over = padded("over.pem", crate::config::MAX_FILE_BYTES + 1);
        let e = CaBundle::load(&over, "ca_bundle").unwrap_err().to_string();
        assert_eq!(
            e,
            format!("CA bundle {} (ca_bundle) is not a regular file of at most 16 MiB", over.display())
        );
        let e = CaBundle::load(dir.path(), "AWS_CA_BUNDLE").unwrap_err().to_string();
        assert!(e.contains("is not a regular file"), "{e}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        assert!(CaBundle::load(&empty, "x").unwrap_err().to_string().contains("holds no certificate"));
        let missing = dir.path().join("missing.pem");
        assert!(CaBundle::load(&missing, "x").unwrap_err().to_string().contains("cannot be read"));
    }

    /// The innermost message that says something.
    #[test]
    fn root_cause_is_the_innermost_words() {
        #[derive(Debug)]
        struct Chain(&'static str, Option<Box<Chain>>);
        impl std::fmt::Display for Chain {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for Chain {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|c| c as _)
            }
        }
        let chain = Chain("outer", Some(Box::new(Chain("inner", Some(Box::new(Chain("", None)))))));
        assert_eq!(root_cause(&chain), "inner");
        assert_eq!(root_cause(&Chain("alone", None)), "alone");
    }

    fn signer() -> Credentials {
        Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "x".repeat(40),
            session_token: None,
            expiration: None,
            arn: None,
            account_id: None,
        }
    }

    /// An IAM answer is read up to 64 KiB exactly and refused one byte past it, by name.
    #[test]
    fn iam_answers_are_read_up_to_64_kib() {
        use std::io::{BufRead, Read, Write};
        // The sizes written out: a test that read the constant would move with it.
        for (size, ok) in [(64 * 1024, true), (64 * 1024 + 1, false)] {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let body = format!("<R>{}</R>", " ".repeat(size - 7));
            let server = std::thread::spawn(move || {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                reader.read_exact(&mut vec![0; length]).unwrap();
                let mut stream = stream;
                let head =
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes()));
            });
            let iam = Iam {
                url: format!("http://127.0.0.1:{port}/"),
                signing_region: "us-east-1".into(),
                timeout: Duration::from_secs(20),
                extra_roots: Vec::new(),
            };
            let answer = runtime().unwrap().block_on(iam_call(&iam, &signer(), "ListMFADevices", &[]));
            server.join().unwrap();
            match answer {
                Ok(text) => assert!(ok && text.len() == size, "{size} bytes: {}", text.len()),
                Err(e) => assert!(
                    !ok && e.to_string().contains("sent an answer that could not be read (or over 64 KiB)"),
                    "{size} bytes: {e}"
                ),
            }
        }
    }

    /// A connect timeout longer than the read timeout is a valid setting: the per-attempt
    /// and total limits are sums, never differences.
    #[test]
    fn timeouts_add_up() {
        let mut s = settings();
        s.connect_timeout = Duration::from_secs(9);
        s.read_timeout = Duration::from_secs(2);
        let client = client(&s, &signer(), false).unwrap();
        let timeouts = client.config().timeout_config().unwrap();
        assert_eq!(timeouts.operation_attempt_timeout(), Some(Duration::from_secs(11)));
        assert_eq!(timeouts.operation_timeout(), Some(Duration::from_secs(22)));
    }

    #[test]
    fn epoch_seconds() {
        assert_eq!(epoch(UNIX_EPOCH + Duration::from_secs(1_700_000_000)), 1_700_000_000);
        assert_eq!(epoch(UNIX_EPOCH - Duration::from_secs(5)), 0);
    }

    #[test]
    fn iam_answers() {
        let body = "<R><MFADevices><member><SerialNumber>arn:aws:iam::1:mfa/a&amp;b</SerialNumber></member>\
                    <member><SerialNumber>x</SerialNumber></member></MFADevices></R>";
        assert_eq!(xml_values(body, "SerialNumber"), ["arn:aws:iam::1:mfa/a&b", "x"]);
        assert_eq!(xml_values("<Code>A</Code", "Code"), Vec::<String>::new());
        assert_eq!(iam_default(Some("cn-northwest-1")).1, "cn-north-1");
        assert_eq!(iam_default(Some("ap-northeast-1")).0, "https://iam.amazonaws.com");
        assert_eq!(iam_default(Some("us-gov-east-1")), ("https://iam.us-gov.amazonaws.com", "us-gov-west-1"));
        assert_eq!(iam_default(None), ("https://iam.amazonaws.com", "us-east-1"));
    }

    #[test]
    fn signin_tokens_are_short_printable_ascii() {
        assert!(usable_signin_token(&"a".repeat(8192)));
        assert!(!usable_signin_token(&"a".repeat(8193)));
        assert!(usable_signin_token("x"));
        assert!(!usable_signin_token(""));
        assert!(!usable_signin_token("a b"));
        assert!(!usable_signin_token("a\u{e9}"));
    }
}
