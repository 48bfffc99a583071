//! The log's Merkle tree as C2SP tlog-tiles: hash tiles of 256 hashes per level, entry bundles
//! of 256 entries, their paths, and the tree's right edge grown entry by entry.
//!
//! A level-`l` tile holds the roots of consecutive subtrees of `256^l` entries; a full tile is
//! 8,192 bytes and never changes. The rightmost tile of each level is partial (1 to 255 hashes)
//! and is published under `.p/<W>` for the tree sizes a checkpoint names. [`Frontier`] keeps
//! exactly those partial tiles (and the unbundled entries): they are all it needs to grow the
//! tree and to give its root, so it can be rebuilt from the files a log published.

use super::{decimal, leaf_hash, node_hash, Hash, EMPTY_ROOT};

/// Hashes in a full tile, entries in a full bundle.
pub const TILE_WIDTH: usize = 256;
/// The highest level a path may name (the specification's bound).
pub const LEVEL_MAX: u8 = 63;
/// The largest entry a bundle can hold (its length prefix is 16 bits).
pub const ENTRY_BYTES_MAX: usize = u16::MAX as usize;

/// What a tile path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileKind {
    /// The hashes at a level.
    Hashes(u8),
    /// The entries themselves.
    Entries,
}

/// One tile or bundle: its kind, its index within its level, and its width (256 when full).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilePath {
    pub kind: TileKind,
    pub index: u64,
    pub width: usize,
}

/// A request path that names no tile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a tile path: {0}")]
pub struct BadPath(pub String);

impl TilePath {
    /// The path under the log's prefix: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`,
    /// the index in zero-padded groups of three digits, all but the last prefixed with `x`.
    pub fn to_path(&self) -> String {
        let level = match self.kind {
            TileKind::Hashes(l) => l.to_string(),
            TileKind::Entries => "entries".to_owned(),
        };
        let mut groups = vec![format!("{:03}", self.index % 1000)];
        let mut rest = self.index / 1000;
        while rest > 0 {
            groups.push(format!("x{:03}", rest % 1000));
            rest /= 1000;
        }
        groups.reverse();
        let partial =
            if self.width < TILE_WIDTH { format!(".p/{}", self.width) } else { String::new() };
        format!("tile/{level}/{}{partial}", groups.join("/"))
    }

    /// Reads a path written by [`TilePath::to_path`], and nothing else.
    pub fn parse(path: &str) -> Result<TilePath, BadPath> {
        let bad = || BadPath(path.chars().take(120).collect());
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        let (level, rest) = rest.split_once('/').ok_or_else(bad)?;
        let kind = if level == "entries" {
            TileKind::Entries
        } else {
            let l: u8 = decimal(level).ok_or_else(bad)?.try_into().map_err(|_| bad())?;
            if l > LEVEL_MAX {
                return Err(bad());
            }
            TileKind::Hashes(l)
        };
        let (index_part, width) = match rest.split_once(".p/") {
            Some((index, w)) => {
                let w = decimal(w).ok_or_else(bad)?;
                if w == 0 || w >= TILE_WIDTH as u64 {
                    return Err(bad());
                }
                (index, w as usize)
            }
            None => (rest, TILE_WIDTH),
        };
        let groups: Vec<&str> = index_part.split('/').collect();
        let mut index: u64 = 0;
        for (i, group) in groups.iter().enumerate() {
            let digits = if i + 1 < groups.len() { group.strip_prefix('x') } else { Some(*group) };
            let digits = digits.filter(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit()));
            let value: u64 = digits.and_then(|d| d.parse().ok()).ok_or_else(bad)?;
            index = index.checked_mul(1000).and_then(|v| v.checked_add(value)).ok_or_else(bad)?;
        }
        let tile = TilePath { kind, index, width };
        (tile.to_path() == path).then_some(tile).ok_or_else(bad)
    }
}

/// The partial tiles a tree of `size` entries has: per level, its index and width (only
/// levels whose partial tile is not empty).
pub fn partial_tiles(size: u64) -> Vec<TilePath> {
    let mut out = Vec::new();
    let mut level_size = size;
    let mut level = 0u8;
    while level_size > 0 {
        let width = (level_size % TILE_WIDTH as u64) as usize;
        if width > 0 {
            let index = level_size / TILE_WIDTH as u64;
            out.push(TilePath { kind: TileKind::Hashes(level), index, width });
        }
        level_size /= TILE_WIDTH as u64;
        level += 1;
    }
    out
}

/// A tile's bytes: its hashes end to end.
pub fn tile_bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.concat()
}

/// A bundle's bytes: each entry after its length, 16 bits big-endian.
pub fn bundle_bytes(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.len() + 2).sum());
    for entry in entries {
        debug_assert!(entry.len() <= ENTRY_BYTES_MAX);
        out.extend_from_slice(&(entry.len() as u16).to_be_bytes());
        out.extend_from_slice(entry);
    }
    out
}

/// Reads a tile's bytes back into its hashes, `width` of them.
pub fn read_tile(bytes: &[u8], width: usize) -> Option<Vec<Hash>> {
    (bytes.len() == width * 32)
        .then(|| bytes.chunks_exact(32).map(|c| c.try_into().expect("32 bytes")).collect())
}

/// Reads a bundle's bytes back into its entries, `width` of them.
pub fn read_bundle(bytes: &[u8], width: usize) -> Option<Vec<Vec<u8>>> {
    let mut entries = Vec::with_capacity(width);
    let mut rest = bytes;
    while !rest.is_empty() {
        let (len, tail) = rest.split_at_checked(2)?;
        let len = u16::from_be_bytes([len[0], len[1]]) as usize;
        let (entry, tail) = tail.split_at_checked(len)?;
        entries.push(entry.to_vec());
        rest = tail;
    }
    (entries.len() == width).then_some(entries)
}

/// The Merkle root of a power-of-two run of subtree roots.
fn perfect_root(hashes: &[Hash]) -> Hash {
    debug_assert!(hashes.len().is_power_of_two());
    if hashes.len() == 1 {
        return hashes[0];
    }
    let (left, right) = hashes.split_at(hashes.len() / 2);
    node_hash(&perfect_root(left), &perfect_root(right))
}

/// A tile written as the tree grew: where, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: TilePath,
    pub bytes: Vec<u8>,
}

/// The tree's right edge: the partial tile of every level and the entries not yet bundled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// `levels[l]`: the hashes of the partial tile at level `l` (fewer than 256).
    levels: Vec<Vec<Hash>>,
    entries: Vec<Vec<u8>>,
}

impl Frontier {
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds one entry; returns the full tiles and bundle it completed (none most of the time).
    pub fn push(&mut self, entry: Vec<u8>) -> Vec<Written> {
        assert!(entry.len() <= ENTRY_BYTES_MAX, "an entry is at most 64 KiB");
        let mut written = Vec::new();
        let mut hash = leaf_hash(&entry);
        self.entries.push(entry);
        if self.entries.len() == TILE_WIDTH {
            let index = self.size / TILE_WIDTH as u64;
            let entries = std::mem::take(&mut self.entries);
            let path = TilePath { kind: TileKind::Entries, index, width: TILE_WIDTH };
            written.push(Written { path, bytes: bundle_bytes(&entries) });
        }
        self.size += 1;
        let mut level = 0usize;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(hash);
            if self.levels[level].len() < TILE_WIDTH {
                break;
            }
            let hashes = std::mem::take(&mut self.levels[level]);
            let index = self.size / (TILE_WIDTH as u64).pow(level as u32 + 1) - 1;
            let path = TilePath { kind: TileKind::Hashes(level as u8), index, width: TILE_WIDTH };
            written.push(Written { path, bytes: tile_bytes(&hashes) });
            hash = perfect_root(&hashes);
            level += 1;
        }
        written
    }

    /// The partial tiles and the partial bundle of the tree as it is: what a checkpoint of
    /// this size needs published beside the full ones.
    pub fn partials(&self) -> Vec<Written> {
        let mut out: Vec<Written> = partial_tiles(self.size)
            .into_iter()
            .map(|path| {
                let TileKind::Hashes(level) = path.kind else { unreachable!("hash tiles") };
                Written { path, bytes: tile_bytes(&self.levels[level as usize]) }
            })
            .collect();
        if !self.entries.is_empty() {
            let index = self.size / TILE_WIDTH as u64;
            let path = TilePath { kind: TileKind::Entries, index, width: self.entries.len() };
            out.push(Written { path, bytes: bundle_bytes(&self.entries) });
        }
        out
    }

    /// The RFC 6962 root: the tree's perfect subtrees, largest first, folded from the right.
    pub fn root(&self) -> Hash {
        let mut subtrees: Vec<Hash> = Vec::new();
        for hashes in self.levels.iter().rev() {
            let mut start = 0;
            for bit in (0..8).rev() {
                let run = 1usize << bit;
                if hashes.len() & run != 0 {
                    subtrees.push(perfect_root(&hashes[start..start + run]));
                    start += run;
                }
            }
        }
        let Some(mut root) = subtrees.pop() else { return EMPTY_ROOT };
        while let Some(left) = subtrees.pop() {
            root = node_hash(&left, &root);
        }
        root
    }

    /// The right edge of a tree of `size` entries, from its published partial tiles (in the
    /// order [`partial_tiles`] gives) and its partial bundle's entries.
    pub fn resume(size: u64, partials: Vec<Vec<Hash>>, entries: Vec<Vec<u8>>) -> Option<Frontier> {
        let expected = partial_tiles(size);
        if partials.len() != expected.len()
            || entries.len() as u64 != size % TILE_WIDTH as u64
            || expected.iter().zip(&partials).any(|(p, h)| p.width != h.len())
        {
            return None;
        }
        let mut levels = vec![Vec::new(); levels_of(size)];
        for (path, hashes) in expected.iter().zip(partials) {
            let TileKind::Hashes(level) = path.kind else { return None };
            levels[level as usize] = hashes;
        }
        let consistent = entries
            .iter()
            .zip(
                levels
                    .first()
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                    .iter()
                    .rev()
                    .take(entries.len())
                    .rev(),
            )
            .all(|(e, h)| leaf_hash(e) == *h);
        consistent.then_some(Frontier { size, levels, entries })
    }
}

/// How many levels a tree of `size` entries has tiles at.
fn levels_of(size: u64) -> usize {
    let mut n = 0;
    let mut s = size;
    while s > 0 {
        n += 1;
        s /= TILE_WIDTH as u64;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_written_and_read_as_the_specification_spells_them() {
        let tile = |kind, index, width| TilePath { kind, index, width };
        let cases = [
            (tile(TileKind::Hashes(0), 1234067, 256), "tile/0/x001/x234/067"),
            (tile(TileKind::Hashes(1), 5, 17), "tile/1/005.p/17"),
            (tile(TileKind::Entries, 0, 256), "tile/entries/000"),
            (tile(TileKind::Entries, 1000, 3), "tile/entries/x001/000.p/3"),
        ];
        for (t, path) in cases {
            assert_eq!(t.to_path(), path);
            assert_eq!(TilePath::parse(path), Ok(t));
        }
        for bad in [
            "tile/0/5",
            "tile/0/x000/005",
            "tile/64/000",
            "tile/01/000",
            "tile/0/000.p/256",
            "tile/0/000.p/0",
            "tile/0/000.p/07",
            "tile/0/001/002",
            "tile/x/000",
            "tile/0/../000",
            "tile/0/x99999999999999999999/000",
        ] {
            assert!(TilePath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_partial_tiles_of_the_specifications_example() {
        // tlog-tiles: a tree of 70,000 has a partial level-0 tile of width 112, a partial
        // level-1 tile of width 17 and a partial level-2 tile of width 1.
        let widths: Vec<(TileKind, u64, usize)> =
            partial_tiles(70_000).iter().map(|t| (t.kind, t.index, t.width)).collect();
        assert_eq!(
            widths,
            [
                (TileKind::Hashes(0), 273, 112),
                (TileKind::Hashes(1), 1, 17),
                (TileKind::Hashes(2), 0, 1)
            ]
        );
        let two_five_six: Vec<_> = partial_tiles(256).iter().map(|t| (t.kind, t.width)).collect();
        assert_eq!(two_five_six, [(TileKind::Hashes(1), 1)]);
    }

    fn entry(i: u64) -> Vec<u8> {
        i.to_be_bytes().to_vec()
    }

    #[test]
    fn the_frontier_gives_the_root_of_the_whole_tree_at_every_size() {
        let mut tree = ct_merkle::mem_backed_tree::MemoryBackedTree::<sha2::Sha256, Vec<u8>>::new();
        let mut frontier = Frontier::default();
        assert_eq!(frontier.root(), EMPTY_ROOT);
        let mut full = 0;
        for i in 0..70_000u64 {
            full += frontier.push(entry(i)).len();
            tree.push(entry(i));
            if i < 600 || i % 997 == 0 || i == 65_535 {
                assert_eq!(
                    &frontier.root()[..],
                    tree.root().as_bytes().as_slice(),
                    "size {}",
                    i + 1
                );
            }
        }
        // 273 level-0 tiles, 273 bundles, 1 level-1 tile.
        assert_eq!(full, 273 + 273 + 1);
    }

    #[test]
    fn a_frontier_resumes_from_its_published_partials_and_refuses_others() {
        let mut frontier = Frontier::default();
        for i in 0..66_000u64 {
            frontier.push(entry(i));
        }
        let partials = frontier.partials();
        let hashes: Vec<Vec<Hash>> = partials
            .iter()
            .filter(|w| matches!(w.path.kind, TileKind::Hashes(_)))
            .map(|w| read_tile(&w.bytes, w.path.width).expect("a tile"))
            .collect();
        let bundle = partials.iter().find(|w| w.path.kind == TileKind::Entries).expect("bundle");
        let entries = read_bundle(&bundle.bytes, bundle.path.width).expect("a bundle");
        let resumed = Frontier::resume(66_000, hashes.clone(), entries.clone()).expect("resumes");
        assert_eq!(resumed, frontier);
        assert!(Frontier::resume(66_001, hashes.clone(), entries.clone()).is_none(), "size");
        let mut other = entries.clone();
        other[0] = entry(9);
        assert!(Frontier::resume(66_000, hashes, other).is_none(), "entries not the tile's");
    }

    #[test]
    fn bundles_read_back_and_truncated_ones_do_not() {
        let entries = vec![b"a".to_vec(), Vec::new(), vec![7; 300]];
        let bytes = bundle_bytes(&entries);
        assert_eq!(read_bundle(&bytes, 3), Some(entries));
        assert_eq!(read_bundle(&bytes[..bytes.len() - 1], 3), None);
        assert_eq!(read_bundle(&bytes, 2), None);
        assert_eq!(read_tile(&[0; 64], 2).map(|t| t.len()), Some(2));
        assert_eq!(read_tile(&[0; 63], 2), None);
    }
}
