//! Verifying that an answer (or a notification callback) comes from WeChat Pay (PROTOCOL.md
//! section 2): headers and raw body in, the key that signed it or a typed reason out.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;

use crate::auth::certificates::{CertificateStore, PlatformCertificate};
use crate::auth::public_key::{PUBLIC_KEY_ID_PREFIX, WechatPayPublicKey};
use crate::auth::signing::SCHEME;

/// `Wechatpay-Timestamp`: when WeChat Pay signed, in Unix seconds.
pub const HEADER_TIMESTAMP: &str = "wechatpay-timestamp";
/// `Wechatpay-Nonce`: the signature's nonce.
pub const HEADER_NONCE: &str = "wechatpay-nonce";
/// `Wechatpay-Signature`: base64 of the SHA256withRSA signature.
pub const HEADER_SIGNATURE: &str = "wechatpay-signature";
/// `Wechatpay-Serial`: which key signed, a `PUB_KEY_ID_…` or a platform certificate's serial.
pub const HEADER_SERIAL: &str = "wechatpay-serial";
/// `Wechatpay-Signature-Type`: `WECHATPAY2-SHA256-RSA2048` when present.
pub const HEADER_SIGNATURE_TYPE: &str = "wechatpay-signature-type";
/// The prefix of WeChat Pay's signature probes, which must always fail verification.
pub const PROBE_PREFIX: &str = "WECHATPAY/SIGNTEST/";
/// The default tolerance between `Wechatpay-Timestamp` and local time, as the official SDKs use.
pub const DEFAULT_TIMESTAMP_WINDOW: Duration = Duration::from_secs(300);

/// `Ok` when `now` is within the certificate's validity, else whether it expired or is not valid
/// yet.
fn check_validity(certificate: &PlatformCertificate, now: SystemTime) -> Result<(), VerifyError> {
    if certificate.is_valid_at(now) {
        return Ok(());
    }
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if i64::try_from(now).unwrap_or(i64::MAX) > certificate.not_after() {
        Err(VerifyError::ExpiredCertificate {
            serial: certificate.serial().to_owned(),
            not_after: certificate.not_after(),
        })
    } else {
        Err(VerifyError::CertificateNotYetValid {
            serial: certificate.serial().to_owned(),
            not_before: certificate.not_before(),
        })
    }
}

/// Which kind of key verified an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// The WeChat Pay public key (微信支付公钥).
    PublicKey,
    /// A platform certificate (平台证书).
    PlatformCertificate,
}

/// A successful verification.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    /// The `Wechatpay-Serial` of the key that verified.
    pub serial: String,
    /// Which kind of key it was.
    pub source: KeySource,
}

/// The signature headers of an answer or a callback, as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignatureHeaders<'a> {
    /// `Wechatpay-Timestamp`.
    pub timestamp: &'a str,
    /// `Wechatpay-Nonce`.
    pub nonce: &'a str,
    /// `Wechatpay-Signature`.
    pub signature: &'a str,
    /// `Wechatpay-Serial`.
    pub serial: &'a str,
    /// `Wechatpay-Signature-Type`, when present.
    pub signature_type: Option<&'a str>,
}

impl<'a> SignatureHeaders<'a> {
    /// Reads the headers (names are case-insensitive). Fails on a missing, duplicated or
    /// non-ASCII signature header.
    pub fn from_headers(headers: &'a HeaderMap) -> Result<Self, VerifyError> {
        Ok(Self {
            timestamp: required(headers, HEADER_TIMESTAMP, "Wechatpay-Timestamp")?,
            nonce: required(headers, HEADER_NONCE, "Wechatpay-Nonce")?,
            signature: required(headers, HEADER_SIGNATURE, "Wechatpay-Signature")?,
            serial: required(headers, HEADER_SERIAL, "Wechatpay-Serial")?,
            signature_type: optional(headers, HEADER_SIGNATURE_TYPE, "Wechatpay-Signature-Type")?,
        })
    }

    /// Whether `headers` carry any of the signature headers (an answer that carries some but not
    /// all of them is treated as signed, and fails verification).
    pub fn present(headers: &HeaderMap) -> bool {
        [
            HEADER_TIMESTAMP,
            HEADER_NONCE,
            HEADER_SIGNATURE,
            HEADER_SERIAL,
        ]
        .iter()
        .any(|h| headers.contains_key(*h))
    }
}

fn optional<'a>(
    headers: &'a HeaderMap,
    name: &str,
    display: &'static str,
) -> Result<Option<&'a str>, VerifyError> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(VerifyError::DuplicateHeader(display));
    }
    value
        .to_str()
        .map(Some)
        .map_err(|_| VerifyError::MalformedHeader(display))
}

fn required<'a>(
    headers: &'a HeaderMap,
    name: &str,
    display: &'static str,
) -> Result<&'a str, VerifyError> {
    optional(headers, name, display)?.ok_or(VerifyError::MissingHeader(display))
}

/// Verifies answers and callbacks with the WeChat Pay public key, platform certificates, or both:
/// the key is chosen by `Wechatpay-Serial`.
///
/// Cheap to clone; clones share the platform certificates.
#[derive(Clone, Debug)]
pub struct Verifier {
    public_key: Option<WechatPayPublicKey>,
    certificates: Option<Arc<CertificateStore>>,
    window: Duration,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    /// A verifier with no keys yet (it rejects everything) and the default 300 s window.
    pub fn new() -> Self {
        Self {
            public_key: None,
            certificates: None,
            window: DEFAULT_TIMESTAMP_WINDOW,
        }
    }

    /// Verifies with the WeChat Pay public key when `Wechatpay-Serial` is its id.
    pub fn with_public_key(mut self, key: WechatPayPublicKey) -> Self {
        self.public_key = Some(key);
        self
    }

    /// Verifies with these platform certificates when `Wechatpay-Serial` is one of their serials.
    pub fn with_certificates(mut self, certificates: Arc<CertificateStore>) -> Self {
        self.certificates = Some(certificates);
        self
    }

    /// Accepts timestamps at most `window` from local time (default 300 s).
    pub fn with_timestamp_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// How far from local time `Wechatpay-Timestamp` may be.
    pub fn timestamp_window(&self) -> Duration {
        self.window
    }

    /// The WeChat Pay public key this verifier uses, if any.
    pub fn public_key(&self) -> Option<&WechatPayPublicKey> {
        self.public_key.as_ref()
    }

    /// The platform certificates this verifier uses, if any.
    pub fn certificates(&self) -> Option<&Arc<CertificateStore>> {
        self.certificates.as_ref()
    }

    /// Verifies an answer or callback: its headers and its raw body, byte for byte as received.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<Verified, VerifyError> {
        self.verify_at(
            &SignatureHeaders::from_headers(headers)?,
            body,
            SystemTime::now(),
        )
    }

    /// Verifies against `now` instead of the system clock.
    pub fn verify_at(
        &self,
        headers: &SignatureHeaders<'_>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Verified, VerifyError> {
        if let Some(kind) = headers.signature_type
            && kind != SCHEME
        {
            return Err(VerifyError::UnsupportedSignatureType(kind.to_owned()));
        }
        if headers.signature.starts_with(PROBE_PREFIX) {
            return Err(VerifyError::SignatureProbe);
        }
        let timestamp: i64 = headers
            .timestamp
            .parse()
            .map_err(|_| VerifyError::MalformedTimestamp(headers.timestamp.to_owned()))?;
        let now_secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let skew_secs = i128::from(timestamp).abs_diff(i128::from(now_secs));
        if skew_secs > u128::from(self.window.as_secs()) {
            return Err(VerifyError::StaleTimestamp {
                timestamp,
                skew_secs: u64::try_from(skew_secs).unwrap_or(u64::MAX),
                window_secs: self.window.as_secs(),
            });
        }
        let signature = STANDARD
            .decode(headers.signature)
            .map_err(|_| VerifyError::MalformedSignature)?;

        let serial = headers.serial;
        let mut message =
            Vec::with_capacity(headers.timestamp.len() + headers.nonce.len() + body.len() + 3);
        for part in [
            headers.timestamp.as_bytes(),
            b"\n",
            headers.nonce.as_bytes(),
            b"\n",
            body,
            b"\n",
        ] {
            message.extend_from_slice(part);
        }
        let bad = || VerifyError::BadSignature {
            serial: serial.to_owned(),
        };
        if let Some(key) = self.public_key.as_ref().filter(|k| k.id() == serial) {
            key.key()
                .verify_sig(&message, &signature)
                .map_err(|_| bad())?;
            return Ok(Verified {
                serial: serial.to_owned(),
                source: KeySource::PublicKey,
            });
        }
        let public_key_id = serial
            .get(..PUBLIC_KEY_ID_PREFIX.len())
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(PUBLIC_KEY_ID_PREFIX));
        if public_key_id {
            // No platform certificate has such a serial: nothing to download, a key to configure.
            return Err(VerifyError::PublicKeyNotConfigured {
                id: serial.to_owned(),
                configured: self.public_key.as_ref().map(|k| k.id().to_owned()),
            });
        }
        let certificate = self
            .certificates
            .as_ref()
            .and_then(|store| store.find(serial));
        match certificate {
            Some(certificate) => {
                check_validity(&certificate, now)?;
                certificate
                    .key()
                    .verify_sig(&message, &signature)
                    .map_err(|_| bad())?;
                Ok(Verified {
                    serial: serial.to_owned(),
                    source: KeySource::PlatformCertificate,
                })
            }
            None => Err(VerifyError::UnknownSerial {
                serial: serial.to_owned(),
            }),
        }
    }
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
    /// `Wechatpay-Serial` names a WeChat Pay public key (`PUB_KEY_ID_…`) that is not the one
    /// configured, or none is: a configuration error. No platform certificate has such a serial,
    /// so nothing is downloaded for it.
    #[error(
        "Wechatpay-Serial {id} names a WeChat Pay public key (微信支付公钥) this client is not configured \
         with ({}): a configuration error: download the public key with this id from the merchant \
         platform (账户中心 → API安全 → 微信支付公钥) and give it to \
         ClientBuilder::wechatpay_public_key with the id {id}",
        match configured {
            Some(configured) => format!("it has {configured}"),
            None => "it has none".to_owned(),
        }
    )]
    PublicKeyNotConfigured {
        /// The id the answer or notification named.
        id: String,
        /// The id of the public key configured, if any.
        configured: Option<String>,
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
