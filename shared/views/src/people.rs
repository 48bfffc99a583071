//! The people's registers: one person's entry (who they are, where they led, what they may do,
//! the keys that sign for them) and the list of everyone. Pure, over a [`State`].
//!
//! Keys and access are here because the log already shows them to every reader of it: a public
//! key is public by nature, and who may appraise a unit is part of the public record of an
//! administration. What a service decides with (the directory it applies) is the same events
//! applied by the same rules.

use crate::model::State;
use crate::registers::name_in_province;
use crate::views::QueryError;
use reform_shared::event::{Access, Role};
use reform_shared::ids::{PersonId, TenureId, UnitId};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

/// One person as the directory knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonEntry {
    pub person: PersonId,
    pub name: String,
    /// The latest title they have been given.
    pub title: String,
    /// Recorded by the genesis step as the first administrator.
    pub administrator_from_genesis: bool,
    /// By start date, then tenure id.
    pub tenures: Vec<EntryTenure>,
    /// In the order granted.
    pub access: Vec<EntryAccess>,
    /// In the order registered.
    pub keys: Vec<EntryKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryTenure {
    /// What `reformctl leader end` names.
    pub tenure: TenureId,
    pub unit: UnitId,
    /// The unit's name, with its province's after it.
    pub unit_name: String,
    pub role: Role,
    pub from: Date,
    /// The first day they no longer held it; `None` while they do.
    pub to: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryAccess {
    pub access: Access,
    /// Where, for staff and appraisers.
    pub unit: Option<UnitId>,
    pub unit_name: Option<String>,
    pub from: Date,
    /// The first day it is no longer held; `None` while it is.
    pub to: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryKey {
    /// The public key's text (`U…` for an nkeys key, `webauthn:…` for a passkey).
    pub key: String,
    pub passkey: bool,
    pub registered_on: Date,
    /// Why it was revoked; `None` while it signs.
    pub revoked: Option<String>,
    pub revoked_on: Option<Date>,
}

/// `person`'s entry.
pub fn person_entry(state: &State, person: &PersonId) -> Result<PersonEntry, QueryError> {
    let p = state.people.get(person).ok_or_else(|| QueryError::UnknownPerson(person.clone()))?;
    let mut tenures: Vec<EntryTenure> = state
        .tenures
        .iter()
        .filter(|(_, t)| &t.person == person)
        .map(|(id, t)| EntryTenure {
            tenure: id.clone(),
            unit: t.unit.clone(),
            unit_name: name_in_province(state, &t.unit),
            role: t.role,
            from: t.from,
            to: t.to,
        })
        .collect();
    tenures.sort_by(|a, b| (a.from, &a.tenure).cmp(&(b.from, &b.tenure)));
    let access = p
        .grants
        .iter()
        .map(|g| EntryAccess {
            access: g.access,
            unit: g.unit.clone(),
            unit_name: g.unit.as_ref().map(|u| name_in_province(state, u)),
            from: g.from,
            to: g.to,
        })
        .collect();
    let keys = p
        .keys
        .iter()
        .map(|k| EntryKey {
            key: k.key.clone(),
            passkey: k.passkey,
            registered_on: k.registered_on,
            revoked: k.revoked.as_ref().map(|r| r.value.clone()),
            revoked_on: k.revoked.as_ref().map(|r| r.on),
        })
        .collect();
    Ok(PersonEntry {
        person: person.clone(),
        name: p.name.clone(),
        title: p.title_then(None).to_owned(),
        administrator_from_genesis: p.genesis,
        tenures,
        access,
        keys,
    })
}

/// Everyone the directory knows, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct People {
    pub people: Vec<PersonLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonLine {
    pub person: PersonId,
    pub name: String,
    /// The latest title they have been given.
    pub title: String,
}

/// Every person in `state`.
pub fn people(state: &State) -> People {
    let line = |(id, p): (&PersonId, &crate::model::PersonRec)| PersonLine {
        person: id.clone(),
        name: p.name.clone(),
        title: p.title_then(None).to_owned(),
    };
    People { people: state.people.iter().map(line).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views_tests::project;
    use reform_shared::event::{Event, UnitKind};
    use reform_shared::testkit::events::*;
    use reform_shared::testkit::{date, id, key_of};

    /// Keys and access follow the services' rules: a revocation ends that key only, a
    /// withdrawal the open grant of that access at that unit only.
    #[test]
    fn a_persons_entry_holds_their_keys_and_access_as_the_directory_decides_them() {
        let withdraw = |unit: &str, to: &str| Event::AccessWithdrawn {
            person: id("hoa"),
            access: Access::Staff,
            unit: Some(id(unit)),
            to: date(to),
        };
        let state = project(&[
            ("2016-01-01", genesis("admin")),
            ("2016-01-01", unit("st", "Tỉnh Sóc Trăng", UnitKind::Province, None)),
            ("2016-01-01", unit("sgd", "Sở Giáo dục", UnitKind::Department, Some("st"))),
            ("2016-01-01", unit("snv", "Sở Nội vụ", UnitKind::Department, Some("st"))),
            ("2016-01-01", person("hoa", "Trần Thị Hoa", "Chuyên viên")),
            ("2016-01-02", key("hoa")),
            ("2016-01-02", grant("hoa", Access::Staff, Some("sgd"))),
            ("2016-01-02", grant("hoa", Access::Staff, Some("snv"))),
            ("2016-02-01", withdraw("snv", "2016-02-01")),
            ("2016-02-02", withdraw("snv", "2016-02-02")),
            (
                "2016-03-01",
                Event::KeyRevoked {
                    person: id("hoa"),
                    key: key_of("hoa").public_key(),
                    reason: "mất máy".into(),
                },
            ),
        ]);
        let hoa = person_entry(&state, &id("hoa")).expect("known");
        let ends: Vec<(Option<&str>, Option<Date>)> =
            hoa.access.iter().map(|a| (a.unit_name.as_deref(), a.to)).collect();
        assert_eq!(
            ends,
            [
                (Some("Sở Giáo dục, Tỉnh Sóc Trăng"), None),
                (Some("Sở Nội vụ, Tỉnh Sóc Trăng"), Some(date("2016-02-01"))),
            ],
            "the second withdrawal finds no open grant and changes nothing"
        );
        assert_eq!(hoa.keys.len(), 1);
        assert_eq!(hoa.keys[0].revoked.as_deref(), Some("mất máy"));
        assert_eq!(hoa.keys[0].revoked_on, Some(date("2016-03-01")));
        assert!(!hoa.administrator_from_genesis);
        let admin = person_entry(&state, &id("admin")).expect("known");
        assert!(admin.administrator_from_genesis);
        assert_eq!(admin.access[0].access, Access::Administrator);
        assert_eq!(admin.keys[0].key, key_of("admin").public_key());
        assert_eq!(state.unit_grants.len(), 2, "both units index hoa");
        assert!(matches!(person_entry(&state, &id("nobody")), Err(QueryError::UnknownPerson(_))));
        let everyone: Vec<String> = people(&state).people.into_iter().map(|p| p.name).collect();
        assert_eq!(everyone, ["Quản trị admin", "Trần Thị Hoa"]);
    }
}
