//! The books every family shares: the simulator's clock, the paid transactions, the journal of
//! every money movement, WeChat Pay's ids, and the notifications due. Each family's state and
//! rules are in a file of its own (`profit_sharing.rs`, `after_sales.rs`, `refunds.rs`,
//! `subsidies.rs`), above this one: they move money here, and read it from here.
//!
//! Nothing here runs on its own: a split, a return or a refund records when it is due, and every
//! read compares that with the simulator's clock. The maps are bounded: past the cap the oldest
//! entry is dropped.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Offset as _, SubsecRound as _};
use http::StatusCode;
use serde_json::Value;

use super::checks::{Rejection, invalid, rejection};
use super::fixtures::{Fixtures, FixturesError};
pub(crate) use super::journal::push_bounded;
use super::journal::{Account, Entry, Journal, Movement};
pub(crate) use super::tracked::Bounded;
use crate::EventType;
use crate::common::FundsFrom;

/// The rules a simulator applies, fixed when it starts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rules {
    /// The most of a transaction that may be split to others, in percent.
    pub max_ratio_percent: u8,
    /// How long a split, a finish or a return stays `PROCESSING`, on the simulator's clock.
    pub processing_delay: Duration,
    /// The most split requests one transaction takes.
    pub max_splits_per_transaction: u32,
}

impl Rules {
    /// The most of a transaction paid `paid` fen that may go to others than its sub-merchant.
    pub fn max_shared(&self, paid: i64) -> i64 {
        paid.saturating_mul(i64::from(self.max_ratio_percent)) / 100
    }
}

/// The account of the journal a sub-merchant's funding account is: `UNAVAILABLE`, the
/// transaction's frozen money; otherwise its available balance.
pub(crate) fn funds_account(source: &FundsFrom, transaction_id: &str, sub_mchid: &str) -> Account {
    match source {
        FundsFrom::Unavailable => Account::Frozen(transaction_id.to_owned()),
        _ => Account::Available(sub_mchid.to_owned()),
    }
}

/// The simulator's clock: real time since it started, times the speed, plus what
/// [`Ledger::advance`] added.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    started: std::time::Instant,
    started_at: DateTime<FixedOffset>,
    speed: f64,
}

/// Beijing time, as WeChat Pay writes its times.
pub(crate) fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or(chrono::Utc.fix())
}

/// The day a page's `YYYY-MM-DD` parameter names, midnight to midnight in Beijing time; `None`
/// when it is not such a date.
pub(crate) fn beijing_day(date: &str) -> Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)> {
    use chrono::TimeZone;
    let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let midnight = |date: chrono::NaiveDate| {
        beijing()
            .from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
            .single()
    };
    Some((midnight(date)?, midnight(date.succ_opt()?)?))
}

impl Clock {
    /// A clock that starts at the current time and runs `speed` times as fast as real time (0: it
    /// moves only when advanced).
    pub fn new(speed: f64) -> Self {
        Self {
            started: std::time::Instant::now(),
            started_at: chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
                .with_timezone(&beijing()),
            speed,
        }
    }

    /// A clock that does not move, until a loaded ledger gets its own.
    fn stopped() -> Self {
        Self::new(0.0)
    }

    /// A clock showing `at` now, running `speed` times as fast as real time from now on.
    #[cfg(feature = "simulator-data")]
    pub fn at(at: DateTime<FixedOffset>, speed: f64) -> Self {
        Self {
            started: std::time::Instant::now(),
            started_at: at,
            speed,
        }
    }

    /// The same clock from now on at `speed`: the time it shows does not jump.
    fn at_speed(&self, speed: f64) -> Self {
        Self {
            started: std::time::Instant::now(),
            started_at: self.now(Duration::ZERO),
            speed,
        }
    }

    /// The time now, `advanced` past the running clock.
    fn now(&self, advanced: Duration) -> DateTime<FixedOffset> {
        let run = Duration::try_from_secs_f64(self.started.elapsed().as_secs_f64() * self.speed)
            .unwrap_or(Duration::MAX);
        later(later(self.started_at, run), advanced)
    }
}

/// `at` plus `by`, to the millisecond as WeChat Pay writes its times; the end of year 9999 when
/// that is further (a clock run at an absurd speed stops there).
pub(crate) fn later(at: DateTime<FixedOffset>, by: Duration) -> DateTime<FixedOffset> {
    let end = chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|day| day.and_hms_milli_opt(23, 59, 59, 999))
        .and_then(|t| t.and_local_timezone(beijing()).single());
    let sum = chrono::TimeDelta::from_std(by)
        .ok()
        .and_then(|by| at.checked_add_signed(by));
    match (sum, end) {
        (Some(sum), Some(end)) => sum.min(end).trunc_subsecs(3),
        (None, Some(end)) => end,
        (sum, None) => sum.unwrap_or(at).trunc_subsecs(3),
    }
}

/// A paid transaction of a sub-merchant. Its money (what is left to split, what was shared, what
/// is left to refund) is in the journal.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Transaction {
    pub transaction_id: String,
    pub sub_mchid: String,
    pub amount: i64,
    /// The merchant's order number (商户订单号).
    pub out_trade_no: String,
    /// Split requests taken.
    pub splits: u32,
}

/// A notification due when a split, a return or a refund is done: of which kind, its event and
/// summary, and its resource before encryption.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Notice {
    pub due: DateTime<FixedOffset>,
    #[serde(with = "super::store::notification_kind")]
    pub kind: &'static crate::NotificationKind,
    pub event_type: EventType,
    pub summary: String,
    pub resource: Value,
    /// Where to deliver it instead of the simulator's notify URL (a refund's `notify_url`).
    pub url: Option<String>,
}

/// The kinds of id WeChat Pay gives.
#[derive(Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum IdKind {
    Order,
    Detail,
    Return,
    Refund,
    AdvanceReturn,
    Subsidy,
    SubsidyReturn,
    AfterSales,
    Withdrawal,
}

/// What a call needs besides the ledger.
pub(crate) struct Context<'a> {
    pub rules: &'a Rules,
    /// The platform merchant the simulator serves (the `mchid` requests are signed with).
    pub platform_mchid: &'a str,
}

/// The state of every sub-merchant's money.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Ledger {
    /// Not kept: `--data` keeps the time the clock showed, and a loaded ledger runs from there
    /// ([`Ledger::restart_clock`]).
    #[serde(skip, default = "Clock::stopped")]
    clock: Clock,
    #[serde(skip)]
    advanced: Duration,
    /// Every money movement, of every family.
    pub(crate) journal: Journal,
    pub(crate) transactions: Bounded<Transaction>,
    /// The last numbers used in WeChat Pay's ids, by kind.
    serials: HashMap<IdKind, u64>,
    /// Whether splits and returns record notifications.
    notifying: bool,
    /// The notifications not due yet, in the order they were recorded; at most `max_kept`.
    notices: VecDeque<Notice>,
    max_kept: usize,
}

/// An answer's body.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, Rejection> {
    serde_json::to_value(value).map_err(|e| {
        rejection(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SYSTEM_ERROR",
            &format!("系统错误 ({e})"),
            None,
        )
    })
}

impl Ledger {
    pub fn new(clock: Clock, max_kept: usize) -> Self {
        Self {
            clock,
            advanced: Duration::ZERO,
            journal: Journal::new(max_kept.saturating_mul(8)),
            transactions: Bounded::new(max_kept),
            serials: HashMap::new(),
            notifying: false,
            notices: VecDeque::new(),
            max_kept,
        }
    }

    /// Empties the books: no transactions, no movements, no notifications due. The clock, the
    /// ids' numbering (no id is given twice) and whether notifications are on stay.
    pub fn reset(&mut self) {
        let empty = Self::new(self.clock, self.max_kept);
        self.journal = empty.journal;
        self.transactions = empty.transactions;
        self.notices = empty.notices;
    }

    /// Whether splits and returns made from now on record their notifications.
    pub fn set_notifying(&mut self, on: bool) {
        self.notifying = on;
    }

    /// Records notifications, while notifications are on (or when one has its own URL).
    pub(crate) fn notify(&mut self, notices: impl IntoIterator<Item = Notice>) {
        for notice in notices {
            // A notice with a URL of its own (a refund's notify_url) goes there regardless.
            if self.notifying || notice.url.is_some() {
                push_bounded(&mut self.notices, notice, self.max_kept);
            }
        }
    }

    /// Adds what changed since the last save (everything for a full save): the transactions and
    /// the journal (the rest is in the state's blob).
    #[cfg(feature = "simulator-data")]
    pub(crate) fn save(&mut self, changes: &mut super::tracked::Changes) -> Result<(), String> {
        self.transactions.save("ledger.transactions", changes)?;
        self.journal.save(changes)
    }

    /// The transactions and the journal the file holds.
    #[cfg(feature = "simulator-data")]
    pub(crate) fn load(&mut self, records: &mut super::tracked::Records) -> Result<(), String> {
        self.transactions.load("ledger.transactions", records)?;
        self.journal.load(records)
    }

    /// Takes the notifications due by now.
    pub fn due_notices(&mut self) -> Vec<Notice> {
        let now = self.now();
        let (due, later): (Vec<Notice>, Vec<Notice>) =
            self.notices.drain(..).partition(|n| n.due <= now);
        self.notices = later.into();
        due
    }

    /// The simulator's time now.
    pub fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now(self.advanced)
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, by: Duration) {
        self.advanced = self.advanced.saturating_add(by);
    }

    /// The clock and how far it was advanced: what another merchant's books start from, so that
    /// every merchant of a simulator shows one time.
    pub fn clock(&self) -> (Clock, Duration) {
        (self.clock, self.advanced)
    }

    /// Runs the books on `clock` (a ledger just loaded from `--data`).
    #[cfg(feature = "simulator-data")]
    pub fn restart_clock(&mut self, clock: Clock) {
        self.clock = clock;
        self.advanced = Duration::ZERO;
    }

    /// How many times as fast as real time the clock runs.
    pub fn clock_speed(&self) -> f64 {
        self.clock.speed
    }

    /// Runs the clock at `speed` from now on (0: it moves only when advanced), from the time it
    /// shows now.
    pub fn set_clock_speed(&mut self, speed: f64) {
        self.clock = self.clock.at_speed(speed);
    }

    /// Adds the fixtures' transactions (see [`Ledger::add_transaction`]), or none of them if one
    /// is less than 1 fen.
    pub fn add_transactions(&mut self, fixtures: &Fixtures) -> Result<(), FixturesError> {
        fixtures.check()?;
        for paid in &fixtures.transactions {
            self.add_transaction(paid);
        }
        Ok(())
    }

    /// Adds a paid transaction, or replaces one with the same id (and forgets what was split of it):
    /// its payment, frozen for splitting, is the journal's first entry for it.
    pub fn add_transaction(&mut self, paid: &super::fixtures::Transaction) {
        let now = self.now();
        self.journal.forget(&paid.transaction_id, now);
        let dropped = self.transactions.insert(
            paid.transaction_id.clone(),
            Transaction {
                transaction_id: paid.transaction_id.clone(),
                sub_mchid: paid.sub_mchid.clone(),
                amount: paid.amount,
                out_trade_no: paid.out_trade_no(),
                splits: 0,
            },
        );
        for gone in dropped {
            self.journal.forget(&gone.transaction_id, now);
        }
        self.journal.record(Entry {
            at: now,
            from: Account::Buyer,
            to: Account::Frozen(paid.transaction_id.clone()),
            amount: paid.amount,
            movement: Movement::Payment,
            transaction_id: paid.transaction_id.clone(),
            reference: paid.transaction_id.clone(),
        });
    }

    /// A paid transaction, if the simulator holds it.
    pub(crate) fn transaction(&self, transaction_id: &str) -> Option<&Transaction> {
        self.transactions.get(transaction_id)
    }

    /// The paid transaction `transaction_id` of `sub_mchid`, or `400 INVALID_REQUEST` (the code
    /// the pages give for an order that is not the sub-merchant's).
    pub(crate) fn paid_by(
        &self,
        sub_mchid: &str,
        transaction_id: &str,
    ) -> Result<&Transaction, Rejection> {
        self.transactions
            .get(transaction_id)
            .filter(|t| t.sub_mchid == sub_mchid)
            .ok_or_else(|| {
                invalid(&format!(
                    "订单不存在或不是该二级商户的订单 (no paid transaction {transaction_id} of \
                     sub_mchid {sub_mchid}; seed one with add_transaction or the fixtures)"
                ))
            })
    }

    /// A paid transaction of `sub_mchid`, by the merchant's order number.
    pub(crate) fn transaction_by_trade(
        &self,
        sub_mchid: &str,
        out_trade_no: &str,
    ) -> Option<&Transaction> {
        self.transactions
            .values()
            .find(|t| t.sub_mchid == sub_mchid && t.out_trade_no == out_trade_no)
    }

    /// Whether a split has taken money from a transaction (a share, or a finish).
    pub(crate) fn split_started(&self, transaction_id: &str) -> bool {
        self.journal.total(transaction_id, Movement::Share) > 0
            || self.journal.total(transaction_id, Movement::Unfreeze) > 0
    }

    /// Where a sub-merchant pays `amount` of a transaction from when the request names no
    /// account: the transaction's frozen money when that covers it, else its available balance.
    pub(crate) fn covering_source(&self, transaction_id: &str, amount: i64) -> FundsFrom {
        if self.unsplit(transaction_id) >= amount {
            FundsFrom::Unavailable
        } else {
            FundsFrom::Available
        }
    }

    /// What is left of a transaction to split (订单剩余待分金额): its frozen money.
    pub(crate) fn unsplit(&self, transaction_id: &str) -> i64 {
        self.journal
            .balance(&Account::Frozen(transaction_id.to_owned()))
    }

    /// The next id of a kind, numbered from 1 after a prefix, as long as WeChat Pay's: an order
    /// id (`3008…`, 28 characters), a detail id (`3601…`, 23), a return number (`3009…`, 28).
    pub(crate) fn next_id(&mut self, kind: IdKind) -> String {
        let (prefix, digits) = match kind {
            IdKind::Order => ("3008", 24),
            IdKind::Detail => ("3601", 19),
            IdKind::Return => ("3009", 24),
            IdKind::Refund => ("5000", 25),
            IdKind::AdvanceReturn => ("1215", 24),
            IdKind::Subsidy => ("3010", 24),
            IdKind::SubsidyReturn => ("3011", 24),
            IdKind::AfterSales => ("3012", 24),
            IdKind::Withdrawal => ("1016", 28),
        };
        let serial = self.serials.entry(kind).or_insert(0);
        *serial = serial.saturating_add(1);
        format!("{prefix}{serial:0digits$}")
    }
}
