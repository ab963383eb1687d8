//! A notify handler (回调通知): the HTTP endpoint WeChat Pay POSTs 分账动账通知 to, written with
//! axum. It hands the raw headers and body to `Client::decode_notification` (verify the signature,
//! decrypt the resource with the APIv3 key, decode it), tells a split's notification from a
//! return's, handles each money movement once, and answers with the crate's `NotificationAnswer`.
//!
//! ```sh
//! cargo run --example notify_handler
//! ```
//!
//! runs it against the built-in simulator, which plays WeChat Pay: it makes a split and then a
//! return, the simulator's clock moves past their processing time, the simulator POSTs the
//! notifications, and the handler prints what it decoded. The first delivery is answered with a
//! failure on purpose (`--fail-first 0` turns that off), to show WeChat Pay sending it again on
//! its schedule; the return's notification comes twice, the second time under a new id, to show
//! why it is handled once by its business number and not only by its id.
//!
//! How the page lets a handler tell the two apart: a split's notification and a return's have the
//! same resource, whose `out_order_no` is the merchant's split number (`out_order_no` of 请求分账)
//! in the one and its return number (`out_return_no` of 请求分账回退) in the other, and whose
//! `order_id` is WeChat Pay's split or return id. The page warns that `event_type` is not enough
//! (another page gives both kinds as `TRANSACTION.SUCCESS`): the merchant's own records of the
//! numbers it used decide, and `event_type` is only a cross-check.
//!
//! In production the same `notify` function serves the URL set in the merchant platform, behind
//! HTTPS, with the merchant's client built with `ClientBuilder::apiv3_key` and
//! `ClientBuilder::notifications(true)`, and the records in a database. Take the body as raw bytes
//! (`Bytes`, not `Json<…>`): a body parsed and written again no longer matches WeChat Pay's
//! signature.

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use tokio::sync::mpsc;
use wechatpay_ecommerce::EventType;
use wechatpay_ecommerce::profit_sharing::{
    AddReceiverRequest, CreateOrderReceiver, CreateOrderRequest, CreateReturnOrderRequest,
    OrderReference, ProfitSharingNotification,
};
use wechatpay_ecommerce::profit_sharing::{ReceiverType, RelationType};
use wechatpay_ecommerce::simulator::{NotificationFault, Simulator, VerificationMode};
use wechatpay_ecommerce::{Client, NotificationAnswer, Notified};

type Failure = Box<dyn std::error::Error>;

/// Which money movement a notification reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Movement {
    /// A split (分账): `out_order_no` is one of the merchant's split numbers.
    Split,
    /// A return (分账回退): `out_order_no` is one of the merchant's return numbers.
    Return,
}

/// The merchant's records (a database in production): the numbers it used for its splits and
/// returns, and the movements handled so far.
#[derive(Default)]
struct Books {
    split_numbers: HashSet<String>,
    return_numbers: HashSet<String>,
    /// By business number and receiver: a split notifies each of its receivers once.
    handled: HashSet<(Movement, String, String)>,
}

impl Books {
    /// What the notification reports, by the merchant's own records of its numbers (the page:
    /// `out_order_no` is the split number or the return number); `None` for a number it never
    /// used.
    fn movement(&self, resource: &ProfitSharingNotification) -> Option<Movement> {
        if self.return_numbers.contains(&resource.out_order_no) {
            Some(Movement::Return)
        } else if self.split_numbers.contains(&resource.out_order_no) {
            Some(Movement::Split)
        } else {
            None
        }
    }
}

/// What the handler needs: the client that decodes, the books, and where to report.
#[derive(Clone)]
struct Handler {
    client: Client,
    books: Arc<Mutex<Books>>,
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
        Ok(notified) => handle(&handler, &notified),
    };
    answer.into_response().map(Body::from)
}

/// Handles a verified notification once per money movement.
fn handle(handler: &Handler, notified: &Notified<ProfitSharingNotification>) -> NotificationAnswer {
    let mut fail = handler.fail.lock().unwrap_or_else(|e| e.into_inner());
    if *fail > 0 {
        *fail -= 1;
        let _ = handler.report.send(format!(
            "notification {}: answered 500 on purpose",
            notified.id()
        ));
        return NotificationAnswer::failed("try again later");
    }
    let r = &notified.resource;
    let mut books = handler.books.lock().unwrap_or_else(|e| e.into_inner());
    let Some(movement) = books.movement(r) else {
        // Not a number this merchant used: keep it for reconciliation, and let WeChat Pay send
        // it again meanwhile.
        let _ = handler.report.send(format!(
            "notification {}: {} is none of our numbers",
            notified.id(),
            r.out_order_no
        ));
        return NotificationAnswer::failed("unknown business number");
    };
    let expected = match movement {
        Movement::Split => EventType::ProfitsharingSuccess,
        Movement::Return => EventType::ProfitsharingReturn,
    };
    let checked = if *notified.event_type() == expected {
        ""
    } else {
        " (event_type says otherwise: kept for review)"
    };
    // Once per business number and receiver, whatever the notification's id: WeChat Pay may
    // send the same movement again, and not always under the same id.
    let key = (movement, r.out_order_no.clone(), r.receiver.account.clone());
    if !books.handled.insert(key) {
        let _ = handler.report.send(format!(
            "notification {}: {} already handled, answered 204",
            notified.id(),
            r.out_order_no
        ));
        return NotificationAnswer::received();
    }
    // `order_id` is WeChat Pay's split id in a split's notification, its return id in a return's.
    let (what, direction, id) = match movement {
        Movement::Split => ("split", "to", "order"),
        Movement::Return => ("return", "back from", "return"),
    };
    let line = format!(
        "{what} {}: {} fen {direction} {} {} ({id} {}, notification {}), at {}{checked}",
        r.out_order_no,
        r.receiver.amount,
        r.receiver.receiver_type,
        r.receiver.account,
        r.order_id,
        notified.id(),
        r.success_time.to_rfc3339(),
    );
    let _ = handler.report.send(line);
    NotificationAnswer::received()
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

/// Waits for the handler's next report line, and prints it.
async fn next_report(reports: &mut mpsc::UnboundedReceiver<String>) -> Result<String, Failure> {
    let line = tokio::time::timeout(Duration::from_secs(10), reports.recv())
        .await
        .map_err(|_| "no notification came within 10 s")?
        .ok_or("the handler stopped")?;
    println!("{line}");
    Ok(line)
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
    let books = Arc::new(Mutex::new(Books::default()));
    let app = axum::Router::new()
        .route("/notify", axum::routing::post(notify))
        .with_state(Handler {
            client: client.clone(),
            books: books.clone(),
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
    client.profit_sharing().add_receiver(&add).await?;
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
    // The number goes in the books before the request: its notification may come before the
    // answer is stored.
    books
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .split_numbers
        .insert(split.out_order_no.clone());
    let order = client.profit_sharing().create_order(&split).await?;
    println!(
        "split {} accepted, order {}",
        order.out_order_no, order.order_id
    );

    // The split is done after its processing time; then the notification comes, and after a
    // failure answer again 15 s later (on the simulator's clock).
    simulator.advance(wechatpay_ecommerce::simulator::DEFAULT_PROCESSING_DELAY);
    let mut waits = wechatpay_ecommerce::profit_sharing::PROFIT_SHARING_NOTIFICATION
        .retry_intervals
        .iter();
    let mut answered = 0;
    loop {
        let line = next_report(&mut reports).await?;
        answered += 1;
        if !line.contains("on purpose") {
            break;
        }
        let wait = waits.next().ok_or("WeChat Pay's schedule ended")?;
        println!("WeChat Pay sends it again in {} s", wait.as_secs());
        simulator.advance(*wait);
    }

    // A return of part of the share: its notification has the same shape, with the return's
    // numbers. The simulator sends it twice, the second time under a new id.
    let give_back = CreateReturnOrderRequest::builder()
        .sub_mchid("1900000109")
        .order(OrderReference::OutOrderNo(split.out_order_no.clone()))
        .out_return_no("R20150806125346-NOTIFY")
        .return_mchid("190001001")
        .amount(50)
        .description("用户退货")
        .build()?;
    books
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .return_numbers
        .insert(give_back.out_return_no.clone());
    simulator.inject_notification(NotificationFault::DuplicateWithNewId);
    let returned = client
        .profit_sharing()
        .create_return_order(&give_back)
        .await?;
    println!(
        "return {} accepted, return {}",
        returned.out_return_no, returned.return_no
    );
    simulator.advance(wechatpay_ecommerce::simulator::DEFAULT_PROCESSING_DELAY);
    for _ in 0..2 {
        next_report(&mut reports).await?;
        answered += 1;
    }

    // The simulator records an attempt once it has read the handler's answer.
    let mut deliveries = simulator.deliveries();
    for _ in 0..3000 {
        if deliveries.len() >= answered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        deliveries = simulator.deliveries();
    }
    // In the order they were sent on the simulator's clock: each is recorded when its answer is
    // read, and on a busy machine a later one can be read first.
    deliveries.sort_by_key(|delivery| delivery.sent_at);
    for delivery in deliveries {
        println!(
            "delivery {} {} attempt {}: answered {}",
            delivery.id,
            delivery.event_type,
            delivery.attempt,
            delivery
                .status
                .map_or("nothing".to_owned(), |s| s.to_string())
        );
    }
    Ok(())
}
