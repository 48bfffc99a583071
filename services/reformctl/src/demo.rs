//! The demo province: `demo/province.json` (built from the articles in the brief's seeds, see
//! `demo/README.md`), loaded through the command services like any other input, never written
//! into the views directly.
//!
//! Every item gets a command id derived from what it is, so loading twice appends nothing the
//! second time: each command gets its first answer back.

use anyhow::{bail, Context as _};
use reform_scoring::cmd;
use reform_shared::command::{Accepted, CommandError, Request};
use reform_shared::directory::Directory;
use reform_shared::event::{Access, Event, Role, Stage, UnitKind};
use reform_shared::ids::*;
use reform_shared::points::Points;
use reform_shared::time::Date;
use serde::Deserialize;
use sha2::Digest as _;

/// The demo data, compiled in so `reformctl up` works from any directory.
pub const PROVINCE_JSON: &str = include_str!("../../../demo/province.json");
/// The years the demo's scores and tasks fall in, whose reporting periods `up` closes.
pub const YEARS: [u16; 6] = [2014, 2015, 2016, 2021, 2022, 2023];

#[derive(Debug, Deserialize)]
pub struct Demo {
    pub units: Vec<Unit>,
    pub people: Vec<Person>,
    pub tenures: Vec<Tenure>,
    pub grants: Vec<Grant>,
    pub frameworks: Vec<Framework>,
    pub scores: Vec<Score>,
    pub plans: Vec<Plan>,
    pub tasks: Vec<Task>,
    pub findings: Vec<Finding>,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub name: String,
    pub kind: UnitKind,
    pub parent: Option<UnitId>,
}

#[derive(Debug, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub name: String,
    pub title: String,
}

#[derive(Debug, Deserialize)]
pub struct Tenure {
    pub id: TenureId,
    pub unit: UnitId,
    pub person: PersonId,
    pub role: Role,
    pub from: Date,
    pub to: Option<Date>,
}

#[derive(Debug, Deserialize)]
pub struct Grant {
    pub person: PersonId,
    pub access: Access,
    pub unit: UnitId,
    pub from: Date,
}

#[derive(Debug, Deserialize)]
pub struct Framework {
    pub year: u16,
    pub unit_kind: UnitKind,
    pub source: String,
    pub criteria: Vec<reform_scoring::cmd::CriterionSpec>,
}

#[derive(Debug, Deserialize)]
pub struct Score {
    pub unit: UnitId,
    pub year: u16,
    pub criterion: CriterionCode,
    pub stage: Stage,
    pub points: String,
    pub on: Date,
    pub by: PersonId,
    pub reason: String,
    pub evidence: Vec<EvidenceId>,
}

#[derive(Debug, Deserialize)]
pub struct Plan {
    pub id: PlanId,
    pub unit: UnitId,
    pub year: u16,
    pub document_number: String,
    pub title: String,
    pub on: Date,
    pub by: PersonId,
}

#[derive(Debug, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub unit: UnitId,
    pub person: Option<PersonId>,
    pub plan: Option<PlanId>,
    pub title: String,
    pub target: String,
    pub due: Date,
    pub criterion: Option<CriterionCode>,
    pub assigned_on: Date,
    pub assigned_by: PersonId,
    pub history: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case")]
pub enum Step {
    Progress { on: Date, percent: u16, note: String },
    Deadline { on: Date, new_due: Date, reason: String },
    Complete { on: Date, note: String },
    Cancel { on: Date, reason: String },
}

#[derive(Debug, Deserialize)]
pub struct Finding {
    pub id: FindingId,
    pub unit: UnitId,
    pub inspection_document: String,
    pub text: String,
    pub on: Date,
    pub remediation_task: TaskId,
    pub remediation_due: Date,
    pub by: PersonId,
}

#[derive(Debug, Deserialize)]
pub struct Evidence {
    pub id: EvidenceId,
    pub unit: UnitId,
    pub task: Option<TaskId>,
    pub criterion: Option<CriterionCode>,
    pub title: String,
    pub document_number: String,
    pub document_date: Date,
    pub media_type: String,
    pub content: String,
    pub on: Date,
    pub by: PersonId,
}

/// Parses the demo file, naming the problem when it is not what the loader expects.
pub fn parse(text: &str) -> anyhow::Result<Demo> {
    serde_json::from_str(text).context("demo/province.json does not match the loader's format")
}

/// One command of the demo, ready to send.
#[derive(Debug)]
enum Item {
    Directory(Request<reform_directory::Command>),
    Tasks(Request<reform_tasks::Command>),
    Scoring(Request<reform_scoring::cmd::Command>),
    Evidence(Request<reform_evidence::client::Document>, Vec<u8>),
}

/// What a load did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    pub appended: usize,
    pub already: usize,
}

/// The demo's administrator, instated by the genesis step before the demo loads; not one of the
/// demo file's people, because who keeps the system is no fact of the articles.
pub const ADMINISTRATOR: (&str, &str, &str) =
    ("quan-tri", "Quản trị hệ thống", "Quản trị viên hệ thống theo dõi CCHC");

/// The demo people's signing keys: one seed file per person in a directory of the data
/// directory, made on first use, so every demo command is signed like anyone's.
#[derive(Debug)]
pub struct DemoKeys {
    keys: std::collections::BTreeMap<PersonId, nkeys::KeyPair>,
}

impl DemoKeys {
    /// Reads (or makes) the key of the administrator and of every demo person under `dir`.
    pub fn ensure(dir: &std::path::Path, demo: &Demo) -> anyhow::Result<DemoKeys> {
        reform_shared::keyfile::owner_only_dir(dir)?;
        let admin = PersonId::new(ADMINISTRATOR.0.to_owned())?;
        let mut keys = std::collections::BTreeMap::new();
        for person in std::iter::once(&admin).chain(demo.people.iter().map(|p| &p.id)) {
            let path = dir.join(format!("{person}.nk"));
            if !path.exists() {
                reform_shared::keyfile::write(&path, &nkeys::KeyPair::new_user())?;
            }
            keys.insert(person.clone(), reform_shared::keyfile::read(&path)?);
        }
        Ok(DemoKeys { keys })
    }

    pub fn of(&self, person: &PersonId) -> anyhow::Result<&nkeys::KeyPair> {
        self.keys.get(person).with_context(|| format!("the demo has no key for {person}"))
    }

    pub fn administrator(&self) -> anyhow::Result<&nkeys::KeyPair> {
        self.of(&PersonId::new(ADMINISTRATOR.0.to_owned())?)
    }
}

/// The demo's administrator comes from the genesis step, as any installation's does; on a
/// later start it is already in the log and nothing is appended. The stream sequence and key
/// when it was recorded now.
pub async fn genesis(
    js: &async_nats::jetstream::Context,
    keys: &DemoKeys,
) -> anyhow::Result<Option<(u64, String)>> {
    use reform_directory::genesis::{self, Administrator, Genesis, GenesisError};
    let (person, name, title) = ADMINISTRATOR;
    let admin = Administrator {
        person: PersonId::new(person.to_owned())?,
        name: name.to_owned(),
        title: title.to_owned(),
    };
    let appender = reform_shared::append::Appender::new(js.clone()).await?;
    let today = Date::today_in_vietnam();
    match genesis::record(&appender, &admin, keys.administrator()?, today).await {
        Ok(Genesis::Recorded { sequence, key }) => Ok(Some((sequence, key))),
        Ok(Genesis::Already { .. }) | Err(GenesisError::AlreadyInstated) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Loads the demo through the command services, each command signed by its person's key.
pub async fn load(
    client: &async_nats::Client,
    demo: &Demo,
    keys: &DemoKeys,
    show_progress: bool,
) -> anyhow::Result<Loaded> {
    let items = plan(demo, keys)?;
    let bar = if show_progress {
        indicatif::ProgressBar::new(items.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "loading the demo province {bar:40} {pos}/{len} commands",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut loaded = Loaded::default();
    for (label, item) in items {
        let accepted = send(client, item, keys).await.with_context(|| format!("demo: {label}"))?;
        if accepted.duplicate {
            loaded.already += 1;
        } else {
            loaded.appended += 1;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(loaded)
}

async fn send(
    client: &async_nats::Client,
    item: Item,
    keys: &DemoKeys,
) -> anyhow::Result<Accepted> {
    let result: Result<Accepted, CommandError> = match item {
        Item::Directory(r) => reform_directory::send(client, &r, keys.of(&r.actor)?).await,
        Item::Tasks(r) => reform_tasks::send(client, &r, keys.of(&r.actor)?).await,
        Item::Scoring(r) => reform_scoring::client::send(client, &r, keys.of(&r.actor)?).await,
        Item::Evidence(r, bytes) => {
            let key = keys.of(&r.actor)?;
            return reform_evidence::client::attach(client, r, &bytes, key)
                .await
                .map_err(Into::into);
        }
    };
    Ok(result?)
}

/// A command id that names the item, so a second load is recognised.
fn command_id(key: &str) -> anyhow::Result<CommandId> {
    let digest = sha2::Sha256::digest(key.as_bytes());
    Ok(CommandId::new(format!("demo-{}", &hex::encode(digest)[..24]))?)
}

fn request<C>(
    key: &str,
    actor: &PersonId,
    on: Option<Date>,
    command: C,
) -> anyhow::Result<Request<C>> {
    Ok(Request { command_id: command_id(key)?, actor: actor.clone(), occurred_on: on, command })
}

/// Orders every item of the demo as the services need them: the directory first, frameworks,
/// then plans, tasks, findings and evidence in business-date order, scores last.
fn plan(demo: &Demo, keys: &DemoKeys) -> anyhow::Result<Vec<(String, Item)>> {
    if demo.people.is_empty() {
        bail!("the demo has no people");
    }
    let founder = PersonId::new(ADMINISTRATOR.0.to_owned())?;
    let mut out = directory_items(demo, &founder, keys)?;
    for f in &demo.frameworks {
        let command = reform_scoring::cmd::Command::PublishFramework(cmd::PublishFramework {
            year: f.year,
            unit_kind: f.unit_kind,
            source: f.source.clone(),
            criteria: f.criteria.clone(),
        });
        let key = format!("framework:{}:{}", f.year, f.unit_kind.as_str());
        out.push((key.clone(), Item::Scoring(request(&key, &founder, None, command)?)));
    }
    let mut dated = timeline(demo)?;
    // Stable: within a day, plans, then assignments, findings, evidence, then task steps.
    dated.sort_by_key(|(on, rank, _, _)| (*on, *rank));
    out.extend(dated.into_iter().map(|(_, _, label, item)| (label, item)));
    for (i, s) in demo.scores.iter().enumerate() {
        let points: Points = s.points.parse().with_context(|| format!("score {i}"))?;
        let command = reform_scoring::cmd::Command::RecordScore(cmd::RecordScore {
            unit: s.unit.clone(),
            year: s.year,
            criterion: s.criterion.clone(),
            stage: s.stage,
            points,
            reason: s.reason.clone(),
            evidence: s.evidence.clone(),
        });
        let key = format!("score:{i}:{}:{}:{}:{}", s.unit, s.year, s.criterion, s.stage.as_str());
        out.push((key.clone(), Item::Scoring(request(&key, &s.by, Some(s.on), command)?)));
    }
    Ok(out)
}

fn directory_items(
    demo: &Demo,
    founder: &PersonId,
    keys: &DemoKeys,
) -> anyhow::Result<Vec<(String, Item)>> {
    use reform_directory::Command as C;
    let mut out = Vec::new();
    // People and their keys first, all by the administrator the genesis step instated.
    for p in &demo.people {
        let key = format!("person:{}", p.id);
        let command = C::RegisterPerson(reform_directory::cmd::RegisterPerson {
            person: p.id.clone(),
            name: p.name.clone(),
            title: p.title.clone(),
        });
        out.push((key.clone(), Item::Directory(request(&key, founder, None, command)?)));
        let key = format!("key:{}", p.id);
        let public = keys.of(&p.id)?.public_key();
        let command = C::RegisterKey(reform_directory::cmd::RegisterKey {
            person: p.id.clone(),
            key: public,
        });
        out.push((key.clone(), Item::Directory(request(&key, founder, None, command)?)));
    }
    for u in &demo.units {
        let key = format!("unit:{}", u.id);
        let command = C::AddUnit(reform_directory::cmd::AddUnit {
            unit: u.id.clone(),
            name: u.name.clone(),
            kind: u.kind,
            parent: u.parent.clone(),
        });
        out.push((key.clone(), Item::Directory(request(&key, founder, None, command)?)));
    }
    for t in &demo.tenures {
        let key = format!("appoint:{}", t.id);
        let command = C::AppointLeader(reform_directory::cmd::AppointLeader {
            tenure: t.id.clone(),
            unit: t.unit.clone(),
            person: t.person.clone(),
            role: t.role,
            from: Some(t.from),
        });
        out.push((key.clone(), Item::Directory(request(&key, founder, Some(t.from), command)?)));
        if let Some(to) = t.to {
            let key = format!("end:{}", t.id);
            let command = C::EndTenure(reform_directory::cmd::EndTenure {
                tenure: t.id.clone(),
                to: Some(to),
            });
            out.push((key.clone(), Item::Directory(request(&key, founder, Some(to), command)?)));
        }
    }
    for g in &demo.grants {
        let key = format!("grant:{}:{}:{}", g.person, g.access.as_str(), g.unit);
        let command = C::GrantAccess(reform_directory::cmd::GrantAccess {
            person: g.person.clone(),
            access: g.access,
            unit: Some(g.unit.clone()),
            from: Some(g.from),
        });
        out.push((key.clone(), Item::Directory(request(&key, founder, None, command)?)));
    }
    Ok(out)
}

type Dated = (Date, u8, String, Item);

fn timeline(demo: &Demo) -> anyhow::Result<Vec<Dated>> {
    use reform_tasks::Command as T;
    let directory = directory_of(demo);
    let mut out: Vec<Dated> = Vec::new();
    for p in &demo.plans {
        let key = format!("plan:{}", p.id);
        let command = T::IssuePlan(reform_tasks::cmd::IssuePlan {
            plan: p.id.clone(),
            unit: p.unit.clone(),
            year: p.year,
            document_number: p.document_number.clone(),
            title: p.title.clone(),
        });
        out.push((p.on, 0, key.clone(), Item::Tasks(request(&key, &p.by, Some(p.on), command)?)));
    }
    for t in &demo.tasks {
        let key = format!("assign:{}", t.id);
        let command = T::AssignTask(reform_tasks::cmd::AssignTask {
            task: t.id.clone(),
            unit: Some(t.unit.clone()),
            person: t.person.clone(),
            plan: t.plan.clone(),
            title: t.title.clone(),
            target: t.target.clone(),
            due: Some(t.due),
            criterion: t.criterion.clone(),
        });
        let item = Item::Tasks(request(&key, &t.assigned_by, Some(t.assigned_on), command)?);
        out.push((t.assigned_on, 1, key, item));
        for (n, step) in t.history.iter().enumerate() {
            out.push(task_step(&directory, t, n, step)?);
        }
    }
    for f in &demo.findings {
        let key = format!("finding:{}", f.id);
        let command = T::RecordFinding(reform_tasks::cmd::RecordFinding {
            finding: f.id.clone(),
            unit: f.unit.clone(),
            inspection_document: f.inspection_document.clone(),
            text: f.text.clone(),
            remediation_task: f.remediation_task.clone(),
            remediation_due: f.remediation_due,
        });
        out.push((f.on, 2, key.clone(), Item::Tasks(request(&key, &f.by, Some(f.on), command)?)));
    }
    for e in &demo.evidence {
        let key = format!("evidence:{}", e.id);
        let document = reform_evidence::client::Document {
            evidence: e.id.clone(),
            unit: e.unit.clone(),
            task: e.task.clone(),
            criterion: e.criterion.clone(),
            title: e.title.clone(),
            document_number: e.document_number.clone(),
            document_date: e.document_date,
            media_type: e.media_type.clone(),
        };
        let item = Item::Evidence(
            request(&key, &e.by, Some(e.on), document)?,
            e.content.clone().into_bytes(),
        );
        out.push((e.on, 3, key, item));
    }
    Ok(out)
}

/// A step of a task's history. Progress and completion are reported by the task's person;
/// deadline changes and cancellations by the head in office above the task's unit that day.
fn task_step(directory: &Directory, t: &Task, n: usize, step: &Step) -> anyhow::Result<Dated> {
    use reform_tasks::Command as T;
    let key = format!("step:{}:{n}", t.id);
    let reporter = t.person.clone().unwrap_or_else(|| t.assigned_by.clone());
    let head = |on: Date| {
        directory
            .lineage(&t.unit)
            .iter()
            .find_map(|u| directory.holder(&u.id, Role::Head, on).map(|h| h.person.clone()))
            .with_context(|| format!("no head above {} on {on} for task {}", t.unit, t.id))
    };
    let (on, actor, command) = match step {
        Step::Progress { on, percent, note } => (
            *on,
            reporter,
            T::ReportProgress(reform_tasks::cmd::ReportProgress {
                task: t.id.clone(),
                percent: *percent,
                note: note.clone(),
            }),
        ),
        Step::Complete { on, note } => (
            *on,
            reporter,
            T::CompleteTask(reform_tasks::cmd::CompleteTask {
                task: t.id.clone(),
                note: note.clone(),
            }),
        ),
        Step::Deadline { on, new_due, reason } => (
            *on,
            head(*on)?,
            T::ChangeDeadline(reform_tasks::cmd::ChangeDeadline {
                task: t.id.clone(),
                due: *new_due,
                reason: reason.clone(),
            }),
        ),
        Step::Cancel { on, reason } => (
            *on,
            head(*on)?,
            T::CancelTask(reform_tasks::cmd::CancelTask {
                task: t.id.clone(),
                reason: reason.clone(),
            }),
        ),
    };
    Ok((on, 4, key.clone(), Item::Tasks(request(&key, &actor, Some(on), command)?)))
}

/// The demo's directory, to find who was in office when.
fn directory_of(demo: &Demo) -> Directory {
    let mut directory = Directory::default();
    for u in &demo.units {
        directory.apply(&Event::UnitAdded {
            unit: u.id.clone(),
            name: u.name.clone(),
            kind: u.kind,
            parent: u.parent.clone(),
        });
    }
    for t in &demo.tenures {
        directory.apply(&Event::LeaderAppointed {
            tenure: t.id.clone(),
            unit: t.unit.clone(),
            person: t.person.clone(),
            role: t.role,
            from: t.from,
        });
        if let Some(to) = t.to {
            directory.apply(&Event::TenureEnded {
                tenure: t.id.clone(),
                unit: t.unit.clone(),
                person: t.person.clone(),
                role: t.role,
                to,
            });
        }
    }
    directory
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_file_parses_and_plans_without_error() {
        let demo = parse(PROVINCE_JSON).expect("demo parses");
        let dir = tempfile::tempdir().expect("temp dir");
        let keys = DemoKeys::ensure(&dir.path().join("keys"), &demo).expect("keys");
        let items = plan(&demo, &keys).expect("demo plans");
        let expected = 2 * demo.people.len()
            + demo.grants.len()
            + demo.units.len()
            + demo.tenures.len()
            + demo.tenures.iter().filter(|t| t.to.is_some()).count()
            + demo.frameworks.len()
            + demo.plans.len()
            + demo.tasks.iter().map(|t| 1 + t.history.len()).sum::<usize>()
            + demo.findings.len()
            + demo.evidence.len()
            + demo.scores.len();
        assert_eq!(items.len(), expected);
        let mut ids: Vec<String> = items.iter().map(|(key, _)| key.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), expected, "two demo items share a key, so one would be lost");
    }
}
