//! The APIv3 key (APIv3密钥): the merchant's 32-byte secret that decrypts platform certificates.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::config_error::{ConfigError, DecryptError};

/// The APIv3 key (APIv3密钥) set in the merchant platform: exactly 32 bytes.
///
/// Its `Debug` output is redacted, and its bytes are zeroed when it is dropped.
#[derive(Clone)]
pub struct ApiV3Key {
    key: [u8; 32],
}

impl Drop for ApiV3Key {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

/// The key is zeroed on drop (the `Drop` above): a promise callers can require in their bounds.
impl ZeroizeOnDrop for ApiV3Key {}

impl ApiV3Key {
    /// The key as set in the merchant platform: 32 characters, used as their UTF-8 bytes. Read it
    /// into a [`zeroize::Zeroizing`] string, so that your copy is zeroed too.
    pub fn new(key: &str) -> Result<Self, ConfigError> {
        let key: [u8; 32] = key
            .as_bytes()
            .try_into()
            .map_err(|_| ConfigError::ApiV3KeyLength { len: key.len() })?;
        Ok(Self { key })
    }

    /// Decrypts AEAD_AES_256_GCM as WeChat Pay uses it (PROTOCOL.md section 3): IV = the UTF-8
    /// bytes of `nonce` (12), AAD = those of `associated_data`, input = base64 of ciphertext ‖ tag.
    pub fn decrypt(
        &self,
        algorithm: &str,
        nonce: &str,
        associated_data: &str,
        ciphertext: &str,
    ) -> Result<Vec<u8>, DecryptError> {
        if algorithm != "AEAD_AES_256_GCM" {
            return Err(DecryptError::Algorithm(algorithm.to_owned()));
        }
        let nonce = Nonce::try_assume_unique_for_key(nonce.as_bytes())
            .map_err(|_| DecryptError::NonceLength(nonce.len()))?;
        let mut in_out = STANDARD
            .decode(ciphertext)
            .map_err(|_| DecryptError::Base64)?;
        let key =
            UnboundKey::new(&AES_256_GCM, &self.key).map_err(|_| DecryptError::Authentication)?;
        let plaintext = LessSafeKey::new(key)
            .open_in_place(nonce, Aad::from(associated_data.as_bytes()), &mut in_out)
            .map_err(|_| DecryptError::Authentication)?;
        Ok(plaintext.to_vec())
    }

    /// Encrypts as WeChat Pay does, returning base64 of ciphertext ‖ tag; `None` if the nonce is
    /// not 12 bytes. What the simulator serves `GET /v3/certificates` with.
    #[cfg(feature = "simulator")]
    pub(crate) fn encrypt(
        &self,
        nonce: &str,
        associated_data: &str,
        plaintext: &[u8],
    ) -> Option<String> {
        let nonce = Nonce::try_assume_unique_for_key(nonce.as_bytes()).ok()?;
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.key).ok()?);
        let mut in_out = plaintext.to_vec();
        key.seal_in_place_append_tag(nonce, Aad::from(associated_data.as_bytes()), &mut in_out)
            .ok()?;
        Some(STANDARD.encode(in_out))
    }
}

impl fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiV3Key(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_must_be_32_bytes() {
        assert!(ApiV3Key::new(&"k".repeat(32)).is_ok());
        for len in [0, 31, 33] {
            assert!(
                matches!(ApiV3Key::new(&"k".repeat(len)), Err(ConfigError::ApiV3KeyLength { len: l }) if l == len)
            );
        }
        // 16 characters of 2 bytes each: 32 bytes, as the API counts them.
        assert!(ApiV3Key::new(&"é".repeat(16)).is_ok());
    }

    #[test]
    fn debug_shows_no_key() {
        let key = ApiV3Key::new("0123456789abcdefghijklmnopqrstuv").unwrap();
        assert_eq!(format!("{key:?}"), "ApiV3Key(<redacted>)");
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let key = ApiV3Key::new(&"k".repeat(32)).unwrap();
        assert_eq!(
            key.decrypt("AEAD_AES_128_GCM", "123456789012", "", "AAAA"),
            Err(DecryptError::Algorithm("AEAD_AES_128_GCM".into()))
        );
        assert_eq!(
            key.decrypt("AEAD_AES_256_GCM", "short", "", "AAAA"),
            Err(DecryptError::NonceLength(5))
        );
        assert_eq!(
            key.decrypt("AEAD_AES_256_GCM", "123456789012", "", "***"),
            Err(DecryptError::Base64)
        );
        assert_eq!(
            key.decrypt("AEAD_AES_256_GCM", "123456789012", "", ""),
            Err(DecryptError::Authentication)
        );
    }
}
