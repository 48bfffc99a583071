//! Projectors split by province: which events a projector applies when it owns only some
//! provinces, and which earlier events it must fetch when a task moves into them.
//!
//! Every projector applies the whole directory (units, people, tenures, access), the events
//! about no unit (frameworks, periods, keys) and nothing else but the events filed under a unit
//! of a province it owns. The directory is small and every projector needs it: to know which
//! province a unit is in, to answer the directory, and to route a query to the owner. What it
//! skips it records as an empty item, like an operator's skip, so its `applied_through` is the
//! stream's sequence as for any projector.
//!
//! A task's events are filed under the unit it belongs to at the time. When a task moves from
//! a province a projector does not own into one it does, the projector has never seen the
//! task's earlier events; it fetches them from the log (the task's subject, up to the move)
//! and applies them before the move, in stream order, in the same batch. The events it fetches
//! are exactly those it skipped: ownership depends only on the event and the units' provinces,
//! which never change. A move out of an owned province is filed under the new unit but kept
//! too, so the old owner knows the task left.

use crate::tree;
use reform_shared::event::{Event, Family};
use reform_shared::ids::{TaskId, UnitId};
use std::collections::{BTreeSet, HashMap};

/// Which provinces a projector owns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Owns {
    /// All of them: one projector for the whole log (the default).
    #[default]
    Everything,
    /// These provinces (unit ids of kind province).
    Provinces(BTreeSet<UnitId>),
}

impl Owns {
    /// Whether this projector owns `province`.
    pub fn province(&self, province: &UnitId) -> bool {
        match self {
            Owns::Everything => true,
            Owns::Provinces(set) => set.contains(province),
        }
    }

    /// Parses `--provinces`: comma-separated unit ids, at least one.
    pub fn parse(text: &str) -> Result<Owns, String> {
        let mut set = BTreeSet::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let unit: UnitId = part.parse().map_err(|e| format!("province {part:?}: {e}"))?;
            set.insert(unit);
        }
        if set.is_empty() {
            return Err(format!("{text:?} names no province"));
        }
        Ok(Owns::Provinces(set))
    }
}

/// The reader's knowledge of who owns what: every unit's parent, kept up to date from the
/// directory's unit events it reads (all of which it keeps).
#[derive(Debug, Clone, Default)]
pub struct Ownership {
    owns: Owns,
    parents: HashMap<UnitId, Option<UnitId>>,
}

impl Ownership {
    /// `parents`: every unit the views file holds, with its parent.
    pub fn new(owns: Owns, parents: HashMap<UnitId, Option<UnitId>>) -> Self {
        Ownership { owns, parents }
    }

    fn province_of(&self, unit: &UnitId) -> Option<UnitId> {
        let up = |u: &UnitId| Ok::<_, std::convert::Infallible>(self.parents.get(u).cloned());
        tree::province_of(up, unit).unwrap_or_else(|never| match never {})
    }

    /// Whether the unit is in an owned province. A unit no event added is kept by everyone:
    /// the command services refuse them, so only a damaged log has one, and every projector
    /// then files it the same way.
    fn owns_unit(&self, unit: &UnitId) -> bool {
        match &self.owns {
            Owns::Everything => true,
            Owns::Provinces(set) => self.province_of(unit).is_none_or(|p| set.contains(&p)),
        }
    }

    /// Takes note of an event read, before [`Ownership::keeps`] is asked about it.
    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::UnitAdded { unit, parent, .. } | Event::UnitFounded { unit, parent, .. } => {
                self.parents.insert(unit.clone(), parent.clone());
            }
            Event::UnitMoved { unit, parent, .. } => {
                self.parents.insert(unit.clone(), Some(parent.clone()));
            }
            _ => {}
        }
    }

    /// Whether this projector applies the event.
    pub fn keeps(&self, event: &Event) -> bool {
        if self.owns == Owns::Everything || event.family() == Family::Directory {
            return true;
        }
        match event {
            Event::TaskReassigned { unit, from_unit, .. } => {
                self.owns_unit(unit) || self.owns_unit(from_unit)
            }
            other => other.unit().is_none_or(|u| self.owns_unit(u)),
        }
    }

    /// Whether the event on `subject` can be passed over without decoding it: one filed under
    /// a unit of a province not owned here, of a kind that never moves between units (evidence,
    /// scores, plans). A task's events are decoded, since a move out of an owned province is
    /// filed under the new unit. Saves a split projector the decoding of most of what it does
    /// not keep.
    pub fn passes_by_subject(&self, subject: &str) -> bool {
        if self.owns == Owns::Everything {
            return false;
        }
        let mut tokens = subject.split('.').skip(2);
        let (Some(family), Some(unit), Some(kind)) = (tokens.next(), tokens.next(), tokens.next())
        else {
            return false;
        };
        let movable = family == Family::Directory.as_str() || kind == "task";
        if movable || unit == reform_shared::subject::NO_UNIT {
            return false;
        }
        let Ok(unit) = unit.parse::<UnitId>() else { return false };
        match (&self.owns, self.province_of(&unit)) {
            (Owns::Provinces(set), Some(p)) if self.parents.contains_key(&unit) => {
                !set.contains(&p)
            }
            _ => false,
        }
    }

    /// The task whose earlier events must be fetched before this one is applied: a task
    /// moving into an owned province from one this projector does not own.
    pub fn needs_history<'e>(&self, event: &'e Event) -> Option<&'e TaskId> {
        match event {
            Event::TaskReassigned { task, unit, from_unit, .. }
                if self.owns != Owns::Everything
                    && self.owns_unit(unit)
                    && !self.owns_unit(from_unit) =>
            {
                Some(task)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reform_shared::event::UnitKind;
    use reform_shared::testkit::events::{assign, reassign, score, unit};

    fn ownership(owned: &str) -> Ownership {
        let mut o = Ownership::new(Owns::parse(owned).expect("provinces"), HashMap::new());
        for event in [
            unit("st", "Sóc Trăng", UnitKind::Province, None),
            unit("ct", "Cần Thơ", UnitKind::Province, None),
            unit("st-sgd", "Sở GD", UnitKind::Department, Some("st")),
            unit("st-sgd-vp", "VP", UnitKind::Division, Some("st-sgd")),
            unit("ct-snv", "Sở NV", UnitKind::Department, Some("ct")),
        ] {
            o.observe(&event);
        }
        o
    }

    #[test]
    fn a_projector_keeps_the_directory_and_its_provinces_events() {
        let st = ownership("st");
        assert!(st.keeps(&unit("ct-x", "x", UnitKind::Department, Some("ct"))));
        assert!(st.keeps(&assign("t1", "st-sgd-vp", "a", "2016-03-01")));
        assert!(!st.keeps(&assign("t2", "ct-snv", "a", "2016-03-01")));
        let s = reform_shared::event::Stage::Final;
        assert!(!st.keeps(&score("ct-snv", 2016, "1.1", s, None, 100)));
        // A move out is kept by the old owner, a move in by the new one, who fetches history.
        let out = reassign("t1", "st-sgd", "ct-snv");
        assert!(st.keeps(&out) && st.needs_history(&out).is_none());
        let ct = ownership("ct");
        assert!(ct.keeps(&out));
        assert_eq!(ct.needs_history(&out).map(TaskId::as_str), Some("t1"));
        assert!(ownership("st,ct").needs_history(&out).is_none());
    }

    #[test]
    fn events_that_never_move_are_passed_over_by_their_subject() {
        use reform_shared::subject::Aggregate;
        let st = ownership("st");
        let subject = |e: &Event| Aggregate::of(e).subject();
        let s = reform_shared::event::Stage::Final;
        assert!(st.passes_by_subject(&subject(&score("ct-snv", 2016, "1.1", s, None, 100))));
        assert!(!st.passes_by_subject(&subject(&score("st-sgd", 2016, "1.1", s, None, 100))));
        // Tasks are decoded wherever they are filed; unknown units and the directory too.
        assert!(!st.passes_by_subject(&subject(&assign("t2", "ct-snv", "a", "2016-03-01"))));
        assert!(!st.passes_by_subject(&subject(&score("nowhere", 2016, "1.1", s, None, 1))));
        assert!(!st.passes_by_subject(&subject(&unit(
            "ct-y",
            "y",
            UnitKind::Department,
            Some("ct")
        ))));
        assert!(!ownership("st,ct")
            .passes_by_subject(&subject(&score("ct-snv", 2016, "1.1", s, None, 1))));
    }

    #[test]
    fn provinces_are_parsed_and_checked() {
        assert_eq!(
            Owns::parse("st, ct"),
            Ok(Owns::Provinces(["ct", "st"].iter().map(|u| u.parse().expect("id")).collect()))
        );
        assert!(Owns::parse(" , ").is_err_and(|e| e.contains("names no province")));
        assert!(Owns::parse("st,Bad Id").is_err_and(|e| e.contains("\"Bad Id\"")));
    }
}
