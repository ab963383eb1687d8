//! Fuzzes what a stranger can send to the notify URL: `Client::decode_notification` with fixed
//! keys and arbitrary signature headers and body. Some inputs get a valid signature, and some a
//! body that wraps the fuzzed bytes as the resource, encrypted with the client's APIv3 key, so that
//! the fuzzer also explores the envelope, the decryption and the resource's decoding behind the
//! signature check. A serial the client does not hold would start a certificate download: here it
//! goes to a closed port, at most once per on-demand interval.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run decode_notification` (see the README's contributing
//! section).

#![no_main]

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use wechatpay_ecommerce::{ApiV3Key, Client, MerchantKey, WechatPayPublicKey};
use wechatpay_ecommerce::profit_sharing::{ProfitSharingNotification};

const ID: &str = "PUB_KEY_ID_0000000000000000000000000000000001";
/// A test-only APIv3 key.
const APIV3_KEY: &[u8; 32] = b"fuzz-only-apiv3-key-of-32-bytes!";
const NONCE: &[u8; 12] = b"0123456789ab";

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    /// Signs as WeChat Pay would, with the key whose public half the client holds.
    signer: MerchantKey,
    client: Client,
    sealing: LessSafeKey,
}

/// Keys generated once per run: test-only by construction.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let generate = || {
            let pair = KeyPair::generate(KeySize::Rsa2048).expect("keygen");
            let private: Pkcs8V1Der = pair.as_der().expect("pkcs8");
            let public: PublicKeyX509Der = pair.public_key().as_der().expect("spki");
            (
                pem("PRIVATE KEY", private.as_ref()),
                pem("PUBLIC KEY", public.as_ref()),
            )
        };
        let (wechatpay_private, wechatpay_public) = generate();
        let (merchant_private, _) = generate();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let client = Client::builder()
            .merchant(
                "1900000001",
                "3775B6A45ACD588826D15E583A95F5DD00000001",
                MerchantKey::from_pem(&merchant_private).expect("merchant key"),
            )
            .wechatpay_public_key(
                WechatPayPublicKey::from_pem(ID, &wechatpay_public).expect("public key"),
            )
            .apiv3_key(ApiV3Key::new(std::str::from_utf8(APIV3_KEY).expect("ascii")).expect("key"))
            .notifications(true)
            // Nothing listens there: a download fails at once.
            .base_url("http://127.0.0.1:9")
            .no_retries()
            .build()
            .expect("client");
        Fixture {
            runtime,
            signer: MerchantKey::from_pem(&wechatpay_private).expect("signer"),
            client,
            sealing: LessSafeKey::new(UnboundKey::new(&AES_256_GCM, APIV3_KEY).expect("aes key")),
        }
    })
}

/// An envelope around `plaintext`, encrypted with the APIv3 key as WeChat Pay does.
fn envelope(fixture: &Fixture, plaintext: &[u8], mode: u8) -> Vec<u8> {
    let associated_data = if mode & 32 == 0 { "profitsharing" } else { "" };
    let original_type = if mode & 64 == 0 { "profitsharing" } else { "transaction" };
    let mut sealed = plaintext.to_vec();
    let Ok(()) = fixture.sealing.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(*NONCE),
        Aad::from(associated_data.as_bytes()),
        &mut sealed,
    ) else {
        return Vec::new();
    };
    format!(
        r#"{{"id":"EV-FUZZ","create_time":"2026-12-04T10:00:00+08:00","event_type":"PROFITSHARING.SUCCESS","summary":"分账","resource_type":"encrypt-resource","resource":{{"algorithm":"AEAD_AES_256_GCM","ciphertext":"{}","associated_data":"{associated_data}","original_type":"{original_type}","nonce":"{}"}}}}"#,
        STANDARD.encode(sealed),
        std::str::from_utf8(NONCE).unwrap_or_default(),
    )
    .into_bytes()
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    // The rest: up to three header values separated by 0xFF, then the body (or the resource).
    let mut parts = rest.splitn(4, |b| *b == 0xFF);
    let timestamp = parts.next().unwrap_or_default();
    let nonce = parts.next().unwrap_or_default();
    let serial = parts.next().unwrap_or_default();
    let tail = parts.next().unwrap_or_default();

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .to_string();
    let timestamp = if mode & 1 == 0 { now.as_bytes() } else { timestamp };
    let serial = if mode & 2 == 0 { ID.as_bytes() } else { serial };
    let body = if mode & 8 == 0 {
        tail.to_vec()
    } else {
        envelope(fixture, tail, mode)
    };

    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("wechatpay-timestamp", timestamp),
        ("wechatpay-nonce", nonce),
        ("wechatpay-serial", serial),
    ] {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(name, value);
        }
    }
    if mode & 4 == 0 {
        let mut message = Vec::new();
        for part in [timestamp, b"\n", nonce, b"\n", &body, b"\n"] {
            message.extend_from_slice(part);
        }
        if let Ok(signature) = fixture.signer.sign(&message)
            && let Ok(value) = HeaderValue::from_str(&signature)
        {
            headers.insert("wechatpay-signature", value);
        }
    } else if let Ok(value) = HeaderValue::from_bytes(nonce) {
        headers.insert("wechatpay-signature", value);
    }
    if mode & 16 != 0 {
        headers.insert(
            "wechatpay-signature-type",
            HeaderValue::from_static("WECHATPAY2-SHA256-RSA2048"),
        );
    }
    let decoded = fixture.runtime.block_on(
        fixture
            .client
            .decode_notification::<ProfitSharingNotification>(&headers, &body),
    );
    match decoded {
        Ok(notified) => {
            let _ = (notified.id(), notified.resource_json().len());
        }
        Err(error) => {
            let _ = (error.to_string(), error.answer().status());
        }
    }
});
