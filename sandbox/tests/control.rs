//! The control plane of the binary, driven over HTTP as an SDK's test in any language would: the
//! token is required, the clock is read, frozen and advanced, a paid transaction is added, a
//! fault spoils the next answer of one path, and the API's client sees each effect.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{read, start};
use serde_json::{Value, json};
use wechatpay_ecommerce::MerchantKey;
use wechatpay_ecommerce::profit_sharing::QueryOrderAmountsRequest;

fn time(clock: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(clock["now"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn the_control_plane_answers_only_to_its_token() {
    let sandbox = start("token", &[]);
    for token in [None, Some("wrong-token-of-sufficient-length")] {
        let (status, body) = sandbox
            .call_as(reqwest::Method::GET, "/sandbox/clock", None, token)
            .await;
        assert_eq!(status, 401, "{token:?}");
        assert_eq!(body["code"], "UNAUTHORIZED");
    }
    let (status, body) = sandbox
        .call(reqwest::Method::GET, "/sandbox/clock", None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["speed"], 1.0);
    // A given token is the one it answers to.
    let given = start("given-token", &["--token", "0123456789abcdef-given"]);
    assert_eq!(given.token, "0123456789abcdef-given");
    let (status, _) = given
        .call_as(
            reqwest::Method::GET,
            "/sandbox/clock",
            None,
            Some(&sandbox.token),
        )
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_clock_freezes_and_advances_and_transactions_and_faults_reach_the_api() {
    let sandbox = start("flow", &[]);
    let (_, frozen) = sandbox
        .call(
            reqwest::Method::POST,
            "/sandbox/clock/speed",
            Some(json!({"speed": 0})),
        )
        .await;
    assert_eq!(frozen["speed"], 0.0);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (_, still) = sandbox
        .call(reqwest::Method::GET, "/sandbox/clock", None)
        .await;
    assert_eq!(time(&still), time(&frozen), "a frozen clock does not move");
    let (_, advanced) = sandbox
        .call(
            reqwest::Method::POST,
            "/sandbox/clock/advance",
            Some(json!({"seconds": 3600})),
        )
        .await;
    assert_eq!((time(&advanced) - time(&frozen)).num_seconds(), 3600);

    // A paid transaction added over the control plane is one the API splits.
    let (status, body) = sandbox
        .call(
            reqwest::Method::POST,
            "/sandbox/transactions",
            Some(json!({"sub_mchid": "1900000109", "transaction_id": "4200000000000000000000000123", "amount": 4321})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let client = sandbox.client();
    let amounts = QueryOrderAmountsRequest::builder()
        .transaction_id("4200000000000000000000000123")
        .build()
        .unwrap();
    let answer = client
        .profit_sharing()
        .query_order_amounts(&amounts)
        .await
        .unwrap();
    assert_eq!(answer.unsplit_amount, 4321);

    // A fault on one path spoils its next answer, and only that one.
    let (status, body) = sandbox
        .call(
            reqwest::Method::POST,
            "/sandbox/faults",
            Some(json!({
                "fault": {"kind": "status", "status": 403, "code": "NO_AUTH"},
                "path": "/v3/ecommerce/profitsharing/orders/4200000000000000000000000123/amounts"
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    match client.profit_sharing().query_order_amounts(&amounts).await {
        Err(wechatpay_ecommerce::Error::Api(api)) => {
            assert_eq!(api.code.as_ref().map(|c| c.as_str()), Some("NO_AUTH"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        client
            .profit_sharing()
            .query_order_amounts(&amounts)
            .await
            .is_ok()
    );
    // A reset forgets the transaction added over the control plane.
    let (status, body) = sandbox
        .call(reqwest::Method::POST, "/sandbox/reset", None)
        .await;
    assert_eq!(status, 200, "{body}");
    match client.profit_sharing().query_order_amounts(&amounts).await {
        Err(wechatpay_ecommerce::Error::Api(api)) => assert_eq!(api.status, 404),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_call_it_cannot_use_is_a_clear_error() {
    let sandbox = start("errors", &[]);
    for (method, path, body, status, code) in [
        (
            reqwest::Method::POST,
            "/sandbox/clock/speed",
            json!({"speed": -1}),
            400,
            "INVALID_REQUEST",
        ),
        (
            reqwest::Method::POST,
            "/sandbox/clock/advance",
            json!({"minutes": 1}),
            400,
            "INVALID_REQUEST",
        ),
        (
            reqwest::Method::POST,
            "/sandbox/faults",
            json!({"fault": {"kind": "status", "status": 200, "code": "OK"}}),
            400,
            "INVALID_REQUEST",
        ),
        (
            reqwest::Method::POST,
            "/sandbox/faults",
            json!({"fault": {"kind": "meteor"}}),
            400,
            "INVALID_REQUEST",
        ),
        (
            reqwest::Method::POST,
            "/sandbox/transactions",
            json!({"sub_mchid": "1900000109", "transaction_id": "42", "amount": 0}),
            400,
            "INVALID_REQUEST",
        ),
        (
            reqwest::Method::GET,
            "/sandbox/nothing",
            Value::Null,
            404,
            "NOT_FOUND",
        ),
    ] {
        let body = (!body.is_null()).then_some(body);
        let (got, answer) = sandbox.call(method.clone(), path, body).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(code)),
            "{method} {path}: {answer}"
        );
        assert!(!answer["message"].as_str().unwrap_or_default().is_empty());
    }
}

#[tokio::test]
async fn a_request_header_makes_that_one_call_fail_with_its_code() {
    let sandbox = start("in-band", &[]);
    let signer = wechatpay_ecommerce::RequestSigner::new(
        read(&sandbox.dir, "mchid"),
        read(&sandbox.dir, "merchant_serial_no"),
        MerchantKey::from_pem_file(sandbox.dir.join("merchant_private_key.pem")).unwrap(),
    );
    let path = "/v3/ecommerce/profitsharing/orders/4208450740201411110007820472/amounts";
    let send = |fault: Option<&'static str>| {
        let authorization = signer.authorize("GET", path, "").unwrap().header;
        let mut request = reqwest::Client::new()
            .get(format!("{}{path}", sandbox.base_url))
            .header("Authorization", authorization)
            .header("Accept", "application/json")
            .header("User-Agent", "an-sdk-in-another-language/1.0");
        if let Some(fault) = fault {
            request = request.header("Wechatpay-Sandbox-Fault", fault);
        }
        request.send()
    };
    let answer = send(Some("500 SYSTEM_ERROR")).await.unwrap();
    assert_eq!(answer.status().as_u16(), 500);
    // WeChat Pay's error answer, signed like every answer.
    assert!(answer.headers().contains_key("wechatpay-signature"));
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["code"], "SYSTEM_ERROR");
    // Only that call: the next one without the header is answered.
    let answer = send(None).await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    // A header the sandbox cannot use says so.
    let answer = send(Some("SYSTEM_ERROR")).await.unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let body: Value = answer.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Wechatpay-Sandbox-Fault"),
        "{body}"
    );
}

/// A notify handler that answers 200 to everything, counting what it got.
async fn handler() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let got = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = got.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                // One request per connection is enough here: its head and body come in a read
                // or two, and the answer closes the connection.
                let _ = tokio::time::timeout(
                    std::time::Duration::from_millis(200),
                    stream.read(&mut buffer),
                )
                .await;
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (url, got)
}

#[tokio::test]
async fn a_notification_fault_set_over_http_spoils_the_next_attempt_and_deliveries_show_it() {
    use wechatpay_ecommerce::profit_sharing::{
        CreateOrderReceiver, CreateOrderRequest, ReceiverType,
    };
    let (url, got) = handler().await;
    let sandbox = start("notify", &["--notify-url", &url, "--clock-speed", "0"]);
    let (status, body) = sandbox
        .call(
            reqwest::Method::POST,
            "/sandbox/notification-faults",
            Some(json!({"kind": "tamper_body"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let client = sandbox.client();
    client
        .profit_sharing()
        .add_receiver(&common::supplier())
        .await
        .unwrap();
    let split = CreateOrderRequest::builder()
        .sub_mchid("1900000109")
        .transaction_id("4208450740201411110007820472")
        .out_order_no("P-SANDBOX-NOTIFY")
        .receivers(vec![
            CreateOrderReceiver::builder()
                .receiver_type(ReceiverType::MerchantId)
                .receiver_account("190001001")
                .amount(100)
                .description("供应商货款")
                .build()
                .unwrap(),
        ])
        .finish(false)
        .appid("wx8888888888888888")
        .build()
        .unwrap();
    client.profit_sharing().create_order(&split).await.unwrap();
    // The split is done after the processing delay of the sandbox's (frozen) clock: advanced
    // over the control plane, the notification goes out.
    sandbox
        .call(
            reqwest::Method::POST,
            "/sandbox/clock/advance",
            Some(json!({"seconds": 5})),
        )
        .await;
    let mut deliveries = Value::Null;
    for _ in 0..100 {
        let (_, body) = sandbox
            .call(reqwest::Method::GET, "/sandbox/notifications", None)
            .await;
        if body["deliveries"].as_array().is_some_and(|d| !d.is_empty()) {
            deliveries = body["deliveries"].clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The control plane lists the fixtures' order and the split, as the API answers them.
    let (_, orders) = sandbox
        .call(reqwest::Method::GET, "/sandbox/orders", None)
        .await;
    let numbers: Vec<&str> = orders["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["out_order_no"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["P20150806125346", "P-SANDBOX-NOTIFY"], "{orders}");
    let (status, returns) = sandbox
        .call(reqwest::Method::GET, "/sandbox/returns", None)
        .await;
    assert_eq!(status, 200);
    assert!(returns["return_orders"].is_array(), "{returns}");
    let first = &deliveries[0];
    assert_eq!(first["attempt"], 1, "{deliveries}");
    assert_eq!(first["event_type"], "PROFITSHARING.SUCCESS");
    assert_eq!(first["fault"], "TamperBody");
    assert_eq!(first["status"], 200);
    assert!(got.load(std::sync::atomic::Ordering::SeqCst) >= 1);
}
