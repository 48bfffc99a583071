//! `reformctl audit explain score`: the events behind a unit's total in a stage, one per
//! criterion (the change in force), with when it happened, when it was recorded, who recorded
//! it and why; their sum is checked against the view's total.

use crate::ctx::Ctx;
use crate::outcome::{Classified, FailureKind};
use anyhow::Context as _;
use reform_projector::views::{self, Basis};
use reform_rollup::log::{self, End};
use reform_shared::event::{Event, Stage};
use reform_shared::ids::{CriterionCode, UnitId};
use reform_shared::points::format_hundredths;
use reform_shared::subject::STREAM_NAME;
use reform_shared::time::Date;
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub unit: UnitId,
    #[arg(long)]
    pub year: u16,
    /// self-assessed, appraised or final.
    #[arg(long, default_value = "final")]
    pub stage: Stage,
    /// As true at this date; as known now when absent.
    #[arg(long)]
    pub as_of: Option<Date>,
}

/// One criterion's value and the event that set it.
#[derive(Debug, Clone, Serialize)]
pub struct Behind {
    pub criterion: CriterionCode,
    pub hundredths: u32,
    pub sequence: u64,
    pub business_date: Date,
    pub recorded_at: String,
    pub recorded_by: String,
    pub old_hundredths: Option<u32>,
    pub reason: String,
    /// Earlier changes of the same criterion and stage, superseded by this one.
    pub superseded: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub unit: UnitId,
    pub year: u16,
    pub stage: Stage,
    pub basis: Basis,
    pub events: Vec<Behind>,
    pub sum_hundredths: u64,
    pub view_total_hundredths: Option<u64>,
    pub checks: bool,
}

pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    let js = async_nats::jetstream::new(client);
    let head = log::head(&js).await?;
    let (state, _) = log::read_prefix(&js, End::Sequence(head)).await?;
    let basis = args
        .as_of
        .map_or(Basis::Live { today: Date::today_in_vietnam() }, |date| Basis::AsTrueAt { date });
    let stream = js.get_stream(STREAM_NAME).await.context("could not read the event stream")?;
    let mut events = Vec::new();
    for ((unit, year, criterion, stage), rec) in &state.scores {
        if *unit != args.unit || *year != args.year || *stage != args.stage {
            continue;
        }
        let Some(change) = views::change_in_force(rec, basis) else { continue };
        let message = stream
            .direct_get(change.seq)
            .await
            .with_context(|| format!("message {}", change.seq))?;
        let record = reform_shared::codec::decode(&message.payload)
            .with_context(|| format!("the event at sequence {} is unreadable", change.seq))?;
        let reason = match &record.envelope.event {
            Event::ScoreChanged { reason, .. } => reason.clone(),
            _ => String::new(),
        };
        let recorded_by = match &record.envelope.actor {
            reform_shared::envelope::Actor::Person(p) => p.to_string(),
            reform_shared::envelope::Actor::Service(s) => s.clone(),
        };
        events.push(Behind {
            criterion: criterion.clone(),
            hundredths: change.value.new.hundredths(),
            sequence: change.seq,
            business_date: change.on,
            recorded_at: record.envelope.recorded_at.to_rfc3339(),
            recorded_by,
            old_hundredths: change.value.old.map(|p| p.hundredths()),
            reason,
            superseded: rec.changes.iter().filter(|c| c.seq < change.seq).count(),
        });
    }
    let sum: u64 = events.iter().map(|e| u64::from(e.hundredths)).sum();
    let view_total = views::stage_total(&state, &args.unit, args.year, args.stage, basis);
    let explanation = Explanation {
        unit: args.unit,
        year: args.year,
        stage: args.stage,
        basis,
        checks: view_total == (!events.is_empty()).then_some(sum),
        sum_hundredths: sum,
        view_total_hundredths: view_total,
        events,
    };
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&explanation)?);
    } else {
        for e in &explanation.events {
            let old =
                e.old_hundredths.map_or_else(|| "–".into(), |v| format_hundredths(u64::from(v)));
            println!(
                "{:<8} {:>7}  sequence {:<7} on {}  recorded {} by {:<22} (was {old}; {} earlier) {}",
                e.criterion.to_string(),
                format_hundredths(u64::from(e.hundredths)),
                e.sequence,
                e.business_date,
                e.recorded_at,
                e.recorded_by,
                e.superseded,
                e.reason
            );
        }
        let total =
            explanation.view_total_hundredths.map_or_else(|| "none".into(), format_hundredths);
        println!(
            "sum of {} criteria: {} = the view's {} total {total}: {}",
            explanation.events.len(),
            format_hundredths(explanation.sum_hundredths),
            explanation.stage.as_str(),
            if explanation.checks { "checks" } else { "DOES NOT CHECK" }
        );
    }
    if explanation.checks {
        Ok(())
    } else {
        Err(Classified {
            kind: FailureKind::CheckFailed,
            message: "the events behind the total do not sum to it".into(),
        }
        .into())
    }
}
