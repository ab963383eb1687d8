//! The merchant's API certificate (商户API证书, `apiclient_cert.pem`): the serial number requests are
//! signed under, and the public key it must share with the merchant private key.

use std::fmt;
use std::path::Path;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::RSAPublicKey;

use crate::auth::pem;
use crate::config_error::ConfigError;

const WHAT: &str = "the merchant API certificate";
const EXPECTED: &str = "the merchant API certificate, apiclient_cert.pem from the merchant platform \
                        (PEM, BEGIN CERTIFICATE, with an RSA key)";

/// The merchant's API certificate (商户API证书, `apiclient_cert.pem`): give it to
/// [`ClientBuilder::merchant_with_certificate`] instead of typing its serial number.
///
/// [`ClientBuilder::merchant_with_certificate`]: crate::ClientBuilder::merchant_with_certificate
#[derive(Clone)]
pub struct MerchantCertificate {
    serial: String,
    /// The RSA public key, DER `RSAPublicKey` (PKCS#1).
    public_key: Vec<u8>,
}

impl MerchantCertificate {
    /// Parses the certificate from PEM (`BEGIN CERTIFICATE`).
    pub fn from_pem(pem: &str) -> Result<Self, ConfigError> {
        pem::expect_labels(pem, &["CERTIFICATE"], WHAT, EXPECTED)?;
        let der = CertificateDer::from_pem_slice(pem.as_bytes()).map_err(malformed)?;
        let (_, certificate) = x509_parser::parse_x509_certificate(der.as_ref())
            .map_err(|e| malformed(e.to_string()))?;
        let spki = &certificate.tbs_certificate.subject_pki;
        // RSA's OID; the key's own encoding is checked by parsing it below.
        if spki.algorithm.algorithm.to_id_string() != "1.2.840.113549.1.1.1" {
            return Err(ConfigError::NotRsa {
                what: WHAT,
                expected: EXPECTED,
            });
        }
        let public_key = spki.subject_public_key.data.to_vec();
        RSAPublicKey::from_der(&public_key).map_err(|e| malformed(e.to_string()))?;
        Ok(Self {
            serial: serial_hex(certificate.tbs_certificate.raw_serial()),
            public_key,
        })
    }

    /// Parses the certificate from a PEM file, e.g. `apiclient_cert.pem`.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        Self::from_pem(&pem::read_file(path.as_ref(), WHAT)?)
    }

    /// The serial number (证书序列号), upper-case hex: what requests are signed under.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// Whether `public_key` (DER `RSAPublicKey`) is this certificate's key.
    pub(crate) fn has_key(&self, public_key: &[u8]) -> bool {
        self.public_key == public_key
    }

    /// The certificate key's modulus fingerprint (see [`modulus_fingerprint`]).
    pub(crate) fn key_fingerprint(&self) -> String {
        modulus_fingerprint(&self.public_key)
    }
}

/// A serial number as WeChat Pay writes it: the big-endian bytes of the number, without leading
/// zero bytes, two upper-case hex digits each (as the official Go SDK prints it).
fn serial_hex(raw: &[u8]) -> String {
    match upper_hex(raw) {
        digits if digits.is_empty() => "00".to_owned(),
        digits => digits,
    }
}

/// Big-endian bytes as upper-case hex, two digits a byte, leading zero bytes left out.
fn upper_hex(bytes: &[u8]) -> String {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes
        .get(start..)
        .unwrap_or_default()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

fn malformed(reason: impl ToString) -> ConfigError {
    ConfigError::Malformed {
        what: WHAT,
        reason: reason.to_string(),
        expected: EXPECTED,
    }
}

/// The first 16 hex digits of what `openssl x509 -noout -modulus -in apiclient_cert.pem | openssl
/// sha256` (or `openssl rsa -noout -modulus -in apiclient_key.pem | openssl sha256`) prints: the
/// SHA-256 of `Modulus=<upper-case hex>\n`. Two keys are one key pair when these are equal; they
/// say nothing about the private key.
pub(crate) fn modulus_fingerprint(rsa_public_key: &[u8]) -> String {
    let modulus = match RSAPublicKey::from_der(rsa_public_key) {
        Ok((_, key)) => key.modulus,
        Err(_) => return "unknown".to_owned(),
    };
    let hex = upper_hex(modulus);
    let line = format!("Modulus={hex}\n");
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, line.as_bytes());
    digest
        .as_ref()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl fmt::Debug for MerchantCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerchantCertificate")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_whole_bytes_in_upper_case_without_leading_zero_bytes() {
        assert_eq!(serial_hex(&[0x00, 0x0a, 0xbc]), "0ABC");
        assert_eq!(serial_hex(&[0x37, 0x75]), "3775");
        assert_eq!(serial_hex(&[0x00]), "00");
        assert_eq!(serial_hex(&[]), "00");
    }
}
