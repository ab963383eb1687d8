//! One platform certificate (平台证书): parsed from PEM or DER, with its serial, validity and key.

use std::fmt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::ParsedPublicKey;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::auth::encryption::EncryptionKey;
use crate::auth::pem;
use crate::auth::public_key::parse_rsa_public_key;
use crate::config_error::ConfigError;

const WHAT: &str = "the platform certificate";
const EXPECTED: &str =
    "a WeChat Pay platform certificate (平台证书): PEM, BEGIN CERTIFICATE, with an RSA key";

/// A WeChat Pay platform certificate: its serial number (the `Wechatpay-Serial` of the answers it
/// signs), its validity and its public key.
#[derive(Clone)]
pub struct PlatformCertificate {
    serial: String,
    not_before: i64,
    not_after: i64,
    key: ParsedPublicKey,
    encryption: EncryptionKey,
}

impl PlatformCertificate {
    /// Parses a certificate from PEM (`BEGIN CERTIFICATE`).
    pub fn from_pem(pem: &str) -> Result<Self, ConfigError> {
        pem::expect_labels(pem, &["CERTIFICATE"], WHAT, EXPECTED)?;
        let der =
            CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| ConfigError::Malformed {
                what: WHAT,
                reason: e.to_string(),
                expected: EXPECTED,
            })?;
        Self::from_der(der.as_ref())
    }

    /// Parses a certificate from a PEM file.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        Self::from_pem(&pem::read_file(path.as_ref(), WHAT)?)
    }

    /// Parses a certificate from DER.
    pub fn from_der(der: &[u8]) -> Result<Self, ConfigError> {
        let (_, certificate) =
            x509_parser::parse_x509_certificate(der).map_err(|e| ConfigError::Malformed {
                what: WHAT,
                reason: e.to_string(),
                expected: EXPECTED,
            })?;
        let serial = serial_hex(certificate.tbs_certificate.raw_serial());
        let validity = certificate.validity();
        let key = parse_rsa_public_key(certificate.public_key().raw, WHAT, EXPECTED)?;
        let encryption = EncryptionKey::from_spki(&serial, certificate.public_key().raw).ok_or(
            ConfigError::NotRsa {
                what: WHAT,
                expected: EXPECTED,
            },
        )?;
        Ok(Self {
            encryption,
            serial,
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            key,
        })
    }

    /// The serial number as WeChat Pay names the certificate: the `serial_no` of the list it was
    /// downloaded in, exactly as listed, or for a certificate parsed from a file the upper-case
    /// hex of every byte of its serial, leading zero digits included (`0A1B…`, never `A1B…`). It
    /// is what `Wechatpay-Serial` names: on the answers it signs, and on requests whose fields it
    /// encrypted. Serials are looked up without regard to case and leading zeros
    /// ([`CertificateStore::find`](crate::CertificateStore::find)).
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The same certificate named `serial`, e.g. the `serial_no` of the list it came in, which
    /// is the same number written as WeChat Pay writes it.
    pub(crate) fn named(mut self, serial: &str) -> Self {
        self.encryption = self.encryption.named(serial);
        self.serial = serial.to_owned();
        self
    }

    /// Whether `now` is within the certificate's validity.
    pub fn is_valid_at(&self, now: SystemTime) -> bool {
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        self.not_before <= now && now <= self.not_after
    }

    /// When the certificate starts to be valid (its `notBefore`), in Unix seconds.
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// When the certificate stops being valid (its `notAfter`), in Unix seconds.
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    pub(crate) fn key(&self) -> &ParsedPublicKey {
        &self.key
    }

    /// The key that encrypts sensitive fields with this certificate, named by its serial.
    pub fn encryption_key(&self) -> &EncryptionKey {
        &self.encryption
    }
}

impl fmt::Debug for PlatformCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformCertificate")
            .field("serial", &self.serial)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// The upper-case hex of a serial number's bytes as DER encodes them, without the zero byte DER
/// puts before a first byte of 0x80 or more (it only marks the number positive).
fn serial_hex(bytes: &[u8]) -> String {
    let bytes = match bytes {
        [0, next, ..] if *next >= 0x80 => bytes.get(1..).unwrap_or_default(),
        _ => bytes,
    };
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Whether `serial` can be a platform certificate's serial: hex digits, at most 40 of them once
/// leading zeros are dropped (an X.509 serial is at most 20 bytes). Anything else names no
/// certificate, and is never worth a download.
pub(crate) fn is_certificate_serial(serial: &str) -> bool {
    !serial.is_empty()
        && serial.bytes().all(|b| b.is_ascii_hexdigit())
        && serial.trim_start_matches('0').len() <= 40
}

/// A serial number as this crate keys certificates by: uppercase hex without leading zeros.
pub(crate) fn normalize_serial(serial: &str) -> String {
    let trimmed = serial.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_ascii_uppercase()
    }
}
impl From<&PlatformCertificate> for EncryptionKey {
    fn from(certificate: &PlatformCertificate) -> Self {
        certificate.encryption_key().clone()
    }
}
