//! The scoring service's state and its decisions: pure, no I/O, "now" in the context.
//!
//! The state follows the directory (units and people), the evidence family (what was attached
//! and to which unit, and what was rejected), published frameworks and every score in force.

use crate::framework::FrameworkError;
use reform_shared::directory::Directory;
use reform_shared::event::{Criterion, Event, Stage, UnitKind};
use reform_shared::ids::{CriterionCode, EvidenceId, UnitId};
use reform_shared::points::Points;
use std::collections::BTreeMap;

/// The most evidence documents one score may cite.
pub const SCORE_EVIDENCE_MAX: usize = 64;
/// The longest reason, in bytes.
pub const REASON_BYTES_MAX: usize = 4_000;

/// Why a scoring command is refused. Each message is a sentence naming the unit, criterion or
/// evidence concerned; none of these is worth retrying unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, strum::VariantNames)]
#[serde(tag = "code", rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Refusal {
    #[error(
        "a framework for {kind} units in {year} was already published; a published framework \
         is never replaced, because the scores recorded against it refer to it"
    )]
    FrameworkExists { year: u16, kind: &'static str },
    #[error("unit {unit} is not in the directory")]
    UnknownUnit { unit: UnitId },
    #[error("person {person} is not in the directory, so cannot be recorded as the scorer")]
    UnknownPerson { person: String },
    #[error(
        "no framework is published for {kind} units in {year}, so unit {unit} cannot be scored"
    )]
    NoFramework { unit: UnitId, year: u16, kind: &'static str },
    #[error("criterion {criterion} is not in the {year} framework for {kind} units")]
    UnknownCriterion { criterion: CriterionCode, year: u16, kind: &'static str },
    #[error("{points} points is above criterion {criterion}'s maximum of {max} points")]
    AboveMaximum { criterion: CriterionCode, points: Points, max: Points },
    #[error("evidence {evidence} was never attached")]
    UnknownEvidence { evidence: EvidenceId },
    #[error("evidence {evidence} was rejected ({reason}) and cannot support a score")]
    RejectedEvidence { evidence: EvidenceId, reason: String },
    #[error("evidence {evidence} belongs to unit {owner}, which is not unit {unit} or under it")]
    ForeignEvidence { evidence: EvidenceId, owner: UnitId, unit: UnitId },
    #[error("evidence {evidence} is listed more than once")]
    RepeatedEvidence { evidence: EvidenceId },
    #[error("a score may cite at most {SCORE_EVIDENCE_MAX} evidence documents; {count} given")]
    TooMuchEvidence { count: usize },
    #[error("the reason is longer than {REASON_BYTES_MAX} bytes")]
    ReasonTooLong,
    #[error(
        "self-assessed score of unit {unit} on criterion {criterion} cites no evidence, so it \
         needs an explanation in the reason"
    )]
    NoEvidenceNoExplanation { unit: UnitId, criterion: CriterionCode },
    #[error(
        "criterion {criterion} is measured by the sociological survey and takes no \
         self-assessed score"
    )]
    SurveyNotSelfAssessed { criterion: CriterionCode },
    #[error(
        "appraised score {appraised} of unit {unit} on criterion {criterion} differs from the \
         self-assessed {}, so it needs a reason",
        self_assessed.map_or("(none)".to_owned(), |p| p.to_string())
    )]
    AppraisalNeedsReason {
        unit: UnitId,
        criterion: CriterionCode,
        appraised: Points,
        self_assessed: Option<Points>,
    },
    #[error(
        "unit {unit} has no appraised score on criterion {criterion} for {year}; the final \
         score comes after appraisal"
    )]
    FinalBeforeAppraisal { unit: UnitId, criterion: CriterionCode, year: u16 },
    /// Last: its own codes stand for it ([`FrameworkError`]).
    #[error("framework refused: {0}")]
    #[serde(untagged)]
    Framework(#[from] FrameworkError),
}

/// A published framework, indexed by criterion code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Framework {
    pub source: String,
    pub criteria: BTreeMap<CriterionCode, Criterion>,
}

/// What the scoring service knows about a piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EvidenceFacts {
    pub unit: UnitId,
    pub rejected: Option<String>,
}

/// The key of a score: unit, year, criterion and stage.
pub type ScoreKey = (UnitId, u16, CriterionCode, Stage);

/// Everything the scoring service decides on.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct State {
    pub directory: Directory,
    pub frameworks: BTreeMap<(u16, UnitKind), Framework>,
    pub evidence: BTreeMap<EvidenceId, EvidenceFacts>,
    /// The value in force for every key: the last score-changed event's new value.
    pub scores: BTreeMap<ScoreKey, Points>,
}

impl State {
    /// Applies one event: what [`Decider::apply`] does with a record, for a caller that
    /// decides several commands in a row before any is recorded (an import's dry run).
    pub fn apply_event(&mut self, event: &Event) {
        self.directory.apply(event);
        match event {
            Event::FrameworkPublished { year, unit_kind, source, criteria } => {
                let criteria = criteria.iter().map(|c| (c.code.clone(), c.clone())).collect();
                let framework = Framework { source: source.clone(), criteria };
                self.frameworks.insert((*year, *unit_kind), framework);
            }
            Event::ScoreChanged { unit, year, criterion, stage, new, .. } => {
                self.scores.insert((unit.clone(), *year, criterion.clone(), *stage), *new);
            }
            Event::EvidenceAttached { evidence, unit, .. } => {
                let facts = EvidenceFacts { unit: unit.clone(), rejected: None };
                self.evidence.entry(evidence.clone()).or_insert(facts);
            }
            Event::EvidenceRejected { evidence, reason, .. } => {
                if let Some(facts) = self.evidence.get_mut(evidence) {
                    facts.rejected = Some(reason.clone());
                }
            }
            _ => {}
        }
    }
}
