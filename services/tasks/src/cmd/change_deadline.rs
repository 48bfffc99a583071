//! `change-deadline`: a task's due date moves, with a reason.

use crate::decide::{non_empty, Act, Refusal, State};
use reform_shared::event::Event;
use reform_shared::ids::{PersonId, TaskId};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeDeadline {
    pub task: TaskId,
    pub due: Date,
    #[serde(default)]
    pub reason: String,
}

impl ChangeDeadline {
    /// An open task, a reason, a leader of its unit, and a new due date no earlier than the
    /// assignment.
    pub fn decide(&self, s: &State, actor: &PersonId, on: Date) -> Result<Event, Refusal> {
        let ChangeDeadline { task, due, reason } = self;
        let due = *due;
        let t = s.open_task(task, on, "have its deadline changed")?;
        let id = format!("task {task}");
        non_empty("the reason", &id, reason, "say why the deadline moves")?;
        s.leader(actor, &t.unit, on, Act::ChangeDeadline, task.as_str())?;
        if let Some(assigned_on) = t.assigned_on.filter(|a| due < *a) {
            return Err(Refusal::DueBeforeAssignment { task: task.clone(), due, assigned_on });
        }
        if due == t.due {
            return Err(Refusal::SameDeadline { task: task.clone(), due });
        }
        Ok(Event::DeadlineChanged {
            task: task.clone(),
            unit: t.unit.clone(),
            old_due: t.due,
            new_due: due,
            reason: reason.trim().to_owned(),
        })
    }
}
