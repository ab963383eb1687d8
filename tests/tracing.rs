//! Tracing: one span per call with the operation, attempt, status, Request-ID and latency, events
//! for retries and certificate downloads, and never a secret.
//!
//! In a test binary of its own: tracing caches, per call site, whether any subscriber is
//! interested, and tests running in parallel without a subscriber would spoil that cache.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{order_request, status};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wechatpay_ecommerce::RetryPolicy;
use wechatpay_ecommerce::simulator::{Fault, Simulator, VerificationMode};

/// A tracing writer that keeps everything written, for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn calls_are_traced_without_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let simulator = Simulator::start().await.unwrap();
    let client = simulator
        .client_builder(VerificationMode::Both)
        .unwrap()
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(2)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    simulator.inject(status(500, "SYSTEM_ERROR"));
    let answer = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    simulator.set_answer_signer(wechatpay_ecommerce::simulator::AnswerSigner::PlatformCertificate);
    client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();

    // A failed certificate download, then one with a bad entry among the good.
    let certificates = simulator
        .client_builder(VerificationMode::PlatformCertificates)
        .unwrap()
        .no_retries()
        .certificate_backoff(Duration::from_millis(1), Duration::from_millis(1))
        .build()
        .unwrap();
    simulator.inject_on("/v3/certificates", status(503, "SERVICE_UNAVAILABLE"), 1);
    certificates
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    tokio::time::sleep(Duration::from_millis(5)).await;
    simulator.inject_on(
        "/v3/certificates",
        Fault::BadCertificateEntry(wechatpay_ecommerce::simulator::BadEntry::WrongAssociatedData),
        1,
    );
    certificates
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for expected in [
        "operation=\"queryOrder\"",
        "attempt=2",
        "status=200",
        &format!("request_id=\"{}\"", answer.request_id().unwrap()),
        "latency_ms=",
        "retrying",
        "retry_in_ms=",
        "platform certificates downloaded",
        "platform certificate download failed",
        "consecutive_failures=1",
        "next_attempt_in_ms=1",
        "SERVICE_UNAVAILABLE",
        "platform certificate entry skipped",
        "serial=\"7E0F8C3A1B2D4E5F60718293A4B5C6D7E8F90A1B\"",
        "skipped=1",
        "operation=\"downloadCertificates\"",
    ] {
        assert!(log.contains(expected), "the log lacks {expected:?}:\n{log}");
    }
    let credentials = simulator.credentials();
    let private_key = credentials.merchant_private_key_pem.as_deref().unwrap();
    let key_line = private_key.lines().nth(1).unwrap();
    for secret in [
        "WECHATPAY2-SHA256-RSA2048 mchid",
        "signature=\"",
        key_line,
        &credentials.apiv3_key,
        "PRIVATE KEY",
    ] {
        assert!(!log.contains(secret), "the log shows {secret:?}:\n{log}");
    }
    for request in simulator.requests() {
        let authorization = request.authorization.unwrap();
        let signature = authorization
            .rsplit("signature=\"")
            .next()
            .unwrap()
            .trim_end_matches('"');
        assert!(!log.contains(signature));
    }
}
