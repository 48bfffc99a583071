//! `reassign-task`: a task to another unit and/or person; absent fields keep their value.

use crate::decide::{bounded, Act, Refusal, State};
use reform_shared::event::Event;
use reform_shared::ids::{PersonId, TaskId, UnitId};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReassignTask {
    pub task: TaskId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<PersonId>,
    #[serde(default)]
    pub reason: String,
}

impl ReassignTask {
    /// An open task, a change, and a leader of the old unit and of the new one.
    pub fn decide(&self, s: &State, actor: &PersonId, on: Date) -> Result<Event, Refusal> {
        let ReassignTask { task, unit, person, reason } = self;
        let t = s.open_task(task, on, "be reassigned")?;
        let new_unit = unit.as_ref().unwrap_or(&t.unit);
        s.known_unit(new_unit, on)?;
        if let Some(p) = person {
            s.known_person(p)?;
        }
        let new_person = person.as_ref().or(t.person.as_ref());
        if new_unit == &t.unit && new_person == t.person.as_ref() {
            return Err(Refusal::NothingChanges {
                task: task.clone(),
                unit: t.unit.clone(),
                person: new_person.cloned(),
            });
        }
        bounded("the reason", &format!("task {task}"), reason)?;
        s.leader(actor, &t.unit, on, Act::ReassignTask, task.as_str())?;
        if new_unit != &t.unit {
            s.leader(actor, new_unit, on, Act::ReceiveTask, task.as_str())?;
        }
        Ok(Event::TaskReassigned {
            task: task.clone(),
            unit: new_unit.clone(),
            from_unit: t.unit.clone(),
            person: new_person.cloned(),
            reason: reason.trim().to_owned(),
        })
    }
}
