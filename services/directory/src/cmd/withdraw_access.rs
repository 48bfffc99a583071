//! `withdraw-access`: `to` (the business date when absent) is the first day without it.

use crate::decide::Refusal;
use reform_shared::directory::Directory;
use reform_shared::event::{Access, Event};
use reform_shared::ids::{PersonId, UnitId};
use reform_shared::service::Context;
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawAccess {
    pub person: PersonId,
    pub access: Access,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
}

impl WithdrawAccess {
    /// An open grant of the access there, which began before `to`.
    pub fn decide(&self, d: &Directory, context: &Context) -> Result<Event, Refusal> {
        let WithdrawAccess { person, access, unit, to } = self;
        let to = to.unwrap_or(context.occurred_on);
        let Some(g) = d.open_grant(person, *access, unit.as_ref()) else {
            return Err(Refusal::NotGranted {
                person: person.clone(),
                access: access.as_str(),
                at: unit.clone(),
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
        let (person, access, unit) = (person.clone(), *access, unit.clone());
        Ok(Event::AccessWithdrawn { person, access, unit, to })
    }
}
