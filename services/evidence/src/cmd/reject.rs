//! `reject`: an attached document rejected, saying why; it can no longer support a score.

use crate::decide::{text, Refusal, State};
use reform_shared::event::Event;
use reform_shared::ids::EvidenceId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reject {
    pub evidence: EvidenceId,
    pub reason: String,
}

impl Reject {
    /// An attached document, not rejected yet, and a reason.
    pub fn decide(&self, s: &State) -> Result<Event, Refusal> {
        let Reject { evidence, reason } = self;
        let attached = s
            .evidence
            .get(evidence)
            .ok_or_else(|| Refusal::UnknownEvidence { evidence: evidence.clone() })?;
        if let Some(earlier) = &attached.rejected {
            return Err(Refusal::AlreadyRejected {
                evidence: evidence.clone(),
                reason: earlier.clone(),
            });
        }
        text(evidence, "reason for the rejection", reason)?;
        Ok(Event::EvidenceRejected {
            evidence: evidence.clone(),
            unit: attached.unit.clone(),
            reason: reason.trim().to_owned(),
        })
    }
}
