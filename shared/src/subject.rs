//! The subject scheme. Every event is published on
//!
//! ```text
//! par.evt.<family>.<unit>.<kind>.<id>
//! ```
//!
//! so a consumer filters by family (`par.evt.tasks.>`), by unit (`par.evt.*.sgd.>`) or by one
//! aggregate. `<unit>` is `_` for events about no unit (a person, a framework, a period).
//!
//! An *aggregate* is the thing a command decides on, and whose events must not interleave:
//! a task, a unit's scores on one criterion in one year, a unit's holders of one role. Appends
//! to an aggregate carry the expected last sequence of its *check subject*. Tasks, plans and
//! evidence have ids unique across units and may move between units, so their check subject
//! has `*` for the unit; the others are scoped by their unit.

use crate::event::{Event, Family};
use crate::ids::UnitId;

/// The subject prefix of command endpoints: `par.cmd.<service>`.
pub const COMMAND_SUBJECT_PREFIX: &str = "par.cmd";

/// The endpoint subject of a service.
pub fn command_subject(service: &str) -> String {
    format!("{COMMAND_SUBJECT_PREFIX}.{service}")
}

/// The inbox prefix of people's connections: `_PEOPLE.<random>` instead of async-nats's
/// `_INBOX.<random>`. People are in an account of their own (deploy/nats/permissions.conf), and
/// a push consumer they create (an object read, a KV key listing) lives in the services'
/// account and delivers there, to the deliver subject the client named: its inbox. The
/// services' account exports `_PEOPLE.>` to people as a stream, and nothing else of its
/// subject space, so these deliveries, and only these, reach them.
pub const PEOPLE_INBOX_PREFIX: &str = "_PEOPLE";

/// The one stream that holds every event.
pub const STREAM_NAME: &str = "PAR_EVENTS";
/// The first two tokens of every event subject.
pub const EVENT_SUBJECT_PREFIX: &str = "par.evt";
/// Everything in the stream.
pub const ALL_EVENTS: &str = "par.evt.>";
/// The unit token of an event about no unit.
pub const NO_UNIT: &str = "_";

/// An aggregate: where its events are published and how appends to it are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    pub family: Family,
    /// The unit the event is filed under, if any.
    pub unit: Option<UnitId>,
    pub kind: &'static str,
    pub id: String,
    /// The id is unique across units, and the aggregate may move between them.
    pub global_id: bool,
}

impl Aggregate {
    /// The aggregate an event belongs to. This is the only place that maps events to subjects.
    pub fn of(event: &Event) -> Aggregate {
        let scoped = |family, unit: &UnitId, kind, id: String| Aggregate {
            family,
            unit: Some(unit.clone()),
            kind,
            id,
            global_id: false,
        };
        let global = |family, unit: Option<&UnitId>, kind, id: String| Aggregate {
            family,
            unit: unit.cloned(),
            kind,
            id,
            global_id: true,
        };
        match event {
            Event::UnitAdded { unit, .. }
            | Event::UnitEnded { unit, .. }
            | Event::UnitRenamed { unit, .. }
            | Event::UnitMoved { unit, .. }
            | Event::UnitFounded { unit, .. } => {
                scoped(Family::Directory, unit, "unit", unit.to_string())
            }
            Event::PersonRegistered { person, .. } | Event::PersonRetitled { person, .. } => {
                global(Family::Directory, None, "person", person.to_string())
            }
            Event::LeaderAppointed { unit, role, .. } | Event::TenureEnded { unit, role, .. } => {
                scoped(Family::Directory, unit, "leaders", role.as_str().to_owned())
            }
            Event::PlanIssued { plan, unit, .. } => {
                global(Family::Tasks, Some(unit), "plan", plan.to_string())
            }
            Event::TaskAssigned { task, unit, .. }
            | Event::TaskReassigned { task, unit, .. }
            | Event::DeadlineChanged { task, unit, .. }
            | Event::ProgressReported { task, unit, .. }
            | Event::TaskCompleted { task, unit, .. }
            | Event::TaskCancelled { task, unit, .. }
            | Event::FindingRecorded { remediation_task: task, unit, .. }
            | Event::FindingRecordedV2 { remediation_task: task, unit, .. } => {
                global(Family::Tasks, Some(unit), "task", task.to_string())
            }
            Event::EvidenceAttached { evidence, unit, .. }
            | Event::EvidenceRejected { evidence, unit, .. }
            | Event::EvidenceErased { evidence, unit, .. } => {
                global(Family::Evidence, Some(unit), "evidence", evidence.to_string())
            }
            Event::FrameworkPublished { year, unit_kind, .. } => {
                global(Family::Scoring, None, "framework", format!("{year}-{}", unit_kind.as_str()))
            }
            Event::ScoreChanged { unit, year, criterion, .. } => scoped(
                Family::Scoring,
                unit,
                "score",
                format!("{year}-{}", criterion.subject_token()),
            ),
            Event::PeriodRolledUp { period, .. } => {
                global(Family::Rollup, None, "period", period.to_string())
            }
            Event::Genesis { .. } => {
                global(Family::Directory, None, "genesis", "administrator".to_owned())
            }
            Event::KeyRegistered { person, .. }
            | Event::KeyRevoked { person, .. }
            | Event::EnrolmentOpened { person, .. }
            | Event::PasskeyEnrolled { person, .. } => {
                global(Family::Directory, None, "keys", person.to_string())
            }
            Event::AccessGranted { person, unit, .. }
            | Event::AccessWithdrawn { person, unit, .. } => {
                global(Family::Directory, unit.as_ref(), "access", person.to_string())
            }
        }
    }

    fn unit_token(&self) -> &str {
        self.unit.as_ref().map_or(NO_UNIT, UnitId::as_str)
    }

    /// Where the event is published.
    pub fn subject(&self) -> String {
        format!(
            "{EVENT_SUBJECT_PREFIX}.{}.{}.{}.{}",
            self.family.as_str(),
            self.unit_token(),
            self.kind,
            self.id
        )
    }

    /// The subject (possibly with a wildcard) whose last sequence guards appends.
    pub fn check_subject(&self) -> String {
        let unit = if self.global_id { "*" } else { self.unit_token() };
        format!("{EVENT_SUBJECT_PREFIX}.{}.{unit}.{}.{}", self.family.as_str(), self.kind, self.id)
    }

    /// The aggregate's name in the integrity chain: the check subject without its prefix.
    pub fn chain_key(&self) -> String {
        self.check_subject()[EVENT_SUBJECT_PREFIX.len() + 1..].to_owned()
    }
}

/// All events of one family.
pub fn family_filter(family: Family) -> String {
    format!("{EVENT_SUBJECT_PREFIX}.{}.>", family.as_str())
}

/// All events filed under one unit.
pub fn unit_filter(unit: &UnitId) -> String {
    format!("{EVENT_SUBJECT_PREFIX}.*.{unit}.>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{TaskId, UnitId};

    #[test]
    fn tasks_are_filed_under_their_unit_but_checked_across_units() {
        let unit = UnitId::new("sgd").expect("valid");
        let event = Event::TaskCompleted {
            task: TaskId::new("t1").expect("valid"),
            unit,
            note: String::new(),
        };
        let aggregate = Aggregate::of(&event);
        assert_eq!(aggregate.subject(), "par.evt.tasks.sgd.task.t1");
        assert_eq!(aggregate.check_subject(), "par.evt.tasks.*.task.t1");
        assert_eq!(aggregate.chain_key(), "tasks.*.task.t1");
    }
}
