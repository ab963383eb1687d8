//! What the sandbox keeps, driven from outside as a team's staging setup would: several platform
//! merchants, each seeing only its own books and answering only to its own key; and `--data`,
//! whose file keeps what the sandbox acknowledged through a SIGKILL, so that a restarted sandbox
//! answers for yesterday's splits, keeps its keys and its clock, and resumes deliveries.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::{Sandbox, Scratch, client_from, read, start, start_in, supplier};
use serde_json::{Value, json};
use wechatpay_ecommerce::profit_sharing::{
    AddReceiverRequest, CreateOrderReceiver, CreateOrderRequest, OrderStatus,
    QueryOrderAmountsRequest, QueryOrderRequest, ReceiverType, RelationType,
};
use wechatpay_ecommerce::{Client, Error, MerchantKey, WechatPayPublicKey};

const SUB_MCHID: &str = "1900000109";
const SUPPLIER: &str = "190001001";
const PERSON: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
const APPID: &str = "wx8888888888888888";

fn amounts(transaction_id: &str) -> QueryOrderAmountsRequest {
    QueryOrderAmountsRequest::builder()
        .transaction_id(transaction_id)
        .build()
        .unwrap()
}

fn query(transaction_id: &str, out_order_no: &str) -> QueryOrderRequest {
    QueryOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(transaction_id)
        .out_order_no(out_order_no)
        .build()
        .unwrap()
}

fn person() -> AddReceiverRequest {
    let mut add = AddReceiverRequest::builder()
        .receiver_type(ReceiverType::PersonalOpenid)
        .account(PERSON)
        .relation_type(RelationType::Distributor)
        .appid(APPID)
        .build()
        .unwrap();
    add.name = Some("张三".into());
    add
}

/// A split of `transaction_id`: `amount` fen to the supplier, or to the person named `name`.
fn split(
    transaction_id: &str,
    out_order_no: &str,
    amount: i64,
    person_named: Option<&str>,
) -> CreateOrderRequest {
    let receiver = match person_named {
        None => CreateOrderReceiver {
            receiver_type: ReceiverType::MerchantId,
            receiver_account: SUPPLIER.into(),
            amount,
            description: "供应商货款".into(),
            receiver_name: None,
        },
        Some(name) => CreateOrderReceiver {
            receiver_type: ReceiverType::PersonalOpenid,
            receiver_account: PERSON.into(),
            amount,
            description: "分销佣金".into(),
            receiver_name: Some(name.into()),
        },
    };
    CreateOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(transaction_id)
        .out_order_no(out_order_no)
        .receivers(vec![receiver])
        .finish(false)
        .appid(APPID)
        .build()
        .unwrap()
}

async fn add_transaction(sandbox: &Sandbox, mchid: Option<&str>, transaction_id: &str, fen: i64) {
    let path = match mchid {
        Some(mchid) => format!("/sandbox/transactions?mchid={mchid}"),
        None => "/sandbox/transactions".to_owned(),
    };
    let (status, body) = sandbox
        .call(
            reqwest::Method::POST,
            &path,
            Some(json!({"sub_mchid": SUB_MCHID, "transaction_id": transaction_id, "amount": fen})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The API error's status and code, or a panic naming what came instead.
fn api_error<T: std::fmt::Debug>(result: Result<T, Error>) -> (u16, String) {
    match result {
        Err(Error::Api(api)) => (
            api.status,
            api.code.map(|c| c.as_str().to_owned()).unwrap_or_default(),
        ),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// A client for merchant `mchid` signing with the serial and key found in `key_dir`, and
/// verifying with the WeChat Pay public key found in `verify_dir`.
fn client_mixed(mchid: &str, key_dir: &Path, verify_dir: &Path, base_url: &str) -> Client {
    Client::builder()
        .merchant(
            mchid,
            read(key_dir, "merchant_serial_no"),
            MerchantKey::from_pem_file(key_dir.join("merchant_private_key.pem")).unwrap(),
        )
        .wechatpay_public_key(
            WechatPayPublicKey::from_pem_file(
                read(verify_dir, "public_key_id"),
                verify_dir.join("platform_public_key.pem"),
            )
            .unwrap(),
        )
        .base_url(base_url)
        .build()
        .unwrap()
}

/// A client for the merchant `POST /sandbox/merchants` answered, from its answer.
fn client_of(added: &Value, base_url: &str) -> Client {
    Client::builder()
        .merchant(
            added["mchid"].as_str().unwrap(),
            added["merchant_serial_no"].as_str().unwrap(),
            MerchantKey::from_pem(added["merchant_private_key"].as_str().unwrap()).unwrap(),
        )
        .wechatpay_public_key(
            WechatPayPublicKey::from_pem(
                added["public_key_id"].as_str().unwrap(),
                added["platform_public_key"].as_str().unwrap(),
            )
            .unwrap(),
        )
        .base_url(base_url)
        .build()
        .unwrap()
}

#[tokio::test]
async fn two_merchants_see_only_their_own_books_and_each_key_signs_for_its_merchant_only() {
    let sandbox = start("merchants", &["--merchants", "2", "--clock-speed", "0"]);
    let (status, listed) = sandbox
        .call(reqwest::Method::GET, "/sandbox/merchants", None)
        .await;
    assert_eq!(status, 200, "{listed}");
    let mchids: Vec<&str> = listed["merchants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mchid"].as_str().unwrap())
        .collect();
    let a = read(&sandbox.dir, "mchid");
    assert_eq!(mchids.len(), 2, "{listed}");
    assert_eq!(mchids[0], a, "the first merchant's credentials are in DIR");
    let b = mchids[1].to_owned();
    assert_ne!(a, b);
    let dir_a = sandbox.dir.join("merchants").join(&a);
    let dir_b = sandbox.dir.join("merchants").join(&b);
    assert_eq!(
        read(&dir_a, "merchant_private_key.pem"),
        read(&sandbox.dir, "merchant_private_key.pem")
    );
    for file in [
        "merchant_private_key.pem",
        "apiv3_key",
        "platform_public_key.pem",
        "merchant_serial_no",
    ] {
        assert_ne!(
            read(&dir_a, file),
            read(&dir_b, file),
            "{file} is each merchant's own"
        );
    }
    let client_a = sandbox.client();
    let client_b = client_from(&dir_b, &sandbox.base_url);

    // Each merchant's transaction, added over the control plane, is in its books only.
    add_transaction(&sandbox, None, "4200000000000000000000000A01", 1000).await;
    add_transaction(&sandbox, Some(&b), "4200000000000000000000000B01", 2000).await;
    let ps_a = client_a.profit_sharing();
    let ps_b = client_b.profit_sharing();
    assert_eq!(
        ps_a.query_order_amounts(&amounts("4200000000000000000000000A01"))
            .await
            .unwrap()
            .unsplit_amount,
        1000
    );
    assert_eq!(
        ps_b.query_order_amounts(&amounts("4200000000000000000000000B01"))
            .await
            .unwrap()
            .unsplit_amount,
        2000
    );
    assert_eq!(
        api_error(
            ps_b.query_order_amounts(&amounts("4200000000000000000000000A01"))
                .await
        )
        .0,
        404
    );
    assert_eq!(
        api_error(
            ps_a.query_order_amounts(&amounts("4200000000000000000000000B01"))
                .await
        )
        .0,
        404
    );

    // A's split is A's: B cannot see it, and the control plane lists it under A only.
    ps_a.add_receiver(&supplier()).await.unwrap();
    let order = ps_a
        .create_order(&split("4200000000000000000000000A01", "P-A-1", 100, None))
        .await
        .unwrap();
    assert_eq!(
        ps_a.query_order(&query("4200000000000000000000000A01", "P-A-1"))
            .await
            .unwrap()
            .order_id,
        order.order_id
    );
    assert_eq!(
        api_error(
            ps_b.query_order(&query("4200000000000000000000000A01", "P-A-1"))
                .await
        ),
        (404, "RESOURCE_NOT_EXISTS".to_owned())
    );
    // B has no receiver: A's does not count for it.
    let (status, _) = api_error(
        ps_b.create_order(&split("4200000000000000000000000B01", "P-B-1", 100, None))
            .await,
    );
    assert_eq!(status, 400);
    let (_, listed_a) = sandbox
        .call(reqwest::Method::GET, "/sandbox/orders", None)
        .await;
    let (_, listed_b) = sandbox
        .call(
            reqwest::Method::GET,
            &format!("/sandbox/orders?mchid={b}"),
            None,
        )
        .await;
    let has = |listed: &Value| {
        listed["orders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["out_order_no"] == "P-A-1")
    };
    assert!(has(&listed_a), "{listed_a}");
    assert!(!has(&listed_b), "{listed_b}");
    // The journal over the control plane: each merchant's payments, and A's share, in its own.
    let (_, journal_b) = sandbox
        .call(
            reqwest::Method::GET,
            &format!("/sandbox/journal?mchid={b}"),
            None,
        )
        .await;
    let movements = |journal: &Value, transaction_id: &str| -> Vec<String> {
        journal["journal"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["transaction_id"] == transaction_id)
            .map(|e| e["movement"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        movements(&journal_b, "4200000000000000000000000B01"),
        ["Payment"]
    );
    assert!(movements(&journal_b, "4200000000000000000000000A01").is_empty());
    let (_, journal_a) = sandbox
        .call(reqwest::Method::GET, "/sandbox/journal", None)
        .await;
    assert_eq!(
        movements(&journal_a, "4200000000000000000000000A01"),
        ["Payment", "Share"]
    );

    // One merchant's key signs for no other mchid, and its own key with the other's serial
    // neither.
    for (mchid, key_dir) in [(&a, &dir_b), (&b, &dir_a)] {
        let forged = client_mixed(mchid, key_dir, &sandbox.dir, &sandbox.base_url);
        assert_eq!(
            api_error(
                forged
                    .profit_sharing()
                    .query_order_amounts(&amounts("4200000000000000000000000A01"))
                    .await
            ),
            (401, "SIGN_ERROR".to_owned()),
            "{mchid} with the key in {}",
            key_dir.display()
        );
    }
    // B's answers are signed with B's WeChat Pay key: a client that trusts A's refuses them.
    let trusting_a = client_mixed(&b, &dir_b, &dir_a, &sandbox.base_url);
    assert!(matches!(
        trusting_a
            .profit_sharing()
            .query_order_amounts(&amounts("4200000000000000000000000B01"))
            .await,
        Err(Error::Verification { .. })
    ));

    // A merchant added over the control plane, with a given APIv3 key, works at once; its id
    // cannot be taken twice; an unknown merchant is named.
    let apiv3_key = "0123456789abcdef0123456789abcdef";
    let (status, added) = sandbox
        .call(
            reqwest::Method::POST,
            "/sandbox/merchants",
            Some(json!({"mchid": "1900000777", "apiv3_key": apiv3_key})),
        )
        .await;
    assert_eq!(status, 200, "{added}");
    assert_eq!(added["mchid"], "1900000777");
    assert_eq!(added["apiv3_key"], apiv3_key);
    let client_c = client_of(&added, &sandbox.base_url);
    add_transaction(
        &sandbox,
        Some("1900000777"),
        "4200000000000000000000000C01",
        300,
    )
    .await;
    assert_eq!(
        client_c
            .profit_sharing()
            .query_order_amounts(&amounts("4200000000000000000000000C01"))
            .await
            .unwrap()
            .unsplit_amount,
        300
    );
    let (status, again) = sandbox
        .call(
            reqwest::Method::POST,
            "/sandbox/merchants",
            Some(json!({"mchid": "1900000777"})),
        )
        .await;
    assert_eq!(
        (status, again["code"].as_str()),
        (400, Some("INVALID_REQUEST")),
        "{again}"
    );
    let (status, unknown) = sandbox
        .call(reqwest::Method::GET, "/sandbox/orders?mchid=1234", None)
        .await;
    assert_eq!(status, 404, "{unknown}");
    assert!(
        unknown["message"].as_str().unwrap().contains("1234"),
        "{unknown}"
    );
}

/// A notify handler on loopback that answers 500 until told to answer 200, and keeps the bodies
/// of the notifications it took.
struct Handler {
    url: String,
    accept: Arc<AtomicBool>,
    taken: Arc<Mutex<Vec<Value>>>,
}

fn handler() -> Handler {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let accept = Arc::new(AtomicBool::new(false));
    let taken = Arc::new(Mutex::new(Vec::new()));
    let (accepting, keeping) = (accept.clone(), taken.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buffer = [0u8; 8192];
            // The head, then as much body as Content-Length says.
            let body = loop {
                let Ok(n) = stream.read(&mut buffer) else {
                    break None;
                };
                if n == 0 {
                    break None;
                }
                request.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&request).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if body.len() >= length {
                        break Some(body.to_owned());
                    }
                }
            };
            let ok = accepting.load(Ordering::SeqCst);
            if let (true, Some(body)) = (ok, body) {
                keeping
                    .lock()
                    .unwrap()
                    .push(serde_json::from_str(&body).unwrap());
            }
            let status = if ok {
                "204 No Content"
            } else {
                "500 Internal Server Error"
            };
            let _ = stream.write_all(
                format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
    });
    Handler { url, accept, taken }
}

async fn clock(sandbox: &Sandbox) -> chrono::DateTime<chrono::FixedOffset> {
    let (_, clock) = sandbox
        .call(reqwest::Method::GET, "/sandbox/clock", None)
        .await;
    chrono::DateTime::parse_from_rfc3339(clock["now"].as_str().unwrap()).unwrap()
}

async fn advance(sandbox: &Sandbox, seconds: u64) {
    let (status, body) = sandbox
        .call(
            reqwest::Method::POST,
            "/sandbox/clock/advance",
            Some(json!({"seconds": seconds})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn deliveries(sandbox: &Sandbox) -> Vec<Value> {
    let (_, body) = sandbox
        .call(reqwest::Method::GET, "/sandbox/notifications", None)
        .await;
    body["deliveries"].as_array().unwrap().clone()
}

/// Polls (at most 10 s) until `done` holds.
async fn eventually<F: std::future::Future<Output = bool>>(
    what: &str,
    mut done: impl FnMut() -> F,
) {
    let start = std::time::Instant::now();
    while !done().await {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "never: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn killed_mid_flow_it_loses_nothing_it_acknowledged_and_resumes_deliveries() {
    const PAID: &str = "4200000000000000000000000D01";
    let scratch = Scratch::new("data");
    let dir = scratch.0.join("credentials");
    let data = scratch.0.join("sandbox.sqlite");
    let data_flag = data.to_str().unwrap();
    let handler = handler();
    let flags = [
        "--data",
        data_flag,
        "--clock-speed",
        "0",
        "--notify-url",
        &handler.url,
    ];
    let sandbox = start_in(&dir, &flags);
    let key_before = read(&dir, "merchant_private_key.pem");
    let apiv3_before = read(&dir, "apiv3_key");
    add_transaction(&sandbox, None, PAID, 10_000).await;
    let client = sandbox.client();
    let ps = client.profit_sharing();
    ps.add_receiver(&supplier()).await.unwrap();
    ps.add_receiver(&person()).await.unwrap();

    // Eight splits at once, each acknowledged; then the clock moves past their processing.
    let splits = (1..=8).map(|n| {
        let ps = client.profit_sharing();
        async move {
            ps.create_order(&split(PAID, &format!("P-D-{n}"), 100, None))
                .await
        }
    });
    let acknowledged: Vec<String> = futures_util::future::join_all(splits)
        .await
        .into_iter()
        .map(|order| order.unwrap().order_id.clone())
        .collect();
    advance(&sandbox, 5).await;
    // Their notifications are tried (and turned away with 500), so they wait for a retry.
    eventually("the eight notifications tried once", || async {
        deliveries(&sandbox).await.len() >= 8
    })
    .await;
    // One more split, left PROCESSING, acknowledged just before the kill.
    let last = ps
        .create_order(&split(PAID, "P-D-9", 100, Some("张三")))
        .await
        .unwrap();
    let before = clock(&sandbox).await;
    let tried_before = deliveries(&sandbox).await.len();
    sandbox.kill();

    // Started again on the same file, with no other flag: the same keys, the same time (the
    // clock still frozen), the same notify URL, every split.
    let sandbox = start_in(&dir, &["--data", data_flag]);
    assert_eq!(read(&dir, "merchant_private_key.pem"), key_before);
    assert_eq!(read(&dir, "apiv3_key"), apiv3_before);
    assert_eq!(
        clock(&sandbox).await,
        before,
        "a frozen clock shows the time it was killed at"
    );
    let client = sandbox.client();
    let ps = client.profit_sharing();
    for (n, order_id) in (1..=8).zip(&acknowledged) {
        let order = ps
            .query_order(&query(PAID, &format!("P-D-{n}")))
            .await
            .unwrap();
        assert_eq!(&order.order_id, order_id);
        assert_eq!(order.status, OrderStatus::Finished, "P-D-{n}");
    }
    let pending = ps.query_order(&query(PAID, "P-D-9")).await.unwrap();
    assert_eq!(
        (pending.order_id.as_str(), pending.status.clone()),
        (last.order_id.as_str(), OrderStatus::Processing)
    );
    // The fixtures (the pages' example order, answered as given) are kept too.
    let example = QueryOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id("4208450740201411110007820472")
        .out_order_no("P20150806125346")
        .build()
        .unwrap();
    assert_eq!(
        ps.query_order(&example).await.unwrap().order_id,
        "3008450740201411110007820472"
    );
    // The money: 900 fen of 10,000 split.
    assert_eq!(
        ps.query_order_amounts(&amounts(PAID))
            .await
            .unwrap()
            .unsplit_amount,
        10_000 - 900
    );
    // The receivers, their names included (kept as the sensitive plaintext they were given):
    // a split naming the person by another name is refused, by the right one taken.
    let (status, _) = api_error(
        ps.create_order(&split(PAID, "P-D-10", 100, Some("李四")))
            .await,
    );
    assert_eq!(status, 400);
    ps.create_order(&split(PAID, "P-D-10", 100, Some("张三")))
        .await
        .unwrap();
    // A number used before the kill is still taken.
    let (status, _) = api_error(ps.create_order(&split(PAID, "P-D-1", 50, None)).await);
    assert!((400..500).contains(&status), "{status}");
    // The deliveries made before the kill are listed, and the waiting ones are sent on their
    // schedule: accepted now, each of the eight arrives.
    assert!(deliveries(&sandbox).await.len() >= tried_before);
    handler.accept.store(true, Ordering::SeqCst);
    advance(&sandbox, 60).await;
    eventually(
        "the eight notifications delivered after the restart",
        || async { handler.taken.lock().unwrap().len() >= 8 },
    )
    .await;
    let received = deliveries(&sandbox)
        .await
        .iter()
        .filter(|d| d["received"] == true)
        .count();
    assert!(received >= 8, "{received}");
    drop(sandbox);
}

#[tokio::test]
async fn a_data_file_for_another_merchant_or_not_sqlite_is_refused_with_its_reason() {
    let scratch = Scratch::new("data-refused");
    let data = scratch.0.join("sandbox.sqlite");
    let first = start_in(&scratch.0.join("one"), &["--data", data.to_str().unwrap()]);
    let mchid = read(&first.dir, "mchid");
    drop(first);
    let key = scratch.0.join("merchant.pem");
    std::fs::write(
        &key,
        read(&scratch.0.join("one"), "platform_public_key.pem"),
    )
    .unwrap();
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_wechatpay-sandbox"))
        .args(["--addr", "127.0.0.1:0", "--credentials-dir"])
        .arg(scratch.0.join("two"))
        .args(["--data", data.to_str().unwrap()])
        .args(["--mchid", "1900009999", "--merchant-serial-no", "AB12"])
        .arg("--merchant-public-key")
        .arg(&key)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(&mchid) && stderr.contains("1900009999"),
        "{stderr}"
    );

    let garbage = scratch.0.join("garbage.sqlite");
    std::fs::write(
        &garbage,
        b"not a database, but long enough to look like a header of one......",
    )
    .unwrap();
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_wechatpay-sandbox"))
        .args(["--addr", "127.0.0.1:0", "--credentials-dir"])
        .arg(scratch.0.join("three"))
        .args(["--data", garbage.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("garbage.sqlite"), "{stderr}");
}

#[tokio::test]
async fn every_merchant_and_its_books_come_back_after_a_kill() {
    let scratch = Scratch::new("data-merchants");
    let dir = scratch.0.join("credentials");
    // In a folder that does not exist yet: it is made.
    let data = scratch.0.join("state").join("sandbox.sqlite");
    let data_flag = data.to_str().unwrap();
    let sandbox = start_in(&dir, &["--data", data_flag, "--merchants", "2"]);
    let (_, added) = sandbox
        .call(reqwest::Method::POST, "/sandbox/merchants", Some(json!({})))
        .await;
    let third = added["mchid"].as_str().unwrap().to_owned();
    let (_, listed) = sandbox
        .call(reqwest::Method::GET, "/sandbox/merchants", None)
        .await;
    let second = listed["merchants"][1]["mchid"].as_str().unwrap().to_owned();
    add_transaction(
        &sandbox,
        Some(&second),
        "4200000000000000000000000F01",
        1200,
    )
    .await;
    add_transaction(&sandbox, Some(&third), "4200000000000000000000000F02", 1300).await;
    let second_dir = dir.join("merchants").join(&second);
    let second_key = read(&second_dir, "merchant_private_key.pem");
    sandbox.kill();

    let sandbox = start_in(&dir, &["--data", data_flag]);
    let (_, again) = sandbox
        .call(reqwest::Method::GET, "/sandbox/merchants", None)
        .await;
    assert_eq!(again, listed, "the same merchants, in the same order");
    assert_eq!(read(&second_dir, "merchant_private_key.pem"), second_key);
    let second_client = client_from(&second_dir, &sandbox.base_url);
    assert_eq!(
        second_client
            .profit_sharing()
            .query_order_amounts(&amounts("4200000000000000000000000F01"))
            .await
            .unwrap()
            .unsplit_amount,
        1200
    );
    // The merchant added over the control plane answers with the keys it was given then.
    let third_client = client_of(&added, &sandbox.base_url);
    assert_eq!(
        third_client
            .profit_sharing()
            .query_order_amounts(&amounts("4200000000000000000000000F02"))
            .await
            .unwrap()
            .unsplit_amount,
        1300
    );
    // Still each merchant's own.
    assert_eq!(
        api_error(
            second_client
                .profit_sharing()
                .query_order_amounts(&amounts("4200000000000000000000000F02"))
                .await
        )
        .0,
        404
    );
}
