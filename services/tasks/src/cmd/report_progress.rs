//! `report-progress`: how far a task has come; any registered person may report it.

use crate::decide::{bounded, Refusal, State, PERCENT_MAX};
use reform_shared::event::Event;
use reform_shared::ids::TaskId;
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportProgress {
    pub task: TaskId,
    /// 0 to 100. Wider than a `u8` on the wire so that 300 is a refusal naming the task, not a
    /// parse error.
    pub percent: u16,
    #[serde(default)]
    pub note: String,
}

impl ReportProgress {
    /// An open task and a percentage.
    pub fn decide(&self, s: &State, on: Date) -> Result<Event, Refusal> {
        let ReportProgress { task, percent, note } = self;
        let t = s.open_task(task, on, "take more progress reports")?;
        let refused = || Refusal::Percent { task: task.clone(), percent: *percent };
        if *percent > PERCENT_MAX {
            return Err(refused());
        }
        let percent = u8::try_from(*percent).map_err(|_| refused())?;
        bounded("the note", &format!("task {task}"), note)?;
        Ok(Event::ProgressReported {
            task: task.clone(),
            unit: t.unit.clone(),
            percent,
            note: note.trim().to_owned(),
        })
    }
}
