//! A hostile or broken server: arbitrary statuses, header values, duplicated headers, arbitrary,
//! truncated and oversized bodies. Every case ends in `Ok` for the untouched valid answer or a typed
//! `Err`, never a panic. `decode_answer` is what the client runs on every answer it receives.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use wechatpay_ecommerce::profit_sharing::{ProfitSharingOrder, ReturnOrder};
use wechatpay_ecommerce::{Error, MerchantKey, Verifier, WechatPayPublicKey, decode_answer};

const ID: &str = "PUB_KEY_ID_0114232806712025022800000000000001";

struct Fixture {
    key: MerchantKey,
    verifier: Verifier,
    body: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = common::scratch_dir("hostile");
        let (private, _, public) = common::openssl_rsa_key(&dir, "wechatpay", 2048);
        Fixture {
            key: MerchantKey::from_pem_file(private).unwrap(),
            verifier: Verifier::new()
                .with_public_key(WechatPayPublicKey::from_pem_file(ID, public).unwrap()),
            body: common::repo_file("tests/fixtures/order_full.json").into_bytes(),
        }
    })
}

/// A valid answer: status 200, signed headers, the full order as body.
fn valid_answer() -> (u16, HeaderMap, Vec<u8>) {
    let fixture = fixture();
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let nonce = "c5ac7061fccab6bf3e254dcf98995b8c";
    let signature = common::answer_signature(&fixture.key, timestamp, nonce, &fixture.body);
    let mut headers = HeaderMap::new();
    headers.insert(
        "wechatpay-timestamp",
        timestamp.to_string().parse().unwrap(),
    );
    headers.insert("wechatpay-nonce", nonce.parse().unwrap());
    headers.insert("wechatpay-signature", signature.parse().unwrap());
    headers.insert("wechatpay-serial", ID.parse().unwrap());
    headers.insert(
        "wechatpay-signature-type",
        "WECHATPAY2-SHA256-RSA2048".parse().unwrap(),
    );
    headers.insert("request-id", "08F78BB5AF0610D8FD2E1842".parse().unwrap());
    (200, headers, fixture.body.clone())
}

const HEADERS: [&str; 7] = [
    "wechatpay-timestamp",
    "wechatpay-nonce",
    "wechatpay-signature",
    "wechatpay-serial",
    "wechatpay-signature-type",
    "request-id",
    "content-type",
];

#[derive(Clone, Debug)]
enum Mutation {
    Status(u16),
    Body(Vec<u8>),
    Truncate(usize),
    Append(Vec<u8>),
    FlipByte(usize, u8),
    HeaderValue(usize, Vec<u8>),
    Duplicate(usize),
    Remove(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0u16..1000).prop_map(Mutation::Status),
        proptest::collection::vec(any::<u8>(), 0..512).prop_map(Mutation::Body),
        any::<usize>().prop_map(Mutation::Truncate),
        proptest::collection::vec(any::<u8>(), 1..64 * 1024).prop_map(Mutation::Append),
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Mutation::FlipByte(i, x)),
        (
            0..HEADERS.len(),
            proptest::collection::vec(any::<u8>(), 0..128)
        )
            .prop_map(|(i, v)| Mutation::HeaderValue(i, v)),
        (0..HEADERS.len()).prop_map(Mutation::Duplicate),
        (0..HEADERS.len()).prop_map(Mutation::Remove),
    ]
}

fn apply(mutation: &Mutation, status: &mut u16, headers: &mut HeaderMap, body: &mut Vec<u8>) {
    match mutation {
        Mutation::Status(s) => *status = *s,
        Mutation::Body(b) => *body = b.clone(),
        Mutation::Truncate(at) => body.truncate(at % (body.len() + 1)),
        Mutation::Append(extra) => body.extend_from_slice(extra),
        Mutation::FlipByte(at, x) => {
            let len = body.len();
            if let Some(byte) = body.get_mut(at % len.max(1)) {
                *byte ^= x;
            }
        }
        Mutation::HeaderValue(i, value) => {
            if let Ok(value) = HeaderValue::from_bytes(value) {
                headers.insert(HeaderName::from_static(HEADERS[*i]), value);
            }
        }
        Mutation::Duplicate(i) => {
            let name = HeaderName::from_static(HEADERS[*i]);
            let value = headers
                .get(&name)
                .cloned()
                .unwrap_or(HeaderValue::from_static("x"));
            headers.append(name.clone(), value);
            headers.append(name, HeaderValue::from_static("y"));
        }
        Mutation::Remove(i) => {
            headers.remove(HEADERS[*i]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn only_the_untouched_answer_is_accepted(mutations in proptest::collection::vec(mutation(), 0..4)) {
        let (original_status, original_headers, original_body) = valid_answer();
        let (mut status, mut headers, mut body) = (original_status, original_headers.clone(), original_body.clone());
        for m in &mutations {
            apply(m, &mut status, &mut headers, &mut body);
        }
        // The signature covers the body and the timestamp and nonce headers; the signature and
        // serial headers must stay as they were. The status only has to be a success, and the
        // optional Signature-Type, when present once, must name the scheme.
        let signed_headers = |h: &HeaderMap| {
            HEADERS[..4].iter().map(|n| h.get_all(*n).iter().cloned().collect::<Vec<_>>()).collect::<Vec<_>>()
        };
        let signature_types: Vec<_> = headers.get_all("wechatpay-signature-type").iter().collect();
        let untouched = (200..300).contains(&status)
            && signed_headers(&headers) == signed_headers(&original_headers)
            && (signature_types.is_empty() || signature_types == ["WECHATPAY2-SHA256-RSA2048"])
            && body == original_body;
        let _ = original_status;
        let result = decode_answer::<ProfitSharingOrder>(&fixture().verifier, status, &headers, &body, SystemTime::now());
        match result {
            Ok(answer) => {
                prop_assert!(untouched, "accepted a changed answer: {mutations:?}");
                prop_assert_eq!(answer.order_id.as_str(), "3008450740201411110007820472");
            }
            Err(error) => {
                prop_assert!(!untouched, "rejected the valid answer: {error}");
                // Typed, and one line.
                prop_assert!(matches!(error, Error::Verification { .. } | Error::Api(_) | Error::Decode { .. }), "{error:?}");
                prop_assert_eq!(error.to_string().lines().count(), 1);
            }
        }
    }

    #[test]
    fn arbitrary_answers_never_panic(
        status in any::<u16>(),
        values in proptest::collection::vec((0..HEADERS.len(), proptest::collection::vec(any::<u8>(), 0..256)), 0..12),
        body in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut headers = HeaderMap::new();
        for (i, value) in values {
            if let Ok(value) = HeaderValue::from_bytes(&value) {
                headers.append(HeaderName::from_static(HEADERS[i]), value);
            }
        }
        let result = decode_answer::<ReturnOrder>(&fixture().verifier, status, &headers, &body, SystemTime::now());
        prop_assert!(result.is_err());
    }
}
