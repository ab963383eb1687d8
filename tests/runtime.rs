//! RSA signing must not stall the async runtime: while a burst of requests is being signed, other
//! tasks on the same runtime keep running.
//!
//! Nothing here is timed. A probe task on the runtime yields in a loop and counts its turns while at
//! least half of a burst of signatures is still to come; a runtime whose every worker is signing
//! gives it a turn only when its run queue comes round again, a runtime with a worker left free
//! gives it one every few microseconds. The reference, in the same run, is the same number of
//! signatures computed inline on the runtime's workers, as a client that did not bound signing
//! would.

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
use std::sync::atomic::{AtomicUsize, Ordering};

use wechatpay_ecommerce::simulator::{Credentials, Simulator};
use wechatpay_ecommerce::{Client, RequestSigner};

const CONCURRENT: usize = 1000;

/// Spawns `CONCURRENT` tasks made by `task` on `runtime`, then a probe that yields in a loop until
/// half of them have finished; how many turns the probe had.
fn probe_turns<F, Fut>(runtime: &tokio::runtime::Runtime, task: F) -> usize
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    runtime.block_on(async {
        let finished = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..CONCURRENT)
            .map(|_| {
                let finished = finished.clone();
                let work = task();
                tokio::spawn(async move {
                    work.await;
                    finished.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        let probe = {
            let finished = finished.clone();
            tokio::spawn(async move {
                let mut turns = 0;
                while finished.load(Ordering::SeqCst) < CONCURRENT / 2 {
                    turns += 1;
                    tokio::task::yield_now().await;
                }
                turns
            })
        };
        for task in tasks {
            task.await.unwrap();
        }
        probe.await.unwrap()
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
    let inline = probe_turns(&runtime, || {
        let signer = signer.clone();
        async move {
            tokio::task::yield_now().await;
            signer
                .authorize("GET", "/v3/ecommerce/profitsharing/orders?sub_mchid=1", "")
                .unwrap();
        }
    });

    // The client: the same number of queries, all at once.
    let through_client = probe_turns(&runtime, || {
        let client = client.clone();
        async move {
            client
                .profit_sharing()
                .query_order(&order_request())
                .await
                .unwrap();
        }
    });
    println!(
        "probe turns while half the burst was to come: signing inline {inline}; through the \
         client {through_client}"
    );
    // Inline, the probe waits behind the whole run queue each turn (none or a handful); through
    // the client a worker is left free for it (tens of thousands). The bound is far from both.
    assert!(
        through_client >= 1000 && through_client >= inline * 20,
        "the client stalls the runtime: the probe had {through_client} turns (inline signing: \
         {inline})"
    );
    stop.send(()).unwrap();
    server.join().unwrap();
}
