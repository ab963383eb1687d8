//! What the generated code knows about each operation, for the layer that signs and sends it.

use std::marker::PhantomData;

use crate::error::Error;
use crate::query::QueryString;
use crate::sensitive::{EncryptionKey, SealError, seal_body};
use crate::validate::InvalidParameter;

/// The metadata of one API operation, from the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The spec's `operationId`, e.g. `queryOrder`.
    pub id: &'static str,
    /// The Chinese title of the doc page, e.g. `查询分账结果`.
    pub summary: &'static str,
    /// The HTTP method.
    pub method: http::Method,
    /// The path template, e.g. `/v3/ecommerce/profitsharing/orders/{transaction_id}/amounts`:
    /// each `{name}` is one percent-encoded path segment.
    pub path: &'static str,
    /// How the parameters travel.
    pub query_encoding: QueryEncoding,
    /// The error answers the spec lists, by status and code.
    pub errors: &'static [DocumentedError],
    /// Whether the spec marks the operation idempotent (`x-idempotent`: the same request again
    /// is the same request, e.g. by the merchant's `out_order_no`). A GET or an idempotent
    /// operation is retried; any other only when the request certainly did not reach the server.
    pub idempotent: bool,
    /// The JSON pointers of the body's sensitive fields, `*` standing for every item of an array
    /// (e.g. `/receivers/*/receiver_name`): they travel encrypted.
    pub sensitive_fields: &'static [&'static str],
    /// The spec's example of a success answer (the doc page's 返回示例), as JSON text.
    pub example_answer: Option<&'static str>,
}

impl Operation {
    /// Whether a failed call may be sent again: always for a GET or an idempotent operation;
    /// otherwise only when the request certainly did not reach the server (the connection could
    /// not be made), since WeChat Pay might have acted on it.
    pub fn may_retry(&self, error: &Error) -> bool {
        if !error.is_retryable() {
            return false;
        }
        self.method == http::Method::GET
            || self.idempotent
            || matches!(
                error,
                Error::Transport {
                    kind: crate::TransportKind::Connect,
                    ..
                }
            )
    }
}

/// How an operation's parameters are put in the query string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryEncoding {
    /// OpenAPI's `style: form, explode: true`: `name=value` pairs joined by `&`, in the spec's
    /// order, absent optional parameters left out, every byte outside RFC 3986's unreserved set
    /// percent-encoded as UTF-8.
    FormRfc3986,
}

/// One error answer the spec documents for an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentedError {
    /// The HTTP status, e.g. 404.
    pub status: u16,
    /// The error code, e.g. [`ErrorCode::ResourceNotExists`](crate::ErrorCode::ResourceNotExists).
    pub code: crate::types::ErrorCode,
    /// The doc's advice, e.g. `请降低频率后重试`.
    pub solution: &'static str,
}

/// A request type of one operation: the generated `…Request` structs implement it.
pub trait Request {
    /// The type a successful answer decodes into.
    type Response: serde::de::DeserializeOwned;

    /// The operation this request is for.
    const OPERATION: &'static Operation;

    /// Checks every field against the spec's rules, nested ones too.
    fn validate(&self) -> Result<(), InvalidParameter>;

    /// Appends the path to `path`: the template's literal parts, and each `{name}` as one
    /// percent-encoded segment.
    fn write_path(&self, path: &mut String);

    /// Appends the query parameters to a query string, in the spec's order (none by default).
    fn write_query(&self, query: &mut QueryString) {
        let _ = query;
    }

    /// The JSON body; empty for an operation without one. Sensitive fields serialise only inside
    /// the client, which encrypts them (see [`crate::Sensitive`]).
    fn to_body(&self) -> Result<String, serde_json::Error> {
        Ok(String::new())
    }
}

/// A validated request, ready to be signed and sent: its URL and its body, each built once.
///
/// [`path_and_query`](Self::path_and_query) and [`body`](Self::body) are the strings that are both
/// signed (the canonical URL and the body line of PROTOCOL.md section 1) and sent, so the two
/// cannot disagree; a retry sends the same body, encrypted fields included.
#[derive(Debug)]
pub struct PreparedRequest<R> {
    operation: &'static Operation,
    /// The base URL followed by the path and query; the path and query is the part from
    /// `path_start` on, so the two cannot differ.
    url: String,
    path_start: usize,
    body: String,
    encrypted_with: Option<String>,
    response: PhantomData<fn() -> R>,
}

impl<R> PreparedRequest<R> {
    /// Validates `request` and builds its URL and body. A request with a sensitive field needs
    /// [`with_encryption`](Self::with_encryption).
    pub fn new<Q>(base_url: &str, request: &Q) -> Result<Self, Error>
    where
        Q: Request<Response = R>,
    {
        Self::with_encryption(base_url, request, None)
    }

    /// Validates `request` and builds its URL and body, its sensitive fields encrypted with `key`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] when a field breaks a rule of the spec;
    /// [`Error::Encryption`] when a sensitive field cannot be encrypted (no key, too long).
    pub fn with_encryption<Q>(
        base_url: &str,
        request: &Q,
        key: Option<&EncryptionKey>,
    ) -> Result<Self, Error>
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
    ) -> Result<Self, Error>
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
            SealError::Encrypt(error) => Error::Encryption(error),
            SealError::Json(source) => Error::InvalidBody { source },
        })?;
        Ok(Self {
            operation,
            url,
            path_start: base_url.len(),
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

    /// The path and query exactly as sent, e.g. `/v3/ecommerce/profitsharing/orders?sub_mchid=…`.
    pub fn path_and_query(&self) -> &str {
        self.url.get(self.path_start..).unwrap_or_default()
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
