//! Deciding directory commands: a pure function of the directory, the command and the
//! context (who acts, on which business date).
//!
//! Who may change the directory is the access table's business ([`reform_shared::access`]):
//! administrators, checked by the runtime on the event decided here. The first administrator
//! comes from the operator's genesis step ([`crate::genesis`]), never from a command.

use crate::commands::Command;
use reform_shared::directory::{Directory, Tenure};
use reform_shared::envelope::Record;
use reform_shared::event::{Access, Event, Role};
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
    #[error("{key:?} is not a public user key (nkeys, 56 characters starting with U): {detail}")]
    BadKey { key: String, detail: String },
    #[error("key {key} is already registered for {owner}; a key belongs to one person, once")]
    KeyExists { key: String, owner: PersonId },
    #[error("key {key} is not registered for {person}")]
    UnknownKey { key: String, person: PersonId },
    #[error("key {key} of {person} is already revoked")]
    KeyAlreadyRevoked { key: String, person: PersonId },
    #[error("the reason is empty; say why the key is revoked")]
    EmptyReason,
    #[error("the {access} access is held at a unit: name it with --unit")]
    UnitNeeded { access: &'static str },
    #[error("the {access} access is held everywhere, not at a unit: leave out --unit")]
    NoUnitWanted { access: &'static str },
    #[error("{person} already holds the {access} access{at} since {from}")]
    AlreadyGranted { person: PersonId, access: &'static str, at: String, from: Date },
    #[error("{person} holds no {access} access{at} to withdraw")]
    NotGranted { person: PersonId, access: &'static str, at: String },
    #[error(
        "the {access} access of {person} began on {from}, so it can only end on a later day, \
         not on {to}"
    )]
    WithdrawNotAfterGrant { person: PersonId, access: &'static str, from: Date, to: Date },
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
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
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

    fn directory(&self) -> &Directory {
        &self.directory
    }

    fn apply(&mut self, record: &Record) {
        self.directory.apply(&record.envelope.event);
    }

    fn decide(&self, command: &Command, context: &Context) -> Result<Event, Refusal> {
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
                Ok(Event::TenureEnded {
                    tenure: tenure.clone(),
                    unit: t.unit.clone(),
                    person: t.person.clone(),
                    role: t.role,
                    to,
                })
            }
            Command::RegisterKey { person, key } => {
                register_key(d, person, key)?;
                Ok(Event::KeyRegistered { person: person.clone(), key: key.clone() })
            }
            Command::RevokeKey { person, key, reason } => {
                revoke_key(d, person, key, reason)?;
                let reason = reason.trim().to_owned();
                Ok(Event::KeyRevoked { person: person.clone(), key: key.clone(), reason })
            }
            Command::GrantAccess { person, access, unit, from } => {
                let from = from.unwrap_or(context.occurred_on);
                grant(d, person, *access, unit.as_ref(), from)?;
                let (person, access, unit) = (person.clone(), *access, unit.clone());
                Ok(Event::AccessGranted { person, access, unit, from })
            }
            Command::WithdrawAccess { person, access, unit, to } => {
                let to = to.unwrap_or(context.occurred_on);
                withdraw(d, person, *access, unit.as_ref(), to)?;
                let (person, access, unit) = (person.clone(), *access, unit.clone());
                Ok(Event::AccessWithdrawn { person, access, unit, to })
            }
        }
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

/// Checks that text is a public user key, as [`reform_shared::sign`] verifies them.
pub fn check_key(key: &str) -> Result<(), Refusal> {
    let bad = |detail: &str| Refusal::BadKey { key: key.to_owned(), detail: detail.to_owned() };
    if !key.starts_with('U') {
        return Err(bad(
            "a user key starts with U (a seed, starting with S, is secret: never send it)",
        ));
    }
    nkeys::KeyPair::from_public_key(key).map(|_| ()).map_err(|e| bad(&e.to_string()))
}

fn register_key(d: &Directory, person: &PersonId, key: &str) -> Result<(), Refusal> {
    if d.person(person).is_none() {
        return Err(Refusal::UnknownPerson { person: person.clone() });
    }
    check_key(key)?;
    match d.keys.get(key) {
        Some(k) => Err(Refusal::KeyExists { key: key.to_owned(), owner: k.person.clone() }),
        None => Ok(()),
    }
}

fn revoke_key(d: &Directory, person: &PersonId, key: &str, reason: &str) -> Result<(), Refusal> {
    let unknown = || Refusal::UnknownKey { key: key.to_owned(), person: person.clone() };
    let k = d.keys.get(key).filter(|k| &k.person == person).ok_or_else(unknown)?;
    if k.revoked.is_some() {
        return Err(Refusal::KeyAlreadyRevoked { key: key.to_owned(), person: person.clone() });
    }
    if reason.trim().is_empty() {
        return Err(Refusal::EmptyReason);
    }
    check_length(person.as_str(), "reason", reason)
}

/// " at <unit>" for a message, or nothing.
fn at(unit: Option<&UnitId>) -> String {
    unit.map_or_else(String::new, |u| format!(" at {u}"))
}

fn grant(
    d: &Directory,
    person: &PersonId,
    access: Access,
    unit: Option<&UnitId>,
    from: Date,
) -> Result<(), Refusal> {
    if d.person(person).is_none() {
        return Err(Refusal::UnknownPerson { person: person.clone() });
    }
    match (access.at_a_unit(), unit) {
        (true, None) => return Err(Refusal::UnitNeeded { access: access.as_str() }),
        (false, Some(_)) => return Err(Refusal::NoUnitWanted { access: access.as_str() }),
        (_, Some(u)) if d.unit(u).is_none() => {
            return Err(Refusal::UnknownUnit { unit: u.clone() })
        }
        _ => {}
    }
    match d.open_grant(person, access, unit) {
        Some(g) => Err(Refusal::AlreadyGranted {
            person: person.clone(),
            access: access.as_str(),
            at: at(unit),
            from: g.from.min(from),
        }),
        None => Ok(()),
    }
}

fn withdraw(
    d: &Directory,
    person: &PersonId,
    access: Access,
    unit: Option<&UnitId>,
    to: Date,
) -> Result<(), Refusal> {
    let Some(g) = d.open_grant(person, access, unit) else {
        return Err(Refusal::NotGranted {
            person: person.clone(),
            access: access.as_str(),
            at: at(unit),
        });
    };
    if to <= g.from {
        return Err(Refusal::WithdrawNotAfterGrant {
            person: person.clone(),
            access: access.as_str(),
            from: g.from,
            to,
        });
    }
    Ok(())
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
    fn keys_are_checked_unique_and_revoked_once() {
        let key = nkeys::KeyPair::new_user().public_key();
        let mut state = given(&[person("a")]);
        let register = |p: &str, k: &str| Command::RegisterKey { person: id(p), key: k.into() };
        let seed = nkeys::KeyPair::new_user().seed().expect("seed");
        assert!(matches!(
            when(&state, "a", "2016-01-01", register("a", &seed)),
            Err(Refusal::BadKey { .. })
        ));
        assert!(matches!(
            when(&state, "a", "2016-01-01", register("z", &key)),
            Err(Refusal::UnknownPerson { .. })
        ));
        let event = when(&state, "a", "2016-01-01", register("a", &key)).expect("registers");
        state.directory.apply(&event);
        assert!(matches!(
            when(&state, "a", "2016-01-01", register("a", &key)),
            Err(Refusal::KeyExists { .. })
        ));
        let revoke = |reason: &str| Command::RevokeKey {
            person: id("a"),
            key: key.clone(),
            reason: reason.into(),
        };
        assert!(matches!(when(&state, "a", "2016-01-01", revoke(" ")), Err(Refusal::EmptyReason)));
        state
            .directory
            .apply(&when(&state, "a", "2016-01-01", revoke("mất máy")).expect("revokes"));
        assert!(matches!(
            when(&state, "a", "2016-01-01", revoke("again")),
            Err(Refusal::KeyAlreadyRevoked { .. })
        ));
    }

    #[test]
    fn access_at_a_unit_names_its_unit_and_is_granted_once() {
        let mut state = given(&[person("a"), sgd()]);
        let grant = |access, unit: Option<&str>| Command::GrantAccess {
            person: id("a"),
            access,
            unit: unit.map(id),
            from: None,
        };
        assert!(matches!(
            when(&state, "a", "2016-01-01", grant(Access::Staff, None)),
            Err(Refusal::UnitNeeded { .. })
        ));
        assert!(matches!(
            when(&state, "a", "2016-01-01", grant(Access::Auditor, Some("sgd"))),
            Err(Refusal::NoUnitWanted { .. })
        ));
        let event =
            when(&state, "a", "2016-01-01", grant(Access::Staff, Some("sgd"))).expect("grants");
        state.directory.apply(&event);
        assert!(matches!(
            when(&state, "a", "2016-02-01", grant(Access::Staff, Some("sgd"))),
            Err(Refusal::AlreadyGranted { .. })
        ));
        let withdraw = |to: &str| Command::WithdrawAccess {
            person: id("a"),
            access: Access::Staff,
            unit: Some(id("sgd")),
            to: Some(date(to)),
        };
        assert!(matches!(
            when(&state, "a", "2016-01-01", withdraw("2016-01-01")),
            Err(Refusal::WithdrawNotAfterGrant { .. })
        ));
        state
            .directory
            .apply(&when(&state, "a", "2016-03-01", withdraw("2016-03-01")).expect("ends"));
        assert!(!state.directory.holds(
            &id("a"),
            Access::Staff,
            Some(&id("sgd")),
            date("2016-03-01")
        ));
        assert!(state.directory.holds(
            &id("a"),
            Access::Staff,
            Some(&id("sgd")),
            date("2016-02-28")
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
        state.directory.apply(&Event::TenureEnded {
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
