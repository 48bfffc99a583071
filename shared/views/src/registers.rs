//! Registers: the lists a reader browses to find what a view is about (the directory of units
//! and leaders, a unit's documents). Pure, over a [`State`], like the views.

use crate::model::{in_force_on, State, Was};
use crate::views::{descendants, range3, Basis, QueryError};
use reform_shared::event::{Access, Ending, LegalBasis, Role, UnitKind};
use reform_shared::ids::{CriterionCode, EvidenceId, PersonId, TaskId, TenureId, UnitId};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Every unit, every leader's tenure, and the years a scoring framework is published for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    /// In unit id order.
    pub units: Vec<DirectoryUnit>,
    /// For a part under a unit: the units that ended into it (merged, split, dissolved), in
    /// id order.
    #[serde(default)]
    pub predecessors: Vec<DirectoryUnit>,
    /// By unit, then start date, then tenure id.
    pub tenures: Vec<DirectoryTenure>,
    /// The access granted at the units (staff, appraisers), by unit, then start date, then
    /// person.
    #[serde(default)]
    pub grants: Vec<DirectoryGrant>,
    /// Ascending.
    pub framework_years: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryUnit {
    pub unit: UnitId,
    pub name: String,
    pub kind: UnitKind,
    pub parent: Option<UnitId>,
    /// When and how it ended, if it did.
    #[serde(default)]
    pub ended: Option<EndedAt>,
    /// Its name and parent before each rename or move, in effective order.
    #[serde(default)]
    pub was: Vec<Was>,
    /// The day a legal act founded it; `None` for a unit recorded as long existing.
    #[serde(default)]
    pub founded: Option<Date>,
}

impl DirectoryUnit {
    /// Its name on `day`.
    pub fn name_on(&self, day: Date) -> &str {
        in_force_on(&self.was, &self.name, self.parent.as_ref(), day).0
    }

    /// Its parent on `day`; `None` for a province.
    pub fn parent_on(&self, day: Date) -> Option<&UnitId> {
        in_force_on(&self.was, &self.name, self.parent.as_ref(), day).1
    }
}

/// A unit's end as a reader sees it: its successor named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndedAt {
    /// The first day without it.
    pub on: Date,
    pub how: Ending,
    pub successor: UnitId,
    /// Its name, and its province's after it ("Sở Giáo dục và Đào tạo, Thành phố Cần Thơ"):
    /// the predecessor's name is often the same.
    pub successor_name: String,
    pub basis: LegalBasis,
}

/// `unit`'s name, with its province's after it when it has one above it.
pub fn name_in_province(state: &State, unit: &UnitId) -> String {
    let parent = |u: &UnitId| {
        Ok::<_, std::convert::Infallible>(state.units.get(u).map(|r| r.parent.clone()))
    };
    let Ok(lineage) = reform_shared::tree::lineage(parent, unit);
    let name = |u: &UnitId| state.units.get(u).map(|r| r.name.clone()).unwrap_or_default();
    match lineage.last().filter(|top| *top != unit) {
        Some(top) => format!("{}, {}", name(unit), name(top)),
        None => name(unit),
    }
}

fn directory_unit(state: &State, id: &UnitId, u: &crate::model::UnitRec) -> DirectoryUnit {
    let ended = u.ended.as_ref().map(|e| EndedAt {
        on: e.on,
        how: e.how,
        successor: e.successor.clone(),
        successor_name: name_in_province(state, &e.successor),
        basis: e.basis.clone(),
    });
    DirectoryUnit {
        unit: id.clone(),
        name: u.name.clone(),
        kind: u.kind,
        parent: u.parent.clone(),
        ended,
        was: u.was.clone(),
        founded: u.founded,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryTenure {
    pub tenure: TenureId,
    pub unit: UnitId,
    pub person: PersonId,
    pub name: String,
    pub title: String,
    pub role: Role,
    pub from: Date,
    /// The day they left (the successor's first day); `None` while held.
    pub to: Option<Date>,
}

impl DirectoryTenure {
    /// Whether the tenure covers `day`.
    pub fn covers(&self, day: Date) -> bool {
        self.from <= day && self.to.is_none_or(|to| day < to)
    }
}

/// An access granted at a unit, with its holder's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryGrant {
    pub unit: UnitId,
    pub person: PersonId,
    pub name: String,
    pub access: Access,
    pub from: Date,
    /// The first day it is no longer held; `None` while it is.
    pub to: Option<Date>,
}

/// Every access granted at a unit, by unit, then start, then person.
fn grants_at_units(state: &State) -> Vec<DirectoryGrant> {
    let mut grants: Vec<DirectoryGrant> = state
        .people
        .iter()
        .flat_map(|(person, p)| {
            p.grants.iter().filter_map(move |g| {
                Some(DirectoryGrant {
                    unit: g.unit.clone()?,
                    person: person.clone(),
                    name: p.name.clone(),
                    access: g.access,
                    from: g.from,
                    to: g.to,
                })
            })
        })
        .collect();
    grants.sort_by(|a, b| (&a.unit, a.from, &a.person).cmp(&(&b.unit, b.from, &b.person)));
    grants
}

/// The directory as `state` holds it.
pub fn directory(state: &State) -> Directory {
    let units = state.units.iter().map(|(id, u)| directory_unit(state, id, u)).collect();
    let mut tenures: Vec<DirectoryTenure> = state
        .tenures
        .iter()
        .map(|(id, t)| {
            let who = state.people.get(&t.person);
            DirectoryTenure {
                tenure: id.clone(),
                unit: t.unit.clone(),
                person: t.person.clone(),
                name: who.map(|p| p.name.clone()).unwrap_or_default(),
                // The title they bore as the tenure ended, or bear now.
                title: who
                    .map(|p| p.title_then(t.last_day()))
                    .map(str::to_owned)
                    .unwrap_or_default(),
                role: t.role,
                from: t.from,
                to: t.to,
            }
        })
        .collect();
    tenures.sort_by(|a, b| (&a.unit, a.from, &a.tenure).cmp(&(&b.unit, b.from, &b.tenure)));
    let mut framework_years: Vec<u16> = state.frameworks.keys().map(|(y, _)| *y).collect();
    framework_years.dedup();
    let grants = grants_at_units(state);
    Directory { units, predecessors: Vec::new(), tenures, grants, framework_years }
}

/// A part of the directory: with `under`, that unit, the units above it and those below it,
/// at most `depth` levels down; without, the provinces (units without a parent) and at most
/// `depth` levels below them. No `depth`: every level. Only the tenures of the units in the part;
/// every framework year. With `person`, only that person's tenures, and of the part's units
/// those they held them at. At national scale the whole directory is near the broker's limit of
/// a message, so a page asks for the part it shows.
pub fn directory_part(
    state: &State,
    under: Option<&UnitId>,
    depth: Option<usize>,
    person: Option<&PersonId>,
) -> Result<Directory, QueryError> {
    let mut whole = directory(state);
    if let Some(person) = person {
        whole.tenures.retain(|t| &t.person == person);
        whole.grants.retain(|g| &g.person == person);
        let held: BTreeSet<&UnitId> = whole.tenures.iter().map(|t| &t.unit).collect();
        let units = std::mem::take(&mut whole.units);
        whole.units = units.into_iter().filter(|u| held.contains(&u.unit)).collect();
    }
    if under.is_none() && depth.is_none() {
        return Ok(whole);
    }
    if let Some(unit) = under.filter(|u| !state.units.contains_key(*u)) {
        return Err(QueryError::UnknownUnit(unit.clone()));
    }
    let parent = |u: &UnitId| {
        Ok::<_, std::convert::Infallible>(state.units.get(u).map(|r| r.parent.clone()))
    };
    let levels = depth.unwrap_or(reform_shared::tree::UNIT_DEPTH_MAX);
    // The units above the top, by its current parent and by each it had before a move.
    let above: Vec<UnitId> = match under {
        Some(top) => {
            let Ok(mut up) = reform_shared::tree::lineage(parent, top);
            let former = state.units.get(top).into_iter().flat_map(|u| &u.was);
            for p in former.filter_map(|w| w.parent.as_ref()) {
                let Ok(more) = reform_shared::tree::lineage(parent, p);
                up.extend(more);
            }
            up
        }
        None => Vec::new(),
    };
    // Each unit's chain of parents says how far below the part's top it is: the directory a
    // query loads holds the units, not the children rows. Under a unit, one that was below it
    // before it moved is in the part too, since a page true at an earlier day shows it there.
    let in_part = |unit: &UnitId| {
        let Ok(lineage) = reform_shared::tree::lineage(parent, unit);
        let was_below = |top: &UnitId| {
            let former = state.units.get(unit).into_iter().flat_map(|u| &u.was);
            former.filter_map(|w| w.parent.as_ref()).find_map(|p| {
                let Ok(up) = reform_shared::tree::lineage(parent, p);
                up.iter().position(|u| u == top).map(|at| at + 1)
            })
        };
        let below_top = match under {
            Some(top) => lineage.iter().position(|u| u == top).or_else(|| was_below(top)),
            // Below a province: a unit whose chain of parents breaks off (a damaged log) is
            // under none.
            None => lineage
                .last()
                .filter(|top| state.units.get(*top).is_some_and(|rec| rec.parent.is_none()))
                .map(|_| lineage.len() - 1),
        };
        above.contains(unit) || below_top.is_some_and(|levels_down| levels_down <= levels)
    };
    let units: Vec<DirectoryUnit> = whole.units.into_iter().filter(|u| in_part(&u.unit)).collect();
    let part: BTreeSet<&UnitId> = units.iter().map(|u| &u.unit).collect();
    let tenures = whole.tenures.into_iter().filter(|t| part.contains(&t.unit)).collect();
    let grants = whole.grants.into_iter().filter(|g| part.contains(&g.unit)).collect();
    let predecessors = match under {
        Some(top) => state
            .units
            .iter()
            .filter(|(_, u)| u.ended.as_ref().is_some_and(|e| &e.successor == top))
            .map(|(id, u)| DirectoryUnit {
                name: name_in_province(state, id),
                ..directory_unit(state, id, u)
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(Directory { units, predecessors, tenures, grants, framework_years: whole.framework_years })
}

/// A unit's documents of a year (its sub-units' included), as the basis sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceList {
    pub unit: UnitId,
    pub unit_name: String,
    pub year: u16,
    pub basis: Basis,
    /// By attachment date, then evidence id.
    pub evidence: Vec<EvidenceRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRow {
    pub evidence: EvidenceId,
    pub unit: UnitId,
    pub unit_name: String,
    pub title: String,
    pub document_number: String,
    /// The date the document bears: the year it counts in.
    pub document_date: Date,
    pub task: Option<TaskId>,
    pub criterion: Option<CriterionCode>,
    pub attached_on: Date,
    /// When an appraiser rejected it, if the basis sees that: rejected evidence is listed, but
    /// not counted.
    pub rejected_on: Option<Date>,
    /// Why, beside `rejected_on`.
    pub rejected_because: Option<String>,
    /// When its content was erased, if the basis sees that: the document still counts (it was
    /// handed in), but its file is gone.
    pub erased_on: Option<Date>,
}

/// The evidence of `unit` and its sub-units counted in `year`.
pub fn evidence_list(
    state: &State,
    unit: &UnitId,
    year: u16,
    basis: Basis,
) -> Result<EvidenceList, QueryError> {
    if !state.units.contains_key(unit) {
        return Err(QueryError::UnknownUnit(unit.clone()));
    }
    let mut units = vec![unit.clone()];
    units.extend(descendants(state, unit, basis.structure_day(year)));
    let mut evidence: Vec<EvidenceRow> = units
        .iter()
        .flat_map(|u| range3(&state.unit_evidence, u, year))
        .filter_map(|(u, _, id)| {
            let rec = state.evidence.get(id)?;
            (&rec.unit == u && basis.sees(rec.attached_on)).then(|| EvidenceRow {
                evidence: id.clone(),
                unit: rec.unit.clone(),
                unit_name: state.units.get(&rec.unit).map(|r| r.name.clone()).unwrap_or_default(),
                title: rec.title.clone(),
                document_number: rec.document_number.clone(),
                document_date: rec.document_date,
                task: rec.task.clone(),
                criterion: rec.criterion.clone(),
                attached_on: rec.attached_on,
                rejected_on: rec.rejected_on.filter(|on| basis.sees(*on)),
                rejected_because: rec
                    .rejected_because
                    .clone()
                    .filter(|_| rec.rejected_on.is_some_and(|on| basis.sees(on))),
                erased_on: rec.erased_on.filter(|on| basis.sees(*on)),
            })
        })
        .collect();
    evidence.sort_by(|a, b| (a.attached_on, &a.evidence).cmp(&(b.attached_on, &b.evidence)));
    let unit_name = state.units.get(unit).map(|r| r.name.clone()).unwrap_or_default();
    Ok(EvidenceList { unit: unit.clone(), unit_name, year, basis, evidence })
}

/// How far ahead the reminders look for tasks coming due.
pub const DUE_SOON_DAYS: i64 = 7;

/// The reminder a unit's leaders get (đôn đốc): what is due within a week, what went overdue
/// since the last reminders, and what was completed since, over the unit and its sub-units,
/// as true at `on`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminders {
    pub unit: UnitId,
    pub person: Option<PersonId>,
    pub on: Date,
    /// The day of the last reminders: what happened after it and on or before `on` is new.
    pub since: Date,
    /// Open tasks due from `on` to `on` + [`DUE_SOON_DAYS`], by due date.
    pub due_soon: Vec<crate::views::TaskRow>,
    /// Tasks whose due date in force passed after `since`, still not done on `on`.
    pub went_overdue: Vec<crate::views::TaskRow>,
    /// Tasks completed after `since`, with the day each was completed.
    pub completed: Vec<(Date, crate::views::TaskRow)>,
}

/// The years whose tasks the reminders of `on` look at: its own and the one before.
pub fn reminder_years(on: Date) -> [u16; 2] {
    let year = u16::try_from(on.year()).unwrap_or(u16::MAX);
    [year.saturating_sub(1), year]
}

/// The reminders of `unit`'s tree (only `person`'s tasks, when given). Tasks count in their year
/// of assignment, so last year's tasks still due are looked at too.
pub fn reminders(
    state: &State,
    unit: &UnitId,
    person: Option<&PersonId>,
    on: Date,
    since: Date,
) -> Result<Reminders, QueryError> {
    use crate::views::{task_list, TaskFilter, TaskStatus};
    let basis = Basis::AsTrueAt { date: on };
    let filter =
        TaskFilter { with_sub_units: true, person: person.cloned(), ..TaskFilter::default() };
    let mut rows = Vec::new();
    for y in reminder_years(on) {
        rows.extend(task_list(state, unit, y, basis, &filter)?.tasks);
    }
    let days = |from: Date, to: Date| (to.0 - from.0).num_days();
    let mut reminders = Reminders {
        unit: unit.clone(),
        person: person.cloned(),
        on,
        since,
        due_soon: Vec::new(),
        went_overdue: Vec::new(),
        completed: Vec::new(),
    };
    for row in rows {
        let done = state.tasks.get(&row.task).and_then(|t| t.completed_under(basis));
        match row.status {
            TaskStatus::Open if days(on, row.due) <= DUE_SOON_DAYS => reminders.due_soon.push(row),
            // Overdue from the day after the due date: new when that day is after `since`.
            TaskStatus::Overdue if row.due >= since => reminders.went_overdue.push(row),
            TaskStatus::DoneOnTime | TaskStatus::DoneLate => {
                if let Some(done) = done.filter(|d| *d > since && *d <= on) {
                    reminders.completed.push((done, row));
                }
            }
            _ => {}
        }
    }
    reminders.completed.sort_by(|a, b| (a.0, &a.1.task).cmp(&(b.0, &b.1.task)));
    Ok(reminders)
}
