//! A day reconciled against its bills, on the built-in simulator, one line per check: two orders
//! are paid, one is split (a share to a supplier, the rest to the sub-merchant), the other is
//! partly refunded; the next day the platform downloads the day's trade bill and the
//! sub-merchants' fund flow bill (gzip, encrypted, in parts), and checks that every payment,
//! refund and money movement it made is in them.
//!
//! ```sh
//! cargo run --example reconcile_bills
//! ```

use std::process::ExitCode;
use std::time::Duration;

use chrono::{Days, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use wechatpay_ecommerce::bills::{
    ApplySubMerchantFundFlowBillRequest, ApplyTradeBillRequest, BillAlgorithm,
    SubMerchantBillAccountType, TarType,
};
use wechatpay_ecommerce::profit_sharing::{
    AddReceiverRequest, CreateOrderReceiver, CreateOrderRequest, FinishOrderRequest, ReceiverType,
    RelationType,
};
use wechatpay_ecommerce::refunds::{
    ApplyRefundAmount, ApplyRefundRequest, ApplyRefundTransactionIdOrOutTradeNo,
};
use wechatpay_ecommerce::simulator::{Account, Simulator, VerificationMode};
use wechatpay_ecommerce::{Client, FlowDirection, FundFlowBillRow, TradeBillRow};

type Failure = Box<dyn std::error::Error>;

const SUB_MCHID: &str = "1900000109";
const SUPPLIER: &str = "190001001";
const DELAY: Duration = Duration::from_secs(60);

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn beijing() -> Result<FixedOffset, Failure> {
    FixedOffset::east_opt(8 * 3600).ok_or_else(|| "no +08:00".into())
}

async fn run() -> Result<(), Failure> {
    // The simulator's clock moves only when told: the day ends when the example says so.
    let simulator = Simulator::builder()
        .clock_speed(0.0)
        .processing_delay(DELAY)
        .start()
        .await?;
    let client = simulator
        .client_builder(VerificationMode::PublicKey)?
        .build()?;
    let day = simulator.now().with_timezone(&beijing()?).date_naive();
    println!("the day: {day}");

    make_the_day(&simulator, &client).await?;

    // The next morning: the day's bills can be applied for.
    let next = day.checked_add_days(Days::new(1)).ok_or("no next day")?;
    let morning = beijing()?
        .from_local_datetime(&next.and_time(NaiveTime::MIN))
        .single()
        .ok_or("no midnight")?;
    simulator.advance((morning - simulator.now()).to_std()? + Duration::from_secs(10 * 3600));

    let mut checks = 0;
    checks += check_trade_bill(&client, day).await?;
    // Small parts, to show them joined (WeChat Pay splits at about 16 GB).
    simulator.split_sub_merchant_bills_every(400);
    checks += check_fund_flow_bill(&simulator, &client, day).await?;
    println!("reconciled: {checks} checks, every one found in the bills");
    Ok(())
}

/// Two payments, a split with its finish, and a refund.
async fn make_the_day(simulator: &Simulator, client: &Client) -> Result<(), Failure> {
    simulator.add_transaction(SUB_MCHID, "4200000000000000000000000001", 1000)?;
    simulator.add_transaction(SUB_MCHID, "4200000000000000000000000002", 800)?;
    let supplier = AddReceiverRequest::builder()
        .receiver_type(ReceiverType::MerchantId)
        .account(SUPPLIER)
        .relation_type(RelationType::Supplier)
        .name("示例商户全称")
        .build()?;
    client.profit_sharing().add_receiver(&supplier).await?;
    let split = CreateOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id("4200000000000000000000000001")
        .out_order_no("RC0001")
        .receivers(vec![CreateOrderReceiver {
            receiver_type: ReceiverType::MerchantId,
            receiver_account: SUPPLIER.into(),
            amount: 200,
            description: "货款".into(),
            receiver_name: None,
        }])
        .finish(false)
        .build()?;
    client.profit_sharing().create_order(&split).await?;
    let finish = FinishOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id("4200000000000000000000000001")
        .out_order_no("RCF0001")
        .description("分账完结")
        .build()?;
    client.profit_sharing().finish_order(&finish).await?;
    let refund = ApplyRefundRequest::builder()
        .sub_mchid(SUB_MCHID)
        .sp_appid("wx8888888888888888")
        .transaction_id_or_out_trade_no(ApplyRefundTransactionIdOrOutTradeNo::TransactionId(
            "4200000000000000000000000002".into(),
        ))
        .out_refund_no("RR0001")
        .amount(ApplyRefundAmount {
            refund: 300,
            from: None,
            total: 800,
            currency: Some("CNY".into()),
        })
        .build()?;
    client.refunds().apply(&refund).await?;
    simulator.advance(DELAY + Duration::from_secs(1));
    println!("made: 2 payments, a split of 200 fen with its finish, a refund of 300 fen");
    Ok(())
}

/// The trade bill holds both payments and the refund.
async fn check_trade_bill(client: &Client, day: NaiveDate) -> Result<usize, Failure> {
    let request = ApplyTradeBillRequest::builder()
        .bill_date(day.format("%Y-%m-%d").to_string())
        .sub_mchid(SUB_MCHID)
        .tar_type(TarType::Gzip)
        .build()?;
    let applied = client.bills().apply_trade_bill(&request).await?;
    let mut rows = client.download_bill(&applied)?.trade_rows();
    let mut read: Vec<TradeBillRow> = Vec::new();
    while let Some(row) = rows.next().await? {
        read.push(row);
    }
    println!(
        "trade bill: {} rows, SHA-1 {} checked",
        read.len(),
        applied.hash_value
    );
    let mut checks = 0;
    for (transaction, fen) in [
        ("4200000000000000000000000001", 1000),
        ("4200000000000000000000000002", 800),
    ] {
        let found = read.iter().any(|r| {
            r.transaction_id == transaction
                && r.trade_state == "SUCCESS"
                && r.settlement_amount == fen
        });
        report(found, &format!("payment {transaction} of {fen} fen"))?;
        checks += 1;
    }
    let refund = read
        .iter()
        .any(|r| r.out_refund_no.as_deref() == Some("RR0001") && r.refund_amount == Some(300));
    report(refund, "refund RR0001 of 300 fen")?;
    Ok(checks + 1)
}

/// Every movement of a sub-merchant's or a receiver's money that day is a row of the
/// sub-merchants' fund flow bill, with its amount, direction and balance.
async fn check_fund_flow_bill(
    simulator: &Simulator,
    client: &Client,
    day: NaiveDate,
) -> Result<usize, Failure> {
    let request = ApplySubMerchantFundFlowBillRequest::builder()
        .bill_date(day.format("%Y-%m-%d").to_string())
        .account_type(SubMerchantBillAccountType::All)
        .algorithm(BillAlgorithm::AeadAes256Gcm)
        .tar_type(TarType::Gzip)
        .build()?;
    let applied = client
        .bills()
        .apply_sub_merchant_fund_flow_bill(&request)
        .await?;
    let mut rows = client
        .download_sub_merchant_bill(&applied, &BillAlgorithm::AeadAes256Gcm)?
        .fund_flow_rows();
    let mut read: Vec<FundFlowBillRow> = Vec::new();
    while let Some(row) = rows.next().await? {
        read.push(row);
    }
    println!(
        "sub-merchants' fund flow bill: {} parts decrypted and checked, {} rows",
        applied.download_bill_count,
        read.len()
    );
    let platform = simulator.credentials().mchid.clone();
    let mut checks = 0;
    for entry in simulator.journal() {
        for (account, direction) in [
            (&entry.to, FlowDirection::Income),
            (&entry.from, FlowDirection::Expense),
        ] {
            let Account::Available(mchid) = account else {
                continue;
            };
            if *mchid == platform {
                continue;
            }
            let found = read.iter().any(|r| {
                r.extra.get("二级商户号") == Some(mchid)
                    && r.business_no == entry.transaction_id
                    && r.voucher_no == entry.reference
                    && r.amount == entry.amount
                    && r.direction == direction
            });
            let sign = if direction == FlowDirection::Income {
                "+"
            } else {
                "-"
            };
            report(
                found,
                &format!(
                    "{mchid} {sign}{} fen ({:?}, {})",
                    entry.amount, entry.movement, entry.reference
                ),
            )?;
            checks += 1;
        }
    }
    let last = read
        .iter()
        .rev()
        .find(|r| r.extra.get("二级商户号").map(String::as_str) == Some(SUB_MCHID))
        .ok_or("no row of the sub-merchant")?;
    report(
        last.balance == simulator.available_balance(SUB_MCHID),
        &format!(
            "{SUB_MCHID}'s balance after its last movement, {} fen",
            last.balance
        ),
    )?;
    Ok(checks + 1)
}

fn report(found: bool, what: &str) -> Result<(), Failure> {
    if found {
        println!("  ok   {what}");
        Ok(())
    } else {
        println!("  MISSING {what}");
        Err(format!("not in the bill: {what}").into())
    }
}
