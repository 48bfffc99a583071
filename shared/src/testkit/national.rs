//! The national workload (#15): 63 provinces, each with 20 departments and 10 districts and
//! three divisions under each; ten years (2015 to 2024) of tasks with evidence and scores.
//! Deterministic from a seed; streamed, so ten million events never sit in memory.
//!
//! Per province and year: every department, district and division gets `tasks_per_unit` tasks
//! (assigned; half report progress; a tenth have their deadline moved; nine in ten are
//! completed, some late; each has one document attached), every department and district is
//! scored on 10 criteria in three stages, and the province itself on 10 criteria (final). One
//! task per province and year moves to a division of the next province before it is completed,
//! so a split projector sees tasks cross owners. [`National::for_events`] picks
//! `tasks_per_unit` for a wanted total.

use crate::event::{Component, Criterion, Event, Role, Stage, UnitKind};
use crate::points::Points;
use crate::time::Date;

pub const PROVINCES: usize = 63;
pub const DEPARTMENTS: usize = 20;
pub const DISTRICTS: usize = 10;
pub const DIVISIONS: usize = 3;
pub const FIRST_YEAR: u16 = 2015;
pub const YEARS: u16 = 10;
pub const CRITERIA: usize = 10;

/// The units of one province that get tasks: departments, districts and their divisions.
const TASKED_UNITS: usize = (DEPARTMENTS + DISTRICTS) * (1 + DIVISIONS);
/// Events per task on average: assigned 1, progress 0.5, deadline 0.1, completed 0.9,
/// evidence 1.
const EVENTS_PER_TASK_TENTHS: usize = 35;
/// Score events per province and year: departments and districts in three stages, and the
/// province's own final scores.
const SCORES_PER_PROVINCE_YEAR: usize = (DEPARTMENTS + DISTRICTS) * CRITERIA * 3 + CRITERIA;

/// The workload's shape.
#[derive(Debug, Clone, Copy)]
pub struct National {
    pub seed: u64,
    pub tasks_per_unit: usize,
}

impl National {
    /// The shape that comes closest to `events` (at least one task per unit and year).
    pub fn for_events(seed: u64, events: u64) -> National {
        let province_years = (PROVINCES * usize::from(YEARS)) as u64;
        let per = (events / province_years).saturating_sub(SCORES_PER_PROVINCE_YEAR as u64);
        let per_task = (TASKED_UNITS * EVENTS_PER_TASK_TENTHS) as u64;
        let tasks = (per * 10).div_ceil(per_task).max(1);
        National { seed, tasks_per_unit: usize::try_from(tasks).unwrap_or(1) }
    }

    /// Every event in log order, with its business date.
    pub fn events(self) -> impl Iterator<Item = (Date, Event)> {
        directory().chain((0..YEARS).flat_map(move |y| {
            let year = FIRST_YEAR + y;
            frameworks(year).chain((0..PROVINCES).flat_map(move |p| self.province_year(p, year)))
        }))
    }

    /// The events as messages: subject and encoded envelope, numbered from 0.
    pub fn messages(self) -> impl Iterator<Item = (String, Vec<u8>)> {
        self.events().enumerate().map(|(i, (on, event))| message(i as u64, on, event))
    }

    fn province_year(self, p: usize, year: u16) -> impl Iterator<Item = (Date, Event)> {
        let mut rng = SplitMix(self.seed ^ ((p as u64) << 32) ^ u64::from(year));
        let mut out = Vec::new();
        let start = day(year, 1, 10);
        let units = tasked_units(p);
        for (u, unit) in units.iter().enumerate() {
            for t in 0..self.tasks_per_unit {
                let task = format!("t{year}-{p:02}-{u}-{t}");
                let assigned = add_days(start, rng.below(200));
                let due = add_days(assigned, 30 + rng.below(90));
                out.push((
                    assigned,
                    Event::TaskAssigned {
                        task: id(&task),
                        unit: id(unit),
                        person: None,
                        plan: None,
                        title: format!("Nhiệm vụ CCHC {task}"),
                        target: "Hoàn thành đúng hạn".into(),
                        due,
                        criterion: Some(id(&criterion_code(rng.below(CRITERIA as u64) as usize))),
                        assigned_by: id(&head(p, head_of(u))),
                    },
                ));
                let mut at = unit.clone();
                let mut due_now = due;
                if rng.below(2) == 0 {
                    out.push((
                        add_days(assigned, 10),
                        Event::ProgressReported {
                            task: id(&task),
                            unit: id(&at),
                            percent: 50,
                            note: "Đang thực hiện".into(),
                        },
                    ));
                }
                if rng.below(10) == 0 {
                    let new_due = add_days(due, 30);
                    out.push((
                        add_days(assigned, 15),
                        Event::DeadlineChanged {
                            task: id(&task),
                            unit: id(&at),
                            old_due: due,
                            new_due,
                            reason: "Gia hạn theo đề nghị".into(),
                        },
                    ));
                    due_now = new_due;
                }
                if u == DEPARTMENTS + DISTRICTS && t == 0 {
                    let to = tasked_units((p + 1) % PROVINCES)[DEPARTMENTS + DISTRICTS].clone();
                    out.push((
                        add_days(assigned, 20),
                        Event::TaskReassigned {
                            task: id(&task),
                            unit: id(&to),
                            from_unit: id(&at),
                            person: None,
                            reason: "Điều chuyển nhiệm vụ".into(),
                        },
                    ));
                    at = to;
                }
                out.push((
                    add_days(assigned, 25),
                    Event::EvidenceAttached {
                        evidence: id(&format!("e{year}-{p:02}-{u}-{t}")),
                        unit: id(&at),
                        task: Some(id(&task)),
                        criterion: Some(id(&criterion_code(t % CRITERIA))),
                        title: format!("Báo cáo kết quả {task}"),
                        document_number: format!("{}/BC-UBND", 100 + t),
                        document_date: add_days(assigned, 25),
                        sha256: [3; 32],
                        size_bytes: 4096,
                        media_type: "application/pdf".into(),
                        object_key: "03".repeat(32),
                    },
                ));
                if rng.below(10) != 0 {
                    let late = rng.below(5) == 0;
                    let on = if late { add_days(due_now, 7) } else { add_days(due_now, -5) };
                    out.push((
                        on.max(add_days(assigned, 26)),
                        Event::TaskCompleted {
                            task: id(&task),
                            unit: id(&at),
                            note: "Đã hoàn thành".into(),
                        },
                    ));
                }
            }
        }
        out.sort_by_key(|(on, _)| *on);
        // Scores after the year: self-assessed, appraised, final.
        for (s, stage) in
            [Stage::SelfAssessed, Stage::Appraised, Stage::Final].into_iter().enumerate()
        {
            let on = day(year + 1, 1 + s as u32, 15);
            for unit in units.iter().take(DEPARTMENTS + DISTRICTS) {
                for c in 0..CRITERIA {
                    out.push((on, score(unit, year, c, stage, 500 + rng.below(500) as u32)));
                }
            }
            if stage == Stage::Final {
                for c in 0..CRITERIA {
                    out.push((
                        on,
                        score(&province(p), year, c, stage, 500 + rng.below(500) as u32),
                    ));
                }
            }
        }
        out.into_iter()
    }
}

/// Everything the log holds before the first year: units, heads and their tenures.
fn directory() -> impl Iterator<Item = (Date, Event)> {
    let on = day(FIRST_YEAR, 1, 1);
    (0..PROVINCES).flat_map(move |p| {
        let mut out = vec![(
            on,
            Event::UnitAdded {
                unit: id(&province(p)),
                name: format!("Tỉnh {p:02}"),
                kind: UnitKind::Province,
                parent: None,
            },
        )];
        for (u, unit) in tasked_units(p).iter().enumerate() {
            let (kind, parent, name) = if u < DEPARTMENTS {
                (UnitKind::Department, province(p), format!("Sở {u:02}"))
            } else if u < DEPARTMENTS + DISTRICTS {
                (UnitKind::District, province(p), format!("Huyện {:02}", u - DEPARTMENTS))
            } else {
                let owner = tasked_units(p)[head_of(u)].clone();
                (UnitKind::Division, owner, format!("Phòng {u:02}"))
            };
            out.push((
                on,
                Event::UnitAdded { unit: id(unit), name, kind, parent: Some(id(&parent)) },
            ));
        }
        for u in 0..DEPARTMENTS + DISTRICTS {
            let person = head(p, u);
            out.push((
                on,
                Event::PersonRegistered {
                    person: id(&person),
                    name: format!("Thủ trưởng {p:02}-{u:02}"),
                    title: "Giám đốc".into(),
                },
            ));
            out.push((
                on,
                Event::LeaderAppointed {
                    tenure: id(&format!("ten-{p:02}-{u:02}")),
                    unit: id(&tasked_units(p)[u]),
                    person: id(&person),
                    role: Role::Head,
                    from: on,
                },
            ));
        }
        out
    })
}

fn frameworks(year: u16) -> impl Iterator<Item = (Date, Event)> {
    let on = day(year, 1, 1);
    [UnitKind::Province, UnitKind::Department, UnitKind::District].into_iter().map(move |kind| {
        let criteria = (0..CRITERIA)
            .map(|c| Criterion {
                code: id(&criterion_code(c)),
                component: Component::ALL[c % Component::ALL.len()],
                title: format!("Tiêu chí {}", criterion_code(c)),
                max_points: Points(1000),
                survey_measured: false,
            })
            .collect();
        (
            on,
            Event::FrameworkPublished {
                year,
                unit_kind: kind,
                source: format!("QĐ CCHC {year}"),
                criteria,
            },
        )
    })
}

pub fn province(p: usize) -> String {
    format!("p{p:02}")
}

/// Departments `p07-s00..`, districts `p07-h00..`, then their divisions `p07-s00-1..`.
pub fn tasked_units(p: usize) -> Vec<String> {
    let tops: Vec<String> = (0..DEPARTMENTS)
        .map(|d| format!("p{p:02}-s{d:02}"))
        .chain((0..DISTRICTS).map(|d| format!("p{p:02}-h{d:02}")))
        .collect();
    let divisions: Vec<String> =
        tops.iter().flat_map(|t| (1..=DIVISIONS).map(move |k| format!("{t}-{k}"))).collect();
    tops.into_iter().chain(divisions).collect()
}

/// The department or district a tasked unit is, or belongs to.
fn head_of(u: usize) -> usize {
    if u < DEPARTMENTS + DISTRICTS {
        u
    } else {
        (u - DEPARTMENTS - DISTRICTS) / DIVISIONS
    }
}

fn head(p: usize, u: usize) -> String {
    format!("gd-{p:02}-{u:02}")
}

fn criterion_code(c: usize) -> String {
    format!("{}.{}", c / 4 + 1, c % 4 + 1)
}

fn score(unit: &str, year: u16, c: usize, stage: Stage, new: u32) -> Event {
    Event::ScoreChanged {
        unit: id(unit),
        year,
        criterion: id(&criterion_code(c)),
        stage,
        old: None,
        new: Points(new),
        reason: "Chấm điểm".into(),
        evidence: Vec::new(),
        by: id("hoi-dong"),
    }
}

fn day(year: u16, month: u32, d: u32) -> Date {
    Date::from_ymd(i32::from(year), month, d).expect("a calendar day")
}

fn add_days(on: Date, days: i64) -> Date {
    Date(on.0 + chrono::TimeDelta::days(days))
}

fn id<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().expect("workload ids are valid")
}

/// The `i`-th message: the event's subject and bytes ([`super::loaded_message`]).
pub fn message(i: u64, on: Date, event: Event) -> (String, Vec<u8>) {
    super::loaded_message(&format!("national-{i}"), on, event)
}

/// SplitMix64: a small generator whose whole state is one number, so the workload follows
/// from the seed alone.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> i64 {
        i64::try_from(self.next() % n.max(1)).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workload_follows_from_its_seed_and_reaches_its_size() {
        let small = National { seed: 7, tasks_per_unit: 1 };
        // Past the directory (the same for every seed), into the first year's tasks.
        let window = |n: National| -> Vec<(String, Vec<u8>)> {
            n.messages().skip(12_000).take(3000).collect()
        };
        let a = window(small);
        assert!(a == window(small), "the same seed gives the same messages");
        assert!(a != window(National { seed: 8, ..small }), "another seed gives others");
        let shape = National::for_events(1, 10_000_000);
        assert_eq!(shape.tasks_per_unit, 36);
        let per_province_year = SCORES_PER_PROVINCE_YEAR + TASKED_UNITS * 36 * 35 / 10;
        assert!(per_province_year * PROVINCES * usize::from(YEARS) >= 10_000_000);
        // Every province's units, and a move across provinces in each province-year.
        let moves =
            small.events().filter(|(_, e)| matches!(e, Event::TaskReassigned { .. })).count();
        assert_eq!(moves, PROVINCES * usize::from(YEARS));
    }
}
