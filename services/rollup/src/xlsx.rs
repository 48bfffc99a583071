//! Excel workbooks (`.xlsx`, by rust_xlsxwriter): how heads hand in and exchange score tables.
//! Numbers are numbers (points with two decimals), dates are dates, each sheet's header row is
//! bold and frozen, and columns are as wide as what they hold. The same report gives the same
//! bytes: the workbook's creation time is the report's last day, not the clock.

use crate::report::{title_vi, Report};
use reform_shared::time::Date;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

/// One cell's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u64),
    /// Hundredths, written as a number with two decimals (88.72).
    Hundredths(u64),
    Date(Date),
    Empty,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell::Text(text.into())
    }

    pub fn hundredths(value: Option<u64>) -> Cell {
        value.map_or(Cell::Empty, Cell::Hundredths)
    }
}

/// A sheet: its name, its columns' headings and widths (in characters), and its rows.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub columns: Vec<(String, f64)>,
    pub rows: Vec<Vec<Cell>>,
}

/// A workbook of `sheets`, titled `title`, dated `on`.
pub fn workbook(title: &str, on: Date, sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let created = excel_date(on)?;
    book.set_properties(&DocProperties::new().set_title(title).set_creation_datetime(&created));
    let bold = Format::new().set_bold().set_text_wrap();
    let points = Format::new().set_num_format("0.00");
    let day = Format::new().set_num_format("dd/mm/yyyy");
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(&sheet.name)?;
        for (col, (heading, width)) in (0u16..).zip(&sheet.columns) {
            ws.write_string_with_format(0, col, heading, &bold)?;
            ws.set_column_width(col, *width)?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (row, cells) in (1u32..).zip(&sheet.rows) {
            for (col, cell) in (0u16..).zip(cells) {
                match cell {
                    Cell::Text(t) => ws.write_string(row, col, t).map(|_| ())?,
                    // Counts and points stay far below 2^53, where f64 is exact.
                    Cell::Count(n) => ws.write_number(row, col, *n as f64).map(|_| ())?,
                    Cell::Hundredths(h) => ws
                        .write_number_with_format(row, col, *h as f64 / 100.0, &points)
                        .map(|_| ())?,
                    Cell::Date(d) => ws
                        .write_datetime_with_format(row, col, excel_date(*d)?, &day)
                        .map(|_| ())?,
                    Cell::Empty => {}
                }
            }
        }
    }
    book.save_to_buffer()
}

fn excel_date(d: Date) -> Result<ExcelDateTime, XlsxError> {
    use chrono::Datelike as _;
    let year =
        u16::try_from(d.0.year()).map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?;
    // Months and days always fit in a byte.
    ExcelDateTime::from_ymd(year, d.0.month() as u8, d.0.day() as u8)
}

/// A period report as a workbook: the units' progress, the peer groups' rankings and the
/// leaders' records, each a sheet, with names where people read and ids in their own column.
pub fn report(r: &Report) -> Result<Vec<u8>, XlsxError> {
    let name_of = |unit: &reform_shared::ids::UnitId| {
        r.units
            .iter()
            .find(|u| &u.unit == unit)
            .map_or_else(|| unit.to_string(), |u| u.name.clone())
    };
    let columns = |cols: &[(&str, f64)]| cols.iter().map(|(h, w)| ((*h).to_owned(), *w)).collect();
    let units = Sheet {
        name: "Đơn vị".into(),
        columns: columns(&[
            ("Đơn vị", 40.0),
            ("Trực thuộc", 30.0),
            ("Được giao", 10.0),
            ("Đúng hạn", 10.0),
            ("Trễ hạn", 10.0),
            ("Quá hạn", 10.0),
            ("Đang thực hiện", 12.0),
            ("Đã hủy", 10.0),
            ("Tỷ lệ hoàn thành (%)", 14.0),
            ("Tài liệu minh chứng", 12.0),
            ("Điểm cuối cùng", 12.0),
            ("Mã đơn vị", 20.0),
        ]),
        rows: r
            .units
            .iter()
            .map(|u| {
                let t = &u.tasks;
                vec![
                    Cell::text(&u.name),
                    u.parent.as_ref().map_or(Cell::Empty, |p| Cell::Text(name_of(p))),
                    Cell::Count(t.assigned),
                    Cell::Count(t.done_on_time),
                    Cell::Count(t.done_late),
                    Cell::Count(t.overdue),
                    Cell::Count(t.open),
                    Cell::Count(t.cancelled),
                    Cell::Hundredths(t.completion_rate_hundredths),
                    Cell::Count(u.evidence.total),
                    Cell::hundredths(u.scores.final_total_hundredths()),
                    Cell::text(u.unit.to_string()),
                ]
            })
            .collect(),
    };
    let ranking = Sheet {
        name: "Xếp hạng".into(),
        columns: columns(&[
            ("Nhóm", 40.0),
            ("Hạng", 8.0),
            ("Đơn vị", 40.0),
            ("Điểm cuối cùng", 12.0),
            ("Chỉ số (%)", 10.0),
            ("Hạng năm trước", 12.0),
            ("Mã đơn vị", 20.0),
        ]),
        rows: r
            .peer_groups
            .iter()
            .flat_map(|g| {
                let group = format!("{} thuộc {}", g.kind.label_vi(), name_of(&g.parent));
                g.entries.iter().map(move |e| {
                    vec![
                        Cell::text(&group),
                        e.rank.map_or(Cell::Empty, |n| Cell::Count(u64::from(n))),
                        Cell::text(&e.name),
                        Cell::hundredths(e.final_total_hundredths),
                        Cell::hundredths(e.index_hundredths),
                        e.previous_rank.map_or(Cell::Empty, |n| Cell::Count(u64::from(n))),
                        Cell::text(e.unit.to_string()),
                    ]
                })
            })
            .collect(),
    };
    let leaders = Sheet {
        name: "Người đứng đầu".into(),
        columns: columns(&[
            ("Họ và tên", 28.0),
            ("Vai trò", 24.0),
            ("Đơn vị", 40.0),
            ("Giao", 8.0),
            ("Đúng hạn", 10.0),
            ("Trễ hạn", 10.0),
            ("Quá hạn", 10.0),
            ("Hủy", 8.0),
            ("Lần thay đổi điểm", 12.0),
            ("Kết luận kiểm tra", 12.0),
        ]),
        rows: r
            .leaders
            .iter()
            .map(|l| {
                vec![
                    Cell::text(&l.name),
                    Cell::text(l.role.label_vi()),
                    Cell::Text(name_of(&l.unit)),
                    Cell::Count(l.assigned),
                    Cell::Count(l.completed_on_time),
                    Cell::Count(l.completed_late),
                    Cell::Count(l.went_overdue),
                    Cell::Count(l.cancelled),
                    Cell::Count(l.scores_changed),
                    Cell::Count(l.findings),
                ]
            })
            .collect(),
    };
    let about = Sheet {
        name: "Thông tin".into(),
        columns: columns(&[("Mục", 28.0), ("Nội dung", 70.0)]),
        rows: vec![
            vec![Cell::text("Báo cáo"), Cell::Text(title_vi(r.period))],
            vec![Cell::text("Từ ngày"), Cell::Date(r.from)],
            vec![Cell::text("Đến ngày"), Cell::Date(r.to)],
            vec![Cell::text("Số liệu từ nhật ký đến số thứ tự"), Cell::Count(r.through_sequence)],
            vec![
                Cell::text("Gốc cây Merkle của nhật ký"),
                Cell::text(&r.log_checkpoint.root_sha256),
            ],
        ],
    };
    workbook(&title_vi(r.period), r.to, &[units, ranking, leaders, about])
}
