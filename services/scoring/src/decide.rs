//! The scoring service's state and its decisions: pure, no I/O, "now" in the context.
//!
//! The state follows the directory (units and people), the evidence family (what was attached
//! and to which unit, and what was rejected), published frameworks and every score in force.

use crate::cmd::Command;
use crate::framework::FrameworkError;
use reform_shared::directory::Directory;
use reform_shared::envelope::Record;
use reform_shared::event::{Criterion, Event, Stage, UnitKind};
use reform_shared::ids::{CriterionCode, EvidenceId, UnitId};
use reform_shared::points::Points;
use reform_shared::service::{Context, Decider};
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

impl Decider for State {
    type Command = Command;
    type Refusal = Refusal;
    type Services = ();
    const NAME: &'static str = crate::NAME;
    const DIRECTORY_RULES: Option<reform_shared::audit::redecide::DirectoryRules> =
        Some(reform_directory::rules);
    const DESCRIPTION: &'static str =
        "PAR INDEX scoring: publishes yearly frameworks and records scores per unit and criterion";

    fn directory(&self) -> &Directory {
        &self.directory
    }

    fn apply(&mut self, record: &Record) {
        self.apply_event(&record.envelope.event);
    }

    fn decide(&self, command: &Command, context: &Context) -> Result<Event, Refusal> {
        command.decide(self, context)
    }
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

#[cfg(test)]
mod tests {
    //! Given these events, when this command, then this event or this refusal: the rules
    //! without a server, for the cases a property covers better than examples.

    use super::*;
    use crate::cmd::CriterionSpec;
    use crate::{cmd, framework};
    use proptest::prelude::*;
    use reform_shared::envelope::{Actor, ChainLink, Envelope, EventId};
    use reform_shared::event::Component;
    use reform_shared::ids::CommandId;
    use reform_shared::testkit::{date, id};
    use reform_shared::time::Timestamp;

    fn given(events: Vec<Event>) -> State {
        let mut state = State::default();
        for (n, event) in events.into_iter().enumerate() {
            let command_id: CommandId = id(&format!("given-{n}"));
            let envelope = Envelope {
                event_id: EventId::for_command(&command_id),
                occurred_at: Timestamp(0),
                recorded_at: Timestamp(0),
                actor: Actor::Person(id("hoa")),
                command_id,
                chain: ChainLink::first("test".into()),
                signature: None,
                event,
            };
            state.apply(&Record { envelope, schema_version: 2, digest: [0; 32] });
        }
        state
    }

    /// A department and a registered scorer, and a framework whose criterion 1.1 is worth
    /// `max` hundredths (the other seven components share the rest).
    fn department_with_criterion_worth(max: u32) -> State {
        let rest = 10_000 - max;
        let mut specs = vec![CriterionSpec {
            code: id("1.1"),
            component: Component::DirectionAndManagement,
            title: "Kế hoạch CCHC".into(),
            max_points: Points(max),
            survey_measured: false,
        }];
        for (i, component) in Component::ALL[1..].iter().enumerate() {
            let share = rest / 7 + if i == 0 { rest % 7 } else { 0 };
            specs.push(CriterionSpec {
                code: id(&format!("{}.1", i + 2)),
                component: *component,
                title: "tiêu chí".into(),
                max_points: Points(share),
                survey_measured: false,
            });
        }
        let criteria = framework::validate(2016, "test", &specs).expect("valid framework");
        given(vec![
            Event::UnitAdded {
                unit: id("sgd"),
                name: "Sở GD&ĐT".into(),
                kind: UnitKind::Department,
                parent: None,
            },
            Event::PersonRegistered { person: id("hoa"), name: "Hoa".into(), title: String::new() },
            Event::FrameworkPublished {
                year: 2016,
                unit_kind: UnitKind::Department,
                source: "test".into(),
                criteria,
            },
        ])
    }

    fn context() -> Context {
        let at = Timestamp::at_vietnam_noon(date("2016-12-20"));
        Context {
            command_id: id("c1"),
            actor: id("hoa"),
            occurred_at: at,
            occurred_on: date("2016-12-20"),
            recorded_at: at,
        }
    }

    fn self_assessed(points: u32) -> Command {
        Command::RecordScore(cmd::RecordScore {
            unit: id("sgd"),
            year: 2016,
            criterion: id("1.1"),
            stage: Stage::SelfAssessed,
            points: Points(points),
            reason: "chưa có văn bản".into(),
            evidence: vec![],
        })
    }

    proptest! {
        /// Any points from 0 to the maximum are accepted and recorded exactly; anything above
        /// is refused naming both figures.
        #[test]
        fn points_are_accepted_exactly_up_to_the_criterions_maximum(
            max in 1u32..=3_000,
            points in 0u32..=6_000,
        ) {
            let state = department_with_criterion_worth(max);
            match state.decide(&self_assessed(points), &context()) {
                Ok(Event::ScoreChanged { new, old, .. }) => {
                    prop_assert!(points <= max);
                    prop_assert_eq!(new, Points(points));
                    prop_assert_eq!(old, None);
                }
                Err(Refusal::AboveMaximum { points: p, max: m, .. }) => {
                    prop_assert!(points > max);
                    prop_assert_eq!((p, m), (Points(points), Points(max)));
                }
                other => prop_assert!(false, "unexpected: {other:?}"),
            }
        }
    }
}
