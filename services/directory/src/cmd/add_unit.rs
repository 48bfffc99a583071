//! `add-unit`: a unit (sở, UBND huyện, phòng, …) under its parent.

use super::check_name;
use super::restructure::check_basis;
use crate::decide::Refusal;
use reform_shared::directory::Directory;
use reform_shared::event::{Event, LegalBasis, UnitKind};
use reform_shared::ids::UnitId;
use reform_shared::service::Context;
use reform_shared::time::Date;
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
    /// For a unit a legal act founds (a restructuring's new province or department): the day
    /// it begins and the act. Absent for a unit recorded as long existing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founded: Option<Founding>,
}

/// The day a unit begins and the act that founds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Founding {
    pub effective: Date,
    pub basis: LegalBasis,
}

impl AddUnit {
    /// A new id, a name, and a parent that exists; a founding's act and day no later than
    /// today.
    pub fn decide(&self, d: &Directory, context: &Context) -> Result<Event, Refusal> {
        let AddUnit { unit, name, kind, parent, founded } = self;
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
        let (unit, name, kind, parent) =
            (unit.clone(), name.trim().to_owned(), *kind, parent.clone());
        let Some(Founding { effective, basis }) = founded else {
            return Ok(Event::UnitAdded { unit, name, kind, parent });
        };
        check_basis(&unit, basis, *effective, context)?;
        let basis = LegalBasis { document: basis.document.trim().to_owned(), date: basis.date };
        Ok(Event::UnitFounded { unit, name, kind, parent, effective: *effective, basis })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reform_shared::testkit::{date, id};
    use reform_shared::time::Timestamp;
    use reform_shared::tree::UNIT_DEPTH_MAX;

    fn add(unit: &str, parent: Option<&str>) -> AddUnit {
        AddUnit {
            unit: id(unit),
            name: format!("Đơn vị {unit}"),
            kind: UnitKind::Division,
            parent: parent.map(id),
            founded: None,
        }
    }

    fn on(day: &str) -> Context {
        let at = Timestamp::at_vietnam_noon(date(day));
        Context {
            command_id: id("c1"),
            actor: id("a"),
            occurred_at: at,
            occurred_on: date(day),
            recorded_at: at,
        }
    }

    /// A unit founded by a resolution begins on its day: the event says so, and a founding
    /// that would take effect after today, or names no act, is refused.
    #[test]
    fn a_founded_unit_begins_on_its_day() {
        let basis = LegalBasis { document: " 202/2025/QH15 ".into(), date: date("2025-06-12") };
        let founded = |effective: &str| AddUnit {
            founded: Some(Founding { effective: date(effective), basis: basis.clone() }),
            ..add("can-tho", None)
        };
        let event = founded("2025-07-01").decide(&Directory::default(), &on("2025-07-02"));
        let Ok(Event::UnitFounded { effective, basis, .. }) = event else { panic!("{event:?}") };
        assert_eq!((effective, basis.document.as_str()), (date("2025-07-01"), "202/2025/QH15"));
        let early = founded("2025-07-01").decide(&Directory::default(), &on("2025-06-30"));
        assert!(matches!(early, Err(Refusal::EffectiveInFuture { .. })), "{early:?}");
        let mut nameless = founded("2025-07-01");
        if let Some(f) = nameless.founded.as_mut() {
            f.basis.document = " ".into();
        }
        let refused = nameless.decide(&Directory::default(), &on("2025-07-02"));
        assert!(matches!(refused, Err(Refusal::NoBasis { .. })), "{refused:?}");
    }

    #[test]
    fn a_unit_deeper_than_every_walk_reaches_is_refused() {
        let mut d = Directory::default();
        // u0, the root, and u1 … u16 below it: 16 levels, the most.
        for level in 0..=UNIT_DEPTH_MAX {
            let parent = level.checked_sub(1).map(|p| format!("u{p}"));
            let event = add(&format!("u{level}"), parent.as_deref())
                .decide(&d, &on("2020-01-01"))
                .expect("within");
            d.apply(&event);
        }
        let deepest = format!("u{UNIT_DEPTH_MAX}");
        let refusal = add("too-deep", Some(&deepest))
            .decide(&d, &on("2020-01-01"))
            .expect_err("one level too many");
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
