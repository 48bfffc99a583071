//! `record-score`: one score of a unit on one criterion, at one stage.

use crate::decide::{Refusal, State, REASON_BYTES_MAX, SCORE_EVIDENCE_MAX};
use reform_shared::event::{Criterion, Event, Stage};
use reform_shared::ids::{CriterionCode, EvidenceId, UnitId};
use reform_shared::points::Points;
use reform_shared::service::Context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordScore {
    pub unit: UnitId,
    pub year: u16,
    pub criterion: CriterionCode,
    pub stage: Stage,
    pub points: Points,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub evidence: Vec<EvidenceId>,
}

impl RecordScore {
    /// By a registered person; a criterion of the unit's framework for the year, within its
    /// maximum; evidence of the unit (or below it), not rejected; and the methodology's rules
    /// about stages.
    pub fn decide(&self, s: &State, context: &Context) -> Result<Event, Refusal> {
        if s.directory.person(&context.actor).is_none() {
            return Err(Refusal::UnknownPerson { person: context.actor.to_string() });
        }
        let criterion = self.criterion(s)?;
        if self.points > criterion.max_points {
            return Err(Refusal::AboveMaximum {
                criterion: self.criterion.clone(),
                points: self.points,
                max: criterion.max_points,
            });
        }
        self.check_evidence(s)?;
        if self.reason.len() > REASON_BYTES_MAX {
            return Err(Refusal::ReasonTooLong);
        }
        self.check_stage(s, criterion)?;
        let key = (self.unit.clone(), self.year, self.criterion.clone(), self.stage);
        Ok(Event::ScoreChanged {
            unit: self.unit.clone(),
            year: self.year,
            criterion: self.criterion.clone(),
            stage: self.stage,
            old: s.scores.get(&key).copied(),
            new: self.points,
            reason: self.reason.trim().to_owned(),
            evidence: self.evidence.clone(),
            by: context.actor.clone(),
        })
    }

    /// The criterion being scored, from the framework of the unit's kind and the year.
    fn criterion<'s>(&self, s: &'s State) -> Result<&'s Criterion, Refusal> {
        let unit = s
            .directory
            .unit(&self.unit)
            .ok_or_else(|| Refusal::UnknownUnit { unit: self.unit.clone() })?;
        let kind = unit.kind.as_str();
        let framework = s.frameworks.get(&(self.year, unit.kind)).ok_or_else(|| {
            Refusal::NoFramework { unit: self.unit.clone(), year: self.year, kind }
        })?;
        framework.criteria.get(&self.criterion).ok_or_else(|| Refusal::UnknownCriterion {
            criterion: self.criterion.clone(),
            year: self.year,
            kind,
        })
    }

    fn check_evidence(&self, s: &State) -> Result<(), Refusal> {
        if self.evidence.len() > SCORE_EVIDENCE_MAX {
            return Err(Refusal::TooMuchEvidence { count: self.evidence.len() });
        }
        let mut seen = BTreeSet::new();
        for id in &self.evidence {
            if !seen.insert(id) {
                return Err(Refusal::RepeatedEvidence { evidence: id.clone() });
            }
            let facts = s
                .evidence
                .get(id)
                .ok_or_else(|| Refusal::UnknownEvidence { evidence: id.clone() })?;
            if let Some(reason) = &facts.rejected {
                return Err(Refusal::RejectedEvidence {
                    evidence: id.clone(),
                    reason: reason.clone(),
                });
            }
            // Evidence of a division may support its department's score, not the reverse.
            if !s.directory.is_within(&facts.unit, &self.unit) {
                return Err(Refusal::ForeignEvidence {
                    evidence: id.clone(),
                    owner: facts.unit.clone(),
                    unit: self.unit.clone(),
                });
            }
        }
        Ok(())
    }

    /// The rules of the methodology about stages.
    fn check_stage(&self, s: &State, criterion: &Criterion) -> Result<(), Refusal> {
        let explained = !self.reason.trim().is_empty();
        let in_force =
            |stage| s.scores.get(&(self.unit.clone(), self.year, self.criterion.clone(), stage));
        match self.stage {
            Stage::SelfAssessed if criterion.survey_measured => {
                Err(Refusal::SurveyNotSelfAssessed { criterion: self.criterion.clone() })
            }
            Stage::SelfAssessed if self.evidence.is_empty() && !explained => {
                Err(Refusal::NoEvidenceNoExplanation {
                    unit: self.unit.clone(),
                    criterion: self.criterion.clone(),
                })
            }
            Stage::SelfAssessed => Ok(()),
            Stage::Appraised => {
                // A survey criterion has no self-assessment to differ from; any other
                // criterion the unit did not assess counts as differing.
                let own = in_force(Stage::SelfAssessed);
                let differs = match own {
                    Some(own) => *own != self.points,
                    None => !criterion.survey_measured,
                };
                if differs && !explained {
                    return Err(Refusal::AppraisalNeedsReason {
                        unit: self.unit.clone(),
                        criterion: self.criterion.clone(),
                        appraised: self.points,
                        self_assessed: own.copied(),
                    });
                }
                Ok(())
            }
            Stage::Final if in_force(Stage::Appraised).is_none() => {
                Err(Refusal::FinalBeforeAppraisal {
                    unit: self.unit.clone(),
                    criterion: self.criterion.clone(),
                    year: self.year,
                })
            }
            Stage::Final => Ok(()),
        }
    }
}
