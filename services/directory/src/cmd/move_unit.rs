//! `move-unit`: a unit sits under another parent from its effective day (a commune moved from
//! its district to the province when the districts ended).

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
pub struct MoveUnit {
    pub unit: UnitId,
    pub parent: UnitId,
    pub effective: Date,
    pub basis: LegalBasis,
}

impl MoveUnit {
    pub fn decide(&self, d: &Directory, context: &Context) -> Result<Event, Refusal> {
        let MoveUnit { unit, parent, effective, basis } = self;
        let moving = open_unit(d, unit)?;
        check_basis(unit, basis, *effective, context)?;
        check_order(moving, *effective)?;
        let Some(current) = moving.parent.clone() else {
            return Err(Refusal::RootStays { unit: unit.clone() });
        };
        open_unit(d, parent)?;
        if &current == parent {
            return Err(Refusal::SameParent { unit: unit.clone(), parent: parent.clone() });
        }
        if d.is_within(parent, unit) {
            return Err(Refusal::UnderItself { unit: unit.clone(), parent: parent.clone() });
        }
        Ok(Event::UnitMoved {
            unit: unit.clone(),
            parent: parent.clone(),
            effective: *effective,
            basis: LegalBasis { document: basis.document.trim().to_owned(), date: basis.date },
        })
    }
}
