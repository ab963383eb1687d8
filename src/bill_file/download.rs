//! The download of a bill's file (下载账单): a signed GET of each part's `download_url`, its bytes
//! decrypted (a sub-merchant bill's part), gunzipped when they are gzip, hashed, and handed on a
//! piece at a time, so that memory does not grow with the bill.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::Arc;
use std::time::SystemTime;

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio::time::Instant;

use aws_lc_rs::digest;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, HeaderValue, USER_AGENT};
use zeroize::Zeroizing;

use super::BillError;
use super::gcm::Decryptor;
use crate::error::{Effect, Error};
use crate::transport::attempt::{Target, transport_error, without_query};
use crate::transport::inner::Inner;
use crate::transport::retry::wait_after;

/// The most compressed input inflated at once: its output (at most about a thousand times as
/// much for gzip) is handed on before more is read, whatever the file holds.
const GZIP_SLICE: usize = 4096;
/// The most input handled at once when it is not gzip: what comes out is as long as what goes in
/// (a 105 MB plain bill is read a fifth faster than in 4 KiB slices).
const PLAIN_SLICE: usize = 64 * 1024;

/// What a part needs to be downloaded and checked.
pub(crate) struct PartSpec {
    /// `bill_sequence` (1 for a bill of one file).
    pub(crate) sequence: i64,
    pub(crate) url: String,
    /// The SHA-1 of the original part (decrypted and unzipped).
    pub(crate) sha1: [u8; 20],
    /// A sub-merchant bill part's key and nonce.
    pub(crate) secret: Option<(Zeroizing<[u8; 32]>, Vec<u8>)>,
}

/// How the part's (decrypted) bytes are packed: known once its first two bytes are.
enum Packing {
    /// Fewer than two bytes seen: they wait here.
    Unknown(Vec<u8>),
    Plain,
    Gzip(Box<flate2::write::GzDecoder<Vec<u8>>>),
}

/// A part being downloaded.
struct Open {
    sequence: i64,
    response: reqwest::Response,
    sha1: [u8; 20],
    decryptor: Option<Decryptor>,
    packing: Packing,
    digest: digest::Context,
    /// Bytes read and not yet processed.
    pending: Bytes,
    /// Decrypted bytes, reused.
    plain: Vec<u8>,
}

/// A bill's file being downloaded: its original bytes (decrypted, unzipped), a piece at a time,
/// part after part in `bill_sequence` order.
///
/// Nothing it hands out is confirmed until [`next_chunk`](Self::next_chunk) answers `Ok(None)`:
/// only then has every part's SHA-1 matched (and every encrypted part's GCM tag). On an error,
/// discard what came before it.
pub struct BillFile {
    pub(crate) inner: Arc<Inner>,
    pub(crate) parts: VecDeque<PartSpec>,
    current: Option<Open>,
}

impl std::fmt::Debug for BillFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BillFile")
            .field("parts_left", &self.parts.len())
            .field("in_progress", &self.current.as_ref().map(|o| o.sequence))
            .finish_non_exhaustive()
    }
}

impl BillFile {
    pub(crate) fn new(inner: Arc<Inner>, parts: VecDeque<PartSpec>) -> Self {
        Self {
            inner,
            parts,
            current: None,
        }
    }

    /// The next piece of the original bill, `Ok(None)` once every part was read and checked.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, BillError> {
        loop {
            let open = match &mut self.current {
                Some(open) => open,
                None => match self.parts.pop_front() {
                    None => return Ok(None),
                    Some(spec) => {
                        let response = open_part(&self.inner, &spec.url).await?;
                        self.current.insert(Open {
                            sequence: spec.sequence,
                            response,
                            sha1: spec.sha1,
                            decryptor: spec
                                .secret
                                .as_ref()
                                .map(|(key, nonce)| Decryptor::new(key, nonce)),
                            packing: Packing::Unknown(Vec::new()),
                            digest: digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY),
                            pending: Bytes::new(),
                            plain: Vec::new(),
                        })
                    }
                },
            };
            if open.pending.is_empty() {
                let read = tokio::time::timeout(self.inner.attempt_timeout, open.response.chunk());
                let chunk = match read.await {
                    Ok(Ok(chunk)) => chunk,
                    Ok(Err(source)) => {
                        let error = transport_error(open.response.url(), source);
                        return Err(BillError::Request(Box::new(error)));
                    }
                    Err(_) => {
                        return Err(BillError::Stalled {
                            part: open.sequence,
                            waited: self.inner.attempt_timeout,
                        });
                    }
                };
                match chunk {
                    Some(chunk) => open.pending = chunk,
                    None => {
                        let out = finish(open)?;
                        self.current = None;
                        if out.is_empty() {
                            continue;
                        }
                        return Ok(Some(out));
                    }
                }
            }
            let most = match open.packing {
                Packing::Plain => PLAIN_SLICE,
                // Not known yet (the first two bytes decide), or gzip.
                Packing::Unknown(_) | Packing::Gzip(_) => GZIP_SLICE,
            };
            let slice = open.pending.split_to(open.pending.len().min(most));
            let out = process(open, &slice)?;
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
    }
}

/// Decrypts (when the part is encrypted), unpacks and hashes the next bytes of a part.
fn process(open: &mut Open, input: &[u8]) -> Result<Vec<u8>, BillError> {
    let data: &[u8] = match &mut open.decryptor {
        Some(decryptor) => {
            decryptor.update(input, &mut open.plain);
            &open.plain
        }
        None => input,
    };
    let out = unpack(&mut open.packing, data, open.sequence)?;
    open.digest.update(&out);
    Ok(out)
}

fn unpack(packing: &mut Packing, data: &[u8], part: i64) -> Result<Vec<u8>, BillError> {
    if let Packing::Unknown(seen) = packing {
        seen.extend_from_slice(data);
        if seen.len() < 2 {
            return Ok(Vec::new());
        }
        let seen = std::mem::take(seen);
        *packing = if seen.starts_with(&[0x1f, 0x8b]) {
            Packing::Gzip(Box::new(flate2::write::GzDecoder::new(Vec::new())))
        } else {
            Packing::Plain
        };
        return unpack(packing, &seen, part);
    }
    match packing {
        Packing::Unknown(_) => Ok(Vec::new()),
        Packing::Plain => Ok(data.to_vec()),
        Packing::Gzip(decoder) => {
            decoder
                .write_all(data)
                .map_err(|source| BillError::Gzip { part, source })?;
            Ok(std::mem::take(decoder.get_mut()))
        }
    }
}

/// The end of a part: the tag, the gzip trailer and the SHA-1 must all be right.
fn finish(open: &mut Open) -> Result<Vec<u8>, BillError> {
    let part = open.sequence;
    if let Some(decryptor) = open.decryptor.take()
        && !decryptor.finish()
    {
        return Err(BillError::Decrypt { part });
    }
    let mut out = match std::mem::replace(&mut open.packing, Packing::Plain) {
        // A part of fewer than two bytes: plain.
        Packing::Unknown(seen) => seen,
        Packing::Plain => Vec::new(),
        Packing::Gzip(decoder) => decoder
            .finish()
            .map_err(|source| BillError::Gzip { part, source })?,
    };
    open.digest.update(&out);
    let actual = std::mem::replace(
        &mut open.digest,
        digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY),
    )
    .finish();
    if actual.as_ref() != open.sha1 {
        return Err(BillError::HashMismatch {
            part,
            expected: hex(&open.sha1),
            actual: hex(actual.as_ref()),
        });
    }
    out.shrink_to_fit();
    Ok(out)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sends the signed GET of a part's URL until its answer is the file (`200`). What may pass is
/// tried again as every call is ([`Error::is_retryable`], the client's backoff or the answer's
/// `Retry-After`, within the total deadline).
async fn open_part(inner: &Inner, url: &str) -> Result<reqwest::Response, BillError> {
    let target = Target::parse(url).map_err(|e| BillError::Request(Box::new(e)))?;
    let origin = target.url.origin();
    let ours = std::iter::once(&inner.base_url)
        .chain(inner.backup_base_url.as_ref())
        .any(|base| base.origin() == origin);
    if !ours {
        // A signed request goes to WeChat Pay only, whatever an answer says.
        return Err(BillError::ForeignUrl {
            url: without_query(&target.url),
        });
    }
    let deadline = Instant::now() + inner.total_deadline;
    let mut backoff = ExponentialBuilder::new()
        .with_min_delay(inner.retry.initial_backoff)
        .with_max_delay(inner.retry.max_backoff)
        .with_max_times(inner.retry.max_attempts.saturating_sub(1) as usize)
        .build();
    loop {
        let error = match send(inner, &target).await {
            Ok(response) => return Ok(response),
            Err(error) => error,
        };
        let wait = (backoff.next())
            .filter(|_| error.is_retryable())
            .map(|delay| wait_after(&error, delay));
        let Some(wait) = wait.filter(|wait| {
            Instant::now()
                .checked_add(*wait)
                .is_some_and(|end| end < deadline)
        }) else {
            return Err(BillError::Request(Box::new(error)));
        };
        tokio::time::sleep(wait).await;
    }
}

/// One signed GET of the file: the answer whose body is the file, or the error answer (JSON,
/// signed like any other: read within the body cap and verified).
async fn send(inner: &Inner, target: &Target) -> Result<reqwest::Response, Error> {
    let authorization = inner.authorization("GET", target, "").await?;
    let request = inner
        .http
        .get(target.url.clone())
        .header(AUTHORIZATION, authorization)
        .header(ACCEPT, HeaderValue::from_static("*/*"))
        .header(USER_AGENT, inner.user_agent.clone())
        .send();
    // The body may take long; only its first bytes are bound by the attempt timeout.
    let response = match tokio::time::timeout(inner.attempt_timeout, request).await {
        Ok(sent) => sent.map_err(|source| transport_error(&target.url, source))?,
        Err(_) => {
            return Err(Error::DeadlineExceeded {
                deadline: inner.attempt_timeout,
                attempts: 1,
                last: None,
                effect: Effect::None,
            });
        }
    };
    if response.status() == http::StatusCode::OK {
        return Ok(response);
    }
    let answer = inner.read_answer(response, &target.url).await?;
    Err(answer.error(&inner.verifier, SystemTime::now()))
}
