//! What operators and start-up do to the views file besides applying events: record which
//! log it belongs to, keep the skips of earlier builds, drop the views for a rebuild.

use super::schema::*;
use super::{Store, StoreError};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

impl Store {
    /// The identity (text) of the log these views came from; `None` for a fresh file or one
    /// written before identities were recorded.
    pub fn log_identity(&self) -> Result<Option<String>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(LOG)?;
        Ok(table.get(LOG_IDENTITY_KEY)?.map(|g| g.value().to_owned()))
    }

    /// Records which log the views come from.
    pub fn set_log_identity(&self, identity: &str) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        txn.open_table(LOG)?.insert(LOG_IDENTITY_KEY, identity)?;
        txn.commit()?;
        Ok(())
    }

    /// Sequences an operator skipped, with their reasons.
    pub fn skipped(&self) -> Result<Vec<(u64, String)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(SKIPPED)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            out.push((k.value(), v.value().to_owned()));
        }
        Ok(out)
    }

    /// Records that the event at `seq` is skipped, and moves `applied_through` past it. Only the
    /// next event can be skipped: the one that stopped the projector.
    pub fn skip(&self, seq: u64, reason: &str) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            let applied_through = meta.get(APPLIED_THROUGH)?.map_or(0, |g| g.value());
            if seq != applied_through + 1 {
                return Err(StoreError::SkipNotNext {
                    applied_through,
                    next: applied_through + 1,
                    asked: seq,
                });
            }
            meta.insert(APPLIED_THROUGH, seq)?;
            txn.open_table(SKIPPED)?.insert(seq, reason)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Drops every view and `applied_through` (operator skips are kept: they are decisions about
    /// the log, and a rebuild must make them again to equal the live views).
    pub fn drop_views(&self) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        for name in VIEW_TABLES.into_iter().chain(LEGACY_TABLES) {
            txn.delete_table(TableDefinition::<(), ()>::new(name))?;
        }
        create_tables(&txn)?;
        txn.commit()?;
        Ok(())
    }
}
