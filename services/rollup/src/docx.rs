//! A period report as a Word document (`.docx`, by docx-rs) in the layout of Decree 30/2020
//! on administrative documents: A4, Times New Roman, the issuing body and the national emblem
//! line with its motto side by side, the number left for the clerk, place and date, the title,
//! the body, and the recipients beside the signer. One province's units and leaders, as its
//! People's Committee hands the report in.

use crate::report::{title_vi, LeaderLine, PeerGroup, Report, UnitLine};
use docx_rs::{
    AlignmentType, Docx, PageMargin, Paragraph, Run, RunFonts, Table, TableCell, TableRow,
    WidthType,
};
use reform_shared::ids::UnitId;
use reform_shared::points::format_hundredths as hundredths;
use std::collections::BTreeSet;

/// Who issues the report and who signs it, as the directory names them.
#[derive(Debug, Clone)]
pub struct Letterhead {
    /// The province the report is about: its units, and its leaders.
    pub province: UnitId,
    /// The issuing body's lines, as its seal reads: "ỦY BAN NHÂN DÂN", "TỈNH SÓC TRĂNG".
    pub issuer: [String; 2],
    /// The place in the dateline: "Sóc Trăng".
    pub place: String,
    /// The signer's capacity and title: "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH".
    pub signs_as: [String; 2],
    /// The signer's name; empty when the directory records no head on the report's last day.
    pub signer: String,
}

/// Text sizes in half-points: 13 pt for the body, as the decree sets for most text.
const BODY: usize = 26;
const SMALL: usize = 24;
const TITLE: usize = 28;

fn text(t: impl Into<String>) -> Run {
    Run::new().add_text(t).size(BODY)
}

fn line(run: Run) -> Paragraph {
    Paragraph::new().add_run(run)
}

fn centred(run: Run) -> Paragraph {
    line(run).align(AlignmentType::Center)
}

fn cell(paragraphs: Vec<Paragraph>, width: usize) -> TableCell {
    paragraphs
        .into_iter()
        .fold(TableCell::new(), TableCell::add_paragraph)
        .width(width, WidthType::Dxa)
}

/// The report as a `.docx`: the same report always gives the same bytes.
pub fn report(r: &Report, head: &Letterhead) -> Result<Vec<u8>, docx_rs::DocxError> {
    let members = province_units(r, &head.province);
    let mut doc = Docx::new()
        // A4; margins of 20 mm top and bottom, 30 mm left, 15 mm right (in twips).
        .page_size(11906, 16838)
        .page_margin(PageMargin {
            top: 1134,
            bottom: 1134,
            left: 1701,
            right: 851,
            header: 567,
            footer: 567,
            gutter: 0,
        })
        .default_fonts(
            RunFonts::new()
                .ascii("Times New Roman")
                .hi_ansi("Times New Roman")
                .cs("Times New Roman"),
        )
        .default_size(BODY)
        .created_at(&format!("{}T00:00:00Z", r.to));
    doc = doc.add_table(letterhead(r, head));
    doc =
        doc.add_paragraph(Paragraph::new())
            .add_paragraph(centred(Run::new().add_text("BÁO CÁO").bold().size(TITLE)))
            .add_paragraph(centred(Run::new().add_text(subject(r)).bold().size(TITLE)))
            .add_paragraph(centred(Run::new().add_text("_______________").size(BODY)))
            .add_paragraph(line(text(format!(
            "Kỳ báo cáo từ ngày {} đến ngày {}. Số liệu lấy từ nhật ký sự kiện của hệ thống theo \
             dõi cải cách hành chính, đến bản ghi số {} (gốc cây Merkle {}).",
            dmy(r.from), dmy(r.to), r.through_sequence, r.log_checkpoint.root_sha256
        ))));
    doc = doc
        .add_paragraph(heading("I. TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ"))
        .add_table(progress(r, &members));
    let groups: Vec<&PeerGroup> =
        r.peer_groups.iter().filter(|g| members.contains(&g.parent)).collect();
    doc = doc.add_paragraph(heading("II. KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH"));
    if groups.is_empty() {
        doc = doc.add_paragraph(line(text("Trong kỳ chưa có kết quả chấm điểm cuối cùng.")));
    }
    for g in groups {
        let caption = format!(
            "{} thuộc {} ({} đơn vị)",
            g.kind.label_vi(),
            name_of(r, &g.parent),
            g.group_size
        );
        doc = doc.add_paragraph(line(text(caption).italic())).add_table(ranking(g));
    }
    let leaders: Vec<&LeaderLine> =
        r.leaders.iter().filter(|l| members.contains(&l.unit)).collect();
    doc = doc
        .add_paragraph(heading("III. TRÁCH NHIỆM NGƯỜI ĐỨNG ĐẦU"))
        .add_table(accountability(r, &leaders));
    doc = doc.add_paragraph(Paragraph::new()).add_table(signature(head));
    let mut bytes = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut bytes)?;
    Ok(bytes.into_inner())
}

/// The province and every unit below it, from the report's own parent links.
fn province_units(r: &Report, province: &UnitId) -> BTreeSet<UnitId> {
    let mut members = BTreeSet::from([province.clone()]);
    // Parents come before children in no fixed order: repeat until nothing is added.
    loop {
        let before = members.len();
        for u in &r.units {
            if u.parent.as_ref().is_some_and(|p| members.contains(p)) {
                members.insert(u.unit.clone());
            }
        }
        if members.len() == before {
            return members;
        }
    }
}

fn name_of(r: &Report, unit: &UnitId) -> String {
    r.units.iter().find(|u| &u.unit == unit).map_or_else(|| unit.to_string(), |u| u.name.clone())
}

/// "Kết quả thực hiện công tác cải cách hành chính năm 2016": the title after "Báo cáo".
fn subject(r: &Report) -> String {
    let title = title_vi(r.period);
    let rest = title.strip_prefix("Báo cáo ").unwrap_or(&title);
    let mut chars = rest.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// "31/12/2016".
fn dmy(d: reform_shared::time::Date) -> String {
    d.vietnamese()
}

fn heading(t: &str) -> Paragraph {
    line(Run::new().add_text(t).bold().size(BODY))
}

/// The two columns at the top: the issuing body and the number; the national emblem line, its
/// motto and the place and date.
fn letterhead(r: &Report, head: &Letterhead) -> Table {
    let date = format!(
        "{}, ngày {} tháng {} năm {}",
        head.place,
        r.to.0.format("%d"),
        r.to.0.format("%m"),
        r.to.0.format("%Y")
    );
    let left = cell(
        vec![
            centred(Run::new().add_text(&head.issuer[0]).size(SMALL)),
            centred(Run::new().add_text(&head.issuer[1]).bold().size(SMALL)),
            centred(Run::new().add_text("_______").size(SMALL)),
            centred(Run::new().add_text("Số:        /BC-UBND").size(BODY)),
        ],
        3600,
    );
    let right = cell(
        vec![
            centred(Run::new().add_text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").bold().size(SMALL)),
            centred(Run::new().add_text("Độc lập - Tự do - Hạnh phúc").bold().size(BODY)),
            centred(Run::new().add_text("_______________________").size(BODY)),
            centred(Run::new().add_text(date).italic().size(BODY)),
        ],
        5800,
    );
    Table::without_borders(vec![TableRow::new(vec![left, right])]).set_grid(vec![3600, 5800])
}

/// A bordered table: a bold header row, then the rows; `widths` in twips, 9,350 in all (the
/// text's width between the margins).
fn grid(header: &[&str], widths: &[usize], rows: Vec<Vec<String>>) -> Table {
    let head = TableRow::new(
        header
            .iter()
            .map(|h| {
                TableCell::new().add_paragraph(centred(Run::new().add_text(*h).bold().size(SMALL)))
            })
            .collect(),
    );
    let body = rows.into_iter().map(|row| {
        TableRow::new(
            row.into_iter()
                .map(|v| TableCell::new().add_paragraph(line(Run::new().add_text(v).size(SMALL))))
                .collect(),
        )
    });
    Table::new(std::iter::once(head).chain(body).collect()).set_grid(widths.to_vec())
}

fn progress(r: &Report, members: &BTreeSet<UnitId>) -> Table {
    let lines: Vec<&UnitLine> = r
        .units
        .iter()
        .filter(|u| members.contains(&u.unit) && (u.tasks.assigned > 0 || u.evidence.total > 0))
        .collect();
    let rows = lines
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let t = &u.tasks;
            vec![
                (i + 1).to_string(),
                u.name.clone(),
                t.assigned.to_string(),
                t.done_on_time.to_string(),
                t.done_late.to_string(),
                t.overdue.to_string(),
                hundredths(t.completion_rate_hundredths),
                u.evidence.total.to_string(),
            ]
        })
        .collect();
    grid(
        &[
            "STT",
            "Đơn vị (kể cả đơn vị trực thuộc)",
            "Được giao",
            "Đúng hạn",
            "Trễ hạn",
            "Quá hạn",
            "Tỷ lệ hoàn thành (%)",
            "Tài liệu minh chứng",
        ],
        &[750, 3000, 900, 900, 900, 900, 1000, 1000],
        rows,
    )
}

fn ranking(g: &PeerGroup) -> Table {
    let rows = g
        .entries
        .iter()
        .map(|e| {
            vec![
                e.rank.map_or_else(|| "–".into(), |n| n.to_string()),
                e.name.clone(),
                e.final_total_hundredths.map_or_else(|| "–".into(), hundredths),
                e.previous_rank.map_or_else(|| "–".into(), |n| n.to_string()),
            ]
        })
        .collect();
    grid(&["Hạng", "Đơn vị", "Điểm cuối cùng", "Hạng năm trước"], &[1000, 4750, 1800, 1800], rows)
}

fn accountability(r: &Report, leaders: &[&LeaderLine]) -> Table {
    let rows = leaders
        .iter()
        .map(|l| {
            vec![
                l.name.clone(),
                format!("{}, {}", l.role.label_vi(), name_of(r, &l.unit)),
                l.assigned.to_string(),
                l.completed_on_time.to_string(),
                l.went_overdue.to_string(),
            ]
        })
        .collect();
    grid(
        &["Họ và tên", "Vai trò, đơn vị", "Giao", "Đúng hạn", "Quá hạn"],
        &[2400, 3650, 1100, 1100, 1100],
        rows,
    )
}

/// Recipients on the left, the signer on the right.
fn signature(head: &Letterhead) -> Table {
    let left = cell(
        vec![
            line(Run::new().add_text("Nơi nhận:").bold().italic().size(SMALL)),
            line(Run::new().add_text("- Bộ Nội vụ;").size(22)),
            line(Run::new().add_text("- Thường trực Tỉnh ủy;").size(22)),
            line(Run::new().add_text("- Thường trực HĐND tỉnh;").size(22)),
            line(Run::new().add_text("- Lưu: VT.").size(22)),
        ],
        4600,
    );
    let right = cell(
        vec![
            centred(Run::new().add_text(&head.signs_as[0]).bold().size(BODY)),
            centred(Run::new().add_text(&head.signs_as[1]).bold().size(BODY)),
            Paragraph::new(),
            Paragraph::new(),
            Paragraph::new(),
            centred(Run::new().add_text(&head.signer).bold().size(BODY)),
        ],
        4800,
    );
    Table::without_borders(vec![TableRow::new(vec![left, right])]).set_grid(vec![4600, 4800])
}
