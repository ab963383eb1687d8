//! Sensitive fields (敏感信息): the plaintext a caller gives, and its encryption just before sending.
//!
//! WeChat Pay wants fields such as a receiver's real name encrypted with RSAES-OAEP (SHA-1, MGF1
//! with SHA-1, no label), base64-encoded, under the WeChat Pay public key or a platform
//! certificate, which the request's `Wechatpay-Serial` names (PROTOCOL.md section 7). A generated
//! request holds such a field as [`Sensitive`]; the client serialises the body once, inside
//! [`seal_body`], where each `Sensitive` becomes its ciphertext. Serialised anywhere else, a
//! `Sensitive` is an error: its plaintext never reaches a body, a log or an error message.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use aws_lc_rs::rsa::{OAEP_SHA1_MGF1SHA1, OaepPublicEncryptingKey, PublicEncryptingKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// The plaintext of a sensitive field (敏感信息), e.g. the real name of a receiver of a split.
///
/// `Debug` never shows it, and it is zeroed when dropped. The client encrypts it just before
/// sending; serialised outside the client (e.g. `serde_json::to_string(&request)`), it is an error
/// rather than the plaintext. Decoded (by [`serde::Deserialize`]), it takes the string as its
/// plaintext.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive(Zeroizing<String>);

impl Sensitive {
    /// A sensitive field holding `plaintext`.
    pub fn new(plaintext: impl Into<String>) -> Self {
        Self(Zeroizing::new(plaintext.into()))
    }

    /// The plaintext.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Sensitive {
    fn from(plaintext: String) -> Self {
        Self::new(plaintext)
    }
}

impl From<&str> for Sensitive {
    fn from(plaintext: &str) -> Self {
        Self::new(plaintext)
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

impl serde::Serialize for Sensitive {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let sealed = SEALING.with(|sealing| {
            let mut sealing = sealing.borrow_mut();
            let Some(sealing) = sealing.as_mut() else {
                return Err(EncryptError::OutsideTheClient);
            };
            if sealing.plain {
                return Ok(self.expose().to_owned());
            }
            let result = match &sealing.key {
                Some(key) => key.encrypt(self.expose()),
                None => Err(EncryptError::NoKey),
            };
            match result {
                Ok(ciphertext) => {
                    sealing.used = true;
                    Ok(ciphertext)
                }
                Err(error) => {
                    sealing.error.get_or_insert(error.clone());
                    Err(error)
                }
            }
        });
        match sealed {
            Ok(ciphertext) => serializer.serialize_str(&ciphertext),
            // The message names no plaintext.
            Err(error) => Err(S::Error::custom(error)),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Sensitive {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

/// A public key that encrypts sensitive fields: the WeChat Pay public key or a platform
/// certificate's, with the id `Wechatpay-Serial` must name when it is used.
#[derive(Clone)]
pub struct EncryptionKey {
    serial: String,
    key: Arc<OaepPublicEncryptingKey>,
}

impl EncryptionKey {
    /// The key in an X.509 `SubjectPublicKeyInfo` (DER), named `serial`.
    pub(crate) fn from_spki(serial: &str, der: &[u8]) -> Option<Self> {
        let key = PublicEncryptingKey::from_der(der).ok()?;
        Some(Self {
            serial: serial.to_owned(),
            key: Arc::new(OaepPublicEncryptingKey::new(key).ok()?),
        })
    }

    /// The same key, named `serial`.
    pub(crate) fn named(mut self, serial: &str) -> Self {
        self.serial = serial.to_owned();
        self
    }

    /// The id to send in `Wechatpay-Serial` with a request whose fields it encrypted: the public
    /// key's `PUB_KEY_ID_…` or the certificate's serial.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The most bytes of plaintext one field may hold (214 with a 2048-bit key).
    pub fn max_plaintext_len(&self) -> usize {
        self.key.max_plaintext_size(&OAEP_SHA1_MGF1SHA1)
    }

    /// Encrypts one field's plaintext: RSAES-OAEP with SHA-1 and MGF1-SHA-1, no label, then
    /// base64 (standard alphabet, padded), as WeChat Pay specifies. Randomised: two encryptions of
    /// one plaintext differ, and both decrypt to it.
    ///
    /// # Errors
    ///
    /// [`EncryptError::TooLong`] when the plaintext exceeds [`max_plaintext_len`](Self::max_plaintext_len);
    /// [`EncryptError::Failed`] if the cryptographic library fails.
    pub fn encrypt(&self, plaintext: &str) -> Result<String, EncryptError> {
        self.encrypt_bytes(plaintext.as_bytes())
    }

    /// [`encrypt`](Self::encrypt) of bytes (the simulator's key of a sub-merchant bill).
    pub(crate) fn encrypt_bytes(&self, plaintext: &[u8]) -> Result<String, EncryptError> {
        let max = self.max_plaintext_len();
        if plaintext.len() > max {
            return Err(EncryptError::TooLong {
                max,
                actual: plaintext.len(),
            });
        }
        let mut out = vec![0u8; self.key.ciphertext_size()];
        let ciphertext = self
            .key
            .encrypt(&OAEP_SHA1_MGF1SHA1, plaintext, &mut out, None)
            .map_err(|_| EncryptError::Failed)?;
        Ok(STANDARD.encode(ciphertext))
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// The sealing in progress on this thread: set by [`seal_body`] for one serialisation.
struct Sealing {
    key: Option<EncryptionKey>,
    /// Writes each plaintext as it is (the simulator's own data file), instead of encrypting it.
    plain: bool,
    used: bool,
    error: Option<EncryptError>,
}

thread_local! {
    static SEALING: RefCell<Option<Sealing>> = const { RefCell::new(None) };
}

/// Puts back the sealing that was in progress before (none, or an outer one when sealings nest)
/// when a serialisation ends, however it ends.
struct Restore(Option<Sealing>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        SEALING.with(|sealing| *sealing.borrow_mut() = previous);
    }
}

/// Serialises a body with `write`, each [`Sensitive`] in it encrypted with `key`. Returns what
/// `write` returned and whether a field was encrypted (then `Wechatpay-Serial` must name `key`).
/// A sealing inside another (a body serialised while one is) has its own key and record, and the
/// outer one continues as it was when the inner one ends.
pub(crate) fn seal_body<T>(
    key: Option<&EncryptionKey>,
    write: impl FnOnce() -> Result<T, serde_json::Error>,
) -> Result<(T, bool), SealError> {
    let previous = SEALING.with(|sealing| {
        sealing.replace(Some(Sealing {
            key: key.cloned(),
            plain: false,
            used: false,
            error: None,
        }))
    });
    let _restore = Restore(previous);
    let written = write();
    let (used, error) = SEALING.with(|sealing| {
        sealing
            .borrow_mut()
            .take()
            .map_or((false, None), |s| (s.used, s.error))
    });
    match (written, error) {
        (_, Some(error)) => Err(SealError::Encrypt(error)),
        (Ok(value), None) => Ok((value, used)),
        (Err(error), None) => Err(SealError::Json(error)),
    }
}

/// Runs `write` with each [`Sensitive`] it serialises written as its plaintext: only for the
/// simulator's data file (`--data`), which holds the test data requests sent, next to the
/// sandbox's own test keys that would decrypt them anyway.
#[cfg(feature = "simulator-data")]
pub(crate) fn with_plaintext<T>(write: impl FnOnce() -> T) -> T {
    let previous = SEALING.with(|sealing| {
        sealing.replace(Some(Sealing {
            key: None,
            plain: true,
            used: false,
            error: None,
        }))
    });
    let _restore = Restore(previous);
    write()
}

/// Why a body could not be written.
#[derive(Debug)]
pub(crate) enum SealError {
    Encrypt(EncryptError),
    Json(serde_json::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_plaintext() {
        let name = Sensitive::new("张三");
        assert_eq!(format!("{name:?}"), "Sensitive(<redacted>)");
        assert_eq!(format!("{:?}", Some(&name)), "Some(Sensitive(<redacted>))");
        assert_eq!(name.expose(), "张三");
    }

    #[test]
    fn outside_the_client_a_sensitive_field_does_not_serialise() {
        let error = serde_json::to_string(&Sensitive::new("张三")).unwrap_err();
        assert!(!error.to_string().contains("张三"), "{error}");
        assert!(error.to_string().contains("client"), "{error}");
    }

    #[test]
    fn without_a_key_sealing_fails_and_clears_itself() {
        let error = seal_body(None, || serde_json::to_vec(&Sensitive::new("张三"))).unwrap_err();
        assert!(matches!(error, SealError::Encrypt(EncryptError::NoKey)));
        // The next serialisation on this thread is outside the client again.
        assert!(serde_json::to_string(&Sensitive::new("x")).is_err());
        // A body without a sensitive field needs no key.
        let (body, used) = seal_body(None, || serde_json::to_vec(&"plain")).unwrap();
        assert_eq!((body.as_slice(), used), (&b"\"plain\""[..], false));
    }

    #[test]
    fn a_sealing_inside_another_leaves_the_outer_one_as_it_was() {
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::rsa::{KeySize, OaepPrivateDecryptingKey, PrivateDecryptingKey};

        let pair = |serial: &str| {
            let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
            let der = private.public_key().as_der().unwrap();
            let key = EncryptionKey::from_spki(serial, der.as_ref()).unwrap();
            (key, OaepPrivateDecryptingKey::new(private).unwrap())
        };
        let ((outer_key, outer), (inner_key, inner)) = (pair("OUTER"), pair("INNER"));
        let decrypt = |key: &OaepPrivateDecryptingKey, json: &str| {
            let sealed: String = serde_json::from_str(json).unwrap();
            let sealed = STANDARD.decode(sealed).unwrap();
            let mut out = vec![0u8; key.min_output_size()];
            key.decrypt(&OAEP_SHA1_MGF1SHA1, &sealed, &mut out, None)
                .map(|plaintext| String::from_utf8(plaintext.to_vec()).unwrap())
                .ok()
        };
        let ((nested, before, after), outer_used) = seal_body(Some(&outer_key), || {
            let before = serde_json::to_string(&Sensitive::new("外一"))?;
            // A body serialised while this one is: its own key, its own record.
            let (nested, nested_used) = seal_body(Some(&inner_key), || {
                serde_json::to_string(&Sensitive::new("内"))
            })
            .map_err(|_| serde::ser::Error::custom("the inner sealing failed"))?;
            assert!(nested_used);
            // The outer sealing goes on as it was: inside the client, with its own key.
            let after = serde_json::to_string(&Sensitive::new("外二"))?;
            Ok((nested, before, after))
        })
        .unwrap();
        assert!(outer_used);
        assert_eq!(decrypt(&outer, &before).as_deref(), Some("外一"));
        assert_eq!(decrypt(&inner, &nested).as_deref(), Some("内"));
        assert_eq!(decrypt(&outer, &after).as_deref(), Some("外二"));
        assert_eq!(decrypt(&inner, &after), None, "not the inner key");
        // Outside both, a sensitive field does not serialise again.
        assert!(serde_json::to_string(&Sensitive::new("x")).is_err());
    }

    #[test]
    fn decoding_takes_the_string_as_plaintext() {
        let name: Sensitive = serde_json::from_str("\"张三\"").unwrap();
        assert_eq!(name.expose(), "张三");
    }
}

/// Why a sensitive field (敏感信息) could not be encrypted. The message never holds the plaintext.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncryptError {
    /// There is no key to encrypt with: neither the WeChat Pay public key nor a valid platform
    /// certificate.
    #[error(
        "a sensitive field needs a key to be encrypted with: configure the WeChat Pay public key \
         (ClientBuilder::wechatpay_public_key), or the APIv3 key so that platform certificates are \
         downloaded, and make sure one of them is valid now"
    )]
    NoKey,
    /// The plaintext is longer than RSAES-OAEP can encrypt with the key.
    #[error(
        "a sensitive field is {actual} bytes long; RSAES-OAEP with this key encrypts at most {max}"
    )]
    TooLong {
        /// The most bytes the key can encrypt.
        max: usize,
        /// The plaintext's length in bytes.
        actual: usize,
    },
    /// The cryptographic library failed.
    #[error("aws-lc-rs could not encrypt a sensitive field (an internal error)")]
    Failed,
    /// A [`Sensitive`](crate::Sensitive) was serialised outside the client, which alone encrypts
    /// it.
    #[error(
        "a sensitive field is only serialised encrypted, by the client: send the request with its \
         method, or encrypt the field yourself with EncryptionKey::encrypt"
    )]
    OutsideTheClient,
}
