//! `reformctl score import --file F.xlsx`: a batch of scores from a workbook, as provinces
//! collect them in Excel templates. Every row is checked before anything is sent: first its
//! cells, then the scoring service's own `decide` run here against the state the log gives,
//! row after row (so a file's appraised score may follow its self-assessed one). A file with
//! any bad row is refused whole, every bad row named, and nothing is recorded. Each row's
//! command id comes from the file's digest and the row, so sending the same file again, after
//! an interruption say, records each score once.
//!
//! The sheet: the first one, its first row the headings (any order, any extra columns):
//! `Mã đơn vị`, `Năm`, `Tiêu chí`, `Giai đoạn` (tự đánh giá, thẩm định, kết quả cuối cùng, or
//! self-assessed, appraised, final), `Điểm` (at most two decimals), and optionally `Lý do` and
//! `Minh chứng` (evidence ids separated by commas).

use crate::ctx::Ctx;
use crate::workbook::{self, points_of, text, Cells};
use calamine::Data;
use reform_scoring::cmd::{Command, RecordScore};
use reform_shared::command::Request;
use reform_shared::event::Stage;
use reform_shared::ids::{CommandId, CriterionCode, EvidenceId, UnitId};
use reform_shared::reply::Reason;
use reform_shared::service::{Context, Decider as _};
use reform_shared::time::Timestamp;
use reform_shared::wording;
use sha2::Digest as _;
use std::collections::BTreeSet;
use std::path::Path;

/// A row's score, with the sheet's row number (as Excel shows it).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: usize,
    pub score: RecordScore,
}

/// The columns, by heading.
const UNIT: &str = "Mã đơn vị";
const YEAR: &str = "Năm";
const CRITERION: &str = "Tiêu chí";
const STAGE: &str = "Giai đoạn";
const POINTS: &str = "Điểm";
const REASON: &str = "Lý do";
const EVIDENCE: &str = "Minh chứng";

/// The scores a workbook holds, or every problem with it, each naming its row and column.
pub fn read(bytes: &[u8]) -> Result<Vec<Row>, Vec<String>> {
    let rows = workbook::rows(bytes, &[UNIT, YEAR, CRITERION, STAGE, POINTS], row)?;
    Ok(rows.into_iter().map(|(line, score)| Row { line, score }).collect())
}

/// One row's score, or what is wrong with each of its cells.
fn row(cell: Cells) -> Result<RecordScore, Vec<String>> {
    let mut errors = Vec::new();
    let mut bad =
        |column: &str, problem: String| errors.push(format!("cột \"{column}\": {problem}"));
    let unit_text = text(&cell(UNIT)).trim().to_owned();
    let unit = unit_text
        .parse::<UnitId>()
        .map_err(|_| bad(UNIT, format!("{unit_text:?} không phải mã đơn vị")))
        .ok();
    let year = match cell(YEAR) {
        Data::Int(y) => u16::try_from(y).ok(),
        Data::Float(f) if f.fract() == 0.0 && (0.0..=f64::from(u16::MAX)).contains(&f) => {
            Some(f as u16)
        }
        other => text(&other).trim().parse::<u16>().ok(),
    }
    .filter(|y| (2000..=2100).contains(y));
    if year.is_none() {
        bad(YEAR, format!("{:?} không phải một năm (2000 đến 2100)", text(&cell(YEAR))));
    }
    let criterion_text = text(&cell(CRITERION)).trim().to_owned();
    let criterion = criterion_text
        .parse::<CriterionCode>()
        .map_err(|_| bad(CRITERION, format!("{criterion_text:?} không phải mã tiêu chí (như 1.1)")))
        .ok();
    let stage_text = text(&cell(STAGE)).trim().to_owned();
    let stage = stage_of(&stage_text);
    if stage.is_none() {
        bad(STAGE, format!("{stage_text:?} không phải giai đoạn: tự đánh giá, thẩm định hoặc kết quả cuối cùng"));
    }
    let points = points_of(&cell(POINTS));
    if points.is_none() {
        bad(
            POINTS,
            format!(
                "{:?} không phải số điểm, không quá hai chữ số thập phân (như 8.50)",
                text(&cell(POINTS))
            ),
        );
    }
    let reason = text(&cell(REASON)).trim().to_owned();
    let mut evidence = Vec::new();
    for id in text(&cell(EVIDENCE)).split(',').map(str::trim).filter(|t| !t.is_empty()) {
        match id.parse::<EvidenceId>() {
            Ok(id) => evidence.push(id),
            Err(_) => bad(EVIDENCE, format!("{id:?} không phải mã tài liệu minh chứng")),
        }
    }
    match (unit, year, criterion, stage, points) {
        (Some(unit), Some(year), Some(criterion), Some(stage), Some(points))
            if errors.is_empty() =>
        {
            Ok(RecordScore { unit, year, criterion, stage, points, reason, evidence })
        }
        _ => Err(errors),
    }
}

/// A stage by its code or its Vietnamese or English name, in any case.
fn stage_of(text: &str) -> Option<Stage> {
    let wanted = text.to_lowercase();
    Stage::ALL.into_iter().find(|s| {
        [s.as_str(), s.label_vi(), s.label_en()].iter().any(|name| name.to_lowercase() == wanted)
    })
}

/// Decides every row with the scoring service's own rules against the state the log gives,
/// each row after the ones before it: the refusals, by row.
async fn dry_run(
    ctx: &Ctx,
    rows: &[Row],
    requests: &[Request<Command>],
) -> anyhow::Result<Vec<String>> {
    let js = async_nats::jetstream::new(ctx.client().await?);
    let units: BTreeSet<&UnitId> = rows.iter().map(|r| &r.score.unit).collect();
    let evidence: BTreeSet<&EvidenceId> = rows.iter().flat_map(|r| &r.score.evidence).collect();
    let mut filters = vec![
        "par.evt.directory.>".to_owned(),
        format!("par.evt.scoring.{}.framework.>", reform_shared::subject::NO_UNIT),
    ];
    filters.extend(units.iter().map(|u| format!("par.evt.scoring.{u}.score.>")));
    filters.extend(evidence.iter().map(|e| format!("par.evt.evidence.*.evidence.{e}")));
    let mut records = Vec::new();
    for filter in filters {
        records.extend(reform_audit::history::records(&js, filter).await?);
    }
    records.sort_by_key(|(sequence, _)| *sequence);
    let mut state = reform_scoring::decide::State::default();
    for (_, record) in &records {
        state.apply(record);
    }
    let now = Timestamp::now();
    let mut refused = Vec::new();
    for (row, request) in rows.iter().zip(requests) {
        let context = Context::of(request, now).map_err(anyhow::Error::msg)?;
        match state.decide(&request.command, &context) {
            Ok(event) => state.apply_event(&event),
            Err(refusal) => {
                let reason = Reason::of(reform_scoring::NAME, &refusal);
                let said = reason.as_ref().and_then(wording::refusal_vi);
                let said = said.unwrap_or_else(|| refusal.to_string());
                refused.push(format!("dòng {}: bị từ chối: {said}", row.line));
            }
        }
    }
    Ok(refused)
}

pub async fn run(ctx: &Ctx, file: &Path) -> anyhow::Result<()> {
    let bytes = workbook::read_file(file, NOTHING)?;
    let rows = read(&bytes).map_err(|problems| invalid(file, problems))?;
    let digest = hex::encode(&sha2::Sha256::digest(&bytes)[..8]);
    // Who sends every row, and on which business day (`--on`, today when absent).
    let Request { actor, occurred_on, .. } = ctx.request(())?;
    let requests = rows
        .iter()
        .map(|r| {
            let command_id: CommandId =
                format!("import-{digest}-{}", r.line).parse().map_err(anyhow::Error::msg)?;
            Ok(Request {
                command_id,
                actor: actor.clone(),
                occurred_on,
                command: Command::RecordScore(r.score.clone()),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let refused = dry_run(ctx, &rows, &requests).await?;
    if !refused.is_empty() {
        return Err(invalid(file, refused));
    }
    let client = ctx.client().await?;
    let key = ctx.signer()?;
    let (mut recorded, mut again) = (0, 0);
    for request in &requests {
        let accepted = ctx.guarded(reform_scoring::client::send(&client, request, &key)).await?;
        if accepted.duplicate {
            again += 1
        } else {
            recorded += 1
        }
    }
    if ctx.json() {
        println!(
            "{}",
            serde_json::json!({ "outcome": "ok", "rows": rows.len(), "recorded": recorded, "recorded_before": again })
        );
    } else {
        println!(
            "Đã ghi {recorded} điểm từ {} ({} dòng; {again} dòng đã ghi từ lần trước).",
            file.display(),
            rows.len()
        );
    }
    Ok(())
}

/// The file refused, every problem listed: nothing was sent.
fn invalid(file: &Path, problems: Vec<String>) -> anyhow::Error {
    workbook::invalid(file, NOTHING, problems)
}

/// What a refused file recorded.
const NOTHING: &str = "không ghi điểm nào";
