//! A WeChat Pay API v3 client (微信支付 APIv3) for e-commerce platforms (电商收付通): what a
//! marketplace's money does after payment, organised as the docs organise the product, a module
//! and a handle on the [`Client`] per family:
//!
//! - [`profit_sharing`] (分账), `client.profit_sharing()`: split a paid order
//!   ([`create_order`](profit_sharing::ProfitSharing::create_order), 请求分账), return a share
//!   (`create_return_order`), finish (`finish_order`), split an after-sales fee
//!   (`create_after_sales_order`), query each of them, the amount left to split, and the receivers;
//! - [`refunds`] (退款), `client.refunds()`: refund a paid order
//!   ([`apply`](refunds::Refunds::apply), 申请退款), query it by either number, return the platform's
//!   advance (`return_advance`, 垫付回补), send an abnormal refund to a bank card;
//! - [`subsidies`] (补差), `client.subsidies()`: top up an order
//!   ([`create`](subsidies::Subsidies::create), 请求补差), take it back (`return_subsidy`), cancel it.
//!
//! Each family is a Cargo feature of its name (`profit-sharing`, `refunds`, `subsidies`, all on by
//! default); [`common`] holds what they share. The notifications WeChat Pay sends when money moved
//! (分账动账通知, 退款结果通知) share one envelope: [`Client::decode_notification`] verifies,
//! decrypts and decodes any of them, and [`NotificationAnswer`] is the answer to send back.
//!
//! The families' types and operations are generated from the OpenAPI spec in `schema/` by `cargo
//! xtask codegen`; this crate's handwritten modules are what the generated code runs on.
//!
//! Every call is validated against the spec, signed with the merchant's key
//! (`WECHATPAY2-SHA256-RSA2048`), sent, and its answer is used only once WeChat Pay's signature on
//! it verifies, with the WeChat Pay public key (微信支付公钥), platform certificates (平台证书), or both.
//!
//! ```no_run
//! use wechatpay_ecommerce::profit_sharing::{OrderReference, QueryReturnOrderRequest};
//! use wechatpay_ecommerce::refunds::QueryRefundByOutRefundNoRequest;
//! use wechatpay_ecommerce::{Client, MerchantKey, WechatPayPublicKey};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder()
//!     .merchant("1900000001", "3775B6A45ACD588826D15E583A95F5DD********", MerchantKey::from_pem_file("apiclient_key.pem")?)
//!     .wechatpay_public_key(WechatPayPublicKey::from_pem_file("PUB_KEY_ID_0114232806712025022800000000000001", "pub_key.pem")?)
//!     .build()?;
//! let request = QueryReturnOrderRequest::builder()
//!     .sub_mchid("1900000109")
//!     .order(OrderReference::OutOrderNo("P20150806125346".into()))
//!     .out_return_no("R20190516001")
//!     .build()?;
//! let answer = client.profit_sharing().query_return_order(&request).await?;
//! println!("{:?} (Request-ID {:?})", answer.result, answer.request_id());
//!
//! let refund = QueryRefundByOutRefundNoRequest::builder()
//!     .sub_mchid("1900000109")
//!     .out_refund_no("R20190516002")
//!     .build()?;
//! let refund = client.refunds().query_by_out_refund_no(&refund).await?;
//! println!("{:?}", refund.status);
//! # Ok(())
//! # }
//! ```
//!
//! A return order is found by exactly one of the WeChat Pay order id and the merchant's order
//! number (二选一). [`OrderReference`](profit_sharing::OrderReference) holds one of them:
//!
//! ```
//! # use wechatpay_ecommerce::profit_sharing::{OrderReference, QueryReturnOrderRequest};
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
//! # use wechatpay_ecommerce::profit_sharing::QueryReturnOrderRequest;
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
//! # use wechatpay_ecommerce::profit_sharing::QueryReturnOrderRequest;
//! let neither = QueryReturnOrderRequest {
//!     sub_mchid: "1900000109".into(),
//!     out_return_no: "R20190516001".into(),
//! };
//! ```
//!
//! Responses never fail on what WeChat Pay adds later: enum values this version does not know are
//! kept in an `Unknown` variant, unknown fields are ignored, and times keep their `+08:00` offset.

#![cfg_attr(docsrs, feature(doc_cfg))]

// The runtime half of the pipeline, by layer: the request side, the auth side (keys, signing,
// verification, certificates, encryption), the transport (client, attempts, answers), the
// notifications, and what the generated code calls. `lib.rs` only declares and re-exports.
mod auth;
#[cfg(feature = "bills")]
mod bill_file;
mod config_error;
mod error;
mod notification;
mod request;
#[cfg(feature = "simulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "simulator")))]
pub mod simulator;
mod support;
mod transport;

/// What the generated code calls besides the public API: not part of the API, it may change in
/// any release. Public (and hidden) so that the generator's golden output compiles outside the
/// crate too.
#[doc(hidden)]
pub mod __generated {
    pub use crate::__open_enum as open_enum;
    pub use crate::__request_builder as request_builder;
    pub use crate::request::path::push_segment;
    pub use crate::request::validate::{
        check_charset, check_max_items, check_max_length, check_not_empty, check_path_segment,
        check_required, missing,
    };
    pub use crate::support::one_or_many::deserialize as one_or_many;
    pub use crate::support::open_enum::deserialize as open_enum_deserialize;
}

// The generated half: `common` and one module per family, each behind its feature.
// prettyplease formats it when it is generated; `cargo fmt` leaves it as written.
#[rustfmt::skip]
#[path = "../generated/mod.rs"]
mod generated;
pub use generated::*;

pub use auth::apiv3_key::ApiV3Key;
pub use auth::certificates::{CertificateStore, PlatformCertificate};
pub use auth::encryption::{EncryptError, EncryptionKey, Sensitive};
pub use auth::merchant_certificate::MerchantCertificate;
pub use auth::merchant_key::MerchantKey;
pub use auth::merchant_key::SigningFailed;
pub use auth::public_key::{PUBLIC_KEY_ID_PREFIX, WechatPayPublicKey};
pub use auth::signing::{Authorization, RequestSigner};
pub use auth::verify::{
    DEFAULT_TIMESTAMP_WINDOW, HEADER_NONCE, HEADER_SERIAL, HEADER_SIGNATURE, HEADER_SIGNATURE_TYPE,
    HEADER_TIMESTAMP, KeySource, PROBE_PREFIX, SignatureHeaders, Verified, Verifier, VerifyError,
};
#[cfg(feature = "bills")]
#[cfg_attr(docsrs, doc(cfg(feature = "bills")))]
pub use bill_file::{BillError, BillFile, BillRow, BillRows, Columns};
#[cfg(feature = "bills")]
#[cfg_attr(docsrs, doc(cfg(feature = "bills")))]
pub use bills::{
    FlowDirection, FundFlowBillRow, FundFlowBillSummary, TradeBillRow, TradeBillSummary,
};
pub use config_error::{CertificateEntryError, CertificateEntryErrors, ConfigError, DecryptError};
pub use error::{ApiError, Effect, Error, TransportKind};
pub use generated::common::{
    ErrorBody, ErrorCode, ErrorDetail, EventType, Notification, NotificationFailure,
    NotificationResource,
};
pub use notification::answer::NotificationAnswer;
pub use notification::decode::{DecryptedResource, NotificationError, NotificationKind, Notified};
pub use request::operation::{DocumentedError, FileDownload, Operation, QueryEncoding, Request};
pub use request::prepared::{PrepareError, PreparedRequest};
pub use request::query::QueryString;
pub use request::validate::{InvalidParameter, ParameterRule};
pub use transport::answer::{MAX_RETRY_AFTER, decode_answer};
pub use transport::attempt::CERTIFICATES_PATH;
pub use transport::builder::{
    ClientBuilder, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CERTIFICATE_BACKOFF,
    DEFAULT_CERTIFICATE_BACKOFF_MAX, DEFAULT_CERTIFICATE_ON_DEMAND_INTERVAL,
    DEFAULT_CERTIFICATE_REFRESH, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_SIZE,
    DEFAULT_NOTIFICATION_DEADLINE, DEFAULT_TOTAL_DEADLINE, MAX_DURATION_SETTING,
};
pub use transport::client::{BACKUP_BASE_URL, Client, DEFAULT_BASE_URL};
pub use transport::refresh::CertificateStatus;
pub use transport::response::Response;
pub use transport::retry::RetryPolicy;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
