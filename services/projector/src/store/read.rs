//! Loading the slice of the state a query needs, from one read snapshot.

use super::rows::*;
use super::schema::*;
use super::{Store, StoreError};
use crate::model::{ScoreRec, State};
use crate::tree::{self, Below};
use redb::{ReadTransaction, ReadableDatabase, ReadableTable as _};
use reform_shared::event::UnitKind;
use reform_shared::ids::{PersonId, PlanId, TaskId, UnitId};
use std::collections::BTreeSet;

impl Store {
    /// What a unit-progress query needs: the unit and its sub-units (any depth) with their
    /// tasks and evidence of the year, the unit's scores of the year, and the framework.
    pub fn load_unit(&self, unit: &UnitId, year: u16) -> Result<State, StoreError> {
        self.load_unit_years(unit, &[year])
    }

    /// [`Store::load_unit`] for several years at once (a digest looks at last year's tasks
    /// still due as well as this year's).
    pub fn load_unit_years(&self, unit: &UnitId, years: &[u16]) -> Result<State, StoreError> {
        let txn = self.db.begin_read()?;
        let r = Reader::open(&txn)?;
        let mut state = State::default();
        let Some(rec) = r.unit(unit, &mut state)? else { return Ok(state) };
        let subs = r.descendants(unit, &mut state)?;
        for &year in years {
            r.unit_year(unit, year, &mut state)?;
            r.scores(unit, Some(year), &mut state)?;
            for sub in &subs {
                r.unit_year(sub, year, &mut state)?;
            }
            r.framework(year, rec.kind, &mut state)?;
        }
        Ok(state)
    }

    /// The years in which `unit` or any unit below it has a task, a document or a score: what
    /// a page offers as its years, and opens on the latest of.
    pub fn years_with_data(&self, unit: &UnitId) -> Result<Vec<u16>, StoreError> {
        let txn = self.db.begin_read()?;
        let r = Reader::open(&txn)?;
        let mut state = State::default();
        if r.unit(unit, &mut state)?.is_none() {
            return Ok(Vec::new());
        }
        let mut units = vec![unit.clone()];
        units.extend(r.descendants(unit, &mut state)?);
        r.years_of(&units, Data::All)
    }

    /// The years in which any of `units` has a score.
    pub fn years_scored(&self, units: &[UnitId]) -> Result<Vec<u16>, StoreError> {
        let txn = self.db.begin_read()?;
        Reader::open(&txn)?.years_of(units, Data::Scores)
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

    /// What a plan's register needs: the plan and the unit it belongs to, and its tasks with
    /// their units and people, wherever the tasks are now.
    pub fn load_plan(&self, plan: &PlanId) -> Result<State, StoreError> {
        let txn = self.db.begin_read()?;
        let r = Reader::open(&txn)?;
        let mut state = State::default();
        load_into(&r.plans, "plans", plan, &mut state.plans)?;
        let Some(unit) = state.plans.get(plan).map(|p| p.unit.clone()) else { return Ok(state) };
        r.unit(&unit, &mut state)?;
        r.plan_tasks(plan, &mut state)?;
        Ok(state)
    }

    /// What a person's entry needs: the person (with their keys and access), their tenures,
    /// and the units of both with the units above them (a unit is named with its province).
    pub fn load_person(&self, person: &PersonId) -> Result<State, StoreError> {
        let txn = self.db.begin_read()?;
        let r = Reader::open(&txn)?;
        let mut state = State::default();
        load_into(&r.people, "people", person, &mut state.people)?;
        let Some(rec) = state.people.get(person) else { return Ok(state) };
        let mut units: Vec<UnitId> = rec.grants.iter().filter_map(|g| g.unit.clone()).collect();
        units.extend(r.person_tenures(person, &mut state)?.into_iter().map(|t| t.unit));
        for unit in &units {
            r.lineage(unit, &mut state)?;
        }
        Ok(state)
    }

    /// Every person's record: what the list of people shows.
    pub fn load_people(&self) -> Result<State, StoreError> {
        let txn = self.db.begin_read()?;
        let r = Reader::open(&txn)?;
        let mut state = State::default();
        all_into(&r.people, "people", &mut state.people)?;
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
            for member in r.unit_tree(unit, &mut state)? {
                r.unit_history(&member, &mut state)?;
            }
        }
        Ok(state)
    }
}

impl Store {
    /// What the national ranking needs from one province: its units of `kind` (the province
    /// itself for [`UnitKind::Province`]), their scores of this year and the year before, and
    /// the framework.
    pub fn load_peers_in(
        &self,
        province: &UnitId,
        kind: UnitKind,
        year: u16,
    ) -> Result<(State, Vec<UnitId>), StoreError> {
        let txn = self.db.begin_read()?;
        let r = Reader::open(&txn)?;
        let mut state = State::default();
        let Some(rec) = r.unit(province, &mut state)? else { return Ok((state, Vec::new())) };
        let mut members = vec![province.clone()];
        // Provinces are tops: a province's own score is all a ranking of provinces needs.
        if kind != UnitKind::Province {
            members.extend(r.descendants(province, &mut state)?);
        }
        let mut peers = Vec::new();
        for unit in members {
            let is_kind = if &unit == province {
                rec.kind == kind
            } else {
                state.units.get(&unit).is_some_and(|u| u.kind == kind)
            };
            if is_kind {
                for y in [year, year.saturating_sub(1)] {
                    r.scores(&unit, Some(y), &mut state)?;
                }
                peers.push(unit);
            }
        }
        r.framework(year, kind, &mut state)?;
        peers.sort();
        Ok((state, peers))
    }

    /// Every unit's parent (`None` for a province): what a split projector's reader starts
    /// from.
    pub fn unit_parents(
        &self,
    ) -> Result<std::collections::HashMap<UnitId, Option<UnitId>>, StoreError> {
        let txn = self.db.begin_read()?;
        let units = txn.open_table(UNITS)?;
        let mut out = std::collections::HashMap::new();
        for row in units.iter()? {
            let (k, v) = row?;
            let rec: crate::model::UnitRec = decode("units", k.value(), v.value())?;
            out.insert(parse_id("units", k.value())?, rec.parent);
        }
        Ok(out)
    }

    /// The provinces: the units with no parent, in id order, from the `roots` index.
    pub fn provinces(&self) -> Result<Vec<UnitId>, StoreError> {
        let txn = self.db.begin_read()?;
        let r = Reader::open(&txn)?;
        let mut state = State::default();
        let mut out = Vec::new();
        for unit in r.roots()? {
            // A unit added again under a parent (only a damaged log has one) is no province.
            if r.unit(&unit, &mut state)?.is_some_and(|rec| rec.parent.is_none()) {
                out.push(unit);
            }
        }
        Ok(out)
    }

    /// The province a unit is in; `None` for a unit the views do not know.
    pub fn province_of(&self, unit: &UnitId) -> Result<Option<UnitId>, StoreError> {
        let txn = self.db.begin_read()?;
        let units = txn.open_table(UNITS)?;
        let parent = |u: &UnitId| -> Result<Option<Option<UnitId>>, StoreError> {
            let rec: Option<crate::model::UnitRec> = get_rec(&units, "units", u.as_str())?;
            Ok(rec.map(|r| r.parent))
        };
        tree::province_of(parent, unit)
    }

    /// The units of a person's tenures, in id order, each once.
    pub fn tenure_units(&self, person: &PersonId) -> Result<Vec<UnitId>, StoreError> {
        let txn = self.db.begin_read()?;
        let r = Reader::open(&txn)?;
        let mut state = State::default();
        let units: BTreeSet<UnitId> =
            r.person_tenures(person, &mut state)?.into_iter().map(|t| t.unit).collect();
        Ok(units.into_iter().collect())
    }

    /// What the whole directory needs: every unit, person and tenure, and the frameworks.
    pub fn load_directory(&self) -> Result<State, StoreError> {
        let txn = self.db.begin_read()?;
        let r = Reader::open(&txn)?;
        let mut state = State::default();
        all_into(&r.units, "units", &mut state.units)?;
        all_into(&r.people, "people", &mut state.people)?;
        all_into(&r.tenures, "tenures", &mut state.tenures)?;
        r.frameworks(&mut state)?;
        Ok(state)
    }

    /// What a part of the directory needs ([`crate::registers::directory_part`], same
    /// arguments), read through the indexes instead of whole: the part's units, each with its
    /// chain of parents (how far below the part's top it is), their tenures and those tenures'
    /// people, and the frameworks. With `person`, their tenures and the units they held them at
    /// instead. The whole directory of a country is 7,623 units; a page shows a few dozen.
    pub fn load_directory_part(
        &self,
        under: Option<&UnitId>,
        depth: Option<usize>,
        person: Option<&PersonId>,
    ) -> Result<State, StoreError> {
        if under.is_none() && depth.is_none() && person.is_none() {
            return self.load_directory();
        }
        let txn = self.db.begin_read()?;
        let r = Reader::open(&txn)?;
        let mut state = State::default();
        r.frameworks(&mut state)?;
        // The part holds the units above its top as well, by every parent it has had.
        let mut units: Vec<UnitId> = match under {
            Some(top) => r.lineage(top, &mut state)?,
            None => Vec::new(),
        };
        let former: Vec<UnitId> = match under.and_then(|top| state.units.get(top)) {
            Some(rec) => rec.was.iter().filter_map(|w| w.parent.clone()).collect(),
            None => Vec::new(),
        };
        for parent in &former {
            units.extend(r.lineage(parent, &mut state)?);
        }
        match person {
            Some(person) => {
                load_into(&r.people, "people", person, &mut state.people)?;
                units.extend(r.person_tenures(person, &mut state)?.into_iter().map(|t| t.unit));
            }
            None => {
                let tops = match under {
                    Some(top) => vec![top.clone()],
                    None => r.roots()?,
                };
                let levels = depth.unwrap_or(tree::UNIT_DEPTH_MAX);
                for top in tops {
                    let mut loading = Loading { reader: &r, state: &mut state };
                    units.extend(tree::below_within(
                        &mut loading,
                        &top,
                        Below::Everything,
                        levels,
                    )?);
                    units.push(top);
                }
                for unit in &units {
                    r.tenures_at(unit, &mut state)?;
                    r.grants_at(unit, &mut state)?;
                }
            }
        }
        for unit in &units {
            r.lineage(unit, &mut state)?;
        }
        let predecessors = match under {
            Some(top) => r.predecessors(top, &mut state)?,
            None => Vec::new(),
        };
        // A unit that ended names its successor, and each with its province.
        let successors: Vec<UnitId> = state
            .units
            .values()
            .filter_map(|u| u.ended.as_ref().map(|e| e.successor.clone()))
            .collect();
        for unit in successors.iter().chain(&predecessors) {
            r.lineage(unit, &mut state)?;
        }
        Ok(state)
    }
}

/// Every record of a table keyed by id.
fn all_into<Id: Ord + std::str::FromStr, T: serde::de::DeserializeOwned>(
    table: &redb::ReadOnlyTable<Str, Bytes>,
    name: &'static str,
    map: &mut std::collections::BTreeMap<Id, T>,
) -> Result<(), StoreError> {
    for row in table.iter()? {
        let (k, v) = row?;
        map.insert(parse_id(name, k.value())?, decode(name, k.value(), v.value())?);
    }
    Ok(())
}

/// Which data make a year count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Data {
    /// Tasks, documents and scores.
    All,
    Scores,
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
    roots: redb::ReadOnlyTable<Str, ()>,
    person_tenures: redb::ReadOnlyTable<(Str, Str), ()>,
    unit_tenures: redb::ReadOnlyTable<(Str, Str), ()>,
    unit_tasks: redb::ReadOnlyTable<(Str, u16, Str), ()>,
    unit_findings: redb::ReadOnlyTable<(Str, Str), ()>,
    plan_tasks: redb::ReadOnlyTable<(Str, Str), ()>,
    unit_grants: redb::ReadOnlyTable<(Str, Str), ()>,
    plans: redb::ReadOnlyTable<Str, Bytes>,
    successions: redb::ReadOnlyTable<(Str, Str), ()>,
    unit_evidence: redb::ReadOnlyTable<(Str, u16, Str), ()>,
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
            roots: txn.open_table(ROOTS)?,
            person_tenures: txn.open_table(PERSON_TENURES)?,
            unit_tenures: txn.open_table(UNIT_TENURES)?,
            unit_tasks: txn.open_table(UNIT_TASKS)?,
            unit_findings: txn.open_table(UNIT_FINDINGS)?,
            plan_tasks: txn.open_table(PLAN_TASKS)?,
            unit_grants: txn.open_table(UNIT_GRANTS)?,
            plans: txn.open_table(PLANS)?,
            successions: txn.open_table(SUCCESSIONS)?,
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

    /// The units that ended into `unit`, loaded with their records.
    fn predecessors(&self, unit: &UnitId, state: &mut State) -> Result<Vec<UnitId>, StoreError> {
        let mut out = Vec::new();
        for row in self.successions.range((unit.as_str(), "")..)? {
            let (k, _) = row?;
            let (successor, predecessor) = k.value();
            if successor != unit.as_str() {
                break;
            }
            let id: UnitId = parse_id("successions", predecessor)?;
            state.successions.insert((unit.clone(), id.clone()));
            self.unit(&id, state)?;
            out.push(id);
        }
        Ok(out)
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

    /// The units added without a parent, in id order.
    fn roots(&self) -> Result<Vec<UnitId>, StoreError> {
        let mut out = Vec::new();
        for row in self.roots.iter()? {
            let (k, _) = row?;
            out.push(parse_id("roots", k.value())?);
        }
        Ok(out)
    }

    /// The unit and the units above it, nearest first, with their records.
    fn lineage(&self, unit: &UnitId, state: &mut State) -> Result<Vec<UnitId>, StoreError> {
        tree::lineage(|u| Ok::<_, StoreError>(self.unit(u, state)?.map(|rec| rec.parent)), unit)
    }

    /// Every tenure at a unit, with its person's record.
    fn tenures_at(&self, unit: &UnitId, state: &mut State) -> Result<(), StoreError> {
        for row in self.unit_tenures.range((unit.as_str(), "")..)? {
            let (k, _) = row?;
            let (u, tenure) = k.value();
            if u != unit.as_str() {
                break;
            }
            let id: reform_shared::ids::TenureId = parse_id("unit_tenures", tenure)?;
            state.unit_tenures.insert((unit.clone(), id.clone()));
            let Some(rec) = get_rec::<crate::model::TenureRec>(&self.tenures, "tenures", tenure)?
            else {
                continue;
            };
            load_into(&self.people, "people", &rec.person, &mut state.people)?;
            state.tenures.insert(id, rec);
        }
        Ok(())
    }

    /// Everyone granted access at a unit, with their records (which hold the grants).
    fn grants_at(&self, unit: &UnitId, state: &mut State) -> Result<(), StoreError> {
        for row in self.unit_grants.range((unit.as_str(), "")..)? {
            let (k, _) = row?;
            let (u, person) = k.value();
            if u != unit.as_str() {
                break;
            }
            let id: PersonId = parse_id("unit_grants", person)?;
            state.unit_grants.insert((unit.clone(), id.clone()));
            load_into(&self.people, "people", &id, &mut state.people)?;
        }
        Ok(())
    }

    /// Every framework.
    fn frameworks(&self, state: &mut State) -> Result<(), StoreError> {
        for row in self.frameworks.iter()? {
            let (k, v) = row?;
            let (year, kind) = k.value();
            let Some(kind) = UnitKind::ALL.get(usize::from(kind)).copied() else { continue };
            state.frameworks.insert((year, kind), decode("frameworks", "framework", v.value())?);
        }
        Ok(())
    }

    /// The unit and everything below it that is a division, with their records: the unit
    /// first, then its divisions nearest first.
    fn unit_tree(&self, unit: &UnitId, state: &mut State) -> Result<Vec<UnitId>, StoreError> {
        self.unit(unit, state)?;
        let mut members = vec![unit.clone()];
        members.extend(tree::below(&mut Loading { reader: self, state }, unit, Below::Divisions)?);
        Ok(members)
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
        tree::below(&mut Loading { reader: self, state }, unit, Below::Everything)
    }

    /// The years the units have data in, ascending: one seek per unit and year found, not a
    /// read of every row (a unit's score changes run to thousands over the years).
    fn years_of(&self, units: &[UnitId], data: Data) -> Result<Vec<u16>, StoreError> {
        let mut years = BTreeSet::new();
        for unit in units {
            let u = unit.as_str();
            let mut year = 0u16;
            while let Some(found) = self.next_year(u, year, data)? {
                years.insert(found);
                let Some(next) = found.checked_add(1) else { break };
                year = next;
            }
        }
        Ok(years.into_iter().collect())
    }

    /// The first year from `from` in which the unit has data.
    fn next_year(&self, unit: &str, from: u16, data: Data) -> Result<Option<u16>, StoreError> {
        let first = |year: Option<(&str, u16)>| year.filter(|(u, _)| *u == unit).map(|(_, y)| y);
        let mut found = Vec::new();
        if let Some(row) = self.score_changes.range((unit, from, "", 0u8, 0u64)..)?.next() {
            let (k, _) = row?;
            let (u, y, ..) = k.value();
            found.extend(first(Some((u, y))));
        }
        if data == Data::All {
            for table in [&self.unit_tasks, &self.unit_evidence] {
                if let Some(row) = table.range((unit, from, "")..)?.next() {
                    let (k, _) = row?;
                    let (u, y, _) = k.value();
                    found.extend(first(Some((u, y))));
                }
            }
        }
        Ok(found.into_iter().min())
    }

    /// The tasks of `plan`, wherever they are now, with the people they name.
    fn plan_tasks(&self, plan: &PlanId, state: &mut State) -> Result<(), StoreError> {
        for row in self.plan_tasks.range((plan.as_str(), "")..)? {
            let (k, _) = row?;
            let (p, task) = k.value();
            if p != plan.as_str() {
                break;
            }
            let id: TaskId = parse_id("plan_tasks", task)?;
            state.plan_tasks.insert((plan.clone(), id.clone()));
            self.task_with_names(&id, state)?;
        }
        Ok(())
    }

    /// A task, its units with their names, and the people its register names.
    fn task_with_names(&self, id: &TaskId, state: &mut State) -> Result<(), StoreError> {
        self.task_with_people(id, state)?;
        let units: Vec<UnitId> = state
            .tasks
            .get(id)
            .map(|rec| rec.units.iter().map(|u| u.value.clone()).collect())
            .unwrap_or_default();
        for unit in &units {
            load_into(&self.units, "units", unit, &mut state.units)?;
        }
        Ok(())
    }

    /// A task and the people a register names for it: who does it and who gave it.
    fn task_with_people(&self, id: &TaskId, state: &mut State) -> Result<(), StoreError> {
        load_into(&self.tasks, "tasks", id, &mut state.tasks)?;
        let Some(rec) = state.tasks.get(id) else { return Ok(()) };
        let people: Vec<PersonId> = rec.person.iter().chain(&rec.assigned_by).cloned().collect();
        for person in &people {
            load_into(&self.people, "people", person, &mut state.people)?;
        }
        Ok(())
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
            let id: TaskId = parse_id("tasks", task)?;
            self.task_with_people(&id, state)?;
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

/// The read snapshot as a [`tree::Tree`]: walking it loads every unit and `children` row it
/// passes into the query's state.
struct Loading<'a> {
    reader: &'a Reader,
    state: &'a mut State,
}

impl tree::Tree for Loading<'_> {
    type Error = StoreError;

    fn children(&mut self, parent: &UnitId) -> Result<Vec<UnitId>, StoreError> {
        self.reader.children(parent, self.state)
    }

    fn kind(&mut self, unit: &UnitId) -> Result<Option<UnitKind>, StoreError> {
        Ok(self.reader.unit(unit, self.state)?.map(|u| u.kind))
    }
}
