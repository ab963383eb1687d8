//! The control plane of the binary, driven over HTTP as an SDK's test in any language would: the
//! token is required, the clock is read, frozen and advanced, a paid transaction is added, a
//! fault spoils the next answer of one path, and the API's client sees each effect.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use wechatpay_ecommerce::profit_sharing::QueryOrderAmountsRequest;
use wechatpay_ecommerce::{Client, MerchantKey, WechatPayPublicKey};

/// The sandbox binary on a free port, killed when dropped.
struct Sandbox {
    child: Child,
    base_url: String,
    token: String,
    dir: PathBuf,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start(name: &str, flags: &[&str]) -> Sandbox {
    let dir = std::env::temp_dir().join(format!("wechatpay-sandbox-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_wechatpay-sandbox"))
        .args(["--addr", "127.0.0.1:0", "--credentials-dir"])
        .arg(&dir)
        .args(flags)
        .env_remove("WECHATPAY_SANDBOX_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let base_url = first.strip_prefix("listening on ").unwrap().to_owned();
    let token = second.strip_prefix("control token: ").unwrap().to_owned();
    assert_eq!(read(&dir, "sandbox_token"), token);
    Sandbox {
        child,
        base_url,
        token,
        dir,
    }
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

impl Sandbox {
    /// A control call with the token; its status and JSON body.
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call_as(method, path, body, Some(&self.token)).await
    }

    async fn call_as(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (u16, Value) {
        let mut request =
            reqwest::Client::new().request(method, format!("{}{path}", self.base_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.unwrap();
        let status = answer.status().as_u16();
        (status, answer.json().await.unwrap_or(Value::Null))
    }

    /// The library's client, from the credentials the sandbox wrote.
    fn client(&self) -> Client {
        Client::builder()
            .merchant(
                read(&self.dir, "mchid"),
                read(&self.dir, "merchant_serial_no"),
                MerchantKey::from_pem_file(self.dir.join("merchant_private_key.pem")).unwrap(),
            )
            .wechatpay_public_key(
                WechatPayPublicKey::from_pem_file(
                    read(&self.dir, "public_key_id"),
                    self.dir.join("platform_public_key.pem"),
                )
                .unwrap(),
            )
            .base_url(&self.base_url)
            .build()
            .unwrap()
    }
}

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
