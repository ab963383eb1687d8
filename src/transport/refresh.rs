//! Keeping the platform certificates current without making calls wait for it.
//!
//! The refresher decides when a download of `GET /v3/certificates` runs and remembers how the last
//! ones went; the client runs the download (through its retry and failover path) and waits for one
//! only when it cannot verify without it:
//!
//! - a timed refresh runs beside the calls, which keep verifying with the certificates held
//!   (stale-while-revalidate);
//! - one download at a time: every caller that needs one joins the download in flight, and shares
//!   its outcome, success or failure;
//! - after a failure, no download starts before a back-off (doubling, capped) has passed;
//! - a download on demand (an answer or a notification names a serial not held) starts at most
//!   once per interval, whatever became of the last: notifications come to a public URL, and a
//!   stranger naming a new serial in each must not cost the merchant a download each.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio::time::Instant;

use super::answer::Answer;
use crate::ErrorCode;
use crate::auth::apiv3_key::ApiV3Key;
use crate::auth::certificates::CertificateStore;
use crate::auth::certificates::download::{CertificatesBody, decrypt_entries};
use crate::auth::verify::Verifier;
use crate::config_error::{CertificateEntryError, CertificateEntryErrors, ConfigError};
use crate::error::Error;

/// How one download ended, as every caller that waited for it sees it.
pub(crate) type Outcome = Result<(), Arc<Error>>;

/// What a successful download gave.
#[derive(Debug)]
pub(crate) struct Downloaded {
    certificates: Vec<crate::auth::certificates::PlatformCertificate>,
    skipped: Vec<CertificateEntryError>,
    request_id: Option<String>,
}

/// The back-off after failed downloads: `initial`, doubled after each further failure, at most
/// `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The wait after `failures` failures in a row (at least one).
    fn after(self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.initial.saturating_mul(1u32 << doublings).min(self.max)
    }
}

/// When downloads may start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Schedule {
    /// The timed refresh: this long after the last successful download.
    pub interval: Duration,
    /// After failed downloads.
    pub backoff: Backoff,
    /// At most one on-demand download per this long (zero: no limit).
    pub on_demand_interval: Duration,
}

/// Why a download is wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Need {
    /// Nothing can verify the call's answer without one (the first download).
    First,
    /// A serial the client does not hold was named, by an answer or a notification (or asked
    /// for by the user): limited to one per interval.
    OnDemand,
}

pub(crate) struct CertificateRefresher {
    apiv3_key: ApiV3Key,
    store: Arc<CertificateStore>,
    schedule: Schedule,
    /// Download before the first call: true when no public key can verify answers meanwhile.
    eager: bool,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// The download in flight, if any: its outcome arrives on this channel.
    flight: Option<watch::Receiver<Option<Outcome>>>,
    /// Successful downloads so far.
    downloads: u64,
    last_success: Option<(Instant, SystemTime)>,
    /// Failed downloads since the last success.
    failures: u32,
    /// No download starts before this, after a failure.
    retry_at: Option<Instant>,
    last_error: Option<Arc<Error>>,
    /// When the last on-demand download started.
    last_on_demand: Option<Instant>,
    /// The entries the last successful download skipped.
    skipped: Arc<CertificateEntryErrors>,
}

/// What a caller that needs a download should do.
pub(crate) enum Plan {
    /// A download is in flight: wait for its outcome on this channel.
    Join(watch::Receiver<Option<Outcome>>),
    /// Run a download now and hand its result to [`CertificateRefresher::finish`] with this
    /// flight; its outcome arrives on the channel too.
    Start(Flight, watch::Receiver<Option<Outcome>>),
    /// The last download failed and the back-off has not passed: none may start before `until`.
    BackingOff {
        until: Instant,
        last_error: Arc<Error>,
    },
    /// An on-demand download started less than the interval ago: none may start for this need.
    Limited,
}

/// The right to run the one download in flight. Dropped without [`CertificateRefresher::finish`]
/// (a cancelled task), it leaves the way clear for the next one.
pub(crate) struct Flight {
    sender: watch::Sender<Option<Outcome>>,
    state: Arc<Mutex<State>>,
}

impl Drop for Flight {
    fn drop(&mut self) {
        let mut state = lock(&self.state);
        if state
            .flight
            .as_ref()
            .is_some_and(|flight| flight.same_channel(&self.sender.subscribe()))
        {
            state.flight = None;
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while the lock was held leaves a state that is still whole (each field is written
    // in one step).
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where the platform certificates stand: for health checks and dashboards.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CertificateStatus {
    /// The serials held, sorted (expired ones included).
    pub serials: Vec<String>,
    /// When the last successful download completed.
    pub last_download: Option<SystemTime>,
    /// Downloads that failed since the last success.
    pub consecutive_failures: u32,
    /// Why the last download failed, when it did.
    pub last_error: Option<Arc<Error>>,
    /// How long until the next download may start, while backing off after a failure.
    pub next_attempt_in: Option<Duration>,
    /// The entries the last successful download skipped, and why.
    pub skipped_entries: Arc<CertificateEntryErrors>,
    /// Whether a download is running now.
    pub downloading: bool,
}

impl CertificateRefresher {
    pub fn new(
        apiv3_key: ApiV3Key,
        store: Arc<CertificateStore>,
        schedule: Schedule,
        eager: bool,
    ) -> Self {
        Self {
            apiv3_key,
            store,
            schedule,
            eager,
            state: Arc::default(),
        }
    }

    /// The APIv3 key the certificates are decrypted with (notifications are too).
    pub(crate) fn apiv3_key(&self) -> &ApiV3Key {
        &self.apiv3_key
    }

    pub fn store(&self) -> &Arc<CertificateStore> {
        &self.store
    }

    /// The number of successful downloads: read it before verifying, to tell later whether a
    /// download completed since.
    pub fn downloads(&self) -> u64 {
        lock(&self.state).downloads
    }

    /// Whether a call must wait for a first download before it is sent: nothing else can verify
    /// its answer.
    pub fn needs_first_download(&self) -> bool {
        self.eager && self.store.is_empty()
    }

    /// Starts a timed refresh when one is due: the interval has passed since the last successful
    /// download (or none was made yet, when certificates are used from the start), none is in
    /// flight and no back-off is running. With the public key configured too, certificates are
    /// fetched only once an answer names one, and refreshed only after that. The caller runs the
    /// download of the flight returned.
    pub fn start_timed_refresh(&self, now: Instant) -> Option<Flight> {
        let mut state = lock(&self.state);
        let started = self.eager || state.downloads > 0;
        let stale = state
            .last_success
            .is_none_or(|(at, _)| now.saturating_duration_since(at) >= self.schedule.interval);
        let due = started
            && stale
            && state.flight.is_none()
            && state.retry_at.is_none_or(|until| now >= until);
        due.then(|| self.start(&mut state).0)
    }

    /// Joins the download in flight, or starts one, or says how long the back-off still runs,
    /// or (on demand) that none may start yet.
    pub fn plan(&self, now: Instant, need: Need) -> Plan {
        let mut state = lock(&self.state);
        if let Some(flight) = &state.flight {
            return Plan::Join(flight.clone());
        }
        if need == Need::OnDemand {
            // A merchant WeChat Pay says has no certificates (only the public key) gets none by
            // asking again: a serial named then is a stranger's, asked for at most once per
            // refresh interval.
            let none_to_get = state.last_error.as_deref().is_some_and(|error| {
                matches!(
                    error,
                    Error::Config(ConfigError::NoPlatformCertificates { .. })
                )
            });
            let Schedule {
                interval,
                on_demand_interval,
                ..
            } = self.schedule;
            let interval = match none_to_get {
                true => interval.max(on_demand_interval),
                false => on_demand_interval,
            };
            let recent = state
                .last_on_demand
                .is_some_and(|at| now.saturating_duration_since(at) < interval);
            if recent {
                return Plan::Limited;
            }
        }
        if let (Some(until), Some(last_error)) = (state.retry_at, &state.last_error)
            && now < until
        {
            return Plan::BackingOff {
                until,
                last_error: last_error.clone(),
            };
        }
        if need == Need::OnDemand {
            state.last_on_demand = Some(now);
        }
        let (flight, receiver) = self.start(&mut state);
        Plan::Start(flight, receiver)
    }

    /// A new flight, recorded as the one in flight.
    fn start(&self, state: &mut State) -> (Flight, watch::Receiver<Option<Outcome>>) {
        let (sender, receiver) = watch::channel(None);
        state.flight = Some(receiver.clone());
        let flight = Flight {
            sender,
            state: self.state.clone(),
        };
        (flight, receiver)
    }

    /// Records how a download went: the new certificates replace the old ones, or the failure
    /// starts (or lengthens) the back-off and is kept. Traced either way. Every caller waiting
    /// for this flight then sees its outcome.
    pub fn finish(&self, flight: Flight, result: Result<Downloaded, Error>) {
        let now = Instant::now();
        let outcome = {
            let mut state = lock(&self.state);
            state.flight = None;
            match result {
                Ok(downloaded) => {
                    for entry in &downloaded.skipped {
                        tracing::warn!(
                            serial = entry.serial(),
                            error = %entry,
                            request_id = downloaded.request_id.as_deref(),
                            "platform certificate entry skipped"
                        );
                    }
                    // The store is replaced before the count moves, so that whoever sees the new
                    // count sees the new certificates.
                    self.store.replace(downloaded.certificates);
                    state.downloads += 1;
                    state.last_success = Some((now, SystemTime::now()));
                    state.failures = 0;
                    state.retry_at = None;
                    state.last_error = None;
                    state.skipped = Arc::new(CertificateEntryErrors(downloaded.skipped));
                    tracing::info!(
                        serials = ?self.store.serials(),
                        skipped = state.skipped.0.len(),
                        request_id = downloaded.request_id.as_deref(),
                        "platform certificates downloaded"
                    );
                    Ok(())
                }
                Err(error) => {
                    state.failures = state.failures.saturating_add(1);
                    let wait = self.schedule.backoff.after(state.failures);
                    state.retry_at = Some(now + wait);
                    tracing::warn!(
                        error = %error,
                        consecutive_failures = state.failures,
                        next_attempt_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        kept = ?self.store.serials(),
                        "platform certificate download failed; the certificates held are kept"
                    );
                    let error = Arc::new(error);
                    state.last_error = Some(error.clone());
                    Err(error)
                }
            }
        };
        // Nobody may be listening (a timed refresh nobody waited for): that is fine.
        let _ = flight.sender.send(Some(outcome));
    }

    /// Where the certificates stand.
    pub fn status(&self) -> CertificateStatus {
        let state = lock(&self.state);
        let now = Instant::now();
        CertificateStatus {
            serials: self.store.serials(),
            last_download: state.last_success.map(|(_, at)| at),
            consecutive_failures: state.failures,
            last_error: state.last_error.clone(),
            next_attempt_in: state
                .retry_at
                .filter(|until| *until > now)
                .map(|until| until - now),
            skipped_entries: state.skipped.clone(),
            downloading: state.flight.is_some(),
        }
    }

    /// Accepts an answer of `GET /v3/certificates`: decrypts every entry, keeping the good ones
    /// and skipping the bad, and verifies the answer with the keys already known and the
    /// certificates it delivers.
    pub fn accept(
        &self,
        verifier: &Verifier,
        answer: &Answer,
        now: SystemTime,
    ) -> Result<Downloaded, Error> {
        if !answer.is_success() {
            // No download from inside a download: an error answer signed by a certificate not
            // known yet (the first download has none) is reported unverified.
            return Err(match answer.error(verifier, now) {
                Error::Api(api)
                    if api.status == 404 && api.code == Some(ErrorCode::ResourceNotExists) =>
                {
                    Error::Config(ConfigError::NoPlatformCertificates {
                        request_id: api.request_id,
                    })
                }
                other => other,
            });
        }
        let request_id = answer.request_id.clone();
        let parsed: CertificatesBody =
            serde_json::from_slice(&answer.body).map_err(|source| answer.decode_error(source))?;
        let decrypted = decrypt_entries(&parsed, &self.apiv3_key);
        if decrypted.certificates.is_empty() {
            return Err(Error::Config(ConfigError::NoUsableCertificate {
                entries: CertificateEntryErrors(decrypted.skipped),
                request_id,
            }));
        }
        // The answer is verified with the keys already known and the certificates it delivers.
        // Trusting a delivered certificate is sound: it decrypted with the merchant's APIv3 key,
        // whose AES-GCM tag only WeChat Pay can produce. It is also necessary: on the first
        // download nothing is known yet, and after a rotation WeChat Pay signs this very answer
        // with the new certificate.
        let known = self.store.certificates();
        let mut with_delivered = Verifier::new()
            .with_timestamp_window(verifier.timestamp_window())
            .with_certificates(Arc::new(CertificateStore::new(
                known
                    .into_iter()
                    .chain(decrypted.certificates.iter().cloned()),
            )));
        if let Some(key) = verifier.public_key() {
            with_delivered = with_delivered.with_public_key(key.clone());
        }
        answer.verify_signature(&with_delivered, now)?;
        Ok(Downloaded {
            certificates: decrypted.certificates,
            skipped: decrypted.skipped,
            request_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_cap() {
        let backoff = Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        };
        let waits: Vec<u64> = (1..=9).map(|n| backoff.after(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff.after(u32::MAX), Duration::from_secs(60));
    }
}
