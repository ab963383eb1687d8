//! `wechatpay-sandbox`: the WeChat Pay API v3 simulator of `wechatpay-ecommerce` as a server, for
//! SDKs in any language and for manual use. It plays every family the library covers (profit
//! sharing, refunds, subsidies, balances and withdrawals, bills), keeps state, signs its answers
//! like WeChat Pay and delivers notifications. `wechatpay-sandbox --help` lists the flags.
//!
//! A thin front end: the flags become a `Simulator` (the library's `simulator` module, which Rust
//! tests use in-process), whose credentials are written where an SDK can read them.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use wechatpay_ecommerce::simulator::{
    Credentials, Fixtures, NewMerchant, Simulator, Transaction, new_control_token,
};

type Failure = Box<dyn std::error::Error>;

/// The WeChat Pay API v3 sandbox for e-commerce platforms (电商收付通).
///
/// Serves the API on ADDR, writes the credentials an SDK needs into DIR (the platform's public
/// key and its id, its certificate and serial, the APIv3 key; and a generated merchant's id,
/// serial and private key unless one is given), prints `listening on http://ADDR` (the real port
/// when port 0 was asked for) and `control token: TOKEN`, then serves until killed.
///
/// The control plane (`/sandbox/clock`, `/sandbox/clock/advance`, `/sandbox/clock/speed`,
/// `/sandbox/transactions`, `/sandbox/faults`, `/sandbox/notifications`, `/sandbox/merchants`,
/// `/sandbox/reset`, …) answers requests with `Authorization: Bearer TOKEN`; the README shows
/// each with curl.
#[derive(Parser, Debug)]
#[command(name = "wechatpay-sandbox", version)]
struct Args {
    /// Where to listen (port 0: a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,

    /// Where the credentials are written: platform_public_key.pem, public_key_id,
    /// platform_certificate.pem, platform_certificate_serial_no, apiv3_key; and, for a generated
    /// merchant, mchid, merchant_serial_no and merchant_private_key.pem.
    #[arg(long, value_name = "DIR")]
    credentials_dir: PathBuf,

    /// The platform merchant's id (with --merchant-serial-no and --merchant-public-key; without
    /// the three, a merchant is generated).
    #[arg(long, value_name = "ID", requires_all = ["merchant_serial_no", "merchant_public_key"])]
    mchid: Option<String>,

    /// The serial number of the merchant's API certificate.
    #[arg(long, value_name = "SERIAL", requires_all = ["mchid", "merchant_public_key"])]
    merchant_serial_no: Option<String>,

    /// The merchant's public key (PEM) or its X.509 certificate: what requests are verified with.
    #[arg(long, value_name = "PEM", requires_all = ["mchid", "merchant_serial_no"])]
    merchant_public_key: Option<PathBuf>,

    /// The merchant's APIv3 key (32 characters) instead of a random one.
    #[arg(
        long,
        value_name = "KEY",
        env = "WECHATPAY_SANDBOX_APIV3_KEY",
        hide_env_values = true
    )]
    apiv3_key: Option<String>,

    /// How many platform merchants to serve, each with its own keys, APIv3 key and books
    /// (requests are answered by the merchant their signature names); each one's credentials are
    /// written into DIR/merchants/MCHID/, the first one's into DIR too. More can be added over
    /// the control plane (POST /sandbox/merchants).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=100))]
    merchants: u16,

    /// Keep the state in this SQLite file, written as it changes (merchants and keys,
    /// transactions, splits, returns, refunds, notifications and their schedule, the clock), so
    /// that a sandbox stopped or killed and started again answers for what it acknowledged and
    /// resumes deliveries. A file that holds merchants is served as it is: --mchid, --apiv3-key,
    /// --fixtures and --transactions only seed a new one. Test data only: the file holds the
    /// sandbox's keys and the requests' data.
    #[arg(long, value_name = "PATH")]
    data: Option<PathBuf>,

    /// The starting state, `{"transactions": [...], "orders": [...], "return_orders": [...]}`,
    /// instead of the doc pages' examples.
    #[arg(long, value_name = "FILE")]
    fixtures: Option<PathBuf>,

    /// Paid transactions to add, `[{"sub_mchid": "1900000109", "transaction_id": "4208…",
    /// "amount": 1000}, …]` (amounts in fen).
    #[arg(long, value_name = "FILE")]
    transactions: Option<PathBuf>,

    /// The most a split may give to others, in percent of the transaction.
    #[arg(long, value_name = "PERCENT", default_value_t = 30, value_parser = clap::value_parser!(u8).range(0..=100))]
    max_ratio_percent: u8,

    /// How long a split, a finish, a return or a refund stays PROCESSING, in seconds of the
    /// sandbox's clock (a script polling every second sees both states).
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = seconds)]
    processing_delay: Duration,

    /// How many times as fast as real time the sandbox's clock runs (0 stops it).
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0, value_parser = speed)]
    clock_speed: f64,

    /// Where notifications go (分账动账通知 and the others): POSTed, signed like the answers, the
    /// resource encrypted with the APIv3 key, and sent again on WeChat Pay's schedule (15 s,
    /// 15 s, 30 s, 3 min, … of the sandbox's clock) until the handler answers 200 or 204.
    #[arg(long, value_name = "URL")]
    notify_url: Option<String>,

    /// The control plane's token (at least 16 characters); without it, one is generated. Either
    /// way it is printed and written into DIR as `sandbox_token`.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "WECHATPAY_SANDBOX_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
}

fn seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|e| format!("{e} (seconds, e.g. 0.5)"))?;
    Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())
}

fn speed(text: &str) -> Result<f64, String> {
    let speed: f64 = text.parse().map_err(|e| format!("{e} (e.g. 1, 60, 0.5)"))?;
    if speed.is_finite() && speed >= 0.0 {
        Ok(speed)
    } else {
        Err("a factor of 0 or more".to_owned())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("wechatpay-sandbox: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Failure> {
    let dir = args.credentials_dir;
    let mut builder = Simulator::builder().addr(args.addr);
    if let (Some(mchid), Some(serial_no), Some(path)) = (
        args.mchid,
        args.merchant_serial_no,
        args.merchant_public_key,
    ) {
        let pem = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read --merchant-public-key {}: {e}", path.display()))?;
        builder = builder.merchant(mchid, serial_no, pem);
    }
    let mut fixtures = match args.fixtures {
        Some(path) => Fixtures::from_json_file(path)?,
        None => Fixtures::doc_examples(),
    };
    if let Some(path) = args.transactions {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read --transactions {}: {e}", path.display()))?;
        let transactions: Vec<Transaction> = serde_json::from_str(&text).map_err(|e| {
            format!(
                "--transactions {} is not [{{\"sub_mchid\": …, \"transaction_id\": …, \"amount\": fen}}, …]: {e}",
                path.display()
            )
        })?;
        fixtures.transactions.extend(transactions);
    }
    if let Some(key) = args.apiv3_key {
        builder = builder.apiv3_key(key);
    }
    if let Some(path) = args.data {
        builder = builder.data(path);
    }
    let token = match args.token {
        Some(token) => token,
        None => new_control_token()?,
    };
    let simulator = builder
        .control_token(token.clone())
        .fixtures(fixtures)
        .max_ratio_percent(args.max_ratio_percent)
        .processing_delay(args.processing_delay)
        .clock_speed(args.clock_speed)
        .start()
        .await?;
    if let Some(url) = args.notify_url {
        simulator.set_notify_url(&url)?;
    }
    while simulator.merchants().len() < usize::from(args.merchants) {
        simulator.add_merchant(NewMerchant::default()).await?;
    }
    let write = |credentials: &Credentials, dir: &Path| {
        credentials
            .write_to_dir(dir)
            .map_err(|e| format!("cannot write the credentials into {}: {e}", dir.display()))
    };
    write(simulator.credentials(), &dir)?;
    for credentials in simulator.merchants() {
        write(
            &credentials,
            &dir.join("merchants").join(&credentials.mchid),
        )?;
    }
    let token_file = dir.join("sandbox_token");
    std::fs::write(&token_file, &token)
        .map_err(|e| format!("cannot write {}: {e}", token_file.display()))?;
    // Both lines in one write: a reader that stops after the first (it has the address) must
    // not make a later write fail and end the server.
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(
        format!(
            "listening on {}\ncontrol token: {token}\n",
            simulator.base_url()
        )
        .as_bytes(),
    )?;
    stdout.flush()?;
    drop(stdout);
    std::future::pending::<()>().await;
    Ok(())
}
