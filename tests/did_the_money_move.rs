//! After a POST that moves money, the answer is never lost to decoding, and an error says whether
//! WeChat Pay may have acted on the request: answers in progress (a share `PENDING`, a return
//! `PROCESSING`, the split answer of 2020) decode; a timeout, a lost connection, a 5xx, an
//! unverified page or a 2xx that does not decode after sending say "may have taken effect", with
//! the business number to send again; a refused connection, WeChat Pay's signed refusal and any
//! query say it did not. All over loopback against the simulator.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Duration;

use common::{quick_retries, status};
use wechatpay_ecommerce::profit_sharing::{
    AddReceiverRequest, CreateOrderReceiver, CreateOrderRequest, CreateReturnOrderRequest,
    OrderReference, QueryOrderRequest,
};
use wechatpay_ecommerce::profit_sharing::{
    OrderStatus, ReceiverResult, ReceiverType, RelationType, ReturnResult,
};
use wechatpay_ecommerce::simulator::{Fault, InProgressAnswers, Simulator, VerificationMode};
use wechatpay_ecommerce::{Client, ClientBuilder, Effect, Error, TransportKind};

const SUB_MCHID: &str = "1900000109";
const TRANSACTION: &str = "4208450740201411110007820472";
const SUPPLIER: &str = "190001001";

/// A frozen-clock simulator (a split stays in progress until the test moves it) with the
/// supplier added as a receiver, and a builder for its client.
async fn simulator() -> Simulator {
    let simulator = Simulator::builder().clock_speed(0.0).start().await.unwrap();
    client(&simulator)
        .profit_sharing()
        .add_receiver(&common::supplier())
        .await
        .unwrap();
    simulator
}

fn builder(simulator: &Simulator) -> ClientBuilder {
    simulator
        .client_builder(VerificationMode::PublicKey)
        .unwrap()
        .retry_policy(quick_retries())
}

fn client(simulator: &Simulator) -> Client {
    builder(simulator).build().unwrap()
}

fn split(out_order_no: &str) -> CreateOrderRequest {
    CreateOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(TRANSACTION)
        .out_order_no(out_order_no)
        .receivers(vec![CreateOrderReceiver {
            receiver_type: ReceiverType::MerchantId,
            receiver_account: SUPPLIER.into(),
            amount: 100,
            description: "运费".into(),
            receiver_name: None,
        }])
        .finish(false)
        .build()
        .unwrap()
}

fn query(out_order_no: &str) -> QueryOrderRequest {
    QueryOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(TRANSACTION)
        .out_order_no(out_order_no)
        .build()
        .unwrap()
}

fn money_return(out_order_no: &str, out_return_no: &str) -> CreateReturnOrderRequest {
    CreateReturnOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .order(OrderReference::OutOrderNo(out_order_no.into()))
        .out_return_no(out_return_no)
        .return_mchid(SUPPLIER)
        .amount(50)
        .description("退货")
        .build()
        .unwrap()
}

/// How many split requests reached the simulator.
fn splits_made(simulator: &Simulator) -> usize {
    simulator
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path_and_query.ends_with("/orders"))
        .count()
}

#[tokio::test]
async fn answers_in_progress_decode_however_little_they_carry() {
    let simulator = simulator().await;
    let client = client(&simulator);

    // Without what only a finished share has: no finish_time, no detail_id.
    simulator.set_in_progress_answers(InProgressAnswers::Sparse);
    let answer = client
        .profit_sharing()
        .create_order(&split("P-SPARSE-1"))
        .await
        .unwrap();
    let raw: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
    assert!(raw["receivers"][0].get("finish_time").is_none(), "{raw}");
    assert!(raw["receivers"][0].get("detail_id").is_none(), "{raw}");
    let share = &answer.receivers[0];
    assert_eq!(share.result, ReceiverResult::Pending);
    assert_eq!(
        (share.finish_time, share.detail_id.as_deref()),
        (None, None)
    );
    assert_eq!(share.amount, 100);

    // A return still processing: no finish_time.
    let returned = client
        .profit_sharing()
        .create_return_order(&money_return("P-SPARSE-1", "R-SPARSE-1"))
        .await;
    // The split is still PROCESSING on the frozen clock: the return waits for it.
    assert!(returned.is_err());
    simulator.advance(Duration::from_secs(3));
    let returned = client
        .profit_sharing()
        .create_return_order(&money_return("P-SPARSE-1", "R-SPARSE-1"))
        .await
        .unwrap();
    let raw: serde_json::Value = serde_json::from_slice(returned.body()).unwrap();
    assert!(raw.get("finish_time").is_none(), "{raw}");
    assert_eq!(returned.result, ReturnResult::Processing);
    assert_eq!(returned.finish_time, None);

    // The split answer of 2020: the four ids and nothing else.
    simulator.set_in_progress_answers(InProgressAnswers::IdsOnly);
    let answer = client
        .profit_sharing()
        .create_order(&split("P-IDS-1"))
        .await
        .unwrap();
    let raw: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
    assert_eq!(raw.as_object().unwrap().len(), 4, "{raw}");
    assert_eq!(answer.out_order_no, "P-IDS-1");
    assert!(!answer.order_id.is_empty());
    assert_eq!(answer.status, None);
    assert!(answer.receivers.is_empty());
    // The shares are read with 查询分账结果.
    let order = client
        .profit_sharing()
        .query_order(&query("P-IDS-1"))
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::Processing);
}

/// Asserts that `error` says WeChat Pay may have acted, naming `number`.
fn may_have_acted(error: &Error, number: &str) {
    assert!(error.may_have_taken_effect(), "{error:?}");
    assert_eq!(
        error.effect(),
        Effect::Possible {
            business_number: Some(match number {
                "out_order_no" => "out_order_no",
                _ => "out_return_no",
            })
        }
    );
    let text = error.to_string();
    assert!(
        text.contains("may have taken effect") && text.contains(number),
        "{text}"
    );
}

fn did_not_act(error: &Error) {
    assert!(!error.may_have_taken_effect(), "{error:?}");
    assert_eq!(error.effect(), Effect::None);
    assert!(
        !error.to_string().contains("may have taken effect"),
        "{error}"
    );
}

#[tokio::test]
async fn a_split_answered_with_a_body_that_does_not_decode_may_have_taken_effect_and_keeps_it() {
    let simulator = simulator().await;
    let client = client(&simulator);
    simulator.inject(Fault::MalformedJson);
    let error = client
        .profit_sharing()
        .create_order(&split("P-DECODE-1"))
        .await
        .unwrap_err();
    let Error::Decode { status, body, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 200);
    // The verified body as it came, for the records: the split was made.
    assert!(body.contains("P-DECODE-1"), "{body}");
    may_have_acted(&error, "out_order_no");
    // Sent again with the same number, it is the same split.
    let again = client
        .profit_sharing()
        .create_order(&split("P-DECODE-1"))
        .await
        .unwrap();
    assert_eq!(again.out_order_no, "P-DECODE-1");
    let order = client
        .profit_sharing()
        .query_order(&query("P-DECODE-1"))
        .await
        .unwrap();
    assert_eq!(order.order_id, again.order_id);
}

#[tokio::test]
async fn a_timeout_or_a_lost_connection_after_sending_may_have_taken_effect() {
    let simulator = simulator().await;
    // One attempt: the first failure is the call's.
    let client = builder(&simulator)
        .no_retries()
        .attempt_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    // WeChat Pay takes longer than the client waits, and makes the split all the same.
    simulator.inject(Fault::Delay(Duration::from_millis(600)));
    let error = client
        .profit_sharing()
        .create_order(&split("P-TIMEOUT-1"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{error:?}"
    );
    may_have_acted(&error, "out_order_no");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let order = client
        .profit_sharing()
        .query_order(&query("P-TIMEOUT-1"))
        .await
        .unwrap();
    assert_eq!(order.out_order_no, "P-TIMEOUT-1", "it did take effect");

    simulator.inject(Fault::DropConnection);
    let error = client
        .profit_sharing()
        .create_return_order(&money_return("P-TIMEOUT-1", "R-LOST-1"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                kind: TransportKind::ConnectionLost,
                ..
            }
        ),
        "{error:?}"
    );
    may_have_acted(&error, "out_return_no");

    // A query changes nothing: the same timeout says nothing of effects.
    simulator.inject(Fault::Delay(Duration::from_millis(600)));
    let error = client
        .profit_sharing()
        .query_order(&query("P-TIMEOUT-1"))
        .await
        .unwrap_err();
    did_not_act(&error);
}

#[tokio::test]
async fn a_5xx_or_a_proxys_page_may_have_taken_effect_but_a_signed_refusal_did_not() {
    let simulator = simulator().await;
    let client = builder(&simulator).no_retries().build().unwrap();

    simulator.inject(status(500, "SYSTEM_ERROR"));
    let error = client
        .profit_sharing()
        .create_order(&split("P-5XX-1"))
        .await
        .unwrap_err();
    assert!(error.api().unwrap().verified);
    may_have_acted(&error, "out_order_no");

    // A proxy's page: nothing proves that WeChat Pay did not act, whatever its status says.
    simulator.inject(Fault::Unsigned {
        status: 400,
        body: "<html>bad request</html>".into(),
    });
    let error = client
        .profit_sharing()
        .create_order(&split("P-PROXY-1"))
        .await
        .unwrap_err();
    assert!(!error.api().unwrap().verified);
    may_have_acted(&error, "out_order_no");

    // WeChat Pay's own refusal, signed: it did not act.
    simulator.inject(status(400, "PARAM_ERROR"));
    let error = client
        .profit_sharing()
        .create_order(&split("P-REFUSED-1"))
        .await
        .unwrap_err();
    assert!(error.api().unwrap().verified);
    did_not_act(&error);
    // A rule the ledger refuses by, signed: more than the transaction has left.
    let mut too_much = split("P-RULE-1");
    too_much.receivers[0].amount = 100_000;
    let error = client
        .profit_sharing()
        .create_order(&too_much)
        .await
        .unwrap_err();
    let api = error.api().unwrap();
    assert_eq!((api.status, api.verified), (403, true), "{error}");
    did_not_act(&error);

    // A connection that could not be made: nothing was sent.
    let dead = builder(&simulator)
        .base_url(common::dead_base_url())
        .no_retries()
        .build()
        .unwrap();
    let before = splits_made(&simulator);
    let error = dead
        .profit_sharing()
        .create_order(&split("P-DEAD-1"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{error:?}"
    );
    did_not_act(&error);
    assert_eq!(splits_made(&simulator), before);
}

#[tokio::test]
async fn an_earlier_attempt_that_may_have_acted_is_not_forgotten_by_a_later_refusal() {
    let simulator = simulator().await;
    let client = builder(&simulator)
        .attempt_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    // The first attempt times out (WeChat Pay may have acted), the retry is refused.
    simulator.inject(Fault::Delay(Duration::from_millis(600)));
    simulator.inject(status(400, "PARAM_ERROR"));
    let error = client
        .profit_sharing()
        .create_order(&split("P-TWICE-1"))
        .await
        .unwrap_err();
    assert!(error.api().unwrap().verified, "{error:?}");
    may_have_acted(&error, "out_order_no");
}

#[tokio::test]
async fn a_request_without_a_business_number_says_to_check_before_sending_it_again() {
    let simulator = simulator().await;
    let client = builder(&simulator).no_retries().build().unwrap();
    simulator.inject(status(503, "SERVICE_UNAVAILABLE"));
    let add = AddReceiverRequest::builder()
        .receiver_type(ReceiverType::MerchantId)
        .account("190001002")
        .relation_type(RelationType::Supplier)
        .name("示例商户全称")
        .build()
        .unwrap();
    let error = client
        .profit_sharing()
        .add_receiver(&add)
        .await
        .unwrap_err();
    assert!(error.may_have_taken_effect());
    assert_eq!(
        error.effect(),
        Effect::Possible {
            business_number: None
        }
    );
    assert!(
        error.to_string().contains("check before sending it again"),
        "{error}"
    );
}

#[tokio::test]
async fn a_split_answered_under_a_certificate_that_cannot_be_downloaded_keeps_its_answer() {
    let simulator = simulator().await;
    let client = simulator
        .client_builder(VerificationMode::PlatformCertificates)
        .unwrap()
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    client
        .profit_sharing()
        .query_order(&query("P20150806125346"))
        .await
        .unwrap();
    // WeChat Pay rotates its certificate, and the list cannot be downloaded.
    simulator.rotate_platform_certificate().await.unwrap();
    simulator.inject_always_on(
        wechatpay_ecommerce::CERTIFICATES_PATH,
        status(500, "SYSTEM_ERROR"),
    );
    let error = client
        .profit_sharing()
        .create_order(&split("P-CERT-DOWN-1"))
        .await
        .unwrap_err();
    let Error::CertificatesUnavailable {
        serial: Some(_),
        body: Some(body),
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert!(body.contains("P-CERT-DOWN-1"), "{body}");
    may_have_acted(&error, "out_order_no");
}
