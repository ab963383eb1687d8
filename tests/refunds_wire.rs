//! The refunds family (退款) on the wire, over loopback against the simulator: one test per
//! operation proving the request line, the exact body bytes, the signature over them (verified by
//! `openssl dgst`), the encryption of the abnormal refund's bank card and name (decrypted by
//! `openssl pkeyutl`), and the decoded answer; and the simulator's refusals of a refund of more
//! than is left and of a refund number reused for another refund.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use wechatpay_ecommerce::profit_sharing::FinishOrderRequest;
use wechatpay_ecommerce::refunds::{
    AbnormalRefundType, ApplyAbnormalRefundRequest, ApplyRefundAmount, ApplyRefundRequest,
    ApplyRefundResponse, ApplyRefundTransactionIdOrOutTradeNo, BankType, FundsAccount,
    ProcessingResult, QueryRefundByIdRequest, QueryRefundByOutRefundNoRequest,
    QueryRefundReturnAdvanceRequest, RefundAccount, RefundChannel, RefundStatus,
    ReturnAdvanceRequest,
};
use wechatpay_ecommerce::simulator::{
    DEFAULT_PROCESSING_DELAY, RefundOutcome, SeenRequest, Simulator, VerificationMode,
};
use wechatpay_ecommerce::{ApiError, Client, Error, ErrorCode, WechatPayPublicKey};

/// The doc pages' paid transaction in the simulator's default fixtures: its sub-merchant, its
/// two numbers and what the buyer paid.
const SUB_MCHID: &str = "1900000109";
const TRANSACTION_ID: &str = "4208450740201411110007820472";
const OUT_TRADE_NO: &str = "1217752501201407033233368018";
const PAID: i64 = 1000;

/// A simulator whose clock moves only when the test advances it, so that a refund stays
/// `PROCESSING` until then.
async fn simulator() -> Simulator {
    Simulator::builder().clock_speed(0.0).start().await.unwrap()
}

async fn client(simulator: &Simulator) -> Client {
    simulator
        .client_builder(VerificationMode::PublicKey)
        .unwrap()
        .retry_policy(common::quick_retries())
        .build()
        .unwrap()
}

/// A refund of `refund` fen of the example transaction, by its transaction id, under
/// `out_refund_no`, funded as the simulator chooses (no account named).
fn refund(out_refund_no: &str, refund: i64) -> ApplyRefundRequest {
    ApplyRefundRequest::builder()
        .sub_mchid(SUB_MCHID)
        .sp_appid("wx8888888888888888")
        .transaction_id_or_out_trade_no(ApplyRefundTransactionIdOrOutTradeNo::TransactionId(
            TRANSACTION_ID.into(),
        ))
        .out_refund_no(out_refund_no)
        .reason("商品已售完")
        .amount(
            ApplyRefundAmount::builder()
                .refund(refund)
                .total(PAID)
                .currency("CNY")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

/// Applies for a refund that the platform advances (电商平台垫付).
async fn advanced_refund(client: &Client, out_refund_no: &str, amount: i64) -> ApplyRefundResponse {
    let mut request = refund(out_refund_no, amount);
    request.refund_account = Some(RefundAccount::RefundSourcePartnerAdvance);
    client.refunds().apply(&request).await.unwrap().into_data()
}

/// Finishes the example transaction's split: its frozen money goes to the sub-merchant's
/// available balance, from which it returns an advance.
async fn finish_split(client: &Client) {
    let finish = FinishOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(TRANSACTION_ID)
        .out_order_no("P20261130000009")
        .description("分账完结")
        .build()
        .unwrap();
    client.profit_sharing().finish_order(&finish).await.unwrap();
}

/// The error answer of a call; anything else fails the test.
fn api_error<T: std::fmt::Debug>(result: Result<T, Error>) -> Box<ApiError> {
    match result {
        Err(Error::Api(api)) => api,
        other => panic!("expected an error answer of WeChat Pay, got {other:?}"),
    }
}

/// The last request the simulator received.
fn last_request(simulator: &Simulator) -> SeenRequest {
    simulator.requests().pop().unwrap()
}

/// Runs `openssl` with `args` in `dir`, feeding `stdin`: whether it succeeded, and its output.
/// For the checks that must be able to say no (`common::openssl` fails the test instead).
fn openssl_status(dir: &Path, args: &[&str], stdin: &[u8]) -> (bool, Vec<u8>) {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the openssl command line is needed as the tests' reference");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    (output.status.success(), output.stdout)
}

/// The request `seen` names the simulator's WeChat Pay public key in `Wechatpay-Serial`.
fn assert_names_public_key(simulator: &Simulator, seen: &SeenRequest) {
    assert_eq!(
        seen.wechatpay_serial.as_deref(),
        Some(simulator.credentials().wechatpay_public_key_id.as_str())
    );
}

/// `value` percent-encoded as one path segment by Python (`urllib.parse.quote`, nothing safe).
fn python_quote(value: &str) -> String {
    let quoted = Command::new("python3")
        .args([
            "-c",
            "import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=''), end='')",
            value,
        ])
        .output()
        .expect("python3 is the reference for path encoding");
    assert!(quoted.status.success());
    String::from_utf8(quoted.stdout).unwrap()
}

#[tokio::test]
async fn apply_sends_the_body_byte_for_byte_signed_and_is_accepted() {
    let simulator = simulator().await;
    let client = client(&simulator).await;
    let mut request = refund("R20261130000001", 300);
    request.notify_url = Some("https://weixin.qq.com".into());
    let answer = client.refunds().apply(&request).await.unwrap();

    let seen = last_request(&simulator);
    assert_eq!(
        (seen.method.as_str(), seen.path_and_query.as_str()),
        ("POST", "/v3/ecommerce/refunds/apply")
    );
    assert_eq!(seen.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        seen.body,
        r#"{"sub_mchid":"1900000109","sp_appid":"wx8888888888888888","transaction_id":"4208450740201411110007820472","out_refund_no":"R20261130000001","reason":"商品已售完","amount":{"refund":300,"total":1000,"currency":"CNY"},"notify_url":"https://weixin.qq.com"}"#
    );
    // No sensitive field: in public-key mode the header still names the key, to ask for answers
    // signed with it.
    assert_names_public_key(&simulator, &seen);
    assert_eq!(seen.status, Some(200));
    common::assert_signed_by_merchant(&simulator, "refunds-wire-apply", &seen);

    // Accepted: a refund id of WeChat Pay's, the amounts, funded by the sub-merchant.
    assert!(!answer.refund_id.is_empty());
    assert_eq!(answer.out_refund_no, "R20261130000001");
    assert_eq!(answer.create_time, simulator.now());
    assert_eq!(answer.amount.refund, 300);
    assert_eq!(answer.amount.payer_refund, 300);
    assert_eq!(answer.amount.currency.as_deref(), Some("CNY"));
    assert_eq!(answer.amount.advance, None);
    assert!(answer.amount.from.is_empty(), "one account funds it");
    assert_eq!(
        answer.refund_account,
        Some(RefundAccount::RefundSourceSubMerchant)
    );

    // The other of the two numbers (二选一): `out_trade_no` where `transaction_id` was, and only
    // it; the platform's advance named last.
    let mut by_trade = refund("R20261130000002", 200);
    by_trade.transaction_id_or_out_trade_no =
        ApplyRefundTransactionIdOrOutTradeNo::OutTradeNo(OUT_TRADE_NO.into());
    by_trade.reason = None;
    by_trade.refund_account = Some(RefundAccount::RefundSourcePartnerAdvance);
    let second = client.refunds().apply(&by_trade).await.unwrap();
    let seen = last_request(&simulator);
    assert_eq!(
        seen.body,
        r#"{"sub_mchid":"1900000109","sp_appid":"wx8888888888888888","out_trade_no":"1217752501201407033233368018","out_refund_no":"R20261130000002","amount":{"refund":200,"total":1000,"currency":"CNY"},"refund_account":"REFUND_SOURCE_PARTNER_ADVANCE"}"#
    );
    common::assert_signed_by_merchant(&simulator, "refunds-wire-apply-2", &seen);
    assert_ne!(second.refund_id, answer.refund_id);
    assert_eq!(second.amount.advance, Some(200));
    assert_eq!(
        second.refund_account,
        Some(RefundAccount::RefundSourcePartnerAdvance)
    );
}

#[tokio::test]
async fn query_by_id_sends_the_id_in_the_path_and_sub_mchid_in_the_query() {
    let simulator = simulator().await;
    let client = client(&simulator).await;
    let applied = client
        .refunds()
        .apply(&refund("R20261130000011", 300))
        .await
        .unwrap();
    let query = QueryRefundByIdRequest::builder()
        .refund_id(applied.refund_id.clone())
        .sub_mchid(SUB_MCHID)
        .build()
        .unwrap();
    let processing = client.refunds().query_by_id(&query).await.unwrap();

    let seen = last_request(&simulator);
    assert_eq!(seen.method, "GET");
    assert_eq!(
        seen.path_and_query,
        format!(
            "/v3/ecommerce/refunds/id/{}?sub_mchid=1900000109",
            python_quote(&applied.refund_id)
        )
    );
    assert_eq!(
        (seen.body.as_str(), seen.content_type.as_deref()),
        ("", None)
    );
    assert_names_public_key(&simulator, &seen);
    common::assert_signed_by_merchant(&simulator, "refunds-wire-by-id", &seen);

    assert_eq!(processing.refund_id, applied.refund_id);
    assert_eq!(processing.out_refund_no, "R20261130000011");
    assert_eq!(processing.transaction_id, TRANSACTION_ID);
    assert_eq!(processing.out_trade_no, OUT_TRADE_NO);
    assert_eq!(processing.status, RefundStatus::Processing);
    assert_eq!(processing.success_time, None);
    assert_eq!(processing.create_time, applied.create_time);
    assert_eq!(processing.channel, Some(RefundChannel::Original));
    assert_eq!(
        processing.user_received_account.as_deref(),
        Some("支付用户零钱")
    );
    assert_eq!(processing.amount.refund, 300);
    assert_eq!(processing.amount.payer_refund, 300);
    assert_eq!(processing.amount.advance, None);
    assert_eq!(
        processing.refund_account,
        Some(RefundAccount::RefundSourceSubMerchant)
    );
    // Nothing split yet: the transaction's frozen money (不可用余额) funds it.
    assert_eq!(processing.funds_account, Some(FundsAccount::Unavailable));

    simulator.advance(DEFAULT_PROCESSING_DELAY);
    let done = client.refunds().query_by_id(&query).await.unwrap();
    assert_eq!(done.status, RefundStatus::Success);
    assert_eq!(
        done.success_time,
        Some(applied.create_time + DEFAULT_PROCESSING_DELAY)
    );
    assert_eq!(done.refund_id, applied.refund_id);

    // Another sub-merchant's refund is not found.
    let other = QueryRefundByIdRequest::builder()
        .refund_id(applied.refund_id.clone())
        .sub_mchid("1900000110")
        .build()
        .unwrap();
    let api = api_error(client.refunds().query_by_id(&other).await);
    assert_eq!(
        (api.status, api.code),
        (404, Some(ErrorCode::ResourceNotExists))
    );
    assert_eq!(
        last_request(&simulator).path_and_query,
        format!(
            "/v3/ecommerce/refunds/id/{}?sub_mchid=1900000110",
            applied.refund_id
        )
    );
}

#[tokio::test]
async fn query_by_out_refund_no_percent_encodes_the_number_as_python_quotes_it() {
    let simulator = simulator().await;
    let client = client(&simulator).await;
    // Every character the page allows besides letters and digits: _ - | * @.
    let number = "R2026_11-30|A*1@b";
    let applied = client.refunds().apply(&refund(number, 250)).await.unwrap();
    assert_eq!(applied.out_refund_no, number);
    let query = QueryRefundByOutRefundNoRequest::builder()
        .out_refund_no(number)
        .sub_mchid(SUB_MCHID)
        .build()
        .unwrap();
    let processing = client
        .refunds()
        .query_by_out_refund_no(&query)
        .await
        .unwrap();

    let seen = last_request(&simulator);
    assert_eq!(seen.method, "GET");
    let quoted = python_quote(number);
    assert_eq!(quoted, "R2026_11-30%7CA%2A1%40b", "the reference itself");
    assert_eq!(
        seen.path_and_query,
        format!("/v3/ecommerce/refunds/out-refund-no/{quoted}?sub_mchid=1900000109")
    );
    assert_eq!(
        (seen.body.as_str(), seen.content_type.as_deref()),
        ("", None)
    );
    assert_names_public_key(&simulator, &seen);
    common::assert_signed_by_merchant(&simulator, "refunds-wire-by-number", &seen);

    assert_eq!(processing.out_refund_no, number, "the simulator decoded it");
    assert_eq!(processing.refund_id, applied.refund_id);
    assert_eq!(processing.status, RefundStatus::Processing);
    assert_eq!(processing.amount.refund, 250);
    assert_eq!(processing.success_time, None);

    simulator.advance(DEFAULT_PROCESSING_DELAY);
    let done = client
        .refunds()
        .query_by_out_refund_no(&query)
        .await
        .unwrap();
    assert_eq!(done.status, RefundStatus::Success);
    assert_eq!(
        done.success_time,
        Some(applied.create_time + DEFAULT_PROCESSING_DELAY)
    );
    // The same refund, by either number.
    let by_id = client
        .refunds()
        .query_by_id(
            &QueryRefundByIdRequest::builder()
                .refund_id(applied.refund_id.clone())
                .sub_mchid(SUB_MCHID)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(*by_id, *done);
}

#[tokio::test]
async fn return_advance_posts_only_sub_mchid_and_moves_the_advance_back() {
    let simulator = simulator().await;
    let client = client(&simulator).await;
    let platform = simulator.credentials().mchid.clone();
    let applied = advanced_refund(&client, "R20261130000021", 300).await;
    assert_eq!(applied.amount.advance, Some(300));
    assert_eq!(simulator.available_balance(&platform), -300);

    let request = ReturnAdvanceRequest::builder()
        .refund_id(applied.refund_id.clone())
        .sub_mchid(SUB_MCHID)
        .build()
        .unwrap();
    // Still PROCESSING: not yet returned.
    let api = api_error(client.refunds().return_advance(&request).await);
    assert_eq!(
        (api.status, api.code),
        (404, Some(ErrorCode::ResourceNotExists))
    );
    simulator.advance(DEFAULT_PROCESSING_DELAY);
    // SUCCESS, but the sub-merchant has no available balance yet (its money is frozen).
    let api = api_error(client.refunds().return_advance(&request).await);
    assert_eq!((api.status, api.code), (403, Some(ErrorCode::NotEnough)));
    finish_split(&client).await;
    assert_eq!(simulator.available_balance(SUB_MCHID), PAID);

    let returned = client.refunds().return_advance(&request).await.unwrap();
    let seen = last_request(&simulator);
    assert_eq!(seen.method, "POST");
    assert_eq!(
        seen.path_and_query,
        format!(
            "/v3/ecommerce/refunds/{}/return-advance",
            python_quote(&applied.refund_id)
        )
    );
    assert_eq!(seen.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        seen.body, r#"{"sub_mchid":"1900000109"}"#,
        "the refund id travels in the path only"
    );
    assert_names_public_key(&simulator, &seen);
    common::assert_signed_by_merchant(&simulator, "refunds-wire-return-advance", &seen);

    assert_eq!(returned.refund_id, applied.refund_id);
    assert!(!returned.advance_return_id.is_empty());
    assert_eq!(returned.return_amount, 300);
    assert_eq!(returned.payer_mchid, SUB_MCHID);
    assert_eq!(returned.payer_account, FundsAccount::Basic);
    assert_eq!(returned.payee_mchid, platform);
    assert_eq!(returned.payee_account, FundsAccount::Basic);
    assert_eq!(returned.result, ProcessingResult::Success);
    assert_eq!(returned.success_time, Some(simulator.now()));
    assert_eq!(simulator.available_balance(SUB_MCHID), PAID - 300);
    assert_eq!(simulator.available_balance(&platform), 0);

    // Sent again (an idempotent POST): the same answer, nothing moves twice.
    let again = client.refunds().return_advance(&request).await.unwrap();
    assert_eq!(*again, *returned);
    assert_eq!(simulator.available_balance(SUB_MCHID), PAID - 300);
}

#[tokio::test]
async fn query_return_advance_sends_the_id_in_the_path_and_answers_the_return() {
    let simulator = simulator().await;
    let client = client(&simulator).await;
    let applied = advanced_refund(&client, "R20261130000031", 400).await;
    let query = QueryRefundReturnAdvanceRequest::builder()
        .refund_id(applied.refund_id.clone())
        .sub_mchid(SUB_MCHID)
        .build()
        .unwrap();
    // Nothing returned yet.
    let api = api_error(client.refunds().query_return_advance(&query).await);
    assert_eq!(
        (api.status, api.code),
        (404, Some(ErrorCode::ResourceNotExists))
    );

    simulator.advance(DEFAULT_PROCESSING_DELAY);
    finish_split(&client).await;
    let returned = client
        .refunds()
        .return_advance(
            &ReturnAdvanceRequest::builder()
                .refund_id(applied.refund_id.clone())
                .sub_mchid(SUB_MCHID)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    simulator.advance(Duration::from_secs(60));
    let queried = client.refunds().query_return_advance(&query).await.unwrap();

    let seen = last_request(&simulator);
    assert_eq!(seen.method, "GET");
    assert_eq!(
        seen.path_and_query,
        format!(
            "/v3/ecommerce/refunds/{}/return-advance?sub_mchid=1900000109",
            python_quote(&applied.refund_id)
        )
    );
    assert_eq!(
        (seen.body.as_str(), seen.content_type.as_deref()),
        ("", None)
    );
    assert_names_public_key(&simulator, &seen);
    common::assert_signed_by_merchant(&simulator, "refunds-wire-query-return", &seen);

    assert_eq!(*queried, *returned, "the return, as it was done");
    assert_eq!(queried.refund_id, applied.refund_id);
    assert_eq!(queried.return_amount, 400);
    assert_eq!(queried.payer_mchid, SUB_MCHID);
    assert_eq!(queried.payee_mchid, simulator.credentials().mchid);
    assert_eq!(queried.result, ProcessingResult::Success);
    assert!(queried.success_time.is_some());
}

/// 发起异常退款 of `refund_id` to the buyer's CMB debit card.
fn abnormal(
    refund_id: &str,
    out_refund_no: &str,
    card: &str,
    name: &str,
) -> ApplyAbnormalRefundRequest {
    ApplyAbnormalRefundRequest::builder()
        .refund_id(refund_id)
        .sub_mchid(SUB_MCHID)
        .out_refund_no(out_refund_no)
        .abnormal_refund_type(AbnormalRefundType::UserBankCard)
        .bank_type(BankType::CmbDebit)
        .bank_account(card)
        .real_name(name)
        .build()
        .unwrap()
}

/// The body of an abnormal refund as sent: its fields in the struct's order, exactly, with the
/// two ciphertexts it carries (base64, each as long as an RSA-2048 block); and the ciphertexts.
fn abnormal_body_ciphertexts(body: &str, out_refund_no: &str) -> (Vec<u8>, Vec<u8>) {
    let value: serde_json::Value = serde_json::from_str(body).unwrap();
    let account = value["bank_account"].as_str().unwrap();
    let name = value["real_name"].as_str().unwrap();
    assert_eq!(
        body,
        format!(
            r#"{{"sub_mchid":"1900000109","out_refund_no":"{out_refund_no}","type":"USER_BANK_CARD","bank_type":"CMB_DEBIT","bank_account":"{account}","real_name":"{name}"}}"#
        ),
        "no refund_id in the body, the fields in order"
    );
    let (account, name) = (
        STANDARD.decode(account).unwrap(),
        STANDARD.decode(name).unwrap(),
    );
    assert_eq!((account.len(), name.len()), (256, 256));
    (account, name)
}

#[tokio::test]
async fn apply_abnormal_refund_sends_the_card_and_name_encrypted_to_the_key_it_names() {
    let simulator = simulator().await;
    let client = client(&simulator).await;
    let (card, name) = ("6214830000001234", "张三");
    simulator.end_next_refund_as(RefundOutcome::Abnormal);
    let applied = client
        .refunds()
        .apply(&refund("R20261130000041", 300))
        .await
        .unwrap();
    simulator.advance(DEFAULT_PROCESSING_DELAY);
    let by_id = QueryRefundByIdRequest::builder()
        .refund_id(applied.refund_id.clone())
        .sub_mchid(SUB_MCHID)
        .build()
        .unwrap();
    assert_eq!(
        client.refunds().query_by_id(&by_id).await.unwrap().status,
        RefundStatus::Abnormal
    );
    let request = abnormal(&applied.refund_id, "R20261130000041", card, name);
    let path = format!(
        "/v3/ecommerce/refunds/{}/apply-abnormal-refund",
        python_quote(&applied.refund_id)
    );

    // 1. A client given a WeChat Pay public key whose private half openssl holds: the fields
    // on the wire decrypt with `openssl pkeyutl` (RSAES-OAEP, SHA-1, MGF1-SHA-1) to the plaintext,
    // and `Wechatpay-Serial` names that key. The simulator cannot decrypt them, and refuses.
    let dir = common::scratch_dir("refunds-wire-abnormal-oaep");
    let (private, _, public) = common::openssl_rsa_key(&dir, "wechatpay", 2048);
    let own_id = "PUB_KEY_ID_0114232806712025022800000000000001";
    let own = simulator
        .client_builder(VerificationMode::PublicKey)
        .unwrap()
        .wechatpay_public_key(WechatPayPublicKey::from_pem_file(own_id, &public).unwrap())
        .no_retries()
        .build()
        .unwrap();
    // The simulator holds no key of that id: 400 PARAM_ERROR about the header, an answer this
    // client cannot verify (signed with the platform certificate).
    let refused = api_error(own.refunds().apply_abnormal_refund(&request).await);
    assert_eq!(
        (refused.status, refused.code, refused.verified),
        (400, Some(ErrorCode::ParamError), false)
    );
    assert_eq!(
        refused.detail.and_then(|d| d.field).as_deref(),
        Some("Wechatpay-Serial")
    );
    let seen = last_request(&simulator);
    assert_eq!(
        (seen.method.as_str(), seen.path_and_query.as_str()),
        ("POST", path.as_str())
    );
    assert_eq!(seen.status, Some(400), "the simulator holds no such key");
    assert_eq!(seen.wechatpay_serial.as_deref(), Some(own_id));
    assert!(
        !seen.body.contains(card) && !seen.body.contains(name),
        "{}",
        seen.body
    );
    let (account_sealed, name_sealed) = abnormal_body_ciphertexts(&seen.body, "R20261130000041");
    let private = private.to_str().unwrap();
    let decrypt = |ciphertext: &[u8], md: &str| {
        let (md, mgf1) = (format!("rsa_oaep_md:{md}"), format!("rsa_mgf1_md:{md}"));
        openssl_status(
            &dir,
            &[
                "pkeyutl",
                "-decrypt",
                "-inkey",
                private,
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                &md,
                "-pkeyopt",
                &mgf1,
            ],
            ciphertext,
        )
    };
    assert_eq!(
        decrypt(&account_sealed, "sha1"),
        (true, card.as_bytes().to_vec())
    );
    assert_eq!(
        decrypt(&name_sealed, "sha1"),
        (true, name.as_bytes().to_vec())
    );
    assert!(
        !decrypt(&account_sealed, "sha256").0,
        "OAEP with SHA-1, not SHA-256"
    );
    common::assert_signed_by_merchant(&simulator, "refunds-wire-abnormal-own", &seen);

    // 2. The simulator's own key: the same request is taken and the refund sent again.
    let answer = client
        .refunds()
        .apply_abnormal_refund(&request)
        .await
        .unwrap();
    let seen = last_request(&simulator);
    assert_eq!(
        (seen.method.as_str(), seen.path_and_query.as_str()),
        ("POST", path.as_str())
    );
    assert_eq!(seen.status, Some(200));
    assert_eq!(seen.content_type.as_deref(), Some("application/json"));
    assert_names_public_key(&simulator, &seen);
    assert!(
        !seen.body.contains(card) && !seen.body.contains(name),
        "{}",
        seen.body
    );
    let (again, _) = abnormal_body_ciphertexts(&seen.body, "R20261130000041");
    assert_ne!(again, account_sealed, "a fresh ciphertext for another key");
    common::assert_signed_by_merchant(&simulator, "refunds-wire-abnormal", &seen);

    assert_eq!(answer.refund_id, applied.refund_id);
    assert_eq!(answer.out_refund_no, "R20261130000041");
    assert_eq!(answer.status, RefundStatus::Processing);
    assert_eq!(answer.channel, Some(RefundChannel::OtherBankcard));
    // The card's last four digits: what the simulator decrypted.
    assert_eq!(
        answer.user_received_account.as_deref(),
        Some("CMB_DEBIT借记卡1234")
    );
    assert_eq!(answer.amount.refund, 300);
    assert_eq!(answer.success_time, None);

    simulator.advance(DEFAULT_PROCESSING_DELAY);
    let done = client.refunds().query_by_id(&by_id).await.unwrap();
    assert_eq!(done.status, RefundStatus::Success);
    assert_eq!(done.success_time, Some(simulator.now()));
    assert_eq!(done.channel, Some(RefundChannel::OtherBankcard));
}

#[tokio::test]
async fn a_refund_of_more_than_is_left_and_a_number_reused_for_another_amount_are_refused() {
    let simulator = simulator().await;
    let client = client(&simulator).await;
    let first = refund("R20261130000051", 600);
    let accepted = client.refunds().apply(&first).await.unwrap();

    // 400 fen are left: 401 is refused, and nothing is recorded under its number.
    let api = api_error(
        client
            .refunds()
            .apply(&refund("R20261130000052", PAID - 600 + 1))
            .await,
    );
    assert_eq!(
        (api.status, api.code.clone(), api.verified),
        (400, Some(ErrorCode::InvalidRequest), true)
    );
    assert!(
        api.message.contains("退款金额超过订单可退金额"),
        "{}",
        api.message
    );
    let missing = api_error(
        client
            .refunds()
            .query_by_out_refund_no(
                &QueryRefundByOutRefundNoRequest::builder()
                    .out_refund_no("R20261130000052")
                    .sub_mchid(SUB_MCHID)
                    .build()
                    .unwrap(),
            )
            .await,
    );
    assert_eq!(missing.code, Some(ErrorCode::ResourceNotExists));

    // The first number again with another amount (one that is left): refused.
    let mut reused = first.clone();
    reused.amount.refund = 100;
    let api = api_error(client.refunds().apply(&reused).await);
    assert_eq!(
        (api.status, api.code.clone()),
        (400, Some(ErrorCode::InvalidRequest))
    );
    assert!(api.message.contains("R20261130000051"), "{}", api.message);
    assert_eq!(last_request(&simulator).status, Some(400));

    // The same request again is the same refund, not a second one.
    let retried = client.refunds().apply(&first).await.unwrap();
    assert_eq!(retried.refund_id, accepted.refund_id);
    // Exactly what is left is taken; then nothing is.
    client
        .refunds()
        .apply(&refund("R20261130000053", PAID - 600))
        .await
        .unwrap();
    let api = api_error(client.refunds().apply(&refund("R20261130000054", 1)).await);
    assert_eq!(
        (api.status, api.code),
        (400, Some(ErrorCode::InvalidRequest))
    );
}
