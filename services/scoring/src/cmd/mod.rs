//! The scoring service's commands, one file each (mini-redis's `src/cmd/`), as they travel in
//! JSON: a command's fields and the rules that decide it sit together; [`Command`] only names
//! them and delegates.
//!
//! Enums travel as the kebab-case names people type (`"department"`, `"self-assessed"`), and
//! points travel as text (`"8.50"`), parsed by [`Points`]' own parser: a JSON number would go
//! through a float on some clients, and the log must hold exactly what the person typed.

mod publish_framework;
mod record_score;

pub use publish_framework::{CriterionSpec, PublishFramework};
pub use record_score::RecordScore;

use crate::decide::{Refusal, State};
use reform_shared::event::Event;
use reform_shared::service::Context;
use serde::{Deserialize, Serialize};

#[cfg(test)]
use reform_shared::{event::Stage, points::Points};

/// A command to the scoring service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Command {
    PublishFramework(PublishFramework),
    RecordScore(RecordScore),
}

impl Command {
    /// The event the command records, or why not: pure, "now" in the context.
    pub fn decide(&self, s: &State, context: &Context) -> Result<Event, Refusal> {
        match self {
            Command::PublishFramework(c) => c.decide(s),
            Command::RecordScore(c) => c.decide(s, context),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_score_reads_from_the_json_people_write() {
        let json = r#"{"type":"record-score","unit":"sgd","year":2016,"criterion":"1.1",
            "stage":"self-assessed","points":"2.50","reason":"","evidence":["e1"]}"#;
        let command: Command = serde_json::from_str(json).expect("valid command");
        let Command::RecordScore(RecordScore { points, stage, .. }) = command else {
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
