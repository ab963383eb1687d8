//! RSA signing must not stall the async runtime: while many requests are being signed, a timer
//! task on the same runtime still wakes up on time.
//!
//! The reference is measured in the same run: the same number of signatures computed inline on
//! the runtime's workers, as a client that did not move signing off them would.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::order_request;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use wechatpay_v3::simulator::{Credentials, Simulator};
use wechatpay_v3::{Client, RequestSigner};

const CONCURRENT: usize = 1000;

/// How late the ticks were, sorted.
struct Lateness(Vec<Duration>);

impl Lateness {
    fn percentile(&self, p: usize) -> Duration {
        self.0
            .get((self.0.len().saturating_sub(1)) * p / 100)
            .copied()
            .unwrap_or_default()
    }
}

impl std::fmt::Debug for Lateness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ticks, p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
            self.0.len(),
            self.percentile(50),
            self.percentile(90),
            self.percentile(99),
            self.percentile(100)
        )
    }
}

/// Runs `load` on `runtime` while a task ticks every millisecond; how late the ticks were.
fn tick_lateness<F>(runtime: &tokio::runtime::Runtime, load: F) -> Lateness
where
    F: std::future::Future<Output = ()>,
{
    runtime.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut lateness = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let start = Instant::now();
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    lateness.push(start.elapsed().saturating_sub(Duration::from_millis(1)));
                }
                lateness.sort();
                Lateness(lateness)
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        load.await;
        stop.store(true, Ordering::Relaxed);
        ticker.await.unwrap()
    })
}

#[test]
fn signing_does_not_stall_the_runtime() {
    // The simulator runs on a runtime and a thread of its own, so that its work is not measured.
    let (sender, receiver) = std::sync::mpsc::channel::<(String, Credentials)>();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let simulator = Simulator::start().await.unwrap();
            sender
                .send((
                    simulator.base_url().to_owned(),
                    simulator.credentials().clone(),
                ))
                .unwrap();
            let _ = stopped.await;
        });
    });
    let (base_url, credentials) = receiver.recv().unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder()
        .merchant(
            &credentials.mchid,
            &credentials.merchant_serial_no,
            credentials.merchant_key().unwrap(),
        )
        .wechatpay_public_key(credentials.wechatpay_public_key().unwrap())
        .base_url(&base_url)
        .build()
        .unwrap();

    // Reference: the same signatures, computed inline on the runtime's workers.
    let signer = Arc::new(RequestSigner::new(
        &credentials.mchid,
        &credentials.merchant_serial_no,
        credentials.merchant_key().unwrap(),
    ));
    let inline = tick_lateness(&runtime, async {
        let tasks: Vec<_> = (0..CONCURRENT)
            .map(|_| {
                let signer = signer.clone();
                tokio::spawn(async move {
                    tokio::task::yield_now().await;
                    signer
                        .authorize("GET", "/v3/ecommerce/profitsharing/orders?sub_mchid=1", "")
                        .unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });

    // The client: the same number of queries, all at once.
    let through_client = tick_lateness(&runtime, async {
        let tasks: Vec<_> = (0..CONCURRENT)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move {
                    client.query_order(&order_request()).await.unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    println!("timer lateness: signing inline {inline:?}; through the client {through_client:?}");
    // Inline, one tick in ten waits behind a run of signatures (tens of milliseconds on these
    // machines); through the client it waits behind network work only. The margin is wide so
    // that a busy machine does not make the test flaky.
    assert!(
        through_client.percentile(90) * 3 < inline.percentile(90),
        "the client stalls the runtime: timer lateness {through_client:?}; inline signing {inline:?}"
    );
    stop.send(()).unwrap();
    server.join().unwrap();
}
