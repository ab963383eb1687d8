//! Waiting for platform certificates: before a call when nothing else could verify its answer,
//! and when an answer names a certificate the client does not hold yet. One download at a time,
//! on its own task, shared by every caller that waits for it.

use std::sync::Arc;
use std::time::SystemTime;

use tokio::time::Instant;
use tracing::Instrument;

use super::attempt::Call;
use super::inner::Inner;
use super::refresh::{CertificateRefresher, Flight, Need, Plan};
use crate::error::{Effect, Error};

impl Inner {
    /// Before a call is sent: waits for the first download when nothing else could verify its
    /// answer, or starts a timed refresh that runs beside the call (which verifies with the
    /// certificates held meanwhile).
    pub(crate) async fn certificates_before_sending(
        self: &Arc<Self>,
        deadline: Instant,
    ) -> Result<(), Error> {
        let Some(refresher) = &self.refresher else {
            return Ok(());
        };
        if refresher.needs_first_download() {
            let store = refresher.store();
            let seen = refresher.downloads();
            let wait = self
                .await_certificates(refresher, || !store.is_empty(), seen, deadline, Need::First)
                .await;
            return self.settled(wait, None);
        }
        if let Some(flight) = refresher.start_timed_refresh(Instant::now()) {
            self.spawn_download(flight);
        }
        Ok(())
    }

    /// A wait for certificates made before anything was sent, as the call's result: a failed
    /// download is [`Error::CertificatesUnavailable`], the deadline [`Error::DeadlineExceeded`]
    /// (no attempt was made); otherwise the caller looks at what the store holds now.
    pub(crate) fn settled(&self, wait: Wait, serial: Option<&str>) -> Result<(), Error> {
        match wait {
            Wait::Ready | Wait::NotListed | Wait::Limited => Ok(()),
            Wait::Failed(source) => Err(Error::CertificatesUnavailable {
                serial: serial.map(str::to_owned),
                request_id: None,
                source,
                body: None,
                effect: Effect::None,
            }),
            Wait::TimedOut => Err(Error::DeadlineExceeded {
                deadline: self.total_deadline,
                attempts: 0,
                last: None,
                effect: Effect::None,
            }),
        }
    }

    /// Waits, within `deadline`, until `ready()` holds: joins the download in flight or starts
    /// one, and after a failure waits out the back-off when it ends before `deadline`. A download
    /// that completed after `seen` downloads and did not make `ready()` hold ends the wait, and so
    /// does an on-demand need that may not start a download yet.
    pub(crate) async fn await_certificates(
        self: &Arc<Self>,
        refresher: &CertificateRefresher,
        ready: impl Fn() -> bool,
        seen: u64,
        deadline: Instant,
        need: Need,
    ) -> Wait {
        let mut abandoned = false;
        loop {
            if ready() {
                return Wait::Ready;
            }
            if refresher.downloads() > seen {
                // The count moves after the store: looked at again, the store is the new one.
                return if ready() {
                    Wait::Ready
                } else {
                    Wait::NotListed
                };
            }
            let mut outcome = match refresher.plan(Instant::now(), need) {
                Plan::Join(outcome) => outcome,
                Plan::Start(flight, outcome) => {
                    self.spawn_download(flight);
                    outcome
                }
                Plan::Limited => return Wait::Limited,
                Plan::BackingOff { until, last_error } => {
                    if until >= deadline {
                        return Wait::Failed(last_error);
                    }
                    tokio::time::sleep_until(until).await;
                    continue;
                }
            };
            let finished = outcome.wait_for(Option::is_some);
            match tokio::time::timeout_at(deadline, finished).await {
                Err(_) => return Wait::TimedOut,
                Ok(Ok(finished)) => {
                    if let Some(Err(error)) = &*finished {
                        return Wait::Failed(error.clone());
                    }
                }
                // The download's task went away without an outcome (its runtime is shutting
                // down): try once more, then give up.
                Ok(Err(_)) if !abandoned => abandoned = true,
                Ok(Err(_)) => return Wait::TimedOut,
            }
        }
    }

    /// Waits, within `deadline`, for the platform certificate with `serial`, which an answer or a
    /// notification named (or a user asked for): the download in flight, or an on-demand one
    /// (at most one per interval). `seen` is the count of downloads read before the serial was
    /// found missing.
    pub(crate) async fn await_serial(
        self: &Arc<Self>,
        refresher: &CertificateRefresher,
        serial: &str,
        seen: u64,
        deadline: Instant,
    ) -> Wait {
        let store = refresher.store();
        self.await_certificates(
            refresher,
            || store.contains(serial),
            seen,
            deadline,
            Need::OnDemand,
        )
        .await
    }

    /// Runs a download of the platform certificates on its own task, so that neither the call
    /// that started it nor the ones that wait for it can cancel it.
    pub(crate) fn spawn_download(self: &Arc<Self>, flight: Flight) {
        let inner = Arc::clone(self);
        let span = tracing::info_span!(
            "wechatpay",
            operation = "downloadCertificates",
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        tokio::spawn(
            async move {
                let Some(refresher) = &inner.refresher else {
                    return;
                };
                let deadline = Instant::now() + inner.total_deadline;
                let result = inner
                    .run(&Call::certificates(&inner), deadline, |answer| {
                        std::future::ready(refresher.accept(
                            &inner.verifier,
                            &answer,
                            SystemTime::now(),
                        ))
                    })
                    .await;
                refresher.finish(flight, result);
            }
            .instrument(span),
        );
    }
}

/// How a wait for platform certificates ended.
pub(crate) enum Wait {
    /// What was needed is held.
    Ready,
    /// A download completed and did not bring it.
    NotListed,
    /// An on-demand download started less than the interval ago: no other may start yet, and the
    /// certificates held do not have it.
    Limited,
    /// The download failed (or its back-off runs past the deadline): this is why.
    Failed(Arc<Error>),
    /// The deadline came first.
    TimedOut,
}
