//! Bills (账单): the file a bill application points to, downloaded, checked, unpacked, decrypted
//! and parsed into typed rows, with memory that does not grow with the bill (PROTOCOL.md section 9).

mod download;
pub(crate) mod gcm;
mod rows;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use zeroize::Zeroizing;

pub use download::BillFile;
use download::PartSpec;
#[cfg(feature = "simulator")]
pub(crate) use download::hex;
pub use rows::{BillRow, Columns};
pub(crate) use rows::{Count, Fen, Millifen, Time};
use rows::{Layout, Part, Resolved, Splitter};

use crate::Client;
use crate::bills::{
    ApplySubMerchantFundFlowBillResponse, BillAlgorithm, BillDownload, FundFlowBillRow,
    FundFlowBillSummary, HashType, TradeBillRow, TradeBillSummary,
};

/// What went wrong with a bill's file. Rows read before an error are not the bill: discard them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BillError {
    /// The download request failed, or WeChat Pay answered an error (`400 INVALID_REQUEST`: the
    /// URL expired after about five minutes: apply for the bill again).
    #[error("the bill's download failed: {0}")]
    Request(#[source] Box<crate::Error>),
    /// The download URL is not on the client's host: a signed request goes nowhere else.
    #[error(
        "the bill's download URL {url} is not on the client's base URL (or its backup host): \
         nothing was sent"
    )]
    ForeignUrl {
        /// The URL, without its query (its token).
        url: String,
    },
    /// A download URL longer than the 下载账单 page allows (`bills::DOWNLOAD_BILL`).
    #[error(
        "the bill's download URL is {length} characters long, and the 下载账单 page allows at \
         most {max}: nothing was sent"
    )]
    UrlTooLong {
        /// Its length.
        length: usize,
        /// The page's `string(N)`.
        max: usize,
    },
    /// The bill asks for a digest this crate does not compute.
    #[error("the bill's hash_type is {hash_type}, and only SHA1 is supported: nothing was sent")]
    UnsupportedHash {
        /// What the apply answer said.
        hash_type: String,
    },
    /// The apply answer's `hash_value` is not 40 hex digits.
    #[error("the bill's hash_value is not a SHA-1 in hex (40 hex digits): nothing was sent")]
    MalformedHash,
    /// The algorithm asked for is not supported (SM4_GCM, 国密): refused before anything is sent.
    #[error(
        "the sub-merchant bill was asked with algorithm {algorithm}, which this crate does not \
         decrypt (only AEAD_AES_256_GCM): apply again with AEAD_AES_256_GCM; nothing was sent"
    )]
    UnsupportedAlgorithm {
        /// The algorithm.
        algorithm: String,
    },
    /// The apply answer's parts are not a complete sequence.
    #[error(
        "the sub-merchant bill's parts are not 1 to {count} (download_bill_count) in sequence: \
         {sequences:?}; nothing was sent"
    )]
    Parts {
        /// `download_bill_count`.
        count: i64,
        /// The `bill_sequence` of each part given.
        sequences: Vec<i64>,
    },
    /// A part's `encrypt_key` does not decrypt with the merchant private key into a 32-byte key.
    #[error(
        "the encrypt_key of part {part} does not decrypt (RSAES-OAEP, SHA-1) with the merchant \
         private key into an AES-256 key: is the client's merchant key the one of the API \
         certificate WeChat Pay holds?"
    )]
    EncryptKey {
        /// Its `bill_sequence`.
        part: i64,
    },
    /// A part's GCM tag did not match: the key, the nonce or the bytes are not what WeChat Pay
    /// encrypted with.
    #[error(
        "part {part} of the sub-merchant bill did not decrypt: its AES-256-GCM tag does not match. \
         Check that the bill was applied for with AEAD_AES_256_GCM and downloaded whole. This \
         crate assumes, as WeChat Pay does elsewhere, that the key is the raw bytes encrypt_key \
         decrypts to, the nonce its characters' bytes, no associated data, and the 16-byte tag \
         after the ciphertext (README, \"Bills\")"
    )]
    Decrypt {
        /// Its `bill_sequence`.
        part: i64,
    },
    /// A gzip part is not a whole gzip stream (cut short, or not gzip after its first bytes).
    #[error("part {part} of the bill is not a whole gzip stream: {source}")]
    Gzip {
        /// Its `bill_sequence`.
        part: i64,
        /// What flate2 said.
        #[source]
        source: std::io::Error,
    },
    /// The original part's SHA-1 is not the apply answer's `hash_value`: discard the file.
    #[error(
        "part {part} of the bill is not the file WeChat Pay described: its SHA-1 is {actual}, \
         the apply answer's hash_value {expected}; discard it and download again"
    )]
    HashMismatch {
        /// Its `bill_sequence`.
        part: i64,
        /// The apply answer's, in lowercase hex.
        expected: String,
        /// The file's, in lowercase hex.
        actual: String,
    },
    /// No bytes came for a while.
    #[error("part {part} of the bill stalled: no bytes for {waited:?}")]
    Stalled {
        /// Its `bill_sequence`.
        part: i64,
        /// The client's attempt timeout.
        waited: Duration,
    },
    /// The file is not laid out as a bill (its header row, records, summary header, summary).
    #[error("the bill's line {line} is not where a bill has it: {reason}")]
    Layout {
        /// The line (1 is the header row).
        line: u64,
        /// What was wrong.
        reason: String,
    },
    /// A value does not parse as its column's type.
    #[error("the bill's line {line}, column {column}: {reason}")]
    Row {
        /// The line (1 is the header row).
        line: u64,
        /// The column's name.
        column: String,
        /// What was wrong.
        reason: String,
    },
    /// The reading of the bill failed before (that error was answered then): nothing more is
    /// read.
    #[error("the bill's reading already failed: {0}")]
    Failed(String),
    /// Reading a local bill, or writing one to disk, failed.
    #[error("the bill's file: {0}")]
    Io(#[from] std::io::Error),
}

/// Refuses a download URL longer than the 下载账单 page allows.
fn check_url(url: &str) -> Result<(), BillError> {
    let length = url.chars().count();
    match crate::bills::DOWNLOAD_BILL.max_url_length {
        Some(max) if length > max => Err(BillError::UrlTooLong { length, max }),
        _ => Ok(()),
    }
}

/// A SHA-1 in hex, as the apply answers give it.
fn sha1_of(hash_type: &HashType, hash_value: &str) -> Result<[u8; 20], BillError> {
    if *hash_type != HashType::Sha1 {
        return Err(BillError::UnsupportedHash {
            hash_type: hash_type.as_str().to_owned(),
        });
    }
    let text = hash_value.trim();
    let mut out = [0u8; 20];
    if text.len() != 40 || !text.is_ascii() {
        return Err(BillError::MalformedHash);
    }
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| BillError::MalformedHash)?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| BillError::MalformedHash)?;
    }
    Ok(out)
}

impl Client {
    /// Downloads a trade bill or a fund flow bill (下载账单) from what applying for it answered:
    /// nothing is sent until the file is read. A gzip file (`tar_type=GZIP`) is unpacked; the
    /// original bill's SHA-1 is checked against `hash_value` when the last byte is read.
    ///
    /// ```no_run
    /// # async fn run(client: wechatpay_ecommerce::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use wechatpay_ecommerce::bills::{ApplyFundFlowBillRequest, TarType};
    /// let request = ApplyFundFlowBillRequest::builder()
    ///     .bill_date("2019-06-11")
    ///     .tar_type(TarType::Gzip)
    ///     .build()?;
    /// let applied = client.bills().apply_fund_flow_bill(&request).await?;
    /// let mut rows = client.download_bill(&applied)?.fund_flow_rows();
    /// let mut movements = Vec::new();
    /// while let Some(row) = rows.next().await? {
    ///     movements.push(row);
    /// }
    /// // Only now, the file's SHA-1 checked, are the rows the bill.
    /// println!("{} movements, summary {:?}", movements.len(), rows.summary());
    /// # Ok(())
    /// # }
    /// ```
    pub fn download_bill(&self, bill: &BillDownload) -> Result<BillFile, BillError> {
        check_url(&bill.download_url)?;
        let spec = PartSpec {
            sequence: 1,
            url: bill.download_url.clone(),
            sha1: sha1_of(&bill.hash_type, &bill.hash_value)?,
            secret: None,
        };
        Ok(BillFile::new(self.inner.clone(), VecDeque::from([spec])))
    }

    /// Downloads the sub-merchants' fund flow bill (申请二级商户资金账单) from what applying for
    /// it answered, with the `algorithm` the application asked for: every part, in
    /// `bill_sequence` order, each decrypted with the key its `encrypt_key` holds (decrypted with
    /// the merchant private key), unpacked when gzip, and checked against its `hash_value`.
    /// `SM4_GCM` is refused here, before anything is sent.
    pub fn download_sub_merchant_bill(
        &self,
        bill: &ApplySubMerchantFundFlowBillResponse,
        algorithm: &BillAlgorithm,
    ) -> Result<BillFile, BillError> {
        if *algorithm != BillAlgorithm::AeadAes256Gcm {
            return Err(BillError::UnsupportedAlgorithm {
                algorithm: algorithm.as_str().to_owned(),
            });
        }
        let mut list: Vec<_> = bill.download_bill_list.iter().collect();
        list.sort_by_key(|part| part.bill_sequence);
        let sequences: Vec<i64> = list.iter().map(|part| part.bill_sequence).collect();
        let expected: Vec<i64> = (1..=bill.download_bill_count).collect();
        if sequences != expected {
            return Err(BillError::Parts {
                count: bill.download_bill_count,
                sequences,
            });
        }
        let key = self.inner.signer.key();
        let mut parts = VecDeque::new();
        for part in list {
            check_url(&part.download_url)?;
            let part_error = || BillError::EncryptKey {
                part: part.bill_sequence,
            };
            let sealed = STANDARD
                .decode(part.encrypt_key.trim())
                .map_err(|_| part_error())?;
            let opened = key.decrypt_oaep(&sealed).ok_or_else(part_error)?;
            let mut aes_key = Zeroizing::new([0u8; 32]);
            if opened.len() != aes_key.len() {
                return Err(part_error());
            }
            aes_key.copy_from_slice(&opened);
            parts.push_back(PartSpec {
                sequence: part.bill_sequence,
                url: part.download_url.clone(),
                sha1: sha1_of(&part.hash_type, &part.hash_value)?,
                secret: Some((aes_key, part.nonce.as_bytes().to_vec())),
            });
        }
        Ok(BillFile::new(self.inner.clone(), parts))
    }
}

impl BillFile {
    /// Writes the original bill to `path`, once every part is checked: it goes to `PATH.partial`
    /// first, renamed to `path` at the end, and removed on an error. Answers the bill's size in
    /// bytes.
    pub async fn save_to(mut self, path: impl AsRef<Path>) -> Result<u64, BillError> {
        let path = path.as_ref();
        let mut partial = PathBuf::from(path);
        partial.as_mut_os_string().push(".partial");
        let written = async {
            let mut file = tokio::fs::File::create(&partial).await?;
            let mut size = 0u64;
            while let Some(chunk) = self.next_chunk().await? {
                file.write_all(&chunk).await?;
                size += chunk.len() as u64;
            }
            file.flush().await?;
            file.sync_all().await?;
            Ok::<u64, BillError>(size)
        }
        .await;
        match written {
            Ok(size) => {
                tokio::fs::rename(&partial, path).await?;
                Ok(size)
            }
            Err(error) => {
                // Best effort: the error is what the caller needs.
                let _ = tokio::fs::remove_file(&partial).await;
                Err(error)
            }
        }
    }

    /// The original bill as a [`Stream`](futures_util::Stream) of chunks, for a caller that
    /// pipes it on (e.g. into `tokio_util::io::StreamReader` for an `AsyncRead`). The last item
    /// is an error if a check fails: until the stream ends without one, the bytes are unconfirmed.
    pub fn into_stream(self) -> impl futures_util::Stream<Item = Result<Vec<u8>, BillError>> {
        futures_util::stream::try_unfold(self, |mut file| async move {
            Ok(file.next_chunk().await?.map(|chunk| (chunk, file)))
        })
    }

    /// The bill's rows, as a trade bill (交易账单).
    pub fn trade_rows(self) -> BillRows<TradeBillRow, TradeBillSummary> {
        BillRows::new(Source::File(Box::new(self)))
    }

    /// The bill's rows, as a fund flow bill (资金账单; also a sub-merchant fund flow bill, whose
    /// extra columns are kept in each row's `extra`).
    pub fn fund_flow_rows(self) -> BillRows<FundFlowBillRow, FundFlowBillSummary> {
        BillRows::new(Source::File(Box::new(self)))
    }
}

/// Where a bill's bytes come from.
enum Source {
    /// A download not started yet.
    File(Box<BillFile>),
    /// A download running as a task of its own, so that on a multi-thread runtime it (HTTP, GCM,
    /// gunzip, SHA-1) and the parse use two cores: its chunks come through a channel of a few, so
    /// memory stays bounded.
    Fetching(Fetcher),
    /// The bytes are all read, and checked.
    Done,
    /// The download failed: what it said.
    Failed(String),
    Reader(Pin<Box<dyn AsyncRead + Send>>),
}

/// How many chunks may wait in the channel (the task holds one more while it waits to send).
const CHUNKS_AHEAD: usize = 4;

/// The download's task and its chunks; dropping it stops the download.
struct Fetcher {
    /// Each chunk, then `Ok(None)` once the file is whole and checked.
    chunks: tokio::sync::mpsc::Receiver<Result<Option<Vec<u8>>, BillError>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fetcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Source {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, BillError> {
        match self {
            Source::File(_) => {
                let Source::File(mut file) = std::mem::replace(self, Source::Done) else {
                    return Ok(None);
                };
                let (sender, chunks) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
                let task = tokio::spawn(async move {
                    loop {
                        let chunk = file.next_chunk().await;
                        let last = !matches!(chunk, Ok(Some(_)));
                        // A closed channel: the rows were dropped, nobody reads on.
                        if sender.send(chunk).await.is_err() || last {
                            return;
                        }
                    }
                });
                *self = Source::Fetching(Fetcher { chunks, task });
                Box::pin(self.next_chunk()).await
            }
            Source::Fetching(fetcher) => match fetcher.chunks.recv().await {
                Some(Ok(Some(chunk))) => Ok(Some(chunk)),
                Some(Ok(None)) => {
                    *self = Source::Done;
                    Ok(None)
                }
                Some(Err(error)) => {
                    *self = Source::Failed(error.to_string());
                    Err(error)
                }
                None => {
                    // The task ended without its last message: it panicked (a bug), or was
                    // cancelled by the runtime shutting down.
                    let ended = match (&mut fetcher.task).await {
                        Err(error) => format!(": {error}"),
                        Ok(()) => String::new(),
                    };
                    let reason = format!("the download's task ended before the file did{ended}");
                    *self = Source::Failed(reason.clone());
                    Err(BillError::Failed(reason))
                }
            },
            Source::Done => Ok(None),
            Source::Failed(reason) => Err(BillError::Failed(reason.clone())),
            Source::Reader(reader) => {
                let mut buffer = vec![0; 64 * 1024];
                let read = reader.read(&mut buffer).await?;
                if read == 0 {
                    return Ok(None);
                }
                buffer.truncate(read);
                Ok(Some(buffer))
            }
        }
    }
}

/// A bill's typed rows, read as the file comes: `R` for each record, `S` for the summary row.
///
/// The rows are the bill only once [`next`](Self::next) has answered `Ok(None)`: the download's
/// checks (SHA-1, GCM tag) end with the file. On an error, discard the rows read before it.
pub struct BillRows<R, S> {
    source: Source,
    splitter: Splitter,
    layout: Layout,
    /// The header row, resolved for `R` once it is read; the summary's header, for `S`.
    records: Option<Resolved>,
    summaries: Option<Resolved>,
    /// The rows (or errors) of the bytes read so far, not yet handed out.
    queue: VecDeque<Result<R, BillError>>,
    summary: Option<S>,
    finished: bool,
}

impl<R, S> std::fmt::Debug for BillRows<R, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BillRows")
            .field("header", &self.layout.header)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<R: BillRow, S: BillRow> BillRows<R, S> {
    fn new(source: Source) -> Self {
        Self {
            source,
            splitter: Splitter::new(),
            layout: Layout::new(),
            records: None,
            summaries: None,
            queue: VecDeque::new(),
            summary: None,
            finished: false,
        }
    }

    /// The rows of a bill read from anywhere, e.g. a file [`BillFile::save_to`] wrote.
    pub fn from_reader(reader: impl AsyncRead + Send + 'static) -> Self {
        Self::new(Source::Reader(Box::pin(reader)))
    }

    /// The next record, `Ok(None)` after the last (the summary is then read, and the file
    /// checked). A row that does not parse is an error in its place; the rows after it can still
    /// be read, but the bill is not whole.
    pub async fn next(&mut self) -> Result<Option<R>, BillError> {
        loop {
            if let Some(row) = self.queue.pop_front() {
                return row.map(Some);
            }
            if self.finished {
                if self.summary.is_none() {
                    return Err(BillError::Layout {
                        line: 0,
                        reason: "the bill ends without its summary row".to_owned(),
                    });
                }
                return Ok(None);
            }
            let chunk = self.source.next_chunk().await?;
            let bytes = chunk.as_deref().unwrap_or_default();
            let Self {
                splitter,
                layout,
                records,
                summaries,
                queue,
                summary,
                ..
            } = self;
            let fed = splitter.feed(bytes, |record| match layout.classify(&record) {
                Err(error) => queue.push_back(Err(error)),
                Ok(Part::Header) => *records = Some(Resolved::new(&layout.header, R::COLUMNS)),
                Ok(Part::SummaryHeader) => {
                    *summaries = Some(Resolved::new(&layout.summary_header, S::COLUMNS));
                }
                Ok(Part::Record) => queue.push_back(row(records.as_ref(), record)),
                Ok(Part::Summary) => match row(summaries.as_ref(), record) {
                    Ok(row) => *summary = Some(row),
                    Err(error) => queue.push_back(Err(error)),
                },
                Ok(Part::Start) => {}
            });
            if let Err(error) = fed {
                // After the rows before it; the reading ends there.
                self.source = Source::Failed(error.to_string());
                self.queue.push_back(Err(error));
                continue;
            }
            self.finished = chunk.is_none();
        }
    }

    /// The rows as a [`Stream`](futures_util::Stream); the last item is an error if a check
    /// fails. The summary is not in the stream: read it with [`next`](Self::next) and
    /// [`summary`](Self::summary) when it matters.
    pub fn into_stream(self) -> impl futures_util::Stream<Item = Result<R, BillError>> {
        futures_util::stream::try_unfold(self, |mut rows| async move {
            Ok(rows.next().await?.map(|row| (row, rows)))
        })
    }

    /// The summary row, once [`next`](Self::next) has answered `Ok(None)`.
    pub fn summary(&self) -> Option<&S> {
        self.summary.as_ref()
    }

    /// The records' column names, as the header row gives them.
    pub fn header(&self) -> &[String] {
        &self.layout.header
    }
}

/// A typed row from `record`, by its header row's resolution (which the layout reads before any
/// row under it).
fn row<T: BillRow>(resolved: Option<&Resolved>, record: rows::Record<'_>) -> Result<T, BillError> {
    let resolved = resolved.ok_or_else(|| BillError::Layout {
        line: record.line,
        reason: "a row before its header row".to_owned(),
    })?;
    T::from_columns(Columns::new(resolved, record)?)
}
