//! `register-person`: someone who can lead a unit, be assigned tasks or act on the system.

use super::{check_length, check_name};
use crate::decide::Refusal;
use reform_shared::directory::Directory;
use reform_shared::event::Event;
use reform_shared::ids::PersonId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterPerson {
    pub person: PersonId,
    pub name: String,
    /// Position as people say it, e.g. "Giám đốc Sở".
    #[serde(default)]
    pub title: String,
}

impl RegisterPerson {
    /// A new id and a name.
    pub fn decide(&self, d: &Directory) -> Result<Event, Refusal> {
        let RegisterPerson { person, name, title } = self;
        if let Some(existing) = d.person(person) {
            return Err(Refusal::PersonExists {
                person: person.clone(),
                name: existing.name.clone(),
            });
        }
        check_name("person", person.as_str(), "name", name)?;
        check_length(person.as_str(), "title", title)?;
        Ok(Event::PersonRegistered {
            person: person.clone(),
            name: name.trim().to_owned(),
            title: title.trim().to_owned(),
        })
    }
}
