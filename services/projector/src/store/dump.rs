//! The canonical dump: a digest of every view table, equal for equal views whatever order
//! they were written in. Rebuild-equals-live and the crash tests compare it.

use super::rows::*;
use super::schema::*;
use super::{Dump, Store, StoreError};
use redb::{
    Key, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
    TableHandle,
};
use serde::Serialize;
use sha2::Digest as _;

impl Store {
    /// The canonical dump: equal for equal views, whatever order they were written in.
    pub fn dump(&self) -> Result<Dump, StoreError> {
        let txn = self.db.begin_read()?;
        let mut hasher = sha2::Sha256::new();
        let mut rows = 0u64;
        let meta = txn.open_table(META)?;
        let applied_through = meta.get(APPLIED_THROUGH)?.map_or(0, |g| g.value());
        let events_applied = meta.get(EVENTS_APPLIED)?.map_or(0, |g| g.value());
        rows +=
            hash_table(&txn, META, &mut hasher, |k, v| (k.to_owned(), v.to_le_bytes().to_vec()))?;
        rows += hash_table(&txn, SKIPPED, &mut hasher, |k, v| (k, v.as_bytes().to_vec()))?;
        for def in [UNITS, PEOPLE, TENURES, PLANS, TASKS, FINDINGS, EVIDENCE] {
            rows += hash_table(&txn, def, &mut hasher, |k, v| (k.to_owned(), v.to_vec()))?;
        }
        rows += hash_table(&txn, FRAMEWORKS, &mut hasher, |k, v| (k, v.to_vec()))?;
        rows += hash_table(&txn, SCORE_CHANGES, &mut hasher, |(u, y, c, s, q), v| {
            ((u.to_owned(), y, c.to_owned(), s, q), v.to_vec())
        })?;
        rows += hash_table(&txn, ROOTS, &mut hasher, |k, ()| (k.to_owned(), Vec::new()))?;
        for def in TWO_KEY_INDEXES {
            rows += hash_table(&txn, def, &mut hasher, |(a, b), ()| {
                ((a.to_owned(), b.to_owned()), Vec::new())
            })?;
        }
        for def in [UNIT_TASKS, UNIT_EVIDENCE] {
            rows += hash_table(&txn, def, &mut hasher, |(a, y, b), ()| {
                ((a.to_owned(), y, b.to_owned()), Vec::new())
            })?;
        }
        Ok(Dump { applied_through, events_applied, rows, sha256: hex::encode(hasher.finalize()) })
    }
}

/// Hashes one table: its name, then each row as length-prefixed postcard key and value bytes.
fn hash_table<K: Key + 'static, V: redb::Value + 'static, KO: Serialize>(
    txn: &ReadTransaction,
    def: TableDefinition<K, V>,
    hasher: &mut sha2::Sha256,
    row: impl Fn(K::SelfType<'_>, V::SelfType<'_>) -> (KO, Vec<u8>),
) -> Result<u64, StoreError> {
    let table = txn.open_table(def)?;
    hasher.update(def.name().as_bytes());
    hasher.update(table.len()?.to_le_bytes());
    let mut count = 0u64;
    for entry in table.iter()? {
        let (k, v) = entry?;
        let (key, value) = row(k.value(), v.value());
        let key = encode("dump", &key)?;
        for part in [&key, &value] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        count += 1;
    }
    Ok(count)
}
