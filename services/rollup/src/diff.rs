//! Restatements: what is true now about a closed period, against what its report said.
//!
//! Events recorded after a period closed, with business dates inside it (a completion entered
//! late, a score corrected), change what is true about the period. The closed report never
//! changes; the diff regenerates it from its prefix, builds the period again from the whole log
//! as it is now, and lists every figure that differs with the events behind it.

use crate::closed::closed_event;
use crate::log::{self, End};
use crate::report::{Difference, Report, UnitLine};
use crate::RollupError;
use reform_shared::event::Period;
use reform_shared::ids::UnitId;
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An event behind the differences: recorded after the close, dated inside the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Behind {
    pub sequence: u64,
    pub event: String,
    pub unit: Option<UnitId>,
    pub on: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    pub period: Period,
    pub closed_through: u64,
    pub now_through: u64,
    pub differences: Vec<Difference>,
    pub events: Vec<Behind>,
}

/// The figures compared, by name.
fn figures(line: &UnitLine) -> Vec<(&'static str, String)> {
    let t = &line.tasks;
    let final_total = line
        .scores
        .stages
        .iter()
        .find(|s| s.stage == reform_shared::event::Stage::Final)
        .and_then(|s| s.total_hundredths);
    vec![
        ("tasks assigned", t.assigned.to_string()),
        ("done on time", t.done_on_time.to_string()),
        ("done late", t.done_late.to_string()),
        ("overdue", t.overdue.to_string()),
        ("open", t.open.to_string()),
        ("cancelled", t.cancelled.to_string()),
        ("completion rate (hundredths of a percent)", t.completion_rate_hundredths.to_string()),
        ("evidence", line.evidence.total.to_string()),
        (
            "final total (hundredths)",
            final_total.map(|v| v.to_string()).unwrap_or_else(|| "–".into()),
        ),
    ]
}

/// Each figure's name (the code in [`Difference::figure`], which the reports' JSON keeps) in
/// Vietnamese and English, and whether its values are hundredths.
const FIGURE_NAMES: [(&str, &str, &str, bool); 9] = [
    ("tasks assigned", "Nhiệm vụ được giao", "Tasks assigned", false),
    ("done on time", "Hoàn thành đúng hạn", "Done on time", false),
    ("done late", "Hoàn thành trễ hạn", "Done late", false),
    ("overdue", "Quá hạn", "Overdue", false),
    ("open", "Đang thực hiện", "In progress", false),
    ("cancelled", "Đã hủy", "Cancelled", false),
    ("completion rate (hundredths of a percent)", "Tỷ lệ hoàn thành (%)", "Completion (%)", true),
    ("evidence", "Tài liệu minh chứng", "Evidence", false),
    ("final total (hundredths)", "Điểm cuối cùng", "Final score", true),
];

/// A difference as people read it: the figure's name in the language `pick` chooses, and the
/// two values (hundredths as "71.43").
pub fn readable(
    d: &Difference,
    pick: impl Fn(&'static str, &'static str) -> &'static str,
) -> (String, String, String) {
    let Some((_, vi, en, hundredths)) = FIGURE_NAMES.iter().find(|f| f.0 == d.figure) else {
        return (d.figure.clone(), d.closed.clone(), d.now.clone());
    };
    let value = |v: &str| match v.parse::<u64>() {
        Ok(h) if *hundredths => reform_shared::points::format_hundredths(h),
        _ => v.to_owned(),
    };
    (pick(vi, en).to_owned(), value(&d.closed), value(&d.now))
}

/// Compares two reports of one period unit by unit, figure by figure. Pure.
pub fn compare(closed: &Report, now: &Report) -> Vec<Difference> {
    let index = |r: &Report| -> BTreeMap<UnitId, UnitLine> {
        r.units.iter().map(|u| (u.unit.clone(), u.clone())).collect()
    };
    let (before, after) = (index(closed), index(now));
    let mut out = Vec::new();
    let units: std::collections::BTreeSet<&UnitId> = before.keys().chain(after.keys()).collect();
    for unit in units {
        let old = before.get(unit).map(figures).unwrap_or_default();
        let new = after.get(unit).map(figures).unwrap_or_default();
        let old: BTreeMap<_, _> = old.into_iter().collect();
        let new: BTreeMap<_, _> = new.into_iter().collect();
        let names: std::collections::BTreeSet<&&str> = old.keys().chain(new.keys()).collect();
        for name in names {
            let (a, b) = (
                old.get(*name).cloned().unwrap_or_else(|| "–".into()),
                new.get(*name).cloned().unwrap_or_else(|| "–".into()),
            );
            if a != b {
                out.push(Difference {
                    unit: unit.clone(),
                    figure: (*name).to_owned(),
                    closed: a,
                    now: b,
                });
            }
        }
    }
    out
}

/// The restatements of a closed period; `None` when it is not closed.
pub async fn diff(
    js: &async_nats::jetstream::Context,
    period: Period,
) -> Result<Option<Diff>, RollupError> {
    let Some((_, through, _)) = closed_event(js, period).await? else { return Ok(None) };
    let head = log::head(js).await?;
    let (closed_state, closed_through) = log::read_prefix(js, End::Sequence(through)).await?;
    let (now_state, now_through) = log::read_prefix(js, End::Sequence(head)).await?;
    let closed = crate::report::build(&closed_state, period, closed_through);
    let now = crate::report::build(&now_state, period, now_through);
    let events = log::after(js, through)
        .await?
        .into_iter()
        .filter_map(|(sequence, record)| {
            let on = record.envelope.occurred_at.vietnam_date()?;
            let event = &record.envelope.event;
            (on >= period.first_day() && on <= period.last_day()).then(|| Behind {
                sequence,
                event: event.type_name().to_owned(),
                unit: event.unit().cloned(),
                on,
            })
        })
        .collect();
    Ok(Some(Diff {
        period,
        closed_through,
        now_through,
        differences: compare(&closed, &now),
        events,
    }))
}
