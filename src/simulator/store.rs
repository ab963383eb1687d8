//! The simulator's state on disk (`SimulatorBuilder::data`, the sandbox's `--data`): one SQLite
//! file, each merchant's snapshot (its keys, its books, its notifications and their schedule, the
//! time its clock showed) in a row of its own, written as the state changes.
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

use std::collections::HashMap;
use std::hash::Hash;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A map whose keys are not strings (an account, a transaction and a movement), written as a
/// list of pairs: JSON object keys can only be strings.
pub(crate) mod pairs {
    use super::*;

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &HashMap<K, V>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map.iter())
    }

    pub fn deserialize<'de, K, V, D>(deserializer: D) -> Result<HashMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Eq + Hash,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Vec::<(K, V)>::deserialize(deserializer).map(|pairs| pairs.into_iter().collect())
    }
}

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
pub(crate) use data::Store;

#[cfg(feature = "simulator-data")]
mod data {
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};

    use chrono::{DateTime, FixedOffset};
    use serde::{Deserialize, Serialize};

    use super::super::merchants::{MerchantKeys, Merchants, Settings};
    use super::super::{
        Fixtures, SimulatorError, State, after_sales, fund, ledger, notify, profit_sharing,
        refunds, subsidies,
    };

    /// The format of the rows; a file of another is refused rather than misread.
    const FORMAT: i64 = 1;

    /// One merchant as the file keeps it.
    #[derive(Serialize, Deserialize)]
    pub(crate) struct Snapshot {
        pub keys: MerchantKeys,
        /// The time the clock showed, its speed, and when (wall-clock Unix milliseconds) it was
        /// saved: a restarted clock runs on from there, as if it had run meanwhile.
        pub now: DateTime<FixedOffset>,
        pub speed: f64,
        pub saved_at_ms: i64,
        pub fixtures: Fixtures,
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
        keys: &'a MerchantKeys,
        now: DateTime<FixedOffset>,
        speed: f64,
        saved_at_ms: i64,
        fixtures: &'a Fixtures,
        ledger: &'a ledger::Ledger,
        profit_sharing: &'a profit_sharing::ProfitSharing,
        refunds: &'a refunds::Refunds,
        subsidies: &'a subsidies::Subsidies,
        after_sales: &'a after_sales::AfterSales,
        fund: &'a fund::Fund,
        notify: &'a notify::Outbox,
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
        pub(crate) fn restore(
            snapshot: Snapshot,
            settings: Settings,
        ) -> Result<Self, SimulatorError> {
            let clock = snapshot.clock();
            let state = State::new(
                snapshot.keys,
                settings,
                snapshot.fixtures,
                (clock, std::time::Duration::ZERO),
            )?;
            {
                let mut data = state.data();
                let mut ledger = snapshot.ledger;
                ledger.restart_clock(clock);
                data.ledger = ledger;
                data.profit_sharing = snapshot.profit_sharing;
                data.refunds = snapshot.refunds;
                data.subsidies = snapshot.subsidies;
                data.after_sales = snapshot.after_sales;
                data.fund = snapshot.fund;
                data.notify = snapshot.notify;
                data.notify.restarted();
            }
            Ok(state)
        }

        /// This merchant as JSON, its sensitive fields as their plaintext.
        fn snapshot(&self) -> Result<String, SimulatorError> {
            let data = self.data();
            let mut keys = self.keys.clone();
            keys.platform = data.platform.iter().map(|p| p.keys()).collect();
            let snapshot = SnapshotRef {
                keys: &keys,
                now: data.ledger.now(),
                speed: data.ledger.clock_speed(),
                saved_at_ms: wall_ms(),
                fixtures: &data.fixtures,
                ledger: &data.ledger,
                profit_sharing: &data.profit_sharing,
                refunds: &data.refunds,
                subsidies: &data.subsidies,
                after_sales: &data.after_sales,
                fund: &data.fund,
                notify: &data.notify,
            };
            crate::auth::encryption::with_plaintext(|| serde_json::to_string(&snapshot))
                .map_err(|e| SimulatorError::Data(format!("cannot write the state: {e}")))
        }
    }

    /// How far the writer got.
    #[derive(Default)]
    struct Progress {
        /// The last change asked to be saved.
        requested: u64,
        /// The last change saved.
        saved: u64,
        /// The last change a write failed for (then `saved` did not move), and why.
        failed: u64,
        stopping: bool,
    }

    /// What the waiters watch: the last change saved, the last one a write failed for, and why.
    type Saved = (u64, u64, String);

    struct Shared {
        progress: Mutex<Progress>,
        /// Wakes the writer (a change) and the waiters (a write done).
        wake_writer: Condvar,
        saved: tokio::sync::watch::Sender<Saved>,
        merchants: OnceLock<Weak<Merchants>>,
    }

    /// The data file and its writer thread.
    pub(crate) struct Store {
        shared: Arc<Shared>,
        path: PathBuf,
    }

    impl std::fmt::Debug for Store {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Store").field("path", &self.path).finish()
        }
    }

    fn lock(progress: &Mutex<Progress>) -> std::sync::MutexGuard<'_, Progress> {
        progress
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn open(path: &Path) -> Result<rusqlite::Connection, SimulatorError> {
        let failed = |e: rusqlite::Error| {
            SimulatorError::Data(format!("cannot open {}: {e}", path.display()))
        };
        let connection = rusqlite::Connection::open(path).map_err(failed)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA busy_timeout = 5000;
                 CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                 CREATE TABLE IF NOT EXISTS merchants (
                     position INTEGER PRIMARY KEY,
                     mchid TEXT NOT NULL UNIQUE,
                     snapshot TEXT NOT NULL
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
            Some(FORMAT) => {}
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
        pub fn open(path: &Path) -> Result<(Arc<Self>, Vec<Snapshot>), SimulatorError> {
            let connection = open(path)?;
            let failed = |e: rusqlite::Error| {
                SimulatorError::Data(format!("cannot read {}: {e}", path.display()))
            };
            let rows: Vec<(String, String)> = {
                let mut statement = connection
                    .prepare("SELECT mchid, snapshot FROM merchants ORDER BY position")
                    .map_err(failed)?;
                statement
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                    .map_err(failed)?
                    .collect::<Result<_, _>>()
                    .map_err(failed)?
            };
            let snapshots = rows
                .into_iter()
                .map(|(mchid, json)| {
                    serde_json::from_str::<Snapshot>(&json).map_err(|e| {
                        SimulatorError::Data(format!(
                            "{}: merchant {mchid}'s state does not read: {e}",
                            path.display()
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let (saved, _) = tokio::sync::watch::channel((0, 0, String::new()));
            let shared = Arc::new(Shared {
                progress: Mutex::new(Progress::default()),
                wake_writer: Condvar::new(),
                saved,
                merchants: OnceLock::new(),
            });
            let writer = shared.clone();
            std::thread::Builder::new()
                .name("simulator-data".into())
                .spawn(move || write_loop(&writer, connection))
                .map_err(|e| SimulatorError::Data(format!("no writer thread: {e}")))?;
            Ok((
                Arc::new(Self {
                    shared,
                    path: path.to_owned(),
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

        /// Asks for a write and waits until it committed; an error if it failed.
        pub async fn save(&self) -> Result<(), SimulatorError> {
            let wanted = self.request();
            let mut saved = self.shared.saved.subscribe();
            let (saved, _, failure) = saved
                .wait_for(|(saved, failed, _)| *saved >= wanted || *failed >= wanted)
                .await
                .map(|state| state.clone())
                .map_err(|_| SimulatorError::Data("the writer stopped".into()))?;
            if saved >= wanted {
                Ok(())
            } else {
                Err(SimulatorError::Data(failure))
            }
        }

        /// Stops the writer once it has written what was asked.
        pub fn stop(&self) {
            lock(&self.shared.progress).stopping = true;
            self.shared.wake_writer.notify_one();
        }
    }

    /// The writer: waits for a change, then saves every merchant in one transaction.
    fn write_loop(shared: &Shared, mut connection: rusqlite::Connection) {
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
            shared
                .saved
                .send_replace((progress.saved, progress.failed, failure));
        }
    }

    fn write_all(
        connection: &mut rusqlite::Connection,
        merchants: &[Arc<State>],
    ) -> Result<(), String> {
        let rows = merchants
            .iter()
            .map(|state| Ok((state.merchant.mchid.clone(), state.snapshot()?)))
            .collect::<Result<Vec<_>, SimulatorError>>()
            .map_err(|e| e.to_string())?;
        let transaction = connection.transaction().map_err(|e| e.to_string())?;
        for (position, (mchid, snapshot)) in rows.iter().enumerate() {
            let position = i64::try_from(position).unwrap_or(i64::MAX);
            transaction
                .execute(
                    "INSERT INTO merchants (position, mchid, snapshot) VALUES (?1, ?2, ?3)
                     ON CONFLICT (position) DO UPDATE SET mchid = ?2, snapshot = ?3",
                    rusqlite::params![position, mchid, snapshot],
                )
                .map_err(|e| e.to_string())?;
        }
        transaction.commit().map_err(|e| e.to_string())
    }
}
