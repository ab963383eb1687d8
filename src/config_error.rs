//! Why a client, a key or a certificate could not be set up: [`ConfigError`], which the key and
//! certificate loaders and the client builder return, and the reasons it carries about platform
//! certificates ([`CertificateEntryError`], [`DecryptError`]). They refer to one another, so they
//! are kept together, below every module that returns them.

use std::fmt;
use std::path::PathBuf;

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
    /// A duration setting is out of range: zero where time is needed, or so long that adding it to
    /// the time now could overflow (more than a year).
    #[error("the {setting} setting is {value:?}: expected {expected}")]
    Duration {
        /// The builder setting, e.g. `total_deadline`.
        setting: &'static str,
        /// The value given.
        value: std::time::Duration,
        /// The range it must be in.
        expected: &'static str,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
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
