//! `rename-unit`: a unit bears a new name from its effective day.

use super::check_name;
use super::restructure::{check_basis, check_order, open_unit};
use crate::decide::Refusal;
use reform_shared::directory::Directory;
use reform_shared::event::{Event, LegalBasis};
use reform_shared::ids::UnitId;
use reform_shared::service::Context;
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameUnit {
    pub unit: UnitId,
    /// The new Vietnamese name with diacritics.
    pub name: String,
    pub effective: Date,
    pub basis: LegalBasis,
}

impl RenameUnit {
    pub fn decide(&self, d: &Directory, context: &Context) -> Result<Event, Refusal> {
        let RenameUnit { unit, name, effective, basis } = self;
        let current = open_unit(d, unit)?;
        check_basis(unit, basis, *effective, context)?;
        check_order(current, *effective)?;
        check_name("unit", unit.as_str(), "name", name)?;
        if current.name == name.trim() {
            return Err(Refusal::SameName { unit: unit.clone(), name: current.name.clone() });
        }
        Ok(Event::UnitRenamed {
            unit: unit.clone(),
            name: name.trim().to_owned(),
            effective: *effective,
            basis: LegalBasis { document: basis.document.trim().to_owned(), date: basis.date },
        })
    }
}
