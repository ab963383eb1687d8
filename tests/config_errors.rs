//! Loading credentials: every kind of bad input is a typed error that says what was expected, and
//! nothing prints key material.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use wechatpay_ecommerce::simulator::{Simulator, VerificationMode};
use wechatpay_ecommerce::{
    ApiV3Key, Client, ConfigError, MerchantCertificate, MerchantKey, PlatformCertificate,
    WechatPayPublicKey,
};

fn message(error: ConfigError) -> String {
    error.to_string()
}

#[test]
fn merchant_key_errors_are_typed_and_say_what_was_expected() {
    let dir = common::scratch_dir("config-errors");
    let missing = MerchantKey::from_pem_file(dir.join("no-such-file.pem")).unwrap_err();
    assert!(
        matches!(missing, ConfigError::Unreadable { .. }),
        "{missing:?}"
    );
    assert!(message(missing).contains("no-such-file.pem"));

    let not_pem = MerchantKey::from_pem("this is not a key").unwrap_err();
    assert!(matches!(not_pem, ConfigError::NotPem { .. }));
    assert!(message(not_pem).contains("apiclient_key.pem from the merchant platform"));

    common::openssl(
        &dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-aes-256-cbc",
            "-pass",
            "pass:secret",
            "-out",
            "encrypted.pem",
        ],
        b"",
    );
    let encrypted = MerchantKey::from_pem_file(dir.join("encrypted.pem")).unwrap_err();
    assert!(
        matches!(encrypted, ConfigError::EncryptedKey { .. }),
        "{encrypted:?}"
    );
    common::openssl(
        &dir,
        &[
            "genrsa",
            "-aes256",
            "-traditional",
            "-passout",
            "pass:secret",
            "-out",
            "encrypted1.pem",
            "2048",
        ],
        b"",
    );
    let encrypted = MerchantKey::from_pem_file(dir.join("encrypted1.pem")).unwrap_err();
    assert!(
        matches!(encrypted, ConfigError::EncryptedKey { .. }),
        "{encrypted:?}"
    );

    common::openssl(
        &dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "ec.pem",
        ],
        b"",
    );
    let ec = MerchantKey::from_pem_file(dir.join("ec.pem")).unwrap_err();
    assert!(matches!(ec, ConfigError::NotRsa { .. }), "{ec:?}");
    common::openssl(&dir, &["ec", "-in", "ec.pem", "-out", "ec1.pem"], b"");
    let ec = MerchantKey::from_pem_file(dir.join("ec1.pem")).unwrap_err();
    assert!(matches!(ec, ConfigError::NotRsa { .. }), "{ec:?}");
    common::openssl(
        &dir,
        &["genpkey", "-algorithm", "ED25519", "-out", "ed.pem"],
        b"",
    );
    assert!(matches!(
        MerchantKey::from_pem_file(dir.join("ed.pem")).unwrap_err(),
        ConfigError::NotRsa { .. }
    ));

    let (small, small1, _) = common::openssl_rsa_key(&dir, "small", 1024);
    for path in [small, small1] {
        let error = MerchantKey::from_pem_file(path).unwrap_err();
        assert!(
            matches!(error, ConfigError::KeyTooSmall { .. }),
            "{error:?}"
        );
        assert!(message(error).contains("2048"));
    }

    // A certificate where the key should be.
    let (key, _, public) = common::openssl_rsa_key(&dir, "ok", 2048);
    common::openssl_certificate(&dir, &key, None, 1, "cert.pem");
    let cert = MerchantKey::from_pem_file(dir.join("cert.pem")).unwrap_err();
    assert!(
        matches!(cert, ConfigError::WrongPem { ref found, .. } if found == "CERTIFICATE"),
        "{cert:?}"
    );
    let public_as_private = MerchantKey::from_pem_file(&public).unwrap_err();
    assert!(matches!(public_as_private, ConfigError::WrongPem { .. }));

    // Right label, broken contents.
    let broken = "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n-----END PRIVATE KEY-----\n";
    assert!(matches!(
        MerchantKey::from_pem(broken).unwrap_err(),
        ConfigError::Malformed { .. } | ConfigError::NotRsa { .. }
    ));
}

#[test]
fn public_key_and_apiv3_key_errors() {
    let dir = common::scratch_dir("config-errors-public");
    let (key, _, public) = common::openssl_rsa_key(&dir, "wechatpay", 2048);
    let public = std::fs::read_to_string(public).unwrap();
    let error =
        WechatPayPublicKey::from_pem("0114232806712025022800000000000001", &public).unwrap_err();
    assert!(matches!(error, ConfigError::PublicKeyId { .. }));
    assert!(message(error).contains("PUB_KEY_ID_"));
    assert!(matches!(
        WechatPayPublicKey::from_pem("PUB_KEY_ID_", &public).unwrap_err(),
        ConfigError::PublicKeyId { .. }
    ));
    assert!(WechatPayPublicKey::from_pem("PUB_KEY_ID_01", &public).is_ok());
    let private = std::fs::read_to_string(key).unwrap();
    assert!(matches!(
        WechatPayPublicKey::from_pem("PUB_KEY_ID_01", &private).unwrap_err(),
        ConfigError::WrongPem { .. }
    ));

    let error = ApiV3Key::new("too short").unwrap_err();
    assert!(matches!(error, ConfigError::ApiV3KeyLength { len: 9 }));
    assert!(message(error).contains("exactly 32"));

    assert!(matches!(
        PlatformCertificate::from_pem(&public).unwrap_err(),
        ConfigError::WrongPem { .. }
    ));
}

#[tokio::test]
async fn the_builder_names_what_is_missing_and_debug_shows_no_secret() {
    let simulator = Simulator::start().await.unwrap();
    let credentials = simulator.credentials();
    let key = || credentials.merchant_key().unwrap();
    let error = Client::builder()
        .merchant("1900000001", "ABC", key())
        .build()
        .unwrap_err();
    assert!(
        matches!(error, ConfigError::NoVerificationSource),
        "{error:?}"
    );
    let error = Client::builder().build().unwrap_err();
    assert!(matches!(error, ConfigError::Missing(_)));
    let error = Client::builder()
        .merchant("19000x", "ABC", key())
        .apiv3_key(credentials.apiv3_key().unwrap())
        .build()
        .unwrap_err();
    assert!(matches!(error, ConfigError::MerchantId { .. }));
    let error = Client::builder()
        .merchant("1900000001", "not hex!", key())
        .apiv3_key(credentials.apiv3_key().unwrap())
        .build()
        .unwrap_err();
    assert!(matches!(error, ConfigError::MerchantSerialNo { .. }));
    let error = Client::builder()
        .merchant("1900000001", "ABC", key())
        .apiv3_key(credentials.apiv3_key().unwrap())
        .base_url("not a url")
        .build()
        .unwrap_err();
    assert!(matches!(error, ConfigError::BaseUrl { .. }));

    // No Debug output carries key material: not the private key, not the APIv3 key.
    let private_body: String = credentials
        .merchant_private_key_pem
        .as_deref()
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let secrets = [
        &private_body[..40],
        &private_body[100..140],
        credentials.apiv3_key.as_str(),
    ];
    let client = simulator
        .client_builder(VerificationMode::Both)
        .unwrap()
        .build()
        .unwrap();
    let builder = simulator.client_builder(VerificationMode::Both).unwrap();
    for debug in [
        format!("{client:?}"),
        format!("{client:#?}"),
        format!("{builder:?}"),
        format!("{credentials:?}"),
        format!("{:?}", credentials.merchant_key().unwrap()),
        format!("{:?}", credentials.apiv3_key().unwrap()),
        format!("{simulator:?}"),
    ] {
        for secret in secrets {
            assert!(!debug.contains(secret), "Debug shows a secret: {debug}");
        }
        assert!(!debug.contains("PRIVATE KEY"), "{debug}");
    }
    assert!(
        format!("{client:?}").contains("1900000001"),
        "Debug should still be useful: {client:?}"
    );
}

#[tokio::test]
async fn the_merchant_serial_number_is_sent_in_upper_case_and_must_be_hex() {
    let simulator = Simulator::start().await.unwrap();
    let credentials = simulator.credentials();
    let typed = format!(" {}\n", credentials.merchant_serial_no.to_lowercase());
    let client = Client::builder()
        .merchant(
            &credentials.mchid,
            typed,
            credentials.merchant_key().unwrap(),
        )
        .wechatpay_public_key(credentials.wechatpay_public_key().unwrap())
        .base_url(simulator.base_url())
        .build()
        .unwrap();
    // The simulator, like WeChat Pay, knows the serial as the merchant platform shows it.
    client
        .profit_sharing()
        .query_order(&common::order_request())
        .await
        .unwrap();
    let authorization = simulator.requests()[0].authorization.clone().unwrap();
    assert!(
        authorization.contains(&format!("serial_no=\"{}\"", credentials.merchant_serial_no)),
        "{authorization}"
    );
    for bad in ["", "3775B6A4-5ACD", "0x3775B6A4", "3775 B6A4"] {
        let error = Client::builder()
            .merchant("1900000001", bad, credentials.merchant_key().unwrap())
            .wechatpay_public_key(credentials.wechatpay_public_key().unwrap())
            .build()
            .unwrap_err();
        assert!(
            matches!(&error, ConfigError::MerchantSerialNo { serial_no } if serial_no == bad),
            "{bad:?}: {error:?}"
        );
        assert!(message(error).contains("(serial_no)"));
    }
}

/// What `openssl … | openssl sha256` prints, its first 16 hex digits.
fn openssl_modulus_fingerprint(dir: &std::path::Path, args: &[&str]) -> String {
    let modulus = common::openssl(dir, args, b"");
    let digest = common::openssl(dir, &["sha256"], &modulus);
    let digest = String::from_utf8(digest).unwrap();
    digest.split_whitespace().last().unwrap()[..16].to_owned()
}

#[tokio::test]
async fn the_merchant_certificate_gives_the_serial_and_must_hold_the_private_keys_public_key() {
    let dir = common::scratch_dir("merchant-certificate");
    let (key, _, _) = common::openssl_rsa_key(&dir, "merchant", 2048);
    // A serial whose first hex digit is 0: WeChat Pay writes whole bytes, as openssl does.
    let cert = common::openssl_certificate(
        &dir,
        &key,
        Some("0x0A75B6A45ACD588826D15E583A95F5DD00000042"),
        365,
        "apiclient_cert.pem",
    );
    let printed = String::from_utf8(common::openssl(
        &dir,
        &["x509", "-noout", "-serial", "-in", "apiclient_cert.pem"],
        b"",
    ))
    .unwrap();
    let serial = printed.trim().strip_prefix("serial=").unwrap().to_owned();
    let certificate = MerchantCertificate::from_pem_file(&cert).unwrap();
    assert_eq!(certificate.serial(), serial);
    assert_eq!(serial, "0A75B6A45ACD588826D15E583A95F5DD00000042");

    // The simulator knows this merchant by its certificate; the client reads the serial from it.
    let simulator = Simulator::builder()
        .merchant(
            "1900000002",
            serial.clone(),
            std::fs::read_to_string(&cert).unwrap(),
        )
        .start()
        .await
        .unwrap();
    let public_key = simulator.credentials().wechatpay_public_key().unwrap();
    let client = Client::builder()
        .merchant_with_certificate(
            "1900000002",
            certificate.clone(),
            MerchantKey::from_pem_file(&key).unwrap(),
        )
        .wechatpay_public_key(public_key.clone())
        .base_url(simulator.base_url())
        .build()
        .unwrap();
    client
        .profit_sharing()
        .query_order(&common::order_request())
        .await
        .unwrap();

    // The certificate of another key: refused, with both moduli as openssl fingerprints them.
    let (other, _, _) = common::openssl_rsa_key(&dir, "other", 2048);
    let error = Client::builder()
        .merchant_with_certificate(
            "1900000002",
            certificate,
            MerchantKey::from_pem_file(&other).unwrap(),
        )
        .wechatpay_public_key(public_key)
        .build()
        .unwrap_err();
    let ConfigError::MerchantCertificateMismatch {
        certificate_serial,
        certificate_modulus,
        private_key_modulus,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*certificate_serial, serial);
    assert_eq!(
        *certificate_modulus,
        openssl_modulus_fingerprint(
            &dir,
            &["x509", "-noout", "-modulus", "-in", "apiclient_cert.pem"]
        )
    );
    assert_eq!(
        *private_key_modulus,
        openssl_modulus_fingerprint(
            &dir,
            &["rsa", "-noout", "-modulus", "-in", other.to_str().unwrap()]
        )
    );
    assert_ne!(certificate_modulus, private_key_modulus);
    let text = message(error);
    assert!(text.contains(&serial), "{text}");
    assert!(text.contains("openssl x509 -noout -modulus"), "{text}");

    // Not a certificate at all: what was expected is named.
    let error = MerchantCertificate::from_pem_file(&key).unwrap_err();
    assert!(matches!(error, ConfigError::WrongPem { .. }), "{error:?}");
}

#[test]
fn a_connect_timeout_with_a_callers_own_http_client_is_refused() {
    let dir = common::scratch_dir("connect-timeout-conflict");
    let (key, _, public) = common::openssl_rsa_key(&dir, "k", 2048);
    let builder = || {
        Client::builder()
            .merchant(
                "1900000001",
                "ABC",
                MerchantKey::from_pem_file(&key).unwrap(),
            )
            .wechatpay_public_key(
                WechatPayPublicKey::from_pem_file("PUB_KEY_ID_01", &public).unwrap(),
            )
    };
    let error = builder()
        .http_client(reqwest::Client::new())
        .connect_timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap_err();
    assert!(matches!(error, ConfigError::Conflict { .. }), "{error:?}");
    assert!(message(error).contains("connect_timeout"));
    // Either one alone is fine.
    assert!(
        builder()
            .http_client(reqwest::Client::new())
            .build()
            .is_ok()
    );
    assert!(
        builder()
            .connect_timeout(std::time::Duration::from_secs(1))
            .build()
            .is_ok()
    );
}

#[test]
fn the_apiv3_key_is_zeroed_when_dropped() {
    // `ZeroizeOnDrop` is the zeroize crate's promise that dropping zeroes the secret; the bound
    // does not compile for a type that does not make it.
    fn zeroed_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    zeroed_on_drop::<ApiV3Key>();
}

#[tokio::test]
async fn a_duration_setting_that_could_overflow_or_leaves_no_time_is_refused_by_name() {
    use std::time::Duration;
    use wechatpay_ecommerce::{ClientBuilder, MAX_DURATION_SETTING, RetryPolicy};

    let simulator = Simulator::start().await.unwrap();
    let builder = || simulator.client_builder(VerificationMode::Both).unwrap();
    let huge = Duration::MAX;
    let cases: Vec<(&str, ClientBuilder)> = vec![
        ("total_deadline", builder().total_deadline(huge)),
        ("attempt_timeout", builder().attempt_timeout(huge)),
        ("connect_timeout", builder().connect_timeout(huge)),
        (
            "notification_deadline",
            builder().notification_deadline(huge),
        ),
        (
            "certificate_refresh_interval",
            builder().certificate_refresh_interval(huge),
        ),
        ("timestamp_window", builder().timestamp_window(huge)),
        (
            "certificate_backoff (max)",
            builder().certificate_backoff(Duration::from_secs(1), huge),
        ),
        (
            "certificate_backoff (initial)",
            builder().certificate_backoff(huge, huge),
        ),
        (
            "certificate_on_demand_interval",
            builder().certificate_on_demand_interval(huge),
        ),
        (
            "retry_policy (max backoff)",
            builder().retry_policy(RetryPolicy::default().with_backoff(Duration::ZERO, huge)),
        ),
        (
            "retry_policy (initial backoff)",
            builder().retry_policy(
                RetryPolicy::default().with_backoff(MAX_DURATION_SETTING * 2, Duration::ZERO),
            ),
        ),
        ("total_deadline", builder().total_deadline(Duration::ZERO)),
        ("attempt_timeout", builder().attempt_timeout(Duration::ZERO)),
        (
            "notification_deadline",
            builder().notification_deadline(Duration::ZERO),
        ),
    ];
    for (setting, builder) in cases {
        let error = builder.build().unwrap_err();
        match &error {
            ConfigError::Duration { setting: named, .. } => assert_eq!(*named, setting),
            other => panic!("{setting}: {other:?}"),
        }
        assert!(error.to_string().contains(setting), "{error}");
    }
    // The limit itself is accepted, and so is zero where no time is needed.
    builder()
        .total_deadline(MAX_DURATION_SETTING)
        .certificate_on_demand_interval(Duration::ZERO)
        .retry_policy(RetryPolicy::default().with_backoff(Duration::ZERO, Duration::ZERO))
        .build()
        .unwrap();
}
