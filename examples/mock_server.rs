//! The WeChat Pay simulator as a standalone server, for SDKs in other languages and manual use.
//!
//! ```sh
//! cargo run --example mock_server -- --addr 127.0.0.1:8080 --mchid 1900000001 \
//!     --merchant-serial-no SERIAL --merchant-public-key merchant_public.pem \
//!     --credentials-dir DIR [--fixtures FILE] [--transactions FILE] \
//!     [--max-ratio-percent 30] [--processing-delay 3] [--clock-speed 1] [--notify-url URL]
//! ```
//!
//! `--merchant-public-key` takes a PEM public key or the merchant's X.509 certificate. Without the
//! three merchant flags it generates a merchant and writes `mchid`, `merchant_serial_no` and
//! `merchant_private_key.pem` into DIR. It always writes into DIR: `platform_public_key.pem`,
//! `public_key_id`, `platform_certificate.pem`, `platform_certificate_serial_no`, `apiv3_key`.
//! When ready it prints one line, `listening on http://ADDR` (the real port when port 0 was asked
//! for), then serves until killed.
//!
//! It keeps state like the in-process simulator: `--transactions FILE` adds paid transactions to
//! split, `[{"sub_mchid": "1900000109", "transaction_id": "4208…", "amount": 1000}, …]` (the pages'
//! example transaction is there unless `--fixtures` replaces the examples); `--fixtures FILE` is
//! `{"transactions": [...], "orders": [...], "return_orders": [...]}`; `--max-ratio-percent`
//! limits what splits give to others (default 30); a split, a finish or a return stays
//! `PROCESSING` for `--processing-delay` seconds (default 3: a script polling every second sees
//! both states) of the simulator's clock, which runs `--clock-speed` times as fast as real time
//! (default 1). With `--notify-url URL` it POSTs a notification (分账动账通知) there when a split or
//! a return made after the start is done, signed like its answers, the resource encrypted with the
//! APIv3 key in DIR, and sends it again on WeChat Pay's schedule (15 s, 15 s, 30 s, 3 min, … of the
//! simulator's clock) until the handler answers 200 or 204.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use wechatpay_ecommerce::simulator::{Fixtures, Simulator, Transaction};

type Failure = Box<dyn std::error::Error>;

const USAGE: &str = "usage: cargo run --example mock_server -- [--addr 127.0.0.1:8080] \
[--mchid ID --merchant-serial-no SERIAL --merchant-public-key PEM] --credentials-dir DIR \
[--fixtures FILE] [--transactions FILE] [--max-ratio-percent 30] [--processing-delay SECONDS] [--clock-speed 1] \
[--notify-url URL]";

#[derive(Default)]
struct Args {
    addr: Option<SocketAddr>,
    mchid: Option<String>,
    serial_no: Option<String>,
    public_key: Option<PathBuf>,
    credentials_dir: Option<PathBuf>,
    fixtures: Option<PathBuf>,
    transactions: Option<PathBuf>,
    max_ratio_percent: Option<u8>,
    processing_delay: Option<Duration>,
    clock_speed: Option<f64>,
    notify_url: Option<String>,
}

fn parse_args() -> Result<Args, Failure> {
    let mut parsed = Args::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--addr" => parsed.addr = Some(value()?.parse().map_err(|e| format!("--addr: {e}"))?),
            "--mchid" => parsed.mchid = Some(value()?),
            "--merchant-serial-no" => parsed.serial_no = Some(value()?),
            "--merchant-public-key" => parsed.public_key = Some(value()?.into()),
            "--credentials-dir" => parsed.credentials_dir = Some(value()?.into()),
            "--fixtures" => parsed.fixtures = Some(value()?.into()),
            "--transactions" => parsed.transactions = Some(value()?.into()),
            "--max-ratio-percent" => {
                parsed.max_ratio_percent = Some(
                    value()?
                        .parse()
                        .map_err(|e| format!("--max-ratio-percent: {e} (0 to 100)"))?,
                )
            }
            "--processing-delay" => {
                let seconds: f64 = value()?
                    .parse()
                    .map_err(|e| format!("--processing-delay: {e} (seconds, e.g. 0.5)"))?;
                parsed.processing_delay = Some(
                    Duration::try_from_secs_f64(seconds)
                        .map_err(|e| format!("--processing-delay: {e}"))?,
                )
            }
            "--clock-speed" => {
                parsed.clock_speed = Some(
                    value()?
                        .parse()
                        .map_err(|e| format!("--clock-speed: {e} (e.g. 1, 60, 0.5)"))?,
                )
            }
            "--notify-url" => parsed.notify_url = Some(value()?),
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
        }
    }
    Ok(parsed)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mock_server: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Failure> {
    let args = parse_args()?;
    let dir = args
        .credentials_dir
        .ok_or_else(|| format!("--credentials-dir is required\n{USAGE}"))?;
    let mut builder = Simulator::builder().addr(
        args.addr
            .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080))),
    );
    match (args.mchid, args.serial_no, args.public_key) {
        (Some(mchid), Some(serial_no), Some(path)) => {
            let pem = std::fs::read_to_string(&path).map_err(|e| {
                format!("cannot read --merchant-public-key {}: {e}", path.display())
            })?;
            builder = builder.merchant(mchid, serial_no, pem);
        }
        (None, None, None) => {}
        _ => {
            return Err(
                "--mchid, --merchant-serial-no and --merchant-public-key go together".into(),
            );
        }
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
    builder = builder.fixtures(fixtures);
    if let Some(percent) = args.max_ratio_percent {
        builder = builder.max_ratio_percent(percent);
    }
    if let Some(delay) = args.processing_delay {
        builder = builder.processing_delay(delay);
    }
    if let Some(speed) = args.clock_speed {
        builder = builder.clock_speed(speed);
    }
    let simulator = builder.start().await?;
    if let Some(url) = args.notify_url {
        simulator.set_notify_url(&url)?;
    }
    simulator
        .credentials()
        .write_to_dir(&dir)
        .map_err(|e| format!("cannot write the credentials into {}: {e}", dir.display()))?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {}", simulator.base_url())?;
    stdout.flush()?;
    std::future::pending::<()>().await;
    Ok(())
}
