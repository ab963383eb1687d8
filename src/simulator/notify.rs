//! Delivering notifications (分账动账通知) to the merchant's notify URL as WeChat Pay does: signed
//! like the answers, `resource` encrypted with the merchant's APIv3 key, sent again on the page's
//! schedule (on the simulator's clock) until the handler answers 200 or 204, every attempt
//! recorded.
//!
//! The ledger records what is due; one task per simulator wakes when told (a notify URL set, the
//! clock advanced) or every [`TICK`], takes what is due and sends each attempt on a task of its
//! own, so that a slow handler holds up nothing else.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use serde_json::json;

use super::State;
use super::ledger::{Notice, push_bounded};
use super::tracked::Log;
#[cfg(feature = "simulator-data")]
use super::tracked::{Changes, Records};
use crate::auth::signing::new_nonce;
use crate::{Notification, NotificationResource};

/// How often the delivery task looks at the clock when nothing wakes it.
const TICK: Duration = Duration::from_millis(20);
/// How long WeChat Pay waits for the handler's answer (PROTOCOL.md section 8: 5 s).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// The associated data the simulator encrypts resources with.
const ASSOCIATED_DATA: &str = "profitsharing";

/// Something the simulator does wrong in a notification on purpose: each applies to the next
/// delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum NotificationFault {
    /// A byte of `resource.ciphertext` changed, the body signed as it is: only decryption can
    /// catch it.
    TamperCiphertext,
    /// `resource.associated_data` is not the one the resource was encrypted with.
    WrongAssociatedData,
    /// The body changed after signing (a digit moved by one).
    TamperBody,
    /// Signed with a timestamp this many seconds in the past.
    StaleTimestamp(u64),
    /// Signed with a `WECHATPAY/SIGNTEST/` probe signature.
    SignatureProbe,
    /// Names a serial no key has.
    UnknownSerial,
    /// Sent twice, the same notification (same `id`) in a row.
    Duplicate,
    /// Sent twice in a row, the second time under a new `id` with the same resource: a handler
    /// that handles each id once takes it twice, one that handles each business number once (as
    /// the page asks: 按单号做幂等处理) does not.
    DuplicateWithNewId,
}

/// One attempt to deliver a notification, as the simulator recorded it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Delivery {
    /// The notification's `id`: the same on every attempt of one notification.
    pub id: String,
    /// Its `event_type`.
    pub event_type: String,
    /// Which attempt of this notification it was: 1 for the first.
    pub attempt: u32,
    /// When it was sent, on the simulator's clock.
    pub sent_at: DateTime<FixedOffset>,
    /// The body sent (the envelope, its resource encrypted).
    pub body: String,
    /// The handler's status; `None` when it did not answer (connection refused, 5 s timeout).
    pub status: Option<u16>,
    /// The handler's answer body, or why there was none.
    pub answer: String,
    /// The fault applied to it, if any.
    pub fault: Option<NotificationFault>,
}

impl Delivery {
    /// Whether WeChat Pay would read the answer as received (200 or 204).
    pub fn received(&self) -> bool {
        matches!(self.status, Some(200 | 204))
    }
}

/// A notification waiting for its next attempt.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Pending {
    id: String,
    notice: Notice,
    created: DateTime<FixedOffset>,
    /// Attempts made so far.
    attempts: u32,
    next_at: DateTime<FixedOffset>,
}

/// What the simulator knows about notifications: where to send them, what waits, what was sent.
/// What waits and what was sent are bounded like the ledger: past `max_kept` the oldest goes.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Outbox {
    url: Option<String>,
    pending: VecDeque<Pending>,
    /// Taken for an attempt, not recorded yet: `--data` keeps them, and a restarted sandbox sends
    /// them again (WeChat Pay too may send a notification twice).
    in_flight: Vec<Pending>,
    deliveries: Log<Delivery>,
    /// Not kept by `--data`: a fault is for the run that asked for it.
    #[serde(skip)]
    faults: VecDeque<NotificationFault>,
    serial: u64,
    max_kept: usize,
}

impl Outbox {
    pub fn new(max_kept: usize) -> Self {
        Self {
            url: None,
            pending: VecDeque::new(),
            in_flight: Vec::new(),
            deliveries: Log::new(max_kept),
            faults: VecDeque::new(),
            serial: 0,
            max_kept,
        }
    }

    /// Forgets what waits, what was delivered and the faults not applied yet; the URL and the
    /// notification ids' numbering stay.
    pub fn reset(&mut self) {
        self.pending.clear();
        self.in_flight.clear();
        self.deliveries.clear();
        self.faults.clear();
    }

    pub fn set_url(&mut self, url: Option<String>) {
        self.url = url;
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.iter().cloned().collect()
    }

    fn record(&mut self, delivery: Delivery) {
        self.deliveries.push(delivery);
    }

    fn wait(&mut self, pending: Pending) {
        push_bounded(&mut self.pending, pending, self.max_kept);
    }

    pub fn inject(&mut self, fault: NotificationFault) {
        self.faults.push_back(fault);
    }

    /// A new notification id.
    fn new_id(&mut self, now: DateTime<FixedOffset>) -> String {
        self.serial = self.serial.saturating_add(1);
        format!("EV-{}{:07}", now.format("%Y%m%d%H%M%S"), self.serial)
    }

    /// Queues the notices that came due, each under a new id.
    fn queue(&mut self, notices: Vec<Notice>, now: DateTime<FixedOffset>) {
        for notice in notices {
            let pending = Pending {
                id: self.new_id(now),
                created: now,
                attempts: 0,
                next_at: notice.due,
                notice,
            };
            self.wait(pending);
        }
    }

    /// Takes the notifications whose next attempt is due.
    fn take_due(&mut self, now: DateTime<FixedOffset>) -> Vec<Pending> {
        let (due, waiting): (Vec<Pending>, Vec<Pending>) =
            self.pending.drain(..).partition(|p| p.next_at <= now);
        self.pending = waiting.into();
        due
    }

    /// The attempt of notification `id` is over: it is no longer in flight.
    fn landed(&mut self, id: &str) {
        self.in_flight.retain(|p| p.id != id);
    }

    /// Adds the deliveries made since the last save (all for a full save); what waits is in the
    /// state's blob.
    #[cfg(feature = "simulator-data")]
    pub(crate) fn save(&mut self, changes: &mut Changes) -> Result<(), String> {
        self.deliveries.save("notify.deliveries", changes)
    }

    /// The deliveries the file holds.
    #[cfg(feature = "simulator-data")]
    pub(crate) fn load(&mut self, records: &mut Records) -> Result<(), String> {
        self.deliveries.load("notify.deliveries", records)
    }

    /// After a restart: what was in flight waits for its next attempt, due now.
    #[cfg(feature = "simulator-data")]
    pub(crate) fn restarted(&mut self) {
        for pending in std::mem::take(&mut self.in_flight) {
            self.wait(pending);
        }
    }
}

/// The delivery task: runs until the simulator stops.
pub(crate) async fn run(state: Arc<State>) {
    loop {
        // Woken, or the tick passed: either way, look at the clock.
        let _ = tokio::time::timeout(TICK, state.wake.notified()).await;
        let due = {
            let mut data = state.data();
            let now = data.ledger.now();
            let notices = data.ledger.due_notices();
            data.notify.queue(notices, now);
            let default_url = data.notify.url.clone();
            let mut due = Vec::new();
            for pending in data.notify.take_due(now) {
                // Its own URL (a refund's notify_url), else the simulator's; with neither, it
                // waits for one.
                match pending.notice.url.clone().or_else(|| default_url.clone()) {
                    Some(url) => {
                        let fault = data.notify.faults.pop_front();
                        data.notify.in_flight.push(pending.clone());
                        due.push((url, pending, fault));
                    }
                    None => data.notify.wait(pending),
                }
            }
            due
        };
        if !due.is_empty() {
            // On disk as in flight before the first attempt: a restart sends it again rather
            // than never.
            let _ = state.changed().await;
        }
        for (url, pending, fault) in due {
            let state = state.clone();
            tokio::spawn(async move { attempt(&state, &url, pending, fault).await });
        }
    }
}

/// Sends one attempt (two with [`NotificationFault::Duplicate`] and
/// [`NotificationFault::DuplicateWithNewId`]), records it, and queues the next one on a failure
/// while the schedule has one left.
async fn attempt(state: &State, url: &str, mut pending: Pending, fault: Option<NotificationFault>) {
    let times = match fault {
        Some(NotificationFault::Duplicate | NotificationFault::DuplicateWithNewId) => 2,
        _ => 1,
    };
    let mut received = false;
    let taken_as = pending.id.clone();
    let mut sent_at = state.data().ledger.now();
    for time in 0..times {
        if time > 0 && fault == Some(NotificationFault::DuplicateWithNewId) {
            let mut data = state.data();
            let now = data.ledger.now();
            pending.id = data.notify.new_id(now);
            pending.created = now;
            pending.attempts = 0;
        }
        pending.attempts = pending.attempts.saturating_add(1);
        let body = envelope(state, &pending, fault.as_ref());
        sent_at = state.data().ledger.now();
        let (status, answer) = post(state, url, &body, fault.as_ref()).await;
        received |= matches!(status, Some(200 | 204));
        state.data().notify.record(Delivery {
            id: pending.id.clone(),
            event_type: pending.notice.event_type.as_str().to_owned(),
            attempt: pending.attempts,
            sent_at,
            body: String::from_utf8_lossy(&body).into_owned(),
            status,
            answer,
            fault: fault.clone(),
        });
    }
    let schedule = pending.notice.kind.retry_intervals;
    let wait = usize::try_from(pending.attempts)
        .ok()
        .and_then(|n| schedule.get(n.saturating_sub(1)));
    {
        let mut data = state.data();
        data.notify.landed(&taken_as);
        if let (false, Some(wait)) = (received, wait) {
            // Counted from when the attempt was sent, so that the clock advanced while the
            // handler answered counts too.
            pending.next_at = super::ledger::later(sent_at, *wait);
            data.notify.wait(pending);
        }
    }
    // A failed write is on the standard error already; the delivery happened either way.
    let _ = state.changed().await;
}

/// The notification's body: the envelope with the resource encrypted with the APIv3 key.
fn envelope(state: &State, pending: &Pending, fault: Option<&NotificationFault>) -> Vec<u8> {
    let plaintext = serde_json::to_vec(&pending.notice.resource).unwrap_or_default();
    let nonce: String = new_nonce().unwrap_or_default().chars().take(12).collect();
    let mut ciphertext = state
        .apiv3_key
        .encrypt(&nonce, ASSOCIATED_DATA, &plaintext)
        .unwrap_or_default();
    if fault == Some(&NotificationFault::TamperCiphertext) {
        // The first base64 character changed to another: the bytes decode, the tag fails.
        if let Some(first) = ciphertext.chars().next() {
            let other = if first == 'A' { 'B' } else { 'A' };
            let rest = ciphertext.get(first.len_utf8()..).unwrap_or_default();
            ciphertext = format!("{other}{rest}");
        }
    }
    let associated_data = match fault {
        Some(NotificationFault::WrongAssociatedData) => "transaction",
        _ => ASSOCIATED_DATA,
    };
    let summary = &pending.notice.summary;
    let notification = Notification {
        id: pending.id.clone(),
        create_time: pending.created,
        event_type: pending.notice.event_type.clone(),
        summary: summary.clone(),
        resource_type: "encrypt-resource".to_owned(),
        resource: NotificationResource {
            algorithm: "AEAD_AES_256_GCM".to_owned(),
            ciphertext,
            associated_data: Some(associated_data.to_owned()),
            original_type: pending.notice.kind.original_type.to_owned(),
            nonce,
        },
    };
    serde_json::to_vec(&notification).unwrap_or_else(|_| json!({}).to_string().into_bytes())
}

/// POSTs `body` signed as WeChat Pay signs (the key its answers use), with the fault applied;
/// returns the status and the answer body, or `None` and why.
async fn post(
    state: &State,
    url: &str,
    body: &[u8],
    fault: Option<&NotificationFault>,
) -> (Option<u16>, String) {
    let (use_public_key, platform) = {
        let data = state.data();
        (
            data.answer_signer != super::AnswerSigner::PlatformCertificate,
            data.platform.last().cloned(),
        )
    };
    let mut timestamp = super::server::now_secs();
    if let Some(NotificationFault::StaleTimestamp(secs)) = fault {
        timestamp = timestamp.saturating_sub(*secs);
    }
    let mut signed =
        super::server::signature(state, platform.as_deref(), use_public_key, timestamp, body);
    let mut body = body.to_vec();
    match fault {
        Some(NotificationFault::TamperBody) => super::server::tamper(&mut body),
        Some(NotificationFault::SignatureProbe) => signed.make_probe(),
        Some(NotificationFault::UnknownSerial) => {
            signed.serial = super::server::UNKNOWN_SERIAL.to_owned();
        }
        _ => {}
    }
    let request = state
        .notifier
        .post(url)
        .timeout(ANSWER_TIMEOUT)
        .header("content-type", "application/json")
        .headers(signed.headers())
        .body(body);
    match request.send().await {
        Ok(answer) => {
            let status = answer.status().as_u16();
            let text = answer.text().await.unwrap_or_default();
            (Some(status), text)
        }
        Err(error) => (None, error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profit_sharing::PROFIT_SHARING_NOTIFICATION;

    #[test]
    fn the_schedule_is_the_pages() {
        let minutes: u64 = PROFIT_SHARING_NOTIFICATION
            .retry_intervals
            .iter()
            .map(Duration::as_secs)
            .sum::<u64>()
            / 60;
        // 共 24h4m.
        assert_eq!(minutes, 24 * 60 + 4);
    }
}
