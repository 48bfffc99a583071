//! Where a task stands under a basis, and the task register (docs/views.md "Tasks", "The task
//! register").

use super::*;

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
    /// The person's name and title, for people to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_name: Option<PersonName>,
    pub title: String,
    pub target: String,
    pub due: Date,
    pub status: TaskStatus,
    pub assigned_on: Date,
    pub assigned_by: Option<PersonId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_by_name: Option<PersonName>,
    pub criterion: Option<CriterionCode>,
    /// Days past the due date on the basis day, for an overdue task.
    pub days_overdue: Option<i64>,
}

/// A person as people read them: their name, and the title the directory records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName {
    pub name: String,
    pub title: String,
}

/// The person's name and the title they bore on `day`, when the state holds their record.
pub fn person_name(state: &State, person: &PersonId, day: Date) -> Option<PersonName> {
    let p = state.people.get(person)?;
    Some(PersonName { name: p.name.clone(), title: p.title_on(day).to_owned() })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskList {
    pub unit: UnitId,
    #[serde(default)]
    pub unit_name: String,
    pub year: u16,
    pub basis: Basis,
    /// By due date in force, then task id.
    pub tasks: Vec<TaskRow>,
}

/// The tasks of `unit` (and, when asked, its sub-units) counted in `year`, as the basis sees
/// them, that pass `filter`.
/// A task's line of a register, under `basis`: `None` when the basis does not see it.
fn row(
    state: &State,
    task: &TaskId,
    rec: &TaskRec,
    status: TaskStatus,
    basis: Basis,
) -> Option<TaskRow> {
    let day = basis.day();
    let due = rec.due_under(basis);
    let unit = rec.unit_under(basis)?.clone();
    Some(TaskRow {
        task: task.clone(),
        unit_name: state.units.get(&unit).map(|u| u.name.clone()).unwrap_or_default(),
        unit,
        person: rec.person.clone(),
        person_name: rec.person.as_ref().and_then(|p| person_name(state, p, day)),
        title: rec.title.clone(),
        target: rec.target.clone(),
        due,
        status,
        assigned_on: rec.assigned_on,
        assigned_by: rec.assigned_by.clone(),
        // The title they bore when they assigned it.
        assigned_by_name: rec
            .assigned_by
            .as_ref()
            .and_then(|p| person_name(state, p, rec.assigned_on)),
        criterion: rec.criterion.clone(),
        days_overdue: (status == TaskStatus::Overdue).then_some(-(due.0 - day.0).num_days()),
    })
}

/// A plan (kế hoạch) and the tasks assigned under it, wherever each is now, as a register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRegister {
    pub plan: PlanId,
    /// The unit that issued it.
    pub unit: UnitId,
    pub unit_name: String,
    pub year: u16,
    pub document_number: String,
    pub title: String,
    pub basis: Basis,
    /// By due date in force, then task id; a task the basis does not see yet is left out.
    pub tasks: Vec<TaskRow>,
}

/// The register of `plan` under `basis`.
pub fn plan_register(
    state: &State,
    plan: &PlanId,
    basis: Basis,
) -> Result<PlanRegister, QueryError> {
    let rec = state.plans.get(plan).ok_or_else(|| QueryError::UnknownPlan(plan.clone()))?;
    let mut tasks: Vec<TaskRow> = state
        .plan_tasks
        .iter()
        .filter(|(p, _)| p == plan)
        .filter_map(|(_, task)| {
            let rec = state.tasks.get(task)?;
            row(state, task, rec, rec.status(basis)?, basis)
        })
        .collect();
    tasks.sort_by(|a, b| (a.due, &a.task).cmp(&(b.due, &b.task)));
    Ok(PlanRegister {
        plan: plan.clone(),
        unit_name: state.units.get(&rec.unit).map(|u| u.name.clone()).unwrap_or_default(),
        unit: rec.unit.clone(),
        year: rec.year,
        document_number: rec.document_number.clone(),
        title: rec.title.clone(),
        basis,
        tasks,
    })
}

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
        units.extend(descendants(state, unit, basis.structure_day(year)));
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
            keep.then(|| row(state, task, rec, status, basis)).flatten()
        })
        .collect();
    tasks.sort_by(|a, b| (a.due, &a.task).cmp(&(b.due, &b.task)));
    let unit_name = state.units.get(unit).map(|u| u.name.clone()).unwrap_or_default();
    Ok(TaskList { unit: unit.clone(), unit_name, year, basis, tasks })
}
