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

use wechatpay_v3::simulator::{Simulator, VerificationMode};
use wechatpay_v3::{
    ApiV3Key, Client, ConfigError, MerchantKey, PlatformCertificate, WechatPayPublicKey,
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
