//! Applying a batch of events: one write transaction, with `applied_through`.

use super::rows::*;
use super::schema::*;
use super::{Flush, Item, Store, StoreError};
use crate::model::{apply_to, EvidenceRec, PersonRec, Records, State, TaskRec, TenureRec, UnitRec};
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use reform_shared::ids::{EvidenceId, PersonId, TaskId, TenureId, UnitId};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

impl Store {
    /// Applies a batch in one write transaction, with `applied_through`. Items at or below the
    /// `applied_through` are ignored, so a redelivered event is never applied twice.
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
        let mut closed = BTreeSet::new();
        {
            let tables = Tables::open(&txn)?;
            let mut batch = Batch { tables: &tables, state: &mut overlay, closed: &mut closed };
            for item in items {
                if item.seq <= batch.state.applied_through {
                    continue;
                }
                match &item.record {
                    Some(record) => {
                        for (seq, earlier) in &item.history {
                            apply_to(&mut batch, earlier, *seq)?;
                        }
                        apply_to(&mut batch, record, item.seq)?;
                    }
                    None => batch.state.applied_through = item.seq,
                }
            }
        }
        write_back(&txn, &overlay, &closed)?;
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

/// A batch's records: those it wrote, and those it read from the tables on first use. A record
/// the batch already holds is never read again, so a later event never reads over an earlier
/// one's change.
struct Batch<'a, 'txn> {
    tables: &'a Tables<'txn>,
    state: &'a mut State,
    /// `(unit, task)` rows of `open_tasks` the batch closed, removed at write-back before the
    /// batch's own rows are written (a task closed and opened again in one batch stays).
    closed: &'a mut BTreeSet<(UnitId, TaskId)>,
}

impl Records for Batch<'_, '_> {
    type Error = StoreError;
    fn state(&mut self) -> &mut State {
        self.state
    }
    fn tenure(&mut self, id: &TenureId) -> Result<Option<&mut TenureRec>, StoreError> {
        first_use(&self.tables.tenures, "tenures", id, &mut self.state.tenures)
    }
    fn task(&mut self, id: &TaskId) -> Result<Option<&mut TaskRec>, StoreError> {
        first_use(&self.tables.tasks, "tasks", id, &mut self.state.tasks)
    }
    fn evidence(&mut self, id: &EvidenceId) -> Result<Option<&mut EvidenceRec>, StoreError> {
        first_use(&self.tables.evidence, "evidence", id, &mut self.state.evidence)
    }
    fn unit(&mut self, id: &UnitId) -> Result<Option<&mut UnitRec>, StoreError> {
        first_use(&self.tables.units, "units", id, &mut self.state.units)
    }
    fn person(&mut self, id: &PersonId) -> Result<Option<&mut PersonRec>, StoreError> {
        first_use(&self.tables.people, "people", id, &mut self.state.people)
    }
    fn at_unit(&mut self, unit: &UnitId) -> Result<(Vec<TaskId>, Vec<TenureId>), StoreError> {
        let (mut tasks, mut tenures) = State::at_unit(self.state, unit).unwrap_or_default();
        let u = unit.as_str();
        for row in self.tables.open_tasks.range((u, "")..)? {
            let (k, _) = row?;
            let (at, task) = k.value();
            if at != u {
                break;
            }
            let task: TaskId = parse_id("open_tasks", task)?;
            if !self.closed.contains(&(unit.clone(), task.clone())) {
                tasks.push(task);
            }
        }
        for row in self.tables.unit_tenures.range((u, "")..)? {
            let (k, _) = row?;
            let (at, tenure) = k.value();
            if at != u {
                break;
            }
            tenures.push(parse_id("unit_tenures", tenure)?);
        }
        tasks.sort();
        tasks.dedup();
        tenures.sort();
        tenures.dedup();
        Ok((tasks, tenures))
    }
    fn close_at(&mut self, unit: &UnitId, task: &TaskId) -> Result<(), StoreError> {
        self.state.open_tasks.remove(&(unit.clone(), task.clone()));
        self.closed.insert((unit.clone(), task.clone()));
        Ok(())
    }
}

/// The batch's record `id`, read from `table` if the batch does not hold it yet.
fn first_use<'m, Id: Ord + Clone + IdStr, T: DeserializeOwned>(
    table: &redb::Table<'_, Str, Bytes>,
    name: &'static str,
    id: &Id,
    map: &'m mut BTreeMap<Id, T>,
) -> Result<Option<&'m mut T>, StoreError> {
    if !map.contains_key(id) {
        load_into(table, name, id, map)?;
    }
    Ok(map.get_mut(id))
}

/// The tables a batch reads records from, opened once per batch.
struct Tables<'txn> {
    units: redb::Table<'txn, Str, Bytes>,
    people: redb::Table<'txn, Str, Bytes>,
    tenures: redb::Table<'txn, Str, Bytes>,
    tasks: redb::Table<'txn, Str, Bytes>,
    evidence: redb::Table<'txn, Str, Bytes>,
    open_tasks: redb::Table<'txn, (Str, Str), ()>,
    unit_tenures: redb::Table<'txn, (Str, Str), ()>,
}

impl<'txn> Tables<'txn> {
    fn open(txn: &'txn WriteTransaction) -> Result<Self, StoreError> {
        Ok(Tables {
            units: txn.open_table(UNITS)?,
            people: txn.open_table(PEOPLE)?,
            open_tasks: txn.open_table(OPEN_TASKS)?,
            unit_tenures: txn.open_table(UNIT_TENURES)?,
            tenures: txn.open_table(TENURES)?,
            tasks: txn.open_table(TASKS)?,
            evidence: txn.open_table(EVIDENCE)?,
        })
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
            .map_err(|source| StoreError::Encode { table: name, source })?;
        table.insert(id.id_str(), buffer.as_slice())?;
    }
    Ok(())
}

/// Writes a batch's records, index entries and `applied_through`.
fn write_back(
    txn: &WriteTransaction,
    s: &State,
    closed: &BTreeSet<(UnitId, TaskId)>,
) -> Result<(), StoreError> {
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
            buffer = postcard::to_extend(change, buffer)
                .map_err(|source| StoreError::Encode { table: "score_changes", source })?;
            score_changes.insert(key, buffer.as_slice())?;
        }
    }
    let mut children = txn.open_table(CHILDREN)?;
    for (a, b) in &s.children {
        children.insert((a.as_str(), b.as_str()), ())?;
    }
    let mut roots = txn.open_table(ROOTS)?;
    for unit in &s.roots {
        roots.insert(unit.as_str(), ())?;
    }
    let mut person_tenures = txn.open_table(PERSON_TENURES)?;
    for (a, b) in &s.person_tenures {
        person_tenures.insert((a.as_str(), b.as_str()), ())?;
    }
    let mut unit_tenures = txn.open_table(UNIT_TENURES)?;
    for (a, b) in &s.unit_tenures {
        unit_tenures.insert((a.as_str(), b.as_str()), ())?;
    }
    let mut successions = txn.open_table(SUCCESSIONS)?;
    for (a, b) in &s.successions {
        successions.insert((a.as_str(), b.as_str()), ())?;
    }
    let mut unit_grants = txn.open_table(UNIT_GRANTS)?;
    for (a, b) in &s.unit_grants {
        unit_grants.insert((a.as_str(), b.as_str()), ())?;
    }
    let mut plan_tasks = txn.open_table(PLAN_TASKS)?;
    for (a, b) in &s.plan_tasks {
        plan_tasks.insert((a.as_str(), b.as_str()), ())?;
    }
    let mut unit_findings = txn.open_table(UNIT_FINDINGS)?;
    for (a, b) in &s.unit_findings {
        unit_findings.insert((a.as_str(), b.as_str()), ())?;
    }
    let mut unit_tasks = txn.open_table(UNIT_TASKS)?;
    for (a, y, b) in &s.unit_tasks {
        unit_tasks.insert((a.as_str(), *y, b.as_str()), ())?;
    }
    let mut open_tasks = txn.open_table(OPEN_TASKS)?;
    for (a, b) in closed {
        open_tasks.remove((a.as_str(), b.as_str()))?;
    }
    for (a, b) in &s.open_tasks {
        open_tasks.insert((a.as_str(), b.as_str()), ())?;
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
