//! `reformctl audit explain`: the events behind a figure, recomputed from them and checked
//! against the view.
//!
//! - `explain score`: a unit's total in a stage, one event per criterion (the change in force),
//!   with when it happened, when it was recorded, who recorded it and why.
//! - `explain tasks`: a unit's task counts for a year (its sub-units included), one line per
//!   task with its state and the stream sequences that made it so.
//! - `explain rank`: a unit's rank in its peer group, from every peer's final total and the
//!   events in force behind it; the rank recounted from those totals is checked against the
//!   view's.

use crate::ctx::Ctx;
use crate::ctx::Lang;
use crate::outcome::{Classified, ExitKind};
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
    /// The public key that signed the request the event came from; `None` for an event no
    /// person signed.
    pub signed_with: Option<String>,
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

/// The whole log in memory, and the basis `--as-of` names.
async fn whole_log(
    ctx: &Ctx,
    as_of: Option<Date>,
) -> anyhow::Result<(async_nats::jetstream::Context, reform_projector::model::State, Basis)> {
    let client = ctx.client().await?;
    let js = async_nats::jetstream::new(client);
    let head = log::head(&js).await?;
    let (state, _) = log::read_prefix(&js, End::Sequence(head)).await?;
    let basis = as_of
        .map_or(Basis::Live { today: Date::today_in_vietnam() }, |date| Basis::AsTrueAt { date });
    Ok((js, state, basis))
}

pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    let (js, state, basis) = whole_log(ctx, args.as_of).await?;
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
        let recorded_by = record.envelope.actor.to_string();
        events.push(Behind {
            criterion: criterion.clone(),
            hundredths: change.value.new.hundredths(),
            sequence: change.seq,
            business_date: change.on,
            recorded_at: record.envelope.recorded_at.to_rfc3339(),
            recorded_by,
            signed_with: record.envelope.signature.as_ref().map(|s| s.key.clone()),
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
        let vi = ctx.global.lang == Lang::Vi;
        for e in &explanation.events {
            let old =
                e.old_hundredths.map_or_else(|| "–".into(), |v| format_hundredths(u64::from(v)));
            let (criterion, points) =
                (e.criterion.to_string(), format_hundredths(u64::from(e.hundredths)));
            let key = e.signed_with.as_deref().map_or("—", |k| &k[..k.len().min(10)]);
            let (seq, on, at, by) = (e.sequence, e.business_date, &e.recorded_at, &e.recorded_by);
            let (earlier, reason) = (e.superseded, &e.reason);
            if vi {
                let (points, old) = (comma(&points), comma(&old));
                println!(
                    "{criterion:<8} {points:>7}  số thứ tự {seq:<7} ngày {}  ghi lúc {at} bởi \
                     {by:<22} ký bằng {key} (trước đó {old}; {earlier} lần trước) {reason}",
                    vi_date(on)
                );
            } else {
                println!(
                    "{criterion:<8} {points:>7}  sequence {seq:<7} on {on}  recorded {at} by \
                     {by:<22} signed {key} (was {old}; {earlier} earlier) {reason}"
                );
            }
        }
        let (n, sum) = (explanation.events.len(), format_hundredths(explanation.sum_hundredths));
        let total = explanation.view_total_hundredths.map(format_hundredths);
        let stage = explanation.stage;
        if vi {
            let (sum, total) = (comma(&sum), total.map_or_else(|| "chưa có".into(), |t| comma(&t)));
            let verdict = if explanation.checks { "khớp" } else { "KHÔNG KHỚP" };
            let stage = stage.label_vi().to_lowercase();
            println!(
                "tổng {n} tiêu chí: {sum} = tổng điểm {stage} trên trang xem {total}: {verdict}"
            );
        } else {
            let total = total.unwrap_or_else(|| "none".into());
            let verdict = if explanation.checks { "checks" } else { "DOES NOT CHECK" };
            let stage = stage.as_str();
            println!("sum of {n} criteria: {sum} = the view's {stage} total {total}: {verdict}");
        }
    }
    checked(
        ctx,
        explanation.checks,
        ("các điểm trên không cộng thành tổng", "the events behind the total do not sum to it"),
    )
}

/// A unit and a year, for `explain tasks` and `explain rank`.
#[derive(Debug, clap::Args)]
pub struct UnitYearArgs {
    #[arg(long)]
    pub unit: UnitId,
    #[arg(long)]
    pub year: u16,
    /// As true at this date; as known now (overdue judged on today) when absent.
    #[arg(long)]
    pub as_of: Option<Date>,
}

/// One task behind the counts.
#[derive(Debug, Clone, Serialize)]
pub struct TaskLine {
    pub task: reform_shared::ids::TaskId,
    pub unit: UnitId,
    pub status: views::TaskStatus,
    pub assigned_on: Date,
    pub assigned_sequence: u64,
    pub due_in_force: Date,
    pub deadline_changes: Vec<u64>,
    pub reassignments: Vec<u64>,
    pub completed: Option<(Date, u64)>,
    pub cancelled: Option<(Date, u64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TasksExplanation {
    pub unit: UnitId,
    pub year: u16,
    pub basis: Basis,
    pub tasks: Vec<TaskLine>,
    pub recounted: views::TaskCounts,
    pub view: views::TaskCounts,
    pub checks: bool,
}

pub async fn tasks(args: UnitYearArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let (_, state, basis) = whole_log(ctx, args.as_of).await?;
    let view = views::unit_progress(&state, &args.unit, args.year, basis)
        .map_err(|e| Classified { kind: ExitKind::NotFound, message: e.to_string() })?
        .tasks;
    let mut units = vec![args.unit.clone()];
    units.extend(views::descendants(&state, &args.unit, basis.structure_day(args.year)));
    let mut lines = Vec::new();
    let mut recounted = views::TaskCounts::default();
    for unit in &units {
        for (task, rec, status) in views::unit_tasks(&state, unit, args.year, basis) {
            recounted.assigned += 1;
            match status {
                views::TaskStatus::Open => recounted.open += 1,
                views::TaskStatus::DoneOnTime => recounted.done_on_time += 1,
                views::TaskStatus::DoneLate => recounted.done_late += 1,
                views::TaskStatus::Overdue => recounted.overdue += 1,
                views::TaskStatus::Cancelled => recounted.cancelled += 1,
            }
            let seen = |on: Date| basis.sees(on);
            lines.push(TaskLine {
                task: task.clone(),
                unit: unit.clone(),
                status,
                assigned_on: rec.assigned_on,
                assigned_sequence: rec.assigned_seq,
                due_in_force: rec.due_under(basis),
                deadline_changes: rec
                    .deadline_changes
                    .iter()
                    .filter(|d| seen(d.on))
                    .map(|d| d.seq)
                    .collect(),
                reassignments: rec
                    .units
                    .iter()
                    .skip(1)
                    .filter(|d| seen(d.on))
                    .map(|d| d.seq)
                    .collect(),
                completed: rec.completed.as_ref().filter(|d| seen(d.on)).map(|d| (d.on, d.seq)),
                cancelled: rec.cancelled.as_ref().filter(|d| seen(d.on)).map(|d| (d.on, d.seq)),
            });
        }
    }
    recounted.completion_rate_hundredths = views::completion_rate(&recounted);
    let explanation = TasksExplanation {
        checks: recounted == view,
        unit: args.unit,
        year: args.year,
        basis,
        tasks: lines,
        recounted,
        view,
    };
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&explanation)?);
    } else {
        let vi = ctx.global.lang == Lang::Vi;
        for t in &explanation.tasks {
            println!("{}", task_line(t, vi));
        }
        let c = &explanation.recounted;
        let rate = format_hundredths(c.completion_rate_hundredths);
        let (assigned, on_time, late, overdue) =
            (c.assigned, c.done_on_time, c.done_late, c.overdue);
        let (open, cancelled) = (c.open, c.cancelled);
        if vi {
            let rate = comma(&rate);
            let verdict = if explanation.checks { "bằng trang xem" } else { "KHÁC TRANG XEM" };
            println!(
                "đếm lại: {assigned} được giao, {on_time} đúng hạn, {late} trễ hạn, {overdue} quá \
                 hạn, {open} đang thực hiện, {cancelled} đã hủy, tỷ lệ {rate}: {verdict}"
            );
        } else {
            let verdict =
                if explanation.checks { "equals the view" } else { "DIFFERS FROM THE VIEW" };
            println!(
                "recounted: {assigned} assigned, {on_time} on time, {late} late, {overdue} \
                 overdue, {open} open, {cancelled} cancelled, rate {rate}: {verdict}"
            );
        }
    }
    checked(
        ctx,
        explanation.checks,
        (
            "các nhiệm vụ trên không cho ra các con số",
            "the tasks behind the counts do not give them",
        ),
    )
}

/// One peer's place, and what its total rests on.
#[derive(Debug, Clone, Serialize)]
pub struct PeerLine {
    pub unit: UnitId,
    pub name: String,
    pub final_total_hundredths: Option<u64>,
    pub rank: Option<u32>,
    /// The criteria whose final value is in force, and the latest event among them.
    pub criteria: usize,
    pub latest_sequence: Option<u64>,
    pub latest_on: Option<Date>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RankExplanation {
    pub unit: UnitId,
    pub parent: UnitId,
    pub kind: reform_shared::event::UnitKind,
    pub year: u16,
    pub basis: Basis,
    pub group_size: u32,
    pub peers: Vec<PeerLine>,
    /// 1 + the peers whose total is higher, counted from the totals above.
    pub recounted_rank: Option<u32>,
    pub view_rank: Option<u32>,
    pub checks: bool,
}

pub async fn rank(args: UnitYearArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let (_, state, basis) = whole_log(ctx, args.as_of).await?;
    let unit = state
        .units
        .get(&args.unit)
        .with_context(|| format!("the log knows no unit {}", args.unit))?;
    let parent = unit
        .parent
        .clone()
        .with_context(|| format!("{} has no parent, so no peer group to rank in", args.unit))?;
    let ranking = views::ranking(&state, &parent, unit.kind, args.year, basis)?;
    let peers: Vec<PeerLine> = ranking
        .entries
        .iter()
        .map(|entry| {
            let in_force: Vec<_> = state
                .scores
                .iter()
                .filter(|((u, y, _, stage), _)| {
                    *u == entry.unit && *y == args.year && *stage == Stage::Final
                })
                .filter_map(|(_, rec)| views::change_in_force(rec, basis))
                .collect();
            let latest = in_force.iter().max_by_key(|c| c.seq);
            PeerLine {
                unit: entry.unit.clone(),
                name: entry.name.clone(),
                final_total_hundredths: entry.final_total_hundredths,
                rank: entry.rank,
                criteria: in_force.len(),
                latest_sequence: latest.map(|c| c.seq),
                latest_on: latest.map(|c| c.on),
            }
        })
        .collect();
    let mine = peers.iter().find(|p| p.unit == args.unit);
    let recounted_rank = mine.and_then(|m| m.final_total_hundredths).map(|total| {
        let higher = peers.iter().filter(|p| p.final_total_hundredths > Some(total)).count();
        u32::try_from(higher + 1).unwrap_or(u32::MAX)
    });
    let view_rank = mine.and_then(|m| m.rank);
    let explanation = RankExplanation {
        unit: args.unit,
        parent,
        kind: ranking.kind,
        year: args.year,
        basis,
        group_size: ranking.group_size,
        // A unit with no final total has no rank: the recount agrees with a view that gives none.
        checks: recounted_rank == view_rank,
        peers,
        recounted_rank,
        view_rank,
    };
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&explanation)?);
    } else {
        let vi = ctx.global.lang == Lang::Vi;
        for p in &explanation.peers {
            let total = p.final_total_hundredths.map_or_else(|| "–".into(), format_hundredths);
            let rank = p.rank.map_or_else(|| "–".into(), |r| r.to_string());
            let latest = match (p.latest_sequence, p.latest_on, vi) {
                (Some(seq), Some(on), true) => {
                    format!("mới nhất: số thứ tự {seq} ngày {}", vi_date(on))
                }
                (Some(seq), Some(on), false) => format!("latest sequence {seq} on {on}"),
                (_, _, true) => "chưa có điểm cuối cùng".into(),
                _ => "no final score".into(),
            };
            let me = if p.unit == explanation.unit { "  ←" } else { "" };
            let total = if vi { comma(&total) } else { total };
            let (n, unit, criteria) = (explanation.group_size, p.unit.to_string(), p.criteria);
            let in_force =
                if vi { "tiêu chí đang có hiệu lực" } else { "criteria in force" };
            println!("{rank:>3}/{n}  {unit:<22} {total:>7}  {criteria} {in_force}, {latest}{me}");
        }
        let e = &explanation;
        let higher = e.recounted_rank.map_or(0, |r| r.saturating_sub(1));
        let (unit, n, year, parent) = (&e.unit, e.group_size, e.year, &e.parent);
        let unranked = e.recounted_rank.is_none() && e.view_rank.is_none();
        if unranked && vi {
            println!(
                "{unit} chưa có điểm cuối cùng năm {year} nên không được xếp hạng trong {n} đơn vị \
                 loại {} thuộc {parent}; trang xem cũng không xếp hạng: khớp",
                e.kind.label_vi()
            );
        } else if unranked {
            println!(
                "{unit} has no final total for {year}, so no rank among the {n} units of {} under \
                 {parent}; the view gives none either: checks",
                e.kind.as_str()
            );
        } else if vi {
            let show = |r: Option<u32>| r.map_or_else(|| "chưa xếp hạng".into(), |r| r.to_string());
            let (view, recounted) = (show(e.view_rank), show(e.recounted_rank));
            let kind = e.kind.label_vi();
            let verdict = if e.checks { "khớp" } else { "KHÔNG KHỚP" };
            println!(
                "{unit} xếp hạng {view}/{n} ({n} đơn vị loại {kind} năm {year} thuộc {parent}): \
                 {higher} đơn vị có tổng điểm cuối cùng cao hơn, nên hạng {recounted} = hạng \
                 trên trang xem {view}: {verdict}"
            );
        } else {
            let show = |r: Option<u32>| r.map_or_else(|| "unranked".into(), |r| r.to_string());
            let (view, recounted) = (show(e.view_rank), show(e.recounted_rank));
            let kind = e.kind.as_str();
            let verdict = if e.checks { "checks" } else { "DOES NOT CHECK" };
            println!(
                "{unit} ranks {view} of {n} ({n} units of {kind} under {parent}, {year}): \
                 {higher} peers have a higher final total, so rank {recounted} = the view's \
                 {view}: {verdict}"
            );
        }
    }
    checked(
        ctx,
        explanation.checks,
        (
            "hạng đếm lại từ tổng điểm các đơn vị khác hạng trên trang xem",
            "the rank recounted from the peers' totals is not the view's",
        ),
    )
}

/// An explanation's end: done when its recount checks, else the failure an auditor acts on,
/// in the reader's language.
fn checked(ctx: &Ctx, checks: bool, otherwise: (&str, &str)) -> anyhow::Result<()> {
    if checks {
        return Ok(());
    }
    let message = match ctx.global.lang {
        Lang::Vi => otherwise.0,
        Lang::En => otherwise.1,
    };
    Err(Classified { kind: ExitKind::CheckFailed, message: message.to_owned() }.into())
}

/// `text` when `events` has any, else nothing.
fn when_any(events: &[u64], text: impl FnOnce() -> String) -> String {
    if events.is_empty() {
        String::new()
    } else {
        text()
    }
}

/// A figure with the decimal comma Vietnamese write ("78,57").
fn comma(figure: &str) -> String {
    figure.replace('.', ",")
}

/// A day as Vietnamese write it.
fn vi_date(day: Date) -> String {
    day.vietnamese()
}

/// One task behind the counts, with the events that placed it.
fn task_line(t: &TaskLine, vi: bool) -> String {
    let seqs = |s: &[u64]| s.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    let (task, unit) = (t.task.to_string(), t.unit.to_string());
    let (on, seq) = (t.assigned_on, t.assigned_sequence);
    if vi {
        let moved_due = when_any(&t.deadline_changes, || {
            format!(", đổi hạn ở số thứ tự {}", seqs(&t.deadline_changes))
        });
        let moved = when_any(&t.reassignments, || {
            format!(", chuyển đơn vị ở số thứ tự {}", seqs(&t.reassignments))
        });
        let end = match (t.completed, t.cancelled) {
            (Some((d, s)), _) => format!(" hoàn thành ngày {} (số thứ tự {s})", vi_date(d)),
            (_, Some((d, s))) => format!(" hủy ngày {} (số thứ tự {s})", vi_date(d)),
            _ => String::new(),
        };
        let status = t.status.label_vi();
        let due = vi_date(t.due_in_force);
        return format!(
            "{task:<28} {unit:<16} {status:<18} giao ngày {} (số thứ tự {seq}), hạn \
             {due}{moved_due}{moved}{end}",
            vi_date(on)
        );
    }
    let moved_due =
        when_any(&t.deadline_changes, || format!(", deadline moved at {:?}", t.deadline_changes));
    let moved = when_any(&t.reassignments, || format!(", moved at {:?}", t.reassignments));
    let end = match (t.completed, t.cancelled) {
        (Some((d, s)), _) => format!(" completed {d} (sequence {s})"),
        (_, Some((d, s))) => format!(" cancelled {d} (sequence {s})"),
        _ => String::new(),
    };
    let (status, due) = (t.status.as_str(), t.due_in_force);
    format!(
        "{task:<28} {unit:<16} {status:<13} assigned {on} (sequence {seq}), due \
         {due}{moved_due}{moved}{end}"
    )
}
