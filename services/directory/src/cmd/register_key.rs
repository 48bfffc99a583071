//! `register-key`: a person's public key (nkeys user key, `U…`); their signatures count from
//! now.

use crate::decide::Refusal;
use reform_shared::directory::Directory;
use reform_shared::event::Event;
use reform_shared::ids::PersonId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterKey {
    pub person: PersonId,
    pub key: String,
}

impl RegisterKey {
    /// A registered person, a public user key, and a key no one holds yet.
    pub fn decide(&self, d: &Directory) -> Result<Event, Refusal> {
        let RegisterKey { person, key } = self;
        if d.person(person).is_none() {
            return Err(Refusal::UnknownPerson { person: person.clone() });
        }
        check_key(key)?;
        if let Some(k) = d.keys.get(key) {
            return Err(Refusal::KeyExists { key: key.clone(), owner: k.person.clone() });
        }
        Ok(Event::KeyRegistered { person: person.clone(), key: key.clone() })
    }
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
