//! The refunds, subsidies and after-sales rules the simulator plays, over loopback, and the one
//! journal they all write to: a refund after a split needs the money back first, the platform's
//! advance is paid back, a subsidy adds to what can be split and is returned per refund, an
//! after-sales fee goes to the platform, and no fen is made or lost between families.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{refund, split, split_and_finish};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wechatpay_ecommerce::profit_sharing::{
    AfterSalesScene, AfterSalesType, CreateAfterSalesOrderRequest, CreateReturnOrderRequest,
    OrderReference, ProcessingResult, QueryAfterSalesOrderRequest, QueryOrderAmountsRequest,
    ReturnResult,
};
use wechatpay_ecommerce::refunds::{
    AbnormalRefundType, ApplyAbnormalRefundRequest, ApplyRefundRequest, BankType, FundsFrom,
    QueryRefundByIdRequest, QueryRefundByOutRefundNoRequest, QueryRefundReturnAdvanceRequest,
    RefundAccount, RefundChannel, RefundNotification, RefundStatus, ReturnAdvanceRequest,
};
use wechatpay_ecommerce::simulator::{
    Account, JournalEntry, RefundOutcome, Simulator, VerificationMode,
};
use wechatpay_ecommerce::subsidies::{
    CancelSubsidyRequest, CreateSubsidyRequest, ReturnSubsidyRequest, SubsidyResult,
};
use wechatpay_ecommerce::{Client, EventType};

const SUB: &str = "1900000109";
const SUPPLIER: &str = "190001001";
const DELAY: Duration = Duration::from_secs(60);

async fn start() -> (Simulator, Client) {
    common::still_simulator_with_supplier(DELAY).await
}

/// Moves the simulator's clock past the processing delay.
fn done(simulator: &Simulator) {
    simulator.advance(DELAY + Duration::from_secs(1));
}

fn advanced(mut request: ApplyRefundRequest) -> ApplyRefundRequest {
    request.refund_account = Some(RefundAccount::RefundSourcePartnerAdvance);
    request
}

async fn unsplit(client: &Client, transaction: &str) -> i64 {
    let request = QueryOrderAmountsRequest::builder()
        .transaction_id(transaction)
        .build()
        .unwrap();
    (client.profit_sharing().query_order_amounts(&request).await)
        .unwrap()
        .unsplit_amount
}

async fn status_by_number(client: &Client, out_refund_no: &str) -> RefundStatus {
    let request = QueryRefundByOutRefundNoRequest::builder()
        .sub_mchid(SUB)
        .out_refund_no(out_refund_no)
        .build()
        .unwrap();
    (client.refunds().query_by_out_refund_no(&request).await)
        .unwrap()
        .status
        .clone()
}

/// Every account's balance from journal entries: each movement takes what it gives.
fn balances(entries: impl IntoIterator<Item = JournalEntry>) -> HashMap<Account, i64> {
    let mut balances = HashMap::new();
    for entry in entries {
        *balances.entry(entry.from.clone()).or_insert(0) -= entry.amount;
        *balances.entry(entry.to.clone()).or_insert(0) += entry.amount;
    }
    balances
}

#[tokio::test]
async fn a_refund_before_the_split_takes_the_frozen_money_and_goes_processing_then_success() {
    let (simulator, client) = start().await;
    simulator.add_transaction(SUB, "T1", 1000).unwrap();
    let accepted = client
        .refunds()
        .apply(&refund("T1", "R1", 300, 1000))
        .await
        .unwrap();
    assert_eq!(accepted.amount.refund, 300);
    assert_eq!(
        accepted.refund_account,
        Some(RefundAccount::RefundSourceSubMerchant)
    );
    // What is left to split shrank by the refund.
    assert_eq!(unsplit(&client, "T1").await, 700);
    let by_id = QueryRefundByIdRequest::builder()
        .sub_mchid(SUB)
        .refund_id(accepted.refund_id.clone())
        .build()
        .unwrap();
    let processing = client.refunds().query_by_id(&by_id).await.unwrap();
    assert_eq!(processing.status, RefundStatus::Processing);
    assert_eq!(processing.success_time, None);
    assert_eq!(processing.out_refund_no, "R1");
    assert_eq!(processing.transaction_id, "T1");
    assert_eq!(processing.out_trade_no, "MT1");
    done(&simulator);
    let succeeded = client.refunds().query_by_id(&by_id).await.unwrap();
    assert_eq!(succeeded.status, RefundStatus::Success);
    assert!(succeeded.success_time.unwrap() > succeeded.create_time);
    assert_eq!(succeeded.channel, Some(RefundChannel::Original));
    assert_eq!(status_by_number(&client, "R1").await, RefundStatus::Success);
    // The same number and request again: the same refund, not a second one.
    let again = client
        .refunds()
        .apply(&refund("T1", "R1", 300, 1000))
        .await
        .unwrap();
    assert_eq!(again.refund_id, accepted.refund_id);
    assert_eq!(unsplit(&client, "T1").await, 700);
    // The simulator lists it once, as the query answers it.
    assert_eq!(simulator.refunds(), [succeeded.data().clone()]);
    // Another sub-merchant does not see it.
    let other = QueryRefundByIdRequest::builder()
        .sub_mchid("1900000110")
        .refund_id(accepted.refund_id.clone())
        .build()
        .unwrap();
    let missing = client.refunds().query_by_id(&other).await.unwrap_err();
    assert_eq!(common::error_code(&missing), "RESOURCE_NOT_EXISTS");
}

#[tokio::test]
async fn a_refund_after_the_split_needs_the_money_back_first() {
    let (simulator, client) = start().await;
    simulator.add_transaction(SUB, "T2", 1000).unwrap();
    // 300 to the supplier, the rest to the sub-merchant's available balance.
    split_and_finish(&client, "T2", "P2", 300).await;
    done(&simulator);
    assert_eq!(unsplit(&client, "T2").await, 0);
    assert_eq!(simulator.available_balance(SUB), 700);
    assert_eq!(simulator.available_balance(SUPPLIER), 300);
    // The whole refund is more than the sub-merchant holds.
    let short = client
        .refunds()
        .apply(&refund("T2", "R2", 1000, 1000))
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&short), "NOT_ENOUGH");
    assert!(!short.may_have_taken_effect(), "{short}");
    // The supplier's share returned first, then the refund is funded.
    let give_back = CreateReturnOrderRequest::builder()
        .sub_mchid(SUB)
        .order(OrderReference::OutOrderNo("P2".into()))
        .out_return_no("B2")
        .return_mchid(SUPPLIER)
        .amount(300)
        .description("退款前回退")
        .build()
        .unwrap();
    client
        .profit_sharing()
        .create_return_order(&give_back)
        .await
        .unwrap();
    done(&simulator);
    assert_eq!(simulator.available_balance(SUB), 1000);
    assert_eq!(simulator.available_balance(SUPPLIER), 0);
    client
        .refunds()
        .apply(&refund("T2", "R2", 1000, 1000))
        .await
        .unwrap();
    assert_eq!(simulator.available_balance(SUB), 0);
    done(&simulator);
    assert_eq!(status_by_number(&client, "R2").await, RefundStatus::Success);
    // Nothing is left to refund.
    let more = client
        .refunds()
        .apply(&refund("T2", "R3", 1, 1000))
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&more), "INVALID_REQUEST");
}

#[tokio::test]
async fn the_platforms_advance_refunds_at_once_and_the_sub_merchant_pays_it_back() {
    let (simulator, client) = start().await;
    let platform = simulator.credentials().mchid.clone();
    simulator.add_transaction(SUB, "T3", 1000).unwrap();
    split_and_finish(&client, "T3", "P3", 300).await;
    done(&simulator);
    let accepted = client
        .refunds()
        .apply(&advanced(refund("T3", "R3", 1000, 1000)))
        .await
        .unwrap();
    assert_eq!(accepted.amount.advance, Some(1000));
    assert_eq!(
        accepted.refund_account,
        Some(RefundAccount::RefundSourcePartnerAdvance)
    );
    assert_eq!(simulator.available_balance(&platform), -1000);
    let give_back = ReturnAdvanceRequest::builder()
        .refund_id(accepted.refund_id.clone())
        .sub_mchid(SUB)
        .build()
        .unwrap();
    // Not before the refund succeeded.
    let early = client
        .refunds()
        .return_advance(&give_back)
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&early), "RESOURCE_NOT_EXISTS");
    done(&simulator);
    // The sub-merchant holds 700 of the 1000 to pay back.
    let short = client
        .refunds()
        .return_advance(&give_back)
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&short), "NOT_ENOUGH");
    let query = QueryRefundReturnAdvanceRequest::builder()
        .refund_id(accepted.refund_id.clone())
        .sub_mchid(SUB)
        .build()
        .unwrap();
    let none = client
        .refunds()
        .query_return_advance(&query)
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&none), "RESOURCE_NOT_EXISTS");
    // The supplier's share comes back; now the advance is paid back in full.
    let share_back = CreateReturnOrderRequest::builder()
        .sub_mchid(SUB)
        .order(OrderReference::OutOrderNo("P3".into()))
        .out_return_no("B3")
        .return_mchid(SUPPLIER)
        .amount(300)
        .description("回补前回退")
        .build()
        .unwrap();
    client
        .profit_sharing()
        .create_return_order(&share_back)
        .await
        .unwrap();
    done(&simulator);
    let returned = client.refunds().return_advance(&give_back).await.unwrap();
    assert_eq!(returned.return_amount, 1000);
    assert_eq!(returned.result, ProcessingResult::Success);
    assert_eq!(returned.payer_mchid, SUB);
    assert_eq!(returned.payee_mchid, platform);
    assert_eq!(simulator.available_balance(SUB), 0);
    assert_eq!(simulator.available_balance(&platform), 0);
    let queried = client.refunds().query_return_advance(&query).await.unwrap();
    assert_eq!(*queried, *returned);
    // Again: the same return, no second payment.
    let again = client.refunds().return_advance(&give_back).await.unwrap();
    assert_eq!(again.advance_return_id, returned.advance_return_id);
    assert_eq!(simulator.available_balance(SUB), 0);
}

#[tokio::test]
async fn an_abnormal_refund_is_sent_again_to_a_bank_card_and_a_closed_one_gives_its_money_back() {
    let (simulator, client) = start().await;
    simulator.add_transaction(SUB, "T4", 1000).unwrap();
    simulator.end_next_refund_as(RefundOutcome::Abnormal);
    let accepted = client
        .refunds()
        .apply(&refund("T4", "R4", 400, 1000))
        .await
        .unwrap();
    done(&simulator);
    assert_eq!(
        status_by_number(&client, "R4").await,
        RefundStatus::Abnormal
    );
    let to_card = |out_refund_no: &str| {
        ApplyAbnormalRefundRequest::builder()
            .refund_id(accepted.refund_id.clone())
            .sub_mchid(SUB)
            .out_refund_no(out_refund_no)
            .abnormal_refund_type(AbnormalRefundType::UserBankCard)
            .bank_type(BankType::IcbcDebit)
            .bank_account("6212260200012345678")
            .real_name("张三")
            .build()
            .unwrap()
    };
    let wrong = client
        .refunds()
        .apply_abnormal_refund(&to_card("R-other"))
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&wrong), "PARAM_ERROR");
    // Without the card's fields: refused.
    let mut bare = to_card("R4");
    bare.bank_account = None;
    let bare = client
        .refunds()
        .apply_abnormal_refund(&bare)
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&bare), "PARAM_ERROR");
    let again = client
        .refunds()
        .apply_abnormal_refund(&to_card("R4"))
        .await
        .unwrap();
    assert_eq!(again.status, RefundStatus::Processing);
    assert_eq!(again.channel, Some(RefundChannel::OtherBankcard));
    // The simulator decrypted the card number: the answer names its last four digits.
    assert_eq!(
        again.user_received_account.as_deref(),
        Some("ICBC_DEBIT借记卡5678")
    );
    done(&simulator);
    assert_eq!(status_by_number(&client, "R4").await, RefundStatus::Success);
    // A refund that is not ABNORMAL is not sent again.
    let twice = client
        .refunds()
        .apply_abnormal_refund(&to_card("R4"))
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&twice), "INVALID_REQUEST");

    // A refund that closes gives its money back: all of what is left may be refunded again.
    simulator.end_next_refund_as(RefundOutcome::Closed);
    client
        .refunds()
        .apply(&refund("T4", "R5", 600, 1000))
        .await
        .unwrap();
    done(&simulator);
    assert_eq!(status_by_number(&client, "R5").await, RefundStatus::Closed);
    assert_eq!(unsplit(&client, "T4").await, 600);
    client
        .refunds()
        .apply(&refund("T4", "R6", 600, 1000))
        .await
        .unwrap();
    assert_eq!(unsplit(&client, "T4").await, 0);
}

#[tokio::test]
async fn refunds_the_pages_refuse_are_refused_with_their_codes() {
    let (simulator, client) = start().await;
    simulator.add_transaction(SUB, "T5", 1000).unwrap();
    let refused = |request: ApplyRefundRequest| {
        let client = client.clone();
        async move { common::error_code(&client.refunds().apply(&request).await.unwrap_err()) }
    };
    // More than was paid.
    assert_eq!(
        refused(refund("T5", "R1", 1001, 1000)).await,
        "INVALID_REQUEST"
    );
    // Not the order's total.
    assert_eq!(
        refused(refund("T5", "R1", 100, 999)).await,
        "INVALID_REQUEST"
    );
    // No such transaction (or another sub-merchant's).
    assert_eq!(
        refused(refund("T0", "R1", 100, 1000)).await,
        "RESOURCE_NOT_EXISTS"
    );
    // Both ways of naming the funding account.
    let mut both = refund("T5", "R1", 100, 1000);
    both.funds_account = Some(FundsFrom::Available);
    both.amount.from = Some(vec![wechatpay_ecommerce::refunds::ApplyRefundAmountFrom {
        account: FundsFrom::Available,
        amount: 100,
    }]);
    assert_eq!(refused(both).await, "INVALID_REQUEST");
    // Accounts that do not add up to the refund.
    let mut short = refund("T5", "R1", 100, 1000);
    short.amount.from = Some(vec![wechatpay_ecommerce::refunds::ApplyRefundAmountFrom {
        account: FundsFrom::Unavailable,
        amount: 40,
    }]);
    assert_eq!(refused(short).await, "INVALID_REQUEST");
    // The sub-merchant's available balance is empty before any split.
    let mut available = refund("T5", "R1", 100, 1000);
    available.funds_account = Some(FundsFrom::Available);
    assert_eq!(refused(available).await, "NOT_ENOUGH");
    // A number used for another refund.
    client
        .refunds()
        .apply(&refund("T5", "R1", 100, 1000))
        .await
        .unwrap();
    assert_eq!(
        refused(refund("T5", "R1", 200, 1000)).await,
        "INVALID_REQUEST"
    );
    // Nothing refused moved money.
    assert_eq!(unsplit(&client, "T5").await, 900);
}

/// What a refund notify handler kept: each notification's event type and resource.
type Kept = Arc<Mutex<Vec<(EventType, RefundNotification)>>>;

/// A refund notify handler on loopback that decodes with `client`: its URL, and what it kept.
async fn refund_handler(client: &Client) -> (String, Kept) {
    use axum::body::Bytes;
    use axum::http::HeaderMap;

    let seen: Kept = Arc::default();
    let handler = {
        let (client, seen) = (client.clone(), seen.clone());
        move |headers: HeaderMap, body: Bytes| {
            let (client, seen) = (client.clone(), seen.clone());
            async move {
                let notified = client
                    .decode_notification::<RefundNotification>(&headers, &body)
                    .await
                    .unwrap();
                let event = notified.event_type().clone();
                seen.lock().unwrap().push((event, notified.resource));
                axum::http::StatusCode::NO_CONTENT
            }
        }
    };
    let app = axum::Router::new().route("/notify", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/notify"), seen)
}

/// Waits (real time, at most 10 s) until the handler kept `count` notifications.
async fn kept(seen: &Kept, count: usize) -> Vec<(EventType, RefundNotification)> {
    for _ in 0..1000 {
        if seen.lock().unwrap().len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    seen.lock().unwrap().clone()
}

/// A frozen-clock simulator and a client that decodes notifications.
async fn start_notifying() -> (Simulator, Client) {
    let simulator = Simulator::builder()
        .clock_speed(0.0)
        .processing_delay(DELAY)
        .start()
        .await
        .unwrap();
    let client = simulator
        .client_builder(VerificationMode::PublicKey)
        .unwrap()
        .apiv3_key(simulator.credentials().apiv3_key().unwrap())
        .notifications(true)
        .build()
        .unwrap();
    (simulator, client)
}

#[tokio::test]
async fn a_refunds_notify_url_gets_its_notification_without_the_simulators() {
    let (simulator, client) = start_notifying().await;
    let (url, seen) = refund_handler(&client).await;
    simulator.add_transaction(SUB, "T12", 1000).unwrap();
    let mut request = refund("T12", "R12", 100, 1000);
    request.notify_url = Some(url);
    client.refunds().apply(&request).await.unwrap();
    done(&simulator);
    let kept = kept(&seen, 1).await;
    assert_eq!(kept.len(), 1, "{:?}", simulator.deliveries());
    assert_eq!(kept[0].0, EventType::RefundSuccess);
    assert_eq!(kept[0].1.out_refund_no, "R12");
    // A refund without one has nowhere to go: the simulator has no notify URL.
    client
        .refunds()
        .apply(&refund("T12", "R13", 100, 1000))
        .await
        .unwrap();
    done(&simulator);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(simulator.deliveries().len(), 1);
}

#[tokio::test]
async fn the_refund_notification_is_delivered_and_decodes_with_the_same_call() {
    let (simulator, client) = start_notifying().await;
    let (url, seen) = refund_handler(&client).await;
    simulator.set_notify_url(&url).unwrap();

    simulator.add_transaction(SUB, "T6", 1000).unwrap();
    let accepted = client
        .refunds()
        .apply(&refund("T6", "R6", 250, 1000))
        .await
        .unwrap();
    simulator.end_next_refund_as(RefundOutcome::Abnormal);
    client
        .refunds()
        .apply(&refund("T6", "R7", 50, 1000))
        .await
        .unwrap();
    // Nothing before the refunds are done.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(seen.lock().unwrap().is_empty());
    done(&simulator);
    let seen = kept(&seen, 2).await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    let (event, success) = seen
        .iter()
        .find(|(event, _)| *event == EventType::RefundSuccess)
        .unwrap();
    assert_eq!(*event, EventType::RefundSuccess);
    assert_eq!(success.refund_id, accepted.refund_id);
    assert_eq!(success.out_refund_no, "R6");
    assert_eq!(success.refund_status, RefundStatus::Success);
    assert_eq!(success.amount.refund, 250);
    assert_eq!(success.amount.total, 1000);
    assert_eq!(success.sub_mchid, SUB);
    assert_eq!(success.sp_mchid, simulator.credentials().mchid);
    assert!(success.success_time.is_some());
    let (_, abnormal) = seen
        .iter()
        .find(|(event, _)| *event == EventType::RefundAbnormal)
        .unwrap();
    assert_eq!(abnormal.out_refund_no, "R7");
    assert_eq!(abnormal.refund_status, RefundStatus::Abnormal);
    assert_eq!(abnormal.success_time, None);
}

#[tokio::test]
async fn a_subsidy_adds_to_what_can_be_split_and_is_returned_per_refund() {
    let (simulator, client) = start().await;
    let platform = simulator.credentials().mchid.clone();
    simulator.add_transaction(SUB, "T7", 1000).unwrap();
    let subsidy = CreateSubsidyRequest::builder()
        .sub_mchid(SUB)
        .transaction_id("T7")
        .amount(100)
        .description("满减补差")
        .out_subsidy_no("S7")
        .build()
        .unwrap();
    let paid = client.subsidies().create(&subsidy).await.unwrap();
    assert_eq!(paid.result, SubsidyResult::Success);
    assert_eq!(paid.amount, Some(100));
    assert_eq!(unsplit(&client, "T7").await, 1100);
    assert_eq!(simulator.available_balance(&platform), -100);
    // Once per transaction: the same request is the same subsidy; another is refused.
    let again = client.subsidies().create(&subsidy).await.unwrap();
    assert_eq!(again.subsidy_id, paid.subsidy_id);
    let mut more = subsidy.clone();
    more.amount = 200;
    let refused = client.subsidies().create(&more).await.unwrap_err();
    assert_eq!(common::error_code(&refused), "INVALID_REQUEST");
    assert_eq!(unsplit(&client, "T7").await, 1100);

    // A refund, then its part of the subsidy back to the platform.
    let refunded = client
        .refunds()
        .apply(&refund("T7", "R7", 500, 1000))
        .await
        .unwrap();
    let give_back = |out_order_no: &str, refund_id: Option<String>, fen: i64| {
        ReturnSubsidyRequest::builder()
            .sub_mchid(SUB)
            .out_order_no(out_order_no)
            .transaction_id("T7")
            .amount(fen)
            .description("退款回退补差")
            .build()
            .map(|mut r| {
                r.refund_id = refund_id;
                r
            })
            .unwrap()
    };
    let no_refund = client
        .subsidies()
        .return_subsidy(&give_back("SR0", None, 50))
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&no_refund), "PARAM_ERROR");
    let returned = client
        .subsidies()
        .return_subsidy(&give_back("SR1", Some(refunded.refund_id.clone()), 60))
        .await
        .unwrap();
    assert_eq!(returned.result, ReturnResult::Success);
    assert_eq!(
        returned.subsidy_id.as_deref(),
        Some(paid.subsidy_id.as_str())
    );
    assert_eq!(simulator.available_balance(&platform), -40);
    // One return per refund.
    let twice = client
        .subsidies()
        .return_subsidy(&give_back("SR2", Some(refunded.refund_id.clone()), 10))
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&twice), "INVALID_REQUEST");
    // At most what was paid, over all returns.
    let second = client
        .refunds()
        .apply(&refund("T7", "R8", 100, 1000))
        .await
        .unwrap();
    let too_much = client
        .subsidies()
        .return_subsidy(&give_back("SR3", Some(second.refund_id.clone()), 41))
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&too_much), "INVALID_REQUEST");
    client
        .subsidies()
        .return_subsidy(&give_back("SR3", Some(second.refund_id.clone()), 40))
        .await
        .unwrap();
    assert_eq!(simulator.available_balance(&platform), 0);
    // Returned in full: the subsidy says so.
    let full = client.subsidies().create(&subsidy).await.unwrap();
    assert_eq!(full.result, SubsidyResult::Refund);
    // 1000 paid + 100 subsidy − 600 refunded − 100 subsidy returned.
    assert_eq!(unsplit(&client, "T7").await, 400);
}

#[tokio::test]
async fn a_subsidy_comes_before_the_split_and_is_cancelled_only_after_a_refund() {
    let (simulator, client) = start().await;
    simulator.add_transaction(SUB, "T8", 1000).unwrap();
    simulator.add_transaction(SUB, "T9", 1000).unwrap();
    let subsidy = |transaction: &str| {
        CreateSubsidyRequest::builder()
            .sub_mchid(SUB)
            .transaction_id(transaction)
            .amount(100)
            .description("补差")
            .build()
            .unwrap()
    };
    client
        .profit_sharing()
        .create_order(&split("T8", "P8", 100, false))
        .await
        .unwrap();
    let late = client.subsidies().create(&subsidy("T8")).await.unwrap_err();
    assert_eq!(common::error_code(&late), "INVALID_REQUEST");

    let cancel = CancelSubsidyRequest::builder()
        .sub_mchid(SUB)
        .transaction_id("T9")
        .description("不再补差")
        .build()
        .unwrap();
    let no_refund = client.subsidies().cancel(&cancel).await.unwrap_err();
    assert_eq!(common::error_code(&no_refund), "INVALID_REQUEST");
    client
        .refunds()
        .apply(&refund("T9", "R9", 100, 1000))
        .await
        .unwrap();
    let cancelled = client.subsidies().cancel(&cancel).await.unwrap();
    assert_eq!(cancelled.result, ReturnResult::Success);
    // Cancelled: no subsidy any more, and nothing moved.
    let after = client.subsidies().create(&subsidy("T9")).await.unwrap_err();
    assert_eq!(common::error_code(&after), "INVALID_REQUEST");
    assert_eq!(unsplit(&client, "T9").await, 900);
    // The cancel again is still a cancel.
    client.subsidies().cancel(&cancel).await.unwrap();
}

#[tokio::test]
async fn an_after_sales_fee_goes_to_the_platform_after_a_refund() {
    let (simulator, client) = start().await;
    let platform = simulator.credentials().mchid.clone();
    simulator.add_transaction(SUB, "T10", 1000).unwrap();
    let fee = |refund_id: &str, fen: i64| {
        CreateAfterSalesOrderRequest::builder()
            .sub_mchid(SUB)
            .transaction_id("T10")
            .amount(fen)
            .after_sales_type(AfterSalesType::ServiceFeeIncome)
            .scene(AfterSalesScene::ReturnGoods)
            .refund_id(refund_id)
            .build()
            .unwrap()
    };
    let no_refund = client
        .profit_sharing()
        .create_after_sales_order(&fee("50000000000000000000000000000", 10))
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&no_refund), "INVALID_REQUEST");
    let refunded = client
        .refunds()
        .apply(&refund("T10", "R10", 500, 1000))
        .await
        .unwrap();
    // More than the maximum ratio (30 % of 1000).
    let too_much = client
        .profit_sharing()
        .create_after_sales_order(&fee(&refunded.refund_id, 301))
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&too_much), "INVALID_REQUEST");
    let taken = client
        .profit_sharing()
        .create_after_sales_order(&fee(&refunded.refund_id, 50))
        .await
        .unwrap();
    assert_eq!(taken.amount, 50);
    assert_eq!(unsplit(&client, "T10").await, 450);
    assert_eq!(simulator.available_balance(&platform), 50);
    let query = QueryAfterSalesOrderRequest::builder()
        .sub_mchid(SUB)
        .transaction_id("T10")
        .build()
        .unwrap();
    let processing = client
        .profit_sharing()
        .query_after_sales_order(&query)
        .await
        .unwrap();
    assert_eq!(processing.result, ProcessingResult::Processing);
    done(&simulator);
    let succeeded = client
        .profit_sharing()
        .query_after_sales_order(&query)
        .await
        .unwrap();
    assert_eq!(succeeded.result, ProcessingResult::Success);
    assert!(succeeded.finish_time > processing.finish_time);
    // One per transaction.
    let second = client
        .profit_sharing()
        .create_after_sales_order(&fee(&refunded.refund_id, 60))
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&second), "INVALID_REQUEST");
}

#[tokio::test]
async fn every_family_writes_one_journal_whose_balances_add_up_to_zero() {
    let (simulator, client) = start().await;
    simulator.add_transaction(SUB, "T11", 1000).unwrap();
    client
        .subsidies()
        .create(
            &CreateSubsidyRequest::builder()
                .sub_mchid(SUB)
                .transaction_id("T11")
                .amount(100)
                .description("补差")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    split_and_finish(&client, "T11", "P11", 300).await;
    done(&simulator);
    let refunded = client
        .refunds()
        .apply(&advanced(refund("T11", "R11", 200, 1000)))
        .await
        .unwrap();
    done(&simulator);
    client
        .refunds()
        .return_advance(
            &ReturnAdvanceRequest::builder()
                .refund_id(refunded.refund_id.clone())
                .sub_mchid(SUB)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let balances = balances(
        simulator
            .journal()
            .into_iter()
            .filter(|e| e.transaction_id == "T11"),
    );
    assert_eq!(balances.values().sum::<i64>(), 0, "{balances:?}");
    // Each answer reads the same books: the sub-merchant got the rest of 1100 after 300 to the
    // supplier, and paid back the platform's 200.
    assert_eq!(simulator.available_balance(SUB), 1100 - 300 - 200);
    assert_eq!(balances[&Account::Available(SUB.into())], 600);
    assert_eq!(balances[&Account::Available(SUPPLIER.into())], 300);
    assert_eq!(balances[&Account::Buyer], -1000 + 200);
    assert_eq!(balances[&Account::Frozen("T11".into())], 0);
    assert_eq!(unsplit(&client, "T11").await, 0);
}

#[tokio::test]
async fn what_a_closed_refund_and_odd_funding_cannot_do() {
    let (simulator, client) = start().await;
    simulator.add_transaction(SUB, "T13", 1000).unwrap();
    // A refund that will close holds its money while it is processing.
    simulator.end_next_refund_as(RefundOutcome::Closed);
    client
        .refunds()
        .apply(&refund("T13", "R13", 1000, 1000))
        .await
        .unwrap();
    let meanwhile = client
        .refunds()
        .apply(&refund("T13", "R14", 1000, 1000))
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&meanwhile), "INVALID_REQUEST");
    done(&simulator);
    assert_eq!(status_by_number(&client, "R13").await, RefundStatus::Closed);
    // A closed refund refunded nothing: no subsidy is cancelled for it.
    let cancel = CancelSubsidyRequest::builder()
        .sub_mchid(SUB)
        .transaction_id("T13")
        .description("不再补差")
        .build()
        .unwrap();
    let cancelled = client.subsidies().cancel(&cancel).await.unwrap_err();
    assert_eq!(common::error_code(&cancelled), "INVALID_REQUEST");
    // Funding accounts: each gives at least 1 fen, and none is named twice.
    let from = |parts: &[(FundsFrom, i64)]| {
        let mut request = refund("T13", "R15", 300, 1000);
        request.amount.from = Some(
            parts
                .iter()
                .map(
                    |(account, amount)| wechatpay_ecommerce::refunds::ApplyRefundAmountFrom {
                        account: account.clone(),
                        amount: *amount,
                    },
                )
                .collect(),
        );
        request
    };
    let negative = client
        .refunds()
        .apply(&from(&[
            (FundsFrom::Available, 400),
            (FundsFrom::Unavailable, -100),
        ]))
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&negative), "PARAM_ERROR");
    let twice = client
        .refunds()
        .apply(&from(&[
            (FundsFrom::Unavailable, 100),
            (FundsFrom::Available, 100),
            (FundsFrom::Unavailable, 100),
        ]))
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&twice), "INVALID_REQUEST");
    assert_eq!(unsplit(&client, "T13").await, 1000);
}

#[tokio::test]
async fn an_advance_return_is_the_sub_merchants_own() {
    let (simulator, client) = start().await;
    simulator.add_transaction(SUB, "T14", 1000).unwrap();
    split_and_finish(&client, "T14", "P14", 100).await;
    done(&simulator);
    let accepted = client
        .refunds()
        .apply(&advanced(refund("T14", "R14", 500, 1000)))
        .await
        .unwrap();
    done(&simulator);
    let give_back = |sub_mchid: &str| {
        ReturnAdvanceRequest::builder()
            .refund_id(accepted.refund_id.clone())
            .sub_mchid(sub_mchid)
            .build()
            .unwrap()
    };
    client
        .refunds()
        .return_advance(&give_back(SUB))
        .await
        .unwrap();
    let other = client
        .refunds()
        .return_advance(&give_back("1900000110"))
        .await
        .unwrap_err();
    assert_eq!(common::error_code(&other), "RESOURCE_NOT_EXISTS");
}

#[tokio::test]
async fn a_transaction_replaced_gives_back_what_it_had_left_and_the_books_still_add_up() {
    let (simulator, client) = start().await;
    simulator.add_transaction(SUB, "T15", 1000).unwrap();
    client
        .profit_sharing()
        .create_order(&split("T15", "P15", 300, false))
        .await
        .unwrap();
    // The same id again: a new payment, the old one's 700 left frozen back to the buyer.
    simulator.add_transaction(SUB, "T15", 500).unwrap();
    assert_eq!(unsplit(&client, "T15").await, 500);
    let sum = balances(simulator.journal());
    assert_eq!(sum.values().sum::<i64>(), 0, "{sum:?}");
    // What the first payment gave the supplier stays the supplier's.
    assert_eq!(sum[&Account::Available(SUPPLIER.into())], 300);
    assert!(simulator.journal().iter().any(|e| e.movement
        == wechatpay_ecommerce::simulator::Movement::Forgotten
        && e.amount == 700));
}
