//! The scoring service's commands as they travel in JSON.
//!
//! Enums travel as the kebab-case names people type (`"department"`, `"self-assessed"`), and
//! points travel as text (`"8.50"`), parsed by [`Points`]' own parser: a JSON number would go
//! through a float on some clients, and the log must hold exactly what the person typed.

use reform_shared::event::{Component, Stage, UnitKind};
use reform_shared::ids::{CriterionCode, EvidenceId, UnitId};
use reform_shared::points::Points;
use serde::{Deserialize, Serialize};

/// A command to the scoring service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Command {
    /// Publish the scoring framework of one year for one kind of unit.
    PublishFramework {
        year: u16,
        unit_kind: UnitKind,
        /// The methodology it follows, e.g. "QĐ 876/QĐ-BNV".
        source: String,
        criteria: Vec<CriterionSpec>,
    },
    /// Record one score of a unit on one criterion, at one stage.
    RecordScore {
        unit: UnitId,
        year: u16,
        criterion: CriterionCode,
        stage: Stage,
        points: Points,
        #[serde(default)]
        reason: String,
        #[serde(default)]
        evidence: Vec<EvidenceId>,
    },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_score_reads_from_the_json_people_write() {
        let json = r#"{"type":"record-score","unit":"sgd","year":2016,"criterion":"1.1",
            "stage":"self-assessed","points":"2.50","reason":"","evidence":["e1"]}"#;
        let command: Command = serde_json::from_str(json).expect("valid command");
        let Command::RecordScore { points, stage, .. } = command else {
            panic!("wrong variant");
        };
        assert_eq!(points, Points(250));
        assert_eq!(stage, Stage::SelfAssessed);
    }

    #[test]
    fn points_as_a_json_number_are_refused() {
        let json = r#"{"type":"record-score","unit":"sgd","year":2016,"criterion":"1.1",
            "stage":"final","points":2.5}"#;
        assert!(serde_json::from_str::<Command>(json).is_err());
    }

    #[test]
    fn unknown_fields_and_names_are_refused() {
        let extra = r#"{"type":"record-score","unit":"sgd","year":2016,"criterion":"1.1",
            "stage":"final","points":"1","bonus":true}"#;
        assert!(serde_json::from_str::<Command>(extra).is_err());
        let error = "draft".parse::<Stage>().expect_err("not a stage");
        assert!(error.to_string().contains("self-assessed, appraised, final"), "{error}");
    }
}
