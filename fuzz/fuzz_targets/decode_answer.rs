//! Fuzzes the verify-and-decode path every answer goes through: `decode_answer` with arbitrary
//! statuses, signature headers and bodies. Half the inputs get a valid signature over their body,
//! so that the fuzzer also explores the JSON decoding behind the signature check.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run decode_answer` (see the README's contributing section).

#![no_main]

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use wechatpay_ecommerce::{MerchantKey, Verifier, WechatPayPublicKey, decode_answer};
use wechatpay_ecommerce::profit_sharing::{ProfitSharingOrder, ReturnOrder};

const ID: &str = "PUB_KEY_ID_0000000000000000000000000000000001";

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

/// A key pair generated once per run: test-only by construction.
fn keys() -> &'static (MerchantKey, Verifier) {
    static KEYS: OnceLock<(MerchantKey, Verifier)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let pair = KeyPair::generate(KeySize::Rsa2048).expect("keygen");
        let private: Pkcs8V1Der = pair.as_der().expect("pkcs8");
        let public: PublicKeyX509Der = pair.public_key().as_der().expect("spki");
        let signer =
            MerchantKey::from_pem(&pem("PRIVATE KEY", private.as_ref())).expect("private key");
        let key = WechatPayPublicKey::from_pem(ID, &pem("PUBLIC KEY", public.as_ref()))
            .expect("public key");
        (signer, Verifier::new().with_public_key(key))
    })
}

fuzz_target!(|data: &[u8]| {
    let (signer, verifier) = keys();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some((status, rest)) = rest.split_first_chunk::<2>() else {
        return;
    };
    let status = u16::from_le_bytes(*status);
    // The rest: up to three header values separated by 0xFF, then the body.
    let mut parts = rest.splitn(4, |b| *b == 0xFF);
    let timestamp = parts.next().unwrap_or_default();
    let nonce = parts.next().unwrap_or_default();
    let serial = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();

    let mut headers = HeaderMap::new();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .to_string();
    let timestamp = if mode & 1 == 0 {
        now.as_bytes()
    } else {
        timestamp
    };
    for (name, value) in [
        ("wechatpay-timestamp", timestamp),
        ("wechatpay-nonce", nonce),
    ] {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(name, value);
        }
    }
    let serial = if mode & 2 == 0 { ID.as_bytes() } else { serial };
    if let Ok(value) = HeaderValue::from_bytes(serial) {
        headers.insert("wechatpay-serial", value);
    }
    if mode & 4 == 0 {
        let mut message = Vec::new();
        for part in [timestamp, b"\n", nonce, b"\n", body, b"\n"] {
            message.extend_from_slice(part);
        }
        if let Ok(signature) = signer.sign(&message)
            && let Ok(value) = HeaderValue::from_str(&signature)
        {
            headers.insert("wechatpay-signature", value);
        }
    } else if let Ok(value) = HeaderValue::from_bytes(nonce) {
        headers.insert("wechatpay-signature", value);
    }
    if mode & 8 != 0 {
        headers.insert(
            "wechatpay-signature-type",
            HeaderValue::from_static("WECHATPAY2-SHA256-RSA2048"),
        );
    }
    let now = SystemTime::now();
    if mode & 16 == 0 {
        let _ = decode_answer::<ProfitSharingOrder>(verifier, status, &headers, body, now)
            .map_err(|e| e.to_string());
    } else {
        let _ = decode_answer::<ReturnOrder>(verifier, status, &headers, body, now)
            .map_err(|e| e.to_string());
    }
});
