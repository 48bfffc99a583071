//! The national workload (#15, #25): the country as it was and as it is. 63 provinces, each
//! with 20 departments and 10 districts (three divisions under each, and five or six communes
//! under each district), from 2015 to 30 June 2025; on 1 July 2025 the restructuring of
//! Resolution 202/2025/QH15: 34 provinces, no districts, 3,339 communes directly under their
//! province; then the rest of 2025 and 2026 in the new structure. Deterministic from a seed;
//! streamed, so ten million events never sit in memory.
//!
//! Per province and year before the change: every department, district and division gets
//! `tasks_per_unit` tasks (assigned; half report progress; a tenth have their deadline moved;
//! nine in ten are completed, some late; each has one document attached), every department and
//! district is scored on 10 criteria in three stages, and the province itself on 10 criteria
//! (final). One task per province and year moves to a division of the next province before it
//! is completed, so a split projector sees tasks cross owners.
//!
//! The change (as the shipped map's plan records a merger, with synthetic groups of the real
//! sizes): provinces 0–10 stay as they are; the other 52 form 6 groups of three and 17 of two,
//! each carried on by its first. A merged province's departments and divisions merge into the
//! namesakes of the province that carries on; every district's divisions and then the
//! district are dissolved into its province's successor, its communes moved up to it first;
//! then the merged provinces end. The first half of 2025 is worked in the old structure, and
//! what it leaves open on 30 June is carried by the change. From 1 July the departments, their
//! divisions and the communes get the tasks, and departments and communes the scores.
//! [`National::for_events`] picks `tasks_per_unit` for a wanted total.

use crate::event::{Component, Criterion, Ending, Event, LegalBasis, Role, Stage, UnitKind};
use crate::points::Points;
use crate::time::Date;

/// Provinces before 1 July 2025.
pub const PROVINCES: usize = 63;
/// Provinces from 1 July 2025.
pub const PROVINCES_AFTER: usize = 34;
pub const DEPARTMENTS: usize = 20;
pub const DISTRICTS: usize = 10;
pub const DIVISIONS: usize = 3;
pub const FIRST_YEAR: u16 = 2015;
/// 2015 to 2026.
pub const YEARS: u16 = 12;
/// The year of the restructuring; its first half is worked in the old structure.
pub const RESTRUCTURED_YEAR: u16 = 2025;
pub const CRITERIA: usize = 10;
/// Provinces that carry on alone; the rest merge in groups of three, then of two.
const ALONE: usize = 11;
const GROUPS_OF_THREE: usize = 6;

/// The units of one province that get tasks before the change: departments, districts and
/// their divisions.
const TASKED_UNITS: usize = (DEPARTMENTS + DISTRICTS) * (1 + DIVISIONS);
/// Events per task on average: assigned 1, progress 0.5, deadline 0.1, completed 0.9,
/// evidence 1.
const EVENTS_PER_TASK_TENTHS: usize = 35;
/// The full years before the change.
const YEARS_BEFORE: u16 = RESTRUCTURED_YEAR - FIRST_YEAR;

/// The workload's shape.
#[derive(Debug, Clone, Copy)]
pub struct National {
    pub seed: u64,
    pub tasks_per_unit: usize,
}

/// Where one province-year's (or half-year's) tasks go and who scores.
struct Work {
    /// The prefix of its task and document ids.
    ids: String,
    province: String,
    /// The tasked units, and who assigns each one's tasks.
    units: Vec<(String, String)>,
    /// Where one task of the year moves to, and the index of the unit it leaves.
    mover: (usize, String),
    scored: Vec<String>,
    /// The first day of assignments, and how many days they spread over.
    start: Date,
    spread: u64,
    /// Events from this day on are not in the half-year (what is open is carried).
    until: Option<Date>,
    /// The year the scores are for, if the half-year ends one.
    scores_for: Option<u16>,
}

impl National {
    /// The shape that comes closest to `events` (at least one task per unit and year).
    pub fn for_events(seed: u64, events: u64) -> National {
        let fixed = score_events() + directory_events();
        let per_task = (tasked_unit_years() * EVENTS_PER_TASK_TENTHS) as u64;
        let tasks = (events.saturating_sub(fixed as u64) * 10).div_ceil(per_task).max(1);
        National { seed, tasks_per_unit: usize::try_from(tasks).unwrap_or(1) }
    }

    /// About how many events the shape gives.
    pub fn estimated_events(self) -> u64 {
        let tasks = tasked_unit_years() * self.tasks_per_unit * EVENTS_PER_TASK_TENTHS / 10;
        (tasks + score_events() + directory_events()) as u64
    }

    /// Every event in log order, with its business date.
    pub fn events(self) -> impl Iterator<Item = (Date, Event)> {
        let before = (0..YEARS_BEFORE).flat_map(move |y| {
            let year = FIRST_YEAR + y;
            frameworks(year).chain((0..PROVINCES).flat_map(move |p| self.work(old_year(p, year))))
        });
        let first_half = frameworks(RESTRUCTURED_YEAR)
            .chain((0..PROVINCES).flat_map(move |p| self.work(old_first_half(p))));
        let after = (RESTRUCTURED_YEAR..FIRST_YEAR + YEARS).flat_map(move |year| {
            let frameworks = (year > RESTRUCTURED_YEAR).then(|| frameworks(year));
            frameworks
                .into_iter()
                .flatten()
                .chain(successors().flat_map(move |s| self.work(new_year(s, year))))
        });
        directory().chain(before).chain(first_half).chain(restructuring()).chain(after)
    }

    /// The events as messages: subject and encoded envelope, numbered from 0.
    pub fn messages(self) -> impl Iterator<Item = (String, Vec<u8>)> {
        self.events().enumerate().map(|(i, (on, event))| message(i as u64, on, event))
    }

    fn work(self, w: Work) -> impl Iterator<Item = (Date, Event)> {
        let mut rng = SplitMix(self.seed ^ hash(&w.ids));
        let mut out = Vec::new();
        for (u, (unit, by)) in w.units.iter().enumerate() {
            for t in 0..self.tasks_per_unit {
                let mover = (u == w.mover.0 && t == 0).then_some(w.mover.1.as_str());
                out.extend(task(&mut rng, &w, (u, unit, by), t, mover));
            }
        }
        if let Some(until) = w.until {
            out.retain(|(on, _)| *on < until);
        }
        out.sort_by_key(|(on, _)| *on);
        if let Some(year) = w.scores_for {
            out.extend(scores(&mut rng, &w, year));
        }
        out.into_iter()
    }
}

/// One task's events, in the order they happen.
fn task(
    rng: &mut SplitMix,
    w: &Work,
    (u, unit, by): (usize, &str, &str),
    t: usize,
    mover: Option<&str>,
) -> Vec<(Date, Event)> {
    let mut out = Vec::new();
    let task = format!("t{}-{u}-{t}", w.ids);
    let assigned = add_days(w.start, rng.below(w.spread));
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
            assigned_by: id(by),
        },
    ));
    let mut at = unit.to_owned();
    let mut due_now = due;
    if rng.below(2) == 0 {
        let note = "Đang thực hiện".into();
        let event = Event::ProgressReported { task: id(&task), unit: id(&at), percent: 50, note };
        out.push((add_days(assigned, 10), event));
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
    if let Some(to) = mover {
        out.push((
            add_days(assigned, 20),
            Event::TaskReassigned {
                task: id(&task),
                unit: id(to),
                from_unit: id(&at),
                person: None,
                reason: "Điều chuyển nhiệm vụ".into(),
            },
        ));
        at = to.to_owned();
    }
    out.push((
        add_days(assigned, 25),
        Event::EvidenceAttached {
            evidence: id(&format!("e{}-{u}-{t}", w.ids)),
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
        let note = "Đã hoàn thành".into();
        out.push((
            on.max(add_days(assigned, 26)),
            Event::TaskCompleted { task: id(&task), unit: id(&at), note },
        ));
    }
    out
}

/// Scores after the year: self-assessed, appraised, final; the province's own final.
fn scores(rng: &mut SplitMix, w: &Work, year: u16) -> Vec<(Date, Event)> {
    let mut out = Vec::new();
    for (s, stage) in [Stage::SelfAssessed, Stage::Appraised, Stage::Final].into_iter().enumerate()
    {
        let on = day(year + 1, 1 + s as u32, 15);
        for unit in &w.scored {
            for c in 0..CRITERIA {
                out.push((on, score(unit, year, c, stage, 500 + rng.below(500) as u32)));
            }
        }
        if stage == Stage::Final {
            for c in 0..CRITERIA {
                out.push((on, score(&w.province, year, c, stage, 500 + rng.below(500) as u32)));
            }
        }
    }
    out
}

/// A province's year before the change.
fn old_year(p: usize, year: u16) -> Work {
    let units = tasked_units(p);
    let heads = (0..units.len()).map(|u| head(p, head_of(u)));
    Work {
        ids: format!("{year}-{p:02}"),
        province: province(p),
        units: units.iter().cloned().zip(heads).collect(),
        mover: (
            DEPARTMENTS + DISTRICTS,
            tasked_units((p + 1) % PROVINCES)[DEPARTMENTS + DISTRICTS].clone(),
        ),
        scored: units.into_iter().take(DEPARTMENTS + DISTRICTS).collect(),
        start: day(year, 1, 10),
        spread: 200,
        until: None,
        scores_for: Some(year),
    }
}

/// A province's first half of 2025: tasks assigned by the spring, nothing after 30 June (what
/// is open then is carried), no scores (its districts and merged units see no year's end).
fn old_first_half(p: usize) -> Work {
    Work {
        ids: format!("{RESTRUCTURED_YEAR}-{p:02}"),
        spread: 120,
        until: Some(restructured_on()),
        scores_for: None,
        ..old_year(p, RESTRUCTURED_YEAR)
    }
}

/// A province that carries on, from 1 July 2025 (the rest of that year) or for a whole year
/// after: its departments, their divisions and every commune of its group.
fn new_year(s: usize, year: u16) -> Work {
    let departments: Vec<String> = (0..DEPARTMENTS).map(|d| format!("p{s:02}-s{d:02}")).collect();
    let divisions =
        departments.iter().flat_map(|d| (1..=DIVISIONS).map(move |k| format!("{d}-{k}")));
    let communes: Vec<String> = group(s).flat_map(communes_of).collect();
    let units: Vec<String> =
        departments.iter().cloned().chain(divisions).chain(communes.iter().cloned()).collect();
    let by = |u: usize| {
        head(
            s,
            if u < DEPARTMENTS {
                u
            } else if u < DEPARTMENTS * (1 + DIVISIONS) {
                (u - DEPARTMENTS) / DIVISIONS
            } else {
                0
            },
        )
    };
    let next = successors().find(|n| *n > s).unwrap_or(0);
    let start = if year == RESTRUCTURED_YEAR { day(year, 7, 10) } else { day(year, 1, 10) };
    Work {
        ids: format!("{year}n-{s:02}"),
        province: province(s),
        units: units.iter().enumerate().map(|(u, unit)| (unit.clone(), by(u))).collect(),
        mover: (DEPARTMENTS, format!("p{next:02}-s00-1")),
        scored: departments.into_iter().chain(communes).collect(),
        start,
        spread: if year == RESTRUCTURED_YEAR { 100 } else { 200 },
        until: None,
        scores_for: Some(year),
    }
}

/// The province that carries `p` on from 1 July 2025.
pub fn successor(p: usize) -> usize {
    if p < ALONE {
        p
    } else if p < ALONE + 3 * GROUPS_OF_THREE {
        ALONE + (p - ALONE) / 3 * 3
    } else {
        let first_pair = ALONE + 3 * GROUPS_OF_THREE;
        first_pair + (p - first_pair) / 2 * 2
    }
}

/// The provinces from 1 July 2025, in id order.
pub fn successors() -> impl Iterator<Item = usize> + Clone {
    (0..PROVINCES).filter(|p| successor(*p) == *p)
}

/// The provinces `s` carries on (itself first).
fn group(s: usize) -> impl Iterator<Item = usize> {
    (0..PROVINCES).filter(move |p| successor(*p) == s)
}

/// District `h`'s communes: six under the first three districts, five under the others.
fn communes(p: usize, h: usize) -> impl Iterator<Item = String> {
    let n = if h < 3 { 6 } else { 5 };
    (0..n).map(move |c| format!("p{p:02}-h{h:02}-x{c}"))
}

fn communes_of(p: usize) -> impl Iterator<Item = String> {
    (0..DISTRICTS).flat_map(move |h| communes(p, h))
}

fn restructured_on() -> Date {
    day(RESTRUCTURED_YEAR, 7, 1)
}

/// The change of 1 July 2025, in an order the directory service would take: what is under a
/// unit is moved or ended before it ends.
fn restructuring() -> impl Iterator<Item = (Date, Event)> {
    let on = restructured_on();
    let basis =
        LegalBasis { document: "202/2025/QH15".into(), date: day(RESTRUCTURED_YEAR, 6, 12) };
    let end = move |unit: &str, how, successor: &str| Event::UnitEnded {
        unit: id(unit),
        how,
        successor: id(successor),
        effective: on,
        basis: basis.clone(),
    };
    let mut out = Vec::new();
    for p in 0..PROVINCES {
        let s = successor(p);
        if s != p {
            for d in 0..DEPARTMENTS {
                let (mine, theirs) = (format!("p{p:02}-s{d:02}"), format!("p{s:02}-s{d:02}"));
                for k in 1..=DIVISIONS {
                    out.push(end(&format!("{mine}-{k}"), Ending::Merged, &format!("{theirs}-{k}")));
                }
                out.push(end(&mine, Ending::Merged, &theirs));
            }
        }
        for h in 0..DISTRICTS {
            let district = format!("p{p:02}-h{h:02}");
            for k in 1..=DIVISIONS {
                out.push(end(&format!("{district}-{k}"), Ending::Dissolved, &province(s)));
            }
            for commune in communes(p, h) {
                out.push(Event::UnitMoved {
                    unit: id(&commune),
                    parent: id(&province(s)),
                    effective: on,
                    basis: LegalBasis {
                        document: "1664/NQ-UBTVQH15".into(),
                        date: day(RESTRUCTURED_YEAR, 6, 16),
                    },
                });
            }
            out.push(end(&district, Ending::Dissolved, &province(s)));
        }
        if s != p {
            out.push(end(&province(p), Ending::Merged, &province(s)));
        }
    }
    out.into_iter().map(move |e| (on, e))
}

/// Task-unit-years: how many (unit, year) pairs get `tasks_per_unit` tasks.
fn tasked_unit_years() -> usize {
    let before = PROVINCES * TASKED_UNITS * (usize::from(YEARS_BEFORE) + 1);
    let after_per_year = PROVINCES_AFTER * DEPARTMENTS * (1 + DIVISIONS) + all_communes();
    before + after_per_year * usize::from(FIRST_YEAR + YEARS - RESTRUCTURED_YEAR)
}

fn all_communes() -> usize {
    (0..PROVINCES).map(|p| communes_of(p).count()).sum()
}

/// Score events: departments and districts (or communes, after) in three stages, and each
/// province's own final scores.
fn score_events() -> usize {
    let before = PROVINCES * ((DEPARTMENTS + DISTRICTS) * CRITERIA * 3 + CRITERIA);
    let after =
        PROVINCES_AFTER * (DEPARTMENTS * CRITERIA * 3 + CRITERIA) + all_communes() * CRITERIA * 3;
    before * usize::from(YEARS_BEFORE) + after * usize::from(FIRST_YEAR + YEARS - RESTRUCTURED_YEAR)
}

fn directory_events() -> usize {
    PROVINCES * (1 + TASKED_UNITS + 2 * (DEPARTMENTS + DISTRICTS)) + all_communes()
}

fn hash(text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
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
        for h in 0..DISTRICTS {
            for (c, commune) in communes(p, h).enumerate() {
                let (name, parent) =
                    (format!("Xã {h:02}-{c}"), Some(id(&format!("p{p:02}-h{h:02}"))));
                out.push((
                    on,
                    Event::UnitAdded { unit: id(&commune), name, kind: UnitKind::Commune, parent },
                ));
            }
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
    let communes = (year >= RESTRUCTURED_YEAR).then_some(UnitKind::Commune);
    let kinds = [UnitKind::Province, UnitKind::Department, UnitKind::District];
    kinds.into_iter().chain(communes).map(move |kind| {
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
            n.messages().skip(20_000).take(3000).collect()
        };
        let a = window(small);
        assert!(a == window(small), "the same seed gives the same messages");
        assert!(a != window(National { seed: 8, ..small }), "another seed gives others");
        let shape = National::for_events(1, 10_000_000);
        assert_eq!(shape.tasks_per_unit, 28);
        let estimate = shape.estimated_events();
        assert!((10_000_000..10_400_000).contains(&estimate), "{estimate}");
        // The estimate is what the workload gives, within a twentieth.
        let events = small.events().count() as u64;
        let expected = small.estimated_events();
        assert!(events.abs_diff(expected) * 20 < expected, "{events} against {expected}");
        let moves =
            small.events().filter(|(_, e)| matches!(e, Event::TaskReassigned { .. })).count();
        assert_eq!(moves, PROVINCES * usize::from(YEARS_BEFORE + 1) + PROVINCES_AFTER * 2);
    }

    /// 63 provinces with their districts through 30 June 2025, 34 with 3,339 communes directly
    /// under them from 1 July; the change in an order the directory takes (nothing ends with
    /// a unit still under it), and every open task of an ended unit has a successor to go to.
    #[test]
    fn the_workload_follows_the_country_through_the_2025_change() {
        let mut directory = crate::directory::Directory::default();
        let (mut ended, mut moved) = (0, 0);
        for (on, event) in (National { seed: 1, tasks_per_unit: 1 }).events() {
            if let Event::UnitEnded { unit, .. } = &event {
                let under = directory.units.values().filter(|u| u.parent.as_ref() == Some(unit));
                let live: Vec<_> =
                    under.filter(|u| u.ended.is_none()).map(|u| u.id.clone()).collect();
                assert!(live.is_empty(), "{unit} ends with {live:?} under it");
                assert_eq!(on, restructured_on());
                ended += 1;
            }
            moved += usize::from(matches!(event, Event::UnitMoved { .. }));
            directory.apply(&event);
        }
        let live = |kind: UnitKind| {
            directory.units.values().filter(|u| u.kind == kind && u.ended.is_none()).count()
        };
        assert_eq!(live(UnitKind::Province), PROVINCES_AFTER);
        assert_eq!(successors().count(), PROVINCES_AFTER);
        assert_eq!(live(UnitKind::District), 0, "no districts");
        assert_eq!((live(UnitKind::Commune), moved), (3339, 3339));
        for commune in directory.units.values().filter(|u| u.kind == UnitKind::Commune) {
            let parent = commune.parent.as_ref().and_then(|p| directory.unit(p)).expect("a parent");
            assert_eq!((parent.kind, parent.ended.is_none()), (UnitKind::Province, true));
        }
        let merged = PROVINCES - PROVINCES_AFTER;
        let units_merged = merged * (1 + DEPARTMENTS * (1 + DIVISIONS));
        assert_eq!(ended, units_merged + PROVINCES * DISTRICTS * (1 + DIVISIONS));
    }
}
