//! The simulator on its own: it refuses what the real API refuses, it interoperates with an
//! implementation written elsewhere (the `openssl` command line), and its command-line uses (the
//! `wechatpay-sandbox` binary, `examples/quickstart.rs`, `examples/notify_handler.rs`) work as the
//! README documents them.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::order_request;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use wechatpay_ecommerce::profit_sharing::QueryOrderRequest;
use wechatpay_ecommerce::simulator::{Fixtures, Simulator};
use wechatpay_ecommerce::{ApiV3Key, Client, MerchantKey, RequestSigner, WechatPayPublicKey};

const ORDER_PATH: &str = "/v3/ecommerce/profitsharing/orders?sub_mchid=1900000109&transaction_id=4208450740201411110007820472&out_order_no=P20150806125346";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Sends a GET with the given Authorization (if any) and the usual headers; status and body.
async fn get(
    simulator: &Simulator,
    path_and_query: &str,
    authorization: Option<&str>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = reqwest::Client::new()
        .get(format!("{}{path_and_query}", simulator.base_url()))
        .header("Accept", "application/json")
        .header("User-Agent", "simulator-test");
    if let Some(authorization) = authorization {
        request = request.header("Authorization", authorization);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
        headers,
    )
}

fn signer(simulator: &Simulator) -> RequestSigner {
    let credentials = simulator.credentials();
    RequestSigner::new(
        &credentials.mchid,
        &credentials.merchant_serial_no,
        credentials.merchant_key().unwrap(),
    )
}

/// The Authorization of a GET of `path_and_query`, signed at `timestamp` with `nonce`.
fn sign_get(signer: &RequestSigner, path_and_query: &str, timestamp: u64, nonce: &str) -> String {
    signer
        .authorize_with("GET", path_and_query, "", timestamp, nonce)
        .unwrap()
        .header
}

fn assert_sign_error(answer: (u16, Value, reqwest::header::HeaderMap), why: &str) {
    assert_eq!(answer.0, 401, "{:?}", answer.1);
    assert_eq!(answer.1["code"], "SIGN_ERROR");
    assert!(
        answer.1["message"].as_str().unwrap().contains(why),
        "{:?} lacks {why:?}",
        answer.1
    );
}

#[tokio::test]
async fn the_simulator_refuses_what_the_real_api_refuses() {
    let simulator = Simulator::start().await.unwrap();
    let signer = signer(&simulator);

    let good = sign_get(
        &signer,
        ORDER_PATH,
        now(),
        "nonce0000000000000000000000000001",
    );
    assert_eq!(get(&simulator, ORDER_PATH, Some(&good)).await.0, 200);

    // The same nonce again within 300 s.
    let again = sign_get(
        &signer,
        ORDER_PATH,
        now(),
        "nonce0000000000000000000000000001",
    );
    assert_sign_error(
        get(&simulator, ORDER_PATH, Some(&again)).await,
        "nonce_str was used",
    );

    // Signed by another merchant key.
    let other = Simulator::start().await.unwrap();
    let foreign = RequestSigner::new(
        &simulator.credentials().mchid,
        &simulator.credentials().merchant_serial_no,
        other.credentials().merchant_key().unwrap(),
    );
    let auth = sign_get(
        &foreign,
        ORDER_PATH,
        now(),
        "nonce0000000000000000000000000002",
    );
    assert_sign_error(
        get(&simulator, ORDER_PATH, Some(&auth)).await,
        "does not verify",
    );

    // A stale timestamp, either way. The server reads its clock after the test: the second may
    // have turned, which makes a past timestamp staler but brings a future one a second closer, so
    // the future one is 302 s ahead (still outside the window if the second turns once).
    for timestamp in [now() - 301, now() + 302] {
        let auth = sign_get(&signer, ORDER_PATH, timestamp, &format!("stale{timestamp}"));
        assert_sign_error(get(&simulator, ORDER_PATH, Some(&auth)).await, "timestamp");
    }

    // The query string altered after signing: out_order_no changed, parameters reordered, a `?` added.
    let auth = sign_get(
        &signer,
        ORDER_PATH,
        now(),
        "nonce0000000000000000000000000003",
    );
    let altered = ORDER_PATH.replace("P20150806125346", "P20150806125347");
    assert_sign_error(
        get(&simulator, &altered, Some(&auth)).await,
        "does not verify",
    );
    let auth = sign_get(
        &signer,
        ORDER_PATH,
        now(),
        "nonce0000000000000000000000000004",
    );
    let reordered = "/v3/ecommerce/profitsharing/orders?transaction_id=4208450740201411110007820472&sub_mchid=1900000109&out_order_no=P20150806125346";
    assert_sign_error(
        get(&simulator, reordered, Some(&auth)).await,
        "does not verify",
    );

    // Another mchid or serial number, no header, another scheme, a space too many.
    let bad_headers = [
        good.replace("mchid=\"1900000001\"", "mchid=\"1900000002\""),
        good.replace("serial_no=\"", "serial_no=\"0"),
        good.replace("WECHATPAY2-SHA256-RSA2048 ", "WECHATPAY2-SHA256-RSA2048  "),
        good.replace("WECHATPAY2-SHA256-RSA2048", "Bearer"),
        good.replace(",nonce_str=", ", nonce_str="),
    ];
    for header in &bad_headers {
        assert_eq!(
            get(&simulator, ORDER_PATH, Some(header)).await.0,
            401,
            "{header}"
        );
    }
    assert_sign_error(get(&simulator, ORDER_PATH, None).await, "no Authorization");

    // Missing User-Agent (reqwest sends none unless told).
    let auth = sign_get(
        &signer,
        ORDER_PATH,
        now(),
        "nonce0000000000000000000000000005",
    );
    let response = reqwest::Client::new()
        .get(format!("{}{ORDER_PATH}", simulator.base_url()))
        .header("Authorization", auth)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (body["code"].as_str(), body["message"].as_str()),
        (
            Some("INVALID_REQUEST"),
            Some("Http头缺少Accept或User-Agent")
        )
    );

    // Missing Accept (reqwest always sends one, so this request is written by hand).
    let auth = sign_get(
        &signer,
        ORDER_PATH,
        now(),
        "nonce0000000000000000000000000006",
    );
    let raw = format!(
        "GET {ORDER_PATH} HTTP/1.1\r\nHost: {}\r\nUser-Agent: raw\r\nAuthorization: {}\r\nConnection: close\r\n\r\n",
        simulator.addr(),
        auth
    );
    let mut stream = tokio::net::TcpStream::connect(simulator.addr())
        .await
        .unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("INVALID_REQUEST"), "{answer}");
}

#[tokio::test]
async fn parameters_are_checked_like_the_spec_says() {
    let simulator = Simulator::start().await.unwrap();
    let signer = signer(&simulator);
    let cases = [
        (
            "/v3/ecommerce/profitsharing/orders?transaction_id=4208450740201411110007820472&out_order_no=P1",
            "sub_mchid",
        ),
        (
            "/v3/ecommerce/profitsharing/orders?sub_mchid=123456789012345678901234567890123&transaction_id=1&out_order_no=P1",
            "sub_mchid",
        ),
        (
            "/v3/ecommerce/profitsharing/returnorders?sub_mchid=1900000109&out_return_no=R1",
            "order_id",
        ),
        (
            "/v3/ecommerce/profitsharing/returnorders?sub_mchid=1900000109&order_id=1&out_order_no=P1&out_return_no=R1",
            "order_id",
        ),
        (
            "/v3/ecommerce/profitsharing/returnorders?sub_mchid=1900000109&order_id=1&out_return_no=R%231",
            "out_return_no",
        ),
        (
            "/v3/ecommerce/profitsharing/returnorders?sub_mchid=1900000109&order_id=1",
            "out_return_no",
        ),
    ];
    for (i, (path, field)) in cases.into_iter().enumerate() {
        let auth = sign_get(&signer, path, now(), &format!("param{i:027}"));
        let (status, body, headers) = get(&simulator, path, Some(&auth)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("PARAM_ERROR")),
            "{path}: {body}"
        );
        assert_eq!(body["detail"]["field"], field, "{path}");
        assert_eq!(body["detail"]["location"], "query");
        assert!(
            headers.contains_key("wechatpay-signature"),
            "error answers are signed too"
        );
    }
    // An unknown order.
    let path = ORDER_PATH.replace("P20150806125346", "P-NONE");
    let auth = sign_get(&signer, &path, now(), "unknownorder0000000000000000000000");
    let (status, body, _) = get(&simulator, &path, Some(&auth)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("RESOURCE_NOT_EXISTS"))
    );
}

#[tokio::test]
async fn a_request_signed_by_openssl_is_accepted_and_the_answer_verifies_with_openssl() {
    let dir = common::scratch_dir("simulator-openssl");
    let (private, _, public) = common::openssl_rsa_key(&dir, "merchant", 2048);
    let public_pem = std::fs::read_to_string(&public).unwrap();
    let simulator = Simulator::builder()
        .merchant("1900000099", "ABCDEF0123", public_pem)
        .start()
        .await
        .unwrap();

    let timestamp = now();
    let nonce = "0penss1SignedN0nce000000000000000";
    let message = format!("GET\n{ORDER_PATH}\n{timestamp}\n{nonce}\n\n");
    let signature = STANDARD.encode(common::openssl(
        &dir,
        &["dgst", "-sha256", "-sign", private.to_str().unwrap()],
        message.as_bytes(),
    ));
    let authorization = format!(
        "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000099\",nonce_str=\"{nonce}\",timestamp=\"{timestamp}\",serial_no=\"ABCDEF0123\",signature=\"{signature}\""
    );
    let response = reqwest::Client::new()
        .get(format!("{}{ORDER_PATH}", simulator.base_url()))
        .header("Authorization", authorization)
        .header("Accept", "application/json")
        .header("User-Agent", "curl/8")
        .header(
            "Wechatpay-Serial",
            &simulator.credentials().wechatpay_public_key_id,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    let (ts, nonce, signature, serial) = (
        header("wechatpay-timestamp"),
        header("wechatpay-nonce"),
        header("wechatpay-signature"),
        header("wechatpay-serial"),
    );
    assert_eq!(serial, simulator.credentials().wechatpay_public_key_id);
    let body = response.bytes().await.unwrap();

    let mut signed = format!("{ts}\n{nonce}\n").into_bytes();
    signed.extend_from_slice(&body);
    signed.push(b'\n');
    std::fs::write(dir.join("answer.txt"), &signed).unwrap();
    std::fs::write(dir.join("answer.sig"), STANDARD.decode(signature).unwrap()).unwrap();
    std::fs::write(
        dir.join("wechatpay.pem"),
        &simulator.credentials().wechatpay_public_key_pem,
    )
    .unwrap();
    let verdict = common::openssl(
        &dir,
        &[
            "dgst",
            "-sha256",
            "-verify",
            "wechatpay.pem",
            "-signature",
            "answer.sig",
            "answer.txt",
        ],
        b"",
    );
    assert_eq!(String::from_utf8(verdict).unwrap().trim(), "Verified OK");

    // A merchant given as its X.509 certificate works the same way.
    common::openssl_certificate(&dir, &private, None, 1, "merchant_cert.pem");
    let certificate = std::fs::read_to_string(dir.join("merchant_cert.pem")).unwrap();
    let simulator = Simulator::builder()
        .merchant("1900000099", "ABCDEF0123", certificate)
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .merchant(
            "1900000099",
            "ABCDEF0123",
            MerchantKey::from_pem_file(&private).unwrap(),
        )
        .wechatpay_public_key(simulator.credentials().wechatpay_public_key().unwrap())
        .base_url(simulator.base_url())
        .build()
        .unwrap();
    let request = order_request();
    assert!(client.profit_sharing().query_order(&request).await.is_ok());
}

/// The folder of the build's binaries (`target/debug`): the test binaries are in its `deps/`.
fn target_profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// The sandbox's binary (the `wechatpay-sandbox` crate of this workspace), which `cargo test
/// --workspace` builds for the sandbox's own tests, next to the test binaries' folder.
fn sandbox() -> PathBuf {
    let path =
        target_profile_dir().join(format!("wechatpay-sandbox{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built: run the tests with `cargo test --workspace`",
        path.display()
    );
    path
}

/// An example's binary, built by `cargo test` next to the test binaries.
fn example(name: &str) -> PathBuf {
    let path = target_profile_dir().join("examples").join(name);
    assert!(
        path.exists(),
        "{} is not built (cargo test builds examples)",
        path.display()
    );
    path
}

/// A running sandbox, killed when dropped.
struct SandboxServer {
    child: Child,
    base_url: String,
}

impl Drop for SandboxServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sandbox_server(args: &[&str]) -> SandboxServer {
    let mut child = Command::new(sandbox())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base_url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_owned();
    assert!(
        base_url.starts_with("http://127.0.0.1:") && !base_url.ends_with(":0"),
        "{base_url}"
    );
    SandboxServer { child, base_url }
}

/// A sandbox on a free port that generates its merchant and writes the credentials into
/// `dir`, with `flags` after.
fn generated_sandbox_server(dir: &std::path::Path, flags: &[&str]) -> SandboxServer {
    let mut args = vec![
        "--addr",
        "127.0.0.1:0",
        "--credentials-dir",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(flags);
    sandbox_server(&args)
}

/// The quickstart's environment for the generated merchant of the server at `base_url`, whose
/// credentials are in `dir` (platform-certificate mode).
fn quickstart_env(dir: &std::path::Path, base_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("WECHATPAY_BASE_URL", base_url.to_owned()),
        ("WECHATPAY_MCHID", read(dir, "mchid")),
        (
            "WECHATPAY_MERCHANT_SERIAL_NO",
            read(dir, "merchant_serial_no"),
        ),
        (
            "WECHATPAY_MERCHANT_PRIVATE_KEY_PATH",
            dir.join("merchant_private_key.pem")
                .to_str()
                .unwrap()
                .to_owned(),
        ),
        ("WECHATPAY_APIV3_KEY", read(dir, "apiv3_key")),
    ]
}

/// A builder with the merchant and base URL the standalone server wrote or was given, for the
/// server at `base_url`; the caller adds how answers are verified.
fn builder_from(
    dir: &std::path::Path,
    merchant: Option<(&str, &str, &std::path::Path)>,
    base_url: &str,
) -> wechatpay_ecommerce::ClientBuilder {
    let (mchid, serial, key) = match merchant {
        Some((mchid, serial, key)) => (
            mchid.to_owned(),
            serial.to_owned(),
            MerchantKey::from_pem_file(key).unwrap(),
        ),
        None => (
            read(dir, "mchid"),
            read(dir, "merchant_serial_no"),
            MerchantKey::from_pem_file(dir.join("merchant_private_key.pem")).unwrap(),
        ),
    };
    Client::builder()
        .merchant(mchid, serial, key)
        .base_url(base_url)
}

/// The WeChat Pay public key the standalone server wrote into `dir`.
fn public_key_from(dir: &std::path::Path) -> WechatPayPublicKey {
    WechatPayPublicKey::from_pem_file(
        read(dir, "public_key_id"),
        dir.join("platform_public_key.pem"),
    )
    .unwrap()
}

fn read(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[tokio::test]
async fn the_standalone_server_writes_its_credentials_and_serves_them() {
    let dir = common::scratch_dir("sandbox-generated");
    let server = sandbox_server(&[
        "--addr",
        "127.0.0.1:0",
        "--credentials-dir",
        dir.to_str().unwrap(),
    ]);
    let client = builder_from(&dir, None, &server.base_url)
        .wechatpay_public_key(public_key_from(&dir))
        .build()
        .unwrap();
    let request = order_request();
    assert_eq!(
        client
            .profit_sharing()
            .query_order(&request)
            .await
            .unwrap()
            .order_id,
        "3008450740201411110007820472"
    );

    // Certificate mode with the written APIv3 key; the written certificate's serial is the one in use.
    let client = builder_from(&dir, None, &server.base_url)
        .apiv3_key(ApiV3Key::new(&read(&dir, "apiv3_key")).unwrap())
        .build()
        .unwrap();
    let answer = client.profit_sharing().query_order(&request).await.unwrap();
    assert_eq!(
        answer.verified().serial,
        read(&dir, "platform_certificate_serial_no")
    );
    let written = wechatpay_ecommerce::PlatformCertificate::from_pem_file(
        dir.join("platform_certificate.pem"),
    )
    .unwrap();
    assert_eq!(
        written.serial(),
        read(&dir, "platform_certificate_serial_no")
    );
}

#[tokio::test]
async fn the_standalone_server_takes_a_merchant_and_fixtures() {
    let dir = common::scratch_dir("sandbox-given");
    let (private, _, public) = common::openssl_rsa_key(&dir, "merchant", 2048);
    let mut fixtures = Fixtures::doc_examples();
    fixtures.orders[0].out_order_no = "P-FROM-FILE".into();
    std::fs::write(
        dir.join("fixtures.json"),
        serde_json::to_string(&fixtures).unwrap(),
    )
    .unwrap();
    let creds = dir.join("creds");
    let server = sandbox_server(&[
        "--addr",
        "127.0.0.1:0",
        "--mchid",
        "1900000042",
        "--merchant-serial-no",
        "5157F09EFDC096DE",
        "--merchant-public-key",
        public.to_str().unwrap(),
        "--credentials-dir",
        creds.to_str().unwrap(),
        "--fixtures",
        dir.join("fixtures.json").to_str().unwrap(),
    ]);
    assert!(
        !creds.join("merchant_private_key.pem").exists(),
        "a given merchant's key is not written"
    );
    let client = builder_from(
        &creds,
        Some(("1900000042", "5157F09EFDC096DE", &private)),
        &server.base_url,
    )
    .wechatpay_public_key(public_key_from(&creds))
    .build()
    .unwrap();
    let request = QueryOrderRequest::builder()
        .sub_mchid("1900000109")
        .transaction_id("4208450740201411110007820472")
        .out_order_no("P-FROM-FILE")
        .build()
        .unwrap();
    assert!(client.profit_sharing().query_order(&request).await.is_ok());
}

#[test]
fn the_standalone_server_explains_bad_arguments() {
    for args in [
        &["--mchid", "1"][..],
        &["--addr", "nope", "--credentials-dir", "x"][..],
        &["--frobnicate"][..],
        &["--credentials-dir", "x", "--max-ratio-percent", "101"][..],
        &["--credentials-dir", "x", "--processing-delay", "-1"][..],
        &["--credentials-dir", "x", "--clock-speed", "fast"][..],
        &[
            "--credentials-dir",
            "x",
            "--transactions",
            "/nonexistent.json",
        ][..],
    ] {
        let output = Command::new(sandbox())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8(output.stderr).unwrap();
        // A flag the parser refuses (exit 2), or a file that cannot be read (exit 1).
        let named = args
            .iter()
            .find(|a| a.starts_with("--") && stderr.contains(*a))
            .is_some();
        assert!(
            (stderr.starts_with("error: ") && output.status.code() == Some(2))
                || (stderr.starts_with("wechatpay-sandbox: ") && output.status.code() == Some(1)),
            "{stderr}"
        );
        assert!(named || stderr.contains("nope"), "{args:?}: {stderr}");
    }
}

fn quickstart<V: AsRef<std::ffi::OsStr>>(
    envs: &[(&str, V)],
    args: &[&str],
) -> std::process::Output {
    let mut command = Command::new(example("quickstart"));
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("WECHATPAY_")) {
        command.env_remove(name);
    }
    command
        .args(args)
        .envs(envs.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The standard output of a command that must have succeeded (else its two outputs in the
/// failure).
fn succeeded(output: std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}\n{stderr}");
    stdout
}

/// The quickstart's steps, one line each, in order.
const STEPS: [&str; 8] = [
    "add_receiver",
    "add_receiver",
    "create_order",
    "query_order",
    "create_return_order",
    "query_return_order",
    "finish_order",
    "query_order_amounts",
];

/// The lines of the quickstart's steps, checked to be one per step, in order.
fn step_lines(stdout: &str) -> Vec<&str> {
    let lines: Vec<&str> = stdout.lines().skip(1).collect();
    let methods: Vec<&str> = lines
        .iter()
        .map(|line| line.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(methods, STEPS, "{stdout}");
    lines
}

#[test]
fn the_quickstart_runs_the_flow_on_the_simulator_with_no_settings() {
    let output = quickstart::<&str>(&[], &[]);
    let stdout = succeeded(output);
    assert!(
        stdout
            .lines()
            .next()
            .unwrap()
            .contains("built-in WeChat Pay simulator"),
        "{stdout}"
    );
    let lines = step_lines(&stdout);
    for (line, expected) in lines.iter().zip([
        &["MERCHANT_ID 190001001 (示例商户全称), relation SUPPLIER"][..],
        &["PERSONAL_OPENID oUpF8uMuAJO_M2pxb1Q9zNjWeS6o, relation DISTRIBUTOR"],
        &[
            "P20261130000001 → order_id 3008",
            "status PROCESSING",
            "190001001 200 fen PENDING, oUpF8uMuAJO_M2pxb1Q9zNjWeS6o 100 fen PENDING",
            "receiver_name sent encrypted with PUB_KEY_ID_",
        ],
        &[
            "P20261130000001 status FINISHED",
            "190001001 200 fen SUCCESS at 20",
            "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o 100 fen SUCCESS at 20",
        ],
        &[
            "R20261130000001 → return_no 3009",
            "50 fen from 190001001, result PROCESSING",
        ],
        &["R20261130000001 result SUCCESS, finish_time 20"],
        &["F20261130000001 → order_id 3008", "unfrozen for 1900000109"],
        &["4208450740201411110007820472 unsplit_amount 0"],
    ]) {
        for part in expected {
            assert!(line.contains(part), "missing {part:?} in {line:?}");
        }
    }
}

#[test]
fn the_quickstart_runs_against_another_server_from_the_environment() {
    let dir = common::scratch_dir("quickstart-env");
    let transactions = dir.join("transactions.json");
    std::fs::write(
        &transactions,
        r#"[{"sub_mchid": "1900000109", "transaction_id": "4200000000000000000000000777", "amount": 5000}]"#,
    )
    .unwrap();
    let server = generated_sandbox_server(
        &dir,
        &[
            "--transactions",
            transactions.to_str().unwrap(),
            "--processing-delay",
            "0.2",
        ],
    );
    let env = quickstart_env(&dir, &server.base_url);
    let output = quickstart(&env, &["--transaction-id", "4200000000000000000000000777"]);
    let stdout = succeeded(output);
    assert!(
        stdout.contains(&format!("against {} with the credentials", server.base_url)),
        "{stdout}"
    );
    let lines = step_lines(&stdout);
    assert!(
        lines[2].ends_with(&format!(
            "receiver_name sent encrypted with {}",
            read(&dir, "platform_certificate_serial_no")
        )),
        "{stdout}"
    );
    // Numbers made from the time: each run is a new split.
    assert!(!lines[2].contains("P20261130000001"), "{stdout}");
    assert!(
        lines[7].ends_with("4200000000000000000000000777 unsplit_amount 0"),
        "{stdout}"
    );

    // A transaction the server does not have: one clear line, a non-zero exit.
    let output = quickstart(&env, &["--transaction-id", "4200000000000000000000000404"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("400")
            && stderr.contains("INVALID_REQUEST")
            && stderr.contains("4200000000000000000000000404")
            && stderr.contains("Request-ID"),
        "{stderr}"
    );
}

#[test]
fn a_client_in_another_language_runs_the_flow_as_the_readme_walks_it() {
    // Python's `cryptography` signs, verifies and encrypts: nothing of this crate on the client
    // side.
    let dir = common::scratch_dir("sandbox-python");
    let server = generated_sandbox_server(&dir, &["--processing-delay", "0.3"]);
    let output = Command::new("python3")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/other_language/flow.py"))
        .args([server.base_url.as_str(), dir.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs the other-language client");
    let stdout = succeeded(output);
    assert!(
        stdout.ends_with("query_order_amounts  unsplit_amount 0\n"),
        "{stdout}"
    );
}

/// A process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_standalone_server_notifies_a_handler_written_in_another_language() {
    // The receiver verifies and decrypts with Python's `cryptography`: nothing of this crate on the
    // merchant's side.
    let dir = common::scratch_dir("sandbox-notify");
    let mut receiver = Command::new("python3")
        .arg(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/other_language/notify_receiver.py"),
        )
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 runs the other-language notify handler");
    let mut lines = BufReader::new(receiver.stdout.take().unwrap()).lines();
    let _receiver = Killed(receiver);
    let port = lines.next().unwrap().unwrap();
    let url = format!("http://127.0.0.1:{}/notify", port.trim());
    let server = generated_sandbox_server(
        &dir,
        &["--processing-delay", "0.2", "--notify-url", url.as_str()],
    );
    succeeded(quickstart(&quickstart_env(&dir, &server.base_url), &[]));
    // The quickstart's split (two receivers) and its return: three notifications.
    let (sender, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines {
            let _ = sender.send(line.unwrap());
        }
    });
    let mut notifications: Vec<Value> = (0..3)
        .map(|_| {
            let line = received
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("a notification within 10 s");
            serde_json::from_str(&line).unwrap()
        })
        .collect();
    notifications.sort_by_key(|n| {
        (
            n["event_type"].as_str().map(str::to_owned),
            n["resource"]["receiver"]["amount"].as_i64(),
        )
    });
    let summary: Vec<(String, String, i64)> = notifications
        .iter()
        .map(|n| {
            assert!(n.get("error").is_none(), "{n}");
            let receiver = &n["resource"]["receiver"];
            (
                n["event_type"].as_str().unwrap().to_owned(),
                receiver["account"].as_str().unwrap().to_owned(),
                receiver["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "PROFITSHARING.RETURN".to_owned(),
                "190001001".to_owned(),
                50
            ),
            (
                "PROFITSHARING.SUCCESS".to_owned(),
                "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".to_owned(),
                100
            ),
            (
                "PROFITSHARING.SUCCESS".to_owned(),
                "190001001".to_owned(),
                200
            ),
        ]
    );
    for n in &notifications {
        assert_eq!(n["resource"]["sub_mchid"], "1900000109");
        assert_eq!(
            n["resource"]["transaction_id"],
            "4208450740201411110007820472"
        );
    }
}

#[test]
fn the_notify_handler_example_tells_a_split_from_a_return_and_handles_each_once() {
    let output = Command::new(example("notify_handler"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = succeeded(output);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 12, "{stdout}");
    assert!(
        lines[0].starts_with("handler listening on http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(lines[2].ends_with("answered 500 on purpose"), "{stdout}");
    assert_eq!(lines[3], "WeChat Pay sends it again in 15 s");
    for part in [
        "split P20150806125346-NOTIFY: 100 fen to MERCHANT_ID 190001001",
        "+08:00",
    ] {
        assert!(lines[4].contains(part), "{part:?} in {stdout}");
    }
    assert!(!lines[4].contains("event_type says otherwise"), "{stdout}");
    assert!(lines[5].starts_with("return R20150806125346-NOTIFY accepted"));
    assert!(
        lines[6]
            .starts_with("return R20150806125346-NOTIFY: 50 fen back from MERCHANT_ID 190001001"),
        "{stdout}"
    );
    // The return again under another id: handled once, by its number.
    assert!(
        lines[7].ends_with("R20150806125346-NOTIFY already handled, answered 204"),
        "{stdout}"
    );
    // The notification's id is the word after "notification".
    let id = |line: &str| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words
            .iter()
            .position(|w| *w == "(notification" || *w == "notification")
            .unwrap();
        words[at + 1].trim_end_matches([':', ')', ',']).to_owned()
    };
    assert_eq!(id(lines[2]), id(lines[4]), "the retried split notification");
    assert_ne!(
        id(lines[6]),
        id(lines[7]),
        "the resent return, under a new id"
    );
    let deliveries = &lines[8..];
    assert!(
        deliveries[0].ends_with("PROFITSHARING.SUCCESS attempt 1: answered 500"),
        "{stdout}"
    );
    assert!(
        deliveries[1].ends_with("PROFITSHARING.SUCCESS attempt 2: answered 204"),
        "{stdout}"
    );
    assert!(
        deliveries[2].ends_with("PROFITSHARING.RETURN attempt 1: answered 204"),
        "{stdout}"
    );
    assert!(
        deliveries[3].ends_with("PROFITSHARING.RETURN attempt 1: answered 204"),
        "{stdout}"
    );
}

#[test]
fn the_standalone_server_takes_the_maximum_ratio() {
    let dir = common::scratch_dir("sandbox-ratio");
    let server = generated_sandbox_server(&dir, &["--max-ratio-percent", "20"]);
    let env = quickstart_env(&dir, &server.base_url);
    // The quickstart splits 300 of the example's 1000 fen: more than 20 %.
    let output = quickstart(&env, &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("403") && stderr.contains("RULE_LIMIT") && stderr.contains("20 %"),
        "{stderr}"
    );
}

#[test]
fn the_quickstart_reads_the_serial_from_the_merchant_certificate() {
    let dir = common::scratch_dir("quickstart-certificate");
    let (key, _, _) = common::openssl_rsa_key(&dir, "merchant", 2048);
    let certificate = common::openssl_certificate(
        &dir,
        &key,
        Some("0x3775B6A45ACD588826D15E583A95F5DD00000077"),
        365,
        "apiclient_cert.pem",
    );
    let server = sandbox_server(&[
        "--addr",
        "127.0.0.1:0",
        "--mchid",
        "1900000077",
        "--merchant-serial-no",
        "3775B6A45ACD588826D15E583A95F5DD00000077",
        "--merchant-public-key",
        certificate.to_str().unwrap(),
        "--credentials-dir",
        dir.to_str().unwrap(),
        "--processing-delay",
        "0.2",
    ]);
    let env = [
        ("WECHATPAY_BASE_URL", server.base_url.as_str()),
        ("WECHATPAY_MCHID", "1900000077"),
        (
            "WECHATPAY_MERCHANT_CERTIFICATE_PATH",
            certificate.to_str().unwrap(),
        ),
        ("WECHATPAY_MERCHANT_PRIVATE_KEY_PATH", key.to_str().unwrap()),
        ("WECHATPAY_APIV3_KEY", &read(&dir, "apiv3_key")),
    ];
    succeeded(quickstart(&env, &[]));

    // The certificate of another key is refused before anything is sent.
    let (other, _, _) = common::openssl_rsa_key(&dir, "other", 2048);
    let mut env = env.to_vec();
    env.retain(|(name, _)| *name != "WECHATPAY_MERCHANT_PRIVATE_KEY_PATH");
    env.push((
        "WECHATPAY_MERCHANT_PRIVATE_KEY_PATH",
        other.to_str().unwrap(),
    ));
    let output = quickstart(&env, &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("3775B6A45ACD588826D15E583A95F5DD00000077")
            && stderr.contains("does not belong to the merchant private key"),
        "{stderr}"
    );
}

#[test]
fn the_quickstart_says_what_is_missing() {
    let output = quickstart(&[("WECHATPAY_MCHID", "1900000001")], &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("WECHATPAY_MERCHANT_PRIVATE_KEY_PATH is not set"),
        "{stderr}"
    );
    let output = quickstart::<&str>(&[], &["--sub-mchid"]);
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("--sub-mchid needs a value")
    );
}
