//! Turning an answer (status, headers, raw body) into a verified, decoded response or a typed
//! error. Pure and synchronous: the client runs it on every answer, and users who fetch answers
//! themselves can run it too.

use std::time::{Duration, SystemTime};

use http::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::VerifyError;
use crate::error::{ApiError, Error};
use crate::types::ErrorBody;
use crate::verify::{SignatureHeaders, Verified, Verifier};

/// A verified, decoded answer, with its HTTP status, `Request-ID`, headers and raw body.
#[derive(Clone, Debug)]
pub struct Response<T> {
    data: T,
    status: u16,
    request_id: Option<String>,
    verified: Verified,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl<T> Response<T> {
    /// The decoded answer.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The decoded answer, by value.
    pub fn into_data(self) -> T {
        self.data
    }

    /// The HTTP status, e.g. 200.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `Request-ID` header: what WeChat Pay support asks for.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Which key verified the answer.
    pub fn verified(&self) -> &Verified {
        &self.verified
    }

    /// The answer's headers, as received.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The answer's body, byte for byte as received and verified: what WeChat Pay signed, to
    /// archive, or to read fields this version's types do not have yet.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

impl<T> std::ops::Deref for Response<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

/// The `Request-ID` header of an answer.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `Retry-After` as delta-seconds (WeChat Pay's rate limits; HTTP dates are not used by it).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
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
pub fn decode_answer<T: DeserializeOwned>(
    verifier: &Verifier,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<Response<T>, Error> {
    let verified = verify_answer(verifier, status, headers, body, now)?;
    decode_verified(verified, status, headers.clone(), body.to_vec())
}

/// The first half of [`decode_answer`]: the key that verified a 2xx answer, or the error.
pub(crate) fn verify_answer(
    verifier: &Verifier,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<Verified, Error> {
    if !(200..300).contains(&status) {
        return Err(error_answer(verifier, status, headers, body, now));
    }
    SignatureHeaders::from_headers(headers)
        .and_then(|signature| verifier.verify_at(&signature, body, now))
        .map_err(|reason| verification_error(reason, status, headers, body))
}

/// The second half of [`decode_answer`]: a verified 2xx answer's body decoded into `T`.
pub(crate) fn decode_verified<T: DeserializeOwned>(
    verified: Verified,
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
) -> Result<Response<T>, Error> {
    // An answer without a body (204 No Content) decodes as JSON `null`: into `()` for an
    // operation that answers nothing, and into an error for one that should have answered.
    let json: &[u8] = if body.is_empty() { b"null" } else { &body };
    match serde_json::from_slice(json) {
        Ok(data) => Ok(Response {
            data,
            status,
            request_id: request_id(&headers),
            verified,
            headers,
            body,
        }),
        Err(source) => Err(Error::Decode {
            source,
            status,
            request_id: request_id(&headers),
            body: String::from_utf8_lossy(&body).into_owned(),
        }),
    }
}

/// The [`Error::Verification`] of an answer that did not verify; its body is kept for diagnosis.
pub(crate) fn verification_error(
    reason: VerifyError,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    Error::Verification {
        reason,
        status,
        request_id: request_id(headers),
        body: String::from_utf8_lossy(body).into_owned(),
    }
}

/// The error of a non-2xx answer: an [`Error::Api`], verified when its signature headers verify,
/// unverified when it has none or names a key `verifier` does not hold; an
/// [`Error::Verification`] when its signature is present but does not hold.
pub(crate) fn error_answer(
    verifier: &Verifier,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Error {
    if !SignatureHeaders::present(headers) {
        return api_error(status, headers, body, false);
    }
    let verification = |reason| verification_error(reason, status, headers, body);
    let signature = match SignatureHeaders::from_headers(headers) {
        Ok(signature) => signature,
        Err(reason) => return verification(reason),
    };
    match verifier.verify_at(&signature, body, now) {
        Ok(_) => api_error(status, headers, body, true),
        // Signed by a key this client does not hold (say, a platform certificate while it
        // verifies with the public key): the error cannot be proven, and is reported as
        // unverified, like an unsigned one, rather than hidden behind a verification failure.
        // A signature that does not match is still a verification failure.
        Err(VerifyError::UnknownSerial { .. }) => api_error(status, headers, body, false),
        Err(reason) => verification(reason),
    }
}

/// The [`Error::Api`] of an error answer whose verification is settled.
fn api_error(status: u16, headers: &HeaderMap, body: &[u8], verified: bool) -> Error {
    let (code, message, detail) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(parsed) => (Some(parsed.code), parsed.message, parsed.detail),
        Err(_) => (None, String::new(), None),
    };
    Error::Api(Box::new(ApiError {
        status,
        code,
        message,
        detail,
        request_id: request_id(headers),
        verified,
        body: String::from_utf8_lossy(body).into_owned(),
        retry_after: retry_after(headers),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::KeySource;

    fn verified() -> Verified {
        Verified {
            serial: "PUB_KEY_ID_0000".to_owned(),
            source: KeySource::PublicKey,
        }
    }

    #[test]
    fn an_answer_without_a_body_is_a_unit_and_not_an_object() {
        let answer: Response<()> =
            decode_verified(verified(), 204, HeaderMap::new(), Vec::new()).unwrap();
        assert_eq!(answer.status(), 204);
        let missing = decode_verified::<crate::types::ErrorBody>(
            verified(),
            204,
            HeaderMap::new(),
            Vec::new(),
        );
        assert!(matches!(missing, Err(Error::Decode { status: 204, .. })));
    }
}
