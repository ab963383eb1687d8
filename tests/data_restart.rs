//! A simulator with a data file (`SimulatorBuilder::data`), stopped and started again in the same
//! process: every family's books come back as they were (splits, refunds and their funding, the
//! platform's advance and its return, subsidies, after-sales splits, withdrawals, the journal and
//! the balances, a rotated platform certificate), the keys are the same, and a reset is kept as a
//! reset.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::refund;

use std::path::Path;
use std::time::Duration;

use wechatpay_ecommerce::Client;
use wechatpay_ecommerce::fund::{CreateWithdrawRequest, QueryWithdrawRequest, WithdrawStatus};
use wechatpay_ecommerce::profit_sharing::{
    AfterSalesScene, AfterSalesType, CreateAfterSalesOrderRequest, QueryOrderRequest,
};
use wechatpay_ecommerce::refunds::{
    QueryRefundByOutRefundNoRequest, RefundAccount, ReturnAdvanceRequest,
};
use wechatpay_ecommerce::simulator::{Simulator, SimulatorError, VerificationMode};
use wechatpay_ecommerce::subsidies::CreateSubsidyRequest;

const SUB: &str = "1900000109";
const SUPPLIER: &str = "190001001";
const DELAY: Duration = Duration::from_secs(60);

async fn start(data: &Path) -> (Simulator, Client) {
    let simulator = Simulator::builder()
        .clock_speed(0.0)
        .processing_delay(DELAY)
        .data(data)
        .start()
        .await
        .unwrap();
    let client = simulator
        .client_builder(VerificationMode::PublicKey)
        .unwrap()
        .retry_policy(common::quick_retries())
        .build()
        .unwrap();
    (simulator, client)
}

/// What the simulator's own views say of its books: enough to tell one state from another.
#[derive(Debug, PartialEq)]
struct Books {
    orders: Vec<String>,
    refunds: Vec<String>,
    journal: Vec<String>,
    balances: [i64; 2],
    withdrawals: Vec<String>,
    platform: Vec<String>,
    now: chrono::DateTime<chrono::FixedOffset>,
}

fn books(simulator: &Simulator) -> Books {
    let mut orders: Vec<String> = simulator
        .orders()
        .iter()
        .map(|o| format!("{} {} {:?}", o.out_order_no, o.order_id, o.status))
        .collect();
    orders.sort();
    let mut refunds: Vec<String> = simulator
        .refunds()
        .iter()
        .map(|r| format!("{} {} {:?}", r.out_refund_no, r.refund_id, r.status))
        .collect();
    refunds.sort();
    Books {
        orders,
        refunds,
        journal: simulator
            .journal()
            .iter()
            .map(|e| format!("{e:?}"))
            .collect(),
        balances: [
            simulator.available_balance(SUB),
            simulator.available_balance(SUPPLIER),
        ],
        withdrawals: simulator
            .withdrawals()
            .iter()
            .map(|w| format!("{} {} {:?}", w.out_request_no, w.withdraw_id, w.status))
            .collect(),
        platform: simulator.platform_certificate_serials(),
        now: simulator.now(),
    }
}

#[tokio::test]
async fn every_familys_books_come_back_after_a_restart_and_a_reset_stays_a_reset() {
    let dir = common::scratch_dir("data-restart");
    let data = dir.join("simulator.sqlite");
    let (simulator, client) = start(&data).await;
    let key = simulator.credentials().merchant_private_key_pem.clone();
    let apiv3_key = simulator.credentials().apiv3_key.clone();
    client
        .profit_sharing()
        .add_receiver(&common::supplier())
        .await
        .unwrap();
    simulator.add_transaction(SUB, "T1", 1000).unwrap();
    simulator.add_transaction(SUB, "T2", 2000).unwrap();
    client
        .subsidies()
        .create(
            &CreateSubsidyRequest::builder()
                .sub_mchid(SUB)
                .transaction_id("T1")
                .amount(100)
                .description("补差")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    common::split_and_finish(&client, "T1", "P1", 300).await;
    simulator.advance(DELAY + Duration::from_secs(1));
    // A refund the platform advances, paid back by the sub-merchant.
    let mut advanced = refund("T1", "R1", 200, 1000);
    advanced.refund_account = Some(RefundAccount::RefundSourcePartnerAdvance);
    let refunded = client.refunds().apply(&advanced).await.unwrap();
    simulator.advance(DELAY + Duration::from_secs(1));
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
    // An after-sales split of the refund's fee, and a refund of T2 still processing.
    client
        .profit_sharing()
        .create_after_sales_order(
            &CreateAfterSalesOrderRequest::builder()
                .sub_mchid(SUB)
                .transaction_id("T1")
                .amount(10)
                .after_sales_type(AfterSalesType::ServiceFeeIncome)
                .scene(AfterSalesScene::ReturnGoods)
                .refund_id(refunded.refund_id.clone())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    client
        .refunds()
        .apply(&refund("T2", "R2", 500, 2000))
        .await
        .unwrap();
    // A withdrawal of part of what the sub-merchant has.
    let withdrawn = client
        .fund()
        .create_withdraw(
            &CreateWithdrawRequest::builder()
                .sub_mchid(SUB)
                .out_request_no("W1")
                .amount(100)
                .remark("交易提现")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let rotated = simulator.rotate_platform_certificate().await.unwrap();
    simulator.flush().await.unwrap();
    let before = books(&simulator);
    assert!(before.platform.contains(&rotated));
    assert_eq!(before.refunds.len(), 2, "{before:?}");
    assert_eq!(before.withdrawals.len(), 1, "{before:?}");
    drop((simulator, client));

    // Started again on the file: the same keys, the same books, the same time.
    let (simulator, client) = start(&data).await;
    assert_eq!(simulator.credentials().merchant_private_key_pem, key);
    assert_eq!(simulator.credentials().apiv3_key, apiv3_key);
    assert_eq!(books(&simulator), before);
    // The API answers from them: the split, the refund still processing, the withdrawal, which
    // then go on as they would have.
    let order = client
        .profit_sharing()
        .query_order(
            &QueryOrderRequest::builder()
                .sub_mchid(SUB)
                .transaction_id("T1")
                .out_order_no("P1")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(before.orders.iter().any(|o| o.contains(&order.order_id)));
    let by_number = |out_refund_no: &str| {
        QueryRefundByOutRefundNoRequest::builder()
            .sub_mchid(SUB)
            .out_refund_no(out_refund_no)
            .build()
            .unwrap()
    };
    let r2 = client
        .refunds()
        .query_by_out_refund_no(&by_number("R2"))
        .await
        .unwrap();
    assert_eq!(format!("{:?}", r2.status), "Processing");
    simulator.advance(DELAY + Duration::from_secs(1));
    let r2 = client
        .refunds()
        .query_by_out_refund_no(&by_number("R2"))
        .await
        .unwrap();
    assert_eq!(format!("{:?}", r2.status), "Success");
    let status = client
        .fund()
        .query_withdraw(
            &QueryWithdrawRequest::builder()
                .sub_mchid(SUB)
                .withdraw_id(withdrawn.withdraw_id.clone())
                .build()
                .unwrap(),
        )
        .await
        .unwrap()
        .status
        .clone();
    assert_eq!(status, WithdrawStatus::Success);
    // A number used before the restart is still the same refund.
    let again = client.refunds().apply(&advanced).await.unwrap();
    assert_eq!(again.refund_id, refunded.refund_id);

    // A reset is saved as a reset: after another restart nothing played is back.
    simulator.reset().unwrap();
    simulator.flush().await.unwrap();
    drop((simulator, client));
    let (simulator, _client) = start(&data).await;
    let after_reset = books(&simulator);
    assert!(after_reset.refunds.is_empty(), "{after_reset:?}");
    assert!(
        !after_reset.orders.iter().any(|o| o.starts_with("P1 ")),
        "{after_reset:?}"
    );
    assert_eq!(after_reset.balances, [0, 0]);
    drop(simulator);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_data_file_another_simulator_holds_is_refused() {
    let dir = common::scratch_dir("data-locked");
    let data = dir.join("simulator.sqlite");
    let (first, _client) = start(&data).await;
    let second = Simulator::builder().data(&data).start().await;
    match second {
        Err(SimulatorError::Data(why)) => assert!(why.contains("another simulator"), "{why}"),
        other => panic!("expected the file to be refused, got {other:?}"),
    }
    drop(first);
    // Once the first one stopped, the file is free again.
    let (again, _client) = start(&data).await;
    drop(again);
    let _ = std::fs::remove_dir_all(&dir);
}
