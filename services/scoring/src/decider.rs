//! The scoring service on the shared runtime: the [`Decider`] glue between the pure state
//! ([`crate::decide`]) and the commands ([`crate::cmd`]), which both sit below it.

use crate::cmd::Command;
use crate::decide::{Refusal, State};
use reform_shared::directory::Directory;
use reform_shared::envelope::Record;
use reform_shared::event::Event;
use reform_shared::service::{Context, Decider};

impl Decider for State {
    type Command = Command;
    type Refusal = Refusal;
    type Services = ();
    const NAME: &'static str = crate::NAME;
    const DIRECTORY_RULES: Option<reform_shared::audit::decided::DirectoryRules> =
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

#[cfg(test)]
mod tests {
    //! Given these events, when this command, then this event or this refusal: the rules
    //! without a server, for the cases a property covers better than examples.

    use super::*;
    use crate::cmd::CriterionSpec;
    use crate::decide::*;
    use crate::{cmd, framework};
    use proptest::prelude::*;
    use reform_shared::envelope::{Actor, ChainLink, Envelope, EventId};
    use reform_shared::event::Component;
    use reform_shared::event::{Stage, UnitKind};
    use reform_shared::ids::CommandId;
    use reform_shared::points::Points;
    use reform_shared::testkit::id;
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
        reform_shared::testkit::context("hoa", "2016-12-20")
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
