//! Deciding task commands: a pure function of the state applied from the log, the command and
//! the context (who acts, on which business date). No I/O, no clock.
//!
//! Who may record each event is the access table's ([`reform_shared::access`]), which the
//! runtime checks after deciding, against the event's real unit, and `audit verify` checks again.
//! The rules here add what the table cannot see, and name the unit and the action in a refusal:
//! - every command comes from a registered person;
//! - plans are issued, and tasks assigned, reassigned, re-dated and cancelled, only by a
//!   leader (head or reform deputy) in office at the task's unit or at a unit above it on the
//!   command's business date ([`Directory::leads_on`]); a reassignment needs that for both
//!   the old and the new unit. The request's actor is the assigning leader recorded in
//!   `assigned_by`, so the fifth "rõ" (clear responsibility) is always a real leader;
//! - completion by the assigned person or a leader of the unit (and, by the table, staff of the
//!   unit or a leader); progress by the table alone (the unit's staff or a leader);
//! - an inspection finding, by the table, by a leader of the unit or an appraiser of it; it
//!   must cite its document;
//! - a task is "5 rõ": unit, title, target and due date present and non-empty;
//! - nothing is due, or happens to a task, before the task was assigned; a completed or
//!   cancelled task takes no further command.

use reform_shared::directory::Directory;
use reform_shared::event::Event;
use reform_shared::ids::{FindingId, PersonId, PlanId, TaskId, UnitId};
use reform_shared::time::Date;
use std::collections::{BTreeMap, BTreeSet};

/// The longest free text (title, target, note, reason, finding) we accept, in bytes.
pub const TEXT_BYTES_MAX: usize = 4 * 1024;
/// How far a plan's year may be from the business date's year: plans are issued in December
/// for the next year, or early in the year itself; anything further is a typo.
pub const PLAN_YEAR_SPREAD_MAX: i32 = 1;
/// The highest progress figure.
pub const PERCENT_MAX: u16 = 100;

/// Why the tasks service refuses a command. Each message names the task, unit or person it
/// is about, in words a department head can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, strum::VariantNames)]
#[serde(tag = "code", rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Refusal {
    #[error("{actor} is not a registered person; ask the directory's keeper to register them")]
    NotRegistered { actor: PersonId },
    #[error(
        "{actor} is not a head or reform deputy in office on {on} at {unit_name} ({unit}) or \
         at any unit above it, so may not {}",
        action.english(subject)
    )]
    NotALeader {
        actor: PersonId,
        unit: UnitId,
        unit_name: String,
        on: Date,
        action: Act,
        subject: String,
    },
    #[error(
        "{actor} may not complete task {task}: only its assigned person or a leader in office \
         at {unit} or above it may"
    )]
    MayNotComplete { actor: PersonId, task: TaskId, unit: UnitId },
    #[error("there is no unit {unit}")]
    UnknownUnit { unit: UnitId },
    #[error(
        "unit {unit} ended on {on} (its successor is {successor}); give the work to the successor"
    )]
    UnitEnded { unit: UnitId, on: Date, successor: UnitId },
    #[error("there is no registered person {person}")]
    UnknownPerson { person: PersonId },
    #[error("there is no task {task}")]
    UnknownTask { task: TaskId },
    #[error("there is no plan {plan}")]
    UnknownPlan { plan: PlanId },
    #[error("task {task} already exists (at unit {unit}); choose another task id")]
    TaskExists { task: TaskId, unit: UnitId },
    #[error("plan {plan} already exists (at unit {unit}); choose another plan id")]
    PlanExists { plan: PlanId, unit: UnitId },
    #[error("finding {finding} is already recorded (it opened task {task})")]
    FindingExists { finding: FindingId, task: TaskId },
    #[error("plan {plan} belongs to {plan_unit}, which is neither {unit} nor a unit above it")]
    PlanNotAbove { plan: PlanId, plan_unit: UnitId, unit: UnitId },
    #[error("plan {plan} cannot be for {year}: a plan issued on {on} is for the year before, the same year or the next")]
    PlanYear { plan: PlanId, year: u16, on: Date },
    #[error(
        "task {task} is not \"5 rõ\": it has no {missing}; every task needs a responsible \
         unit and person, a title, a target (expected result), a due date and an assigning \
         leader"
    )]
    NotFiveClear { task: TaskId, missing: &'static str },
    #[error("{what} of {id} is empty; {why}")]
    EmptyText { what: &'static str, id: String, why: &'static str },
    #[error("{what} of {id} is {bytes} bytes long, over the {TEXT_BYTES_MAX} allowed")]
    TooLong { what: &'static str, id: String, bytes: usize },
    #[error("task {task} cannot be due on {due}, before it was assigned on {assigned_on}")]
    DueBeforeAssignment { task: TaskId, due: Date, assigned_on: Date },
    #[error(
        "task {task} was assigned on {assigned_on}; nothing can happen to it on {on}, before that"
    )]
    BeforeAssignment { task: TaskId, on: Date, assigned_on: Date },
    #[error("task {task} was already {state}{}; it cannot {action}", since.map_or_else(String::new, |d| format!(" on {d}")))]
    Closed { task: TaskId, state: &'static str, since: Option<Date>, action: &'static str },
    #[error("task {task} is already due on {due}")]
    SameDeadline { task: TaskId, due: Date },
    #[error("progress of task {task} must be between 0 and {PERCENT_MAX} percent, not {percent}")]
    Percent { task: TaskId, percent: u16 },
    #[error(
        "task {task} is already with {unit}{}; a reassignment must change the unit or the person",
        person.as_ref().map_or_else(String::new, |p| format!(" and {p}"))
    )]
    NothingChanges { task: TaskId, unit: UnitId, person: Option<PersonId> },
}

/// The day the "5 rõ" came to need a named person and an expected result on every task
/// (rõ người, rõ kết quả), remediation tasks included: a task assigned on this business date
/// or later names who carries it out. One assigned earlier is decided by the rules of its day,
/// by the service and by `audit verify` alike, as the access table judges a right on the
/// business date: history is recorded after the fact as it stood (a 2020 inspection's
/// findings named no person), and a log kept before the rule still verifies. Backdating is
/// visible: every event keeps the moment it was recorded beside its business date.
pub const PERSON_REQUIRED_FROM: Date = Date::known(2026, 12, 6);

/// What only a leader may do to a unit's plans and tasks ([`Refusal::NotALeader`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Act {
    AssignTask,
    CancelTask,
    ReassignTask,
    ReceiveTask,
    IssuePlan,
    ChangeDeadline,
}

impl Act {
    /// The act in English, completing "may not …"; `subject` is the task or plan.
    fn english(self, subject: &str) -> String {
        match self {
            Act::AssignTask => format!("assign task {subject} to it"),
            Act::CancelTask => format!("cancel task {subject}"),
            Act::ReassignTask => format!("reassign task {subject}"),
            Act::ReceiveTask => format!("give task {subject} to it"),
            Act::IssuePlan => format!("issue plan {subject} for it"),
            Act::ChangeDeadline => format!("change the deadline of task {subject}"),
        }
    }
}

/// A plan as far as deciding needs it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlanState {
    pub unit: UnitId,
    pub year: u16,
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Status {
    Open,
    /// With the completion's business date (`None` only for a damaged timestamp).
    Completed {
        on: Option<Date>,
    },
    Cancelled {
        on: Option<Date>,
    },
}

/// A task as far as deciding needs it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TaskState {
    pub unit: UnitId,
    pub person: Option<PersonId>,
    /// The assignment's business date (`None` only for a damaged timestamp).
    pub assigned_on: Option<Date>,
    pub due: Date,
    pub percent: u8,
    pub status: Status,
}

/// The tasks service's state: the directory, plans, tasks and findings, applied from the log.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct State {
    pub directory: Directory,
    pub plans: BTreeMap<PlanId, PlanState>,
    pub tasks: BTreeMap<TaskId, TaskState>,
    /// Each finding and the remediation task it opened.
    pub findings: BTreeMap<FindingId, TaskId>,
    /// Every open task, by its unit: what a unit that ends hands to its successor.
    pub open_at: BTreeMap<UnitId, BTreeSet<TaskId>>,
}

/// Takes `task` off `unit`'s open tasks; whether it was there.
fn remove_open(
    open_at: &mut BTreeMap<UnitId, BTreeSet<TaskId>>,
    unit: &UnitId,
    task: &TaskId,
) -> bool {
    let Some(tasks) = open_at.get_mut(unit) else { return false };
    let removed = tasks.remove(task);
    if tasks.is_empty() {
        open_at.remove(unit);
    }
    removed
}

impl State {
    /// Applies an event dated `on` (its business date). Cannot fail: a missing task means the
    /// event is not ours to track (or the log is damaged, which the auditor reports).
    pub fn apply_event(&mut self, event: &Event, on: Option<Date>) {
        self.directory.apply(event);
        match event {
            Event::PlanIssued { plan, unit, year, .. } => {
                self.plans.insert(plan.clone(), PlanState { unit: unit.clone(), year: *year });
            }
            Event::TaskAssigned { task, unit, person, due, .. } => {
                self.open(task, unit, person.clone(), on, *due);
            }
            Event::FindingRecorded { finding, unit, remediation_task, remediation_due, .. } => {
                self.findings.insert(finding.clone(), remediation_task.clone());
                self.open(remediation_task, unit, None, on, *remediation_due);
            }
            Event::FindingRecordedV2 {
                finding,
                unit,
                remediation_task,
                remediation_due,
                person,
                ..
            } => {
                self.findings.insert(finding.clone(), remediation_task.clone());
                self.open(remediation_task, unit, Some(person.clone()), on, *remediation_due);
            }
            Event::TaskReassigned { task, unit, person, .. } => {
                if let Some(t) = self.tasks.get_mut(task) {
                    if remove_open(&mut self.open_at, &t.unit, task) {
                        self.open_at.entry(unit.clone()).or_default().insert(task.clone());
                    }
                    t.unit = unit.clone();
                    t.person = person.clone();
                }
            }
            Event::UnitEnded { unit, successor, .. } => self.carry(unit, successor),
            Event::DeadlineChanged { task, new_due, .. } => {
                if let Some(t) = self.tasks.get_mut(task) {
                    t.due = *new_due;
                }
            }
            Event::ProgressReported { task, percent, .. } => {
                if let Some(t) = self.tasks.get_mut(task) {
                    t.percent = *percent;
                }
            }
            Event::TaskCompleted { task, .. } => self.close(task, Status::Completed { on }),
            Event::TaskCancelled { task, .. } => self.close(task, Status::Cancelled { on }),
            _ => {}
        }
    }

    fn open(
        &mut self,
        task: &TaskId,
        unit: &UnitId,
        person: Option<PersonId>,
        on: Option<Date>,
        due: Date,
    ) {
        let state = TaskState {
            unit: unit.clone(),
            person,
            assigned_on: on,
            due,
            percent: 0,
            status: Status::Open,
        };
        self.tasks.insert(task.clone(), state);
        self.open_at.entry(unit.clone()).or_default().insert(task.clone());
    }

    fn close(&mut self, task: &TaskId, status: Status) {
        if let Some(t) = self.tasks.get_mut(task) {
            t.status = status;
            remove_open(&mut self.open_at, &t.unit, task);
        }
    }

    /// A unit ended: its open tasks are its successor's from now on, so their commands are
    /// judged by the successor's leaders.
    fn carry(&mut self, unit: &UnitId, successor: &UnitId) {
        let Some(carried) = self.open_at.remove(unit) else { return };
        for task in &carried {
            if let Some(t) = self.tasks.get_mut(task) {
                t.unit = successor.clone();
            }
        }
        self.open_at.entry(successor.clone()).or_default().extend(carried);
    }

    /// The task, provided it exists, was assigned by `on` and is neither completed nor
    /// cancelled. `action` completes "it cannot …".
    pub(crate) fn open_task(
        &self,
        task: &TaskId,
        on: Date,
        action: &'static str,
    ) -> Result<&TaskState, Refusal> {
        let Some(t) = self.tasks.get(task) else {
            return Err(Refusal::UnknownTask { task: task.clone() });
        };
        if let Some(assigned_on) = t.assigned_on.filter(|a| on < *a) {
            return Err(Refusal::BeforeAssignment { task: task.clone(), on, assigned_on });
        }
        let closed = |state, day: Option<Date>| Refusal::Closed {
            task: task.clone(),
            state,
            since: day,
            action,
        };
        match t.status {
            Status::Open => Ok(t),
            Status::Completed { on } => Err(closed("completed", on)),
            Status::Cancelled { on } => Err(closed("cancelled", on)),
        }
    }

    /// `unit` exists on `on`: a unit that ended (merged, split, dissolved) takes no new work
    /// from its last day on, so nothing lands where nobody carries it.
    pub(crate) fn known_unit(&self, unit: &UnitId, on: Date) -> Result<(), Refusal> {
        match self.directory.unit(unit) {
            Some(u) => match &u.ended {
                Some(e) if e.on <= on => Err(Refusal::UnitEnded {
                    unit: unit.clone(),
                    on: e.on,
                    successor: e.successor.clone(),
                }),
                _ => Ok(()),
            },
            None => Err(Refusal::UnknownUnit { unit: unit.clone() }),
        }
    }

    pub(crate) fn known_person(&self, person: &PersonId) -> Result<(), Refusal> {
        match self.directory.person(person) {
            Some(_) => Ok(()),
            None => Err(Refusal::UnknownPerson { person: person.clone() }),
        }
    }

    pub(crate) fn plan_covers(&self, plan: &PlanId, unit: &UnitId) -> Result<(), Refusal> {
        let Some(p) = self.plans.get(plan) else {
            return Err(Refusal::UnknownPlan { plan: plan.clone() });
        };
        if self.directory.is_within(unit, &p.unit) {
            Ok(())
        } else {
            Err(Refusal::PlanNotAbove {
                plan: plan.clone(),
                plan_unit: p.unit.clone(),
                unit: unit.clone(),
            })
        }
    }

    /// The leader-in-office rule: `actor` leads `unit` or a unit above it on `on`.
    pub(crate) fn leader(
        &self,
        actor: &PersonId,
        unit: &UnitId,
        on: Date,
        action: Act,
        subject: &str,
    ) -> Result<(), Refusal> {
        if self.directory.leads_on(actor, unit, on).is_some() {
            return Ok(());
        }
        let unit_name = self.directory.unit(unit).map_or_else(String::new, |u| u.name.clone());
        Err(Refusal::NotALeader {
            actor: actor.clone(),
            unit: unit.clone(),
            unit_name,
            on,
            action,
            subject: subject.to_owned(),
        })
    }
}

pub(crate) fn non_empty(
    what: &'static str,
    id: &str,
    text: &str,
    why: &'static str,
) -> Result<(), Refusal> {
    if text.trim().is_empty() {
        return Err(Refusal::EmptyText { what, id: id.to_owned(), why });
    }
    bounded(what, id, text)
}

pub(crate) fn bounded(what: &'static str, id: &str, text: &str) -> Result<(), Refusal> {
    if text.len() > TEXT_BYTES_MAX {
        return Err(Refusal::TooLong { what, id: id.to_owned(), bytes: text.len() });
    }
    Ok(())
}
