//! The unit tree, walked in one place, with one depth limit.
//!
//! Down: a unit's progress counts its sub-units at any depth; a head's timeline covers the unit
//! and its divisions. Up: a rule that lets a leader act on the units below them, and the province
//! a unit belongs to. The walks are written once, here: down over the [`Tree`] seam (the
//! projector's in-memory state and its views file), up over a unit's parent (those two, and the
//! command services' [`crate::directory::Directory`]). The depth bound and the seen-set guard a
//! damaged log that would make the tree a cycle.

use crate::event::UnitKind;
use crate::ids::UnitId;
use std::collections::BTreeSet;

/// How many levels a walk goes from its unit, down or up; the directory service refuses a unit
/// deeper than this below its root, so every walk reaches every unit of a correct log. A
/// province's deepest real chain (province, department, division, school) is far shorter.
pub const UNIT_DEPTH_MAX: usize = 16;

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
    below_within(tree, unit, which, UNIT_DEPTH_MAX)
}

/// [`below`], at most `levels` levels down (never more than [`UNIT_DEPTH_MAX`]).
pub fn below_within<T: Tree>(
    tree: &mut T,
    unit: &UnitId,
    which: Below,
    levels: usize,
) -> Result<Vec<UnitId>, T::Error> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::from([unit.clone()]);
    let mut frontier = vec![unit.clone()];
    for _ in 0..levels.min(UNIT_DEPTH_MAX) {
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

/// The unit and the units above it, nearest first, at most [`UNIT_DEPTH_MAX`] levels up (so a
/// cycle in a damaged log ends where the limit stops it, the same way every time). `parent`
/// gives a unit's parent, `None` for a unit not known; the walk is empty when `unit` is not known.
pub fn lineage<E>(
    mut parent: impl FnMut(&UnitId) -> Result<Option<Option<UnitId>>, E>,
    unit: &UnitId,
) -> Result<Vec<UnitId>, E> {
    let mut out = Vec::new();
    let mut next = Some(unit.clone());
    while let Some(at) = next {
        if out.len() > UNIT_DEPTH_MAX {
            break;
        }
        let Some(up) = parent(&at)? else { break };
        out.push(at);
        next = up;
    }
    Ok(out)
}

/// The province a unit belongs to: the top of its [`lineage`] (a province has no parent).
/// `Ok(None)` when the unit is not known.
pub fn province_of<E>(
    parent: impl FnMut(&UnitId) -> Result<Option<Option<UnitId>>, E>,
    unit: &UnitId,
) -> Result<Option<UnitId>, E> {
    Ok(lineage(parent, unit)?.pop())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::convert::Infallible;

    fn id(t: &str) -> UnitId {
        t.parse().expect("id")
    }

    /// A tree of `(parent, child, kind)` edges.
    struct Edges(Vec<(UnitId, UnitId, UnitKind)>);

    impl Tree for Edges {
        type Error = Infallible;
        fn children(&mut self, parent: &UnitId) -> Result<Vec<UnitId>, Infallible> {
            let mut out: Vec<UnitId> =
                self.0.iter().filter(|(p, _, _)| p == parent).map(|(_, c, _)| c.clone()).collect();
            out.sort();
            Ok(out)
        }
        fn kind(&mut self, unit: &UnitId) -> Result<Option<UnitKind>, Infallible> {
            Ok(self.0.iter().find(|(_, c, _)| c == unit).map(|(_, _, k)| *k))
        }
    }

    fn edges(list: &[(&str, &str, UnitKind)]) -> Edges {
        Edges(list.iter().map(|(p, c, k)| (id(p), id(c), *k)).collect())
    }

    #[test]
    fn nearest_first_and_divisions_stop_at_other_kinds() {
        use UnitKind::*;
        let mut tree = edges(&[
            ("st", "sgd", Department),
            ("sgd", "vb", Division),
            ("sgd", "psu", PublicServiceUnit),
            ("psu", "deep", Division),
            ("vb", "vb2", Division),
        ]);
        let all = below(&mut tree, &id("st"), Below::Everything);
        assert_eq!(all, Ok(["sgd", "psu", "vb", "deep", "vb2"].map(id).to_vec()));
        let divisions = below(&mut tree, &id("sgd"), Below::Divisions);
        assert_eq!(divisions, Ok(["vb", "vb2"].map(id).to_vec()));
    }

    #[test]
    fn a_cycle_in_a_damaged_log_ends_going_down() {
        use UnitKind::*;
        let mut tree = edges(&[("a", "b", Division), ("b", "a", Division)]);
        assert_eq!(below(&mut tree, &id("a"), Below::Everything), Ok(vec![id("b")]));
    }

    #[test]
    fn a_units_lineage_and_province_are_its_chain_of_parents() {
        let parents: BTreeMap<UnitId, Option<UnitId>> = [
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
        assert_eq!(lineage(up, &id("sgd-vp")), Ok(["sgd-vp", "sgd", "st"].map(id).to_vec()));
        assert_eq!(province_of(up, &id("sgd-vp")), Ok(Some(id("st"))));
        assert_eq!(province_of(up, &id("st")), Ok(Some(id("st"))));
        assert_eq!(province_of(up, &id("nowhere")), Ok(None));
        assert_eq!(lineage(up, &id("nowhere")), Ok(vec![]));
        // A cycle ends at the limit, on the same unit every time.
        let cycle = lineage(up, &id("a")).expect("infallible");
        assert_eq!(cycle.len(), UNIT_DEPTH_MAX + 1);
        assert_eq!(province_of(up, &id("a")), Ok(cycle.last().cloned()));
    }
}
