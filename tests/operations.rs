//! The operations with a JSON body or a path segment, over loopback against the simulator:
//! bodies signed and sent byte for byte, sensitive fields encrypted, path segments encoded, and
//! retries that depend on whether the operation is idempotent. Byte-level facts are checked
//! against `openssl` and Python.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use wechatpay_ecommerce::profit_sharing::{
    AddReceiverRequest, CreateOrderReceiver, CreateOrderRequest, CreateReturnOrderRequest,
    DeleteReceiverRequest, FinishOrderRequest, OrderReference, QueryOrderAmountsRequest,
};
use wechatpay_ecommerce::profit_sharing::{ReceiverType, RelationType};
use wechatpay_ecommerce::simulator::{Simulator, VerificationMode};
use wechatpay_ecommerce::{Client, Error, ParameterRule, WechatPayPublicKey};

fn receiver(name: Option<&str>) -> CreateOrderReceiver {
    CreateOrderReceiver {
        receiver_type: ReceiverType::PersonalOpenid,
        receiver_account: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
        amount: 190,
        description: "分给个人".into(),
        receiver_name: name.map(Into::into),
    }
}

/// A split of the doc pages' example transaction to one person, under a number of its own (the
/// page's P20150806125346 is the simulator's example order already).
fn split(name: Option<&str>) -> CreateOrderRequest {
    split_numbered("P20261130000001", name)
}

fn split_numbered(out_order_no: &str, name: Option<&str>) -> CreateOrderRequest {
    CreateOrderRequest::builder()
        .sub_mchid("1900000109")
        .transaction_id("4208450740201411110007820472")
        .out_order_no(out_order_no)
        .receivers(vec![receiver(name)])
        .finish(false)
        .appid("wx8888888888888888")
        .build()
        .unwrap()
}

/// Adds the person `split` shares with, named 张三 as the split names them.
async fn add_person(client: &Client) {
    let add = AddReceiverRequest::builder()
        .receiver_type(ReceiverType::PersonalOpenid)
        .account("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
        .relation_type(RelationType::Distributor)
        .appid("wx8888888888888888")
        .name("张三")
        .build()
        .unwrap();
    client.profit_sharing().add_receiver(&add).await.unwrap();
}

/// A supplier, as the 添加分账接收方 page's example adds it.
/// `ciphertext` decrypted by `openssl pkeyutl` with the private key at `key`, RSAES-OAEP with
/// `options` (openssl's OAEP defaults to SHA-1 and MGF1-SHA-1).
fn openssl_oaep_decrypt(
    dir: &std::path::Path,
    key: &str,
    options: &[&str],
    ciphertext: &[u8],
) -> Vec<u8> {
    let mut args = vec![
        "pkeyutl",
        "-decrypt",
        "-inkey",
        key,
        "-pkeyopt",
        "rsa_padding_mode:oaep",
    ];
    for option in options {
        args.extend(["-pkeyopt", option]);
    }
    common::openssl(dir, &args, ciphertext)
}

async fn client(simulator: &Simulator, mode: VerificationMode) -> Client {
    simulator
        .client_builder(mode)
        .unwrap()
        .retry_policy(common::quick_retries())
        .build()
        .unwrap()
}

/// The signing message of a request the simulator saw, from its Authorization header and the
/// exact bytes received; and the signature the header carries.
fn signed_message(seen: &wechatpay_ecommerce::simulator::SeenRequest) -> (Vec<u8>, String) {
    let authorization = seen.authorization.as_deref().unwrap();
    let field = |name: &str| {
        let start = authorization.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = authorization[start..].find('"').unwrap() + start;
        authorization[start..end].to_owned()
    };
    let message = format!(
        "{}\n{}\n{}\n{}\n{}\n",
        seen.method,
        seen.path_and_query,
        field("timestamp"),
        field("nonce_str"),
        seen.body
    );
    (message.into_bytes(), field("signature"))
}

#[tokio::test]
async fn a_split_signs_the_exact_body_sent_and_its_receiver_name_travels_encrypted() {
    let simulator = Simulator::start().await.unwrap();
    let client = client(&simulator, VerificationMode::PublicKey).await;
    add_person(&client).await;
    let answer = client
        .profit_sharing()
        .create_order(&split(Some("张三")))
        .await
        .unwrap();
    assert_eq!(answer.out_order_no, "P20261130000001");
    assert_eq!(
        answer.receivers[0].receiver_account,
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    );

    let seen = simulator.requests().pop().unwrap();
    assert_eq!(
        (seen.method.as_str(), seen.path_and_query.as_str()),
        ("POST", "/v3/ecommerce/profitsharing/orders")
    );
    assert_eq!(seen.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        seen.wechatpay_serial.as_deref(),
        Some(simulator.credentials().wechatpay_public_key_id.as_str())
    );
    assert!(!seen.body.contains("张三"), "{}", seen.body);
    let body: serde_json::Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(body["receivers"][0]["type"], "PERSONAL_OPENID");
    assert_eq!(body["finish"], false);
    assert!(
        body["receivers"][0]["receiver_name"]
            .as_str()
            .unwrap()
            .len()
            > 300
    );

    // The signature over the body received is the one openssl makes (RSA PKCS#1 v1.5 is
    // deterministic), with the merchant's key.
    let (message, signature) = signed_message(&seen);
    assert_eq!(
        signature,
        openssl_signature(&simulator, "operations-sign", &message)
    );
}

/// The signature openssl makes over `message` with the merchant key the simulator generated.
fn openssl_signature(simulator: &Simulator, scratch: &str, message: &[u8]) -> String {
    let dir = common::scratch_dir(scratch);
    std::fs::write(
        dir.join("merchant.pem"),
        simulator
            .credentials()
            .merchant_private_key_pem
            .clone()
            .unwrap(),
    )
    .unwrap();
    STANDARD.encode(common::openssl(
        &dir,
        &["dgst", "-sha256", "-sign", "merchant.pem"],
        message,
    ))
}

#[tokio::test]
async fn ciphertexts_decrypt_with_openssl_oaep_to_the_plaintext() {
    let dir = common::scratch_dir("operations-oaep");
    let (private, _, public) = common::openssl_rsa_key(&dir, "wechatpay", 2048);
    let key =
        WechatPayPublicKey::from_pem_file("PUB_KEY_ID_0114232806712025022800000000000001", &public)
            .unwrap();
    let simulator = Simulator::start().await.unwrap();
    let client = simulator
        .client_builder(VerificationMode::PublicKey)
        .unwrap()
        .wechatpay_public_key(key.clone())
        .build()
        .unwrap();
    let name = "欧阳娜娜 Zoë";
    let prepared = client.prepare(&split(Some(name))).unwrap();
    assert_eq!(prepared.encrypted_with(), Some(key.id()));
    let body: serde_json::Value = serde_json::from_str(prepared.body()).unwrap();
    let ciphertext = STANDARD
        .decode(body["receivers"][0]["receiver_name"].as_str().unwrap())
        .unwrap();
    let private = private.to_str().unwrap();
    let plaintext = openssl_oaep_decrypt(
        &dir,
        private,
        &["rsa_oaep_md:sha1", "rsa_mgf1_md:sha1"],
        &ciphertext,
    );
    assert_eq!(String::from_utf8(plaintext).unwrap(), name);
    // OAEP is randomised: a second body differs, and decrypts to the same name.
    let again = client.prepare(&split(Some(name))).unwrap();
    assert_ne!(again.body(), prepared.body());

    // The public function gives the same kind of ciphertext.
    let sealed = key.encryption_key().encrypt("李四").unwrap();
    let plaintext = openssl_oaep_decrypt(&dir, private, &[], &STANDARD.decode(sealed).unwrap());
    assert_eq!(plaintext, "李四".as_bytes());

    // Too long for RSA-2048 OAEP (214 bytes): a clear error, nothing sent.
    let long = "名".repeat(72);
    match client
        .profit_sharing()
        .create_order(&split(Some(&long)))
        .await
    {
        Err(Error::Encryption(wechatpay_ecommerce::EncryptError::TooLong {
            max: 214,
            actual: 216,
        })) => {}
        other => panic!("{other:?}"),
    }
    assert!(simulator.requests().is_empty());
}

#[tokio::test]
async fn in_certificate_mode_the_newest_valid_certificate_encrypts_and_is_named() {
    let simulator = Simulator::start().await.unwrap();
    let client = client(&simulator, VerificationMode::PlatformCertificates).await;
    add_person(&client).await;
    client
        .profit_sharing()
        .create_order(&split(Some("张三")))
        .await
        .unwrap();
    let seen = simulator.requests().pop().unwrap();
    assert_eq!(
        seen.wechatpay_serial.as_deref(),
        Some(simulator.credentials().platform_certificate_serial.as_str())
    );
    // A body without a sensitive field names no certificate.
    let mut second = split_numbered("P20261130000002", None);
    second.receivers[0].amount = 100; // 190 + 100: within 30 % of the 1000 fen paid
    client.profit_sharing().create_order(&second).await.unwrap();
    let seen = simulator.requests().pop().unwrap();
    assert_eq!(seen.wechatpay_serial, None);
}

#[tokio::test]
async fn every_new_operation_round_trips() {
    let simulator = Simulator::builder().clock_speed(0.0).start().await.unwrap();
    let client = client(&simulator, VerificationMode::Both).await;

    let amounts = client
        .profit_sharing()
        .query_order_amounts(
            &QueryOrderAmountsRequest::builder()
                .transaction_id("4208450740201411110007820472")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(amounts.unsplit_amount, 1000, "the page's example");
    assert_eq!(amounts.transaction_id, "4208450740201411110007820472");
    let seen = simulator.requests().pop().unwrap();
    assert_eq!(
        seen.path_and_query,
        "/v3/ecommerce/profitsharing/orders/4208450740201411110007820472/amounts"
    );
    assert_eq!((seen.body.as_str(), seen.content_type), ("", None));

    let added = client
        .profit_sharing()
        .add_receiver(&common::supplier())
        .await
        .unwrap();
    assert_eq!(added.account, "190001001");
    assert_eq!(added.receiver_type, ReceiverType::MerchantId);

    let mut split = split_numbered("P20261130000003", None);
    split.receivers[0] = CreateOrderReceiver {
        receiver_type: ReceiverType::MerchantId,
        receiver_account: "190001001".into(),
        amount: 100,
        description: "分给供应商".into(),
        receiver_name: None,
    };
    client.profit_sharing().create_order(&split).await.unwrap();
    simulator.advance(wechatpay_ecommerce::simulator::DEFAULT_PROCESSING_DELAY);

    let returned = client
        .profit_sharing()
        .create_return_order(
            &CreateReturnOrderRequest::builder()
                .sub_mchid("1900000109")
                .order(OrderReference::OutOrderNo("P20261130000003".into()))
                .out_return_no("R20261130000001")
                .return_mchid("190001001")
                .amount(10)
                .description("分账回退")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(returned.out_return_no, "R20261130000001");
    let body: serde_json::Value =
        serde_json::from_str(&simulator.requests().pop().unwrap().body).unwrap();
    assert_eq!(body["out_order_no"], "P20261130000003");
    assert!(body.get("order_id").is_none(), "one of the two, not both");

    let deleted = client
        .profit_sharing()
        .delete_receiver(
            &DeleteReceiverRequest::builder()
                .receiver_type(ReceiverType::MerchantId)
                .account("190001001")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(deleted.account, "190001001");

    let finished = client
        .profit_sharing()
        .finish_order(
            &FinishOrderRequest::builder()
                .sub_mchid("1900000109")
                .transaction_id("4208450740201411110007820472")
                .out_order_no("P20261130000004")
                .description("分账完结")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(finished.out_order_no, "P20261130000004");
}

#[tokio::test]
async fn path_segments_are_encoded_as_python_quotes_them() {
    let simulator = Simulator::start().await.unwrap();
    let client = client(&simulator, VerificationMode::PublicKey).await;
    let values = ["42/../x?y=1#z", "100%", "a b+c&d", "订单-1._~"];
    for value in values {
        simulator.add_transaction("1900000109", value, 100).unwrap();
        let answer = client
            .profit_sharing()
            .query_order_amounts(
                &QueryOrderAmountsRequest::builder()
                    .transaction_id(value)
                    .build()
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(
            answer.transaction_id, value,
            "the simulator decoded one segment"
        );
        let seen = simulator.requests().pop().unwrap();
        let quoted = Command::new("python3")
            .args([
                "-c",
                "import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=''), end='')",
                value,
            ])
            .output()
            .expect("python3 is the reference for path encoding");
        let quoted = String::from_utf8(quoted.stdout).unwrap();
        assert_eq!(
            seen.path_and_query,
            format!("/v3/ecommerce/profitsharing/orders/{quoted}/amounts")
        );
    }
    for dots in [".", ".."] {
        // The builder refuses it, and so does the client with a request written as a literal.
        let built = QueryOrderAmountsRequest::builder()
            .transaction_id(dots)
            .build();
        assert_eq!(built.unwrap_err().rule, ParameterRule::DotSegment);
        let literal = QueryOrderAmountsRequest {
            transaction_id: dots.into(),
        };
        match client.profit_sharing().query_order_amounts(&literal).await {
            Err(Error::InvalidRequest(invalid)) => {
                assert_eq!(invalid.rule, ParameterRule::DotSegment)
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_post_that_is_not_idempotent_is_sent_once_and_an_idempotent_one_again_with_the_same_bytes()
 {
    let simulator = Simulator::start().await.unwrap();
    let client = client(&simulator, VerificationMode::PublicKey).await;
    add_person(&client).await;
    simulator.inject_on(
        "/v3/ecommerce/profitsharing/receivers/add",
        common::status(500, "SYSTEM_ERROR"),
        3,
    );
    let error = client
        .profit_sharing()
        .add_receiver(&common::supplier())
        .await
        .unwrap_err();
    assert_eq!(error.api().unwrap().status, 500);
    assert_eq!(simulator.requests().len(), 2, "sent once");

    simulator.inject_on(
        "/v3/ecommerce/profitsharing/orders",
        common::status(500, "SYSTEM_ERROR"),
        1,
    );
    client
        .profit_sharing()
        .create_order(&split(Some("张三")))
        .await
        .unwrap();
    let seen: Vec<_> = simulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path_and_query.ends_with("/orders"))
        .collect();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].status, Some(500));
    assert_eq!(
        seen[0].body, seen[1].body,
        "the same bytes, the same ciphertext"
    );
    assert_ne!(
        seen[0].authorization, seen[1].authorization,
        "signed afresh"
    );
}

#[tokio::test]
async fn a_post_that_is_not_idempotent_is_retried_when_the_connection_could_not_be_made() {
    let simulator = Simulator::start().await.unwrap();
    let client = simulator
        .client_builder(VerificationMode::PublicKey)
        .unwrap()
        .base_url(common::dead_base_url())
        .backup_base_url(simulator.base_url())
        // Kept: failover(true) does not replace a backup host given before.
        .failover(true)
        .retry_policy(common::quick_retries())
        .build()
        .unwrap();
    client
        .profit_sharing()
        .add_receiver(&common::supplier())
        .await
        .unwrap();
    assert_eq!(simulator.requests().len(), 1);
}

#[tokio::test]
async fn nested_rules_are_checked_before_sending_and_name_the_path() {
    let simulator = Simulator::start().await.unwrap();
    let client = client(&simulator, VerificationMode::PublicKey).await;
    let mut request = split(None);
    let mut second = receiver(None);
    second.description = "长".repeat(81);
    request.receivers.push(second);
    match client.profit_sharing().create_order(&request).await {
        Err(Error::InvalidRequest(invalid)) => {
            assert_eq!(invalid.parameter, "receivers[1].description");
            assert_eq!(
                invalid.rule,
                ParameterRule::MaxLength {
                    max: 80,
                    actual: 81
                }
            );
        }
        other => panic!("{other:?}"),
    }
    request.receivers = (0..51).map(|_| receiver(None)).collect();
    match client.profit_sharing().create_order(&request).await {
        Err(Error::InvalidRequest(invalid)) => {
            assert_eq!(invalid.parameter, "receivers");
            assert_eq!(
                invalid.rule,
                ParameterRule::MaxItems {
                    max: 50,
                    actual: 51
                }
            );
        }
        other => panic!("{other:?}"),
    }
    request.receivers.clear();
    assert!(matches!(
        client.profit_sharing().create_order(&request).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(simulator.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn the_simulator_checks_a_body_like_the_real_api() {
    let simulator = Simulator::start().await.unwrap();
    simulator.set_accept_unsigned(true);
    let post = |body: &'static str, content_type: &'static str| {
        common::unsigned_post(&simulator, "/v3/ecommerce/profitsharing/receivers/add")
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let answer = post(
        r#"{"type":"MERCHANT_ID","account":"1","relation_type":7}"#,
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(body["code"], "PARAM_ERROR");
    assert_eq!(body["detail"]["field"], "relation_type");

    let answer = post(
        r#"{"type":"MERCHANT_ID","account":"1","relation_type":"SUPPLIER"}"#,
        "text/plain",
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(body["code"], "INVALID_REQUEST");

    let answer = post(
        r#"{"type":"MERCHANT_ID","account":"1","name":"n","relation_type":"SUPPLIER"}"#,
        "application/json; charset=utf-8",
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), 200);

    // A sensitive field that does not decrypt is refused, naming it.
    let answer = common::unsigned_post(&simulator, "/v3/ecommerce/profitsharing/orders")
        .header("content-type", "application/json")
        .header(
            "wechatpay-serial",
            simulator.credentials().wechatpay_public_key_id.clone(),
        )
        .body(
            r#"{"sub_mchid":"1900000109","transaction_id":"4208450740201411110007820472",
                "out_order_no":"P1","finish":false,"receivers":[{"type":"MERCHANT_ID",
                "receiver_account":"1","amount":1,"description":"d","receiver_name":"bm90IGNpcGhlcnRleHQ="}]}"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(body["detail"]["field"], "receivers[0].receiver_name");
}

#[tokio::test]
async fn behind_a_gateway_with_a_path_prefix_the_client_signs_exactly_the_path_it_sends() {
    let simulator = Simulator::start().await.unwrap();
    // A gateway in front of WeChat Pay, reached under a prefix of its own (with a trailing `/`
    // and a character the URL encodes).
    let client = simulator
        .client_builder(VerificationMode::PublicKey)
        .unwrap()
        .base_url(format!("{}/pay gateway/wechat/", simulator.base_url()))
        .no_retries()
        .build()
        .unwrap();
    let error = client
        .profit_sharing()
        .query_order(&common::order_request())
        .await
        .unwrap_err();
    // The simulator checked the signature over the path it received before it looked for the
    // route: a bad signature would be 401 SIGN_ERROR; this is WeChat Pay's 404 for a path it does
    // not serve, signed.
    let api = error.api().unwrap_or_else(|| panic!("{error:?}"));
    assert_eq!((api.status, api.verified), (404, true), "{error}");
    let seen = simulator.requests().pop().unwrap();
    assert_eq!(
        seen.path_and_query,
        "/pay%20gateway/wechat/v3/ecommerce/profitsharing/orders?sub_mchid=1900000109&transaction_id=4208450740201411110007820472&out_order_no=P20150806125346"
    );
    // The message signed names that path, byte for byte: openssl makes the same signature.
    let (message, signature) = signed_message(&seen);
    assert!(message.starts_with(b"GET\n/pay%20gateway/wechat/v3/"));
    assert_eq!(
        signature,
        openssl_signature(&simulator, "operations-gateway", &message)
    );
}
