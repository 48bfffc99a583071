//! How ids and records become keys and bytes.

use super::schema::{Bytes, Str};
use super::StoreError;
use redb::ReadableTable;
use reform_shared::event::{Stage, UnitKind};
use reform_shared::ids::{EvidenceId, FindingId, PersonId, PlanId, TaskId, TenureId, UnitId};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub(super) fn kind_index(kind: UnitKind) -> u8 {
    UnitKind::ALL.iter().position(|k| *k == kind).and_then(|i| u8::try_from(i).ok()).unwrap_or(0)
}

pub(super) fn stage_index(stage: Stage) -> u8 {
    Stage::ALL.iter().position(|s| *s == stage).and_then(|i| u8::try_from(i).ok()).unwrap_or(0)
}

pub(super) fn stage_of(index: u8) -> Option<Stage> {
    Stage::ALL.get(usize::from(index)).copied()
}

pub(super) fn encode<T: Serialize>(table: &'static str, value: &T) -> Result<Vec<u8>, StoreError> {
    postcard::to_stdvec(value).map_err(|source| StoreError::Encode { table, source })
}

pub(super) fn decode<T: DeserializeOwned>(
    table: &'static str,
    key: &str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt {
        table,
        key: key.to_owned(),
        detail: e.to_string(),
    })
}

/// Reads a postcard record by string key.
pub(super) fn get_rec<T: DeserializeOwned>(
    table: &impl ReadableTable<Str, Bytes>,
    name: &'static str,
    key: &str,
) -> Result<Option<T>, StoreError> {
    match table.get(key)? {
        Some(guard) => Ok(Some(decode(name, key, guard.value())?)),
        None => Ok(None),
    }
}

/// The ids used as string keys.
pub(super) trait IdStr {
    fn id_str(&self) -> &str;
}

macro_rules! id_str {
    ($($t:ty),*) => {$(
        impl IdStr for $t {
            fn id_str(&self) -> &str {
                self.as_str()
            }
        }
    )*};
}
id_str!(UnitId, PersonId, TenureId, PlanId, TaskId, FindingId, EvidenceId);

pub(super) fn load_into<Id: Ord + Clone + IdStr, T: DeserializeOwned>(
    table: &impl ReadableTable<Str, Bytes>,
    name: &'static str,
    id: &Id,
    map: &mut std::collections::BTreeMap<Id, T>,
) -> Result<(), StoreError> {
    let key = id.id_str();
    if let Some(rec) = get_rec(table, name, key)? {
        map.insert(id.clone(), rec);
    }
    Ok(())
}

pub(super) fn parse_id<T: std::str::FromStr>(
    table: &'static str,
    text: &str,
) -> Result<T, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt {
        table,
        key: text.to_owned(),
        detail: "not a valid id".into(),
    })
}
