//! Scores: the value in force of a score key, and a unit's scores by stage, criterion and
//! component field (docs/views.md "Scores").

use super::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionScore {
    pub code: CriterionCode,
    /// `None` for a criterion scored but absent from the year's framework.
    pub component: Option<Component>,
    /// The framework's title of the criterion; `None` when the framework does not list it.
    #[serde(default)]
    pub title: Option<String>,
    /// Measured by the sociological survey: the unit does not self-assess it.
    #[serde(default)]
    pub survey_measured: bool,
    pub max_hundredths: Option<u32>,
    /// `None`: missing in this stage (never zero).
    pub value_hundredths: Option<u32>,
    /// The reason the value in force was given with (empty when none was).
    #[serde(default)]
    pub reason: String,
    /// The documents the value in force rests on.
    #[serde(default)]
    pub evidence: Vec<EvidenceId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentScore {
    pub component: Component,
    pub max_hundredths: u64,
    /// `None` when no criterion of the component has a value in this stage.
    pub value_hundredths: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageScores {
    pub stage: Stage,
    /// No criterion has a value in this stage.
    pub missing: bool,
    pub total_hundredths: Option<u64>,
    /// total ÷ framework maximum total, hundredths of a percent; `None` when missing or when
    /// there is no framework.
    pub index_hundredths: Option<u64>,
    pub components: Vec<ComponentScore>,
    pub criteria: Vec<CriterionScore>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    /// The framework's source (e.g. "QĐ 876/QĐ-BNV"), if one is published for the year and kind.
    pub framework: Option<String>,
    pub max_total_hundredths: u64,
    pub stages: Vec<StageScores>,
}

impl Scores {
    /// The final stage's total, the figure a unit is ranked and reported by, if it has one.
    pub fn final_total_hundredths(&self) -> Option<u64> {
        let last = self.stages.iter().find(|s| s.stage == reform_shared::event::Stage::Final);
        last.and_then(|s| s.total_hundredths)
    }
}

/// The value in force of one score key (docs/views.md "Scores").
pub fn value_in_force(rec: &ScoreRec, basis: Basis) -> Option<Points> {
    change_in_force(rec, basis).map(|c| c.value.new)
}

/// The change that sets the value in force, with its business date and stream sequence: what
/// an auditor's `explain` lists behind a total.
pub fn change_in_force(rec: &ScoreRec, basis: Basis) -> Option<&Dated<crate::model::ScoreChange>> {
    match basis {
        Basis::Live { .. } => rec.changes.last(),
        Basis::AsTrueAt { .. } => latest_by_date(&rec.changes, |on| basis.sees(on)),
    }
}

/// The changes in force of a unit's criteria in a year and stage.
fn stage_changes<'s>(
    state: &'s State,
    unit: &UnitId,
    year: u16,
    stage: Stage,
    basis: Basis,
) -> BTreeMap<CriterionCode, &'s crate::model::ScoreChange> {
    state
        .scores
        .iter()
        .filter(|((u, y, _, s), _)| u == unit && *y == year && *s == stage)
        .filter_map(|((_, _, code, _), rec)| {
            Some((code.clone(), &change_in_force(rec, basis)?.value))
        })
        .collect()
}

/// Values in force of a unit's criteria in a year and stage.
fn stage_values(
    state: &State,
    unit: &UnitId,
    year: u16,
    stage: Stage,
    basis: Basis,
) -> BTreeMap<CriterionCode, Points> {
    let changes = stage_changes(state, unit, year, stage, basis);
    changes.into_iter().map(|(code, change)| (code, change.new)).collect()
}

/// A unit's total in a stage: `None` when no criterion has a value.
pub fn stage_total(
    state: &State,
    unit: &UnitId,
    year: u16,
    stage: Stage,
    basis: Basis,
) -> Option<u64> {
    let values = stage_values(state, unit, year, stage, basis);
    (!values.is_empty()).then(|| values.values().map(|p| u64::from(p.hundredths())).sum())
}

pub(super) fn scores(
    state: &State,
    unit: &UnitId,
    kind: UnitKind,
    year: u16,
    basis: Basis,
) -> Scores {
    let framework = state.frameworks.get(&(year, kind));
    let criteria = framework.map_or(&[][..], |f| &f.criteria[..]);
    let max_total: u64 = criteria.iter().map(|c| u64::from(c.max_points.hundredths())).sum();
    let stages = Stage::ALL
        .iter()
        .map(|&stage| {
            let changes = stage_changes(state, unit, year, stage, basis);
            let in_force = |code: &CriterionCode| changes.get(code).copied();
            let mut rows: Vec<CriterionScore> = criteria
                .iter()
                .map(|c| CriterionScore {
                    code: c.code.clone(),
                    component: Some(c.component),
                    title: Some(c.title.clone()),
                    survey_measured: c.survey_measured,
                    max_hundredths: Some(c.max_points.hundredths()),
                    value_hundredths: in_force(&c.code).map(|x| x.new.hundredths()),
                    reason: in_force(&c.code).map(|x| x.reason.clone()).unwrap_or_default(),
                    evidence: in_force(&c.code).map(|x| x.evidence.clone()).unwrap_or_default(),
                })
                .collect();
            // Scored criteria the framework does not list still count, and show as such.
            for (code, change) in &changes {
                if !criteria.iter().any(|c| &c.code == code) {
                    rows.push(CriterionScore {
                        code: code.clone(),
                        component: None,
                        title: None,
                        survey_measured: false,
                        max_hundredths: None,
                        value_hundredths: Some(change.new.hundredths()),
                        reason: change.reason.clone(),
                        evidence: change.evidence.clone(),
                    });
                }
            }
            let total = (!changes.is_empty())
                .then(|| changes.values().map(|x| u64::from(x.new.hundredths())).sum::<u64>());
            StageScores {
                stage,
                missing: changes.is_empty(),
                total_hundredths: total,
                index_hundredths: total
                    .filter(|_| max_total > 0)
                    .map(|t| percent_hundredths(t, max_total)),
                components: component_scores(&rows),
                criteria: rows,
            }
        })
        .collect();
    Scores {
        framework: framework.map(|f| f.source.clone()),
        max_total_hundredths: max_total,
        stages,
    }
}

fn component_scores(rows: &[CriterionScore]) -> Vec<ComponentScore> {
    Component::ALL
        .iter()
        .filter_map(|&component| {
            let mine: Vec<&CriterionScore> =
                rows.iter().filter(|r| r.component == Some(component)).collect();
            if mine.is_empty() {
                return None;
            }
            let values: Vec<u64> =
                mine.iter().filter_map(|r| r.value_hundredths.map(u64::from)).collect();
            Some(ComponentScore {
                component,
                max_hundredths: mine.iter().filter_map(|r| r.max_hundredths.map(u64::from)).sum(),
                value_hundredths: (!values.is_empty()).then(|| values.iter().sum()),
            })
        })
        .collect()
}
