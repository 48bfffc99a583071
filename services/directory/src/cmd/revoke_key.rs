//! `revoke-key`: signatures with the key are refused from now on.

use super::check_length;
use crate::decide::Refusal;
use reform_shared::directory::Directory;
use reform_shared::event::Event;
use reform_shared::ids::PersonId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeKey {
    pub person: PersonId,
    pub key: String,
    pub reason: String,
}

impl RevokeKey {
    /// The person's key, not revoked yet, and a reason.
    pub fn decide(&self, d: &Directory) -> Result<Event, Refusal> {
        let RevokeKey { person, key, reason } = self;
        let unknown = || Refusal::UnknownKey { key: key.clone(), person: person.clone() };
        let k = d.keys.get(key).filter(|k| &k.person == person).ok_or_else(unknown)?;
        if k.revoked.is_some() {
            return Err(Refusal::KeyAlreadyRevoked { key: key.clone(), person: person.clone() });
        }
        if reason.trim().is_empty() {
            return Err(Refusal::EmptyReason);
        }
        check_length(person.as_str(), "reason", reason)?;
        let reason = reason.trim().to_owned();
        Ok(Event::KeyRevoked { person: person.clone(), key: key.clone(), reason })
    }
}
