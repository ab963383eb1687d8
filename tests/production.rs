//! Production behaviour against the simulator: which failures are retried and how, deadlines and
//! timeouts, the body size cap, failover, tracing, load and certificate rotation.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{dead_base_url, order_request, quick_retries, status};

use std::time::{Duration, Instant};

use wechatpay_ecommerce::simulator::{Fault, Simulator, VerificationMode};
use wechatpay_ecommerce::{
    ClientBuilder, Error, ErrorCode, KeySource, RetryPolicy, TransportKind, VerifyError,
};

/// A client with the default retry policy but short backoffs, so that tests do not wait.
fn builder(simulator: &Simulator) -> ClientBuilder {
    simulator
        .client_builder(VerificationMode::PublicKey)
        .unwrap()
        .retry_policy(quick_retries())
}

#[tokio::test]
async fn transient_failures_are_retried_each_attempt_signed_afresh() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator).build().unwrap();
    simulator.inject_times(status(500, "SYSTEM_ERROR"), 2);
    let answer = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let seen = simulator.requests();
    assert_eq!(
        seen.iter().map(|r| r.status).collect::<Vec<_>>(),
        [Some(500), Some(500), Some(200)]
    );
    let authorizations: std::collections::HashSet<_> =
        seen.iter().map(|r| r.authorization.clone()).collect();
    assert_eq!(
        authorizations.len(),
        3,
        "every attempt carries its own nonce and signature"
    );

    for fault in [
        status(429, "FREQUENCY_LIMITED"),
        status(429, "RATELIMIT_EXCEEDED"),
        status(502, "SERVICE_UNAVAILABLE"),
        status(503, "SERVICE_UNAVAILABLE"),
        status(504, "GATEWAY_TIMEOUT"),
        Fault::Unsigned {
            status: 502,
            body: "<html>Bad Gateway</html>".into(),
        },
        Fault::DropConnection,
    ] {
        let before = simulator.requests().len();
        simulator.inject(fault.clone());
        assert!(
            client
                .profit_sharing()
                .query_order(&order_request())
                .await
                .is_ok(),
            "{fault:?} was not retried"
        );
        assert_eq!(simulator.requests().len() - before, 2, "{fault:?}");
    }
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator)
        .attempt_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    simulator.inject(Fault::Delay(Duration::from_secs(2)));
    assert!(
        client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .is_ok()
    );
    assert_eq!(simulator.requests().len(), 2);
}

#[tokio::test]
async fn permanent_failures_are_not_retried() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator).build().unwrap();
    type Expected = fn(&Error) -> bool;
    let cases: Vec<(Fault, Expected)> = vec![
        (status(400, "PARAM_ERROR"), |e| {
            e.api()
                .is_some_and(|a| a.code == Some(ErrorCode::ParamError))
        }),
        (status(400, "INVALID_REQUEST"), |e| e.api().is_some()),
        (status(401, "SIGN_ERROR"), |e| e.api().is_some()),
        (status(403, "NO_AUTH"), |e| e.api().is_some()),
        (status(404, "RESOURCE_NOT_EXISTS"), |e| e.api().is_some()),
        (status(500, "SOMETHING_ELSE"), |e| e.api().is_some()),
        (Fault::TamperBody, |e| {
            matches!(
                e,
                Error::Verification {
                    reason: VerifyError::BadSignature { .. },
                    ..
                }
            )
        }),
        (Fault::SignatureProbe, |e| {
            matches!(
                e,
                Error::Verification {
                    reason: VerifyError::SignatureProbe,
                    ..
                }
            )
        }),
        (Fault::NoSignature, |e| {
            matches!(e, Error::Verification { .. })
        }),
        (Fault::MalformedJson, |e| matches!(e, Error::Decode { .. })),
    ];
    for (fault, expected) in cases {
        let before = simulator.requests().len();
        simulator.inject(fault.clone());
        let error = client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .unwrap_err();
        assert!(expected(&error), "{fault:?}: {error:?}");
        assert!(!error.is_retryable(), "{fault:?}");
        assert_eq!(
            simulator.requests().len() - before,
            1,
            "{fault:?} was retried"
        );
        simulator.clear_faults();
    }
}

#[tokio::test]
async fn attempts_are_bounded_and_configurable() {
    let simulator = Simulator::start().await.unwrap();
    simulator.inject_always(status(503, "SERVICE_UNAVAILABLE"));
    for (policy, attempts) in [
        (None, 3),
        (
            Some(
                RetryPolicy::default()
                    .with_max_attempts(5)
                    .with_backoff(Duration::from_millis(5), Duration::from_millis(5)),
            ),
            5,
        ),
        (Some(RetryPolicy::none()), 1),
    ] {
        let before = simulator.requests().len();
        let mut builder = builder(&simulator);
        if let Some(policy) = policy {
            builder = builder.retry_policy(policy);
        }
        let error = builder
            .build()
            .unwrap()
            .profit_sharing()
            .query_order(&order_request())
            .await
            .unwrap_err();
        assert_eq!(error.api().map(|a| a.status), Some(503));
        assert!(error.is_retryable());
        assert_eq!(simulator.requests().len() - before, attempts);
    }
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator).build().unwrap();
    simulator.inject(Fault::RateLimited {
        retry_after_secs: 1,
    });
    let start = Instant::now();
    assert!(
        client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .is_ok()
    );
    // The backoff alone would be at most 20 ms.
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(simulator.requests().len(), 2);

    // Without retries the error says when to come back.
    let client = builder(&simulator).no_retries().build().unwrap();
    simulator.inject(Fault::RateLimited {
        retry_after_secs: 7,
    });
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert_eq!(
        error.api().unwrap().retry_after,
        Some(Duration::from_secs(7))
    );
    assert_eq!(error.api().unwrap().code, Some(ErrorCode::FrequencyLimited));
}

#[tokio::test]
async fn a_retry_after_past_the_deadline_returns_the_real_error_at_once() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator)
        .total_deadline(Duration::from_secs(2))
        .build()
        .unwrap();
    simulator.inject_always(Fault::RateLimited {
        retry_after_secs: 5,
    });
    let start = Instant::now();
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    let api = error.api().unwrap_or_else(|| panic!("{error:?}"));
    assert_eq!(
        (api.status, api.code.clone()),
        (429, Some(ErrorCode::FrequencyLimited))
    );
    assert!(api.request_id.is_some());
    assert_eq!(api.retry_after, Some(Duration::from_secs(5)));
    // It did not sleep into the deadline: one attempt, and back well before the 2 s.
    assert_eq!(simulator.requests().len(), 1);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn a_deadline_exceeded_carries_the_last_real_error() {
    let simulator = Simulator::start().await.unwrap();
    simulator.inject(status(503, "SERVICE_UNAVAILABLE"));
    simulator.inject_always(Fault::Delay(Duration::from_secs(60)));
    let client = builder(&simulator)
        .total_deadline(Duration::from_millis(800))
        .build()
        .unwrap();
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    let Error::DeadlineExceeded {
        attempts: 2,
        last: Some(last),
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    let api = last.api().unwrap();
    assert_eq!(
        (api.status, api.code.clone()),
        (503, Some(ErrorCode::ServiceUnavailable))
    );
    assert!(api.request_id.is_some());
    assert!(
        error.to_string().contains("503") && error.to_string().contains("SERVICE_UNAVAILABLE"),
        "{error}"
    );
    assert!(std::error::Error::source(&error).is_some());
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let simulator = Simulator::start().await.unwrap();
    let elsewhere = Simulator::start().await.unwrap();
    let client = builder(&simulator).build().unwrap();
    for location in [
        format!(
            "{}/v3/ecommerce/profitsharing/orders?sub_mchid=1900000109",
            elsewhere.base_url()
        ),
        // The same host: a redirect there would carry the Authorization header along.
        format!("{}/v3/certificates", simulator.base_url()),
    ] {
        let before = simulator.requests().len();
        simulator.inject(Fault::Redirect {
            location: location.clone(),
        });
        let error = client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .unwrap_err();
        let api = error.api().unwrap_or_else(|| panic!("{error:?}"));
        assert_eq!((api.status, api.verified), (302, false), "{location}");
        assert!(!error.is_retryable());
        assert_eq!(simulator.requests().len() - before, 1, "{location}");
    }
    assert!(elsewhere.requests().is_empty());
}

#[tokio::test]
async fn a_hung_server_ends_in_a_timeout_within_the_total_deadline() {
    let simulator = Simulator::start().await.unwrap();
    simulator.inject_always(Fault::Delay(Duration::from_secs(60)));
    let client = builder(&simulator)
        .total_deadline(Duration::from_millis(800))
        .build()
        .unwrap();
    let start = Instant::now();
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::DeadlineExceeded { attempts: 1, .. }),
        "{error:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    assert!(error.to_string().contains("800 ms"));

    // The attempt timeout cuts each attempt; the deadline still bounds them all.
    let client = builder(&simulator)
        .attempt_timeout(Duration::from_millis(200))
        .total_deadline(Duration::from_secs(20))
        .build()
        .unwrap();
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_body_over_the_cap_is_an_error() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator).max_body_size(100).build().unwrap();
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::BodyTooLarge {
                limit: 100,
                status: 200,
                request_id: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(simulator.requests().len(), 1, "not retried");
    // The same answer fits the default 1 MiB.
    assert!(
        builder(&simulator)
            .build()
            .unwrap()
            .profit_sharing()
            .query_order(&order_request())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_endless_streamed_body_is_cut_at_the_cap() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A hostile server: a chunked answer that never ends, no Content-Length to check up front.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request).await;
        stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n").await.unwrap();
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
        for _ in 0..1024 {
            if stream.write_all(chunk.as_bytes()).await.is_err() {
                return; // the client hung up: what it should do
            }
        }
    });
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator)
        .base_url(format!("http://{addr}"))
        .max_body_size(256 * 1024)
        .build()
        .unwrap();
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::BodyTooLarge { limit: 262_144, .. }),
        "{error:?}"
    );
    server.await.unwrap();
}

#[tokio::test]
async fn network_failures_fail_over_to_the_backup_host_when_asked() {
    let simulator = Simulator::start().await.unwrap();
    let dead = dead_base_url();
    let client = builder(&simulator)
        .base_url(&dead)
        .backup_base_url(simulator.base_url())
        .build()
        .unwrap();
    assert!(
        client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .is_ok()
    );
    assert_eq!(simulator.requests().len(), 1);

    // Off by default: the connection error comes back after the retries.
    let client = builder(&simulator).base_url(&dead).build().unwrap();
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with(&format!(
            "no answer from {dead}/v3/ecommerce/profitsharing/orders (cannot connect)"
        )),
        "{error}"
    );
    assert_eq!(simulator.requests().len(), 1);
}

#[tokio::test]
async fn error_messages_are_one_actionable_line() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator).no_retries().build().unwrap();
    simulator.inject(Fault::Unsigned {
        status: 502,
        body: "<html>\n<body>Bad\nGateway</body>\n</html>".into(),
    });
    simulator.inject(status(404, "RESOURCE_NOT_EXISTS"));
    simulator.inject(Fault::MalformedJson);
    simulator.inject(Fault::SignatureProbe);
    for _ in 0..4 {
        let error = client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .unwrap_err();
        let message = error.to_string();
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(message.contains("Request-ID"), "{message}");
        if let Some(id) = error.request_id() {
            assert!(message.contains(id), "{message}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_queries_all_verify_over_one_pool() {
    let simulator = Simulator::start().await.unwrap();
    let client = builder(&simulator).build().unwrap();
    let sources = common::concurrent_order_sources(&client, 1000).await;
    let others = sources
        .iter()
        .filter(|s| **s != KeySource::PublicKey)
        .count();
    assert_eq!(
        others, 0,
        "answers verified by something else than the public key"
    );
    let seen = simulator.requests();
    assert_eq!(seen.len(), 1000, "none retried, none failed");
    assert!(seen.iter().all(|r| r.status == Some(200)));
    // The clones share one pool: the connections opened for the burst serve what follows.
    let opened = simulator.connections();
    assert!(opened <= 1000, "{opened}");
    for _ in 0..50 {
        client
            .clone()
            .profit_sharing()
            .query_order(&order_request())
            .await
            .unwrap();
    }
    // Fifty calls one after the other reuse what the pool holds, not one connection each. A call
    // may start before the connection of the call before is back in the pool (hyper returns it
    // from the connection's own task, which a loaded machine runs late): a few new connections
    // are a race of the pool, fifty would be no pool.
    let new = simulator.connections() - opened;
    assert!(new <= 10, "sequential calls opened {new} connections");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_rotation_under_load_refreshes_once_and_fails_nothing() {
    let simulator = Simulator::start().await.unwrap();
    let client = simulator
        .client_builder(VerificationMode::PlatformCertificates)
        .unwrap()
        .build()
        .unwrap();
    let first = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    let old_serial = first.verified().serial.clone();

    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                if i % 3 == 0 {
                    tokio::task::yield_now().await;
                }
                client
                    .profit_sharing()
                    .query_order(&order_request())
                    .await
                    .map(|a| a.verified().serial.clone())
            })
        })
        .collect();
    let new_serial = simulator.rotate_platform_certificate().await.unwrap();
    let mut serials = Vec::new();
    for task in tasks {
        serials.push(task.await.unwrap().unwrap());
    }
    // Afterwards everything is signed with the new certificate, and verifies.
    let after = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    assert_eq!(after.verified().serial, new_serial);
    assert!(serials.iter().all(|s| *s == old_serial || *s == new_serial));
    let downloads = simulator
        .requests()
        .iter()
        .filter(|r| r.path_and_query == "/v3/certificates")
        .count();
    assert_eq!(
        downloads, 2,
        "one at the start, one for the new serial, shared by all requests in flight"
    );
    assert_eq!(
        simulator.platform_certificate_serials(),
        [old_serial, new_serial]
    );
}

#[tokio::test]
async fn the_certificate_download_itself_must_verify() {
    let simulator = Simulator::start().await.unwrap();
    let client = simulator
        .client_builder(VerificationMode::PlatformCertificates)
        .unwrap()
        .no_retries()
        .certificate_backoff(Duration::from_millis(10), Duration::from_millis(10))
        .build()
        .unwrap();
    // The first answer is the download of /v3/certificates.
    simulator.inject(Fault::SignatureProbe);
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            common::download_failure(&error),
            Error::Verification {
                reason: VerifyError::SignatureProbe,
                ..
            }
        ),
        "{error:?}"
    );
    simulator.inject(Fault::NoSignature);
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            common::download_failure(&error),
            Error::Verification {
                reason: VerifyError::MissingHeader(_),
                ..
            }
        ),
        "{error:?}"
    );
    // A tampered download fails too (its ciphertext no longer authenticates, or its signature).
    simulator.inject(Fault::TamperBody);
    assert!(
        client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .is_err()
    );
    assert_eq!(
        simulator.requests().len(),
        3,
        "no query was sent with unverified certificates"
    );
    assert!(
        client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .is_ok()
    );
}
