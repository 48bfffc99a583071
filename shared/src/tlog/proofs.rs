//! RFC 6962 proofs (section 2.1.1, the audit path; 2.1.2, the consistency proof) computed from
//! the tree's tiles, and checked with `ct-merkle`, an implementation we did not write.

use super::tiles::{TileKind, Written, TILE_WIDTH};
use super::{node_hash, Hash};
use std::collections::HashMap;

/// Where the tree's stored hashes come from: the `index`-th hash at tile level `level`, the
/// root of entries `index·256^level .. (index+1)·256^level` (a tile directory, or memory).
pub trait HashSource {
    type Error;
    fn hash(&self, level: u8, index: u64) -> Result<Hash, Self::Error>;
}

/// A tree's stored hashes in memory, kept from the tiles written as it grew: for small trees
/// and tests.
#[derive(Debug, Default, Clone)]
pub struct MemoryHashes(HashMap<(u8, u64), Hash>);

impl MemoryHashes {
    /// Keeps the hashes of these tiles (full or partial; bundles hold none).
    pub fn keep(&mut self, written: &[Written]) {
        for w in written {
            let TileKind::Hashes(level) = w.path.kind else { continue };
            for (i, h) in w.bytes.chunks_exact(32).enumerate() {
                let index = w.path.index * TILE_WIDTH as u64 + i as u64;
                self.0.insert((level, index), h.try_into().expect("a chunk of 32 bytes"));
            }
        }
    }
}

impl HashSource for MemoryHashes {
    type Error = String;
    fn hash(&self, level: u8, index: u64) -> Result<Hash, String> {
        self.0
            .get(&(level, index))
            .copied()
            .ok_or_else(|| format!("no hash {index} at level {level}"))
    }
}

/// Why a proof could not be made or does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("{0}")]
    OutOfRange(String),
    #[error("the proof does not hold: {0}")]
    Fails(String),
    #[error("the tree's hashes could not be read: {0}")]
    Source(String),
}

fn largest_power_below(n: u64) -> u64 {
    debug_assert!(n > 1);
    1 << (63 - (n - 1).leading_zeros())
}

/// The root of entries `lo..hi` (RFC 6962's MTH(D[lo:hi])).
pub fn subtree_root<S: HashSource>(source: &S, lo: u64, hi: u64) -> Result<Hash, S::Error> {
    let n = hi - lo;
    debug_assert!(n > 0);
    if n.is_power_of_two() && lo.is_multiple_of(n) {
        let bits = n.trailing_zeros();
        let level = (bits / 8) as u8;
        let run = 1u64 << (bits % 8);
        let first = lo >> (8 * u32::from(level));
        return perfect(source, level, first, run);
    }
    let k = largest_power_below(n);
    Ok(node_hash(&subtree_root(source, lo, lo + k)?, &subtree_root(source, lo + k, hi)?))
}

fn perfect<S: HashSource>(source: &S, level: u8, first: u64, run: u64) -> Result<Hash, S::Error> {
    debug_assert!(run <= TILE_WIDTH as u64);
    if run == 1 {
        return source.hash(level, first);
    }
    let half = run / 2;
    Ok(node_hash(
        &perfect(source, level, first, half)?,
        &perfect(source, level, first + half, half)?,
    ))
}

/// The audit path of entry `index` in the tree of `size` entries, leaf side first.
pub fn inclusion<S: HashSource>(source: &S, index: u64, size: u64) -> Result<Vec<Hash>, ProofError>
where
    S::Error: std::fmt::Display,
{
    if index >= size {
        return Err(ProofError::OutOfRange(format!(
            "entry {index} is not in a tree of {size} entries"
        )));
    }
    let mut path = Vec::new();
    path_of(source, index, 0, size, &mut path).map_err(|e| ProofError::Source(e.to_string()))?;
    Ok(path)
}

fn path_of<S: HashSource>(
    source: &S,
    m: u64,
    lo: u64,
    hi: u64,
    out: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    let n = hi - lo;
    if n == 1 {
        return Ok(());
    }
    let k = largest_power_below(n);
    if m < k {
        path_of(source, m, lo, lo + k, out)?;
        out.push(subtree_root(source, lo + k, hi)?);
    } else {
        path_of(source, m - k, lo + k, hi, out)?;
        out.push(subtree_root(source, lo, lo + k)?);
    }
    Ok(())
}

/// The proof that the tree of `old` entries is a prefix of the tree of `new` entries (empty
/// when `old` is 0 or equals `new`).
pub fn consistency<S: HashSource>(source: &S, old: u64, new: u64) -> Result<Vec<Hash>, ProofError>
where
    S::Error: std::fmt::Display,
{
    if old > new {
        return Err(ProofError::OutOfRange(format!(
            "a tree of {old} entries cannot precede one of {new}"
        )));
    }
    let mut proof = Vec::new();
    if old > 0 && old < new {
        subproof(source, old, 0, new, true, &mut proof)
            .map_err(|e| ProofError::Source(e.to_string()))?;
    }
    Ok(proof)
}

fn subproof<S: HashSource>(
    source: &S,
    m: u64,
    lo: u64,
    hi: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    let n = hi - lo;
    if m == n {
        if !whole {
            out.push(subtree_root(source, lo, hi)?);
        }
        return Ok(());
    }
    let k = largest_power_below(n);
    if m <= k {
        subproof(source, m, lo, lo + k, whole, out)?;
        out.push(subtree_root(source, lo + k, hi)?);
    } else {
        subproof(source, m - k, lo + k, hi, false, out)?;
        out.push(subtree_root(source, lo, lo + k)?);
    }
    Ok(())
}

/// Checks that `leaf` (a leaf hash) is entry `index` of the tree of `size` entries and `root`.
pub fn check_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    root: &Hash,
    path: &[Hash],
) -> Result<(), ProofError> {
    let fails = |why: String| ProofError::Fails(why);
    if index >= size {
        return Err(fails(format!("entry {index} is not in a tree of {size} entries")));
    }
    // RFC 9162, section 2.1.3.2.
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if sn == 0 {
            return Err(fails("the path is longer than the tree is deep".into()));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 || r != *root {
        return Err(fails(format!(
            "entry {index} does not lead to the root of the tree of {size}"
        )));
    }
    Ok(())
}

/// Checks that the tree of `old` entries and `old_root` is a prefix of the tree of `new`
/// entries and `new_root` (RFC 9162, section 2.1.4.2).
pub fn check_consistency(
    old: u64,
    old_root: &Hash,
    new: u64,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    let fails = |why: &str| ProofError::Fails(why.to_owned());
    if old > new {
        return Err(fails("the old tree is larger than the new one"));
    }
    if old == 0 {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(fails("a proof from the empty tree must be empty"))
        };
    }
    if old == new {
        return match (proof.is_empty(), old_root == new_root) {
            (true, true) => Ok(()),
            (false, _) => Err(fails("a proof between trees of the same size must be empty")),
            (true, false) => Err(fails("two trees of the same size have different roots")),
        };
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if old.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let (mut fn_, mut sn) = (old - 1, new - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let Some((first, rest)) = path.split_first() else { return Err(fails("the proof is empty")) };
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if sn == 0 {
            return Err(fails("the proof is longer than the trees need"));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 || fr != *old_root || sr != *new_root {
        return Err(fails("the new tree does not begin with the old one"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::leaf_hash;
    use super::super::tiles::Frontier;
    use super::*;
    use ct_merkle::mem_backed_tree::MemoryBackedTree;

    fn grow(size: u64) -> (MemoryHashes, MemoryBackedTree<sha2::Sha256, Vec<u8>>, Frontier) {
        let mut frontier = Frontier::default();
        let mut tree = MemoryBackedTree::new();
        let mut hashes = MemoryHashes::default();
        for i in 0..size {
            let entry = i.to_be_bytes().to_vec();
            hashes.keep(&frontier.push(entry.clone()));
            tree.push(entry);
        }
        hashes.keep(&frontier.partials());
        (hashes, tree, frontier)
    }

    fn concat(hashes: &[Hash]) -> Vec<u8> {
        hashes.concat()
    }

    #[test]
    fn inclusion_proofs_from_tiles_are_the_reference_trees_and_check() {
        let (tiles, tree, frontier) = grow(66_000);
        let root = frontier.root();
        for index in [0u64, 1, 255, 256, 65_535, 65_536, 65_999] {
            let path = inclusion(&tiles, index, 66_000).expect("proof");
            let reference = tree.prove_inclusion(index as usize);
            assert_eq!(concat(&path), reference.as_bytes(), "index {index}");
            let leaf = leaf_hash(&index.to_be_bytes());
            check_inclusion(&leaf, index, 66_000, &root, &path).expect("holds");
            let other = leaf_hash(b"another");
            assert!(check_inclusion(&other, index, 66_000, &root, &path).is_err());
            assert!(check_inclusion(&leaf, index ^ 1, 66_000, &root, &path).is_err());
        }
        assert!(inclusion(&tiles, 66_000, 66_000).is_err());
    }

    #[test]
    fn consistency_proofs_from_tiles_are_the_reference_trees_and_check() {
        let (tiles, tree, frontier) = grow(66_000);
        let root = frontier.root();
        for old in [1u64, 2, 3, 255, 256, 257, 65_536, 65_999] {
            let (_, old_tree, old_frontier) = grow(old);
            let proof = consistency(&tiles, old, 66_000).expect("proof");
            let reference = tree.prove_consistency(66_000 - old as usize);
            assert_eq!(concat(&proof), reference.as_bytes(), "from {old}");
            assert_eq!(&old_frontier.root()[..], old_tree.root().as_bytes().as_slice());
            check_consistency(old, &old_frontier.root(), 66_000, &root, &proof).expect("holds");
            assert!(check_consistency(old, &[9; 32], 66_000, &root, &proof).is_err(), "forked");
        }
        assert!(consistency(&tiles, 5, 4).is_err());
        check_consistency(0, &[0; 32], 10, &root, &[]).expect("from the empty tree");
        assert!(check_consistency(0, &[0; 32], 10, &root, &[[0; 32]]).is_err());
    }
}
