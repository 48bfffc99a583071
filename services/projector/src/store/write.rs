//! Applying a batch of events: one write transaction, with the checkpoint.

use super::rows::*;
use super::schema::*;
use super::{Flush, Item, Store, StoreError};
use crate::model::{apply, State, Touched};
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::Serialize;
use std::collections::HashSet;

impl Store {
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
                        for (seq, earlier) in &item.history {
                            load_touched(&tables, earlier, &mut loaded, &mut overlay)?;
                            apply(&mut overlay, earlier, *seq);
                        }
                        load_touched(&tables, record, &mut loaded, &mut overlay)?;
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
}

/// Loads the records an event touches that the batch has not loaded yet.
fn load_touched(
    tables: &Tables<'_>,
    record: &reform_shared::envelope::Record,
    loaded: &mut HashSet<Touched>,
    overlay: &mut State,
) -> Result<(), StoreError> {
    let event = &record.envelope.event;
    // A record the event replaces whole is not read first; it still counts as loaded, so a
    // later event of the batch never reads over it.
    let replaces = crate::model::replaces(event);
    for key in crate::model::touched(event) {
        // Score changes are append-only rows: nothing to read (see load).
        if matches!(key, Touched::Score(_)) {
            continue;
        }
        if !loaded.contains(&key) {
            if !replaces {
                tables.load(&key, overlay)?;
            }
            loaded.insert(key);
        }
    }
    Ok(())
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
