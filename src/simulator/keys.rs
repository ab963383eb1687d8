//! The simulator's key material, generated at start: the merchant's key pair, the WeChat Pay public
//! key pair and a platform certificate. Test-only by construction: nothing here is a real key.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use rcgen::{
    CertificateParams, DistinguishedName, DnType, KeyPair as CertKeyPair, PKCS_RSA_SHA256,
    SerialNumber,
};
use rustls_pki_types::PrivatePkcs8KeyDer;

use super::SimulatorError;

/// A fresh RSA-2048 key pair as PEM: (private PKCS#8, public SubjectPublicKeyInfo).
pub(crate) fn rsa_key_pair() -> Result<(String, String), SimulatorError> {
    let key = rcgen_key()?;
    Ok((key.serialize_pem(), key.public_key_pem()))
}

fn rcgen_key() -> Result<CertKeyPair, SimulatorError> {
    let pair = KeyPair::generate(KeySize::Rsa2048)
        .map_err(|_| SimulatorError::Keys("RSA key generation failed".into()))?;
    let der: Pkcs8V1Der<'static> = pair
        .as_der()
        .map_err(|_| SimulatorError::Keys("PKCS#8 encoding failed".into()))?;
    let der = PrivatePkcs8KeyDer::from(der.as_ref().to_vec());
    CertKeyPair::from_pkcs8_der_and_sign_algo(&der, &PKCS_RSA_SHA256)
        .map_err(|e| SimulatorError::Keys(e.to_string()))
}

/// A self-signed platform certificate: its PEM, its private key's PEM and its serial in uppercase hex.
pub(crate) struct GeneratedCertificate {
    pub pem: String,
    pub private_key_pem: String,
    pub serial: String,
}

impl fmt::Debug for GeneratedCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedCertificate")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// A random 20-byte serial whose first byte is from 0x10 to 0x7F, so that it is positive and its
/// hex starts with another digit than zero.
pub(crate) fn random_serial() -> Result<[u8; 20], SimulatorError> {
    let mut serial = [0u8; 20];
    aws_lc_rs::rand::fill(&mut serial).map_err(|_| SimulatorError::Keys("no randomness".into()))?;
    if let Some(first) = serial.first_mut() {
        *first = 0x10 + *first % 0x70;
    }
    Ok(serial)
}

/// A 20-byte serial from its 40 hex digits, as WeChat Pay writes serials: positive (a first byte
/// under 0x80) and not zero.
pub(crate) fn parse_serial(hex: &str) -> Result<[u8; 20], SimulatorError> {
    let bad = || SimulatorError::Setting {
        setting: "platform certificate serial",
        why: "40 hex digits (20 bytes), the first byte from 01 to 7F",
    };
    let mut serial = [0u8; 20];
    if hex.len() != 40 || !hex.is_ascii() {
        return Err(bad());
    }
    for (byte, pair) in serial.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    match serial.first() {
        Some(0x01..=0x7F) => Ok(serial),
        _ => Err(bad()),
    }
}

/// A platform certificate valid from `not_before` to `not_after` (years), with this serial.
pub(crate) fn platform_certificate(
    serial: [u8; 20],
    not_before: i32,
    not_after: i32,
) -> Result<GeneratedCertificate, SimulatorError> {
    let key = rcgen_key()?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(
        DnType::CommonName,
        "Tenpay.com Root CA (wechatpay-ecommerce simulator, test only)",
    );
    params.distinguished_name = name;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.not_before = rcgen::date_time_ymd(not_before, 1, 1);
    params.not_after = rcgen::date_time_ymd(not_after, 1, 1);
    let certificate = params
        .self_signed(&key)
        .map_err(|e| SimulatorError::Keys(e.to_string()))?;
    let serial = serial.iter().map(|b| format!("{b:02X}")).collect();
    Ok(GeneratedCertificate {
        pem: certificate.pem(),
        private_key_pem: key.serialize_pem(),
        serial,
    })
}

/// The RSAES-OAEP decrypting half of a private key given as PKCS#8 PEM: what WeChat Pay decrypts
/// sensitive fields with.
pub(crate) fn decrypting_key(
    pem: &str,
) -> Result<aws_lc_rs::rsa::OaepPrivateDecryptingKey, SimulatorError> {
    use rustls_pki_types::pem::PemObject;
    let der = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| SimulatorError::Keys(e.to_string()))?;
    let key = aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(der.secret_pkcs8_der())
        .map_err(|e| SimulatorError::Keys(e.to_string()))?;
    aws_lc_rs::rsa::OaepPrivateDecryptingKey::new(key)
        .map_err(|_| SimulatorError::Keys("not an RSA key for OAEP".into()))
}
