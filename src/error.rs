//! The crate's errors: [`Error`] for a call, [`ConfigError`] for building a client.

use std::fmt;
use std::path::PathBuf;

use crate::types::{ErrorCode, ErrorDetail};
use crate::validate::InvalidParameter;
use crate::verify::VerifyError;

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
    Signing(#[from] crate::merchant_key::SigningFailed),
    /// The request did not get an answer: connection, TLS, timeout or a dropped connection.
    #[error("transport error calling {url}: {source}")]
    Transport {
        /// The URL called, without its query.
        url: String,
        /// What reqwest reported.
        #[source]
        source: reqwest::Error,
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
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WeChat Pay answered HTTP {}", self.status)?;
        match &self.code {
            Some(code) => write!(f, " {code}: {}", self.message)?,
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
            body.get(..cut).unwrap_or_default(),
            body.len()
        ),
        None => body.to_owned(),
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
        "the merchant certificate serial number {serial_no:?} is not hex: expected the 证书序列号 of \
         apiclient_cert.pem, as the merchant platform shows it (40 uppercase hex digits)"
    )]
    MerchantSerialNo {
        /// The serial number given.
        serial_no: String,
    },
    /// `GET /v3/certificates` answered with certificates that could not be used.
    #[error("the platform certificates could not be used (Request-ID {}): {reason}", request_id.as_deref().unwrap_or("none"))]
    Certificates {
        /// Why.
        reason: String,
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
