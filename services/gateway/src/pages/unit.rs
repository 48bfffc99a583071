//! A unit's page: its task register with overdue tasks highlighted, its evidence with document
//! numbers, its scores by component field against their maxima, and the trend over the years.

use super::overview::years_nav;
use super::{
    applied_through, default_year, directory, html, kind_label, pick_year, role_label, view,
    years_offered, PageResult,
};
use crate::chart;
use crate::page::{frame, header, label, Asked, Columns, PageError, View};
use crate::App;
use axum::extract::{Path, State};
use maud::{html, Markup};
use reform_projector::queries::{
    self, EvidenceQuery, NationalQuery, RankingQuery, TasksQuery, UnitQuery,
};
use reform_projector::registers::{Directory, EvidenceList};
use reform_projector::views::{
    PersonName, RankEntry, Scores, TaskFilter, TaskList, TaskStatus, UnitProgress,
};
use reform_shared::event::{Component, Stage};
use reform_shared::ids::{PersonId, UnitId};
use std::sync::Arc;

pub async fn page(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Asked(params): Asked,
) -> PageResult {
    let view = view(&params)?;
    let unit: UnitId = super::parse_id(&id, super::UNIT)?;
    // The unit, the units above it and its children: what `about` shows.
    let dir = directory(&app, Some(&unit), Some(1)).await.map_err(|e| {
        e.or_missing(format!("Không có đơn vị {unit}"), format!("unknown unit {unit}"))
    })?;
    let as_of = view.on;
    let fallback = default_year(&dir, view.day());
    let mut year = view.year_or(fallback);
    let mut progress =
        queries::unit(&app.client, &UnitQuery { unit: unit.clone(), year, as_of }).await?;
    // Not asked for a year: open on the latest the unit has data in.
    let latest = pick_year(&view, &progress.years_with_data, fallback);
    if latest != year {
        year = latest;
        progress =
            queries::unit(&app.client, &UnitQuery { unit: unit.clone(), year, as_of }).await?;
    }
    let years = years_offered(&progress.years_with_data, year);
    let filter = register_filter(&params)?;
    let all = TaskFilter { with_sub_units: true, ..TaskFilter::default() };
    let q = TasksQuery { unit: unit.clone(), year, as_of, filter: all.clone() };
    let everyone = queries::tasks(&app.client, &q).await?;
    let tasks = if filter == all {
        everyone.clone()
    } else {
        queries::tasks(&app.client, &TasksQuery { filter: filter.clone(), ..q }).await?
    };
    let evidence =
        queries::evidence(&app.client, &EvidenceQuery { unit: unit.clone(), year, as_of }).await?;
    // The years before this one, asked at once (one round trip, not one per year); this year's
    // is the view above.
    let earlier: Vec<u16> = years.iter().copied().filter(|y| *y < year).collect();
    let asks = earlier.iter().map(|&y| {
        let q = UnitQuery { unit: unit.clone(), year: y, as_of };
        let client = app.client.clone();
        async move { queries::unit(&client, &q).await }
    });
    let mut trend: Vec<(u16, Option<u64>)> = futures::future::try_join_all(asks)
        .await?
        .iter()
        .zip(&earlier)
        .map(|(p, &y)| (y, p.scores.final_total_hundredths()))
        .collect();
    trend.push((year, progress.scores.final_total_hundredths()));
    trend.retain(|(y, v)| v.is_some() || dir.framework_years.contains(y));
    let reminders = super::reminders::of(&app, &view, &unit).await?;
    let rank = own_rank(&app, &dir, &progress, &view).await?;
    let before = predecessors_history(&app, &view, &dir).await?;
    let path = format!("/units/{unit}");
    let content = html! {
        (about(&view, &dir, &progress, rank.as_ref()))
        (years_nav(&view, &path, &years, year))
        (counts(&view, &progress))
        (super::reminders::section(&view, &reminders, "reminders"))
        (register_form(&view, &path, &everyone, &filter, year))
        (register(&view, &tasks))
        (evidence_table(&view, &evidence))
        (scores(&view, &progress.scores))
        section aria-labelledby="trend" {
            h2 id="trend" { (view.t("Kết quả qua các năm", "Over the years")) }
            @if trend.iter().all(|(_, v)| v.is_none()) {
                p { (view.t("Chưa có kết quả cuối cùng năm nào.", "No final score in any year yet.")) }
            } @else {
                (chart::trend(view.lang, view.t("Điểm cuối cùng theo năm", "Final score by year"), &trend, progress.scores.max_total_hundredths.max(1)))
                table id="trend-table" {
                    thead { tr { th scope="col" { (view.t("Năm", "Year")) } th class="num" scope="col" { (view.t("Điểm cuối cùng", "Final score")) } } }
                    tbody { @for (y, v) in &trend { tr { td { (y) } td class="num" { (view.hundredths(*v)) } } } }
                }
            }
        }
        (predecessors_section(&view, &before))
    };
    let title = format!("{} · {year}", progress.name);
    Ok(html(frame(&view, &path, &title, applied_through(&app).await, content)))
}

/// A predecessor and what it did, year by year: its own figures, for the successor's page.
struct Before {
    unit: reform_projector::registers::DirectoryUnit,
    years: Vec<UnitProgress>,
}

/// The units that ended into this one by the page's day, each with its figures for every year
/// it has data in (asked at once). Theirs, never summed into the successor's.
async fn predecessors_history(
    app: &App,
    view: &View,
    dir: &reform_projector::registers::Directory,
) -> Result<Vec<Before>, PageError> {
    let day = view.day();
    let mut out = Vec::new();
    for p in dir.predecessors.iter().filter(|u| u.ended.as_ref().is_some_and(|e| e.on <= day)) {
        let last = p.ended.as_ref().map_or(day, |e| e.on).year();
        let year = u16::try_from(last).unwrap_or(u16::MAX);
        let q = UnitQuery { unit: p.unit.clone(), year, as_of: view.on };
        let latest = queries::unit(&app.client, &q).await?;
        // The other years with data, asked at once; the last one is the answer above.
        let others: Vec<u16> =
            latest.years_with_data.iter().copied().filter(|&y| y != year).collect();
        let asks = others.iter().map(|&y| {
            let q = UnitQuery { unit: p.unit.clone(), year: y, as_of: view.on };
            let client = app.client.clone();
            async move { queries::unit(&client, &q).await }
        });
        let mut years = futures::future::try_join_all(asks).await?;
        if latest.years_with_data.contains(&year) {
            years.push(latest);
        }
        years.sort_by_key(|p| p.year);
        out.push(Before { unit: p.clone(), years });
    }
    Ok(out)
}

/// The predecessors' own record: tasks and final score by year, marked as theirs.
fn predecessors_section(view: &View, before: &[Before]) -> Markup {
    if before.is_empty() {
        return html! {};
    }
    html! {
        section aria-labelledby="before-heading" id="predecessors-history" {
            h2 id="before-heading" { (view.t("Kết quả của đơn vị tiền thân", "The predecessors' record")) }
            p { (view.t("Số liệu của từng đơn vị tiền thân, không cộng vào số liệu của đơn vị này.", "Each predecessor's own figures, not added to this unit's.")) }
            @for b in before {
                table class="scroll predecessor" data-unit=(b.unit.unit) {
                    caption { a href=(view.href(&format!("/units/{}", b.unit.unit))) { (b.unit.name) } }
                    (header(view, &[("Năm", "Year", false), ("Được giao", "Assigned", true), ("Đúng hạn", "On time", true), ("Trễ hạn", "Late", true), ("Quá hạn", "Overdue", true), ("Điểm cuối cùng", "Final score", true)]))
                    tbody { @for y in &b.years { tr {
                        td { a href=(view.href_year(&format!("/units/{}", b.unit.unit), y.year)) { (y.year) } }
                        td class="num" { (y.tasks.assigned) } td class="num" { (y.tasks.done_on_time) }
                        td class="num" { (y.tasks.done_late) } td class="num" { (y.tasks.overdue) }
                        td class="num" { (view.hundredths(y.scores.final_total_hundredths())) }
                    } } }
                }
            }
        }
    }
}

/// The unit's kind, where it sits in the tree, and its leaders on the page's day.
/// The unit's place in its peer group (the units of its kind under the same parent; the
/// country's provinces for a province) in the year shown: `None` when it has no final score.
async fn own_rank(
    app: &App,
    dir: &Directory,
    progress: &UnitProgress,
    view: &View,
) -> Result<Option<(RankEntry, u32)>, crate::page::PageError> {
    if progress.scores.final_total_hundredths().is_none() {
        return Ok(None);
    }
    let (year, kind, as_of) = (progress.year, progress.kind, view.on);
    // Its peers are the units under the parent it had as the year ended.
    let me = dir.units.iter().find(|u| u.unit == progress.unit);
    let parent = me.and_then(|u| u.parent_on(view.tree_day(year)).cloned());
    let (entries, size) = match parent {
        Some(parent) => {
            let q = RankingQuery { parent, kind, year, as_of };
            let r = queries::ranking(&app.client, &q).await?;
            (r.entries, r.group_size)
        }
        None => {
            let r = queries::national(&app.client, &NationalQuery { kind, year, as_of }).await?;
            (r.entries, r.group_size)
        }
    };
    Ok(entries.into_iter().find(|e| e.unit == progress.unit && e.rank.is_some()).map(|e| (e, size)))
}

fn about(
    view: &View,
    dir: &Directory,
    progress: &UnitProgress,
    rank: Option<&(RankEntry, u32)>,
) -> Markup {
    let me = dir.units.iter().find(|u| u.unit == progress.unit);
    let day = view.day();
    // Who is under whom as the year shown ended (or on the page's day, if earlier): a commune
    // that moved later is still listed under its district for that year.
    let tree_day = view.tree_day(progress.year);
    let parent = me
        .and_then(|u| u.parent_on(tree_day))
        .and_then(|p| dir.units.iter().find(|u| &u.unit == p));
    // A unit that ended by then is no longer under its parent; one founded later is not yet.
    let gone = |u: &&reform_projector::registers::DirectoryUnit| {
        u.ended.as_ref().is_some_and(|e| e.on <= tree_day)
            || u.founded.is_some_and(|on| tree_day < on)
    };
    let children: Vec<_> = dir
        .units
        .iter()
        .filter(|u| u.parent_on(tree_day) == Some(&progress.unit) && !gone(u))
        .collect();
    let ended = me.and_then(|u| u.ended.as_ref()).filter(|e| e.on <= day);
    let predecessors: Vec<_> =
        dir.predecessors.iter().filter(|u| u.ended.as_ref().is_some_and(|e| e.on <= day)).collect();
    let leaders: Vec<_> =
        dir.tenures.iter().filter(|t| t.unit == progress.unit && t.covers(day)).collect();
    html! {
        dl class="about" {
            dt { (view.t("Loại đơn vị", "Kind")) } dd { (kind_label(view.lang, progress.kind)) }
            @if let Some(e) = ended {
                dt { (view.t("Đã sắp xếp", "Restructured")) }
                dd id="ended" {
                    (view.lang.pick(e.how.label_vi(), e.how.label_en())) " "
                    (view.t("từ ngày ", "from ")) (view.date(e.on)) "; "
                    (view.t("đơn vị kế thừa: ", "successor: "))
                    a href=(view.href(&format!("/units/{}", e.successor))) { (e.successor_name) }
                    " (" (view.t("căn cứ ", "basis ")) (e.basis.document) ", " (view.date(e.basis.date)) ")"
                }
            }
            @if !predecessors.is_empty() {
                dt { (view.t("Đơn vị tiền thân", "Predecessors")) }
                dd id="predecessors" {
                    @for p in &predecessors {
                        a href=(view.href(&format!("/units/{}", p.unit))) { (p.name) }
                        @if let Some(e) = &p.ended {
                            " (" (view.lang.pick(e.how.label_vi(), e.how.label_en())) " " (view.t("từ ngày ", "from ")) (view.date(e.on)) ") "
                        }
                    }
                }
            }
            @if let Some(p) = parent {
                dt { (view.t("Trực thuộc", "Under")) }
                dd id="parent" { a href=(view.href(&format!("/units/{}", p.unit))) { (p.name_on(tree_day)) } }
            }
            @if let Some((entry, size)) = rank {
                dt { (view.t("Xếp hạng trong năm", "Rank this year")) }
                dd id="own-rank" {
                    (entry.rank.unwrap_or_default()) "/" (size)
                    @if let Some(before) = entry.previous_rank {
                        // In words when unchanged: "1, 0" would read as a decimal in Vietnamese.
                        " (" (view.t("năm trước hạng ", "last year ")) (before) ", "
                        @if entry.rank_change == Some(0) { (view.t("giữ nguyên", "unchanged")) }
                        @else { (super::overview::change(view, entry.rank_change)) }
                        ")"
                    }
                }
            }
            dt { (view.t("Lãnh đạo", "Leaders")) }
            dd id="leaders" {
                @if leaders.is_empty() { (view.t("chưa ghi nhận", "none recorded")) }
                @for t in &leaders {
                    a href=(view.href(&format!("/people/{}", t.person))) { (t.name) }
                    " (" (role_label(view.lang, t.role)) ", " (view.t("từ ", "since ")) (view.date(t.from)) ") "
                }
            }
            @if !children.is_empty() {
                dt { (view.t("Đơn vị trực thuộc", "Units under it")) }
                dd id="children" {
                    @for c in &children {
                        a href=(view.href(&format!("/units/{}", c.unit))) { (c.name_on(tree_day)) } " "
                    }
                }
            }
        }
    }
}

fn counts(view: &View, p: &UnitProgress) -> Markup {
    let t = &p.tasks;
    html! {
        section aria-labelledby="counts" {
            h2 id="counts" { (view.t("Tiến độ nhiệm vụ", "Task progress")) }
            table id="task-counts" class="scroll" {
                (header(view, &[("Được giao", "Assigned", true), ("Đang thực hiện", "In progress", true), ("Đúng hạn", "On time", true), ("Trễ hạn", "Late", true), ("Quá hạn", "Overdue", true), ("Đã hủy", "Cancelled", true), ("Tỷ lệ hoàn thành (%)", "Completion (%)", true), ("Tài liệu minh chứng", "Evidence", true)]))
                tbody { tr {
                    td class="num" { (t.assigned) } td class="num" { (t.open) }
                    td class="num" { (t.done_on_time) } td class="num" { (t.done_late) }
                    td class="num overdue-count" { (t.overdue) } td class="num" { (t.cancelled) }
                    td class="num completion" { (view.hundredths(Some(t.completion_rate_hundredths))) }
                    td class="num" { (p.evidence.total) }
                } }
            }
        }
    }
}

/// The register's filters from the query string, refused by name when one is not understood.
fn register_filter(params: &crate::page::Params) -> Result<TaskFilter, PageError> {
    let mut filter = TaskFilter { with_sub_units: true, ..TaskFilter::default() };
    if let Some(text) = params.status.as_deref().filter(|t| !t.is_empty()) {
        filter.status = Some(text.parse().map_err(|_| {
            PageError::bad(
                format!("status={text:?} không phải một trạng thái nhiệm vụ"),
                format!("status={text:?} is not a task state"),
            )
        })?);
    }
    if let Some(text) = params.due_within.as_deref().filter(|t| !t.is_empty()) {
        let days = text.parse::<u32>().ok().filter(|d| *d <= 3650).ok_or_else(|| {
            PageError::bad(
                format!("due_within={text:?} không phải số ngày (0 đến 3650)"),
                format!("due_within={text:?} is not a number of days (0 to 3650)"),
            )
        })?;
        filter.due_within_days = Some(days);
    }
    if let Some(text) = params.person.as_deref().filter(|t| !t.is_empty()) {
        filter.person = Some(super::parse_id(text, super::PERSON)?);
    }
    Ok(filter)
}

/// The register's filters as a form, and its download as a workbook.
fn register_form(
    view: &View,
    path: &str,
    everyone: &TaskList,
    filter: &TaskFilter,
    year: u16,
) -> Markup {
    let mut people: Vec<(&PersonId, &str)> = everyone
        .tasks
        .iter()
        .filter_map(|r| r.person.as_ref().zip(r.person_name.as_ref().map(|n| n.name.as_str())))
        .collect();
    people.sort_by(|a, b| a.1.cmp(b.1));
    people.dedup();
    let mut download = format!("{path}/register.xlsx?year={year}");
    for (key, value) in [
        ("status", filter.status.map(|s| s.as_str().to_owned())),
        ("due_within", filter.due_within_days.map(|d| d.to_string())),
        ("person", filter.person.as_ref().map(ToString::to_string)),
    ] {
        if let Some(v) = value {
            download.push_str(&format!("&{key}={v}"));
        }
    }
    if let Some(on) = view.on {
        download.push_str(&format!("&on={on}"));
    }
    html! {
        form method="get" action=(path) class="filters" id="register-filters" {
            @if view.lang == crate::page::Lang::En { input type="hidden" name="lang" value="en"; }
            @if let Some(on) = view.on { input type="hidden" name="on" value=(on); }
            input type="hidden" name="year" value=(year);
            label for="f-status" { (view.t("Trạng thái", "State")) }
            select id="f-status" name="status" {
                option value="" { (view.t("Tất cả", "All")) }
                @for s in TaskStatus::ALL {
                    option value=(s.as_str()) selected[filter.status == Some(s)] { (view.lang.pick(s.label_vi(), s.label_en())) }
                }
            }
            label for="f-due" { (view.t("Đến hạn trong (ngày)", "Due within (days)")) }
            input type="number" id="f-due" name="due_within" min="0" max="3650" value=[filter.due_within_days];
            label for="f-person" { (view.t("Người thực hiện", "Person")) }
            select id="f-person" name="person" {
                option value="" { (view.t("Tất cả", "All")) }
                @for (id, name) in &people {
                    option value=(id) selected[filter.person.as_ref() == Some(*id)] { (name) }
                }
            }
            button type="submit" { (view.t("Lọc", "Filter")) }
            " "
            a href=(download) download id="register-xlsx" { (view.t("Tải sổ theo dõi, minh chứng và điểm (Excel)", "Download the registers and scores (Excel)")) }
        }
    }
}

/// `/units/{id}/register.xlsx`: the unit's registers of a year as one workbook: the task
/// register (as filtered), its documents and its scores, a sheet each.
pub async fn register_xlsx(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Asked(params): Asked,
) -> Result<axum::response::Response, PageError> {
    use reform_rollup::xlsx::workbook;
    let view = view(&params)?;
    let unit: UnitId = super::parse_id(&id, super::UNIT)?;
    let Some(year) = view.year else {
        return Err(PageError::bad(
            "Sổ theo dõi tải về theo từng năm: thêm ?year=".to_owned(),
            "the register downloads one year at a time: add ?year=".to_owned(),
        ));
    };
    let as_of = view.on;
    let filter = register_filter(&params)?;
    let q = TasksQuery { unit: unit.clone(), year, as_of, filter };
    let list = queries::tasks(&app.client, &q).await?;
    let documents =
        queries::evidence(&app.client, &EvidenceQuery { unit: unit.clone(), year, as_of }).await?;
    let progress =
        queries::unit(&app.client, &UnitQuery { unit: unit.clone(), year, as_of }).await?;
    let sheets = [task_sheet(&list), evidence_sheet(&documents), score_sheet(&progress.scores)];
    let title = format!("Sổ theo dõi năm {year}: {}", list.unit_name);
    let bytes =
        workbook(&title, view.day(), &sheets).map_err(|e| PageError::Unavailable(e.into()))?;
    Ok(super::download(super::XLSX, &format!("so-theo-doi-{unit}-{year}.xlsx"), bytes))
}

/// A sheet's columns: heading and width.
fn columns(columns: &[(&str, f64)]) -> Vec<(String, f64)> {
    columns.iter().map(|(h, w)| ((*h).to_owned(), *w)).collect()
}

fn task_sheet(list: &TaskList) -> reform_rollup::xlsx::Sheet {
    use reform_rollup::xlsx::{Cell, Sheet};
    let name = |n: &Option<PersonName>| n.as_ref().map_or(Cell::Empty, |n| Cell::text(&n.name));
    let row = |r: &reform_projector::views::TaskRow| {
        vec![
            Cell::Date(r.due),
            Cell::text(&r.title),
            Cell::text(&r.unit_name),
            name(&r.person_name),
            Cell::text(&r.target),
            name(&r.assigned_by_name),
            Cell::text(r.status.label_vi()),
            r.days_overdue.and_then(|d| u64::try_from(d).ok()).map_or(Cell::Empty, Cell::Count),
            Cell::text(r.task.to_string()),
        ]
    };
    Sheet {
        name: "Sổ theo dõi nhiệm vụ".into(),
        columns: columns(&[
            ("Hạn", 12.0),
            ("Nhiệm vụ", 50.0),
            ("Đơn vị", 30.0),
            ("Người thực hiện", 24.0),
            ("Kết quả phải đạt", 40.0),
            ("Người giao", 24.0),
            ("Trạng thái", 18.0),
            ("Số ngày quá hạn", 10.0),
            ("Mã nhiệm vụ", 20.0),
        ]),
        rows: list.tasks.iter().map(row).collect(),
    }
}

fn evidence_sheet(list: &EvidenceList) -> reform_rollup::xlsx::Sheet {
    use reform_rollup::xlsx::{Cell, Sheet};
    let row = |e: &reform_projector::registers::EvidenceRow| {
        vec![
            Cell::text(&e.document_number),
            Cell::text(&e.title),
            Cell::text(&e.unit_name),
            e.criterion.as_ref().map_or(Cell::Empty, |c| Cell::text(c.to_string())),
            Cell::Date(e.attached_on),
            e.rejected_on.map_or(Cell::Empty, Cell::Date),
            Cell::text(e.evidence.to_string()),
        ]
    };
    Sheet {
        name: "Tài liệu minh chứng".into(),
        columns: columns(&[
            ("Số, ký hiệu", 20.0),
            ("Trích yếu", 60.0),
            ("Đơn vị", 30.0),
            ("Tiêu chí", 10.0),
            ("Ngày đính kèm", 14.0),
            ("Ngày bị từ chối", 14.0),
            ("Mã minh chứng", 24.0),
        ]),
        rows: list.evidence.iter().map(row).collect(),
    }
}

/// The scores by component field, each stage against the maxima, then the totals.
fn score_sheet(scores: &Scores) -> reform_rollup::xlsx::Sheet {
    use reform_rollup::xlsx::{Cell, Sheet};
    let stage = |s: Stage| scores.stages.iter().find(|x| x.stage == s);
    let value = |s: Stage, c: Component| {
        stage(s)
            .and_then(|x| x.components.iter().find(|k| k.component == c))
            .and_then(|k| k.value_hundredths)
    };
    let max = |c: Component| {
        scores
            .stages
            .iter()
            .flat_map(|x| &x.components)
            .find(|k| k.component == c)
            .map(|k| k.max_hundredths)
    };
    let mut rows: Vec<Vec<Cell>> = Component::ALL
        .into_iter()
        .filter_map(|c| {
            let m = max(c)?;
            let mut row = vec![Cell::text(c.label_vi()), Cell::Hundredths(m)];
            row.extend(Stage::ALL.map(|s| Cell::hundredths(value(s, c))));
            Some(row)
        })
        .collect();
    let mut total = vec![Cell::text("Tổng điểm"), Cell::Hundredths(scores.max_total_hundredths)];
    total.extend(Stage::ALL.map(|s| Cell::hundredths(stage(s).and_then(|x| x.total_hundredths))));
    let mut index = vec![Cell::text("Chỉ số (%)"), Cell::Empty];
    index.extend(Stage::ALL.map(|s| Cell::hundredths(stage(s).and_then(|x| x.index_hundredths))));
    rows.extend([total, index]);
    let mut heads = vec![("Lĩnh vực", 44.0), ("Điểm tối đa", 12.0)];
    heads.extend(Stage::ALL.map(|s| (s.label_vi(), 16.0)));
    Sheet { name: "Điểm Chỉ số CCHC".into(), columns: columns(&heads), rows }
}

const REGISTER: Columns = &[
    ("Hạn", "Due", false),
    ("Nhiệm vụ", "Task", false),
    ("Đơn vị, người thực hiện", "Unit, person", false),
    ("Kết quả phải đạt", "Expected result", false),
    ("Người giao", "Assigned by", false),
    ("Trạng thái", "State", false),
];

const EVIDENCE: Columns = &[
    ("Số văn bản", "Document number", false),
    ("Trích yếu", "Title", false),
    ("Đơn vị", "Unit", false),
    ("Tiêu chí", "Criterion", false),
    ("Ngày đính kèm", "Attached on", false),
];

/// The task register, by due date, with the "5 rõ": who, what, by when, the result expected,
/// who assigned it.
fn register(view: &View, list: &TaskList) -> Markup {
    html! {
        section aria-labelledby="tasks" {
            h2 id="tasks" { (view.t("Sổ theo dõi nhiệm vụ", "Task register")) }
            @if list.tasks.is_empty() {
                p { (view.t("Không có nhiệm vụ trong năm.", "No task this year.")) }
            } @else {
                table id="task-register" class="fold" {
                    (header(view, REGISTER))
                    tbody {
                        @for row in &list.tasks {
                            tr class=[(row.status == TaskStatus::Overdue).then_some("overdue")] data-task=(row.task) {
                                td data-label=(label(view, REGISTER, 0)) { time datetime=(row.due) { (view.date(row.due)) } }
                                td class="key" { a href=(view.href(&format!("/tasks/{}", row.task))) { (row.title) } }
                                td data-label=(label(view, REGISTER, 2)) {
                                    a href=(view.href(&format!("/units/{}", row.unit))) { (row.unit_name) }
                                    @if let Some(p) = &row.person { br; (person_link(view, p, row.person_name.as_ref())) }
                                }
                                td data-label=(label(view, REGISTER, 3)) { (row.target) }
                                td data-label=(label(view, REGISTER, 4)) { @if let Some(p) = &row.assigned_by { (person_link(view, p, row.assigned_by_name.as_ref())) } }
                                td class="status" data-label=(label(view, REGISTER, 5)) {
                                    (view.lang.pick(row.status.label_vi(), row.status.label_en()))
                                    @if let Some(days) = row.days_overdue {
                                        " (" (days) " " (view.t("ngày", "days")) ")"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A person's name linking to their page, their title beneath; the id only for a person the
/// views do not know.
fn person_link(view: &View, person: &PersonId, name: Option<&PersonName>) -> Markup {
    html! {
        a href=(view.href(&format!("/people/{person}"))) class="person" {
            @match name { Some(n) => (n.name), None => (person) }
        }
        @if let Some(n) = name.filter(|n| !n.title.is_empty()) { br; small class="person-title" { (n.title) } }
    }
}

fn evidence_table(view: &View, list: &EvidenceList) -> Markup {
    html! {
        section aria-labelledby="evidence" {
            h2 id="evidence" { (view.t("Tài liệu minh chứng", "Evidence")) }
            @if list.evidence.is_empty() {
                p { (view.t("Chưa có tài liệu trong năm.", "No document this year.")) }
            } @else {
                table id="evidence-list" class="fold" {
                    (header(view, EVIDENCE))
                    tbody {
                        @for e in &list.evidence {
                            tr class=[e.rejected_on.is_some().then_some("rejected")] {
                                td class="document" data-label=(label(view, EVIDENCE, 0)) { (document_link(e)) " " (view.t("ngày ", "of ")) (view.date(e.document_date)) }
                                td class="key" { (e.title)
                                    @if let Some(on) = e.rejected_on {
                                        " — " strong { (view.t("bị từ chối ngày ", "rejected on ")) (view.date(on)) }
                                        @if let Some(why) = &e.rejected_because { ": " (why) }
                                    }
                                    (erased(view, e))
                                }
                                td data-label=(label(view, EVIDENCE, 2)) { (e.unit_name) }
                                td data-label=(label(view, EVIDENCE, 3)) { @if let Some(c) = &e.criterion { (c) } }
                                td data-label=(label(view, EVIDENCE, 4)) { (view.date(e.attached_on)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The scores by component field, each stage against the maxima.
fn scores(view: &View, scores: &Scores) -> Markup {
    let stage = |s: Stage| scores.stages.iter().find(|x| x.stage == s);
    let value = |s: Stage, c: Component| {
        stage(s)
            .and_then(|x| x.components.iter().find(|k| k.component == c))
            .and_then(|k| k.value_hundredths)
    };
    let max = |c: Component| {
        scores
            .stages
            .iter()
            .flat_map(|x| &x.components)
            .find(|k| k.component == c)
            .map(|k| k.max_hundredths)
    };
    html! {
        section aria-labelledby="scores" {
            h2 id="scores" { (view.t("Điểm Chỉ số CCHC", "PAR index scores")) }
            @match &scores.framework {
                None => p { (view.t("Chưa có bộ tiêu chí cho năm này.", "No scoring framework for this year.")) },
                Some(source) => {
                    p { (view.t("Bộ tiêu chí: ", "Framework: ")) (source) }
                    table id="scores-table" class="scroll" {
                        thead { tr {
                            th scope="col" { (view.t("Lĩnh vực", "Component field")) }
                            th class="num" scope="col" { (view.t("Điểm tối đa", "Maximum")) }
                            @for s in Stage::ALL { th class="num" scope="col" { (view.lang.pick(s.label_vi(), s.label_en())) } }
                        } }
                        tbody {
                            @for c in Component::ALL {
                                @if let Some(m) = max(c) {
                                    tr {
                                        td { (view.lang.pick(c.label_vi(), c.label_en())) }
                                        td class="num" { (view.hundredths(Some(m))) }
                                        @for s in Stage::ALL { td class="num" { (view.hundredths(value(s, c))) } }
                                    }
                                }
                            }
                            tr class="total" {
                                th scope="row" { (view.t("Tổng điểm", "Total")) }
                                td class="num" { (view.hundredths(Some(scores.max_total_hundredths))) }
                                @for s in Stage::ALL { td class="num" data-stage=(s.as_str()) { (view.hundredths(stage(s).and_then(|x| x.total_hundredths))) } }
                            }
                            tr {
                                th scope="row" { (view.t("Chỉ số (%)", "Index (%)")) }
                                td {}
                                @for s in Stage::ALL { td class="num" { (view.hundredths(stage(s).and_then(|x| x.index_hundredths))) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A document's number, linked to its file unless its content was erased.
pub(crate) fn document_link(e: &reform_projector::registers::EvidenceRow) -> Markup {
    match e.erased_on {
        Some(_) => html! { (e.document_number) },
        None => {
            html! { a href=(format!("/evidence/{}", e.evidence)) download { (e.document_number) } }
        }
    }
}

/// What a register says of a document whose content was erased.
pub(crate) fn erased(view: &View, e: &reform_projector::registers::EvidenceRow) -> Markup {
    html! {
        @if let Some(on) = e.erased_on {
            " — " em class="erased" {
                (view.t("nội dung đã xóa ngày ", "content erased on ")) (view.date(on))
                (view.t(" (dữ liệu cá nhân)", " (personal data)"))
            }
        }
    }
}
