//! The projection's state and the pure `apply` that builds it from the log.
//!
//! The state keeps *histories*, not only current values: when a task was assigned, every
//! deadline change with its date, when it was completed or cancelled, every score change with
//! its business date and stream sequence. That is what lets a query answer "as true at D"
//! (business date ≤ D) as well as "as known now" from the same records, and lets the timeline
//! attribute each fact to the tenure that covered its date, whenever the tenure was recorded.
//!
//! `apply` reads a record only through [`Records`], which the store's batch answers by reading it
//! from redb on first use; it writes the batch's records back with the checkpoint. The result is
//! the same whatever the batch boundaries are.

use reform_shared::envelope::Record;
use reform_shared::event::{Access, Criterion, Event, Role, Stage, UnitKind};
use reform_shared::ids::{
    CriterionCode, EvidenceId, FindingId, PersonId, PlanId, TaskId, TenureId, UnitId,
};
use reform_shared::points::Points;
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A value with the business date and stream sequence of the event that set it. Ordering by
/// `(on, seq)` is "business time, then stream order".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dated<T> {
    pub on: Date,
    pub seq: u64,
    pub value: T,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRec {
    pub name: String,
    pub kind: UnitKind,
    pub parent: Option<UnitId>,
    /// When and how it stopped, and who carries on; `None` while it exists.
    pub ended: Option<reform_shared::directory::Ended>,
    /// The day it came into existence, for a unit a legal act founded
    /// ([`Event::UnitFounded`]); `None` for one recorded as long existing.
    pub founded: Option<Date>,
    /// Its name and parent before each rename or move, in effective order (the directory
    /// service refuses a change dated before one already recorded): what a view as true at an
    /// earlier day shows.
    pub was: Vec<Was>,
}

/// A unit's name and parent until a rename or move took effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Was {
    /// The change's effective day: the first day the unit no longer had them.
    pub until: Date,
    pub name: String,
    pub parent: Option<UnitId>,
}

/// The name and parent in force on `day`, from the current ones and what they were before
/// each change: the one shared rule of [`UnitRec::name_on`] and its twin in the registers.
pub fn in_force_on<'a>(
    was: &'a [Was],
    name: &'a str,
    parent: Option<&'a UnitId>,
    day: Date,
) -> (&'a str, Option<&'a UnitId>) {
    match was.iter().find(|w| day < w.until) {
        Some(w) => (&w.name, w.parent.as_ref()),
        None => (name, parent),
    }
}

impl UnitRec {
    /// Its name on `day`.
    pub fn name_on(&self, day: Date) -> &str {
        in_force_on(&self.was, &self.name, self.parent.as_ref(), day).0
    }

    /// Its parent on `day`; `None` for a province.
    pub fn parent_on(&self, day: Date) -> Option<&UnitId> {
        in_force_on(&self.was, &self.name, self.parent.as_ref(), day).1
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRec {
    pub name: String,
    /// The title they were registered with.
    pub title: String,
    /// Each later title with the day it took effect ([`Event::PersonRetitled`]), in stream
    /// order.
    pub titles: Vec<Dated<String>>,
    /// The first administrator, recorded by the genesis step.
    pub genesis: bool,
    /// Every public key that has signed for them, in the order registered. Public by nature:
    /// anyone who reads the log reads them, and a signature is checked against them.
    pub keys: Vec<KeyRec>,
    /// Every access they have been granted, in the order granted.
    pub grants: Vec<GrantRec>,
}

/// A public key registered for a person, and its revocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRec {
    pub key: String,
    /// A passkey the person enrolled in a browser, rather than a key an administrator
    /// registered.
    pub passkey: bool,
    /// The business day it was registered.
    pub registered_on: Date,
    /// When and why it was revoked; `None` while it signs.
    pub revoked: Option<Dated<String>>,
}

impl KeyRec {
    fn new(key: &str, passkey: bool, on: Date) -> KeyRec {
        KeyRec { key: key.to_owned(), passkey, registered_on: on, revoked: None }
    }
}

/// An access held over `[from, to)`, at a unit for staff and appraisers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRec {
    pub access: Access,
    pub unit: Option<UnitId>,
    pub from: Date,
    pub to: Option<Date>,
}

impl PersonRec {
    fn new(name: &str, title: &str) -> PersonRec {
        PersonRec {
            name: name.to_owned(),
            title: title.to_owned(),
            titles: Vec::new(),
            genesis: false,
            keys: Vec::new(),
            grants: Vec::new(),
        }
    }

    /// The title they bore on `day`: the latest to take effect by then (stream order among
    /// those of one day), else the one they were registered with.
    pub fn title_on(&self, day: Date) -> &str {
        let latest = self.titles.iter().filter(|t| t.on <= day).max_by_key(|t| (t.on, t.seq));
        latest.map_or(&self.title, |t| &t.value)
    }

    /// The title they bear on `day`, or, with no day, the latest they have been given.
    pub fn title_then(&self, day: Option<Date>) -> &str {
        match day {
            Some(day) => self.title_on(day),
            None => {
                self.titles.iter().max_by_key(|t| (t.on, t.seq)).map_or(&self.title, |t| &t.value)
            }
        }
    }
}

/// A person holding a role at a unit over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenureRec {
    pub unit: UnitId,
    pub person: PersonId,
    pub role: Role,
    pub from: Date,
    pub to: Option<Date>,
}

impl TenureRec {
    /// Whether the tenure covers `day`; the day they leave belongs to the successor.
    pub fn covers(&self, day: Date) -> bool {
        self.from <= day && self.to.is_none_or(|to| day < to)
    }

    /// The last day they held it; `None` while they still do.
    pub fn last_day(&self) -> Option<Date> {
        self.to.map(|to| Date(to.0 - chrono::Duration::days(1)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRec {
    pub unit: UnitId,
    pub year: u16,
    pub document_number: String,
    pub title: String,
}

/// A task's whole history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRec {
    pub title: String,
    /// The year of assignment: the year the task counts in.
    pub year: u16,
    pub assigned_on: Date,
    pub assigned_seq: u64,
    /// The due date given at assignment.
    pub due: Date,
    /// Deadline changes in stream order: the new due date, dated by the change.
    pub deadline_changes: Vec<Dated<Date>>,
    /// The unit the task belongs to: first the assigning unit, then every reassignment.
    pub units: Vec<Dated<UnitId>>,
    pub person: Option<PersonId>,
    pub completed: Option<Dated<()>>,
    pub cancelled: Option<Dated<()>>,
    /// The finding that opened it, for remediation tasks.
    pub finding: Option<FindingId>,
    /// The expected result (kết quả), one of the "5 rõ".
    pub target: String,
    /// The criterion the task serves, if it names one.
    pub criterion: Option<CriterionCode>,
    /// The leader who assigned it (the responsible one of the "5 rõ"); `None` for a finding's
    /// remediation task, which the finding opened.
    pub assigned_by: Option<PersonId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRec {
    pub unit: UnitId,
    pub recorded_on: Date,
    pub seq: u64,
    pub inspection_document: String,
    pub text: String,
    pub remediation_task: TaskId,
    pub remediation_due: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRec {
    pub unit: UnitId,
    /// The year of the document's date: the year the evidence counts in.
    pub year: u16,
    pub task: Option<TaskId>,
    pub criterion: Option<CriterionCode>,
    pub title: String,
    pub document_number: String,
    /// The date the document bears (ngày ban hành).
    pub document_date: Date,
    pub attached_on: Date,
    pub rejected_on: Option<Date>,
    /// Why an appraiser rejected it, with the first rejection.
    pub rejected_because: Option<String>,
    /// The day its content was erased under this id (personal data, on a legal basis): the
    /// record stays, the file is gone.
    pub erased_on: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkRec {
    pub source: String,
    pub criteria: Vec<Criterion>,
}

/// One score change as the event stated it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreChange {
    pub old: Option<Points>,
    pub new: Points,
    pub by: PersonId,
    /// Why, as the scorer wrote it (empty when they gave none): what an appraiser reads beside
    /// a self-assessment.
    pub reason: String,
    /// The documents the score rests on.
    pub evidence: Vec<EvidenceId>,
}

/// The score changes of one unit, year, criterion and stage, in stream order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreRec {
    pub changes: Vec<Dated<ScoreChange>>,
}

/// `(unit, year, criterion, stage)`.
pub type ScoreKey = (UnitId, u16, CriterionCode, Stage);

/// Everything the views are computed from. In the store it lives in redb tables; in unit tests
/// and inside one batch it lives here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    pub units: BTreeMap<UnitId, UnitRec>,
    pub people: BTreeMap<PersonId, PersonRec>,
    pub tenures: BTreeMap<TenureId, TenureRec>,
    pub plans: BTreeMap<PlanId, PlanRec>,
    pub tasks: BTreeMap<TaskId, TaskRec>,
    pub findings: BTreeMap<FindingId, FindingRec>,
    pub evidence: BTreeMap<EvidenceId, EvidenceRec>,
    pub frameworks: BTreeMap<(u16, UnitKind), FrameworkRec>,
    pub scores: BTreeMap<ScoreKey, ScoreRec>,
    /// `(parent, child)`: every parent a unit has had, its earlier ones included (a unit's
    /// [`UnitRec::was`] says when it was under which).
    pub children: BTreeSet<(UnitId, UnitId)>,
    /// The units added without a parent (the provinces).
    pub roots: BTreeSet<UnitId>,
    /// `(person, tenure)`.
    pub person_tenures: BTreeSet<(PersonId, TenureId)>,
    /// `(unit, tenure)`.
    pub unit_tenures: BTreeSet<(UnitId, TenureId)>,
    /// `(unit, person)`: who has been granted access at each unit.
    pub unit_grants: BTreeSet<(UnitId, PersonId)>,
    /// `(unit, year, task)`: every unit a task has ever belonged to.
    pub unit_tasks: BTreeSet<(UnitId, u16, TaskId)>,
    /// `(unit, task)`: the tasks open at each unit, so a unit that ends hands on its open tasks
    /// without reading every task it ever had (a national restructuring ends thousands).
    pub open_tasks: BTreeSet<(UnitId, TaskId)>,
    /// `(plan, task)`: the tasks assigned under each plan, wherever they are now.
    pub plan_tasks: BTreeSet<(PlanId, TaskId)>,
    /// `(unit, finding)`.
    pub unit_findings: BTreeSet<(UnitId, FindingId)>,
    /// `(unit, year, evidence)`.
    pub unit_evidence: BTreeSet<(UnitId, u16, EvidenceId)>,
    /// `(successor, predecessor)`: every unit that ended into another.
    pub successions: BTreeSet<(UnitId, UnitId)>,
    /// The last stream sequence applied (or skipped by an operator).
    pub applied_through: u64,
    /// How many events `apply` applied to this value. For a state built from the log's start,
    /// the number of events in the log up to `applied_through` (less operator skips), so
    /// applying one twice shows; for a batch, the batch's own, which the store adds to the count
    /// it keeps with the checkpoint.
    pub events_applied: u64,
}

/// Where [`apply_to`] finds the records an event changes in place. Everything else it writes
/// whole (a new unit, task, finding…), or only adds to (index entries, score changes), straight
/// into [`Records::state`], so nothing is read first.
///
/// [`State`] holds every record already. The store's batch holds only what the batch wrote, and
/// reads a record from redb the first time the batch asks for it: nothing lists in advance what
/// an event will touch.
pub trait Records {
    type Error;
    /// Where new records, index entries and score changes go.
    fn state(&mut self) -> &mut State;
    fn tenure(&mut self, id: &TenureId) -> Result<Option<&mut TenureRec>, Self::Error>;
    fn task(&mut self, id: &TaskId) -> Result<Option<&mut TaskRec>, Self::Error>;
    fn evidence(&mut self, id: &EvidenceId) -> Result<Option<&mut EvidenceRec>, Self::Error>;
    fn unit(&mut self, id: &UnitId) -> Result<Option<&mut UnitRec>, Self::Error>;
    fn person(&mut self, id: &PersonId) -> Result<Option<&mut PersonRec>, Self::Error>;
    /// The tasks open at `unit`, and every tenure held at it, by id.
    fn at_unit(&mut self, unit: &UnitId) -> Result<(Vec<TaskId>, Vec<TenureId>), Self::Error>;
    /// Takes `task` off the tasks open at `unit` (it was completed, cancelled or moved).
    fn close_at(&mut self, unit: &UnitId, task: &TaskId) -> Result<(), Self::Error>;
}

impl Records for State {
    type Error = std::convert::Infallible;
    fn state(&mut self) -> &mut State {
        self
    }
    fn tenure(&mut self, id: &TenureId) -> Result<Option<&mut TenureRec>, Self::Error> {
        Ok(self.tenures.get_mut(id))
    }
    fn task(&mut self, id: &TaskId) -> Result<Option<&mut TaskRec>, Self::Error> {
        Ok(self.tasks.get_mut(id))
    }
    fn evidence(&mut self, id: &EvidenceId) -> Result<Option<&mut EvidenceRec>, Self::Error> {
        Ok(self.evidence.get_mut(id))
    }
    fn unit(&mut self, id: &UnitId) -> Result<Option<&mut UnitRec>, Self::Error> {
        Ok(self.units.get_mut(id))
    }
    fn person(&mut self, id: &PersonId) -> Result<Option<&mut PersonRec>, Self::Error> {
        Ok(self.people.get_mut(id))
    }
    fn at_unit(&mut self, unit: &UnitId) -> Result<(Vec<TaskId>, Vec<TenureId>), Self::Error> {
        let here = |u: &UnitId| u == unit;
        let tasks =
            self.open_tasks.iter().filter(|(u, _)| here(u)).map(|(_, t)| t.clone()).collect();
        let tenures =
            self.unit_tenures.iter().filter(|(u, _)| here(u)).map(|(_, t)| t.clone()).collect();
        Ok((tasks, tenures))
    }
    fn close_at(&mut self, unit: &UnitId, task: &TaskId) -> Result<(), Self::Error> {
        self.open_tasks.remove(&(unit.clone(), task.clone()));
        Ok(())
    }
}

/// The business date of a record: its `occurred_at` as a Vietnam calendar date. `None` only for
/// an instant outside the calendar, which the consumer refuses before applying.
pub fn business_date(record: &Record) -> Option<Date> {
    record.envelope.occurred_at.vietnam_date()
}

/// The year of a date as the views count years.
fn year_of(date: Date) -> u16 {
    u16::try_from(date.year()).unwrap_or(0)
}

/// Applies one event at stream sequence `seq`. Pure and infallible: the deciding services
/// checked the event, and an event about a record the projection does not know (which a
/// correct log never holds) changes nothing but the checkpoint.
pub fn apply(state: &mut State, record: &Record, seq: u64) {
    let Ok(()) = apply_to(state, record, seq);
}

/// [`apply`] to records kept anywhere; fails only when reading one of them fails.
pub fn apply_to<R: Records>(records: &mut R, record: &Record, seq: u64) -> Result<(), R::Error> {
    // The consumer refuses records without a calendar date; the fallback keeps apply total.
    let on = business_date(record).unwrap_or(Date(chrono::NaiveDate::MIN));
    apply_event(records, &record.envelope.event, on, seq)?;
    let state = records.state();
    state.applied_through = seq;
    state.events_applied += 1;
    Ok(())
}

fn apply_event<R: Records>(
    records: &mut R,
    event: &Event,
    on: Date,
    seq: u64,
) -> Result<(), R::Error> {
    match event {
        Event::TenureEnded { tenure, to, .. } => {
            if let Some(rec) = records.tenure(tenure)? {
                rec.to = Some(*to);
            }
            return Ok(());
        }
        Event::TaskAssigned { .. }
        | Event::TaskReassigned { .. }
        | Event::DeadlineChanged { .. }
        | Event::TaskCompleted { .. }
        | Event::TaskCancelled { .. } => return apply_task(records, event, on, seq),
        Event::EvidenceRejected { evidence, reason, .. } => {
            if let Some(rec) = records.evidence(evidence)?.filter(|r| r.rejected_on.is_none()) {
                rec.rejected_on = Some(on);
                rec.rejected_because = Some(reason.clone());
            }
            return Ok(());
        }
        Event::EvidenceErased { evidence, others, .. } => {
            for id in std::iter::once(evidence).chain(others) {
                if let Some(rec) = records.evidence(id)?.filter(|r| r.erased_on.is_none()) {
                    rec.erased_on = Some(on);
                }
            }
            return Ok(());
        }
        Event::UnitEnded { .. } | Event::UnitRenamed { .. } | Event::UnitMoved { .. } => {
            return restructure(records, event, seq)
        }
        Event::PersonRetitled { person, title, effective } => {
            if let Some(rec) = records.person(person)? {
                rec.titles.push(Dated { on: *effective, seq, value: title.clone() });
            }
            return Ok(());
        }
        Event::KeyRegistered { .. }
        | Event::PasskeyEnrolled { .. }
        | Event::KeyRevoked { .. }
        | Event::AccessGranted { .. }
        | Event::AccessWithdrawn { .. } => return access(records, event, on, seq),
        _ => {}
    }
    let state = records.state();
    match event {
        Event::UnitAdded { unit, name, kind, parent }
        | Event::UnitFounded { unit, name, kind, parent, .. } => {
            let founded = match event {
                Event::UnitFounded { effective, .. } => Some(*effective),
                _ => None,
            };
            let rec = UnitRec {
                name: name.clone(),
                kind: *kind,
                parent: parent.clone(),
                ended: None,
                founded,
                was: Vec::new(),
            };
            state.units.insert(unit.clone(), rec);
            match parent {
                Some(parent) => state.children.insert((parent.clone(), unit.clone())),
                None => state.roots.insert(unit.clone()),
            };
        }
        Event::PersonRegistered { person, name, title } => {
            state.people.insert(person.clone(), PersonRec::new(name, title));
        }
        Event::Genesis { person, name, title, key, from } => {
            let rec = PersonRec {
                genesis: true,
                keys: vec![KeyRec::new(key, false, on)],
                grants: vec![GrantRec {
                    access: Access::Administrator,
                    unit: None,
                    from: *from,
                    to: None,
                }],
                ..PersonRec::new(name, title)
            };
            state.people.insert(person.clone(), rec);
        }

        Event::LeaderAppointed { tenure, unit, person, role, from } => {
            let rec = TenureRec {
                unit: unit.clone(),
                person: person.clone(),
                role: *role,
                from: *from,
                to: None,
            };
            state.tenures.insert(tenure.clone(), rec);
            state.person_tenures.insert((person.clone(), tenure.clone()));
            state.unit_tenures.insert((unit.clone(), tenure.clone()));
        }
        Event::PlanIssued { plan, unit, year, document_number, title } => {
            let rec = PlanRec {
                unit: unit.clone(),
                year: *year,
                document_number: document_number.clone(),
                title: title.clone(),
            };
            state.plans.insert(plan.clone(), rec);
        }
        Event::FindingRecorded { .. } | Event::FindingRecordedV2 { .. } => {
            apply_finding(state, event, on, seq)
        }
        Event::EvidenceAttached { .. } => apply_evidence(state, event, on),
        Event::FrameworkPublished { year, unit_kind, source, criteria } => {
            let rec = FrameworkRec { source: source.clone(), criteria: criteria.clone() };
            state.frameworks.insert((*year, *unit_kind), rec);
        }
        Event::ScoreChanged { unit, year, criterion, stage, old, new, by, reason, evidence } => {
            let key = (unit.clone(), *year, criterion.clone(), *stage);
            let change = ScoreChange {
                old: *old,
                new: *new,
                by: by.clone(),
                reason: reason.clone(),
                evidence: evidence.clone(),
            };
            state.scores.entry(key).or_default().changes.push(Dated { on, seq, value: change });
        }
        // Changed in place, above.
        Event::TenureEnded { .. }
        | Event::TaskAssigned { .. }
        | Event::TaskReassigned { .. }
        | Event::DeadlineChanged { .. }
        | Event::TaskCompleted { .. }
        | Event::TaskCancelled { .. }
        | Event::EvidenceRejected { .. }
        | Event::UnitEnded { .. }
        | Event::UnitRenamed { .. }
        | Event::UnitMoved { .. }
        | Event::PersonRetitled { .. }
        | Event::KeyRegistered { .. }
        | Event::PasskeyEnrolled { .. }
        | Event::KeyRevoked { .. }
        | Event::AccessGranted { .. }
        | Event::AccessWithdrawn { .. } => {}
        Event::EvidenceErased { .. } => {}
        Event::ProgressReported { .. }
        | Event::PeriodRolledUp { .. }
        | Event::EnrolmentOpened { .. } => {}
    }
    Ok(())
}

/// Keys and access: they change who may act, not what the views count, and the directory's
/// registers show them. The same rules as the services' [`reform_shared::directory::Directory`]:
/// a withdrawal ends the first open grant of that access at that unit.
fn access<R: Records>(records: &mut R, event: &Event, on: Date, seq: u64) -> Result<(), R::Error> {
    let person = match event {
        Event::KeyRegistered { person, .. }
        | Event::PasskeyEnrolled { person, .. }
        | Event::KeyRevoked { person, .. }
        | Event::AccessGranted { person, .. }
        | Event::AccessWithdrawn { person, .. } => person,
        _ => return Ok(()),
    };
    let granted_at = match event {
        Event::AccessGranted { unit: Some(unit), .. } => Some(unit.clone()),
        _ => None,
    };
    let Some(rec) = records.person(person)? else { return Ok(()) };
    match event {
        Event::KeyRegistered { key, .. } => rec.keys.push(KeyRec::new(key, false, on)),
        Event::PasskeyEnrolled { key, .. } => rec.keys.push(KeyRec::new(key, true, on)),
        Event::KeyRevoked { key, reason, .. } => {
            let open = rec.keys.iter_mut().find(|k| &k.key == key && k.revoked.is_none());
            if let Some(k) = open {
                k.revoked = Some(Dated { on, seq, value: reason.clone() });
            }
        }
        Event::AccessGranted { access, unit, from, .. } => {
            rec.grants.push(GrantRec {
                access: *access,
                unit: unit.clone(),
                from: *from,
                to: None,
            });
        }
        Event::AccessWithdrawn { access, unit, to, .. } => {
            let open = rec
                .grants
                .iter_mut()
                .find(|g| g.access == *access && &g.unit == unit && g.to.is_none());
            if let Some(g) = open {
                g.to = Some(*to);
            }
        }
        _ => {}
    }
    if let Some(unit) = granted_at {
        records.state().unit_grants.insert((unit, person.clone()));
    }
    Ok(())
}

fn new_task(title: &str, unit: &UnitId, due: Date, on: Date, seq: u64) -> TaskRec {
    TaskRec {
        title: title.to_owned(),
        year: year_of(on),
        assigned_on: on,
        assigned_seq: seq,
        due,
        deadline_changes: Vec::new(),
        units: vec![Dated { on, seq, value: unit.clone() }],
        person: None,
        completed: None,
        cancelled: None,
        finding: None,
        target: String::new(),
        criterion: None,
        assigned_by: None,
    }
}

fn apply_task<R: Records>(
    records: &mut R,
    event: &Event,
    on: Date,
    seq: u64,
) -> Result<(), R::Error> {
    match event {
        Event::TaskAssigned {
            task,
            unit,
            person,
            title,
            due,
            target,
            criterion,
            assigned_by,
            plan,
        } => {
            let mut rec = new_task(title, unit, *due, on, seq);
            rec.person = person.clone();
            rec.target = target.clone();
            rec.criterion = criterion.clone();
            rec.assigned_by = Some(assigned_by.clone());
            let state = records.state();
            state.unit_tasks.insert((unit.clone(), rec.year, task.clone()));
            state.open_tasks.insert((unit.clone(), task.clone()));
            if let Some(plan) = plan {
                state.plan_tasks.insert((plan.clone(), task.clone()));
            }
            state.tasks.insert(task.clone(), rec);
        }
        Event::TaskReassigned { task, unit, person, .. } => {
            if let Some(rec) = records.task(task)? {
                let open = rec.completed.is_none() && rec.cancelled.is_none();
                let from = rec.units.last().map(|u| u.value.clone());
                rec.units.push(Dated { on, seq, value: unit.clone() });
                rec.person = person.clone();
                let year = rec.year;
                if let Some(from) = from.filter(|_| open) {
                    records.close_at(&from, task)?;
                    records.state().open_tasks.insert((unit.clone(), task.clone()));
                }
                records.state().unit_tasks.insert((unit.clone(), year, task.clone()));
            }
        }
        Event::DeadlineChanged { task, new_due, .. } => {
            if let Some(rec) = records.task(task)? {
                rec.deadline_changes.push(Dated { on, seq, value: *new_due });
            }
        }
        Event::TaskCompleted { task, .. } | Event::TaskCancelled { task, .. } => {
            if let Some(rec) = records.task(task)? {
                let closed = if matches!(event, Event::TaskCompleted { .. }) {
                    &mut rec.completed
                } else {
                    &mut rec.cancelled
                };
                // The first completion (or cancellation) stands; a repeat cannot move the date.
                closed.get_or_insert(Dated { on, seq, value: () });
                if let Some(at) = rec.units.last().map(|u| u.value.clone()) {
                    records.close_at(&at, task)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// A change of the state's structure (docs/views.md "Restructuring"). A unit that ends hands
/// its tasks still open to its successor on the effective day, each keeping its history, and
/// its leaders' tenures end that day.
fn restructure<R: Records>(records: &mut R, event: &Event, seq: u64) -> Result<(), R::Error> {
    match event {
        Event::UnitEnded { unit, how, successor, effective, basis } => {
            let on = *effective;
            if let Some(rec) = records.unit(unit)? {
                rec.ended = Some(reform_shared::directory::Ended {
                    on,
                    how: *how,
                    successor: successor.clone(),
                    basis: basis.clone(),
                });
            }
            records.state().successions.insert((successor.clone(), unit.clone()));
            let (tasks, tenures) = records.at_unit(unit)?;
            for task in tasks {
                let Some(rec) = records.task(&task)? else { continue };
                let here = rec.units.last().is_some_and(|u| &u.value == unit);
                if !here || rec.completed.is_some() || rec.cancelled.is_some() {
                    continue;
                }
                rec.units.push(Dated { on, seq, value: successor.clone() });
                let year = rec.year;
                records.close_at(unit, &task)?;
                let state = records.state();
                state.open_tasks.insert((successor.clone(), task.clone()));
                state.unit_tasks.insert((successor.clone(), year, task));
            }
            for tenure in tenures {
                if let Some(rec) = records.tenure(&tenure)? {
                    rec.to = Some(rec.to.map_or(on, |to| to.min(on)));
                }
            }
        }
        Event::UnitRenamed { unit, name, effective, .. } => {
            if let Some(rec) = records.unit(unit)? {
                let until = *effective;
                rec.was.push(Was { until, name: rec.name.clone(), parent: rec.parent.clone() });
                rec.name = name.clone();
            }
        }
        Event::UnitMoved { unit, parent, effective, .. } => {
            let Some(rec) = records.unit(unit)? else { return Ok(()) };
            let until = *effective;
            rec.was.push(Was { until, name: rec.name.clone(), parent: rec.parent.clone() });
            rec.parent = Some(parent.clone());
            // The old parent's row stays: the unit was under it before the move, and a view
            // as true at an earlier day walks it (`UnitRec::parent_on` says when).
            records.state().children.insert((parent.clone(), unit.clone()));
        }
        _ => {}
    }
    Ok(())
}

fn apply_finding(state: &mut State, event: &Event, on: Date, seq: u64) {
    let (finding, unit, inspection_document, text, remediation_task, remediation_due) = match event
    {
        Event::FindingRecorded {
            finding,
            unit,
            inspection_document,
            text,
            remediation_task,
            remediation_due,
        }
        | Event::FindingRecordedV2 {
            finding,
            unit,
            inspection_document,
            text,
            remediation_task,
            remediation_due,
            ..
        } => (finding, unit, inspection_document, text, remediation_task, remediation_due),
        _ => return,
    };
    let rec = FindingRec {
        unit: unit.clone(),
        recorded_on: on,
        seq,
        inspection_document: inspection_document.clone(),
        text: text.clone(),
        remediation_task: remediation_task.clone(),
        remediation_due: *remediation_due,
    };
    state.findings.insert(finding.clone(), rec);
    state.unit_findings.insert((unit.clone(), finding.clone()));
    // The finding opens its remediation task: assigned on the finding's date.
    let mut task = new_task(text, unit, *remediation_due, on, seq);
    task.finding = Some(finding.clone());
    if let Event::FindingRecordedV2 { person, target, assigned_by, .. } = event {
        task.person = Some(person.clone());
        task.target = target.clone();
        task.assigned_by = Some(assigned_by.clone());
    }
    state.unit_tasks.insert((unit.clone(), task.year, remediation_task.clone()));
    state.open_tasks.insert((unit.clone(), remediation_task.clone()));
    state.tasks.insert(remediation_task.clone(), task);
}

fn apply_evidence(state: &mut State, event: &Event, on: Date) {
    if let Event::EvidenceAttached {
        evidence,
        unit,
        task,
        criterion,
        title,
        document_number,
        document_date,
        ..
    } = event
    {
        let rec = EvidenceRec {
            unit: unit.clone(),
            year: year_of(*document_date),
            task: task.clone(),
            criterion: criterion.clone(),
            title: title.clone(),
            document_number: document_number.clone(),
            document_date: *document_date,
            attached_on: on,
            rejected_on: None,
            rejected_because: None,
            erased_on: None,
        };
        state.unit_evidence.insert((unit.clone(), rec.year, evidence.clone()));
        state.evidence.insert(evidence.clone(), rec);
    }
}
