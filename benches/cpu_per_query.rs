//! The client's own CPU time per query, in its own process, against the simulator in another.
//!
//! A query needs one RSA-2048 signature (the request) and one RSA-2048 verification (the
//! answer, about 30 times cheaper): everything else the client spends (HTTP, JSON, thread hops,
//! allocation) shows as the ratio of its CPU time per query to one signature, which `cargo xtask
//! bench` takes from `openssl speed rsa2048` in the same run.
//!
//! The program starts itself a second time as the server (`--serve`: the simulator, on its own
//! cores' share, not counted), then runs `query_order` through one client on a multi-thread
//! runtime: N queries one after the other, then N with 16 in flight, and reads the process's CPU
//! time (`CLOCK_PROCESS_CPUTIME_ID`: user and system, all threads) around each run. It prints
//! the median of the rounds and each round, and writes the medians as JSON to
//! `target/cpu-per-query.json` (or `$CPU_PER_QUERY_OUT`).
//!
//! The same GETs with plain reqwest (no signature, no verification, no decoding; the server
//! accepts them unsigned) are the `bare` baseline: what HTTP and the runtime cost by themselves.
//!
//! ```sh
//! cargo bench --bench cpu_per_query              # 5 rounds of 2,000 queries of each kind
//! cargo bench --bench cpu_per_query -- --rounds 9 --only sequential
//! cargo bench --bench cpu_per_query -- --test    # a quick run, that it works
//! ```

// A panic in a benchmark is a broken benchmark: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use wechatpay_ecommerce::profit_sharing::QueryOrderRequest;
use wechatpay_ecommerce::simulator::Simulator;
use wechatpay_ecommerce::{Client, MerchantKey, WechatPayPublicKey};

const IN_FLIGHT: usize = 16;

fn order_request() -> QueryOrderRequest {
    QueryOrderRequest::builder()
        .sub_mchid("1900000109")
        .transaction_id("4208450740201411110007820472")
        .out_order_no("P20150806125346")
        .build()
        .unwrap()
}

/// The process's CPU time so far, all threads, user and system.
fn cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The server side: the simulator, serving until killed.
fn serve(dir: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let simulator = Simulator::start().await.unwrap();
        // For the `bare` baseline: the same route, unsigned (signed requests are still checked).
        simulator.set_accept_unsigned(true);
        simulator.credentials().write_to_dir(dir).unwrap();
        println!("listening on {}", simulator.base_url());
        std::future::pending::<()>().await;
    });
}

/// The server, started as a second process; killed when dropped.
struct Server {
    child: Child,
    base_url: String,
    dir: PathBuf,
}

impl Server {
    fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("cpu-per-query-{}", std::process::id()));
        let mut child = Command::new(std::env::current_exe().unwrap())
            .arg("--serve")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base_url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the server said {line:?}"))
            .to_owned();
        Self {
            child,
            base_url,
            dir,
        }
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap()
    }

    fn client(&self) -> Client {
        Client::builder()
            .merchant(
                self.read("mchid"),
                self.read("merchant_serial_no"),
                MerchantKey::from_pem(&self.read("merchant_private_key.pem")).unwrap(),
            )
            .wechatpay_public_key(
                WechatPayPublicKey::from_pem(
                    self.read("public_key_id"),
                    &self.read("platform_public_key.pem"),
                )
                .unwrap(),
            )
            .base_url(&self.base_url)
            .build()
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What one query is: through the client, or the same GET with plain reqwest (no signature,
/// no verification, no decoding), the baseline of HTTP and the runtime.
#[derive(Clone)]
enum Query {
    Client(Client),
    Bare(reqwest::Client, String),
}

impl Query {
    async fn once(&self) {
        match self {
            Self::Client(client) => {
                client
                    .profit_sharing()
                    .query_order(&order_request())
                    .await
                    .unwrap();
            }
            Self::Bare(http, url) => {
                let answer = http
                    .get(url)
                    .header("accept", "application/json")
                    .header("user-agent", "cpu_per_query")
                    .send()
                    .await
                    .unwrap();
                assert!(answer.status().is_success());
                answer.bytes().await.unwrap();
            }
        }
    }
}

/// `count` queries, `in_flight` at a time (each task runs its share one after the other): the
/// CPU time per query.
async fn run(query: &Query, count: usize, in_flight: usize) -> Duration {
    let start = cpu_time();
    let per_task = count / in_flight;
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let query = query.clone();
            tokio::spawn(async move {
                for _ in 0..per_task {
                    query.once().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    (cpu_time() - start) / u32::try_from(per_task * in_flight).unwrap()
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(position) = args.iter().position(|a| a == "--serve") {
        serve(Path::new(&args[position + 1]));
        return;
    }
    let quick = args.iter().any(|a| a == "--test");
    let (rounds, count) = if quick {
        (1, 64)
    } else {
        (
            std::env::var("R")
                .ok()
                .and_then(|r| r.parse().ok())
                .unwrap_or(3),
            2_000,
        )
    };
    // For profiling one of the two: `--only sequential` or `--only concurrent`.
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let wanted = |mode: &str| only.as_deref().is_none_or(|o| o == mode);

    let server = Server::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Query::Client(server.client());
    let bare = Query::Bare(
        reqwest::Client::new(),
        format!(
            "{}/v3/ecommerce/profitsharing/orders?sub_mchid=1900000109&transaction_id=4208450740201411110007820472&out_order_no=P20150806125346",
            server.base_url
        ),
    );
    let figures = runtime.block_on(async {
        // Warm up: connections, the allocator, the blocking pool.
        run(&client, count.min(500), IN_FLIGHT).await;
        run(&bare, count.min(500), IN_FLIGHT).await;
        let mut figures = [(); 4].map(|()| Vec::new());
        for _ in 0..rounds {
            for (i, (query, in_flight, mode)) in [
                (&client, 1, "sequential"),
                (&client, IN_FLIGHT, "concurrent"),
                (&bare, 1, "bare"),
                (&bare, IN_FLIGHT, "bare"),
            ]
            .into_iter()
            .enumerate()
            {
                if wanted(mode) {
                    figures[i].push(run(query, count, in_flight).await);
                }
            }
        }
        figures
    });
    let per = |d: &Duration| d.as_nanos() as f64 / 1e3;
    let names = [
        "sequential",
        "16_in_flight",
        "bare/sequential",
        "bare/16_in_flight",
    ];
    for (name, rounds) in names.iter().zip(&figures) {
        if !rounds.is_empty() {
            let each: Vec<String> = rounds.iter().map(|d| format!("{:.0}", per(d))).collect();
            println!(
                "cpu_per_query/{name}: {:.1} µs of CPU per query (median of {} rounds of {count}: {})",
                per(&median(rounds.clone())),
                rounds.len(),
                each.join(", ")
            );
        }
    }
    let [sequential, concurrent, bare_sequential, bare_concurrent] =
        figures.map(|rounds| per(&median(rounds)));
    let out = std::env::var_os("CPU_PER_QUERY_OUT").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/cpu-per-query.json"),
        PathBuf::from,
    );
    if !quick && only.is_none() {
        let json = format!(
            "{{\"queries\": {count}, \"rounds\": {rounds}, \"in_flight\": {IN_FLIGHT}, \
             \"sequential_us\": {sequential:.2}, \"concurrent_us\": {concurrent:.2}, \
             \"bare_sequential_us\": {bare_sequential:.2}, \
             \"bare_concurrent_us\": {bare_concurrent:.2}}}\n"
        );
        std::fs::write(&out, json).unwrap();
        println!("wrote {}", out.display());
    }
}
