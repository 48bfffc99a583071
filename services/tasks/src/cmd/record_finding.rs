//! `record-finding`: an inspection finding (hạn chế) at a unit, which opens a remediation
//! task. A leader of the unit or above it, or an appraiser of it, records one (the access
//! table): inspection teams come from outside the unit's line. From
//! [`PERSON_REQUIRED_FROM`] the remediation task is "5 rõ" like any other: it names its
//! person and its expected result, and the recorder is its assigning leader.

use crate::decide::{bounded, non_empty, Refusal, State, PERSON_REQUIRED_FROM};
use reform_shared::event::Event;
use reform_shared::ids::{FindingId, PersonId, TaskId, UnitId};
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
    /// Who carries the remediation out (rõ người); required from [`PERSON_REQUIRED_FROM`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<PersonId>,
    /// The remediation's expected result (rõ kết quả); required with a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl RecordFinding {
    /// New finding and task ids, the inspection's document and the text, a known unit, a
    /// remediation due no earlier than the finding, and (from [`PERSON_REQUIRED_FROM`], or
    /// whenever one is given) a known person with an expected result.
    pub fn decide(&self, s: &State, actor: &PersonId, on: Date) -> Result<Event, Refusal> {
        let RecordFinding {
            finding,
            unit,
            inspection_document,
            text,
            remediation_task,
            remediation_due,
            person,
            target,
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
        s.known_unit(unit, on)?;
        if *remediation_due < on {
            return Err(Refusal::DueBeforeAssignment {
                task: remediation_task.clone(),
                due: *remediation_due,
                assigned_on: on,
            });
        }
        let (finding, unit, remediation_task, remediation_due) =
            (finding.clone(), unit.clone(), remediation_task.clone(), *remediation_due);
        let (inspection_document, text) =
            (inspection_document.trim().to_owned(), text.trim().to_owned());
        if person.is_none() && target.is_none() && on < PERSON_REQUIRED_FROM {
            return Ok(Event::FindingRecorded {
                finding,
                unit,
                inspection_document,
                text,
                remediation_task,
                remediation_due,
            });
        }
        let missing =
            |what| Refusal::NotFiveClear { task: remediation_task.clone(), missing: what };
        let person = person.clone().ok_or_else(|| missing("responsible person"))?;
        s.known_person(&person)?;
        let target = target.as_deref().map(str::trim).unwrap_or_default();
        if target.is_empty() {
            return Err(missing("target (expected result)"));
        }
        bounded("the target", &format!("task {remediation_task}"), target)?;
        Ok(Event::FindingRecordedV2 {
            finding,
            unit,
            inspection_document,
            text,
            remediation_task,
            remediation_due,
            person,
            target: target.to_owned(),
            assigned_by: actor.clone(),
        })
    }
}
