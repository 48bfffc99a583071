//! `erase`: an attached document's content erased for good, on a legal basis (a person's
//! request under the Law on Personal Data Protection, say). Its record stays: title, number,
//! date and digest; only the content goes, for every evidence id that names it.

use crate::decide::{text, Refusal, State};
use reform_shared::event::Event;
use reform_shared::ids::EvidenceId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Erase {
    pub evidence: EvidenceId,
    /// Why the law requires it: the article and the request.
    pub legal_basis: String,
}

impl Erase {
    /// An attached document whose content is not erased yet, and a legal basis.
    pub fn decide(&self, s: &State) -> Result<Event, Refusal> {
        let Erase { evidence, legal_basis } = self;
        let attached = s
            .evidence
            .get(evidence)
            .ok_or_else(|| Refusal::UnknownEvidence { evidence: evidence.clone() })?;
        if s.erased.contains(&attached.sha256) {
            return Err(Refusal::AlreadyErased { evidence: evidence.clone() });
        }
        text(evidence, "legal basis", legal_basis)?;
        let others = s
            .evidence
            .iter()
            .filter(|(id, other)| other.sha256 == attached.sha256 && *id != evidence)
            .map(|(id, _)| id.clone())
            .collect();
        Ok(Event::EvidenceErased {
            evidence: evidence.clone(),
            unit: attached.unit.clone(),
            sha256: attached.sha256,
            legal_basis: legal_basis.trim().to_owned(),
            others,
        })
    }
}
