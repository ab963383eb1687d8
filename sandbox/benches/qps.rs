//! Queries per second the sandbox binary serves with 16 requests in flight, for the flow a
//! platform runs (a split, then its query, over and over, each signed and verified), in memory
//! and with `--data`; and, when `QPS_BEFORE` names one, the same against another server binary
//! with the same flags (the examples/mock_server this binary replaced, built from its commit),
//! measured in the same run, the targets taking turns.
//!
//! `cargo bench -p wechatpay-sandbox --bench qps` (5 s a target, 3 rounds; `QPS_SECONDS`,
//! `QPS_ROUNDS`); with `-- --test`, one short round, to check that it runs. `SANDBOX_QPS_OUT`
//! names a JSON file for `cargo xtask bench`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use wechatpay_ecommerce::profit_sharing::{
    CreateOrderReceiver, CreateOrderRequest, QueryOrderRequest, ReceiverType,
};

const IN_FLIGHT: usize = 16;
/// Paid transactions each worker splits, and splits of each (the sandbox takes 20 at most).
const TRANSACTIONS_PER_WORKER: usize = 400;
const SPLITS_PER_TRANSACTION: usize = 10;
const SUB_MCHID: &str = "1900000109";
const SUPPLIER: &str = "190001001";

/// A server binary to measure, and whether it keeps its state in a data file.
struct Target {
    name: &'static str,
    binary: PathBuf,
    data: bool,
}

/// The server, killed when dropped.
struct Server {
    child: Child,
    base_url: String,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start(target: &Target, run: usize) -> Server {
    let dir = std::env::temp_dir().join(format!("wechatpay-qps-{}-{run}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let transactions: Vec<_> = (0..IN_FLIGHT * TRANSACTIONS_PER_WORKER)
        .map(|n| json!({"sub_mchid": SUB_MCHID, "transaction_id": transaction(n), "amount": 1_000_000}))
        .collect();
    let file = dir.join("transactions.json");
    std::fs::write(&file, serde_json::to_vec(&transactions).unwrap()).unwrap();
    let mut command = Command::new(&target.binary);
    command
        .args([
            "--addr",
            "127.0.0.1:0",
            "--clock-speed",
            "0",
            "--credentials-dir",
        ])
        .arg(dir.join("credentials"))
        .arg("--transactions")
        .arg(&file);
    if target.data {
        command.arg("--data").arg(dir.join("sandbox.sqlite"));
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", target.binary.display()));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    // The rest of its output is read and dropped, so that no write of it fails.
    std::thread::spawn(move || lines.for_each(drop));
    Server {
        child,
        base_url: first.strip_prefix("listening on ").unwrap().to_owned(),
        dir,
    }
}

fn transaction(n: usize) -> String {
    format!("42000000002026120400{n:08}")
}

/// Requests per second over `seconds`, 16 in flight.
async fn measure(target: &Target, run: usize, seconds: f64) -> f64 {
    let server = start(target, run);
    let client = common::client_from(&server.dir.join("credentials"), &server.base_url);
    client
        .profit_sharing()
        .add_receiver(&common::supplier())
        .await
        .unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let workers: Vec<_> = (0..IN_FLIGHT)
        .map(|worker| {
            let (client, done) = (client.clone(), done.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while Instant::now() < deadline {
                    let which = worker * TRANSACTIONS_PER_WORKER + n / SPLITS_PER_TRANSACTION;
                    assert!(
                        n / SPLITS_PER_TRANSACTION < TRANSACTIONS_PER_WORKER,
                        "more splits than seeded: raise TRANSACTIONS_PER_WORKER"
                    );
                    let out_order_no = format!("P-{worker}-{n}");
                    let split = CreateOrderRequest::builder()
                        .sub_mchid(SUB_MCHID)
                        .transaction_id(transaction(which))
                        .out_order_no(&out_order_no)
                        .receivers(vec![CreateOrderReceiver {
                            receiver_type: ReceiverType::MerchantId,
                            receiver_account: SUPPLIER.into(),
                            amount: 1,
                            description: "供应商货款".into(),
                            receiver_name: None,
                        }])
                        .finish(false)
                        .build()
                        .unwrap();
                    let ps = client.profit_sharing();
                    let order = ps.create_order(&split).await.unwrap();
                    let query = QueryOrderRequest::builder()
                        .sub_mchid(SUB_MCHID)
                        .transaction_id(transaction(which))
                        .out_order_no(&out_order_no)
                        .build()
                        .unwrap();
                    let queried = ps.query_order(&query).await.unwrap();
                    assert_eq!(queried.order_id, order.order_id);
                    done.fetch_add(2, Ordering::Relaxed);
                    n += 1;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    done.load(Ordering::Relaxed) as f64 / elapsed
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let test = std::env::args().any(|a| a == "--test");
    let number = |name: &str, default: f64| {
        std::env::var(name)
            .ok()
            .map_or(default, |v| v.parse().expect(name))
    };
    let (seconds, rounds) = if test {
        (0.3, 1)
    } else {
        (
            number("QPS_SECONDS", 5.0),
            number("QPS_ROUNDS", 3.0) as usize,
        )
    };
    let sandbox = PathBuf::from(env!("CARGO_BIN_EXE_wechatpay-sandbox"));
    let mut targets = vec![
        Target {
            name: "sandbox",
            binary: sandbox.clone(),
            data: false,
        },
        Target {
            name: "sandbox_data",
            binary: sandbox,
            data: true,
        },
    ];
    if let Some(before) = std::env::var_os("QPS_BEFORE") {
        assert!(
            Path::new(&before).is_file(),
            "QPS_BEFORE={before:?} is not a file"
        );
        targets.insert(
            0,
            Target {
                name: "before",
                binary: PathBuf::from(before),
                data: false,
            },
        );
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut measured = vec![Vec::new(); targets.len()];
    for round in 0..rounds {
        for (index, target) in targets.iter().enumerate() {
            let qps = runtime.block_on(measure(target, round * targets.len() + index, seconds));
            eprintln!("round {round}: {} {qps:.0} requests/s", target.name);
            measured[index].push(qps);
        }
    }
    let mut out = serde_json::Map::new();
    out.insert("in_flight".into(), json!(IN_FLIGHT));
    out.insert("seconds".into(), json!(seconds));
    out.insert("rounds".into(), json!(rounds));
    for (target, values) in targets.iter().zip(&mut measured) {
        let qps = median(values);
        println!(
            "qps/{}: {qps:.0} requests/s (median of {rounds})",
            target.name
        );
        out.insert(target.name.into(), json!(qps));
    }
    if let Some(path) = std::env::var_os("SANDBOX_QPS_OUT") {
        std::fs::write(path, serde_json::to_vec_pretty(&out).unwrap()).unwrap();
    }
}
