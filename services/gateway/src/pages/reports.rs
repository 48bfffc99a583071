//! The period reports: every closed period, and each report with its restatements, as stored
//! when the period closed (checked against the digest its rollup event carries).

use super::{applied_through, html, kind_label, role_label, view, PageResult};
use crate::page::{frame, header, label, Asked, Columns, PageError, View};
use crate::App;
use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};
use reform_projector::registers::DirectoryUnit;
use reform_rollup::closed::{closed_periods, stored_report};
use reform_rollup::report::{self, Format};
use reform_shared::event::{Period, PeriodKind, Role};
use reform_shared::ids::UnitId;
use std::sync::Arc;

fn period_label(view: &View, kind: PeriodKind) -> &'static str {
    view.lang.pick(kind.label_vi(), kind.label_en())
}

/// How the leaders' figures are attributed, said once beside each table of them.
pub const EXPLAIN_VI: &str = "Mỗi sự việc (giao, hoàn thành, quá hạn, thay đổi điểm) được tính \
    cho người giữ vai trò ở đơn vị vào ngày của sự việc; ngày một người thôi giữ vai trò thuộc về \
    người kế nhiệm.";
pub const EXPLAIN_EN: &str = "Each fact (assigned, completed, overdue, a score changed) counts \
    for whoever held the role at the unit on the fact's date; the day a leader leaves belongs to \
    the successor.";

const PERIODS: Columns =
    &[("Kỳ", "Period", false), ("Thời gian", "Dates", false), ("Tải về", "Download", false)];

/// The report's files: Word in the official layout, one per province, and Excel for people;
/// CSV and JSON for tools.
fn downloads(period: Period, provinces: &[DirectoryUnit]) -> Markup {
    html! {
        span class="downloads" {
            @for province in provinces {
                a href=(format!("/reports/{period}/file.docx?unit={}", province.unit)) download { "Word (" (province.name) ")" } " "
            }
            @for (format, name) in [(Format::Xlsx, "Excel"), (Format::Csv, "CSV"), (Format::Json, "JSON")] {
                a href=(format!("/reports/{period}/file.{}", format.extension())) download { (name) } " "
            }
        }
    }
}

/// `/reports/{period}/file.{xlsx|csv|json|md}`: the closed period's report as a file, rendered
/// from the stored report whose digest its event names.
pub async fn file(
    State(app): State<Arc<App>>,
    Path((period, file)): Path<(String, String)>,
    Asked(params): Asked,
) -> Result<Response, PageError> {
    let period = parse_period(&period)?;
    let ext = file.strip_prefix("file.").unwrap_or_default();
    let (bytes, mime) = if ext == "docx" {
        let (report, _) = closed_report(&app, period).await?;
        let head = letterhead(&app, &report, params.unit.as_deref()).await?;
        let bytes = reform_rollup::docx::report(&report, &head)
            .map_err(|e| PageError::Unavailable(e.into()))?;
        (bytes, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    } else {
        let format = ext.parse::<Format>().map_err(|_| {
            PageError::missing(
                format!("Không có tệp {file}: có file.docx, file.xlsx, file.csv, file.json và file.md"),
                format!("no file {file}: there are file.docx, file.xlsx, file.csv, file.json and file.md"),
            )
        })?;
        let (report, _) = closed_report(&app, period).await?;
        let bytes = reform_rollup::render::bytes(&report, format)
            .map_err(|e| PageError::Unavailable(e.into()))?;
        let mime = match format {
            Format::Xlsx => super::XLSX,
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
            Format::Markdown => "text/markdown; charset=utf-8",
        };
        (bytes, mime)
    };
    Ok(super::download(mime, &format!("bao-cao-cchc-{period}.{ext}"), bytes))
}

/// The province a Word report is issued by (`?unit=`, or the only one), and its People's
/// Committee's chair on the report's last day, as the directory records them.
async fn letterhead(
    app: &App,
    report: &reform_rollup::report::Report,
    unit: Option<&str>,
) -> Result<reform_rollup::docx::Letterhead, PageError> {
    let provinces = super::directory(app, None, Some(0)).await?;
    let province = match unit {
        Some(text) => super::parse_id::<UnitId>(text, super::UNIT)?,
        None => match provinces.units.as_slice() {
            [only] => only.unit.clone(),
            _ => {
                return Err(PageError::bad(
                    "Chọn tỉnh ban hành báo cáo: thêm ?unit= với mã của tỉnh".to_owned(),
                    "choose the province that issues the report: add ?unit= with its id".to_owned(),
                ))
            }
        },
    };
    let Some(rec) = provinces.units.iter().find(|u| u.unit == province) else {
        return Err(PageError::bad(
            format!("{province} không phải một tỉnh: báo cáo do Ủy ban nhân dân tỉnh ban hành"),
            format!("{province} is not a province: the report is issued by a province"),
        ));
    };
    let dir = super::directory(app, Some(&province), Some(0)).await?;
    let signer = dir
        .tenures
        .iter()
        .find(|t| t.unit == province && t.role == Role::Head && t.covers(report.to))
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let place = ["Tỉnh ", "Thành phố "]
        .iter()
        .find_map(|p| rec.name.strip_prefix(p))
        .unwrap_or(&rec.name)
        .to_owned();
    Ok(reform_rollup::docx::Letterhead {
        province,
        issuer: ["ỦY BAN NHÂN DÂN".to_owned(), rec.name.to_uppercase()],
        place,
        signs_as: ["TM. ỦY BAN NHÂN DÂN".to_owned(), "CHỦ TỊCH".to_owned()],
        signer,
    })
}

fn parse_period(text: &str) -> Result<Period, PageError> {
    text.parse().map_err(|_| {
        PageError::bad(
            format!("{text:?} không phải một kỳ báo cáo (như 2016-year, 2016-q1)"),
            format!("{text:?} is not a period (e.g. 2016-year, 2016-q1)"),
        )
    })
}

/// The stored report of a closed period, and the sequence of the event that closed it.
async fn closed_report(
    app: &App,
    period: Period,
) -> Result<(reform_rollup::report::Report, u64), PageError> {
    let js = app.js();
    let closed = closed_periods(&js, &[period.year]).await?;
    let Some(closed) = closed.into_iter().find(|c| c.period == period) else {
        return Err(PageError::missing(
            format!("Kỳ {period} chưa khóa sổ: chưa có báo cáo"),
            format!("{period} is not closed"),
        ));
    };
    Ok((stored_report(&js, &closed).await?, closed.sequence))
}

pub async fn list(State(app): State<Arc<App>>, Asked(params): Asked) -> PageResult {
    let view = view(&params)?;
    let closed = closed_periods(&app.js(), &[]).await?;
    let provinces = super::directory(&app, None, Some(0)).await?.units;
    let content = html! {
        @if closed.is_empty() {
            p { (view.t("Chưa kỳ báo cáo nào được khóa sổ.", "No reporting period is closed yet.")) }
        } @else {
            table id="periods" class="fold" {
                (header(&view, PERIODS))
                tbody {
                    @for c in closed.iter().rev() {
                        tr {
                            td class="key" { a href=(view.href(&format!("/reports/{}", c.period))) { (period_label(&view, c.period.kind)) " " (c.period.year) } }
                            td data-label=(label(&view, PERIODS, 1)) { (view.date(c.period.first_day())) " → " (view.date(c.period.last_day())) }
                            td data-label=(label(&view, PERIODS, 2)) { (downloads(c.period, &provinces)) }
                        }
                    }
                }
            }
        }
    };
    let title = view.t("Báo cáo định kỳ", "Period reports");
    Ok(html(frame(&view, "/reports", title, applied_through(&app).await, content)))
}

pub async fn one(
    State(app): State<Arc<App>>,
    Path(period): Path<String>,
    Asked(params): Asked,
) -> PageResult {
    let view = view(&params)?;
    let period = parse_period(&period)?;
    let (report, close) = closed_report(&app, period).await?;
    let receipt = app.tlog_dir.is_some().then_some(close);
    let provinces = super::directory(&app, None, Some(0)).await?.units;
    // What changed in the period's figures since it closed (`reformctl rollup diff`): the
    // report itself, as closed, lists only the earlier periods its own events changed.
    let since = reform_rollup::diff::diff(&app.js(), period).await?;
    let path = format!("/reports/{period}");
    let unit_name = |unit: &reform_shared::ids::UnitId| {
        report
            .units
            .iter()
            .find(|u| &u.unit == unit)
            .map_or_else(|| unit.to_string(), |u| u.name.clone())
    };
    let active =
        report.units.iter().filter(|u| u.tasks.assigned > 0 || u.evidence.total > 0).count();
    let content = html! {
        p id="report-downloads" { (view.t("Tải về: ", "Download: ")) (downloads(period, &provinces)) }
        @if let Some(close) = receipt {
            p id="report-receipt" {
                a href=(format!("/log/receipt/{close}")) download {
                    (view.t("Biên nhận của báo cáo", "The report's receipt"))
                }
                (view.t(
                    ": bằng chứng báo cáo này đã được ghi vào nhật ký và được các cơ quan giám sát ký xác nhận. Đơn vị lưu lại để tự kiểm tra khi cần, không cần kết nối.",
                    ": proof that this report is in the log, cosigned by the oversight bodies. Keep it to check offline whenever needed."
                ))
            }
        }
        p id="report-facts" {
            (view.date(report.from)) " → " (view.date(report.to)) ". "
            (view.t("Số liệu từ nhật ký đến số thứ tự ", "Figures from the log through sequence ")) (report.through_sequence) ". "
            (view.t("Điểm kiểm tra nhật ký: ", "Log checkpoint: ")) (report.log_checkpoint.size) " "
            (view.t("bản ghi, gốc ", "messages, root ")) code { (report.log_checkpoint.root_sha256.get(..16).unwrap_or_default()) "…" }
        }
        @for group in &report.peer_groups {
            section {
                h2 { (kind_label(view.lang, group.kind)) " (" (group.group_size) ")" }
                table class="ranking" {
                    (header(&view, &[("Hạng", "Rank", true), ("Đơn vị", "Unit", false), ("Điểm", "Score", true), ("Thay đổi", "Change", true)]))
                    tbody {
                        @for e in &group.entries {
                            tr {
                                td class="num" { (e.rank.map_or("–".to_owned(), |r| r.to_string())) }
                                td { a href=(view.href_year(&format!("/units/{}", e.unit), period.year)) { (e.name) } }
                                td class="num" { (view.hundredths(e.final_total_hundredths)) }
                                td class="num" { (super::overview::change(&view, e.rank_change)) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="units" {
            h2 id="units" { (view.t("Tiến độ nhiệm vụ theo đơn vị", "Task progress by unit")) }
            @if active == 0 {
                p id="report-units-none" { (view.t(
                    "Không đơn vị nào có nhiệm vụ được giao hoặc tài liệu trong kỳ này.",
                    "No unit has tasks assigned or evidence in this period.",
                )) }
            } @else {
            p { (view.t("Các đơn vị có nhiệm vụ hoặc tài liệu trong kỳ; ", "Units with tasks or evidence in the period; "))
                (report.units.len() - active)
                (view.t(" đơn vị khác không có.", " other units have none.")) }
            table id="report-units" {
                (header(&view, &[("Đơn vị", "Unit", false), ("Được giao", "Assigned", true), ("Quá hạn", "Overdue", true), ("Tỷ lệ hoàn thành (%)", "Completion (%)", true), ("Tài liệu", "Evidence", true)]))
                tbody {
                    @for u in report.units.iter().filter(|u| u.tasks.assigned > 0 || u.evidence.total > 0) {
                        tr {
                            td { (u.name) }
                            td class="num" { (u.tasks.assigned) }
                            td class="num" { (u.tasks.overdue) }
                            td class="num" { (view.hundredths(Some(u.tasks.completion_rate_hundredths))) }
                            td class="num" { (u.evidence.total) }
                        }
                    }
                }
            }
            }
        }
        section aria-labelledby="leaders" {
            h2 id="leaders" { (view.t("Người đứng đầu trong kỳ", "Leaders in the period")) }
            p class="explain" { (view.t(EXPLAIN_VI, EXPLAIN_EN)) }
            table {
                (header(&view, &[("Người", "Person", false), ("Vai trò", "Role", false), ("Giao", "Assigned", true), ("Đúng hạn", "On time", true), ("Quá hạn", "Overdue", true)]))
                tbody {
                    @for l in &report.leaders {
                        tr {
                            td { a href=(view.href(&format!("/people/{}", l.person))) { (l.name) } }
                            td { (role_label(view.lang, l.role)) ", " (unit_name(&l.unit)) }
                            td class="num" { (l.assigned) }
                            td class="num" { (l.completed_on_time) }
                            td class="num" { (l.went_overdue) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="changed-since" {
            h2 id="changed-since" { (view.t("Số liệu kỳ này thay đổi sau khi khóa sổ", "This period's figures changed since it closed")) }
            @match since.as_ref().filter(|d| !d.differences.is_empty()) {
                None => p { (view.t("Không có: số liệu của kỳ vẫn như khi khóa sổ.", "None: the period's figures are as they were when it closed.")) },
                Some(d) => {
                    p {
                        (d.events.len()) (view.t(" sự việc ghi sau khi khóa sổ, có ngày trong kỳ, làm thay đổi:", " events recorded after the close, dated inside the period, changed:"))
                    }
                    table id="changed-since-table" class="restatement" {
                        (header(&view, &[("Đơn vị", "Unit", false), ("Số liệu", "Figure", false), ("Khi khóa sổ", "When closed", true), ("Nay", "Now", true)]))
                        tbody {
                            @for x in &d.differences {
                                @let (figure, closed, now) = reform_rollup::diff::readable(x, |vi, en| view.t(vi, en));
                                tr { td { (unit_name(&x.unit)) } td { (figure) } td class="num" { (closed) } td class="num" { (now) } }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="restated" {
            h2 id="restated" { (view.t("Số liệu các kỳ trước được điều chỉnh trong kỳ này", "Earlier periods restated in this one")) }
            @if report.restated.is_empty() {
                p { (view.t("Không có điều chỉnh.", "Nothing restated.")) }
            }
            @for r in &report.restated {
                h3 { (period_label(&view, r.period.kind)) " " (r.period.year) }
                table class="restatement" {
                    (header(&view, &[("Đơn vị", "Unit", false), ("Số liệu", "Figure", false), ("Khi khóa sổ", "When closed", false), ("Nay", "Now", false)]))
                    tbody {
                        @for d in &r.differences {
                            @let (figure, closed, now) = reform_rollup::diff::readable(d, |vi, en| view.t(vi, en));
                            tr { td { (unit_name(&d.unit)) } td { (figure) } td class="num" { (closed) } td class="num" { (now) } }
                        }
                    }
                }
            }
        }
    };
    let title = match view.lang {
        crate::page::Lang::Vi => report::title_vi(period),
        crate::page::Lang::En => format!("{} {}", period.kind.label_en(), period.year),
    };
    Ok(html(frame(&view, &path, &title, applied_through(&app).await, content)))
}
