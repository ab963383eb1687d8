//! Notifications (分账动账通知) made by independent references decode with
//! `Client::decode_notification`: the resource encrypted by Python's `cryptography` (AES-256-GCM),
//! the body signed by `openssl dgst -sha256 -sign`, at test time. Every tampered part ends in a
//! typed error that says what to check.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue};
use wechatpay_ecommerce::EventType;
use wechatpay_ecommerce::profit_sharing::ProfitSharingNotification;
use wechatpay_ecommerce::profit_sharing::ReceiverType;
use wechatpay_ecommerce::{
    ApiV3Key, Client, ConfigError, DecryptError, MerchantKey, NotificationError, VerifyError,
    WechatPayPublicKey,
};

/// A test-only APIv3 key.
const APIV3_KEY: &str = "notification-test-only-key-32-by";
const KEY_ID: &str = "PUB_KEY_ID_0119000000012026113000000000000001";
const NONCE: &str = "3bcd9f21a7e0";
const ASSOCIATED_DATA: &str = "profitsharing";
/// The decrypted resource, as WeChat Pay would write it.
const RESOURCE: &str = r#"{"sp_mchid":"1900000100","sub_mchid":"1900000109","transaction_id":"4208450740201411110007820472","order_id":"3008450740201411110007820472","out_order_no":"P20150806125346","receiver":{"type":"MERCHANT_ID","account":"1900000110","amount":888,"description":"运费/交易分账/及时奖励"},"success_time":"2026-11-30T10:34:56+08:00"}"#;

/// The keys made for one test: WeChat Pay's key pair (its private half signs, as openssl) and a
/// client that trusts its public half.
struct Setup {
    dir: PathBuf,
    wechatpay_private: PathBuf,
    client: Client,
}

fn setup(name: &str) -> Setup {
    let dir = common::scratch_dir(name);
    let (wechatpay_private, _, wechatpay_public) = common::openssl_rsa_key(&dir, "wechatpay", 2048);
    let (merchant, _, _) = common::openssl_rsa_key(&dir, "merchant", 2048);
    let client = client_with(&wechatpay_public, &merchant, APIV3_KEY);
    Setup {
        dir,
        wechatpay_private,
        client,
    }
}

fn client_with(wechatpay_public: &Path, merchant: &Path, apiv3_key: &str) -> Client {
    Client::builder()
        .merchant(
            "1900000100",
            "3775B6A45ACD588826D15E583A95F5DD00000001",
            MerchantKey::from_pem_file(merchant).unwrap(),
        )
        .wechatpay_public_key(WechatPayPublicKey::from_pem_file(KEY_ID, wechatpay_public).unwrap())
        .apiv3_key(ApiV3Key::new(apiv3_key).unwrap())
        .notifications(true)
        // Nothing is sent in these tests; a certificate download would fail at once.
        .base_url(common::dead_base_url())
        .build()
        .unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The envelope around a resource encrypted by Python, byte for byte as sent.
fn envelope(ciphertext: &str, associated_data: &str, original_type: &str) -> String {
    format!(
        r#"{{"id":"EV-2018022511223320873","create_time":"2026-11-30T10:34:57+08:00","resource_type":"encrypt-resource","event_type":"PROFITSHARING.SUCCESS","summary":"分账","resource":{{"original_type":"{original_type}","algorithm":"AEAD_AES_256_GCM","ciphertext":"{ciphertext}","associated_data":"{associated_data}","nonce":"{NONCE}"}}}}"#
    )
}

fn python_envelope(resource: &str) -> String {
    let ciphertext = common::python_encrypt(APIV3_KEY, NONCE, ASSOCIATED_DATA, resource.as_bytes());
    envelope(&ciphertext, ASSOCIATED_DATA, "profitsharing")
}

/// The five `Wechatpay-*` headers for `body`, its signature made by openssl.
fn signed_by_openssl(setup: &Setup, timestamp: u64, body: &[u8]) -> HeaderMap {
    let nonce = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    let key = setup.wechatpay_private.to_str().unwrap();
    let signature = common::openssl(&setup.dir, &["dgst", "-sha256", "-sign", key], &message);
    headers(timestamp, nonce, &STANDARD.encode(signature), KEY_ID)
}

fn headers(timestamp: u64, nonce: &str, signature: &str, serial: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("wechatpay-timestamp", timestamp.to_string()),
        ("wechatpay-nonce", nonce.to_owned()),
        ("wechatpay-signature", signature.to_owned()),
        ("wechatpay-serial", serial.to_owned()),
        (
            "wechatpay-signature-type",
            "WECHATPAY2-SHA256-RSA2048".to_owned(),
        ),
    ] {
        headers.insert(name, HeaderValue::from_str(&value).unwrap());
    }
    headers
}

async fn decode(
    setup: &Setup,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<wechatpay_ecommerce::Notified<ProfitSharingNotification>, NotificationError> {
    setup
        .client
        .decode_notification::<ProfitSharingNotification>(headers, body)
        .await
}

#[tokio::test]
async fn a_notification_made_by_python_and_openssl_decodes_to_its_values() {
    let setup = setup("notification-reference");
    let body = python_envelope(RESOURCE);
    let headers = signed_by_openssl(&setup, now(), body.as_bytes());
    let notified = decode(&setup, &headers, body.as_bytes()).await.unwrap();
    assert_eq!(notified.id(), "EV-2018022511223320873");
    assert_eq!(notified.event_type(), &EventType::ProfitsharingSuccess);
    assert_eq!(notified.verified.serial, KEY_ID);
    let resource = &notified.resource;
    assert_eq!(resource.sub_mchid, "1900000109");
    assert_eq!(resource.out_order_no, "P20150806125346");
    assert_eq!(resource.order_id, "3008450740201411110007820472");
    assert_eq!(resource.receiver.receiver_type, ReceiverType::MerchantId);
    assert_eq!(resource.receiver.account, "1900000110");
    assert_eq!(resource.receiver.amount, 888);
    assert_eq!(resource.receiver.description, "运费/交易分账/及时奖励");
    assert_eq!(
        resource.success_time.to_rfc3339(),
        "2026-11-30T10:34:56+08:00"
    );
}

#[tokio::test]
async fn a_body_that_is_not_the_bytes_received_fails_naming_the_serial_and_the_cause() {
    let setup = setup("notification-reserialised");
    let body = python_envelope(RESOURCE);
    let headers = signed_by_openssl(&setup, now(), body.as_bytes());
    // What a framework that parsed the JSON and wrote it again hands over: same data, other bytes.
    let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
    let reserialised = serde_json::to_vec_pretty(&parsed).unwrap();
    let error = decode(&setup, &headers, &reserialised).await.unwrap_err();
    assert!(
        matches!(&error, NotificationError::BadSignature { serial } if serial == KEY_ID),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains(KEY_ID), "{message}");
    assert!(message.contains("raw bytes"), "{message}");
    assert!(message.contains("re-serialised"), "{message}");
    assert_eq!(error.answer().status(), 400);
}

#[tokio::test]
async fn a_tampered_ciphertext_or_associated_data_or_key_fails_to_decrypt_with_the_cause() {
    let setup = setup("notification-decrypt");
    let ciphertext = common::python_encrypt(APIV3_KEY, NONCE, ASSOCIATED_DATA, RESOURCE.as_bytes());
    let mut altered: Vec<u8> = STANDARD.decode(&ciphertext).unwrap();
    altered[3] ^= 0x01;
    let cases = [
        (
            "ciphertext",
            envelope(&STANDARD.encode(altered), ASSOCIATED_DATA, "profitsharing"),
        ),
        (
            "associated data",
            envelope(&ciphertext, "transaction", "profitsharing"),
        ),
    ];
    for (what, body) in cases {
        // Signed as it is: the signature holds, only decryption can tell.
        let headers = signed_by_openssl(&setup, now(), body.as_bytes());
        let error = decode(&setup, &headers, body.as_bytes()).await.unwrap_err();
        assert!(
            matches!(
                &error,
                NotificationError::Decrypt { id, reason: DecryptError::Authentication }
                    if id == "EV-2018022511223320873"
            ),
            "{what}: {error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("APIv3 key"), "{message}");
        assert!(message.contains("altered"), "{message}");
        assert_eq!(error.answer().status(), 500, "{what}");
    }

    // The right notification, the wrong key.
    let other = client_with(
        &setup.dir.join("wechatpay.pub.pem"),
        &setup.dir.join("merchant.pkcs8.pem"),
        "another-test-only-key-of-32-char",
    );
    let body = envelope(&ciphertext, ASSOCIATED_DATA, "profitsharing");
    let headers = signed_by_openssl(&setup, now(), body.as_bytes());
    let error = other
        .decode_notification::<ProfitSharingNotification>(&headers, body.as_bytes())
        .await
        .unwrap_err();
    assert!(
        matches!(error, NotificationError::Decrypt { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn stale_probes_missing_headers_and_unknown_keys_are_not_verified() {
    let setup = setup("notification-unverified");
    let body = python_envelope(RESOURCE);
    let stale = signed_by_openssl(&setup, now() - 301, body.as_bytes());
    let error = decode(&setup, &stale, body.as_bytes()).await.unwrap_err();
    assert!(
        matches!(
            error,
            NotificationError::Unverified(VerifyError::StaleTimestamp { .. })
        ),
        "{error:?}"
    );

    let good = signed_by_openssl(&setup, now(), body.as_bytes());
    let mut probe = good.clone();
    let signature = good["wechatpay-signature"].to_str().unwrap();
    probe.insert(
        "wechatpay-signature",
        HeaderValue::from_str(&format!("WECHATPAY/SIGNTEST/{signature}")).unwrap(),
    );
    let error = decode(&setup, &probe, body.as_bytes()).await.unwrap_err();
    assert!(
        matches!(
            error,
            NotificationError::Unverified(VerifyError::SignatureProbe)
        ),
        "{error:?}"
    );

    let mut missing = good.clone();
    missing.remove("wechatpay-nonce");
    let error = decode(&setup, &missing, body.as_bytes()).await.unwrap_err();
    assert!(
        matches!(
            error,
            NotificationError::Unverified(VerifyError::MissingHeader("Wechatpay-Nonce"))
        ),
        "{error:?}"
    );

    // A serial the client does not hold: it tries to download the platform certificates (here
    // from a dead address, within the notification deadline) and says which serial it could not
    // find.
    let mut unknown = good.clone();
    unknown.insert(
        "wechatpay-serial",
        HeaderValue::from_static("5157F09EFDC096DE15EBE81A47057A7232F1B8E1"),
    );
    let error = decode(&setup, &unknown, body.as_bytes()).await.unwrap_err();
    match &error {
        NotificationError::CertificateUnavailable { serial, .. } => {
            assert_eq!(serial, "5157F09EFDC096DE15EBE81A47057A7232F1B8E1");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn another_kind_of_resource_or_a_resource_of_another_shape_is_a_typed_error() {
    let setup = setup("notification-kind");
    let ciphertext = common::python_encrypt(APIV3_KEY, NONCE, ASSOCIATED_DATA, RESOURCE.as_bytes());
    let body = envelope(&ciphertext, ASSOCIATED_DATA, "transaction");
    let headers = signed_by_openssl(&setup, now(), body.as_bytes());
    let error = decode(&setup, &headers, body.as_bytes()).await.unwrap_err();
    assert!(
        matches!(
            &error,
            NotificationError::OtherKind { found, expected: "profitsharing", .. } if found == "transaction"
        ),
        "{error:?}"
    );

    let body = python_envelope(r#"{"sp_mchid":"1900000100"}"#);
    let headers = signed_by_openssl(&setup, now(), body.as_bytes());
    let error = decode(&setup, &headers, body.as_bytes()).await.unwrap_err();
    assert!(
        matches!(&error, NotificationError::Resource { message, .. } if message.contains("missing field")),
        "{error:?}"
    );

    let body = br#"{"id":"EV-1"}"#;
    let headers = signed_by_openssl(&setup, now(), body);
    let error = decode(&setup, &headers, body).await.unwrap_err();
    assert!(
        matches!(error, NotificationError::Envelope { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_resource_type_other_than_encrypt_resource_is_refused_by_name() {
    let setup = setup("notification-resource-type");
    let body = python_envelope(RESOURCE).replace(
        r#""resource_type":"encrypt-resource""#,
        r#""resource_type":"plain-resource""#,
    );
    let headers = signed_by_openssl(&setup, now(), body.as_bytes());
    let error = decode(&setup, &headers, body.as_bytes()).await.unwrap_err();
    assert!(
        matches!(&error, NotificationError::ResourceType { found, .. } if found == "plain-resource"),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("plain-resource") && message.contains("encrypt-resource"),
        "{message}"
    );
    // A failure answer: WeChat Pay sends it again, for a client that can read it.
    assert_eq!(error.answer().status(), 500);
}

#[tokio::test]
async fn the_decrypted_json_is_kept_with_fields_the_spec_lacks_and_debug_does_not_show_it() {
    let setup = setup("notification-resource-json");
    let resource = RESOURCE.replace(
        r#""success_time""#,
        r#""field_added_in_2027":{"cents":[1,2]},"success_time""#,
    );
    let body = python_envelope(&resource);
    let headers = signed_by_openssl(&setup, now(), body.as_bytes());
    let notified = decode(&setup, &headers, body.as_bytes()).await.unwrap();
    // Exactly what WeChat Pay encrypted, the field the types lack included.
    assert_eq!(notified.resource_json(), resource);
    let value: serde_json::Value = serde_json::from_str(notified.resource_json()).unwrap();
    assert_eq!(value["field_added_in_2027"]["cents"][1], 2);
    let debug = format!("{notified:?}");
    assert!(!debug.contains("field_added_in_2027"), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
}

#[tokio::test]
async fn decrypting_needs_the_apiv3_key_and_the_builder_says_so_at_build_time() {
    let dir = common::scratch_dir("notification-no-key");
    let (_, _, wechatpay_public) = common::openssl_rsa_key(&dir, "wechatpay", 2048);
    let (merchant, _, _) = common::openssl_rsa_key(&dir, "merchant", 2048);
    let builder = || {
        Client::builder()
            .merchant(
                "1900000100",
                "3775B6A45ACD588826D15E583A95F5DD00000001",
                MerchantKey::from_pem_file(&merchant).unwrap(),
            )
            .wechatpay_public_key(
                WechatPayPublicKey::from_pem_file(KEY_ID, &wechatpay_public).unwrap(),
            )
    };
    match builder().notifications(true).build() {
        Err(ConfigError::Missing(what)) => assert!(what.contains("APIv3 key"), "{what}"),
        other => panic!("{other:?}"),
    }
    // Without asking for notifications at build, the first notification says it.
    let client = builder().build().unwrap();
    let error = client
        .decode_notification::<ProfitSharingNotification>(&HeaderMap::new(), b"{}")
        .await
        .unwrap_err();
    assert!(matches!(error, NotificationError::NoApiV3Key), "{error:?}");
    assert!(error.to_string().contains("ClientBuilder::apiv3_key"));
}
