//! `publish-framework`: the scoring framework of one year for one kind of unit.

use crate::decide::{Refusal, State};
use crate::framework;
use reform_shared::event::{Component, Event, UnitKind};
use reform_shared::ids::CriterionCode;
use reform_shared::points::Points;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishFramework {
    pub year: u16,
    pub unit_kind: UnitKind,
    /// The methodology it follows, e.g. "QĐ 876/QĐ-BNV".
    pub source: String,
    pub criteria: Vec<CriterionSpec>,
}

/// One criterion of a framework, as written in a framework file or a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionSpec {
    pub code: CriterionCode,
    pub component: Component,
    pub title: String,
    pub max_points: Points,
    #[serde(default)]
    pub survey_measured: bool,
}

impl PublishFramework {
    /// A framework that holds together ([`framework::validate`]), once per year and kind: a
    /// published framework is never replaced.
    pub fn decide(&self, s: &State) -> Result<Event, Refusal> {
        let PublishFramework { year, unit_kind, source, criteria } = self;
        let criteria = framework::validate(*year, source, criteria)?;
        if s.frameworks.contains_key(&(*year, *unit_kind)) {
            return Err(Refusal::FrameworkExists { year: *year, kind: unit_kind.as_str() });
        }
        Ok(Event::FrameworkPublished {
            year: *year,
            unit_kind: *unit_kind,
            source: source.trim().to_owned(),
            criteria,
        })
    }
}
