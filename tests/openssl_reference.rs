//! Byte-level protocol facts checked against the `openssl` command line: request signatures are
//! byte for byte what `openssl dgst -sha256 -sign` makes, answers openssl signs verify, keys openssl
//! writes load, and certificate serials read as `openssl x509 -serial` prints them.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use wechatpay_ecommerce::profit_sharing::{OrderReference, QueryReturnOrderRequest};
use wechatpay_ecommerce::{
    KeySource, MerchantKey, PlatformCertificate, PreparedRequest, RequestSigner, SignatureHeaders,
    Verifier, VerifyError, WechatPayPublicKey,
};

fn openssl_sign(dir: &std::path::Path, key: &std::path::Path, message: &[u8]) -> String {
    let key = key.to_str().unwrap();
    STANDARD.encode(common::openssl(
        dir,
        &["dgst", "-sha256", "-sign", key],
        message,
    ))
}

#[test]
fn request_signatures_equal_openssl_byte_for_byte() {
    let dir = common::scratch_dir("openssl-sign");
    // A query that needed percent-encoding, with non-ASCII bytes (as UTF-8, then encoded).
    let request = QueryReturnOrderRequest::builder()
        .sub_mchid("1900000109")
        .order(OrderReference::OutOrderNo("P2015 08/06+分账".into()))
        .out_return_no("R|2019*05@16-001_x")
        .build()
        .unwrap();
    let prepared = PreparedRequest::new("https://api.mch.weixin.qq.com", &request).unwrap();
    assert!(prepared.path_and_query().contains("%E5%88%86%E8%B4%A6"));
    let urls = [
        prepared.path_and_query().to_owned(),
        "/v3/ecommerce/profitsharing/orders?sub_mchid=1900000109&transaction_id=4208450740201411110007820472&out_order_no=P20150806125346".to_owned(),
        "/v3/certificates".to_owned(),
    ];
    for (name, bits) in [("k2048", 2048), ("k3072", 3072), ("k4096", 4096)] {
        let (pkcs8, pkcs1, _) = common::openssl_rsa_key(&dir, name, bits);
        for path in [&pkcs8, &pkcs1] {
            let key = MerchantKey::from_pem_file(path).unwrap();
            assert_eq!(key.bits(), bits as usize);
            let signer = RequestSigner::new(
                "1900000001",
                "3775B6A45ACD588826D15E583A95F5DD00000001",
                key,
            );
            for (i, url) in urls.iter().enumerate() {
                let timestamp = 1_554_208_460 + i as u64;
                let nonce = "593BEC0C930BF1AFEB40B4A08C8FB242";
                let auth = signer
                    .authorize_with("GET", url, "", timestamp, nonce)
                    .unwrap();
                // PROTOCOL.md section 1, written out here rather than taken from the crate.
                let message = format!("GET\n{url}\n{timestamp}\n{nonce}\n\n");
                let expected = openssl_sign(&dir, &pkcs8, message.as_bytes());
                assert_eq!(
                    auth.header,
                    format!(
                        "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",nonce_str=\"{nonce}\",timestamp=\"{timestamp}\",serial_no=\"3775B6A45ACD588826D15E583A95F5DD00000001\",signature=\"{expected}\""
                    ),
                    "{name} {url}"
                );
            }
        }
    }
}

#[test]
fn answers_signed_by_openssl_verify_and_any_changed_byte_fails() {
    let dir = common::scratch_dir("openssl-verify");
    let (private, _, public) = common::openssl_rsa_key(&dir, "wechatpay", 2048);
    let id = "PUB_KEY_ID_0114232806712025022800000000000001";
    let verifier =
        Verifier::new().with_public_key(WechatPayPublicKey::from_pem_file(id, &public).unwrap());
    let now = SystemTime::now();
    let timestamp = now
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let nonce = "c5ac7061fccab6bf3e254dcf98995b8c";
    let body = r#"{"sub_mchid":"1900000109","result":"SUCCESS","分":"账"}"#;
    let signature = openssl_sign(
        &dir,
        &private,
        format!("{timestamp}\n{nonce}\n{body}\n").as_bytes(),
    );
    let headers = SignatureHeaders {
        timestamp: &timestamp,
        nonce,
        signature: &signature,
        serial: id,
        signature_type: Some("WECHATPAY2-SHA256-RSA2048"),
    };
    let verified = verifier.verify_at(&headers, body.as_bytes(), now).unwrap();
    assert_eq!(
        (verified.serial.as_str(), verified.source),
        (id, KeySource::PublicKey)
    );

    // Every single changed byte of the body, the timestamp, the nonce or the signature fails.
    let bad = |result: Result<_, VerifyError>| {
        matches!(
            result,
            Err(VerifyError::BadSignature { .. }
                | VerifyError::MalformedSignature
                | VerifyError::MalformedTimestamp(_)
                | VerifyError::StaleTimestamp { .. })
        )
    };
    for i in 0..body.len() {
        let mut changed = body.as_bytes().to_vec();
        changed[i] ^= 0x01;
        assert!(
            bad(verifier.verify_at(&headers, &changed, now)),
            "body byte {i}"
        );
    }
    for i in 0..timestamp.len() {
        let mut changed = timestamp.clone().into_bytes();
        changed[i] = if changed[i] == b'9' {
            b'8'
        } else {
            changed[i] + 1
        };
        let changed = String::from_utf8(changed).unwrap();
        // Stay within the 300 s window where possible, so that the signature is what fails.
        let verifier = verifier
            .clone()
            .with_timestamp_window(Duration::from_secs(u64::MAX / 4));
        assert!(
            bad(verifier.verify_at(
                &SignatureHeaders {
                    timestamp: &changed,
                    ..headers
                },
                body.as_bytes(),
                now
            )),
            "timestamp byte {i}"
        );
    }
    for i in 0..nonce.len() {
        let mut changed = nonce.as_bytes().to_vec();
        changed[i] ^= 0x01;
        let changed = String::from_utf8(changed).unwrap();
        assert!(
            bad(verifier.verify_at(
                &SignatureHeaders {
                    nonce: &changed,
                    ..headers
                },
                body.as_bytes(),
                now
            )),
            "nonce byte {i}"
        );
    }
    let raw = STANDARD.decode(&signature).unwrap();
    for i in 0..raw.len() {
        let mut changed = raw.clone();
        changed[i] ^= 0x80;
        let changed = STANDARD.encode(changed);
        assert_eq!(
            verifier.verify_at(
                &SignatureHeaders {
                    signature: &changed,
                    ..headers
                },
                body.as_bytes(),
                now
            ),
            Err(VerifyError::BadSignature {
                serial: id.to_owned()
            }),
            "signature byte {i}"
        );
    }
}

#[test]
fn certificate_serials_read_as_openssl_prints_them() {
    let dir = common::scratch_dir("openssl-serial");
    let (key_path, _, _) = common::openssl_rsa_key(&dir, "platform", 2048);
    // One serial with its top bit set (DER adds a 00 byte), one with a leading zero digit.
    for serial in [
        "0x9D5C6A3B5E7F8A1B2C3D4E5F60718293A4B5C6D7",
        "0x0A1B2C3D4E5F60718293",
        "0x5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
    ] {
        common::openssl_certificate(&dir, &key_path, Some(serial), 30, "cert.pem");
        let printed = String::from_utf8(common::openssl(
            &dir,
            &["x509", "-in", "cert.pem", "-noout", "-serial"],
            b"",
        ))
        .unwrap();
        let printed = printed.trim().strip_prefix("serial=").unwrap();
        let certificate = PlatformCertificate::from_pem_file(dir.join("cert.pem")).unwrap();
        // Every byte's two digits, a leading zero digit included (as WeChat Pay names its
        // certificates), and no byte DER adds to keep the number positive.
        assert_eq!(certificate.serial(), printed, "{serial}");
        assert_eq!(certificate.serial(), serial.trim_start_matches("0x"));
        assert!(certificate.is_valid_at(SystemTime::now()));
        assert!(!certificate.is_valid_at(SystemTime::now() + Duration::from_secs(31 * 86_400)));
        assert!(!certificate.is_valid_at(SystemTime::now() - Duration::from_secs(86_400)));
    }
}
