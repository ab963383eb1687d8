//! A request turned into what is sent: its path and query and its body, each built once, so that
//! what is signed is what is sent.

use std::marker::PhantomData;

use super::operation::{Operation, Request};
use super::query::QueryString;
use super::validate::InvalidParameter;
use crate::auth::encryption::{EncryptError, EncryptionKey, SealError, seal_body};

/// Why a request could not be prepared; nothing was sent. A client call reports the same reasons
/// as the [`Error`](crate::Error) variants of the same names.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrepareError {
    /// A field broke a rule of the spec.
    #[error(transparent)]
    InvalidRequest(#[from] InvalidParameter),
    /// A sensitive field could not be encrypted (no key, too long).
    #[error(transparent)]
    Encryption(#[from] EncryptError),
    /// The body could not be written as JSON.
    #[error("the request body could not be written as JSON: {source}")]
    InvalidBody {
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

/// A validated request, ready to be signed and sent: its URL and its body, each built once.
///
/// [`path_and_query`](Self::path_and_query) and [`body`](Self::body) are the strings that are both
/// signed (the canonical URL and the body line of PROTOCOL.md section 1) and sent, so the two
/// cannot disagree; a retry sends the same body, encrypted fields included.
#[derive(Debug)]
pub struct PreparedRequest<R> {
    operation: &'static Operation,
    /// The base URL followed by the operation's path and query; the path and query sent (and
    /// signed) is the part from `path_start` on, so the two cannot differ.
    url: String,
    /// Where the path begins: after the base URL's authority, so that a base URL with a path of
    /// its own (a gateway's prefix) has it in the path signed.
    path_start: usize,
    /// Where the operation's own path begins: after the whole base URL.
    operation_start: usize,
    body: String,
    encrypted_with: Option<String>,
    response: PhantomData<fn() -> R>,
}

impl<R> PreparedRequest<R> {
    /// Validates `request` and builds its URL and body. A request with a sensitive field needs
    /// [`with_encryption`](Self::with_encryption).
    ///
    /// `base_url` is used as it is given: give it as it is sent, percent-encoded (as
    /// `reqwest::Url` writes it; [`Client::prepare`](crate::Client::prepare) does), so that
    /// [`path_and_query`](Self::path_and_query) is what goes on the wire.
    pub fn new<Q>(base_url: &str, request: &Q) -> Result<Self, PrepareError>
    where
        Q: Request<Response = R>,
    {
        Self::with_encryption(base_url, request, None)
    }

    /// Validates `request` and builds its URL and body, its sensitive fields encrypted with `key`.
    ///
    /// # Errors
    ///
    /// [`PrepareError::InvalidRequest`] when a field breaks a rule of the spec;
    /// [`PrepareError::Encryption`] when a sensitive field cannot be encrypted (no key, too long).
    pub fn with_encryption<Q>(
        base_url: &str,
        request: &Q,
        key: Option<&EncryptionKey>,
    ) -> Result<Self, PrepareError>
    where
        Q: Request<Response = R>,
    {
        request.validate()?;
        Self::build(base_url, request, key)
    }

    /// Builds the URL and body of a request already validated.
    pub(crate) fn build<Q>(
        base_url: &str,
        request: &Q,
        key: Option<&EncryptionKey>,
    ) -> Result<Self, PrepareError>
    where
        Q: Request<Response = R>,
    {
        let operation = Q::OPERATION;
        let base_url = base_url.trim_end_matches('/');
        let mut url = String::with_capacity(base_url.len() + operation.path.len() + 64);
        url.push_str(base_url);
        request.write_path(&mut url);
        let mut query = QueryString::new();
        request.write_query(&mut query);
        let query = query.finish();
        // No `?` without a query: a stray `?` changes the signed string.
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        let (body, encrypted) = seal_body(key, || request.to_body()).map_err(|e| match e {
            SealError::Encrypt(error) => PrepareError::Encryption(error),
            SealError::Json(source) => PrepareError::InvalidBody { source },
        })?;
        Ok(Self {
            operation,
            url,
            path_start: path_offset(base_url),
            operation_start: base_url.len(),
            body,
            encrypted_with: key.filter(|_| encrypted).map(|k| k.serial().to_owned()),
            response: PhantomData,
        })
    }

    /// The operation's metadata.
    pub fn operation(&self) -> &'static Operation {
        self.operation
    }

    /// The HTTP method.
    pub fn method(&self) -> &http::Method {
        &self.operation.method
    }

    /// The path and query exactly as sent, e.g. `/v3/ecommerce/profitsharing/orders?sub_mchid=…`:
    /// the canonical URL of the signature. A base URL with a path of its own (a gateway in front
    /// of WeChat Pay, `https://gateway.example/wechatpay`) has that path in it too
    /// (`/wechatpay/v3/…`), since it is sent.
    pub fn path_and_query(&self) -> &str {
        self.url.get(self.path_start..).unwrap_or_default()
    }

    /// The operation's path and query, after the base URL (`/v3/…?…`): what goes on another
    /// host's base URL after a failover.
    pub(crate) fn operation_path_and_query(&self) -> &str {
        self.url.get(self.operation_start..).unwrap_or_default()
    }

    /// The full URL: the base URL followed by [`path_and_query`](Self::path_and_query).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The JSON body exactly as signed and sent (sensitive fields as their ciphertext); empty for
    /// an operation without a body.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The id of the key the sensitive fields were encrypted with (`Wechatpay-Serial`), if any was.
    pub fn encrypted_with(&self) -> Option<&str> {
        self.encrypted_with.as_deref()
    }
}

/// Where the path begins in a base URL `scheme://authority[/path]`: after the authority.
fn path_offset(base_url: &str) -> usize {
    let authority = base_url.find("://").map_or(0, |scheme| scheme + 3);
    base_url
        .get(authority..)
        .and_then(|rest| rest.find('/'))
        .map_or(base_url.len(), |slash| authority + slash)
}
