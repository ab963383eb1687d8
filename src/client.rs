//! The client: validate → sign → send → verify → decode for every generated operation, with
//! retries, timeouts, a body size cap and tracing.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use backon::{ExponentialBuilder, Retryable};
use http::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
use tracing::Instrument;

use crate::answer::{Response, decode_answer, request_id};
use crate::error::{ConfigError, Error, TransportKind};
use crate::merchant_key::SigningFailed;
use crate::operation::{PreparedRequest, Request};
use crate::refresh::CertificateRefresher;
use crate::retry::{RetryPolicy, full_jitter};
use crate::signing::RequestSigner;
use crate::verify::{HEADER_SERIAL, Verifier, VerifyError};

pub use crate::builder::ClientBuilder;

/// The production host of WeChat Pay API v3.
pub const DEFAULT_BASE_URL: &str = "https://api.mch.weixin.qq.com";
/// WeChat Pay's documented backup host, for [`ClientBuilder::failover`].
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
    pub(crate) base_url: String,
    pub(crate) backup_base_url: Option<String>,
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
    /// Bounds the signatures computed at once on the blocking pool.
    pub(crate) signing_permits: Arc<tokio::sync::Semaphore>,
}

/// An answer as received: status, headers and raw body.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Client {
    /// A builder: give it the merchant's credentials and at least one way to verify answers.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub(crate) fn from_inner(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The verifier this client checks answers with, to check notification callbacks with the same
    /// keys and certificates.
    pub fn verifier(&self) -> &Verifier {
        &self.inner.verifier
    }

    /// Validates a request and builds its URL, without sending it.
    pub fn prepare<Q: Request>(&self, request: &Q) -> Result<PreparedRequest<Q::Response>, Error> {
        Ok(PreparedRequest::new(&self.inner.base_url, request)?)
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
            let prepared = self.prepare(request)?;
            let start = Instant::now();
            let result = self.run(&prepared).await;
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

    /// The attempts of one call, within the total deadline.
    async fn run<T: serde::de::DeserializeOwned>(
        &self,
        prepared: &PreparedRequest<T>,
    ) -> Result<Response<T>, Error> {
        let inner = &*self.inner;
        let attempts = AtomicU32::new(0);
        let on_backup = AtomicBool::new(false);
        let attempt = || async {
            let number = attempts.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::Span::current().record("attempt", number);
            let base = match (&inner.backup_base_url, on_backup.load(Ordering::Relaxed)) {
                (Some(backup), true) => backup.as_str(),
                _ => inner.base_url.as_str(),
            };
            let result = inner.attempt::<T>(base, prepared).await;
            // Network failures move the next attempts to the backup host, when there is one.
            if let Err(Error::Transport {
                kind: TransportKind::Connect | TransportKind::Timeout,
                ..
            }) = &result
                && inner.backup_base_url.is_some()
            {
                on_backup.store(true, Ordering::Relaxed);
            }
            result
        };
        let retries = inner.retry.max_attempts.saturating_sub(1) as usize;
        let backoff = ExponentialBuilder::new()
            .with_min_delay(inner.retry.initial_backoff)
            .with_max_delay(inner.retry.max_backoff)
            .with_max_times(retries);
        let retrying = attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(Error::is_retryable)
            .adjust(|error: &Error, backoff| {
                let retry_after = error.api().and_then(|api| api.retry_after);
                backoff.map(|backoff| retry_after.unwrap_or_else(|| full_jitter(backoff)))
            })
            .notify(|error: &Error, wait: Duration| {
                tracing::warn!(error = %error, retry_in_ms = wait.as_millis() as u64, "retrying");
            });
        match tokio::time::timeout(inner.total_deadline, retrying).await {
            Ok(result) => result,
            Err(_) => Err(Error::DeadlineExceeded {
                deadline: inner.total_deadline,
                attempts: attempts.load(Ordering::Relaxed),
            }),
        }
    }
}

impl Inner {
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// `base` followed by `path_and_query`, parsed.
    pub(crate) fn url(&self, base: &str, path_and_query: &str) -> Result<reqwest::Url, Error> {
        let url = format!("{base}{path_and_query}");
        reqwest::Url::parse(&url).map_err(|e| {
            Error::Config(ConfigError::BaseUrl {
                url,
                reason: e.to_string(),
            })
        })
    }

    /// One attempt: certificates if due, sign, send, verify (refreshing the certificates once for
    /// an unknown serial), decode.
    async fn attempt<T: serde::de::DeserializeOwned>(
        &self,
        base: &str,
        prepared: &PreparedRequest<T>,
    ) -> Result<Response<T>, Error> {
        if let Some(refresher) = &self.refresher {
            refresher.refresh_if_due(self).await?;
        }
        let url = self.url(base, prepared.path_and_query())?;
        let generation = self
            .refresher
            .as_ref()
            .map(CertificateRefresher::generation);
        let answer = self.send_signed(prepared.method().clone(), url).await?;
        let span = tracing::Span::current();
        span.record("status", answer.status);
        if let Some(id) = request_id(&answer.headers) {
            span.record("request_id", id.as_str());
        }
        let decoded = decode_answer(
            &self.verifier,
            answer.status,
            &answer.headers,
            &answer.body,
            SystemTime::now(),
        );
        match (decoded, &self.refresher, generation) {
            (
                Err(Error::Verification {
                    reason: VerifyError::UnknownSerial { .. },
                    ..
                }),
                Some(refresher),
                Some(seen),
            ) => {
                refresher.refresh(self, seen).await?;
                decode_answer(
                    &self.verifier,
                    answer.status,
                    &answer.headers,
                    &answer.body,
                    SystemTime::now(),
                )
            }
            (decoded, _, _) => decoded,
        }
    }

    /// Signs and sends one request and reads its answer, at most `max_body_size` bytes of it. The
    /// canonical URL is taken from the very `Url` that is sent. Signing runs on Tokio's blocking
    /// pool: an RSA-2048 signature is a quarter of a millisecond of CPU, and a thousand of them on
    /// the runtime's workers would hold back every other task (timers included) for a quarter of a
    /// second.
    pub(crate) async fn send_signed(
        &self,
        method: http::Method,
        url: reqwest::Url,
    ) -> Result<Answer, Error> {
        let canonical = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let signer = self.signer.clone();
        let method_name = method.as_str().to_owned();
        // As many signatures at once as there are cores: more threads would only take CPU time
        // from the runtime's workers.
        let permit = self
            .signing_permits
            .acquire()
            .await
            .map_err(|_| SigningFailed)?;
        let sign = || signer.authorize(&method_name, &canonical, "");
        let authorization = match tokio::runtime::Handle::current().runtime_flavor() {
            // The worker hands its other tasks to another thread and signs at once.
            tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(sign)?,
            // One thread only: the blocking pool keeps it free for the other tasks.
            _ => {
                let signer = signer.clone();
                let (method_name, canonical) = (method_name.clone(), canonical.clone());
                tokio::task::spawn_blocking(move || signer.authorize(&method_name, &canonical, ""))
                    .await
                    .map_err(|_| SigningFailed)??
            }
        };
        drop(permit);
        let authorization =
            HeaderValue::from_str(&authorization.header).map_err(|_| ConfigError::Malformed {
                what: "the merchant id or serial number",
                reason: "not a valid HTTP header value".to_owned(),
                expected: "ASCII digits (mchid) and uppercase hex (serial number)",
            })?;
        let mut builder = self
            .http
            .request(method, url.clone())
            .timeout(self.attempt_timeout)
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, self.user_agent.clone());
        if let Some(serial) = &self.public_key_serial {
            builder = builder.header(HEADER_SERIAL, serial.clone());
        }
        let transport = |source: reqwest::Error| Error::Transport {
            url: without_query(&url),
            kind: TransportKind::of(&source),
            source,
        };
        let mut response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let too_large = || Error::BodyTooLarge {
            limit: self.max_body_size,
            status,
            request_id: request_id(&headers),
        };
        if response
            .content_length()
            .is_some_and(|length| length > self.max_body_size as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > self.max_body_size {
                return Err(too_large());
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

fn without_query(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.to_string()
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("base_url", &inner.base_url)
            .field("backup_base_url", &inner.backup_base_url)
            .field("signer", &inner.signer)
            .field("verifier", &inner.verifier)
            .field("retry", &inner.retry)
            .field("total_deadline", &inner.total_deadline)
            .field("attempt_timeout", &inner.attempt_timeout)
            .field("max_body_size", &inner.max_body_size)
            .finish_non_exhaustive()
    }
}
