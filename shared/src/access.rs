//! Who may record what: the access table, as one function of the event a command would
//! append. The command services check it after deciding (so the rule sees the event's real
//! unit, e.g. a task's current unit), and `audit verify` checks the same function against the
//! log, so the rule that held when a command was recorded is the rule an auditor re-checks.
//! `docs/security.md` has the table in words; every cell has a test.
//!
//! Two dates matter. The administrator access is checked on the day the command is recorded:
//! keeping the system is a duty now, not a historical office, so an administrator records a
//! tenure of 2012 today. Every other right (leading a unit, its staff, appraising it) is
//! checked on the command's business date, so history can be recorded after the fact by the
//! person who held the role then; every event keeps its recording time and the signed request
//! beside its business time, so backdating is visible to an auditor.

use crate::directory::Directory;
use crate::event::{Access, Event, Stage};
use crate::ids::{PersonId, UnitId};
use crate::time::Date;

/// What an event needs of the person who records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The directory, keys and frameworks.
    Administrator,
    /// Revoking a key: an administrator, or the key's owner (a lost key).
    AdministratorOrOwner { owner: PersonId },
    /// Plans and tasks: a head or reform deputy of each unit or of a unit above it.
    Leader { units: Vec<UnitId> },
    /// A unit's self-assessed scores: a head or reform deputy of the unit itself.
    UnitLeader { unit: UnitId },
    /// Progress and evidence: the unit's staff, or a leader of it or above it.
    StaffOrLeader { unit: UnitId },
    /// Appraised and final scores, rejected evidence: an appraiser of the unit.
    Appraiser { unit: UnitId },
    /// Erasing an evidence document's content: the data protection access, held on the day
    /// it is recorded (a duty now, like keeping the system).
    DataProtection,
    /// An inspection finding: a leader of the unit or above it, or an appraiser of it.
    LeaderOrAppraiser { unit: UnitId },
    /// Enrolling one's own passkey: the person named, signing with the passkey enrolled (its
    /// enrolment code is the directory service's to check).
    Enrolment { person: PersonId },
    /// The genesis step, once, while there is no administrator.
    Genesis,
    /// Only a service acting on its own (closing a period), never a person.
    Service,
}

/// The key an event registers for the person who signs it, so the signer need not hold it
/// before: the genesis's administrator key, a passkey being enrolled. Such an event counts only
/// when signed by exactly that key.
pub fn registers_own_key(event: &Event) -> Option<&str> {
    match event {
        Event::Genesis { key, .. } | Event::PasskeyEnrolled { key, .. } => Some(key),
        _ => None,
    }
}

/// The rule for recording `event`.
pub fn rule(event: &Event) -> Rule {
    match event {
        Event::UnitAdded { .. }
        | Event::PersonRegistered { .. }
        | Event::PersonRetitled { .. }
        | Event::LeaderAppointed { .. }
        | Event::TenureEnded { .. }
        | Event::KeyRegistered { .. }
        | Event::AccessGranted { .. }
        | Event::AccessWithdrawn { .. }
        | Event::EnrolmentOpened { .. }
        | Event::UnitEnded { .. }
        | Event::UnitRenamed { .. }
        | Event::UnitMoved { .. }
        | Event::UnitFounded { .. }
        | Event::FrameworkPublished { .. } => Rule::Administrator,
        Event::PasskeyEnrolled { person, .. } => Rule::Enrolment { person: person.clone() },
        Event::KeyRevoked { person, .. } => Rule::AdministratorOrOwner { owner: person.clone() },
        Event::PlanIssued { unit, .. }
        | Event::TaskAssigned { unit, .. }
        | Event::DeadlineChanged { unit, .. }
        | Event::TaskCancelled { unit, .. } => Rule::Leader { units: vec![unit.clone()] },
        Event::TaskReassigned { unit, from_unit, .. } => {
            Rule::Leader { units: vec![from_unit.clone(), unit.clone()] }
        }
        Event::ProgressReported { unit, .. }
        | Event::TaskCompleted { unit, .. }
        | Event::EvidenceAttached { unit, .. } => Rule::StaffOrLeader { unit: unit.clone() },
        Event::FindingRecorded { unit, .. } | Event::FindingRecordedV2 { unit, .. } => {
            Rule::LeaderOrAppraiser { unit: unit.clone() }
        }
        Event::EvidenceRejected { unit, .. } => Rule::Appraiser { unit: unit.clone() },
        Event::EvidenceErased { .. } => Rule::DataProtection,
        Event::ScoreChanged { unit, stage: Stage::SelfAssessed, .. } => {
            Rule::UnitLeader { unit: unit.clone() }
        }
        Event::ScoreChanged { unit, .. } => Rule::Appraiser { unit: unit.clone() },
        Event::Genesis { .. } => Rule::Genesis,
        Event::PeriodRolledUp { .. } => Rule::Service,
    }
}

/// A person without the right to record an event: names what was needed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{actor} may not record {event}: that needs {} on {on}", needs(rule, units))]
pub struct NotAllowed {
    pub actor: PersonId,
    pub event: String,
    pub on: Date,
    /// The rule that was not met, in kebab case (`leader`, `appraiser`, …).
    pub rule: &'static str,
    /// The event's type name (`task-assigned`).
    pub event_type: &'static str,
    /// The units the rule names, by name and id.
    pub units: Vec<String>,
}

/// The prefix of the reasons the access table and the signer check give
/// ([`crate::reply::Reason`]).
pub const REASON_PREFIX: &str = "access";

impl NotAllowed {
    /// This refusal for an edge to word: `access.needs-<rule>`.
    pub fn reason(&self) -> crate::reply::Reason {
        let mut params = serde_json::Map::new();
        params.insert("actor".into(), self.actor.as_str().into());
        params.insert("event".into(), self.event_type.into());
        params.insert("units".into(), self.units.join(", ").into());
        params.insert("on".into(), self.on.to_string().into());
        crate::reply::Reason { code: format!("{REASON_PREFIX}.needs-{}", self.rule), params }
    }
}

/// What a rule needs, in English, of the units it names.
fn needs(rule: &str, units: &[String]) -> String {
    let u = units.join(" and at ");
    match rule {
        "administrator" => "the administrator access".to_owned(),
        "administrator-or-owner" => {
            format!("the administrator access, or to be the key's owner {u}")
        }
        "leader" => format!("a head or reform deputy in office at {u} or a unit above it"),
        "unit-leader" => format!("the head or reform deputy of {u} itself"),
        "staff-or-leader" => {
            format!("the staff access at {u}, or a head or reform deputy of {u} or a unit above it")
        }
        "appraiser" => format!(
            "the appraiser access at a unit that appraises {u} (e.g. the province's Sở Nội vụ)"
        ),
        "leader-or-appraiser" => {
            format!("a head or reform deputy of {u} or a unit above it, or an appraiser of {u}")
        }
        "data-protection" => "the data protection access".to_owned(),
        "enrolment" => format!("to be {u} oneself, enrolling one's own passkey"),
        "genesis" => "an installation with no administrator yet".to_owned(),
        _ => "a service; no person records it".to_owned(),
    }
}

/// The two days a right may be checked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    /// The command's business date.
    pub occurred: Date,
    /// The day it is recorded (Vietnam time).
    pub recorded: Date,
}

/// Whether `actor` may record `event`, by [`rule`].
pub fn permits(
    directory: &Directory,
    actor: &PersonId,
    event: &Event,
    days: Days,
) -> Result<(), NotAllowed> {
    let d = directory;
    let on = days.occurred;
    let admin = || d.holds(actor, Access::Administrator, None, days.recorded);
    let leads = |unit: &UnitId| d.leads_on(actor, unit, on).is_some();
    let name = |unit: &UnitId| match d.unit(unit) {
        Some(u) => format!("{} ({unit})", u.name),
        None => unit.to_string(),
    };
    let rule = rule(event);
    let allowed = match &rule {
        Rule::Administrator => admin(),
        Rule::AdministratorOrOwner { owner } => admin() || owner == actor,
        Rule::Leader { units } => units.iter().all(leads),
        Rule::UnitLeader { unit } => d.leads_itself(actor, unit, on),
        Rule::StaffOrLeader { unit } => {
            d.holds(actor, Access::Staff, Some(unit), on) || leads(unit)
        }
        Rule::Appraiser { unit } => d.appraises(actor, unit, on),
        Rule::DataProtection => d.holds(actor, Access::DataProtection, None, days.recorded),
        Rule::LeaderOrAppraiser { unit } => leads(unit) || d.appraises(actor, unit, on),
        Rule::Enrolment { person } => person == actor,
        Rule::Genesis => d.genesis.is_none(),
        Rule::Service => false,
    };
    if allowed {
        return Ok(());
    }
    let what = match event {
        Event::ScoreChanged { stage, unit, .. } => {
            format!("a {} score of {unit}", stage.as_str())
        }
        other => match other.unit() {
            Some(unit) => format!("{} at {unit}", other.type_name()),
            None => other.type_name().to_owned(),
        },
    };
    let (code, units) = match &rule {
        Rule::Administrator => ("administrator", vec![]),
        Rule::AdministratorOrOwner { owner } => ("administrator-or-owner", vec![owner.to_string()]),
        Rule::Leader { units } => ("leader", units.iter().map(name).collect()),
        Rule::UnitLeader { unit } => ("unit-leader", vec![name(unit)]),
        Rule::StaffOrLeader { unit } => ("staff-or-leader", vec![name(unit)]),
        Rule::Appraiser { unit } => ("appraiser", vec![name(unit)]),
        Rule::DataProtection => ("data-protection", vec![]),
        Rule::LeaderOrAppraiser { unit } => ("leader-or-appraiser", vec![name(unit)]),
        Rule::Enrolment { person } => ("enrolment", vec![person.to_string()]),
        Rule::Genesis => ("genesis", vec![]),
        Rule::Service => ("service", vec![]),
    };
    let on = match rule {
        Rule::Administrator | Rule::AdministratorOrOwner { .. } | Rule::DataProtection => {
            days.recorded
        }
        _ => on,
    };
    Err(NotAllowed {
        actor: actor.clone(),
        event: what,
        on,
        rule: code,
        event_type: event.type_name(),
        units,
    })
}
