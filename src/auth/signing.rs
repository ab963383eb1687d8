//! Signing requests: `WECHATPAY2-SHA256-RSA2048` (PROTOCOL.md section 1).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::auth::merchant_key::{MerchantKey, SigningFailed};

/// The authorization scheme of WeChat Pay API v3.
pub const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

const NONCE_ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const NONCE_LEN: usize = 32;

/// Signs requests as one merchant: its `mchid`, its API certificate's serial number and its key.
///
/// `Debug` shows the merchant id and serial number, never the key.
pub struct RequestSigner {
    mchid: String,
    serial_no: String,
    key: MerchantKey,
}

/// What signing one request produced.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Authorization {
    /// The `Authorization` header's value: `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",…`.
    pub header: String,
    /// The Unix time, in seconds, that was signed.
    pub timestamp: u64,
    /// The 32-character nonce that was signed.
    pub nonce: String,
}

impl RequestSigner {
    /// The merchant private key it signs with.
    #[cfg_attr(not(feature = "bills"), allow(dead_code))]
    pub(crate) fn key(&self) -> &MerchantKey {
        &self.key
    }

    /// A signer for merchant `mchid`, whose API certificate has serial number `serial_no`
    /// (uppercase hex, as the merchant platform shows it).
    pub fn new(mchid: impl Into<String>, serial_no: impl Into<String>, key: MerchantKey) -> Self {
        Self {
            mchid: mchid.into(),
            serial_no: serial_no.into(),
            key,
        }
    }

    /// The merchant id.
    pub fn mchid(&self) -> &str {
        &self.mchid
    }

    /// Signs a request now, with a fresh nonce. `canonical_url` is the path and query exactly as
    /// sent; `body` is the exact body (empty for GET).
    pub fn authorize(
        &self,
        method: &str,
        canonical_url: &str,
        body: &str,
    ) -> Result<Authorization, SigningFailed> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.authorize_with(method, canonical_url, body, timestamp, &new_nonce()?)
    }

    /// Signs a request with the given timestamp and nonce (for tests and reproducible checks).
    pub fn authorize_with(
        &self,
        method: &str,
        canonical_url: &str,
        body: &str,
        timestamp: u64,
        nonce: &str,
    ) -> Result<Authorization, SigningFailed> {
        let message = signing_message(method, canonical_url, timestamp, nonce, body);
        let signature = self.key.sign(message.as_bytes())?;
        let header = format!(
            "{SCHEME} mchid=\"{}\",nonce_str=\"{nonce}\",timestamp=\"{timestamp}\",serial_no=\"{}\",signature=\"{signature}\"",
            self.mchid, self.serial_no
        );
        Ok(Authorization {
            header,
            timestamp,
            nonce: nonce.to_owned(),
        })
    }
}

impl fmt::Debug for RequestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestSigner")
            .field("mchid", &self.mchid)
            .field("serial_no", &self.serial_no)
            .field("key", &self.key)
            .finish()
    }
}

/// The message a request signature covers: five lines, each ending in `\n`.
pub fn signing_message(
    method: &str,
    canonical_url: &str,
    timestamp: u64,
    nonce: &str,
    body: &str,
) -> String {
    format!("{method}\n{canonical_url}\n{timestamp}\n{nonce}\n{body}\n")
}

/// A 32-character nonce of `[0-9A-Za-z]` from the operating system's CSPRNG.
///
/// Fails only if the system's random number generator does.
pub fn new_nonce() -> Result<String, SigningFailed> {
    let mut nonce = String::with_capacity(NONCE_LEN);
    let mut bytes = [0u8; 64];
    while nonce.len() < NONCE_LEN {
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| SigningFailed)?;
        // Rejection sampling keeps every character equally likely: 248 = 4 × 62.
        for byte in bytes.iter().filter(|b| **b < 248) {
            if let Some(c) = NONCE_ALPHABET.get(usize::from(*byte) % NONCE_ALPHABET.len()) {
                nonce.push(char::from(*c));
            }
            if nonce.len() == NONCE_LEN {
                break;
            }
        }
    }
    Ok(nonce)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_get_message_ends_with_an_empty_body_line() {
        assert_eq!(
            signing_message(
                "GET",
                "/v3/x?a=1",
                1554208460,
                "593BEC0C930BF1AFEB40B4A08C8FB242",
                ""
            ),
            "GET\n/v3/x?a=1\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
        );
    }

    #[test]
    fn nonces_are_32_alphanumerics_and_differ() {
        let nonces: std::collections::HashSet<String> =
            (0..1000).map(|_| new_nonce().unwrap()).collect();
        assert_eq!(nonces.len(), 1000);
        for nonce in &nonces {
            assert_eq!(nonce.len(), 32);
            assert!(nonce.bytes().all(|b| b.is_ascii_alphanumeric()), "{nonce}");
        }
        // Every character of the alphabet shows up across 32,000 draws (each has p ≈ 1/62).
        let seen: std::collections::HashSet<char> = nonces.iter().flat_map(|n| n.chars()).collect();
        assert_eq!(seen.len(), 62);
    }
}
