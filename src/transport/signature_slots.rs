//! Where a request's RSA signature is computed, so that a burst of calls never holds back the
//! runtime's other tasks.

use std::sync::OnceLock;

use super::inner::Inner;
use crate::auth::merchant_key::SigningFailed;
use crate::auth::signing::Authorization;
use crate::error::Error;

impl Inner {
    /// Signs one request. An RSA-2048 signature is a quarter of a millisecond of CPU or more: run
    /// on every worker of the runtime at once, a burst of them would hold back every other task
    /// (timers and I/O included) for as long. On a multi-thread runtime with two workers or more,
    /// signatures run where the call runs (no thread hop: the cheapest way), at most one fewer at
    /// once than there are workers, across all clients, so that one worker is always free for the
    /// other tasks; calls beyond that wait their turn without holding a worker (the bound is
    /// sized by the first multi-thread runtime that signs, as a process has one). With one worker,
    /// signatures move off it (`block_in_place`); on a current-thread runtime, whose one thread
    /// runs everything, to the blocking pool; at most one per core at once.
    pub(crate) async fn sign(
        &self,
        method: &str,
        canonical: &str,
        body: &str,
    ) -> Result<Authorization, Error> {
        static ON_WORKERS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
        static OFF_WORKERS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
        let handle = tokio::runtime::Handle::current();
        let multi_thread = handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread;
        let workers = handle.metrics().num_workers();
        if multi_thread && workers > 1 {
            let permits = ON_WORKERS.get_or_init(|| tokio::sync::Semaphore::new(workers - 1));
            let _permit = permits.acquire().await.map_err(|_| SigningFailed)?;
            return Ok(self.signer.authorize(method, canonical, body)?);
        }
        let permits = OFF_WORKERS.get_or_init(|| {
            tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            )
        });
        let _permit = permits.acquire().await.map_err(|_| SigningFailed)?;
        if multi_thread {
            return Ok(tokio::task::block_in_place(|| {
                self.signer.authorize(method, canonical, body)
            })?);
        }
        let signer = self.signer.clone();
        let (method, canonical, body) = (method.to_owned(), canonical.to_owned(), body.to_owned());
        Ok(
            tokio::task::spawn_blocking(move || signer.authorize(&method, &canonical, &body))
                .await
                .map_err(|_| SigningFailed)??,
        )
    }
}
