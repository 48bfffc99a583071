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
        // Nothing new goes under a unit that is gone.
        if let Some(p) = parent.as_ref().and_then(|p| d.unit(p)) {
            if let Some(e) = &p.ended {
                let (on, successor) = (e.on, e.successor.clone());
                return Err(Refusal::UnitEnded { unit: p.id.clone(), on, successor });
            }
        }
        if let Some(p) = parent {
            // The parent and the units above it: a new unit one level further down must stay
            // within the depth every walk of the tree reaches.
            let above = d.lineage(p);
            if above.len() > reform_shared::tree::UNIT_DEPTH_MAX {
                let root = above.last().map_or_else(|| p.clone(), |u| u.id.clone());
                let levels = above.len() - 1;
                return Err(Refusal::TooDeep {
                    unit: unit.clone(),
                    parent: p.clone(),
                    root,
                    levels,
                });
            }
        }
        Ok(Event::UnitAdded {
            unit: unit.clone(),
            name: name.trim().to_owned(),
            kind: *kind,
            parent: parent.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reform_shared::testkit::id;
    use reform_shared::tree::UNIT_DEPTH_MAX;

    fn add(unit: &str, parent: Option<&str>) -> AddUnit {
        AddUnit {
            unit: id(unit),
            name: format!("Đơn vị {unit}"),
            kind: UnitKind::Division,
            parent: parent.map(id),
        }
    }

    #[test]
    fn a_unit_deeper_than_every_walk_reaches_is_refused() {
        let mut d = Directory::default();
        // u0, the root, and u1 … u16 below it: 16 levels, the most.
        for level in 0..=UNIT_DEPTH_MAX {
            let parent = level.checked_sub(1).map(|p| format!("u{p}"));
            let event = add(&format!("u{level}"), parent.as_deref()).decide(&d).expect("within");
            d.apply(&event);
        }
        let deepest = format!("u{UNIT_DEPTH_MAX}");
        let refusal = add("too-deep", Some(&deepest)).decide(&d).expect_err("one level too many");
        assert_eq!(
            refusal,
            Refusal::TooDeep {
                unit: id("too-deep"),
                parent: id(&deepest),
                root: id("u0"),
                levels: 16
            }
        );
        // The deepest unit's walk up reaches the root.
        let lineage = d.lineage(&id(&deepest));
        assert_eq!(lineage.last().map(|u| u.id.as_str()), Some("u0"));
        assert_eq!(lineage.len(), UNIT_DEPTH_MAX + 1);
    }
}
