//! The operator's recorded way past an unreadable event, shared by every reader of the log.
//!
//! An event nobody can decode stops every reader at its stream sequence: deciding or projecting
//! on a log with a silent hole would be wrong. An operator who has looked at the bytes records a
//! [`Skip`] (`reformctl log skip SEQ --reason TEXT`) in the KV bucket [`BUCKET`]: the sequence,
//! the SHA-256 of the exact bytes skipped, who and why. Every reader (each command service, the
//! projector, a rebuild) consults the same record and goes past that message only if its bytes
//! still have that digest, so a skip cannot be stretched to cover anything else. The stream
//! itself is never altered (it refuses deletes); the skip is recorded beside it, once, and is
//! never overwritten.

use async_nats::jetstream::{self, kv};
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// The bucket of operator skips.
pub const BUCKET: &str = "PAR_SKIPS";

/// Why a skip could not be read or recorded. Each names what an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum SkipError {
    #[error("give a reason: a skip is kept forever beside the log, and auditors read it")]
    NoReason,
    #[error("a skip is already recorded for stream sequence {0}")]
    AlreadyRecorded(u64),
    #[error(
        "the event at sequence {sequence} is readable ({event}); only an unreadable event can be \
         skipped"
    )]
    Readable { sequence: u64, event: &'static str },
    #[error("stream {stream} has no message at sequence {sequence}: {source}", stream = crate::subject::STREAM_NAME)]
    NoMessage { sequence: u64, source: async_nats::jetstream::stream::DirectGetError },
    #[error("could not read the event stream: {0}")]
    Stream(#[from] async_nats::jetstream::context::GetStreamError),
    #[error("could not create the skip bucket {BUCKET}: {0}")]
    CreateBucket(#[from] async_nats::jetstream::context::CreateKeyValueError),
    #[error("could not read the skip record: {0}")]
    Read(#[from] async_nats::jetstream::kv::EntryError),
    #[error("could not list the skip record: {0}")]
    Keys(#[from] async_nats::jetstream::kv::HistoryError),
    #[error("could not list the skip record: {0}")]
    Watch(#[from] async_nats::jetstream::kv::WatcherError),
    #[error("could not write the skip record: {0}")]
    Write(#[from] async_nats::jetstream::kv::CreateError),
    #[error("the skip recorded under {key} is unreadable: {source}")]
    Unreadable { key: String, source: serde_json::Error },
    #[error("could not encode the skip: {0}")]
    Encode(serde_json::Error),
}

/// One recorded skip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skip {
    /// The stream sequence of the unreadable message.
    pub sequence: u64,
    /// SHA-256 (hex) of the message's bytes as stored: the skip covers exactly these bytes.
    pub payload_sha256: String,
    /// Why the operator judged it safe to go past it.
    pub reason: String,
    /// Who recorded it.
    pub by: String,
    /// When, RFC 3339 in Vietnam time.
    pub recorded_at: String,
    /// Why the message could not be read, as the readers said.
    pub unreadable_because: String,
}

impl Skip {
    /// Whether this skip covers these bytes.
    pub fn covers(&self, payload: &[u8]) -> bool {
        self.payload_sha256 == payload_sha256(payload)
    }
}

/// The hex SHA-256 of a message's bytes.
pub fn payload_sha256(payload: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(payload))
}

fn key(sequence: u64) -> String {
    format!("seq-{sequence}")
}

/// Creates the bucket if it is absent (part of provisioning the log).
pub async fn ensure_bucket(
    js: &jetstream::Context,
    replicas: usize,
) -> Result<kv::Store, SkipError> {
    if let Ok(store) = js.get_key_value(BUCKET).await {
        return Ok(store);
    }
    js.create_key_value(kv::Config {
        bucket: BUCKET.to_owned(),
        description: "Reform-task tracker: operator skips of unreadable events".into(),
        history: 8,
        storage: jetstream::stream::StorageType::File,
        num_replicas: replicas.max(1),
        ..Default::default()
    })
    .await
    .map_err(SkipError::from)
}

/// The skip recorded for `sequence`, if any. A missing bucket means no skip.
pub async fn lookup(js: &jetstream::Context, sequence: u64) -> Result<Option<Skip>, SkipError> {
    let Ok(store) = js.get_key_value(BUCKET).await else { return Ok(None) };
    let Some(bytes) = store.get(key(sequence)).await? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| SkipError::Unreadable { key: key(sequence), source })
}

/// Every skip recorded, by sequence.
pub async fn all(js: &jetstream::Context) -> Result<Vec<Skip>, SkipError> {
    let Ok(store) = js.get_key_value(BUCKET).await else { return Ok(Vec::new()) };
    let mut keys = store.keys().await?;
    let mut skips = Vec::new();
    while let Some(key) = keys.next().await {
        let key = key?;
        if let Some(bytes) = store.get(key.as_str()).await? {
            let skip: Skip = serde_json::from_slice(&bytes)
                .map_err(|source| SkipError::Unreadable { key: key.clone(), source })?;
            skips.push(skip);
        }
    }
    skips.sort_by_key(|s| s.sequence);
    Ok(skips)
}

/// Records a skip. Refused when one is already recorded for the sequence: a skip is a decision
/// made once and kept.
pub async fn record(js: &jetstream::Context, skip: &Skip) -> Result<(), SkipError> {
    let store = ensure_bucket(js, 1).await?;
    let bytes = serde_json::to_vec(skip).map_err(SkipError::Encode)?;
    store.create(key(skip.sequence), bytes.into()).await.map_err(|e| {
        if matches!(e.kind(), kv::CreateErrorKind::AlreadyExists) {
            SkipError::AlreadyRecorded(skip.sequence)
        } else {
            SkipError::Write(e)
        }
    })?;
    Ok(())
}

/// Records a skip of the message at `sequence`, after checking that it is there and that it is
/// unreadable (a readable event is never skipped). Returns the skip and the message's size.
pub async fn skip_unreadable(
    js: &jetstream::Context,
    sequence: u64,
    reason: &str,
    by: &str,
) -> Result<(Skip, usize), SkipError> {
    if reason.trim().is_empty() {
        return Err(SkipError::NoReason);
    }
    let stream = js.get_stream(crate::subject::STREAM_NAME).await?;
    let message = stream
        .direct_get(sequence)
        .await
        .map_err(|source| SkipError::NoMessage { sequence, source })?;
    let why = match crate::codec::decode(&message.payload) {
        Ok(record) => {
            return Err(SkipError::Readable { sequence, event: record.envelope.event.type_name() })
        }
        Err(e) => e.to_string(),
    };
    let skip = Skip {
        sequence,
        payload_sha256: payload_sha256(&message.payload),
        reason: reason.to_owned(),
        by: by.to_owned(),
        recorded_at: crate::time::Timestamp::now().to_rfc3339(),
        unreadable_because: why,
    };
    record(js, &skip).await?;
    Ok((skip, message.payload.len()))
}
