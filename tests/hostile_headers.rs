//! No header, however absurd, panics the client: a raw TCP server on loopback answers every
//! request (the calls, and the certificate downloads they start) with an arbitrary status,
//! arbitrary `Retry-After`, `Wechatpay-*`, `Request-ID` and `Content-Length` values and an arbitrary
//! body, some of them validly signed so that decoding behind the signature is reached too. Every
//! call ends in a typed error or a success, a split's error says whether WeChat Pay may have
//! acted, and no task of the client panics.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use wechatpay_ecommerce::profit_sharing::ReceiverType;
use wechatpay_ecommerce::profit_sharing::{CreateOrderReceiver, CreateOrderRequest};
use wechatpay_ecommerce::{
    ApiV3Key, Client, Error, MerchantKey, RetryPolicy, TransportKind, WechatPayPublicKey,
};

/// Panics anywhere in this process (a spawned task's too), counted by a panic hook.
static PANICS: AtomicUsize = AtomicUsize::new(0);

const ID: &str = "PUB_KEY_ID_0114232806712025022800000000000001";

/// An answer the server gives: a status, headers, a body, and whether to sign the body now with
/// the key the client trusts (then the `Wechatpay-*` headers given are replaced).
#[derive(Clone, Debug, Default)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Vec<u8>,
    sign: bool,
}

/// The answer the server gives to every request.
type Canned = Arc<Mutex<Answer>>;

struct Harness {
    runtime: Runtime,
    canned: Canned,
    client: Client,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            default_hook(info);
        }));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = common::scratch_dir("hostile-headers");
        let (merchant, _, _) = common::openssl_rsa_key(&dir, "merchant", 2048);
        let (wechatpay_private, _, wechatpay_public) =
            common::openssl_rsa_key(&dir, "wechatpay", 2048);
        let signer = Arc::new(MerchantKey::from_pem_file(wechatpay_private).unwrap());

        let canned: Canned = Arc::default();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(serve(listener, canned.clone(), signer));

        // Both kinds of verification: a serial the client does not hold starts a certificate
        // download from the same hostile server.
        let client = Client::builder()
            .merchant(
                "1900000001",
                "3775B6A45ACD588826D15E583A95F5DD00000001",
                MerchantKey::from_pem_file(merchant).unwrap(),
            )
            .wechatpay_public_key(WechatPayPublicKey::from_pem_file(ID, wechatpay_public).unwrap())
            .apiv3_key(ApiV3Key::new("hostile-headers-test-only-key-32").unwrap())
            .base_url(format!("http://{addr}"))
            .retry_policy(
                RetryPolicy::default()
                    .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
            )
            .certificate_backoff(Duration::from_millis(1), Duration::from_millis(5))
            .certificate_on_demand_interval(Duration::ZERO)
            .total_deadline(Duration::from_millis(1500))
            .attempt_timeout(Duration::from_millis(700))
            .build()
            .unwrap();
        Harness {
            runtime,
            canned,
            client,
        }
    })
}

/// Answers every request with the canned answer, then closes the connection.
async fn serve(listener: TcpListener, canned: Canned, signer: Arc<MerchantKey>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let answer = bytes(&canned.lock().unwrap(), &signer);
        tokio::spawn(async move {
            // The request: its head, then as much body as it announces (the client's bodies are
            // small); what is in it does not matter.
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            loop {
                let Ok(read) = stream.read(&mut buffer).await else {
                    return;
                };
                if read == 0 {
                    return;
                }
                request.extend_from_slice(&buffer[..read]);
                if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let _ = stream.write_all(&answer).await;
            let _ = stream.shutdown().await;
        });
    }
}

/// The bytes of `answer`, signed now when it says so.
fn bytes(answer: &Answer, signer: &MerchantKey) -> Vec<u8> {
    let mut headers = answer.headers.clone();
    if answer.sign {
        headers.retain(|(name, _)| !name.starts_with("wechatpay-"));
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let nonce = "c5ac7061fccab6bf3e254dcf98995b8c";
        let signature = common::answer_signature(signer, timestamp, nonce, &answer.body);
        headers.extend([
            ("wechatpay-timestamp", timestamp.to_string().into_bytes()),
            ("wechatpay-nonce", nonce.as_bytes().to_vec()),
            ("wechatpay-signature", signature.into_bytes()),
            ("wechatpay-serial", ID.as_bytes().to_vec()),
        ]);
    }
    let mut bytes = format!("HTTP/1.1 {} X\r\nconnection: close\r\n", answer.status).into_bytes();
    let mut has_length = false;
    for (name, value) in &headers {
        has_length |= *name == "content-length";
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(value);
        bytes.extend_from_slice(b"\r\n");
    }
    if !has_length {
        bytes.extend_from_slice(format!("content-length: {}\r\n", answer.body.len()).as_bytes());
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(&answer.body);
    bytes
}

/// A header value: a number of any size or sign, visible ASCII, or bytes beyond ASCII.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string().into_bytes()),
        Just(b"18446744073709551615".to_vec()),
        Just(b"99999999999999999999999999".to_vec()),
        any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        "[ -~]{0,48}".prop_map(String::into_bytes),
        proptest::collection::vec(0x80u8..=0xff, 1..16),
        Just(b"WECHATPAY/SIGNTEST/abc".to_vec()),
        Just(b"PUB_KEY_ID_0000".to_vec()),
    ]
}

const NAMES: [&str; 9] = [
    "retry-after",
    "wechatpay-timestamp",
    "wechatpay-nonce",
    "wechatpay-signature",
    "wechatpay-serial",
    "wechatpay-signature-type",
    "request-id",
    "content-length",
    "content-type",
];

/// An HTTP answer: a status, a few of the headers above (repeated or not), a body; signed or not.
fn answer() -> impl Strategy<Value = Answer> {
    (
        prop_oneof![
            3 => Just(200u16),
            1 => Just(204),
            1 => Just(400),
            1 => Just(429),
            1 => Just(500),
            1 => Just(503),
            2 => 200u16..600
        ],
        proptest::collection::vec((0..NAMES.len(), header_value()), 0..8),
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64),
            Just(br#"{"code":"SYSTEM_ERROR","message":"x"}"#.to_vec()),
            Just(
                br#"{"sub_mchid":"1","transaction_id":"2","out_order_no":"3","order_id":"4"}"#
                    .to_vec()
            ),
        ],
        any::<bool>(),
    )
        .prop_map(|(status, headers, body, sign)| Answer {
            status,
            headers: headers
                .into_iter()
                .map(|(name, value)| (NAMES[name], value))
                .collect(),
            body,
            sign,
        })
}

fn split() -> CreateOrderRequest {
    CreateOrderRequest::builder()
        .sub_mchid("1900000109")
        .transaction_id("4208450740201411110007820472")
        .out_order_no("P-HOSTILE-1")
        .receivers(vec![CreateOrderReceiver {
            receiver_type: ReceiverType::MerchantId,
            receiver_account: "190001001".into(),
            amount: 1,
            description: "运费".into(),
            receiver_name: None,
        }])
        .finish(false)
        .build()
        .unwrap()
}

/// What every error must be: one line of text; for a split, one that says WeChat Pay may have
/// acted unless nothing was sent or WeChat Pay's signed 4xx says it did not (every attempt gets
/// the same answer here); for a query, one that says nothing of effects.
fn check(error: &Error, posted: bool) {
    let text = error.to_string();
    assert!(!text.is_empty() && !text.contains('\n'), "{text:?}");
    if !posted {
        assert!(
            !error.may_have_taken_effect(),
            "a query changes nothing: {error}"
        );
        return;
    }
    let expected = match error {
        Error::Api(api) => !(api.verified && (400..500).contains(&api.status)),
        Error::Decode { .. } | Error::Verification { .. } | Error::BodyTooLarge { .. } => true,
        Error::Transport { kind, .. } => *kind != TransportKind::Connect,
        Error::DeadlineExceeded { attempts, .. } => *attempts > 0,
        Error::CertificatesUnavailable { serial, .. } => serial.is_some(),
        _ => false,
    };
    assert_eq!(error.may_have_taken_effect(), expected, "{error:?}");
    if expected {
        assert!(text.contains("out_order_no"), "{text}");
    }
}

/// One test, so that nothing else in this process shares the server's canned answer or the panic
/// count: first the case that panicked before, then arbitrary answers.
#[test]
fn any_answer_ends_in_a_typed_error_or_a_success_and_never_a_panic() {
    let harness = harness();

    // A proxy's unsigned 503 with the largest Retry-After there is: `Instant + wait` overflowed.
    *harness.canned.lock().unwrap() = Answer {
        status: 503,
        headers: vec![("retry-after", b"18446744073709551615".to_vec())],
        body: b"bad".to_vec(),
        sign: false,
    };
    let error = harness
        .runtime
        .block_on(
            harness
                .client
                .profit_sharing()
                .query_order(&common::order_request()),
        )
        .unwrap_err();
    let api = error.api().unwrap_or_else(|| panic!("{error:?}"));
    assert_eq!(api.status, 503);
    assert!(!api.verified);
    assert_eq!(api.retry_after, Some(wechatpay_ecommerce::MAX_RETRY_AFTER));
    assert_eq!(PANICS.load(Ordering::SeqCst), 0);

    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(64);
    // A fixed seed: the same answers on every run, so that what the cases must cover (a signed
    // answer that fails to decode, below) is covered every time, not by luck; `PROPTEST_CASES`
    // runs more of them.
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let seen_decode = AtomicBool::new(false);
    let outcome = runner.run(&answer(), |answer| {
        *harness.canned.lock().unwrap() = answer;
        harness.runtime.block_on(async {
            if let Err(error) = harness
                .client
                .profit_sharing()
                .query_order(&common::order_request())
                .await
            {
                check(&error, false);
            }
            if let Err(error) = harness.client.profit_sharing().create_order(&split()).await {
                check(&error, true);
                if matches!(error, Error::Decode { .. }) {
                    seen_decode.store(true, Ordering::SeqCst);
                }
            }
            // Let a certificate download started in the background end, on this answer.
            tokio::time::sleep(Duration::from_millis(5)).await;
        });
        prop_assert_eq!(PANICS.load(Ordering::SeqCst), 0);
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    // Signed answers reach the decoding behind the signature check.
    assert!(seen_decode.load(Ordering::SeqCst) || cases < 32);
}
