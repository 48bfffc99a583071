//! `add-unit`: a unit (sở, UBND huyện, phòng, …) under its parent.

use super::check_name;
use crate::decide::Refusal;
use reform_shared::directory::Directory;
use reform_shared::event::{Event, UnitKind};
use reform_shared::ids::UnitId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddUnit {
    pub unit: UnitId,
    /// The Vietnamese name with diacritics.
    pub name: String,
    pub kind: UnitKind,
    /// `None` only for a root unit such as the province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<UnitId>,
}

impl AddUnit {
    /// A new id, a name, and a parent that exists.
    pub fn decide(&self, d: &Directory) -> Result<Event, Refusal> {
        let AddUnit { unit, name, kind, parent } = self;
        if let Some(existing) = d.unit(unit) {
            return Err(Refusal::UnitExists { unit: unit.clone(), name: existing.name.clone() });
        }
        check_name("unit", unit.as_str(), "name", name)?;
        if let Some(p) = parent.as_ref().filter(|p| d.unit(p).is_none()) {
            return Err(Refusal::UnknownParent { unit: unit.clone(), parent: p.clone() });
        }
        Ok(Event::UnitAdded {
            unit: unit.clone(),
            name: name.trim().to_owned(),
            kind: *kind,
            parent: parent.clone(),
        })
    }
}
