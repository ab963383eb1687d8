//! Platform certificates when `GET /v3/certificates` misbehaves: a failed, slow or partly bad
//! download costs the calls that need it, not every call. Each test counts the downloads the
//! simulator sees.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{dead_base_url, order_request, quick_retries, status};

use std::error::Error as _;
use std::time::Duration;

use wechatpay_ecommerce::simulator::{BadEntry, Fault, Simulator, VerificationMode};
use wechatpay_ecommerce::{
    CertificateEntryError, ClientBuilder, DecryptError, Error, ErrorCode, KeySource, VerifyError,
};

const CERTIFICATES: &str = "/v3/certificates";

/// A client that verifies with platform certificates only, with short retry backoffs.
fn builder(simulator: &Simulator) -> ClientBuilder {
    simulator
        .client_builder(VerificationMode::PlatformCertificates)
        .unwrap()
        .retry_policy(quick_retries())
}

fn downloads(simulator: &Simulator) -> usize {
    simulator
        .requests()
        .iter()
        .filter(|r| r.path_and_query == CERTIFICATES)
        .count()
}

/// Waits (at most 10 s) until `done` holds: for what a background download leaves behind.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never happened: {what}");
}

#[tokio::test]
async fn a_timed_refresh_runs_beside_the_calls_which_keep_the_certificates_held() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator)
        .certificate_refresh_interval(Duration::from_millis(200))
        .total_deadline(Duration::from_secs(3))
        .build()
        .unwrap();
    client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    assert_eq!(downloads(&simulator), 1);

    // The certificate endpoint hangs from now on. Once the interval has passed, calls start a
    // refresh but do not wait for it: with a 3 s deadline they would all fail if they did.
    simulator.inject_always_on(CERTIFICATES, Fault::Delay(Duration::from_secs(60)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..5 {
        let answer = client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .unwrap();
        assert_eq!(answer.verified().source, KeySource::PlatformCertificate);
    }
    assert_eq!(
        downloads(&simulator),
        2,
        "one refresh, shared: the calls that came while it ran did not start another"
    );
    assert!(client.certificate_status().unwrap().downloading);
}

#[tokio::test]
async fn a_timed_refresh_that_succeeds_replaces_the_certificates_in_the_background() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator)
        .certificate_refresh_interval(Duration::from_millis(200))
        .build()
        .unwrap();
    client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    let first = client.certificate_status().unwrap().last_download.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    eventually("the timed refresh completed", || {
        client.certificate_status().unwrap().last_download > Some(first)
    })
    .await;
    assert_eq!(downloads(&simulator), 2);
    let status = client.certificate_status().unwrap();
    assert_eq!(status.serials, simulator.platform_certificate_serials());
    assert_eq!(status.consecutive_failures, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_download_when_it_fails() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator).build().unwrap();
    simulator.inject_always_on(CERTIFICATES, status(500, "SYSTEM_ERROR"));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.profit_sharing().query_order(&order_request()).await })
        })
        .collect();
    for task in tasks {
        let error = task.await.unwrap().unwrap_err();
        let failure = common::download_failure(&error);
        assert_eq!(
            failure.api().map(|a| a.code.clone()),
            Some(Some(ErrorCode::SystemError)),
            "{error:?}"
        );
    }
    // One download, tried three times (the retry policy), for all twenty callers; and no query
    // was sent, since nothing could have verified its answer.
    assert_eq!(downloads(&simulator), 3);
    assert_eq!(simulator.requests().len(), 3);
}

#[tokio::test]
async fn after_a_failed_download_the_next_waits_for_a_growing_back_off() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator)
        .no_retries()
        .certificate_backoff(Duration::from_millis(400), Duration::from_secs(60))
        .build()
        .unwrap();
    simulator.inject_always_on(CERTIFICATES, status(503, "SERVICE_UNAVAILABLE"));
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert_eq!(
        common::download_failure(&error).api().map(|a| a.status),
        Some(503)
    );
    assert_eq!(downloads(&simulator), 1);

    // Typed: how many failures, why, and when the next download may start.
    let status = client.certificate_status().unwrap();
    assert_eq!(status.consecutive_failures, 1);
    assert_eq!(
        status
            .last_error
            .as_ref()
            .and_then(|e| e.api())
            .map(|a| a.status),
        Some(503)
    );
    let wait = status.next_attempt_in.unwrap();
    assert!(wait <= Duration::from_millis(400), "{wait:?}");

    // The next call waits out the back-off (it ends before the call's deadline), then downloads
    // once more.
    let left = client
        .certificate_status()
        .unwrap()
        .next_attempt_in
        .unwrap();
    let start = std::time::Instant::now();
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert!(start.elapsed() >= left, "{:?} < {left:?}", start.elapsed());
    assert!(matches!(error, Error::CertificatesUnavailable { .. }));
    assert_eq!(downloads(&simulator), 2);
    let status = client.certificate_status().unwrap();
    assert_eq!(status.consecutive_failures, 2);
    // Doubled: the second wait is 800 ms.
    assert!(
        status.next_attempt_in.unwrap() > Duration::from_millis(400),
        "{status:?}"
    );

    // Once the endpoint recovers, the next download (after the back-off) succeeds.
    simulator.clear_faults();
    client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    let status = client.certificate_status().unwrap();
    assert_eq!(status.consecutive_failures, 0);
    assert!(status.last_error.is_none() && status.next_attempt_in.is_none());
}

#[tokio::test]
async fn a_call_during_the_back_off_of_a_deadline_shorter_than_it_fails_at_once() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator)
        .no_retries()
        .certificate_backoff(Duration::from_secs(30), Duration::from_secs(30))
        .total_deadline(Duration::from_secs(5))
        .build()
        .unwrap();
    simulator.inject_always_on(CERTIFICATES, status(500, "SYSTEM_ERROR"));
    for _ in 0..10 {
        let error = client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .unwrap_err();
        assert!(matches!(
            error,
            Error::CertificatesUnavailable { serial: None, .. }
        ));
    }
    assert_eq!(
        downloads(&simulator),
        1,
        "the back-off held the others back"
    );
}

#[tokio::test]
async fn only_a_call_whose_answer_names_an_unknown_serial_waits_and_its_error_names_it() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator)
        .total_deadline(Duration::from_millis(800))
        .build()
        .unwrap();
    client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    // The endpoint hangs, and WeChat Pay rotates to a certificate the client does not hold.
    simulator.inject_always_on(CERTIFICATES, Fault::Delay(Duration::from_secs(60)));
    let new_serial = simulator.rotate_platform_certificate().await.unwrap();
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    match &error {
        Error::Verification {
            reason: VerifyError::UnknownSerial { serial },
            status: 200,
            ..
        } => assert_eq!(*serial, new_serial),
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains(&new_serial), "{error}");
}

#[tokio::test]
async fn an_unknown_serial_is_verified_once_the_download_brings_it() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator).build().unwrap();
    client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    // A slow download: the call waits for it, within its deadline.
    simulator.inject_on(CERTIFICATES, Fault::Delay(Duration::from_millis(300)), 1);
    let new_serial = simulator.rotate_platform_certificate().await.unwrap();
    let answer = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    assert_eq!(answer.verified().serial, new_serial);
    assert_eq!(downloads(&simulator), 2);
}

#[tokio::test]
async fn the_download_is_retried_like_every_call() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator).build().unwrap();
    simulator.inject_on(CERTIFICATES, status(503, "SERVICE_UNAVAILABLE"), 1);
    simulator.inject_on(CERTIFICATES, Fault::DropConnection, 1);
    let answer = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    assert_eq!(answer.verified().source, KeySource::PlatformCertificate);
    assert_eq!(downloads(&simulator), 3);
    let statuses: Vec<_> = simulator.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(503), None, Some(200), Some(200)]);
}

#[tokio::test]
async fn the_download_fails_over_to_the_backup_host_like_every_call() {
    let simulator = Simulator::start().await.unwrap();
    let dead = dead_base_url();
    let client = builder(&simulator)
        .base_url(&dead)
        .backup_base_url(simulator.base_url())
        .build()
        .unwrap();
    let answer = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    assert_eq!(answer.verified().source, KeySource::PlatformCertificate);
    assert_eq!(downloads(&simulator), 1);
}

#[tokio::test]
async fn one_bad_entry_is_skipped_and_reported_and_the_good_ones_are_kept() {
    for (bad, expected) in [
        (
            BadEntry::Unparsable,
            (|e| matches!(e, CertificateEntryError::Parse { .. }))
                as fn(&CertificateEntryError) -> bool,
        ),
        (BadEntry::WrongAssociatedData, |e| {
            matches!(e, CertificateEntryError::Decrypt { .. })
                && e.source()
                    .and_then(|s| s.downcast_ref::<DecryptError>())
                    .is_some_and(|s| *s == DecryptError::Authentication)
        }),
        (BadEntry::Undecryptable, |e| {
            matches!(
                e,
                CertificateEntryError::Decrypt {
                    source: DecryptError::Authentication,
                    ..
                }
            )
        }),
    ] {
        let simulator = Simulator::start().await.unwrap();
        let client = builder(&simulator).build().unwrap();
        simulator.inject_on(CERTIFICATES, Fault::BadCertificateEntry(bad), 1);
        let answer = client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .unwrap();
        assert_eq!(answer.verified().source, KeySource::PlatformCertificate);
        let status = client.certificate_status().unwrap();
        assert_eq!(status.serials, simulator.platform_certificate_serials());
        let skipped = &status.skipped_entries.0;
        assert_eq!(skipped.len(), 1, "{bad:?}: {skipped:?}");
        assert!(expected(&skipped[0]), "{bad:?}: {:?}", skipped[0]);
        assert_eq!(
            skipped[0].serial(),
            "7E0F8C3A1B2D4E5F60718293A4B5C6D7E8F90A1B"
        );
    }
}

#[tokio::test]
async fn a_list_of_only_bad_entries_fails_with_every_entry_as_a_typed_source() {
    let simulator = Simulator::start().await.unwrap();
    // The wrong APIv3 key: no entry decrypts.
    let credentials = simulator.credentials();
    let client = builder(&simulator)
        .apiv3_key(wechatpay_ecommerce::ApiV3Key::new(&"w".repeat(32)).unwrap())
        .build()
        .unwrap();
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    let failure = common::download_failure(&error);
    let Error::Config(wechatpay_ecommerce::ConfigError::NoUsableCertificate { entries, .. }) =
        failure
    else {
        panic!("{failure:?}")
    };
    assert_eq!(entries.0.len(), 1);
    assert_eq!(
        entries.0[0].serial(),
        credentials.platform_certificate_serial
    );
    // The chain of sources reaches the AES-GCM failure, typed.
    let decrypt = failure
        .source()
        .and_then(|s| s.source())
        .and_then(|s| s.source())
        .and_then(|s| s.downcast_ref::<DecryptError>());
    assert_eq!(decrypt, Some(&DecryptError::Authentication));
}

#[tokio::test]
async fn an_answer_signed_by_an_expired_certificate_is_reported_as_expired() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator).build().unwrap();
    client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    let expired = simulator
        .rotate_platform_certificate_valid(2015, 2020)
        .await
        .unwrap();
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    match &error {
        Error::Verification {
            reason:
                VerifyError::ExpiredCertificate {
                    serial, not_after, ..
                },
            ..
        } => {
            assert_eq!(*serial, expired);
            // 2020-01-01T00:00:00Z
            assert_eq!(*not_after, 1_577_836_800);
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("expired"), "{error}");
    assert_eq!(downloads(&simulator), 2, "the list was fetched once for it");
}

#[tokio::test]
async fn a_notification_signed_by_a_certificate_not_held_yet_can_fetch_it() {
    let simulator = Simulator::start().await.unwrap();
    // Answers verify with the public key: no certificate is ever downloaded for them.
    let client = simulator
        .client_builder(VerificationMode::Both)
        .unwrap()
        .build()
        .unwrap();
    client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    assert_eq!(downloads(&simulator), 0);

    let body = br#"{"id":"EV-2018022511223320873","event_type":"PROFITSHARING.SUCCESS"}"#;
    let headers = simulator.sign(body, KeySource::PlatformCertificate);
    let serial = headers["wechatpay-serial"].to_str().unwrap().to_owned();
    assert!(matches!(
        client.verifier().verify(&headers, body),
        Err(VerifyError::UnknownSerial { .. })
    ));
    let certificate = client
        .fetch_platform_certificate(&serial)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(certificate.serial(), serial);
    let verified = client.verifier().verify(&headers, body).unwrap();
    assert_eq!(verified.source, KeySource::PlatformCertificate);
    assert_eq!(downloads(&simulator), 1);

    // Held now: no second download. A serial WeChat Pay does not list is `None`: within the
    // on-demand interval (60 s by default) after the download above, at once and without another.
    assert!(
        client
            .fetch_platform_certificate(&serial)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(downloads(&simulator), 1);
    assert!(
        client
            .fetch_platform_certificate("0123456789ABCDEF")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(downloads(&simulator), 1);

    // Without an APIv3 key there is nothing to download with.
    let public_key_only = simulator
        .client_builder(VerificationMode::PublicKey)
        .unwrap()
        .build()
        .unwrap();
    assert!(matches!(
        public_key_only.fetch_platform_certificate(&serial).await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn on_demand_downloads_start_at_most_once_per_interval_whatever_became_of_the_last() {
    let simulator = Simulator::start().await.unwrap();
    let client = simulator
        .client_builder(VerificationMode::Both)
        .unwrap()
        .retry_policy(quick_retries())
        .certificate_backoff(Duration::from_millis(1), Duration::from_millis(1))
        // Long enough that a failing download (three quick attempts) ends well within it.
        .certificate_on_demand_interval(Duration::from_secs(1))
        .build()
        .unwrap();
    // The first serial asked for starts a download; it is not listed.
    assert!(
        client
            .fetch_platform_certificate("0123456789ABCDEF01")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(downloads(&simulator), 1);
    // Another serial, and the same again, within the interval: refused at once, no download.
    for serial in ["0123456789ABCDEF02", "0123456789ABCDEF01"] {
        assert!(
            client
                .fetch_platform_certificate(serial)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert_eq!(downloads(&simulator), 1);
    // A failed download counts too: after the interval one more starts and fails…
    tokio::time::sleep(Duration::from_millis(1050)).await;
    simulator.inject_always_on(CERTIFICATES, status(500, "SYSTEM_ERROR"));
    let error = client
        .fetch_platform_certificate("0123456789ABCDEF03")
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::CertificatesUnavailable { .. }),
        "{error:?}"
    );
    let after_failure = downloads(&simulator);
    // …and within the interval after it, none starts, even with the back-off (1 ms) long over.
    tokio::time::sleep(Duration::from_millis(20)).await;
    simulator.clear_faults();
    assert!(
        client
            .fetch_platform_certificate("0123456789ABCDEF04")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(downloads(&simulator), after_failure);
}

#[tokio::test]
async fn the_timed_refresh_picks_up_a_rotated_certificate_before_anything_names_it() {
    let simulator = Simulator::start().await.unwrap();
    // Answers are signed with the public key; platform certificates verify notifications.
    let client = simulator
        .client_builder(VerificationMode::Both)
        .unwrap()
        .certificate_refresh_interval(Duration::from_millis(200))
        .build()
        .unwrap();
    let first = simulator.platform_certificate_serials()[0].clone();
    client.fetch_platform_certificate(&first).await.unwrap();
    assert_eq!(downloads(&simulator), 1);
    // WeChat Pay lists a new certificate (days before it signs with it), and the interval passes:
    // the next call starts the timed refresh, which is not limited like on-demand downloads.
    let new_serial = simulator.rotate_platform_certificate().await.unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let answer = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    assert_eq!(answer.verified().source, KeySource::PublicKey);
    eventually("the timed refresh brought the new certificate", || {
        client
            .certificate_status()
            .unwrap()
            .serials
            .contains(&new_serial)
    })
    .await;
    assert_eq!(downloads(&simulator), 2);
    // A notification signed by it verifies with what is held: no download.
    let body = br#"{"id":"EV-1"}"#;
    let headers = simulator.sign(body, KeySource::PlatformCertificate);
    assert_eq!(headers["wechatpay-serial"], new_serial.as_str());
    let verified = client.verifier().verify(&headers, body).unwrap();
    assert_eq!(verified.source, KeySource::PlatformCertificate);
    assert_eq!(downloads(&simulator), 2);
}

#[tokio::test]
async fn a_certificate_whose_serial_starts_with_a_zero_digit_is_named_with_it_everywhere() {
    use wechatpay_ecommerce::profit_sharing::{
        AddReceiverRequest, CreateOrderReceiver, CreateOrderRequest,
    };
    use wechatpay_ecommerce::profit_sharing::{ReceiverType, RelationType};

    let simulator = Simulator::start().await.unwrap();
    // WeChat Pay names it by all 40 digits; a newer one than the first, so that the client
    // encrypts with it.
    let serial = "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567";
    simulator
        .rotate_platform_certificate_with_serial(serial, 2021, 2099)
        .await
        .unwrap();
    let client = builder(&simulator).build().unwrap();
    let add = AddReceiverRequest::builder()
        .appid("wx8888888888888888")
        .receiver_type(ReceiverType::PersonalOpenid)
        .account("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
        .relation_type(RelationType::Distributor)
        .build()
        .unwrap();
    let added = client.profit_sharing().add_receiver(&add).await.unwrap();
    // The answer is signed by it, and verified by it, under its name.
    assert_eq!(added.verified().serial, serial);
    let status = client.certificate_status().unwrap();
    assert!(status.serials.iter().any(|s| s == serial), "{status:?}");
    assert_eq!(client.encryption_key().unwrap().serial(), serial);

    // A split with a real name: encrypted with it, and `Wechatpay-Serial` names it as WeChat Pay
    // does (the simulator compares the serial exactly, as listed).
    let split = CreateOrderRequest::builder()
        .appid("wx8888888888888888")
        .sub_mchid("1900000109")
        .transaction_id("4208450740201411110007820472")
        .out_order_no("P-ZERO-SERIAL-1")
        .receivers(vec![
            CreateOrderReceiver::builder()
                .receiver_type(ReceiverType::PersonalOpenid)
                .receiver_account("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
                .amount(10)
                .description("分给个人")
                .receiver_name("张三")
                .build()
                .unwrap(),
        ])
        .finish(false)
        .build()
        .unwrap();
    client.profit_sharing().create_order(&split).await.unwrap();
    let sent = simulator
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST")
        .unwrap();
    assert_eq!(sent.wechatpay_serial.as_deref(), Some(serial));
    assert_eq!(sent.status, Some(200));
}

#[tokio::test]
async fn an_answer_naming_a_public_key_the_client_lacks_is_a_configuration_error_not_a_download() {
    use wechatpay_ecommerce::WechatPayPublicKey;
    use wechatpay_ecommerce::simulator::AnswerSigner;

    let simulator = Simulator::start().await.unwrap();
    // The merchant configured its public key under the wrong id (a copy-paste slip), and also
    // downloads platform certificates.
    let credentials = simulator.credentials();
    let wrong_id = "PUB_KEY_ID_0119000000012026112200000000000002";
    let client = simulator
        .client_builder(VerificationMode::PlatformCertificates)
        .unwrap()
        .wechatpay_public_key(
            WechatPayPublicKey::from_pem(wrong_id, &credentials.wechatpay_public_key_pem).unwrap(),
        )
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    simulator.set_answer_signer(AnswerSigner::PublicKey);
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    match &error {
        Error::Verification {
            reason: VerifyError::PublicKeyNotConfigured { id, configured },
            ..
        } => {
            assert_eq!(id, &credentials.wechatpay_public_key_id);
            assert_eq!(configured.as_deref(), Some(wrong_id));
        }
        other => panic!("{other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("configuration error")
            && message.contains(&credentials.wechatpay_public_key_id),
        "{message}"
    );
    assert_eq!(downloads(&simulator), 0, "no certificate has such a serial");
}

#[tokio::test]
async fn a_merchant_without_platform_certificates_asks_again_only_after_the_refresh_interval() {
    let simulator = Simulator::start().await.unwrap();
    simulator.set_no_certificates(true);
    let client = simulator
        .client_builder(VerificationMode::Both)
        .unwrap()
        .retry_policy(quick_retries())
        .certificate_backoff(Duration::from_millis(1), Duration::from_millis(1))
        .certificate_on_demand_interval(Duration::from_millis(100))
        .build()
        .unwrap();
    let error = client
        .fetch_platform_certificate("5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
        .await
        .unwrap_err();
    assert!(
        matches!(
            common::download_failure(&error),
            Error::Config(wechatpay_ecommerce::ConfigError::NoPlatformCertificates { .. })
        ),
        "{error:?}"
    );
    assert_eq!(downloads(&simulator), 1);
    // Past the on-demand interval, a serial a stranger names costs nothing: WeChat Pay said this
    // merchant has none, and the refresh interval (12 h) applies.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(
        client
            .fetch_platform_certificate("5157F09EFDC096DE15EBE81A47057A7232F1B8E2")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(downloads(&simulator), 1);
}
