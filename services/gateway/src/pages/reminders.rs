//! The reminder (đôn đốc) shown on a unit's page and on a leader's: what is due within a week,
//! what went overdue in the last week, what was completed in it.

use crate::page::{PageError, View};
use crate::App;
use maud::{html, Markup};
use reform_projector::queries::{self, RemindersQuery};
use reform_projector::registers::Reminders;
use reform_projector::views::TaskRow;
use reform_shared::ids::UnitId;

/// The reminders of `unit` on the page's day.
pub async fn of(app: &App, view: &View, unit: &UnitId) -> Result<Reminders, PageError> {
    let q = RemindersQuery { unit: unit.clone(), person: None, on: Some(view.day()), since: None };
    Ok(queries::reminders(&app.client, &q).await?)
}

pub fn section(view: &View, d: &Reminders, heading_id: &str) -> Markup {
    let list = |rows: &[(Option<reform_shared::time::Date>, &TaskRow)], class: &str| {
        html! {
            @if rows.is_empty() { p { (view.t("Không có.", "None.")) } }
            @else {
                ul class=(class) {
                    @for (done, t) in rows {
                        li {
                            time datetime=(t.due) { (view.date(t.due)) } " · " (t.title) " · "
                            a href=(view.href(&format!("/units/{}", t.unit))) { (t.unit_name) }
                            @if let Some(on) = done { " · " (view.t("hoàn thành ngày ", "completed on ")) (view.date(*on)) }
                        }
                    }
                }
            }
        }
    };
    let soon: Vec<_> = d.due_soon.iter().map(|t| (None, t)).collect();
    let overdue: Vec<_> = d.went_overdue.iter().map(|t| (None, t)).collect();
    let done: Vec<_> = d.completed.iter().map(|(on, t)| (Some(*on), t)).collect();
    html! {
        section aria-labelledby=(heading_id) class="reminders" {
            h2 id=(heading_id) { (view.t("Đôn đốc", "Reminders")) }
            p { (view.t("Từ ", "From ")) (view.date(d.since)) (view.t(" đến ", " to ")) (view.date(d.on)) "." }
            h3 { (view.t("Sắp đến hạn trong 7 ngày", "Due within 7 days")) " (" (soon.len()) ")" }
            (list(&soon, "due-soon"))
            h3 { (view.t("Mới quá hạn", "Went overdue")) " (" (overdue.len()) ")" }
            (list(&overdue, "went-overdue"))
            h3 { (view.t("Đã hoàn thành", "Completed")) " (" (done.len()) ")" }
            (list(&done, "completed"))
        }
    }
}
