//! A WeChat Pay API v3 simulator: the server side of the protocol on loopback, for tests, the
//! quickstart and SDKs in other languages (enable the `simulator` feature).
//!
//! It checks every request like the real API (headers, the signature over the request as received,
//! the timestamp, nonce reuse, the parameters, sensitive fields that must decrypt), signs every
//! answer, errors included, with the WeChat Pay public key or a platform certificate, and serves
//! `GET /v3/certificates` encrypted with the merchant's APIv3 key. [`Fault`]s make it misbehave on
//! demand. All key material is generated when it starts: none of it is a real key.
//!
//! It keeps state: paid transactions ([`Simulator::add_transaction`], [`Fixtures::transactions`],
//! the pages' example transaction of 1000 fen), receivers, splits and finishes that are
//! `PROCESSING` until [`SimulatorBuilder::processing_delay`] has passed on its clock, then
//! `FINISHED`, and returns that end `SUCCESS` or `FAIL` the same way, with the pages' rules and
//! codes (what is left to split, the maximum ratio, receivers added first, one number one request,
//! returns of at most what was received). Its clock runs as fast as
//! [`SimulatorBuilder::clock_speed`] says, and [`Simulator::advance`] moves it: a test never needs
//! to sleep. Orders in [`Fixtures`] (by default the pages' example order and return) are answered
//! as given.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use wechatpay_ecommerce::simulator::{Fault, Simulator, VerificationMode};
//! use wechatpay_ecommerce::Error;
//! use wechatpay_ecommerce::profit_sharing::QueryOrderRequest;
//!
//! let simulator = Simulator::start().await?;
//! let client = simulator.client_builder(VerificationMode::PublicKey)?.build()?;
//! let request = QueryOrderRequest::builder()
//!     .sub_mchid("1900000109")
//!     .transaction_id("4208450740201411110007820472")
//!     .out_order_no("P20150806125346")
//!     .build()?;
//! let order = client.profit_sharing().query_order(&request).await?;
//! assert_eq!(order.order_id, "3008450740201411110007820472");
//!
//! simulator.inject(Fault::SignatureProbe);
//! assert!(matches!(client.profit_sharing().query_order(&request).await, Err(Error::Verification { .. })));
//! # Ok(())
//! # }
//! ```

mod after_sales;
mod bills;
mod checks;
mod control;
mod credentials;
mod faults;
mod fixtures;
mod fund;
pub use bills::BillCorruption;
mod in_progress;
mod journal;
mod keys;
mod ledger;
mod merchants;
mod notify;
mod profit_sharing;
mod refunds;
mod server;
mod store;
mod subsidies;
mod tracked;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use control::new_control_token;
pub use credentials::Credentials;
pub use faults::{BadEntry, Fault};
pub use fixtures::{Fixtures, FixturesError, Transaction};
pub use in_progress::InProgressAnswers;
pub use journal::{Account, Entry as JournalEntry, Movement};
pub use merchants::NewMerchant;
pub use notify::{Delivery, NotificationFault};

use crate::profit_sharing::{ProfitSharingOrder, ReturnFailReason, ReturnOrder};
use crate::{
    ApiV3Key, ClientBuilder, ConfigError, EncryptionKey, MerchantKey, PlatformCertificate,
};

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimulatorError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Key or certificate generation failed.
    #[error("cannot generate the simulator's keys: {0}")]
    Keys(String),
    /// A bill given to [`Simulator::publish_bill`] could not be packed or encrypted.
    #[error("cannot serve the bill: {0}")]
    Bill(String),
    /// A key given to the simulator did not load.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The fixtures given hold a transaction that cannot be.
    #[error(transparent)]
    Fixtures(#[from] FixturesError),
    /// [`Simulator::add_merchant`] was given the id of a merchant the simulator serves already.
    #[error("the simulator serves merchant {0} already")]
    MerchantExists(String),
    /// The data file ([`SimulatorBuilder::data`]) could not be opened, read or written.
    #[error("simulator data file: {0}")]
    Data(String),
    /// A setting of the builder is out of range.
    #[error("simulator setting {setting}: {why}")]
    Setting {
        /// The builder method.
        setting: &'static str,
        /// What the range is.
        why: &'static str,
    },
    /// [`Simulator::set_notify_url`] was given something that is not an http or https URL.
    #[error("notify URL {url:?}: {reason}")]
    NotifyUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// How a client built by [`Simulator::client_builder`] verifies answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerificationMode {
    /// With the WeChat Pay public key only.
    PublicKey,
    /// With platform certificates downloaded from `GET /v3/certificates` only.
    PlatformCertificates,
    /// With both, as a merchant migrating from certificates to the public key.
    Both,
}

/// Which key the simulator signs its answers with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AnswerSigner {
    /// As the real API: the WeChat Pay public key when the request carries
    /// `Wechatpay-Serial: PUB_KEY_ID_…` with its id, else the platform certificate.
    #[default]
    AsRequested,
    /// Always the WeChat Pay public key.
    PublicKey,
    /// Always the platform certificate, as answers (and callbacks) of a merchant being migrated
    /// may still be.
    PlatformCertificate,
}

/// A request the simulator received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenRequest {
    /// The method.
    pub method: String,
    /// The path and query, as received.
    pub path_and_query: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The `Wechatpay-Serial` header, if any.
    pub wechatpay_serial: Option<String>,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
    /// The `Accept` header, if any.
    pub accept: Option<String>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body, as received (sensitive fields as their ciphertext).
    pub body: String,
    /// The status the simulator answered; `None` when it dropped the connection.
    pub status: Option<u16>,
}

/// What the simulator holds for one merchant; shared with the server task.
pub(crate) struct State {
    credentials: Credentials,
    /// The key material this merchant started with (the platform certificates added since are in
    /// [`Data::platform`]): what `--data` keeps.
    #[cfg_attr(not(feature = "simulator-data"), expect(dead_code))]
    keys: merchants::MerchantKeys,
    merchant: checks::Merchant,
    public_key_key: MerchantKey,
    /// The private half of the WeChat Pay public key, to decrypt sensitive fields encrypted to it.
    public_key_decrypt: aws_lc_rs::rsa::OaepPrivateDecryptingKey,
    /// The data file, with `--data`.
    #[cfg(feature = "simulator-data")]
    store: Option<Arc<store::Store>>,
    /// Changed since the last save (with `--data`): only merchants that changed are written.
    #[cfg_attr(not(feature = "simulator-data"), allow(dead_code))]
    dirty: std::sync::atomic::AtomicBool,
    /// How many entries each kind of record keeps (`SimulatorBuilder::max_kept`).
    max_kept: usize,
    apiv3_key: ApiV3Key,
    rules: ledger::Rules,
    data: Mutex<Data>,
    /// Wakes the notification task (a notify URL set, the clock advanced).
    wake: tokio::sync::Notify,
    /// The HTTP client notifications are POSTed with.
    notifier: reqwest::Client,
}

/// The part of the state that changes while it runs.
pub(crate) struct Data {
    fixtures: Fixtures,
    /// The books: the journal, transactions, the clock, notifications due.
    ledger: ledger::Ledger,
    /// The profit-sharing family's state: receivers, splits and returns.
    profit_sharing: profit_sharing::ProfitSharing,
    /// The refunds family's state.
    refunds: refunds::Refunds,
    /// The subsidies family's state.
    subsidies: subsidies::Subsidies,
    /// After-sales splits (of the profit-sharing family).
    after_sales: after_sales::AfterSales,
    /// The balances and withdrawals family's state.
    fund: fund::Fund,
    /// The bills family's state: the files download URLs serve.
    bills: bills::Bills,
    faults: faults::FaultQueue,
    /// The latest requests received, numbered from the first.
    seen: tracked::Log<SeenRequest>,
    /// Nonces seen in the last 300 s, with their timestamps.
    nonces: checks::Nonces,
    no_certificates: bool,
    answer_signer: AnswerSigner,
    in_progress: InProgressAnswers,
    accept_unsigned: bool,
    /// The platform certificates `GET /v3/certificates` lists; the last one signs.
    platform: Vec<Arc<PlatformIdentity>>,
    /// Notifications: the notify URL, what waits, what was delivered.
    notify: notify::Outbox,
    /// With `--data`: the next save writes every entry, not only what changed (a new merchant,
    /// a reset, a write that failed).
    #[cfg_attr(not(feature = "simulator-data"), allow(dead_code))]
    resave: bool,
    /// With `--data`: the fixtures changed since the last save (they are saved apart, being
    /// large and seldom changed).
    #[cfg_attr(not(feature = "simulator-data"), allow(dead_code))]
    fixtures_changed: bool,
    /// With `--data`: the keys changed since the last save (a platform certificate rotated).
    #[cfg_attr(not(feature = "simulator-data"), allow(dead_code))]
    keys_changed: bool,
}

/// How a refund ends when it does not succeed ([`Simulator::end_next_refund_as`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefundOutcome {
    /// `ABNORMAL`: the money could not reach the buyer (a cancelled card, say); an abnormal refund
    /// (`apply_abnormal_refund`) sends it again.
    Abnormal,
    /// `CLOSED`: the refund closed, and its money goes back to where it came from.
    Closed,
}

/// A platform certificate the simulator holds, with its private key.
pub(crate) struct PlatformIdentity {
    pem: String,
    /// Its private key as PEM, which `--data` keeps.
    #[cfg_attr(not(feature = "simulator-data"), expect(dead_code))]
    private_key_pem: String,
    serial: String,
    key: MerchantKey,
    /// The same private key, to decrypt sensitive fields encrypted to this certificate.
    decrypt: aws_lc_rs::rsa::OaepPrivateDecryptingKey,
    /// Valid from January 1st of the first year to January 1st of the second.
    years: (i32, i32),
}

impl PlatformIdentity {
    fn generate(serial: [u8; 20], years: (i32, i32)) -> Result<Self, SimulatorError> {
        let certificate = keys::platform_certificate(serial, years.0, years.1)?;
        Self::from_keys(&merchants::PlatformKeys {
            pem: certificate.pem,
            private_key_pem: certificate.private_key_pem,
            years,
        })
    }

    /// A platform certificate from its PEM and its private key's.
    fn from_keys(keys: &merchants::PlatformKeys) -> Result<Self, SimulatorError> {
        Ok(Self {
            key: MerchantKey::from_pem(&keys.private_key_pem)?,
            decrypt: keys::decrypting_key(&keys.private_key_pem)?,
            serial: PlatformCertificate::from_pem(&keys.pem)?
                .serial()
                .to_owned(),
            pem: keys.pem.clone(),
            private_key_pem: keys.private_key_pem.clone(),
            years: keys.years,
        })
    }

    /// Its material, as `--data` keeps it.
    #[cfg(feature = "simulator-data")]
    fn keys(&self) -> merchants::PlatformKeys {
        merchants::PlatformKeys {
            pem: self.pem.clone(),
            private_key_pem: self.private_key_pem.clone(),
            years: self.years,
        }
    }

    /// Whether today is within its validity (January 1st to January 1st, UTC).
    fn is_valid_now(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let year_start = |year: i32| {
            chrono::NaiveDate::from_ymd_opt(year, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map_or(0, |t| t.and_utc().timestamp())
        };
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        year_start(self.years.0) <= now && now < year_start(self.years.1)
    }
}

use merchants::PLATFORM_YEARS;

impl State {
    /// What the ledger needs for one call besides itself.
    fn context(&self) -> ledger::Context<'_> {
        ledger::Context {
            rules: &self.rules,
            platform_mchid: &self.merchant.mchid,
        }
    }

    /// Moves the clock forward, and wakes the notification task for what is due by then.
    fn advance(&self, by: Duration) {
        self.data().ledger.advance(by);
        self.wake.notify_one();
    }

    /// See [`Simulator::orders`].
    fn orders(&self) -> Vec<ProfitSharingOrder> {
        let data = self.data();
        let mut orders = data.fixtures.orders.clone();
        orders.extend(data.profit_sharing.orders(&data.ledger));
        orders
    }

    /// See [`Simulator::return_orders`].
    fn return_orders(&self) -> Vec<ReturnOrder> {
        let data = self.data();
        let mut returns = data.fixtures.return_orders.clone();
        returns.extend(data.profit_sharing.returns(&data.ledger));
        returns
    }

    /// Refunds that closed and withdrawals that failed by now give their money back, as before
    /// any answer.
    fn settled(&self) -> MutexGuard<'_, Data> {
        let mut data = self.data();
        let books = &mut *data;
        books.refunds.settle(&mut books.ledger);
        books.fund.settle(&mut books.ledger);
        data
    }

    /// See [`Simulator::journal`].
    fn journal(&self) -> Vec<JournalEntry> {
        self.settled().ledger.journal.entries().cloned().collect()
    }

    /// See [`Simulator::refunds`].
    fn refunds(&self) -> Vec<crate::refunds::Refund> {
        let data = self.settled();
        data.refunds.all(&data.ledger)
    }

    /// See [`Simulator::withdrawals`].
    fn withdrawals(&self) -> Vec<crate::fund::Withdrawal> {
        let data = self.settled();
        data.fund.all(&data.ledger, &self.merchant.mchid)
    }

    /// See [`Simulator::reset`].
    fn reset(&self) -> Result<(), SimulatorError> {
        let max_kept = self.max_kept;
        let mut data = self.data();
        let data = &mut *data;
        data.ledger.reset();
        data.ledger.add_transactions(&data.fixtures)?;
        data.profit_sharing = profit_sharing::ProfitSharing::new(max_kept);
        data.refunds = refunds::Refunds::new(max_kept);
        data.subsidies = subsidies::Subsidies::new(max_kept);
        data.after_sales = after_sales::AfterSales::new(max_kept);
        data.fund = fund::Fund::new(max_kept);
        data.bills = bills::Bills::new(max_kept);
        data.faults.clear();
        data.seen.clear();
        data.notify.reset();
        data.resave = true;
        Ok(())
    }

    /// See [`Simulator::set_clock_speed`].
    fn set_clock_speed(&self, speed: f64) -> Result<(), SimulatorError> {
        if !speed.is_finite() || speed < 0.0 {
            return Err(SimulatorError::Setting {
                setting: "clock_speed",
                why: "a finite number, 0.0 or more",
            });
        }
        self.data().ledger.set_clock_speed(speed);
        self.wake.notify_one();
        Ok(())
    }

    /// Saves the state (with `--data`) and waits until it is on disk: what a request that changed
    /// it does before its answer.
    async fn changed(&self) -> Result<(), SimulatorError> {
        #[cfg(feature = "simulator-data")]
        if let Some(store) = &self.store {
            self.dirty.store(true, std::sync::atomic::Ordering::SeqCst);
            return store.save().await;
        }
        Ok(())
    }

    /// Asks for the state to be saved (with `--data`) without waiting: what a method of the
    /// in-process [`Simulator`] does.
    fn touch(&self) {
        #[cfg(feature = "simulator-data")]
        if let Some(store) = &self.store {
            self.dirty.store(true, std::sync::atomic::Ordering::SeqCst);
            store.request();
        }
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        lock(&self.data)
    }
}

/// Locks `mutex`. A panic in a handler while holding one of the simulator's locks leaves what it
/// guards still whole, so a poisoned lock is taken as it is.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How long a split, a finish or a return stays `PROCESSING` unless told otherwise.
pub const DEFAULT_PROCESSING_DELAY: Duration = Duration::from_secs(3);

/// Configures a [`Simulator`] before it starts. `Debug` leaves out the APIv3 key and the control
/// token.
pub struct SimulatorBuilder {
    addr: Option<SocketAddr>,
    merchant: Option<(String, String, String)>,
    fixtures: Option<Fixtures>,
    max_ratio_percent: u8,
    processing_delay: Duration,
    clock_speed: f64,
    max_splits_per_transaction: u32,
    max_kept: usize,
    control_token: Option<control::ControlToken>,
    apiv3_key: Option<String>,
    #[cfg(feature = "simulator-data")]
    data: Option<std::path::PathBuf>,
}

impl fmt::Debug for SimulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("SimulatorBuilder");
        debug
            .field("addr", &self.addr)
            .field("mchid", &self.merchant.as_ref().map(|(mchid, _, _)| mchid))
            .field("max_ratio_percent", &self.max_ratio_percent)
            .field("processing_delay", &self.processing_delay)
            .field("clock_speed", &self.clock_speed)
            .field(
                "max_splits_per_transaction",
                &self.max_splits_per_transaction,
            )
            .field("max_kept", &self.max_kept);
        #[cfg(feature = "simulator-data")]
        debug.field("data", &self.data);
        debug.finish_non_exhaustive()
    }
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        Self {
            addr: None,
            merchant: None,
            fixtures: None,
            max_ratio_percent: 30,
            processing_delay: DEFAULT_PROCESSING_DELAY,
            clock_speed: 1.0,
            max_splits_per_transaction: 20,
            max_kept: 10_000,
            control_token: None,
            apiv3_key: None,
            #[cfg(feature = "simulator-data")]
            data: None,
        }
    }
}

impl SimulatorBuilder {
    /// Serves the control plane, an HTTP API under `/sandbox/` for clients in any language (the
    /// clock, paid transactions, faults, notification deliveries), to requests that carry
    /// `Authorization: Bearer TOKEN`; others get `401`. Each of its calls is a method of
    /// [`Simulator`] too. Without a token (the default) `/sandbox/` paths are unknown, as on
    /// WeChat Pay. At least 16 characters.
    pub fn control_token(mut self, token: impl Into<String>) -> Self {
        self.control_token = Some(control::ControlToken::new(token.into()));
        self
    }

    /// Listen on `addr` (default `127.0.0.1:0`, a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = Some(addr);
        self
    }

    /// Serve this merchant instead of generating one: its id, its API certificate's serial number,
    /// and its public key as PEM (`BEGIN PUBLIC KEY`) or its API certificate (`BEGIN CERTIFICATE`).
    pub fn merchant(
        mut self,
        mchid: impl Into<String>,
        serial_no: impl Into<String>,
        public_key_pem: impl Into<String>,
    ) -> Self {
        self.merchant = Some((mchid.into(), serial_no.into(), public_key_pem.into()));
        self
    }

    /// Keeps the state in the SQLite file at `path` (created, with its folder, if missing), written
    /// as it changes: the merchants and their keys, paid transactions, receivers, splits, returns,
    /// refunds, subsidies, after-sales splits, withdrawals, notifications (delivered, waiting, and
    /// their schedule) and the clock. A file that holds merchants is served as it is: its
    /// merchants, keys and books, its clock run on from when it was saved at its speed; the
    /// builder's merchant (which must then be one the file holds, with the same key), APIv3 key,
    /// clock speed and fixtures only seed a new file. A change is on disk before its answer over
    /// HTTP (the API's or the control plane's): killed, a simulator loses nothing it answered. The
    /// in-process methods ask for a save without waiting; [`Simulator::flush`] waits. Not kept: the
    /// files bill download URLs serve, queued faults (a next return, refund or withdrawal told to
    /// fail too) and the test switches. One file, one simulator: another started on it is refused
    /// while this one runs. The file holds test keys and the requests' data, sensitive fields in
    /// plain text: for test data only.
    #[cfg(feature = "simulator-data")]
    pub fn data(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.data = Some(path.into());
        self
    }

    /// The merchant's APIv3 key (32 characters) instead of a random one: for a team whose
    /// sandbox keeps the key its configuration already holds.
    pub fn apiv3_key(mut self, key: impl Into<String>) -> Self {
        self.apiv3_key = Some(key.into());
        self
    }

    /// Answer from these fixtures instead of the doc pages' examples.
    pub fn fixtures(mut self, fixtures: Fixtures) -> Self {
        self.fixtures = Some(fixtures);
        self
    }

    /// The most of a paid transaction that its splits may give to receivers other than the
    /// sub-merchant itself, in percent (default 30, the usual limit of an e-commerce platform);
    /// more is refused with `403 RULE_LIMIT`. At most 100.
    pub fn max_ratio_percent(mut self, percent: u8) -> Self {
        self.max_ratio_percent = percent;
        self
    }

    /// How long, on the simulator's clock, a split, a finish or a return stays `PROCESSING`
    /// before it is done (default [`DEFAULT_PROCESSING_DELAY`]).
    pub fn processing_delay(mut self, delay: Duration) -> Self {
        self.processing_delay = delay;
        self
    }

    /// How fast the simulator's clock runs: 1.0 (the default) as real time, 60.0 a minute per
    /// second, 0.0 not at all, so that only [`Simulator::advance`] moves it (what tests want: a
    /// split stays `PROCESSING` until the test says otherwise). Finite and not negative.
    pub fn clock_speed(mut self, speed: f64) -> Self {
        self.clock_speed = speed;
        self
    }

    /// How many split requests one transaction takes (default 20, as WeChat Pay documents for
    /// 多次分账); one more is refused with `400 INVALID_REQUEST`. At least 1.
    pub fn max_splits_per_transaction(mut self, splits: u32) -> Self {
        self.max_splits_per_transaction = splits;
        self
    }

    /// How many transactions, receivers, orders and return orders it keeps, each (default
    /// 10,000), and as many of every other record (refunds, notifications, the requests seen…):
    /// past that the oldest is forgotten, so that a long-running simulator stays within bounded
    /// memory. At least 1.
    pub fn max_kept(mut self, entries: usize) -> Self {
        self.max_kept = entries;
        self
    }

    /// Generates the keys, binds the socket and starts serving. Must be called inside a Tokio
    /// runtime; the simulator stops when the returned value is dropped.
    pub async fn start(self) -> Result<Simulator, SimulatorError> {
        let setting = |setting, why| Err(SimulatorError::Setting { setting, why });
        if self.max_ratio_percent > 100 {
            return setting("max_ratio_percent", "at most 100");
        }
        if !self.clock_speed.is_finite() || self.clock_speed < 0.0 {
            return setting("clock_speed", "a finite number, 0.0 or more");
        }
        if self.max_splits_per_transaction == 0 {
            return setting("max_splits_per_transaction", "at least 1");
        }
        if self.max_kept == 0 {
            return setting("max_kept", "at least 1");
        }
        if self
            .control_token
            .as_ref()
            .is_some_and(|token| token.len() < 16)
        {
            return setting("control_token", "at least 16 characters");
        }
        let rules = ledger::Rules {
            max_ratio_percent: self.max_ratio_percent,
            processing_delay: self.processing_delay,
            max_splits_per_transaction: self.max_splits_per_transaction,
        };
        let fixtures = self.fixtures.unwrap_or_else(Fixtures::doc_examples);
        #[cfg(feature = "simulator-data")]
        let (store, snapshots) = match &self.data {
            Some(path) => {
                let (store, snapshots) = store::Store::open(path)?;
                (Some(store), snapshots)
            }
            None => (None, Vec::new()),
        };
        let settings = merchants::Settings {
            rules,
            max_kept: self.max_kept,
            #[cfg(feature = "simulator-data")]
            store,
        };
        #[cfg(feature = "simulator-data")]
        if !snapshots.is_empty() {
            // A data file that holds merchants serves them, with their keys and books.
            if let Some((mchid, _, _)) = &self.merchant
                && snapshots.iter().all(|stored| stored.keys.mchid != *mchid)
            {
                let served: Vec<&str> = (snapshots.iter())
                    .map(|stored| stored.keys.mchid.as_str())
                    .collect();
                return Err(SimulatorError::Data(format!(
                    "the data file serves merchants {}, not {mchid}: start without the \
                     merchant, or with another data file",
                    served.join(", ")
                )));
            }
            // A merchant given is the one the file holds, with the same key.
            if let Some((mchid, serial_no, public_pem)) = &self.merchant
                && let Some(held) = snapshots.iter().find(|s| s.keys.mchid == *mchid)
                && (held.keys.serial_no != *serial_no
                    || held.keys.public_key_pem.trim() != public_pem.trim())
            {
                return Err(SimulatorError::Data(format!(
                    "the data file holds merchant {mchid} with another serial number or public \
                     key: start with the ones it holds, or with another data file"
                )));
            }
            let list = snapshots
                .into_iter()
                .map(|stored| State::restore(stored, settings.clone()))
                .collect::<Result<Vec<_>, _>>()?;
            return serve(list, settings, self.control_token, self.addr).await;
        }
        let merchant = merchants::NewMerchant {
            mchid: None,
            public_key: None,
            apiv3_key: self.apiv3_key.clone(),
        };
        let (mchid, merchant) = match self.merchant.clone() {
            Some((mchid, serial_no, public_pem)) => (
                mchid,
                merchants::NewMerchant {
                    public_key: Some((serial_no, public_pem)),
                    ..merchant
                },
            ),
            None => ("1900000001".to_owned(), merchant),
        };
        // RSA key generation takes a while: off the runtime's threads.
        let keys =
            tokio::task::spawn_blocking(move || merchants::MerchantKeys::generate(mchid, merchant))
                .await
                .map_err(|e| SimulatorError::Keys(e.to_string()))??;
        let first = State::new(
            keys,
            settings.clone(),
            fixtures,
            (ledger::Clock::new(self.clock_speed), Duration::ZERO),
        )?;
        serve(vec![first], settings, self.control_token, self.addr).await
    }
}

/// Serves these merchants, the first the default, on `addr`.
async fn serve(
    list: Vec<State>,
    settings: merchants::Settings,
    control_token: Option<control::ControlToken>,
    addr: Option<SocketAddr>,
) -> Result<Simulator, SimulatorError> {
    let addr = addr.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)));
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SimulatorError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SimulatorError::Bind { addr, source })?;
    let merchants = merchants::Merchants::new(list, settings, control_token);
    let task = tokio::spawn(server::serve(listener, merchants.clone()));
    // Stops the server and the notification tasks if what follows fails.
    let running = Arc::new(Running { merchants, task });
    // A new data file holds the merchants from the start.
    running.merchants.save().await?;
    let state = (running.merchants)
        .first()
        .ok_or_else(|| SimulatorError::Keys("no merchant".into()))?;
    Ok(Simulator {
        addr,
        base_url: format!("http://{addr}"),
        state,
        running,
    })
}

/// The merchant's public key from a PEM public key or X.509 certificate: to verify its
/// signatures, and to encrypt for it (a sub-merchant bill's key).
fn merchant_public_key(
    pem: &str,
) -> Result<(aws_lc_rs::signature::ParsedPublicKey, EncryptionKey), ConfigError> {
    const WHAT: &str = "the merchant's public key";
    const EXPECTED: &str = "the merchant's public key (BEGIN PUBLIC KEY) or API certificate apiclient_cert.pem (BEGIN CERTIFICATE)";
    if crate::auth::pem::labels(pem).contains(&"CERTIFICATE") {
        let certificate = PlatformCertificate::from_pem(pem)?;
        return Ok((
            certificate.key().clone(),
            certificate.encryption_key().clone(),
        ));
    }
    let key = crate::auth::public_key::parse_rsa_public_key_pem(pem, WHAT, EXPECTED)?;
    // The id only names the key in the simulator's own use.
    let encryption = crate::WechatPayPublicKey::from_pem(
        format!("{}MERCHANT", crate::PUBLIC_KEY_ID_PREFIX),
        pem,
    )?
    .encryption_key()
    .clone();
    Ok((key, encryption))
}

/// A running simulator on loopback. It stops when dropped.
pub struct Simulator {
    addr: SocketAddr,
    base_url: String,
    /// The merchant this handle acts as (the default one, or [`Simulator::merchant`]'s).
    state: Arc<State>,
    running: Arc<Running>,
}

/// The server and the merchants it serves: stopped when the last [`Simulator`] handle goes.
struct Running {
    merchants: Arc<merchants::Merchants>,
    task: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
        self.merchants.stop();
    }
}

impl Simulator {
    /// Starts a simulator on a free loopback port, with a generated merchant and the doc pages'
    /// examples. Must be called inside a Tokio runtime.
    pub async fn start() -> Result<Self, SimulatorError> {
        Self::builder().start().await
    }

    /// A builder, to give the merchant, the address or the fixtures.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The credentials a client needs.
    pub fn credentials(&self) -> &Credentials {
        &self.state.credentials
    }

    /// Serves one more platform merchant, with keys, an APIv3 key, a WeChat Pay public key, a
    /// platform certificate and books of its own, on the same clock; what is not given is
    /// generated. Requests are answered by the merchant their `Authorization` names and verified
    /// with its key only: a request signed with one merchant's key is refused for another's
    /// `mchid`, and no merchant sees another's orders. Its credentials.
    pub async fn add_merchant(&self, merchant: NewMerchant) -> Result<Credentials, SimulatorError> {
        self.running.merchants.add(merchant).await
    }

    /// A handle on merchant `mchid` (the default one, or one added): its methods act on that
    /// merchant's books, keys and faults, except the clock and [`reset`](Self::reset), which are
    /// every merchant's. `None` when the simulator does not serve it. The server runs as long as
    /// any handle does.
    pub fn merchant(&self, mchid: &str) -> Option<Simulator> {
        let state = self.running.merchants.get(mchid)?;
        Some(Simulator {
            addr: self.addr,
            base_url: self.base_url.clone(),
            state,
            running: self.running.clone(),
        })
    }

    /// Waits until every change so far is in the data file ([`SimulatorBuilder::data`]); at once
    /// without one. An answer over HTTP is given only once its change is on disk, but the
    /// in-process methods (`add_transaction`, `advance`, `reset`, …) ask for a save without
    /// waiting: call this before relying on their effect surviving a restart.
    pub async fn flush(&self) -> Result<(), SimulatorError> {
        self.running.merchants.save().await
    }

    /// The credentials of every merchant it serves, the default one first.
    pub fn merchants(&self) -> Vec<Credentials> {
        (self.running.merchants.all().iter())
            .map(|state| state.credentials.clone())
            .collect()
    }

    /// A client builder with the merchant's credentials (when the simulator generated them), this
    /// simulator's base URL, and the keys for `mode`.
    pub fn client_builder(&self, mode: VerificationMode) -> Result<ClientBuilder, ConfigError> {
        let credentials = self.credentials();
        let mut builder = crate::Client::builder()
            .merchant(
                &credentials.mchid,
                &credentials.merchant_serial_no,
                credentials.merchant_key()?,
            )
            .base_url(&self.base_url);
        if mode != VerificationMode::PlatformCertificates {
            builder = builder.wechatpay_public_key(credentials.wechatpay_public_key()?);
        }
        if mode != VerificationMode::PublicKey {
            builder = builder.apiv3_key(credentials.apiv3_key()?);
        }
        Ok(builder)
    }

    /// Makes the next answer misbehave. Faults queue up: each applies after the ones before it.
    pub fn inject(&self, fault: Fault) {
        self.inject_times(fault, 1);
    }

    /// Makes the next `times` answers misbehave.
    pub fn inject_times(&self, fault: Fault, times: u32) {
        self.state.data().faults.push(fault, Some(times), None);
    }

    /// Makes every answer from now on misbehave, until [`clear_faults`](Self::clear_faults).
    pub fn inject_always(&self, fault: Fault) {
        self.state.data().faults.push(fault, None, None);
    }

    /// Makes the next `times` answers to requests for `path` (e.g. `/v3/certificates`) misbehave;
    /// answers to other paths are left alone.
    pub fn inject_on(&self, path: &str, fault: Fault, times: u32) {
        self.state
            .data()
            .faults
            .push(fault, Some(times), Some(path.to_owned()));
    }

    /// Makes every answer to requests for `path` misbehave, until
    /// [`clear_faults`](Self::clear_faults).
    pub fn inject_always_on(&self, path: &str, fault: Fault) {
        self.state
            .data()
            .faults
            .push(fault, None, Some(path.to_owned()));
    }

    /// Forgets the faults not applied yet.
    pub fn clear_faults(&self) {
        self.state.data().faults.clear();
    }

    /// The requests received, in order: every one, up to the latest
    /// [`max_kept`](SimulatorBuilder::max_kept) (a sandbox that runs for days stays within bounded
    /// memory).
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.state.data().seen.iter().cloned().collect()
    }

    /// Acts as a merchant registered since late 2024: no platform certificates, so
    /// `GET /v3/certificates` answers `404 RESOURCE_NOT_EXISTS`.
    pub fn set_no_certificates(&self, none: bool) {
        self.state.data().no_certificates = none;
    }

    /// Chooses the key answers are signed with (the migration switch).
    pub fn set_answer_signer(&self, signer: AnswerSigner) {
        self.state.data().answer_signer = signer;
    }

    /// Chooses how the answers to a split and a return look while they are in progress (the
    /// state right after the request): as the pages show them (the default), or without what only
    /// a finished share or return has, or as the split answer of 2020 (the four ids).
    pub fn set_in_progress_answers(&self, answers: InProgressAnswers) {
        self.state.data().in_progress = answers;
    }

    /// Accepts requests without an `Authorization` header (those that have one are still checked):
    /// for measuring plain HTTP against the same routes. Off by default.
    pub fn set_accept_unsigned(&self, accept: bool) {
        self.state.data().accept_unsigned = accept;
    }

    /// How many TCP connections it has accepted: a client that keeps its connections alive opens
    /// few.
    pub fn connections(&self) -> u64 {
        (self.running.merchants.connections).load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Rotates the platform certificate, as WeChat Pay does before one expires: a new certificate
    /// signs every answer from now on (public-key answers aside), and `GET /v3/certificates` lists
    /// it with the old ones. Returns the new serial.
    pub async fn rotate_platform_certificate(&self) -> Result<String, SimulatorError> {
        self.rotate_platform_certificate_valid(PLATFORM_YEARS.0, PLATFORM_YEARS.1)
            .await
    }

    /// Like [`rotate_platform_certificate`](Self::rotate_platform_certificate), with a
    /// certificate valid from January 1st of `from_year` to January 1st of `to_year`: an expired
    /// one (e.g. 2015 to 2020) for a replayed or misconfigured signer, a future one for a wrong
    /// clock.
    pub async fn rotate_platform_certificate_valid(
        &self,
        from_year: i32,
        to_year: i32,
    ) -> Result<String, SimulatorError> {
        self.rotate_to(keys::random_serial()?, (from_year, to_year))
            .await
    }

    /// Like [`rotate_platform_certificate_valid`](Self::rotate_platform_certificate_valid), with
    /// a certificate whose serial is `serial`: 40 hex digits, the first byte from `01` to `7F`.
    /// WeChat Pay names certificates by all 40 digits, so a serial such as `0A1B…` keeps its
    /// leading zero in the list, in `Wechatpay-Serial`, and where the simulator compares it (with
    /// the serial a request's encrypted fields name, exactly).
    pub async fn rotate_platform_certificate_with_serial(
        &self,
        serial: &str,
        from_year: i32,
        to_year: i32,
    ) -> Result<String, SimulatorError> {
        self.rotate_to(keys::parse_serial(serial)?, (from_year, to_year))
            .await
    }

    async fn rotate_to(
        &self,
        serial: [u8; 20],
        years: (i32, i32),
    ) -> Result<String, SimulatorError> {
        // RSA key generation takes a while: off the runtime's threads.
        let identity =
            tokio::task::spawn_blocking(move || PlatformIdentity::generate(serial, years))
                .await
                .map_err(|e| SimulatorError::Keys(e.to_string()))??;
        let serial = identity.serial.clone();
        {
            let mut data = self.state.data();
            data.platform.push(Arc::new(identity));
            data.keys_changed = true;
        }
        self.state.touch();
        Ok(serial)
    }

    /// The five `Wechatpay-*` headers WeChat Pay would send with `body`, signed now with the WeChat
    /// Pay public key's private half or the newest platform certificate: what a notification
    /// (回调通知) carries, for testing a handler's verification.
    pub fn sign(&self, body: &[u8], key: crate::KeySource) -> http::HeaderMap {
        let platform = self.state.data().platform.last().cloned();
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let use_public_key = key == crate::KeySource::PublicKey;
        server::signature(
            &self.state,
            platform.as_deref(),
            use_public_key,
            timestamp,
            body,
        )
        .headers()
    }

    /// The serials of the platform certificates it lists, the one that signs last.
    pub fn platform_certificate_serials(&self) -> Vec<String> {
        self.state
            .data()
            .platform
            .iter()
            .map(|p| p.serial.clone())
            .collect()
    }

    /// The fixtures it answers from now.
    pub fn fixtures(&self) -> Fixtures {
        self.state.data().fixtures.clone()
    }

    /// Replaces the orders and return orders answered as given, and adds (or replaces, with all
    /// of their amount unsplit) the fixtures' transactions; changes nothing if one of them is less
    /// than 1 fen.
    pub fn set_fixtures(&self, fixtures: Fixtures) -> Result<(), FixturesError> {
        let mut data = self.state.data();
        data.ledger.add_transactions(&fixtures)?;
        data.fixtures = fixtures;
        data.fixtures_changed = true;
        drop(data);
        self.state.touch();
        Ok(())
    }

    /// Adds a paid transaction of `sub_mchid` to split, `amount` fen (at least 1), all of it
    /// unsplit; it replaces one with the same `transaction_id`, and what was split of it.
    pub fn add_transaction(
        &self,
        sub_mchid: &str,
        transaction_id: &str,
        amount: i64,
    ) -> Result<(), FixturesError> {
        let transaction = Transaction::new(sub_mchid, transaction_id, amount)?;
        self.state.data().ledger.add_transaction(&transaction);
        self.state.touch();
        Ok(())
    }

    /// Moves the simulator's clock forward: splits, finishes and returns due by then are done.
    pub fn advance(&self, by: Duration) {
        self.running.merchants.advance(by);
    }

    /// Runs the simulator's clock `speed` times as fast as real time from now on (0.0 freezes it:
    /// only [`advance`](Self::advance) moves it), from the time it shows now. Finite and not
    /// negative.
    pub fn set_clock_speed(&self, speed: f64) -> Result<(), SimulatorError> {
        self.running.merchants.set_clock_speed(speed)
    }

    /// The splits and finishes: the fixtures' orders, then every one played, as 查询分账结果
    /// answers each now.
    pub fn orders(&self) -> Vec<ProfitSharingOrder> {
        self.state.orders()
    }

    /// The returns: the fixtures' return orders, then every one played, as 查询分账回退结果
    /// answers each now.
    pub fn return_orders(&self) -> Vec<ReturnOrder> {
        self.state.return_orders()
    }

    /// Every refund played, as 查询单笔退款 answers each now.
    pub fn refunds(&self) -> Vec<crate::refunds::Refund> {
        self.state.refunds()
    }

    /// Puts every merchant's state back to the start (the merchants and their keys stay): the fixtures' transactions (and their orders and return
    /// orders) and nothing else. Receivers, splits, returns, refunds, subsidies, withdrawals,
    /// bills, the journal, the requests seen, queued faults and notifications (waiting and
    /// delivered) are forgotten. The clock goes on (times never go back), ids are not given
    /// twice, and the settings (the notify URL, the answer signer, the platform certificates)
    /// stay.
    pub fn reset(&self) -> Result<(), SimulatorError> {
        self.running.merchants.reset()
    }

    /// How many times as fast as real time the simulator's clock runs.
    pub fn clock_speed(&self) -> f64 {
        self.state.data().ledger.clock_speed()
    }

    /// Sends notifications to `url` from now on: a 分账动账通知 for every receiver of a split and
    /// for every successful return made after this call, and a 退款结果通知 for every refund that
    /// names no `notify_url` of its own, when it is done. They are signed like
    /// the answers, their `resource` encrypted with the APIv3 key, and sent again on WeChat Pay's
    /// schedule (15 s, 15 s, 30 s, 3 min, … on the simulator's clock) until the handler answers
    /// 200 or 204. [`Simulator::deliveries`] lists every attempt.
    pub fn set_notify_url(&self, url: &str) -> Result<(), SimulatorError> {
        let bad = |reason: String| SimulatorError::NotifyUrl {
            url: url.to_owned(),
            reason,
        };
        let parsed = reqwest::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad("not an http or https URL".to_owned()));
        }
        {
            let mut data = self.state.data();
            data.notify.set_url(Some(url.to_owned()));
            data.ledger.set_notifying(true);
        }
        self.state.touch();
        self.state.wake.notify_one();
        Ok(())
    }

    /// Every notification attempt so far, the oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.state.data().notify.deliveries()
    }

    /// Makes the next notification attempt misbehave; calls queue up, one per attempt.
    pub fn inject_notification(&self, fault: NotificationFault) {
        self.state.data().notify.inject(fault);
    }

    /// The simulator's time now, in Beijing time as WeChat Pay writes it: the times in its answers
    /// (`finish_time`) are on this clock.
    pub fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        self.state.data().ledger.now()
    }

    /// Makes the next return (请求分账回退) end `FAIL` with `reason` instead of `SUCCESS`, when it
    /// is done. Calls queue up, one per return.
    pub fn fail_next_return(&self, reason: ReturnFailReason) {
        self.state.data().profit_sharing.fail_next_return(reason);
    }

    /// Makes the next bill download (下载账单) serve its file corrupted as `corruption` says
    /// (a byte flipped, or cut short), for tests of the client's checks. Calls queue up, one per
    /// download.
    pub fn corrupt_next_bill(&self, corruption: BillCorruption) {
        self.state.data().bills.corruptions.push_back(corruption);
    }

    /// What a bill published by a test is served as: no date, this simulator's merchant and
    /// address.
    fn bill_query<'a>(
        &'a self,
        tar_type: Option<&'a crate::bills::TarType>,
    ) -> bills::BillQuery<'a> {
        bills::BillQuery {
            bill_date: "",
            tar_type,
            mchid: &self.state.merchant.mchid,
            base_url: &self.base_url,
        }
    }

    /// Serves `original` as a bill's file (gzip when `tar_type` says so), as if a bill
    /// application had answered it: what the application answers. For tests and benchmarks of
    /// a bill of any content or size; the download URL lasts five minutes of the clock.
    pub fn publish_bill(
        &self,
        original: Vec<u8>,
        tar_type: Option<crate::bills::TarType>,
    ) -> Result<crate::bills::BillDownload, SimulatorError> {
        let mut data = self.state.data();
        let data = &mut *data;
        let query = self.bill_query(tar_type.as_ref());
        (data.bills)
            .file(data.ledger.now(), &query, original)
            .map_err(|_| SimulatorError::Bill("gzip failed".into()))
    }

    /// Serves `original` as the sub-merchants' fund flow bill (申请二级商户资金账单): in parts
    /// ([`split_sub_merchant_bills_every`](Self::split_sub_merchant_bills_every)), packed as
    /// asked, each encrypted with AES-256-GCM under a key of its own encrypted for the merchant.
    pub fn publish_sub_merchant_bill(
        &self,
        original: Vec<u8>,
        tar_type: Option<crate::bills::TarType>,
    ) -> Result<crate::bills::ApplySubMerchantFundFlowBillResponse, SimulatorError> {
        let mut data = self.state.data();
        let data = &mut *data;
        let query = self.bill_query(tar_type.as_ref());
        (data.bills)
            .encrypted_parts(
                data.ledger.now(),
                &query,
                original,
                &self.state.merchant.encryption,
            )
            .map_err(|_| {
                SimulatorError::Bill("gzip, randomness or the merchant's key failed".into())
            })
    }

    /// Splits the sub-merchants' fund flow bill (申请二级商户资金账单) into parts of at most
    /// `bytes` original bytes each (WeChat Pay splits at about 16 GB; the default here too).
    pub fn split_sub_merchant_bills_every(&self, bytes: usize) {
        self.state.data().bills.part_size = bytes.max(1);
    }

    /// Makes the next withdrawal (二级商户余额提现) end `FAIL` instead of `SUCCESS` when it is
    /// done: its money goes back to the available balance. Calls queue up, one per withdrawal.
    pub fn fail_next_withdrawal(&self) {
        self.state
            .data()
            .fund
            .failing
            .push_back(crate::fund::WithdrawStatus::Fail);
    }

    /// Makes the next refund (申请退款) end as `outcome` instead of `SUCCESS`, when it is done; its
    /// notification says so. Calls queue up, one per refund.
    pub fn end_next_refund_as(&self, outcome: RefundOutcome) {
        let status = match outcome {
            RefundOutcome::Abnormal => crate::refunds::RefundStatus::Abnormal,
            RefundOutcome::Closed => crate::refunds::RefundStatus::Closed,
        };
        self.state.data().refunds.failing.push_back(status);
    }

    /// A merchant's available balance (可用余额) in the simulator's books, in fen: what it got
    /// (shares of splits, finishes, returns to it, advances and subsidies paid back to it,
    /// after-sales fees), less what it gave (refunds from it, returns from it, the platform's
    /// advances, subsidies, paying an advance or a subsidy back). The platform's may be negative: the simulator does not hold the platform's own funds,
    /// so its advances and subsidies are never refused for want of them.
    pub fn available_balance(&self, mchid: &str) -> i64 {
        let data = self.state.settled();
        (data.ledger.journal).balance(&journal::Account::Available(mchid.to_owned()))
    }

    /// The latest money movements of every family, oldest first (at most eight times
    /// [`SimulatorBuilder::max_kept`]): what the books say moved, from where to where. Every
    /// movement takes from one account what it gives another, so the balances of all accounts
    /// add up to zero.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.state.journal()
    }

    /// Every withdrawal (二级商户余额提现) played, as 查询二级商户提现状态 answers each now.
    pub fn withdrawals(&self) -> Vec<crate::fund::Withdrawal> {
        self.state.withdrawals()
    }

    /// How many orders (splits and finishes) it keeps now; at most [`SimulatorBuilder::max_kept`].
    pub fn orders_kept(&self) -> usize {
        self.state.data().profit_sharing.orders_kept()
    }

    /// Adds or replaces (by `sub_mchid`, `transaction_id`, `out_order_no`) a profit-sharing order.
    pub fn put_order(&self, order: ProfitSharingOrder) {
        let mut data = self.state.data();
        data.fixtures.put_order(order);
        data.fixtures_changed = true;
        drop(data);
        self.state.touch();
    }

    /// Adds or replaces (by `sub_mchid`, `out_return_no`) a return order.
    pub fn put_return_order(&self, order: ReturnOrder) {
        let mut data = self.state.data();
        data.fixtures.put_return_order(order);
        data.fixtures_changed = true;
        drop(data);
        self.state.touch();
    }
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url)
            .field("credentials", self.credentials())
            .finish()
    }
}
