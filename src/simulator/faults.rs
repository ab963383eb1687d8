//! Misbehaviour on demand: what the simulator does wrong, and for how many answers.

use std::collections::VecDeque;
use std::time::Duration;

/// Something the simulator does wrong on purpose.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status and error code (a signed error answer).
    Status {
        /// The HTTP status.
        status: u16,
        /// The error code, e.g. `SYSTEM_ERROR`.
        code: String,
    },
    /// Answer `429 FREQUENCY_LIMITED` with a `Retry-After` of this many seconds.
    RateLimited {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// Wait this long before answering.
    Delay(Duration),
    /// Close the connection without answering.
    DropConnection,
    /// Leave out the signature headers.
    NoSignature,
    /// Change the body after signing it (a digit moved by one, or a space added).
    TamperBody,
    /// Sign with a `WECHATPAY/SIGNTEST/` probe signature.
    SignatureProbe,
    /// Sign with a timestamp this many seconds in the past.
    StaleTimestamp(u64),
    /// Name a serial no key has.
    UnknownSerial,
    /// Answer a body that is not JSON, correctly signed.
    MalformedJson,
    /// Put a value no version knows in the answer's `status` or `result` (correctly signed).
    UnknownEnumValue,
    /// Add a field no version knows to the answer (correctly signed).
    UnknownField,
    /// Answer this status and raw body without signing it, as a proxy in the way would.
    Unsigned {
        /// The HTTP status.
        status: u16,
        /// The body, as sent.
        body: String,
    },
}

/// Faults waiting to be applied: the first applies to the next answer, for as many answers as it
/// was given (or for ever).
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    queue: VecDeque<(Fault, Option<u32>)>,
}

impl FaultQueue {
    pub fn push(&mut self, fault: Fault, times: Option<u32>) {
        if times != Some(0) {
            self.queue.push_back((fault, times));
        }
    }

    pub fn clear(&mut self) {
        self.queue.clear();
    }

    /// The fault for the next answer, if any.
    pub fn next(&mut self) -> Option<Fault> {
        let (fault, remaining) = self.queue.front_mut()?;
        let fault = fault.clone();
        if let Some(remaining) = remaining {
            *remaining -= 1;
            if *remaining == 0 {
                self.queue.pop_front();
            }
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_apply_in_order_for_their_count() {
        let mut queue = FaultQueue::default();
        queue.push(Fault::NoSignature, Some(2));
        queue.push(Fault::TamperBody, Some(0));
        queue.push(Fault::UnknownSerial, Some(1));
        queue.push(Fault::MalformedJson, None);
        let seen: Vec<_> = (0..5).map(|_| queue.next()).collect();
        assert_eq!(
            seen,
            [
                Fault::NoSignature,
                Fault::NoSignature,
                Fault::UnknownSerial,
                Fault::MalformedJson,
                Fault::MalformedJson
            ]
            .map(Some)
        );
        queue.clear();
        assert_eq!(queue.next(), None);
    }
}
