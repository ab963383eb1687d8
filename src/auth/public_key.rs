//! The WeChat Pay public key (微信支付公钥) and its `PUB_KEY_ID_…` id.

use std::fmt;
use std::path::Path;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use rustls_pki_types::SubjectPublicKeyInfoDer;
use rustls_pki_types::pem::PemObject;

use crate::auth::encryption::EncryptionKey;
use crate::auth::pem;
use crate::config_error::ConfigError;

const WHAT: &str = "the WeChat Pay public key";
const EXPECTED: &str = "the WeChat Pay public key (微信支付公钥) downloaded from the merchant platform, \
                        pub_key.pem (PEM, BEGIN PUBLIC KEY, RSA 2048 bits or more)";

/// The prefix of every WeChat Pay public key id.
pub const PUBLIC_KEY_ID_PREFIX: &str = "PUB_KEY_ID_";

/// The WeChat Pay public key (微信支付公钥) with its id, e.g.
/// `PUB_KEY_ID_0114232806712025022800000000000001`: it verifies answers whose `Wechatpay-Serial` is
/// that id.
#[derive(Clone)]
pub struct WechatPayPublicKey {
    id: String,
    key: ParsedPublicKey,
    encryption: EncryptionKey,
}

impl WechatPayPublicKey {
    /// Loads the key from PEM text (`BEGIN PUBLIC KEY`) and its id.
    pub fn from_pem(id: impl Into<String>, pem: &str) -> Result<Self, ConfigError> {
        let id = id.into();
        if !id.starts_with(PUBLIC_KEY_ID_PREFIX) || id.len() == PUBLIC_KEY_ID_PREFIX.len() {
            return Err(ConfigError::PublicKeyId { id });
        }
        pem::expect_labels(pem, &["PUBLIC KEY"], WHAT, EXPECTED)?;
        let der = SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes()).map_err(|e| {
            ConfigError::Malformed {
                what: WHAT,
                reason: e.to_string(),
                expected: EXPECTED,
            }
        })?;
        let key = parse_rsa_public_key(der.as_ref(), WHAT, EXPECTED)?;
        let encryption =
            EncryptionKey::from_spki(&id, der.as_ref()).ok_or(ConfigError::NotRsa {
                what: WHAT,
                expected: EXPECTED,
            })?;
        Ok(Self {
            id,
            key,
            encryption,
        })
    }

    /// Loads the key from a PEM file, e.g. `pub_key.pem`, and its id.
    pub fn from_pem_file(
        id: impl Into<String>,
        path: impl AsRef<Path>,
    ) -> Result<Self, ConfigError> {
        Self::from_pem(id, &pem::read_file(path.as_ref(), WHAT)?)
    }

    /// The key's id, `PUB_KEY_ID_…`.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn key(&self) -> &ParsedPublicKey {
        &self.key
    }

    /// The key that encrypts sensitive fields, named by this key's id.
    pub fn encryption_key(&self) -> &EncryptionKey {
        &self.encryption
    }
}

#[cfg(feature = "simulator")]
/// Parses a PEM `BEGIN PUBLIC KEY` RSA key for SHA256withRSA verification.
pub(crate) fn parse_rsa_public_key_pem(
    pem: &str,
    what: &'static str,
    expected: &'static str,
) -> Result<ParsedPublicKey, ConfigError> {
    pem::expect_labels(pem, &["PUBLIC KEY"], what, expected)?;
    let der = SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes()).map_err(|e| {
        ConfigError::Malformed {
            what,
            reason: e.to_string(),
            expected,
        }
    })?;
    parse_rsa_public_key(der.as_ref(), what, expected)
}

/// Parses an RSA public key (SubjectPublicKeyInfo or PKCS#1 DER) for SHA256withRSA verification.
pub(crate) fn parse_rsa_public_key(
    der: &[u8],
    what: &'static str,
    expected: &'static str,
) -> Result<ParsedPublicKey, ConfigError> {
    ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der).map_err(|rejected| {
        match rejected.description_() {
            "TooSmall" => ConfigError::KeyTooSmall { what },
            "WrongAlgorithm" | "Unspecified" | "InvalidEncoding" => {
                ConfigError::NotRsa { what, expected }
            }
            reason => ConfigError::Malformed {
                what,
                reason: reason.to_owned(),
                expected,
            },
        }
    })
}

impl fmt::Debug for WechatPayPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatPayPublicKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl From<&WechatPayPublicKey> for EncryptionKey {
    fn from(key: &WechatPayPublicKey) -> Self {
        key.encryption_key().clone()
    }
}
