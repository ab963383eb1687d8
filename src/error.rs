//! The crate's errors, in one place: [`Error`] for a call, [`ConfigError`] for building a client,
//! and the reasons they carry ([`VerifyError`], [`DecryptError`], [`CertificateEntryError`],
//! [`SigningFailed`]). This module imports none of the modules that return them.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::types::{ErrorCode, ErrorDetail};
use crate::validate::InvalidParameter;

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
    #[error("no answer from {url} ({kind}): {}", error_chain(source))]
    Transport {
        /// The URL called, without its query.
        url: String,
        /// What went wrong, in a word.
        kind: TransportKind,
        /// What reqwest reported.
        #[source]
        source: reqwest::Error,
    },
    /// The call did not complete within the client's total deadline, across all its attempts.
    #[error(
        "no verified answer within the total deadline of {} ms ({attempts} attempts){}",
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
    },
    /// The answer's body is larger than the client accepts; it was not read further.
    #[error(
        "the answer's body is larger than {limit} bytes (HTTP {status}, Request-ID {}): not read",
        request_id.as_deref().unwrap_or("none")
    )]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
        /// The answer's HTTP status.
        status: u16,
        /// The answer's `Request-ID` header, if any.
        request_id: Option<String>,
    },
    /// WeChat Pay answered with an error (a non-2xx status).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The answer could not be proven to come from WeChat Pay; its body was not used.
    #[error("{reason} (HTTP {status}, Request-ID {})", request_id.as_deref().unwrap_or("none"))]
    Verification {
        /// Why verification failed.
        #[source]
        reason: VerifyError,
        /// The answer's HTTP status.
        status: u16,
        /// The answer's `Request-ID` header, if any.
        request_id: Option<String>,
        /// The raw body, as received, for diagnosis only: nothing proves WeChat Pay sent it.
        body: String,
    },
    /// An answer needed platform certificates (平台证书) that the client could not download: the
    /// first download, before anything could be verified, or the one an answer naming a serial the
    /// client does not hold waited for. `source` is why the download failed.
    #[error(
        "{}: {}",
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
    },
    /// A verified 2xx answer whose body does not decode into the expected type.
    #[error(
        "cannot decode the answer (HTTP {status}, Request-ID {}): {source}; body: {}",
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
        /// The raw body, as received.
        body: String,
    },
}

/// What kind of transport failure a [`Error::Transport`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// No connection could be made (refused, unreachable, DNS, TLS handshake).
    Connect,
    /// The attempt took longer than its timeout.
    Timeout,
    /// The connection broke before a whole answer came (closed, reset, truncated).
    ConnectionLost,
    /// Anything else reqwest reports.
    Other,
}

impl TransportKind {
    /// Classifies a reqwest error.
    pub(crate) fn of(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout
        } else if error.is_connect() {
            Self::Connect
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
    /// The answer's `Retry-After`, in seconds, when it had one.
    pub retry_after: Option<Duration>,
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
        f.write_str(")")
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

/// Why a client could not be configured. The message says what was expected; none carries key
/// material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file could not be read.
    #[error("cannot read {what} from {}: {source}", path.display())]
    Unreadable {
        /// What the file should hold.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The input is not PEM.
    #[error("{what} is not PEM: expected {expected}")]
    NotPem {
        /// What the input should hold.
        what: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// The input is PEM of another kind (e.g. a certificate where a private key was expected).
    #[error("{what} holds a PEM \"{found}\": expected {expected}")]
    WrongPem {
        /// What the input should hold.
        what: &'static str,
        /// The PEM label found.
        found: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The private key is encrypted with a passphrase.
    #[error("{what} is encrypted with a passphrase: expected the unencrypted {expected}")]
    EncryptedKey {
        /// What the input should hold.
        what: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// The key is not an RSA key.
    #[error("{what} is not an RSA key: expected {expected}")]
    NotRsa {
        /// What the input should hold.
        what: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// The RSA key is shorter than 2048 bits.
    #[error("{what} is an RSA key under 2048 bits: WeChat Pay uses RSA-2048 or longer")]
    KeyTooSmall {
        /// What the input should hold.
        what: &'static str,
    },
    /// The input is PEM of the right kind but its contents do not parse.
    #[error("{what} is malformed ({reason}): expected {expected}")]
    Malformed {
        /// What the input should hold.
        what: &'static str,
        /// What the parser said.
        reason: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The APIv3 key is not 32 bytes.
    #[error(
        "the APIv3 key is {len} bytes: expected exactly 32 (the APIv3 密钥 set in the merchant \
         platform, 账户中心 → API安全)"
    )]
    ApiV3KeyLength {
        /// The length given, in bytes.
        len: usize,
    },
    /// The WeChat Pay public key id does not start with `PUB_KEY_ID_`.
    #[error(
        "the WeChat Pay public key id {id:?} does not start with PUB_KEY_ID_: expected the id shown \
         next to the public key in the merchant platform, e.g. PUB_KEY_ID_0114232806712025022800000000000001"
    )]
    PublicKeyId {
        /// The id given.
        id: String,
    },
    /// The merchant id is not a number.
    #[error(
        "the merchant id {mchid:?} is not a number: expected the 商户号 from the merchant platform, e.g. 1900000001"
    )]
    MerchantId {
        /// The id given.
        mchid: String,
    },
    /// The merchant certificate serial number is not hex.
    #[error(
        "the merchant certificate serial number (serial_no) {serial_no:?} is not hex: expected the \
         证书序列号 of apiclient_cert.pem, as the merchant platform shows it (40 hex digits), or give \
         the certificate itself (ClientBuilder::merchant_with_certificate)"
    )]
    MerchantSerialNo {
        /// The serial number given.
        serial_no: String,
    },
    /// The merchant API certificate's public key is not the merchant private key's: requests
    /// signed with the key would be refused with `401 SIGN_ERROR`.
    #[error(
        "the merchant API certificate {certificate_serial} does not belong to the merchant private \
         key: the certificate's modulus fingerprint is {certificate_modulus}, the key's is \
         {private_key_modulus} (compare `openssl x509 -noout -modulus -in apiclient_cert.pem | \
         openssl sha256` with `openssl rsa -noout -modulus -in apiclient_key.pem | openssl sha256`): \
         use the apiclient_cert.pem and apiclient_key.pem of the same certificate application \
         (证书申请)"
    )]
    MerchantCertificateMismatch {
        /// The certificate's serial number.
        certificate_serial: String,
        /// The first 16 hex digits of the SHA-256 of the certificate's `Modulus=…` line, as
        /// `openssl x509 -noout -modulus | openssl sha256` prints it.
        certificate_modulus: String,
        /// The same for the private key (`openssl rsa -noout -modulus | openssl sha256`): public
        /// information, nothing of the private key.
        private_key_modulus: String,
    },
    /// Two settings that cannot go together were both given.
    #[error("{settings} cannot both be set: {fix}")]
    Conflict {
        /// The two settings.
        settings: &'static str,
        /// What to do instead.
        fix: &'static str,
    },
    /// `GET /v3/certificates` listed no certificate this client could use: every entry failed to
    /// decrypt or to parse (a wrong APIv3 key is the usual cause), or the list was empty.
    #[error(
        "none of the platform certificates WeChat Pay listed could be used (Request-ID {}): {entries}",
        request_id.as_deref().unwrap_or("none")
    )]
    NoUsableCertificate {
        /// Why each entry was skipped, in the answer's order.
        #[source]
        entries: CertificateEntryErrors,
        /// The answer's `Request-ID`.
        request_id: Option<String>,
    },
    /// A required setting was not given to the builder.
    #[error("missing {0}")]
    Missing(&'static str),
    /// Neither verification source was configured.
    #[error(
        "no way to verify WeChat Pay's answers: configure the WeChat Pay public key (微信支付公钥) \
         with its id, or the APIv3 key for platform certificates, or both"
    )]
    NoVerificationSource,
    /// `GET /v3/certificates` answered `404 RESOURCE_NOT_EXISTS`: the merchant has no platform
    /// certificates (merchants registered since late 2024 have only the WeChat Pay public key).
    #[error(
        "this merchant has no platform certificates (GET /v3/certificates answered 404 \
         RESOURCE_NOT_EXISTS, Request-ID {}): configure the WeChat Pay public key (微信支付公钥) and \
         its PUB_KEY_ID_ id from the merchant platform instead",
        request_id.as_deref().unwrap_or("none")
    )]
    NoPlatformCertificates {
        /// The answer's `Request-ID`.
        request_id: Option<String>,
    },
    /// The base URL is not a URL.
    #[error("the base URL {url:?} is not a valid URL: {reason}")]
    BaseUrl {
        /// The URL given.
        url: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
}

/// Why an answer or a callback was not accepted as WeChat Pay's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A signature header is missing: the answer is not signed.
    #[error("the {0} header is missing: the answer is not signed by WeChat Pay")]
    MissingHeader(&'static str),
    /// A signature header appears more than once.
    #[error("the {0} header appears more than once")]
    DuplicateHeader(&'static str),
    /// A signature header is not visible ASCII.
    #[error("the {0} header is not visible ASCII")]
    MalformedHeader(&'static str),
    /// `Wechatpay-Signature-Type` names another scheme.
    #[error("Wechatpay-Signature-Type is {0:?}: only WECHATPAY2-SHA256-RSA2048 is supported")]
    UnsupportedSignatureType(String),
    /// The signature is one of WeChat Pay's probes (`WECHATPAY/SIGNTEST/…`), sent to check that
    /// merchants really verify: it always fails.
    #[error(
        "the signature is a WeChat Pay signature probe (WECHATPAY/SIGNTEST/…), sent to check that \
         answers are verified: rejected, as it must be"
    )]
    SignatureProbe,
    /// `Wechatpay-Timestamp` is not a number of seconds.
    #[error("Wechatpay-Timestamp {0:?} is not a Unix time in seconds")]
    MalformedTimestamp(String),
    /// `Wechatpay-Timestamp` is too far from local time: a replay, or a wrong clock.
    #[error(
        "Wechatpay-Timestamp {timestamp} is {skew_secs} s from local time, more than the {window_secs} s \
         allowed: a replayed answer, or a wrong clock"
    )]
    StaleTimestamp {
        /// The signed timestamp.
        timestamp: i64,
        /// How far it is from local time, in seconds.
        skew_secs: u64,
        /// The tolerance, in seconds.
        window_secs: u64,
    },
    /// `Wechatpay-Signature` is not base64.
    #[error("Wechatpay-Signature is not base64")]
    MalformedSignature,
    /// No configured key has this serial.
    #[error(
        "no key for Wechatpay-Serial {serial:?}: it is neither the WeChat Pay public key's id nor the \
         serial of a known platform certificate"
    )]
    UnknownSerial {
        /// The serial the answer named.
        serial: String,
    },
    /// The answer names a platform certificate the client holds, but it has expired: WeChat Pay
    /// no longer signs with it, so the answer is a replay or comes from elsewhere.
    #[error(
        "Wechatpay-Serial {serial} is a platform certificate that expired at Unix time {not_after} \
         ({}): not accepted",
        unix_time(*not_after)
    )]
    ExpiredCertificate {
        /// The certificate's serial.
        serial: String,
        /// When it expired (`notAfter`), in Unix seconds.
        not_after: i64,
    },
    /// The answer names a platform certificate the client holds that is not valid yet.
    #[error(
        "Wechatpay-Serial {serial} is a platform certificate valid only from Unix time {not_before} \
         ({}): not accepted yet (is the local clock right?)",
        unix_time(*not_before)
    )]
    CertificateNotYetValid {
        /// The certificate's serial.
        serial: String,
        /// When it becomes valid (`notBefore`), in Unix seconds.
        not_before: i64,
    },
    /// The signature does not match the answer.
    #[error(
        "the signature does not match (Wechatpay-Serial {serial}): the answer was altered or not \
         signed by WeChat Pay"
    )]
    BadSignature {
        /// The serial of the key that was tried.
        serial: String,
    },
}

/// A Unix time as RFC 3339 UTC, for messages.
fn unix_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map_or_else(|| "out of range".to_owned(), |t| t.to_rfc3339())
}

/// The crypto library could not sign or draw a nonce (an internal error of aws-lc-rs or of the
/// system's random number generator, not a problem of the input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the request could not be signed: aws-lc-rs or the system's random number generator reported \
     an internal error"
)]
pub struct SigningFailed;

/// Why a sensitive field (敏感信息) could not be encrypted. The message never holds the plaintext.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncryptError {
    /// There is no key to encrypt with: neither the WeChat Pay public key nor a valid platform
    /// certificate.
    #[error(
        "a sensitive field needs a key to be encrypted with: configure the WeChat Pay public key \
         (ClientBuilder::wechatpay_public_key), or the APIv3 key so that platform certificates are \
         downloaded, and make sure one of them is valid now"
    )]
    NoKey,
    /// The plaintext is longer than RSAES-OAEP can encrypt with the key.
    #[error(
        "a sensitive field is {actual} bytes long; RSAES-OAEP with this key encrypts at most {max}"
    )]
    TooLong {
        /// The most bytes the key can encrypt.
        max: usize,
        /// The plaintext's length in bytes.
        actual: usize,
    },
    /// The cryptographic library failed.
    #[error("aws-lc-rs could not encrypt a sensitive field (an internal error)")]
    Failed,
    /// A [`Sensitive`](crate::Sensitive) was serialised outside the client, which alone encrypts
    /// it.
    #[error(
        "a sensitive field is only serialised encrypted, by the client: send the request with its \
         method, or encrypt the field yourself with EncryptionKey::encrypt"
    )]
    OutsideTheClient,
}

/// Why an AES-256-GCM payload (an `encrypt_certificate` entry) could not be decrypted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecryptError {
    /// The algorithm is not `AEAD_AES_256_GCM`.
    #[error("unsupported algorithm {0:?}: expected AEAD_AES_256_GCM")]
    Algorithm(String),
    /// The nonce is not 12 bytes.
    #[error("the nonce is {0} bytes: expected 12")]
    NonceLength(usize),
    /// The ciphertext is not base64.
    #[error("the ciphertext is not base64")]
    Base64,
    /// The tag does not match: a wrong APIv3 key, or a tampered or truncated ciphertext.
    #[error(
        "authentication failed: the APIv3 key is wrong, or the ciphertext was altered or truncated"
    )]
    Authentication,
}

/// Why an entry of `GET /v3/certificates` was not usable. The entry is skipped; the others are
/// kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateEntryError {
    /// The entry did not decrypt (a wrong APIv3 key, a wrong `associated_data`, a damaged
    /// ciphertext).
    #[error("the certificate {serial} did not decrypt: {source}")]
    Decrypt {
        /// The entry's `serial_no`.
        serial: String,
        /// Why.
        #[source]
        source: DecryptError,
    },
    /// The decrypted certificate did not parse.
    #[error("the certificate {serial} did not parse: {source}")]
    Parse {
        /// The entry's `serial_no`.
        serial: String,
        /// Why.
        #[source]
        source: ConfigError,
    },
    /// The decrypted certificate's serial is not the entry's `serial_no`.
    #[error("the entry says serial {entry} but the certificate's serial is {certificate}")]
    SerialMismatch {
        /// The entry's `serial_no`.
        entry: String,
        /// The certificate's own serial.
        certificate: String,
    },
    /// The entry is not an object with `serial_no` and `encrypt_certificate` {`algorithm`,
    /// `nonce`, `associated_data`, `ciphertext`}.
    #[error("the entry {serial:?} is malformed: {source}")]
    Malformed {
        /// The entry's `serial_no`, when it has one.
        serial: String,
        /// What the JSON decoder said.
        #[source]
        source: serde_json::Error,
    },
}

impl CertificateEntryError {
    /// The `serial_no` of the entry that was skipped.
    pub fn serial(&self) -> &str {
        match self {
            Self::Decrypt { serial, .. }
            | Self::Parse { serial, .. }
            | Self::Malformed { serial, .. } => serial,
            Self::SerialMismatch { entry, .. } => entry,
        }
    }
}

/// The entries of a `GET /v3/certificates` answer that could not be used, in the answer's order.
/// Its source is the first entry's error.
#[derive(Debug, Default)]
pub struct CertificateEntryErrors(pub Vec<CertificateEntryError>);

impl fmt::Display for CertificateEntryErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => f.write_str("the list was empty"),
            entries => {
                for (i, entry) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{entry}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for CertificateEntryErrors {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .first()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
