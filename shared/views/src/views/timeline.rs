//! A leader's accountability timeline: what happened at their units while they held office
//! (docs/views.md "Leader timeline").

use super::*;

/// One fact on a leader's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "kebab-case")]
pub enum Fact {
    TaskAssigned {
        task: TaskId,
        title: String,
        due: Date,
    },
    TaskCompletedOnTime {
        task: TaskId,
        title: String,
        due: Date,
    },
    TaskCompletedLate {
        task: TaskId,
        title: String,
        due: Date,
    },
    /// Derived: the day after the due date then in force, not completed by then.
    TaskWentOverdue {
        task: TaskId,
        title: String,
        due: Date,
    },
    TaskCancelled {
        task: TaskId,
        title: String,
    },
    ScoreChanged {
        year: u16,
        criterion: CriterionCode,
        stage: Stage,
        old_hundredths: Option<u32>,
        new_hundredths: u32,
    },
    FindingRecorded {
        finding: FindingId,
        inspection_document: String,
        text: String,
        remediation_task: TaskId,
        remediation_due: Date,
    },
}

impl Fact {
    /// What people read of the fact: its label and its detail, in the language `pick` chooses
    /// of each (Vietnamese, English) pair. The one wording of a timeline, for the CLI and the
    /// dashboard alike.
    pub fn describe(
        &self,
        pick: impl Fn(&'static str, &'static str) -> &'static str,
    ) -> (&'static str, String) {
        let due = pick("hạn", "due");
        let points = |h: Option<u32>| {
            h.map_or_else(
                || "–".to_owned(),
                |h| reform_shared::points::format_hundredths(u64::from(h)),
            )
        };
        let task = |label, task: &TaskId, title: &str, d: &Date| {
            (label, format!("{task}: {title} ({due} {d})"))
        };
        match self {
            Fact::TaskAssigned { task: t, title, due: d } => {
                task(pick("Giao nhiệm vụ", "Task assigned"), t, title, d)
            }
            Fact::TaskCompletedOnTime { task: t, title, due: d } => {
                task(pick("Hoàn thành đúng hạn", "Done on time"), t, title, d)
            }
            Fact::TaskCompletedLate { task: t, title, due: d } => {
                task(pick("Hoàn thành trễ hạn", "Done late"), t, title, d)
            }
            Fact::TaskWentOverdue { task: t, title, due: d } => {
                task(pick("Quá hạn", "Went overdue"), t, title, d)
            }
            Fact::TaskCancelled { task, title } => {
                (pick("Hủy nhiệm vụ", "Task cancelled"), format!("{task}: {title}"))
            }
            Fact::ScoreChanged { year, criterion, stage, old_hundredths, new_hundredths } => (
                pick("Thay đổi điểm", "Score changed"),
                format!(
                    "{year} {} {criterion}, {}: {} → {}",
                    pick("tiêu chí", "criterion"),
                    pick(stage.label_vi(), stage.label_en()),
                    points(*old_hundredths),
                    points(Some(*new_hundredths))
                ),
            ),
            Fact::FindingRecorded {
                finding, inspection_document, text, remediation_due, ..
            } => (
                pick("Phát hiện hạn chế", "Finding recorded"),
                format!(
                    "{finding} ({inspection_document}): {text} ({} {remediation_due})",
                    pick("khắc phục trước", "to remedy by")
                ),
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// The business date the fact is attributed by.
    pub on: Date,
    /// The sub-unit the fact is about, when it is not the tenure's own unit.
    pub sub_unit: Option<UnitId>,
    /// Its name, for people to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_unit_name: Option<String>,
    #[serde(flatten)]
    pub fact: Fact,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenureTimeline {
    pub tenure: TenureId,
    pub unit: UnitId,
    pub unit_name: String,
    pub role: Role,
    pub from: Date,
    /// The first day out of office, when it is on or before the basis day.
    pub to: Option<Date>,
    pub entries: Vec<TimelineEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    pub person: PersonId,
    pub name: String,
    pub title: String,
    pub basis: Basis,
    pub tenures: Vec<TenureTimeline>,
}

/// A person's tenures, each with what happened to the unit (and its divisions) while they held
/// it, in business-time order.
pub fn timeline(state: &State, person: &PersonId, basis: Basis) -> Result<Timeline, QueryError> {
    let who = state.people.get(person).ok_or_else(|| QueryError::UnknownPerson(person.clone()))?;
    let mut tenures: Vec<TenureTimeline> = state
        .person_tenures
        .iter()
        .filter(|(p, _)| p == person)
        .filter_map(|(_, id)| Some((id, state.tenures.get(id)?)))
        .filter(|(_, t)| basis.sees(t.from))
        .map(|(id, t)| tenure_timeline(state, id, t, basis))
        .collect();
    tenures.sort_by(|a, b| (a.from, &a.tenure).cmp(&(b.from, &b.tenure)));
    Ok(Timeline {
        person: person.clone(),
        name: who.name.clone(),
        title: who.title_on(basis.day()).to_owned(),
        basis,
        tenures,
    })
}

/// The unit and its divisions (and theirs) on `day`, nearest first.
pub fn unit_and_divisions(state: &State, unit: &UnitId, day: Date) -> Vec<UnitId> {
    let mut out = vec![unit.clone()];
    out.extend(tree::below_in(state, unit, Below::Divisions, day));
    out
}

type SortKey = (Date, u64, String);

fn tenure_timeline(
    state: &State,
    id: &TenureId,
    tenure: &TenureRec,
    basis: Basis,
) -> TenureTimeline {
    // The divisions the unit had on the tenure's last day the basis sees.
    let last = tenure.last_day().map_or(basis.day(), |last| last.min(basis.day()));
    let units = unit_and_divisions(state, &tenure.unit, last);
    let mut entries: Vec<(SortKey, TimelineEntry)> = Vec::new();
    let in_window = |on: Date| basis.sees(on) && on <= basis.day() && tenure.covers(on);
    let mark = |unit: &UnitId| (unit != &tenure.unit).then(|| unit.clone());
    let entry = |on: Date, unit: &UnitId, fact: Fact| TimelineEntry {
        on,
        sub_unit: mark(unit),
        sub_unit_name: mark(unit).and_then(|u| state.units.get(&u).map(|r| r.name.clone())),
        fact,
    };
    let tasks: BTreeSet<&TaskId> =
        state.unit_tasks.iter().filter(|(u, _, _)| units.contains(u)).map(|(_, _, t)| t).collect();
    for task in tasks {
        let Some(rec) = state.tasks.get(task) else { continue };
        for (on, seq, fact) in task_facts(task, rec, basis) {
            let Some(owner) = rec.unit_on(on).filter(|o| units.contains(o)) else { continue };
            if in_window(on) {
                let key = (on, seq, task.to_string());
                entries.push((key, entry(on, owner, fact)));
            }
        }
    }
    for unit in &units {
        score_facts(state, unit, basis, &mut |on, seq, fact| {
            if in_window(on) {
                entries.push(((on, seq, String::new()), entry(on, unit, fact)));
            }
        });
        for (_, finding) in state.unit_findings.iter().filter(|(u, _)| u == unit) {
            let Some(f) = state.findings.get(finding) else { continue };
            if in_window(f.recorded_on) {
                let fact = Fact::FindingRecorded {
                    finding: finding.clone(),
                    inspection_document: f.inspection_document.clone(),
                    text: f.text.clone(),
                    remediation_task: f.remediation_task.clone(),
                    remediation_due: f.remediation_due,
                };
                let key = (f.recorded_on, f.seq, finding.to_string());
                entries.push((key, entry(f.recorded_on, unit, fact)));
            }
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let unit_name = state.units.get(&tenure.unit).map(|u| u.name.clone()).unwrap_or_default();
    TenureTimeline {
        tenure: id.clone(),
        unit: tenure.unit.clone(),
        unit_name,
        role: tenure.role,
        from: tenure.from,
        to: tenure.to.filter(|to| *to <= basis.day()),
        entries: entries.into_iter().map(|(_, e)| e).collect(),
    }
}

/// A task's dated facts under a basis, each with the stream sequence that orders it within its
/// day (a derived "went overdue" happens at the start of its day: sequence 0).
fn task_facts(task: &TaskId, rec: &TaskRec, basis: Basis) -> Vec<(Date, u64, Fact)> {
    let mut out = Vec::new();
    if !basis.sees(rec.assigned_on) {
        return out;
    }
    let title = rec.title.clone();
    let task = task.clone();
    if rec.finding.is_none() {
        // A remediation task's assignment is the finding itself, shown once as the finding.
        let fact = Fact::TaskAssigned { task: task.clone(), title: title.clone(), due: rec.due };
        out.push((rec.assigned_on, rec.assigned_seq, fact));
    }
    for on in rec.went_overdue(basis) {
        // The due date that was passed: the one in force the day before.
        let due = on.0.pred_opt().map_or(rec.due, |d| rec.due_on(Date(d)));
        out.push((on, 0, Fact::TaskWentOverdue { task: task.clone(), title: title.clone(), due }));
    }
    match (rec.status(basis), &rec.completed, &rec.cancelled) {
        (Some(TaskStatus::Cancelled), _, Some(c)) => {
            out.push((c.on, c.seq, Fact::TaskCancelled { task, title }));
        }
        (Some(TaskStatus::DoneOnTime), Some(c), _) => {
            let due = rec.due_on(c.on);
            out.push((c.on, c.seq, Fact::TaskCompletedOnTime { task, title, due }));
        }
        (Some(TaskStatus::DoneLate), Some(c), _) => {
            let due = rec.due_on(c.on);
            out.push((c.on, c.seq, Fact::TaskCompletedLate { task, title, due }));
        }
        _ => {}
    }
    out
}

fn score_facts(state: &State, unit: &UnitId, basis: Basis, push: &mut impl FnMut(Date, u64, Fact)) {
    for ((u, year, code, stage), rec) in &state.scores {
        if u != unit {
            continue;
        }
        for change in rec.changes.iter().filter(|c| basis.sees(c.on)) {
            let fact = Fact::ScoreChanged {
                year: *year,
                criterion: code.clone(),
                stage: *stage,
                old_hundredths: change.value.old.map(Points::hundredths),
                new_hundredths: change.value.new.hundredths(),
            };
            push(change.on, change.seq, fact);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reform_shared::testkit::{date, id};

    /// The one wording of a timeline, which the CLI prints in Vietnamese and the dashboard in
    /// either language.
    #[test]
    fn a_fact_reads_the_same_wherever_it_is_shown() {
        let vi = |f: &Fact| f.describe(|vi, _| vi);
        let en = |f: &Fact| f.describe(|_, en| en);
        let assigned =
            Fact::TaskAssigned {
                task: id("t1"), title: "Rà soát".into(), due: date("2016-03-31")
            };
        assert_eq!(vi(&assigned), ("Giao nhiệm vụ", "t1: Rà soát (hạn 2016-03-31)".to_owned()));
        assert_eq!(en(&assigned), ("Task assigned", "t1: Rà soát (due 2016-03-31)".to_owned()));
        let score = Fact::ScoreChanged {
            year: 2016,
            criterion: id("1.1"),
            stage: Stage::Final,
            old_hundredths: None,
            new_hundredths: 250,
        };
        let said = "2016 tiêu chí 1.1, Kết quả cuối cùng: – → 2.50".to_owned();
        assert_eq!(vi(&score), ("Thay đổi điểm", said));
        assert_eq!(en(&score).1, "2016 criterion 1.1, Final: – → 2.50");
    }
}
