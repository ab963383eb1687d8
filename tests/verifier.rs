//! The verifier on its own (as a user checks notification callbacks): one test per rejection
//! reason, each asserting that exact reason.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use wechatpay_ecommerce::{
    CertificateStore, KeySource, MerchantKey, PlatformCertificate, SignatureHeaders, Verifier,
    VerifyError, WechatPayPublicKey,
};

const ID: &str = "PUB_KEY_ID_0114232806712025022800000000000001";
const BODY: &[u8] = br#"{"out_return_no":"R20190516001","result":"SUCCESS"}"#;

/// WeChat Pay's side for these tests: a public key pair and a platform certificate, made by openssl.
struct WechatPay {
    public_key_signer: MerchantKey,
    certificate_signer: MerchantKey,
    verifier: Verifier,
    serial: String,
}

fn wechatpay(name: &str) -> WechatPay {
    let dir = common::scratch_dir(name);
    let (private, _, public) = common::openssl_rsa_key(&dir, "pub", 2048);
    let (cert_key, _, _) = common::openssl_rsa_key(&dir, "cert", 2048);
    common::openssl_certificate(
        &dir,
        &cert_key,
        Some("0x5157F09EFDC096DE15EBE81A47057A7232F1B8E1"),
        30,
        "cert.pem",
    );
    let certificate = PlatformCertificate::from_pem_file(dir.join("cert.pem")).unwrap();
    let serial = certificate.serial().to_owned();
    WechatPay {
        public_key_signer: MerchantKey::from_pem_file(private).unwrap(),
        certificate_signer: MerchantKey::from_pem_file(cert_key).unwrap(),
        verifier: Verifier::new()
            .with_public_key(WechatPayPublicKey::from_pem_file(ID, public).unwrap())
            .with_certificates(Arc::new(CertificateStore::new([certificate]))),
        serial,
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Headers of an answer signed by `key` as `serial`, at `timestamp`.
fn signed(key: &MerchantKey, serial: &str, timestamp: u64, body: &[u8]) -> HeaderMap {
    let nonce = "c5ac7061fccab6bf3e254dcf98995b8c";
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    let mut headers = HeaderMap::new();
    headers.insert(
        "Wechatpay-Timestamp",
        timestamp.to_string().parse().unwrap(),
    );
    headers.insert("Wechatpay-Nonce", nonce.parse().unwrap());
    headers.insert(
        "Wechatpay-Signature",
        key.sign(&message).unwrap().parse().unwrap(),
    );
    headers.insert("Wechatpay-Serial", serial.parse().unwrap());
    headers.insert(
        "Wechatpay-Signature-Type",
        "WECHATPAY2-SHA256-RSA2048".parse().unwrap(),
    );
    headers
}

#[test]
fn the_key_is_chosen_by_serial_when_both_are_configured() {
    let wp = wechatpay("verify-both");
    let by_public_key = signed(&wp.public_key_signer, ID, now_secs(), BODY);
    let verified = wp.verifier.verify(&by_public_key, BODY).unwrap();
    assert_eq!(
        (verified.serial.as_str(), verified.source),
        (ID, KeySource::PublicKey)
    );
    let by_certificate = signed(&wp.certificate_signer, &wp.serial, now_secs(), BODY);
    let verified = wp.verifier.verify(&by_certificate, BODY).unwrap();
    assert_eq!(verified.source, KeySource::PlatformCertificate);
    assert_eq!(verified.serial, "5157F09EFDC096DE15EBE81A47057A7232F1B8E1");
    // Header names are case-insensitive; an empty body verifies too.
    let empty = signed(&wp.public_key_signer, ID, now_secs(), b"");
    assert!(wp.verifier.verify(&empty, b"").is_ok());
}

#[test]
fn a_signature_by_the_other_key_is_a_bad_signature() {
    let wp = wechatpay("verify-crossed");
    // Signed with the certificate's key but claiming the public key's id, and the reverse.
    let crossed = signed(&wp.certificate_signer, ID, now_secs(), BODY);
    assert_eq!(
        wp.verifier.verify(&crossed, BODY),
        Err(VerifyError::BadSignature { serial: ID.into() })
    );
    let crossed = signed(&wp.public_key_signer, &wp.serial, now_secs(), BODY);
    assert_eq!(
        wp.verifier.verify(&crossed, BODY),
        Err(VerifyError::BadSignature {
            serial: wp.serial.clone()
        })
    );
}

#[test]
fn missing_headers() {
    let wp = wechatpay("verify-missing");
    for (name, display) in [
        ("wechatpay-timestamp", "Wechatpay-Timestamp"),
        ("wechatpay-nonce", "Wechatpay-Nonce"),
        ("wechatpay-signature", "Wechatpay-Signature"),
        ("wechatpay-serial", "Wechatpay-Serial"),
    ] {
        let mut headers = signed(&wp.public_key_signer, ID, now_secs(), BODY);
        headers.remove(name);
        assert_eq!(
            wp.verifier.verify(&headers, BODY),
            Err(VerifyError::MissingHeader(display))
        );
    }
    // Signature-Type is optional.
    let mut headers = signed(&wp.public_key_signer, ID, now_secs(), BODY);
    headers.remove("wechatpay-signature-type");
    assert!(wp.verifier.verify(&headers, BODY).is_ok());
}

#[test]
fn duplicated_headers() {
    let wp = wechatpay("verify-duplicated");
    for (name, display) in [
        ("wechatpay-timestamp", "Wechatpay-Timestamp"),
        ("wechatpay-signature", "Wechatpay-Signature"),
        ("wechatpay-serial", "Wechatpay-Serial"),
        ("wechatpay-signature-type", "Wechatpay-Signature-Type"),
    ] {
        let mut headers = signed(&wp.public_key_signer, ID, now_secs(), BODY);
        let value = headers.get(name).unwrap().clone();
        headers.append(name, value);
        assert_eq!(
            wp.verifier.verify(&headers, BODY),
            Err(VerifyError::DuplicateHeader(display))
        );
    }
}

#[test]
fn a_header_that_is_not_ascii() {
    let wp = wechatpay("verify-ascii");
    let mut headers = signed(&wp.public_key_signer, ID, now_secs(), BODY);
    headers.insert(
        "wechatpay-nonce",
        HeaderValue::from_bytes("随机串".as_bytes()).unwrap(),
    );
    assert_eq!(
        wp.verifier.verify(&headers, BODY),
        Err(VerifyError::MalformedHeader("Wechatpay-Nonce"))
    );
}

#[test]
fn another_signature_type() {
    let wp = wechatpay("verify-type");
    let mut headers = signed(&wp.public_key_signer, ID, now_secs(), BODY);
    headers.insert(
        "wechatpay-signature-type",
        "WECHATPAY2-SM2-WITH-SM3".parse().unwrap(),
    );
    assert_eq!(
        wp.verifier.verify(&headers, BODY),
        Err(VerifyError::UnsupportedSignatureType(
            "WECHATPAY2-SM2-WITH-SM3".into()
        ))
    );
}

#[test]
fn a_signature_probe_is_rejected_and_named() {
    let wp = wechatpay("verify-probe");
    let mut headers = signed(&wp.public_key_signer, ID, now_secs(), BODY);
    let probe = format!(
        "WECHATPAY/SIGNTEST/{}",
        headers["wechatpay-signature"].to_str().unwrap()
    );
    headers.insert("wechatpay-signature", probe.parse().unwrap());
    let error = wp.verifier.verify(&headers, BODY).unwrap_err();
    assert_eq!(error, VerifyError::SignatureProbe);
    assert!(error.to_string().contains("probe"));
    // A bare probe, not even base64: still the probe reason, not a base64 error.
    headers.insert(
        "wechatpay-signature",
        "WECHATPAY/SIGNTEST/".parse().unwrap(),
    );
    assert_eq!(
        wp.verifier.verify(&headers, BODY),
        Err(VerifyError::SignatureProbe)
    );
}

#[test]
fn timestamps_outside_the_window() {
    let wp = wechatpay("verify-time");
    let now = now_secs();
    let at = UNIX_EPOCH + Duration::from_secs(now);
    for (offset, ok) in [
        (-300i64, true),
        (300, true),
        (-301, false),
        (301, false),
        (-86_400, false),
    ] {
        let timestamp = now.checked_add_signed(offset).unwrap();
        let headers = signed(&wp.public_key_signer, ID, timestamp, BODY);
        let result =
            wp.verifier
                .verify_at(&SignatureHeaders::from_headers(&headers).unwrap(), BODY, at);
        if ok {
            assert!(result.is_ok(), "{offset}: {result:?}");
        } else {
            assert_eq!(
                result,
                Err(VerifyError::StaleTimestamp {
                    timestamp: timestamp as i64,
                    skew_secs: offset.unsigned_abs(),
                    window_secs: 300
                })
            );
        }
    }
    // The window is configurable.
    let headers = signed(&wp.public_key_signer, ID, now - 600, BODY);
    let wide = wp
        .verifier
        .clone()
        .with_timestamp_window(Duration::from_secs(900));
    assert!(
        wide.verify_at(&SignatureHeaders::from_headers(&headers).unwrap(), BODY, at)
            .is_ok()
    );
    let narrow = wp
        .verifier
        .clone()
        .with_timestamp_window(Duration::from_secs(10));
    let headers = signed(&wp.public_key_signer, ID, now - 11, BODY);
    assert!(matches!(
        narrow.verify_at(&SignatureHeaders::from_headers(&headers).unwrap(), BODY, at),
        Err(VerifyError::StaleTimestamp { .. })
    ));
}

#[test]
fn a_timestamp_that_is_not_a_number() {
    let wp = wechatpay("verify-time-format");
    for bad in ["", "1.5e9", "abc", "99999999999999999999999"] {
        let mut headers = signed(&wp.public_key_signer, ID, now_secs(), BODY);
        headers.insert("wechatpay-timestamp", bad.parse().unwrap());
        assert_eq!(
            wp.verifier.verify(&headers, BODY),
            Err(VerifyError::MalformedTimestamp(bad.into()))
        );
    }
}

#[test]
fn a_signature_that_is_not_base64() {
    let wp = wechatpay("verify-base64");
    for bad in ["***", "abc", "A"] {
        let mut headers = signed(&wp.public_key_signer, ID, now_secs(), BODY);
        headers.insert("wechatpay-signature", bad.parse().unwrap());
        assert_eq!(
            wp.verifier.verify(&headers, BODY),
            Err(VerifyError::MalformedSignature)
        );
    }
}

#[test]
fn an_unknown_serial() {
    let wp = wechatpay("verify-serial");
    let headers = signed(&wp.certificate_signer, "5157F09EFDC096DE", now_secs(), BODY);
    assert_eq!(
        wp.verifier.verify(&headers, BODY),
        Err(VerifyError::UnknownSerial {
            serial: "5157F09EFDC096DE".into()
        })
    );
    // A public key id the verifier does not have is a configuration error, not a certificate
    // to look for: it names the id to configure and the one configured.
    let headers = signed(&wp.public_key_signer, "PUB_KEY_ID_0000", now_secs(), BODY);
    let error = wp.verifier.verify(&headers, BODY).unwrap_err();
    assert_eq!(
        error,
        VerifyError::PublicKeyNotConfigured {
            id: "PUB_KEY_ID_0000".into(),
            configured: Some(ID.into())
        }
    );
    let message = error.to_string();
    assert!(
        message.contains("configuration error")
            && message.contains("wechatpay_public_key")
            && message.contains("PUB_KEY_ID_0000"),
        "{message}"
    );
    // Certificate serials are hex numbers: case and leading zeros do not matter, other digits do.
    for same in [wp.serial.to_lowercase(), format!("00{}", wp.serial)] {
        let headers = signed(&wp.certificate_signer, &same, now_secs(), BODY);
        assert_eq!(
            wp.verifier.verify(&headers, BODY).unwrap().source,
            KeySource::PlatformCertificate,
            "{same}"
        );
    }
    let other = format!("{}0", wp.serial);
    let headers = signed(&wp.certificate_signer, &other, now_secs(), BODY);
    assert_eq!(
        wp.verifier.verify(&headers, BODY),
        Err(VerifyError::UnknownSerial { serial: other })
    );
    // A verifier with no keys knows no serial, and has no public key to name.
    let headers = signed(&wp.certificate_signer, &wp.serial, now_secs(), BODY);
    assert!(matches!(
        Verifier::new().verify(&headers, BODY),
        Err(VerifyError::UnknownSerial { .. })
    ));
    let headers = signed(&wp.public_key_signer, ID, now_secs(), BODY);
    assert!(matches!(
        Verifier::new().verify(&headers, BODY),
        Err(VerifyError::PublicKeyNotConfigured {
            configured: None,
            ..
        })
    ));
}

/// A certificate's `notBefore`/`notAfter` as openssl prints them (`notAfter=Dec 22 12:00:00 2026
/// GMT`), in Unix seconds.
fn openssl_date(dir: &std::path::Path, which: &str) -> i64 {
    let out = common::openssl(dir, &["x509", "-noout", which, "-in", "cert.pem"], b"");
    let text = String::from_utf8(out).unwrap();
    let date = text.trim().split_once('=').unwrap().1;
    chrono::NaiveDateTime::parse_from_str(date, "%b %e %H:%M:%S %Y GMT")
        .unwrap()
        .and_utc()
        .timestamp()
}

#[test]
fn an_expired_or_not_yet_valid_certificate_is_reported_as_such() {
    let wp = wechatpay("verify-expired");
    let dir = common::scratch_dir("verify-expired-dates");
    std::fs::copy(
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verify-expired/cert.pem"),
        dir.join("cert.pem"),
    )
    .unwrap();
    let headers = signed(&wp.certificate_signer, &wp.serial, now_secs(), BODY);
    let headers = SignatureHeaders::from_headers(&headers).unwrap();
    let wide = wp
        .verifier
        .clone()
        .with_timestamp_window(Duration::from_secs(40 * 86_400));
    assert!(wide.verify_at(&headers, BODY, SystemTime::now()).is_ok());
    // The dates come from the certificate, as openssl reads them.
    let later = SystemTime::now() + Duration::from_secs(31 * 86_400);
    assert_eq!(
        wide.verify_at(&headers, BODY, later),
        Err(VerifyError::ExpiredCertificate {
            serial: wp.serial.clone(),
            not_after: openssl_date(&dir, "-enddate"),
        })
    );
    let earlier = SystemTime::now() - Duration::from_secs(86_400);
    let error = wide.verify_at(&headers, BODY, earlier).unwrap_err();
    assert_eq!(
        error,
        VerifyError::CertificateNotYetValid {
            serial: wp.serial.clone(),
            not_before: openssl_date(&dir, "-startdate"),
        }
    );
    assert!(error.to_string().contains("not accepted yet"), "{error}");
}

#[test]
fn a_tampered_body() {
    let wp = wechatpay("verify-tampered");
    let headers = signed(&wp.public_key_signer, ID, now_secs(), BODY);
    let mut tampered = BODY.to_vec();
    tampered.push(b' ');
    assert_eq!(
        wp.verifier.verify(&headers, &tampered),
        Err(VerifyError::BadSignature { serial: ID.into() })
    );
    assert_eq!(
        wp.verifier.verify(&headers, b""),
        Err(VerifyError::BadSignature { serial: ID.into() })
    );
}
