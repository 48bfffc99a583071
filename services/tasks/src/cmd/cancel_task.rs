//! `cancel-task`: a task cancelled, with a reason.

use crate::decide::{non_empty, Act, Refusal, State};
use reform_shared::event::Event;
use reform_shared::ids::{PersonId, TaskId};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelTask {
    pub task: TaskId,
    #[serde(default)]
    pub reason: String,
}

impl CancelTask {
    /// An open task, a reason, and a leader of its unit.
    pub fn decide(&self, s: &State, actor: &PersonId, on: Date) -> Result<Event, Refusal> {
        let CancelTask { task, reason } = self;
        let t = s.open_task(task, on, "be cancelled")?;
        non_empty("the reason", &format!("task {task}"), reason, "say why the task is cancelled")?;
        s.leader(actor, &t.unit, on, Act::CancelTask, task.as_str())?;
        Ok(Event::TaskCancelled {
            task: task.clone(),
            unit: t.unit.clone(),
            reason: reason.trim().to_owned(),
        })
    }
}
