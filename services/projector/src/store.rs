//! The views' storage: one redb file.
//!
//! Every record of [`State`] is a row of its own table, keyed by the record's id (redb's native
//! string, integer and tuple keys, so prefix ranges are real ranges) and holding the record in
//! postcard. A batch of events is applied in one write transaction: the records the batch
//! touches are loaded into an in-memory [`State`], the batch is applied there by the pure
//! [`apply`], and the records, the index entries and the checkpoint (`meta.applied_through`)
//! are written back before the one commit. So a crash leaves either all of a batch or none of
//! it, and the checkpoint always names exactly what the views hold.
//!
//! Memory is bounded by the batch and redb's cache ([`REDB_CACHE_BYTES_MAX`]), not by the log.
//! Queries read a consistent snapshot (a read transaction) while batches are being written.

use crate::model::{apply, ScoreRec, State, Touched};
use crate::views::unit_and_divisions;
use redb::{
    Database, Key, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition, TableHandle, WriteTransaction,
};
use reform_shared::envelope::Record;
use reform_shared::event::{Stage, UnitKind};
use reform_shared::ids::{EvidenceId, FindingId, PersonId, PlanId, TaskId, TenureId, UnitId};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::Digest as _;
use std::collections::{BTreeSet, HashSet};
use std::path::Path;

/// redb's page cache. Its default (1 GiB) would let memory grow with the views; this bound
/// keeps the projector's memory flat however long the log.
pub const REDB_CACHE_BYTES_MAX: usize = 16 * 1024 * 1024;

type Bytes = &'static [u8];
type Str = &'static str;

const META: TableDefinition<Str, u64> = TableDefinition::new("meta");
/// Which log the views came from (`LogIdentity` text under [`LOG_IDENTITY_KEY`]): views of one
/// log are never followed on with another.
const LOG: TableDefinition<Str, Str> = TableDefinition::new("log");
const LOG_IDENTITY_KEY: &str = "identity";
/// Sequences an operator chose to skip, with the reason they gave (see the README).
const SKIPPED: TableDefinition<u64, Str> = TableDefinition::new("skipped");
const UNITS: TableDefinition<Str, Bytes> = TableDefinition::new("units");
const PEOPLE: TableDefinition<Str, Bytes> = TableDefinition::new("people");
const TENURES: TableDefinition<Str, Bytes> = TableDefinition::new("tenures");
const PLANS: TableDefinition<Str, Bytes> = TableDefinition::new("plans");
const TASKS: TableDefinition<Str, Bytes> = TableDefinition::new("tasks");
const FINDINGS: TableDefinition<Str, Bytes> = TableDefinition::new("findings");
const EVIDENCE: TableDefinition<Str, Bytes> = TableDefinition::new("evidence");
/// `(year, unit kind index)`.
const FRAMEWORKS: TableDefinition<(u16, u8), Bytes> = TableDefinition::new("frameworks");
/// `(unit, year, criterion, stage index, stream sequence)` → one score change
/// (`Dated<ScoreChange>`). Append-only: a change is a row of its own, so recording one neither
/// reads nor re-encodes the key's history (which grows with every correction).
const SCORE_CHANGES: TableDefinition<(Str, u16, Str, u8, u64), Bytes> =
    TableDefinition::new("score_changes");
const CHILDREN: TableDefinition<(Str, Str), ()> = TableDefinition::new("children");
const PERSON_TENURES: TableDefinition<(Str, Str), ()> = TableDefinition::new("person_tenures");
const UNIT_TASKS: TableDefinition<(Str, u16, Str), ()> = TableDefinition::new("unit_tasks");
const UNIT_FINDINGS: TableDefinition<(Str, Str), ()> = TableDefinition::new("unit_findings");
const UNIT_EVIDENCE: TableDefinition<(Str, u16, Str), ()> = TableDefinition::new("unit_evidence");

/// The storage layout this build reads and writes, kept in `meta` under [`LAYOUT_KEY`].
/// 1 (no key): one `scores` row per score key holding its whole history. 2: one
/// `score_changes` row per change. A file of another layout is refused, telling the operator to
/// run `rebuild`: the views are a cache of the stream, so re-projecting them is always safe,
/// and doing it on purpose beats a start-up that silently spends minutes rebuilding.
pub const LAYOUT_VERSION: u64 = 2;
const LAYOUT_KEY: &str = "layout_version";
/// Tables of earlier layouts that `drop_views` removes.
const LEGACY_TABLES: [&str; 1] = ["scores"];

const APPLIED_THROUGH: &str = "applied_through";
const EVENTS_APPLIED: &str = "events_applied";

/// What can go wrong with the views file. All are infrastructure: stop, alert an operator.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("views database: {0}")]
    Redb(#[from] redb::Error),
    #[error("views database {path}: {source}")]
    Open { path: String, source: redb::DatabaseError },
    #[error("record {key} in table {table} is unreadable ({detail}); rebuild the views")]
    Corrupt { table: &'static str, key: String, detail: String },
    #[error("could not encode a record for table {table}: {detail}")]
    Encode { table: &'static str, detail: String },
    #[error(
        "views file {path} has storage layout {found}, this build uses layout {expected}; run \
         `reform-projector --db {path} rebuild` to project the views again from the stream \
         (stop the projector first)"
    )]
    Layout { path: String, found: u64, expected: u64 },
    #[error(
        "only the next event can be skipped: the views are at sequence {applied_through}, so \
         that is {next}, not {asked}"
    )]
    SkipNotNext { applied_through: u64, next: u64, asked: u64 },
}

macro_rules! redb_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Redb(e.into())
            }
        }
    )*};
}
redb_errors!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

/// One event of a batch: its stream sequence and the decoded record, or `None` for a sequence
/// an operator skipped.
#[derive(Debug, Clone)]
pub struct Item {
    pub seq: u64,
    pub record: Option<Record>,
}

/// Whether a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// fsync before the commit returns.
    Durable,
    /// Atomic, visible, but synced only by a later durable commit (see `consume::apply_loop`).
    Deferred,
}

/// The canonical summary of the views: the checkpoint and a SHA-256 over every table in a
/// fixed order, every row in key order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dump {
    pub applied_through: u64,
    pub events_applied: u64,
    pub rows: u64,
    pub sha256: String,
}

/// The views file.
#[derive(Debug)]
pub struct Store {
    db: Database,
}

fn kind_index(kind: UnitKind) -> u8 {
    UnitKind::ALL.iter().position(|k| *k == kind).and_then(|i| u8::try_from(i).ok()).unwrap_or(0)
}

fn stage_index(stage: Stage) -> u8 {
    Stage::ALL.iter().position(|s| *s == stage).and_then(|i| u8::try_from(i).ok()).unwrap_or(0)
}

fn stage_of(index: u8) -> Option<Stage> {
    Stage::ALL.get(usize::from(index)).copied()
}

fn encode<T: Serialize>(table: &'static str, value: &T) -> Result<Vec<u8>, StoreError> {
    postcard::to_stdvec(value).map_err(|e| StoreError::Encode { table, detail: e.to_string() })
}

fn decode<T: DeserializeOwned>(
    table: &'static str,
    key: &str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt {
        table,
        key: key.to_owned(),
        detail: e.to_string(),
    })
}

/// Reads a postcard record by string key.
fn get_rec<T: DeserializeOwned>(
    table: &impl ReadableTable<Str, Bytes>,
    name: &'static str,
    key: &str,
) -> Result<Option<T>, StoreError> {
    match table.get(key)? {
        Some(guard) => Ok(Some(decode(name, key, guard.value())?)),
        None => Ok(None),
    }
}

impl Store {
    /// Opens (or creates) the views file. Fails if another process has it open.
    ///
    /// A new file gets [`LAYOUT_VERSION`]; a file of another layout is refused with
    /// [`StoreError::Layout`], which names the `rebuild` that fixes it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let store = Store::open_any_layout(path)?;
        let txn = store.db.begin_write()?;
        let fresh = txn.list_tables()?.next().is_none();
        let found = txn.open_table(META)?.get(LAYOUT_KEY)?.map(|g| g.value());
        match found {
            Some(LAYOUT_VERSION) => {}
            None if fresh => {}
            other => {
                // Dropped without a commit: the file is left exactly as it was.
                return Err(StoreError::Layout {
                    path: path.display().to_string(),
                    found: other.unwrap_or(1),
                    expected: LAYOUT_VERSION,
                });
            }
        }
        create_tables(&txn)?;
        txn.commit()?;
        Ok(store)
    }

    /// Opens the file whatever its layout, for `rebuild` (whose `drop_views` writes the
    /// current layout) and nothing else.
    pub fn open_any_layout(path: &Path) -> Result<Store, StoreError> {
        let db = Database::builder()
            .set_cache_size(REDB_CACHE_BYTES_MAX)
            .create(path)
            .map_err(|source| StoreError::Open { path: path.display().to_string(), source })?;
        Ok(Store { db })
    }

    /// The last stream sequence the views hold (0 for none).
    pub fn applied_through(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        Ok(meta.get(APPLIED_THROUGH)?.map_or(0, |g| g.value()))
    }

    /// The identity (text) of the log these views came from; `None` for a fresh file or one
    /// written before identities were recorded.
    pub fn log_identity(&self) -> Result<Option<String>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(LOG)?;
        Ok(table.get(LOG_IDENTITY_KEY)?.map(|g| g.value().to_owned()))
    }

    /// Records which log the views come from.
    pub fn set_log_identity(&self, identity: &str) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        txn.open_table(LOG)?.insert(LOG_IDENTITY_KEY, identity)?;
        txn.commit()?;
        Ok(())
    }

    /// Sequences an operator skipped, with their reasons.
    pub fn skipped(&self) -> Result<Vec<(u64, String)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(SKIPPED)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            out.push((k.value(), v.value().to_owned()));
        }
        Ok(out)
    }

    /// Records that the event at `seq` is skipped, and moves the checkpoint past it. Only the
    /// next event can be skipped: the one that stopped the projector.
    pub fn skip(&self, seq: u64, reason: &str) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            let applied_through = meta.get(APPLIED_THROUGH)?.map_or(0, |g| g.value());
            if seq != applied_through + 1 {
                return Err(StoreError::SkipNotNext {
                    applied_through,
                    next: applied_through + 1,
                    asked: seq,
                });
            }
            meta.insert(APPLIED_THROUGH, seq)?;
            txn.open_table(SKIPPED)?.insert(seq, reason)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Drops every view and the checkpoint (operator skips are kept: they are decisions about
    /// the log, and a rebuild must make them again to equal the live views).
    pub fn drop_views(&self) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        for name in VIEW_TABLES.into_iter().chain(LEGACY_TABLES) {
            txn.delete_table(TableDefinition::<(), ()>::new(name))?;
        }
        create_tables(&txn)?;
        txn.commit()?;
        Ok(())
    }

    /// Applies a batch in one write transaction, with the checkpoint. Items at or below the
    /// checkpoint are ignored, so a redelivered event is never applied twice.
    pub fn apply_batch(&self, items: &[Item], flush: Flush) -> Result<u64, StoreError> {
        self.apply_batch_then(items, || flush).map(|(seq, _)| seq)
    }

    /// [`Store::apply_batch`], asking `flush` whether to sync only when the batch is applied
    /// and about to commit: the later the question, the likelier the next batch has arrived by
    /// then, so a pipeline under load does not pay an fsync per batch. Returns the batch's
    /// in-memory records too, so the caller decides which thread spends the time freeing them.
    pub fn apply_batch_then(
        &self,
        items: &[Item],
        flush: impl FnOnce() -> Flush,
    ) -> Result<(u64, State), StoreError> {
        let mut txn = self.db.begin_write()?;
        let applied_through = {
            let meta = txn.open_table(META)?;
            let value = meta.get(APPLIED_THROUGH)?.map_or(0, |g| g.value());
            value
        };
        let mut overlay = State { applied_through, ..State::default() };
        // Membership only, never iterated: a hash set costs one hash per key where a B-tree
        // of thousands of string-keyed entries costs a dozen comparisons.
        let mut loaded: HashSet<Touched> = HashSet::new();
        {
            let tables = Tables::open(&txn)?;
            for item in items {
                if item.seq <= overlay.applied_through {
                    continue;
                }
                match &item.record {
                    Some(record) => {
                        let event = &record.envelope.event;
                        // A record the event replaces whole is not read first; it still counts
                        // as loaded, so a later event of the batch never reads over it.
                        let replaces = crate::model::replaces(event);
                        for key in crate::model::touched(event) {
                            // Score changes are append-only rows: nothing to read (see load).
                            if matches!(key, Touched::Score(_)) {
                                continue;
                            }
                            if !loaded.contains(&key) {
                                if !replaces {
                                    tables.load(&key, &mut overlay)?;
                                }
                                loaded.insert(key);
                            }
                        }
                        apply(&mut overlay, record, item.seq);
                    }
                    None => overlay.applied_through = item.seq,
                }
            }
        }
        write_back(&txn, &overlay)?;
        if flush() == Flush::Deferred {
            txn.set_durability(redb::Durability::None)?;
        }
        txn.commit()?;
        Ok((overlay.applied_through, overlay))
    }

    /// Makes every earlier commit durable.
    pub fn sync(&self) -> Result<(), StoreError> {
        self.db.begin_write()?.commit()?;
        Ok(())
    }

    /// The canonical dump: equal for equal views, whatever order they were written in.
    pub fn dump(&self) -> Result<Dump, StoreError> {
        let txn = self.db.begin_read()?;
        let mut hasher = sha2::Sha256::new();
        let mut rows = 0u64;
        let meta = txn.open_table(META)?;
        let applied_through = meta.get(APPLIED_THROUGH)?.map_or(0, |g| g.value());
        let events_applied = meta.get(EVENTS_APPLIED)?.map_or(0, |g| g.value());
        rows +=
            hash_table(&txn, META, &mut hasher, |k, v| (k.to_owned(), v.to_le_bytes().to_vec()))?;
        rows += hash_table(&txn, SKIPPED, &mut hasher, |k, v| (k, v.as_bytes().to_vec()))?;
        for def in [UNITS, PEOPLE, TENURES, PLANS, TASKS, FINDINGS, EVIDENCE] {
            rows += hash_table(&txn, def, &mut hasher, |k, v| (k.to_owned(), v.to_vec()))?;
        }
        rows += hash_table(&txn, FRAMEWORKS, &mut hasher, |k, v| (k, v.to_vec()))?;
        rows += hash_table(&txn, SCORE_CHANGES, &mut hasher, |(u, y, c, s, q), v| {
            ((u.to_owned(), y, c.to_owned(), s, q), v.to_vec())
        })?;
        for def in [CHILDREN, PERSON_TENURES, UNIT_FINDINGS] {
            rows += hash_table(&txn, def, &mut hasher, |(a, b), ()| {
                ((a.to_owned(), b.to_owned()), Vec::new())
            })?;
        }
        for def in [UNIT_TASKS, UNIT_EVIDENCE] {
            rows += hash_table(&txn, def, &mut hasher, |(a, y, b), ()| {
                ((a.to_owned(), y, b.to_owned()), Vec::new())
            })?;
        }
        Ok(Dump { applied_through, events_applied, rows, sha256: hex::encode(hasher.finalize()) })
    }

    /// What a unit-progress query needs: the unit and its sub-units (any depth) with their
    /// tasks and evidence of the year, the unit's scores of the year, and the framework.
    pub fn load_unit(&self, unit: &UnitId, year: u16) -> Result<State, StoreError> {
        let txn = self.db.begin_read()?;
        let r = Reader::open(&txn)?;
        let mut state = State::default();
        let Some(rec) = r.unit(unit, &mut state)? else { return Ok(state) };
        r.unit_year(unit, year, &mut state)?;
        r.scores(unit, Some(year), &mut state)?;
        for sub in r.descendants(unit, &mut state)? {
            r.unit_year(&sub, year, &mut state)?;
        }
        r.framework(year, rec.kind, &mut state)?;
        Ok(state)
    }

    /// What a ranking needs: the parent's children and, for those of `kind`, their scores of
    /// this year and the year before, and the framework.
    pub fn load_ranking(
        &self,
        parent: &UnitId,
        kind: UnitKind,
        year: u16,
    ) -> Result<State, StoreError> {
        let txn = self.db.begin_read()?;
        let r = Reader::open(&txn)?;
        let mut state = State::default();
        if r.unit(parent, &mut state)?.is_none() {
            return Ok(state);
        }
        for child in r.children(parent, &mut state)? {
            let Some(rec) = r.unit(&child, &mut state)? else { continue };
            if rec.kind == kind {
                for y in [year, year.saturating_sub(1)] {
                    r.scores(&child, Some(y), &mut state)?;
                }
            }
        }
        r.framework(year, kind, &mut state)?;
        Ok(state)
    }

    /// What a timeline needs: the person, their tenures, and for each tenure's unit and its
    /// divisions every task, finding and score.
    pub fn load_timeline(&self, person: &PersonId) -> Result<State, StoreError> {
        let txn = self.db.begin_read()?;
        let r = Reader::open(&txn)?;
        let mut state = State::default();
        if let Some(rec) = get_rec(&r.people, "people", person.as_str())? {
            state.people.insert(person.clone(), rec);
        } else {
            return Ok(state);
        }
        let tenures = r.person_tenures(person, &mut state)?;
        let units: BTreeSet<UnitId> = tenures.iter().map(|t| t.unit.clone()).collect();
        for unit in &units {
            r.unit_tree(unit, &mut state)?;
            for member in unit_and_divisions(&state, unit) {
                r.unit_history(&member, &mut state)?;
            }
        }
        Ok(state)
    }
}

/// Every table but `skipped`, in dump order; `drop_views` deletes these.
const VIEW_TABLES: [&str; 15] = [
    "meta",
    "units",
    "people",
    "tenures",
    "plans",
    "tasks",
    "findings",
    "evidence",
    "frameworks",
    "score_changes",
    "children",
    "person_tenures",
    "unit_tasks",
    "unit_findings",
    "unit_evidence",
];

fn create_tables(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(META)?.insert(LAYOUT_KEY, LAYOUT_VERSION)?;
    txn.open_table(SKIPPED)?;
    txn.open_table(LOG)?;
    Tables::open(txn)?;
    Ok(())
}

/// Hashes one table: its name, then each row as length-prefixed postcard key and value bytes.
fn hash_table<K: Key + 'static, V: redb::Value + 'static, KO: Serialize>(
    txn: &ReadTransaction,
    def: TableDefinition<K, V>,
    hasher: &mut sha2::Sha256,
    row: impl Fn(K::SelfType<'_>, V::SelfType<'_>) -> (KO, Vec<u8>),
) -> Result<u64, StoreError> {
    let table = txn.open_table(def)?;
    hasher.update(def.name().as_bytes());
    hasher.update(table.len()?.to_le_bytes());
    let mut count = 0u64;
    for entry in table.iter()? {
        let (k, v) = entry?;
        let (key, value) = row(k.value(), v.value());
        let key = encode("dump", &key)?;
        for part in [&key, &value] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        count += 1;
    }
    Ok(count)
}

/// The write transaction's view tables, opened once per batch.
struct Tables<'txn> {
    units: redb::Table<'txn, Str, Bytes>,
    people: redb::Table<'txn, Str, Bytes>,
    tenures: redb::Table<'txn, Str, Bytes>,
    plans: redb::Table<'txn, Str, Bytes>,
    tasks: redb::Table<'txn, Str, Bytes>,
    findings: redb::Table<'txn, Str, Bytes>,
    evidence: redb::Table<'txn, Str, Bytes>,
    frameworks: redb::Table<'txn, (u16, u8), Bytes>,
}

impl<'txn> Tables<'txn> {
    fn open(txn: &'txn WriteTransaction) -> Result<Self, StoreError> {
        for def in [CHILDREN, PERSON_TENURES, UNIT_FINDINGS] {
            txn.open_table(def)?;
        }
        for def in [UNIT_TASKS, UNIT_EVIDENCE] {
            txn.open_table(def)?;
        }
        txn.open_table(SCORE_CHANGES)?;
        Ok(Tables {
            units: txn.open_table(UNITS)?,
            people: txn.open_table(PEOPLE)?,
            tenures: txn.open_table(TENURES)?,
            plans: txn.open_table(PLANS)?,
            tasks: txn.open_table(TASKS)?,
            findings: txn.open_table(FINDINGS)?,
            evidence: txn.open_table(EVIDENCE)?,
            frameworks: txn.open_table(FRAMEWORKS)?,
        })
    }

    /// Loads one touched record, if stored, into the batch's state.
    fn load(&self, key: &Touched, state: &mut State) -> Result<(), StoreError> {
        match key {
            Touched::Unit(id) => load_into(&self.units, "units", id, &mut state.units),
            Touched::Person(id) => load_into(&self.people, "people", id, &mut state.people),
            Touched::Tenure(id) => load_into(&self.tenures, "tenures", id, &mut state.tenures),
            Touched::Plan(id) => load_into(&self.plans, "plans", id, &mut state.plans),
            Touched::Task(id) => load_into(&self.tasks, "tasks", id, &mut state.tasks),
            Touched::Finding(id) => load_into(&self.findings, "findings", id, &mut state.findings),
            Touched::Evidence(id) => load_into(&self.evidence, "evidence", id, &mut state.evidence),
            Touched::Framework(year, kind) => {
                if let Some(g) = self.frameworks.get((*year, kind_index(*kind)))? {
                    let rec = decode("frameworks", &format!("{year}"), g.value())?;
                    state.frameworks.insert((*year, *kind), rec);
                }
                Ok(())
            }
            // Score changes are append-only rows: `apply` only pushes onto the batch's (empty)
            // record, and `write_back` appends what it pushed, so nothing is read.
            Touched::Score(_) => Ok(()),
        }
    }
}

/// The ids used as string keys.
trait IdStr {
    fn id_str(&self) -> &str;
}

macro_rules! id_str {
    ($($t:ty),*) => {$(
        impl IdStr for $t {
            fn id_str(&self) -> &str {
                self.as_str()
            }
        }
    )*};
}
id_str!(UnitId, PersonId, TenureId, PlanId, TaskId, FindingId, EvidenceId);

fn load_into<Id: Ord + Clone + IdStr, T: DeserializeOwned>(
    table: &impl ReadableTable<Str, Bytes>,
    name: &'static str,
    id: &Id,
    map: &mut std::collections::BTreeMap<Id, T>,
) -> Result<(), StoreError> {
    let key = id.id_str();
    if let Some(rec) = get_rec(table, name, key)? {
        map.insert(id.clone(), rec);
    }
    Ok(())
}

fn put_all<Id: IdStr, T: Serialize>(
    txn: &WriteTransaction,
    def: TableDefinition<Str, Bytes>,
    name: &'static str,
    map: &std::collections::BTreeMap<Id, T>,
) -> Result<(), StoreError> {
    let mut table = txn.open_table(def)?;
    let mut buffer = Vec::new();
    for (id, rec) in map {
        buffer.clear();
        buffer = postcard::to_extend(rec, buffer)
            .map_err(|e| StoreError::Encode { table: name, detail: e.to_string() })?;
        table.insert(id.id_str(), buffer.as_slice())?;
    }
    Ok(())
}

/// Writes a batch's records, index entries and checkpoint.
fn write_back(txn: &WriteTransaction, s: &State) -> Result<(), StoreError> {
    put_all(txn, UNITS, "units", &s.units)?;
    put_all(txn, PEOPLE, "people", &s.people)?;
    put_all(txn, TENURES, "tenures", &s.tenures)?;
    put_all(txn, PLANS, "plans", &s.plans)?;
    put_all(txn, TASKS, "tasks", &s.tasks)?;
    put_all(txn, FINDINGS, "findings", &s.findings)?;
    put_all(txn, EVIDENCE, "evidence", &s.evidence)?;
    let mut frameworks = txn.open_table(FRAMEWORKS)?;
    for ((year, kind), rec) in &s.frameworks {
        frameworks.insert((*year, kind_index(*kind)), encode("frameworks", rec)?.as_slice())?;
    }
    let mut score_changes = txn.open_table(SCORE_CHANGES)?;
    let mut buffer = Vec::new();
    for ((unit, year, code, stage), rec) in &s.scores {
        for change in &rec.changes {
            let key = (unit.as_str(), *year, code.as_str(), stage_index(*stage), change.seq);
            buffer.clear();
            buffer = postcard::to_extend(change, buffer).map_err(|e| StoreError::Encode {
                table: "score_changes",
                detail: e.to_string(),
            })?;
            score_changes.insert(key, buffer.as_slice())?;
        }
    }
    let mut children = txn.open_table(CHILDREN)?;
    for (a, b) in &s.children {
        children.insert((a.as_str(), b.as_str()), ())?;
    }
    let mut person_tenures = txn.open_table(PERSON_TENURES)?;
    for (a, b) in &s.person_tenures {
        person_tenures.insert((a.as_str(), b.as_str()), ())?;
    }
    let mut unit_findings = txn.open_table(UNIT_FINDINGS)?;
    for (a, b) in &s.unit_findings {
        unit_findings.insert((a.as_str(), b.as_str()), ())?;
    }
    let mut unit_tasks = txn.open_table(UNIT_TASKS)?;
    for (a, y, b) in &s.unit_tasks {
        unit_tasks.insert((a.as_str(), *y, b.as_str()), ())?;
    }
    let mut unit_evidence = txn.open_table(UNIT_EVIDENCE)?;
    for (a, y, b) in &s.unit_evidence {
        unit_evidence.insert((a.as_str(), *y, b.as_str()), ())?;
    }
    let mut meta = txn.open_table(META)?;
    let before = meta.get(EVENTS_APPLIED)?.map_or(0, |g| g.value());
    meta.insert(EVENTS_APPLIED, before + s.events_applied)?;
    meta.insert(APPLIED_THROUGH, s.applied_through)?;
    Ok(())
}

/// A read snapshot's tables, for loading the slice a query needs.
struct Reader {
    units: redb::ReadOnlyTable<Str, Bytes>,
    people: redb::ReadOnlyTable<Str, Bytes>,
    tenures: redb::ReadOnlyTable<Str, Bytes>,
    tasks: redb::ReadOnlyTable<Str, Bytes>,
    findings: redb::ReadOnlyTable<Str, Bytes>,
    evidence: redb::ReadOnlyTable<Str, Bytes>,
    frameworks: redb::ReadOnlyTable<(u16, u8), Bytes>,
    score_changes: redb::ReadOnlyTable<(Str, u16, Str, u8, u64), Bytes>,
    children: redb::ReadOnlyTable<(Str, Str), ()>,
    person_tenures: redb::ReadOnlyTable<(Str, Str), ()>,
    unit_tasks: redb::ReadOnlyTable<(Str, u16, Str), ()>,
    unit_findings: redb::ReadOnlyTable<(Str, Str), ()>,
    unit_evidence: redb::ReadOnlyTable<(Str, u16, Str), ()>,
}

fn parse_id<T: std::str::FromStr>(table: &'static str, text: &str) -> Result<T, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt {
        table,
        key: text.to_owned(),
        detail: "not a valid id".into(),
    })
}

impl Reader {
    fn open(txn: &ReadTransaction) -> Result<Self, StoreError> {
        Ok(Reader {
            units: txn.open_table(UNITS)?,
            people: txn.open_table(PEOPLE)?,
            tenures: txn.open_table(TENURES)?,
            tasks: txn.open_table(TASKS)?,
            findings: txn.open_table(FINDINGS)?,
            evidence: txn.open_table(EVIDENCE)?,
            frameworks: txn.open_table(FRAMEWORKS)?,
            score_changes: txn.open_table(SCORE_CHANGES)?,
            children: txn.open_table(CHILDREN)?,
            person_tenures: txn.open_table(PERSON_TENURES)?,
            unit_tasks: txn.open_table(UNIT_TASKS)?,
            unit_findings: txn.open_table(UNIT_FINDINGS)?,
            unit_evidence: txn.open_table(UNIT_EVIDENCE)?,
        })
    }

    fn unit(
        &self,
        unit: &UnitId,
        state: &mut State,
    ) -> Result<Option<crate::model::UnitRec>, StoreError> {
        let rec: Option<crate::model::UnitRec> = get_rec(&self.units, "units", unit.as_str())?;
        if let Some(rec) = &rec {
            state.units.insert(unit.clone(), rec.clone());
        }
        Ok(rec)
    }

    fn children(&self, parent: &UnitId, state: &mut State) -> Result<Vec<UnitId>, StoreError> {
        let mut out = Vec::new();
        for row in self.children.range((parent.as_str(), "")..)? {
            let (k, _) = row?;
            let (p, c) = k.value();
            if p != parent.as_str() {
                break;
            }
            let child: UnitId = parse_id("children", c)?;
            state.children.insert((parent.clone(), child.clone()));
            out.push(child);
        }
        Ok(out)
    }

    /// The unit and everything below it that is a division, with their records.
    fn unit_tree(&self, unit: &UnitId, state: &mut State) -> Result<(), StoreError> {
        let mut frontier = vec![unit.clone()];
        self.unit(unit, state)?;
        for _ in 0..crate::views::SUB_UNIT_DEPTH_MAX {
            let mut next = Vec::new();
            for parent in &frontier {
                for child in self.children(parent, state)? {
                    let is_division =
                        self.unit(&child, state)?.is_some_and(|u| u.kind == UnitKind::Division);
                    if is_division {
                        next.push(child);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        Ok(())
    }

    fn framework(&self, year: u16, kind: UnitKind, state: &mut State) -> Result<(), StoreError> {
        if let Some(g) = self.frameworks.get((year, kind_index(kind)))? {
            state.frameworks.insert((year, kind), decode("frameworks", "framework", g.value())?);
        }
        Ok(())
    }

    /// A unit's score records: one year's, or every year's.
    fn scores(
        &self,
        unit: &UnitId,
        year: Option<u16>,
        state: &mut State,
    ) -> Result<(), StoreError> {
        let start = (unit.as_str(), year.unwrap_or(0), "", 0u8, 0u64);
        // Rows come in key order, so a key's changes come in stream order, as `ScoreRec` keeps
        // them. Gathered apart and then put whole, so loading a unit twice (a timeline's unit
        // that is also another's division) does not list its changes twice.
        let mut loaded: std::collections::BTreeMap<crate::model::ScoreKey, ScoreRec> =
            std::collections::BTreeMap::new();
        for row in self.score_changes.range(start..)? {
            let (k, v) = row?;
            let (u, y, code, stage, _) = k.value();
            if u != unit.as_str() || year.is_some_and(|year| y != year) {
                break;
            }
            let Some(stage) = stage_of(stage) else { continue };
            let key = (unit.clone(), y, parse_id("score_changes", code)?, stage);
            let change = decode("score_changes", u, v.value())?;
            loaded.entry(key).or_default().changes.push(change);
        }
        state.scores.extend(loaded);
        Ok(())
    }

    /// Every unit below `unit`, any kind and depth, with their records and the `children`
    /// rows that lead to them (what `views::descendants` walks).
    fn descendants(&self, unit: &UnitId, state: &mut State) -> Result<Vec<UnitId>, StoreError> {
        let mut out: BTreeSet<UnitId> = BTreeSet::new();
        let mut frontier = vec![unit.clone()];
        for _ in 0..crate::views::SUB_UNIT_DEPTH_MAX {
            let mut next = Vec::new();
            for parent in &frontier {
                for child in self.children(parent, state)? {
                    if &child != unit && out.insert(child.clone()) {
                        self.unit(&child, state)?;
                        next.push(child);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        Ok(out.into_iter().collect())
    }

    /// A unit's tasks and evidence of one year.
    fn unit_year(&self, unit: &UnitId, year: u16, state: &mut State) -> Result<(), StoreError> {
        for row in self.unit_tasks.range((unit.as_str(), year, "")..)? {
            let (k, _) = row?;
            let (u, y, task) = k.value();
            if u != unit.as_str() || y != year {
                break;
            }
            let id = parse_id("unit_tasks", task)?;
            state.unit_tasks.insert((unit.clone(), y, id));
            load_into(
                &self.tasks,
                "tasks",
                &parse_id::<reform_shared::ids::TaskId>("tasks", task)?,
                &mut state.tasks,
            )?;
        }
        for row in self.unit_evidence.range((unit.as_str(), year, "")..)? {
            let (k, _) = row?;
            let (u, y, evidence) = k.value();
            if u != unit.as_str() || y != year {
                break;
            }
            let id: reform_shared::ids::EvidenceId = parse_id("unit_evidence", evidence)?;
            state.unit_evidence.insert((unit.clone(), y, id.clone()));
            load_into(&self.evidence, "evidence", &id, &mut state.evidence)?;
        }
        Ok(())
    }

    /// Everything dated that happened to a unit: all its tasks, findings and scores.
    fn unit_history(&self, unit: &UnitId, state: &mut State) -> Result<(), StoreError> {
        for row in self.unit_tasks.range((unit.as_str(), 0u16, "")..)? {
            let (k, _) = row?;
            let (u, y, task) = k.value();
            if u != unit.as_str() {
                break;
            }
            let id: reform_shared::ids::TaskId = parse_id("unit_tasks", task)?;
            state.unit_tasks.insert((unit.clone(), y, id.clone()));
            load_into(&self.tasks, "tasks", &id, &mut state.tasks)?;
        }
        for row in self.unit_findings.range((unit.as_str(), "")..)? {
            let (k, _) = row?;
            let (u, finding) = k.value();
            if u != unit.as_str() {
                break;
            }
            let id: reform_shared::ids::FindingId = parse_id("unit_findings", finding)?;
            state.unit_findings.insert((unit.clone(), id.clone()));
            load_into(&self.findings, "findings", &id, &mut state.findings)?;
        }
        self.scores(unit, None, state)
    }

    fn person_tenures(
        &self,
        person: &PersonId,
        state: &mut State,
    ) -> Result<Vec<crate::model::TenureRec>, StoreError> {
        let mut out = Vec::new();
        for row in self.person_tenures.range((person.as_str(), "")..)? {
            let (k, _) = row?;
            let (p, tenure) = k.value();
            if p != person.as_str() {
                break;
            }
            let id: reform_shared::ids::TenureId = parse_id("person_tenures", tenure)?;
            state.person_tenures.insert((person.clone(), id.clone()));
            if let Some(rec) = get_rec::<crate::model::TenureRec>(&self.tenures, "tenures", tenure)?
            {
                out.push(rec.clone());
                state.tenures.insert(id, rec);
            }
        }
        Ok(out)
    }
}
