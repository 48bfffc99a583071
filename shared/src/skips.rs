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
    List(#[from] crate::direct::DirectError),
    #[error(
        "the skip record holds more than {RECORDS_MAX} records; an operator should look at it"
    )]
    TooMany,
    #[error("could not write the skip record: {0}")]
    Write(#[from] async_nats::jetstream::kv::CreateError),
    #[error("could not replace a malformed skip record: {0}")]
    Replace(#[from] async_nats::jetstream::kv::UpdateError),
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

/// A record of the bucket that is not a skip (written by hand, damaged): no reader takes it for
/// one, so it skips nothing, and every reader goes on as if it were absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Malformed {
    pub key: String,
    pub why: String,
}

/// The record under `key` as a skip; a malformed one is reported (once per key in this
/// process, at warn level) and taken as no skip. A reader that polled an unreadable record in
/// a loop, or refused to go on because of one, would turn one bad record into an outage.
fn parse(key: &str, bytes: &[u8]) -> Result<Skip, Malformed> {
    let parsed = serde_json::from_slice::<Skip>(bytes).map_err(|e| e.to_string());
    let parsed = parsed.and_then(|skip| {
        let named = key.strip_prefix("seq-").and_then(|n| n.parse::<u64>().ok());
        match named == Some(skip.sequence) {
            true => Ok(skip),
            false => Err(format!("it names sequence {}, not the one of its key", skip.sequence)),
        }
    });
    parsed.map_err(|why| {
        static REPORTED: std::sync::Mutex<std::collections::BTreeSet<String>> =
            std::sync::Mutex::new(std::collections::BTreeSet::new());
        let first = REPORTED.lock().map(|mut seen| seen.insert(key.to_owned())).unwrap_or(true);
        if first {
            tracing::warn!(key, %why, "a record in {BUCKET} is not a skip; it is ignored");
        }
        Malformed { key: key.to_owned(), why }
    })
}

/// The skip recorded for `sequence`, if any. A missing bucket means no skip; so does a
/// malformed record.
pub async fn lookup(js: &jetstream::Context, sequence: u64) -> Result<Option<Skip>, SkipError> {
    let Ok(store) = js.get_key_value(BUCKET).await else { return Ok(None) };
    let Some(bytes) = store.get(key(sequence)).await? else {
        return Ok(None);
    };
    Ok(parse(&key(sequence), &bytes).ok())
}

/// Every skip recorded, by sequence; malformed records left out.
pub async fn all(js: &jetstream::Context) -> Result<Vec<Skip>, SkipError> {
    Ok(listing(js).await?.0)
}

/// The most records (every revision of every key) a listing reads.
const RECORDS_MAX: usize = 100_000;

/// Every skip recorded, by sequence, and the records that are not skips, by key.
pub async fn listing(js: &jetstream::Context) -> Result<(Vec<Skip>, Vec<Malformed>), SkipError> {
    let (mut skips, mut malformed) = (Vec::new(), Vec::new());
    for (key, bytes) in latest(js).await? {
        match parse(&key, &bytes) {
            Ok(skip) => skips.push(skip),
            Err(bad) => malformed.push(bad),
        }
    }
    skips.sort_by_key(|s| s.sequence);
    malformed.sort_by(|a, b| a.key.cmp(&b.key));
    Ok((skips, malformed))
}

/// The bucket's keys with their latest values, read by direct gets (people may not create the
/// consumer a KV listing would); a key whose latest record is a delete or a purge is absent.
async fn latest(
    js: &jetstream::Context,
) -> Result<std::collections::BTreeMap<String, bytes::Bytes>, SkipError> {
    let stream = format!("KV_{BUCKET}");
    let (prefix, mut latest) = (format!("$KV.{BUCKET}."), std::collections::BTreeMap::new());
    if js.get_stream(&stream).await.is_err() {
        return Ok(latest); // No bucket: no skip was ever recorded.
    }
    let (client, mut after, mut read) = (js.client(), 0, 0);
    loop {
        let all = format!("{prefix}>");
        let batch = crate::direct::batch(&client, &stream, after, &all, RECORDS_MAX).await?;
        read += batch.messages.len();
        if read > RECORDS_MAX {
            return Err(SkipError::TooMany);
        }
        let Some(last) = batch.messages.last() else { return Ok(latest) };
        after = last.sequence;
        for record in batch.messages {
            let key = record.subject.strip_prefix(&prefix).unwrap_or(&record.subject).to_owned();
            match record.headers.get("KV-Operation").map(|v| v.as_str()) {
                Some("DEL" | "PURGE") => latest.remove(&key),
                _ => latest.insert(key, record.payload),
            };
        }
        if batch.pending == 0 {
            return Ok(latest);
        }
    }
}

/// Records a skip. Refused when one is already recorded for the sequence: a skip is a decision
/// made once and kept.
/// A malformed record under the sequence's key is no skip, so it is replaced (at the revision
/// read, so two operators cannot both replace it).
pub async fn record(js: &jetstream::Context, skip: &Skip) -> Result<(), SkipError> {
    let store = ensure_bucket(js, 1).await?;
    let bytes = serde_json::to_vec(skip).map_err(SkipError::Encode)?;
    let key = key(skip.sequence);
    let created = store.create(&key, bytes.clone().into()).await;
    match created {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.kind(), kv::CreateErrorKind::AlreadyExists) => {
            let entry = store.entry(&key).await?;
            let Some(entry) = entry.filter(|e| parse(&key, &e.value).is_err()) else {
                return Err(SkipError::AlreadyRecorded(skip.sequence));
            };
            store.update(&key, bytes.into(), entry.revision).await?;
            Ok(())
        }
        Err(e) => Err(SkipError::Write(e)),
    }
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
