//! [`Response`]: a verified, decoded answer with its status, Request-ID, headers and raw body.

use http::HeaderMap;

use crate::auth::verify::Verified;

/// A verified, decoded answer, with its HTTP status, `Request-ID`, headers and raw body.
#[derive(Clone, Debug)]
pub struct Response<T> {
    pub(crate) data: T,
    pub(crate) status: u16,
    pub(crate) request_id: Option<String>,
    pub(crate) verified: Verified,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
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
