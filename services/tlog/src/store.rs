//! The tile directory: the files a static web server (or the gateway, under `/log/`) serves as
//! the log, laid out as c2sp.org/tlog-tiles names them.
//!
//! ```text
//! <dir>/checkpoint            the latest checkpoint, signed and cosigned
//! <dir>/tile/<L>/<N>[.p/<W>]  hash tiles
//! <dir>/tile/entries/<N>[.p/<W>]
//! ```
//!
//! Every file is written to a temporary name, synced and renamed, so a reader (or a crash)
//! never sees half a tile. Tiles are written before the checkpoint that needs them; a tile once
//! written never changes. The publisher resumes from these files: the checkpoint's size and
//! its partial tiles are the tree's whole right edge.

use reform_shared::checkpoint::Checkpoint;
use reform_shared::tlog::proofs::HashSource;
use reform_shared::tlog::tiles::{
    partial_tiles, read_bundle, read_tile, Frontier, TileKind, TilePath, Written, TILE_WIDTH,
};
use reform_shared::tlog::Hash;
use std::io::Write as _;
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
        let err = |source| StoreError::Write { path: path.to_owned(), source };
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir).map_err(err)?;
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
        temp.write_all(bytes).map_err(err)?;
        temp.as_file().sync_all().map_err(err)?;
        temp.persist(path).map_err(|e| err(e.error))?;
        Ok(())
    }

    /// Writes tiles and bundles; a full one already there is left as it is.
    pub fn put(&self, written: &[Written]) -> Result<(), StoreError> {
        for w in written {
            let path = self.path_of(&w.path);
            if w.path.width == TILE_WIDTH && path.exists() {
                continue;
            }
            self.write(&path, &w.bytes)?;
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

    /// The right edge of the tree the published checkpoint covers, checked against its root.
    pub fn resume(&self, checkpoint: &Checkpoint) -> Result<Frontier, StoreError> {
        let damaged = |why: String| StoreError::Damaged { path: self.root.clone(), why };
        let mut partials = Vec::new();
        for tile in partial_tiles(checkpoint.size) {
            let bytes = self.read(&tile)?;
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
            read_bundle(&self.read(&bundle)?, width)
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
        let bytes = self.dir.read(&tile)?;
        bytes.get(at * 32..at * 32 + 32).and_then(|h| h.try_into().ok()).ok_or_else(|| {
            StoreError::Damaged { path: self.dir.path_of(&tile), why: format!("no hash at {at}") }
        })
    }
}
