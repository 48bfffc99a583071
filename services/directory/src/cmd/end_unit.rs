//! `end-unit`: a unit stops (merged, split or dissolved) on its effective day; its successor
//! carries on and takes the tasks it left open. A unit with units still under it cannot end:
//! they are moved or ended first, so nothing is left under a unit that is gone.

use super::restructure::{check_basis, check_order, open_unit};
use crate::decide::Refusal;
use reform_shared::directory::Directory;
use reform_shared::event::{Ending, Event, LegalBasis};
use reform_shared::ids::UnitId;
use reform_shared::service::Context;
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndUnit {
    pub unit: UnitId,
    pub how: Ending,
    /// Who carries on: a unit of the same kind, for a merger or a split; any unit (its parent,
    /// say) for a dissolution.
    pub successor: UnitId,
    /// The first day without the unit.
    pub effective: Date,
    pub basis: LegalBasis,
}

impl EndUnit {
    pub fn decide(&self, d: &Directory, context: &Context) -> Result<Event, Refusal> {
        let EndUnit { unit, how, successor, effective, basis } = self;
        let ending = open_unit(d, unit)?;
        check_basis(unit, basis, *effective, context)?;
        check_order(ending, *effective)?;
        if successor == unit {
            return Err(Refusal::OwnSuccessor { unit: unit.clone() });
        }
        let next = open_unit(d, successor)?;
        if d.is_within(successor, unit) {
            return Err(Refusal::SuccessorBelow {
                unit: unit.clone(),
                successor: successor.clone(),
            });
        }
        if *how != Ending::Dissolved && next.kind != ending.kind {
            return Err(Refusal::SuccessorKind {
                unit: unit.clone(),
                kind: ending.kind.as_str(),
                successor: successor.clone(),
                successor_kind: next.kind.as_str(),
            });
        }
        let mut below = d.children(unit).into_iter().filter(|c| c.ended.is_none());
        if let Some(child) = below.next() {
            return Err(Refusal::UnitsRemainBelow {
                unit: unit.clone(),
                child: child.id.clone(),
                more: below.count(),
            });
        }
        Ok(Event::UnitEnded {
            unit: unit.clone(),
            how: *how,
            successor: successor.clone(),
            effective: *effective,
            basis: LegalBasis { document: basis.document.trim().to_owned(), date: basis.date },
        })
    }
}
