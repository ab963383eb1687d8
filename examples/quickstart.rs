//! Runs both profit-sharing queries through the real client path (sign → HTTP → verify → typed
//! result) and prints the answers.
//!
//! With no settings it starts the built-in simulator on loopback and needs no credentials:
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! With these environment variables it queries another server instead, production included:
//! `WECHATPAY_BASE_URL` (default `https://api.mch.weixin.qq.com`), `WECHATPAY_MCHID`,
//! `WECHATPAY_MERCHANT_SERIAL_NO` or `WECHATPAY_MERCHANT_CERTIFICATE_PATH` (`apiclient_cert.pem`,
//! whose serial is read and whose key is checked against the private key),
//! `WECHATPAY_MERCHANT_PRIVATE_KEY_PATH`, and `WECHATPAY_PUBLIC_KEY_PATH` with
//! `WECHATPAY_PUBLIC_KEY_ID`, and/or `WECHATPAY_APIV3_KEY` (platform-certificate mode).
//!
//! Flags override the ids queried (defaults: the doc pages' examples): `--sub-mchid`,
//! `--transaction-id`, `--out-order-no`, `--out-return-no`, and `--order-id` to find the return by
//! WeChat Pay's order id instead of `--out-order-no`.

use std::process::ExitCode;

use serde_json::Value;
use wechatpay_v3::simulator::{Simulator, VerificationMode};
use wechatpay_v3::{
    ApiV3Key, Client, KeySource, MerchantCertificate, MerchantKey, OrderReference,
    QueryOrderRequest, QueryReturnOrderRequest, Response, WechatPayPublicKey,
};

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

/// The ids queried.
struct Ids {
    sub_mchid: String,
    transaction_id: String,
    out_order_no: String,
    out_return_no: String,
    order_id: Option<String>,
}

fn parse_args() -> Result<Ids, Failure> {
    let mut ids = Ids {
        sub_mchid: "1900000109".into(),
        transaction_id: "4208450740201411110007820472".into(),
        out_order_no: "P20150806125346".into(),
        out_return_no: "R20190516001".into(),
        order_id: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--sub-mchid" => ids.sub_mchid = value()?,
            "--transaction-id" => ids.transaction_id = value()?,
            "--out-order-no" => ids.out_order_no = value()?,
            "--out-return-no" => ids.out_return_no = value()?,
            "--order-id" => ids.order_id = Some(value()?),
            other => {
                return Err(format!(
                    "unknown argument {other:?}; the flags are --sub-mchid, --transaction-id, --out-order-no, \
                     --out-return-no, --order-id"
                )
                .into());
            }
        }
    }
    Ok(ids)
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

async fn run() -> Result<(), Failure> {
    let ids = parse_args()?;
    // The simulator lives as long as `run`; it stops when dropped.
    let (client, _simulator) = match client_from_env()? {
        Some(client) => {
            println!(
                "Querying {} with the credentials from the environment.\n",
                client.base_url()
            );
            (client, None)
        }
        None => {
            let simulator = Simulator::start().await?;
            println!(
                "Querying the built-in WeChat Pay simulator at {} (no credentials needed: it made test keys).\n",
                simulator.base_url()
            );
            let client = simulator
                .client_builder(VerificationMode::PublicKey)?
                .build()?;
            (client, Some(simulator))
        }
    };

    let order = QueryOrderRequest::new(&ids.sub_mchid, &ids.transaction_id, &ids.out_order_no);
    let answer = client.query_order(&order).await?;
    print_answer(
        "查询分账结果 (query_order)",
        "GET /v3/ecommerce/profitsharing/orders",
        &answer,
    )?;

    let reference = match ids.order_id {
        Some(order_id) => OrderReference::OrderId(order_id),
        None => OrderReference::OutOrderNo(ids.out_order_no.clone()),
    };
    let ret = QueryReturnOrderRequest::new(&ids.sub_mchid, reference, &ids.out_return_no);
    let answer = client.query_return_order(&ret).await?;
    print_answer(
        "查询分账回退结果 (query_return_order)",
        "GET /v3/ecommerce/profitsharing/returnorders",
        &answer,
    )?;
    Ok(())
}

/// Prints every field of an answer, with enum values as the API spells them.
fn print_answer<T: serde::Serialize>(
    title: &str,
    endpoint: &str,
    answer: &Response<T>,
) -> Result<(), Failure> {
    let verified = answer.verified();
    let key = match verified.source {
        KeySource::PublicKey => "the WeChat Pay public key",
        KeySource::PlatformCertificate => "the platform certificate",
        _ => "a WeChat Pay key",
    };
    println!("{title}: {endpoint}");
    println!(
        "  HTTP {}, Request-ID {}",
        answer.status(),
        answer.request_id().unwrap_or("(none)")
    );
    println!("  signature verified with {key} {}", verified.serial);
    let mut lines = Vec::new();
    flatten("", &serde_json::to_value(answer.data())?, &mut lines);
    let width = lines
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (key, value) in lines {
        println!("  {key:width$}  {value}");
    }
    println!();
    Ok(())
}

fn flatten(prefix: &str, value: &Value, lines: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, value, lines);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{index}]"), item, lines);
            }
        }
        Value::String(text) => lines.push((prefix.to_owned(), text.clone())),
        other => lines.push((prefix.to_owned(), other.to_string())),
    }
}
