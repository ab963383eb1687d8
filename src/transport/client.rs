//! The client: validate → sign → send → verify → decode for every generated operation, with
//! retries, timeouts, a body size cap and tracing. The attempts are in [`super::attempt`], the
//! waits for platform certificates in [`super::certificate_wait`].

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use http::header::HeaderValue;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;

use super::answer::Answer;
use super::attempt::Call;
use super::certificate_wait::Wait;
use super::inner::Inner;
use super::refresh::{CertificateRefresher, CertificateStatus};
use super::response::Response;
use crate::auth::apiv3_key::ApiV3Key;
use crate::auth::certificates::PlatformCertificate;
use crate::auth::certificates::certificate::is_certificate_serial;
use crate::auth::encryption::{EncryptError, EncryptionKey};
use crate::auth::verify::{Verifier, VerifyError};
use crate::config_error::ConfigError;
use crate::error::{Effect, Error};
use crate::request::operation::{Operation, Request};
use crate::request::prepared::PreparedRequest;

/// The production host of WeChat Pay API v3.
pub const DEFAULT_BASE_URL: &str = "https://api.mch.weixin.qq.com";
/// WeChat Pay's documented backup host, for [`ClientBuilder::failover`].
///
/// [`ClientBuilder::failover`]: crate::ClientBuilder::failover
pub const BACKUP_BASE_URL: &str = "https://api2.mch.weixin.qq.com";

/// A WeChat Pay API v3 client for one merchant.
///
/// Each operation of the spec is a method of its family's handle, e.g.
/// `client.profit_sharing().query_order(&request)` (查询分账结果) or
/// `client.refunds().apply(&request)` (申请退款); each family is a Cargo feature. Every call is validated, signed with the
/// merchant's key, sent, and its answer is accepted only when WeChat Pay's signature verifies.
/// Calls that fail in a way that may pass are retried ([`RetryPolicy`](crate::RetryPolicy)), each attempt signed
/// afresh, within a total deadline.
///
/// Cheap to clone: clones share one connection pool and one set of platform certificates. `Debug`
/// shows no key material.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
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
        Ok(PreparedRequest::build(
            self.base_url(),
            request,
            key.as_ref(),
        )?)
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
    /// [`RetryPolicy`](crate::RetryPolicy) says. What each generated method calls.
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
                self.inner.certificates_before_sending(deadline).await?;
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
                    url: prepared.url().into(),
                    path_and_query: prepared.operation_path_and_query(),
                    body: prepared.body(),
                    serial,
                };
                self.inner
                    .run(&call, deadline, |answer| {
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
    pub(crate) fn apiv3_key(&self) -> Option<&ApiV3Key> {
        self.inner
            .refresher
            .as_ref()
            .map(CertificateRefresher::apiv3_key)
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
    /// has passed. It is an on-demand download: at most one starts per
    /// [`certificate_on_demand_interval`](crate::ClientBuilder::certificate_on_demand_interval)
    /// (60 s by default), so that serials named by strangers cost nothing. `Ok(None)` when the
    /// list downloaded does not have the serial, when no download may start for it yet and the
    /// certificates held do not have it, or at once when no certificate can have it (not hex, or
    /// more than 40 digits). An expired certificate is returned as it is: the verifier
    /// reports it as expired.
    pub async fn fetch_platform_certificate(
        &self,
        serial: &str,
    ) -> Result<Option<PlatformCertificate>, Error> {
        if !is_certificate_serial(serial) {
            // No certificate has such a serial: nothing to download.
            return Ok(None);
        }
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
        let wait = self
            .inner
            .await_serial(refresher, serial, seen, deadline)
            .await;
        self.inner.settled(wait, Some(serial))?;
        Ok(refresher.store().find(serial))
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
        let verified = match (
            answer.verify(&inner.verifier, SystemTime::now()),
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
            ) if is_certificate_serial(&serial) => {
                match self
                    .inner
                    .await_serial(refresher, &serial, seen, deadline)
                    .await
                {
                    Wait::Failed(source) => {
                        return Err(Error::CertificatesUnavailable {
                            serial: Some(serial),
                            body: Some(String::from_utf8_lossy(&answer.body).into_owned()),
                            request_id: answer.request_id,
                            source,
                            effect: Effect::None,
                        });
                    }
                    // Verified again: with the certificate now, or failing with the serial named.
                    Wait::Ready | Wait::NotListed | Wait::Limited | Wait::TimedOut => {
                        answer.verify(&inner.verifier, SystemTime::now())?
                    }
                }
            }
            (verified, _, _) => verified?,
        };
        answer.decode(verified)
    }
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
