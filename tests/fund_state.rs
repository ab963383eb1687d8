//! The balances and withdrawals (余额/提现) the simulator plays, over loopback: every amount is the
//! journal the other families wrote (a split's share, its finish, a refund), a withdrawal takes
//! money out when accepted and gives it back if it fails, and the end-of-day balance is the
//! journal cut at midnight Beijing time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Duration;

use chrono::{Days, FixedOffset, NaiveTime, TimeZone};
use wechatpay_ecommerce::Client;
use wechatpay_ecommerce::fund::{
    AccountType, CreateWithdrawRequest, QueryBalanceRequest, QueryEndDayBalanceRequest,
    QueryWithdrawByOutRequestNoRequest, QueryWithdrawRequest, WithdrawStatus,
};
use wechatpay_ecommerce::profit_sharing::{
    CreateOrderReceiver, CreateOrderRequest, FinishOrderRequest, ReceiverType,
};
use wechatpay_ecommerce::simulator::Simulator;

const SUB: &str = "1900000109";
const SUPPLIER: &str = "190001001";
const DELAY: Duration = Duration::from_secs(60);

async fn start() -> (Simulator, Client) {
    common::still_simulator_with_supplier(DELAY).await
}

/// Splits `share` of `transaction` to the supplier and finishes: the rest is the sub-merchant's.
async fn split_and_finish(simulator: &Simulator, client: &Client, transaction: &str, share: i64) {
    let split = CreateOrderRequest::builder()
        .sub_mchid(SUB)
        .transaction_id(transaction)
        .out_order_no(format!("P{transaction}"))
        .receivers(vec![CreateOrderReceiver {
            receiver_type: ReceiverType::MerchantId,
            receiver_account: SUPPLIER.into(),
            amount: share,
            description: "货款".into(),
            receiver_name: None,
        }])
        .finish(false)
        .build()
        .unwrap();
    client.profit_sharing().create_order(&split).await.unwrap();
    let finish = FinishOrderRequest::builder()
        .sub_mchid(SUB)
        .transaction_id(transaction)
        .out_order_no(format!("F{transaction}"))
        .description("分账完结")
        .build()
        .unwrap();
    client.profit_sharing().finish_order(&finish).await.unwrap();
    simulator.advance(DELAY + Duration::from_secs(1));
}

async fn balance(client: &Client, sub: &str) -> (i64, Option<i64>) {
    let request = QueryBalanceRequest::builder()
        .sub_mchid(sub)
        .build()
        .unwrap();
    let balance = client.fund().query_balance(&request).await.unwrap();
    assert_eq!(balance.sub_mchid, sub);
    assert_eq!(balance.account_type, Some(AccountType::Basic));
    (balance.available_amount, balance.pending_amount)
}

fn withdrawal(out_request_no: &str, amount: i64) -> CreateWithdrawRequest {
    CreateWithdrawRequest::builder()
        .sub_mchid(SUB)
        .out_request_no(out_request_no)
        .amount(amount)
        .remark("交易提现")
        .build()
        .unwrap()
}

async fn status(client: &Client, withdraw_id: &str) -> WithdrawStatus {
    let request = QueryWithdrawRequest::builder()
        .sub_mchid(SUB)
        .withdraw_id(withdraw_id)
        .build()
        .unwrap();
    client
        .fund()
        .query_withdraw(&request)
        .await
        .unwrap()
        .status
        .clone()
}

#[tokio::test]
async fn the_balance_is_what_the_splits_left_frozen_and_available() {
    let (simulator, client) = start().await;
    // The simulator's own fixture transactions are pending already.
    let (available, pending) = balance(&client, SUB).await;
    let pending = pending.unwrap();
    simulator.add_transaction(SUB, "T1", 1000).unwrap();
    // Paid, not split: all of it pending (frozen for splitting), nothing more available.
    assert_eq!(
        balance(&client, SUB).await,
        (available, Some(pending + 1000))
    );
    split_and_finish(&simulator, &client, "T1", 300).await;
    assert_eq!(
        balance(&client, SUB).await,
        (available + 700, Some(pending))
    );
    assert_eq!(balance(&client, SUPPLIER).await.0, 300);
    assert_eq!(simulator.available_balance(SUB), available + 700);
    // Only the basic account exists here.
    let mut other = QueryBalanceRequest::builder()
        .sub_mchid(SUB)
        .build()
        .unwrap();
    other.account_type = Some(AccountType::Operation);
    let refused = client.fund().query_balance(&other).await.unwrap_err();
    assert_eq!(common::error_code(&refused), "INVALID_REQUEST");
}

#[tokio::test]
async fn a_withdrawal_takes_the_money_when_accepted_and_succeeds_after_processing() {
    let (simulator, client) = start().await;
    simulator.add_transaction(SUB, "T1", 1000).unwrap();
    split_and_finish(&simulator, &client, "T1", 300).await;
    let too_much = client.fund().create_withdraw(&withdrawal("W0", 701)).await;
    assert_eq!(common::error_code(&too_much.unwrap_err()), "NOT_ENOUGH");
    let accepted = client
        .fund()
        .create_withdraw(&withdrawal("W1", 500))
        .await
        .unwrap();
    assert_eq!(accepted.out_request_no, "W1");
    assert_eq!(balance(&client, SUB).await.0, 200);
    // The same number and request again: the same withdrawal, nothing taken twice.
    let again = client
        .fund()
        .create_withdraw(&withdrawal("W1", 500))
        .await
        .unwrap();
    assert_eq!(again.withdraw_id, accepted.withdraw_id);
    assert_eq!(balance(&client, SUB).await.0, 200);
    // The same number with another amount is refused.
    let changed = client.fund().create_withdraw(&withdrawal("W1", 100)).await;
    assert_eq!(common::error_code(&changed.unwrap_err()), "PARAM_ERROR");

    assert_eq!(
        status(&client, &accepted.withdraw_id).await,
        WithdrawStatus::CreateSuccess
    );
    simulator.advance(DELAY + Duration::from_secs(1));
    assert_eq!(
        status(&client, &accepted.withdraw_id).await,
        WithdrawStatus::Success
    );
    let by_number = QueryWithdrawByOutRequestNoRequest::builder()
        .sub_mchid(SUB)
        .out_request_no("W1")
        .build()
        .unwrap();
    let found = client
        .fund()
        .query_withdraw_by_out_request_no(&by_number)
        .await
        .unwrap();
    assert_eq!(found.withdraw_id, accepted.withdraw_id);
    assert_eq!(found.amount, 500);
    assert_eq!(found.status, WithdrawStatus::Success);
    assert_eq!(found.reason, None);
    assert!(found.update_time > found.create_time);
    assert_eq!(balance(&client, SUB).await.0, 200);

    let unknown = QueryWithdrawRequest::builder()
        .sub_mchid(SUB)
        .withdraw_id("1016000")
        .build()
        .unwrap();
    let missing = client.fund().query_withdraw(&unknown).await.unwrap_err();
    assert_eq!(common::error_code(&missing), "ORDER_NOT_EXIST");
}

#[tokio::test]
async fn a_failed_withdrawal_gives_the_money_back() {
    let (simulator, client) = start().await;
    simulator.add_transaction(SUB, "T1", 1000).unwrap();
    split_and_finish(&simulator, &client, "T1", 300).await;
    simulator.fail_next_withdrawal();
    let accepted = client
        .fund()
        .create_withdraw(&withdrawal("W1", 700))
        .await
        .unwrap();
    assert_eq!(balance(&client, SUB).await.0, 0);
    simulator.advance(DELAY + Duration::from_secs(1));
    assert_eq!(
        status(&client, &accepted.withdraw_id).await,
        WithdrawStatus::Fail
    );
    assert_eq!(balance(&client, SUB).await.0, 700);
    let request = QueryWithdrawRequest::builder()
        .sub_mchid(SUB)
        .withdraw_id(accepted.withdraw_id.clone())
        .build()
        .unwrap();
    let failed = client.fund().query_withdraw(&request).await.unwrap();
    assert!(failed.reason.as_ref().is_some_and(|r| !r.is_empty()));
}

#[tokio::test]
async fn the_end_of_day_balance_is_the_journal_cut_at_midnight_beijing_time() {
    let (simulator, client) = start().await;
    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    let day = simulator.now().with_timezone(&beijing).date_naive();
    simulator.add_transaction(SUB, "T1", 1000).unwrap();
    split_and_finish(&simulator, &client, "T1", 300).await;
    // To the next day (Beijing time), where more money moves.
    let midnight = beijing
        .from_local_datetime(
            &day.checked_add_days(Days::new(1))
                .unwrap()
                .and_time(NaiveTime::MIN),
        )
        .unwrap();
    let to_midnight = (midnight - simulator.now()).to_std().unwrap();
    simulator.advance(to_midnight + Duration::from_secs(3600));
    simulator.add_transaction(SUB, "T2", 2000).unwrap();
    split_and_finish(&simulator, &client, "T2", 600).await;
    client
        .fund()
        .create_withdraw(&withdrawal("W1", 100))
        .await
        .unwrap();
    assert_eq!(balance(&client, SUB).await.0, 700 + 1400 - 100);

    let end_of = |date: String| {
        QueryEndDayBalanceRequest::builder()
            .sub_mchid(SUB)
            .date(date)
            .build()
            .unwrap()
    };
    let first = client
        .fund()
        .query_end_day_balance(&end_of(day.format("%Y-%m-%d").to_string()))
        .await
        .unwrap();
    assert_eq!(first.available_amount, 700);
    assert_eq!(first.pending_amount, balance(&client, SUB).await.1);
    // The day before: nothing yet.
    let before = day.pred_opt().unwrap().format("%Y-%m-%d").to_string();
    let empty = client
        .fund()
        .query_end_day_balance(&end_of(before))
        .await
        .unwrap();
    assert_eq!(empty.available_amount, 0);
    // Today has not ended.
    let today = day.succ_opt().unwrap().format("%Y-%m-%d").to_string();
    let refused = client.fund().query_end_day_balance(&end_of(today)).await;
    assert_eq!(common::error_code(&refused.unwrap_err()), "INVALID_REQUEST");
    let malformed = client
        .fund()
        .query_end_day_balance(&end_of("2019/08/17".into()))
        .await;
    assert_eq!(common::error_code(&malformed.unwrap_err()), "PARAM_ERROR");
}
