//! The code generated from the test pages of endpoints outside the crate's families
//! (`xtask/tests/pages/`), which import with no overlay entry: compiled against the library as a
//! user's crate would compile it, and used.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

// What the generated code names as `crate::…`, seen from this crate's root as from the library's.
#[allow(unused_imports)]
use wechatpay_ecommerce::{
    __generated, DocumentedError, Error, ErrorCode, InvalidParameter, Operation, PrepareError,
    PreparedRequest, QueryEncoding, QueryString, Request, Response, RetryPolicy, Sensitive,
};

/// The client the generated handle borrows: the library's, wrapped, since a crate adds methods
/// only to its own types.
pub struct Client(wechatpay_ecommerce::Client);

impl Client {
    /// What each generated method calls.
    pub async fn execute<Q: Request>(&self, request: &Q) -> Result<Response<Q::Response>, Error> {
        self.0.execute(request).await
    }
}

#[rustfmt::skip]
#[path = "pages/expected/common.rs"]
mod common;
#[rustfmt::skip]
#[path = "pages/expected/refund.rs"]
mod refund;

/// The family's operations are methods of its handle, named after the family by the rule.
#[allow(unused)]
async fn handle(client: &Client, create: &refund::CreateRefundRequest) {
    let _ = client.refund().create(create).await;
}

/// Validates a request and builds it, as the client does before signing.
fn prepare<Q: Request>(request: &Q) -> Result<PreparedRequest<Q::Response>, InvalidParameter> {
    match PreparedRequest::new("http://127.0.0.1:1/", request) {
        Ok(prepared) => Ok(prepared),
        Err(PrepareError::InvalidRequest(invalid)) => Err(invalid),
        Err(other) => panic!("not a validation error: {other}"),
    }
}

#[test]
fn pages_of_other_endpoints_give_working_requests() {
    use refund::{
        CreateRefundAmount, CreateRefundGoodsDetail, CreateRefundRequest, QueryRefundRequest,
    };
    let mut request = CreateRefundRequest::builder()
        .sub_mchid("1900000109")
        .out_refund_no("R1")
        .amount(CreateRefundAmount {
            refund: 888,
            total: 888,
            currency: refund::Currency::Cny,
        })
        .build()
        .unwrap();
    request.goods_detail = Some(vec![CreateRefundGoodsDetail {
        merchant_goods_id: String::new(),
        refund_quantity: 1,
    }]);
    match PreparedRequest::new("http://127.0.0.1:1", &request) {
        Err(PrepareError::InvalidRequest(invalid)) => {
            assert_eq!(invalid.parameter, "goods_detail[0].merchant_goods_id");
        }
        other => panic!("{other:?}"),
    }
    request.goods_detail = None;
    request.notify = Some(true);
    let prepared = prepare(&request).unwrap();
    assert_eq!(prepared.path_and_query(), "/v3/refund/domestic/refunds");
    assert_eq!(
        prepared.body(),
        r#"{"sub_mchid":"1900000109","out_refund_no":"R1","amount":{"refund":888,"total":888,"currency":"CNY"},"notify":true}"#
    );
    // The page says 幂等.
    const { assert!(refund::CREATE_REFUND.idempotent) };

    let prepared = prepare(
        &QueryRefundRequest::builder()
            .out_refund_no("R/1")
            .sub_mchid("1900000109")
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        prepared.path_and_query(),
        "/v3/refund/domestic/refunds/R%2F1?sub_mchid=1900000109"
    );
}
