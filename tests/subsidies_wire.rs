//! The subsidies (补差) and after-sales split (售后服务分账) operations over loopback against the
//! simulator: the method, the path and query, and the JSON body exactly as sent; the
//! `Authorization` signature over those bytes verified by `openssl` with the merchant's public key
//! (and refused by it over a body changed by one byte); the answers decoded; and the simulator's
//! refusals of what the pages forbid.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use wechatpay_ecommerce::profit_sharing::{
    AfterSalesScene, AfterSalesType, CreateAfterSalesOrderRequest, ProcessingResult,
    QueryAfterSalesOrderRequest,
};
use wechatpay_ecommerce::refunds::{
    ApplyRefundAmount, ApplyRefundRequest, ApplyRefundTransactionIdOrOutTradeNo,
};
use wechatpay_ecommerce::simulator::{
    Account, DEFAULT_PROCESSING_DELAY, Movement, SeenRequest, Simulator, VerificationMode,
};
use wechatpay_ecommerce::subsidies::{
    CancelSubsidyRequest, CreateSubsidyRequest, FundsFrom, ReturnResult, ReturnSubsidyRequest,
    SubsidyResult,
};
use wechatpay_ecommerce::{Client, Error, ErrorCode};

const SUB_MCHID: &str = "1900000109";

/// A simulator whose clock moves only when the test advances it, and a client of it.
async fn start() -> (Simulator, Client) {
    let simulator = Simulator::builder().clock_speed(0.0).start().await.unwrap();
    let client = simulator
        .client_builder(VerificationMode::PublicKey)
        .unwrap()
        .retry_policy(common::quick_retries())
        .build()
        .unwrap();
    (simulator, client)
}

/// A paid transaction of [`SUB_MCHID`] of 1000 fen, of this test's own.
fn paid(simulator: &Simulator, transaction_id: &str) {
    simulator
        .add_transaction(SUB_MCHID, transaction_id, 1000)
        .unwrap();
}

/// Refunds `refund` fen of the 1000 fen transaction `transaction_id`: the refund's `refund_id`.
async fn refund(client: &Client, transaction_id: &str, out_refund_no: &str, refund: i64) -> String {
    let request = ApplyRefundRequest::builder()
        .sub_mchid(SUB_MCHID)
        .sp_appid("wx8888888888888888")
        .transaction_id_or_out_trade_no(ApplyRefundTransactionIdOrOutTradeNo::TransactionId(
            transaction_id.into(),
        ))
        .out_refund_no(out_refund_no)
        .amount(ApplyRefundAmount {
            refund,
            from: None,
            total: 1000,
            currency: None,
        })
        .build()
        .unwrap();
    let answer = client.refunds().apply(&request).await.unwrap();
    assert_eq!(answer.out_refund_no, out_refund_no);
    assert_eq!(answer.amount.refund, refund);
    assert!(!answer.refund_id.is_empty());
    answer.refund_id.clone()
}

fn subsidy(transaction_id: &str, amount: i64) -> CreateSubsidyRequest {
    CreateSubsidyRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(transaction_id)
        .amount(amount)
        .description("满减补差活动")
        .out_subsidy_no("P20261201000001")
        .build()
        .unwrap()
}

fn after_sales(transaction_id: &str, amount: i64, refund_id: &str) -> CreateAfterSalesOrderRequest {
    CreateAfterSalesOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(transaction_id)
        .amount(amount)
        .after_sales_type(AfterSalesType::ServiceFeeIncome)
        .scene(AfterSalesScene::RefundTicket)
        .refund_id(refund_id)
        .build()
        .unwrap()
}

/// The last request the simulator saw.
fn last_seen(simulator: &Simulator) -> SeenRequest {
    simulator.requests().pop().unwrap()
}

/// Checks the last request's method, path and query, and body, byte for byte; that the simulator
/// answered 200; and that its signature is the merchant's over exactly those bytes (see
/// [`common::assert_signed_by_merchant`]).
fn assert_sent(
    simulator: &Simulator,
    scratch: &str,
    method: &str,
    path_and_query: &str,
    body: &str,
) -> SeenRequest {
    let seen = last_seen(simulator);
    assert_eq!(
        (seen.method.as_str(), seen.path_and_query.as_str()),
        (method, path_and_query)
    );
    assert_eq!(seen.body, body);
    let content_type = if body.is_empty() {
        None
    } else {
        Some("application/json")
    };
    assert_eq!(seen.content_type.as_deref(), content_type);
    assert_eq!(seen.status, Some(200));
    common::assert_signed_by_merchant(simulator, scratch, &seen);
    seen
}

/// The refusal of a call: WeChat Pay's signed `400 INVALID_REQUEST`.
fn assert_invalid_request<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::Api(api)) => {
            assert_eq!(
                (api.status, api.code.clone(), api.verified),
                (400, Some(ErrorCode::InvalidRequest), true),
                "{api:?}"
            );
            api.message.clone()
        }
        other => panic!("expected 400 INVALID_REQUEST, got {other:?}"),
    }
}

/// The journal's movements of one kind for a transaction: (from, to, amount).
fn movements(
    simulator: &Simulator,
    transaction_id: &str,
    movement: Movement,
) -> Vec<(Account, Account, i64)> {
    simulator
        .journal()
        .into_iter()
        .filter(|e| e.transaction_id == transaction_id && e.movement == movement)
        .map(|e| (e.from, e.to, e.amount))
        .collect()
}

#[tokio::test]
async fn a_subsidy_is_sent_as_the_struct_serialises_it_and_signed_over_those_bytes() {
    let (simulator, client) = start().await;
    let transaction_id = "4200000000000000000000000001";
    paid(&simulator, transaction_id);
    let platform = simulator.credentials().mchid.clone();

    let answer = client
        .subsidies()
        .create(&subsidy(transaction_id, 10))
        .await
        .unwrap();
    assert_sent(
        &simulator,
        "subsidies-wire-create",
        "POST",
        "/v3/ecommerce/subsidies/create",
        &format!(
            r#"{{"sub_mchid":"1900000109","transaction_id":"{transaction_id}","amount":10,"description":"满减补差活动","out_subsidy_no":"P20261201000001"}}"#
        ),
    );
    assert_eq!(answer.sub_mchid, SUB_MCHID);
    assert_eq!(answer.transaction_id, transaction_id);
    assert!(!answer.subsidy_id.is_empty());
    assert_eq!(answer.description, "满减补差活动");
    assert_eq!(answer.amount, Some(10));
    assert_eq!(answer.result, SubsidyResult::Success);
    assert_eq!(answer.out_subsidy_no.as_deref(), Some("P20261201000001"));
    assert_eq!(answer.success_time, simulator.now());
    // The decoded answer is the body received, field for field.
    let body: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
    assert_eq!(body["subsidy_id"], answer.subsidy_id.as_str());
    assert_eq!(body["result"], "SUCCESS");

    // The platform's money joined the transaction's money to split.
    assert_eq!(
        movements(&simulator, transaction_id, Movement::Subsidy),
        [(
            Account::Available(platform.clone()),
            Account::Frozen(transaction_id.into()),
            10
        )]
    );
    assert_eq!(simulator.available_balance(&platform), -10);

    // The same request again (请求补差 may be re-entered) answers the same subsidy, and moves
    // nothing more.
    let again = client
        .subsidies()
        .create(&subsidy(transaction_id, 10))
        .await
        .unwrap();
    assert_eq!(again.subsidy_id, answer.subsidy_id);
    assert_eq!(
        movements(&simulator, transaction_id, Movement::Subsidy).len(),
        1
    );
    assert_eq!(simulator.available_balance(&platform), -10);
}

#[tokio::test]
async fn a_second_subsidy_with_other_parameters_for_the_same_transaction_is_refused() {
    let (simulator, client) = start().await;
    let transaction_id = "4200000000000000000000000002";
    paid(&simulator, transaction_id);
    let first = client
        .subsidies()
        .create(&subsidy(transaction_id, 10))
        .await
        .unwrap();
    assert_eq!(first.result, SubsidyResult::Success);

    let message = assert_invalid_request(
        client
            .subsidies()
            .create(&subsidy(transaction_id, 20))
            .await,
    );
    assert!(message.contains("只能补差一次"), "{message}");
    // Sent once (a 400 is not retried), as the struct serialises it, and signed; refused.
    let seen = last_seen(&simulator);
    assert_eq!(seen.status, Some(400));
    assert_eq!(simulator.requests().len(), 2);
    assert!(seen.body.contains(r#""amount":20,"#), "{}", seen.body);
    common::assert_signed_by_merchant(&simulator, "subsidies-wire-second", &seen);
    // Only the first subsidy moved money.
    assert_eq!(
        movements(&simulator, transaction_id, Movement::Subsidy)
            .iter()
            .map(|m| m.2)
            .collect::<Vec<_>>(),
        [10]
    );
}

#[tokio::test]
async fn a_subsidy_return_names_the_refund_and_gives_the_subsidy_back() {
    let (simulator, client) = start().await;
    let transaction_id = "4200000000000000000000000003";
    paid(&simulator, transaction_id);
    let platform = simulator.credentials().mchid.clone();
    let subsidy_id = client
        .subsidies()
        .create(&subsidy(transaction_id, 10))
        .await
        .unwrap()
        .subsidy_id
        .clone();
    let refund_id = refund(&client, transaction_id, "RF20261201000003", 100).await;

    let request = ReturnSubsidyRequest::builder()
        .sub_mchid(SUB_MCHID)
        .out_order_no("SR20261201000003")
        .transaction_id(transaction_id)
        .refund_id(refund_id.as_str())
        .amount(10)
        .description("测试备注")
        .subsidy_id(subsidy_id.as_str())
        .build()
        .unwrap();
    let answer = client.subsidies().return_subsidy(&request).await.unwrap();
    assert_sent(
        &simulator,
        "subsidies-wire-return",
        "POST",
        "/v3/ecommerce/subsidies/return",
        &format!(
            r#"{{"sub_mchid":"1900000109","out_order_no":"SR20261201000003","transaction_id":"{transaction_id}","refund_id":"{refund_id}","amount":10,"description":"测试备注","subsidy_id":"{subsidy_id}"}}"#
        ),
    );
    assert_eq!(answer.sub_mchid, SUB_MCHID);
    assert_eq!(answer.transaction_id, transaction_id);
    assert!(!answer.subsidy_refund_id.is_empty());
    assert_ne!(answer.subsidy_refund_id, subsidy_id);
    assert_eq!(answer.refund_id.as_deref(), Some(refund_id.as_str()));
    assert_eq!(answer.out_order_no, "SR20261201000003");
    assert_eq!(answer.amount, 10);
    assert_eq!(answer.description, "测试备注");
    assert_eq!(answer.result, ReturnResult::Success);
    assert_eq!(answer.success_time, simulator.now());
    assert_eq!(answer.subsidy_id.as_deref(), Some(subsidy_id.as_str()));
    // The transaction's frozen money (1000 + 10 - 100 fen) covered it.
    assert_eq!(answer.from.len(), 1);
    assert_eq!(answer.from[0].account, Some(FundsFrom::Unavailable));
    assert_eq!(answer.from[0].amount, Some(10));
    assert_eq!(
        movements(&simulator, transaction_id, Movement::SubsidyReturn),
        [(
            Account::Frozen(transaction_id.into()),
            Account::Available(platform.clone()),
            10
        )]
    );
    assert_eq!(simulator.available_balance(&platform), 0);

    // One refund, one return: a second return for the same refund is refused.
    let mut twice = request.clone();
    twice.out_order_no = "SR20261201000004".into();
    twice.amount = 1;
    let message = assert_invalid_request(client.subsidies().return_subsidy(&twice).await);
    assert!(message.contains("已回退过补差"), "{message}");
}

#[tokio::test]
async fn a_subsidy_return_without_a_refund_of_its_transaction_is_refused() {
    let (simulator, client) = start().await;
    let transaction_id = "4200000000000000000000000005";
    let other_transaction = "4200000000000000000000000006";
    paid(&simulator, transaction_id);
    paid(&simulator, other_transaction);
    let subsidy_id = client
        .subsidies()
        .create(&subsidy(transaction_id, 10))
        .await
        .unwrap()
        .subsidy_id
        .clone();
    let refund_of_other = refund(&client, other_transaction, "RF20261201000006", 100).await;

    let request = |out_order_no: &str, refund_id: &str| {
        ReturnSubsidyRequest::builder()
            .sub_mchid(SUB_MCHID)
            .out_order_no(out_order_no)
            .transaction_id(transaction_id)
            .refund_id(refund_id)
            .amount(10)
            .description("测试备注")
            .subsidy_id(subsidy_id.as_str())
            .build()
            .unwrap()
    };
    // A refund of another transaction.
    let message = assert_invalid_request(
        client
            .subsidies()
            .return_subsidy(&request("SR20261201000005", &refund_of_other))
            .await,
    );
    assert!(message.contains(&refund_of_other), "{message}");
    let seen = last_seen(&simulator);
    assert_eq!(
        (seen.path_and_query.as_str(), seen.status),
        ("/v3/ecommerce/subsidies/return", Some(400))
    );
    assert!(
        seen.body
            .contains(&format!(r#""refund_id":"{refund_of_other}""#)),
        "{}",
        seen.body
    );
    common::assert_signed_by_merchant(&simulator, "subsidies-wire-return-refused", &seen);
    // A refund that does not exist: the transaction has had no refund at all.
    assert_invalid_request(
        client
            .subsidies()
            .return_subsidy(&request(
                "SR20261201000007",
                "50300000000000000000000000000001",
            ))
            .await,
    );
    assert!(movements(&simulator, transaction_id, Movement::SubsidyReturn).is_empty());

    // With a refund of its own transaction, the same return is taken: the refusals were about
    // the refund, not the rest of the request.
    let own = refund(&client, transaction_id, "RF20261201000005", 100).await;
    let answer = client
        .subsidies()
        .return_subsidy(&request("SR20261201000008", &own))
        .await
        .unwrap();
    assert_eq!(answer.result, ReturnResult::Success);
}

#[tokio::test]
async fn a_cancelled_subsidy_is_sent_after_a_refund_and_forbids_a_later_subsidy() {
    let (simulator, client) = start().await;
    let transaction_id = "4200000000000000000000000009";
    paid(&simulator, transaction_id);
    let request = CancelSubsidyRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(transaction_id)
        .description("订单退款")
        .build()
        .unwrap();

    // Before any refund of the transaction, a cancel is refused.
    assert_invalid_request(client.subsidies().cancel(&request).await);

    refund(&client, transaction_id, "RF20261201000009", 100).await;
    let answer = client.subsidies().cancel(&request).await.unwrap();
    assert_sent(
        &simulator,
        "subsidies-wire-cancel",
        "POST",
        "/v3/ecommerce/subsidies/cancel",
        &format!(
            r#"{{"sub_mchid":"1900000109","transaction_id":"{transaction_id}","description":"订单退款"}}"#
        ),
    );
    assert_eq!(answer.sub_mchid, SUB_MCHID);
    assert_eq!(answer.transaction_id, transaction_id);
    assert_eq!(answer.result, ReturnResult::Success);
    assert_eq!(answer.description, "订单退款");

    // Cancelled: no subsidy for this transaction any more.
    assert_invalid_request(
        client
            .subsidies()
            .create(&subsidy(transaction_id, 10))
            .await,
    );
    assert!(movements(&simulator, transaction_id, Movement::Subsidy).is_empty());

    // A paid subsidy cannot be cancelled (it is returned instead).
    let paid_one = "4200000000000000000000000010";
    paid(&simulator, paid_one);
    client
        .subsidies()
        .create(&subsidy(paid_one, 10))
        .await
        .unwrap();
    refund(&client, paid_one, "RF20261201000010", 100).await;
    let mut cancel_paid = request.clone();
    cancel_paid.transaction_id = paid_one.into();
    assert_invalid_request(client.subsidies().cancel(&cancel_paid).await);
}

#[tokio::test]
async fn an_after_sales_split_is_sent_as_serialised_and_queried_by_its_query_string() {
    let (simulator, client) = start().await;
    let transaction_id = "4200000000000000000000000011";
    paid(&simulator, transaction_id);
    let platform = simulator.credentials().mchid.clone();
    let refund_id = refund(&client, transaction_id, "RF20261201000011", 100).await;

    // 300 fen: exactly 30 % of the 1000 fen paid, the simulator's default maximum.
    let answer = client
        .profit_sharing()
        .create_after_sales_order(&after_sales(transaction_id, 300, &refund_id))
        .await
        .unwrap();
    assert_sent(
        &simulator,
        "subsidies-wire-after-sales",
        "POST",
        "/v3/ecommerce/profitsharing/after-sales-orders",
        &format!(
            r#"{{"sub_mchid":"1900000109","transaction_id":"{transaction_id}","amount":300,"type":"SERVICE_FEE_INCOME","scene":"REFUND_TICKET","refund_id":"{refund_id}"}}"#
        ),
    );
    assert_eq!(answer.sub_mchid, SUB_MCHID);
    assert_eq!(answer.transaction_id, transaction_id);
    assert_eq!(answer.amount, 300);
    let accepted_at = simulator.now();

    let query = QueryAfterSalesOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(transaction_id)
        .build()
        .unwrap();
    let path_and_query = format!(
        "/v3/ecommerce/profitsharing/after-sales-orders?sub_mchid=1900000109&transaction_id={transaction_id}"
    );
    let processing = client
        .profit_sharing()
        .query_after_sales_order(&query)
        .await
        .unwrap();
    assert_sent(
        &simulator,
        "subsidies-wire-after-sales-query",
        "GET",
        &path_and_query,
        "",
    );
    assert_eq!(processing.sub_mchid, SUB_MCHID);
    assert_eq!(processing.transaction_id, transaction_id);
    assert_eq!(processing.amount, 300);
    assert_eq!(processing.result, ProcessingResult::Processing);
    assert_eq!(processing.fail_reason, None);
    assert_eq!(processing.finish_time, accepted_at);

    // Just before the processing delay is over it is still processing; then it is done.
    simulator.advance(DEFAULT_PROCESSING_DELAY - std::time::Duration::from_millis(1));
    let still = client
        .profit_sharing()
        .query_after_sales_order(&query)
        .await
        .unwrap();
    assert_eq!(still.result, ProcessingResult::Processing);
    simulator.advance(std::time::Duration::from_millis(1));
    let done = client
        .profit_sharing()
        .query_after_sales_order(&query)
        .await
        .unwrap();
    assert_sent(
        &simulator,
        "subsidies-wire-after-sales-done",
        "GET",
        &path_and_query,
        "",
    );
    assert_eq!(done.result, ProcessingResult::Success);
    assert_eq!(done.amount, 300);
    assert_eq!(
        done.finish_time,
        accepted_at + chrono::TimeDelta::from_std(DEFAULT_PROCESSING_DELAY).unwrap()
    );
    assert_eq!(done.finish_time, simulator.now());
    // The fee went to the platform, from the transaction's frozen money (900 fen after the
    // refund).
    assert_eq!(
        movements(&simulator, transaction_id, Movement::AfterSalesShare),
        [(
            Account::Frozen(transaction_id.into()),
            Account::Available(platform.clone()),
            300
        )]
    );
    assert_eq!(simulator.available_balance(&platform), 300);
}

#[tokio::test]
async fn an_after_sales_split_above_the_maximum_ratio_is_refused() {
    let (simulator, client) = start().await;
    let transaction_id = "4200000000000000000000000012";
    paid(&simulator, transaction_id);
    let refund_id = refund(&client, transaction_id, "RF20261201000012", 100).await;

    // 301 fen of 1000: one fen above 30 %.
    let message = assert_invalid_request(
        client
            .profit_sharing()
            .create_after_sales_order(&after_sales(transaction_id, 301, &refund_id))
            .await,
    );
    assert!(message.contains("超出最大分账比例"), "{message}");
    let seen = last_seen(&simulator);
    assert_eq!(
        (seen.path_and_query.as_str(), seen.status),
        ("/v3/ecommerce/profitsharing/after-sales-orders", Some(400))
    );
    assert!(seen.body.contains(r#""amount":301,"#), "{}", seen.body);
    common::assert_signed_by_merchant(&simulator, "subsidies-wire-after-sales-ratio", &seen);
    assert_eq!(simulator.requests().len(), 2, "a refusal is not retried");

    // Nothing was recorded: the query does not find it, and no money moved.
    let query = QueryAfterSalesOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(transaction_id)
        .build()
        .unwrap();
    match client
        .profit_sharing()
        .query_after_sales_order(&query)
        .await
    {
        Err(Error::Api(api)) => assert_eq!(
            (api.status, api.code.clone()),
            (404, Some(ErrorCode::ResourceNotExists))
        ),
        other => panic!("{other:?}"),
    }
    assert!(movements(&simulator, transaction_id, Movement::AfterSalesShare).is_empty());

    // Without a refund of the transaction it is refused too, within the ratio.
    let unrefunded = "4200000000000000000000000013";
    paid(&simulator, unrefunded);
    assert_invalid_request(
        client
            .profit_sharing()
            .create_after_sales_order(&after_sales(unrefunded, 300, &refund_id))
            .await,
    );

    // At the maximum it is taken.
    let answer = client
        .profit_sharing()
        .create_after_sales_order(&after_sales(transaction_id, 300, &refund_id))
        .await
        .unwrap();
    assert_eq!(answer.amount, 300);
}
