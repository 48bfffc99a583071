//! The tasks service on the shared runtime: the [`Decider`] glue between the pure state
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
        "Tasks of the reform tracker: plans, assignments, deadlines, progress and findings";

    /// A finding's id is not its aggregate (the remediation task is), so two findings with one
    /// id must not be decided in the same batch.
    fn batch_keys(&self, event: &Event) -> Vec<String> {
        match event {
            Event::FindingRecorded { finding, .. } | Event::FindingRecordedV2 { finding, .. } => {
                vec![format!("finding:{finding}")]
            }
            _ => Vec::new(),
        }
    }

    fn directory(&self) -> &Directory {
        &self.directory
    }

    fn apply(&mut self, record: &Record) {
        let on = record.envelope.occurred_at.vietnam_date();
        self.apply_event(&record.envelope.event, on);
    }

    fn decide(&self, command: &Command, context: &Context) -> Result<Event, Refusal> {
        let actor = &context.actor;
        if self.directory.person(actor).is_none() {
            return Err(Refusal::NotRegistered { actor: actor.clone() });
        }
        command.decide(self, actor, context.occurred_on)
    }
}

#[cfg(test)]
mod tests {
    //! Given these events, when this command, then this event or this refusal.
    use super::*;
    use crate::cmd;
    use crate::decide::*;
    use reform_shared::event::{Role, UnitKind};

    use reform_shared::ids::{TaskId, UnitId};
    use reform_shared::testkit::{date, id, when};

    fn given(events: &[(&str, Event)]) -> State {
        let mut state = State::default();
        for (on, event) in events {
            state.apply_event(event, Some(date(on)));
        }
        state
    }

    fn department_with_task() -> State {
        given(&[
            (
                "2016-01-01",
                Event::UnitAdded {
                    unit: id("sgd"),
                    name: "Sở GD&ĐT".into(),
                    kind: UnitKind::Department,
                    parent: None,
                },
            ),
            (
                "2016-01-01",
                Event::PersonRegistered { person: id("b"), name: "B".into(), title: "".into() },
            ),
            (
                "2016-01-01",
                Event::LeaderAppointed {
                    tenure: id("t-b"),
                    unit: id("sgd"),
                    person: id("b"),
                    role: Role::Head,
                    from: date("2016-01-01"),
                },
            ),
            (
                "2016-08-01",
                Event::TaskAssigned {
                    task: id("t4"),
                    unit: id("sgd"),
                    person: None,
                    plan: None,
                    title: "t4".into(),
                    target: "x".into(),
                    due: date("2016-09-30"),
                    criterion: None,
                    assigned_by: id("b"),
                },
            ),
        ])
    }

    #[test]
    fn a_deadline_change_carries_the_old_and_new_due_and_moves_the_due_date() {
        let mut state = department_with_task();
        let change = Command::ChangeDeadline(cmd::ChangeDeadline {
            task: id("t4"),
            due: date("2016-10-31"),
            reason: "r".into(),
        });
        let event = when(&state, "b", "2016-09-20", change.clone()).expect("accepted");
        assert_eq!(
            event,
            Event::DeadlineChanged {
                task: id("t4"),
                unit: id("sgd"),
                old_due: date("2016-09-30"),
                new_due: date("2016-10-31"),
                reason: "r".into(),
            }
        );
        state.apply_event(&event, Some(date("2016-09-20")));
        let again = when(&state, "b", "2016-09-21", change);
        assert!(matches!(again, Err(Refusal::SameDeadline { .. })));
    }

    #[test]
    fn nothing_happens_to_a_task_before_its_assignment_date() {
        let state = department_with_task();
        let early = Command::ReportProgress(cmd::ReportProgress {
            task: id("t4"),
            percent: 10,
            note: "".into(),
        });
        let refusal = when(&state, "b", "2016-07-31", early).expect_err("refused");
        assert!(matches!(refusal, Refusal::BeforeAssignment { .. }), "{refusal}");
    }

    #[test]
    fn a_reassignment_that_changes_nothing_is_refused() {
        let state = department_with_task();
        let same = Command::ReassignTask(cmd::ReassignTask {
            task: id("t4"),
            unit: Some(id("sgd")),
            person: None,
            reason: "".into(),
        });
        assert!(matches!(
            when(&state, "b", "2016-08-02", same),
            Err(Refusal::NothingChanges { .. })
        ));
    }

    #[test]
    fn the_actor_is_recorded_as_the_assigning_leader() {
        let state = department_with_task();
        let assign = Command::AssignTask(cmd::AssignTask {
            task: id("t5"),
            unit: Some(id("sgd")),
            person: None,
            plan: None,
            title: "t5".into(),
            target: "x".into(),
            due: Some(date("2016-12-31")),
            criterion: Some(id("1.1")),
        });
        let event = when(&state, "b", "2016-08-15", assign).expect("accepted");
        assert!(matches!(event, Event::TaskAssigned { assigned_by, .. } if assigned_by == id("b")));
    }

    #[test]
    fn a_person_is_required_by_the_rules_of_the_tasks_business_date() {
        let state = department_with_task();
        let assign = |due: &str| {
            Command::AssignTask(cmd::AssignTask {
                task: id("t6"),
                unit: Some(id("sgd")),
                person: None,
                plan: None,
                title: "Rà soát".into(),
                target: "Danh mục".into(),
                due: Some(date(due)),
                criterion: None,
            })
        };
        // Assigned in 2016, before the rule: decided as it was then (and so verified).
        assert!(when(&state, "b", "2016-08-15", assign("2016-12-31")).is_ok());
        // Assigned on the rule's first day, naming no one: refused.
        let day = PERSON_REQUIRED_FROM.to_string();
        assert_eq!(
            when(&state, "b", &day, assign("2027-03-31")),
            Err(Refusal::NotFiveClear { task: id("t6"), missing: "responsible person" })
        );
    }

    /// A department merged into another on 1 January 2017: its open task is the successor's,
    /// and it takes no new task from that day, though one dated before it is still its own.
    #[test]
    fn a_unit_that_ended_hands_its_open_tasks_on_and_takes_no_new_ones() {
        let mut state = department_with_task();
        let successor = Event::UnitAdded {
            unit: id("ct"),
            name: "Sở GD&ĐT Cần Thơ".into(),
            kind: UnitKind::Department,
            parent: None,
        };
        let ended = Event::UnitEnded {
            unit: id("sgd"),
            how: reform_shared::event::Ending::Merged,
            successor: id("ct"),
            effective: date("2017-01-01"),
            basis: reform_shared::event::LegalBasis {
                document: "1/NQ".into(),
                date: date("2016-12-01"),
            },
        };
        state.apply_event(&successor, Some(date("2016-01-01")));
        state.apply_event(&ended, Some(date("2017-01-01")));
        assert_eq!(state.tasks[&id::<TaskId>("t4")].unit, id::<UnitId>("ct"));
        let assign = |task: &str| {
            Command::AssignTask(cmd::AssignTask {
                task: id(task),
                unit: Some(id("sgd")),
                person: None,
                plan: None,
                title: task.into(),
                target: "x".into(),
                due: Some(date("2017-06-30")),
                criterion: None,
            })
        };
        let late = when(&state, "b", "2017-01-02", assign("t7"));
        assert!(matches!(late, Err(Refusal::UnitEnded { .. })), "{late:?}");
        assert!(when(&state, "b", "2016-12-30", assign("t8")).is_ok(), "dated before the end");
    }
}
