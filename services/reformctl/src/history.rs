//! Registers read straight from the log's events of one aggregate or one unit: `score history`
//! (a unit's criterion through its stages, with reasons, evidence, who and when) and
//! `evidence list` (a unit's documents, rejected ones marked).

use crate::ctx::Ctx;
use crate::outcome::{Classified, ExitKind};
use crate::table::{Align, Table};
use reform_shared::event::Event;
use reform_shared::ids::{CriterionCode, UnitId};
use reform_shared::points::format_hundredths;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct ScoreStep {
    sequence: u64,
    on: Option<String>,
    recorded_at: String,
    by: String,
    stage: &'static str,
    old_hundredths: Option<u32>,
    new_hundredths: u32,
    reason: String,
    evidence: Vec<String>,
}

/// Every change of a unit's score on one criterion in one year, every stage, in log order.
pub async fn score_history(
    ctx: &Ctx,
    unit: &UnitId,
    year: u16,
    criterion: &CriterionCode,
) -> anyhow::Result<()> {
    let js = async_nats::jetstream::new(ctx.client().await?);
    let filter = format!("par.evt.scoring.{unit}.score.{year}-{}", criterion.subject_token());
    let records = reform_audit::history::records(&js, filter).await?;
    let steps: Vec<ScoreStep> = records
        .iter()
        .filter_map(|(sequence, record)| match &record.envelope.event {
            Event::ScoreChanged { stage, old, new, reason, evidence, .. } => Some(ScoreStep {
                sequence: *sequence,
                on: record.envelope.occurred_at.vietnam_date().map(|d| d.to_string()),
                recorded_at: record.envelope.recorded_at.to_rfc3339(),
                by: record.envelope.actor.to_string(),
                stage: stage.as_str(),
                old_hundredths: old.map(|p| p.hundredths()),
                new_hundredths: new.hundredths(),
                reason: reason.clone(),
                evidence: evidence.iter().map(ToString::to_string).collect(),
            }),
            _ => None,
        })
        .collect();
    if steps.is_empty() {
        return Err(Classified {
            kind: ExitKind::NotFound,
            message: format!("the log holds no score of {unit} on criterion {criterion} in {year}"),
        }
        .into());
    }
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&steps)?);
        return Ok(());
    }
    let mut table = Table::new(&[
        ("Ngày", Align::Left),
        ("#", Align::Right),
        ("Giai đoạn", Align::Left),
        ("Điểm", Align::Right),
        ("Người ghi", Align::Left),
        ("Minh chứng", Align::Left),
        ("Lý do", Align::Left),
    ]);
    for s in &steps {
        let old = s.old_hundredths.map_or_else(|| "—".into(), |v| format_hundredths(u64::from(v)));
        table.row(vec![
            s.on.clone().unwrap_or_default(),
            s.sequence.to_string(),
            s.stage.into(),
            format!("{old} → {}", format_hundredths(u64::from(s.new_hundredths))),
            s.by.clone(),
            s.evidence.join(", "),
            s.reason.clone(),
        ]);
    }
    println!("Tiêu chí {criterion} của {unit}, năm {year}\n");
    print!("{}", table.render());
    Ok(())
}

#[derive(Debug, Serialize)]
struct Document {
    evidence: String,
    sequence: u64,
    task: Option<String>,
    criterion: Option<String>,
    title: String,
    document_number: String,
    document_date: String,
    size_bytes: u64,
    by: String,
    rejected: Option<String>,
}

/// A unit's evidence documents, in log order, with a document date in `year` when given.
pub async fn evidence_list(ctx: &Ctx, unit: &UnitId, year: Option<u16>) -> anyhow::Result<()> {
    let js = async_nats::jetstream::new(ctx.client().await?);
    let records = reform_audit::history::records(&js, format!("par.evt.evidence.{unit}.>")).await?;
    let mut documents: Vec<Document> = Vec::new();
    for (sequence, record) in &records {
        match &record.envelope.event {
            Event::EvidenceAttached {
                evidence,
                task,
                criterion,
                title,
                document_number,
                document_date,
                size_bytes,
                ..
            } => {
                if year.is_some_and(|y| i32::from(y) != document_date.year()) {
                    continue;
                }
                documents.push(Document {
                    evidence: evidence.to_string(),
                    sequence: *sequence,
                    task: task.as_ref().map(ToString::to_string),
                    criterion: criterion.as_ref().map(ToString::to_string),
                    title: title.clone(),
                    document_number: document_number.clone(),
                    document_date: document_date.to_string(),
                    size_bytes: *size_bytes,
                    by: record.envelope.actor.to_string(),
                    rejected: None,
                });
            }
            Event::EvidenceRejected { evidence, reason, .. } => {
                let id = evidence.to_string();
                if let Some(d) = documents.iter_mut().find(|d| d.evidence == id) {
                    d.rejected = Some(reason.clone());
                }
            }
            _ => {}
        }
    }
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&documents)?);
        return Ok(());
    }
    let mut table = Table::new(&[
        ("Số, ký hiệu", Align::Left),
        ("Ngày", Align::Left),
        ("Minh chứng", Align::Left),
        ("Nhiệm vụ", Align::Left),
        ("Tiêu chí", Align::Left),
        ("Trạng thái", Align::Left),
    ]);
    for d in &documents {
        let state =
            d.rejected.as_ref().map_or_else(|| "hợp lệ".into(), |r| format!("bị từ chối: {r}"));
        table.row(vec![
            d.document_number.clone(),
            d.document_date.clone(),
            format!("{}: {}", d.evidence, d.title),
            d.task.clone().unwrap_or_default(),
            d.criterion.clone().unwrap_or_default(),
            state,
        ]);
    }
    println!("Minh chứng của {unit} ({} tài liệu)\n", documents.len());
    print!("{}", table.render());
    Ok(())
}
