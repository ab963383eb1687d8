//! The whole pipeline over loopback against the simulator: validate → sign → send → verify →
//! decode, in public-key mode, in certificate mode and with both, and what happens when WeChat
//! Pay's side misbehaves.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::order_request;

use wechatpay_ecommerce::profit_sharing::{
    OrderReference, QueryOrderRequest, QueryReturnOrderRequest,
};
use wechatpay_ecommerce::profit_sharing::{OrderStatus, ReturnResult};
use wechatpay_ecommerce::simulator::{Fault, Simulator, VerificationMode};
use wechatpay_ecommerce::{
    Client, ConfigError, Error, ErrorCode, KeySource, MerchantKey, VerifyError,
};

fn return_request() -> QueryReturnOrderRequest {
    QueryReturnOrderRequest::builder()
        .sub_mchid("1900000109")
        .order(OrderReference::OrderId(
            "3008450740201411110007820472".into(),
        ))
        .out_return_no("R20190516001")
        .build()
        .unwrap()
}

const ALL_MODES: [VerificationMode; 3] = [
    VerificationMode::PublicKey,
    VerificationMode::PlatformCertificates,
    VerificationMode::Both,
];

#[tokio::test]
async fn both_operations_run_signed_and_verified_in_every_mode() {
    for mode in ALL_MODES {
        let simulator = Simulator::start().await.unwrap();
        let client = client_for(&simulator, mode);
        let order = client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .unwrap();
        assert_eq!(order.status(), 200);
        assert_eq!(order.status, OrderStatus::Finished);
        assert_eq!(order.receivers.as_ref().unwrap()[0].amount, 100);
        assert!(order.request_id().is_some_and(|id| id.starts_with("08")));
        let expected = match mode {
            VerificationMode::PlatformCertificates => KeySource::PlatformCertificate,
            _ => KeySource::PublicKey,
        };
        assert_eq!(order.verified().source, expected, "{mode:?}");

        let ret = client
            .profit_sharing()
            .query_return_order(&return_request())
            .await
            .unwrap();
        assert_eq!(ret.result, ReturnResult::Success);
        assert_eq!(ret.verified().source, expected);
        let by_out_order_no = QueryReturnOrderRequest::builder()
            .sub_mchid("1900000109")
            .order(OrderReference::OutOrderNo("P20150806125346".into()))
            .out_return_no("R20190516001")
            .build()
            .unwrap();
        assert_eq!(
            client
                .profit_sharing()
                .query_return_order(&by_out_order_no)
                .await
                .unwrap()
                .amount,
            10
        );

        let seen = simulator.requests();
        let certificate_downloads = seen
            .iter()
            .filter(|r| r.path_and_query == "/v3/certificates")
            .count();
        let expected_downloads = usize::from(mode == VerificationMode::PlatformCertificates);
        assert_eq!(
            certificate_downloads, expected_downloads,
            "{mode:?}: {seen:#?}"
        );
        assert!(seen.iter().all(|r| r.status == Some(200)), "{seen:#?}");
    }
}

#[tokio::test]
async fn requests_carry_the_headers_the_api_wants() {
    let simulator = Simulator::start().await.unwrap();
    let client = client_for(&simulator, VerificationMode::PublicKey);
    client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    let seen = simulator.requests();
    assert_eq!(seen.len(), 2);
    let credentials = simulator.credentials();
    for request in &seen {
        assert_eq!(request.method, "GET");
        assert_eq!(
            request.path_and_query,
            "/v3/ecommerce/profitsharing/orders?sub_mchid=1900000109&transaction_id=4208450740201411110007820472&out_order_no=P20150806125346"
        );
        let authorization = request.authorization.as_deref().unwrap();
        assert!(
            authorization
                .starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",nonce_str=\""),
            "{authorization}"
        );
        assert!(authorization.contains(&format!(
            ",serial_no=\"{}\",signature=\"",
            credentials.merchant_serial_no
        )));
        assert!(
            !authorization.contains(", "),
            "one line, no spaces between fields: {authorization}"
        );
        assert_eq!(
            request.wechatpay_serial.as_deref(),
            Some(credentials.wechatpay_public_key_id.as_str())
        );
        let agent = request.user_agent.as_deref().unwrap();
        assert!(
            agent.starts_with(&format!(
                "wechatpay-ecommerce/{} (",
                env!("CARGO_PKG_VERSION")
            )),
            "{agent}"
        );
        assert!(agent.contains(std::env::consts::OS));
    }
    // Each call is signed afresh: another nonce, another signature.
    assert_ne!(seen[0].authorization, seen[1].authorization);

    // In certificate mode no Wechatpay-Serial is sent.
    let simulator = Simulator::start().await.unwrap();
    client_for(&simulator, VerificationMode::PlatformCertificates)
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    assert!(
        simulator
            .requests()
            .iter()
            .all(|r| r.wechatpay_serial.is_none())
    );
}

/// A client without retries, so that one injected fault is one failed call (retries have their
/// own tests in `tests/production.rs`).
fn client_for(simulator: &Simulator, mode: VerificationMode) -> Client {
    simulator
        .client_builder(mode)
        .unwrap()
        .no_retries()
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_invalid_request_is_not_sent() {
    let simulator = Simulator::start().await.unwrap();
    let client = client_for(&simulator, VerificationMode::PublicKey);
    let mut request = return_request();
    request.out_return_no = "R 1".into();
    let error = client
        .profit_sharing()
        .query_return_order(&request)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::InvalidRequest(ref e) if e.parameter == "out_return_no"),
        "{error}"
    );
    assert!(simulator.requests().is_empty());
}

/// The verification reason of an error, or a failure.
fn reason(error: Error) -> VerifyError {
    match error {
        Error::Verification {
            reason,
            status,
            request_id,
            body,
            ..
        } => {
            assert_eq!(status, 200);
            assert!(request_id.is_some());
            // The body is kept for diagnosis: the doc example answer, or what was made of it.
            assert!(body.contains("sub_mchid"), "{body}");
            reason
        }
        other => panic!("expected a verification error, got {other:?}"),
    }
}

#[tokio::test]
async fn answers_that_do_not_verify_are_not_used() {
    let simulator = Simulator::start().await.unwrap();
    let client = client_for(&simulator, VerificationMode::PublicKey);
    let id = simulator.credentials().wechatpay_public_key_id.clone();
    let cases = [
        (
            Fault::NoSignature,
            VerifyError::MissingHeader("Wechatpay-Timestamp"),
        ),
        (Fault::TamperBody, VerifyError::BadSignature { serial: id }),
        (Fault::SignatureProbe, VerifyError::SignatureProbe),
        (
            Fault::UnknownSerial,
            VerifyError::UnknownSerial {
                serial: "0123456789ABCDEF0123456789ABCDEF01234567".into(),
            },
        ),
    ];
    for (fault, expected) in cases {
        simulator.inject(fault.clone());
        let error = client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .unwrap_err();
        assert_eq!(reason(error), expected, "{fault:?}");
    }
    simulator.inject(Fault::StaleTimestamp(301));
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert!(matches!(
        reason(error),
        VerifyError::StaleTimestamp {
            window_secs: 300,
            ..
        }
    ));
    // And the next, untouched answer verifies.
    assert!(
        client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_unknown_serial_in_certificate_mode_refreshes_once_then_fails() {
    let simulator = Simulator::start().await.unwrap();
    let client = client_for(&simulator, VerificationMode::PlatformCertificates);
    client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    simulator.inject(Fault::UnknownSerial);
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert!(matches!(reason(error), VerifyError::UnknownSerial { .. }));
    let paths: Vec<String> = simulator
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    let downloads = paths.iter().filter(|p| *p == "/v3/certificates").count();
    assert_eq!(
        downloads, 2,
        "one at the start, one refresh for the unknown serial: {paths:#?}"
    );
}

#[tokio::test]
async fn error_answers_are_decoded_and_say_whether_they_were_verified() {
    let simulator = Simulator::start().await.unwrap();
    let client = client_for(&simulator, VerificationMode::Both);
    let mut request = order_request();
    request.out_order_no = "P-NO-SUCH-ORDER".into();
    let Error::Api(api) = client
        .profit_sharing()
        .query_order(&request)
        .await
        .unwrap_err()
    else {
        panic!()
    };
    assert_eq!(
        (api.status, api.code.clone(), api.verified),
        (404, Some(ErrorCode::ResourceNotExists), true)
    );
    assert!(api.request_id.is_some());
    assert!(api.body.contains("RESOURCE_NOT_EXISTS"));
    let display = api.to_string();
    assert!(
        display.contains("404")
            && display.contains("RESOURCE_NOT_EXISTS")
            && display.contains(api.request_id.as_deref().unwrap()),
        "{display}"
    );

    simulator.inject(Fault::Status {
        status: 500,
        code: "SYSTEM_ERROR".into(),
    });
    let Error::Api(api) = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err()
    else {
        panic!()
    };
    assert_eq!(
        (api.status, api.code.clone(), api.verified),
        (500, Some(ErrorCode::SystemError), true)
    );

    simulator.inject(Fault::Status {
        status: 429,
        code: "SOME_NEW_CODE".into(),
    });
    let Error::Api(api) = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err()
    else {
        panic!()
    };
    assert_eq!(api.code, Some(ErrorCode::Unknown("SOME_NEW_CODE".into())));

    let page = "<html><body>502 Bad Gateway</body></html>";
    simulator.inject(Fault::Unsigned {
        status: 502,
        body: page.into(),
    });
    let Error::Api(api) = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err()
    else {
        panic!()
    };
    assert_eq!(
        (
            api.status,
            api.code.clone(),
            api.verified,
            api.body.as_str()
        ),
        (502, None, false, page)
    );
    assert!(api.to_string().contains("unverified"));

    // A 2xx without signature headers is never accepted.
    simulator.inject(Fault::Unsigned {
        status: 200,
        body: r#"{"status":"FINISHED"}"#.into(),
    });
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Verification {
                reason: VerifyError::MissingHeader(_),
                status: 200,
                ..
            }
        ),
        "{error:?}"
    );

    // An error answer signed by a key the client does not hold is reported, unverified.
    simulator.inject(Fault::UnknownSerial);
    let Error::Api(api) = client
        .profit_sharing()
        .query_order(&request)
        .await
        .unwrap_err()
    else {
        panic!()
    };
    assert_eq!(
        (api.status, api.code.clone(), api.verified),
        (404, Some(ErrorCode::ResourceNotExists), false)
    );

    // An error answer with a bad signature is a verification failure, not an API error.
    simulator.inject(Fault::TamperBody);
    let error = client
        .profit_sharing()
        .query_order(&request)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Verification {
                reason: VerifyError::BadSignature { .. },
                status: 404,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_merchant_without_platform_certificates_is_told_to_use_the_public_key() {
    let simulator = Simulator::start().await.unwrap();
    simulator.set_no_certificates(true);
    let client = client_for(&simulator, VerificationMode::PlatformCertificates);
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    let Error::CertificatesUnavailable {
        serial: None,
        source,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert!(
        matches!(
            **source,
            Error::Config(ConfigError::NoPlatformCertificates {
                request_id: Some(_)
            })
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("微信支付公钥"), "{error}");
    // Nothing was sent that could not be verified.
    assert!(
        simulator
            .requests()
            .iter()
            .all(|r| r.path_and_query == "/v3/certificates")
    );
    // With the public key as well, the call goes through.
    let client = client_for(&simulator, VerificationMode::Both);
    assert!(
        client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn concurrent_first_requests_share_one_certificate_download() {
    let simulator = Simulator::start().await.unwrap();
    let client = client_for(&simulator, VerificationMode::PlatformCertificates);
    let sources = common::concurrent_order_sources(&client, 20).await;
    assert_eq!(sources, [KeySource::PlatformCertificate; 20]);
    let downloads = simulator
        .requests()
        .iter()
        .filter(|r| r.path_and_query == "/v3/certificates")
        .count();
    assert_eq!(downloads, 1);
}

#[tokio::test]
async fn a_wrong_merchant_key_is_refused_by_the_simulator() {
    let simulator = Simulator::start().await.unwrap();
    let other = Simulator::start().await.unwrap();
    let wrong_key: MerchantKey = other.credentials().merchant_key().unwrap();
    let credentials = simulator.credentials();
    let client = Client::builder()
        .merchant(
            &credentials.mchid,
            &credentials.merchant_serial_no,
            wrong_key,
        )
        .wechatpay_public_key(credentials.wechatpay_public_key().unwrap())
        .base_url(simulator.base_url())
        .build()
        .unwrap();
    let Error::Api(api) = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err()
    else {
        panic!()
    };
    assert_eq!(
        (api.status, api.code.clone(), api.verified),
        (401, Some(ErrorCode::SignError), true)
    );
}

#[test]
fn the_client_is_clone_send_sync() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<Client>();
}

#[tokio::test]
async fn certificates_given_as_pem_need_no_download() {
    let simulator = Simulator::start().await.unwrap();
    let credentials = simulator.credentials();
    let client = Client::builder()
        .merchant(
            &credentials.mchid,
            &credentials.merchant_serial_no,
            credentials.merchant_key().unwrap(),
        )
        .platform_certificate(credentials.platform_certificate().unwrap())
        .base_url(simulator.base_url())
        .build()
        .unwrap();
    let order = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    assert_eq!(order.verified().source, KeySource::PlatformCertificate);
    assert_eq!(
        order.verified().serial,
        credentials.platform_certificate_serial
    );
    assert!(
        simulator
            .requests()
            .iter()
            .all(|r| r.path_and_query != "/v3/certificates")
    );
}

#[tokio::test]
async fn faults_on_the_wire_end_in_the_right_typed_error() {
    let simulator = Simulator::start().await.unwrap();
    // A reqwest client of the user's own; the attempt timeout is the client's setting.
    let http = reqwest::Client::builder().build().unwrap();
    let client = simulator
        .client_builder(VerificationMode::PublicKey)
        .unwrap()
        .http_client(http)
        .attempt_timeout(std::time::Duration::from_millis(500))
        .no_retries()
        .build()
        .unwrap();

    simulator.inject(Fault::DropConnection);
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");

    simulator.inject(Fault::Delay(std::time::Duration::from_secs(3)));
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Transport { ref source, .. } if source.is_timeout()),
        "{error:?}"
    );

    simulator.inject(Fault::MalformedJson);
    let error = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    let Error::Decode {
        status,
        request_id,
        body,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 200);
    assert!(request_id.is_some());
    assert!(
        body.starts_with('{') && serde_json::from_str::<serde_json::Value>(body).is_err(),
        "{body}"
    );

    // A verified answer with a value or a field no version knows is data, not an error.
    simulator.inject(Fault::UnknownEnumValue);
    let order = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    assert_eq!(
        order.status,
        OrderStatus::Unknown("SIMULATED_NEW_VALUE".into())
    );
    simulator.inject(Fault::UnknownEnumValue);
    let ret = client
        .profit_sharing()
        .query_return_order(&return_request())
        .await
        .unwrap();
    assert_eq!(
        ret.result,
        ReturnResult::Unknown("SIMULATED_NEW_VALUE".into())
    );
    simulator.inject(Fault::UnknownField);
    let order = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::Finished);

    // A short delay is only a delay.
    simulator.inject(Fault::Delay(std::time::Duration::from_millis(50)));
    assert!(
        client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn every_documented_error_status_and_code_is_decoded() {
    let simulator = Simulator::start().await.unwrap();
    let client = client_for(&simulator, VerificationMode::PublicKey);
    for documented in wechatpay_ecommerce::profit_sharing::QUERY_ORDER.errors {
        simulator.inject(Fault::Status {
            status: documented.status,
            code: documented.code.as_str().into(),
        });
        let Error::Api(api) = client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .unwrap_err()
        else {
            panic!()
        };
        assert_eq!(api.status, documented.status);
        let code = api.code.clone().unwrap();
        assert!(code.is_known(), "{code}");
        assert_eq!(code, documented.code);
        assert!(api.verified);
    }
}

#[tokio::test]
async fn every_status_and_result_value_comes_through() {
    use wechatpay_ecommerce::profit_sharing::{ReceiverResult, ReturnFailReason};
    let simulator = Simulator::start().await.unwrap();
    let client = client_for(&simulator, VerificationMode::Both);
    let base = simulator.fixtures().orders[0].clone();
    for (i, status) in ["ACCEPTED", "PROCESSING", "FINISHED", "CLOSED"]
        .into_iter()
        .enumerate()
    {
        let mut order = base.clone();
        order.out_order_no = format!("P{i}");
        order.status = OrderStatus::from(status);
        let receivers = order.receivers.as_mut().unwrap();
        let result = ["PENDING", "SUCCESS", "CLOSED", "PENDING"][i];
        receivers.0[0].result = ReceiverResult::from(result);
        simulator.put_order(order);
        let request = QueryOrderRequest::builder()
            .sub_mchid("1900000109")
            .transaction_id("4208450740201411110007820472")
            .out_order_no(format!("P{i}"))
            .build()
            .unwrap();
        let answer = client.profit_sharing().query_order(&request).await.unwrap();
        assert_eq!(answer.status.as_str(), status);
        assert!(answer.status.is_known());
        assert_eq!(
            answer.receivers.as_ref().unwrap()[0].result.as_str(),
            result
        );
    }
    let base = simulator.fixtures().return_orders[0].clone();
    for (i, (result, reason)) in [
        ("PROCESSING", None),
        ("SUCCESS", None),
        ("FAIL", Some("ACCOUNT_ABNORMAL")),
        ("FAIL", Some("TIME_OUT_CLOSED")),
    ]
    .into_iter()
    .enumerate()
    {
        let mut ret = base.clone();
        ret.out_return_no = format!("R{i}");
        ret.result = ReturnResult::from(result);
        ret.fail_reason = reason.map(ReturnFailReason::from);
        if result == "PROCESSING" {
            ret.finish_time = None;
        }
        simulator.put_return_order(ret.clone());
        let request = QueryReturnOrderRequest::builder()
            .sub_mchid("1900000109")
            .order(OrderReference::OutOrderNo("P20150806125346".into()))
            .out_return_no(format!("R{i}"))
            .build()
            .unwrap();
        let answer = client
            .profit_sharing()
            .query_return_order(&request)
            .await
            .unwrap();
        assert_eq!(answer.data(), &ret);
    }
}

#[tokio::test]
async fn answers_signed_by_either_key_verify_while_migrating() {
    use wechatpay_ecommerce::simulator::AnswerSigner;
    let simulator = Simulator::start().await.unwrap();
    let client = client_for(&simulator, VerificationMode::Both);
    let credentials = simulator.credentials().clone();
    for (signer, source, serial) in [
        (
            AnswerSigner::PlatformCertificate,
            KeySource::PlatformCertificate,
            &credentials.platform_certificate_serial,
        ),
        (
            AnswerSigner::PublicKey,
            KeySource::PublicKey,
            &credentials.wechatpay_public_key_id,
        ),
        (
            AnswerSigner::PlatformCertificate,
            KeySource::PlatformCertificate,
            &credentials.platform_certificate_serial,
        ),
        (
            AnswerSigner::AsRequested,
            KeySource::PublicKey,
            &credentials.wechatpay_public_key_id,
        ),
    ] {
        simulator.set_answer_signer(signer);
        let answer = client
            .profit_sharing()
            .query_order(&order_request())
            .await
            .unwrap();
        assert_eq!(
            (answer.verified().source, &answer.verified().serial),
            (source, serial),
            "{signer:?}"
        );
    }
    // The certificates were fetched once, when the first certificate-signed answer came.
    let downloads = simulator
        .requests()
        .iter()
        .filter(|r| r.path_and_query == "/v3/certificates")
        .count();
    assert_eq!(downloads, 1);

    // A public-key-only client cannot verify certificate-signed answers, and says so.
    let public_only = client_for(&simulator, VerificationMode::PublicKey);
    simulator.set_answer_signer(AnswerSigner::PlatformCertificate);
    let error = public_only
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Verification {
                reason: VerifyError::UnknownSerial { .. },
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_error_answer_whose_signature_fails_keeps_its_status_and_body() {
    let simulator = Simulator::start().await.unwrap();
    let client = client_for(&simulator, VerificationMode::PublicKey);
    let mut unknown = order_request();
    unknown.out_order_no = "P-NOT-THERE".into();
    simulator.inject(Fault::SignatureProbe);
    let error = client
        .profit_sharing()
        .query_order(&unknown)
        .await
        .unwrap_err();
    let Error::Verification {
        reason: VerifyError::SignatureProbe,
        status,
        request_id,
        body,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 404);
    assert!(request_id.is_some());
    let parsed: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(parsed["code"], "RESOURCE_NOT_EXISTS");
}

#[tokio::test]
async fn the_response_gives_the_raw_verified_body_and_headers() {
    let simulator = Simulator::start().await.unwrap();
    let client = client_for(&simulator, VerificationMode::PublicKey);
    simulator.inject(Fault::UnknownField);
    let answer = client
        .profit_sharing()
        .query_order(&order_request())
        .await
        .unwrap();
    // Exactly what was signed: the same verifier accepts the headers and bytes kept.
    let verified = client
        .verifier()
        .verify(answer.headers(), answer.body())
        .unwrap();
    assert_eq!(&verified, answer.verified());
    assert_eq!(
        answer.headers()["request-id"].to_str().unwrap(),
        answer.request_id().unwrap()
    );
    // A field this version's types do not have is there to read.
    let raw: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
    assert_eq!(raw["simulated_new_field"]["added"], "by the simulator");
    assert_eq!(raw["order_id"], answer.order_id.as_str());
}
