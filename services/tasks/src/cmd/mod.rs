//! The tasks service's commands, one file each (mini-redis's `src/cmd/`): a command's fields
//! and the rules that decide it sit together; [`Command`], the JSON taken on `par.cmd.tasks`,
//! only names them and delegates. The rules every command shares (the actor is registered, the
//! leader-in-office rule, an open task) are the state's, in [`crate::decide`].
//!
//! Each command is an object with a `type` tag, e.g.
//! `{"type":"assign-task","task":"t1","unit":"sgd-vp","title":"…","target":"…",
//! "due":"2016-06-30"}`. Unknown fields are refused. The "5 rõ" parts of an assignment (unit,
//! title, target, due date) may be left out of the JSON on purpose: a missing one is then a
//! refusal that says which one is missing, not a parse error.

mod assign_task;
mod cancel_task;
mod change_deadline;
mod complete_task;
mod issue_plan;
mod reassign_task;
mod record_finding;
mod report_progress;

pub use assign_task::AssignTask;
pub use cancel_task::CancelTask;
pub use change_deadline::ChangeDeadline;
pub use complete_task::CompleteTask;
pub use issue_plan::IssuePlan;
pub use reassign_task::ReassignTask;
pub use record_finding::RecordFinding;
pub use report_progress::ReportProgress;

use crate::decide::{Refusal, State};
use reform_shared::event::Event;
use reform_shared::ids::{PersonId, TaskId};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

/// What a person can ask the tasks service to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Command {
    IssuePlan(IssuePlan),
    AssignTask(AssignTask),
    ReassignTask(ReassignTask),
    ChangeDeadline(ChangeDeadline),
    ReportProgress(ReportProgress),
    CompleteTask(CompleteTask),
    CancelTask(CancelTask),
    RecordFinding(RecordFinding),
}

impl Command {
    /// The event the command records, or why not: a pure function of the state, the command,
    /// who acts (a registered person) and the business date (whose rules apply,
    /// [`crate::decide::PERSON_REQUIRED_FROM`]).
    pub fn decide(&self, s: &State, actor: &PersonId, on: Date) -> Result<Event, Refusal> {
        match self {
            Command::IssuePlan(c) => c.decide(s, actor, on),
            Command::AssignTask(c) => c.decide(s, actor, on),
            Command::ReassignTask(c) => c.decide(s, actor, on),
            Command::ChangeDeadline(c) => c.decide(s, actor, on),
            Command::ReportProgress(c) => c.decide(s, on),
            Command::CompleteTask(c) => c.decide(s, actor, on),
            Command::CancelTask(c) => c.decide(s, actor, on),
            Command::RecordFinding(c) => c.decide(s, actor, on),
        }
    }

    /// The task a command is about, if any.
    pub fn task(&self) -> Option<&TaskId> {
        match self {
            Command::IssuePlan(_) => None,
            Command::AssignTask(AssignTask { task, .. })
            | Command::ReassignTask(ReassignTask { task, .. })
            | Command::ChangeDeadline(ChangeDeadline { task, .. })
            | Command::ReportProgress(ReportProgress { task, .. })
            | Command::CompleteTask(CompleteTask { task, .. })
            | Command::CancelTask(CancelTask { task, .. })
            | Command::RecordFinding(RecordFinding { remediation_task: task, .. }) => Some(task),
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assignment_may_leave_out_its_five_clear_parts_but_not_misspell_them() {
        let bare: Command =
            serde_json::from_str(r#"{"type":"assign-task","task":"t1"}"#).expect("parses");
        assert!(matches!(bare, Command::AssignTask(AssignTask { unit: None, due: None, .. })));
        let misspelt = r#"{"type":"assign-task","task":"t1","titel":"x"}"#;
        assert!(serde_json::from_str::<Command>(misspelt).is_err());
    }
}
