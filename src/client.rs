//! The client: validate → sign → send → verify → decode for every generated operation, with
//! retries, timeouts, a body size cap and tracing.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;

use crate::answer::{Response, decode_verified, request_id, verify_answer};
use crate::certificates::PlatformCertificate;
use crate::error::{ConfigError, EncryptError, Error, SigningFailed, TransportKind, VerifyError};
use crate::operation::{Operation, PreparedRequest, Request};
use crate::refresh::{CertificateRefresher, CertificateStatus, Flight, Plan};
use crate::retry::{RetryPolicy, full_jitter};
use crate::sensitive::EncryptionKey;
use crate::signing::RequestSigner;
use crate::verify::{HEADER_SERIAL, Verifier};

/// The production host of WeChat Pay API v3.
pub const DEFAULT_BASE_URL: &str = "https://api.mch.weixin.qq.com";
/// WeChat Pay's documented backup host, for [`ClientBuilder::failover`].
///
/// [`ClientBuilder::failover`]: crate::ClientBuilder::failover
pub const BACKUP_BASE_URL: &str = "https://api2.mch.weixin.qq.com";
/// The path that lists the platform certificates.
pub const CERTIFICATES_PATH: &str = "/v3/certificates";

/// A WeChat Pay API v3 client for one merchant.
///
/// Each operation of the spec is a method, e.g. [`Client::query_order`] (查询分账结果) and
/// [`Client::query_return_order`] (查询分账回退结果). Every call is validated, signed with the
/// merchant's key, sent, and its answer is accepted only when WeChat Pay's signature verifies.
/// Calls that fail in a way that may pass are retried ([`RetryPolicy`]), each attempt signed
/// afresh, within a total deadline.
///
/// Cheap to clone: clones share one connection pool and one set of platform certificates. `Debug`
/// shows no key material.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// What a client holds; shared by its clones.
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    /// The base URL, parsed once: each call's URL is built from it.
    pub(crate) base_url: reqwest::Url,
    pub(crate) backup_base_url: Option<reqwest::Url>,
    pub(crate) signer: Arc<RequestSigner>,
    pub(crate) verifier: Verifier,
    pub(crate) user_agent: HeaderValue,
    /// `Wechatpay-Serial: PUB_KEY_ID_…`, sent in public-key mode to ask for answers signed with
    /// the WeChat Pay public key.
    pub(crate) public_key_serial: Option<HeaderValue>,
    pub(crate) refresher: Option<CertificateRefresher>,
    pub(crate) retry: RetryPolicy,
    pub(crate) total_deadline: Duration,
    pub(crate) attempt_timeout: Duration,
    pub(crate) max_body_size: usize,
}

/// An answer as received: status, headers and raw body.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Client {
    pub(crate) fn from_inner(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The base URL requests go to, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        self.inner.base_url.as_str().trim_end_matches('/')
    }

    /// The verifier this client checks answers with, to check notification callbacks with the same
    /// keys and certificates.
    pub fn verifier(&self) -> &Verifier {
        &self.inner.verifier
    }

    /// Validates a request and builds its URL and body (its sensitive fields encrypted), without
    /// sending it.
    pub fn prepare<Q: Request>(&self, request: &Q) -> Result<PreparedRequest<Q::Response>, Error> {
        request.validate()?;
        self.build(request)
    }

    /// Builds the URL and body of a request already validated.
    fn build<Q: Request>(&self, request: &Q) -> Result<PreparedRequest<Q::Response>, Error> {
        let key = self.encryption_key_for(Q::OPERATION);
        PreparedRequest::build(self.base_url(), request, key.as_ref())
    }

    /// The key sensitive fields are encrypted with: the WeChat Pay public key when the client has
    /// it (WeChat Pay recommends it), else the newest valid platform certificate; `None` when
    /// there is neither.
    pub fn encryption_key(&self) -> Option<EncryptionKey> {
        let verifier = &self.inner.verifier;
        if let Some(key) = verifier.public_key() {
            return Some(EncryptionKey::from(key));
        }
        verifier
            .certificates()
            .and_then(|store| store.newest_valid(SystemTime::now()))
            .map(|certificate| EncryptionKey::from(&certificate))
    }

    fn encryption_key_for(&self, operation: &Operation) -> Option<EncryptionKey> {
        if operation.sensitive_fields.is_empty() {
            return None;
        }
        self.encryption_key()
    }

    /// Runs an operation: validate → sign → send → verify → decode, retried as the
    /// [`RetryPolicy`] says. What each generated method calls.
    ///
    /// Traced as a `wechatpay` span with the operation id, the attempt, the status, the
    /// Request-ID and the latency; never with the Authorization header, a signature or a key.
    pub async fn execute<Q: Request>(&self, request: &Q) -> Result<Response<Q::Response>, Error> {
        let span = tracing::info_span!(
            "wechatpay",
            operation = Q::OPERATION.id,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        async {
            // A request that breaks a rule fails before anything waits.
            request.validate()?;
            let start = Instant::now();
            let deadline = start + self.inner.total_deadline;
            let result = async {
                // In certificate mode, a sensitive field needs a certificate to be encrypted with.
                self.certificates_before_sending(deadline).await?;
                let prepared = self.build(request)?;
                // The key of the encrypted fields, or else the public key WeChat Pay should sign
                // the answer with.
                let serial = match prepared.encrypted_with() {
                    Some(serial) => Some(
                        HeaderValue::try_from(serial)
                            .map_err(|_| Error::Encryption(EncryptError::Failed))?,
                    ),
                    None => self.inner.public_key_serial.clone(),
                };
                let call = Call {
                    operation: Q::OPERATION,
                    path_and_query: prepared.path_and_query(),
                    body: prepared.body(),
                    serial,
                };
                self.run(&call, deadline, |answer| {
                    self.accept_answer::<Q::Response>(answer, deadline)
                })
                .await
            }
            .await;
            let span = tracing::Span::current();
            span.record("latency_ms", start.elapsed().as_millis() as u64);
            match &result {
                Ok(response) => tracing::debug!(status = response.status(), "verified answer"),
                Err(error) => tracing::debug!(error = %error, "call failed"),
            }
            result
        }
        .instrument(span)
        .await
    }

    /// The APIv3 key, when the client has one (it downloads platform certificates with it).
    pub(crate) fn apiv3_key(&self) -> Option<&crate::ApiV3Key> {
        self.inner
            .refresher
            .as_ref()
            .map(CertificateRefresher::apiv3_key)
    }

    /// Whether the client downloads platform certificates (it has the APIv3 key).
    pub(crate) fn downloads_certificates(&self) -> bool {
        self.inner.refresher.is_some()
    }

    /// Where the platform certificates stand (serials held, the last download, failures and
    /// back-off); `None` when the client does not download them (no APIv3 key).
    pub fn certificate_status(&self) -> Option<CertificateStatus> {
        self.inner
            .refresher
            .as_ref()
            .map(CertificateRefresher::status)
    }

    /// The platform certificate (平台证书) with this serial, downloading the list when the client
    /// does not hold it yet: for a notification (回调通知) signed by a certificate no API answer
    /// has named so far. Verify the notification with [`Client::verifier`] afterwards.
    ///
    /// The download is the one concurrent callers share (and the one in flight, if any), made
    /// within the client's total deadline; after a failed one, none starts before its back-off
    /// has passed. `Ok(None)` when WeChat Pay's current list does not have the serial. An expired
    /// certificate is returned as it is: the verifier reports it as expired.
    pub async fn fetch_platform_certificate(
        &self,
        serial: &str,
    ) -> Result<Option<PlatformCertificate>, Error> {
        let Some(refresher) = &self.inner.refresher else {
            let held = self
                .inner
                .verifier
                .certificates()
                .and_then(|s| s.find(serial));
            return match held {
                Some(certificate) => Ok(Some(certificate)),
                None => Err(Error::Config(ConfigError::Missing(
                    "the APIv3 key (ClientBuilder::apiv3_key), to download platform certificates",
                ))),
            };
        };
        let deadline = Instant::now() + self.inner.total_deadline;
        let seen = refresher.downloads();
        let store = refresher.store();
        let wait = self
            .await_certificates(refresher, || store.contains(serial), seen, deadline)
            .await;
        self.settled(wait, Some(serial))?;
        Ok(store.find(serial))
    }

    /// Before a call is sent: waits for the first download when nothing else could verify its
    /// answer, or starts a timed refresh that runs beside the call (which verifies with the
    /// certificates held meanwhile).
    async fn certificates_before_sending(&self, deadline: Instant) -> Result<(), Error> {
        let Some(refresher) = &self.inner.refresher else {
            return Ok(());
        };
        if refresher.needs_first_download() {
            let store = refresher.store();
            let seen = refresher.downloads();
            let wait = self
                .await_certificates(refresher, || !store.is_empty(), seen, deadline)
                .await;
            return self.settled(wait, None);
        }
        if let Some(flight) = refresher.start_timed_refresh(Instant::now()) {
            self.spawn_download(flight);
        }
        Ok(())
    }

    /// A wait for certificates made before anything was sent, as the call's result: a failed
    /// download is [`Error::CertificatesUnavailable`], the deadline [`Error::DeadlineExceeded`]
    /// (no attempt was made); otherwise the caller looks at what the store holds now.
    fn settled(&self, wait: Wait, serial: Option<&str>) -> Result<(), Error> {
        match wait {
            Wait::Ready | Wait::NotListed => Ok(()),
            Wait::Failed(source) => Err(Error::CertificatesUnavailable {
                serial: serial.map(str::to_owned),
                request_id: None,
                source,
            }),
            Wait::TimedOut => Err(Error::DeadlineExceeded {
                deadline: self.inner.total_deadline,
                attempts: 0,
                last: None,
            }),
        }
    }

    /// Verifies and decodes an answer. An answer that names a platform certificate the client
    /// does not hold waits, within `deadline`, for a download (the one in flight, or a new one)
    /// and is verified again; every other answer is settled at once.
    async fn accept_answer<T: DeserializeOwned>(
        &self,
        answer: Answer,
        deadline: Instant,
    ) -> Result<Response<T>, Error> {
        let inner = &*self.inner;
        let refresher = inner.refresher.as_ref();
        let seen = refresher.map(CertificateRefresher::downloads);
        let Answer {
            status,
            headers,
            body,
        } = answer;
        let verified = match (
            verify_answer(&inner.verifier, status, &headers, &body, SystemTime::now()),
            refresher,
            seen,
        ) {
            (
                Err(Error::Verification {
                    reason: VerifyError::UnknownSerial { serial },
                    ..
                }),
                Some(refresher),
                Some(seen),
            ) => {
                let store = refresher.store();
                match self
                    .await_certificates(refresher, || store.contains(&serial), seen, deadline)
                    .await
                {
                    Wait::Failed(source) => {
                        return Err(Error::CertificatesUnavailable {
                            serial: Some(serial),
                            request_id: request_id(&headers),
                            source,
                        });
                    }
                    // Verified again: with the certificate now, or failing with the serial named.
                    Wait::Ready | Wait::NotListed | Wait::TimedOut => {
                        verify_answer(&inner.verifier, status, &headers, &body, SystemTime::now())?
                    }
                }
            }
            (verified, _, _) => verified?,
        };
        decode_verified(verified, status, headers, body)
    }

    /// Waits, within `deadline`, until `ready()` holds: joins the download in flight or starts
    /// one, and after a failure waits out the back-off when it ends before `deadline`. A download
    /// that completed after `seen` downloads and did not make `ready()` hold ends the wait.
    async fn await_certificates(
        &self,
        refresher: &CertificateRefresher,
        ready: impl Fn() -> bool,
        seen: u64,
        deadline: Instant,
    ) -> Wait {
        let mut abandoned = false;
        loop {
            if ready() {
                return Wait::Ready;
            }
            if refresher.downloads() > seen {
                // The count moves after the store: looked at again, the store is the new one.
                return if ready() {
                    Wait::Ready
                } else {
                    Wait::NotListed
                };
            }
            let mut outcome = match refresher.plan(Instant::now()) {
                Plan::Join(outcome) => outcome,
                Plan::Start(flight, outcome) => {
                    self.spawn_download(flight);
                    outcome
                }
                Plan::BackingOff { until, last_error } => {
                    if until >= deadline {
                        return Wait::Failed(last_error);
                    }
                    tokio::time::sleep_until(until).await;
                    continue;
                }
            };
            let finished = outcome.wait_for(Option::is_some);
            match tokio::time::timeout_at(deadline, finished).await {
                Err(_) => return Wait::TimedOut,
                Ok(Ok(finished)) => {
                    if let Some(Err(error)) = &*finished {
                        return Wait::Failed(error.clone());
                    }
                }
                // The download's task went away without an outcome (its runtime is shutting
                // down): try once more, then give up.
                Ok(Err(_)) if !abandoned => abandoned = true,
                Ok(Err(_)) => return Wait::TimedOut,
            }
        }
    }

    /// Runs a download of the platform certificates on its own task, so that neither the call
    /// that started it nor the ones that wait for it can cancel it.
    fn spawn_download(&self, flight: Flight) {
        let client = self.clone();
        let span = tracing::info_span!(
            "wechatpay",
            operation = "downloadCertificates",
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        tokio::spawn(
            async move {
                let Some(refresher) = &client.inner.refresher else {
                    return;
                };
                let deadline = Instant::now() + client.inner.total_deadline;
                let result = client
                    .run(&Call::certificates(&client.inner), deadline, |answer| {
                        std::future::ready(refresher.accept(
                            &client.inner.verifier,
                            answer.status,
                            &answer.headers,
                            &answer.body,
                            SystemTime::now(),
                        ))
                    })
                    .await;
                refresher.finish(flight, result);
            }
            .instrument(span),
        );
    }

    /// The attempts of one call, within `deadline`: each attempt signs and sends the request and
    /// hands the answer to `accept`. A retryable failure is tried again after a backoff (or the
    /// answer's `Retry-After`), unless that wait would cross the deadline: then the failure is
    /// returned as it is.
    async fn run<O, F, Fut>(
        &self,
        call: &Call<'_>,
        deadline: Instant,
        accept: F,
    ) -> Result<O, Error>
    where
        F: Fn(Answer) -> Fut,
        Fut: Future<Output = Result<O, Error>>,
    {
        let inner = &*self.inner;
        let mut backoff = ExponentialBuilder::new()
            .with_min_delay(inner.retry.initial_backoff)
            .with_max_delay(inner.retry.max_backoff)
            .with_max_times(inner.retry.max_attempts.saturating_sub(1) as usize)
            .build();
        let path_and_query = call.path_and_query;
        let primary = Target::new(&inner.base_url, path_and_query);
        let mut backup: Option<Target> = None;
        let mut attempts = 0u32;
        let mut last: Option<Error> = None;
        loop {
            attempts += 1;
            tracing::Span::current().record("attempt", attempts);
            let target = backup.as_ref().unwrap_or(&primary);
            let attempt = async {
                let answer = inner.send_signed(call, target).await?;
                let span = tracing::Span::current();
                span.record("status", answer.status);
                if let Some(id) = request_id(&answer.headers) {
                    span.record("request_id", id.as_str());
                }
                accept(answer).await
            };
            let error = match tokio::time::timeout_at(deadline, attempt).await {
                Ok(Ok(output)) => return Ok(output),
                Ok(Err(error)) => error,
                Err(_) => {
                    return Err(Error::DeadlineExceeded {
                        deadline: inner.total_deadline,
                        attempts,
                        last: last.map(Box::new),
                    });
                }
            };
            // Network failures move the next attempts to the backup host, when there is one.
            if let (
                Error::Transport {
                    kind: TransportKind::Connect | TransportKind::Timeout,
                    ..
                },
                Some(base),
                None,
            ) = (&error, &inner.backup_base_url, &backup)
            {
                backup = Some(Target::new(base, path_and_query));
            }
            if !call.operation.may_retry(&error) {
                return Err(error);
            }
            let Some(delay) = backoff.next() else {
                return Err(error);
            };
            let wait = error
                .api()
                .and_then(|api| api.retry_after)
                .unwrap_or_else(|| full_jitter(delay));
            if Instant::now() + wait >= deadline {
                tracing::warn!(
                    error = %error,
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "not retrying: the wait would cross the total deadline"
                );
                return Err(error);
            }
            tracing::warn!(
                error = %error,
                retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "retrying"
            );
            last = Some(error);
            tokio::time::sleep(wait).await;
        }
    }
}

/// How a wait for platform certificates ended.
enum Wait {
    /// What was needed is held.
    Ready,
    /// A download completed and did not bring it.
    NotListed,
    /// The download failed (or its back-off runs past the deadline): this is why.
    Failed(Arc<Error>),
    /// The deadline came first.
    TimedOut,
}

/// What one call sends on every attempt: the same path, query and body bytes, signed afresh.
struct Call<'a> {
    operation: &'a Operation,
    path_and_query: &'a str,
    body: &'a str,
    /// `Wechatpay-Serial`: the key the body's sensitive fields were encrypted with, or else the
    /// public key the answer should be signed with.
    serial: Option<HeaderValue>,
}

/// `GET /v3/certificates`, as the refresher downloads it.
const CERTIFICATES: Operation = Operation {
    id: "listCertificates",
    summary: "下载平台证书",
    method: http::Method::GET,
    path: CERTIFICATES_PATH,
    query_encoding: crate::QueryEncoding::FormRfc3986,
    errors: &[],
    idempotent: true,
    sensitive_fields: &[],
    example_answer: None,
};

impl Call<'static> {
    /// The certificate download, asking for answers signed as every other call asks.
    fn certificates(inner: &Inner) -> Self {
        Self {
            operation: &CERTIFICATES,
            path_and_query: CERTIFICATES_PATH,
            body: "",
            serial: inner.public_key_serial.clone(),
        }
    }
}

/// Where one attempt goes: the URL, built once per call and host from the parsed base URL, and
/// the canonical URL signed for it, taken from that very URL.
struct Target {
    url: reqwest::Url,
    canonical: String,
}

impl Target {
    fn new(base: &reqwest::Url, path_and_query: &str) -> Self {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        let mut url = base.clone();
        // A base URL with a path of its own (a proxy's prefix) keeps it.
        match base.path().trim_end_matches('/') {
            "" => url.set_path(path),
            prefix => url.set_path(&format!("{prefix}{path}")),
        }
        url.set_query(query);
        let canonical = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        Self { url, canonical }
    }
}

impl Inner {
    /// Signs and sends one request and reads its answer, at most `max_body_size` bytes of it.
    async fn send_signed(&self, call: &Call<'_>, target: &Target) -> Result<Answer, Error> {
        let method = &call.operation.method;
        let authorization = self
            .sign(method.as_str(), &target.canonical, call.body)
            .await?;
        let authorization =
            HeaderValue::try_from(authorization.header).map_err(|_| ConfigError::Malformed {
                what: "the merchant id or serial number",
                reason: "not a valid HTTP header value".to_owned(),
                expected: "ASCII digits (mchid) and uppercase hex (serial number)",
            })?;
        let mut builder = self
            .http
            .request(method.clone(), target.url.clone())
            .timeout(self.attempt_timeout)
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, self.user_agent.clone());
        if let Some(serial) = &call.serial {
            builder = builder.header(HEADER_SERIAL, serial.clone());
        }
        if !call.body.is_empty() {
            builder = builder
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(call.body.to_owned());
        }
        let transport = |source: reqwest::Error| Error::Transport {
            url: without_query(&target.url),
            kind: TransportKind::of(&source),
            source,
        };
        let mut response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let too_large = |headers: &HeaderMap| Error::BodyTooLarge {
            limit: self.max_body_size,
            status,
            request_id: request_id(headers),
        };
        let length = response.content_length();
        if length.is_some_and(|length| length > self.max_body_size as u64) {
            return Err(too_large(&headers));
        }
        let mut body = Vec::with_capacity(length.map_or(0, |l| l as usize));
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > self.max_body_size {
                return Err(too_large(&headers));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

impl Inner {
    /// Signs one request. An RSA-2048 signature is a quarter of a millisecond of CPU or more: run
    /// on every worker of the runtime at once, a burst of them would hold back every other task
    /// (timers and I/O included) for as long. On a multi-thread runtime with two workers or more,
    /// signatures run where the call runs (no thread hop: the cheapest way), at most one fewer at
    /// once than there are workers, across all clients, so that one worker is always free for the
    /// other tasks; calls beyond that wait their turn without holding a worker (the bound is
    /// sized by the first multi-thread runtime that signs, as a process has one). With one worker,
    /// signatures move off it (`block_in_place`); on a current-thread runtime, whose one thread
    /// runs everything, to the blocking pool; at most one per core at once.
    async fn sign(
        &self,
        method: &str,
        canonical: &str,
        body: &str,
    ) -> Result<crate::signing::Authorization, Error> {
        static ON_WORKERS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
        static OFF_WORKERS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
        let handle = tokio::runtime::Handle::current();
        let multi_thread = handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread;
        let workers = handle.metrics().num_workers();
        if multi_thread && workers > 1 {
            let permits = ON_WORKERS.get_or_init(|| tokio::sync::Semaphore::new(workers - 1));
            let _permit = permits.acquire().await.map_err(|_| SigningFailed)?;
            return Ok(self.signer.authorize(method, canonical, body)?);
        }
        let permits = OFF_WORKERS.get_or_init(|| {
            tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            )
        });
        let _permit = permits.acquire().await.map_err(|_| SigningFailed)?;
        if multi_thread {
            return Ok(tokio::task::block_in_place(|| {
                self.signer.authorize(method, canonical, body)
            })?);
        }
        let signer = self.signer.clone();
        let (method, canonical, body) = (method.to_owned(), canonical.to_owned(), body.to_owned());
        Ok(
            tokio::task::spawn_blocking(move || signer.authorize(&method, &canonical, &body))
                .await
                .map_err(|_| SigningFailed)??,
        )
    }
}

fn without_query(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.to_string()
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("base_url", &inner.base_url.as_str())
            .field(
                "backup_base_url",
                &inner.backup_base_url.as_ref().map(reqwest::Url::as_str),
            )
            .field("signer", &inner.signer)
            .field("verifier", &inner.verifier)
            .field("retry", &inner.retry)
            .field("total_deadline", &inner.total_deadline)
            .field("attempt_timeout", &inner.attempt_timeout)
            .field("max_body_size", &inner.max_body_size)
            .finish_non_exhaustive()
    }
}
