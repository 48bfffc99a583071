//! The unit tree over the projector's in-memory state (the whole model, or a prefix of the log
//! replayed). The walks themselves are [`reform_shared::tree`]'s, written once for every
//! service; the views file is the other [`Tree`] (`store::read`).

pub use reform_shared::tree::{
    below, below_within, lineage, province_of, Below, Tree, UNIT_DEPTH_MAX,
};

use crate::model::State;
use reform_shared::event::UnitKind;
use reform_shared::ids::UnitId;
use reform_shared::time::Date;
use std::convert::Infallible;

/// The in-memory state (the whole model, or a prefix of the log replayed) as the tree stood
/// on a day: a unit that moved is under its earlier parent before the move took effect.
struct On<'a> {
    state: &'a State,
    day: Date,
}

impl Tree for On<'_> {
    type Error = Infallible;

    fn children(&mut self, parent: &UnitId) -> Result<Vec<UnitId>, Infallible> {
        let under_then = |child: &UnitId| match self.state.units.get(child) {
            Some(rec) => rec.parent_on(self.day) == Some(parent),
            // A slice a query loaded may hold the row without the unit; the row stands.
            None => true,
        };
        let rows = self.state.children.iter().filter(|(p, c)| p == parent && under_then(c));
        Ok(rows.map(|(_, c)| c.clone()).collect())
    }

    fn kind(&mut self, unit: &UnitId) -> Result<Option<UnitKind>, Infallible> {
        Ok(self.state.units.get(unit).map(|u| u.kind))
    }
}

/// The in-memory state with every row: a unit under each parent it has ever had.
impl Tree for &State {
    type Error = Infallible;

    fn children(&mut self, parent: &UnitId) -> Result<Vec<UnitId>, Infallible> {
        Ok(self.children.iter().filter(|(p, _)| p == parent).map(|(_, c)| c.clone()).collect())
    }

    fn kind(&mut self, unit: &UnitId) -> Result<Option<UnitKind>, Infallible> {
        Ok(self.units.get(unit).map(|u| u.kind))
    }
}

/// [`below`] over the in-memory state as the tree stood on `day`, which cannot fail.
pub fn below_in(state: &State, unit: &UnitId, which: Below, day: Date) -> Vec<UnitId> {
    match below(&mut On { state, day }, unit, which) {
        Ok(units) => units,
        Err(never) => match never {},
    }
}

/// [`below`] over every row: the units ever below `unit`, by every parent each has had (what
/// the store loads for a unit's page, whatever day the page is true at).
pub fn ever_below(state: &State, unit: &UnitId, which: Below) -> Vec<UnitId> {
    let mut rows = state;
    match below(&mut rows, unit, which) {
        Ok(units) => units,
        Err(never) => match never {},
    }
}

/// The unit and the units above it on `day`, nearest first.
pub fn lineage_on(state: &State, unit: &UnitId, day: Date) -> Vec<UnitId> {
    let parent =
        |u: &UnitId| Ok::<_, Infallible>(state.units.get(u).map(|r| r.parent_on(day).cloned()));
    let Ok(units) = lineage(parent, unit);
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UnitRec;

    #[test]
    fn the_state_is_walked_by_its_children_rows() {
        let mut s = State::default();
        for (parent, child, kind) in
            [("st", "sgd", UnitKind::Department), ("sgd", "vb", UnitKind::Division)]
        {
            let (p, c): (UnitId, UnitId) =
                (parent.parse().expect("id"), child.parse().expect("id"));
            s.children.insert((p.clone(), c.clone()));
            s.units.insert(
                c,
                UnitRec {
                    name: child.into(),
                    kind,
                    parent: Some(p.clone()),
                    ended: None,
                    founded: None,
                    was: Vec::new(),
                },
            );
        }
        let st: UnitId = "st".parse().expect("id");
        let day = Date::from_ymd(2016, 12, 31).expect("date");
        let below_st = below_in(&s, &st, Below::Everything, day);
        assert_eq!(below_st, ["sgd", "vb"].map(|t| t.parse::<UnitId>().expect("id")).to_vec());
        assert_eq!(below_in(&s, &st, Below::Divisions, day), Vec::<UnitId>::new());
    }
}
