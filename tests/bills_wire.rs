//! Bills end to end over loopback: the simulator writes a day's bills from its journal, the client
//! applies, downloads (signed GET, no signature on the file), unpacks, decrypts and parses them,
//! and every check fails when it should: a hash mismatch, a truncated gzip, a tampered
//! ciphertext, a wrong key, an empty bill, a column the crate does not know. The decryption is
//! checked against Python `cryptography` (with the key `openssl pkeyutl` decrypts) and the hash
//! against `sha1sum`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Duration;

use chrono::{Days, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use wechatpay_ecommerce::bills::{
    ApplyFundFlowBillRequest, ApplySubMerchantFundFlowBillRequest, ApplyTradeBillRequest,
    BillAlgorithm, BillType, SubMerchantBillAccountType, TarType,
};
use wechatpay_ecommerce::profit_sharing::{
    CreateOrderReceiver, CreateOrderRequest, FinishOrderRequest, ReceiverType,
};
use wechatpay_ecommerce::refunds::{
    ApplyRefundAmount, ApplyRefundRequest, ApplyRefundTransactionIdOrOutTradeNo,
};
use wechatpay_ecommerce::simulator::{BillCorruption, Simulator};
use wechatpay_ecommerce::{
    BillError, BillRows, Client, FlowDirection, FundFlowBillRow, FundFlowBillSummary, MerchantKey,
    RequestSigner,
};

const SUB: &str = "1900000109";
const SUPPLIER: &str = "190001001";
const DELAY: Duration = Duration::from_secs(60);

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

async fn start() -> (Simulator, Client, NaiveDate) {
    let (simulator, client) = common::still_simulator_with_supplier(DELAY).await;
    let day = simulator.now().with_timezone(&beijing()).date_naive();
    (simulator, client, day)
}

/// Moves the clock to 01:00 of the next day (Beijing time): the day's bills can be made.
fn next_day(simulator: &Simulator, day: NaiveDate) {
    let midnight = beijing()
        .from_local_datetime(
            &day.checked_add_days(Days::new(1))
                .unwrap()
                .and_time(NaiveTime::MIN),
        )
        .unwrap();
    let wait = (midnight - simulator.now()).to_std().unwrap();
    simulator.advance(wait + Duration::from_secs(3600));
}

fn date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// Pays T1 (1000) and T2 (500), refunds 200 of T1, splits 300 of T2... the day's movements.
async fn a_day(simulator: &Simulator, client: &Client) {
    simulator.add_transaction(SUB, "T1", 1000).unwrap();
    simulator.add_transaction(SUB, "T2", 500).unwrap();
    let refund = ApplyRefundRequest::builder()
        .sub_mchid(SUB)
        .sp_appid("wx8888888888888888")
        .transaction_id_or_out_trade_no(ApplyRefundTransactionIdOrOutTradeNo::TransactionId(
            "T1".into(),
        ))
        .out_refund_no("R1")
        .amount(ApplyRefundAmount {
            refund: 200,
            from: None,
            total: 1000,
            currency: Some("CNY".into()),
        })
        .build()
        .unwrap();
    client.refunds().apply(&refund).await.unwrap();
    let split = CreateOrderRequest::builder()
        .sub_mchid(SUB)
        .transaction_id("T2")
        .out_order_no("P1")
        .receivers(vec![CreateOrderReceiver {
            receiver_type: ReceiverType::MerchantId,
            receiver_account: SUPPLIER.into(),
            amount: 150,
            description: "货款".into(),
            receiver_name: None,
        }])
        .finish(false)
        .build()
        .unwrap();
    client.profit_sharing().create_order(&split).await.unwrap();
    let finish = FinishOrderRequest::builder()
        .sub_mchid(SUB)
        .transaction_id("T2")
        .out_order_no("F1")
        .description("分账完结")
        .build()
        .unwrap();
    client.profit_sharing().finish_order(&finish).await.unwrap();
    simulator.advance(DELAY + Duration::from_secs(1));
}

fn trade_request(day: NaiveDate, tar: Option<TarType>) -> ApplyTradeBillRequest {
    let mut request = ApplyTradeBillRequest::builder()
        .bill_date(date(day))
        .sub_mchid(SUB)
        .build()
        .unwrap();
    request.tar_type = tar;
    request
}

fn sub_merchant_request(day: NaiveDate) -> ApplySubMerchantFundFlowBillRequest {
    ApplySubMerchantFundFlowBillRequest::builder()
        .bill_date(date(day))
        .account_type(SubMerchantBillAccountType::All)
        .algorithm(BillAlgorithm::AeadAes256Gcm)
        .tar_type(TarType::Gzip)
        .build()
        .unwrap()
}

async fn all_rows<R: wechatpay_ecommerce::BillRow, S: wechatpay_ecommerce::BillRow>(
    rows: &mut BillRows<R, S>,
) -> Result<Vec<R>, BillError> {
    let mut out = Vec::new();
    while let Some(row) = rows.next().await? {
        out.push(row);
    }
    Ok(out)
}

#[tokio::test]
async fn a_day_s_trade_bill_holds_its_payments_and_refunds_and_its_sha1_is_sha1sum_s() {
    let (simulator, client, day) = start().await;
    a_day(&simulator, &client).await;
    // The day has not ended yet.
    let early = client
        .bills()
        .apply_trade_bill(&trade_request(day, None))
        .await;
    assert_eq!(
        common::error_code(&early.unwrap_err()),
        "STATEMENT_CREATING"
    );
    next_day(&simulator, day);

    let mut rows_in_a_day = 0;
    for tar in [None, Some(TarType::Gzip)] {
        let applied = client
            .bills()
            .apply_trade_bill(&trade_request(day, tar.clone()))
            .await
            .unwrap();
        let mut rows = client.download_bill(&applied).unwrap().trade_rows();
        let rows_read = all_rows(&mut rows).await.unwrap();
        let payments: Vec<_> = rows_read
            .iter()
            .filter(|r| r.trade_state == "SUCCESS")
            .collect();
        let refunds: Vec<_> = rows_read
            .iter()
            .filter(|r| r.trade_state == "REFUND")
            .collect();
        let ids: Vec<&str> = payments.iter().map(|r| r.transaction_id.as_str()).collect();
        assert!(ids.contains(&"T1") && ids.contains(&"T2"), "{ids:?}");
        assert_eq!(
            payments
                .iter()
                .find(|r| r.transaction_id == "T1")
                .unwrap()
                .settlement_amount,
            1000
        );
        assert_eq!(refunds.len(), 1);
        assert_eq!(refunds[0].refund_amount, Some(200));
        assert_eq!(refunds[0].out_refund_no.as_deref(), Some("R1"));
        assert_eq!(refunds[0].trade_time.offset(), &beijing());
        let summary = rows.summary().unwrap();
        assert_eq!(summary.count, rows_read.len() as u64);
        rows_in_a_day = rows_read.len();
        assert_eq!(summary.refund_total, 200);
        assert_eq!(
            summary.settlement_total,
            payments.iter().map(|r| r.settlement_amount).sum::<i64>()
        );
    }

    // The file on disk is the original bill: its SHA-1, by sha1sum, is the hash_value.
    let applied = client
        .bills()
        .apply_trade_bill(&trade_request(day, Some(TarType::Gzip)))
        .await
        .unwrap();
    let dir = common::scratch_dir("bills_trade");
    let path = dir.join("trade.csv");
    let size = client
        .download_bill(&applied)
        .unwrap()
        .save_to(&path)
        .await
        .unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
    let sha1sum = std::process::Command::new("sha1sum")
        .arg(&path)
        .output()
        .expect("sha1sum is the reference for SHA-1");
    let printed = String::from_utf8(sha1sum.stdout).unwrap();
    assert_eq!(
        printed.split_whitespace().next().unwrap(),
        applied.hash_value.to_lowercase()
    );
    // As streams: the rows, and the bytes (the same bill, its SHA-1 the same).
    use futures_util::TryStreamExt;
    let streamed: Vec<wechatpay_ecommerce::TradeBillRow> = client
        .download_bill(&applied)
        .unwrap()
        .trade_rows()
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), rows_in_a_day);
    let chunks: Vec<Vec<u8>> = client
        .download_bill(&applied)
        .unwrap()
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(chunks.concat(), std::fs::read(&path).unwrap());
    // And it parses again from disk.
    let file = tokio::fs::File::open(&path).await.unwrap();
    let mut again: BillRows<
        wechatpay_ecommerce::TradeBillRow,
        wechatpay_ecommerce::TradeBillSummary,
    > = BillRows::from_reader(file);
    assert_eq!(all_rows(&mut again).await.unwrap().len(), rows_in_a_day);
}

#[tokio::test]
async fn a_changed_byte_or_a_cut_gzip_is_a_typed_error_and_the_file_is_not_kept() {
    let (simulator, client, day) = start().await;
    a_day(&simulator, &client).await;
    next_day(&simulator, day);
    // A plain file with a byte changed: the SHA-1 does not match.
    let applied = client
        .bills()
        .apply_trade_bill(&trade_request(day, None))
        .await
        .unwrap();
    simulator.corrupt_next_bill(BillCorruption::FlipByte(200));
    let mut rows = client.download_bill(&applied).unwrap().trade_rows();
    let error = all_rows(&mut rows).await.unwrap_err();
    assert!(
        matches!(error, BillError::HashMismatch { part: 1, .. }),
        "{error}"
    );
    // Reading on after the error does not make the bill look whole.
    let again = rows.next().await.unwrap_err();
    assert!(
        matches!(&again, BillError::Failed(reason) if reason.contains("SHA-1")),
        "{again}"
    );
    // A gzip file cut short.
    let applied = client
        .bills()
        .apply_trade_bill(&trade_request(day, Some(TarType::Gzip)))
        .await
        .unwrap();
    simulator.corrupt_next_bill(BillCorruption::Truncate(60));
    let dir = common::scratch_dir("bills_cut");
    let path = dir.join("trade.csv");
    let error = client
        .download_bill(&applied)
        .unwrap()
        .save_to(&path)
        .await
        .unwrap_err();
    assert!(matches!(error, BillError::Gzip { part: 1, .. }), "{error}");
    assert!(!path.exists());
    assert!(!dir.join("trade.csv.partial").exists());
    // An expired URL: five minutes later, WeChat Pay's error, verified.
    simulator.advance(Duration::from_secs(301));
    let error = all_rows(&mut client.download_bill(&applied).unwrap().trade_rows())
        .await
        .unwrap_err();
    match error {
        BillError::Request(error) => assert_eq!(common::error_code(&error), "INVALID_REQUEST"),
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn the_sub_merchant_bill_in_parts_decrypts_as_python_cryptography_does_and_holds_every_movement()
 {
    let (simulator, client, day) = start().await;
    a_day(&simulator, &client).await;
    next_day(&simulator, day);
    simulator.split_sub_merchant_bills_every(300);
    let applied = client
        .bills()
        .apply_sub_merchant_fund_flow_bill(&sub_merchant_request(day))
        .await
        .unwrap();
    assert!(applied.download_bill_count > 1, "{applied:?}");
    let mut rows = client
        .download_sub_merchant_bill(&applied, &BillAlgorithm::AeadAes256Gcm)
        .unwrap()
        .fund_flow_rows();
    let read: Vec<FundFlowBillRow> = all_rows(&mut rows).await.unwrap();
    let summary: FundFlowBillSummary = rows.summary().unwrap().clone();
    assert_eq!(summary.count, read.len() as u64);
    // The split gave the supplier 150 and the finish gave the sub-merchant the other 350.
    let of = |mchid: &str| -> Vec<&FundFlowBillRow> {
        read.iter()
            .filter(|r| r.extra.get("二级商户号").map(String::as_str) == Some(mchid))
            .collect()
    };
    let supplier = of(SUPPLIER);
    assert_eq!(supplier.len(), 1);
    assert_eq!(supplier[0].amount, 150);
    assert_eq!(supplier[0].direction, FlowDirection::Income);
    assert_eq!(supplier[0].business_no, "T2");
    let sub = of(SUB);
    assert!(
        sub.iter()
            .any(|r| r.amount == 350 && r.direction == FlowDirection::Income)
    );
    // The balance column runs with the movements.
    assert_eq!(
        sub.last().unwrap().balance,
        simulator.available_balance(SUB)
    );

    // Each part, decrypted independently: the key by openssl pkeyutl (RSAES-OAEP, SHA-1) with
    // the merchant key, the part by Python cryptography's AESGCM with the nonce's bytes; joined,
    // gunzipped part by part, the bill is the one the client read.
    let dir = common::scratch_dir("bills_sub_merchant");
    let pem = simulator
        .credentials()
        .merchant_private_key_pem
        .clone()
        .unwrap();
    std::fs::write(dir.join("merchant.pem"), &pem).unwrap();
    let credentials = simulator.credentials();
    let signer = RequestSigner::new(
        &credentials.mchid,
        &credentials.merchant_serial_no,
        MerchantKey::from_pem(&pem).unwrap(),
    );
    let mut list = applied.download_bill_list.clone();
    list.sort_by_key(|p| p.bill_sequence);
    let mut joined = Vec::new();
    for part in &list {
        use base64::Engine;
        let sealed_key = base64::engine::general_purpose::STANDARD
            .decode(&part.encrypt_key)
            .unwrap();
        let key = common::openssl(
            &dir,
            &[
                "pkeyutl",
                "-decrypt",
                "-inkey",
                "merchant.pem",
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                "rsa_oaep_md:sha1",
            ],
            &sealed_key,
        );
        assert_eq!(key.len(), 32);
        let url = reqwest::Url::parse(&part.download_url).unwrap();
        let canonical = format!("{}?{}", url.path(), url.query().unwrap());
        let authorization = signer.authorize("GET", &canonical, "").unwrap();
        let sealed = reqwest::Client::new()
            .get(url)
            .header("authorization", authorization.header)
            .header("accept", "*/*")
            .header("user-agent", "test")
            .send()
            .await
            .unwrap();
        assert!(sealed.headers().get("wechatpay-signature").is_none());
        let sealed = sealed.bytes().await.unwrap();
        let gz = python_open(&key, part.nonce.as_bytes(), &sealed);
        let mut plain = Vec::new();
        use std::io::Read;
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut plain)
            .unwrap();
        let sha1 = common::openssl(&dir, &["dgst", "-sha1", "-r"], &plain);
        let sha1 = String::from_utf8(sha1).unwrap();
        assert_eq!(sha1.split_whitespace().next().unwrap(), part.hash_value);
        joined.extend_from_slice(&plain);
    }
    let text = String::from_utf8(joined).unwrap();
    assert_eq!(text.lines().count(), read.len() + 3, "{text}");
    assert!(text.lines().next().unwrap().ends_with(",二级商户号"));
}

/// Python cryptography's AESGCM decryption, no associated data: the reference.
fn python_open(key: &[u8], nonce: &[u8], sealed: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let script = "import sys\n\
                  from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n\
                  key, nonce = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])\n\
                  sys.stdout.buffer.write(AESGCM(key).decrypt(nonce, sys.stdin.buffer.read(), None))";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script, &hex(key), &hex(nonce)])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 with cryptography is the reference for AES-256-GCM");
    child.stdin.take().unwrap().write_all(sealed).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "python3 could not decrypt the part"
    );
    output.stdout
}

#[tokio::test]
async fn a_tampered_ciphertext_a_wrong_key_and_sm4_are_typed_errors() {
    let (simulator, client, day) = start().await;
    a_day(&simulator, &client).await;
    next_day(&simulator, day);
    let applied = client
        .bills()
        .apply_sub_merchant_fund_flow_bill(&sub_merchant_request(day))
        .await
        .unwrap();
    // A byte of the ciphertext changed: the GCM tag does not match.
    simulator.corrupt_next_bill(BillCorruption::FlipByte(5));
    let mut rows = client
        .download_sub_merchant_bill(&applied, &BillAlgorithm::AeadAes256Gcm)
        .unwrap()
        .fund_flow_rows();
    let error = all_rows(&mut rows).await.unwrap_err();
    assert!(matches!(error, BillError::Decrypt { part: 1 }), "{error}");
    assert!(error.to_string().contains("AEAD_AES_256_GCM"), "{error}");
    // An encrypt_key for another key: it does not decrypt with the merchant key.
    let mut wrong = applied.data().clone();
    let other = wechatpay_ecommerce::WechatPayPublicKey::from_pem(
        "PUB_KEY_ID_0000000000000000000000000000000000000000001",
        &simulator.credentials().wechatpay_public_key_pem,
    )
    .unwrap();
    wrong.download_bill_list[0].encrypt_key = other
        .encryption_key()
        .encrypt("0123456789abcdef0123456789abcdef")
        .unwrap();
    let error = client
        .download_sub_merchant_bill(&wrong, &BillAlgorithm::AeadAes256Gcm)
        .unwrap_err();
    assert!(
        matches!(error, BillError::EncryptKey { part: 1 }),
        "{error}"
    );
    // SM4_GCM is refused by name, before anything is sent.
    let before = simulator.requests().len();
    let error = client
        .download_sub_merchant_bill(&applied, &BillAlgorithm::Sm4Gcm)
        .unwrap_err();
    assert!(error.to_string().contains("SM4_GCM"), "{error}");
    assert_eq!(simulator.requests().len(), before);
    // A URL on another host is never sent a signed request.
    let mut foreign = applied.data().clone();
    foreign.download_bill_list[0].download_url =
        "https://example.com/v3/billdownload/file?token=x".into();
    let error = all_rows(
        &mut client
            .download_sub_merchant_bill(&foreign, &BillAlgorithm::AeadAes256Gcm)
            .unwrap()
            .fund_flow_rows(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, BillError::ForeignUrl { .. }), "{error}");
    // A URL longer than the page's string(2048), from the generated DOWNLOAD_BILL: refused.
    let max = wechatpay_ecommerce::bills::DOWNLOAD_BILL
        .max_url_length
        .unwrap();
    assert_eq!(max, 2048);
    let mut long = applied.data().clone();
    long.download_bill_list[0].download_url = format!(
        "{}&pad={}",
        long.download_bill_list[0].download_url,
        "x".repeat(max)
    );
    let error = client
        .download_sub_merchant_bill(&long, &BillAlgorithm::AeadAes256Gcm)
        .unwrap_err();
    assert!(
        matches!(error, BillError::UrlTooLong { max: 2048, .. }),
        "{error}"
    );
}

#[tokio::test]
async fn an_empty_bill_is_its_header_and_summary_and_an_unknown_column_is_kept() {
    let (simulator, client, day) = start().await;
    // Only the sub-merchant's money moves: the platform's own account does not.
    a_day(&simulator, &client).await;
    next_day(&simulator, day);
    let request = ApplyFundFlowBillRequest::builder()
        .bill_date(date(day))
        .build()
        .unwrap();
    let applied = client.bills().apply_fund_flow_bill(&request).await.unwrap();
    let mut rows = client.download_bill(&applied).unwrap().fund_flow_rows();
    assert!(all_rows(&mut rows).await.unwrap().is_empty());
    let summary = rows.summary().unwrap();
    assert_eq!((summary.count, summary.income, summary.expense), (0, 0, 0));
    // A day on which nothing moved has no bill at all.
    let before = day.pred_opt().unwrap();
    let request = ApplyFundFlowBillRequest::builder()
        .bill_date(date(before))
        .build()
        .unwrap();
    let none = client.bills().apply_fund_flow_bill(&request).await;
    assert_eq!(common::error_code(&none.unwrap_err()), "NO_STATEMENT_EXIST");
    let mut refund_bill = trade_request(day, None);
    refund_bill.bill_type = Some(BillType::Refund);
    let applied = client.bills().apply_trade_bill(&refund_bill).await.unwrap();
    let mut rows = client.download_bill(&applied).unwrap().trade_rows();
    let refunds = all_rows(&mut rows).await.unwrap();
    assert_eq!(refunds.len(), 1);
    assert!(refunds[0].refund_apply_time.is_some());

    // A column the crate does not know (a newer bill's), and a value that does not parse.
    let bill = "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号,新列\n\
                `2019-06-11 13:54:01,`5030,`4200,`退款,`退款,`支出,`0.01,`0.22,`1900000100API,`备注,`REF1,`新值\n\
                资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\n\
                `1,`0,`0.00,`1,`0.01\n";
    let mut rows: BillRows<FundFlowBillRow, FundFlowBillSummary> =
        BillRows::from_reader(std::io::Cursor::new(bill.as_bytes().to_vec()));
    let read = all_rows(&mut rows).await.unwrap();
    assert_eq!(read[0].extra.get("新列").map(String::as_str), Some("新值"));
    assert_eq!(read[0].amount, 1);
    assert_eq!(read[0].balance, 22);
    let broken = bill.replace("`0.22", "`0.2x");
    let mut rows: BillRows<FundFlowBillRow, FundFlowBillSummary> =
        BillRows::from_reader(std::io::Cursor::new(broken.into_bytes()));
    match all_rows(&mut rows).await.unwrap_err() {
        BillError::Row { line, column, .. } => {
            assert_eq!((line, column.as_str()), (2, "账户结余(元)"));
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_download_is_tried_again_as_every_call_is_and_only_then() {
    use wechatpay_ecommerce::simulator::Fault;
    let (simulator, client, day) = start().await;
    a_day(&simulator, &client).await;
    next_day(&simulator, day);
    let applied = client
        .bills()
        .apply_trade_bill(&trade_request(day, None))
        .await
        .unwrap();
    let downloads = || {
        simulator
            .requests()
            .iter()
            .filter(|r| r.path_and_query.starts_with("/v3/billdownload/file"))
            .count()
    };
    // 500 SYSTEM_ERROR may pass: the download is sent again and succeeds.
    let fault = |code: &str| Fault::Status {
        status: 500,
        code: code.to_owned(),
    };
    simulator.inject_on("/v3/billdownload/file", fault("SYSTEM_ERROR"), 1);
    let mut rows = client.download_bill(&applied).unwrap().trade_rows();
    assert!(!all_rows(&mut rows).await.unwrap().is_empty());
    assert_eq!(downloads(), 2);
    // A 500 with another code is not retryable (Error::is_retryable): one request, its error.
    simulator.inject_on("/v3/billdownload/file", fault("PARAM_ERROR"), 1);
    let error = all_rows(&mut client.download_bill(&applied).unwrap().trade_rows())
        .await
        .unwrap_err();
    match error {
        BillError::Request(error) => assert_eq!(common::error_code(&error), "PARAM_ERROR"),
        other => panic!("{other}"),
    }
    assert_eq!(downloads(), 3);
}
