//! The simulator's growing collections, each knowing what changed since it was last saved: what
//! lets `--data` write a request's change in time proportional to the change, not to the state.
//!
//! - [`Bounded`]: entries by key, kept in the order they came, the oldest dropped past a cap
//!   (transactions, receivers, orders, refunds…);
//! - [`Log`]: entries appended in order, the oldest dropped past a cap (the journal's movements,
//!   notification deliveries);
//! - [`TrackedMap`]: a map of any key (the journal's balances and totals).
//!
//! Each is written into the merchant's row as what it needs besides its entries (a `Bounded` its
//! cap, a `Log` its cap and numbering, a `TrackedMap` nothing); its entries are rows of their own,
//! which `Changes` collects and `Records` gives back when the file is read.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;

#[cfg(feature = "simulator-data")]
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[cfg(feature = "simulator-data")]
/// One change to a collection's rows.
#[derive(Debug)]
pub(crate) enum Row {
    /// The entry `key` is now `value`: replaced where it is, or added last.
    Put {
        collection: &'static str,
        key: String,
        value: String,
    },
    /// The entry `key` came (again) last: any row of it goes, and it is added last.
    Arrived {
        collection: &'static str,
        key: String,
        value: String,
    },
    /// The entry `key` is gone.
    Delete {
        collection: &'static str,
        key: String,
    },
    /// Every entry of the collection whose key sorts before `key` is gone (a log's dropped
    /// entries).
    DeleteBelow {
        collection: &'static str,
        key: String,
    },
    /// Every entry of the collection is gone (the rows that follow are all of it).
    Clear { collection: &'static str },
}

#[cfg(feature = "simulator-data")]
/// What changed since the last save, or everything (`full`).
#[derive(Debug)]
pub(crate) struct Changes {
    pub full: bool,
    pub rows: Vec<Row>,
}

#[cfg(feature = "simulator-data")]
impl Changes {
    pub fn new(full: bool) -> Self {
        Self {
            full,
            rows: Vec::new(),
        }
    }
}

#[cfg(feature = "simulator-data")]
/// The rows of each collection as the file gave them, in the order they were added.
pub(crate) type Records = HashMap<String, Vec<(String, String)>>;

#[cfg(feature = "simulator-data")]
fn write<T: Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string(value).map_err(|e| e.to_string())
}

#[cfg(feature = "simulator-data")]
fn read<T: DeserializeOwned>(collection: &str, key: &str, json: &str) -> Result<T, String> {
    serde_json::from_str(json)
        .map_err(|e| format!("{collection} {key}: {}", super::store::json_error(&e)))
}

/// Entries kept in the order they came, the oldest dropped past the cap.
pub(crate) struct Bounded<V> {
    map: HashMap<String, V>,
    arrival: VecDeque<String>,
    cap: usize,
    /// Keys written, lent mutably or removed since the last save.
    #[cfg_attr(not(feature = "simulator-data"), allow(dead_code))]
    changed: HashSet<String>,
    /// Keys that came (again) since the last save: their row goes last.
    #[cfg_attr(not(feature = "simulator-data"), allow(dead_code))]
    arrived: HashSet<String>,
    /// More changed than the sets may hold (nothing saves a simulator without a data file): the
    /// next save writes every entry.
    #[cfg_attr(not(feature = "simulator-data"), allow(dead_code))]
    overflowed: bool,
}

impl<V> Bounded<V> {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            map: HashMap::new(),
            arrival: VecDeque::new(),
            cap: cap.max(1),
            changed: HashSet::new(),
            arrived: HashSet::new(),
            overflowed: false,
        }
    }

    /// Marks `key` changed (and come, if it did), within bounded memory.
    fn touch(&mut self, key: &str, came: bool) {
        if self.overflowed {
            return;
        }
        if self.changed.len() >= self.cap.saturating_mul(2) {
            self.changed.clear();
            self.arrived.clear();
            self.overflowed = true;
            return;
        }
        self.changed.insert(key.to_owned());
        if came {
            self.arrived.insert(key.to_owned());
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        self.map.get(key)
    }

    /// The entry, to change: it is saved again.
    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        if !self.map.contains_key(key) {
            return None;
        }
        self.touch(key, false);
        self.map.get_mut(key)
    }

    /// Inserts or replaces; returns the entries dropped to stay under the cap.
    pub(crate) fn insert(&mut self, key: String, value: V) -> Vec<V> {
        let came = self.map.insert(key.clone(), value).is_none();
        self.touch(&key, came);
        if came {
            self.arrival.push_back(key);
        }
        let mut dropped = Vec::new();
        while self.map.len() > self.cap {
            let Some(oldest) = self.arrival.pop_front() else {
                break;
            };
            dropped.extend(self.map.remove(&oldest));
            self.touch(&oldest, false);
        }
        dropped
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.map.values()
    }

    /// The keys, in no order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &String> {
        self.map.keys()
    }

    pub(crate) fn remove(&mut self, key: &str) -> Option<V> {
        let value = self.map.remove(key)?;
        self.arrival.retain(|k| k != key);
        self.touch(key, false);
        Some(value)
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(feature = "simulator-data")]
impl<V: Serialize + DeserializeOwned> Bounded<V> {
    /// Adds what changed (or, for a full save, every entry in order) to `changes`.
    pub(crate) fn save(
        &mut self,
        collection: &'static str,
        changes: &mut Changes,
    ) -> Result<(), String> {
        let (changed, arrived) = (
            std::mem::take(&mut self.changed),
            std::mem::take(&mut self.arrived),
        );
        if changes.full || std::mem::take(&mut self.overflowed) {
            changes.rows.push(Row::Clear { collection });
            for key in &self.arrival {
                if let Some(value) = self.map.get(key) {
                    changes.rows.push(Row::Put {
                        collection,
                        key: key.clone(),
                        value: write(value)?,
                    });
                }
            }
            return Ok(());
        }
        // The ones that came are added in the order they came.
        for key in self.arrival.iter().filter(|k| arrived.contains(*k)) {
            if let Some(value) = self.map.get(key) {
                changes.rows.push(Row::Arrived {
                    collection,
                    key: key.clone(),
                    value: write(value)?,
                });
            }
        }
        for key in changed.difference(&arrived).chain(
            arrived
                .iter()
                .filter(|key| !self.map.contains_key(key.as_str())),
        ) {
            match self.map.get(key) {
                Some(value) => changes.rows.push(Row::Put {
                    collection,
                    key: key.clone(),
                    value: write(value)?,
                }),
                None => changes.rows.push(Row::Delete {
                    collection,
                    key: key.clone(),
                }),
            }
        }
        Ok(())
    }

    /// The entries the file holds, in the order they came; nothing is marked changed.
    pub(crate) fn load(&mut self, collection: &str, records: &mut Records) -> Result<(), String> {
        for (key, json) in records.remove(collection).unwrap_or_default() {
            let value = read(collection, &key, &json)?;
            if self.map.insert(key.clone(), value).is_none() {
                self.arrival.push_back(key);
            }
        }
        Ok(())
    }
}

/// Written as its cap; its entries are rows of their own.
impl<V> Serialize for Bounded<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(self.cap).unwrap_or(u64::MAX))
    }
}

impl<'de, V> Deserialize<'de> for Bounded<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let cap = u64::deserialize(deserializer)?;
        Ok(Self::new(usize::try_from(cap).unwrap_or(usize::MAX)))
    }
}

/// Entries in the order they were appended, the oldest dropped past the cap; each numbered, so
/// that a save writes only the new ones.
pub(crate) struct Log<T> {
    entries: VecDeque<T>,
    cap: usize,
    /// The number of the first entry kept.
    first: u64,
    /// The number of the first entry not saved yet.
    #[cfg_attr(not(feature = "simulator-data"), allow(dead_code))]
    saved: u64,
}

impl<T> std::fmt::Debug for Log<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("len", &self.entries.len())
            .field("first", &self.first)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "simulator-data")]
/// A log entry's key: its number in 20 digits, so that keys sort as numbers do.
fn log_key(number: u64) -> String {
    format!("{number:020}")
}

impl<T> Log<T> {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            cap: cap.max(1),
            first: 0,
            saved: 0,
        }
    }

    /// Appends an entry; returns the one dropped past the cap, if any.
    pub(crate) fn push(&mut self, entry: T) -> Option<T> {
        self.entries.push_back(entry);
        if self.entries.len() > self.cap {
            self.first = self.first.saturating_add(1);
            return self.entries.pop_front();
        }
        None
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.entries.iter()
    }

    /// The entry numbered `number`, if it is still kept.
    pub(crate) fn get_mut(&mut self, number: u64) -> Option<&mut T> {
        let index = usize::try_from(number.checked_sub(self.first)?).ok()?;
        self.entries.get_mut(index)
    }

    /// Forgets every entry (the numbering goes on).
    pub(crate) fn clear(&mut self) {
        self.first = self.first.saturating_add(self.entries.len() as u64);
        self.entries.clear();
    }

    /// The number the next entry gets.
    pub(crate) fn end(&self) -> u64 {
        self.first.saturating_add(self.entries.len() as u64)
    }
}

#[cfg(feature = "simulator-data")]
impl<T: Serialize + DeserializeOwned> Log<T> {
    /// Adds the entries appended since the last save (all for a full save), and drops the rows
    /// of the entries dropped since.
    pub(crate) fn save(
        &mut self,
        collection: &'static str,
        changes: &mut Changes,
    ) -> Result<(), String> {
        let from = if changes.full {
            changes.rows.push(Row::Clear { collection });
            self.first
        } else {
            changes.rows.push(Row::DeleteBelow {
                collection,
                key: log_key(self.first),
            });
            self.saved.max(self.first)
        };
        let skip = usize::try_from(from.saturating_sub(self.first)).unwrap_or(usize::MAX);
        for (number, entry) in (from..).zip(self.entries.iter().skip(skip)) {
            changes.rows.push(Row::Put {
                collection,
                key: log_key(number),
                value: write(entry)?,
            });
        }
        self.saved = self.end();
        Ok(())
    }

    /// The entries the file holds, numbered as they were.
    pub(crate) fn load(&mut self, collection: &str, records: &mut Records) -> Result<(), String> {
        let rows = records.remove(collection).unwrap_or_default();
        if let Some((key, _)) = rows.first() {
            self.first = key
                .parse()
                .map_err(|_| format!("{collection}: {key} is not an entry's number"))?;
        }
        for (key, json) in rows {
            self.entries.push_back(read(collection, &key, &json)?);
        }
        while self.entries.len() > self.cap {
            self.entries.pop_front();
            self.first = self.first.saturating_add(1);
        }
        self.saved = self.end();
        Ok(())
    }
}

/// Written as its cap and where its numbering is; its entries are rows of their own.
impl<T> Serialize for Log<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (u64::try_from(self.cap).unwrap_or(u64::MAX), self.first).serialize(serializer)
    }
}

impl<'de, T> Deserialize<'de> for Log<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (cap, first) = <(u64, u64)>::deserialize(deserializer)?;
        let mut log = Self::new(usize::try_from(cap).unwrap_or(usize::MAX));
        (log.first, log.saved) = (first, first);
        Ok(log)
    }
}

/// A map of any key (written as its JSON), knowing which keys changed since the last save.
pub(crate) struct TrackedMap<K, V> {
    map: HashMap<K, V>,
    #[cfg_attr(not(feature = "simulator-data"), allow(dead_code))]
    changed: HashSet<K>,
    /// More changed than the set may hold: the next save writes every entry.
    #[cfg_attr(not(feature = "simulator-data"), allow(dead_code))]
    overflowed: bool,
}

impl<K: Eq + Hash + Clone, V> TrackedMap<K, V> {
    pub(crate) fn new() -> Self {
        Self {
            map: HashMap::new(),
            changed: HashSet::new(),
            overflowed: false,
        }
    }

    /// Marks `key` changed, within bounded memory (the map's size and a margin).
    fn touch(&mut self, key: &K) {
        if self.overflowed {
            return;
        }
        if self.changed.len() >= self.map.len().saturating_add(1024) {
            self.changed.clear();
            self.overflowed = true;
            return;
        }
        self.changed.insert(key.clone());
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }

    /// The value of `key`, made with `default` if missing, to change.
    pub(crate) fn entry(&mut self, key: K, default: impl FnOnce() -> V) -> &mut V {
        self.touch(&key);
        self.map.entry(key).or_insert_with(default)
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let value = self.map.remove(key)?;
        self.touch(key);
        Some(value)
    }

    /// Keeps the entries `keep` holds for.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        let mut gone = Vec::new();
        self.map.retain(|key, value| {
            let kept = keep(key, value);
            if !kept {
                gone.push(key.clone());
            }
            kept
        });
        for key in &gone {
            self.touch(key);
        }
    }
}

#[cfg(feature = "simulator-data")]
impl<K: Eq + Hash + Clone + Serialize + DeserializeOwned, V: Serialize + DeserializeOwned>
    TrackedMap<K, V>
{
    /// Adds what changed (every entry for a full save).
    pub(crate) fn save(
        &mut self,
        collection: &'static str,
        changes: &mut Changes,
    ) -> Result<(), String> {
        let changed = std::mem::take(&mut self.changed);
        let keys: Vec<&K> = if changes.full || std::mem::take(&mut self.overflowed) {
            changes.rows.push(Row::Clear { collection });
            self.map.keys().collect()
        } else {
            changed.iter().collect()
        };
        for key in keys {
            let key_json = write(key)?;
            match self.map.get(key) {
                Some(value) => changes.rows.push(Row::Put {
                    collection,
                    key: key_json,
                    value: write(value)?,
                }),
                None => changes.rows.push(Row::Delete {
                    collection,
                    key: key_json,
                }),
            }
        }
        Ok(())
    }

    /// The entries the file holds.
    pub(crate) fn load(&mut self, collection: &str, records: &mut Records) -> Result<(), String> {
        for (key, json) in records.remove(collection).unwrap_or_default() {
            let parsed = read(collection, &key, &key)?;
            self.map.insert(parsed, read(collection, &key, &json)?);
        }
        Ok(())
    }
}

impl<K, V> Serialize for TrackedMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl<'de, K: Eq + Hash + Clone, V> Deserialize<'de> for TrackedMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <()>::deserialize(deserializer)?;
        Ok(Self::new())
    }
}

#[cfg(all(test, feature = "simulator-data"))]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The `records` table as SQLite keeps it for one merchant: rows in the order they were
    /// inserted (a new row's rowid is above every row's), an update keeping a row's place.
    #[derive(Default)]
    struct Table(Vec<(&'static str, String, String)>);

    impl Table {
        fn apply(&mut self, changes: Changes) {
            for row in changes.rows {
                match row {
                    Row::Put {
                        collection,
                        key,
                        value,
                    } => match self
                        .0
                        .iter_mut()
                        .find(|(c, k, _)| *c == collection && *k == key)
                    {
                        Some(existing) => existing.2 = value,
                        None => self.0.push((collection, key, value)),
                    },
                    Row::Arrived {
                        collection,
                        key,
                        value,
                    } => {
                        self.0.retain(|(c, k, _)| !(*c == collection && *k == key));
                        self.0.push((collection, key, value));
                    }
                    Row::Delete { collection, key } => {
                        self.0.retain(|(c, k, _)| !(*c == collection && *k == key));
                    }
                    Row::DeleteBelow { collection, key } => {
                        self.0.retain(|(c, k, _)| !(*c == collection && *k < key));
                    }
                    Row::Clear { collection } => self.0.retain(|(c, _, _)| *c != collection),
                }
            }
        }

        fn records(&self) -> Records {
            let mut records = Records::new();
            for (collection, key, value) in &self.0 {
                records
                    .entry((*collection).to_owned())
                    .or_default()
                    .push((key.clone(), value.clone()));
            }
            records
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u8, u32),
        Change(u8, u32),
        Remove(u8),
        Append(u32),
        Add(u8, i64),
        Forget(u8),
        Save { full: bool },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..12, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
            (0u8..12, any::<u32>()).prop_map(|(k, v)| Op::Change(k, v)),
            (0u8..12).prop_map(Op::Remove),
            any::<u32>().prop_map(Op::Append),
            (0u8..6, -50i64..50).prop_map(|(k, v)| Op::Add(k, v)),
            (0u8..6).prop_map(Op::Forget),
            any::<bool>().prop_map(|full| Op::Save { full }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, rng_seed: proptest::test_runner::RngSeed::Fixed(25), ..ProptestConfig::default() })]

        /// Whatever happens between saves (entries added, replaced, changed in place, removed,
        /// dropped past the cap, appended, counted, forgotten; the sets of changes overflowing),
        /// what the saved rows load back is what the collections hold, in the same order.
        #[test]
        fn the_rows_saved_load_back_as_the_collections_are(ops in proptest::collection::vec(op(), 1..120)) {
            let mut bounded = Bounded::<u32>::new(5);
            let mut log = Log::<u32>::new(7);
            let mut map = TrackedMap::<(String, u8), i64>::new();
            let mut table = Table::default();
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        bounded.insert(format!("k{k}"), v);
                    }
                    Op::Change(k, v) => {
                        if let Some(value) = bounded.get_mut(&format!("k{k}")) {
                            *value = v;
                        }
                    }
                    Op::Remove(k) => {
                        bounded.remove(&format!("k{k}"));
                    }
                    Op::Append(v) => {
                        log.push(v);
                    }
                    Op::Add(k, v) => *map.entry((format!("a{k}"), k), || 0) += v,
                    Op::Forget(k) => map.retain(|(_, key), _| *key != k),
                    Op::Save { full } => {
                        let mut changes = Changes::new(full);
                        bounded.save("bounded", &mut changes).unwrap();
                        log.save("log", &mut changes).unwrap();
                        map.save("map", &mut changes).unwrap();
                        table.apply(changes);
                        let mut records = table.records();
                        let mut loaded = Bounded::<u32>::new(5);
                        loaded.load("bounded", &mut records).unwrap();
                        prop_assert_eq!(&loaded.arrival, &bounded.arrival);
                        prop_assert_eq!(&loaded.map, &bounded.map);
                        let mut loaded_log: Log<u32> =
                            serde_json::from_str(&serde_json::to_string(&log).unwrap()).unwrap();
                        loaded_log.load("log", &mut records).unwrap();
                        prop_assert_eq!(loaded_log.iter().collect::<Vec<_>>(), log.iter().collect::<Vec<_>>());
                        prop_assert_eq!(loaded_log.first, log.first);
                        let mut loaded_map = TrackedMap::<(String, u8), i64>::new();
                        loaded_map.load("map", &mut records).unwrap();
                        prop_assert_eq!(&loaded_map.map, &map.map);
                    }
                }
            }
        }
    }

    #[test]
    fn the_sets_of_changes_stay_bounded_without_saves_and_the_next_save_writes_everything() {
        let mut bounded = Bounded::<u32>::new(3);
        for n in 0..1000 {
            bounded.insert(format!("k{n}"), n);
        }
        assert!(bounded.changed.len() <= 6 && bounded.overflowed);
        let mut changes = Changes::new(false);
        bounded.save("bounded", &mut changes).unwrap();
        assert!(matches!(changes.rows.first(), Some(Row::Clear { .. })));
        assert_eq!(changes.rows.len(), 1 + 3);
        let mut map = TrackedMap::<String, i64>::new();
        for n in 0..5000 {
            *map.entry(format!("a{}", n % 10), || 0) += 1;
            map.remove(&format!("a{}", n % 10));
        }
        assert!(map.changed.len() <= 10 + 1024);
    }
}
