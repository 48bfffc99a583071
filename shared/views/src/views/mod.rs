//! The views, computed at query time from a [`State`] (the whole state in unit tests, the slice a
//! query loaded from redb in the service) for a [`Basis`]: "as known now" or "as true at D".
//!
//! Every figure follows `docs/views.md`; the choices it leaves open are listed in this crate's
//! README ("Choices the views make") and tested here. Pure: no I/O, no clock; "today" comes in
//! with the basis.

use crate::model::{Dated, ScoreRec, State, TaskRec, TenureRec};
use crate::tree::{self, Below};
use reform_shared::event::{Component, Role, Stage, UnitKind};
use reform_shared::ids::{
    CriterionCode, EvidenceId, FindingId, PersonId, PlanId, TaskId, TenureId, UnitId,
};
use reform_shared::points::{percent_hundredths, Points};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

mod progress;
mod ranking;
mod score;
mod tasks;
mod timeline;

pub use progress::*;
pub use ranking::*;
pub use score::*;
pub use tasks::*;
pub use timeline::*;

/// Which events a view sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Basis {
    /// Every event known now (scores in force in stream order); "overdue" is judged on `today`.
    Live { today: Date },
    /// Only events whose business date is on or before `date` (scores in force in business
    /// time, then stream order); "overdue" is judged on `date`.
    AsTrueAt { date: Date },
}

impl Basis {
    /// The day "overdue" is judged on.
    pub fn day(self) -> Date {
        match self {
            Basis::Live { today } => today,
            Basis::AsTrueAt { date } => date,
        }
    }

    /// The day whose tree (who is under whom, and their names) a view of `year` shows: the
    /// year's last day, or the basis's day when that is earlier. A year is counted in the
    /// structure it ended with, as [`ranked_in`] ranks the units that saw its last day
    /// (docs/views.md "Restructuring").
    pub fn structure_day(self, year: u16) -> Date {
        let last = Date::from_ymd(i32::from(year), 12, 31).unwrap_or(self.day());
        last.min(self.day())
    }

    /// Whether an event of business date `on` is seen.
    pub fn sees(self, on: Date) -> bool {
        match self {
            Basis::Live { .. } => true,
            Basis::AsTrueAt { date } => on <= date,
        }
    }
}

/// A query about something the projection does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum QueryError {
    #[error("unknown unit {0}")]
    UnknownUnit(UnitId),
    #[error("unknown person {0}")]
    UnknownPerson(PersonId),
    #[error("unknown plan {0}")]
    UnknownPlan(PlanId),
}

/// The entry latest in business time, then stream order, among those whose date passes.
pub(crate) fn latest_by_date<T>(
    items: &[Dated<T>],
    pass: impl Fn(Date) -> bool,
) -> Option<&Dated<T>> {
    items.iter().filter(|d| pass(d.on)).max_by_key(|d| (d.on, d.seq))
}
