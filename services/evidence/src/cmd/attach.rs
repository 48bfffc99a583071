//! `attach`: a document, stored in the bucket or staged as an upload, attached to a unit (and
//! maybe a task and a criterion).

use crate::decide::{check_media_type, text, Refusal, State};
use reform_shared::event::{Event, Sha256};
use reform_shared::ids::{CriterionCode, EvidenceId, TaskId, UnitId};
use reform_shared::service::Context;
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attach {
    pub evidence: EvidenceId,
    pub unit: UnitId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criterion: Option<CriterionCode>,
    pub title: String,
    /// E.g. "1264/BC-SGDĐT".
    pub document_number: String,
    pub document_date: Date,
    #[serde(with = "super::digest_hex")]
    pub sha256: Sha256,
    pub size_bytes: u64,
    pub media_type: String,
    /// The staged upload holding the file, when it is not in the bucket yet
    /// ([`crate::upload`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<String>,
}

impl Attach {
    /// A new evidence id; a known unit, a task of it (or below it) and a criterion scored for
    /// it (or above it); the texts filled; a media type; a size within the limit; a document
    /// not dated in the future.
    pub fn decide(&self, s: &State, context: &Context) -> Result<Event, Refusal> {
        let evidence = &self.evidence;
        s.check_new_id(evidence, &self.sha256)?;
        if s.erased.contains(&self.sha256) {
            return Err(Refusal::ContentErased { evidence: evidence.clone() });
        }
        let unit = s.directory.unit(&self.unit).ok_or_else(|| Refusal::UnknownUnit {
            evidence: evidence.clone(),
            unit: self.unit.clone(),
        })?;
        if let Some(task) = &self.task {
            s.check_task(evidence, task, &self.unit)?;
        }
        if let Some(criterion) = &self.criterion {
            s.check_criterion(evidence, criterion, &unit.id, unit.kind)?;
        }
        text(evidence, "title", &self.title)?;
        text(evidence, "document number", &self.document_number)?;
        check_media_type(evidence, &self.media_type)?;
        s.check_size(evidence, self.size_bytes)?;
        if self.document_date > context.occurred_on {
            return Err(Refusal::DatedInFuture {
                evidence: evidence.clone(),
                date: self.document_date,
                today: context.occurred_on,
            });
        }
        Ok(Event::EvidenceAttached {
            evidence: evidence.clone(),
            unit: self.unit.clone(),
            task: self.task.clone(),
            criterion: self.criterion.clone(),
            title: self.title.trim().to_owned(),
            document_number: self.document_number.trim().to_owned(),
            document_date: self.document_date,
            sha256: self.sha256,
            size_bytes: self.size_bytes,
            media_type: self.media_type.trim().to_ascii_lowercase(),
            object_key: crate::store::object_key(&self.sha256),
        })
    }
}
