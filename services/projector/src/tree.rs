//! The unit tree, walked in one place, with one depth limit.
//!
//! A unit's progress counts its sub-units at any depth; a head's timeline covers the unit and its
//! divisions. Both walk the `children` relation that `UnitAdded` events build, in memory (the
//! whole state, or a replayed prefix) and in the views file (loading what the walk reaches). The
//! walk is written once, here, over the [`Tree`] seam; the depth bound and the seen-set guard a
//! damaged log that would make the tree a cycle.

use crate::model::State;
use reform_shared::event::UnitKind;
use reform_shared::ids::UnitId;
use std::collections::BTreeSet;
use std::convert::Infallible;

/// The deepest a walk goes below its unit. A province's deepest real chain (province,
/// department, division, school) is far shorter.
pub const SUB_UNIT_DEPTH_MAX: usize = 16;

/// Which units below a unit a walk takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Below {
    /// Every unit, any kind.
    Everything,
    /// Divisions, and divisions of divisions: what a head's timeline covers.
    Divisions,
}

/// What a walk needs to know about the tree.
pub trait Tree {
    type Error;
    /// The unit's children, in unit id order.
    fn children(&mut self, parent: &UnitId) -> Result<Vec<UnitId>, Self::Error>;
    /// The unit's kind, if it is known.
    fn kind(&mut self, unit: &UnitId) -> Result<Option<UnitKind>, Self::Error>;
}

/// The units below `unit` that `which` takes, nearest first (level by level, each level in unit
/// id order), each once, without `unit` itself. A walk for [`Below::Divisions`] does not pass
/// through a unit that is not a division.
pub fn below<T: Tree>(tree: &mut T, unit: &UnitId, which: Below) -> Result<Vec<UnitId>, T::Error> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::from([unit.clone()]);
    let mut frontier = vec![unit.clone()];
    for _ in 0..SUB_UNIT_DEPTH_MAX {
        let mut next = Vec::new();
        for parent in &frontier {
            for child in tree.children(parent)? {
                if seen.contains(&child) {
                    continue;
                }
                let kind = tree.kind(&child)?;
                if which == Below::Everything || kind == Some(UnitKind::Division) {
                    seen.insert(child.clone());
                    next.push(child);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        out.extend(next.iter().cloned());
        frontier = next;
    }
    Ok(out)
}

/// The province a unit belongs to: the top of its chain of parents (a province has none).
/// `parent` gives a unit's parent, `None` for a unit not known. `Ok(None)` when the unit itself
/// is not known. A chain longer than [`SUB_UNIT_DEPTH_MAX`] (a cycle in a damaged log) ends
/// where the limit stops it, so the answer stays deterministic.
pub fn province_of<E>(
    mut parent: impl FnMut(&UnitId) -> Result<Option<Option<UnitId>>, E>,
    unit: &UnitId,
) -> Result<Option<UnitId>, E> {
    let mut at = unit.clone();
    for _ in 0..=SUB_UNIT_DEPTH_MAX {
        match parent(&at)? {
            None if &at == unit => return Ok(None),
            None | Some(None) => return Ok(Some(at)),
            Some(Some(up)) => at = up,
        }
    }
    Ok(Some(at))
}

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

    fn state(edges: &[(&str, &str, UnitKind)]) -> State {
        let mut s = State::default();
        for (parent, child, kind) in edges {
            let (p, c): (UnitId, UnitId) =
                (parent.parse().expect("id"), child.parse().expect("id"));
            s.children.insert((p, c.clone()));
            s.units.insert(c, UnitRec { name: (*child).into(), kind: *kind, parent: None });
        }
        s
    }

    #[test]
    fn nearest_first_and_divisions_stop_at_other_kinds() {
        use UnitKind::*;
        let s = state(&[
            ("st", "sgd", Department),
            ("sgd", "vb", Division),
            ("sgd", "psu", PublicServiceUnit),
            ("psu", "deep", Division),
            ("vb", "vb2", Division),
        ]);
        let id = |t: &str| -> UnitId { t.parse().expect("id") };
        let all = below_in(&s, &id("st"), Below::Everything);
        assert_eq!(all, ["sgd", "psu", "vb", "deep", "vb2"].map(id).to_vec());
        let divisions = below_in(&s, &id("sgd"), Below::Divisions);
        assert_eq!(divisions, ["vb", "vb2"].map(id).to_vec());
    }

    #[test]
    fn a_units_province_is_the_top_of_its_chain() {
        let id = |t: &str| -> UnitId { t.parse().expect("id") };
        let parents: std::collections::BTreeMap<UnitId, Option<UnitId>> = [
            ("st", None),
            ("sgd", Some("st")),
            ("sgd-vp", Some("sgd")),
            ("a", Some("b")),
            ("b", Some("a")),
        ]
        .into_iter()
        .map(|(u, p)| (id(u), p.map(id)))
        .collect();
        let up = |u: &UnitId| Ok::<_, Infallible>(parents.get(u).cloned());
        assert_eq!(province_of(up, &id("sgd-vp")), Ok(Some(id("st"))));
        assert_eq!(province_of(up, &id("st")), Ok(Some(id("st"))));
        assert_eq!(province_of(up, &id("nowhere")), Ok(None));
        // A cycle ends at the limit, on the same unit every time.
        let first = province_of(up, &id("a"));
        assert!(first.as_ref().is_ok_and(Option::is_some));
        assert_eq!(province_of(up, &id("a")), first);
    }

    #[test]
    fn a_cycle_in_a_damaged_log_ends() {
        use UnitKind::*;
        let s = state(&[("a", "b", Division), ("b", "a", Division)]);
        let id = |t: &str| -> UnitId { t.parse().expect("id") };
        assert_eq!(below_in(&s, &id("a"), Below::Everything), vec![id("b")]);
    }
}
