//! `publish-framework`: the scoring framework of one year for one kind of unit.

use crate::decide::{Refusal, State};
pub use crate::framework::CriterionSpec;
use crate::framework::{self, FrameworkFile};
use reform_shared::event::{Event, UnitKind};
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

impl FrameworkFile {
    /// The command that publishes this framework, for `year` or else the file's own year.
    pub fn into_command(self, year: Option<u16>) -> Result<super::Command, String> {
        let year = year.or(self.year).ok_or("the file names no year; give one with --year")?;
        Ok(super::Command::PublishFramework(PublishFramework {
            year,
            unit_kind: self.unit_kind,
            source: self.source,
            criteria: self.criteria,
        }))
    }
}
