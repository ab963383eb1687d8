//! Runs the whole profit-sharing flow through the real client path (validate → encrypt → sign →
//! HTTP → verify → typed answer), one line per step: add two receivers, split part of a paid order
//! to them (the person's real name travels encrypted, as the split page requires), query the split
//! until it is `FINISHED`, return part of the merchant's share, query the return until it is
//! `SUCCESS`, finish the order (the rest goes back to the sub-merchant) and read what is left to
//! split.
//!
//! Two receivers, because the pages say so: only a person's share takes a real name
//! (`receiver_name`), and only a merchant's share can be returned.
//!
//! With no settings it starts the built-in simulator on loopback and needs no credentials:
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! With these environment variables it runs against another server instead, production included
//! (where it moves real money: point it at a paid order you mean to split):
//! `WECHATPAY_BASE_URL` (default `https://api.mch.weixin.qq.com`), `WECHATPAY_MCHID`,
//! `WECHATPAY_MERCHANT_SERIAL_NO` or `WECHATPAY_MERCHANT_CERTIFICATE_PATH` (`apiclient_cert.pem`,
//! whose serial is read and whose key is checked against the private key),
//! `WECHATPAY_MERCHANT_PRIVATE_KEY_PATH`, and `WECHATPAY_PUBLIC_KEY_PATH` with
//! `WECHATPAY_PUBLIC_KEY_ID`, and/or `WECHATPAY_APIV3_KEY` (platform-certificate mode).
//!
//! Flags (defaults: the doc pages' examples): `--sub-mchid`, `--transaction-id`, `--appid`,
//! `--merchant` and `--merchant-name` (the merchant receiver), `--openid` and `--person-name` (the
//! person receiver), `--out-order-no`, `--out-return-no`, `--finish-out-order-no` (on the simulator
//! fixed numbers, elsewhere numbers made from the time, so that each run is a new split).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use wechatpay_ecommerce::profit_sharing::{
    AddReceiverRequest, CreateOrderReceiver, CreateOrderRequest, CreateReturnOrderRequest,
    FinishOrderRequest, OrderReference, QueryOrderAmountsRequest, QueryOrderRequest,
    QueryReturnOrderRequest,
};
use wechatpay_ecommerce::profit_sharing::{OrderStatus, ReceiverType, RelationType, ReturnResult};
use wechatpay_ecommerce::simulator::{Simulator, VerificationMode};
use wechatpay_ecommerce::{ApiV3Key, Client, MerchantCertificate, MerchantKey, WechatPayPublicKey};

type Failure = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("quickstart failed: {error}");
            ExitCode::FAILURE
        }
    }
}

/// What the flow uses: ids, receivers and numbers.
struct Plan {
    sub_mchid: String,
    transaction_id: String,
    appid: String,
    merchant: String,
    merchant_name: String,
    openid: String,
    person_name: String,
    out_order_no: Option<String>,
    out_return_no: Option<String>,
    finish_out_order_no: Option<String>,
}

const FLAGS: &str = "--sub-mchid, --transaction-id, --appid, --merchant, --merchant-name, --openid, \
--person-name, --out-order-no, --out-return-no, --finish-out-order-no";

fn parse_args() -> Result<Plan, Failure> {
    let mut plan = Plan {
        sub_mchid: "1900000109".into(),
        transaction_id: "4208450740201411110007820472".into(),
        appid: "wx8888888888888888".into(),
        merchant: "190001001".into(),
        merchant_name: "示例商户全称".into(),
        openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
        person_name: "张三".into(),
        out_order_no: None,
        out_return_no: None,
        finish_out_order_no: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--sub-mchid" => plan.sub_mchid = value()?,
            "--transaction-id" => plan.transaction_id = value()?,
            "--appid" => plan.appid = value()?,
            "--merchant" => plan.merchant = value()?,
            "--merchant-name" => plan.merchant_name = value()?,
            "--openid" => plan.openid = value()?,
            "--person-name" => plan.person_name = value()?,
            "--out-order-no" => plan.out_order_no = Some(value()?),
            "--out-return-no" => plan.out_return_no = Some(value()?),
            "--finish-out-order-no" => plan.finish_out_order_no = Some(value()?),
            other => {
                return Err(format!("unknown argument {other:?}; the flags are {FLAGS}").into());
            }
        }
    }
    Ok(plan)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn required_env(name: &str) -> Result<String, Failure> {
    env(name)
        .ok_or_else(|| format!("{name} is not set (needed when any WECHATPAY_ variable is)").into())
}

/// A client from the environment, or `None` when no `WECHATPAY_` variable is set.
fn client_from_env() -> Result<Option<Client>, Failure> {
    const NAMES: [&str; 8] = [
        "WECHATPAY_BASE_URL",
        "WECHATPAY_MCHID",
        "WECHATPAY_MERCHANT_SERIAL_NO",
        "WECHATPAY_MERCHANT_CERTIFICATE_PATH",
        "WECHATPAY_MERCHANT_PRIVATE_KEY_PATH",
        "WECHATPAY_PUBLIC_KEY_PATH",
        "WECHATPAY_PUBLIC_KEY_ID",
        "WECHATPAY_APIV3_KEY",
    ];
    if NAMES.iter().all(|name| env(name).is_none()) {
        return Ok(None);
    }
    let key = MerchantKey::from_pem_file(required_env("WECHATPAY_MERCHANT_PRIVATE_KEY_PATH")?)?;
    let mchid = required_env("WECHATPAY_MCHID")?;
    let mut builder = match (
        env("WECHATPAY_MERCHANT_SERIAL_NO"),
        env("WECHATPAY_MERCHANT_CERTIFICATE_PATH"),
    ) {
        (Some(serial_no), None) => Client::builder().merchant(mchid, serial_no, key),
        (None, Some(path)) => Client::builder().merchant_with_certificate(
            mchid,
            MerchantCertificate::from_pem_file(path)?,
            key,
        ),
        (None, None) => {
            return Err(
                "WECHATPAY_MERCHANT_SERIAL_NO or WECHATPAY_MERCHANT_CERTIFICATE_PATH is \
                        not set (needed when any WECHATPAY_ variable is)"
                    .into(),
            );
        }
        (Some(_), Some(_)) => {
            return Err("set one of WECHATPAY_MERCHANT_SERIAL_NO and \
                        WECHATPAY_MERCHANT_CERTIFICATE_PATH, not both"
                .into());
        }
    };
    if let Some(base_url) = env("WECHATPAY_BASE_URL") {
        builder = builder.base_url(base_url);
    }
    match (
        env("WECHATPAY_PUBLIC_KEY_PATH"),
        env("WECHATPAY_PUBLIC_KEY_ID"),
    ) {
        (Some(path), Some(id)) => {
            builder = builder.wechatpay_public_key(WechatPayPublicKey::from_pem_file(id, path)?)
        }
        (None, None) => {}
        _ => {
            return Err("WECHATPAY_PUBLIC_KEY_PATH and WECHATPAY_PUBLIC_KEY_ID go together".into());
        }
    }
    if let Some(key) = env("WECHATPAY_APIV3_KEY") {
        builder = builder.apiv3_key(ApiV3Key::new(&key)?);
    }
    Ok(Some(builder.build()?))
}

/// The merchant numbers of one run: fixed ones on the simulator (a fresh one each time), else
/// made from the time so that a second run is a second split, not a replay of the first.
fn numbers(plan: &Plan, on_simulator: bool) -> (String, String, String) {
    let stamp = match on_simulator {
        true => "20261130000001".to_owned(),
        false => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
            .to_string(),
    };
    let or = |given: &Option<String>, prefix: &str| {
        given.clone().unwrap_or_else(|| format!("{prefix}{stamp}"))
    };
    (
        or(&plan.out_order_no, "P"),
        or(&plan.out_return_no, "R"),
        or(&plan.finish_out_order_no, "F"),
    )
}

/// How the flow waits for a split or a return to be done.
struct Polling {
    every: Duration,
    give_up_after: Duration,
}

impl Polling {
    /// Queries until `pending` gives `None` (done), and returns that answer; `Some(state)` names
    /// the state the answer is still in, for the error when it stays there too long.
    async fn until<T, Query, Answer>(
        &self,
        what: &str,
        mut query: Query,
        pending: impl Fn(&T) -> Option<String>,
    ) -> Result<T, Failure>
    where
        Query: FnMut() -> Answer,
        Answer: std::future::Future<Output = Result<T, Failure>>,
    {
        let started = Instant::now();
        loop {
            let answer = query().await?;
            let Some(state) = pending(&answer) else {
                return Ok(answer);
            };
            if started.elapsed() > self.give_up_after {
                return Err(format!(
                    "{what} is still {state} after {:?}; query it again later",
                    self.give_up_after
                )
                .into());
            }
            tokio::time::sleep(self.every).await;
        }
    }
}

/// A time as WeChat Pay writes it (RFC 3339, milliseconds, its offset).
fn api_time(time: chrono::DateTime<chrono::FixedOffset>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

/// Prints one step: the method, then what it did.
fn step(method: &str, what: impl std::fmt::Display) {
    println!("{method:<20} {what}");
}

async fn run() -> Result<(), Failure> {
    let plan = parse_args()?;
    // The simulator lives as long as `run`; it stops when dropped.
    let (client, simulator) = match client_from_env()? {
        Some(client) => {
            println!(
                "Running the profit-sharing flow against {} with the credentials from the environment.",
                client.base_url()
            );
            (client, None)
        }
        None => {
            // A split or a return stays PROCESSING for a second of the simulator's (real) time.
            let simulator = Simulator::builder()
                .processing_delay(Duration::from_secs(1))
                .start()
                .await?;
            println!(
                "Running the profit-sharing flow against the built-in WeChat Pay simulator at {} \
                 (it made test keys: no credentials needed).",
                simulator.base_url()
            );
            let client = simulator
                .client_builder(VerificationMode::PublicKey)?
                .build()?;
            (client, Some(simulator))
        }
    };
    let polling = match simulator {
        Some(_) => Polling {
            every: Duration::from_millis(200),
            give_up_after: Duration::from_secs(30),
        },
        None => Polling {
            every: Duration::from_secs(5),
            give_up_after: Duration::from_secs(600),
        },
    };
    let (out_order_no, out_return_no, finish_out_order_no) = numbers(&plan, simulator.is_some());

    // 添加分账接收方: once per receiver, before the first split to it.
    let merchant = AddReceiverRequest::builder()
        .receiver_type(ReceiverType::MerchantId)
        .account(&plan.merchant)
        .relation_type(RelationType::Supplier)
        .name(&plan.merchant_name)
        .build()?;
    let added = client.profit_sharing().add_receiver(&merchant).await?;
    step(
        "add_receiver",
        format!(
            "{} {} ({}), relation SUPPLIER",
            added.receiver_type, added.account, plan.merchant_name
        ),
    );
    let person = AddReceiverRequest::builder()
        .receiver_type(ReceiverType::PersonalOpenid)
        .account(&plan.openid)
        .relation_type(RelationType::Distributor)
        .appid(&plan.appid)
        .name(&plan.person_name)
        .build()?;
    let added = client.profit_sharing().add_receiver(&person).await?;
    step(
        "add_receiver",
        format!(
            "{} {}, relation DISTRIBUTOR",
            added.receiver_type, added.account
        ),
    );

    // 请求分账: 200 fen to the merchant, 100 fen to the person, whose name is encrypted.
    let split = CreateOrderRequest::builder()
        .sub_mchid(&plan.sub_mchid)
        .transaction_id(&plan.transaction_id)
        .out_order_no(&out_order_no)
        .receivers(vec![
            CreateOrderReceiver::builder()
                .receiver_type(ReceiverType::MerchantId)
                .receiver_account(&plan.merchant)
                .amount(200)
                .description("供应商货款")
                .build()?,
            CreateOrderReceiver::builder()
                .receiver_type(ReceiverType::PersonalOpenid)
                .receiver_account(&plan.openid)
                .amount(100)
                .description("分销佣金")
                .receiver_name(plan.person_name.as_str())
                .build()?,
        ])
        .finish(false)
        .appid(&plan.appid)
        .build()?;
    let created = client.profit_sharing().create_order(&split).await?;
    let encrypted_with = client.encryption_key().map_or_else(
        || "a WeChat Pay key".to_owned(),
        |key| key.serial().to_owned(),
    );
    let shares: Vec<String> = created
        .receivers
        .iter()
        .map(|r| format!("{} {} fen {}", r.receiver_account, r.amount, r.result))
        .collect();
    step(
        "create_order",
        format!(
            "{} → order_id {}, status {}; {}; receiver_name sent encrypted with {encrypted_with}",
            created.out_order_no,
            created.order_id,
            created
                .status
                .as_ref()
                .map_or_else(|| "(none)".to_owned(), ToString::to_string),
            shares.join(", "),
        ),
    );

    // 查询分账结果, until the split is done.
    let query = QueryOrderRequest::builder()
        .sub_mchid(&plan.sub_mchid)
        .transaction_id(&plan.transaction_id)
        .out_order_no(&out_order_no)
        .build()?;
    let order = polling
        .until(
            &format!("split {out_order_no}"),
            || async {
                Ok(client
                    .profit_sharing()
                    .query_order(&query)
                    .await?
                    .into_data())
            },
            |order| {
                matches!(
                    order.status,
                    OrderStatus::Processing | OrderStatus::Accepted
                )
                .then(|| order.status.to_string())
            },
        )
        .await?;
    let shares: Vec<String> = order
        .receivers
        .iter()
        .flatten()
        .map(|r| {
            format!(
                "{} {} fen {}{}",
                r.receiver_account.as_deref().unwrap_or("?"),
                r.amount,
                r.result,
                r.finish_time
                    .map(|t| format!(" at {}", api_time(t)))
                    .unwrap_or_default()
            )
        })
        .collect();
    step(
        "query_order",
        format!(
            "{} status {}; {}",
            order.out_order_no,
            order.status,
            shares.join(", ")
        ),
    );
    if order.status != OrderStatus::Finished {
        return Err(format!("split {out_order_no} ended {}, not FINISHED", order.status).into());
    }

    // 请求分账回退: 50 fen of the merchant's 200 back to the sub-merchant.
    let give_back = CreateReturnOrderRequest::builder()
        .sub_mchid(&plan.sub_mchid)
        .order(OrderReference::OrderId(order.order_id.clone()))
        .out_return_no(&out_return_no)
        .return_mchid(&plan.merchant)
        .amount(50)
        .description("退货退回供应商货款")
        .build()?;
    let returned = client
        .profit_sharing()
        .create_return_order(&give_back)
        .await?;
    step(
        "create_return_order",
        format!(
            "{} → return_no {}, {} fen from {}, result {}",
            returned.out_return_no,
            returned.return_no,
            returned.amount,
            returned.return_mchid,
            returned.result
        ),
    );

    // 查询分账回退结果, until the return is done.
    let query = QueryReturnOrderRequest::builder()
        .sub_mchid(&plan.sub_mchid)
        .order(OrderReference::OutOrderNo(out_order_no.clone()))
        .out_return_no(&out_return_no)
        .build()?;
    let done = polling
        .until(
            &format!("return {out_return_no}"),
            || async {
                Ok(client
                    .profit_sharing()
                    .query_return_order(&query)
                    .await?
                    .into_data())
            },
            |done| (done.result == ReturnResult::Processing).then(|| done.result.to_string()),
        )
        .await?;
    step(
        "query_return_order",
        format!(
            "{} result {}{}{}",
            done.out_return_no,
            done.result,
            done.finish_time
                .map(|t| format!(", finish_time {}", api_time(t)))
                .unwrap_or_default(),
            done.fail_reason
                .map(|r| format!(", fail_reason {r}"))
                .unwrap_or_default()
        ),
    );
    if done.result != ReturnResult::Success {
        return Err(format!("return {out_return_no} ended {}, not SUCCESS", done.result).into());
    }

    // 完结分账: what is left unsplit goes back to the sub-merchant.
    let finish = FinishOrderRequest::builder()
        .sub_mchid(&plan.sub_mchid)
        .transaction_id(&plan.transaction_id)
        .out_order_no(&finish_out_order_no)
        .description("分账完结")
        .build()?;
    let finished = client.profit_sharing().finish_order(&finish).await?;
    step(
        "finish_order",
        format!(
            "{} → order_id {}, the rest unfrozen for {}",
            finished.out_order_no, finished.order_id, finished.sub_mchid
        ),
    );

    // 查询订单剩余待分金额.
    let amounts = client
        .profit_sharing()
        .query_order_amounts(
            &QueryOrderAmountsRequest::builder()
                .transaction_id(&plan.transaction_id)
                .build()?,
        )
        .await?;
    step(
        "query_order_amounts",
        format!(
            "{} unsplit_amount {}",
            amounts.transaction_id, amounts.unsplit_amount
        ),
    );
    Ok(())
}
