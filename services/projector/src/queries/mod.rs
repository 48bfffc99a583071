//! Queries over NATS request-reply: the wire types, the endpoints the service registers, and
//! the typed client functions the CLI uses.
//!
//! Requests and replies are JSON. Each query names an optional `as_of` date: with it the view is
//! "as true at" that date; without it the view is live ("as known now"), and "overdue" is
//! judged on today in Vietnam, read at the edge when the request arrives.

use crate::people::{self, People, PersonEntry};
use crate::registers::{self, Directory, EvidenceList, Reminders};
use crate::store::Store;
use crate::views::{self, Basis, QueryError, Ranking, Timeline, UnitProgress};
use async_nats::service::ServiceExt;
use futures::StreamExt;
use reform_shared::event::UnitKind;
use reform_shared::ids::{PersonId, UnitId};
use reform_shared::time::Date;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Subject of the unit-progress query.
pub const SUBJECT_UNIT: &str = "par.view.unit";
/// Subject of the ranking query.
pub const SUBJECT_RANKING: &str = "par.view.ranking";
/// Subject of the timeline query.
pub const SUBJECT_TIMELINE: &str = "par.view.timeline";
/// Subject of the task register query.
pub const SUBJECT_TASKS: &str = "par.view.tasks";
/// Subject of the directory query: every unit and leader.
pub const SUBJECT_DIRECTORY: &str = "par.view.directory";
/// Subject of a person's entry: tenures, access and keys.
pub const SUBJECT_PERSON: &str = "par.view.person";
/// Subject of the list of people.
pub const SUBJECT_PEOPLE: &str = "par.view.people";
/// Subject of the evidence register query.
pub const SUBJECT_EVIDENCE: &str = "par.view.evidence";
/// Subject of the reminders query: what is due, went overdue and was completed.
pub const SUBJECT_REMINDERS: &str = "par.view.reminders";
/// Subject of a plan's register: the plan and every task assigned under it.
pub const SUBJECT_PLAN: &str = "par.view.plan";
/// Subject of the national ranking: every unit of a kind in the country.
pub const SUBJECT_NATIONAL: &str = "par.view.national";
/// Where a split projector sends a query about a province it does not own:
/// `par.view.owner.<province>.<view>`, answered by the province's owner alone. Services only:
/// people's accounts may send `par.view.<view>` and nothing deeper.
pub const OWNER_PREFIX: &str = "par.view.owner";
/// Subject of the status query: `applied_through`.
pub const SUBJECT_STATUS: &str = "par.view.status";
/// How long a client waits for a view.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest query request read.
pub const QUERY_BYTES_MAX: usize = 16 * 1024;
/// The most queries of one kind (people's, or other projectors' on the owner subjects) a
/// projector answers at once. One more is answered `unavailable` at once rather than queued: a
/// flood would otherwise grow the projector's memory, and the blocking pool's queue, without
/// bound. Owner queries have their own allowance because they never wait on another projector,
/// so people's queries passed on to an owner cannot starve the owner's answers.
pub const QUERIES_IN_FLIGHT_MAX: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitQuery {
    pub unit: UnitId,
    pub year: u16,
    #[serde(default)]
    pub as_of: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankingQuery {
    pub parent: UnitId,
    pub kind: UnitKind,
    pub year: u16,
    #[serde(default)]
    pub as_of: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    pub person: PersonId,
    #[serde(default)]
    pub as_of: Option<Date>,
}

/// A unit's task register for a year, filtered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TasksQuery {
    pub unit: UnitId,
    pub year: u16,
    #[serde(default)]
    pub as_of: Option<Date>,
    #[serde(default)]
    pub filter: views::TaskFilter,
}

/// Every unit of `kind` in the country ranked for `year`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NationalQuery {
    pub kind: UnitKind,
    pub year: u16,
    #[serde(default)]
    pub as_of: Option<Date>,
}

/// One province's share of a national ranking, as its owner answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NationalPart {
    pub peers: Vec<views::Peer>,
    /// The framework's highest total (0 when none is published).
    pub max_total_hundredths: u64,
    /// The years in which one of the peers has a score.
    #[serde(default)]
    pub years_scored: Vec<u16>,
    /// Whether the province itself existed at the year's end ([`views::ranked_in`]): one
    /// founded later, or ended before, is not among the year's provinces.
    #[serde(default = "counted")]
    pub counted: bool,
}

/// A part from a projector that does not say counts its province, as every one did before.
fn counted() -> bool {
    true
}

/// A unit's documents for a year (its sub-units' included): asked as a unit's progress is.
pub type EvidenceQuery = UnitQuery;

/// A unit's reminders (đôn đốc): due within a week, overdue and completed since `since`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemindersQuery {
    pub unit: UnitId,
    #[serde(default)]
    pub person: Option<PersonId>,
    /// The reminders' day; today in Vietnam when absent.
    #[serde(default)]
    pub on: Option<Date>,
    /// The day of the last reminders; a week before `on` when absent.
    #[serde(default)]
    pub since: Option<Date>,
}

/// A plan's register (kế hoạch), as known now or as true at `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    pub plan: reform_shared::ids::PlanId,
    #[serde(default)]
    pub as_of: Option<Date>,
}

/// A person's entry ([`reform_views::people::person_entry`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonQuery {
    pub person: PersonId,
}

/// Which part of the directory ([`registers::directory_part`]): the whole when both are absent.
/// Old clients send `null`, which reads as the whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryQuery {
    /// The unit, its ancestors and the units below it; the provinces when absent.
    #[serde(default)]
    pub under: Option<UnitId>,
    /// How many levels below `under` (or below the provinces); every level when absent.
    #[serde(default)]
    pub depth: Option<u8>,
    /// Only this person's tenures, and the units they held them at.
    #[serde(default)]
    pub person: Option<PersonId>,
}

/// A status query. With `through`, the answer waits until the views hold that sequence, for
/// at most `within_ms` (and never longer than [`STATUS_WAIT_MAX`]): a client that has just had
/// a command recorded learns the moment its page can show it, without asking again and again.
/// An empty body, `null` or `{}` asks for the status at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_ms: Option<u64>,
}

/// The longest a status query waits for its sequence, and its default.
pub const STATUS_WAIT_MAX: Duration = Duration::from_secs(5);
/// The most status queries waiting at once; one more is answered at once with the status as
/// it stands, which a client reads as "not yet" and asks again.
pub const STATUS_WAITING_MAX: usize = 1024;

/// The projector's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The last stream sequence the views hold.
    pub applied_through: u64,
}

pub use reform_shared::reply::{FailureKind, Found};

mod answer;
mod client;
mod serve;

pub use answer::*;
pub use client::*;
pub use serve::serve;
pub(crate) use serve::{answer_here, invalid, parse, reply};

/// A query's answer: the view, or why not (the commands' reply shape, [`reform_shared::reply`]).
pub type Answer<T> = reform_shared::reply::Reply<Found<T>>;

/// Why a client got no view.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("{message}")]
    Failed { kind: FailureKind, message: String },
    #[error("no projector answered at {subject}: {source} (is the projector running?)")]
    Transport { subject: &'static str, source: async_nats::RequestError },
    #[error("the projector sent an unreadable reply: {0}")]
    BadReply(String),
}

pub(crate) fn basis(as_of: Option<Date>) -> Basis {
    match as_of {
        Some(date) => Basis::AsTrueAt { date },
        // The edge: the only place the projector reads the clock.
        None => Basis::Live { today: Date::today_in_vietnam() },
    }
}
