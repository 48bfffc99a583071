//! `grant-access`: staff and appraiser at a unit, administrator and auditor everywhere, from a
//! date (the business date when absent).

use crate::decide::Refusal;
use reform_shared::directory::Directory;
use reform_shared::event::{Access, Event};
use reform_shared::ids::{PersonId, UnitId};
use reform_shared::service::Context;
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantAccess {
    pub person: PersonId,
    pub access: Access,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
}

impl GrantAccess {
    /// A registered person, a unit exactly when the access is held at one, and no grant of the
    /// same access there still open.
    pub fn decide(&self, d: &Directory, context: &Context) -> Result<Event, Refusal> {
        let GrantAccess { person, access, unit, from } = self;
        let from = from.unwrap_or(context.occurred_on);
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
        if let Some(g) = d.open_grant(person, *access, unit.as_ref()) {
            return Err(Refusal::AlreadyGranted {
                person: person.clone(),
                access: access.as_str(),
                at: unit.clone(),
                from: g.from.min(from),
            });
        }
        let (person, access, unit) = (person.clone(), *access, unit.clone());
        Ok(Event::AccessGranted { person, access, unit, from })
    }
}
