//! The content keys: one per stored content, in the stream [`STREAM`] on
//! `par.evidence-key.<sha256 hex>`, outside the log and outside the bucket. Erasing a content
//! deletes its key's message, and the broker overwrites a deleted message where it lay on disk
//! (a message delete erases unless asked not to), so the sealed bytes in the bucket, its
//! replicas and the backups taken since can never be opened again.
//!
//! Only the evidence service writes or deletes keys (the broker's permissions); people's tools
//! read one key by its subject to open a file they fetch, as they read the file itself.

use crate::seal::ContentKey;
use async_nats::jetstream::{self, message::PublishMessage, stream};
use reform_shared::event::Sha256;

/// The stream of content keys.
pub const STREAM: &str = "PAR_EVIDENCE_KEYS";
/// Subjects of content keys: `par.evidence-key.<sha256 hex>`.
pub const SUBJECT_PREFIX: &str = "par.evidence-key";

/// Why a key could not be kept, read or destroyed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the content key stream {STREAM} is not available: {source}{hint}")]
    Stream { source: reform_shared::Source, hint: &'static str },
    #[error("the content key of {key} is not a key: {detail}")]
    Corrupt { key: String, detail: String },
}

fn stream_error(e: impl Into<reform_shared::Source>) -> KeyError {
    KeyError::Stream { source: e.into(), hint: "" }
}

/// The subject of a content's key.
pub fn subject(sha256: &Sha256) -> String {
    format!("{SUBJECT_PREFIX}.{}", hex::encode(sha256))
}

/// The key stream, without its information (reading it is all its users do).
pub type Keys = stream::Stream<()>;

/// Creates the key stream when missing (file storage, one key per content). Idempotent.
pub async fn ensure_stream(js: &jetstream::Context, replicas: usize) -> Result<Keys, KeyError> {
    if js.get_stream(STREAM).await.is_ok() {
        return open(js).await;
    }
    let config = stream::Config {
        name: STREAM.to_owned(),
        description: Some("Reform-task tracker: the key of each evidence content".into()),
        subjects: vec![format!("{SUBJECT_PREFIX}.>")],
        max_messages_per_subject: 1,
        allow_direct: true,
        storage: stream::StorageType::File,
        num_replicas: replicas.max(1),
        ..Default::default()
    };
    match js.create_stream(config).await {
        Ok(_) => open(js).await,
        // Another replica may have created it at the same moment.
        Err(create) => match js.get_stream(STREAM).await {
            Ok(_) => open(js).await,
            Err(_) => Err(stream_error(create)),
        },
    }
}

/// Opens the key stream for reading.
pub async fn open(js: &jetstream::Context) -> Result<Keys, KeyError> {
    js.get_stream_no_info(STREAM).await.map_err(|e| KeyError::Stream {
        source: e.into(),
        hint: " (the evidence service creates it when it starts)",
    })
}

/// The key of a content, if it has one: `None` for content stored before sealing, and for
/// erased content.
pub async fn get(keys: &Keys, sha256: &Sha256) -> Result<Option<ContentKey>, KeyError> {
    use stream::DirectGetErrorKind;
    match keys.direct_get_last_for_subject(subject(sha256)).await {
        Ok(message) => ContentKey::from_bytes(&message.payload)
            .map(Some)
            .map_err(|e| KeyError::Corrupt { key: hex::encode(sha256), detail: e.to_string() }),
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(None),
        Err(e) => Err(stream_error(e)),
    }
}

/// The key to seal a content under: the one it has, or a new one kept first. Two writers
/// at once agree: only the first key of a subject is kept, and the second writer takes it.
pub async fn key_for(
    js: &jetstream::Context,
    keys: &Keys,
    sha256: &Sha256,
) -> Result<ContentKey, KeyError> {
    if let Some(key) = get(keys, sha256).await? {
        return Ok(key);
    }
    let fresh = ContentKey::generate()
        .map_err(|e| KeyError::Corrupt { key: hex::encode(sha256), detail: e.to_string() })?;
    if put_back(js, sha256, &fresh).await? {
        return Ok(fresh);
    }
    get(keys, sha256).await?.ok_or_else(|| KeyError::Corrupt {
        key: hex::encode(sha256),
        detail: "kept by another writer, then gone".into(),
    })
}

/// Keeps `key` as a content's key (a new one, or one a restore puts back), unless the content
/// has one already; whether it was kept.
pub async fn put_back(
    js: &jetstream::Context,
    sha256: &Sha256,
    key: &ContentKey,
) -> Result<bool, KeyError> {
    let first = PublishMessage::build()
        .payload(bytes::Bytes::copy_from_slice(&key.0))
        .expected_last_subject_sequence(0);
    let ack = js.send_publish(subject(sha256), first).await.map_err(stream_error)?;
    match ack.await {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == jetstream::context::PublishErrorKind::WrongLastSequence => Ok(false),
        Err(e) => Err(stream_error(e)),
    }
}

/// Destroys a content's key; `false` when it had none (destroyed already). The broker
/// overwrites the deleted message on disk.
pub async fn destroy(keys: &Keys, sha256: &Sha256) -> Result<bool, KeyError> {
    use stream::LastRawMessageErrorKind;
    let sequence = match keys.get_last_raw_message_by_subject(&subject(sha256)).await {
        Ok(message) => message.sequence,
        Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => return Ok(false),
        Err(e) => return Err(stream_error(e)),
    };
    keys.delete_message(sequence).await.map_err(stream_error)
}
