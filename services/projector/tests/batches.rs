//! Properties of the projection over the real redb store (no broker needed):
//! - batch boundaries do not matter: one batch or many give the same canonical dump;
//! - a redelivered event (at or below the checkpoint) is never applied twice;
//! - the slices the store loads for a query give the same views as the whole state in memory;
//! - every view served from redb after a prefix of the log is, as JSON, the in-memory view of
//!   that prefix.

use proptest::prelude::*;
use reform_projector::model::{apply, State};
use reform_projector::registers;
use reform_projector::store::{Flush, Item, Store};
use reform_projector::views::{self, Basis};
use reform_shared::envelope::Record;
use reform_shared::event::{Ending, Event, LegalBasis, Role, Stage, UnitKind};
use reform_shared::points::Points;
use reform_shared::testkit::{date, id, record};
use reform_shared::time::Date;

const UNITS: [&str; 3] = ["d1", "d2", "v1"];

fn day(offset: u16) -> Date {
    let start = date("2015-12-01");
    Date(start.0 + chrono::Days::new(u64::from(offset)))
}

fn prologue() -> Vec<Record> {
    let unit = |u: &str, kind, parent: Option<&str>| Event::UnitAdded {
        unit: id(u),
        name: format!("Đơn vị {u}"),
        kind,
        parent: parent.map(id),
    };
    let on = day(0);
    vec![
        record(on, unit("st", UnitKind::Province, None)),
        record(on, unit("d1", UnitKind::Department, Some("st"))),
        record(on, unit("d2", UnitKind::Department, Some("st"))),
        record(on, unit("v1", UnitKind::Division, Some("d1"))),
        record(
            on,
            Event::PersonRegistered {
                person: id("p1"),
                name: "Lê Văn Cường".into(),
                title: "Giám đốc".into(),
            },
        ),
        record(
            on,
            Event::PersonRegistered {
                person: id("p2"),
                name: "Phạm Thị Dung".into(),
                title: "Giám đốc".into(),
            },
        ),
    ]
}

/// One random event of the small universe, at a random date.
fn event() -> impl Strategy<Value = Record> {
    let task = (0u8..6).prop_map(|i| format!("t{i}"));
    let unit = prop::sample::select(&UNITS[..]);
    let on = 0u16..500;
    prop_oneof![
        (task.clone(), unit.clone(), on.clone(), 0u16..500).prop_map(|(t, u, on, due)| record(
            day(on),
            Event::TaskAssigned {
                task: id(&t),
                unit: id(u),
                person: None,
                plan: None,
                title: format!("Nhiệm vụ {t}"),
                target: String::new(),
                due: day(due),
                criterion: None,
                assigned_by: id("p1"),
            }
        )),
        (task.clone(), on.clone()).prop_map(|(t, on)| record(
            day(on),
            Event::TaskCompleted { task: id(&t), unit: id("d1"), note: String::new() }
        )),
        (task.clone(), on.clone()).prop_map(|(t, on)| record(
            day(on),
            Event::TaskCancelled { task: id(&t), unit: id("d1"), reason: String::new() }
        )),
        (task.clone(), on.clone(), 0u16..500).prop_map(|(t, on, due)| record(
            day(on),
            Event::DeadlineChanged {
                task: id(&t),
                unit: id("d1"),
                old_due: day(0),
                new_due: day(due),
                reason: String::new(),
            }
        )),
        (task.clone(), unit.clone(), on.clone()).prop_map(|(t, u, on)| record(
            day(on),
            Event::TaskReassigned {
                task: id(&t),
                unit: id(u),
                from_unit: id("d1"),
                person: None,
                reason: String::new(),
            }
        )),
        (unit.clone(), on.clone(), 2015u16..2017, 0usize..2, 0usize..3, 0u32..2000).prop_map(
            |(u, on, year, c, s, v)| record(
                day(on),
                Event::ScoreChanged {
                    unit: id(u),
                    year,
                    criterion: id(["1.1", "2.1"][c]),
                    stage: Stage::ALL[s],
                    old: None,
                    new: Points(v),
                    reason: String::new(),
                    evidence: Vec::new(),
                    by: id("p1"),
                }
            )
        ),
        (0u8..3, unit.clone(), on.clone(), 0u16..500).prop_map(|(k, u, on, due)| record(
            day(on),
            Event::FindingRecorded {
                finding: id(&format!("f{k}")),
                unit: id(u),
                inspection_document: "45/KH-SNV".into(),
                text: "Hạn chế".into(),
                remediation_task: id(&format!("r{k}")),
                remediation_due: day(due),
            }
        )),
        (0u8..3, prop::sample::select(&["p1", "p2"][..]), unit.clone(), on.clone()).prop_map(
            |(k, p, u, on)| record(
                day(on),
                Event::LeaderAppointed {
                    tenure: id(&format!("ten{k}")),
                    unit: id(u),
                    person: id(p),
                    role: Role::Head,
                    from: day(on),
                }
            )
        ),
        // Restructuring: a unit ends into another (its open tasks and tenures go with the
        // day), and the division moves between the departments.
        (unit.clone(), prop::sample::select(&["d1", "d2"][..]), on.clone()).prop_map(
            |(u, successor, on)| record(
                day(on),
                Event::UnitEnded {
                    unit: id(u),
                    how: Ending::Merged,
                    successor: id(successor),
                    effective: day(on),
                    basis: LegalBasis { document: "202/2025/QH15".into(), date: day(on) },
                }
            )
        ),
        (prop::sample::select(&["d1", "d2"][..]), on.clone()).prop_map(|(parent, on)| record(
            day(on),
            Event::UnitMoved {
                unit: id("v1"),
                parent: id(parent),
                effective: day(on),
                basis: LegalBasis { document: "202/2025/QH15".into(), date: day(on) },
            }
        )),
        // A new title, read on a later batch than the person's registration.
        (prop::sample::select(&["p1", "p2"][..]), 0u8..3, on.clone()).prop_map(|(p, k, on)| {
            let (person, title, effective) = (id(p), format!("Chức danh {k}"), day(on));
            record(day(on), Event::PersonRetitled { person, title, effective })
        }),
        (0u8..3, on.clone()).prop_map(|(k, on)| record(
            day(on),
            Event::TenureEnded {
                tenure: id(&format!("ten{k}")),
                unit: id("d1"),
                person: id("p1"),
                role: Role::Head,
                to: day(on),
            }
        )),
    ]
}

fn items(records: &[Record]) -> Vec<Item> {
    records.iter().enumerate().map(|(i, r)| Item::new(i as u64 + 1, Some(r.clone()))).collect()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("v.redb")).expect("open");
    (dir, store)
}

fn log() -> impl Strategy<Value = Vec<Record>> {
    prop::collection::vec(event(), 0..60).prop_map(|events| {
        let mut all = prologue();
        all.extend(events);
        all
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn one_batch_or_many_give_the_same_dump(
        records in log(),
        cuts in prop::collection::vec(1usize..8, 1..40),
    ) {
        let all = items(&records);
        let (_a, whole) = store();
        whole.apply_batch(&all, Flush::Durable).expect("apply");
        let (_b, split) = store();
        let mut rest = &all[..];
        for cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (batch, tail) = rest.split_at((*cut).min(rest.len()));
            split.apply_batch(batch, Flush::Deferred).expect("apply");
            rest = tail;
        }
        prop_assert_eq!(whole.dump().expect("dump"), split.dump().expect("dump"));
    }

    #[test]
    fn redelivered_events_are_not_applied_twice(records in log(), overlap in 1usize..20) {
        let all = items(&records);
        let (_a, once) = store();
        once.apply_batch(&all, Flush::Durable).expect("apply");
        let (_b, twice) = store();
        let half = all.len() / 2;
        twice.apply_batch(&all[..half], Flush::Deferred).expect("apply");
        // The next batch starts with events already applied, as a redelivery would.
        twice.apply_batch(&all[half.saturating_sub(overlap)..], Flush::Durable).expect("apply");
        prop_assert_eq!(once.dump().expect("dump"), twice.dump().expect("dump"));
    }

    #[test]
    fn query_slices_give_the_views_of_the_whole_state(records in log(), as_of in 0u16..520) {
        let mut state = State::default();
        for (i, r) in records.iter().enumerate() {
            apply(&mut state, r, i as u64 + 1);
        }
        let (_a, store) = store();
        store.apply_batch(&items(&records), Flush::Durable).expect("apply");
        for basis in [Basis::AsTrueAt { date: day(as_of) }, Basis::Live { today: day(as_of) }] {
            // The province too: its progress covers every unit below it.
            for unit in UNITS.into_iter().chain(["st"]) {
                for year in [2015u16, 2016, 2017] {
                    let slice = store.load_unit(&id(unit), year).expect("load");
                    prop_assert_eq!(
                        views::unit_progress(&slice, &id(unit), year, basis),
                        views::unit_progress(&state, &id(unit), year, basis)
                    );
                    prop_assert_eq!(
                        registers::evidence_list(&slice, &id(unit), year, basis),
                        registers::evidence_list(&state, &id(unit), year, basis)
                    );
                }
            }
            let slice = store.load_ranking(&id("st"), UnitKind::Department, 2016).expect("load");
            prop_assert_eq!(
                views::ranking(&slice, &id("st"), UnitKind::Department, 2016, basis),
                views::ranking(&state, &id("st"), UnitKind::Department, 2016, basis)
            );
            let slice = store.load_directory().expect("load");
            prop_assert_eq!(registers::directory(&slice), registers::directory(&state));
            // The national ranking, merged from each province's part, equals the one the whole
            // state gives (the query takes a date, so as true at it).
            if let Basis::AsTrueAt { date } = basis {
                for kind in [UnitKind::Province, UnitKind::Department, UnitKind::Division] {
                    let q = reform_projector::queries::NationalQuery { kind, year: 2016, as_of: Some(date) };
                    let merged = match reform_projector::queries::answer_national(&store, &q) {
                        reform_projector::queries::Answer::Ok(reform_projector::queries::Found { view }) => view,
                        other => panic!("national: {other:?}"),
                    };
                    prop_assert_eq!(merged, views::national_in(&state, kind, 2016, basis));
                }
            }
            for person in ["p1", "p2"] {
                let slice = store.load_timeline(&id(person)).expect("load");
                prop_assert_eq!(
                    views::timeline(&slice, &id(person), basis),
                    views::timeline(&state, &id(person), basis)
                );
            }
        }
    }

    /// Every view served from redb after projecting a prefix of the log is, as JSON, the view
    /// the in-memory state of the same prefix gives: the two implementations of the read seam
    /// agree wherever the log is cut. Unknown ids included (both answer not-found alike).
    #[test]
    fn served_views_of_any_prefix_equal_the_in_memory_views(
        records in log(),
        cut in any::<prop::sample::Index>(),
        as_of in 0u16..520,
    ) {
        use reform_projector::queries::{self as q, Answer, Found};
        use reform_shared::reply::FailureKind;
        let prefix = &records[..cut.index(records.len() + 1)];
        let mut state = State::default();
        for (i, r) in prefix.iter().enumerate() {
            apply(&mut state, r, i as u64 + 1);
        }
        let (_a, store) = store();
        store.apply_batch(&items(prefix), Flush::Durable).expect("apply");
        fn json<T: serde::Serialize>(answer: &Answer<T>) -> String {
            serde_json::to_string(answer).expect("json")
        }
        fn memory<T: serde::Serialize>(view: Result<T, views::QueryError>) -> String {
            json(&match view {
                Ok(view) => Answer::Ok(Found { view }),
                Err(e) => Answer::failed(FailureKind::NotFound, e.to_string()),
            })
        }
        let on = day(as_of);
        let basis = Basis::AsTrueAt { date: on };
        for unit in UNITS.into_iter().chain(["st", "nowhere"]) {
            for year in [2015u16, 2016, 2017] {
                let uq = q::UnitQuery { unit: id(unit), year, as_of: Some(on) };
                let progress = views::unit_progress(&state, &uq.unit, year, basis).map(|p| {
                    let years_with_data = views::years_with_data(&state, &uq.unit);
                    views::UnitProgress { years_with_data, ..p }
                });
                prop_assert_eq!(json(&q::answer_unit(&store, &uq)), memory(progress));
                prop_assert_eq!(
                    json(&q::answer_evidence(&store, &uq)),
                    memory(registers::evidence_list(&state, &uq.unit, year, basis))
                );
                for with_sub_units in [false, true] {
                    let filter = views::TaskFilter { with_sub_units, ..Default::default() };
                    let tq = q::TasksQuery { unit: id(unit), year, as_of: Some(on), filter };
                    prop_assert_eq!(
                        json(&q::answer_tasks(&store, &tq)),
                        memory(views::task_list(&state, &tq.unit, year, basis, &tq.filter))
                    );
                }
            }
            let since = Date(on.0 - chrono::Days::new(7));
            let dq = q::RemindersQuery { unit: id(unit), person: None, on: Some(on), since: Some(since) };
            prop_assert_eq!(
                json(&q::answer_reminders(&store, &dq)),
                memory(registers::reminders(&state, &dq.unit, None, on, since))
            );
        }
        for kind in [UnitKind::Department, UnitKind::Division] {
            let rq = q::RankingQuery { parent: id("st"), kind, year: 2016, as_of: Some(on) };
            prop_assert_eq!(
                json(&q::answer_ranking(&store, &rq)),
                memory(views::ranking(&state, &rq.parent, kind, 2016, basis))
            );
            let nq = q::NationalQuery { kind, year: 2016, as_of: Some(on) };
            prop_assert_eq!(
                json(&q::answer_national(&store, &nq)),
                memory(Ok(views::national_in(&state, kind, 2016, basis)))
            );
        }
        for person in ["p1", "p2", "nobody"] {
            let tq = q::TimelineQuery { person: id(person), as_of: Some(on) };
            prop_assert_eq!(
                json(&q::answer_timeline(&store, &tq)),
                memory(views::timeline(&state, &tq.person, basis))
            );
        }
        prop_assert_eq!(
            json(&q::answer_directory(&store)),
            memory(Ok(registers::directory(&state)))
        );
        for under in [None, Some("st"), Some("d1"), Some("v1"), Some("nowhere")] {
            for depth in [None, Some(0u8), Some(1)] {
                for person in [None, Some("p1"), Some("nobody")] {
                    let dq = q::DirectoryQuery { under: under.map(id), depth, person: person.map(id) };
                    let part = registers::directory_part(
                        &state,
                        dq.under.as_ref(),
                        depth.map(usize::from),
                        dq.person.as_ref(),
                    );
                    prop_assert_eq!(json(&q::answer_directory_part(&store, &dq)), memory(part));
                }
            }
        }
    }

    /// Ties share the best rank and the next rank skips: a unit's rank is one more than the
    /// number of units with a strictly higher total, and unscored units have none.
    #[test]
    fn competition_ranks_share_ties_and_skip(totals in prop::collection::vec(prop::option::of(0u64..5), 0..12)) {
        let totals: std::collections::BTreeMap<_, _> = totals
            .iter()
            .enumerate()
            .map(|(i, t)| (id::<reform_shared::ids::UnitId>(&format!("u{i:02}")), *t))
            .collect();
        let ranks = views::competition_ranks(&totals);
        for (unit, total) in &totals {
            match total {
                None => prop_assert!(!ranks.contains_key(unit)),
                Some(t) => {
                    let above = totals.values().flatten().filter(|o| *o > t).count();
                    prop_assert_eq!(ranks.get(unit).copied(), Some(above as u32 + 1));
                }
            }
        }
        let mut sorted: Vec<u32> = ranks.values().copied().collect();
        sorted.sort_unstable();
        for (i, rank) in sorted.iter().enumerate() {
            // 1-based positions: a rank never exceeds its position and ties never leave gaps
            // inside themselves (1, 2, 2, 4).
            prop_assert!(*rank as usize <= i + 1);
            prop_assert!(i == 0 || sorted[i - 1] == *rank || *rank as usize == i + 1);
        }
    }
}
