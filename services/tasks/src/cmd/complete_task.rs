//! `complete-task`: a task done on the business date.

use crate::decide::{bounded, Refusal, State};
use reform_shared::event::Event;
use reform_shared::ids::{PersonId, TaskId};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompleteTask {
    pub task: TaskId,
    #[serde(default)]
    pub note: String,
}

impl CompleteTask {
    /// An open task, completed by its assigned person or a leader of its unit.
    pub fn decide(&self, s: &State, actor: &PersonId, on: Date) -> Result<Event, Refusal> {
        let CompleteTask { task, note } = self;
        let t = s.open_task(task, on, "be completed again")?;
        let assignee = t.person.as_ref() == Some(actor);
        if !assignee && s.directory.leads_on(actor, &t.unit, on).is_none() {
            return Err(Refusal::MayNotComplete {
                actor: actor.clone(),
                task: task.clone(),
                unit: t.unit.clone(),
            });
        }
        bounded("the note", &format!("task {task}"), note)?;
        Ok(Event::TaskCompleted {
            task: task.clone(),
            unit: t.unit.clone(),
            note: note.trim().to_owned(),
        })
    }
}
