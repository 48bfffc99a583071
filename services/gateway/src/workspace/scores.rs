//! `/work/scores` ("Chấm điểm"): the PAR index scores a person records, in the browser.
//!
//! A unit's head self-assesses its criteria; an appraiser of the unit (the province's Sở Nội
//! vụ, as its appraisal council) records the appraised and final scores beside the
//! self-assessment and its evidence. The page shows a unit's criteria for a year by component
//! field, with every stage's value in force, and one form per field. Each submission is one
//! `record-score` command signed on the person's device: one criterion, one stage, its points,
//! the documents it rests on and the reason. The scoring service enforces the methodology's
//! rules (a self-assessed score without evidence needs a reason; an appraised score that
//! differs from the self-assessment needs one; a final score needs the appraised one), and the
//! page shows its refusal in place.

use super::finding::appraised;
use super::parts::choose;
use super::work::{signed_in, signer, signing_script};
use crate::page::{frame, Asked, PageError, View};
use crate::pages::{html, view};
use crate::App;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use reform_projector::queries::{self, UnitQuery};
use reform_projector::registers::EvidenceRow;
use reform_projector::views::{CriterionScore, StageScores};
use reform_shared::directory::Directory;
use reform_shared::event::{Component, Stage};
use reform_shared::ids::{PersonId, UnitId};
use reform_shared::time::Date;
use std::sync::Arc;

/// At most this many documents are offered as a score's evidence (the service takes a few per
/// score; a unit files more in a year, and the page names the newest).
const EVIDENCE_OFFERED_MAX: usize = 200;

/// The units a person scores today, by name: those they lead themselves (self-assessment) and
/// those they appraise.
struct Scorable {
    own: Vec<(UnitId, String)>,
    appraised: Vec<(UnitId, String)>,
}

fn scorable(d: &Directory, person: &PersonId, today: Date) -> Scorable {
    let named = |ids: Vec<UnitId>| {
        let mut units: Vec<(UnitId, String)> =
            ids.into_iter().filter_map(|u| Some((u.clone(), d.unit(&u)?.name.clone()))).collect();
        units.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        units.dedup();
        units
    };
    let led = d.tenures.values().filter(|t| &t.person == person && t.covers(today));
    Scorable {
        own: named(led.map(|t| t.unit.clone()).collect()),
        appraised: named(appraised(d, person, today)),
    }
}

/// The stages `person` may record on `unit` today, by the access table's rules.
fn stages_for(d: &Directory, person: &PersonId, unit: &UnitId, today: Date) -> Vec<Stage> {
    let mut stages = Vec::new();
    if d.leads_itself(person, unit, today) {
        stages.push(Stage::SelfAssessed);
    }
    if d.appraises(person, unit, today) {
        stages.extend([Stage::Appraised, Stage::Final]);
    }
    stages
}

/// `/work/scores`: the units the person scores.
pub async fn list(
    State(app): State<Arc<App>>,
    Asked(params): Asked,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let view = view(&params)?;
    let today = view.today;
    let found = signed_in(&app, &headers, |d, p| Some(scorable(d, p, today))).await?;
    let Some((_, scorable)) = found else {
        return Ok(Redirect::to(&view.href("/sign-in")).into_response());
    };
    let links = |units: &[(UnitId, String)]| {
        html! { ul { @for (unit, name) in units {
            li { a href=(view.href(&format!("/work/scores/{unit}"))) { (name) } }
        } } }
    };
    let content = html! {
        @if scorable.own.is_empty() && scorable.appraised.is_empty() {
            p { (view.t("Hôm nay bạn không chấm điểm đơn vị nào.", "You score no unit today.")) }
        }
        @if !scorable.own.is_empty() {
            h2 { (view.t("Tự đánh giá", "Self-assessment")) }
            (links(&scorable.own))
        }
        @if !scorable.appraised.is_empty() {
            h2 { (view.t("Thẩm định", "Appraisal")) }
            (links(&scorable.appraised))
        }
    };
    let title = view.t("Chấm điểm Chỉ số CCHC", "Scoring the PAR index");
    Ok(html(frame(&view, "/work/scores", title, None, content)).into_response())
}

/// `/work/scores/{unit}?year=Y`: the unit's criteria and the forms.
pub async fn unit(
    State(app): State<Arc<App>>,
    Path(unit): Path<String>,
    Asked(params): Asked,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let view = view(&params)?;
    let today = view.today;
    let unit: UnitId = crate::pages::parse_id(&unit, crate::pages::UNIT)?;
    let found = signed_in(&app, &headers, |d, p| Some(stages_for(d, p, &unit, today))).await?;
    let Some((session, stages)) = found else {
        return Ok(Redirect::to(&view.href("/sign-in")).into_response());
    };
    let year = view.year_or(u16::try_from(today.year()).unwrap_or(u16::MAX));
    let q = UnitQuery { unit: unit.clone(), year, as_of: None };
    let (progress, evidence) =
        tokio::join!(queries::unit(&app.client, &q), queries::evidence(&app.client, &q));
    let progress = progress?;
    let mut evidence: Vec<EvidenceRow> =
        evidence?.evidence.into_iter().filter(|e| e.rejected_on.is_none()).collect();
    evidence.reverse();
    evidence.truncate(EVIDENCE_OFFERED_MAX);
    let scores = &progress.scores;
    let path = format!("/work/scores/{unit}");
    let content = html! {
        (signer(&view, &app, &session))
        p #unit-scored { strong { (progress.name) } " · " (view.t("năm ", "year ")) (year) }
        form method="get" action=(path) {
            @if view.lang == crate::page::Lang::En { input type="hidden" name="lang" value="en"; }
            label for="scores-year" { (view.t("Năm đánh giá", "Year assessed")) }
            input #scores-year type="number" name="year" min="2000" max="2100" value=(year);
            button type="submit" { (view.t("Xem", "Show")) }
        }
        @if stages.is_empty() {
            p .error { (view.t("Hôm nay bạn không có quyền chấm điểm đơn vị này.", "You may not score this unit today.")) }
        }
        @match &scores.framework {
            None => p { (view.t("Chưa có bộ tiêu chí cho năm này.", "No scoring framework for this year.")) },
            Some(source) => {
                p { (view.t("Bộ tiêu chí: ", "Framework: ")) (source) }
                p { (view.t("Tiêu chí tự đánh giá không có tài liệu kiểm chứng phải nêu lý do; điểm thẩm định khác điểm tự đánh giá phải nêu lý do.", "A criterion self-assessed without evidence needs a reason; an appraised score differing from the self-assessment needs one.")) }
                @for component in Component::ALL {
                    (field(&view, &unit, year, component, &scores.stages, &stages, &evidence))
                }
            }
        }
        (signing_script(&view))
    };
    let title = view.t("Chấm điểm Chỉ số CCHC", "Scoring the PAR index");
    Ok(html(frame(&view, &path, title, None, content)).into_response())
}

/// One component field: its criteria with every stage's value, and its form.
fn field(
    view: &View,
    unit: &UnitId,
    year: u16,
    component: Component,
    stages: &[StageScores],
    allowed: &[Stage],
    evidence: &[EvidenceRow],
) -> Markup {
    let Some(first) = stages.first() else { return html! {} };
    let criteria: Vec<&CriterionScore> =
        first.criteria.iter().filter(|c| c.component == Some(component)).collect();
    if criteria.is_empty() {
        return html! {};
    }
    let in_force = |stage: Stage, code| {
        let s = stages.iter().find(|s| s.stage == stage);
        s.and_then(|s| s.criteria.iter().find(|c| &c.code == code))
    };
    let value = |stage: Stage, code| {
        view.hundredths(in_force(stage, code).and_then(|c| c.value_hundredths).map(u64::from))
    };
    let id = component.as_str();
    html! {
        section aria-labelledby=(format!("{id}-heading")) {
            h2 id=(format!("{id}-heading")) { (view.lang.pick(component.label_vi(), component.label_en())) }
            table .fold id=(format!("{id}-table")) {
                thead { tr {
                    th { (view.t("Tiêu chí", "Criterion")) }
                    th .num { (view.t("Tối đa", "Maximum")) }
                    @for s in Stage::ALL { th .num { (view.lang.pick(s.label_vi(), s.label_en())) } }
                    th { (view.t("Tài liệu kiểm chứng, lý do", "Evidence, reasons")) }
                } }
                tbody { @for c in &criteria {
                    tr {
                        td .key { (c.code) " " (c.title.as_deref().unwrap_or_default()) }
                        td .num data-label=(view.t("Tối đa", "Maximum")) { (view.hundredths(c.max_hundredths.map(u64::from))) }
                        @for s in Stage::ALL {
                            td .num data-label=(view.lang.pick(s.label_vi(), s.label_en())) { (value(s, &c.code)) }
                        }
                        td data-label=(view.t("Tài liệu kiểm chứng, lý do", "Evidence, reasons")) {
                            @for stage in Stage::ALL {
                                @if let Some(given) = in_force(stage, &c.code).filter(|g| !g.evidence.is_empty() || !g.reason.is_empty()) {
                                    (grounds(view, stage, given, evidence))
                                }
                            }
                        }
                    }
                } }
            }
            @if !allowed.is_empty() {
                (form(view, unit, year, id, &criteria, allowed, evidence))
            }
        }
    }
}

/// What a stage's score rests on: its documents, by number, and its reason.
fn grounds(view: &View, stage: Stage, given: &CriterionScore, evidence: &[EvidenceRow]) -> Markup {
    let number =
        |id| evidence.iter().find(|e| &e.evidence == id).map(|e| e.document_number.as_str());
    html! {
        p .grounds {
            em { (view.lang.pick(stage.label_vi(), stage.label_en())) ": " }
            @for id in &given.evidence {
                a href=(format!("/evidence/{id}")) { (number(id).unwrap_or(view.t("tài liệu", "document"))) } " "
            }
            @if !given.reason.is_empty() { "“" (given.reason) "”" }
        }
    }
}

/// The form of one field: one criterion's score at one stage, signed on the device.
fn form(
    view: &View,
    unit: &UnitId,
    year: u16,
    id: &str,
    criteria: &[&CriterionScore],
    allowed: &[Stage],
    evidence: &[EvidenceRow],
) -> Markup {
    let options: Vec<(String, String)> = criteria
        .iter()
        .map(|c| (c.code.to_string(), format!("{} {}", c.code, c.title.as_deref().unwrap_or(""))))
        .collect();
    let stages: Vec<(&str, String)> = allowed
        .iter()
        .map(|s| (s.as_str(), view.lang.pick(s.label_vi(), s.label_en()).to_owned()))
        .collect();
    html! {
        form .command id=(format!("score-{id}")) data-service="scoring" data-command="record-score" {
            input type="hidden" name="unit" value=(unit);
            input type="hidden" name="year" value=(year) data-number="1";
            label for=(format!("score-{id}-criterion")) { (view.t("Tiêu chí", "Criterion")) }
            (choose(&format!("score-{id}-criterion"), "criterion", &options))
            label for=(format!("score-{id}-stage")) { (view.t("Bước chấm", "Stage")) }
            (choose(&format!("score-{id}-stage"), "stage", &stages))
            label for=(format!("score-{id}-points")) { (view.t("Điểm (ví dụ 1,50)", "Points (e.g. 1.50)")) }
            input id=(format!("score-{id}-points")) name="points" required inputmode="decimal"
                pattern="[0-9]{1,3}([.,][0-9]{1,2})?" data-points="1";
            @if !evidence.is_empty() {
                fieldset .evidence {
                    legend { (view.t("Tài liệu kiểm chứng", "Evidence")) }
                    @for (i, e) in evidence.iter().enumerate() {
                        label {
                            input type="checkbox" name="evidence" value=(e.evidence) id=(format!("score-{id}-ev-{i}"));
                            (e.document_number) " · " (e.title) " (" (e.unit_name) ")"
                        }
                    }
                }
            }
            label for=(format!("score-{id}-reason")) { (view.t("Lý do, giải trình", "Reason")) }
            textarea id=(format!("score-{id}-reason")) name="reason" maxlength="2000" rows="2" {}
            button type="submit" { (view.t("Ký và ghi điểm", "Sign and record the score")) }
            p .outcome role="status" hidden {}
        }
    }
}
