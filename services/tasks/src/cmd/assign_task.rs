//! `assign-task`: a task, "5 rõ", assigned by the request's actor, a leader.

use crate::decide::{bounded, Act, Refusal, State, PERSON_REQUIRED_FROM};
use reform_shared::event::Event;
use reform_shared::ids::{CriterionCode, PersonId, PlanId, TaskId, UnitId};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

/// The "5 rõ" parts are optional here so that a missing one is a refusal naming it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignTask {
    pub task: TaskId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<PersonId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanId>,
    #[serde(default)]
    pub title: String,
    /// The expected result (kết quả).
    #[serde(default)]
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criterion: Option<CriterionCode>,
}

impl AssignTask {
    /// A new task id; unit, title, target, due date and (from [`PERSON_REQUIRED_FROM`])
    /// person present; a known unit and person; a plan of the unit or above it; a leader of
    /// the unit; due no earlier than assigned.
    pub fn decide(&self, s: &State, actor: &PersonId, on: Date) -> Result<Event, Refusal> {
        let AssignTask { task, unit, person, plan, title, target, due, criterion } = self;
        if let Some(t) = s.tasks.get(task) {
            return Err(Refusal::TaskExists { task: task.clone(), unit: t.unit.clone() });
        }
        let missing = |what| Refusal::NotFiveClear { task: task.clone(), missing: what };
        let unit = unit.as_ref().ok_or_else(|| missing("responsible unit"))?;
        if title.trim().is_empty() {
            return Err(missing("title"));
        }
        if target.trim().is_empty() {
            return Err(missing("target (expected result)"));
        }
        let due = due.ok_or_else(|| missing("due date"))?;
        if person.is_none() && on >= PERSON_REQUIRED_FROM {
            return Err(missing("responsible person"));
        }
        let id = format!("task {task}");
        bounded("the title", &id, title)?;
        bounded("the target", &id, target)?;
        s.known_unit(unit, on)?;
        if let Some(p) = person {
            s.known_person(p)?;
        }
        if let Some(p) = plan {
            s.plan_covers(p, unit)?;
        }
        s.leader(actor, unit, on, Act::AssignTask, task.as_str())?;
        if due < on {
            return Err(Refusal::DueBeforeAssignment { task: task.clone(), due, assigned_on: on });
        }
        Ok(Event::TaskAssigned {
            task: task.clone(),
            unit: unit.clone(),
            person: person.clone(),
            plan: plan.clone(),
            title: title.trim().to_owned(),
            target: target.trim().to_owned(),
            due,
            criterion: criterion.clone(),
            assigned_by: actor.clone(),
        })
    }
}
