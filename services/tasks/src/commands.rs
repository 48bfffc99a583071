//! The tasks service's commands, as JSON on `par.cmd.tasks`.
//!
//! Each command is an object with a `type` tag, e.g.
//! `{"type":"assign-task","task":"t1","unit":"sgd-vp","title":"…","target":"…",
//! "due":"2016-06-30"}`. Unknown fields are refused. The "5 rõ" parts of an assignment (unit,
//! title, target, due date) may be left out of the JSON on purpose: a missing one is then a
//! refusal that says which one is missing, not a parse error.

use reform_shared::ids::{CriterionCode, FindingId, PersonId, PlanId, TaskId, UnitId};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

/// What a person can ask the tasks service to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Command {
    /// Issues a unit's reform plan for a year (kế hoạch CCHC).
    IssuePlan {
        plan: PlanId,
        unit: UnitId,
        year: u16,
        /// E.g. "96/KH-SGDĐT".
        document_number: String,
        title: String,
    },
    /// Assigns a task. The request's actor is the assigning leader.
    AssignTask {
        task: TaskId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<UnitId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        person: Option<PersonId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan: Option<PlanId>,
        #[serde(default)]
        title: String,
        /// The expected result (kết quả).
        #[serde(default)]
        target: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<Date>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        criterion: Option<CriterionCode>,
    },
    /// Moves a task to another unit and/or person. Absent fields keep their current value.
    ReassignTask {
        task: TaskId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<UnitId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        person: Option<PersonId>,
        #[serde(default)]
        reason: String,
    },
    /// Moves a task's due date, with a reason.
    ChangeDeadline {
        task: TaskId,
        due: Date,
        #[serde(default)]
        reason: String,
    },
    /// Reports how far a task has come.
    ReportProgress {
        task: TaskId,
        /// 0 to 100. Wider than a `u8` on the wire so that 300 is a refusal naming the task,
        /// not a parse error.
        percent: u16,
        #[serde(default)]
        note: String,
    },
    /// Marks a task done on the business date.
    CompleteTask {
        task: TaskId,
        #[serde(default)]
        note: String,
    },
    /// Cancels a task, with a reason.
    CancelTask {
        task: TaskId,
        #[serde(default)]
        reason: String,
    },
    /// Records an inspection finding (hạn chế) at a unit; it opens a remediation task.
    RecordFinding {
        finding: FindingId,
        unit: UnitId,
        /// The inspection's document number, e.g. "45/KH-SLĐTBXH".
        inspection_document: String,
        text: String,
        remediation_task: TaskId,
        remediation_due: Date,
    },
}

impl Command {
    /// The task a command is about, if any.
    pub fn task(&self) -> Option<&TaskId> {
        match self {
            Command::IssuePlan { .. } => None,
            Command::AssignTask { task, .. }
            | Command::ReassignTask { task, .. }
            | Command::ChangeDeadline { task, .. }
            | Command::ReportProgress { task, .. }
            | Command::CompleteTask { task, .. }
            | Command::CancelTask { task, .. }
            | Command::RecordFinding { remediation_task: task, .. } => Some(task),
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
        assert!(matches!(bare, Command::AssignTask { unit: None, due: None, .. }));
        let misspelt = r#"{"type":"assign-task","task":"t1","titel":"x"}"#;
        assert!(serde_json::from_str::<Command>(misspelt).is_err());
    }
}
