//! `reformctl task show ID`: a task's whole history, read straight from the log: every event on
//! the task's subject (whatever unit it was filed under at the time) and every document attached
//! to it, in stream order, each with its business date, when and by whom it was recorded.

use crate::ctx::Ctx;
use crate::outcome::{Classified, ExitKind};
use reform_shared::envelope::Record;
use reform_shared::event::Event;
use reform_shared::ids::{PlanId, TaskId};
use reform_shared::time::Date;
use serde::Serialize;

/// One step of a task's history.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub sequence: u64,
    pub event: &'static str,
    /// What kind of step it is, in Vietnamese.
    pub label: &'static str,
    pub on: Option<reform_shared::time::Date>,
    pub recorded_at: String,
    pub by: String,
    /// What the step said, in Vietnamese.
    pub what: String,
    /// The unit the event is about (for a task's event, the one it was filed under).
    #[serde(skip)]
    unit: Option<String>,
}

fn step(sequence: u64, record: &Record) -> Step {
    let envelope = &record.envelope;
    let (label, what) =
        reform_audit::history::describe(&envelope.event, |vi, _| vi, |d| d.to_string());
    Step {
        sequence,
        event: envelope.event.type_name(),
        label,
        on: envelope.occurred_at.vietnam_date(),
        recorded_at: envelope.recorded_at.to_rfc3339(),
        by: envelope.actor.to_string(),
        what,
        unit: envelope.event.unit().map(ToString::to_string),
    }
}

/// The steps read from the subjects `filter` names, keeping those `keep` accepts.
async fn read(
    js: &async_nats::jetstream::Context,
    filter: String,
    keep: impl Fn(&Event) -> bool,
) -> anyhow::Result<Vec<Step>> {
    let records = reform_audit::history::records(js, filter).await?;
    Ok(records
        .iter()
        .filter(|(_, record)| keep(&record.envelope.event))
        .map(|(sequence, record)| step(*sequence, record))
        .collect())
}

pub async fn show(ctx: &Ctx, task: &TaskId) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    let js = async_nats::jetstream::new(client);
    let mut steps = read(&js, format!("par.evt.tasks.*.task.{task}"), |_| true).await?;
    if steps.is_empty() {
        return Err(Classified {
            kind: ExitKind::NotFound,
            message: format!("the log holds no task {task}"),
        }
        .into());
    }
    // Its documents are filed at a unit the task has been at: read those units' documents,
    // not every document of the country.
    let units: std::collections::BTreeSet<String> =
        steps.iter().filter_map(|s| s.unit.clone()).collect();
    for unit in units {
        let attached = read(
            &js,
            format!("par.evt.evidence.{unit}.>"),
            |e| matches!(e, Event::EvidenceAttached { task: Some(t), .. } if t == task),
        )
        .await?;
        steps.extend(attached);
    }
    steps.sort_by_key(|s| s.sequence);
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&steps)?);
        return Ok(());
    }
    println!("Nhiệm vụ {task}: {} bước", steps.len());
    for s in &steps {
        let on = s.on.map(|d| d.to_string()).unwrap_or_default();
        println!(
            "  {on}  #{:<7} {:<31} {}  (ghi {} bởi {})",
            s.sequence, s.label, s.what, s.recorded_at, s.by
        );
    }
    Ok(())
}

/// `plan show P`: the plan (kế hoạch) and every task assigned under it, wherever each is now,
/// with where it stands: the projector's plan register, as of a day when asked.
pub async fn plan_show(ctx: &Ctx, plan: &PlanId, as_of: Option<Date>) -> anyhow::Result<()> {
    use reform_projector::queries::{self, PlanQuery};
    let client = ctx.client().await?;
    let sheet = queries::plan(&client, &PlanQuery { plan: plan.clone(), as_of }).await?;
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&sheet)?);
        return Ok(());
    }
    println!(
        "Kế hoạch {} của {} năm {}: {}\n{}",
        sheet.document_number,
        sheet.unit_name,
        sheet.year,
        sheet.title,
        crate::view::basis_vi(&sheet.basis)
    );
    let list = reform_projector::views::TaskList {
        unit: sheet.unit.clone(),
        unit_name: sheet.unit_name.clone(),
        year: sheet.year,
        basis: sheet.basis,
        tasks: sheet.tasks,
    };
    print!("\n{}", crate::task_list::render(&list));
    Ok(())
}
