//! `reformctl view`: queries of the projector's views.
//!
//! ```text
//! reformctl view unit --unit sgd --year 2016 [--as-of 2016-12-31] [--json]
//! reformctl view ranking --parent st --kind district --year 2016 [--as-of …]
//! reformctl view timeline --person nguyen-a [--as-of …]
//! reformctl view national --kind province --year 2016 [--as-of …]
//! ```
//!
//! Without `--as-of` a view is live ("as known now", overdue judged on today in Vietnam); with
//! it, the view is as true at that date (only events dated on or before it).

use crate::ctx::Ctx;
use crate::table::{Align, Table};
use reform_projector::queries::{self, NationalQuery, RankingQuery, TimelineQuery, UnitQuery};
use reform_projector::views::{
    Basis, Fact, NationalRanking, RankEntry, Ranking, StageScores, Timeline, UnitProgress,
};
use reform_shared::event::UnitKind;
use reform_shared::ids::{PersonId, UnitId};
use reform_shared::points::format_hundredths;
use reform_shared::time::Date;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Read this views file (redb) offline instead of asking the projector: a file `audit
    /// replay --views FILE` wrote, to see exactly what was known then. Opened only if it
    /// exists; no broker is needed.
    #[arg(long)]
    pub views: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// A unit's progress for a year: tasks by state, completion rate, evidence, scores.
    Unit {
        #[arg(long)]
        unit: UnitId,
        #[arg(long)]
        year: u16,
        /// As true at this date (YYYY-MM-DD); live when absent.
        #[arg(long)]
        as_of: Option<Date>,
    },
    /// A peer group (units of one kind under one parent) ranked by final total for a year.
    Ranking {
        #[arg(long)]
        parent: UnitId,
        /// province, department, district, division, public-service-unit or commune.
        #[arg(long)]
        kind: UnitKind,
        #[arg(long)]
        year: u16,
        #[arg(long)]
        as_of: Option<Date>,
    },
    /// Every unit of one kind in the country ranked by final total for a year (the provinces
    /// for the national PAR index).
    National {
        #[arg(long)]
        kind: UnitKind,
        #[arg(long)]
        year: u16,
        #[arg(long)]
        as_of: Option<Date>,
    },
    /// A leader's tenures and what happened to their unit while they held each.
    Timeline {
        #[arg(long)]
        person: PersonId,
        #[arg(long)]
        as_of: Option<Date>,
    },
}

pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    let Some(path) = args.views else { return run_live(args.cmd, ctx).await };
    if !path.is_file() {
        return Err(crate::outcome::Classified {
            kind: crate::outcome::ExitKind::Invalid,
            message: format!(
                "{} is no views file (`audit replay --views FILE` writes one)",
                path.display()
            ),
        }
        .into());
    }
    let store = reform_projector::store::Store::open(&path)?;
    match args.cmd {
        Cmd::Unit { unit, year, as_of } => {
            let view = offline(queries::answer_unit(&store, &UnitQuery { unit, year, as_of }))?;
            print(ctx, &view, render_unit)
        }
        Cmd::Ranking { parent, kind, year, as_of } => {
            let query = RankingQuery { parent, kind, year, as_of };
            print(ctx, &offline(queries::answer_ranking(&store, &query))?, render_ranking)
        }
        Cmd::Timeline { person, as_of } => {
            let query = TimelineQuery { person, as_of };
            print(ctx, &offline(queries::answer_timeline(&store, &query))?, render_timeline)
        }
        Cmd::National { kind, year, as_of } => {
            let query = NationalQuery { kind, year, as_of };
            print(ctx, &offline(queries::answer_national(&store, &query))?, render_national)
        }
    }
}

/// An answer read from a file, as the projector would have sent it.
fn offline<T>(answer: queries::Answer<T>) -> Result<T, queries::ViewError> {
    match answer {
        queries::Answer::Ok(queries::Found { view }) => Ok(view),
        queries::Answer::Failed { kind, message, .. } => {
            Err(queries::ViewError::Failed { kind, message })
        }
    }
}

/// A view from the running projector.
pub async fn run_live(cmd: Cmd, ctx: &Ctx) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    match cmd {
        Cmd::Unit { unit, year, as_of } => {
            let view = queries::unit(&client, &UnitQuery { unit, year, as_of }).await?;
            print(ctx, &view, render_unit)
        }
        Cmd::Ranking { parent, kind, year, as_of } => {
            let query = RankingQuery { parent, kind, year, as_of };
            let view = queries::ranking(&client, &query).await?;
            print(ctx, &view, render_ranking)
        }
        Cmd::Timeline { person, as_of } => {
            let view = queries::timeline(&client, &TimelineQuery { person, as_of }).await?;
            print(ctx, &view, render_timeline)
        }
        Cmd::National { kind, year, as_of } => {
            let view = queries::national(&client, &NationalQuery { kind, year, as_of }).await?;
            print(ctx, &view, render_national)
        }
    }
}

fn print<T: serde::Serialize>(ctx: &Ctx, view: &T, render: fn(&T) -> String) -> anyhow::Result<()> {
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(view)?);
    } else {
        print!("{}", render(view));
    }
    Ok(())
}

pub(crate) fn basis_vi(basis: &Basis) -> String {
    match basis {
        Basis::Live { today } => format!("số liệu hiện có (hôm nay {today})"),
        Basis::AsTrueAt { date } => format!("tính đến ngày {date}"),
    }
}

fn points(value: Option<u64>) -> String {
    value.map_or_else(|| "—".to_owned(), format_hundredths)
}

/// A unit's progress as people read it.
pub fn render_unit(v: &UnitProgress) -> String {
    let mut out = format!("{} ({}) — năm {}, {}\n\n", v.name, v.unit, v.year, basis_vi(&v.basis));
    let t = &v.tasks;
    // The totals cover the sub-units; say so, so a head does not read them as the unit's own.
    let heading = if v.sub_units.is_empty() {
        "Nhiệm vụ"
    } else {
        "Nhiệm vụ (cả đơn vị trực thuộc)"
    };
    let mut tasks = Table::new(&[(heading, Align::Left), ("Số lượng", Align::Right)]);
    for (label, n) in [
        ("Được giao", t.assigned),
        ("Đang thực hiện, trong hạn", t.open),
        ("Hoàn thành đúng hạn", t.done_on_time),
        ("Hoàn thành trễ hạn", t.done_late),
        ("Quá hạn", t.overdue),
        ("Đã hủy", t.cancelled),
    ] {
        tasks.row(vec![label.into(), n.to_string()]);
    }
    let rate = format!("{} %", format_hundredths(t.completion_rate_hundredths));
    tasks.row(vec!["Tỷ lệ hoàn thành".into(), rate]);
    out.push_str(&tasks.render());
    let e = &v.evidence;
    let mut parts: Vec<String> = e.by_criterion.iter().map(|(c, n)| format!("{c}: {n}")).collect();
    if e.without_criterion > 0 {
        parts.push(format!("không gắn tiêu chí: {}", e.without_criterion));
    }
    out.push_str(&format!("\nTài liệu kiểm chứng: {} ({})\n\n", e.total, parts.join("; ")));
    out.push_str(&render_sub_units(v));
    out.push_str(&render_scores(v));
    out
}

/// Where the totals come from: the unit's own figures, then each sub-unit's. Nothing when the
/// unit has no sub-unit with tasks or evidence (the totals are then its own).
fn render_sub_units(v: &UnitProgress) -> String {
    if v.sub_units.is_empty() {
        return String::new();
    }
    let mut table = Table::new(&[
        ("Đơn vị", Align::Left),
        ("Giao", Align::Right),
        ("Trong hạn", Align::Right),
        ("Đúng hạn", Align::Right),
        ("Trễ hạn", Align::Right),
        ("Quá hạn", Align::Right),
        ("Hủy", Align::Right),
        ("Tỷ lệ (%)", Align::Right),
        ("Minh chứng", Align::Right),
    ]);
    let row = |name: String, t: &reform_projector::views::TaskCounts, evidence: u64| {
        vec![
            name,
            t.assigned.to_string(),
            t.open.to_string(),
            t.done_on_time.to_string(),
            t.done_late.to_string(),
            t.overdue.to_string(),
            t.cancelled.to_string(),
            format_hundredths(t.completion_rate_hundredths),
            evidence.to_string(),
        ]
    };
    table.row(row(format!("{} (tại đơn vị)", v.unit), &v.own_tasks, v.own_evidence.total));
    for sub in &v.sub_units {
        table.row(row(format!("{} — {}", sub.unit, sub.name), &sub.tasks, sub.evidence.total));
    }
    format!("Gồm các đơn vị trực thuộc (số liệu riêng của từng đơn vị):\n{}\n", table.render())
}

fn render_scores(v: &UnitProgress) -> String {
    let stages = &v.scores.stages;
    let mut columns = vec![("Tiêu chí / lĩnh vực", Align::Left), ("Tối đa", Align::Right)];
    columns.extend(stages.iter().map(|s| (s.stage.label_vi(), Align::Right)));
    let mut table = Table::new(&columns);
    let value = |s: &StageScores, code: &reform_shared::ids::CriterionCode| {
        s.criteria.iter().find(|c| &c.code == code).and_then(|c| c.value_hundredths.map(u64::from))
    };
    if let Some(first) = stages.first() {
        for component in &first.components {
            let mut row = vec![component.component.label_vi().to_owned()];
            row.push(points(Some(component.max_hundredths)));
            for s in stages {
                let sub = s.components.iter().find(|c| c.component == component.component);
                row.push(points(sub.and_then(|c| c.value_hundredths)));
            }
            table.row(row);
            let of_component = |c: &&reform_projector::views::CriterionScore| {
                c.component == Some(component.component)
            };
            for criterion in first.criteria.iter().filter(of_component) {
                let mut row = vec![format!("  {}", criterion.code)];
                row.push(points(criterion.max_hundredths.map(u64::from)));
                row.extend(stages.iter().map(|s| points(value(s, &criterion.code))));
                table.row(row);
            }
        }
        for criterion in first.criteria.iter().filter(|c| c.component.is_none()) {
            let mut row = vec![format!("  {} (ngoài bộ tiêu chí)", criterion.code), "—".into()];
            row.extend(stages.iter().map(|s| points(value(s, &criterion.code))));
            table.row(row);
        }
    }
    let mut total = vec!["Tổng điểm".to_owned(), points(Some(v.scores.max_total_hundredths))];
    total.extend(stages.iter().map(|s| points(s.total_hundredths)));
    table.row(total);
    let mut index = vec!["Chỉ số (%)".to_owned(), String::new()];
    index.extend(stages.iter().map(|s| points(s.index_hundredths)));
    table.row(index);
    let source = v.scores.framework.as_deref().unwrap_or("chưa ban hành bộ tiêu chí");
    format!("Điểm Chỉ số CCHC ({source}; — là chưa có điểm)\n{}", table.render())
}

/// A ranking as people read it.
pub fn render_ranking(v: &Ranking) -> String {
    let (kind, year, basis) = (v.kind.label_vi(), v.year, basis_vi(&v.basis));
    let title = format!("Xếp hạng {kind} thuộc {} — năm {year}, {basis}", v.parent_name);
    format!("{title}\n\n{}", rank_table(&v.entries, v.group_size, false))
}

/// The national ranking as people read it.
pub fn render_national(v: &NationalRanking) -> String {
    let (kind, year, basis) = (v.kind.label_vi(), v.year, basis_vi(&v.basis));
    let title = format!(
        "Xếp hạng {kind} toàn quốc ({} tỉnh, thành phố) — năm {year}, {basis}",
        v.provinces
    );
    let with_province = v.kind != reform_shared::event::UnitKind::Province;
    format!("{title}\n\n{}", rank_table(&v.entries, v.group_size, with_province))
}

/// `with_province`: the units come from many provinces, whose unit names repeat.
fn rank_table(entries: &[RankEntry], group_size: u32, with_province: bool) -> String {
    let mut columns = vec![("Hạng", Align::Right), ("Đơn vị", Align::Left)];
    if with_province {
        columns.push(("Tỉnh, thành phố", Align::Left));
    }
    columns.extend([
        ("Tổng điểm", Align::Right),
        ("Chỉ số (%)", Align::Right),
        ("Năm trước", Align::Right),
        ("Thay đổi", Align::Right),
    ]);
    let mut table = Table::new(&columns);
    let rank = |r: Option<u32>| r.map_or_else(|| "—".to_owned(), |r| format!("{r}/{group_size}"));
    for e in entries {
        let change = match e.rank_change {
            Some(c) if c > 0 => format!("+{c}"),
            Some(c) => c.to_string(),
            None => "—".into(),
        };
        let mut row = vec![rank(e.rank), e.name.clone()];
        if with_province {
            row.push(e.province.clone().unwrap_or_default());
        }
        row.extend([
            points(e.final_total_hundredths),
            points(e.index_hundredths),
            rank(e.previous_rank),
            change,
        ]);
        table.row(row);
    }
    table.render()
}

fn fact_vi(fact: &Fact) -> (String, String) {
    let (label, detail) = fact.describe(|vi, _| vi);
    (label.to_owned(), detail)
}

/// A leader's timeline as people read it.
pub fn render_timeline(v: &Timeline) -> String {
    let mut out = format!("{} — {} ({}), {}\n", v.name, v.title, v.person, basis_vi(&v.basis));
    if v.tenures.is_empty() {
        out.push_str("\nKhông có nhiệm kỳ nào.\n");
    }
    for tenure in &v.tenures {
        let to = tenure.to.map_or_else(|| "nay".to_owned(), |d| d.to_string());
        out.push_str(&format!(
            "\nNhiệm kỳ {} {} ({}): {} → {}\n",
            tenure.role.label_vi(),
            tenure.unit_name,
            tenure.unit,
            tenure.from,
            to
        ));
        let mut table = Table::new(&[
            ("Ngày", Align::Left),
            ("Sự việc", Align::Left),
            ("Đơn vị", Align::Left),
            ("Chi tiết", Align::Left),
        ]);
        for e in &tenure.entries {
            let (what, detail) = fact_vi(&e.fact);
            let unit = e.sub_unit_name.clone().unwrap_or_default();
            table.row(vec![e.on.to_string(), what, unit, detail]);
        }
        out.push_str(&table.render());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reform_projector::model::{apply, State};
    use reform_projector::views;
    use reform_shared::envelope::{Actor, ChainLink, Envelope, EventId, Record};
    use reform_shared::event::{Event, Role};
    use reform_shared::testkit::{date, id};
    use reform_shared::time::Timestamp;
    use unicode_width::UnicodeWidthStr;

    fn project(events: Vec<(&str, Event)>) -> State {
        let mut state = State::default();
        for (i, (day, event)) in events.into_iter().enumerate() {
            let at = Timestamp::at_vietnam_noon(date(day));
            let envelope = Envelope {
                event_id: EventId::for_command(&id("c")),
                occurred_at: at,
                recorded_at: at,
                actor: Actor::Person(id("tester")),
                command_id: id("c"),
                chain: ChainLink::first("test".into()),
                signature: None,
                event,
            };
            let record = Record { envelope, schema_version: 2, digest: [0; 32] };
            apply(&mut state, &record, i as u64 + 1);
        }
        state
    }

    fn sample() -> State {
        let task = |t: &str, due: &str| Event::TaskAssigned {
            task: id(t),
            unit: id("sgd"),
            person: None,
            plan: None,
            title: format!("Rà soát thủ tục hành chính {t}"),
            target: String::new(),
            due: date(due),
            criterion: None,
            assigned_by: id("a"),
        };
        project(vec![
            (
                "2016-01-01",
                Event::UnitAdded {
                    unit: id("sgd"),
                    name: "Sở Giáo dục và Đào tạo".into(),
                    kind: UnitKind::Department,
                    parent: None,
                },
            ),
            (
                "2016-01-01",
                Event::PersonRegistered {
                    person: id("a"),
                    name: "Nguyễn Văn An".into(),
                    title: "Giám đốc Sở".into(),
                },
            ),
            (
                "2016-01-01",
                Event::LeaderAppointed {
                    tenure: id("ten-a"),
                    unit: id("sgd"),
                    person: id("a"),
                    role: Role::Head,
                    from: date("2016-01-01"),
                },
            ),
            ("2016-01-10", task("t1", "2016-03-31")),
            ("2016-03-01", task("t3", "2016-06-15")),
            (
                "2016-03-31",
                Event::TaskCompleted { task: id("t1"), unit: id("sgd"), note: String::new() },
            ),
        ])
    }

    /// Every non-empty line of each table block ends at the same display column or earlier,
    /// and Vietnamese cells start at the same column as their header.
    #[test]
    fn views_render_in_vietnamese_with_columns_lined_up() {
        let state = sample();
        let basis = Basis::AsTrueAt { date: date("2016-12-31") };
        let unit = views::unit_progress(&state, &id("sgd"), 2016, basis).expect("unit");
        let text = render_unit(&unit);
        assert!(text.contains("Hoàn thành đúng hạn"), "{text}");
        assert!(text.contains("Tỷ lệ hoàn thành"), "{text}");
        let timeline = views::timeline(&state, &id("a"), basis).expect("timeline");
        let text = render_timeline(&timeline);
        let header = text.lines().find(|l| l.starts_with("Ngày")).expect("header");
        let detail_col = header.find("Chi tiết").map(|i| header[..i].width()).expect("column");
        for line in text.lines().filter(|l| l.starts_with("2016-")) {
            let cells: Vec<&str> = line.split("  ").filter(|c| !c.is_empty()).collect();
            let last = cells.last().expect("cells");
            let at = line.rfind(last).map(|i| line[..i].width()).expect("found");
            assert_eq!(at, detail_col, "{text}");
        }
        assert!(text.contains("Quá hạn"), "{text}");
    }
}
