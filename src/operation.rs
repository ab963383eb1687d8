//! What the generated code knows about each operation, for the layer that signs and sends it.

use std::marker::PhantomData;

use crate::query::QueryString;
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
    /// The path, e.g. `/v3/ecommerce/profitsharing/orders`.
    pub path: &'static str,
    /// How the parameters travel.
    pub query_encoding: QueryEncoding,
    /// The error answers the spec lists, by status and code.
    pub errors: &'static [DocumentedError],
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocumentedError {
    /// The HTTP status, e.g. 404.
    pub status: u16,
    /// The error code, e.g. `RESOURCE_NOT_EXISTS`.
    pub code: &'static str,
    /// The doc's advice, e.g. `请降低频率后重试`.
    pub solution: &'static str,
}

/// A request type of one operation: the generated `…Request` structs implement it.
pub trait Request {
    /// The type a successful answer decodes into.
    type Response: serde::de::DeserializeOwned;

    /// The operation this request is for.
    const OPERATION: &'static Operation;

    /// Checks every parameter against the spec's rules.
    fn validate(&self) -> Result<(), InvalidParameter>;

    /// Appends the parameters to a query string, in the spec's order.
    fn write_query(&self, query: &mut QueryString);
}

/// A validated request, ready to be signed and sent.
///
/// [`path_and_query`](Self::path_and_query) is the one string that is both signed (as the canonical
/// URL of PROTOCOL.md section 1) and sent, so the two cannot disagree.
#[derive(Debug)]
pub struct PreparedRequest<R> {
    operation: &'static Operation,
    /// The base URL followed by the path and query; the path and query is the part from
    /// `path_start` on, so the two cannot differ.
    url: String,
    path_start: usize,
    response: PhantomData<fn() -> R>,
}

impl<R> PreparedRequest<R> {
    /// Validates `request` and builds its path and query.
    pub fn new<Q>(base_url: &str, request: &Q) -> Result<Self, InvalidParameter>
    where
        Q: Request<Response = R>,
    {
        request.validate()?;
        let operation = Q::OPERATION;
        let mut query = QueryString::new();
        request.write_query(&mut query);
        let query = query.finish();
        let base_url = base_url.trim_end_matches('/');
        let mut url =
            String::with_capacity(base_url.len() + operation.path.len() + 1 + query.len());
        url.push_str(base_url);
        url.push_str(operation.path);
        // No `?` without a query: a stray `?` changes the signed string.
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        Ok(Self {
            operation,
            url,
            path_start: base_url.len(),
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
}
