//! A leader's accountability timeline: each tenure, and what happened to the unit and its
//! divisions while they held it.

use super::{applied_through, html, role_label, view, PageResult};
use crate::page::{frame, header, label, Asked, Columns, PageError, View};
use crate::App;
use axum::extract::{Path, State};
use maud::{html, Markup};
use reform_projector::queries::{self, TimelineQuery};
use reform_projector::views::{Fact, TenureTimeline};
use reform_shared::ids::PersonId;
use std::sync::Arc;

pub async fn page(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Asked(params): Asked,
) -> PageResult {
    let view = view(&params)?;
    let person: PersonId = super::parse_id(&id, super::PERSON)?;
    let timeline =
        queries::timeline(&app.client, &TimelineQuery { person: person.clone(), as_of: view.on })
            .await
            .map_err(|e| {
                PageError::from(e).or_missing(
                    format!("Không có người {person}"),
                    format!("unknown person {person}"),
                )
            })?;
    // The reminders of each unit the person leads on the page's day.
    let day = view.day();
    let mut reminders = Vec::new();
    for t in timeline.tenures.iter().filter(|t| t.from <= day && t.to.is_none_or(|to| day < to)) {
        reminders.push((t.unit_name.clone(), super::reminders::of(&app, &view, &t.unit).await?));
    }
    let path = format!("/people/{person}");
    let content = html! {
        p class="title" { (timeline.title) }
        p class="explain" { (view.t(super::reports::EXPLAIN_VI, super::reports::EXPLAIN_EN)) }
        @for (i, (name, d)) in reminders.iter().enumerate() {
            p { strong { (name) } }
            (super::reminders::section(&view, d, &format!("reminders-{i}")))
        }
        @if timeline.tenures.is_empty() {
            p { (view.t("Không có nhiệm kỳ nào.", "No tenure.")) }
        }
        @for tenure in &timeline.tenures { (tenure_section(&view, tenure)) }
    };
    let title = format!(
        "{} · {}",
        timeline.name,
        view.t("Trách nhiệm người đứng đầu", "Accountability timeline")
    );
    Ok(html(frame(&view, &path, &title, applied_through(&app).await, content)))
}

const TIMELINE: Columns = &[
    ("Ngày", "Date", false),
    ("Sự việc", "What", false),
    ("Đơn vị", "Unit", false),
    ("Chi tiết", "Detail", false),
];

fn tenure_section(view: &View, t: &TenureTimeline) -> Markup {
    let id = format!("tenure-{}", t.tenure);
    html! {
        section aria-labelledby=(id) class="tenure" {
            h2 id=(id) {
                (role_label(view.lang, t.role)) ", "
                a href=(view.href(&format!("/units/{}", t.unit))) { (t.unit_name) }
                ": " (view.date(t.from)) " → " @match t.to { Some(to) => (view.date(to)), None => (view.t("nay", "now")) }
            }
            @if t.entries.is_empty() {
                p { (view.t("Không có sự việc nào trong nhiệm kỳ.", "Nothing happened in this tenure.")) }
            } @else {
                table class="timeline fold" {
                    (header(view, TIMELINE))
                    tbody {
                        @for e in &t.entries {
                            @let (what, detail) = fact(view, &e.fact);
                            tr class=(fact_class(&e.fact)) {
                                td data-label=(label(view, TIMELINE, 0)) { time datetime=(e.on) { (view.date(e.on)) } }
                                td class="key" { (what) }
                                td data-label=(label(view, TIMELINE, 2)) { @if let Some(u) = &e.sub_unit { a href=(view.href(&format!("/units/{u}"))) { (e.sub_unit_name.as_deref().unwrap_or(u.as_str())) } } }
                                td data-label=(label(view, TIMELINE, 3)) { (detail) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn fact_class(fact: &Fact) -> &'static str {
    match fact {
        Fact::TaskWentOverdue { .. } => "overdue",
        _ => "fact",
    }
}

fn fact(view: &View, fact: &Fact) -> (&'static str, String) {
    fact.describe(|vi, en| view.t(vi, en))
}
