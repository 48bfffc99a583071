//! The tile directory: the files a static web server (or the gateway, under `/log/`) serves as
//! the log, laid out as c2sp.org/tlog-tiles names them.
//!
//! ```text
//! <dir>/checkpoint            the latest checkpoint, signed and cosigned
//! <dir>/tile/<L>/<N>[.p/<W>]  hash tiles
//! <dir>/tile/entries/<N>[.p/<W>]
//! ```
//!
//! Every file is written whole ([`reform_shared::durable`]), so a reader (or a crash) never
//! sees half a tile. Tiles are written before the checkpoint that needs them; a tile once
//! written never changes. The publisher resumes from these files: the checkpoint's size and
//! its partial tiles are the tree's whole right edge.

use reform_shared::checkpoint::Checkpoint;
use reform_shared::tlog::proofs::HashSource;
use reform_shared::tlog::tiles::{
    partial_tiles, read_bundle, read_tile, Frontier, TileKind, TilePath, Written, TILE_WIDTH,
};
use reform_shared::tlog::Hash;
use std::path::{Path, PathBuf};

/// The checkpoint's file name under the directory.
pub const CHECKPOINT_FILE: &str = "checkpoint";

/// A fault of the tile directory.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("could not read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is damaged: {why}")]
    Damaged { path: PathBuf, why: String },
}

/// The directory a log's tiles are published in.
#[derive(Debug, Clone)]
pub struct TileDir {
    root: PathBuf,
}

impl TileDir {
    pub fn new(root: impl Into<PathBuf>) -> TileDir {
        TileDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, tile: &TilePath) -> PathBuf {
        self.root.join(tile.to_path())
    }

    /// Writes `bytes` at `path` under the directory, whole or not at all.
    fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        reform_shared::durable::replace(path, bytes)
            .map_err(|source| StoreError::Write { path: path.to_owned(), source })
    }

    /// Writes tiles and bundles; a full one already there is left as it is. Once a tile is
    /// full, its partial versions are removed (the specification allows it: a client falls
    /// back to the full tile), so the directory does not grow by a few files per checkpoint.
    pub fn put(&self, written: &[Written]) -> Result<(), StoreError> {
        for w in written {
            let path = self.path_of(&w.path);
            if w.path.width == TILE_WIDTH && path.exists() {
                continue;
            }
            self.write(&path, &w.bytes)?;
            if w.path.width == TILE_WIDTH {
                let partials = path.with_file_name(format!(
                    "{}.p",
                    path.file_name().and_then(|n| n.to_str()).unwrap_or_default()
                ));
                if let Err(e) = std::fs::remove_dir_all(&partials) {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        tracing::warn!(path = %partials.display(), error = %e, "could not remove superseded partial tiles");
                    }
                }
            }
        }
        Ok(())
    }

    /// Replaces the checkpoint.
    pub fn put_checkpoint(&self, note: &str) -> Result<(), StoreError> {
        self.write(&self.root.join(CHECKPOINT_FILE), note.as_bytes())
    }

    /// The checkpoint published, if any.
    pub fn checkpoint(&self) -> Result<Option<String>, StoreError> {
        let path = self.root.join(CHECKPOINT_FILE);
        match std::fs::read_to_string(&path) {
            Ok(note) => Ok(Some(note)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::Read { path, source }),
        }
    }

    fn read(&self, tile: &TilePath) -> Result<Vec<u8>, StoreError> {
        let path = self.path_of(tile);
        std::fs::read(&path).map_err(|source| StoreError::Read { path, source })
    }

    /// A partial tile's hashes, or a bundle's entries, from the full one when the partial was
    /// removed (the tree grew past it before a crash): a full tile begins with its partials.
    fn read_partial(&self, tile: &TilePath) -> Result<Vec<u8>, StoreError> {
        match self.read(tile) {
            Err(StoreError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                let full = self.read(&TilePath { width: TILE_WIDTH, ..*tile })?;
                Ok(match tile.kind {
                    TileKind::Hashes(_) => full.get(..tile.width * 32).unwrap_or(&full).to_vec(),
                    TileKind::Entries => {
                        let entries = read_bundle(&full, TILE_WIDTH).unwrap_or_default();
                        reform_shared::tlog::tiles::bundle_bytes(
                            &entries[..tile.width.min(entries.len())],
                        )
                    }
                })
            }
            other => other,
        }
    }

    /// The right edge of the tree the published checkpoint covers, checked against its root.
    pub fn resume(&self, checkpoint: &Checkpoint) -> Result<Frontier, StoreError> {
        let damaged = |why: String| StoreError::Damaged { path: self.root.clone(), why };
        let mut partials = Vec::new();
        for tile in partial_tiles(checkpoint.size) {
            let bytes = self.read_partial(&tile)?;
            partials.push(read_tile(&bytes, tile.width).ok_or_else(|| {
                damaged(format!("{} is not {} hashes", tile.to_path(), tile.width))
            })?);
        }
        let width = (checkpoint.size % TILE_WIDTH as u64) as usize;
        let entries = if width == 0 {
            Vec::new()
        } else {
            let bundle = TilePath {
                kind: TileKind::Entries,
                index: checkpoint.size / TILE_WIDTH as u64,
                width,
            };
            read_bundle(&self.read_partial(&bundle)?, width)
                .ok_or_else(|| damaged(format!("{} is not {width} entries", bundle.to_path())))?
        };
        let frontier = Frontier::resume(checkpoint.size, partials, entries)
            .ok_or_else(|| damaged("the partial tiles do not fit together".into()))?;
        if frontier.root() != checkpoint.root {
            return Err(damaged(format!(
                "the tiles do not give the root of the checkpoint of {} entries",
                checkpoint.size
            )));
        }
        Ok(frontier)
    }

    /// The tree's stored hashes as the tiles of a tree of `size` entries hold them.
    pub fn hashes(&self, size: u64) -> DirHashes<'_> {
        DirHashes { dir: self, size }
    }
}

/// [`HashSource`] over a tile directory, for a tree of a given size: a full tile when there is
/// one, else the partial tile of that size.
#[derive(Debug)]
pub struct DirHashes<'a> {
    dir: &'a TileDir,
    size: u64,
}

impl HashSource for DirHashes<'_> {
    type Error = StoreError;

    fn hash(&self, level: u8, index: u64) -> Result<Hash, StoreError> {
        let tile_index = index / TILE_WIDTH as u64;
        let at = (index % TILE_WIDTH as u64) as usize;
        let full = TilePath { kind: TileKind::Hashes(level), index: tile_index, width: TILE_WIDTH };
        let tile = if self.dir.path_of(&full).exists() {
            full
        } else {
            let level_size = self.size >> (8 * u32::from(level));
            let width = (level_size % TILE_WIDTH as u64) as usize;
            TilePath { width, ..full }
        };
        // The publisher may fill the tile (and remove its partials) between the two looks.
        let bytes = self.dir.read_partial(&tile)?;
        bytes.get(at * 32..at * 32 + 32).and_then(|h| h.try_into().ok()).ok_or_else(|| {
            StoreError::Damaged { path: self.dir.path_of(&tile), why: format!("no hash at {at}") }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grow(frontier: &mut Frontier, dir: &TileDir, to: u64) {
        while frontier.size() < to {
            let entry = reform_shared::checkpoint::entry(frontier.size() + 1, b"m");
            let written = frontier.push(entry);
            dir.put(&written).expect("writes");
        }
    }

    #[test]
    fn the_tree_resumes_from_its_checkpoint_even_past_a_crash_that_filled_its_tile() {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = TileDir::new(temp.path());
        let mut frontier = Frontier::default();
        grow(&mut frontier, &dir, 300);
        dir.put(&frontier.partials()).expect("partials");
        let at_300 = frontier.clone();
        let cp = Checkpoint { origin: "o".into(), size: 300, root: frontier.root() };
        // The tree grows past the partial tile of 300 (the full tile replaces it) and the
        // publisher dies before its next checkpoint.
        grow(&mut frontier, &dir, 600);
        assert!(!temp.path().join("tile/0/001.p").exists(), "the partial tile was superseded");
        assert_eq!(dir.resume(&cp).expect("resumes"), at_300);

        // A tile altered on disk is named, not built on.
        std::fs::write(temp.path().join("tile/0/001"), [0u8; 8192]).expect("write");
        let damaged = dir.resume(&cp).expect_err("damaged");
        assert!(damaged.to_string().contains("is damaged"), "{damaged}");
    }
}
