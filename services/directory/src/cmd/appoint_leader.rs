//! `appoint-leader`: a person in a role at a unit from a date (the business date when absent).

use crate::decide::Refusal;
use reform_shared::directory::Directory;
use reform_shared::event::{Event, Role};
use reform_shared::ids::{PersonId, TenureId, UnitId};
use reform_shared::service::Context;
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppointLeader {
    pub tenure: TenureId,
    pub unit: UnitId,
    pub person: PersonId,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
}

impl AppointLeader {
    /// A new tenure id, a unit and a person that exist, and no other tenure of the role at the
    /// unit still open on `from`.
    pub fn decide(&self, d: &Directory, context: &Context) -> Result<Event, Refusal> {
        let AppointLeader { tenure, unit, person, role, from } = self;
        let from = from.unwrap_or(context.occurred_on);
        if let Some(t) = d.tenures.get(tenure) {
            return Err(Refusal::TenureExists {
                tenure: tenure.clone(),
                person: t.person.clone(),
                unit: t.unit.clone(),
            });
        }
        let Some(u) = d.unit(unit) else { return Err(Refusal::UnknownUnit { unit: unit.clone() }) };
        if let Some(e) = u.ended.as_ref().filter(|e| e.on <= from) {
            let (on, successor) = (e.on, e.successor.clone());
            return Err(Refusal::UnitEnded { unit: unit.clone(), on, successor });
        }
        if d.person(person).is_none() {
            return Err(Refusal::UnknownPerson { person: person.clone() });
        }
        // The new tenure runs from `from` with no end, so any tenure of the role that has not
        // ended by `from` overlaps it, including one that starts later.
        let clash = d.tenures_at(unit, *role).into_iter().find(|t| t.to.is_none_or(|to| to > from));
        if let Some(t) = clash {
            return Err(Refusal::Overlap {
                person: person.clone(),
                role: role.label_vi(),
                unit: format!("{} ({unit})", u.name),
                from,
                holder: t.person.clone(),
                held_from: t.from,
                held_until: t.to,
            });
        }
        Ok(Event::LeaderAppointed {
            tenure: tenure.clone(),
            unit: unit.clone(),
            person: person.clone(),
            role: *role,
            from,
        })
    }
}
