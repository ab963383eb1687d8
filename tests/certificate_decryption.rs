//! Decrypting `encrypt_certificate` entries (AEAD_AES_256_GCM, PROTOCOL.md section 3) made by an
//! independent implementation: Python's `cryptography` package, at test time.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use wechatpay_ecommerce::{ApiV3Key, DecryptError, PlatformCertificate};

const KEY: &str = "0123456789abcdefghijklmnopqrstuv";

#[test]
fn a_certificate_encrypted_by_python_decrypts_and_parses() {
    let dir = common::scratch_dir("decrypt-certificate");
    let (key, _, _) = common::openssl_rsa_key(&dir, "platform", 2048);
    common::openssl_certificate(
        &dir,
        &key,
        Some("0x5157F09EFDC096DE15EBE81A47057A7232F1B8E1"),
        30,
        "cert.pem",
    );
    let pem = std::fs::read(dir.join("cert.pem")).unwrap();
    let ciphertext = common::python_encrypt(KEY, "61f9c719728a", "certificate", &pem);
    let plaintext = ApiV3Key::new(KEY)
        .unwrap()
        .decrypt(
            "AEAD_AES_256_GCM",
            "61f9c719728a",
            "certificate",
            &ciphertext,
        )
        .unwrap();
    assert_eq!(plaintext, pem);
    let certificate =
        PlatformCertificate::from_pem(std::str::from_utf8(&plaintext).unwrap()).unwrap();
    assert_eq!(
        certificate.serial(),
        "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
    );
}

#[test]
fn empty_and_unicode_payloads_round_trip() {
    let key = ApiV3Key::new(KEY).unwrap();
    for (plaintext, aad) in [
        (&b""[..], ""),
        ("平台证书 ✓".as_bytes(), "证书"),
        (&[0u8; 1000][..], "transaction"),
    ] {
        let ciphertext = common::python_encrypt(KEY, "abcdefghijkl", aad, plaintext);
        assert_eq!(
            key.decrypt("AEAD_AES_256_GCM", "abcdefghijkl", aad, &ciphertext)
                .unwrap(),
            plaintext
        );
    }
}

#[test]
fn a_wrong_key_a_wrong_aad_a_wrong_nonce_and_a_truncated_tag_fail_authentication() {
    let ciphertext = common::python_encrypt(
        KEY,
        "61f9c719728a",
        "certificate",
        b"-----BEGIN CERTIFICATE-----",
    );
    let right = ApiV3Key::new(KEY).unwrap();
    assert!(
        right
            .decrypt(
                "AEAD_AES_256_GCM",
                "61f9c719728a",
                "certificate",
                &ciphertext
            )
            .is_ok()
    );

    let wrong = ApiV3Key::new("0123456789abcdefghijklmnopqrstuw").unwrap();
    assert_eq!(
        wrong.decrypt(
            "AEAD_AES_256_GCM",
            "61f9c719728a",
            "certificate",
            &ciphertext
        ),
        Err(DecryptError::Authentication)
    );
    assert_eq!(
        right.decrypt(
            "AEAD_AES_256_GCM",
            "61f9c719728a",
            "Certificate",
            &ciphertext
        ),
        Err(DecryptError::Authentication)
    );
    assert_eq!(
        right.decrypt(
            "AEAD_AES_256_GCM",
            "61f9c719728b",
            "certificate",
            &ciphertext
        ),
        Err(DecryptError::Authentication)
    );

    let raw = STANDARD.decode(&ciphertext).unwrap();
    for cut in [1, 8, 16, raw.len()] {
        let truncated = STANDARD.encode(&raw[..raw.len() - cut]);
        assert_eq!(
            right.decrypt(
                "AEAD_AES_256_GCM",
                "61f9c719728a",
                "certificate",
                &truncated
            ),
            Err(DecryptError::Authentication),
            "cut {cut}"
        );
    }
    for i in 0..raw.len() {
        let mut flipped = raw.clone();
        flipped[i] ^= 1;
        let flipped = STANDARD.encode(flipped);
        assert_eq!(
            right.decrypt("AEAD_AES_256_GCM", "61f9c719728a", "certificate", &flipped),
            Err(DecryptError::Authentication),
            "byte {i}"
        );
    }
}
