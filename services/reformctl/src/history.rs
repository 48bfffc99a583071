//! `score history`: a unit's criterion through its stages, with reasons, evidence, who and
//! when, read straight from the log's events of that one score (an audit trail, like `task
//! show`, rather than a register).

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
