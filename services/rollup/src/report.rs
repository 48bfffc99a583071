//! The report of a period: a pure function of a prefix of the log and the period.
//!
//! The state is built by the projector's own pure `apply` from the events up to the sequence the
//! report covers, and every figure is the projector's own view "as true at" the period's last
//! day, so the report, the live views and an auditor's replay agree to the digit
//! (`docs/views.md`). Everything is ordered (units by id, peer groups by parent and kind, leaders
//! by id) and serialised the same way each time: the same prefix and period give the same bytes.

use reform_projector::model::State;
use reform_projector::views::{self, Basis, EvidenceCounts, Fact, RankEntry, Scores, TaskCounts};
use reform_shared::event::{Period, PeriodKind, Role, UnitKind};
use reform_shared::ids::{PersonId, TenureId, UnitId};
use reform_shared::points::format_hundredths as hundredths;
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use std::collections::BTreeMap;

/// What a report is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub period: Period,
    pub label: String,
    pub from: Date,
    pub to: Date,
    /// The last stream sequence the report covers.
    pub through_sequence: u64,
    pub units: Vec<UnitLine>,
    pub peer_groups: Vec<PeerGroup>,
    pub leaders: Vec<LeaderLine>,
    /// Earlier closed periods whose figures this report's events changed (restatements).
    pub restated: Vec<Restatement>,
    /// The log checkpoint that covers the report: the RFC 6962 tree over its prefix. The signed
    /// note of the same size and root is stored beside the report when the service has the
    /// log's key.
    pub log_checkpoint: LogCheckpoint,
}

/// A tree size and root, as `reformctl audit verify --checkpoint` checks them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogCheckpoint {
    pub origin: String,
    pub size: u64,
    pub root_sha256: String,
}

/// The figures of an earlier closed period that changed by the time this report was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restatement {
    pub period: Period,
    pub differences: Vec<Difference>,
}

/// One unit's figures for the period (its sub-units' tasks and evidence included, as in the
/// unit view; scores are the unit's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitLine {
    pub unit: UnitId,
    pub name: String,
    pub kind: UnitKind,
    pub parent: Option<UnitId>,
    pub tasks: TaskCounts,
    pub evidence: EvidenceCounts,
    pub scores: Scores,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerGroup {
    pub parent: UnitId,
    pub kind: UnitKind,
    pub group_size: u32,
    pub entries: Vec<RankEntry>,
}

/// A leader's record in the period: every fact attributed to them between its first and last
/// day, by tenure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderLine {
    pub person: PersonId,
    pub name: String,
    pub tenure: TenureId,
    pub unit: UnitId,
    pub role: Role,
    pub assigned: u64,
    pub completed_on_time: u64,
    pub completed_late: u64,
    pub went_overdue: u64,
    pub cancelled: u64,
    pub scores_changed: u64,
    pub findings: u64,
}

/// Builds the report of `period` from `state` (the log up to `through_sequence`).
pub fn build(state: &State, period: Period, through_sequence: u64) -> Report {
    let basis = Basis::AsTrueAt { date: period.last_day() };
    let year = period.year;
    let from = period.first_day();
    let to = period.last_day();
    let mut units = Vec::new();
    for (unit, rec) in &state.units {
        let Ok(progress) = views::unit_progress(state, unit, year, basis) else { continue };
        units.push(UnitLine {
            unit: unit.clone(),
            name: rec.name.clone(),
            kind: rec.kind,
            parent: rec.parent.clone(),
            tasks: progress.tasks,
            evidence: progress.evidence,
            scores: progress.scores,
        });
    }
    let mut groups: BTreeMap<(UnitId, UnitKind), ()> = BTreeMap::new();
    for line in &units {
        if let Some(parent) = &line.parent {
            groups.insert((parent.clone(), line.kind), ());
        }
    }
    let peer_groups = groups
        .into_keys()
        .filter_map(|(parent, kind)| {
            let ranking = views::ranking(state, &parent, kind, year, basis).ok()?;
            // A group nobody has scored that year says nothing.
            ranking.entries.iter().any(|e| e.rank.is_some()).then_some(PeerGroup {
                parent,
                kind,
                group_size: ranking.group_size,
                entries: ranking.entries,
            })
        })
        .collect();
    let mut leaders = Vec::new();
    for person in state.people.keys() {
        let Ok(timeline) = views::timeline(state, person, basis) else { continue };
        for tenure in timeline.tenures {
            let mut line = LeaderLine {
                person: person.clone(),
                name: timeline.name.clone(),
                tenure: tenure.tenure.clone(),
                unit: tenure.unit.clone(),
                role: tenure.role,
                assigned: 0,
                completed_on_time: 0,
                completed_late: 0,
                went_overdue: 0,
                cancelled: 0,
                scores_changed: 0,
                findings: 0,
            };
            for entry in tenure.entries.iter().filter(|e| e.on >= from && e.on <= to) {
                let count = match &entry.fact {
                    Fact::TaskAssigned { .. } => &mut line.assigned,
                    Fact::TaskCompletedOnTime { .. } => &mut line.completed_on_time,
                    Fact::TaskCompletedLate { .. } => &mut line.completed_late,
                    Fact::TaskWentOverdue { .. } => &mut line.went_overdue,
                    Fact::TaskCancelled { .. } => &mut line.cancelled,
                    Fact::ScoreChanged { .. } => &mut line.scores_changed,
                    Fact::FindingRecorded { .. } => &mut line.findings,
                };
                *count += 1;
            }
            if tenure.to.is_none_or(|end| end > from) && tenure.from <= to {
                leaders.push(line);
            }
        }
    }
    Report {
        period,
        label: format!("Báo cáo {} năm {}", period.kind.label_vi(), period.year),
        from,
        to,
        through_sequence,
        units,
        peer_groups,
        leaders,
        restated: Vec::new(),
        log_checkpoint: LogCheckpoint::default(),
    }
}

/// One figure of one unit that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    pub unit: UnitId,
    pub figure: String,
    pub closed: String,
    pub now: String,
}

/// The formats a report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Json,
    Markdown,
    Csv,
    /// An Excel workbook ([`crate::xlsx::report`], through [`crate::render`]).
    Xlsx,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Json, Format::Markdown, Format::Csv, Format::Xlsx];

    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Markdown => "md",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "json" => Ok(Format::Json),
            "md" | "markdown" => Ok(Format::Markdown),
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            other => Err(format!("{other:?} is not a report format: use json, md, csv or xlsx")),
        }
    }
}

/// The canonical form, whose digest the period's event names.
pub fn json(report: &Report) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(report).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The byte-order mark that tells Excel a CSV file is UTF-8 (without it, Vietnamese shows as
/// mojibake).
pub const UTF8_BOM: &str = "\u{feff}";

/// SHA-256 of bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(bytes).into()
}

fn total(scores: &Scores) -> String {
    scores.final_total_hundredths().map_or_else(|| "–".into(), hundredths)
}

/// The report's title as a Vietnamese report is headed: "Báo cáo kết quả thực hiện công tác
/// cải cách hành chính quý I năm 2016", "… 6 tháng đầu năm …", "… 9 tháng …", "… năm 2016".
pub fn title_vi(period: Period) -> String {
    let span = match period.kind {
        PeriodKind::Q1 => "quý I ",
        PeriodKind::H1 => "6 tháng đầu ",
        PeriodKind::Q3 => "9 tháng ",
        PeriodKind::Year => "",
    };
    format!("Báo cáo kết quả thực hiện công tác cải cách hành chính {span}năm {}", period.year)
}

pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!("# {}\n\n", title_vi(r.period)));
    out.push_str(&format!(
        "Kỳ báo cáo (period): {} – {}. Số liệu theo nhật ký sự kiện đến sequence {} (events through stream sequence {}).\n\n",
        r.from, r.to, r.through_sequence, r.through_sequence
    ));
    out.push_str(&format!(
        "Điểm kiểm tra nhật ký (log checkpoint): {} messages, Merkle root {} ({}).\n\n",
        r.log_checkpoint.size, r.log_checkpoint.root_sha256, r.log_checkpoint.origin
    ));
    out.push_str("## Đơn vị (units)\n\n");
    out.push_str("| Đơn vị | Giao | Đúng hạn | Trễ hạn | Quá hạn | Hủy | Tỷ lệ hoàn thành | Minh chứng | Điểm cuối cùng |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    // People read the units the period says something about; the JSON and CSV list them all.
    let quiet = r.units.iter().filter(|u| !says_something(u)).count();
    for u in r.units.iter().filter(|u| says_something(u)) {
        let t = &u.tasks;
        out.push_str(&format!(
            "| {} ({}) | {} | {} | {} | {} | {} | {} % | {} | {} |\n",
            u.name,
            u.unit,
            t.assigned,
            t.done_on_time,
            t.done_late,
            t.overdue,
            t.cancelled,
            hundredths(t.completion_rate_hundredths),
            u.evidence.total,
            total(&u.scores)
        ));
    }
    if quiet > 0 {
        out.push_str(&format!(
            "\n{quiet} đơn vị khác không có nhiệm vụ, minh chứng hay điểm trong kỳ \
             ({quiet} other units had nothing in the period).\n"
        ));
    }
    for g in &r.peer_groups {
        out.push_str(&format!(
            "\n## Xếp hạng: {} thuộc {} ({} đơn vị)\n\n",
            g.kind.label_vi(),
            g.parent,
            g.group_size
        ));
        out.push_str("| Hạng | Đơn vị | Tổng điểm | Hạng năm trước | Thay đổi |\n|---:|---|---:|---:|---:|\n");
        for e in &g.entries {
            let rank = e.rank.map_or_else(|| "–".into(), |r| r.to_string());
            let previous = e.previous_rank.map_or_else(|| "–".into(), |r| r.to_string());
            let change = e.rank_change.map_or_else(|| "–".into(), |c| format!("{c:+}"));
            let score = e.final_total_hundredths.map_or_else(|| "–".into(), hundredths);
            out.push_str(&format!(
                "| {rank} | {} ({}) | {score} | {previous} | {change} |\n",
                e.name, e.unit
            ));
        }
    }
    if !r.restated.is_empty() {
        out.push_str(
            "\n## Số liệu kỳ trước được điều chỉnh (restated figures of earlier periods)\n\n",
        );
        out.push_str("| Kỳ | Đơn vị | Chỉ tiêu | Đã báo cáo | Nay |\n|---|---|---|---:|---:|\n");
        for restatement in &r.restated {
            for d in &restatement.differences {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    restatement.period, d.unit, d.figure, d.closed, d.now
                ));
            }
        }
    }
    out.push_str("\n## Trách nhiệm người đứng đầu (leaders)\n\n");
    out.push_str("| Người | Vai trò | Đơn vị | Giao | Đúng hạn | Trễ hạn | Quá hạn | Hủy | Điểm thay đổi | Hạn chế |\n");
    out.push_str("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for l in &r.leaders {
        out.push_str(&format!(
            "| {} ({}) | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            l.name,
            l.person,
            l.role.label_vi(),
            l.unit,
            l.assigned,
            l.completed_on_time,
            l.completed_late,
            l.went_overdue,
            l.cancelled,
            l.scores_changed,
            l.findings
        ));
    }
    out
}

/// Whether a unit had a task, a document or a final score in the period.
fn says_something(u: &UnitLine) -> bool {
    u.tasks.assigned > 0 || u.evidence.total > 0 || u.scores.final_total_hundredths().is_some()
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

pub fn csv(r: &Report) -> String {
    let mut out = String::from(UTF8_BOM);
    out.push_str(
        "period,unit,name,kind,parent,assigned,done_on_time,done_late,overdue,open,cancelled,completion_rate_percent,evidence,final_total\n",
    );
    for u in &r.units {
        let t = &u.tasks;
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.period,
            u.unit,
            csv_field(&u.name),
            u.kind.as_str(),
            u.parent.as_ref().map(ToString::to_string).unwrap_or_default(),
            t.assigned,
            t.done_on_time,
            t.done_late,
            t.overdue,
            t.open,
            t.cancelled,
            hundredths(t.completion_rate_hundredths),
            u.evidence.total,
            u.scores.final_total_hundredths().map(hundredths).unwrap_or_default()
        ));
    }
    out
}
