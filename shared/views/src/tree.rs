//! The unit tree over the projector's in-memory state (the whole model, or a prefix of the log
//! replayed). The walks themselves are [`reform_shared::tree`]'s, written once for every
//! service; the views file is the other [`Tree`] (`store::read`).

pub use reform_shared::tree::{
    below, below_within, lineage, province_of, Below, Tree, UNIT_DEPTH_MAX,
};

use crate::model::State;
use reform_shared::event::UnitKind;
use reform_shared::ids::UnitId;
use std::convert::Infallible;

/// The in-memory state (the whole model, or a prefix of the log replayed) as a tree.
impl Tree for &State {
    type Error = Infallible;

    fn children(&mut self, parent: &UnitId) -> Result<Vec<UnitId>, Infallible> {
        Ok(self.children.iter().filter(|(p, _)| p == parent).map(|(_, c)| c.clone()).collect())
    }

    fn kind(&mut self, unit: &UnitId) -> Result<Option<UnitKind>, Infallible> {
        Ok(self.units.get(unit).map(|u| u.kind))
    }
}

/// [`below`] over the in-memory state, which cannot fail.
pub fn below_in(state: &State, unit: &UnitId, which: Below) -> Vec<UnitId> {
    match below(&mut &*state, unit, which) {
        Ok(units) => units,
        Err(never) => match never {},
    }
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
            s.children.insert((p, c.clone()));
            s.units.insert(
                c,
                UnitRec { name: child.into(), kind, parent: None, ended: None, founded: None },
            );
        }
        let st: UnitId = "st".parse().expect("id");
        let below_st = below_in(&s, &st, Below::Everything);
        assert_eq!(below_st, ["sgd", "vb"].map(|t| t.parse::<UnitId>().expect("id")).to_vec());
        assert_eq!(below_in(&s, &st, Below::Divisions), Vec::<UnitId>::new());
    }
}
