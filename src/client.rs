//! The client the generated operation methods hang off.

/// The production host of WeChat Pay API v3.
pub const DEFAULT_BASE_URL: &str = "https://api.mch.weixin.qq.com";

/// A WeChat Pay API v3 client.
///
/// Each operation of the spec is a method, e.g. [`Client::query_order`] (查询分账结果) and
/// [`Client::query_return_order`] (查询分账回退结果). For now a method validates its request and
/// builds it ([`PreparedRequest`](crate::PreparedRequest)); signing, sending and verifying arrive
/// with the security layer.
#[derive(Clone, Debug)]
pub struct Client {
    base_url: String,
}

impl Client {
    /// A client for the production host, [`DEFAULT_BASE_URL`].
    pub fn new() -> Self {
        Self::with_base_url(DEFAULT_BASE_URL)
    }

    /// A client for another host, e.g. a simulator on loopback. A trailing `/` is ignored.
    pub fn with_base_url(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Validates a request and builds its URL; what each generated operation method calls.
    pub fn prepare<Q: crate::Request>(
        &self,
        request: &Q,
    ) -> Result<crate::PreparedRequest<Q::Response>, crate::InvalidParameter> {
        crate::PreparedRequest::new(&self.base_url, request)
    }
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}
