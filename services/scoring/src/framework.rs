//! What makes a scoring framework valid, and the framework file format.
//!
//! A PAR INDEX framework has criteria in all eight component fields and its maxima total
//! exactly 100.00 points, so that "points achieved as a percentage of the maximum" is the same
//! figure as the points themselves and indices of different units compare. Validation is a
//! pure function, so it is tested without a server (see the property tests below).

use reform_shared::event::{Component, Criterion, UnitKind};
use reform_shared::ids::CriterionCode;
use reform_shared::points::{format_hundredths, Points};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

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

/// The maxima of a framework add up to this: 100.00 points.
pub const FRAMEWORK_TOTAL: Points = Points(10_000);
/// The most criteria a framework may have. The national methodology has 88 sub-criteria; this
/// leaves room while keeping the published event far below the event size limit.
pub const FRAMEWORK_CRITERIA_MAX: usize = 200;
/// The longest criterion title or source, in bytes.
pub const TITLE_BYTES_MAX: usize = 1_000;
/// The most text (every title and the source, in bytes) a framework may hold, so that a file
/// `framework check` accepts always fits in the one request `framework publish` sends (at most
/// `reform_shared::command::COMMAND_BYTES_MAX`, with the JSON around it). Found by fuzzing: 200
/// titles of 1,000 bytes passed the check and were then refused as too large a request.
pub const FRAMEWORK_TEXT_BYTES_MAX: usize = 64 * 1024;
/// The years a framework may be published for. The PAR INDEX started in 2012.
pub const FRAMEWORK_YEAR_MIN: u16 = 2000;
pub const FRAMEWORK_YEAR_MAX: u16 = 2100;

/// Why a framework cannot be published. Each message names what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, strum::VariantNames)]
#[serde(tag = "code", rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum FrameworkError {
    #[error(
        "year {year} is outside the years a framework may cover \
         ({FRAMEWORK_YEAR_MIN}–{FRAMEWORK_YEAR_MAX})"
    )]
    YearOutOfRange { year: u16 },
    #[error(
        "the framework does not name its source (the decision it follows, e.g. QĐ 876/QĐ-BNV)"
    )]
    NoSource,
    #[error("the framework has no criteria")]
    NoCriteria,
    #[error("the framework has {count} criteria; at most {FRAMEWORK_CRITERIA_MAX} are allowed")]
    TooManyCriteria { count: usize },
    #[error("criterion {code} appears more than once; each code must be unique")]
    DuplicateCode {
        #[serde(rename = "criterion")]
        code: String,
    },
    #[error("criterion {code} has no title")]
    NoTitle {
        #[serde(rename = "criterion")]
        code: String,
    },
    #[error("criterion {code}'s title or the source is longer than {TITLE_BYTES_MAX} bytes")]
    TooLong {
        #[serde(rename = "criterion")]
        code: String,
    },
    #[error(
        "the framework's titles and source hold {bytes} bytes of text; at most \
         {FRAMEWORK_TEXT_BYTES_MAX} fit in one publish request"
    )]
    TooMuchText { bytes: usize },
    #[error("criterion {code} has a maximum of 0 points; every criterion must be worth something")]
    ZeroMaximum {
        #[serde(rename = "criterion")]
        code: String,
    },
    #[error(
        "the framework has no criterion in component field(s): {missing}; all eight are needed"
    )]
    MissingComponents { missing: String },
    #[error(
        "the criteria's maxima total {total} points; a PAR INDEX framework totals exactly 100.00"
    )]
    WrongTotal { total: String },
}

/// Checks a framework and turns its specs into the event's criteria, in the given order.
pub fn validate(
    year: u16,
    source: &str,
    specs: &[CriterionSpec],
) -> Result<Vec<Criterion>, FrameworkError> {
    if !(FRAMEWORK_YEAR_MIN..=FRAMEWORK_YEAR_MAX).contains(&year) {
        return Err(FrameworkError::YearOutOfRange { year });
    }
    if source.trim().is_empty() {
        return Err(FrameworkError::NoSource);
    }
    if source.len() > TITLE_BYTES_MAX {
        return Err(FrameworkError::TooLong { code: "(source)".into() });
    }
    if specs.is_empty() {
        return Err(FrameworkError::NoCriteria);
    }
    if specs.len() > FRAMEWORK_CRITERIA_MAX {
        return Err(FrameworkError::TooManyCriteria { count: specs.len() });
    }
    let text = source.len() + specs.iter().map(|s| s.title.len()).sum::<usize>();
    if text > FRAMEWORK_TEXT_BYTES_MAX {
        return Err(FrameworkError::TooMuchText { bytes: text });
    }
    let mut codes = BTreeSet::new();
    for spec in specs {
        check_one(spec)?;
        if !codes.insert(spec.code.as_str()) {
            return Err(FrameworkError::DuplicateCode { code: spec.code.to_string() });
        }
    }
    check_components(specs)?;
    // u64: 200 criteria of u32::MAX hundredths cannot overflow it.
    let total: u64 = specs.iter().map(|s| u64::from(s.max_points.hundredths())).sum();
    if total != u64::from(FRAMEWORK_TOTAL.hundredths()) {
        return Err(FrameworkError::WrongTotal { total: format_hundredths(total) });
    }
    Ok(specs.iter().map(to_criterion).collect())
}

fn check_one(spec: &CriterionSpec) -> Result<(), FrameworkError> {
    let code = || spec.code.to_string();
    if spec.title.trim().is_empty() {
        return Err(FrameworkError::NoTitle { code: code() });
    }
    if spec.title.len() > TITLE_BYTES_MAX {
        return Err(FrameworkError::TooLong { code: code() });
    }
    if spec.max_points == Points::ZERO {
        return Err(FrameworkError::ZeroMaximum { code: code() });
    }
    Ok(())
}

fn check_components(specs: &[CriterionSpec]) -> Result<(), FrameworkError> {
    let present: BTreeSet<Component> = specs.iter().map(|s| s.component).collect();
    let missing: Vec<&str> =
        Component::ALL.iter().filter(|c| !present.contains(c)).map(|c| c.as_str()).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(FrameworkError::MissingComponents { missing: missing.join(", ") })
    }
}

fn to_criterion(spec: &CriterionSpec) -> Criterion {
    Criterion {
        code: spec.code.clone(),
        component: spec.component,
        title: spec.title.trim().to_owned(),
        max_points: spec.max_points,
        survey_measured: spec.survey_measured,
    }
}

/// A framework file, as kept in `services/scoring/frameworks/`. `notes` document where the
/// figures come from; they stay in the file and do not travel in the event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkFile {
    /// The year it applies to; a publication may name another year instead.
    #[serde(default)]
    pub year: Option<u16>,
    pub unit_kind: UnitKind,
    pub source: String,
    #[serde(default)]
    pub notes: Vec<String>,
    pub criteria: Vec<CriterionSpec>,
}

impl FrameworkFile {
    /// Reads a framework file's JSON, naming the problem when it is not one.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("not a framework file: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_framework_check_accepts_only_what_one_publish_request_can_carry() {
        let title = "x".repeat(TITLE_BYTES_MAX);
        let specs: Vec<CriterionSpec> = (0..FRAMEWORK_CRITERIA_MAX)
            .map(|i| CriterionSpec {
                title: title.clone(),
                ..spec(&format!("c{i}"), Component::ALL[i % 8], 50)
            })
            .collect();
        let error = validate(2017, "QĐ 1", &specs).expect_err("too much text");
        assert!(
            matches!(error, FrameworkError::TooMuchText { bytes } if bytes > FRAMEWORK_TEXT_BYTES_MAX),
            "{error}"
        );
        // The most text that passes, spread over the most criteria, fits one publish request.
        let per_title = (FRAMEWORK_TEXT_BYTES_MAX - 4) / FRAMEWORK_CRITERIA_MAX;
        let fullest: Vec<CriterionSpec> = (0..FRAMEWORK_CRITERIA_MAX)
            .map(|i| CriterionSpec {
                title: "ệ".repeat(per_title / "ệ".len()),
                ..spec(&format!("c{i:03}"), Component::ALL[i % 8], 50)
            })
            .collect();
        let criteria = validate(2017, "QĐ 1", &fullest).expect("the fullest framework passes");
        assert_eq!(criteria.len(), FRAMEWORK_CRITERIA_MAX);
        let file = FrameworkFile {
            year: Some(2017),
            unit_kind: reform_shared::event::UnitKind::Department,
            source: "QĐ 1".into(),
            notes: Vec::new(),
            criteria: fullest,
        };
        let request = reform_shared::command::Request {
            command_id: reform_shared::ids::CommandId::new("c".repeat(64)).expect("id"),
            actor: reform_shared::ids::PersonId::new("p".repeat(64)).expect("id"),
            occurred_on: None,
            command: file.into_command(None).expect("command"),
        };
        let bytes = serde_json::to_vec(&request).expect("json").len();
        assert!(bytes < reform_shared::command::COMMAND_BYTES_MAX, "{bytes} bytes");
    }
    use proptest::prelude::*;
    use reform_shared::ids::CriterionCode;

    fn spec(code: &str, component: Component, hundredths: u32) -> CriterionSpec {
        CriterionSpec {
            code: CriterionCode::new(code).expect("valid code"),
            component,
            title: format!("criterion {code}"),
            max_points: Points(hundredths),
            survey_measured: false,
        }
    }

    /// Eight criteria, one per component, whose maxima are the given hundredths.
    fn one_per_component(maxima: &[u32; 8]) -> Vec<CriterionSpec> {
        Component::ALL
            .iter()
            .zip(maxima)
            .enumerate()
            .map(|(i, (c, m))| spec(&format!("{}", i + 1), *c, *m))
            .collect()
    }

    #[test]
    fn the_shipped_frameworks_are_valid_and_total_100() {
        for text in [
            include_str!("../frameworks/par-index-department.json"),
            include_str!("../frameworks/par-index-district.json"),
        ] {
            let file = FrameworkFile::parse(text.as_bytes()).expect("parses");
            let year = file.year.expect("names a year");
            let criteria = validate(year, &file.source, &file.criteria).expect("valid");
            let total: u32 = criteria.iter().map(|c| c.max_points.hundredths()).sum();
            assert_eq!(total, 10_000);
            assert!(criteria.iter().any(|c| c.survey_measured));
        }
    }

    #[test]
    fn a_missing_component_is_named() {
        let mut specs =
            one_per_component(&[1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 3_000]);
        specs.retain(|s| s.component != Component::PublicFinance);
        specs.push(spec("9", Component::ImpactOnPeople, 1_000));
        let error = validate(2022, "QĐ 876/QĐ-BNV", &specs).expect_err("refused");
        assert_eq!(error, FrameworkError::MissingComponents { missing: "public-finance".into() });
    }

    fn any_maxima() -> impl Strategy<Value = [u32; 8]> {
        proptest::array::uniform8(1u32..5_000)
    }

    proptest! {
        /// Whatever the maxima, a framework is accepted exactly when they total 100.00, and the
        /// refusal reports the actual total.
        #[test]
        fn a_framework_is_accepted_exactly_when_its_maxima_total_100(maxima in any_maxima()) {
            let specs = one_per_component(&maxima);
            let total: u32 = maxima.iter().sum();
            match validate(2022, "QĐ 876/QĐ-BNV", &specs) {
                Ok(criteria) => {
                    prop_assert_eq!(total, 10_000);
                    prop_assert_eq!(criteria.len(), 8);
                }
                Err(FrameworkError::WrongTotal { total: shown }) => {
                    prop_assert_ne!(total, 10_000);
                    prop_assert_eq!(shown, format_hundredths(u64::from(total)));
                }
                Err(other) => prop_assert!(false, "unexpected refusal: {other}"),
            }
        }

        /// Splitting 100.00 points over the eight components in any way is accepted; adding a
        /// copy of any criterion makes the code duplicate and is refused.
        #[test]
        fn any_split_of_100_is_accepted_and_a_duplicate_code_is_not(
            cuts in proptest::collection::btree_set(1u32..10_000, 7),
            copy in 0usize..8,
        ) {
            let mut bounds: Vec<u32> = std::iter::once(0).chain(cuts).collect();
            bounds.push(10_000);
            let maxima: Vec<u32> = bounds.windows(2).map(|w| w[1] - w[0]).collect();
            let maxima: [u32; 8] = maxima.try_into().expect("eight parts");
            let mut specs = one_per_component(&maxima);
            prop_assert!(validate(2022, "source", &specs).is_ok());
            specs.push(specs[copy].clone());
            let refused = matches!(
                validate(2022, "source", &specs),
                Err(FrameworkError::DuplicateCode { .. })
            );
            prop_assert!(refused);
        }
    }
}
