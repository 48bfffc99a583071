//! `reformctl task list`: a unit's task register (sổ theo dõi nhiệm vụ) from the projector's
//! views, sorted by due date, with the "5 rõ" columns: who (unit, person), what, by when,
//! the result expected, and who is responsible (the leader who assigned it).

use crate::ctx::Ctx;
use crate::table::{Align, Table};
use reform_projector::queries::{self, TasksQuery};
use reform_projector::views::{PersonName, TaskFilter, TaskList, TaskStatus};
use reform_shared::ids::{CriterionCode, PersonId, UnitId};
use reform_shared::time::Date;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The unit; its sub-units are included unless --own-only.
    #[arg(long)]
    pub unit: UnitId,
    /// The year the tasks count in (the year they were assigned).
    #[arg(long)]
    pub year: u16,
    /// The unit's own tasks only, not its sub-units'.
    #[arg(long)]
    pub own_only: bool,
    /// As true at this date (YYYY-MM-DD); as known now when absent, overdue judged on today.
    #[arg(long)]
    pub as_of: Option<Date>,
    /// Only tasks assigned to this person.
    #[arg(long)]
    pub person: Option<PersonId>,
    /// Only tasks serving this criterion.
    #[arg(long)]
    pub criterion: Option<CriterionCode>,
    /// Only tasks in this state: open, done-on-time, done-late, overdue, cancelled.
    #[arg(long, value_parser = parse_status)]
    pub status: Option<TaskStatus>,
    /// Only overdue tasks.
    #[arg(long)]
    pub overdue: bool,
    /// Only open tasks due within this many days.
    #[arg(long)]
    pub due_within: Option<u32>,
}

fn parse_status(text: &str) -> Result<TaskStatus, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| {
        format!("{text:?} is not a task state; use one of: open, done-on-time, done-late, overdue, cancelled")
    })
}

pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    let query = TasksQuery {
        unit: args.unit,
        year: args.year,
        as_of: args.as_of,
        filter: TaskFilter {
            with_sub_units: !args.own_only,
            person: args.person,
            criterion: args.criterion,
            status: args.status,
            overdue_only: args.overdue,
            due_within_days: args.due_within,
        },
    };
    let list = queries::tasks(&ctx.client().await?, &query).await?;
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        print!("{}", render(&list));
    }
    Ok(())
}

/// A person as people read them: the name the directory records; the id only when it has
/// none (a person the views do not know).
fn name_of(name: Option<&PersonName>, id: Option<&PersonId>) -> String {
    match (name, id) {
        (Some(n), _) => n.name.clone(),
        (None, Some(id)) => id.to_string(),
        (None, None) => String::new(),
    }
}

/// The register as a table for people.
pub fn render(list: &TaskList) -> String {
    let mut table = Table::new(&[
        ("Hạn", Align::Left),
        ("Nhiệm vụ", Align::Left),
        ("Đơn vị", Align::Left),
        ("Người thực hiện", Align::Left),
        ("Kết quả cần đạt", Align::Left),
        ("Người giao", Align::Left),
        ("Trạng thái", Align::Left),
    ]);
    for t in &list.tasks {
        let status = match t.days_overdue {
            Some(days) => format!("{} {days} ngày", t.status.label_vi()),
            None => t.status.label_vi().to_owned(),
        };
        table.row(vec![
            t.due.to_string(),
            format!("{}: {}", t.task, t.title),
            t.unit_name.clone(),
            name_of(t.person_name.as_ref(), t.person.as_ref()),
            t.target.clone(),
            name_of(t.assigned_by_name.as_ref(), t.assigned_by.as_ref()),
            status,
        ]);
    }
    format!(
        "Nhiệm vụ của {} năm {} ({} nhiệm vụ)\n\n{}",
        list.unit_name,
        list.year,
        list.tasks.len(),
        table.render()
    )
}
