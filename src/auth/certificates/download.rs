//! The answer of `GET /v3/certificates` (下载平台证书): its entries, each decrypted with the APIv3
//! key and parsed; a bad entry is skipped and reported, the others kept.

use serde::Deserialize;

use super::certificate::{PlatformCertificate, normalize_serial};
use crate::auth::apiv3_key::ApiV3Key;
use crate::config_error::CertificateEntryError;

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
    if normalize_serial(certificate.serial()) != normalize_serial(serial) {
        return Err(CertificateEntryError::SerialMismatch {
            entry: serial.clone(),
            certificate: certificate.serial().to_owned(),
        });
    }
    // Named as the list names it, leading zeros and all: that is the `Wechatpay-Serial` WeChat
    // Pay signs with and expects with fields encrypted with it.
    Ok(certificate.named(serial))
}
