//! What one query costs, next to what the hardware allows (`cargo xtask bench` sets these figures
//! beside `openssl speed rsa2048` and writes BENCHMARKS.md).
//!
//! - `sign`: the Authorization header of the query-order request (one RSA-2048 signature);
//! - `verify`: a signed query-order answer checked (headers and body);
//! - `decode/order`, `decode/return_order`: the doc pages' examples into the generated types;
//! - `roundtrip/signed`: one `query_order` through the client against the in-process simulator
//!   over loopback, keep-alive: validate, sign, send, verify, decode;
//! - `roundtrip/bare`: the same GET to the same route with plain reqwest, no signing, no
//!   verification: the baseline for the client's overhead;
//! - `roundtrip/create_order`: one `create_order` (a split to one receiver whose name is a
//!   sensitive field) through the client: validate, encrypt the name (RSAES-OAEP), serialise the
//!   body, sign it, send, verify, decode;
//! - `roundtrip/bare_create_order`: the same POST (a body encrypted once, beforehand) with plain
//!   reqwest, no signing, no verification: its baseline, which includes the simulator's own
//!   decryption of the name (one RSA private-key operation on the same cores);
//! - `roundtrip/refund_apply`: one `refunds().apply` (申请退款, the same refund again, as a retry
//!   is) through the client: validate, serialise, sign, send, verify, decode;
//! - `roundtrip/bare_refund_apply`: the same POST with plain reqwest, no signing, no verification:
//!   its baseline;
//! - `encrypt`: one sensitive field encrypted with the WeChat Pay public key (RSAES-OAEP, SHA-1);
//! - `throughput/N`: N queries at once through one client (time per batch of N).

// A panic in a benchmark is a broken benchmark: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::HeaderMap;
use wechatpay_ecommerce::profit_sharing::{ProfitSharingOrder, QueryOrderRequest, ReturnOrder};
use wechatpay_ecommerce::simulator::{Simulator, VerificationMode};
use wechatpay_ecommerce::{Client, PreparedRequest, RequestSigner, SignatureHeaders, Verifier};

const ORDERS_PAGE: &str = include_str!("../schema/docs/ecommerce-profitsharing-orders-query.md");
const RETURNORDERS_PAGE: &str =
    include_str!("../schema/docs/ecommerce-profitsharing-returnorders-query.md");

/// The ```json example of a doc page.
fn example(page: &str) -> &str {
    let start = page.find("```json\n").unwrap() + "```json\n".len();
    let end = start + page[start..].find("```").unwrap();
    &page[start..end]
}

fn order_request() -> QueryOrderRequest {
    QueryOrderRequest::builder()
        .sub_mchid("1900000109")
        .transaction_id("4208450740201411110007820472")
        .out_order_no("P20150806125346")
        .build()
        .unwrap()
}

/// A split of the 请求分账 page's example order to one person, whose name travels encrypted.
fn create_order_request() -> wechatpay_ecommerce::profit_sharing::CreateOrderRequest {
    wechatpay_ecommerce::profit_sharing::CreateOrderRequest::builder()
        .sub_mchid("1900000109")
        .transaction_id("4208450740201411110007820472")
        .out_order_no("P20261130000001")
        .receivers(vec![
            wechatpay_ecommerce::profit_sharing::CreateOrderReceiver {
                receiver_type: wechatpay_ecommerce::profit_sharing::ReceiverType::PersonalOpenid,
                receiver_account: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
                amount: 190,
                description: "分给个人".into(),
                receiver_name: Some("张三".into()),
            },
        ])
        .finish(false)
        .appid("wx8888888888888888")
        .build()
        .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn crypto(c: &mut Criterion) {
    let rt = runtime();
    let simulator = rt.block_on(Simulator::start()).unwrap();
    let credentials = simulator.credentials().clone();

    let signer = RequestSigner::new(
        &credentials.mchid,
        &credentials.merchant_serial_no,
        credentials.merchant_key().unwrap(),
    );
    let prepared = PreparedRequest::new("https://api.mch.weixin.qq.com", &order_request()).unwrap();
    let path_and_query = prepared.path_and_query().to_owned();
    c.bench_function("sign", |b| {
        b.iter(|| {
            black_box(
                signer
                    .authorize("GET", black_box(&path_and_query), "")
                    .unwrap(),
            )
        })
    });

    // A real answer of the simulator to a signed query-order request, as the client receives it.
    let (headers, body) = rt.block_on(async {
        let auth = signer.authorize("GET", &path_and_query, "").unwrap();
        let response = reqwest::Client::new()
            .get(format!("{}{path_and_query}", simulator.base_url()))
            .header("Authorization", auth.header)
            .header("Accept", "application/json")
            .header("User-Agent", "bench")
            .header("Wechatpay-Serial", &credentials.wechatpay_public_key_id)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let headers: HeaderMap = response.headers().clone();
        (headers, response.bytes().await.unwrap().to_vec())
    });
    let verifier = Verifier::new().with_public_key(credentials.wechatpay_public_key().unwrap());
    let now = SystemTime::now();
    c.bench_function("verify", |b| {
        b.iter(|| {
            let signature = SignatureHeaders::from_headers(black_box(&headers)).unwrap();
            black_box(
                verifier
                    .verify_at(&signature, black_box(&body), now)
                    .unwrap(),
            )
        })
    });
}

fn decode(c: &mut Criterion) {
    let order = example(ORDERS_PAGE).as_bytes();
    let return_order = example(RETURNORDERS_PAGE).as_bytes();
    let mut group = c.benchmark_group("decode");
    group.bench_function("order", |b| {
        b.iter(|| {
            black_box(serde_json::from_slice::<ProfitSharingOrder>(black_box(order)).unwrap())
        })
    });
    group.bench_function("return_order", |b| {
        b.iter(|| {
            black_box(serde_json::from_slice::<ReturnOrder>(black_box(return_order)).unwrap())
        })
    });
    group.finish();
}

fn roundtrip(c: &mut Criterion) {
    let rt = runtime();
    let simulator = rt.block_on(Simulator::start()).unwrap();
    simulator.set_accept_unsigned(true);
    let client: Client = simulator
        .client_builder(VerificationMode::PublicKey)
        .unwrap()
        .build()
        .unwrap();
    let request = order_request();
    let bare = reqwest::Client::new();
    let url = format!(
        "{}{}",
        simulator.base_url(),
        client.prepare(&request).unwrap().path_and_query()
    );
    // Warm both connections up, and check that both routes answer.
    rt.block_on(async {
        client.profit_sharing().query_order(&request).await.unwrap();
        let status = bare
            .get(&url)
            .header("Accept", "application/json")
            .header("User-Agent", "bench")
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    });

    // The split's receiver is added first, as the simulator (like WeChat Pay) insists; the same
    // split again is the same one (idempotent by out_order_no), which the loop below measures.
    let receiver = wechatpay_ecommerce::profit_sharing::AddReceiverRequest::builder()
        .receiver_type(wechatpay_ecommerce::profit_sharing::ReceiverType::PersonalOpenid)
        .account("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
        .relation_type(wechatpay_ecommerce::profit_sharing::RelationType::Distributor)
        .appid("wx8888888888888888")
        .name("张三")
        .build()
        .unwrap();
    let split = create_order_request();
    rt.block_on(async {
        client
            .profit_sharing()
            .add_receiver(&receiver)
            .await
            .unwrap();
        client.profit_sharing().create_order(&split).await.unwrap()
    });
    let key = simulator.credentials();
    let key = wechatpay_ecommerce::WechatPayPublicKey::from_pem(
        key.wechatpay_public_key_id.clone(),
        &key.wechatpay_public_key_pem,
    )
    .unwrap();
    c.bench_function("encrypt", |b| {
        b.iter(|| black_box(key.encryption_key().encrypt(black_box("张三")).unwrap()))
    });

    let prepared = client.prepare(&split).unwrap();
    let (split_url, split_body, split_serial) = (
        prepared.url().to_owned(),
        prepared.body().to_owned(),
        prepared.encrypted_with().unwrap().to_owned(),
    );
    let bare_split = || {
        bare.post(&split_url)
            .header("Accept", "application/json")
            .header("User-Agent", "bench")
            .header("Content-Type", "application/json")
            .header("Wechatpay-Serial", &split_serial)
            .body(split_body.clone())
            .send()
    };
    rt.block_on(async { assert_eq!(bare_split().await.unwrap().status(), 200) });

    // A refund of a transaction of its own, made once: the loop sends the same refund again,
    // which the simulator answers as the refund it is (idempotent by out_refund_no).
    simulator
        .add_transaction("1900000109", "4200000000000000000000009999", 1_000_000)
        .unwrap();
    let refund = wechatpay_ecommerce::refunds::ApplyRefundRequest::builder()
        .sub_mchid("1900000109")
        .sp_appid("wx8888888888888888")
        .transaction_id_or_out_trade_no(
            wechatpay_ecommerce::refunds::ApplyRefundTransactionIdOrOutTradeNo::TransactionId(
                "4200000000000000000000009999".into(),
            ),
        )
        .out_refund_no("R20261204000001")
        .reason("商品已退货")
        .amount(wechatpay_ecommerce::refunds::ApplyRefundAmount {
            refund: 888,
            from: None,
            total: 1_000_000,
            currency: Some("CNY".into()),
        })
        .build()
        .unwrap();
    rt.block_on(async { client.refunds().apply(&refund).await.unwrap() });
    let prepared = client.prepare(&refund).unwrap();
    let (refund_url, refund_body) = (prepared.url().to_owned(), prepared.body().to_owned());
    let bare_refund = || {
        bare.post(&refund_url)
            .header("Accept", "application/json")
            .header("User-Agent", "bench")
            .header("Content-Type", "application/json")
            .body(refund_body.clone())
            .send()
    };
    rt.block_on(async { assert_eq!(bare_refund().await.unwrap().status(), 200) });

    let mut group = c.benchmark_group("roundtrip");
    group.bench_function("refund_apply", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(client.refunds().apply(black_box(&refund)).await.unwrap()) })
    });
    group.bench_function("bare_refund_apply", |b| {
        b.to_async(&rt).iter(|| async {
            let response = bare_refund().await.unwrap();
            black_box(response.bytes().await.unwrap())
        })
    });
    group.bench_function("create_order", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(
                client
                    .profit_sharing()
                    .create_order(black_box(&split))
                    .await
                    .unwrap(),
            )
        })
    });
    group.bench_function("bare_create_order", |b| {
        b.to_async(&rt).iter(|| async {
            let response = bare_split().await.unwrap();
            black_box(response.bytes().await.unwrap())
        })
    });
    group.bench_function("signed", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(
                client
                    .profit_sharing()
                    .query_order(black_box(&request))
                    .await
                    .unwrap(),
            )
        })
    });
    group.bench_function("bare", |b| {
        b.to_async(&rt).iter(|| async {
            let response = bare
                .get(black_box(&url))
                .header("Accept", "application/json")
                .header("User-Agent", "bench")
                .send()
                .await
                .unwrap();
            black_box(response.bytes().await.unwrap())
        })
    });
    group.finish();

    let mut group = c.benchmark_group("throughput");
    group.measurement_time(Duration::from_secs(8));
    for concurrent in [2u64, 8, 64] {
        group.throughput(Throughput::Elements(concurrent));
        group.bench_function(concurrent.to_string(), |b| {
            b.to_async(&rt).iter(|| async {
                let tasks: Vec<_> = (0..concurrent)
                    .map(|_| {
                        let client = client.clone();
                        tokio::spawn(async move {
                            client
                                .profit_sharing()
                                .query_order(&order_request())
                                .await
                                .unwrap()
                                .status()
                        })
                    })
                    .collect();
                for task in tasks {
                    black_box(task.await.unwrap());
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, crypto, decode, roundtrip);
criterion_main!(benches);
