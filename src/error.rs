//! [`Error`], why a call did not return a verified, decoded answer, and [`ApiError`], WeChat
//! Pay's error answer. The reasons they carry are each defined by the layer that finds them
//! ([`ConfigError`], [`VerifyError`], [`SigningFailed`], [`EncryptError`], the skipped entries of a
//! certificate download); this module sits above them and none of them imports it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::encryption::EncryptError;
use crate::auth::merchant_key::SigningFailed;
use crate::auth::verify::VerifyError;
use crate::config_error::ConfigError;
use crate::request::prepared::PrepareError;
use crate::request::validate::InvalidParameter;
use crate::{ErrorCode, ErrorDetail};

/// Why a call did not return a verified, decoded answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request parameter broke a rule of the spec; nothing was sent.
    #[error(transparent)]
    InvalidRequest(#[from] InvalidParameter),
    /// The client's configuration cannot serve this call (e.g. no platform certificates).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The request could not be signed.
    #[error(transparent)]
    Signing(#[from] SigningFailed),
    /// The request's body could not be written as JSON; nothing was sent.
    #[error("the request body could not be written as JSON: {source}")]
    InvalidBody {
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A sensitive field of the request could not be encrypted; nothing was sent.
    #[error(transparent)]
    Encryption(#[from] EncryptError),
    /// The request did not get an answer: connection, TLS, timeout or a dropped connection.
    #[error("no answer from {url} ({kind}): {}{effect}", error_chain(source))]
    Transport {
        /// The URL called, without its query.
        url: String,
        /// What went wrong, in a word.
        kind: TransportKind,
        /// What reqwest reported.
        #[source]
        source: reqwest::Error,
        /// Whether WeChat Pay may have acted on the request all the same.
        effect: Effect,
    },
    /// The call did not complete within the client's total deadline, across all its attempts.
    #[error(
        "no verified answer within the total deadline of {} ms ({attempts} attempts){}{effect}",
        deadline.as_millis(),
        last.as_ref().map(|e| format!("; the last attempt failed: {}", error_chain(e))).unwrap_or_default()
    )]
    DeadlineExceeded {
        /// The deadline.
        deadline: Duration,
        /// How many attempts were started.
        attempts: u32,
        /// The error of the last attempt that ended before the deadline, if one did: the real
        /// cause (a 503 with its code and Request-ID, a refused connection) of running out of time.
        #[source]
        last: Option<Box<Error>>,
        /// Whether WeChat Pay may have acted on the request all the same.
        effect: Effect,
    },
    /// The answer's body is larger than the client accepts; it was not read further.
    #[error(
        "the answer's body is larger than {limit} bytes (HTTP {status}, Request-ID {}): not read{effect}",
        request_id.as_deref().unwrap_or("none")
    )]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
        /// The answer's HTTP status.
        status: u16,
        /// The answer's `Request-ID` header, if any.
        request_id: Option<String>,
        /// Whether WeChat Pay may have acted on the request all the same.
        effect: Effect,
    },
    /// WeChat Pay answered with an error (a non-2xx status).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The answer could not be proven to come from WeChat Pay; its body was not used.
    #[error("{reason} (HTTP {status}, Request-ID {}){effect}", request_id.as_deref().unwrap_or("none"))]
    Verification {
        /// Why verification failed.
        #[source]
        reason: VerifyError,
        /// The answer's HTTP status.
        status: u16,
        /// The answer's `Request-ID` header, if any.
        request_id: Option<String>,
        /// The raw body, as received (as UTF-8, any invalid bytes replaced), for diagnosis only:
        /// nothing proves WeChat Pay sent it.
        body: String,
        /// Whether WeChat Pay may have acted on the request all the same.
        effect: Effect,
    },
    /// An answer needed platform certificates (平台证书) that the client could not download: the
    /// first download, before anything could be verified, or the one an answer naming a serial the
    /// client does not hold waited for. `source` is why the download failed.
    #[error(
        "{}: {}{effect}",
        match serial {
            Some(serial) => format!("cannot verify the answer signed by platform certificate {serial} (Request-ID {}): the certificate download failed", request_id.as_deref().unwrap_or("none")),
            None => "no platform certificate to verify answers with: the certificate download failed".to_owned(),
        },
        error_chain(source.as_ref())
    )]
    CertificatesUnavailable {
        /// The `Wechatpay-Serial` the answer named; `None` when the call waited for the first
        /// download, before sending anything.
        serial: Option<String>,
        /// The answer's `Request-ID`, when there was an answer.
        request_id: Option<String>,
        /// Why the download failed; shared by every call that waited for it.
        #[source]
        source: Arc<Error>,
        /// The raw body of the answer that named the serial, as received (as UTF-8, any invalid
        /// bytes replaced), when there was one: a 2xx, so keep it, WeChat Pay acted on the
        /// request; nothing proves it yet.
        body: Option<String>,
        /// Whether WeChat Pay may have acted on the request all the same (it answered, and the
        /// answer could not be verified).
        effect: Effect,
    },
    /// A verified 2xx answer whose body does not decode into the expected type.
    #[error(
        "cannot decode the answer (HTTP {status}, Request-ID {}): {source}; body: {}{effect}",
        request_id.as_deref().unwrap_or("none"),
        truncated(body)
    )]
    Decode {
        /// The JSON error.
        #[source]
        source: serde_json::Error,
        /// The answer's HTTP status.
        status: u16,
        /// The answer's `Request-ID` header, if any.
        request_id: Option<String>,
        /// The raw body, as received (as UTF-8, any invalid bytes replaced), verified as WeChat
        /// Pay's: keep it, it is the answer to a request that may have taken effect.
        body: String,
        /// Whether WeChat Pay may have acted on the request (it answered 2xx).
        effect: Effect,
    },
}

impl From<PrepareError> for Error {
    fn from(error: PrepareError) -> Self {
        match error {
            PrepareError::InvalidRequest(invalid) => Self::InvalidRequest(invalid),
            PrepareError::Encryption(error) => Self::Encryption(error),
            PrepareError::InvalidBody { source } => Self::InvalidBody { source },
        }
    }
}

/// Whether WeChat Pay may have acted on a request that failed: made the split, returned the money,
/// finished the order. [`Error::may_have_taken_effect`] reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Effect {
    /// It did not: nothing was sent, or the call only reads (a query), or the request never
    /// reached WeChat Pay (the connection could not be made), or WeChat Pay's signed refusal (a
    /// verified 4xx answer) says this request did not. It says nothing of earlier requests with
    /// another number. An error made outside a client's call ([`decode_answer`]) has it too: it
    /// does not know the request.
    ///
    /// [`decode_answer`]: crate::decode_answer
    #[default]
    None,
    /// It may have: the request went out and nothing proves that WeChat Pay did not act on it (a
    /// timeout or a lost connection after sending, a 5xx, an unverified answer, a 2xx that did
    /// not verify or decode, or any of these on an earlier attempt). Query it, or send it again
    /// with the same business number: a new number could do it twice.
    Possible {
        /// The request's business number (商户单号, e.g. `out_order_no`), when it has one.
        business_number: Option<&'static str>,
    },
}

impl fmt::Display for Effect {
    /// Nothing for [`Effect::None`]; for [`Effect::Possible`], what to do, after a `; `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => Ok(()),
            Self::Possible {
                business_number: Some(number),
            } => write!(
                f,
                "; the request may have taken effect: query it, or send it again with the same \
                 {number} (a new {number} could do it twice)"
            ),
            Self::Possible {
                business_number: None,
            } => f.write_str("; the request may have taken effect: check before sending it again"),
        }
    }
}

/// What kind of transport failure a [`Error::Transport`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// No connection could be made (refused, unreachable, DNS, TLS handshake, connect timeout):
    /// nothing was sent.
    Connect,
    /// The attempt took longer than its timeout.
    Timeout,
    /// The connection broke before a whole answer came (closed, reset, truncated).
    ConnectionLost,
    /// Anything else reqwest reports.
    Other,
}

impl TransportKind {
    /// Classifies a reqwest error. A connection that timed out while being made is `Connect`:
    /// nothing was sent on it.
    pub(crate) fn of(error: &reqwest::Error) -> Self {
        if error.is_connect() {
            Self::Connect
        } else if error.is_timeout() {
            Self::Timeout
        } else if error.is_request() || error.is_body() || error.is_decode() {
            Self::ConnectionLost
        } else {
            Self::Other
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "cannot connect",
            Self::Timeout => "timed out",
            Self::ConnectionLost => "connection lost",
            Self::Other => "transport error",
        })
    }
}

/// An error and its sources on one line: `outer: inner: root`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    one_line(&text)
}

/// Control characters (newlines among them) escaped, so that a message stays on one line.
fn one_line(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

impl Error {
    /// Whether trying the same call again may succeed: a connection that failed or was lost, a
    /// timeout, `429` (rate limits), `500 SYSTEM_ERROR`, `502`, `503` and `504`. Invalid requests,
    /// other API errors, verification and decoding failures are not retried.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { kind, .. } => {
                matches!(
                    kind,
                    TransportKind::Connect | TransportKind::Timeout | TransportKind::ConnectionLost
                )
            }
            Self::Api(api) => api.is_retryable(),
            _ => false,
        }
    }

    /// Whether WeChat Pay may have acted on the request although the call failed: `true` after a
    /// request that changes something (a POST) went out and nothing proves that WeChat Pay did not
    /// act on it (see [`Effect::Possible`]); then query it, or send it again with the same business
    /// number (`out_order_no`, `out_return_no`), never a new one. `false` when this request did
    /// not: nothing was sent, the call only reads, the connection could not be made, or WeChat Pay
    /// refused it in a verified 4xx answer (which says nothing of an earlier request). The
    /// `Display` says the same. A call whose future is dropped (cancelled by the caller) returns
    /// no error to ask.
    pub fn may_have_taken_effect(&self) -> bool {
        matches!(self.effect(), Effect::Possible { .. })
    }

    /// Whether WeChat Pay may have acted on the request, with the business number to use.
    pub fn effect(&self) -> Effect {
        self.recorded_effect().unwrap_or_default()
    }

    /// What this error says of whether WeChat Pay may have acted: `None` for the variants that
    /// come before anything is sent, which have no place to say it.
    pub(crate) fn recorded_effect(&self) -> Option<Effect> {
        match self {
            Self::Api(api) => Some(api.effect),
            Self::Transport { effect, .. }
            | Self::DeadlineExceeded { effect, .. }
            | Self::BodyTooLarge { effect, .. }
            | Self::Verification { effect, .. }
            | Self::CertificatesUnavailable { effect, .. }
            | Self::Decode { effect, .. } => Some(*effect),
            _ => None,
        }
    }

    /// Where this error says whether WeChat Pay may have acted: the variants that come after
    /// sending have the place, the others none.
    pub(crate) fn effect_mut(&mut self) -> Option<&mut Effect> {
        match self {
            Self::Api(api) => Some(&mut api.effect),
            Self::Transport { effect, .. }
            | Self::DeadlineExceeded { effect, .. }
            | Self::BodyTooLarge { effect, .. }
            | Self::Verification { effect, .. }
            | Self::CertificatesUnavailable { effect, .. }
            | Self::Decode { effect, .. } => Some(effect),
            _ => None,
        }
    }

    /// Whether the attempt that ended in this error may have reached WeChat Pay and been acted
    /// on: anything but a failure before sending, a connection that could not be made, and a
    /// verified 4xx refusal.
    pub(crate) fn may_have_reached(&self) -> bool {
        match self {
            Self::Transport { kind, .. } => *kind != TransportKind::Connect,
            Self::Api(api) => !(api.verified && (400..500).contains(&api.status)),
            Self::Verification { .. } | Self::Decode { .. } | Self::BodyTooLarge { .. } => true,
            Self::CertificatesUnavailable { serial, .. } => serial.is_some(),
            Self::DeadlineExceeded { attempts, .. } => *attempts > 0,
            _ => false,
        }
    }

    /// The API error, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The `Request-ID` of the answer this error came from, if there was one: what WeChat Pay
    /// support asks for.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api(api) => api.request_id.as_deref(),
            Self::CertificatesUnavailable { request_id, .. }
            | Self::Verification { request_id, .. }
            | Self::Decode { request_id, .. }
            | Self::BodyTooLarge { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
}

/// An error answer of WeChat Pay: status, code, message and detail, with the raw body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status, e.g. 404.
    pub status: u16,
    /// The error code, e.g. `RESOURCE_NOT_EXISTS`; `None` when the body is not WeChat Pay's error
    /// JSON (an empty body, a proxy's HTML page).
    pub code: Option<ErrorCode>,
    /// The error message, usually in Chinese; empty when the body has none.
    pub message: String,
    /// Which parameter the error is about, when WeChat Pay says.
    pub detail: Option<ErrorDetail>,
    /// The `Request-ID` header: what WeChat Pay support asks for.
    pub request_id: Option<String>,
    /// Whether the answer carried WeChat Pay's signature and it verified. An error answer without
    /// signature headers (a proxy's 502, say) is not verified; one with a bad signature is a
    /// [`Error::Verification`] instead.
    pub verified: bool,
    /// The raw body, as received.
    pub body: String,
    /// The answer's `Retry-After`, in seconds, when it had one (at most
    /// [`MAX_RETRY_AFTER`](crate::MAX_RETRY_AFTER)).
    pub retry_after: Option<Duration>,
    /// Whether WeChat Pay may have acted on the request all the same (a 5xx, or an answer that is
    /// not WeChat Pay's signed refusal, after a POST).
    pub effect: Effect,
}

impl ApiError {
    /// Whether the same call may succeed later: `429` (`FREQUENCY_LIMITED`, `RATELIMIT_EXCEEDED`),
    /// `500 SYSTEM_ERROR` (or a 500 without an error body), `502`, `503`, `504`.
    pub fn is_retryable(&self) -> bool {
        match self.status {
            429 | 502..=504 => true,
            500 => matches!(self.code, None | Some(ErrorCode::SystemError)),
            _ => false,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WeChat Pay answered HTTP {}", self.status)?;
        match &self.code {
            Some(code) => write!(f, " {code}: {}", one_line(&self.message))?,
            None => write!(
                f,
                " with a body that is not an error JSON: {}",
                truncated(&self.body)
            )?,
        }
        if let Some(field) = self.detail.as_ref().and_then(|d| d.field.as_deref()) {
            write!(f, " (field `{field}`)")?;
        }
        write!(
            f,
            " (Request-ID {}",
            self.request_id.as_deref().unwrap_or("none")
        )?;
        if !self.verified {
            f.write_str(", unverified")?;
        }
        write!(f, "){}", self.effect)
    }
}

impl std::error::Error for ApiError {}

/// At most 512 characters of a body, for messages.
fn truncated(body: &str) -> String {
    const MAX: usize = 512;
    match body.char_indices().nth(MAX) {
        Some((cut, _)) => format!(
            "{}… ({} bytes in all)",
            one_line(body.get(..cut).unwrap_or_default()),
            body.len()
        ),
        None => one_line(body),
    }
}
