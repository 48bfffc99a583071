//! The province overview: each peer group's ranking and rank change, as a table and a chart;
//! and the national ranking of every unit of one kind.

use super::{
    applied_through, default_year, directory, html, kind_label, pick_year, view, years_offered,
    PageResult,
};
use crate::chart;
use crate::page::{frame, header, Asked, Columns, PageError, View};
use crate::App;
use axum::extract::{Path, State};
use maud::{html, Markup};
use reform_projector::queries::{self, NationalQuery, RankingQuery};
use reform_projector::registers::DirectoryUnit;
use reform_projector::views::RankEntry;
use reform_shared::event::UnitKind;
use reform_shared::ids::UnitId;
use std::sync::Arc;

/// `/`: the one province's overview, or the list of provinces when there are several: those
/// of today's map first, then those a restructuring ended, each with the day and where its
/// units went, so a past year is one click away.
pub async fn root(State(app): State<Arc<App>>, Asked(params): Asked) -> PageResult {
    let view = view(&params)?;
    let dir = directory(&app, None, Some(0)).await?;
    let day = view.day();
    let (former, provinces): (Vec<_>, Vec<_>) = dir
        .units
        .iter()
        .filter(|u| u.parent.is_none())
        .partition(|u| u.ended.as_ref().is_some_and(|e| e.on <= day));
    if let ([only], []) = (provinces.as_slice(), former.as_slice()) {
        return overview(&app, &view, &only.unit, true).await;
    }
    let content = html! {
        @if provinces.is_empty() && former.is_empty() {
            p { (view.t("Chưa có đơn vị nào.", "No unit is recorded yet.")) }
        }
        ul id="provinces" {
            @for p in &provinces {
                li { a href=(view.href(&format!("/provinces/{}", p.unit))) { (p.name) } }
            }
        }
        @if !former.is_empty() {
            h2 { (view.t("Trước khi sắp xếp", "Before restructuring")) }
            ul id="former" {
                @for p in &former {
                    li {
                        a href=(view.href(&format!("/provinces/{}", p.unit))) { (p.name) }
                        @if let Some(e) = &p.ended {
                            " (" (view.t("đến hết ngày ", "until ")) (view.date(e.on.add_days(-1).unwrap_or(e.on)))
                            (view.t(", nay thuộc ", ", now part of ")) (e.successor_name) ")"
                        }
                    }
                }
            }
        }
    };
    let title = view.t("Các tỉnh, thành phố", "Provinces");
    Ok(html(frame(&view, "/", title, applied_through(&app).await, content)))
}

/// `/provinces/{id}`.
pub async fn province(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Asked(params): Asked,
) -> PageResult {
    let view = view(&params)?;
    let unit: UnitId = super::parse_id(&id, super::UNIT)?;
    let only = directory(&app, None, Some(0)).await?.units.len() == 1;
    overview(&app, &view, &unit, only).await
}

/// `only`: the province is the only one, so its overview is the root page.
async fn overview(app: &App, view: &View, province: &UnitId, only: bool) -> PageResult {
    let dir = &directory(app, Some(province), Some(1)).await?;
    let Some(rec) = dir.units.iter().find(|u| &u.unit == province) else {
        return Err(PageError::missing(
            format!("Không có đơn vị {province}"),
            format!("unknown unit {province}"),
        ));
    };
    let fallback = default_year(dir, view.day());
    let (with_data, year) = super::unit_years(app, view, province, fallback).await?;
    // The peer groups: the kinds of the province's children, in the kinds' order.
    let kinds: Vec<UnitKind> = UnitKind::ALL
        .into_iter()
        .filter(|k| {
            let under = |u: &&DirectoryUnit| u.parent_on(view.tree_day(year)) == Some(province);
            dir.units.iter().filter(under).any(|u| u.kind == *k)
        })
        .collect();
    let mut groups = Vec::new();
    for kind in kinds {
        let q = RankingQuery { parent: province.clone(), kind, year, as_of: view.on };
        groups.push(queries::ranking(&app.client, &q).await?);
    }
    let path = if only { "/".to_owned() } else { format!("/provinces/{province}") };
    let content = html! {
        p { a href=(view.href(&format!("/units/{province}"))) { (view.t("Trang của đơn vị ", "The unit's page: ")) (rec.name) } }
        (years_nav(view, &path, &years_offered(&with_data, year), year))
        @for g in &groups { (peer_group(view, false, g.kind, g.group_size, &g.entries, view.t("Xếp hạng theo kết quả cuối cùng", "Ranked by final score"))) }
        @if groups.is_empty() {
            p { (view.t("Tỉnh chưa có đơn vị trực thuộc.", "The province has no units under it yet.")) }
        }
    };
    let title = format!("{} · {} {year}", rec.name, view.t("Chỉ số CCHC năm", "PAR index"));
    Ok(html(frame(view, &path, &title, applied_through(app).await, content)))
}

/// Links to the same page for each year with a framework.
pub fn years_nav(view: &View, path: &str, years: &[u16], current: u16) -> Markup {
    html! {
        nav aria-label=(view.t("Năm", "Year")) class="years" {
            (view.t("Năm: ", "Year: "))
            @for y in years {
                @if *y == current {
                    strong aria-current="page" { (y) } " "
                } @else {
                    a href=(view.href_year(path, *y)) { (y) } " "
                }
            }
        }
    }
}

/// The kinds a national ranking is offered for: the provinces (the national PAR index), and
/// the departments and districts of every province.
const NATIONAL_KINDS: [UnitKind; 3] =
    [UnitKind::Province, UnitKind::Department, UnitKind::District];

/// `/national?kind=K`: every unit of one kind in the country ranked (provinces by default).
pub async fn national(State(app): State<Arc<App>>, Asked(params): Asked) -> PageResult {
    let view = view(&params)?;
    let kind = match params.kind.as_deref() {
        None | Some("") => UnitKind::Province,
        Some(text) => {
            text.parse::<UnitKind>().ok().filter(|k| NATIONAL_KINDS.contains(k)).ok_or_else(
                || {
                    PageError::bad(
                        format!("kind={text:?} không được xếp hạng toàn quốc; dùng province (tỉnh), department (sở, ban, ngành) hoặc district (cấp huyện)"),
                        format!("kind={text:?} is not ranked nationally; use province, department or district"),
                    )
                },
            )?
        }
    };
    let dir = directory(&app, None, Some(0)).await?;
    let fallback = default_year(&dir, view.day());
    let mut q = NationalQuery { kind, year: view.year_or(fallback), as_of: view.on };
    let mut ranking = queries::national(&app.client, &q).await?;
    // Not asked for a year: open on the latest in which a unit of the kind has a score.
    let year = pick_year(&view, &ranking.years_with_data, fallback);
    if year != q.year {
        q.year = year;
        ranking = queries::national(&app.client, &q).await?;
    }
    let path = format!("/national?kind={}", kind.as_str());
    let caption = format!(
        "{} ({} {})",
        view.t("Xếp hạng toàn quốc theo kết quả cuối cùng", "Ranked nationally by final score"),
        ranking.provinces,
        view.t("tỉnh, thành phố", "provinces")
    );
    let content = html! {
        nav aria-label=(view.t("Loại đơn vị", "Kind of unit")) class="kinds" {
            (view.t("Loại đơn vị: ", "Kind of unit: "))
            @for k in NATIONAL_KINDS {
                @if k == kind {
                    strong aria-current="page" { (kind_label(view.lang, k)) } " "
                } @else {
                    a href=(view.href(&format!("/national?kind={}", k.as_str()))) { (kind_label(view.lang, k)) } " "
                }
            }
        }
        (years_nav(&view, &path, &years_offered(&ranking.years_with_data, year), year))
        (peer_group(&view, true, kind, ranking.group_size, &ranking.entries, &caption))
    };
    let title =
        format!("{} · {} {year}", view.t("Toàn quốc", "National"), kind_label(view.lang, kind));
    Ok(html(frame(&view, "/national", &title, applied_through(&app).await, content)))
}

const RANKING: Columns = &[
    ("Hạng", "Rank", true),
    ("Đơn vị", "Unit", false),
    ("Điểm", "Score", true),
    ("Chỉ số (%)", "Index (%)", true),
    ("Hạng năm trước", "Last year's rank", true),
    ("Thay đổi", "Change", true),
];

const RANKING_NATIONAL: Columns = &[
    ("Hạng", "Rank", true),
    ("Đơn vị", "Unit", false),
    ("Tỉnh, thành phố", "Province", false),
    ("Điểm", "Score", true),
    ("Chỉ số (%)", "Index (%)", true),
    ("Hạng năm trước", "Last year's rank", true),
    ("Thay đổi", "Change", true),
];

/// `national`: the units come from many provinces, so each row names its province.
fn peer_group(
    view: &View,
    national: bool,
    kind: UnitKind,
    group_size: u32,
    entries: &[RankEntry],
    caption: &str,
) -> Markup {
    let label = kind_label(view.lang, kind);
    let id = format!("group-{}", kind.as_str());
    let with_province = national && kind != UnitKind::Province;
    let label_of = |e: &RankEntry| match (&e.province, with_province) {
        (Some(p), true) => format!("{} ({p})", e.name),
        _ => e.name.clone(),
    };
    let (columns, shift) = if with_province { (RANKING_NATIONAL, 1) } else { (RANKING, 0) };
    let l = |i: usize| crate::page::label(view, columns, i);
    let bars: Vec<(String, Option<u64>)> =
        entries.iter().map(|e| (label_of(e), e.final_total_hundredths)).collect();
    let max = 10_000;
    html! {
        section aria-labelledby=(id) {
            h2 id=(id) { (label) " (" (group_size) " " (view.t("đơn vị", "units")) ")" }
            table class="ranking fold" id=(format!("ranking-{}", kind.as_str())) {
                caption { (caption) }
                (header(view, columns))
                tbody {
                    @for e in entries {
                        tr data-unit=(e.unit) {
                            td class="num rank" data-label=(l(0)) { (e.rank.map_or("–".to_owned(), |r| format!("{r}/{group_size}"))) }
                            td class="key" { a href=(view.href(&format!("/units/{}", e.unit))) { (e.name) } }
                            @if with_province { td class="province" data-label=(l(2)) { (e.province.as_deref().unwrap_or("")) } }
                            td class="num total" data-label=(l(shift + 2)) { (view.hundredths(e.final_total_hundredths)) }
                            td class="num" data-label=(l(shift + 3)) { (view.hundredths(e.index_hundredths)) }
                            td class="num" data-label=(l(shift + 4)) { (e.previous_rank.map_or("–".to_owned(), |r| r.to_string())) }
                            td class="num change" data-label=(l(shift + 5)) { (change(view, e.rank_change)) }
                        }
                    }
                }
            }
            (chart::bars(view.lang, &format!("{label}: {}", view.t("điểm cuối cùng", "final scores")), &bars, max))
        }
    }
}

/// A rank change, with its direction in words as well as the arrow.
pub fn change(view: &View, change: Option<i64>) -> Markup {
    html! {
        @match change {
            Some(c) if c > 0 => span class="up" title=(view.t("tăng hạng", "moved up")) { "▲ " (c) },
            Some(c) if c < 0 => span class="down" title=(view.t("giảm hạng", "moved down")) { "▼ " (c.unsigned_abs()) },
            Some(_) => span title=(view.t("giữ nguyên", "unchanged")) { "0" },
            None => "–",
        }
    }
}
