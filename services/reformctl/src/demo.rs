//! The demo province: `demo/commands.jsonl`, written by `demo/generate.py` from the articles
//! `demo/README.md` lists. Each line is one request in the command services' own shape, in the
//! order they take them: this module only reads and sends, so the demo goes through the same
//! rules as anyone's input and never into the views directly.
//!
//! Every request carries a command id derived from what it is, so loading twice appends nothing
//! the second time: each command gets its first answer back.

use anyhow::Context as _;
use reform_directory::Command as DirectoryCommand;
use reform_evidence::client::Document;
use reform_shared::command::{Accepted, CommandError, Request};
use reform_shared::event::Role;
use reform_shared::ids::*;
use reform_shared::time::Date;
use serde::Deserialize;
use sha2::Digest as _;

/// The demo data, compiled in so `reformctl up` works from any directory.
pub const COMMANDS_JSONL: &str = include_str!("../../../demo/commands.jsonl");
/// The years the demo's scores and tasks fall in, whose reporting periods `up` closes.
pub const YEARS: [u16; 7] = [2014, 2015, 2016, 2021, 2022, 2023, 2025];

/// One line of the demo: a request, and the service that takes it.
#[derive(Debug, Deserialize)]
#[serde(tag = "service", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Item {
    Directory {
        label: String,
        request: Request<DirectoryCommand>,
    },
    Tasks {
        label: String,
        request: Request<reform_tasks::Command>,
    },
    Scoring {
        label: String,
        request: Request<reform_scoring::cmd::Command>,
    },
    /// The document's text is its file.
    Evidence {
        label: String,
        request: Request<Document>,
        content: String,
    },
    /// A restructuring map this build ships (`reform_directory::plan::SHIPPED`), recorded at
    /// this point on the units the demo has added so far. [`parse`] turns it into the
    /// directory's own commands, so the loader never sees it.
    Restructure {
        label: String,
        map: String,
    },
}

impl Item {
    /// What the item is, for an error about it.
    pub fn label(&self) -> &str {
        match self {
            Item::Directory { label, .. }
            | Item::Tasks { label, .. }
            | Item::Scoring { label, .. }
            | Item::Evidence { label, .. }
            | Item::Restructure { label, .. } => label,
        }
    }
}

/// The demo's requests, in the order they are sent.
#[derive(Debug)]
pub struct Demo {
    pub items: Vec<Item>,
}

impl Demo {
    /// The people the demo registers.
    pub fn people(&self) -> impl Iterator<Item = &PersonId> {
        self.items.iter().filter_map(|item| match item {
            Item::Directory { request, .. } => match &request.command {
                DirectoryCommand::RegisterPerson(p) => Some(&p.person),
                _ => None,
            },
            _ => None,
        })
    }

    /// The unit's head on a date, as the demo appoints them.
    pub fn head_on(&self, unit: &UnitId, on: Date) -> Option<&PersonId> {
        let directory = self.items.iter().filter_map(|item| match item {
            Item::Directory { request, .. } => Some(&request.command),
            _ => None,
        });
        let mut ends = std::collections::BTreeMap::new();
        let mut heads = Vec::new();
        for command in directory {
            match command {
                DirectoryCommand::AppointLeader(a) if &a.unit == unit && a.role == Role::Head => {
                    heads.push(a);
                }
                DirectoryCommand::EndTenure(e) => {
                    ends.insert(&e.tenure, e.to);
                }
                _ => {}
            }
        }
        heads
            .into_iter()
            .find(|a| {
                let end = ends.get(&a.tenure).copied().flatten();
                a.from.is_some_and(|from| from <= on) && end.is_none_or(|to| on < to)
            })
            .map(|a| &a.person)
    }
}

/// Parses the demo file, naming the line and the problem when one is not a request the loader
/// knows.
pub fn parse(text: &str) -> anyhow::Result<Demo> {
    let mut items = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let item: Item = serde_json::from_str(line)
            .with_context(|| format!("demo/commands.jsonl line {}: not a demo request", n + 1))?;
        let expected = command_id(item.label())?;
        let request_id = match &item {
            Item::Directory { request, .. } => &request.command_id,
            Item::Tasks { request, .. } => &request.command_id,
            Item::Scoring { request, .. } => &request.command_id,
            Item::Evidence { request, .. } => &request.command_id,
            Item::Restructure { label, map } => {
                let planned = restructuring(&items, label, map)
                    .with_context(|| format!("demo/commands.jsonl line {}", n + 1))?;
                items.extend(planned);
                continue;
            }
        };
        anyhow::ensure!(
            *request_id == expected,
            "demo/commands.jsonl line {}: command id {request_id} is not {expected}, the one its \
             label {:?} names, so a second load would not be recognised",
            n + 1,
            item.label()
        );
        items.push(item);
    }
    anyhow::ensure!(!items.is_empty(), "demo/commands.jsonl has no requests");
    Ok(Demo { items })
}

/// The directory commands that record the shipped `map` on the units `items` add, as
/// `reformctl unit restructure --file` would: the same plan, the same content-derived command
/// ids, sent by the administrator and dated the map's effective day.
fn restructuring(items: &[Item], label: &str, map: &str) -> anyhow::Result<Vec<Item>> {
    use reform_directory::plan::{plan, Map, SHIPPED};
    let (_, bytes) = SHIPPED
        .iter()
        .find(|(name, _)| *name == map)
        .with_context(|| format!("{label}: no restructuring map {map:?} ships with this build"))?;
    let map = Map::parse(bytes)?;
    let mut directory = reform_shared::directory::Directory::default();
    for item in items {
        if let Item::Directory { request, .. } = item {
            if let DirectoryCommand::AddUnit(u) = &request.command {
                directory.apply(&reform_shared::event::Event::UnitAdded {
                    unit: u.unit.clone(),
                    name: u.name.clone(),
                    kind: u.kind,
                    parent: u.parent.clone(),
                });
            }
        }
    }
    let actor = PersonId::new(ADMINISTRATOR.0.to_owned())?;
    plan(&directory, &map)
        .into_iter()
        .enumerate()
        .map(|(i, command)| {
            let request = Request {
                command_id: crate::restructure::id_of(&command)?,
                actor: actor.clone(),
                occurred_on: Some(map.effective),
                command,
            };
            Ok(Item::Directory { label: format!("{label}:{i}"), request })
        })
        .collect()
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
        for person in std::iter::once(&admin).chain(demo.people()) {
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

/// Loads the demo through the command services, each command signed by its person's key. A
/// person's key is no fact of the demo but each installation's own: it is registered right after
/// the person, by the same administrator.
pub async fn load(
    client: &async_nats::Client,
    demo: &Demo,
    keys: &DemoKeys,
    show_progress: bool,
) -> anyhow::Result<Loaded> {
    let bar = if show_progress {
        // Every request of the file, and a key for each person it registers.
        indicatif::ProgressBar::new((demo.items.len() + demo.people().count()) as u64)
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
    let mut count = |accepted: Accepted| {
        if accepted.duplicate {
            loaded.already += 1;
        } else {
            loaded.appended += 1;
        }
    };
    for item in &demo.items {
        let label = item.label();
        count(send(client, item, keys).await.with_context(|| format!("demo: {label}"))?);
        if let Some(request) = key_of(item, keys)? {
            let accepted = reform_directory::send(client, &request, keys.of(&request.actor)?)
                .await
                .with_context(|| format!("demo: the key of {label}"))?;
            count(accepted);
            bar.inc(1);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(loaded)
}

/// The registration of a person's key, for an item that registers the person.
fn key_of(item: &Item, keys: &DemoKeys) -> anyhow::Result<Option<Request<DirectoryCommand>>> {
    let Item::Directory { request, .. } = item else { return Ok(None) };
    let DirectoryCommand::RegisterPerson(p) = &request.command else { return Ok(None) };
    let command = DirectoryCommand::RegisterKey(reform_directory::cmd::RegisterKey {
        person: p.person.clone(),
        key: keys.of(&p.person)?.public_key(),
    });
    Ok(Some(Request {
        command_id: command_id(&format!("key:{}", p.person))?,
        actor: request.actor.clone(),
        occurred_on: None,
        command,
    }))
}

async fn send(
    client: &async_nats::Client,
    item: &Item,
    keys: &DemoKeys,
) -> anyhow::Result<Accepted> {
    let result: Result<Accepted, CommandError> = match item {
        Item::Directory { request, .. } => {
            reform_directory::send(client, request, keys.of(&request.actor)?).await
        }
        Item::Tasks { request, .. } => {
            reform_tasks::send(client, request, keys.of(&request.actor)?).await
        }
        Item::Scoring { request, .. } => {
            reform_scoring::client::send(client, request, keys.of(&request.actor)?).await
        }
        Item::Restructure { label, .. } => {
            anyhow::bail!("{label}: parse turns a restructuring into commands; it is never sent")
        }
        Item::Evidence { request, content, .. } => {
            let key = keys.of(&request.actor)?;
            return reform_evidence::client::attach(
                client,
                request.clone(),
                content.as_bytes(),
                key,
            )
            .await
            .map_err(Into::into);
        }
    };
    Ok(result?)
}

/// A command id that names the item, so a second load is recognised (`demo/generate.py`
/// derives the same).
fn command_id(label: &str) -> anyhow::Result<CommandId> {
    let digest = sha2::Sha256::digest(label.as_bytes());
    Ok(CommandId::new(format!("demo-{}", &hex::encode(digest)[..24]))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_file_parses_with_every_label_once() {
        let demo = parse(COMMANDS_JSONL).expect("demo parses");
        // The 2025 map's line becomes its plan: 3 provinces and 58 namesakes added, 61 units
        // merged into them, 11 districts dissolved, 3 communes moved up.
        let planned = demo.items.iter().filter(|i| i.label().starts_with("restructure:")).count();
        assert_eq!(planned, 61 + 61 + 11 + 3);
        assert_eq!(demo.items.len(), COMMANDS_JSONL.lines().count() - 1 + planned);
        let mut labels: Vec<&str> = demo.items.iter().map(Item::label).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), demo.items.len(), "two items share a label, so one would be lost");
        assert_eq!(demo.people().count(), 21);
    }

    #[test]
    fn a_map_this_build_does_not_ship_is_refused_naming_it() {
        let line =
            r#"{"service": "restructure", "label": "restructure:x", "map": "provinces-1976"}"#;
        let error = parse(line).expect_err("no such map");
        assert!(format!("{error:#}").contains("\"provinces-1976\""), "{error:#}");
    }

    #[test]
    fn a_line_that_is_no_request_is_refused_naming_the_line() {
        let good = COMMANDS_JSONL.lines().next().expect("a line");
        let unknown = good.replacen("\"service\": \"directory\"", "\"service\": \"mail\"", 1);
        let error = parse(&format!("{good}\n{unknown}\n")).expect_err("unknown service");
        assert!(format!("{error:#}").contains("line 2"), "{error:#}");
        let extra = good.replacen('{', "{\"extra\": 1, ", 1);
        assert!(parse(&extra).is_err(), "an unknown field is refused");
        let wrong_id = good.replacen("\"command_id\": \"demo-", "\"command_id\": \"demo-0", 1);
        let error = parse(&wrong_id).expect_err("an id the label does not name");
        assert!(format!("{error:#}").contains("names"), "{error:#}");
        assert!(parse("").is_err(), "an empty demo is refused");
    }

    #[test]
    fn the_head_on_a_date_follows_the_appointments_and_their_ends() {
        let demo = parse(COMMANDS_JSONL).expect("demo parses");
        let unit = UnitId::new("st-sgddt".to_owned()).expect("id");
        let day = |s: &str| s.parse::<Date>().expect("date");
        let first = demo.head_on(&unit, day("2016-07-31")).map(PersonId::as_str);
        let second = demo.head_on(&unit, day("2016-08-01")).map(PersonId::as_str);
        assert_eq!(first, Some("le-van-thanh"));
        assert!(second.is_some() && second != first, "{second:?}");
        assert_eq!(demo.head_on(&unit, day("2010-01-01")), None);
    }
}
