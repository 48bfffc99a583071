//! One task: its "5 rõ" and where it stands (from the projector's register), its whole history
//! as the log holds it (every assignment, deadline change, progress note, completion), and its
//! documents with a download each.

use super::{applied_through, html, view, PageResult};
use crate::page::{frame, header, label, Asked, Columns, PageError, View};
use crate::App;
use axum::extract::{Path, State};
use maud::{html, Markup};
use reform_audit::history::Entry;
use reform_projector::queries::{self, EvidenceQuery, TasksQuery};
use reform_projector::registers::EvidenceRow;
use reform_projector::views::{PersonName, TaskFilter, TaskRow};
use reform_shared::envelope::Actor;
use reform_shared::event::Event;
use reform_shared::ids::{PersonId, TaskId, UnitId};
use std::collections::BTreeMap;
use std::sync::Arc;

pub async fn page(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Asked(params): Asked,
) -> PageResult {
    let view = view(&params)?;
    let task: TaskId = super::parse_id(&id, super::TASK)?;
    let history = reform_audit::history::task(&app.js(), &task)
        .await
        .map_err(|e| PageError::Unavailable(e.into()))?;
    let Some((unit, year)) = placement(&history) else {
        return Err(PageError::missing(
            format!("Không có nhiệm vụ {task}"),
            format!("unknown task {task}"),
        ));
    };
    let filter = TaskFilter::default();
    let q = TasksQuery { unit: unit.clone(), year, as_of: view.on, filter };
    let register = queries::tasks(&app.client, &q).await?;
    let Some(row) = register.tasks.iter().find(|r| r.task == task) else {
        return Err(PageError::missing(
            format!("Nhiệm vụ {task} chưa được giao vào ngày đang xem"),
            format!("task {task} is not assigned yet on the day shown"),
        ));
    };
    let q = EvidenceQuery { unit: unit.clone(), year, as_of: view.on };
    let documents: Vec<EvidenceRow> = queries::evidence(&app.client, &q)
        .await?
        .evidence
        .into_iter()
        .filter(|e| e.task.as_ref() == Some(&task))
        .collect();
    let names = people(row);
    // "Văn phòng" is in every department: the unit is named with the one above it.
    let around = super::directory(&app, Some(&row.unit), Some(0)).await?;
    let above = around
        .units
        .iter()
        .find(|u| u.unit == row.unit)
        .and_then(|u| u.parent.as_ref())
        .and_then(|p| around.units.iter().find(|u| &u.unit == p))
        .map(|p| p.name.clone());
    let path = format!("/tasks/{task}");
    let content = html! {
        (five(&view, row, above.as_deref()))
        (steps(&view, &history, &names))
        (evidence(&view, &documents))
    };
    Ok(html(frame(&view, &path, &row.title, applied_through(&app).await, content)))
}

/// The unit the task is filed under after its last assignment, and the year it counts in (its
/// assignment's).
fn placement(history: &[Entry]) -> Option<(UnitId, u16)> {
    let year = history.first().and_then(|e| e.on).and_then(|d| u16::try_from(d.year()).ok())?;
    let unit = history.iter().rev().find_map(|e| match &e.event {
        Event::TaskAssigned { unit, .. }
        | Event::TaskReassigned { unit, .. }
        | Event::FindingRecorded { unit, .. }
        | Event::FindingRecordedV2 { unit, .. } => Some(unit.clone()),
        _ => None,
    })?;
    Some((unit, year))
}

/// The names the register gives for who does the task and who gave it: who the history's
/// steps were recorded by.
fn people(row: &TaskRow) -> BTreeMap<PersonId, PersonName> {
    let mut names = BTreeMap::new();
    for (id, name) in [(&row.person, &row.person_name), (&row.assigned_by, &row.assigned_by_name)] {
        if let (Some(id), Some(name)) = (id, name) {
            names.insert(id.clone(), name.clone());
        }
    }
    names
}

/// The "5 rõ": who, what, the result expected, by when, who gave it; and where it stands.
fn five(view: &View, row: &TaskRow, above: Option<&str>) -> Markup {
    let named = |name: &Option<PersonName>| {
        name.as_ref().map_or_else(String::new, |n| format!("{} ({})", n.name, n.title))
    };
    html! {
        dl class="about" id="task-five" {
            dt { (view.t("Đơn vị chủ trì", "Unit")) }
            dd id="task-unit" {
                a href=(view.href(&format!("/units/{}", row.unit))) { (row.unit_name) }
                @if let Some(above) = above { ", " (above) }
            }
            dt { (view.t("Người thực hiện", "Person")) }
            dd id="task-person" { (named(&row.person_name)) }
            dt { (view.t("Kết quả phải đạt", "Expected result")) }
            dd { (row.target) }
            dt { (view.t("Thời hạn", "Due")) }
            dd { time datetime=(row.due) { (view.date(row.due)) } }
            dt { (view.t("Người giao", "Assigned by")) }
            dd id="task-assigned-by" { (named(&row.assigned_by_name)) }
            dt { (view.t("Trạng thái", "State")) }
            dd id="task-status" {
                (view.lang.pick(row.status.label_vi(), row.status.label_en()))
                @if let Some(days) = row.days_overdue { " (" (days) " " (view.t("ngày", "days")) ")" }
            }
            @if let Some(c) = &row.criterion {
                dt { (view.t("Tiêu chí chấm điểm", "Criterion")) }
                dd { (c) }
            }
        }
    }
}

const STEPS: Columns = &[
    ("Ngày", "Date", false),
    ("Sự việc", "What", false),
    ("Nội dung", "Detail", false),
    ("Người ghi", "Recorded by", false),
];

fn steps(view: &View, history: &[Entry], names: &BTreeMap<PersonId, PersonName>) -> Markup {
    let by = |actor: &Actor| match actor {
        Actor::Person(p) => names.get(p).map_or_else(|| p.to_string(), |n| n.name.clone()),
        Actor::Service(_) => view.t("hệ thống", "the system").to_owned(),
    };
    html! {
        section aria-labelledby="history" {
            h2 id="history" { (view.t("Quá trình thực hiện", "History")) }
            table id="task-history" class="fold" {
                (header(view, STEPS))
                tbody {
                    @for e in history {
                        @let (what, detail) = describe(view, &e.event);
                        tr {
                            td data-label=(label(view, STEPS, 0)) { @if let Some(on) = e.on { time datetime=(on) { (view.date(on)) } } }
                            td class="key" { (what) }
                            td data-label=(label(view, STEPS, 2)) { (detail) }
                            td data-label=(label(view, STEPS, 3)) { (by(&e.by)) }
                        }
                    }
                }
            }
        }
    }
}

/// What a step of a task's history is, and what it said.
fn describe(view: &View, event: &Event) -> (&'static str, String) {
    reform_audit::history::describe(event, |vi, en| view.t(vi, en), |d| view.date(d))
}

fn evidence(view: &View, documents: &[EvidenceRow]) -> Markup {
    html! {
        section aria-labelledby="task-evidence" {
            h2 id="task-evidence" { (view.t("Tài liệu minh chứng", "Evidence")) }
            @if documents.is_empty() {
                p { (view.t("Chưa có tài liệu nào.", "No document yet.")) }
            } @else {
                ul id="task-documents" {
                    @for e in documents {
                        li class=[e.rejected_on.is_some().then_some("rejected")] {
                            (super::unit::document_link(e))
                            " — " (e.title) " (" (view.date(e.attached_on)) ")"
                            (super::unit::erased(view, e))
                        }
                    }
                }
            }
        }
    }
}
