//! A notify handler (回调通知): the HTTP endpoint WeChat Pay POSTs 分账动账通知 to, written with
//! axum. It hands the raw headers and body to `Client::decode_notification` (verify the signature,
//! decrypt the resource with the APIv3 key, decode it), handles each notification id once, and
//! answers with the crate's `NotificationAnswer`.
//!
//! ```sh
//! cargo run --example notify_handler
//! ```
//!
//! runs it against the built-in simulator, which plays WeChat Pay: it makes a split, the
//! simulator's clock moves past the split's processing time, the simulator POSTs the notification,
//! and the handler prints what it decoded. The first delivery is answered with a failure on
//! purpose (`--fail-first 0` turns that off), to show WeChat Pay sending it again on its schedule.
//!
//! In production the same `notify` function serves the URL set in the merchant platform, behind
//! HTTPS, with the merchant's client built with `ClientBuilder::apiv3_key` and
//! `ClientBuilder::notifications(true)`. Take the body as raw bytes (`Bytes`, not `Json<…>`): a
//! body parsed and written again no longer matches WeChat Pay's signature.

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use tokio::sync::mpsc;
use wechatpay_v3::simulator::{Simulator, VerificationMode};
use wechatpay_v3::types::{ReceiverType, RelationType};
use wechatpay_v3::{
    AddReceiverRequest, Client, CreateOrderReceiver, CreateOrderRequest, NotificationAnswer,
    ProfitSharingNotification,
};

type Failure = Box<dyn std::error::Error>;

/// What the handler needs: the client that decodes, the ids handled so far (a database table in
/// production), and where to report.
#[derive(Clone)]
struct Handler {
    client: Client,
    handled: Arc<Mutex<HashSet<String>>>,
    /// How many more notifications to answer with a failure (for the demonstration).
    fail: Arc<Mutex<u32>>,
    report: mpsc::UnboundedSender<String>,
}

/// `POST /notify`.
async fn notify(State(handler): State<Handler>, headers: HeaderMap, body: Bytes) -> Response {
    let answer = match handler
        .client
        .decode_notification::<ProfitSharingNotification>(&headers, &body)
        .await
    {
        Err(error) => {
            // Not verified, not decrypted or not decoded: say why in the log, answer a failure
            // (WeChat Pay sends it again) and never act on it.
            let _ = handler.report.send(format!("refused: {error}"));
            error.answer()
        }
        Ok(notified) => {
            let mut fail = handler.fail.lock().unwrap_or_else(|e| e.into_inner());
            if *fail > 0 {
                *fail -= 1;
                let _ = handler.report.send(format!(
                    "notification {}: answered 500 on purpose",
                    notified.id()
                ));
                NotificationAnswer::failed("try again later")
            } else {
                let first_time = handler
                    .handled
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(notified.id().to_owned());
                if first_time {
                    let r = &notified.resource;
                    let _ = handler.report.send(format!(
                        "notification {} {}: {} fen to {} {} (order {}, {}), at {}",
                        notified.id(),
                        notified.event_type(),
                        r.receiver.amount,
                        r.receiver.receiver_type,
                        r.receiver.account,
                        r.order_id,
                        r.out_order_no,
                        r.success_time.to_rfc3339(),
                    ));
                }
                NotificationAnswer::received()
            }
        }
    };
    answer.into_response().map(Body::from)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("notify_handler failed: {error}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args() -> Result<u32, Failure> {
    let mut fail_first = 1;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--fail-first" => {
                let value = args.next().ok_or("--fail-first needs a number")?;
                fail_first = value
                    .parse()
                    .map_err(|_| format!("--fail-first {value:?}: not a number"))?;
            }
            other => {
                return Err(format!("unknown flag {other:?} (the flag is --fail-first N)").into());
            }
        }
    }
    Ok(fail_first)
}

async fn run() -> Result<(), Failure> {
    let fail_first = parse_args()?;
    // The simulator plays WeChat Pay; its clock moves only when told, so that the demonstration
    // does not wait for real time.
    let simulator = Simulator::builder().clock_speed(0.0).start().await?;
    let credentials = simulator.credentials();
    let client = simulator
        .client_builder(VerificationMode::PublicKey)?
        .apiv3_key(credentials.apiv3_key()?)
        .notifications(true)
        .build()?;

    let (report, mut reports) = mpsc::unbounded_channel();
    let app = axum::Router::new()
        .route("/notify", axum::routing::post(notify))
        .with_state(Handler {
            client: client.clone(),
            handled: Arc::default(),
            fail: Arc::new(Mutex::new(fail_first)),
            report,
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/notify", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    simulator.set_notify_url(&url)?;
    println!("handler listening on {url}");

    let add = AddReceiverRequest::builder()
        .receiver_type(ReceiverType::MerchantId)
        .account("190001001")
        .relation_type(RelationType::Supplier)
        .name("示例商户全称")
        .build()?;
    client.add_receiver(&add).await?;
    let receiver = CreateOrderReceiver {
        receiver_type: ReceiverType::MerchantId,
        receiver_account: "190001001".into(),
        amount: 100,
        description: "运费".into(),
        receiver_name: None,
    };
    let split = CreateOrderRequest::builder()
        .sub_mchid("1900000109")
        .transaction_id("4208450740201411110007820472")
        .out_order_no("P20150806125346-NOTIFY")
        .receivers(vec![receiver])
        .finish(false)
        .appid("wx8888888888888888")
        .build()?;
    let order = client.create_order(&split).await?;
    println!(
        "split {} accepted, order {}",
        order.out_order_no, order.order_id
    );

    // The split is done after its processing time; then the notification comes, and after a
    // failure answer again 15 s later (on the simulator's clock).
    simulator.advance(wechatpay_v3::simulator::DEFAULT_PROCESSING_DELAY);
    let mut waits = wechatpay_v3::operations::PROFIT_SHARING_NOTIFICATION
        .retry_intervals
        .iter();
    let mut answered = 0;
    loop {
        let line = tokio::time::timeout(Duration::from_secs(10), reports.recv())
            .await
            .map_err(|_| "no notification came within 10 s")?
            .ok_or("the handler stopped")?;
        println!("{line}");
        answered += 1;
        if !line.contains("on purpose") {
            break;
        }
        let wait = waits.next().ok_or("WeChat Pay's schedule ended")?;
        println!("WeChat Pay sends it again in {} s", wait.as_secs());
        simulator.advance(*wait);
    }
    // The simulator records an attempt once it has read the handler's answer.
    let mut deliveries = simulator.deliveries();
    for _ in 0..500 {
        if deliveries.len() >= answered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        deliveries = simulator.deliveries();
    }
    for delivery in deliveries {
        println!(
            "delivery {} attempt {}: answered {}",
            delivery.id,
            delivery.attempt,
            delivery
                .status
                .map_or("nothing".to_owned(), |s| s.to_string())
        );
    }
    Ok(())
}
