//! The views' storage: one redb file.
//!
//! Every record of [`State`](crate::model::State) is a row of its own table, keyed by the record's id (redb's native
//! string, integer and tuple keys, so prefix ranges are real ranges) and holding the record in
//! postcard. A batch of events is applied in one write transaction: the records the batch
//! touches are loaded into an in-memory [`State`](crate::model::State), the batch is applied there by the pure
//! [`crate::model::apply`], and the records, the index entries and `applied_through`
//! (`meta.applied_through`) are written back before the one commit. So a crash leaves either all
//! of a batch or none of it, and `applied_through` always names exactly what the views hold.
//!
//! Memory is bounded by the batch and redb's cache ([`REDB_CACHE_BYTES_MAX`]), not by the log.
//! Queries read a consistent snapshot (a read transaction) while batches are being written.
//!
//! One module per concern:
//! - [`schema`]: the tables, the layout version, creating them;
//! - [`rows`]: how ids and records become keys and bytes;
//! - [`write`]: applying a batch, in one transaction with `applied_through`;
//! - [`read`]: loading the slice of the state a query needs, from one read snapshot;
//! - [`dump`]: the canonical dump (a digest of every table) that rebuild-equals-live compares;
//! - [`ops`]: what operators and start-up do: the log's identity, skips, dropping the views.

mod dump;
mod ops;
mod read;
mod rows;
mod schema;
mod write;

use redb::{Database, ReadableDatabase, ReadableTable};
use reform_shared::envelope::Record;
use schema::*;
use std::path::Path;

pub use schema::LAYOUT_VERSION;

/// redb's page cache. Its default (1 GiB) would let memory grow with the views; this bound
/// keeps the projector's memory flat however long the log.
pub const REDB_CACHE_BYTES_MAX: usize = 16 * 1024 * 1024;

/// What can go wrong with the views file. All are infrastructure: stop, alert an operator.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("views database: {0}")]
    Redb(#[from] redb::Error),
    #[error("views database {path}: {source}")]
    Open { path: String, source: redb::DatabaseError },
    #[error("record {key} in table {table} is unreadable ({detail}); rebuild the views")]
    Corrupt { table: &'static str, key: String, detail: String },
    #[error("could not encode a record for table {table}: {source}")]
    Encode { table: &'static str, source: postcard::Error },
    #[error(
        "views file {path} has storage layout {found}, this build uses layout {expected}; run \
         `reform-projector --db {path} rebuild` to project the views again from the stream \
         (stop the projector first)"
    )]
    Layout { path: String, found: u64, expected: u64 },
    #[error(
        "only the next event can be skipped: the views are at sequence {applied_through}, so \
         that is {next}, not {asked}"
    )]
    SkipNotNext { applied_through: u64, next: u64, asked: u64 },
}

macro_rules! redb_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Redb(e.into())
            }
        }
    )*};
}
redb_errors!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

/// One event of a batch: its stream sequence and the decoded record, or `None` for a sequence
/// an operator skipped.
#[derive(Debug, Clone)]
pub struct Item {
    pub seq: u64,
    pub record: Option<Record>,
    /// Earlier events of the record's task, with their sequences, applied just before it: a
    /// task moving into a split projector's provinces brings the history it skipped
    /// ([`crate::split`]). Empty otherwise.
    pub history: Vec<(u64, Record)>,
}

impl Item {
    pub fn new(seq: u64, record: Option<Record>) -> Self {
        Item { seq, record, history: Vec::new() }
    }
}

/// Whether a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// fsync before the commit returns.
    Durable,
    /// Atomic, visible, but synced only by a later durable commit (see `consume::apply_loop`).
    Deferred,
}

/// The canonical summary of the views: `applied_through` and a SHA-256 over every table in a
/// fixed order, every row in key order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dump {
    pub applied_through: u64,
    pub events_applied: u64,
    pub rows: u64,
    pub sha256: String,
}

/// The views file.
#[derive(Debug)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Opens (or creates) the views file. Fails if another process has it open.
    ///
    /// A new file gets [`LAYOUT_VERSION`]; a file of another layout is refused with
    /// [`StoreError::Layout`], which names the `rebuild` that fixes it.
    ///
    /// A file redb cannot open for damage (truncated, overwritten: not one another process
    /// holds), or whose pages do not match their checksums (a byte flipped on the disk), is set
    /// aside ([`reform_shared::derived`]) and a new one started, which the projector fills from
    /// the log; a damaged views file never stops the stack. The check reads the whole file.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let checked = reform_shared::derived::open_checked(&Store::builder(), path)
            .map(|db| Store { db })
            .map_err(|source| StoreError::Open { path: path.display().to_string(), source });
        let store = match checked {
            Err(StoreError::Open { source, .. }) if reform_shared::derived::is_damage(&source) => {
                let aside = reform_shared::derived::set_aside(path)
                    .map_err(|e| StoreError::Redb(redb::Error::Io(e)))?;
                tracing::warn!(file = %path.display(), aside = %aside.display(), error = %source, "the views file is damaged; set aside, projecting the views again from the log");
                Store::open_any_layout(path)?
            }
            other => other?,
        };
        let txn = store.db.begin_write()?;
        let fresh = txn.list_tables()?.next().is_none();
        let found = txn.open_table(META)?.get(LAYOUT_KEY)?.map(|g| g.value());
        match found {
            Some(LAYOUT_VERSION) => {}
            None if fresh => {}
            other => {
                // Dropped without a commit: the file is left exactly as it was.
                return Err(StoreError::Layout {
                    path: path.display().to_string(),
                    found: other.unwrap_or(1),
                    expected: LAYOUT_VERSION,
                });
            }
        }
        create_tables(&txn)?;
        txn.commit()?;
        Ok(store)
    }

    /// Opens the file whatever its layout, for `rebuild` (whose `drop_views` writes the
    /// current layout) and nothing else.
    pub fn open_any_layout(path: &Path) -> Result<Store, StoreError> {
        let db = Store::builder()
            .create(path)
            .map_err(|source| StoreError::Open { path: path.display().to_string(), source })?;
        Ok(Store { db })
    }

    fn builder() -> redb::Builder {
        let mut builder = Database::builder();
        builder.set_cache_size(REDB_CACHE_BYTES_MAX);
        builder
    }

    /// The last stream sequence the views hold (0 for none).
    pub fn applied_through(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        Ok(meta.get(APPLIED_THROUGH)?.map_or(0, |g| g.value()))
    }
}
