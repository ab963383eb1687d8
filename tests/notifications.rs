//! End to end over loopback: a split or a return in the simulator leads to a notification POSTed
//! to a handler (an axum server, as merchants write them), which verifies, decrypts and decodes it
//! with `Client::decode_notification` and answers; a failing handler sees WeChat Pay's retries, and
//! every notification fault ends in the handler's typed error, then a clean retry.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use wechatpay_ecommerce::EventType;
use wechatpay_ecommerce::profit_sharing::ReceiverType;
use wechatpay_ecommerce::profit_sharing::{
    CreateOrderReceiver, CreateOrderRequest, CreateReturnOrderRequest, OrderReference,
    ProfitSharingNotification,
};
use wechatpay_ecommerce::simulator::{
    AnswerSigner, Delivery, NotificationFault, Simulator, VerificationMode,
};
use wechatpay_ecommerce::{Client, ClientBuilder, NotificationAnswer, NotificationError, Notified};

const SUB_MCHID: &str = "1900000109";
const TRANSACTION: &str = "4208450740201411110007820472";
const SUPPLIER: &str = "190001001";
const APPID: &str = "wx8888888888888888";

/// What the handler saw: each notification decoded (once per id), each error, and how many more
/// notifications it is told to fail.
#[derive(Default)]
struct Seen {
    decoded: Vec<Notified<ProfitSharingNotification>>,
    errors: Vec<String>,
    fail_next: u32,
}

#[derive(Clone)]
struct Handler {
    client: Client,
    seen: Arc<Mutex<Seen>>,
}

/// The notify handler: raw headers and body in, the crate's answer out.
async fn notify(State(handler): State<Handler>, headers: HeaderMap, body: Bytes) -> Response {
    let decoded = handler
        .client
        .decode_notification::<ProfitSharingNotification>(&headers, &body)
        .await;
    let answer = {
        let mut seen = handler.seen.lock().unwrap();
        match decoded {
            Err(error) => {
                let answer = error.answer();
                seen.errors.push(describe(&error));
                answer
            }
            Ok(_) if seen.fail_next > 0 => {
                seen.fail_next -= 1;
                NotificationAnswer::failed("database unavailable")
            }
            Ok(notified) => {
                // De-duplicated by id, as WeChat Pay asks.
                if !seen.decoded.iter().any(|n| n.id() == notified.id()) {
                    seen.decoded.push(notified);
                }
                NotificationAnswer::received()
            }
        }
    };
    answer.into_response().map(axum::body::Body::from)
}

/// The error's kind, for the assertions.
fn describe(error: &NotificationError) -> String {
    let kind = match error {
        NotificationError::BadSignature { .. } => "BadSignature",
        NotificationError::Decrypt { .. } => "Decrypt",
        NotificationError::Unverified(reason) => match reason {
            wechatpay_ecommerce::VerifyError::StaleTimestamp { .. } => "Stale",
            wechatpay_ecommerce::VerifyError::SignatureProbe => "Probe",
            wechatpay_ecommerce::VerifyError::UnknownSerial { .. } => "UnknownSerial",
            wechatpay_ecommerce::VerifyError::PublicKeyNotConfigured { .. } => {
                "PublicKeyNotConfigured"
            }
            _ => "Unverified",
        },
        NotificationError::DeadlineExceeded { .. } => "DeadlineExceeded",
        _ => "Other",
    };
    format!("{kind}: {error}")
}

/// A frozen-clock simulator, a client that decodes notifications, and a handler on loopback the
/// simulator delivers to; the supplier is added as a receiver.
async fn start() -> (Simulator, Client, Arc<Mutex<Seen>>) {
    start_in(VerificationMode::PublicKey).await
}

async fn start_in(mode: VerificationMode) -> (Simulator, Client, Arc<Mutex<Seen>>) {
    let (simulator, client, seen, _) = start_with(mode, |builder| builder).await;
    (simulator, client, seen)
}

/// Like [`start_in`], the client's settings adjusted by `adjust`; also returns the handler's URL.
async fn start_with(
    mode: VerificationMode,
    adjust: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> (Simulator, Client, Arc<Mutex<Seen>>, String) {
    let simulator = Simulator::builder().clock_speed(0.0).start().await.unwrap();
    let client = adjust(
        simulator
            .client_builder(mode)
            .unwrap()
            .apiv3_key(simulator.credentials().apiv3_key().unwrap())
            .notifications(true)
            .retry_policy(common::quick_retries()),
    )
    .build()
    .unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = axum::Router::new()
        .route("/notify", axum::routing::post(notify))
        .with_state(Handler {
            client: client.clone(),
            seen: seen.clone(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let url = format!("http://{addr}/notify");
    simulator.set_notify_url(&url).unwrap();
    client
        .profit_sharing()
        .add_receiver(&common::supplier())
        .await
        .unwrap();
    (simulator, client, seen, url)
}

fn split(out_order_no: &str, amount: i64) -> CreateOrderRequest {
    let receiver = CreateOrderReceiver {
        receiver_type: ReceiverType::MerchantId,
        receiver_account: SUPPLIER.into(),
        amount,
        description: "运费".into(),
        receiver_name: None,
    };
    CreateOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(TRANSACTION)
        .out_order_no(out_order_no)
        .receivers(vec![receiver])
        .finish(false)
        .appid(APPID)
        .build()
        .unwrap()
}

/// Waits (real time, at most 10 s) until the simulator has recorded `count` deliveries.
async fn deliveries(simulator: &Simulator, count: usize) -> Vec<Delivery> {
    for _ in 0..1000 {
        let deliveries = simulator.deliveries();
        if deliveries.len() >= count {
            return deliveries;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "{count} deliveries expected, got {:?}",
        simulator.deliveries()
    );
}

#[tokio::test]
async fn a_split_and_a_return_are_delivered_verified_decrypted_and_decoded() {
    let (simulator, client, seen) = start().await;
    let order = client
        .profit_sharing()
        .create_order(&split("P-NOTIFY-1", 100))
        .await
        .unwrap();
    // Nothing is due while the split is processing.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(simulator.deliveries().is_empty());

    simulator.advance(Duration::from_secs(3));
    let sent = deliveries(&simulator, 1).await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].received(), "{:?}", sent[0]);
    assert_eq!(sent[0].status, Some(204));
    assert_eq!(sent[0].event_type, "PROFITSHARING.SUCCESS");
    let body: serde_json::Value = serde_json::from_str(&sent[0].body).unwrap();
    assert_eq!(body["resource"]["original_type"], "profitsharing");
    assert!(
        !sent[0].body.contains(SUPPLIER),
        "the resource travels encrypted"
    );
    {
        let seen = seen.lock().unwrap();
        assert!(seen.errors.is_empty(), "{:?}", seen.errors);
        let notified = &seen.decoded[0];
        assert_eq!(notified.id(), sent[0].id);
        assert_eq!(notified.event_type(), &EventType::ProfitsharingSuccess);
        let resource = &notified.resource;
        assert_eq!(resource.order_id, order.order_id);
        assert_eq!(resource.out_order_no, "P-NOTIFY-1");
        assert_eq!(resource.transaction_id, TRANSACTION);
        assert_eq!(resource.sub_mchid, SUB_MCHID);
        assert_eq!(resource.sp_mchid, simulator.credentials().mchid);
        assert_eq!(resource.receiver.receiver_type, ReceiverType::MerchantId);
        assert_eq!(resource.receiver.account, SUPPLIER);
        assert_eq!(resource.receiver.amount, 100);
        assert_eq!(resource.success_time, simulator.now());
    }

    let give_back = CreateReturnOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .order(OrderReference::OutOrderNo("P-NOTIFY-1".into()))
        .out_return_no("R-NOTIFY-1")
        .return_mchid(SUPPLIER)
        .amount(40)
        .description("退回运费")
        .build()
        .unwrap();
    let returned = client
        .profit_sharing()
        .create_return_order(&give_back)
        .await
        .unwrap();
    simulator.advance(Duration::from_secs(3));
    let sent = deliveries(&simulator, 2).await;
    assert_eq!(sent[1].event_type, "PROFITSHARING.RETURN");
    assert!(sent[1].received());
    let seen = seen.lock().unwrap();
    let resource = &seen.decoded[1].resource;
    assert_eq!(
        seen.decoded[1].event_type(),
        &EventType::ProfitsharingReturn
    );
    // In a return's notification, order_id and out_order_no are the return's numbers.
    assert_eq!(resource.order_id, returned.return_no);
    assert_eq!(resource.out_order_no, "R-NOTIFY-1");
    assert_eq!(resource.receiver.account, SUPPLIER);
    assert_eq!(resource.receiver.amount, 40);
    assert_eq!(resource.receiver.description, "退回运费");
}

#[tokio::test]
async fn a_failing_handler_sees_the_retries_on_the_pages_schedule_until_it_answers_success() {
    let (simulator, client, seen) = start().await;
    seen.lock().unwrap().fail_next = 2;
    client
        .profit_sharing()
        .create_order(&split("P-RETRY-1", 100))
        .await
        .unwrap();
    simulator.advance(Duration::from_secs(3));
    let first = deliveries(&simulator, 1).await;
    assert_eq!(first[0].status, Some(500));
    let failure: serde_json::Value = serde_json::from_str(&first[0].answer).unwrap();
    assert_eq!(
        failure,
        serde_json::json!({"code": "FAIL", "message": "database unavailable"})
    );

    // The next attempt waits 15 s on the simulator's clock.
    simulator.advance(Duration::from_secs(14));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(simulator.deliveries().len(), 1);
    simulator.advance(Duration::from_secs(1));
    let second = deliveries(&simulator, 2).await;
    assert_eq!(second[1].status, Some(500));
    // Then 15 s again; the third attempt is received, and no fourth comes.
    simulator.advance(Duration::from_secs(15));
    let third = deliveries(&simulator, 3).await;
    simulator.advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(150)).await;
    let all = simulator.deliveries();
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(all.iter().map(|d| d.attempt).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(all.iter().all(|d| d.id == first[0].id), "one notification");
    assert!(third[2].received());
    assert_eq!(
        (third[1].sent_at - third[0].sent_at).num_seconds(),
        15,
        "{all:?}"
    );
    assert_eq!((third[2].sent_at - third[1].sent_at).num_seconds(), 15);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.decoded.len(), 1);
}

#[tokio::test]
async fn every_notification_fault_ends_in_a_typed_error_and_a_clean_retry_is_taken() {
    let (simulator, client, seen) = start().await;
    let faults = [
        NotificationFault::TamperCiphertext,
        NotificationFault::WrongAssociatedData,
        NotificationFault::TamperBody,
        NotificationFault::StaleTimestamp(600),
        NotificationFault::SignatureProbe,
        NotificationFault::UnknownSerial,
    ];
    for fault in faults.clone() {
        simulator.inject_notification(fault);
    }
    client
        .profit_sharing()
        .create_order(&split("P-FAULT-1", 100))
        .await
        .unwrap();
    simulator.advance(Duration::from_secs(3));
    // Each faulty attempt is refused, and the next comes on the schedule: 15 s, 15 s, 30 s, 3 min,
    // 10 min, 20 min, then the clean one.
    let waits = [15, 15, 30, 180, 600, 1200];
    for (index, wait) in waits.iter().enumerate() {
        deliveries(&simulator, index + 1).await;
        simulator.advance(Duration::from_secs(*wait));
    }
    let all = deliveries(&simulator, faults.len() + 1).await;
    let statuses: Vec<Option<u16>> = all.iter().map(|d| d.status).collect();
    assert_eq!(
        statuses,
        [500, 500, 400, 400, 400, 400, 204].map(Some),
        "{all:?}"
    );
    let seen = seen.lock().unwrap();
    let kinds: Vec<&str> = seen
        .errors
        .iter()
        .map(|e| e.split(':').next().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "Decrypt",
            "Decrypt",
            "BadSignature",
            "Stale",
            "Probe",
            "UnknownSerial"
        ]
    );
    assert!(seen.errors[0].contains("APIv3 key"), "{}", seen.errors[0]);
    assert!(seen.errors[2].contains("raw bytes"), "{}", seen.errors[2]);
    assert_eq!(seen.decoded.len(), 1);
    assert_eq!(seen.decoded[0].resource.out_order_no, "P-FAULT-1");
}

#[tokio::test]
async fn a_duplicate_delivery_carries_the_same_id_and_is_handled_once() {
    let (simulator, client, seen) = start().await;
    simulator.inject_notification(NotificationFault::Duplicate);
    client
        .profit_sharing()
        .create_order(&split("P-DUP-1", 100))
        .await
        .unwrap();
    simulator.advance(Duration::from_secs(3));
    let all = deliveries(&simulator, 2).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, all[1].id);
    assert!(all.iter().all(Delivery::received));
    assert_eq!(seen.lock().unwrap().decoded.len(), 1);
}

#[tokio::test]
async fn a_notification_signed_by_a_platform_certificate_the_client_lacks_fetches_it_first() {
    let (simulator, client, seen) = start_in(VerificationMode::PlatformCertificates).await;
    simulator.set_answer_signer(AnswerSigner::PlatformCertificate);
    client
        .profit_sharing()
        .create_order(&split("P-CERT-1", 100))
        .await
        .unwrap();
    // WeChat Pay moves to a new certificate before the notification: no answer has named it.
    let new_serial = simulator.rotate_platform_certificate().await.unwrap();
    assert!(
        !client
            .certificate_status()
            .unwrap()
            .serials
            .contains(&new_serial)
    );
    simulator.advance(Duration::from_secs(3));
    let sent = deliveries(&simulator, 1).await;
    assert!(sent[0].received(), "{:?}", seen.lock().unwrap().errors);
    let verified = seen.lock().unwrap().decoded[0].verified.clone();
    assert_eq!(verified.serial, new_serial);
    assert_eq!(
        verified.source,
        wechatpay_ecommerce::KeySource::PlatformCertificate
    );
    assert!(
        client
            .certificate_status()
            .unwrap()
            .serials
            .contains(&new_serial)
    );
    // One download for it, then it is held: the next notification it signs costs none.
    let held = certificate_downloads(&simulator);
    client
        .profit_sharing()
        .create_order(&split("P-CERT-2", 100))
        .await
        .unwrap();
    simulator.advance(Duration::from_secs(3));
    let sent = deliveries(&simulator, 2).await;
    assert!(sent[1].received(), "{:?}", sent[1]);
    assert_eq!(certificate_downloads(&simulator), held);
}

fn certificate_downloads(simulator: &Simulator) -> usize {
    simulator
        .requests()
        .iter()
        .filter(|r| r.path_and_query == wechatpay_ecommerce::CERTIFICATES_PATH)
        .count()
}

/// What a stranger POSTs to the notify URL: a fresh timestamp, a serial nobody has (or the one
/// given), a signature of the right length that verifies under no key, a plausible body.
fn forged(url: &str, serial: &str) -> reqwest::RequestBuilder {
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let signature = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 256]);
    let body = r#"{"id":"EV-FORGED","create_time":"2026-12-04T10:00:00+08:00","event_type":"PROFITSHARING.SUCCESS","summary":"分账","resource_type":"encrypt-resource","resource":{"algorithm":"AEAD_AES_256_GCM","ciphertext":"AAAA","associated_data":"profitsharing","original_type":"profitsharing","nonce":"0123456789ab"}}"#;
    reqwest::Client::new()
        .post(url)
        .header("wechatpay-timestamp", timestamp.to_string())
        .header("wechatpay-nonce", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS")
        .header("wechatpay-signature", signature)
        .header("wechatpay-serial", serial)
        .header("wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048")
        .header("content-type", "application/json")
        .body(body)
}

/// POSTs `count` forgeries, each naming a new serial, `concurrency` at a time; returns each
/// one's status and how long its answer took.
async fn post_forgeries(url: &str, count: usize, concurrency: usize) -> Vec<(u16, Duration)> {
    let mut answers = Vec::new();
    let mut serials = (0..count).map(|i| format!("7E{i:038X}"));
    loop {
        let mut batch = tokio::task::JoinSet::new();
        for serial in serials.by_ref().take(concurrency) {
            let request = forged(url, &serial);
            batch.spawn(async move {
                let start = std::time::Instant::now();
                let status = request.send().await.unwrap().status().as_u16();
                (status, start.elapsed())
            });
        }
        if batch.is_empty() {
            return answers;
        }
        while let Some(answer) = batch.join_next().await {
            answers.push(answer.unwrap());
        }
    }
}

/// The median and the slowest of the answer times, for the report.
fn spread(answers: &[(u16, Duration)]) -> (Duration, Duration) {
    let mut times: Vec<Duration> = answers.iter().map(|(_, t)| *t).collect();
    times.sort();
    (times[times.len() / 2], times[times.len() - 1])
}

#[tokio::test]
async fn two_hundred_forged_notifications_with_new_serials_cost_one_download_and_are_refused() {
    // Platform certificates and the public key, as a merchant migrating: an unknown certificate
    // serial is what used to start a download per forgery.
    let (simulator, _client, seen, url) = start_with(VerificationMode::Both, |b| b).await;
    assert_eq!(certificate_downloads(&simulator), 0);
    let answers = post_forgeries(&url, 200, 20).await;
    assert_eq!(answers.len(), 200);
    assert!(
        answers.iter().all(|(status, _)| *status == 400),
        "every forgery is refused: {answers:?}"
    );
    let downloads = certificate_downloads(&simulator);
    assert!(downloads <= 3, "{downloads} downloads for 200 forgeries");
    assert_eq!(downloads, 1, "one on-demand download per interval (60 s)");
    let seen = seen.lock().unwrap();
    assert!(seen.decoded.is_empty());
    assert_eq!(seen.errors.len(), 200);
    assert!(
        seen.errors.iter().all(|e| e.starts_with("UnknownSerial")),
        "{:?}",
        seen.errors.iter().find(|e| !e.starts_with("UnknownSerial"))
    );
    let (median, slowest) = spread(&answers);
    eprintln!(
        "200 forged notifications: {downloads} certificate download(s); answers in {median:?} (median), {slowest:?} (slowest)"
    );
}

#[tokio::test]
async fn a_forgery_that_waits_for_a_hanging_download_is_answered_by_the_notification_deadline() {
    let (simulator, _client, seen, url) = start_with(VerificationMode::Both, |b| {
        b.notification_deadline(Duration::from_millis(300))
    })
    .await;
    // The certificate endpoint hangs longer than any deadline.
    simulator.inject_always_on(
        wechatpay_ecommerce::CERTIFICATES_PATH,
        wechatpay_ecommerce::simulator::Fault::Delay(Duration::from_secs(60)),
    );
    let answers = post_forgeries(&url, 40, 20).await;
    assert!(answers.iter().all(|(status, _)| *status >= 400));
    // Those that came while the download ran waited for it until their deadline and failed (so
    // that WeChat Pay would send a real one again); none started another download.
    assert_eq!(certificate_downloads(&simulator), 1);
    let seen = seen.lock().unwrap();
    let waited = seen
        .errors
        .iter()
        .filter(|e| e.starts_with("DeadlineExceeded"))
        .count();
    assert!(waited >= 1, "{:?}", seen.errors);
    assert!(
        seen.errors
            .iter()
            .all(|e| e.starts_with("DeadlineExceeded") || e.starts_with("UnknownSerial")),
        "{:?}",
        seen.errors
    );
    // Answered by the deadline, not by the download's 30 s: far under WeChat Pay's 5 s.
    let (_, slowest) = spread(&answers);
    assert!(slowest < Duration::from_secs(3), "{slowest:?}");
}

#[tokio::test]
async fn a_notification_naming_a_public_key_the_client_lacks_is_a_configuration_error() {
    let (simulator, _client, seen, url) = start_with(VerificationMode::Both, |b| b).await;
    let status = forged(&url, "PUB_KEY_ID_0119000000012026112200000000000002")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400);
    assert_eq!(certificate_downloads(&simulator), 0, "nothing to download");
    {
        let seen = seen.lock().unwrap();
        let error = &seen.errors[0];
        assert!(error.starts_with("PublicKeyNotConfigured"), "{error}");
        assert!(
            error.contains("PUB_KEY_ID_0119000000012026112200000000000002")
                && error.contains("wechatpay_public_key"),
            "{error}"
        );
    }
    // Nor does any other serial that no certificate can have: not hex, or more than 40 digits,
    // or a public key id in another case.
    let hex_41 = format!("1{}", "0".repeat(40));
    for serial in [
        "not-a-serial",
        hex_41.as_str(),
        "pub_key_id_0119000000012026112200000000000002",
    ] {
        let status = forged(&url, serial).send().await.unwrap().status();
        assert_eq!(status, 400, "{serial}");
    }
    assert_eq!(certificate_downloads(&simulator), 0);
    let seen = seen.lock().unwrap();
    assert!(
        seen.errors[1].starts_with("UnknownSerial"),
        "{:?}",
        seen.errors
    );
    assert!(
        seen.errors[2].starts_with("UnknownSerial"),
        "{:?}",
        seen.errors
    );
    assert!(
        seen.errors[3].starts_with("PublicKeyNotConfigured"),
        "{:?}",
        seen.errors
    );
}

#[tokio::test]
async fn a_notify_url_that_is_not_http_is_refused() {
    let simulator = Simulator::builder().start().await.unwrap();
    for url in ["not a url", "ftp://127.0.0.1/notify"] {
        let error = simulator.set_notify_url(url).unwrap_err();
        assert!(error.to_string().contains(url), "{error}");
    }
}
