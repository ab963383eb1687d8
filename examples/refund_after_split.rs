//! A refund after a split, on the built-in simulator, one line per step: a paid order is split
//! (part to a supplier, the rest unfrozen to the sub-merchant), the buyer asks for the whole
//! amount back, the refund is refused until the supplier's share is returned, then it goes
//! through, and WeChat Pay's refund notification (退款结果通知) reaches the notify URL the refund
//! named, where the platform's handler verifies, decrypts and decodes it with the same call as
//! the split notifications.
//!
//! ```sh
//! cargo run --example refund_after_split
//! ```
//!
//! The simulator's clock moves only when the example moves it, so that each step shows the state
//! the real API would be in (a split or a refund is `PROCESSING` for a while, then done).

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use wechatpay_ecommerce::profit_sharing::{
    AddReceiverRequest, CreateOrderReceiver, CreateOrderRequest, CreateReturnOrderRequest,
    FinishOrderRequest, OrderReference, QueryOrderAmountsRequest, ReceiverType, RelationType,
};
use wechatpay_ecommerce::refunds::{
    ApplyRefundAmount, ApplyRefundRequest, ApplyRefundTransactionIdOrOutTradeNo,
    QueryRefundByOutRefundNoRequest, RefundNotification,
};
use wechatpay_ecommerce::simulator::{Simulator, VerificationMode};
use wechatpay_ecommerce::{Client, Error};

type Failure = Box<dyn std::error::Error>;

const SUB_MCHID: &str = "1900000109";
const TRANSACTION: &str = "4208450740201411110007820472";
const PAID: i64 = 1000;
const SUPPLIER: &str = "190001001";
const DELAY: Duration = Duration::from_secs(60);

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("refund_after_split failed: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Prints one step.
fn step(name: &str, detail: impl std::fmt::Display) {
    println!("{name:<22} {detail}");
}

async fn run() -> Result<(), Failure> {
    let simulator = Simulator::builder()
        .clock_speed(0.0)
        .processing_delay(DELAY)
        .start()
        .await?;
    let client = simulator
        .client_builder(VerificationMode::PublicKey)?
        .apiv3_key(simulator.credentials().apiv3_key()?)
        .notifications(true)
        .build()?;
    let (notify_url, notified) = notify_handler(&client).await?;
    let done = || simulator.advance(DELAY + Duration::from_secs(1));

    // The split: 300 fen to the supplier, then the rest unfrozen to the sub-merchant.
    let supplier = AddReceiverRequest::builder()
        .receiver_type(ReceiverType::MerchantId)
        .account(SUPPLIER)
        .relation_type(RelationType::Supplier)
        .name("示例商户全称")
        .build()?;
    client.profit_sharing().add_receiver(&supplier).await?;
    let split = CreateOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(TRANSACTION)
        .out_order_no("P20261204000001")
        .receivers(vec![CreateOrderReceiver {
            receiver_type: ReceiverType::MerchantId,
            receiver_account: SUPPLIER.into(),
            amount: 300,
            description: "货款".into(),
            receiver_name: None,
        }])
        .finish(false)
        .build()?;
    let order = client.profit_sharing().create_order(&split).await?;
    done();
    step(
        "create_order",
        format!("{} → {} 300 fen", split.out_order_no, order.order_id),
    );
    let finish = FinishOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(TRANSACTION)
        .out_order_no("F20261204000001")
        .description("分账完结")
        .build()?;
    client.profit_sharing().finish_order(&finish).await?;
    done();
    let amounts = QueryOrderAmountsRequest::builder()
        .transaction_id(TRANSACTION)
        .build()?;
    let left = client
        .profit_sharing()
        .query_order_amounts(&amounts)
        .await?;
    step(
        "finish_order",
        format!(
            "unsplit_amount {}; the sub-merchant holds {} fen, the supplier {}",
            left.unsplit_amount,
            simulator.available_balance(SUB_MCHID),
            simulator.available_balance(SUPPLIER)
        ),
    );

    // The buyer wants all 1000 fen back: the sub-merchant holds 700.
    let refund = ApplyRefundRequest::builder()
        .sub_mchid(SUB_MCHID)
        .sp_appid("wx8888888888888888")
        .transaction_id_or_out_trade_no(ApplyRefundTransactionIdOrOutTradeNo::TransactionId(
            TRANSACTION.into(),
        ))
        .out_refund_no("R20261204000001")
        .reason("商品已退货")
        .notify_url(notify_url)
        .amount(ApplyRefundAmount {
            refund: PAID,
            from: None,
            total: PAID,
            currency: Some("CNY".into()),
        })
        .build()?;
    match client.refunds().apply(&refund).await {
        Err(error @ Error::Api(_)) => step(
            "apply (refused)",
            format!(
                "{error}; may have taken effect: {}",
                error.may_have_taken_effect()
            ),
        ),
        other => return Err(format!("expected NOT_ENOUGH, got {other:?}").into()),
    }

    // The supplier's share comes back first.
    let give_back = CreateReturnOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .order(OrderReference::OutOrderNo(split.out_order_no.clone()))
        .out_return_no("B20261204000001")
        .return_mchid(SUPPLIER)
        .amount(300)
        .description("退款前回退")
        .build()?;
    let returned = client
        .profit_sharing()
        .create_return_order(&give_back)
        .await?;
    done();
    step(
        "create_return_order",
        format!(
            "{} 300 fen back; the sub-merchant holds {} fen",
            returned.return_no,
            simulator.available_balance(SUB_MCHID)
        ),
    );

    // Now the refund goes through.
    let accepted = client.refunds().apply(&refund).await?;
    let query = QueryRefundByOutRefundNoRequest::builder()
        .sub_mchid(SUB_MCHID)
        .out_refund_no(refund.out_refund_no.clone())
        .build()?;
    let processing = client.refunds().query_by_out_refund_no(&query).await?;
    step(
        "apply",
        format!(
            "{} → refund_id {}, {}",
            refund.out_refund_no,
            accepted.refund_id,
            processing.status.as_str()
        ),
    );
    done();
    let refunded = client.refunds().query_by_out_refund_no(&query).await?;
    step(
        "query_by_out_refund_no",
        format!(
            "{} at {}, {} fen to {}",
            refunded.status.as_str(),
            refunded
                .success_time
                .map_or_else(|| "-".to_owned(), |t| t.to_rfc3339()),
            refunded.amount.refund,
            refunded.user_received_account.as_deref().unwrap_or("-")
        ),
    );

    // The notification, as the platform's handler received it.
    let resource = wait_for(&notified).await?;
    step(
        "refund notification",
        format!(
            "{} {} {} fen of {}, verified and decrypted",
            resource.refund_status.as_str(),
            resource.out_refund_no,
            resource.amount.refund,
            resource.amount.total
        ),
    );
    Ok(())
}

/// The platform's refund notify handler on loopback: it decodes each refund notification with the
/// client and keeps it. Its URL, and what it kept.
async fn notify_handler(
    client: &Client,
) -> Result<(String, Arc<Mutex<Vec<RefundNotification>>>), Failure> {
    let seen: Arc<Mutex<Vec<RefundNotification>>> = Arc::default();
    let handler = {
        let (client, seen) = (client.clone(), seen.clone());
        move |headers: HeaderMap, body: Bytes| {
            let (client, seen) = (client.clone(), seen.clone());
            async move {
                match client
                    .decode_notification::<RefundNotification>(&headers, &body)
                    .await
                {
                    Ok(notified) => {
                        if let Ok(mut seen) = seen.lock() {
                            seen.push(notified.resource);
                        }
                        StatusCode::NO_CONTENT
                    }
                    Err(error) => {
                        eprintln!("notification refused: {error}");
                        StatusCode::BAD_REQUEST
                    }
                }
            }
        }
    };
    let app = axum::Router::new().route("/notify", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((format!("http://{addr}/notify"), seen))
}

/// The first notification the handler kept, waiting at most five seconds of real time.
async fn wait_for(seen: &Mutex<Vec<RefundNotification>>) -> Result<RefundNotification, Failure> {
    for _ in 0..500 {
        if let Some(first) = seen.lock().ok().and_then(|s| s.first().cloned()) {
            return Ok(first);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err("no refund notification arrived within five seconds".into())
}
