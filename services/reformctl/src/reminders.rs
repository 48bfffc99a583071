//! `reformctl reminders`: the reminder a unit's leaders get (đôn đốc), from the projector's
//! views: what is due within a week, what went overdue since the last reminders, and what was
//! completed since, over the unit and its sub-units. With `--person` alone, the reminders of each
//! unit the person leads on the day.

use crate::ctx::Ctx;
use crate::outcome::{Classified, ExitKind};
use crate::table::{Align, Table};
use reform_projector::queries::{self, DirectoryQuery, RemindersQuery};
use reform_projector::registers::Reminders;
use reform_projector::views::TaskRow;
use reform_shared::ids::{PersonId, UnitId};
use reform_shared::time::Date;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The unit (its sub-units included).
    #[arg(long, required_unless_present = "person")]
    pub unit: Option<UnitId>,
    /// Only this person's tasks; without --unit, every unit they lead on the day.
    #[arg(long)]
    pub person: Option<PersonId>,
    /// The reminders' day (YYYY-MM-DD), its figures as true at it; today when absent.
    #[arg(long)]
    pub as_of: Option<Date>,
    /// The day of the last reminders: what went overdue or was completed after it is new; a week
    /// before the reminders' day when absent.
    #[arg(long)]
    pub since: Option<Date>,
}

pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    let on = args.as_of.unwrap_or_else(Date::today_in_vietnam);
    // A person's own reminders covers their tasks in the unit asked for; a leader's (no unit
    // given) covers everything in the units they lead.
    let (units, person) = match (&args.unit, &args.person) {
        (Some(unit), person) => (vec![unit.clone()], person.clone()),
        (None, Some(person)) => {
            // The person's own tenures, not the whole directory, which at national scale is
            // near the broker's limit of one message.
            let q = DirectoryQuery { under: None, depth: None, person: Some(person.clone()) };
            let mine = queries::directory_part(&client, &q).await?;
            let mut led: Vec<UnitId> =
                mine.tenures.iter().filter(|t| t.covers(on)).map(|t| t.unit.clone()).collect();
            led.sort();
            led.dedup();
            if led.is_empty() {
                return Err(Classified {
                    kind: ExitKind::NotFound,
                    message: format!(
                        "{person} leads no unit on {on}; name the unit with --unit to see their tasks there"
                    ),
                }
                .into());
            }
            (led, None)
        }
        (None, None) => {
            return Err(Classified {
                kind: ExitKind::Invalid,
                message: "name the unit (--unit) or the person (--person)".into(),
            }
            .into())
        }
    };
    let mut reminders = Vec::new();
    for unit in units {
        let q = RemindersQuery { unit, person: person.clone(), on: Some(on), since: args.since };
        reminders.push(queries::reminders(&client, &q).await?);
    }
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&reminders)?);
    } else {
        reminders.iter().for_each(|d| print!("{}", render(d)));
    }
    Ok(())
}

/// The reminders for people: three short tables.
pub fn render(d: &Reminders) -> String {
    let who = d.person.as_ref().map(|p| format!(", nhiệm vụ của {p}")).unwrap_or_default();
    let mut out = format!("Đôn đốc {}{who}: ngày {}, từ lần trước ({})\n", d.unit, d.on, d.since);
    let section = |out: &mut String, title: &str, rows: Vec<(Option<Date>, &TaskRow)>| {
        out.push_str(&format!("\n{title} ({})\n", rows.len()));
        if rows.is_empty() {
            return;
        }
        let mut table = Table::new(&[
            ("Hạn", Align::Left),
            ("Nhiệm vụ", Align::Left),
            ("Đơn vị", Align::Left),
            ("Người thực hiện", Align::Left),
            ("Trạng thái", Align::Left),
        ]);
        for (done, t) in rows {
            let status = match done {
                Some(on) => format!("{} ngày {on}", t.status.label_vi()),
                None => t.status.label_vi().to_owned(),
            };
            table.row(vec![
                t.due.to_string(),
                format!("{}: {}", t.task, t.title),
                t.unit.to_string(),
                t.person.as_ref().map_or_else(String::new, ToString::to_string),
                status,
            ]);
        }
        out.push_str(&table.render());
    };
    section(&mut out, "Sắp đến hạn trong 7 ngày", d.due_soon.iter().map(|t| (None, t)).collect());
    section(&mut out, "Mới quá hạn", d.went_overdue.iter().map(|t| (None, t)).collect());
    section(&mut out, "Đã hoàn thành", d.completed.iter().map(|(on, t)| (Some(*on), t)).collect());
    out
}
