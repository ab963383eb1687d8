//! Platform certificates (平台证书): parsing, decrypting `GET /v3/certificates`, and the shared set
//! the verifier reads and the client refreshes.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::ParsedPublicKey;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde::Deserialize;

use crate::apiv3_key::ApiV3Key;
use crate::error::{CertificateEntryError, ConfigError};
use crate::pem_input;
use crate::public_key::parse_rsa_public_key;
use crate::sensitive::EncryptionKey;

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
        pem_input::expect_labels(pem, &["CERTIFICATE"], WHAT, EXPECTED)?;
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
        Self::from_pem(&pem_input::read_file(path.as_ref(), WHAT)?)
    }

    /// Parses a certificate from DER.
    pub fn from_der(der: &[u8]) -> Result<Self, ConfigError> {
        let (_, certificate) =
            x509_parser::parse_x509_certificate(der).map_err(|e| ConfigError::Malformed {
                what: WHAT,
                reason: e.to_string(),
                expected: EXPECTED,
            })?;
        // WeChat Pay names a certificate by its serial number in uppercase hex without leading
        // zeros, as the official SDKs print it (Go: %X of the big integer).
        let serial = format!("{:X}", certificate.tbs_certificate.serial);
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

    /// The serial number, uppercase hex: the `Wechatpay-Serial` of the answers it signs.
    pub fn serial(&self) -> &str {
        &self.serial
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

/// A serial number as this crate keys certificates by: uppercase hex without leading zeros.
fn normalize_serial(serial: &str) -> String {
    let trimmed = serial.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_ascii_uppercase()
    }
}

/// The platform certificates a verifier knows, by serial. Shared between the verifier, which reads
/// it on every answer, and the client, which replaces its contents on a refresh.
#[derive(Default)]
pub struct CertificateStore {
    certificates: RwLock<Arc<HashMap<String, PlatformCertificate>>>,
}

impl CertificateStore {
    /// A store holding `certificates`.
    pub fn new(certificates: impl IntoIterator<Item = PlatformCertificate>) -> Self {
        let store = Self::default();
        store.replace(certificates);
        store
    }

    /// The certificate with this serial, if it is known and valid at `now`. Serials compare as
    /// numbers written in hex: case and leading zeros do not matter.
    pub fn get(&self, serial: &str, now: SystemTime) -> Option<PlatformCertificate> {
        self.find(serial).filter(|c| c.is_valid_at(now))
    }

    /// The certificate with this serial, if it is known, whatever its validity.
    pub fn find(&self, serial: &str) -> Option<PlatformCertificate> {
        self.snapshot().get(&normalize_serial(serial)).cloned()
    }

    /// Whether a certificate with this serial is known, whatever its validity.
    pub fn contains(&self, serial: &str) -> bool {
        self.snapshot().contains_key(&normalize_serial(serial))
    }

    /// The certificates known, expired ones included.
    pub fn certificates(&self) -> Vec<PlatformCertificate> {
        self.snapshot().values().cloned().collect()
    }

    /// Whether no certificate is known.
    pub fn is_empty(&self) -> bool {
        self.snapshot().is_empty()
    }

    /// The valid certificate (at `now`) that became valid last: the one to encrypt with.
    pub fn newest_valid(&self, now: SystemTime) -> Option<PlatformCertificate> {
        self.snapshot()
            .values()
            .filter(|c| c.is_valid_at(now))
            .max_by_key(|c| (c.not_before, c.not_after))
            .cloned()
    }

    /// The serials known, sorted.
    pub fn serials(&self) -> Vec<String> {
        let mut serials: Vec<String> = self.snapshot().keys().cloned().collect();
        serials.sort();
        serials
    }

    /// Replaces the contents with `certificates`.
    pub fn replace(&self, certificates: impl IntoIterator<Item = PlatformCertificate>) {
        let map = certificates
            .into_iter()
            .map(|c| (c.serial.clone(), c))
            .collect();
        // A poisoned lock only means a writer panicked between two whole-map swaps: the map inside
        // is still consistent, so keep using it.
        let mut guard = self
            .certificates
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *guard = Arc::new(map);
    }

    fn snapshot(&self) -> Arc<HashMap<String, PlatformCertificate>> {
        self.certificates
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl fmt::Debug for CertificateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateStore")
            .field("serials", &self.serials())
            .finish()
    }
}

/// The body of `GET /v3/certificates`. Entries are decoded one by one, so that a malformed one is
/// skipped instead of failing the list.
#[derive(Debug, Deserialize)]
pub(crate) struct CertificatesBody {
    pub data: Vec<serde_json::Value>,
}

/// One entry of `GET /v3/certificates`.
#[derive(Debug, Deserialize)]
pub(crate) struct CertificateEntry {
    pub serial_no: String,
    pub encrypt_certificate: EncryptedCertificate,
}

/// The encrypted certificate of an entry.
#[derive(Debug, Deserialize)]
pub(crate) struct EncryptedCertificate {
    pub algorithm: String,
    pub nonce: String,
    pub associated_data: String,
    pub ciphertext: String,
}

/// What a `GET /v3/certificates` answer gave: the certificates that decrypted and parsed (expired
/// ones included, so that an answer signed by one is reported as expired), and the entries that
/// were skipped.
#[derive(Debug)]
pub(crate) struct Decrypted {
    pub certificates: Vec<PlatformCertificate>,
    pub skipped: Vec<CertificateEntryError>,
}

/// Decrypts and parses every entry; a bad entry is skipped and reported, the others are kept.
pub(crate) fn decrypt_entries(body: &CertificatesBody, key: &ApiV3Key) -> Decrypted {
    let mut decrypted = Decrypted {
        certificates: Vec::with_capacity(body.data.len()),
        skipped: Vec::new(),
    };
    for entry in &body.data {
        match decrypt_entry(entry, key) {
            Ok(certificate) => decrypted.certificates.push(certificate),
            Err(error) => decrypted.skipped.push(error),
        }
    }
    decrypted
}

fn decrypt_entry(
    entry: &serde_json::Value,
    key: &ApiV3Key,
) -> Result<PlatformCertificate, CertificateEntryError> {
    let entry = CertificateEntry::deserialize(entry).map_err(|source| {
        CertificateEntryError::Malformed {
            serial: entry
                .get("serial_no")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            source,
        }
    })?;
    let serial = &entry.serial_no;
    let encrypted = &entry.encrypt_certificate;
    let plaintext = key
        .decrypt(
            &encrypted.algorithm,
            &encrypted.nonce,
            &encrypted.associated_data,
            &encrypted.ciphertext,
        )
        .map_err(|source| CertificateEntryError::Decrypt {
            serial: serial.clone(),
            source,
        })?;
    let pem = String::from_utf8_lossy(&plaintext);
    let certificate =
        PlatformCertificate::from_pem(&pem).map_err(|source| CertificateEntryError::Parse {
            serial: serial.clone(),
            source,
        })?;
    if certificate.serial != normalize_serial(serial) {
        return Err(CertificateEntryError::SerialMismatch {
            entry: serial.clone(),
            certificate: certificate.serial,
        });
    }
    Ok(certificate)
}
