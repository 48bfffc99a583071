//! `/search?q=…`: a unit's tasks (its sub-units' too) and documents of a year whose title,
//! expected result, people or document number hold the words asked for, with or without
//! Vietnamese diacritics ("ngoc han" finds "Võ Thị Ngọc Hân"; "30/KH" finds "30/KH-UBND").
//! The registers are the projector's; the page only picks from them.

use super::{applied_through, default_year, directory, html, view, PageResult};
use crate::page::{frame, header, label, Asked, Columns, PageError, View};
use crate::App;
use axum::extract::State;
use maud::{html, Markup};
use reform_projector::queries::{self, EvidenceQuery, TasksQuery};
use reform_projector::registers::EvidenceRow;
use reform_projector::views::{TaskFilter, TaskRow};
use reform_shared::ids::UnitId;
use std::sync::Arc;

/// The longest search read: a few words, not a document.
const QUERY_CHARS_MAX: usize = 200;

pub async fn page(State(app): State<Arc<App>>, Asked(params): Asked) -> PageResult {
    let view = view(&params)?;
    let asked = params.q.as_deref().unwrap_or_default().trim().to_owned();
    if asked.chars().count() > QUERY_CHARS_MAX {
        return Err(PageError::bad(
            format!("Từ khóa dài quá {QUERY_CHARS_MAX} ký tự"),
            format!("the search is longer than {QUERY_CHARS_MAX} characters"),
        ));
    }
    let provinces = directory(&app, None, Some(0)).await?;
    let unit: UnitId = match params.unit.as_deref().filter(|u| !u.is_empty()) {
        Some(text) => super::parse_id(text, super::UNIT)?,
        None => match provinces.units.first() {
            Some(first) => first.unit.clone(),
            None => {
                return Err(PageError::missing("Chưa có đơn vị nào".into(), "no unit yet".into()))
            }
        },
    };
    let fallback = default_year(&provinces, view.day());
    let (_, year) = super::unit_years(&app, &view, &unit, fallback).await?;
    let words = fold(&asked);
    let (tasks, documents) = if words.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let filter = TaskFilter { with_sub_units: true, ..TaskFilter::default() };
        let q = TasksQuery { unit: unit.clone(), year, as_of: view.on, filter };
        let tasks = queries::tasks(&app.client, &q).await?.tasks;
        let q = EvidenceQuery { unit: unit.clone(), year, as_of: view.on };
        let documents = queries::evidence(&app.client, &q).await?.evidence;
        (
            tasks.into_iter().filter(|t| matches(&words, &task_text(t))).collect(),
            documents.into_iter().filter(|e| matches(&words, &document_text(e))).collect(),
        )
    };
    let content = html! {
        form method="get" action="/search" class="filters" id="search-form" {
            @if view.lang == crate::page::Lang::En { input type="hidden" name="lang" value="en"; }
            @if let Some(on) = view.on { input type="hidden" name="on" value=(on); }
            label for="s-q" { (view.t("Tìm", "Search")) }
            input type="search" id="s-q" name="q" value=(asked) maxlength=(QUERY_CHARS_MAX);
            label for="s-unit" { (view.t("trong", "in")) }
            select id="s-unit" name="unit" {
                @for p in &provinces.units {
                    option value=(p.unit) selected[p.unit == unit] { (p.name) }
                }
            }
            label for="s-year" { (view.t("năm", "year")) }
            input type="number" id="s-year" name="year" min="2000" max="2100" value=(year);
            button type="submit" { (view.t("Tìm", "Search")) }
        }
        @if !words.is_empty() {
            p id="search-count" {
                (tasks.len()) (view.t(" nhiệm vụ, ", " tasks, ")) (documents.len()) (view.t(" tài liệu.", " documents."))
            }
            (task_results(&view, &tasks))
            (document_results(&view, &documents))
        }
    };
    let title = view.t("Tìm nhiệm vụ, người, văn bản", "Search tasks, people, documents");
    Ok(html(frame(&view, "/search", title, applied_through(&app).await, content)))
}

/// Text as searched: lower case, without diacritics (đ as d), words split on anything that
/// is not a letter, a digit or a slash.
fn fold(text: &str) -> Vec<String> {
    deunicode::deunicode(text)
        .to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '/'))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether every word asked for starts a word of the text (or, with a slash, is in it).
fn matches(words: &[String], text: &str) -> bool {
    let haystack = fold(text);
    words.iter().all(|w| {
        haystack
            .iter()
            .any(|h| h.starts_with(w.as_str()) || (w.contains('/') && h.contains(w.as_str())))
    })
}

fn task_text(t: &TaskRow) -> String {
    let people =
        [&t.person_name, &t.assigned_by_name].into_iter().flatten().map(|p| p.name.as_str());
    [t.title.as_str(), t.target.as_str(), t.unit_name.as_str(), t.task.as_str()]
        .into_iter()
        .chain(people)
        .collect::<Vec<_>>()
        .join(" ")
}

fn document_text(e: &EvidenceRow) -> String {
    format!("{} {} {}", e.document_number, e.title, e.unit_name)
}

const TASKS: Columns = &[
    ("Nhiệm vụ", "Task", false),
    ("Đơn vị", "Unit", false),
    ("Người thực hiện", "Person", false),
    ("Hạn", "Due", false),
    ("Trạng thái", "State", false),
];

fn task_results(view: &View, tasks: &[TaskRow]) -> Markup {
    html! {
        @if !tasks.is_empty() {
            table id="search-tasks" class="fold" {
                (header(view, TASKS))
                tbody {
                    @for t in tasks {
                        tr {
                            td class="key" { a href=(view.href(&format!("/tasks/{}", t.task))) { (t.title) } }
                            td data-label=(label(view, TASKS, 1)) { (t.unit_name) }
                            td data-label=(label(view, TASKS, 2)) { @if let Some(p) = &t.person_name { (p.name) } }
                            td data-label=(label(view, TASKS, 3)) { (view.date(t.due)) }
                            td data-label=(label(view, TASKS, 4)) { (view.lang.pick(t.status.label_vi(), t.status.label_en())) }
                        }
                    }
                }
            }
        }
    }
}

const DOCUMENTS: Columns = &[
    ("Số văn bản", "Document number", false),
    ("Trích yếu", "Title", false),
    ("Đơn vị", "Unit", false),
];

fn document_results(view: &View, documents: &[EvidenceRow]) -> Markup {
    html! {
        @if !documents.is_empty() {
            table id="search-documents" class="fold" {
                (header(view, DOCUMENTS))
                tbody {
                    @for e in documents {
                        tr {
                            td data-label=(label(view, DOCUMENTS, 0)) { a href=(format!("/evidence/{}", e.evidence)) download { (e.document_number) } }
                            td class="key" { (e.title) }
                            td data-label=(label(view, DOCUMENTS, 2)) { (e.unit_name) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_finds_words_with_or_without_diacritics_and_document_numbers_by_their_parts() {
        let text = "Võ Thị Ngọc Hân 30/KH-UBND Đề án đơn giản hóa";
        for asked in ["ngoc han", "NGỌC", "vo thi", "30/kh", "de an", "đơn giản"] {
            assert!(matches(&fold(asked), text), "{asked}");
        }
        for asked in ["ngoc lan", "31/kh", "han ngoc x"] {
            assert!(!matches(&fold(asked), text), "{asked}");
        }
        assert!(fold("  ").is_empty(), "nothing asked, nothing listed");
    }
}
