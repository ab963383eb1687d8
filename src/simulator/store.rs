//! The simulator's state on disk (`SimulatorBuilder::data`, the sandbox's `--data`): one SQLite
//! file, written as the state changes. Each merchant has a row in `merchants` (the time its clock
//! showed, and the small parts of its books: settings, what waits to be notified); its keys, its
//! fixtures and each entry of its growing collections (transactions, the journal's movements and
//! balances, receivers, orders, returns, refunds, subsidies, after-sales splits, withdrawals,
//! notification deliveries) are rows of `records`. A save writes, for each merchant that changed,
//! its row and the records changed since the last save (`tracked.rs`): its cost follows the
//! change, not the size of the books.
//!
//! A change is saved before it is acknowledged: a request that changed the books (any request but
//! a `GET`) and a control call are answered only once a write that includes them has committed,
//! and a notification is queued on disk before its first attempt. One writer thread saves every
//! merchant in one transaction, so that requests arriving together share a write (a group
//! commit). The file is in WAL mode with `synchronous=NORMAL`: a committed write survives the
//! process being killed (it is in the operating system's hands), not a power cut.
//!
//! Not kept: the files the bill download URLs serve (their URLs expire anyway), queued faults,
//! the requests seen, the nonces, and the test switches (answer signer, unsigned requests,
//! in-progress answers).

use serde::{Deserialize, Deserializer, Serializer};

/// A notification's kind, written as its id (`profitSharingNotification`).
pub(crate) mod notification_kind {
    use super::*;
    use crate::NotificationKind;

    /// The kinds the simulator sends.
    const KINDS: [&NotificationKind; 2] = [
        &crate::profit_sharing::PROFIT_SHARING_NOTIFICATION,
        &crate::refunds::REFUND_NOTIFICATION,
    ];

    pub fn serialize<S: Serializer>(
        kind: &&'static NotificationKind,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(kind.id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<&'static NotificationKind, D::Error> {
        let id = String::deserialize(deserializer)?;
        KINDS
            .into_iter()
            .find(|kind| kind.id == id)
            .ok_or_else(|| serde::de::Error::custom(format!("no notification kind {id:?}")))
    }
}

#[cfg(feature = "simulator-data")]
pub(crate) use data::{Store, json_error};

#[cfg(feature = "simulator-data")]
mod data {
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};

    use chrono::{DateTime, FixedOffset};
    use serde::{Deserialize, Serialize};

    use super::super::merchants::{MerchantKeys, Merchants, Settings};
    use super::super::tracked::{Changes, Records, Row};
    use super::super::{
        Fixtures, SimulatorError, State, after_sales, fund, ledger, lock, notify, profit_sharing,
        refunds, subsidies,
    };

    /// The fixtures' collection: one row, written when they change.
    const FIXTURES: &str = "fixtures";

    /// The format of the rows; a file of another is refused rather than misread.
    const FORMAT: i64 = 4;

    /// A merchant as the file gave it: its keys, its row, and its collections' entries.
    pub(crate) struct Stored {
        pub keys: MerchantKeys,
        pub snapshot: Snapshot,
        pub records: Records,
    }

    /// The keys' collection: one row, written when they change (a new merchant, a platform
    /// certificate rotated).
    const KEYS: &str = "keys";

    /// One merchant's row as the file keeps it (the entries of its collections are rows of
    /// `records`).
    #[derive(Serialize, Deserialize)]
    pub(crate) struct Snapshot {
        /// The time the clock showed, its speed, and when (wall-clock Unix milliseconds) it was
        /// saved: a restarted clock runs on from there, as if it had run meanwhile.
        pub now: DateTime<FixedOffset>,
        pub speed: f64,
        pub saved_at_ms: i64,
        pub ledger: ledger::Ledger,
        pub profit_sharing: profit_sharing::ProfitSharing,
        pub refunds: refunds::Refunds,
        pub subsidies: subsidies::Subsidies,
        pub after_sales: after_sales::AfterSales,
        pub fund: fund::Fund,
        pub notify: notify::Outbox,
    }

    /// The same, borrowed from a running merchant, to write it.
    #[derive(Serialize)]
    struct SnapshotRef<'a> {
        now: DateTime<FixedOffset>,
        speed: f64,
        saved_at_ms: i64,
        ledger: &'a ledger::Ledger,
        profit_sharing: &'a profit_sharing::ProfitSharing,
        refunds: &'a refunds::Refunds,
        subsidies: &'a subsidies::Subsidies,
        after_sales: &'a after_sales::AfterSales,
        fund: &'a fund::Fund,
        notify: &'a notify::Outbox,
    }

    /// A collection of one row (the keys, the fixtures), as the file gave it: `None` without
    /// one.
    fn one_row<T: serde::de::DeserializeOwned>(
        records: &mut Records,
        collection: &str,
    ) -> Result<Option<T>, String> {
        match records.remove(collection).unwrap_or_default().first() {
            Some((_, json)) => serde_json::from_str(json)
                .map(Some)
                .map_err(|e| json_error(&e)),
            None => Ok(None),
        }
    }

    /// The row of a collection of one row, to write.
    fn put_one_row<T: Serialize>(collection: &'static str, value: &T) -> Result<Row, String> {
        Ok(Row::Put {
            collection,
            key: collection.to_owned(),
            value: serde_json::to_string(value).map_err(|e| e.to_string())?,
        })
    }

    fn wall_ms() -> i64 {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
    }

    impl Snapshot {
        /// The clock to restart on: the time saved, plus the wall-clock time since, times the
        /// speed.
        pub fn clock(&self) -> ledger::Clock {
            let away_ms = wall_ms().saturating_sub(self.saved_at_ms).max(0);
            let away = std::time::Duration::from_millis(u64::try_from(away_ms).unwrap_or(0));
            let run = std::time::Duration::try_from_secs_f64(away.as_secs_f64() * self.speed)
                .unwrap_or(std::time::Duration::MAX);
            ledger::Clock::at(ledger::later(self.now, run), self.speed)
        }
    }

    impl State {
        /// A merchant as the file kept it: its keys, its books, and its clock run on from when
        /// it was saved; notifications that were in flight wait for an attempt, due now.
        pub(crate) fn restore(stored: Stored, settings: Settings) -> Result<Self, SimulatorError> {
            let Stored {
                keys,
                snapshot,
                mut records,
            } = stored;
            let clock = snapshot.clock();
            let mchid = keys.mchid.clone();
            let fixtures: Fixtures = one_row(&mut records, FIXTURES)
                .map_err(|e| {
                    SimulatorError::Data(format!("merchant {mchid}'s fixtures do not read: {e}"))
                })?
                .unwrap_or_default();
            // Built without the fixtures, whose transactions the ledger read below holds already.
            let state = State::new(
                keys,
                settings,
                Fixtures::default(),
                (clock, std::time::Duration::ZERO),
            )?;
            {
                let mut data = state.data();
                let data = &mut *data;
                data.fixtures = fixtures;
                data.ledger = snapshot.ledger;
                data.ledger.restart_clock(clock);
                data.profit_sharing = snapshot.profit_sharing;
                data.refunds = snapshot.refunds;
                data.subsidies = snapshot.subsidies;
                data.after_sales = snapshot.after_sales;
                data.fund = snapshot.fund;
                data.notify = snapshot.notify;
                let loaded = crate::auth::encryption::with_plaintext(|| {
                    data.ledger.load(&mut records)?;
                    data.profit_sharing.load(&mut records)?;
                    data.refunds.load(&mut records)?;
                    data.subsidies.load(&mut records)?;
                    data.after_sales.load(&mut records)?;
                    data.fund.load(&mut records)?;
                    data.notify.load(&mut records)
                });
                loaded.map_err(|e| {
                    SimulatorError::Data(format!("merchant {mchid}'s records do not read: {e}"))
                })?;
                data.notify.restarted();
                // As the file holds it: the next save writes what changes from here.
                data.resave = false;
                data.fixtures_changed = false;
                data.keys_changed = false;
            }
            Ok(state)
        }

        /// Whether this merchant changed since the last save (or must be written whole); a
        /// merchant that did not is not written.
        fn take_dirty(&self) -> bool {
            let dirty = self.dirty.swap(false, std::sync::atomic::Ordering::SeqCst);
            dirty || self.data().resave
        }

        /// This merchant's row, and its entries changed since the last save (all of them the
        /// first time, after a reset, or after a failed write), sensitive fields as their
        /// plaintext.
        fn changes(&self) -> Result<(String, Changes), SimulatorError> {
            let mut data = self.data();
            let data = &mut *data;
            let mut changes = Changes::new(std::mem::take(&mut data.resave));
            let written = crate::auth::encryption::with_plaintext(|| {
                let row = serde_json::to_string(&SnapshotRef {
                    now: data.ledger.now(),
                    speed: data.ledger.clock_speed(),
                    saved_at_ms: wall_ms(),
                    ledger: &data.ledger,
                    profit_sharing: &data.profit_sharing,
                    refunds: &data.refunds,
                    subsidies: &data.subsidies,
                    after_sales: &data.after_sales,
                    fund: &data.fund,
                    notify: &data.notify,
                })
                .map_err(|e| e.to_string())?;
                if changes.full || std::mem::take(&mut data.keys_changed) {
                    let mut keys = self.keys.clone();
                    keys.platform = data.platform.iter().map(|p| p.keys()).collect();
                    changes.rows.push(put_one_row(KEYS, &keys)?);
                }
                if changes.full || std::mem::take(&mut data.fixtures_changed) {
                    changes.rows.push(put_one_row(FIXTURES, &data.fixtures)?);
                }
                data.ledger.save(&mut changes)?;
                data.profit_sharing.save(&mut changes)?;
                data.refunds.save(&mut changes)?;
                data.subsidies.save(&mut changes)?;
                data.after_sales.save(&mut changes)?;
                data.fund.save(&mut changes)?;
                data.notify.save(&mut changes)?;
                Ok::<_, String>(row)
            });
            match written {
                Ok(row) => Ok((row, changes)),
                Err(e) => {
                    // What was taken is lost: the next save writes everything.
                    data.resave = true;
                    Err(SimulatorError::Data(format!("cannot write the state: {e}")))
                }
            }
        }
    }

    /// How far the writer got.
    #[derive(Default)]
    struct Progress {
        /// The last change asked to be saved.
        requested: u64,
        /// The last change saved.
        saved: u64,
        /// The last change a write failed for (then `saved` did not move).
        failed: u64,
        /// Asked to stop: the writer writes what was asked, then ends.
        stopping: bool,
    }

    /// What the waiters watch.
    #[derive(Clone, Default)]
    struct Saved {
        /// The last change saved.
        saved: u64,
        /// The last change a write failed for, and why.
        failed: u64,
        failure: String,
        /// The writer has ended: nothing more will be saved.
        ended: bool,
    }

    struct Shared {
        progress: Mutex<Progress>,
        /// Wakes the writer (a change, or stop).
        wake_writer: Condvar,
        saved: tokio::sync::watch::Sender<Saved>,
        merchants: OnceLock<Weak<Merchants>>,
    }

    /// The data file and its writer thread, which ends (its last writes done) when the store is
    /// stopped or dropped.
    pub(crate) struct Store {
        shared: Arc<Shared>,
        path: PathBuf,
        writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    }

    impl std::fmt::Debug for Store {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Store").field("path", &self.path).finish()
        }
    }

    impl Drop for Store {
        fn drop(&mut self) {
            self.stop();
        }
    }

    /// A JSON error without the text it quotes (a key, a sensitive field's plaintext): its kind
    /// and place only.
    pub(crate) fn json_error(error: &serde_json::Error) -> String {
        format!(
            "{:?} error at line {}, column {}",
            error.classify(),
            error.line(),
            error.column()
        )
    }

    fn open(path: &Path) -> Result<rusqlite::Connection, SimulatorError> {
        let failed = |e: rusqlite::Error| {
            let busy = matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            );
            let why = if busy {
                " (another simulator has it open)"
            } else {
                ""
            };
            SimulatorError::Data(format!("cannot open {}: {e}{why}", path.display()))
        };
        // Its folder too, as the credentials' folder is made.
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|e| {
                SimulatorError::Data(format!("cannot make the folder of {}: {e}", path.display()))
            })?;
        }
        let connection = rusqlite::Connection::open(path).map_err(failed)?;
        // Another program's database is not taken over.
        let foreign: Option<String> = connection
            .query_row(
                "SELECT name FROM sqlite_master WHERE type = 'table'
                 AND name NOT IN ('meta', 'merchants', 'records') LIMIT 1",
                [],
                |row| row.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(failed)?;
        if let Some(table) = foreign {
            return Err(SimulatorError::Data(format!(
                "{} is not a simulator data file (it has a table {table:?})",
                path.display()
            )));
        }
        // One simulator per file: the lock is taken by the first write below and held until
        // the writer ends; another simulator on the file is refused at once.
        connection
            .execute_batch(
                "PRAGMA locking_mode = EXCLUSIVE;
                 PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA busy_timeout = 0;
                 CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                 CREATE TABLE IF NOT EXISTS merchants (
                     position INTEGER PRIMARY KEY,
                     mchid TEXT NOT NULL UNIQUE,
                     state TEXT NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS records (
                     mchid TEXT NOT NULL,
                     collection TEXT NOT NULL,
                     key TEXT NOT NULL,
                     value TEXT NOT NULL,
                     PRIMARY KEY (mchid, collection, key)
                 );",
            )
            .map_err(failed)?;
        let format: Option<i64> = connection
            .query_row("SELECT value FROM meta WHERE key = 'format'", [], |row| {
                row.get(0)
            })
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(failed)?;
        match format {
            None => {
                connection
                    .execute(
                        "INSERT INTO meta (key, value) VALUES ('format', ?1)",
                        [FORMAT],
                    )
                    .map_err(failed)?;
            }
            Some(FORMAT) => {
                // A write, to take the lock now rather than at the first save.
                connection
                    .execute("UPDATE meta SET value = ?1 WHERE key = 'format'", [FORMAT])
                    .map_err(failed)?;
            }
            Some(other) => {
                return Err(SimulatorError::Data(format!(
                    "{} is in format {other}, this simulator reads format {FORMAT}",
                    path.display()
                )));
            }
        }
        Ok(connection)
    }

    impl Store {
        /// Opens (or creates) the file at `path` and reads the merchants it holds, in the order
        /// they were added; starts the writer.
        pub fn open(path: &Path) -> Result<(Arc<Self>, Vec<Stored>), SimulatorError> {
            let connection = open(path)?;
            let failed = |e: rusqlite::Error| {
                SimulatorError::Data(format!("cannot read {}: {e}", path.display()))
            };
            let rows: Vec<(String, String)> = {
                let mut statement = connection
                    .prepare("SELECT mchid, state FROM merchants ORDER BY position")
                    .map_err(failed)?;
                statement
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                    .map_err(failed)?
                    .collect::<Result<_, _>>()
                    .map_err(failed)?
            };
            let mut records = connection
                .prepare(
                    "SELECT collection, key, value FROM records WHERE mchid = ?1 ORDER BY rowid",
                )
                .map_err(failed)?;
            let snapshots = rows
                .into_iter()
                .map(|(mchid, json)| {
                    let snapshot = crate::auth::encryption::with_plaintext(|| {
                        serde_json::from_str::<Snapshot>(&json)
                    })
                    .map_err(|e| {
                        SimulatorError::Data(format!(
                            "{}: merchant {mchid}'s state does not read: {}",
                            path.display(),
                            json_error(&e)
                        ))
                    })?;
                    let mut collections = Records::new();
                    let rows = records
                        .query_map([&mchid], |row| {
                            Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?))
                        })
                        .map_err(failed)?;
                    for row in rows {
                        let (collection, key, value) = row.map_err(failed)?;
                        collections
                            .entry(collection)
                            .or_default()
                            .push((key, value));
                    }
                    let keys = one_row(&mut collections, KEYS)
                        .map_err(|e| {
                            SimulatorError::Data(format!(
                                "{}: merchant {mchid}'s keys do not read: {e}",
                                path.display()
                            ))
                        })?
                        .ok_or_else(|| {
                            SimulatorError::Data(format!(
                                "{}: merchant {mchid} has no keys",
                                path.display()
                            ))
                        })?;
                    Ok(Stored {
                        keys,
                        snapshot,
                        records: collections,
                    })
                })
                .collect::<Result<Vec<_>, SimulatorError>>()?;
            drop(records);
            let (saved, _) = tokio::sync::watch::channel(Saved::default());
            let shared = Arc::new(Shared {
                progress: Mutex::new(Progress::default()),
                wake_writer: Condvar::new(),
                saved,
                merchants: OnceLock::new(),
            });
            let writer = shared.clone();
            let writer = std::thread::Builder::new()
                .name("simulator-data".into())
                .spawn(move || write_loop(&writer, connection))
                .map_err(|e| SimulatorError::Data(format!("no writer thread: {e}")))?;
            Ok((
                Arc::new(Self {
                    shared,
                    path: path.to_owned(),
                    writer: Mutex::new(Some(writer)),
                }),
                snapshots,
            ))
        }

        /// The merchants to save: set once, when they are built.
        pub fn serve(&self, merchants: &Arc<Merchants>) {
            let _ = self.shared.merchants.set(Arc::downgrade(merchants));
        }

        /// Asks for a write that includes every change so far; its number.
        pub fn request(&self) -> u64 {
            let mut progress = lock(&self.shared.progress);
            progress.requested += 1;
            self.shared.wake_writer.notify_one();
            progress.requested
        }

        /// Asks for a write and waits until it committed; an error if it failed, or if the
        /// store is stopping.
        pub async fn save(&self) -> Result<(), SimulatorError> {
            if lock(&self.shared.progress).stopping {
                return Err(SimulatorError::Data("the simulator is stopping".into()));
            }
            let wanted = self.request();
            let mut saved = self.shared.saved.subscribe();
            let saved = saved
                .wait_for(|s| s.saved >= wanted || s.failed >= wanted || s.ended)
                .await
                .map(|state| state.clone())
                .map_err(|_| SimulatorError::Data("the writer ended".into()))?;
            if saved.saved >= wanted {
                Ok(())
            } else if saved.failed >= wanted {
                Err(SimulatorError::Data(saved.failure))
            } else {
                Err(SimulatorError::Data("the writer ended".into()))
            }
        }

        /// Stops the writer once it has written what was asked, and waits for it to end (the
        /// file's lock is then released).
        pub fn stop(&self) {
            lock(&self.shared.progress).stopping = true;
            self.shared.wake_writer.notify_one();
            let writer = lock(&self.writer).take();
            if let Some(writer) = writer
                && writer.thread().id() != std::thread::current().id()
            {
                let _ = writer.join();
            }
        }
    }

    /// Tells the waiters the writer ended, however it ends.
    struct Ended<'a>(&'a Shared);

    impl Drop for Ended<'_> {
        fn drop(&mut self) {
            self.0.saved.send_modify(|saved| saved.ended = true);
        }
    }

    /// The writer: waits for a change, then saves the merchants that changed in one
    /// transaction.
    fn write_loop(shared: &Shared, mut connection: rusqlite::Connection) {
        let _ended = Ended(shared);
        loop {
            let wanted = {
                let mut progress = lock(&shared.progress);
                // After a failed write, only a new change tries again (no busy loop on a full
                // disk).
                let idle = |p: &Progress| p.requested == p.saved || p.requested <= p.failed;
                while idle(&progress) && !progress.stopping {
                    progress = shared
                        .wake_writer
                        .wait(progress)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
                if idle(&progress) {
                    return;
                }
                progress.requested
            };
            let Some(merchants) = shared.merchants.get().and_then(Weak::upgrade) else {
                // Not serving yet (a request before the merchants were set), or stopped.
                if lock(&shared.progress).stopping {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
                continue;
            };
            let written = write_all(&mut connection, &merchants.all());
            drop(merchants);
            let mut progress = lock(&shared.progress);
            let failure = match written {
                Ok(()) => {
                    progress.saved = wanted;
                    String::new()
                }
                Err(failure) => {
                    eprintln!("simulator data file: {failure}");
                    progress.failed = wanted;
                    failure
                }
            };
            let (saved, failed) = (progress.saved, progress.failed);
            shared.saved.send_modify(|s| {
                (s.saved, s.failed, s.failure) = (saved, failed, failure);
            });
        }
    }

    fn write_all(
        connection: &mut rusqlite::Connection,
        merchants: &[Arc<State>],
    ) -> Result<(), String> {
        // The merchants that changed (or must be written whole), each with its position.
        let rows = (merchants.iter().enumerate())
            .filter(|(_, state)| state.take_dirty())
            .map(|(position, state)| Ok((position, state.merchant.mchid.clone(), state.changes()?)))
            .collect::<Result<Vec<_>, SimulatorError>>()
            .map_err(|e| e.to_string());
        let written =
            rows.and_then(|rows| write_rows(connection, &rows).map_err(|e| e.to_string()));
        if written.is_err() {
            // What was taken is not on disk: the next save writes everything.
            for state in merchants {
                state.data().resave = true;
            }
        }
        written
    }

    fn write_rows(
        connection: &mut rusqlite::Connection,
        merchants: &[(usize, String, (String, Changes))],
    ) -> rusqlite::Result<()> {
        let transaction = connection.transaction()?;
        {
            let mut put = transaction.prepare_cached(
                "INSERT INTO records (mchid, collection, key, value) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (mchid, collection, key) DO UPDATE SET value = excluded.value",
            )?;
            let mut delete = transaction.prepare_cached(
                "DELETE FROM records WHERE mchid = ?1 AND collection = ?2 AND key = ?3",
            )?;
            let mut delete_below = transaction.prepare_cached(
                "DELETE FROM records WHERE mchid = ?1 AND collection = ?2 AND key < ?3",
            )?;
            let mut clear = transaction
                .prepare_cached("DELETE FROM records WHERE mchid = ?1 AND collection = ?2")?;
            let mut merchant = transaction.prepare_cached(
                "INSERT INTO merchants (position, mchid, state) VALUES (?1, ?2, ?3)
                 ON CONFLICT (position) DO UPDATE SET mchid = ?2, state = ?3",
            )?;
            for (position, mchid, (state, changes)) in merchants {
                let position = i64::try_from(*position).unwrap_or(i64::MAX);
                merchant.execute(rusqlite::params![position, mchid, state])?;
                for row in &changes.rows {
                    match row {
                        Row::Put {
                            collection,
                            key,
                            value,
                        } => {
                            put.execute(rusqlite::params![mchid, collection, key, value])?;
                        }
                        Row::Arrived {
                            collection,
                            key,
                            value,
                        } => {
                            delete.execute(rusqlite::params![mchid, collection, key])?;
                            put.execute(rusqlite::params![mchid, collection, key, value])?;
                        }
                        Row::Delete { collection, key } => {
                            delete.execute(rusqlite::params![mchid, collection, key])?;
                        }
                        Row::DeleteBelow { collection, key } => {
                            delete_below.execute(rusqlite::params![mchid, collection, key])?;
                        }
                        Row::Clear { collection } => {
                            clear.execute(rusqlite::params![mchid, collection])?;
                        }
                    }
                }
            }
        }
        transaction.commit()
    }
}
