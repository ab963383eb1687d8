//! An answer, handled in one pass: its headers are read once when it arrives (the Request-ID, the
//! signature headers, `Retry-After`), then it is verified, then decoded. Pure and synchronous:
//! the client runs it on every answer, and users who fetch answers themselves can run it too
//! ([`decode_answer`]).

use std::time::{Duration, SystemTime};

use http::HeaderMap;
use serde::de::DeserializeOwned;

use super::response::Response;
use crate::ErrorBody;
use crate::auth::verify::{SignatureHeaders, Verified, Verifier, VerifyError};
use crate::error::{ApiError, Effect, Error};

/// An answer as received (status, headers, raw body) with what its headers say, read once.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
    /// The `Request-ID` header: what WeChat Pay support asks for.
    pub(crate) request_id: Option<String>,
    /// Whether any signature header is present (an answer with some but not all is signed, and
    /// fails verification).
    signed: bool,
    /// The signature headers, or why they cannot be read.
    signature: Result<OwnedSignature, VerifyError>,
}

/// The signature headers of an answer, owned so that they are read once.
struct OwnedSignature {
    timestamp: String,
    nonce: String,
    signature: String,
    serial: String,
    signature_type: Option<String>,
}

impl OwnedSignature {
    fn read(headers: &HeaderMap) -> Result<Self, VerifyError> {
        let read = SignatureHeaders::from_headers(headers)?;
        Ok(Self {
            timestamp: read.timestamp.to_owned(),
            nonce: read.nonce.to_owned(),
            signature: read.signature.to_owned(),
            serial: read.serial.to_owned(),
            signature_type: read.signature_type.map(str::to_owned),
        })
    }

    fn headers(&self) -> SignatureHeaders<'_> {
        SignatureHeaders {
            timestamp: &self.timestamp,
            nonce: &self.nonce,
            signature: &self.signature,
            serial: &self.serial,
            signature_type: self.signature_type.as_deref(),
        }
    }
}

impl Answer {
    /// Reads the answer's headers, once.
    pub(crate) fn new(status: u16, headers: HeaderMap, body: Vec<u8>) -> Self {
        Self {
            status,
            request_id: request_id(&headers),
            signed: SignatureHeaders::present(&headers),
            signature: OwnedSignature::read(&headers),
            headers,
            body,
        }
    }

    /// Whether the status is 2xx.
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Verifies the answer at `now`: a 2xx answer must carry WeChat Pay's signature headers and
    /// they must verify with `verifier`; any other answer is its error (see [`Answer::error`]).
    pub(crate) fn verify(&self, verifier: &Verifier, now: SystemTime) -> Result<Verified, Error> {
        if !self.is_success() {
            return Err(self.error(verifier, now));
        }
        self.verify_signature(verifier, now)
    }

    /// Verifies the signature alone, whatever the status.
    pub(crate) fn verify_signature(
        &self,
        verifier: &Verifier,
        now: SystemTime,
    ) -> Result<Verified, Error> {
        let signature = self
            .signature
            .as_ref()
            .map_err(|reason| self.verification_error(reason.clone()))?;
        verifier
            .verify_at(&signature.headers(), &self.body, now)
            .map_err(|reason| self.verification_error(reason))
    }

    /// Decodes a verified 2xx answer's body into `T`. An answer without a body (204 No Content)
    /// decodes as JSON `null`: into `()` for an operation that answers nothing, and into an error
    /// for one that should have answered.
    pub(crate) fn decode<T: DeserializeOwned>(
        self,
        verified: Verified,
    ) -> Result<Response<T>, Error> {
        let json: &[u8] = if self.body.is_empty() {
            b"null"
        } else {
            &self.body
        };
        match serde_json::from_slice(json) {
            Ok(data) => Ok(Response {
                data,
                status: self.status,
                request_id: self.request_id,
                verified,
                headers: self.headers,
                body: self.body,
            }),
            Err(source) => Err(self.decode_error(source)),
        }
    }

    /// The [`Error::Decode`] of a body that is not what was expected; the body is kept.
    pub(crate) fn decode_error(&self, source: serde_json::Error) -> Error {
        Error::Decode {
            source,
            status: self.status,
            request_id: self.request_id.clone(),
            body: String::from_utf8_lossy(&self.body).into_owned(),
            effect: Effect::None,
        }
    }

    /// The [`Error::Verification`] of an answer that did not verify; its body is kept.
    fn verification_error(&self, reason: VerifyError) -> Error {
        Error::Verification {
            reason,
            status: self.status,
            request_id: self.request_id.clone(),
            body: String::from_utf8_lossy(&self.body).into_owned(),
            effect: Effect::None,
        }
    }

    /// The error of a non-2xx answer: an [`Error::Api`], verified when its signature headers
    /// verify, unverified when it has none or names a key `verifier` does not hold; an
    /// [`Error::Verification`] when its signature is present but does not hold.
    pub(crate) fn error(&self, verifier: &Verifier, now: SystemTime) -> Error {
        if !self.signed {
            return self.api_error(false);
        }
        let signature = match &self.signature {
            Ok(signature) => signature,
            Err(reason) => return self.verification_error(reason.clone()),
        };
        match verifier.verify_at(&signature.headers(), &self.body, now) {
            Ok(_) => self.api_error(true),
            // Signed by a key this client does not hold (say, a platform certificate while it
            // verifies with the public key): the error cannot be proven, and is reported as
            // unverified, like an unsigned one, rather than hidden behind a verification
            // failure. A signature that does not match is still a verification failure.
            Err(VerifyError::UnknownSerial { .. } | VerifyError::PublicKeyNotConfigured { .. }) => {
                self.api_error(false)
            }
            Err(reason) => self.verification_error(reason),
        }
    }

    /// The [`Error::Api`] of an error answer whose verification is settled.
    fn api_error(&self, verified: bool) -> Error {
        let (code, message, detail) = match serde_json::from_slice::<ErrorBody>(&self.body) {
            Ok(parsed) => (Some(parsed.code), parsed.message, parsed.detail),
            Err(_) => (None, String::new(), None),
        };
        Error::Api(Box::new(ApiError {
            status: self.status,
            code,
            message,
            detail,
            request_id: self.request_id.clone(),
            verified,
            body: String::from_utf8_lossy(&self.body).into_owned(),
            retry_after: retry_after(&self.headers),
            effect: Effect::None,
        }))
    }
}

/// The `Request-ID` header: read when an answer arrives (or, for one too large to read, when
/// its error is made).
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The longest `Retry-After` taken as it is: a day. A longer one (a proxy's, or garbage such as
/// `18446744073709551615`) is read as a day, before anything adds it to a time. A wait that would
/// end past the call's total deadline (30 s by default) is not waited: the call returns its error
/// at once.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// `Retry-After` as delta-seconds (WeChat Pay's rate limits; HTTP dates are not used by it),
/// capped at [`MAX_RETRY_AFTER`] before anything adds it to a time.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// Verifies and decodes an answer of WeChat Pay, at `now`:
///
/// - a 2xx answer must carry WeChat Pay's signature headers and they must verify with `verifier`,
///   then its body must decode into `T`;
/// - any other answer is an [`Error::Api`], verified when it carries signature headers that
///   verify, unverified when it carries none or names a key `verifier` does not hold (a signature
///   that does not match is an [`Error::Verification`]), with its error body decoded when it is
///   WeChat Pay's JSON and kept raw either way.
///
/// Never panics, whatever the status, headers and body.
///
/// It does not know the request, so its errors say nothing of whether WeChat Pay acted on it
/// ([`Effect::None`]): that is the caller's to judge. A 2xx answer that did not verify or decode
/// to a request that changes something means that WeChat Pay may well have acted.
pub fn decode_answer<T: DeserializeOwned>(
    verifier: &Verifier,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<Response<T>, Error> {
    let answer = Answer::new(status, headers.clone(), body.to_vec());
    let verified = answer.verify(verifier, now)?;
    answer.decode(verified)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::verify::KeySource;

    fn verified() -> Verified {
        Verified {
            serial: "PUB_KEY_ID_0000".to_owned(),
            source: KeySource::PublicKey,
        }
    }

    #[test]
    fn an_answer_without_a_body_is_a_unit_and_not_an_object() {
        let answer: Response<()> = Answer::new(204, HeaderMap::new(), Vec::new())
            .decode(verified())
            .unwrap();
        assert_eq!(answer.status(), 204);
        let missing =
            Answer::new(204, HeaderMap::new(), Vec::new()).decode::<crate::ErrorBody>(verified());
        assert!(matches!(missing, Err(Error::Decode { status: 204, .. })));
    }

    #[test]
    fn the_request_id_and_signature_headers_are_read_when_the_answer_arrives() {
        let mut headers = HeaderMap::new();
        headers.insert("request-id", http::HeaderValue::from_static("08F1-1"));
        headers.insert(
            "wechatpay-serial",
            http::HeaderValue::from_static("PUB_KEY_ID_1"),
        );
        let answer = Answer::new(500, headers, b"{}".to_vec());
        assert_eq!(answer.request_id.as_deref(), Some("08F1-1"));
        assert!(answer.signed);
        // Some signature headers but not all: signed, and unreadable.
        assert!(matches!(
            answer.signature,
            Err(VerifyError::MissingHeader("Wechatpay-Timestamp"))
        ));
    }
}
