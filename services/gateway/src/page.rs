//! What every page shares: the language, the day its figures are true at, the links that keep
//! both, the frame around the content, and the error pages.
//!
//! A page's whole state is in its URL (`?lang=en&on=2016-06-30&year=2016`), so a head can send
//! the address to a colleague and they see the same figures.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};
use reform_projector::queries::{FailureKind, ViewError};
use reform_shared::time::Date;
use serde::Deserialize;

/// The page's language: Vietnamese by default, English on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    /// The text in this language.
    pub fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }
}

/// The query string every page reads. Unknown values are refused with a page that names them.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    pub lang: Option<String>,
    pub year: Option<String>,
    pub on: Option<String>,
    pub known: Option<String>,
    pub through: Option<String>,
    pub unit: Option<String>,
    pub kind: Option<String>,
    /// The task register's filters: a state, due within so many days, one person's.
    pub status: Option<String>,
    pub due_within: Option<String>,
    pub person: Option<String>,
    /// What `/search` looks for.
    pub q: Option<String>,
}

/// The query string, read as [`Params`], or refused with an error page in the reader's
/// language (axum's own refusal is English text).
#[derive(Debug)]
pub struct Asked(pub Params);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Asked {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, PageError> {
        match axum::extract::Query::<Params>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(params)) => Ok(Asked(params)),
            Err(e) => Err(PageError::bad(
                "Không đọc được các tham số của địa chỉ (phần sau dấu ?): mỗi tham số chỉ được \
                 có một lần, và chỉ có lang, year, on, known, through, unit, kind, status, \
                 due_within, person, q"
                    .to_owned(),
                e.body_text(),
            )),
        }
    }
}

/// How a page is asked for: language, the day its figures are true at, the year.
#[derive(Debug, Clone)]
pub struct View {
    pub lang: Lang,
    /// "As true at" this day; `None`: live, as known now.
    pub on: Option<Date>,
    /// Today in Vietnam, read once per request at the edge.
    pub today: Date,
    pub year: Option<u16>,
}

impl View {
    pub fn read(params: &Params, today: Date) -> Result<Self, PageError> {
        let lang = match params.lang.as_deref() {
            None | Some("" | "vi") => Lang::Vi,
            Some("en") => Lang::En,
            Some(other) => {
                return Err(PageError::bad(
                    format!("lang={other:?} không phải ngôn ngữ của trang; dùng vi hoặc en"),
                    format!("lang={other:?} is not a language of these pages; use vi or en"),
                ))
            }
        };
        let on = date_param("on", params.on.as_deref())?;
        if let Some(day) = on.filter(|d| *d > today) {
            return Err(PageError::bad(
                format!(
                    "Ngày {} là ngày sau hôm nay ({}); số liệu chỉ có đến hôm nay",
                    day.vietnamese(),
                    today.vietnamese()
                ),
                format!("on={day} is after today ({today}); figures are known up to today"),
            ));
        }
        let year = match params.year.as_deref() {
            None | Some("") => None,
            Some(text) => {
                Some(text.parse::<u16>().ok().filter(|y| (2000..=2100).contains(y)).ok_or_else(
                    || {
                        PageError::bad(
                            format!("year={text:?} không phải một năm (từ 2000 đến 2100)"),
                            format!("year={text:?} is not a year (2000 to 2100)"),
                        )
                    },
                )?)
            }
        };
        Ok(View { lang, on, today, year })
    }

    /// The day the page's figures are true at.
    pub fn day(&self) -> Date {
        self.on.unwrap_or(self.today)
    }

    /// The day whose tree a page of `year` shows (`Basis::structure_day`): who was under whom
    /// as the year ended, or on the page's day when that is earlier.
    pub fn tree_day(&self, year: u16) -> Date {
        let basis = match self.on {
            Some(date) => reform_projector::views::Basis::AsTrueAt { date },
            None => reform_projector::views::Basis::Live { today: self.today },
        };
        basis.structure_day(year)
    }

    /// The year a page shows: the one asked for, else the day's.
    pub fn year_or(&self, default: u16) -> u16 {
        self.year.unwrap_or(default)
    }

    /// A day as the reader writes it: 30/06/2016 in Vietnamese, 2016-06-30 in English. The
    /// `datetime` attributes and the URLs keep the ISO form.
    pub fn date(&self, d: Date) -> String {
        match self.lang {
            Lang::Vi => d.vietnamese(),
            Lang::En => d.to_string(),
        }
    }

    pub fn t(&self, vi: &'static str, en: &'static str) -> &'static str {
        self.lang.pick(vi, en)
    }

    /// Hundredths as this page's language writes them ([`hundredths`]).
    pub fn hundredths(&self, value: Option<u64>) -> String {
        hundredths(self.lang, value)
    }

    /// A link to `path` keeping this page's language, day and year.
    pub fn href(&self, path: &str) -> String {
        self.link(path, self.lang, self.on, self.year)
    }

    /// A link to `path` for another year.
    pub fn href_year(&self, path: &str, year: u16) -> String {
        self.link(path, self.lang, self.on, Some(year))
    }

    /// A link to `path` with the figures known now.
    pub fn href_live(&self, path: &str) -> String {
        self.link(path, self.lang, None, self.year)
    }

    fn link(&self, path: &str, lang: Lang, on: Option<Date>, year: Option<u16>) -> String {
        let mut query = Vec::new();
        if lang == Lang::En {
            query.push("lang=en".to_owned());
        }
        if let Some(on) = on {
            query.push(format!("on={on}"));
        }
        if let Some(year) = year {
            query.push(format!("year={year}"));
        }
        let sep = if path.contains('?') { '&' } else { '?' };
        if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}{sep}{}", query.join("&"))
        }
    }
}

/// An optional date parameter, refused by name when it is not a date.
pub fn date_param(name: &str, text: Option<&str>) -> Result<Option<Date>, PageError> {
    match text {
        None | Some("") => Ok(None),
        Some(text) => Date::typed(text).map(Some).map_err(|_| {
            PageError::bad(
                format!("{name}={text:?} không phải một ngày (ngày/tháng/năm, như 30/06/2016)"),
                format!("{name}={text:?} is not a date (DD/MM/YYYY or YYYY-MM-DD)"),
            )
        }),
    }
}

/// A field for a day, typed as Vietnamese write it (`30/06/2016`; `YYYY-MM-DD` is read too,
/// [`Date::typed`]). Not the browser's date input: that one shows the order of the browser's
/// own locale (`mm/dd/yyyy` on an English system), and a head who reads `03/04` as 3 April
/// would set 4 March. The workspace's script turns it into the command's `YYYY-MM-DD`.
pub fn date_field(
    view: &View,
    id: &str,
    name: &str,
    value: Option<Date>,
    required: bool,
) -> Markup {
    html! {
        input type="text" id=(id) name=(name) inputmode="numeric" autocomplete="off" size="14"
            maxlength="10" placeholder=(view.t("ngày/tháng/năm", "day/month/year"))
            value=[value.map(|d| view.date(d))] data-date="" required[required];
    }
}

/// What an error page says, in each of the pages' languages.
#[derive(Debug, Clone)]
pub struct Said {
    pub vi: String,
    pub en: String,
}

/// Why a page could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("{}", .0.en)]
    BadRequest(Said),
    #[error("{}", .0.en)]
    NotFound(Said),
    /// What the request names was there and is no more, for good (an erased document).
    #[error("{}", .0.en)]
    Gone(Said),
    #[error("{0}")]
    Unavailable(#[source] reform_shared::Source),
}

impl PageError {
    /// A request the page cannot answer, named in both languages.
    pub fn bad(vi: String, en: String) -> Self {
        PageError::BadRequest(Said { vi, en })
    }

    /// Nothing at what the request names.
    pub fn missing(vi: String, en: String) -> Self {
        PageError::NotFound(Said { vi, en })
    }

    /// A view's "not found" said as `vi`/`en` (the projector names it in English only); any
    /// other error as it is.
    pub fn or_missing(self, vi: String, en: String) -> Self {
        match self {
            PageError::NotFound(_) => PageError::missing(vi, en),
            other => other,
        }
    }

    /// The error page in `lang`.
    fn render(&self, lang: Lang) -> Response {
        let (status, heading) = match self {
            PageError::BadRequest(_) => {
                (StatusCode::BAD_REQUEST, lang.pick("Yêu cầu không hợp lệ", "Bad request"))
            }
            PageError::NotFound(_) => {
                (StatusCode::NOT_FOUND, lang.pick("Không tìm thấy", "Not found"))
            }
            PageError::Gone(_) => (StatusCode::GONE, lang.pick("Nội dung đã được xóa", "Erased")),
            PageError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                lang.pick("Tạm thời không có số liệu", "The figures are not available"),
            ),
        };
        let body = html! {
            (DOCTYPE)
            html lang=(lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (heading) }
                    style { (STYLE) }
                }
                body {
                    main {
                        h1 { (heading) }
                        @match (self, lang) {
                            (PageError::BadRequest(said) | PageError::NotFound(said) | PageError::Gone(said), _) => {
                                p role="alert" class="error" { (lang.pick(&said.vi, &said.en)) }
                            }
                            (PageError::Unavailable(source), Lang::Vi) => {
                                p role="alert" class="error" {
                                    "Dịch vụ số liệu chưa trả lời. Xin thử lại sau ít phút; nếu vẫn không được, báo bộ phận vận hành."
                                }
                                details { summary { "Chi tiết kỹ thuật cho bộ phận vận hành (tiếng Anh)" } p lang="en" { (source) } }
                            }
                            (PageError::Unavailable(source), Lang::En) => {
                                p role="alert" class="error" { (source) }
                            }
                        }
                        p { a href=(if lang == Lang::En { "/?lang=en" } else { "/" }) { (lang.pick("Về trang chủ", "Home")) } }
                    }
                }
            }
        };
        (status, Html(body.into_string())).into_response()
    }
}

impl From<ViewError> for PageError {
    fn from(e: ViewError) -> Self {
        match &e {
            ViewError::Failed { kind: FailureKind::NotFound, message } => PageError::missing(
                "Không có trong dữ liệu hiện có điều trang này hỏi.".to_owned(),
                message.clone(),
            ),
            ViewError::Failed { kind: FailureKind::Invalid, message } => PageError::bad(
                "Dịch vụ số liệu không nhận yêu cầu của trang này.".to_owned(),
                message.clone(),
            ),
            _ => PageError::Unavailable(e.into()),
        }
    }
}

impl From<reform_rollup::RollupError> for PageError {
    fn from(e: reform_rollup::RollupError) -> Self {
        PageError::Unavailable(e.into())
    }
}

impl From<reform_shared::audit::read::ReadError> for PageError {
    fn from(e: reform_shared::audit::read::ReadError) -> Self {
        PageError::Unavailable(e.into())
    }
}

/// An error page carried out of a handler, for [`in_language`] to render in the request's
/// language (a handler's `?` cannot know it).
#[derive(Debug, Clone)]
struct Unrendered(std::sync::Arc<PageError>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let error = std::sync::Arc::new(self);
        let mut response = error.render(Lang::Vi);
        response.extensions_mut().insert(Unrendered(error));
        response
    }
}

/// Renders an error page in the language the request asked for (`?lang=en`), Vietnamese
/// otherwise, even when the language itself is what was wrong.
pub async fn in_language(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let english = request.uri().query().is_some_and(|q| q.split('&').any(|pair| pair == "lang=en"));
    let mut response = next.run(request).await;
    match response.extensions_mut().remove::<Unrendered>() {
        Some(Unrendered(error)) if english => error.render(Lang::En),
        _ => response,
    }
}

/// The frame around a page's content: the header with its navigation, the language toggle, the
/// day its figures are true at and a form to change it, and the footer.
pub fn frame(
    view: &View,
    path: &str,
    title: &str,
    applied_through: Option<u64>,
    content: Markup,
) -> Markup {
    let other = view.lang.other();
    let toggle = view.link(path, other, view.on, view.year);
    html! {
        (DOCTYPE)
        html lang=(view.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (view.t("Theo dõi cải cách hành chính", "Administrative reform tracker")) }
                style { (STYLE) }
            }
            body {
                header {
                    nav aria-label=(view.t("Chính", "Main")) {
                        ul {
                            li { a href=(view.href("/")) { (view.t("Tổng quan", "Overview")) } }
                            li { a href=(view.href("/national")) { (view.t("Toàn quốc", "National")) } }
                            li { a href=(view.href("/reports")) { (view.t("Báo cáo định kỳ", "Period reports")) } }
                            li { a href=(view.href("/audit")) { (view.t("Kiểm tra, giám sát", "Audit")) } }
                            li { a href=(view.href("/search")) { (view.t("Tìm kiếm", "Search")) } }
                            li { a href=(view.href("/work")) { (view.t("Việc của tôi", "My work")) } }
                            li class="lang" {
                                a href=(toggle) hreflang=(other.code()) lang=(other.code()) id="lang-toggle" {
                                    (other.pick("Tiếng Việt", "English"))
                                }
                            }
                        }
                    }
                    form method="get" action=(path) class="as-of" {
                        p id="as-of" {
                            @match view.on {
                                Some(on) => {
                                    (view.t("Số liệu đúng đến ngày ", "Figures as true at "))
                                    time datetime=(on) { (view.date(on)) }
                                    " · "
                                    a href=(view.href_live(path)) {
                                        (view.t("xem số liệu hiện nay", "see the figures known now"))
                                    }
                                }
                                None => {
                                    (view.t("Số liệu hiện có, đến hôm nay ", "Figures as known now, today "))
                                    time datetime=(view.today) { (view.date(view.today)) }
                                }
                            }
                        }
                        @if view.lang == Lang::En { input type="hidden" name="lang" value="en"; }
                        @if let Some(year) = view.year { input type="hidden" name="year" value=(year); }
                        label for="on" { (view.t("Xem số liệu tính đến ngày", "As true at")) }
                        (date_field(view, "on", "on", view.on, false))
                        button type="submit" { (view.t("Xem", "Show")) }
                    }
                }
                main { h1 { (title) } (content) }
                footer {
                    @if let Some(seq) = applied_through {
                        p { (view.t("Từ nhật ký sự kiện đến số thứ tự ", "From the event log through sequence ")) (seq) "." }
                    }
                    p { (view.t("Mọi số liệu lấy từ nhật ký sự kiện; mọi lệnh được ký trên thiết bị của người ra lệnh.", "Every figure comes from the event log; every command is signed on the device of the person who gives it.")) }
                }
            }
        }
    }
}

/// Hundredths as a decimal with two places, as the language writes it: "88,72" in Vietnamese
/// (a decimal comma), "88.72" in English; a dash for none. The CLI, the JSON and the files keep
/// the point.
pub fn hundredths(lang: Lang, value: Option<u64>) -> String {
    let Some(value) = value else { return "–".to_owned() };
    let text = reform_shared::points::format_hundredths(value);
    match lang {
        Lang::Vi => text.replace('.', ","),
        Lang::En => text,
    }
}

/// The stylesheet: small, inline, readable in print and without colour.
const STYLE: &str = "
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:0 1rem;color:#1a1a1a}
header nav ul{display:flex;gap:1.2rem;list-style:none;padding:0;margin:1rem 0}
header nav li.lang{margin-left:auto}
form.as-of{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;border-bottom:1px solid #ccc;padding-bottom:.6rem}
form.as-of p{margin:0 1rem 0 0}
form label{margin:0 .4rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.overdue{background:#fde8e8}
tr.overdue td:first-child{border-left:4px solid #b00020}
tr.rejected{color:#666;text-decoration:line-through}
.up{color:#056b2e}.down{color:#b00020}
.error{color:#b00020;font-weight:bold}
.pass{color:#056b2e;font-weight:bold}.fail{color:#b00020;font-weight:bold}
svg text{font-size:11px;font-family:system-ui,sans-serif}
caption{text-align:left;font-weight:bold;padding:.3rem 0}
footer{border-top:1px solid #ccc;margin-top:2rem;color:#555;font-size:.9rem}
svg.chart{max-width:100%;height:auto}
code{overflow-wrap:anywhere}
form.command,form#enrol,form#attach{display:grid;grid-template-columns:minmax(0,1fr);gap:.3rem;max-width:40rem;margin:1rem 0}
form.command label,form#enrol label,form#attach label{margin:.5rem 0 0}
form.command input,form.command select,form#enrol input,form#attach input,form#attach select{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}
form.command button,form#enrol button,form#attach button,#sign-in{font-size:1rem;padding:.5rem 1rem;margin-top:.6rem;justify-self:start}
form.command textarea{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}
form.command input[type=checkbox]{width:auto;margin:0 .4rem 0 0}
fieldset.evidence{max-height:14rem;overflow-y:auto;margin:.5rem 0 0}
fieldset.evidence label{display:block;margin:.2rem 0}
dl#glance{display:grid;grid-template-columns:auto auto;gap:.2rem 1rem;justify-content:start}
dl#glance dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
p.grounds{margin:0 0 .2rem}
.outcome{padding:.5rem .8rem;border-radius:4px}
.outcome.ok{background:#e6f4ea;color:#056b2e}.outcome.failed{background:#fde8e8;color:#b00020}
@media (max-width:40rem){
body{padding:0 .6rem}
h1{font-size:1.45rem}h2{font-size:1.15rem}
dl.about dd{margin-left:1rem}
header nav ul{flex-wrap:wrap;gap:.4rem 1rem}
header nav li.lang{margin-left:0}
table{display:block;overflow-x:auto}
table.scroll th:first-child,table.scroll td:first-child{position:sticky;left:0;background:#fff}
table.fold caption{display:block}
table.fold thead{display:none}
table.fold,table.fold tbody,table.fold tr,table.fold td{display:block;width:auto}
table.fold tr{border:1px solid #ccc;border-radius:4px;margin:.6rem 0;padding:.3rem .6rem}
table.fold td{border:0;padding:.15rem 0;text-align:left}
table.fold td.key{font-weight:600}
table.fold td[data-label]::before{content:attr(data-label) ': ';color:#555}
tr.overdue td:first-child{border-left:0}
tr.overdue{border-left:4px solid #b00020}
}
@media print{
header nav,form.as-of,footer{display:none}
body{max-width:none;font-size:11pt}
a{color:inherit;text-decoration:none}
tr{break-inside:avoid}
}
";

/// A table's columns: each one's Vietnamese and English heading, and whether it holds numbers.
pub type Columns = &'static [(&'static str, &'static str, bool)];

/// Column `i`'s heading, which a folded table (on a phone) writes before each cell.
pub fn label(view: &View, columns: Columns, i: usize) -> &'static str {
    columns.get(i).map_or("", |(vi, en, _)| view.t(vi, en))
}

/// A table's header row: each column's Vietnamese and English heading, and whether it holds
/// numbers (right-aligned).
pub fn header(view: &View, columns: &[(&'static str, &'static str, bool)]) -> Markup {
    html! {
        thead { tr {
            @for (vi, en, numeric) in columns {
                th class=[numeric.then_some("num")] scope="col" { (view.t(vi, en)) }
            }
        } }
    }
}
