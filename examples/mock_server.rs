//! The WeChat Pay simulator as a standalone server, for SDKs in other languages and manual use.
//!
//! ```sh
//! cargo run --example mock_server -- --addr 127.0.0.1:8080 --mchid 1900000001 \
//!     --merchant-serial-no SERIAL --merchant-public-key merchant_public.pem \
//!     --credentials-dir DIR [--fixtures FILE]
//! ```
//!
//! `--merchant-public-key` takes a PEM public key or the merchant's X.509 certificate. Without the
//! three merchant flags it generates a merchant and writes `mchid`, `merchant_serial_no` and
//! `merchant_private_key.pem` into DIR. It always writes into DIR: `platform_public_key.pem`,
//! `public_key_id`, `platform_certificate.pem`, `platform_certificate_serial_no`, `apiv3_key`.
//! When ready it prints one line, `listening on http://ADDR` (the real port when port 0 was asked
//! for), then serves until killed. `--fixtures FILE` is `{"orders": [...], "return_orders": [...]}`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use wechatpay_v3::simulator::{Fixtures, Simulator};

type Failure = Box<dyn std::error::Error>;

const USAGE: &str = "usage: cargo run --example mock_server -- [--addr 127.0.0.1:8080] \
[--mchid ID --merchant-serial-no SERIAL --merchant-public-key PEM] --credentials-dir DIR [--fixtures FILE]";

#[derive(Default)]
struct Args {
    addr: Option<SocketAddr>,
    mchid: Option<String>,
    serial_no: Option<String>,
    public_key: Option<PathBuf>,
    credentials_dir: Option<PathBuf>,
    fixtures: Option<PathBuf>,
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
    if let Some(path) = args.fixtures {
        builder = builder.fixtures(Fixtures::from_json_file(path)?);
    }
    let simulator = builder.start().await?;
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
