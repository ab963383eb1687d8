//! When and how often a call is tried again.

use std::time::Duration;

use crate::error::{Error, TransportKind};
use crate::request::operation::Operation;

/// How a client retries a call that failed in a way that may pass ([`Error::is_retryable`]):
/// exponential backoff with full jitter, `Retry-After` honoured, within a total deadline.
///
/// Each attempt is a new request: signed again, with a new timestamp and nonce.
///
/// Made from [`RetryPolicy::default`] or [`RetryPolicy::none`] and adjusted with its `with_…`
/// methods, so that a setting added later breaks no caller.
///
/// [`Error::is_retryable`]: crate::Error::is_retryable
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// The most attempts per call, the first included (default 3; 1 means no retries).
    pub max_attempts: u32,
    /// The backoff before the first retry, before jitter (default 200 ms).
    pub initial_backoff: Duration,
    /// The largest backoff, before jitter (default 5 s).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// One attempt per call: no retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The same policy with at most `max_attempts` attempts per call, the first included.
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// The same policy with a backoff from `initial` up to at most `max`, before jitter.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }
}

// Which operations are retried is the transport's rule, kept here beside the policy.
impl Operation {
    /// Whether the operation changes something at WeChat Pay (anything but a GET): then a failed
    /// call says whether WeChat Pay may have acted on it.
    pub(crate) fn changes_state(&self) -> bool {
        self.method != http::Method::GET
    }

    /// Whether a failed call may be sent again: always for a GET or an idempotent operation;
    /// otherwise only when the request certainly did not reach the server (the connection could
    /// not be made), since WeChat Pay might have acted on it.
    pub fn may_retry(&self, error: &Error) -> bool {
        if !error.is_retryable() {
            return false;
        }
        self.method == http::Method::GET
            || self.idempotent
            || matches!(
                error,
                Error::Transport {
                    kind: TransportKind::Connect,
                    ..
                }
            )
    }
}

/// How long to wait before trying again after `error`, the backoff being at `delay`: the
/// answer's `Retry-After` when it has one, else a full jitter of the backoff.
pub(crate) fn wait_after(error: &Error, delay: Duration) -> Duration {
    error
        .api()
        .and_then(|api| api.retry_after)
        .unwrap_or_else(|| full_jitter(delay))
}

/// Full jitter: a uniformly random wait between zero and `backoff`, so that clients that failed
/// together do not retry together.
pub(crate) fn full_jitter(backoff: Duration) -> Duration {
    let mut bytes = [0u8; 4];
    // Without randomness, waiting the whole backoff is the safe choice.
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return backoff;
    }
    backoff.mul_f64(f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_jitter_stays_within_the_backoff_and_spreads() {
        let backoff = Duration::from_millis(1000);
        let waits: Vec<Duration> = (0..1000).map(|_| full_jitter(backoff)).collect();
        assert!(waits.iter().all(|w| *w <= backoff));
        assert!(waits.iter().any(|w| *w < backoff / 4));
        assert!(waits.iter().any(|w| *w > backoff * 3 / 4));
    }
}
