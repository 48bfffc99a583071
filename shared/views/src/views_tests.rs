//! Unit tests of the pure views: docs/views.md's worked example with its exact numbers, and the
//! choices docs/views.md leaves to the code.

use crate::model::{apply, State};
use crate::views::*;
use reform_shared::envelope::Record;
use reform_shared::event::{Criterion, Event, Role, Stage, UnitKind};
use reform_shared::ids::UnitId;
use reform_shared::points::Points;
use reform_shared::testkit::{date, id};

use events::*;
use reform_shared::testkit::events;

/// A record dated at noon (Vietnam) on `day`.
pub(crate) fn record(day: &str, event: Event) -> Record {
    reform_shared::testkit::record(date(day), event)
}

pub(crate) fn project(events: &[(&str, Event)]) -> State {
    let mut state = State::default();
    for (i, (day, event)) in events.iter().enumerate() {
        apply(&mut state, &record(day, event.clone()), i as u64 + 1);
    }
    open_tasks_are_indexed(&state);
    state
}

/// The index of open tasks is what the tasks say: each task neither completed nor cancelled,
/// at the unit it is at now.
fn open_tasks_are_indexed(state: &State) {
    let open = state.tasks.iter().filter(|(_, t)| t.completed.is_none() && t.cancelled.is_none());
    let expected: std::collections::BTreeSet<(UnitId, reform_shared::ids::TaskId)> =
        open.filter_map(|(id, t)| Some((t.units.last()?.value.clone(), id.clone()))).collect();
    assert_eq!(state.open_tasks, expected, "the open tasks' index");
}

fn unit(u: &str, kind: UnitKind, parent: Option<&str>) -> Event {
    Event::UnitAdded { unit: id(u), name: format!("Đơn vị {u}"), kind, parent: parent.map(id) }
}

fn person(p: &str) -> Event {
    Event::PersonRegistered {
        person: id(p), name: format!("Ông {p}"), title: "Giám đốc".into()
    }
}

fn appoint(t: &str, u: &str, p: &str, from: &str) -> Event {
    Event::LeaderAppointed {
        tenure: id(t),
        unit: id(u),
        person: id(p),
        role: Role::Head,
        from: date(from),
    }
}

fn assign(t: &str, u: &str, due: &str) -> Event {
    Event::TaskAssigned {
        task: id(t),
        unit: id(u),
        person: None,
        plan: None,
        title: format!("Nhiệm vụ {t}"),
        target: "Kết quả".into(),
        due: date(due),
        criterion: None,
        assigned_by: id("a"),
    }
}

fn worked_example() -> State {
    project(&events::worked_example())
}

fn as_of(day: &str) -> Basis {
    Basis::AsTrueAt { date: date(day) }
}

/// Each entry as `date kind task`, for comparing timelines at a glance.
fn summary(tenure: &TenureTimeline) -> Vec<String> {
    tenure
        .entries
        .iter()
        .map(|e| {
            let (kind, what) = match &e.fact {
                Fact::TaskAssigned { task, .. } => ("assigned", task.to_string()),
                Fact::TaskCompletedOnTime { task, .. } => ("on-time", task.to_string()),
                Fact::TaskCompletedLate { task, .. } => ("late", task.to_string()),
                Fact::TaskWentOverdue { task, .. } => ("overdue", task.to_string()),
                Fact::TaskCancelled { task, .. } => ("cancelled", task.to_string()),
                Fact::ScoreChanged { criterion, .. } => ("score", criterion.to_string()),
                Fact::FindingRecorded { finding, .. } => ("finding", finding.to_string()),
            };
            let sub = e.sub_unit.as_ref().map(|u| format!(" @{u}")).unwrap_or_default();
            format!("{} {kind} {what}{sub}", e.on)
        })
        .collect()
}

#[test]
fn worked_example_unit_progress_has_the_hand_computed_numbers() {
    let state = worked_example();
    let view = unit_progress(&state, &id("sgd"), 2016, as_of("2016-12-31")).expect("known unit");
    let expected = TaskCounts {
        assigned: 5,
        open: 0,
        done_on_time: 2,
        done_late: 1,
        overdue: 1,
        cancelled: 1,
        completion_rate_hundredths: 7500,
    };
    assert_eq!(view.tasks, expected);
}

#[test]
fn worked_example_timelines_attribute_each_fact_to_the_head_of_the_day() {
    let state = worked_example();
    let a = timeline(&state, &id("a"), as_of("2016-12-31")).expect("known person");
    assert_eq!(a.tenures.len(), 1);
    assert_eq!(a.tenures[0].to, Some(date("2016-07-01")));
    assert_eq!(
        summary(&a.tenures[0]),
        [
            "2016-01-10 assigned t1",
            "2016-02-01 assigned t2",
            "2016-03-01 assigned t3",
            "2016-03-31 on-time t1",
            "2016-06-16 overdue t3",
        ]
    );
    let b = timeline(&state, &id("b"), as_of("2016-12-31")).expect("known person");
    // docs/views.md lists B's facts as t2 late, t4 and t5 assigned, t5 cancelled, t4 on time. By
    // its own rule ("goes overdue on the day after its due date if it was not completed by
    // then ... attributed to whoever held the role on that day") t2, due 30 June and still open
    // on 1 July, also went overdue on B's first day; we keep that derived fact (README,
    // "Choices the views make").
    assert_eq!(
        summary(&b.tenures[0]),
        [
            "2016-07-01 overdue t2",
            "2016-07-05 late t2",
            "2016-08-01 assigned t4",
            "2016-08-15 assigned t5",
            "2016-09-01 cancelled t5",
            "2016-10-15 on-time t4",
        ]
    );
}

#[test]
fn as_true_at_an_earlier_date_sees_only_what_had_happened() {
    let state = worked_example();
    // On 2016-06-20: t1 done on time; t2 open (due 30 June); t3 overdue since 16 June.
    let view = unit_progress(&state, &id("sgd"), 2016, as_of("2016-06-20")).expect("known");
    assert_eq!((view.tasks.assigned, view.tasks.done_on_time), (3, 1));
    assert_eq!((view.tasks.open, view.tasks.overdue), (1, 1));
    assert_eq!(view.tasks.completion_rate_hundredths, 3333);
    // On 2016-10-05, t4's deadline had moved to 31 October: open, not overdue.
    let view = unit_progress(&state, &id("sgd"), 2016, as_of("2016-10-05")).expect("known");
    assert_eq!((view.tasks.open, view.tasks.overdue, view.tasks.done_late), (1, 1, 1));
    // B was not yet in office on 2016-06-20.
    let b = timeline(&state, &id("b"), as_of("2016-06-20")).expect("known person");
    assert!(b.tenures.is_empty());
}

#[test]
fn a_back_dated_completion_and_a_late_recorded_tenure_land_in_the_right_tenure() {
    // The tenure of A and t1's completion are recorded last, dated in the past.
    let state = project(&[
        ("2016-01-01", unit("sgd", UnitKind::Department, None)),
        ("2016-01-01", person("a")),
        ("2016-01-10", assign("t1", "sgd", "2016-03-31")),
        ("2016-03-31", complete("t1", "sgd")),
        ("2015-12-01", appoint("ten-a", "sgd", "a", "2016-01-01")),
    ]);
    let a = timeline(&state, &id("a"), as_of("2016-12-31")).expect("known person");
    assert_eq!(summary(&a.tenures[0]), ["2016-01-10 assigned t1", "2016-03-31 on-time t1"]);
}

#[test]
fn a_deadline_change_after_the_task_went_overdue_keeps_that_fact_and_may_add_another() {
    let state = project(&[
        ("2016-01-01", unit("sgd", UnitKind::Department, None)),
        ("2016-01-01", person("a")),
        ("2016-01-01", appoint("ten-a", "sgd", "a", "2016-01-01")),
        ("2016-01-10", assign("t1", "sgd", "2016-03-31")),
        ("2016-04-10", deadline("t1", "sgd", "2016-03-31", "2016-05-31")),
    ]);
    let a = timeline(&state, &id("a"), as_of("2016-12-31")).expect("known person");
    assert_eq!(
        summary(&a.tenures[0]),
        ["2016-01-10 assigned t1", "2016-04-01 overdue t1", "2016-06-01 overdue t1"]
    );
}

#[test]
fn sub_unit_facts_appear_on_the_head_timeline_marked_with_the_division() {
    let state = project(&[
        ("2016-01-01", unit("sgd", UnitKind::Department, None)),
        ("2016-01-01", unit("sgd-vp", UnitKind::Division, Some("sgd"))),
        ("2016-01-01", unit("school", UnitKind::PublicServiceUnit, Some("sgd"))),
        ("2016-01-01", person("a")),
        ("2016-01-01", appoint("ten-a", "sgd", "a", "2016-01-01")),
        ("2016-01-10", assign("t1", "sgd-vp", "2016-03-31")),
        ("2016-01-10", assign("t2", "school", "2016-03-31")),
    ]);
    let a = timeline(&state, &id("a"), as_of("2016-02-01")).expect("known person");
    // A school has a head of its own; only divisions are part of the department's timeline.
    assert_eq!(summary(&a.tenures[0]), ["2016-01-10 assigned t1 @sgd-vp"]);
}

#[test]
fn ranks_share_the_best_place_and_the_next_skips() {
    let totals = [("a", Some(90)), ("b", Some(80)), ("c", Some(80)), ("d", Some(70)), ("e", None)]
        .into_iter()
        .map(|(u, t)| (id::<UnitId>(u), t))
        .collect();
    let ranks = competition_ranks(&totals);
    let got: Vec<(String, u32)> = ranks.iter().map(|(u, r)| (u.to_string(), *r)).collect();
    assert_eq!(got, [("a".into(), 1), ("b".into(), 2), ("c".into(), 2), ("d".into(), 4)]);
}

#[test]
fn ranking_lists_unscored_units_last_and_reports_rank_change() {
    let mut events = vec![
        ("2015-01-01", unit("st", UnitKind::Province, None)),
        ("2015-01-01", unit("h1", UnitKind::District, Some("st"))),
        ("2015-01-01", unit("h2", UnitKind::District, Some("st"))),
        ("2015-01-01", unit("h3", UnitKind::District, Some("st"))),
        ("2015-01-01", unit("sgd", UnitKind::Department, Some("st"))),
    ];
    events.extend([
        ("2016-02-01", score("h1", 2015, "1.1", Stage::Final, None, 7000)),
        ("2016-02-01", score("h2", 2015, "1.1", Stage::Final, None, 8000)),
        ("2017-02-01", score("h1", 2016, "1.1", Stage::Final, None, 9000)),
        ("2017-02-01", score("h2", 2016, "1.1", Stage::Final, None, 8500)),
        ("2017-02-01", score("h3", 2016, "1.1", Stage::SelfAssessed, None, 9900)),
    ]);
    let state = project(&events);
    let view = ranking(&state, &id("st"), UnitKind::District, 2016, as_of("2017-12-31"))
        .expect("known parent");
    type Row = (String, Option<u32>, Option<u32>, Option<i64>);
    let rows: Vec<Row> = view
        .entries
        .iter()
        .map(|e| (e.unit.to_string(), e.rank, e.previous_rank, e.rank_change))
        .collect();
    assert_eq!(
        rows,
        [
            ("h1".into(), Some(1), Some(2), Some(1)),
            ("h2".into(), Some(2), Some(1), Some(-1)),
            ("h3".into(), None, None, None),
        ]
    );
    assert_eq!(view.group_size, 3);
}

/// A district merged into another on 1 July 2025 (docs/views.md "Restructuring"): ranked for
/// 2024 with its peers; not for 2025, which it did not see the end of; rank changes compare
/// the units ranked this year with each other (like for like); as true at a day before the
/// merger, the old group stands.
#[test]
fn a_unit_that_ended_in_a_year_is_ranked_for_the_years_before_it_only() {
    let ended = Event::UnitEnded {
        unit: id("h3"),
        how: reform_shared::event::Ending::Merged,
        successor: id("h1"),
        effective: date("2025-07-01"),
        basis: reform_shared::event::LegalBasis {
            document: "1664/NQ-UBTVQH15".into(),
            date: date("2025-06-16"),
        },
    };
    let mut events = vec![("2015-01-01", unit("st", UnitKind::Province, None))];
    for h in ["h1", "h2", "h3"] {
        events.push(("2015-01-01", unit(h, UnitKind::District, Some("st"))));
    }
    events.extend([
        ("2025-01-20", score("h1", 2024, "1.1", Stage::Final, None, 7000)),
        ("2025-01-20", score("h2", 2024, "1.1", Stage::Final, None, 8000)),
        ("2025-01-20", score("h3", 2024, "1.1", Stage::Final, None, 9000)),
        ("2025-07-02", ended),
        ("2026-01-20", score("h1", 2025, "1.1", Stage::Final, None, 9500)),
        ("2026-01-20", score("h2", 2025, "1.1", Stage::Final, None, 8500)),
    ]);
    let state = project(&events);
    let ranked = |year, basis| {
        let view = ranking(&state, &id("st"), UnitKind::District, year, basis).expect("known");
        let rows: Vec<(String, Option<u32>, Option<i64>)> =
            view.entries.iter().map(|e| (e.unit.to_string(), e.rank, e.rank_change)).collect();
        (view.group_size, rows)
    };
    let live = Basis::Live { today: date("2026-12-06") };
    let (size, rows) = ranked(2024, live);
    assert_eq!(size, 3);
    assert_eq!(rows[0], ("h3".into(), Some(1), None));
    let (size, rows) = ranked(2025, live);
    assert_eq!(size, 2, "h3 did not see the end of 2025: {rows:?}");
    assert_eq!(rows, [("h1".into(), Some(1), Some(1)), ("h2".into(), Some(2), Some(-1))]);
    let (size, _) = ranked(2025, as_of("2025-06-30"));
    assert_eq!(size, 3, "before the merger, the old group");
}

/// A unit founded on 1 July 2025 (a new province's department) is in its group from 2025 on,
/// never in a year that ended before it began.
#[test]
fn a_founded_unit_is_ranked_from_the_year_it_began() {
    let founded = Event::UnitFounded {
        unit: id("h4"),
        name: "Đơn vị h4".into(),
        kind: UnitKind::District,
        parent: Some(id("st")),
        effective: date("2025-07-01"),
        basis: reform_shared::event::LegalBasis {
            document: "202/2025/QH15".into(),
            date: date("2025-06-12"),
        },
    };
    let events = vec![
        ("2015-01-01", unit("st", UnitKind::Province, None)),
        ("2015-01-01", unit("h1", UnitKind::District, Some("st"))),
        ("2025-01-20", score("h1", 2024, "1.1", Stage::Final, None, 7000)),
        ("2025-07-02", founded),
        ("2026-01-20", score("h4", 2025, "1.1", Stage::Final, None, 9500)),
    ];
    let state = project(&events);
    let live = Basis::Live { today: date("2026-12-06") };
    let size = |year| ranking(&state, &id("st"), UnitKind::District, year, live).expect("known");
    assert_eq!(size(2024).group_size, 1, "h4 did not exist in 2024");
    let now = size(2025);
    assert_eq!(now.group_size, 2);
    assert_eq!(now.entries[0].unit, id("h4"));
    assert_eq!(now.entries[0].rank, Some(1));
}

fn basis_2025() -> reform_shared::event::LegalBasis {
    reform_shared::event::LegalBasis {
        document: "1664/NQ-UBTVQH15".into(),
        date: date("2025-06-16"),
    }
}

/// A commune moved from its district to the province on 1 July 2025, and a district renamed on
/// 1 January 2020 (docs/views.md "Restructuring"): every view of a year shows the tree as that
/// year ended, so the commune counts and ranks under its district through 2024 and under the
/// province from 2025, once each, and a ranking of 2016 names the district as it was.
#[test]
fn a_year_is_counted_and_ranked_in_the_tree_it_ended_with() {
    let moved = Event::UnitMoved {
        unit: id("x1"),
        parent: id("st"),
        effective: date("2025-07-01"),
        basis: basis_2025(),
    };
    let renamed = Event::UnitRenamed {
        unit: id("h1"),
        name: "Thị xã h1".into(),
        effective: date("2020-01-01"),
        basis: basis_2025(),
    };
    let events = vec![
        ("2015-01-01", unit("st", UnitKind::Province, None)),
        ("2015-01-01", unit("h1", UnitKind::District, Some("st"))),
        ("2015-01-01", unit("x1", UnitKind::Commune, Some("h1"))),
        ("2015-01-01", unit("x2", UnitKind::Commune, Some("h1"))),
        ("2016-02-01", assign("t16", "x1", "2016-06-30")),
        ("2016-02-01", assign("t16h", "h1", "2016-06-30")),
        ("2017-01-20", score("x1", 2016, "1.1", Stage::Final, None, 7000)),
        ("2017-01-20", score("x2", 2016, "1.1", Stage::Final, None, 8000)),
        ("2020-01-02", renamed),
        ("2025-07-02", moved),
        ("2026-02-01", assign("t26", "x1", "2026-06-30")),
    ];
    let state = project(&events);
    let live = Basis::Live { today: date("2026-12-06") };
    let progress = |unit: &str, year, basis| {
        let view = unit_progress(&state, &id(unit), year, basis).expect("known");
        let subs: Vec<(String, Option<String>)> = view
            .sub_units
            .iter()
            .map(|s| (s.unit.to_string(), s.parent.as_ref().map(|p| p.to_string())))
            .collect();
        (view.name, view.tasks.assigned, subs)
    };
    let x1_under = |p: &str| vec![("x1".to_owned(), Some(p.to_owned()))];
    for basis in [live, as_of("2016-12-31")] {
        assert_eq!(progress("h1", 2016, basis), ("Đơn vị h1".into(), 2, x1_under("h1")));
        assert_eq!(progress("st", 2016, basis).1, 2, "the district's two, once");
    }
    assert_eq!(progress("h1", 2026, live), ("Thị xã h1".into(), 0, vec![]));
    assert_eq!(progress("st", 2026, live), ("Đơn vị st".into(), 1, x1_under("st")));
    // The year of the move counts in the tree it ended with.
    assert_eq!(progress("h1", 2025, as_of("2025-06-30")).2, Vec::new(), "no task in 2025");
    let peers = |parent: &str, kind, year| {
        let view = ranking(&state, &id(parent), kind, year, live).expect("known");
        let rows: Vec<String> =
            view.entries.iter().map(|e| format!("{} {}", e.unit, e.name)).collect();
        (view.group_size, rows)
    };
    assert_eq!(
        peers("h1", UnitKind::Commune, 2016),
        (2, vec!["x2 Đơn vị x2".into(), "x1 Đơn vị x1".into()])
    );
    assert_eq!(peers("st", UnitKind::Commune, 2016).0, 0, "not the province's in 2016");
    assert_eq!(peers("st", UnitKind::Commune, 2026).1, ["x1 Đơn vị x1"]);
    assert_eq!(peers("h1", UnitKind::Commune, 2026).1, ["x2 Đơn vị x2"]);
    assert_eq!(peers("st", UnitKind::District, 2016).1, ["h1 Đơn vị h1"], "its name in 2016");
    assert_eq!(peers("st", UnitKind::District, 2020).1, ["h1 Thị xã h1"]);
    let national = national_in(&state, UnitKind::Commune, 2016, live);
    assert_eq!(national.entries.len(), 2, "each commune once: {:?}", national.entries);
}

/// A head who leads the successor of a merged department from 1 July 2025 bears a new title
/// from that day: each task she assigned shows the title she had when she assigned it, her
/// tenure at the old department the title she had as it ended, and her timeline today's.
#[test]
fn a_title_holds_from_its_day_and_what_came_before_keeps_the_old_one() {
    let retitled = Event::PersonRetitled {
        person: id("a"),
        title: "Giám đốc Sở Cần Thơ".into(),
        effective: date("2025-07-01"),
    };
    let tenure_ended = Event::TenureEnded {
        tenure: id("t-old"),
        unit: id("d1"),
        person: id("a"),
        role: Role::Head,
        to: date("2025-07-01"),
    };
    let state = project(&[
        ("2015-01-01", unit("st", UnitKind::Province, None)),
        ("2015-01-01", unit("d1", UnitKind::Department, Some("st"))),
        ("2015-01-01", person("a")),
        ("2015-01-01", appoint("t-old", "d1", "a", "2015-01-01")),
        ("2016-02-01", assign("t16", "d1", "2016-06-30")),
        ("2025-07-01", tenure_ended),
        ("2025-07-01", appoint("t-new", "d1", "a", "2025-07-01")),
        ("2025-07-02", retitled),
        ("2025-08-01", assign("t25", "d1", "2025-12-31")),
    ]);
    let live = Basis::Live { today: date("2026-12-06") };
    let filter = TaskFilter::default();
    let by = |year| {
        let list = task_list(&state, &id("d1"), year, live, &filter).expect("known");
        list.tasks
            .iter()
            .map(|t| t.assigned_by_name.clone().expect("named").title)
            .collect::<Vec<_>>()
    };
    assert_eq!(by(2016), ["Giám đốc"]);
    assert_eq!(by(2025), ["Giám đốc Sở Cần Thơ"]);
    let titles: Vec<(String, String)> = crate::registers::directory(&state)
        .tenures
        .into_iter()
        .map(|t| (t.tenure.to_string(), t.title))
        .collect();
    assert_eq!(
        titles,
        [("t-old".into(), "Giám đốc".into()), ("t-new".into(), "Giám đốc Sở Cần Thơ".into())]
    );
    assert_eq!(timeline(&state, &id("a"), live).expect("known").title, "Giám đốc Sở Cần Thơ");
    let then = timeline(&state, &id("a"), as_of("2025-06-30")).expect("known");
    assert_eq!(then.title, "Giám đốc");
}

#[test]
fn scores_in_force_follow_stream_order_live_and_business_time_as_true_at() {
    // A back-dated correction (dated 1 March) arrives after a change dated 1 April.
    let mut events = vec![("2016-01-01", unit("sgd", UnitKind::Department, None))];
    events.push((
        "2016-01-01",
        Event::FrameworkPublished {
            year: 2016,
            unit_kind: UnitKind::Department,
            source: "QĐ 2071/QĐ-UBND".into(),
            criteria: vec![
                Criterion {
                    code: id("1.1"),
                    component: reform_shared::event::Component::DirectionAndManagement,
                    title: "Kế hoạch CCHC".into(),
                    max_points: Points(1000),
                    survey_measured: false,
                },
                Criterion {
                    code: id("2.1"),
                    component: reform_shared::event::Component::InstitutionalReform,
                    title: "Văn bản QPPL".into(),
                    max_points: Points(1000),
                    survey_measured: false,
                },
            ],
        },
    ));
    events.push(("2016-04-01", score("sgd", 2016, "1.1", Stage::SelfAssessed, None, 800)));
    events.push(("2016-03-01", score("sgd", 2016, "1.1", Stage::SelfAssessed, None, 600)));
    let state = project(&events);
    let live = unit_progress(&state, &id("sgd"), 2016, Basis::Live { today: date("2016-12-31") })
        .expect("known");
    let self_assessed = &live.scores.stages[0];
    assert_eq!(self_assessed.total_hundredths, Some(600));
    assert_eq!(self_assessed.index_hundredths, Some(3000));
    let at = unit_progress(&state, &id("sgd"), 2016, as_of("2016-12-31")).expect("known");
    assert_eq!(at.scores.stages[0].total_hundredths, Some(800));
    // Component 2 has no value: missing, not zero; so are the other two stages.
    assert_eq!(at.scores.stages[0].components[1].value_hundredths, None);
    assert!(at.scores.stages[1].missing && at.scores.stages[2].missing);
    assert_eq!(at.scores.stages[2].total_hundredths, None);
    assert_eq!(at.scores.max_total_hundredths, 2000);
}

/// A department with a division, a division of that division, a school and an idle division;
/// and a peer department whose task must not count.
fn department_with_sub_units() -> State {
    let division = UnitKind::Division;
    project(&[
        ("2016-01-01", unit("sgd", UnitKind::Department, None)),
        ("2016-01-01", unit("snv", UnitKind::Department, None)),
        ("2016-01-01", unit("sgd-vp", division, Some("sgd"))),
        ("2016-01-01", unit("sgd-vp-1", division, Some("sgd-vp"))),
        ("2016-01-01", unit("sgd-kt", division, Some("sgd"))),
        ("2016-01-01", unit("school", UnitKind::PublicServiceUnit, Some("sgd"))),
        ("2016-01-10", assign("t1", "sgd", "2016-03-31")),
        ("2016-02-01", assign("t2", "sgd-vp", "2016-06-30")),
        ("2016-03-01", assign("t3", "sgd-vp-1", "2016-06-15")),
        ("2016-03-01", assign("t4", "school", "2016-12-31")),
        ("2016-03-01", assign("t5", "snv", "2016-12-31")),
        ("2016-03-01", assign("t6", "sgd-vp", "2016-12-31")),
        ("2016-03-01", assign("t7", "sgd", "2016-12-31")),
        ("2016-03-31", complete("t1", "sgd")),
        ("2016-05-01", reassign("t7", "sgd", "sgd-vp")),
        ("2016-06-01", complete("t7", "sgd-vp")),
        ("2016-07-05", complete("t2", "sgd-vp")),
        ("2016-08-01", cancel("t6", "sgd-vp")),
        ("2016-08-01", complete("t5", "snv")),
        ("2016-04-01", evidence("e1", "sgd", Some("1.1"), "2016-04-01")),
        ("2016-04-01", evidence("e2", "sgd-vp-1", Some("1.1"), "2016-04-01")),
        ("2016-04-01", evidence("e3", "school", None, "2016-04-01")),
        ("2016-04-01", evidence("e4", "sgd-vp", Some("2.1"), "2016-04-01")),
        (
            "2016-05-01",
            Event::EvidenceRejected {
                evidence: id("e4"),
                unit: id("sgd-vp"),
                reason: "Không đúng tiêu chí".into(),
            },
        ),
        ("2016-12-20", score("sgd-vp", 2016, "1.1", Stage::SelfAssessed, None, 900)),
    ])
}

fn counts(
    assigned: u64,
    open: u64,
    on_time: u64,
    late: u64,
    overdue: u64,
    cancelled: u64,
    rate: u64,
) -> TaskCounts {
    TaskCounts {
        assigned,
        open,
        done_on_time: on_time,
        done_late: late,
        overdue,
        cancelled,
        completion_rate_hundredths: rate,
    }
}

#[test]
fn unit_progress_counts_the_tasks_and_evidence_of_every_sub_unit() {
    let state = department_with_sub_units();
    let view = unit_progress(&state, &id("sgd"), 2016, as_of("2016-12-31")).expect("known unit");
    // sgd: t1 on time; t7 moved to sgd-vp before it was done, so it counts there.
    assert_eq!(view.own_tasks, counts(1, 0, 1, 0, 0, 0, 10000));
    // sgd-vp: t7 on time, t2 late, t6 cancelled: 2 ÷ 2. sgd-vp-1: t3 overdue. school: t4 open.
    // snv's t5 is a peer's, and sgd-kt has nothing, so neither is listed.
    type Row = (String, Option<String>, TaskCounts, u64);
    let rows: Vec<Row> = view
        .sub_units
        .iter()
        .map(|s| {
            let parent = s.parent.as_ref().map(|p| p.to_string());
            (s.unit.to_string(), parent, s.tasks.clone(), s.evidence.total)
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("school".into(), Some("sgd".into()), counts(1, 1, 0, 0, 0, 0, 0), 1),
            ("sgd-vp".into(), Some("sgd".into()), counts(3, 0, 1, 1, 0, 1, 10000), 0),
            ("sgd-vp-1".into(), Some("sgd-vp".into()), counts(1, 0, 0, 0, 1, 0, 0), 1),
        ]
    );
    // The totals: 6 assigned, 1 cancelled; 3 done of the 5 left = 60.00 %, a rate of the sums.
    assert_eq!(view.tasks, counts(6, 1, 2, 1, 1, 1, 6000));
    // e1 (sgd) and e2 (sgd-vp-1) on 1.1, e3 (school) on none; e4 was rejected.
    assert_eq!(view.own_evidence.total, 1);
    assert_eq!(view.evidence.total, 3);
    assert_eq!(view.evidence.by_criterion.get(&id("1.1")), Some(&2));
    assert_eq!(view.evidence.by_criterion.get(&id("2.1")), None);
    assert_eq!(view.evidence.without_criterion, 1);
    // Scores stay the unit's own: sgd-vp's self-assessment is not sgd's.
    assert!(view.scores.stages.iter().all(|s| s.missing));
}

#[test]
fn a_sub_unit_counts_only_its_own_sub_units() {
    let state = department_with_sub_units();
    let view = unit_progress(&state, &id("sgd-vp"), 2016, as_of("2016-12-31")).expect("known");
    assert_eq!(view.own_tasks, counts(3, 0, 1, 1, 0, 1, 10000));
    assert_eq!(view.tasks, counts(4, 0, 1, 1, 1, 1, 6667));
    let subs: Vec<String> = view.sub_units.iter().map(|s| s.unit.to_string()).collect();
    assert_eq!(subs, ["sgd-vp-1"]);
    // Its own score is shown on its own view.
    assert_eq!(view.scores.stages[0].total_hundredths, Some(900));
    // As true at 2016-04-15, before the reassignment: t7 is still sgd's, open.
    let early = unit_progress(&state, &id("sgd"), 2016, as_of("2016-04-15")).expect("known");
    assert_eq!(early.own_tasks, counts(2, 1, 1, 0, 0, 0, 5000));
    assert_eq!(early.tasks, counts(6, 5, 1, 0, 0, 0, 1667));
}

#[test]
fn a_cycle_of_parents_in_a_damaged_log_ends() {
    let state = project(&[
        ("2016-01-01", unit("a", UnitKind::Department, Some("b"))),
        ("2016-01-01", unit("b", UnitKind::Division, Some("a"))),
        ("2016-01-10", assign("t1", "b", "2016-03-31")),
    ]);
    let view = unit_progress(&state, &id("a"), 2016, as_of("2016-12-31")).expect("known");
    assert_eq!(view.tasks.assigned, 1);
    assert_eq!(view.sub_units.len(), 1);
}

/// The task register of docs/views.md's worked example on 30 September 2016: every task by due
/// date in force with its "5 rõ", and each filter alone.
#[test]
fn the_task_register_lists_by_due_date_with_the_five_clear_columns_and_filters() {
    let state = worked_example();
    let basis = as_of("2016-09-30");
    let list = |filter: TaskFilter| {
        let list = task_list(&state, &id("sgd"), 2016, basis, &filter).expect("sgd is known");
        list.tasks.into_iter().map(|t| (t.task.to_string(), t.status)).collect::<Vec<_>>()
    };
    let all = task_list(&state, &id("sgd"), 2016, basis, &TaskFilter::default()).expect("known");
    let order: Vec<(String, String)> =
        all.tasks.iter().map(|t| (t.task.to_string(), t.due.to_string())).collect();
    assert_eq!(
        order,
        [
            ("t1".to_owned(), "2016-03-31".to_owned()),
            ("t3".to_owned(), "2016-06-15".to_owned()),
            ("t2".to_owned(), "2016-06-30".to_owned()),
            ("t4".to_owned(), "2016-10-31".to_owned()),
            ("t5".to_owned(), "2016-12-31".to_owned()),
        ],
        "by the due date in force: t4's moved to 31 October on 20 September"
    );
    let t3 = &all.tasks[1];
    assert_eq!((t3.status, t3.days_overdue), (TaskStatus::Overdue, Some(107)));
    assert_eq!(t3.target, "Hoàn thành đúng hạn");
    assert_eq!(t3.assigned_by.as_ref().map(|p| p.as_str()), Some("nguyen-a"));
    let overdue = TaskFilter { overdue_only: true, ..TaskFilter::default() };
    assert_eq!(list(overdue), [("t3".to_owned(), TaskStatus::Overdue)]);
    let soon = TaskFilter { due_within_days: Some(31), ..TaskFilter::default() };
    assert_eq!(list(soon), [("t4".to_owned(), TaskStatus::Open)]);
    let later = TaskFilter { due_within_days: Some(30), ..TaskFilter::default() };
    assert_eq!(list(later), [], "t4 is due in 31 days");
    let cancelled = TaskFilter { status: Some(TaskStatus::Cancelled), ..TaskFilter::default() };
    assert_eq!(list(cancelled), [("t5".to_owned(), TaskStatus::Cancelled)]);
    let nobody = TaskFilter { person: Some(id("c")), ..TaskFilter::default() };
    assert_eq!(list(nobody), []);
    assert!(matches!(
        task_list(&state, &id("nope"), 2016, basis, &TaskFilter::default()),
        Err(QueryError::UnknownUnit(_))
    ));
}

#[test]
fn the_reminders_list_what_is_due_within_a_week_what_went_overdue_and_what_was_completed_since() {
    use crate::registers::reminders;
    let state = worked_example();
    let tasks = |rows: &[TaskRow]| rows.iter().map(|r| r.task.to_string()).collect::<Vec<_>>();
    // 25 June: t2 is due on the 30th; t3 went overdue on the 16th, after the last reminders.
    let d =
        reminders(&state, &id("sgd"), None, date("2016-06-25"), date("2016-06-10")).expect("unit");
    assert_eq!(tasks(&d.due_soon), ["t2"]);
    assert_eq!(tasks(&d.went_overdue), ["t3"]);
    assert!(d.completed.is_empty(), "t1 was completed before the last reminders");
    // A week later t3 is old news; t2 was completed (late) on 5 July.
    let d =
        reminders(&state, &id("sgd"), None, date("2016-07-06"), date("2016-06-29")).expect("unit");
    assert!(d.due_soon.is_empty() && d.went_overdue.is_empty());
    let done: Vec<_> = d.completed.iter().map(|(on, r)| format!("{on} {}", r.task)).collect();
    assert_eq!(done, ["2016-07-05 t2"]);
    // The deadline in force counts: t4's moved to 31 October, and it was done on the 15th.
    let d =
        reminders(&state, &id("sgd"), None, date("2016-10-20"), date("2016-10-13")).expect("unit");
    assert_eq!(d.completed.len(), 1);
    assert_eq!(d.completed[0].1.status, TaskStatus::DoneOnTime);
    // Only one person's tasks: nobody is named on the example's tasks.
    let d = reminders(&state, &id("sgd"), Some(&id("a")), date("2016-06-25"), date("2016-06-10"))
        .expect("unit");
    assert!(d.due_soon.is_empty() && d.went_overdue.is_empty());
    assert!(
        reminders(&state, &id("nowhere"), None, date("2016-06-25"), date("2016-06-10")).is_err()
    );
}

/// A remediation task recorded in the "5 rõ" shape shows its person, its expected result and
/// who gave it, as an assigned task does; one of the first shape shows none of them.
#[test]
fn a_remediation_task_shows_its_five_clear_when_its_finding_carries_them() {
    let finding = |f: &str, clear: bool| {
        let (finding, unit, inspection_document) = (id(f), id("sgd"), "12/KH-SNV".to_owned());
        let (text, remediation_task) = ("Chưa số hóa hồ sơ".to_owned(), id(&format!("t-{f}")));
        let remediation_due = date("2016-12-31");
        if !clear {
            return Event::FindingRecorded {
                finding,
                unit,
                inspection_document,
                text,
                remediation_task,
                remediation_due,
            };
        }
        Event::FindingRecordedV2 {
            finding,
            unit,
            inspection_document,
            text,
            remediation_task,
            remediation_due,
            person: id("c"),
            target: "Hồ sơ được số hóa".into(),
            assigned_by: id("a"),
        }
    };
    let state = project(&[
        ("2016-01-01", unit("sgd", UnitKind::Department, None)),
        ("2016-01-01", person("a")),
        ("2016-01-01", person("c")),
        ("2016-09-01", finding("f1", false)),
        ("2016-09-01", finding("f2", true)),
    ]);
    let list = task_list(&state, &id("sgd"), 2016, as_of("2016-09-30"), &TaskFilter::default())
        .expect("known");
    let row = |t: &str| list.tasks.iter().find(|r| r.task == id(t)).expect("listed");
    let clear = row("t-f2");
    assert_eq!(clear.person, Some(id("c")));
    assert_eq!(clear.person_name.as_ref().map(|p| p.name.as_str()), Some("Ông c"));
    assert_eq!(
        (clear.target.as_str(), clear.assigned_by.clone()),
        ("Hồ sơ được số hóa", Some(id("a")))
    );
    let first = row("t-f1");
    assert_eq!(
        (first.person.clone(), first.target.as_str(), first.assigned_by.clone()),
        (None, "", None)
    );
}

/// #27: an erased document stays on the register (it was handed in and still counts); the
/// register says when its content was erased, as of a day that sees the erasure only, for the
/// id named and every other id of the same content (e3, here).
#[test]
fn an_erased_document_stays_on_the_register_marked_from_the_day_it_was_erased() {
    let mut events = vec![
        ("2016-01-01", unit("sgd", UnitKind::Department, None)),
        ("2016-04-01", evidence("e1", "sgd", Some("1.1"), "2016-04-01")),
        ("2016-04-02", evidence("e2", "sgd", Some("1.1"), "2016-04-02")),
        ("2016-04-03", evidence("e3", "sgd", Some("1.1"), "2016-04-03")),
    ];
    let erased = Event::EvidenceErased {
        evidence: id("e1"),
        unit: id("sgd"),
        sha256: [7; 32],
        legal_basis: "Điều 16 Luật Bảo vệ dữ liệu cá nhân".into(),
        others: vec![id("e3")],
    };
    events.push(("2016-09-01", erased.clone()));
    events.push(("2016-10-01", erased));
    let state = project(&events);
    let marks = |day: &str| {
        let list = crate::registers::evidence_list(&state, &id("sgd"), 2016, as_of(day))
            .expect("known unit");
        list.evidence.iter().map(|e| (e.evidence.to_string(), e.erased_on)).collect::<Vec<_>>()
    };
    let none = [("e1".into(), None), ("e2".into(), None), ("e3".into(), None)];
    assert_eq!(marks("2016-08-31"), none);
    let on = Some(date("2016-09-01"));
    let after = [("e1".into(), on), ("e2".into(), None), ("e3".into(), on)];
    assert_eq!(marks("2016-12-31"), after, "marked once, on the first erasure, with its other ids");
}
