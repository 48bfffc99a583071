//! Deciding directory commands: a pure function of the directory, the command and the
//! context (who acts, on which business date).
//!
//! Who may change the directory: any registered person. A new installation has nobody, so
//! the one exception (the bootstrap rule) is that while no person is registered, a person
//! may register *themself* (the request's actor is the person being registered). Everything
//! after that is recorded under a registered person's name, so the log always says who
//! shaped the directory.

use crate::commands::Command;
use reform_shared::directory::{Directory, Tenure};
use reform_shared::envelope::Record;
use reform_shared::event::{Event, Role};
use reform_shared::ids::{PersonId, TenureId, UnitId};
use reform_shared::service::{Context, Decider};
use reform_shared::time::Date;

/// The longest name or title we accept, in bytes: far above any real Vietnamese unit name
/// ("Trung tâm Phục vụ hành chính công tỉnh Sóc Trăng" is 60 bytes), far below a message.
pub const NAME_BYTES_MAX: usize = 512;

/// Why the directory service refuses a command. Each message names what it is about, so a
/// person can act on it without reading the request again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "{actor} is not a registered person, and only registered people may change the \
         directory (on a new installation, first register yourself with your own id)"
    )]
    NotRegistered { actor: PersonId },
    #[error("unit {unit} already exists ({name}); choose another id")]
    UnitExists { unit: UnitId, name: String },
    #[error("unit {unit} cannot be added under {parent}: there is no unit {parent}; add it first")]
    UnknownParent { unit: UnitId, parent: UnitId },
    #[error("there is no unit {unit}")]
    UnknownUnit { unit: UnitId },
    #[error("there is no registered person {person}")]
    UnknownPerson { person: PersonId },
    #[error("person {person} is already registered ({name})")]
    PersonExists { person: PersonId, name: String },
    #[error("the name of {what} {id} is empty; give its full name")]
    EmptyName { what: &'static str, id: String },
    #[error("the {field} of {id} is {bytes} bytes long, over the {NAME_BYTES_MAX} allowed")]
    TooLong { field: &'static str, id: String, bytes: usize },
    #[error("tenure {tenure} already exists ({person} at {unit}); choose another tenure id")]
    TenureExists { tenure: TenureId, person: PersonId, unit: UnitId },
    #[error(
        "{person} cannot be appointed {role} of {unit} from {from}: {holder} holds that role \
         {span}; end that tenure first"
    )]
    Overlap {
        person: PersonId,
        role: &'static str,
        /// The unit's name and id, e.g. "Sở GD&ĐT (sgd)".
        unit: String,
        from: Date,
        holder: PersonId,
        /// "from D until E" or "from D with no end date".
        span: String,
    },
    #[error("there is no tenure {tenure}")]
    UnknownTenure { tenure: TenureId },
    #[error("tenure {tenure} of {person} at {unit} already ended on {to}")]
    AlreadyEnded { tenure: TenureId, person: PersonId, unit: UnitId, to: Date },
    #[error(
        "tenure {tenure} of {person} at {unit} began on {from}, so it can only end on a later \
         day, not on {to}"
    )]
    EndNotAfterStart { tenure: TenureId, person: PersonId, unit: UnitId, from: Date, to: Date },
}

/// The directory service's state: the shared directory, applied from the log.
#[derive(Debug, Clone, Default)]
pub struct DirectoryState {
    pub directory: Directory,
}

impl Decider for DirectoryState {
    type Command = Command;
    type Refusal = Refusal;
    type Services = ();
    const NAME: &'static str = crate::NAME;
    const DESCRIPTION: &'static str =
        "Directory of the reform tracker: units, people and leader tenures";

    /// Directory rules read across aggregates (tenure ids are unique across units; the
    /// bootstrap rule depends on the directory being empty), and directory changes are rare,
    /// so they are decided one per batch round.
    fn batch_keys(&self, _event: &Event) -> Vec<String> {
        vec!["directory".to_owned()]
    }

    fn apply(&mut self, record: &Record) {
        self.directory.apply(&record.envelope.event);
    }

    fn decide(&self, command: &Command, context: &Context) -> Result<Event, Refusal> {
        may_act(&self.directory, command, &context.actor)?;
        let d = &self.directory;
        match command {
            Command::AddUnit { unit, name, kind, parent } => {
                add_unit(d, unit, name, parent.as_ref()).map(|()| Event::UnitAdded {
                    unit: unit.clone(),
                    name: name.trim().to_owned(),
                    kind: *kind,
                    parent: parent.clone(),
                })
            }
            Command::RegisterPerson { person, name, title } => register(d, person, name, title)
                .map(|()| Event::PersonRegistered {
                    person: person.clone(),
                    name: name.trim().to_owned(),
                    title: title.trim().to_owned(),
                }),
            Command::AppointLeader { tenure, unit, person, role, from } => {
                let from = from.unwrap_or(context.occurred_on);
                appoint(d, tenure, unit, person, *role, from)?;
                Ok(Event::LeaderAppointed {
                    tenure: tenure.clone(),
                    unit: unit.clone(),
                    person: person.clone(),
                    role: *role,
                    from,
                })
            }
            Command::EndTenure { tenure, to } => {
                let to = to.unwrap_or(context.occurred_on);
                let t = end(d, tenure, to)?;
                Ok(Event::LeaderLeft {
                    tenure: tenure.clone(),
                    unit: t.unit.clone(),
                    person: t.person.clone(),
                    role: t.role,
                    to,
                })
            }
        }
    }
}

/// The bootstrap rule (see the module doc).
fn may_act(d: &Directory, command: &Command, actor: &PersonId) -> Result<(), Refusal> {
    let registers_self =
        matches!(command, Command::RegisterPerson { person, .. } if person == actor);
    if d.person(actor).is_some() || (d.people.is_empty() && registers_self) {
        Ok(())
    } else {
        Err(Refusal::NotRegistered { actor: actor.clone() })
    }
}

fn add_unit(
    d: &Directory,
    unit: &UnitId,
    name: &str,
    parent: Option<&UnitId>,
) -> Result<(), Refusal> {
    if let Some(existing) = d.unit(unit) {
        return Err(Refusal::UnitExists { unit: unit.clone(), name: existing.name.clone() });
    }
    check_name("unit", unit.as_str(), "name", name)?;
    match parent {
        Some(p) if d.unit(p).is_none() => {
            Err(Refusal::UnknownParent { unit: unit.clone(), parent: p.clone() })
        }
        _ => Ok(()),
    }
}

fn register(d: &Directory, person: &PersonId, name: &str, title: &str) -> Result<(), Refusal> {
    if let Some(existing) = d.person(person) {
        return Err(Refusal::PersonExists { person: person.clone(), name: existing.name.clone() });
    }
    check_name("person", person.as_str(), "name", name)?;
    check_length(person.as_str(), "title", title)
}

fn appoint(
    d: &Directory,
    tenure: &TenureId,
    unit: &UnitId,
    person: &PersonId,
    role: Role,
    from: Date,
) -> Result<(), Refusal> {
    if let Some(t) = d.tenures.get(tenure) {
        return Err(Refusal::TenureExists {
            tenure: tenure.clone(),
            person: t.person.clone(),
            unit: t.unit.clone(),
        });
    }
    let Some(u) = d.unit(unit) else { return Err(Refusal::UnknownUnit { unit: unit.clone() }) };
    if d.person(person).is_none() {
        return Err(Refusal::UnknownPerson { person: person.clone() });
    }
    // The new tenure runs from `from` with no end, so any tenure of the role that has not
    // ended by `from` overlaps it, including one that starts later.
    let clash = d.tenures_at(unit, role).into_iter().find(|t| t.to.is_none_or(|to| to > from));
    match clash {
        None => Ok(()),
        Some(t) => Err(Refusal::Overlap {
            person: person.clone(),
            role: role.label_vi(),
            unit: format!("{} ({unit})", u.name),
            from,
            holder: t.person.clone(),
            span: match t.to {
                Some(to) => format!("from {} until {to}", t.from),
                None => format!("from {} with no end date", t.from),
            },
        }),
    }
}

fn end<'d>(d: &'d Directory, tenure: &TenureId, to: Date) -> Result<&'d Tenure, Refusal> {
    let Some(t) = d.tenures.get(tenure) else {
        return Err(Refusal::UnknownTenure { tenure: tenure.clone() });
    };
    if let Some(ended) = t.to {
        return Err(Refusal::AlreadyEnded {
            tenure: tenure.clone(),
            person: t.person.clone(),
            unit: t.unit.clone(),
            to: ended,
        });
    }
    if to <= t.from {
        return Err(Refusal::EndNotAfterStart {
            tenure: tenure.clone(),
            person: t.person.clone(),
            unit: t.unit.clone(),
            from: t.from,
            to,
        });
    }
    Ok(t)
}

fn check_name(
    what: &'static str,
    id: &str,
    field: &'static str,
    text: &str,
) -> Result<(), Refusal> {
    if text.trim().is_empty() {
        return Err(Refusal::EmptyName { what, id: id.to_owned() });
    }
    check_length(id, field, text)
}

fn check_length(id: &str, field: &'static str, text: &str) -> Result<(), Refusal> {
    if text.len() > NAME_BYTES_MAX {
        return Err(Refusal::TooLong { field, id: id.to_owned(), bytes: text.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Given these events, when this command, then this event or this refusal.
    use super::*;
    use reform_shared::event::UnitKind;
    use reform_shared::ids::CommandId;
    use reform_shared::testkit::{date, id};
    use reform_shared::time::Timestamp;

    fn given(events: &[Event]) -> DirectoryState {
        let mut state = DirectoryState::default();
        events.iter().for_each(|e| state.directory.apply(e));
        state
    }

    fn when(
        state: &DirectoryState,
        actor: &str,
        on: &str,
        command: Command,
    ) -> Result<Event, Refusal> {
        let at = Timestamp::at_vietnam_noon(date(on));
        let context = Context {
            command_id: id::<CommandId>("c1"),
            actor: id(actor),
            occurred_at: at,
            occurred_on: date(on),
            recorded_at: at,
        };
        state.decide(&command, &context)
    }

    fn person(p: &str) -> Event {
        Event::PersonRegistered { person: id(p), name: format!("Ông {p}"), title: String::new() }
    }

    fn sgd() -> Event {
        Event::UnitAdded {
            unit: id("sgd"),
            name: "Sở GD&ĐT".into(),
            kind: UnitKind::Department,
            parent: None,
        }
    }

    #[test]
    fn the_first_person_registers_themself_and_nobody_else_may_act_unregistered() {
        let empty = given(&[]);
        let me =
            Command::RegisterPerson { person: id("a"), name: "A".into(), title: String::new() };
        assert!(when(&empty, "a", "2016-01-01", me.clone()).is_ok());
        assert!(matches!(when(&empty, "b", "2016-01-01", me), Err(Refusal::NotRegistered { .. })));
        let started = given(&[person("a")]);
        let other =
            Command::RegisterPerson { person: id("z"), name: "Z".into(), title: String::new() };
        assert!(matches!(
            when(&started, "z", "2016-01-01", other),
            Err(Refusal::NotRegistered { .. })
        ));
    }

    #[test]
    fn an_appointment_overlapping_an_open_tenure_is_refused_and_one_after_its_end_accepted() {
        let head = |t: &str, p: &str, from: Option<&str>| Command::AppointLeader {
            tenure: id(t),
            unit: id("sgd"),
            person: id(p),
            role: Role::Head,
            from: from.map(date),
        };
        let mut state = given(&[person("a"), person("b"), sgd()]);
        let first = when(&state, "a", "2016-01-01", head("t-a", "a", None)).expect("first head");
        state.directory.apply(&first);
        let refusal = when(&state, "a", "2016-07-01", head("t-b", "b", None)).expect_err("overlap");
        assert!(
            refusal.to_string().contains("sgd") && refusal.to_string().contains(" a "),
            "{refusal}"
        );
        state.directory.apply(&Event::LeaderLeft {
            tenure: id("t-a"),
            unit: id("sgd"),
            person: id("a"),
            role: Role::Head,
            to: date("2016-07-01"),
        });
        assert!(when(&state, "a", "2016-07-01", head("t-b", "b", Some("2016-07-01"))).is_ok());
        let early = when(&state, "a", "2016-07-01", head("t-c", "b", Some("2016-06-30")));
        assert!(matches!(early, Err(Refusal::Overlap { .. })));
    }

    #[test]
    fn a_tenure_ends_only_after_it_began() {
        let mut state = given(&[person("a"), sgd()]);
        state.directory.apply(&Event::LeaderAppointed {
            tenure: id("t-a"),
            unit: id("sgd"),
            person: id("a"),
            role: Role::Head,
            from: date("2016-01-01"),
        });
        let end = |to: &str| Command::EndTenure { tenure: id("t-a"), to: Some(date(to)) };
        assert!(matches!(
            when(&state, "a", "2016-01-01", end("2016-01-01")),
            Err(Refusal::EndNotAfterStart { .. })
        ));
        assert!(when(&state, "a", "2016-01-01", end("2016-01-02")).is_ok());
    }
}
