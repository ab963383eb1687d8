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
    /// Answer `302 Found` with this `Location`, unsigned, as a misconfigured proxy would.
    Redirect {
        /// The `Location` header.
        location: String,
    },
    /// On `GET /v3/certificates`: list one bad entry before the good ones.
    BadCertificateEntry(BadEntry),
}

/// What is wrong with the entry [`Fault::BadCertificateEntry`] adds to the certificate list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BadEntry {
    /// It decrypts, but to something that is not a certificate.
    Unparsable,
    /// Its certificate was encrypted with other associated data than the entry lists.
    WrongAssociatedData,
    /// Its ciphertext is damaged: it does not decrypt.
    Undecryptable,
}

/// Faults waiting to be applied: the first that applies to a request's path (any path, or the one
/// it was given) applies to its answer, for as many answers as it was given (or for ever).
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    queue: VecDeque<Queued>,
}

#[derive(Debug)]
struct Queued {
    fault: Fault,
    /// Answers left; `None` for ever.
    remaining: Option<u32>,
    /// Only answers to this path, when set.
    path: Option<String>,
}

impl FaultQueue {
    pub fn push(&mut self, fault: Fault, times: Option<u32>, path: Option<String>) {
        if times != Some(0) {
            self.queue.push_back(Queued {
                fault,
                remaining: times,
                path,
            });
        }
    }

    pub fn clear(&mut self) {
        self.queue.clear();
    }

    /// The fault for the next answer to `path`, if any.
    pub fn next(&mut self, path: &str) -> Option<Fault> {
        let index = self
            .queue
            .iter()
            .position(|q| q.path.as_deref().is_none_or(|p| p == path))?;
        let queued = self.queue.get_mut(index)?;
        let fault = queued.fault.clone();
        if let Some(remaining) = &mut queued.remaining {
            *remaining -= 1;
            if *remaining == 0 {
                self.queue.remove(index);
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
        queue.push(Fault::NoSignature, Some(2), None);
        queue.push(Fault::TamperBody, Some(0), None);
        queue.push(Fault::UnknownSerial, Some(1), None);
        queue.push(Fault::MalformedJson, None, None);
        let seen: Vec<_> = (0..5).map(|_| queue.next("/a")).collect();
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
        assert_eq!(queue.next("/a"), None);
    }

    #[test]
    fn a_fault_for_a_path_waits_for_that_path() {
        let mut queue = FaultQueue::default();
        queue.push(Fault::NoSignature, Some(2), Some("/v3/certificates".into()));
        queue.push(Fault::TamperBody, Some(1), None);
        assert_eq!(queue.next("/v3/x"), Some(Fault::TamperBody));
        assert_eq!(queue.next("/v3/x"), None);
        assert_eq!(queue.next("/v3/certificates"), Some(Fault::NoSignature));
        assert_eq!(queue.next("/v3/certificates"), Some(Fault::NoSignature));
        assert_eq!(queue.next("/v3/certificates"), None);
    }
}
