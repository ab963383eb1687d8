//! Decoding and re-encoding answers: the doc pages' examples, every field of the current API,
//! values this version does not know, and times with their offset.
// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use serde_json::{Value, json};
use wechatpay_ecommerce::ErrorBody;
use wechatpay_ecommerce::ErrorCode;
use wechatpay_ecommerce::profit_sharing::{
    AbnormalStatus, CloseReason, FundsAbnormalClosedReason, OrderStatus, ReceiverFailReason,
    ReceiverResult, ReceiverType, ReturnFailReason, ReturnResult,
};
use wechatpay_ecommerce::profit_sharing::{ProfitSharingOrder, ReturnOrder};

fn decode<T: serde::de::DeserializeOwned>(json: &str) -> T {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}\n{json}"))
}

#[test]
// `receiver_mchid` is deprecated, and still decoded.
#[allow(deprecated)]
fn the_orders_page_example_decodes_and_encodes_back() {
    let page = common::repo_file("schema/docs/ecommerce-profitsharing-orders-query.md");
    let examples = common::json_examples(&page);
    assert_eq!(examples.len(), 1);
    let order: ProfitSharingOrder = decode(&examples[0]);

    assert_eq!(order.status, OrderStatus::Finished);
    assert_eq!(order.close_reason, Some(CloseReason::NoAuth));
    assert_eq!(order.finish_amount, Some(100));
    let receivers = order.receivers.as_ref().expect("receivers");
    // The page shows one bare object where the API sends an array: a list of one.
    assert_eq!(receivers.len(), 1);
    assert_eq!(receivers[0].receiver_mchid.as_deref(), Some("1900000110"));
    assert_eq!(receivers[0].amount, 100);
    assert_eq!(receivers[0].result, ReceiverResult::Success);
    assert_eq!(
        receivers[0].fail_reason,
        Some(ReceiverFailReason::AccountAbnormal)
    );

    // Encoding gives the page's JSON back, with `receivers` as the array the API sends.
    let mut expected: Value = serde_json::from_str(&examples[0]).unwrap();
    let bare = expected["receivers"].take();
    assert!(bare.is_object());
    expected["receivers"] = json!([bare]);
    assert_eq!(serde_json::to_value(&order).unwrap(), expected);
}

#[test]
fn the_returnorders_page_example_decodes_and_encodes_back() {
    let page = common::repo_file("schema/docs/ecommerce-profitsharing-returnorders-query.md");
    let examples = common::json_examples(&page);
    assert_eq!(examples.len(), 1);
    let ret: ReturnOrder = decode(&examples[0]);
    assert_eq!(ret.result, ReturnResult::Success);
    assert_eq!(ret.fail_reason, Some(ReturnFailReason::TimeOutClosed));
    assert_eq!(ret.amount, 10);
    assert_eq!(ret.out_return_no, "R20190516001");
    let expected: Value = serde_json::from_str(&examples[0]).unwrap();
    assert_eq!(serde_json::to_value(&ret).unwrap(), expected);
}

#[test]
fn every_field_of_the_current_api_round_trips() {
    for (name, fixture) in [
        (
            "order_full.json",
            common::repo_file("tests/fixtures/order_full.json"),
        ),
        (
            "return_order_full.json",
            common::repo_file("tests/fixtures/return_order_full.json"),
        ),
        (
            "error_full.json",
            common::repo_file("tests/fixtures/error_full.json"),
        ),
    ] {
        let original: Value = serde_json::from_str(&fixture).unwrap();
        let encoded = match name {
            "order_full.json" => serde_json::to_value(decode::<ProfitSharingOrder>(&fixture)),
            "return_order_full.json" => serde_json::to_value(decode::<ReturnOrder>(&fixture)),
            _ => serde_json::to_value(decode::<ErrorBody>(&fixture)),
        }
        .unwrap();
        assert_eq!(encoded, original, "{name} changed in a round trip");
    }
}

#[test]
#[allow(deprecated)]
fn the_full_order_decodes_into_the_right_types() {
    let order: ProfitSharingOrder = decode(&common::repo_file("tests/fixtures/order_full.json"));
    let receivers = order.receivers.expect("receivers");
    assert_eq!(receivers.len(), 3);
    let [merchant, person, pending] = [&receivers[0], &receivers[1], &receivers[2]];
    assert_eq!(merchant.receiver_type, Some(ReceiverType::MerchantId));
    assert_eq!(
        merchant.detail_id.as_deref(),
        Some("36011111111111111111111")
    );
    assert_eq!(person.receiver_type, Some(ReceiverType::PersonalOpenid));
    assert_eq!(person.receiver_mchid, None);
    // 2^53 + 1 fen: exact in an i64, rounded by any f64.
    assert_eq!(person.amount, 9_007_199_254_740_993);
    assert_eq!(
        person.fail_reason,
        Some(ReceiverFailReason::ReceiverRealNameNotVerified)
    );
    // The abnormal-funds fields the page of 请求分账 shows for the same receiver object.
    assert_eq!(person.abnormal_status, Some(AbnormalStatus::AbnormalClosed));
    assert_eq!(
        person.funds_abnormal_closed_reason,
        Some(FundsAbnormalClosedReason::ClosedReasonRestrictTransfer)
    );
    assert_eq!(
        person.funds_abnormal_redirect_id.as_deref(),
        Some("0100011742874700562078230000")
    );
    assert_eq!(person.funds_abnormal_receivers.len(), 1);
    assert_eq!(
        person.funds_abnormal_receivers[0].mchid.as_deref(),
        Some("1900000100")
    );
    assert_eq!(merchant.abnormal_status, None);
    assert!(merchant.funds_abnormal_receivers.is_empty());
    assert_eq!(pending.result, ReceiverResult::Pending);
    assert_eq!(pending.receiver_type, Some(ReceiverType::PersonalSubOpenid));
    assert_eq!(pending.finish_time, None);
}

#[test]
fn the_full_return_order_carries_its_transaction_id() {
    let ret: ReturnOrder = decode(&common::repo_file("tests/fixtures/return_order_full.json"));
    assert_eq!(
        ret.transaction_id.as_deref(),
        Some("4208450740201411110007820472")
    );
    assert_eq!(ret.result, ReturnResult::Fail);
    // The returns page's example has none: still an answer.
    let page = common::repo_file("schema/docs/ecommerce-profitsharing-returnorders-query.md");
    let example: ReturnOrder = decode(&common::json_examples(&page)[0]);
    assert_eq!(example.transaction_id, None);
}

#[test]
fn every_value_the_protocol_lists_is_a_known_variant() {
    fn known<T: for<'a> From<&'a str> + std::fmt::Display>(
        values: &[&str],
        is_known: fn(&T) -> bool,
    ) {
        for value in values {
            let parsed = T::from(value);
            assert!(is_known(&parsed), "{value} is not a known variant");
            assert_eq!(parsed.to_string(), *value);
        }
    }
    known::<OrderStatus>(
        &["ACCEPTED", "PROCESSING", "FINISHED", "CLOSED"],
        OrderStatus::is_known,
    );
    known::<CloseReason>(&["NO_AUTH"], CloseReason::is_known);
    known::<ReceiverResult>(&["PENDING", "SUCCESS", "CLOSED"], ReceiverResult::is_known);
    known::<ReceiverFailReason>(
        &[
            "ACCOUNT_ABNORMAL",
            "NO_RELATION",
            "RECEIVER_HIGH_RISK",
            "RECEIVER_REAL_NAME_NOT_VERIFIED",
            "NO_AUTH",
            "RECEIVER_RECEIPT_LIMIT",
            "PAYER_ACCOUNT_ABNORMAL",
            "INVALID_REQUEST",
        ],
        ReceiverFailReason::is_known,
    );
    known::<ReceiverType>(
        &["MERCHANT_ID", "PERSONAL_OPENID", "PERSONAL_SUB_OPENID"],
        ReceiverType::is_known,
    );
    known::<ReturnResult>(&["PROCESSING", "SUCCESS", "FAIL"], ReturnResult::is_known);
    known::<ReturnFailReason>(
        &[
            "ACCOUNT_ABNORMAL",
            "TIME_OUT_CLOSED",
            "PAYER_ACCOUNT_ABNORMAL",
            "INVALID_REQUEST",
        ],
        ReturnFailReason::is_known,
    );
    known::<ErrorCode>(
        &[
            "SYSTEM_ERROR",
            "PARAM_ERROR",
            "INVALID_REQUEST",
            "FREQUENCY_LIMITED",
            "NO_AUTH",
            "SIGN_ERROR",
            "RESOURCE_NOT_EXISTS",
            "RATELIMIT_EXCEEDED",
            "SERVICE_UNAVAILABLE",
        ],
        ErrorCode::is_known,
    );
}

#[test]
fn unknown_enum_values_are_kept_and_encoded_back_unchanged() {
    let mut json: Value =
        serde_json::from_str(&common::repo_file("tests/fixtures/order_full.json")).unwrap();
    json["status"] = json!("PARTLY_FINISHED");
    json["receivers"][0]["result"] = json!("REVERSED");
    json["receivers"][0]["type"] = json!("PERSONAL_WALLET");
    json["receivers"][1]["fail_reason"] = json!("FAILED");
    json["close_reason"] = json!("");
    let order: ProfitSharingOrder = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(order.status, OrderStatus::Unknown("PARTLY_FINISHED".into()));
    assert!(!order.status.is_known());
    let receivers = order.receivers.as_ref().unwrap();
    assert_eq!(
        receivers[0].result,
        ReceiverResult::Unknown("REVERSED".into())
    );
    assert_eq!(
        receivers[0].receiver_type,
        Some(ReceiverType::Unknown("PERSONAL_WALLET".into()))
    );
    assert_eq!(
        receivers[1].fail_reason,
        Some(ReceiverFailReason::Unknown("FAILED".into()))
    );
    assert_eq!(
        order.close_reason,
        Some(CloseReason::Unknown(String::new()))
    );
    assert_eq!(serde_json::to_value(&order).unwrap(), json);

    let ret: ReturnOrder = decode(
        &common::repo_file("tests/fixtures/return_order_full.json")
            .replace("\"FAIL\"", "\"FAILED\""),
    );
    assert_eq!(ret.result, ReturnResult::Unknown("FAILED".into()));
    assert_eq!(serde_json::to_value(&ret).unwrap()["result"], "FAILED");

    let error: ErrorBody = decode(r#"{"code":"ORDER_LOCKED","message":"订单被锁定"}"#);
    assert_eq!(error.code, ErrorCode::Unknown("ORDER_LOCKED".into()));
    assert_eq!(error.code.as_str(), "ORDER_LOCKED");
}

#[test]
fn a_non_string_enum_value_is_an_error_not_a_guess() {
    let json = common::repo_file("tests/fixtures/return_order_full.json").replace("\"FAIL\"", "7");
    let error = serde_json::from_str::<ReturnOrder>(&json).unwrap_err();
    assert!(error.to_string().contains("expected a string"), "{error}");
}

#[test]
fn unknown_fields_are_ignored() {
    let mut json: Value =
        serde_json::from_str(&common::repo_file("tests/fixtures/order_full.json")).unwrap();
    json["new_top_level_field"] = json!({"nested": [1, 2, 3]});
    json["receivers"][0]["new_receiver_field"] = json!("x");
    let with_extra: ProfitSharingOrder = serde_json::from_value(json).unwrap();
    let without: ProfitSharingOrder = decode(&common::repo_file("tests/fixtures/order_full.json"));
    assert_eq!(with_extra, without);
}

#[test]
fn missing_required_fields_are_errors_that_name_the_field() {
    let json = r#"{"sub_mchid":"1900000109","transaction_id":"4208450740201411110007820472","order_id":"1","status":"FINISHED"}"#;
    let error = serde_json::from_str::<ProfitSharingOrder>(json).unwrap_err();
    assert!(
        error.to_string().contains("missing field `out_order_no`"),
        "{error}"
    );
}

#[test]
fn absent_optional_fields_stay_absent() {
    // A finish (完结) result has no receivers; a return still PROCESSING has no finish time.
    let json = json!({"sub_mchid": "1", "transaction_id": "2", "out_order_no": "3", "order_id": "4",
                      "status": "FINISHED", "finish_amount": 0, "finish_description": "分账完结"});
    let order: ProfitSharingOrder = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(order.receivers, None);
    assert_eq!(serde_json::to_value(&order).unwrap(), json);

    let json = json!({"sub_mchid": "1", "order_id": "2", "out_order_no": "3", "out_return_no": "4",
                      "return_mchid": "5", "return_no": "6", "amount": 10, "result": "PROCESSING"});
    let ret: ReturnOrder = serde_json::from_value(json.clone()).unwrap();
    assert_eq!((ret.finish_time, ret.fail_reason.clone()), (None, None));
    assert_eq!(serde_json::to_value(&ret).unwrap(), json);
}

#[test]
fn times_keep_their_offset_exactly() {
    for time in [
        "2015-05-20T13:29:35.120+08:00",
        "2015-05-20T13:29:35+08:00",
        "2019-12-31T23:59:59.999+08:00",
        "2020-01-01T00:00:00.001-05:30",
    ] {
        let json = common::repo_file("tests/fixtures/return_order_full.json")
            .replace("2019-05-16T10:00:00.001+08:00", time);
        let ret: ReturnOrder = decode(&json);
        let encoded = serde_json::to_value(&ret).unwrap();
        assert_eq!(encoded["finish_time"], time);
    }
    let ret: ReturnOrder = decode(&common::repo_file("tests/fixtures/return_order_full.json"));
    let finish = ret.finish_time.unwrap();
    assert_eq!(finish.offset().local_minus_utc(), 8 * 3600);
    assert_eq!(finish.timestamp_millis(), 1_557_972_000_001);
}

#[test]
fn a_time_without_an_offset_is_an_error() {
    let json = common::repo_file("tests/fixtures/return_order_full.json")
        .replace("2019-05-16T10:00:00.001+08:00", "2019-05-16 10:00:00");
    assert!(serde_json::from_str::<ReturnOrder>(&json).is_err());
}

#[test]
fn amounts_are_integers_never_floats() {
    let json = common::repo_file("tests/fixtures/return_order_full.json")
        .replace("\"amount\": 10", "\"amount\": 10.5");
    assert!(serde_json::from_str::<ReturnOrder>(&json).is_err());
}

#[test]
fn error_details_keep_any_json_value() {
    let error: ErrorBody = decode(
        r#"{"code":"PARAM_ERROR","message":"参数错误","detail":{"field":"/amount","value":-1,"issue":"must be positive","location":"body"}}"#,
    );
    assert_eq!(error.code, ErrorCode::ParamError);
    let detail = error.detail.unwrap();
    assert_eq!(detail.value, Some(json!(-1)));
    assert_eq!(detail.field.as_deref(), Some("/amount"));
    let bare: ErrorBody = decode(r#"{"code":"SYSTEM_ERROR","message":"系统错误"}"#);
    assert_eq!(bare.detail, None);
}
