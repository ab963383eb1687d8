//! The attempts of one call: each signs the same path, query and body afresh, sends them, reads
//! the answer (at most `max_body_size` bytes of it) and hands it on; a failure that may pass is
//! tried again within the total deadline, on the backup host after a network failure.

use std::borrow::Cow;

use backon::{BackoffBuilder, ExponentialBuilder};
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use tokio::time::Instant;

use super::answer::{Answer, request_id};
use super::inner::Inner;
use super::retry::wait_after;
use crate::auth::verify::HEADER_SERIAL;
use crate::config_error::ConfigError;
use crate::error::{Effect, Error, TransportKind};
use crate::request::operation::{Operation, QueryEncoding};

impl Inner {
    /// The attempts of one call, within `deadline`: each attempt signs and sends the request and
    /// hands the answer to `accept`. A retryable failure is tried again after a backoff (or the
    /// answer's `Retry-After`), unless that wait would cross the deadline: then the failure is
    /// returned as it is, saying whether WeChat Pay may have acted on the request (on any of the
    /// attempts) when the operation changes something.
    pub(crate) async fn run<O, F, Fut>(
        &self,
        call: &Call<'_>,
        deadline: Instant,
        accept: F,
    ) -> Result<O, Error>
    where
        F: Fn(Answer) -> Fut,
        Fut: Future<Output = Result<O, Error>>,
    {
        let mut reached = false;
        let result = self.attempts(call, deadline, accept, &mut reached).await;
        result.map_err(|mut error| {
            if reached
                && call.operation.changes_state()
                && let Some(effect) = error.effect_mut()
            {
                *effect = Effect::Possible {
                    business_number: call.operation.business_number,
                };
            }
            error
        })
    }

    /// The attempts of [`run`](Self::run); `reached` becomes true once an attempt may have
    /// reached WeChat Pay.
    async fn attempts<O, F, Fut>(
        &self,
        call: &Call<'_>,
        deadline: Instant,
        accept: F,
        reached: &mut bool,
    ) -> Result<O, Error>
    where
        F: Fn(Answer) -> Fut,
        Fut: Future<Output = Result<O, Error>>,
    {
        let mut backoff = ExponentialBuilder::new()
            .with_min_delay(self.retry.initial_backoff)
            .with_max_delay(self.retry.max_backoff)
            .with_max_times(self.retry.max_attempts.saturating_sub(1) as usize)
            .build();
        // Both hosts' URLs are parsed before anything is sent: nothing fails between attempts.
        let primary = Target::parse(&call.url)?;
        let backup = match &self.backup_base_url {
            Some(base) => Some(Target::parse(&join(base, call.path_and_query))?),
            None => None,
        };
        let mut on_backup = false;
        let mut attempts = 0u32;
        let mut last: Option<Error> = None;
        loop {
            attempts += 1;
            tracing::Span::current().record("attempt", attempts);
            let target = match (&backup, on_backup) {
                (Some(backup), true) => backup,
                _ => &primary,
            };
            let attempt = async {
                let answer = self.send_signed(call, target).await?;
                let span = tracing::Span::current();
                span.record("status", answer.status);
                if let Some(id) = &answer.request_id {
                    span.record("request_id", id.as_str());
                }
                accept(answer).await
            };
            let error = match tokio::time::timeout_at(deadline, attempt).await {
                Ok(Ok(output)) => return Ok(output),
                Ok(Err(error)) if *reached && error.recorded_effect().is_none() => {
                    // This attempt failed before it was sent (signing failed), after an earlier
                    // one that may have reached WeChat Pay: that is what the caller must know.
                    tracing::error!(
                        error = %error,
                        "a retry failed before it was sent; the call ends with the error of the \
                         attempt before it, after which WeChat Pay may have acted"
                    );
                    return Err(last.unwrap_or(error));
                }
                Ok(Err(error)) => error,
                Err(_) => {
                    // The attempt in flight may have been sent.
                    *reached = true;
                    return Err(Error::DeadlineExceeded {
                        deadline: self.total_deadline,
                        attempts,
                        last: last.map(Box::new),
                        effect: Effect::None,
                    });
                }
            };
            *reached |= error.may_have_reached();
            // Network failures move the next attempts to the backup host, when there is one.
            if matches!(
                error,
                Error::Transport {
                    kind: TransportKind::Connect | TransportKind::Timeout,
                    ..
                }
            ) {
                on_backup = true;
            }
            if !call.operation.may_retry(&error) {
                return Err(error);
            }
            let Some(delay) = backoff.next() else {
                return Err(error);
            };
            let wait = wait_after(&error, delay);
            // The wait is capped (`Retry-After` at a day, the backoff by the builder), and an
            // overflow would be past any deadline anyway.
            if Instant::now()
                .checked_add(wait)
                .is_none_or(|end| end >= deadline)
            {
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

/// What one call sends on every attempt: the same path, query and body bytes, signed afresh.
pub(crate) struct Call<'a> {
    pub(crate) operation: &'a Operation,
    /// The URL the request was built with, on the client's base URL: parsed once, it is where
    /// the attempts go.
    pub(crate) url: Cow<'a, str>,
    /// Its path and query, e.g. `/v3/…?sub_mchid=…`, for the backup host after a network failure.
    pub(crate) path_and_query: &'a str,
    /// The body bytes, signed and sent as they are.
    pub(crate) body: &'a str,
    /// `Wechatpay-Serial`: the key the body's sensitive fields were encrypted with, or else the
    /// public key the answer should be signed with.
    pub(crate) serial: Option<HeaderValue>,
}

/// The path that lists the platform certificates.
pub const CERTIFICATES_PATH: &str = "/v3/certificates";

/// `GET /v3/certificates`, as the refresher downloads it.
const CERTIFICATES: Operation = Operation {
    id: "listCertificates",
    summary: "下载平台证书",
    method: http::Method::GET,
    path: CERTIFICATES_PATH,
    query_encoding: QueryEncoding::FormRfc3986,
    errors: &[],
    idempotent: true,
    business_number: None,
    sensitive_fields: &[],
    example_answer: None,
};

impl Call<'static> {
    /// The certificate download, asking for answers signed as every other call asks.
    pub(crate) fn certificates(inner: &Inner) -> Self {
        Self {
            operation: &CERTIFICATES,
            url: Cow::Owned(join(&inner.base_url, CERTIFICATES_PATH)),
            path_and_query: CERTIFICATES_PATH,
            body: "",
            serial: inner.public_key_serial.clone(),
        }
    }
}

/// Where the attempts of a call go: the URL, parsed once per call and host from the base URL and
/// the request's path and query, and the canonical URL signed for it, which is a slice of that
/// very URL: what is signed is, by construction, what is sent.
pub(crate) struct Target {
    pub(crate) url: reqwest::Url,
    /// Where the path begins in `url`'s serialisation: the path and query run to its end (the URL
    /// has no fragment).
    path_start: usize,
}

/// A path and query on a base URL (the client's, or a backup host). A base URL with a path of its
/// own (a proxy's prefix) keeps it.
fn join(base: &reqwest::Url, path_and_query: &str) -> String {
    format!("{}{path_and_query}", base.as_str().trim_end_matches('/'))
}

impl Target {
    /// Parses the URL a request was built with.
    pub(crate) fn parse(text: &str) -> Result<Self, Error> {
        let url = reqwest::Url::parse(text).map_err(|e| ConfigError::BaseUrl {
            url: text.to_owned(),
            reason: e.to_string(),
        })?;
        let tail = url.path().len() + url.query().map_or(0, |query| query.len() + 1);
        let path_start = url.as_str().len().saturating_sub(tail);
        Ok(Self { url, path_start })
    }

    /// The path and query exactly as they are sent: the canonical URL of the signature.
    pub(crate) fn canonical(&self) -> &str {
        self.url.as_str().get(self.path_start..).unwrap_or_default()
    }
}

impl Inner {
    /// Signs and sends one request and reads its answer, at most `max_body_size` bytes of it.
    async fn send_signed(&self, call: &Call<'_>, target: &Target) -> Result<Answer, Error> {
        let method = &call.operation.method;
        let authorization = self
            .authorization(method.as_str(), target, call.body)
            .await?;
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
        let response = builder
            .send()
            .await
            .map_err(|source| transport_error(&target.url, source))?;
        self.read_answer(response, &target.url).await
    }

    /// The `Authorization` header of a request to `target`: signed now, over its canonical URL.
    pub(crate) async fn authorization(
        &self,
        method: &str,
        target: &Target,
        body: &str,
    ) -> Result<HeaderValue, Error> {
        let authorization = self.sign(method, target.canonical(), body).await?;
        HeaderValue::try_from(authorization.header).map_err(|_| {
            ConfigError::Malformed {
                what: "the merchant id or serial number",
                reason: "not a valid HTTP header value".to_owned(),
                expected: "ASCII digits (mchid) and uppercase hex (serial number)",
            }
            .into()
        })
    }

    /// Reads an answer whole, at most `max_body_size` bytes of it (else `BodyTooLarge`).
    pub(crate) async fn read_answer(
        &self,
        mut response: reqwest::Response,
        url: &reqwest::Url,
    ) -> Result<Answer, Error> {
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let too_large = |headers: &HeaderMap| Error::BodyTooLarge {
            limit: self.max_body_size,
            status,
            request_id: request_id(headers),
            effect: Effect::None,
        };
        let length = response.content_length();
        if length.is_some_and(|length| length > self.max_body_size as u64) {
            return Err(too_large(&headers));
        }
        // The announced length is a hint, not a promise: at most 64 KiB is set aside before the
        // bytes come.
        let hint = length.and_then(|l| usize::try_from(l).ok()).unwrap_or(0);
        let mut body = Vec::with_capacity(hint.min(64 * 1024));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|source| transport_error(url, source))?
        {
            if body.len() + chunk.len() > self.max_body_size {
                return Err(too_large(&headers));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer::new(status, headers, body))
    }
}

/// A request to `url` that failed in the transport (connect, timeout, lost connection), its
/// query (a token, say) left out of the error.
pub(crate) fn transport_error(url: &reqwest::Url, source: reqwest::Error) -> Error {
    Error::Transport {
        url: without_query(url),
        kind: TransportKind::of(&source),
        source,
        effect: Effect::None,
    }
}

pub(crate) fn without_query(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.to_string()
}
