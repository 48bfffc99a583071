//! `record-finding`: an inspection finding (hạn chế) at a unit, which opens a remediation
//! task. Any registered person may record one: inspection teams come from outside the unit's
//! line.

use crate::decide::{non_empty, Refusal, State};
use reform_shared::event::Event;
use reform_shared::ids::{FindingId, TaskId, UnitId};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordFinding {
    pub finding: FindingId,
    pub unit: UnitId,
    /// The inspection's document number, e.g. "45/KH-SLĐTBXH".
    pub inspection_document: String,
    pub text: String,
    pub remediation_task: TaskId,
    pub remediation_due: Date,
}

impl RecordFinding {
    /// New finding and task ids, the inspection's document and the text, a known unit, and a
    /// remediation due no earlier than the finding.
    pub fn decide(&self, s: &State, on: Date) -> Result<Event, Refusal> {
        let RecordFinding {
            finding,
            unit,
            inspection_document,
            text,
            remediation_task,
            remediation_due,
        } = self;
        if let Some(task) = s.findings.get(finding) {
            return Err(Refusal::FindingExists { finding: finding.clone(), task: task.clone() });
        }
        if let Some(t) = s.tasks.get(remediation_task) {
            return Err(Refusal::TaskExists {
                task: remediation_task.clone(),
                unit: t.unit.clone(),
            });
        }
        let id = format!("finding {finding}");
        non_empty(
            "the inspection document",
            &id,
            inspection_document,
            "cite the inspection's document number",
        )?;
        non_empty("the text", &id, text, "say what shortcoming was found")?;
        s.known_unit(unit)?;
        if *remediation_due < on {
            return Err(Refusal::DueBeforeAssignment {
                task: remediation_task.clone(),
                due: *remediation_due,
                assigned_on: on,
            });
        }
        Ok(Event::FindingRecorded {
            finding: finding.clone(),
            unit: unit.clone(),
            inspection_document: inspection_document.trim().to_owned(),
            text: text.trim().to_owned(),
            remediation_task: remediation_task.clone(),
            remediation_due: *remediation_due,
        })
    }
}
