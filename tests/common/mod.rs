//! Helpers shared by the integration tests.
// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![allow(dead_code)]

use std::path::PathBuf;

use base64::Engine as _;

use std::time::Duration;

use wechatpay_ecommerce::profit_sharing::QueryOrderRequest;
use wechatpay_ecommerce::simulator::{Fault, Simulator};
use wechatpay_ecommerce::{Client, Error, KeySource, MerchantKey, RetryPolicy};

/// The 查询分账结果 page's example request (the simulator's default fixtures answer it).
pub fn order_request() -> QueryOrderRequest {
    QueryOrderRequest::builder()
        .sub_mchid("1900000109")
        .transaction_id("4208450740201411110007820472")
        .out_order_no("P20150806125346")
        .build()
        .unwrap()
}

/// `count` queries of [`order_request`] at once, each on its own task: the kind of key that
/// verified each answer, in task order. Any failed query fails the test.
pub async fn concurrent_order_sources(client: &Client, count: usize) -> Vec<KeySource> {
    let tasks: Vec<_> = (0..count)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .profit_sharing()
                    .query_order(&order_request())
                    .await
                    .map(|answer| answer.verified().source)
            })
        })
        .collect();
    let mut sources = Vec::with_capacity(count);
    for task in tasks {
        sources.push(task.await.unwrap().unwrap());
    }
    sources
}

/// 添加分账接收方 of the supplier the tests split to: merchant `190001001`, with its full name.
pub fn supplier() -> wechatpay_ecommerce::profit_sharing::AddReceiverRequest {
    use wechatpay_ecommerce::profit_sharing::{ReceiverType, RelationType};
    wechatpay_ecommerce::profit_sharing::AddReceiverRequest::builder()
        .receiver_type(ReceiverType::MerchantId)
        .account("190001001")
        .relation_type(RelationType::Supplier)
        .name("示例商户全称")
        .build()
        .unwrap()
}

/// An error answer with this status and code, as the simulator's fault.
pub fn status(code: u16, name: &str) -> Fault {
    Fault::Status {
        status: code,
        code: name.into(),
    }
}

/// The default three attempts with short backoffs, so that tests do not wait.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(3)
        .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

/// The base URL of a loopback port nothing listens on: connections to it are refused.
pub fn dead_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// Why the certificate download a call needed failed: the source of an
/// [`Error::CertificatesUnavailable`]; any other error fails the test.
pub fn download_failure(error: &Error) -> &Error {
    match error {
        Error::CertificatesUnavailable { source, .. } => source,
        other => panic!("expected a failed certificate download, got {other:?}"),
    }
}

/// A file of the repository, by its path from the root.
pub fn repo_file(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()))
}

/// The fenced ```json blocks of a doc page.
pub fn json_examples(page: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in page.lines() {
        match (&mut current, line.trim()) {
            (None, "```json") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an unclosed ```json block");
    blocks
}

/// The request example of a doc page: the URL after "`URL` ".
pub fn request_example(page: &str) -> String {
    let lines: Vec<&str> = page
        .lines()
        .filter_map(|l| l.trim().strip_prefix("`URL` "))
        .collect();
    assert_eq!(lines.len(), 1, "expected one request example");
    lines[0].trim().to_owned()
}

/// A simulator whose clock moves only when told, with `processing_delay`, a client of it (public
/// key mode, quick retries), and the supplier added as a receiver: where the families' state tests
/// start.
pub async fn still_simulator_with_supplier(
    processing_delay: std::time::Duration,
) -> (Simulator, wechatpay_ecommerce::Client) {
    let simulator = Simulator::builder()
        .clock_speed(0.0)
        .processing_delay(processing_delay)
        .start()
        .await
        .unwrap();
    let client = simulator
        .client_builder(wechatpay_ecommerce::simulator::VerificationMode::PublicKey)
        .unwrap()
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    client
        .profit_sharing()
        .add_receiver(&supplier())
        .await
        .unwrap();
    (simulator, client)
}

/// A refund (申请退款) of `fen` of `transaction` (paid `total`) by sub-merchant 1900000109,
/// numbered `out_refund_no`.
pub fn refund(
    transaction: &str,
    out_refund_no: &str,
    fen: i64,
    total: i64,
) -> wechatpay_ecommerce::refunds::ApplyRefundRequest {
    use wechatpay_ecommerce::refunds::{
        ApplyRefundAmount, ApplyRefundRequest, ApplyRefundTransactionIdOrOutTradeNo,
    };
    ApplyRefundRequest::builder()
        .sub_mchid("1900000109")
        .sp_appid("wx8888888888888888")
        .transaction_id_or_out_trade_no(ApplyRefundTransactionIdOrOutTradeNo::TransactionId(
            transaction.into(),
        ))
        .out_refund_no(out_refund_no)
        .amount(ApplyRefundAmount {
            refund: fen,
            from: None,
            total,
            currency: Some("CNY".into()),
        })
        .build()
        .unwrap()
}

/// A split of `fen` of `transaction` by sub-merchant 1900000109 to the supplier (190001001),
/// numbered `out_order_no`; `finish` unfreezes the rest too.
pub fn split(
    transaction: &str,
    out_order_no: &str,
    fen: i64,
    finish: bool,
) -> wechatpay_ecommerce::profit_sharing::CreateOrderRequest {
    use wechatpay_ecommerce::profit_sharing::{
        CreateOrderReceiver, CreateOrderRequest, ReceiverType,
    };
    CreateOrderRequest::builder()
        .sub_mchid("1900000109")
        .transaction_id(transaction)
        .out_order_no(out_order_no)
        .receivers(vec![CreateOrderReceiver {
            receiver_type: ReceiverType::MerchantId,
            receiver_account: "190001001".into(),
            amount: fen,
            description: "货款".into(),
            receiver_name: None,
        }])
        .finish(finish)
        .build()
        .unwrap()
}

/// A split of `fen` to the supplier ([`split`]), then a finish (`F` and the split's number)
/// that gives the rest to the sub-merchant.
pub async fn split_and_finish(
    client: &wechatpay_ecommerce::Client,
    transaction: &str,
    out_order_no: &str,
    fen: i64,
) {
    client
        .profit_sharing()
        .create_order(&split(transaction, out_order_no, fen, false))
        .await
        .unwrap();
    let finish = wechatpay_ecommerce::profit_sharing::FinishOrderRequest::builder()
        .sub_mchid("1900000109")
        .transaction_id(transaction)
        .out_order_no(format!("F{out_order_no}"))
        .description("分账完结")
        .build()
        .unwrap();
    client.profit_sharing().finish_order(&finish).await.unwrap();
}

/// The code of WeChat Pay's error answer; fails the test on any other error.
pub fn error_code(error: &wechatpay_ecommerce::Error) -> String {
    match error {
        wechatpay_ecommerce::Error::Api(api) => api
            .code
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        other => panic!("not an error answer: {other}"),
    }
}

/// A fresh folder for one test's files, under Cargo's target tmp dir.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `openssl` with `args` in `dir`, feeding `stdin`; its standard output. Fails the test if
/// openssl fails: it is the independent reference for every byte-level protocol fact.
pub fn openssl(dir: &std::path::Path, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let mut command = std::process::Command::new("openssl");
    command.args(args).current_dir(dir);
    reference_output(
        command,
        stdin,
        "the openssl command line is needed as the tests' reference",
        &format!("openssl {args:?}"),
    )
}

/// Runs a reference implementation's command, feeding `stdin`; its standard output. Fails the
/// test, with its standard error, if it cannot start (`missing` says what is needed) or fails.
fn reference_output(
    mut command: std::process::Command,
    stdin: &[u8],
    missing: &str,
    what: &str,
) -> Vec<u8> {
    use std::io::Write;
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect(missing);
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Generates an RSA key with openssl: (PKCS#8 PEM path, PKCS#1 PEM path, public key PEM path).
pub fn openssl_rsa_key(
    dir: &std::path::Path,
    name: &str,
    bits: u32,
) -> (PathBuf, PathBuf, PathBuf) {
    let pkcs8 = format!("{name}.pkcs8.pem");
    let pkcs1 = format!("{name}.pkcs1.pem");
    let public = format!("{name}.pub.pem");
    let bits_arg = format!("rsa_keygen_bits:{bits}");
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &bits_arg,
            "-out",
            &pkcs8,
        ],
        b"",
    );
    openssl(
        dir,
        &["rsa", "-in", &pkcs8, "-traditional", "-out", &pkcs1],
        b"",
    );
    openssl(
        dir,
        &["pkey", "-in", &pkcs8, "-pubout", "-out", &public],
        b"",
    );
    (dir.join(pkcs8), dir.join(pkcs1), dir.join(public))
}

/// A self-signed X.509 certificate made by openssl for `key`, valid from now for `days`, with the
/// given serial (`0x…`) or openssl's random one; written to `dir/out`, which is returned.
pub fn openssl_certificate(
    dir: &std::path::Path,
    key: &std::path::Path,
    serial: Option<&str>,
    days: u32,
    out: &str,
) -> PathBuf {
    let key = key.to_str().unwrap();
    let days = days.to_string();
    let mut args = vec![
        "req",
        "-x509",
        "-new",
        "-key",
        key,
        "-subj",
        "/CN=wechatpay-ecommerce test only",
        "-days",
        &days,
        "-out",
        out,
    ];
    if let Some(serial) = serial {
        args.extend(["-set_serial", serial]);
    }
    openssl(dir, &args, b"");
    dir.join(out)
}

/// A POST of `path` to `simulator`, unsigned (for a simulator that accepts that), with the
/// `Accept` and `User-Agent` the real API insists on; the caller adds `Content-Type` and a body.
pub fn unsigned_post(simulator: &Simulator, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(format!("{}{path}", simulator.base_url()))
        .header("accept", "application/json")
        .header("user-agent", "test")
}

/// Encrypts `plaintext` with AES-256-GCM as WeChat Pay does, in Python: base64(ciphertext ‖ tag).
pub fn python_encrypt(key: &str, nonce: &str, associated_data: &str, plaintext: &[u8]) -> String {
    let script = "import sys, base64\n\
                  from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n\
                  key, nonce, aad = sys.argv[1:4]\n\
                  data = sys.stdin.buffer.read()\n\
                  sealed = AESGCM(key.encode()).encrypt(nonce.encode(), data, aad.encode())\n\
                  print(base64.b64encode(sealed).decode())";
    let mut command = std::process::Command::new("python3");
    command.args(["-c", script, key, nonce, associated_data]);
    let output = reference_output(
        command,
        plaintext,
        "python3 is needed as the reference for AES-256-GCM",
        "python3 with the cryptography package (pip install cryptography)",
    );
    String::from_utf8(output).unwrap().trim().to_owned()
}

/// The `Wechatpay-Signature` WeChat Pay puts on an answer or a notification: `key`'s signature
/// over `timestamp\nnonce\nbody\n`, base64.
pub fn answer_signature(key: &MerchantKey, timestamp: u64, nonce: &str, body: &[u8]) -> String {
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    key.sign(&message).unwrap()
}

/// The `Authorization` header names the merchant and its certificate, and its signature verifies
/// with `openssl dgst -sha256 -verify` and the merchant's public key (derived from its private key
/// by openssl) over `METHOD\nPATH_AND_QUERY\nTIMESTAMP\nNONCE\nBODY\n` as received; over the same
/// message with one byte of the body changed, it does not.
pub fn assert_signed_by_merchant(
    simulator: &Simulator,
    scratch: &str,
    seen: &wechatpay_ecommerce::simulator::SeenRequest,
) {
    let authorization = seen.authorization.as_deref().unwrap();
    assert!(
        authorization.starts_with("WECHATPAY2-SHA256-RSA2048 "),
        "{authorization}"
    );
    let credentials = simulator.credentials();
    assert_eq!(
        authorization_field(authorization, "mchid"),
        credentials.mchid
    );
    assert_eq!(
        authorization_field(authorization, "serial_no"),
        credentials.merchant_serial_no
    );
    let timestamp = authorization_field(authorization, "timestamp");
    assert!(
        timestamp.len() == 10 && timestamp.bytes().all(|b| b.is_ascii_digit()),
        "{timestamp}"
    );
    let nonce = authorization_field(authorization, "nonce_str");
    let signature = base64::engine::general_purpose::STANDARD
        .decode(authorization_field(authorization, "signature"))
        .unwrap();
    assert_eq!(signature.len(), 256, "RSA-2048");

    let dir = scratch_dir(scratch);
    std::fs::write(
        dir.join("merchant.pem"),
        credentials.merchant_private_key_pem.clone().unwrap(),
    )
    .unwrap();
    openssl(
        &dir,
        &[
            "pkey",
            "-in",
            "merchant.pem",
            "-pubout",
            "-out",
            "merchant.pub.pem",
        ],
        b"",
    );
    std::fs::write(dir.join("signature.bin"), &signature).unwrap();

    let message = format!(
        "{}\n{}\n{timestamp}\n{nonce}\n{}\n",
        seen.method, seen.path_and_query, seen.body
    );
    assert!(
        openssl_verifies(&dir, message.as_bytes()),
        "openssl refuses the signature over {message:?}"
    );
    // The check can fail: a body that differs by one byte (a GET's empty body gains one).
    let mut tampered = seen.body.clone().into_bytes();
    match tampered.iter().position(u8::is_ascii_digit) {
        Some(digit) => tampered[digit] = if tampered[digit] == b'9' { b'8' } else { b'9' },
        None => tampered.push(b' '),
    }
    let mut other = format!(
        "{}\n{}\n{timestamp}\n{nonce}\n",
        seen.method, seen.path_and_query
    )
    .into_bytes();
    other.extend_from_slice(&tampered);
    other.push(b'\n');
    assert!(
        !openssl_verifies(&dir, &other),
        "openssl accepts the signature over a changed body"
    );
}

/// The value of `name="…"` in an `Authorization` header.
pub fn authorization_field(authorization: &str, name: &str) -> String {
    let start = authorization.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    let end = authorization[start..].find('"').unwrap() + start;
    authorization[start..end].to_owned()
}

/// Whether `openssl dgst -sha256 -verify merchant.pub.pem -signature signature.bin` (in `dir`)
/// accepts `message`.
pub fn openssl_verifies(dir: &std::path::Path, message: &[u8]) -> bool {
    std::fs::write(dir.join("message.bin"), message).unwrap();
    let output = std::process::Command::new("openssl")
        .args([
            "dgst",
            "-sha256",
            "-verify",
            "merchant.pub.pem",
            "-signature",
            "signature.bin",
            "message.bin",
        ])
        .current_dir(dir)
        .output()
        .expect("the openssl command line is needed as the tests' reference");
    let stdout = String::from_utf8_lossy(&output.stdout);
    match (output.status.success(), stdout.trim()) {
        (true, "Verified OK") => true,
        (false, "Verification failure") => false,
        other => panic!(
            "openssl dgst -verify: {other:?} {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}
