//! The auditors' page: the verdict of `reformctl audit verify` over the whole log, the
//! checkpoints the latest period reports carry, and a unit's figures as known at the end of a
//! day beside the figures known now.

use super::{applied_through, default_year, directory, html, pick_year, view, PageResult};
use crate::page::{date_field, date_param, frame, header, Asked, PageError, Said, View};
use crate::App;
use axum::extract::State;
use maud::{html, Markup};
use reform_projector::queries::{self, UnitQuery};
use reform_projector::registers::{Directory, DirectoryUnit};
use reform_projector::views::{self, Basis, UnitProgress};
use reform_rollup::closed::{closed_periods, stored_report};
use reform_rollup::log::{read_prefix, End};
use reform_shared::audit::read::stream_info;
use reform_shared::audit::verify::Verdict;
use reform_shared::ids::UnitId;
use std::sync::Arc;

/// How many of the latest closed periods show their checkpoints.
const CHECKPOINTS_SHOWN: usize = 4;

pub async fn page(State(app): State<Arc<App>>, Asked(params): Asked) -> PageResult {
    let view = view(&params)?;
    let known = date_param("known", params.known.as_deref())?;
    if let Some(day) = known.filter(|d| *d > view.today) {
        return Err(PageError::bad(
            format!("Ngày {} là ngày sau hôm nay ({})", day.vietnamese(), view.today.vietnamese()),
            format!("known={day} is after today ({})", view.today),
        ));
    }
    let unit: Option<UnitId> = match params.unit.as_deref() {
        None | Some("") => None,
        Some(text) => Some(text.parse().map_err(|_| {
            PageError::bad(
                format!("unit={text:?} không phải mã đơn vị"),
                format!("unit={text:?} is not a unit id"),
            )
        })?),
    };
    let through = match params.through.as_deref() {
        None | Some("") => None,
        Some(text) => Some(text.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            PageError::bad(
                format!("through={text:?} không phải số thứ tự của nhật ký"),
                format!("through={text:?} is not a stream sequence"),
            )
        })?),
    };
    let verdict = verdict(&app).await?;
    let js = app.js();
    let closed = closed_periods(&js, &[]).await?;
    let mut checkpoints = Vec::new();
    for c in closed.iter().rev().take(CHECKPOINTS_SHOWN) {
        checkpoints.push((c.period, stored_report(&js, c).await?.log_checkpoint));
    }
    // The replay form lists the provinces and the units right under them, and the unit asked
    // about with the units above it, not the whole directory (too long for a list, and at
    // national scale near the broker's limit of one message).
    let mut dir = directory(&app, None, Some(1)).await?;
    if let Some(unit) = unit.as_ref().filter(|u| !dir.units.iter().any(|d| &d.unit == *u)) {
        // A unit the views do not know gets the replay's own answer, not an error page.
        if let Ok(around) = directory(&app, Some(unit), Some(0)).await {
            dir.units.extend(around.units);
        }
        dir.units.sort_by(|a, b| a.unit.cmp(&b.unit));
        dir.units.dedup();
    }
    let fallback = default_year(&dir, view.day());
    let year = match (&unit, view.year) {
        // Not asked for a year: the unit's latest with data.
        (Some(u), None) => {
            let q = UnitQuery { unit: u.clone(), year: fallback, as_of: None };
            let with_data =
                queries::unit(&app.client, &q).await.map(|p| p.years_with_data).unwrap_or_default();
            pick_year(&view, &with_data, fallback)
        }
        _ => view.year_or(fallback),
    };
    let replay = match (&unit, known, through) {
        (Some(unit), Some(known), _) => {
            Some(replay(&app, unit, year, Prefix::KnownAt(known)).await)
        }
        (Some(unit), None, Some(seq)) => Some(replay(&app, unit, year, Prefix::Through(seq)).await),
        _ => None,
    };
    let path = match (&unit, known, through) {
        (Some(u), Some(k), _) => format!("/audit?unit={u}&known={k}"),
        (Some(u), None, Some(t)) => format!("/audit?unit={u}&through={t}"),
        _ => "/audit".to_owned(),
    };
    let content = html! {
        section aria-labelledby="verdict" {
            h2 id="verdict" { (view.t("Kiểm tra toàn vẹn nhật ký", "Integrity of the log")) }
            p id="verdict-line" class=(if verdict.passed { "pass" } else { "fail" }) {
                (view.lang.pick(&verdict.line_vi(), &verdict.line()))
            }
            @if !verdict.problems.is_empty() {
                ul id="problems" {
                    @for p in &verdict.problems {
                        li {
                            @if p.sequence > 0 { (view.t("Bản ghi số thứ tự ", "Sequence ")) (p.sequence) }
                            @else { (view.t("Cả nhật ký", "The whole log")) }
                            @match view.lang {
                                crate::page::Lang::En => { ": " (p.what) }
                                // Verify names each problem in English, an auditor's tool's
                                // language; the page says so rather than pass it off as
                                // Vietnamese.
                                crate::page::Lang::Vi => details {
                                    summary { "không qua kiểm tra; chi tiết kỹ thuật (tiếng Anh)" }
                                    p lang="en" { (p.what) }
                                },
                            }
                        }
                    }
                }
            }
            p { (view.t("Cùng phép kiểm tra với lệnh ", "The same check as ")) code { "reformctl audit verify" } "." }
        }
        section aria-labelledby="checkpoints" {
            h2 id="checkpoints" { (view.t("Điểm kiểm tra của các kỳ gần nhất", "Checkpoints of the latest periods")) }
            @if checkpoints.is_empty() { p { (view.t("Chưa kỳ nào khóa sổ.", "No period is closed yet.")) } }
            @else {
                table id="checkpoint-list" {
                    (header(&view, &[("Kỳ", "Period", false), ("Số bản ghi", "Messages", true), ("Gốc cây Merkle (RFC 6962)", "Merkle root (RFC 6962)", false)]))
                    tbody {
                        @for (period, cp) in &checkpoints {
                            tr {
                                td { a href=(view.href(&format!("/reports/{period}"))) { (view.lang.pick(period.kind.label_vi(), period.kind.label_en())) " " (period.year) } }
                                td class="num" {
                                    @match &unit {
                                        Some(u) => a href=(view.href(&format!("/audit?unit={u}&through={}", cp.size))) title=(view.t("dựng lại đến đây", "replay to here")) { (cp.size) },
                                        None => (cp.size),
                                    }
                                }
                                td { code { (cp.root_sha256) } }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="replay" {
            h2 id="replay" { (view.t("Số liệu như đã biết vào một ngày", "Figures as known on a day")) }
            form method="get" action="/audit" {
                @if view.lang == crate::page::Lang::En { input type="hidden" name="lang" value="en"; }
                label for="replay-unit" { (view.t("Đơn vị", "Unit")) }
                select id="replay-unit" name="unit" {
                    @for (province, units) in by_province(&dir) {
                        optgroup label=(province) {
                            @for u in units {
                                option value=(u.unit) selected[unit.as_ref() == Some(&u.unit)] { (u.name) }
                            }
                        }
                    }
                }
                label for="replay-year" { (view.t("Năm", "Year")) }
                input type="number" id="replay-year" name="year" min="2000" max="2100" value=(year);
                label for="replay-known" { (view.t("Như đã biết cuối ngày", "As known at the end of")) }
                (date_field(&view, "replay-known", "known", known, false))
                button type="submit" { (view.t("Xem số liệu khi đó", "Replay")) }
            }
            @match &replay {
                Some(Ok((then, now, seq))) => (comparison(&view, then, now, *seq, known)),
                Some(Err(said)) => p role="status" id="replay-empty" { (view.lang.pick(&said.vi, &said.en)) },
                None => {}
            }
        }
    };
    let title = view.t("Kiểm tra, giám sát", "Audit");
    Ok(html(frame(&view, &path, title, applied_through(&app).await, content)))
}

/// The units of the replay's list under their province's name (names repeat from one province
/// to the next: every province has a "Sở Nội vụ"); each province first in its own group.
fn by_province(dir: &Directory) -> Vec<(&str, Vec<&DirectoryUnit>)> {
    let province_of = |u: &DirectoryUnit| {
        let parent = |id: &UnitId| {
            Ok::<_, std::convert::Infallible>(
                dir.units.iter().find(|d| &d.unit == id).map(|d| d.parent.clone()),
            )
        };
        let Ok(lineage) = reform_shared::tree::lineage(parent, &u.unit);
        lineage.last().cloned().unwrap_or_else(|| u.unit.clone())
    };
    let mut groups: Vec<(&str, Vec<&DirectoryUnit>)> = Vec::new();
    for top in dir.units.iter().filter(|u| u.parent.is_none()) {
        let mut units: Vec<&DirectoryUnit> =
            dir.units.iter().filter(|u| u.parent.is_some() && province_of(u) == top.unit).collect();
        units.sort_by(|a, b| a.name.cmp(&b.name));
        units.insert(0, top);
        groups.push((top.name.as_str(), units));
    }
    groups
}

/// The whole log's verdict, checking only what was appended since the last look.
pub(crate) async fn verdict(app: &App) -> Result<Verdict, PageError> {
    let mut live = app.verdict.lock().await;
    Ok(live.refresh(&app.js()).await?)
}

/// Which prefix of the log a replay reads.
#[derive(Debug, Clone, Copy)]
enum Prefix {
    /// What was recorded by the end of this day (Vietnam time).
    KnownAt(reform_shared::time::Date),
    /// Through this stream sequence (a checkpoint's size, say).
    Through(u64),
}

/// The unit's figures from a prefix of the log, replayed in memory, and as known now (the live
/// views); or, when the prefix does not know the unit, a sentence that says so.
async fn replay(
    app: &App,
    unit: &UnitId,
    year: u16,
    prefix: Prefix,
) -> Result<(UnitProgress, UnitProgress, u64), Said> {
    // The log or the views could not be read: the reason is the services' own, in English.
    let unreadable = |e: String| Said {
        vi: "Không đọc được nhật ký hoặc số liệu hiện nay; xin thử lại sau ít phút.".to_owned(),
        en: e,
    };
    let js = app.js();
    let head = stream_info(&js).await.map_err(|e| unreadable(e.to_string()))?.state.last_sequence;
    let (end, today) = match prefix {
        Prefix::KnownAt(day) => (End::known_at(day, head), day),
        Prefix::Through(seq) => {
            (End::Sequence(seq.min(head)), reform_shared::time::Date::today_in_vietnam())
        }
    };
    let (state, through) = read_prefix(&js, end).await.map_err(|e| unreadable(e.to_string()))?;
    let then =
        views::unit_progress(&state, unit, year, Basis::Live { today }).map_err(|e| Said {
            vi: format!(
                "{through} bản ghi đầu của nhật ký (đã ghi đến lúc đó) chưa có đơn vị {unit}: \
             không có gì để so sánh"
            ),
            en: format!(
                "{e} in the log's first {through} messages (recorded by then): nothing to compare"
            ),
        })?;
    let now = queries::unit(&app.client, &UnitQuery { unit: unit.clone(), year, as_of: None })
        .await
        .map_err(|e| unreadable(e.to_string()))?;
    Ok((then, now, through))
}

fn comparison(
    view: &View,
    then: &UnitProgress,
    now: &UnitProgress,
    through: u64,
    known: Option<reform_shared::time::Date>,
) -> Markup {
    let total = |p: &UnitProgress| p.scores.final_total_hundredths();
    let rows: [(&str, String, String); 6] = [
        (
            view.t("Được giao", "Assigned"),
            then.tasks.assigned.to_string(),
            now.tasks.assigned.to_string(),
        ),
        (
            view.t("Đúng hạn", "On time"),
            then.tasks.done_on_time.to_string(),
            now.tasks.done_on_time.to_string(),
        ),
        (
            view.t("Trễ hạn", "Late"),
            then.tasks.done_late.to_string(),
            now.tasks.done_late.to_string(),
        ),
        (
            view.t("Quá hạn", "Overdue"),
            then.tasks.overdue.to_string(),
            now.tasks.overdue.to_string(),
        ),
        (
            view.t("Tỷ lệ hoàn thành (%)", "Completion (%)"),
            view.hundredths(Some(then.tasks.completion_rate_hundredths)),
            view.hundredths(Some(now.tasks.completion_rate_hundredths)),
        ),
        (
            view.t("Điểm cuối cùng", "Final score"),
            view.hundredths(total(then)),
            view.hundredths(total(now)),
        ),
    ];
    html! {
        table id="replay-table" {
            caption {
                (then.name) ", " (then.year) ": "
                @if let Some(k) = known { (view.t("như đã biết cuối ngày ", "as known at the end of ")) (view.date(k)) " " }
                "(" (view.t("nhật ký đến số thứ tự ", "the log through sequence ")) (through) ") "
                (view.t("và hiện nay", "and now"))
            }
            (header(view, &[("Số liệu", "Figure", false), ("Khi đó", "Then", true), ("Nay", "Now", true)]))
            tbody {
                @for (label, a, b) in &rows {
                    tr { th scope="row" { (label) } td class="num then" { (a) } td class="num now" { (b) } }
                }
            }
        }
    }
}
