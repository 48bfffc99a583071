//! The evidence service's state and decisions: pure, no I/O, "now" in the context.
//!
//! Deciding checks what the log knows: the unit, task and criterion exist, the fields are
//! filled, the size is within the limit, and the evidence id is new. Only an attach decided and
//! permitted goes on to [`crate::verify`], which checks that the bucket holds (or the upload
//! stages) the file with the claimed digest and size, before its event is appended.

use reform_shared::directory::Directory;
use reform_shared::event::{Sha256, UnitKind};
use reform_shared::ids::{CriterionCode, EvidenceId, TaskId, UnitId};
use reform_shared::time::Date;
use std::collections::{BTreeMap, BTreeSet};

/// The longest title, document number, media type or reason, in bytes.
pub const TEXT_BYTES_MAX: usize = 1_000;

/// Why an evidence command is refused. Each message names the evidence and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, strum::VariantNames)]
#[serde(tag = "code", rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Refusal {
    #[error("evidence {evidence}: unit {unit} is not in the directory")]
    UnknownUnit { evidence: EvidenceId, unit: UnitId },
    #[error("evidence {evidence}: task {task} was never assigned")]
    UnknownTask { evidence: EvidenceId, task: TaskId },
    #[error("evidence {evidence}: task {task} belongs to unit {owner}, not to {unit} or under it")]
    TaskOfAnotherUnit { evidence: EvidenceId, task: TaskId, owner: UnitId, unit: UnitId },
    #[error(
        "evidence {evidence}: criterion {criterion} is in no framework for {kind} units or the units above"
    )]
    UnknownCriterion { evidence: EvidenceId, criterion: CriterionCode, kind: &'static str },
    #[error("evidence {evidence} has no {field}")]
    Missing { evidence: EvidenceId, field: &'static str },
    #[error("evidence {evidence}: the {field} is longer than {TEXT_BYTES_MAX} bytes")]
    TooLong { evidence: EvidenceId, field: &'static str },
    #[error("evidence {evidence}: {media_type:?} is not a media type like application/pdf")]
    BadMediaType { evidence: EvidenceId, media_type: String },
    #[error("evidence {evidence} is an empty file")]
    EmptyFile { evidence: EvidenceId },
    #[error("evidence {evidence} is {size} bytes, over the limit of {max} bytes")]
    TooLarge { evidence: EvidenceId, size: u64, max: u64 },
    #[error("evidence {evidence} is dated {date}, after the day it is attached ({today})")]
    DatedInFuture { evidence: EvidenceId, date: Date, today: Date },
    #[error(
        "evidence id {evidence} is already used for different content (SHA-256 {existing}); \
         choose a new evidence id for this file"
    )]
    IdReused { evidence: EvidenceId, existing: String },
    #[error("evidence {evidence} is already attached with this same content; nothing to do")]
    AlreadyAttached { evidence: EvidenceId },
    #[error("evidence {evidence} was never attached")]
    UnknownEvidence { evidence: EvidenceId },
    #[error("evidence {evidence} was already rejected: {reason}")]
    AlreadyRejected { evidence: EvidenceId, reason: String },
    #[error("the content of evidence {evidence} was already erased; nothing to do")]
    AlreadyErased { evidence: EvidenceId },
    #[error(
        "evidence {evidence}: this content was erased on a legal basis and may not be attached \
         again"
    )]
    ContentErased { evidence: EvidenceId },
}

/// What the service remembers of an attached document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attached {
    pub unit: UnitId,
    pub sha256: Sha256,
    pub size_bytes: u64,
    pub rejected: Option<String>,
}

/// Everything the evidence service decides on.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct State {
    /// The size limit this service enforces (see [`crate::EVIDENCE_BYTES_MAX`]).
    pub evidence_bytes_max: u64,
    pub directory: Directory,
    /// Every task and the unit it belongs to now.
    pub tasks: BTreeMap<TaskId, UnitId>,
    /// The tasks completed or cancelled: they stay with their unit when it ends.
    pub closed: BTreeSet<TaskId>,
    /// The criterion codes of every framework published for each kind of unit.
    pub criteria: BTreeMap<UnitKind, BTreeSet<CriterionCode>>,
    pub evidence: BTreeMap<EvidenceId, Attached>,
    /// The digest of every file an event names: stored in the bucket already.
    pub files: BTreeSet<Sha256>,
    /// The contents erased: their keys are destroyed.
    pub erased: BTreeSet<Sha256>,
}

impl State {
    pub fn new(evidence_bytes_max: u64) -> Self {
        Self {
            evidence_bytes_max,
            directory: Directory::default(),
            tasks: BTreeMap::new(),
            closed: BTreeSet::new(),
            criteria: BTreeMap::new(),
            evidence: BTreeMap::new(),
            files: BTreeSet::new(),
            erased: BTreeSet::new(),
        }
    }
}

impl State {
    /// An evidence id names one document forever. A retry of the same command is answered by
    /// the runtime from its command id; a new command reusing the id is refused, with a
    /// message that says whether the content was the same.
    pub(crate) fn check_new_id(
        &self,
        evidence: &EvidenceId,
        sha256: &Sha256,
    ) -> Result<(), Refusal> {
        match self.evidence.get(evidence) {
            None => Ok(()),
            Some(existing) if existing.sha256 == *sha256 => {
                Err(Refusal::AlreadyAttached { evidence: evidence.clone() })
            }
            Some(existing) => Err(Refusal::IdReused {
                evidence: evidence.clone(),
                existing: hex::encode(existing.sha256),
            }),
        }
    }

    pub(crate) fn check_task(
        &self,
        evidence: &EvidenceId,
        task: &TaskId,
        unit: &UnitId,
    ) -> Result<(), Refusal> {
        let owner = self.tasks.get(task).ok_or_else(|| Refusal::UnknownTask {
            evidence: evidence.clone(),
            task: task.clone(),
        })?;
        // A division's task may be evidenced at its department, not the reverse.
        if self.directory.is_within(owner, unit) {
            Ok(())
        } else {
            Err(Refusal::TaskOfAnotherUnit {
                evidence: evidence.clone(),
                task: task.clone(),
                owner: owner.clone(),
                unit: unit.clone(),
            })
        }
    }

    /// The criterion must be scored for the unit's kind or for a unit above it: a division's
    /// documents are the evidence of its department's score, which cites them.
    pub(crate) fn check_criterion(
        &self,
        evidence: &EvidenceId,
        criterion: &CriterionCode,
        unit: &UnitId,
        kind: UnitKind,
    ) -> Result<(), Refusal> {
        let scored =
            |kind: UnitKind| self.criteria.get(&kind).is_some_and(|c| c.contains(criterion));
        if self.directory.lineage(unit).iter().any(|u| scored(u.kind)) {
            Ok(())
        } else {
            Err(Refusal::UnknownCriterion {
                evidence: evidence.clone(),
                criterion: criterion.clone(),
                kind: kind.as_str(),
            })
        }
    }

    pub(crate) fn check_size(&self, evidence: &EvidenceId, size: u64) -> Result<(), Refusal> {
        if size == 0 {
            return Err(Refusal::EmptyFile { evidence: evidence.clone() });
        }
        if size > self.evidence_bytes_max {
            return Err(Refusal::TooLarge {
                evidence: evidence.clone(),
                size,
                max: self.evidence_bytes_max,
            });
        }
        Ok(())
    }
}

/// A required text field: present, not blank, not too long.
pub(crate) fn text(evidence: &EvidenceId, field: &'static str, value: &str) -> Result<(), Refusal> {
    if value.trim().is_empty() {
        return Err(Refusal::Missing { evidence: evidence.clone(), field });
    }
    if value.len() > TEXT_BYTES_MAX {
        return Err(Refusal::TooLong { evidence: evidence.clone(), field });
    }
    Ok(())
}

/// `type/subtype`, as in `application/pdf`: two non-empty tokens of visible ASCII.
pub(crate) fn check_media_type(evidence: &EvidenceId, media_type: &str) -> Result<(), Refusal> {
    let token = |t: &str| {
        !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic() && b != b'/' && b != b';')
    };
    let valid = media_type.len() <= 127
        && media_type.split_once('/').is_some_and(|(a, b)| token(a) && token(b));
    if valid {
        Ok(())
    } else {
        Err(Refusal::BadMediaType { evidence: evidence.clone(), media_type: media_type.to_owned() })
    }
}
