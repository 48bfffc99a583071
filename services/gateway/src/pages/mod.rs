//! One module per page; what several pages need is here.

pub mod audit;
pub mod evidence;
pub mod overview;
pub mod person;
pub mod reminders;
pub mod reports;
pub mod search;
pub mod task;
pub mod unit;

use crate::page::{Lang, PageError, Params, View};
use crate::App;
use axum::response::{Html, IntoResponse, Response};
use maud::Markup;
use reform_projector::queries;
use reform_projector::registers::Directory;
use reform_shared::event::{Role, UnitKind};
use reform_shared::ids::UnitId;
use reform_shared::time::Date;

/// A rendered page, or the error page.
pub type PageResult = Result<Html<String>, PageError>;

/// Reads the request's view: the edge, where "today" is read.
pub fn view(params: &Params) -> Result<View, PageError> {
    View::read(params, Date::today_in_vietnam())
}

pub fn html(markup: Markup) -> Html<String> {
    Html(markup.into_string())
}

/// The views' position in the log, for the footer; none when the projector does not answer.
pub async fn applied_through(app: &App) -> Option<u64> {
    queries::status(&app.client).await.ok().map(|s| s.applied_through)
}

/// The part of the directory a page shows ([`queries::DirectoryQuery`]): never the whole, which
/// at national scale is near the broker's limit of one message.
pub async fn directory(
    app: &App,
    under: Option<&UnitId>,
    depth: Option<u8>,
) -> Result<Directory, PageError> {
    let q = queries::DirectoryQuery { under: under.cloned(), depth, person: None };
    Ok(queries::directory_part(&app.client, &q).await?)
}

/// The year a page shows when none is asked for: the latest with a published framework, up to
/// the day's year (a new year's scores come after it ends), else the day's year.
pub fn default_year(directory: &Directory, day: Date) -> u16 {
    let this = u16::try_from(day.year()).unwrap_or(u16::MAX);
    directory.framework_years.iter().copied().filter(|y| *y <= this).max().unwrap_or(this)
}

/// The year a page shows: the one asked for; else the latest with data up to the day's year
/// (a head opening the page sees figures, not an empty year); else `fallback`.
pub fn pick_year(view: &View, with_data: &[u16], fallback: u16) -> u16 {
    let this = u16::try_from(view.day().year()).unwrap_or(u16::MAX);
    view.year.or_else(|| with_data.iter().copied().filter(|y| *y <= this).max()).unwrap_or(fallback)
}

/// The years `unit` (with the units below it) has data in, and the year a page about it
/// shows: the one asked for, else the latest of those, else `fallback`.
pub async fn unit_years(
    app: &App,
    view: &View,
    unit: &UnitId,
    fallback: u16,
) -> Result<(Vec<u16>, u16), PageError> {
    let q = queries::UnitQuery { unit: unit.clone(), year: view.year_or(fallback), as_of: view.on };
    let with_data = queries::unit(&app.client, &q).await?.years_with_data;
    let year = pick_year(view, &with_data, fallback);
    Ok((with_data, year))
}

/// The years a page links to: those with data, and the one shown.
pub fn years_offered(with_data: &[u16], shown: u16) -> Vec<u16> {
    let mut years: Vec<u16> = with_data.iter().copied().chain([shown]).collect();
    years.sort_unstable();
    years.dedup();
    years
}

/// The media type of a workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file to download: its media type, the name it is saved under (ids and ASCII only, so
/// every browser keeps it), its bytes; never sniffed into something else.
pub fn download(mime: &str, filename: &str, bytes: Vec<u8>) -> Response {
    use axum::http::header;
    let headers = [
        (header::CONTENT_TYPE, mime.to_owned()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
    ];
    (headers, bytes).into_response()
}

/// An id from the URL, refused by name when it is not one. `what`: the kind of id, in
/// Vietnamese and English.
pub fn parse_id<T: std::str::FromStr>(text: &str, what: (&str, &str)) -> Result<T, PageError> {
    text.parse().map_err(|_| {
        PageError::bad(
            format!("{text:?} không phải mã {}", what.0),
            format!("{text:?} is not a {} id", what.1),
        )
    })
}

/// The kinds of id a URL holds, for [`parse_id`].
pub const UNIT: (&str, &str) = ("đơn vị", "unit");
pub const PERSON: (&str, &str) = ("người", "person");
pub const TASK: (&str, &str) = ("nhiệm vụ", "task");
pub const EVIDENCE: (&str, &str) = ("tài liệu minh chứng", "evidence");

pub fn kind_label(lang: Lang, kind: UnitKind) -> &'static str {
    lang.pick(kind.label_vi(), kind.label_en())
}

pub fn role_label(lang: Lang, role: Role) -> &'static str {
    lang.pick(role.label_vi(), role.label_en())
}

pub async fn not_found() -> Response {
    PageError::missing("Không có trang nào ở địa chỉ này".into(), "no page at this address".into())
        .into_response()
}
