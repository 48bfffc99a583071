//! A unit's progress for a year: its tasks and evidence counted, its own and its sub-units'
//! (docs/views.md "Unit progress").

use super::*;

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
    /// Every year in which the unit or a unit below it has a task, a document or a score,
    /// ascending: the years a page offers. The store's answer fills it; the pure view cannot,
    /// holding only the asked year.
    #[serde(default)]
    pub years_with_data: Vec<u16>,
}

/// The years in which `unit` or a unit below it has a task, a document or a score change,
/// ascending: what the store's answer puts in [`UnitProgress::years_with_data`] (read there
/// with a seek per unit and year), from a state that holds every year. A unit that was ever
/// below it counts, since a year before it moved away may show it.
pub fn years_with_data(state: &State, unit: &UnitId) -> Vec<u16> {
    let mut units: BTreeSet<UnitId> =
        tree::ever_below(state, unit, Below::Everything).into_iter().collect();
    units.insert(unit.clone());
    let tasks = state.unit_tasks.iter().filter(|(u, ..)| units.contains(u)).map(|(_, y, _)| *y);
    let documents =
        state.unit_evidence.iter().filter(|(u, ..)| units.contains(u)).map(|(_, y, _)| *y);
    let scores = state.scores.keys().filter(|(u, ..)| units.contains(u)).map(|(_, y, ..)| *y);
    let years: BTreeSet<u16> = tasks.chain(documents).chain(scores).collect();
    years.into_iter().collect()
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
    let day = basis.structure_day(year);
    let own_tasks = task_counts(state, unit, year, basis);
    let own_evidence = evidence_counts(state, unit, year, basis);
    let mut tasks = own_tasks.clone();
    let mut evidence = own_evidence.clone();
    let mut sub_units = Vec::new();
    for sub in descendants(state, unit, day) {
        let sub_tasks = task_counts(state, &sub, year, basis);
        let sub_evidence = evidence_counts(state, &sub, year, basis);
        if sub_tasks.assigned == 0 && sub_evidence.total == 0 {
            continue;
        }
        tasks.add(&sub_tasks);
        evidence.add(&sub_evidence);
        let sub_rec = state.units.get(&sub);
        sub_units.push(SubUnitCounts {
            name: sub_rec.map(|r| r.name_on(day).to_owned()).unwrap_or_default(),
            kind: sub_rec.map_or(UnitKind::Division, |r| r.kind),
            parent: sub_rec.and_then(|r| r.parent_on(day).cloned()),
            unit: sub,
            tasks: sub_tasks,
            evidence: sub_evidence,
        });
    }
    Ok(UnitProgress {
        unit: unit.clone(),
        name: rec.name_on(day).to_owned(),
        kind: rec.kind,
        year,
        basis,
        tasks,
        evidence,
        own_tasks,
        own_evidence,
        sub_units,
        scores: scores(state, unit, rec.kind, year, basis),
        years_with_data: Vec::new(),
    })
}

/// Every unit below `unit` on `day` (any kind, any depth, by the parents the directory's unit
/// events named), in unit id order, without `unit` itself.
pub fn descendants(state: &State, unit: &UnitId, day: Date) -> BTreeSet<UnitId> {
    tree::below_in(state, unit, Below::Everything, day).into_iter().collect()
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
