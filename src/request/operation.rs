//! What the generated code knows about each operation, for the layer that signs and sends it.

use super::query::QueryString;
use super::validate::InvalidParameter;

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
    /// For an operation that changes something, the merchant's number that identifies the
    /// request (商户单号, e.g. `out_order_no`): sent again with the same number, it is the same
    /// request. Named in an error after which WeChat Pay may have acted
    /// ([`Error::may_have_taken_effect`](crate::Error::may_have_taken_effect)).
    pub business_number: Option<&'static str>,
    /// The JSON pointers of the body's sensitive fields, `*` standing for every item of an array
    /// (e.g. `/receivers/*/receiver_name`): they travel encrypted.
    pub sensitive_fields: &'static [&'static str],
    /// The spec's example of a success answer (the doc page's 返回示例), as JSON text.
    pub example_answer: Option<&'static str>,
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
    pub code: crate::ErrorCode,
    /// The doc's advice, e.g. `请降低频率后重试`.
    pub solution: &'static str,
}

/// The metadata of a file download the spec describes (`x-file-downloads`, e.g. 下载账单,
/// `bills::DOWNLOAD_BILL`): a signed `GET` of a URL another call answered, whose answer is the
/// file, not signed. Generated; the download itself is [`Client::download_bill`](crate::Client).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileDownload {
    /// The spec's operation id, e.g. `downloadBill`.
    pub id: &'static str,
    /// The doc page's title, e.g. `下载账单`.
    pub summary: &'static str,
    /// The parameter that is the URL, e.g. `download_url`.
    pub url_parameter: &'static str,
    /// The longest URL the page allows, if it says.
    pub max_url_length: Option<usize>,
    /// The error answers the page documents.
    pub errors: &'static [DocumentedError],
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
