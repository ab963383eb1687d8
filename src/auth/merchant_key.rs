//! The merchant's API private key (商户API私钥, `apiclient_key.pem`), which signs every request.

use std::fmt;
use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use zeroize::Zeroizing;

use crate::auth::pem;
use crate::config_error::ConfigError;

const WHAT: &str = "the merchant private key";
const EXPECTED: &str = "the merchant API private key, apiclient_key.pem from the merchant platform \
                        (PEM, BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY, RSA 2048 bits or more)";

/// The merchant's API private key (商户API私钥): an RSA key of 2048 bits or more, loaded once.
///
/// Its `Debug` output shows the key size only, never key material. The PEM text read from a file
/// and the decoded DER bytes are zeroed once parsed; the parsed key lives in aws-lc, whose
/// allocator zeroes its memory when it is freed (when the last clone of the client is dropped).
pub struct MerchantKey {
    key: RsaKeyPair,
    rng: SystemRandom,
    /// The same key, to decrypt what WeChat Pay encrypts for the merchant (a sub-merchant bill's
    /// `encrypt_key`); `None` if aws-lc would not take it for decryption.
    #[cfg(feature = "bills")]
    decrypting: Option<aws_lc_rs::rsa::OaepPrivateDecryptingKey>,
}

impl MerchantKey {
    /// Loads the key from PEM text: PKCS#8 (`BEGIN PRIVATE KEY`, as `apiclient_key.pem` comes) or
    /// PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<Self, ConfigError> {
        pem::expect_labels(
            pem,
            &["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"],
            WHAT,
            EXPECTED,
        )?;
        // The DER bytes are the key: zeroed when dropped, whatever happens below.
        let der = Zeroizing::new(PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|e| {
            ConfigError::Malformed {
                what: WHAT,
                reason: e.to_string(),
                expected: EXPECTED,
            }
        })?);
        let parsed = match &*der {
            PrivateKeyDer::Pkcs8(pkcs8) => RsaKeyPair::from_pkcs8(pkcs8.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(pkcs1) => RsaKeyPair::from_der(pkcs1.secret_pkcs1_der()),
            _ => {
                return Err(ConfigError::NotRsa {
                    what: WHAT,
                    expected: EXPECTED,
                });
            }
        };
        let key = parsed.map_err(|rejected| match rejected.description_() {
            "WrongAlgorithm" | "Unspecified" => ConfigError::NotRsa {
                what: WHAT,
                expected: EXPECTED,
            },
            "TooSmall" => ConfigError::KeyTooSmall { what: WHAT },
            reason => ConfigError::Malformed {
                what: WHAT,
                reason: reason.to_owned(),
                expected: EXPECTED,
            },
        })?;
        // aws-lc decrypts with a PKCS#8 key only: a PKCS#1 key is wrapped in one.
        #[cfg(feature = "bills")]
        let pkcs8 = match &*der {
            PrivateKeyDer::Pkcs8(pkcs8) => Zeroizing::new(pkcs8.secret_pkcs8_der().to_vec()),
            PrivateKeyDer::Pkcs1(pkcs1) => pkcs8_of_pkcs1(pkcs1.secret_pkcs1_der()),
            _ => Zeroizing::new(Vec::new()),
        };
        #[cfg(feature = "bills")]
        let decrypting = aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(&pkcs8)
            .ok()
            .and_then(|key| aws_lc_rs::rsa::OaepPrivateDecryptingKey::new(key).ok());
        Ok(Self {
            key,
            rng: SystemRandom::new(),
            #[cfg(feature = "bills")]
            decrypting,
        })
    }

    /// Decrypts what WeChat Pay encrypted for the merchant with RSAES-OAEP (SHA-1, MGF1-SHA-1),
    /// e.g. a sub-merchant bill's `encrypt_key`. `None` when it does not decrypt with this key.
    #[cfg(feature = "bills")]
    pub(crate) fn decrypt_oaep(&self, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let key = self.decrypting.as_ref()?;
        let mut plaintext = Zeroizing::new(vec![0; key.min_output_size()]);
        let len = key
            .decrypt(
                &aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1,
                ciphertext,
                &mut plaintext,
                None,
            )
            .ok()?
            .len();
        plaintext.truncate(len);
        Some(plaintext)
    }

    /// Loads the key from a PEM file, e.g. `apiclient_key.pem`. The text read is zeroed once the
    /// key is parsed.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let pem = Zeroizing::new(pem::read_file(path.as_ref(), WHAT)?);
        Self::from_pem(&pem)
    }

    /// The public half, DER `RSAPublicKey` (PKCS#1).
    pub(crate) fn public_key_der(&self) -> &[u8] {
        self.key.public_key().as_ref()
    }

    /// The key's size in bits.
    pub fn bits(&self) -> usize {
        self.key.public_modulus_len() * 8
    }

    /// Signs `message` with SHA256withRSA (RSASSA-PKCS1-v1_5), returning standard base64 with padding.
    ///
    /// Fails only if the crypto library reports an internal error.
    pub fn sign(&self, message: &[u8]) -> Result<String, SigningFailed> {
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut signature)
            .map_err(|_| SigningFailed)?;
        Ok(STANDARD.encode(signature))
    }
}

impl fmt::Debug for MerchantKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerchantKey")
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

/// A PKCS#1 `RSAPrivateKey` wrapped in a PKCS#8 `PrivateKeyInfo` (version 0, rsaEncryption).
#[cfg(feature = "bills")]
fn pkcs8_of_pkcs1(pkcs1: &[u8]) -> Zeroizing<Vec<u8>> {
    fn length(len: usize, out: &mut Vec<u8>) {
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            let significant = bytes.get(skip..).unwrap_or_default();
            out.push(0x80 | significant.len() as u8);
            out.extend_from_slice(significant);
        }
    }
    // INTEGER 0, then SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }.
    const PREFIX: [u8; 18] = [
        0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
        0x01, 0x05, 0x00,
    ];
    let mut octets = Zeroizing::new(vec![0x04]);
    length(pkcs1.len(), &mut octets);
    octets.extend_from_slice(pkcs1);
    let mut out = Zeroizing::new(vec![0x30]);
    length(PREFIX.len() + octets.len(), &mut out);
    out.extend_from_slice(&PREFIX);
    out.extend_from_slice(&octets);
    out
}

/// The crypto library could not sign or draw a nonce (an internal error of aws-lc-rs or of the
/// system's random number generator, not a problem of the input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the request could not be signed: aws-lc-rs or the system's random number generator reported \
     an internal error"
)]
pub struct SigningFailed;
