//! `reformctl task show ID`: a task's whole history, read straight from the log: every event on
//! the task's subject (whatever unit it was filed under at the time) and every document attached
//! to it, in stream order, each with its business date, when and by whom it was recorded.

use crate::ctx::Ctx;
use crate::outcome::{Classified, ExitKind};
use reform_shared::envelope::Record;
use reform_shared::event::Event;
use reform_shared::ids::{PlanId, TaskId};
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
}

fn step(sequence: u64, record: &Record) -> Step {
    let envelope = &record.envelope;
    let (label, what) = reform_audit::history::describe(&envelope.event, |vi, _| vi);
    Step {
        sequence,
        event: envelope.event.type_name(),
        label,
        on: envelope.occurred_at.vietnam_date(),
        recorded_at: envelope.recorded_at.to_rfc3339(),
        by: envelope.actor.to_string(),
        what,
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
    let attached = read(
        &js,
        "par.evt.evidence.>".to_owned(),
        |e| matches!(e, Event::EvidenceAttached { task: Some(t), .. } if t == task),
    )
    .await?;
    steps.extend(attached);
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

/// A plan as `plan show` gives it.
#[derive(Debug, Serialize)]
struct PlanSheet {
    plan: PlanId,
    unit: reform_shared::ids::UnitId,
    year: u16,
    document_number: String,
    title: String,
    issued: Step,
    /// The plan's tasks as the unit's register has them now (state, due date in force).
    tasks: Vec<reform_projector::views::TaskRow>,
    /// Tasks assigned under the plan that the unit's register of the year does not hold (moved
    /// out of the unit's tree, or counted in another year).
    elsewhere: Vec<TaskId>,
}

/// `plan show P`: the plan (kế hoạch) and the tasks assigned under it, with where each stands.
pub async fn plan_show(ctx: &Ctx, plan: &PlanId) -> anyhow::Result<()> {
    use reform_projector::queries::{self, TasksQuery};
    use reform_projector::views::TaskFilter;
    let client = ctx.client().await?;
    let js = async_nats::jetstream::new(client.clone());
    let issued =
        reform_audit::history::records(&js, format!("par.evt.tasks.*.plan.{plan}")).await?;
    let Some((sequence, record)) = issued.first() else {
        return Err(Classified {
            kind: ExitKind::NotFound,
            message: format!("the log holds no plan {plan}"),
        }
        .into());
    };
    let Event::PlanIssued { unit, year, document_number, title, .. } = &record.envelope.event
    else {
        anyhow::bail!("the first event of plan {plan} is not its issue");
    };
    let assigned: Vec<TaskId> =
        reform_audit::history::records(&js, "par.evt.tasks.*.task.>".to_owned())
            .await?
            .into_iter()
            .filter_map(|(_, r)| match r.envelope.event {
                Event::TaskAssigned { task, plan: Some(p), .. } if &p == plan => Some(task),
                _ => None,
            })
            .collect();
    let filter = TaskFilter { with_sub_units: true, ..TaskFilter::default() };
    let query = TasksQuery { unit: unit.clone(), year: *year, as_of: None, filter };
    let register = queries::tasks(&client, &query).await?;
    let tasks: Vec<_> =
        register.tasks.into_iter().filter(|row| assigned.contains(&row.task)).collect();
    let elsewhere =
        assigned.iter().filter(|t| !tasks.iter().any(|row| &row.task == *t)).cloned().collect();
    let sheet = PlanSheet {
        plan: plan.clone(),
        unit: unit.clone(),
        year: *year,
        document_number: document_number.clone(),
        title: title.clone(),
        issued: step(*sequence, record),
        tasks,
        elsewhere,
    };
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&sheet)?);
        return Ok(());
    }
    let on = sheet.issued.on.map(|d| d.to_string()).unwrap_or_default();
    println!(
        "Kế hoạch {} ({}) của {} năm {}: {}\nban hành {on} (ghi {} bởi {})",
        sheet.document_number,
        sheet.plan,
        register.unit_name,
        sheet.year,
        sheet.title,
        sheet.issued.recorded_at,
        sheet.issued.by
    );
    let list = reform_projector::views::TaskList {
        unit: sheet.unit.clone(),
        unit_name: register.unit_name.clone(),
        year: sheet.year,
        basis: register.basis,
        tasks: sheet.tasks.clone(),
    };
    print!("\n{}", crate::task_list::render(&list));
    if !sheet.elsewhere.is_empty() {
        let ids: Vec<String> = sheet.elsewhere.iter().map(ToString::to_string).collect();
        println!("\nngoài sổ của đơn vị năm {}: {}", sheet.year, ids.join(", "));
    }
    Ok(())
}
