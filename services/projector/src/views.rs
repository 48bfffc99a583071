//! The views, computed at query time from a [`State`] (the whole state in unit tests, the slice a
//! query loaded from redb in the service) for a [`Basis`]: "as known now" or "as true at D".
//!
//! Every figure follows `docs/views.md`; the choices it leaves open are listed in this crate's
//! README ("Choices the views make") and tested here. Pure: no I/O, no clock; "today" comes in
//! with the basis.

use crate::model::{Dated, ScoreRec, State, TaskRec, TenureRec};
use crate::tree::{self, Below};
use reform_shared::event::{Component, Role, Stage, UnitKind};
use reform_shared::ids::{CriterionCode, FindingId, PersonId, TaskId, TenureId, UnitId};
use reform_shared::points::{percent_hundredths, Points};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Which events a view sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Basis {
    /// Every event known now (scores in force in stream order); "overdue" is judged on `today`.
    Live { today: Date },
    /// Only events whose business date is on or before `date` (scores in force in business
    /// time, then stream order); "overdue" is judged on `date`.
    AsTrueAt { date: Date },
}

impl Basis {
    /// The day "overdue" is judged on.
    pub fn day(self) -> Date {
        match self {
            Basis::Live { today } => today,
            Basis::AsTrueAt { date } => date,
        }
    }

    /// Whether an event of business date `on` is seen.
    pub fn sees(self, on: Date) -> bool {
        match self {
            Basis::Live { .. } => true,
            Basis::AsTrueAt { date } => on <= date,
        }
    }
}

/// A query about something the projection does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum QueryError {
    #[error("unknown unit {0}")]
    UnknownUnit(UnitId),
    #[error("unknown person {0}")]
    UnknownPerson(PersonId),
}

// ----- tasks ---------------------------------------------------------------------------------

reform_shared::named_enum! {
    /// Where a task stands under a basis (docs/views.md "Tasks").
    pub enum TaskStatus ("task status") {
        Open = "open", "Đang thực hiện", "In progress";
        DoneOnTime = "done-on-time", "Hoàn thành đúng hạn", "Done on time";
        DoneLate = "done-late", "Hoàn thành trễ hạn", "Done late";
        Overdue = "overdue", "Quá hạn", "Overdue";
        Cancelled = "cancelled", "Đã hủy", "Cancelled";
    }
}

impl TaskRec {
    /// The due date in force on `day`: the last deadline change dated on or before it (business
    /// time, then stream order), else the due date given at assignment.
    pub fn due_on(&self, day: Date) -> Date {
        latest_by_date(&self.deadline_changes, |on| on <= day).map_or(self.due, |c| c.value)
    }

    /// The unit the task belongs to on `day`.
    pub fn unit_on(&self, day: Date) -> Option<&UnitId> {
        latest_by_date(&self.units, |on| on <= day).map(|d| &d.value)
    }

    /// The unit it belongs to under a basis (the last reassignment it sees).
    pub fn unit_under(&self, basis: Basis) -> Option<&UnitId> {
        latest_by_date(&self.units, |on| basis.sees(on)).map(|d| &d.value)
    }

    pub fn completed_under(&self, basis: Basis) -> Option<Date> {
        self.completed.as_ref().map(|c| c.on).filter(|on| basis.sees(*on))
    }

    fn cancelled_under(&self, basis: Basis) -> Option<Date> {
        self.cancelled.as_ref().map(|c| c.on).filter(|on| basis.sees(*on))
    }

    /// The due date in force under a basis.
    pub fn due_under(&self, basis: Basis) -> Date {
        latest_by_date(&self.deadline_changes, |on| basis.sees(on)).map_or(self.due, |c| c.value)
    }

    /// The task's status, or `None` when the basis does not see it assigned. A cancellation
    /// wins over a completion (the deciding service never lets both happen).
    pub fn status(&self, basis: Basis) -> Option<TaskStatus> {
        if !basis.sees(self.assigned_on) {
            return None;
        }
        if self.cancelled_under(basis).is_some() {
            return Some(TaskStatus::Cancelled);
        }
        if let Some(done) = self.completed_under(basis) {
            return Some(if done <= self.due_on(done) {
                TaskStatus::DoneOnTime
            } else {
                TaskStatus::DoneLate
            });
        }
        Some(if basis.day() > self.due_under(basis) {
            TaskStatus::Overdue
        } else {
            TaskStatus::Open
        })
    }

    /// The days the task went overdue, seen under a basis: the first day of every run of days
    /// on which it was past the due date then in force and neither completed nor cancelled. A
    /// deadline change ends a run but never removes one that already began.
    pub fn went_overdue(&self, basis: Basis) -> Vec<Date> {
        if !basis.sees(self.assigned_on) {
            return Vec::new();
        }
        let mut segments: Vec<(Date, u64, Date)> =
            vec![(self.assigned_on, self.assigned_seq, self.due)];
        segments.extend(
            self.deadline_changes
                .iter()
                .filter(|c| basis.sees(c.on))
                .map(|c| (c.on, c.seq, c.value)),
        );
        segments.sort();
        let stop =
            [self.completed_under(basis), self.cancelled_under(basis)].into_iter().flatten().min();
        let mut starts = Vec::new();
        let mut run_end: Option<Date> = None;
        for (i, &(start, _, due)) in segments.iter().enumerate() {
            let Some(first) = due.succ() else { continue };
            let first = first.max(start);
            // Exclusive end: the next segment, the completion, or the day after the basis day.
            let bounds = [segments.get(i + 1).map(|s| s.0), stop, basis.day().succ()];
            let end = bounds.into_iter().flatten().min();
            if end.is_some_and(|end| first >= end) {
                continue;
            }
            if run_end != Some(first) {
                starts.push(first);
            }
            run_end = end;
        }
        starts
    }
}

/// The entry latest in business time, then stream order, among those whose date passes.
fn latest_by_date<T>(items: &[Dated<T>], pass: impl Fn(Date) -> bool) -> Option<&Dated<T>> {
    items.iter().filter(|d| pass(d.on)).max_by_key(|d| (d.on, d.seq))
}

// ----- unit progress -------------------------------------------------------------------------

/// Tasks by state for a unit and year (docs/views.md "Tasks").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskCounts {
    pub assigned: u64,
    pub open: u64,
    pub done_on_time: u64,
    pub done_late: u64,
    pub overdue: u64,
    pub cancelled: u64,
    /// (done on time + done late) ÷ (assigned − cancelled), hundredths of a percent, half up.
    pub completion_rate_hundredths: u64,
}

/// Evidence not rejected, for a unit and the year of the documents' dates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceCounts {
    pub total: u64,
    pub by_criterion: BTreeMap<CriterionCode, u64>,
    pub without_criterion: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionScore {
    pub code: CriterionCode,
    /// `None` for a criterion scored but absent from the year's framework.
    pub component: Option<Component>,
    pub max_hundredths: Option<u32>,
    /// `None`: missing in this stage (never zero).
    pub value_hundredths: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentScore {
    pub component: Component,
    pub max_hundredths: u64,
    /// `None` when no criterion of the component has a value in this stage.
    pub value_hundredths: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageScores {
    pub stage: Stage,
    /// No criterion has a value in this stage.
    pub missing: bool,
    pub total_hundredths: Option<u64>,
    /// total ÷ framework maximum total, hundredths of a percent; `None` when missing or when
    /// there is no framework.
    pub index_hundredths: Option<u64>,
    pub components: Vec<ComponentScore>,
    pub criteria: Vec<CriterionScore>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    /// The framework's source (e.g. "QĐ 876/QĐ-BNV"), if one is published for the year and kind.
    pub framework: Option<String>,
    pub max_total_hundredths: u64,
    pub stages: Vec<StageScores>,
}

/// One sub-unit's own tasks and evidence, for the breakdown under a unit's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubUnitCounts {
    pub unit: UnitId,
    pub name: String,
    pub kind: UnitKind,
    /// Its parent, so a reader sees where in the tree a deeper sub-unit sits.
    pub parent: Option<UnitId>,
    pub tasks: TaskCounts,
    pub evidence: EvidenceCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitProgress {
    pub unit: UnitId,
    pub name: String,
    pub kind: UnitKind,
    pub year: u16,
    pub basis: Basis,
    /// The unit's and all its sub-units' tasks (any depth): the sum of `own_tasks` and every
    /// `sub_units` entry, with the completion rate computed over that sum.
    pub tasks: TaskCounts,
    /// Likewise for evidence.
    pub evidence: EvidenceCounts,
    /// Tasks filed at the unit itself.
    pub own_tasks: TaskCounts,
    pub own_evidence: EvidenceCounts,
    /// Each sub-unit (any depth) with a task or evidence counted, ordered by unit id.
    pub sub_units: Vec<SubUnitCounts>,
    /// The unit's own scores: units are scored one by one, never summed over sub-units.
    pub scores: Scores,
}

/// A unit's progress for a year: tasks and evidence over the unit and its sub-units, scores
/// of the unit itself.
pub fn unit_progress(
    state: &State,
    unit: &UnitId,
    year: u16,
    basis: Basis,
) -> Result<UnitProgress, QueryError> {
    let rec = state.units.get(unit).ok_or_else(|| QueryError::UnknownUnit(unit.clone()))?;
    let own_tasks = task_counts(state, unit, year, basis);
    let own_evidence = evidence_counts(state, unit, year, basis);
    let mut tasks = own_tasks.clone();
    let mut evidence = own_evidence.clone();
    let mut sub_units = Vec::new();
    for sub in descendants(state, unit) {
        let sub_tasks = task_counts(state, &sub, year, basis);
        let sub_evidence = evidence_counts(state, &sub, year, basis);
        if sub_tasks.assigned == 0 && sub_evidence.total == 0 {
            continue;
        }
        tasks.add(&sub_tasks);
        evidence.add(&sub_evidence);
        let sub_rec = state.units.get(&sub);
        sub_units.push(SubUnitCounts {
            name: sub_rec.map(|r| r.name.clone()).unwrap_or_default(),
            kind: sub_rec.map_or(UnitKind::Division, |r| r.kind),
            parent: sub_rec.and_then(|r| r.parent.clone()),
            unit: sub,
            tasks: sub_tasks,
            evidence: sub_evidence,
        });
    }
    Ok(UnitProgress {
        unit: unit.clone(),
        name: rec.name.clone(),
        kind: rec.kind,
        year,
        basis,
        tasks,
        evidence,
        own_tasks,
        own_evidence,
        sub_units,
        scores: scores(state, unit, rec.kind, year, basis),
    })
}

// ----- the task register ---------------------------------------------------------------------

/// Which tasks a register lists; every filter given must hold (docs/views.md "The task
/// register").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskFilter {
    /// The unit's sub-units too.
    #[serde(default)]
    pub with_sub_units: bool,
    #[serde(default)]
    pub person: Option<PersonId>,
    #[serde(default)]
    pub criterion: Option<CriterionCode>,
    #[serde(default)]
    pub status: Option<TaskStatus>,
    /// Only tasks overdue on the basis day.
    #[serde(default)]
    pub overdue_only: bool,
    /// Only tasks still open and due within this many days of the basis day.
    #[serde(default)]
    pub due_within_days: Option<u32>,
}

/// One task of a register, with the "5 rõ": who (unit, person), what (title), by when (the due
/// date in force), the result expected (target) and who is responsible (who assigned it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRow {
    pub task: TaskId,
    pub unit: UnitId,
    pub unit_name: String,
    pub person: Option<PersonId>,
    pub title: String,
    pub target: String,
    pub due: Date,
    pub status: TaskStatus,
    pub assigned_on: Date,
    pub assigned_by: Option<PersonId>,
    pub criterion: Option<CriterionCode>,
    /// Days past the due date on the basis day, for an overdue task.
    pub days_overdue: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskList {
    pub unit: UnitId,
    pub year: u16,
    pub basis: Basis,
    /// By due date in force, then task id.
    pub tasks: Vec<TaskRow>,
}

/// The tasks of `unit` (and, when asked, its sub-units) counted in `year`, as the basis sees
/// them, that pass `filter`.
pub fn task_list(
    state: &State,
    unit: &UnitId,
    year: u16,
    basis: Basis,
    filter: &TaskFilter,
) -> Result<TaskList, QueryError> {
    if !state.units.contains_key(unit) {
        return Err(QueryError::UnknownUnit(unit.clone()));
    }
    let mut units = vec![unit.clone()];
    if filter.with_sub_units {
        units.extend(descendants(state, unit));
    }
    let day = basis.day();
    let mut tasks: Vec<TaskRow> = units
        .iter()
        .flat_map(|u| unit_tasks(state, u, year, basis))
        .filter_map(|(task, rec, status)| {
            let due = rec.due_under(basis);
            let days_to_due = (due.0 - day.0).num_days();
            let keep = filter.person.as_ref().is_none_or(|p| rec.person.as_ref() == Some(p))
                && filter.criterion.as_ref().is_none_or(|c| rec.criterion.as_ref() == Some(c))
                && filter.status.is_none_or(|s| s == status)
                && (!filter.overdue_only || status == TaskStatus::Overdue)
                && filter
                    .due_within_days
                    .is_none_or(|n| status == TaskStatus::Open && days_to_due <= i64::from(n));
            let unit = rec.unit_under(basis)?.clone();
            keep.then(|| TaskRow {
                task: task.clone(),
                unit_name: state.units.get(&unit).map(|u| u.name.clone()).unwrap_or_default(),
                unit,
                person: rec.person.clone(),
                title: rec.title.clone(),
                target: rec.target.clone(),
                due,
                status,
                assigned_on: rec.assigned_on,
                assigned_by: rec.assigned_by.clone(),
                criterion: rec.criterion.clone(),
                days_overdue: (status == TaskStatus::Overdue).then_some(-days_to_due),
            })
        })
        .collect();
    tasks.sort_by(|a, b| (a.due, &a.task).cmp(&(b.due, &b.task)));
    Ok(TaskList { unit: unit.clone(), year, basis, tasks })
}

/// Every unit below `unit` (any kind, any depth, by the parents UnitAdded named), in unit id
/// order, without `unit` itself.
pub fn descendants(state: &State, unit: &UnitId) -> BTreeSet<UnitId> {
    tree::below_in(state, unit, Below::Everything).into_iter().collect()
}

impl TaskCounts {
    /// Adds another unit's counts and recomputes the completion rate over the sum (a rate of
    /// sums, never an average of rates).
    pub fn add(&mut self, other: &TaskCounts) {
        self.assigned += other.assigned;
        self.open += other.open;
        self.done_on_time += other.done_on_time;
        self.done_late += other.done_late;
        self.overdue += other.overdue;
        self.cancelled += other.cancelled;
        self.completion_rate_hundredths = completion_rate(self);
    }
}

/// (done on time + done late) ÷ (assigned − cancelled), hundredths of a percent, half up.
pub fn completion_rate(counts: &TaskCounts) -> u64 {
    percent_hundredths(counts.done_on_time + counts.done_late, counts.assigned - counts.cancelled)
}

impl EvidenceCounts {
    pub fn add(&mut self, other: &EvidenceCounts) {
        self.total += other.total;
        self.without_criterion += other.without_criterion;
        for (code, n) in &other.by_criterion {
            *self.by_criterion.entry(code.clone()).or_default() += n;
        }
    }
}

/// The tasks of `unit` assigned in `year` and belonging to it under the basis.
/// The tasks a unit's counts are made of for a year: those filed at the unit under the basis
/// (a task moved away counts where it went), each with its status. What `task_counts` sums and
/// an auditor's `explain tasks` lists.
pub fn unit_tasks<'a>(
    state: &'a State,
    unit: &'a UnitId,
    year: u16,
    basis: Basis,
) -> Vec<(&'a TaskId, &'a TaskRec, TaskStatus)> {
    range3(&state.unit_tasks, unit, year)
        .filter_map(|(_, _, task)| {
            let rec = state.tasks.get(task)?;
            if rec.unit_under(basis) != Some(unit) {
                return None;
            }
            Some((task, rec, rec.status(basis)?))
        })
        .collect()
}

fn task_counts(state: &State, unit: &UnitId, year: u16, basis: Basis) -> TaskCounts {
    let mut counts = TaskCounts::default();
    for (_, _, status) in unit_tasks(state, unit, year, basis) {
        counts.assigned += 1;
        match status {
            TaskStatus::Open => counts.open += 1,
            TaskStatus::DoneOnTime => counts.done_on_time += 1,
            TaskStatus::DoneLate => counts.done_late += 1,
            TaskStatus::Overdue => counts.overdue += 1,
            TaskStatus::Cancelled => counts.cancelled += 1,
        }
    }
    counts.completion_rate_hundredths = completion_rate(&counts);
    counts
}

pub(crate) fn range3<'a, C: Ord + Clone>(
    set: &'a BTreeSet<(UnitId, u16, C)>,
    unit: &'a UnitId,
    year: u16,
) -> impl Iterator<Item = &'a (UnitId, u16, C)> + 'a {
    set.iter()
        .skip_while(move |(u, y, _)| (u, *y) < (unit, year))
        .take_while(move |(u, y, _)| u == unit && *y == year)
}

fn evidence_counts(state: &State, unit: &UnitId, year: u16, basis: Basis) -> EvidenceCounts {
    let mut counts = EvidenceCounts::default();
    for (_, _, id) in range3(&state.unit_evidence, unit, year) {
        let Some(rec) = state.evidence.get(id) else { continue };
        let rejected = rec.rejected_on.is_some_and(|on| basis.sees(on));
        if !basis.sees(rec.attached_on) || rejected || &rec.unit != unit {
            continue;
        }
        counts.total += 1;
        match &rec.criterion {
            Some(code) => *counts.by_criterion.entry(code.clone()).or_default() += 1,
            None => counts.without_criterion += 1,
        }
    }
    counts
}

/// The value in force of one score key (docs/views.md "Scores").
pub fn value_in_force(rec: &ScoreRec, basis: Basis) -> Option<Points> {
    change_in_force(rec, basis).map(|c| c.value.new)
}

/// The change that sets the value in force, with its business date and stream sequence: what
/// an auditor's `explain` lists behind a total.
pub fn change_in_force(rec: &ScoreRec, basis: Basis) -> Option<&Dated<crate::model::ScoreChange>> {
    match basis {
        Basis::Live { .. } => rec.changes.last(),
        Basis::AsTrueAt { .. } => latest_by_date(&rec.changes, |on| basis.sees(on)),
    }
}

/// Values in force of a unit's criteria in a year and stage.
fn stage_values(
    state: &State,
    unit: &UnitId,
    year: u16,
    stage: Stage,
    basis: Basis,
) -> BTreeMap<CriterionCode, Points> {
    state
        .scores
        .iter()
        .filter(|((u, y, _, s), _)| u == unit && *y == year && *s == stage)
        .filter_map(|((_, _, code, _), rec)| Some((code.clone(), value_in_force(rec, basis)?)))
        .collect()
}

/// A unit's total in a stage: `None` when no criterion has a value.
pub fn stage_total(
    state: &State,
    unit: &UnitId,
    year: u16,
    stage: Stage,
    basis: Basis,
) -> Option<u64> {
    let values = stage_values(state, unit, year, stage, basis);
    (!values.is_empty()).then(|| values.values().map(|p| u64::from(p.hundredths())).sum())
}

fn scores(state: &State, unit: &UnitId, kind: UnitKind, year: u16, basis: Basis) -> Scores {
    let framework = state.frameworks.get(&(year, kind));
    let criteria = framework.map_or(&[][..], |f| &f.criteria[..]);
    let max_total: u64 = criteria.iter().map(|c| u64::from(c.max_points.hundredths())).sum();
    let stages = Stage::ALL
        .iter()
        .map(|&stage| {
            let values = stage_values(state, unit, year, stage, basis);
            let mut rows: Vec<CriterionScore> = criteria
                .iter()
                .map(|c| CriterionScore {
                    code: c.code.clone(),
                    component: Some(c.component),
                    max_hundredths: Some(c.max_points.hundredths()),
                    value_hundredths: values.get(&c.code).map(|p| p.hundredths()),
                })
                .collect();
            // Scored criteria the framework does not list still count, and show as such.
            for (code, value) in &values {
                if !criteria.iter().any(|c| &c.code == code) {
                    rows.push(CriterionScore {
                        code: code.clone(),
                        component: None,
                        max_hundredths: None,
                        value_hundredths: Some(value.hundredths()),
                    });
                }
            }
            let total = (!values.is_empty())
                .then(|| values.values().map(|p| u64::from(p.hundredths())).sum::<u64>());
            StageScores {
                stage,
                missing: values.is_empty(),
                total_hundredths: total,
                index_hundredths: total
                    .filter(|_| max_total > 0)
                    .map(|t| percent_hundredths(t, max_total)),
                components: component_scores(&rows),
                criteria: rows,
            }
        })
        .collect();
    Scores {
        framework: framework.map(|f| f.source.clone()),
        max_total_hundredths: max_total,
        stages,
    }
}

fn component_scores(rows: &[CriterionScore]) -> Vec<ComponentScore> {
    Component::ALL
        .iter()
        .filter_map(|&component| {
            let mine: Vec<&CriterionScore> =
                rows.iter().filter(|r| r.component == Some(component)).collect();
            if mine.is_empty() {
                return None;
            }
            let values: Vec<u64> =
                mine.iter().filter_map(|r| r.value_hundredths.map(u64::from)).collect();
            Some(ComponentScore {
                component,
                max_hundredths: mine.iter().filter_map(|r| r.max_hundredths.map(u64::from)).sum(),
                value_hundredths: (!values.is_empty()).then(|| values.iter().sum()),
            })
        })
        .collect()
}

// ----- ranking -------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankEntry {
    pub unit: UnitId,
    pub name: String,
    /// `None`: no final score this year; the unit is listed after the ranked ones.
    pub final_total_hundredths: Option<u64>,
    pub index_hundredths: Option<u64>,
    pub rank: Option<u32>,
    pub previous_rank: Option<u32>,
    /// previous rank − this rank (positive: moved up); `None` when unranked either year.
    pub rank_change: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranking {
    pub parent: UnitId,
    pub kind: UnitKind,
    pub year: u16,
    pub basis: Basis,
    /// How many units the peer group has (the "18" of "9/18").
    pub group_size: u32,
    pub entries: Vec<RankEntry>,
}

/// Ranks by total, highest first: equal totals share the best rank and the next rank skips.
/// Returns each ranked unit's rank; units without a total are absent.
pub fn competition_ranks(totals: &BTreeMap<UnitId, Option<u64>>) -> BTreeMap<UnitId, u32> {
    let scored: Vec<(&UnitId, u64)> =
        totals.iter().filter_map(|(u, t)| t.map(|t| (u, t))).collect();
    scored
        .iter()
        .map(|(unit, total)| {
            let above = scored.iter().filter(|(_, other)| other > total).count();
            ((*unit).clone(), u32::try_from(above + 1).unwrap_or(u32::MAX))
        })
        .collect()
}

/// A member of a peer group with the totals it is ranked by: what a province's owner sends
/// for the national ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    pub unit: UnitId,
    pub name: String,
    /// The final total of the year, and of the year before.
    pub total_hundredths: Option<u64>,
    pub previous_total_hundredths: Option<u64>,
}

/// The peers' totals for `year` and the year before, as the basis sees them.
pub fn peers(state: &State, units: &[UnitId], year: u16, basis: Basis) -> Vec<Peer> {
    units
        .iter()
        .map(|u| Peer {
            unit: u.clone(),
            name: state.units.get(u).map(|r| r.name.clone()).unwrap_or_default(),
            total_hundredths: stage_total(state, u, year, Stage::Final, basis),
            previous_total_hundredths: year
                .checked_sub(1)
                .and_then(|y| stage_total(state, u, y, Stage::Final, basis)),
        })
        .collect()
}

/// The highest total a framework allows; 0 when none is published.
pub fn max_total(state: &State, year: u16, kind: UnitKind) -> u64 {
    state
        .frameworks
        .get(&(year, kind))
        .map_or(0, |f| f.criteria.iter().map(|c| u64::from(c.max_points.hundredths())).sum::<u64>())
}

/// Ranks a peer group: ranked units first by rank (then id), the unranked after them by id.
pub fn rank(peers: &[Peer], max_total: u64) -> Vec<RankEntry> {
    let totals = |of: fn(&Peer) -> Option<u64>| -> BTreeMap<UnitId, Option<u64>> {
        peers.iter().map(|p| (p.unit.clone(), of(p))).collect()
    };
    let ranks = competition_ranks(&totals(|p| p.total_hundredths));
    let previous = competition_ranks(&totals(|p| p.previous_total_hundredths));
    let mut entries: Vec<RankEntry> = peers
        .iter()
        .map(|p| {
            let total = p.total_hundredths;
            let rank = ranks.get(&p.unit).copied();
            let previous_rank = previous.get(&p.unit).copied();
            RankEntry {
                unit: p.unit.clone(),
                name: p.name.clone(),
                final_total_hundredths: total,
                index_hundredths: total
                    .filter(|_| max_total > 0)
                    .map(|t| percent_hundredths(t, max_total)),
                rank,
                previous_rank,
                rank_change: rank
                    .zip(previous_rank)
                    .map(|(now, before)| i64::from(before) - i64::from(now)),
            }
        })
        .collect();
    entries.sort_by(|a, b| {
        (a.rank.is_none(), a.rank, &a.unit).cmp(&(b.rank.is_none(), b.rank, &b.unit))
    });
    entries
}

/// The peer group of `parent` and `kind` ranked for `year` by final total.
pub fn ranking(
    state: &State,
    parent: &UnitId,
    kind: UnitKind,
    year: u16,
    basis: Basis,
) -> Result<Ranking, QueryError> {
    if !state.units.contains_key(parent) {
        return Err(QueryError::UnknownUnit(parent.clone()));
    }
    let group: Vec<UnitId> = state
        .children
        .iter()
        .filter(|(p, _)| p == parent)
        .map(|(_, c)| c)
        .filter(|c| state.units.get(*c).is_some_and(|u| u.kind == kind))
        .cloned()
        .collect();
    Ok(Ranking {
        parent: parent.clone(),
        kind,
        year,
        basis,
        group_size: u32::try_from(group.len()).unwrap_or(u32::MAX),
        entries: rank(&peers(state, &group, year, basis), max_total(state, year, kind)),
    })
}

/// Every unit of one kind in the country ranked for a year: the provinces for the national
/// PAR index, or, say, every department of home affairs. Merged from each province's peers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NationalRanking {
    pub kind: UnitKind,
    pub year: u16,
    pub basis: Basis,
    /// How many provinces the ranking covers.
    pub provinces: u32,
    pub group_size: u32,
    pub entries: Vec<RankEntry>,
}

/// The national ranking from a state that holds the whole country (a replayed prefix of the
/// log): what the merge of every province's peers gives.
pub fn national_in(state: &State, kind: UnitKind, year: u16, basis: Basis) -> NationalRanking {
    let provinces = state.units.values().filter(|u| u.parent.is_none()).count();
    let units: Vec<UnitId> =
        state.units.iter().filter(|(_, u)| u.kind == kind).map(|(id, _)| id.clone()).collect();
    let peers = peers(state, &units, year, basis);
    national_ranking(kind, year, basis, provinces, peers, max_total(state, year, kind))
}

/// Ranks the peers gathered from every province. Their order does not matter.
pub fn national_ranking(
    kind: UnitKind,
    year: u16,
    basis: Basis,
    provinces: usize,
    mut peers: Vec<Peer>,
    max_total: u64,
) -> NationalRanking {
    peers.sort_by(|a, b| a.unit.cmp(&b.unit));
    peers.dedup_by(|a, b| a.unit == b.unit);
    NationalRanking {
        kind,
        year,
        basis,
        provinces: u32::try_from(provinces).unwrap_or(u32::MAX),
        group_size: u32::try_from(peers.len()).unwrap_or(u32::MAX),
        entries: rank(&peers, max_total),
    }
}

// ----- leader timeline -----------------------------------------------------------------------

/// One fact on a leader's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "kebab-case")]
pub enum Fact {
    TaskAssigned {
        task: TaskId,
        title: String,
        due: Date,
    },
    TaskCompletedOnTime {
        task: TaskId,
        title: String,
        due: Date,
    },
    TaskCompletedLate {
        task: TaskId,
        title: String,
        due: Date,
    },
    /// Derived: the day after the due date then in force, not completed by then.
    TaskWentOverdue {
        task: TaskId,
        title: String,
        due: Date,
    },
    TaskCancelled {
        task: TaskId,
        title: String,
    },
    ScoreChanged {
        year: u16,
        criterion: CriterionCode,
        stage: Stage,
        old_hundredths: Option<u32>,
        new_hundredths: u32,
    },
    FindingRecorded {
        finding: FindingId,
        inspection_document: String,
        text: String,
        remediation_task: TaskId,
        remediation_due: Date,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// The business date the fact is attributed by.
    pub on: Date,
    /// The sub-unit the fact is about, when it is not the tenure's own unit.
    pub sub_unit: Option<UnitId>,
    #[serde(flatten)]
    pub fact: Fact,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenureTimeline {
    pub tenure: TenureId,
    pub unit: UnitId,
    pub unit_name: String,
    pub role: Role,
    pub from: Date,
    /// The first day out of office, when it is on or before the basis day.
    pub to: Option<Date>,
    pub entries: Vec<TimelineEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    pub person: PersonId,
    pub name: String,
    pub title: String,
    pub basis: Basis,
    pub tenures: Vec<TenureTimeline>,
}

/// A person's tenures, each with what happened to the unit (and its divisions) while they held
/// it, in business-time order.
pub fn timeline(state: &State, person: &PersonId, basis: Basis) -> Result<Timeline, QueryError> {
    let who = state.people.get(person).ok_or_else(|| QueryError::UnknownPerson(person.clone()))?;
    let mut tenures: Vec<TenureTimeline> = state
        .person_tenures
        .iter()
        .filter(|(p, _)| p == person)
        .filter_map(|(_, id)| Some((id, state.tenures.get(id)?)))
        .filter(|(_, t)| basis.sees(t.from))
        .map(|(id, t)| tenure_timeline(state, id, t, basis))
        .collect();
    tenures.sort_by(|a, b| (a.from, &a.tenure).cmp(&(b.from, &b.tenure)));
    Ok(Timeline {
        person: person.clone(),
        name: who.name.clone(),
        title: who.title.clone(),
        basis,
        tenures,
    })
}

/// The unit and its divisions (and theirs), nearest first.
pub fn unit_and_divisions(state: &State, unit: &UnitId) -> Vec<UnitId> {
    let mut out = vec![unit.clone()];
    out.extend(tree::below_in(state, unit, Below::Divisions));
    out
}

type SortKey = (Date, u64, String);

fn tenure_timeline(
    state: &State,
    id: &TenureId,
    tenure: &TenureRec,
    basis: Basis,
) -> TenureTimeline {
    let units = unit_and_divisions(state, &tenure.unit);
    let mut entries: Vec<(SortKey, TimelineEntry)> = Vec::new();
    let in_window = |on: Date| basis.sees(on) && on <= basis.day() && tenure.covers(on);
    let mark = |unit: &UnitId| (unit != &tenure.unit).then(|| unit.clone());
    let tasks: BTreeSet<&TaskId> =
        state.unit_tasks.iter().filter(|(u, _, _)| units.contains(u)).map(|(_, _, t)| t).collect();
    for task in tasks {
        let Some(rec) = state.tasks.get(task) else { continue };
        for (on, seq, fact) in task_facts(task, rec, basis) {
            let Some(owner) = rec.unit_on(on).filter(|o| units.contains(o)) else { continue };
            if in_window(on) {
                let key = (on, seq, task.to_string());
                entries.push((key, TimelineEntry { on, sub_unit: mark(owner), fact }));
            }
        }
    }
    for unit in &units {
        score_facts(state, unit, basis, &mut |on, seq, fact| {
            if in_window(on) {
                entries.push((
                    (on, seq, String::new()),
                    TimelineEntry { on, sub_unit: mark(unit), fact },
                ));
            }
        });
        for (_, finding) in state.unit_findings.iter().filter(|(u, _)| u == unit) {
            let Some(f) = state.findings.get(finding) else { continue };
            if in_window(f.recorded_on) {
                let fact = Fact::FindingRecorded {
                    finding: finding.clone(),
                    inspection_document: f.inspection_document.clone(),
                    text: f.text.clone(),
                    remediation_task: f.remediation_task.clone(),
                    remediation_due: f.remediation_due,
                };
                let key = (f.recorded_on, f.seq, finding.to_string());
                entries
                    .push((key, TimelineEntry { on: f.recorded_on, sub_unit: mark(unit), fact }));
            }
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let unit_name = state.units.get(&tenure.unit).map(|u| u.name.clone()).unwrap_or_default();
    TenureTimeline {
        tenure: id.clone(),
        unit: tenure.unit.clone(),
        unit_name,
        role: tenure.role,
        from: tenure.from,
        to: tenure.to.filter(|to| *to <= basis.day()),
        entries: entries.into_iter().map(|(_, e)| e).collect(),
    }
}

/// A task's dated facts under a basis, each with the stream sequence that orders it within its
/// day (a derived "went overdue" happens at the start of its day: sequence 0).
fn task_facts(task: &TaskId, rec: &TaskRec, basis: Basis) -> Vec<(Date, u64, Fact)> {
    let mut out = Vec::new();
    if !basis.sees(rec.assigned_on) {
        return out;
    }
    let title = rec.title.clone();
    let task = task.clone();
    if rec.finding.is_none() {
        // A remediation task's assignment is the finding itself, shown once as the finding.
        let fact = Fact::TaskAssigned { task: task.clone(), title: title.clone(), due: rec.due };
        out.push((rec.assigned_on, rec.assigned_seq, fact));
    }
    for on in rec.went_overdue(basis) {
        // The due date that was passed: the one in force the day before.
        let due = on.0.pred_opt().map_or(rec.due, |d| rec.due_on(Date(d)));
        out.push((on, 0, Fact::TaskWentOverdue { task: task.clone(), title: title.clone(), due }));
    }
    match (rec.status(basis), &rec.completed, &rec.cancelled) {
        (Some(TaskStatus::Cancelled), _, Some(c)) => {
            out.push((c.on, c.seq, Fact::TaskCancelled { task, title }));
        }
        (Some(TaskStatus::DoneOnTime), Some(c), _) => {
            let due = rec.due_on(c.on);
            out.push((c.on, c.seq, Fact::TaskCompletedOnTime { task, title, due }));
        }
        (Some(TaskStatus::DoneLate), Some(c), _) => {
            let due = rec.due_on(c.on);
            out.push((c.on, c.seq, Fact::TaskCompletedLate { task, title, due }));
        }
        _ => {}
    }
    out
}

fn score_facts(state: &State, unit: &UnitId, basis: Basis, push: &mut impl FnMut(Date, u64, Fact)) {
    for ((u, year, code, stage), rec) in &state.scores {
        if u != unit {
            continue;
        }
        for change in rec.changes.iter().filter(|c| basis.sees(c.on)) {
            let fact = Fact::ScoreChanged {
                year: *year,
                criterion: code.clone(),
                stage: *stage,
                old_hundredths: change.value.old.map(Points::hundredths),
                new_hundredths: change.value.new.hundredths(),
            };
            push(change.on, change.seq, fact);
        }
    }
}
