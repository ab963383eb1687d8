//! A WeChat Pay API v3 client (微信支付 APIv3) for e-commerce platforms (电商收付通), starting
//! with the two profit-sharing queries:
//!
//! - [`Client::query_order`]: 查询分账结果, `GET /v3/ecommerce/profitsharing/orders`;
//! - [`Client::query_return_order`]: 查询分账回退结果, `GET /v3/ecommerce/profitsharing/returnorders`.
//!
//! The request and response types ([`operations`], [`types`]) are generated from the OpenAPI spec
//! in `schema/` by `cargo xtask codegen`; this crate's handwritten modules are what the generated
//! code runs on.
//!
//! ```
//! use wechatpay_v3::{Client, OrderReference, QueryReturnOrderRequest};
//!
//! let client = Client::new();
//! let request = QueryReturnOrderRequest::new(
//!     "1900000109",
//!     OrderReference::OutOrderNo("P20150806125346".into()),
//!     "R20190516001",
//! );
//! let prepared = client.query_return_order(&request)?;
//! assert_eq!(
//!     prepared.path_and_query(),
//!     "/v3/ecommerce/profitsharing/returnorders\
//!      ?sub_mchid=1900000109&out_order_no=P20150806125346&out_return_no=R20190516001"
//! );
//! # Ok::<(), wechatpay_v3::InvalidParameter>(())
//! ```
//!
//! A return order is found by exactly one of the WeChat Pay order id and the merchant's order
//! number (二选一). [`OrderReference`] holds one of them:
//!
//! ```
//! # use wechatpay_v3::{OrderReference, QueryReturnOrderRequest};
//! let one = QueryReturnOrderRequest {
//!     sub_mchid: "1900000109".into(),
//!     order: OrderReference::OrderId("3008450740201411110007820472".into()),
//!     out_return_no: "R20190516001".into(),
//! };
//! ```
//!
//! so a request with both cannot be written (the same literal, with both fields instead of `order`):
//!
//! ```compile_fail,E0560
//! # use wechatpay_v3::QueryReturnOrderRequest;
//! let both = QueryReturnOrderRequest {
//!     sub_mchid: "1900000109".into(),
//!     order_id: "3008450740201411110007820472".into(),
//!     out_order_no: "P20150806125346".into(),
//!     out_return_no: "R20190516001".into(),
//! };
//! ```
//!
//! nor one with neither:
//!
//! ```compile_fail,E0063
//! # use wechatpay_v3::QueryReturnOrderRequest;
//! let neither = QueryReturnOrderRequest {
//!     sub_mchid: "1900000109".into(),
//!     out_return_no: "R20190516001".into(),
//! };
//! ```
//!
//! Responses never fail on what WeChat Pay adds later: enum values this version does not know are
//! kept in an `Unknown` variant, unknown fields are ignored, and times keep their `+08:00` offset.

mod client;
mod one_or_many;
mod open_enum;
mod operation;
pub mod query;
pub mod validate;

#[cfg(test)]
mod golden_sample;

/// The data types of the spec: responses, their enums and the error body. Generated from
/// `schema/openapi.yaml`.
pub mod types {
    include!("../generated/types.rs");
}

/// The operations of the spec: request types, operation metadata and the [`Client`]
/// methods. Generated from `schema/openapi.yaml`.
pub mod operations {
    include!("../generated/operations.rs");
}

pub use client::{Client, DEFAULT_BASE_URL};
pub use operation::{DocumentedError, Operation, PreparedRequest, QueryEncoding, Request};
pub use operations::{OrderReference, QueryOrderRequest, QueryReturnOrderRequest};
pub use query::QueryString;
pub use types::{ErrorBody, ErrorCode, ProfitSharingOrder, ReturnOrder};
pub use validate::{InvalidParameter, ParameterRule};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
