//! How a file's bytes reach the evidence service: a client may not write the evidence bucket
//! (the broker lets only the evidence service do that), so it stages the file in the upload
//! stream [`STREAM`], as chunks on `par.upload.<sha256>.<upload id>`, and names the upload in
//! its signed attach command. Once the attach is decided and permitted, the service reads the
//! staged chunks back, checks size and digest, and stores the file under its digest
//! ([`crate::verify`]).
//!
//! The stream keeps chunks for [`UPLOAD_MAX_AGE`] and at most [`UPLOAD_STREAM_BYTES`] (a
//! deployment may set less), and an upload at most the [`UPLOAD_CHUNKS_MAX`] chunks of the
//! largest file: staging is a waiting room, never a second store. A full room refuses new
//! chunks; it never drops staged ones, so a flood of uploads cannot evict another person's
//! upload, only make new ones wait until the old expire. Clients may publish there but not read
//! it, so nobody can learn another client's upload id to interfere with it; a chunk published
//! under someone else's id would only make that upload fail its digest check.

use crate::store::{self, StoreError};
use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt as _;
use reform_shared::event::Sha256;
use std::time::Duration;

/// The staging stream.
pub const STREAM: &str = "PAR_UPLOADS";
/// Subjects of staged chunks: `par.upload.<sha256 hex>.<upload id>`.
pub const SUBJECT_PREFIX: &str = "par.upload";
/// One chunk; well under the broker's 1 MB message limit.
pub const CHUNK_BYTES: usize = 256 * 1024;
/// How long a staged upload waits for its attach command, which its sender sends at once.
pub const UPLOAD_MAX_AGE: Duration = Duration::from_secs(15 * 60);
/// The most the staging stream holds at once, by default: the broker reserves it on disk.
pub const UPLOAD_STREAM_BYTES: i64 = 1024 * 1024 * 1024;
/// The most chunks one upload may hold: those of the largest file accepted.
pub const UPLOAD_CHUNKS_MAX: u64 = crate::EVIDENCE_BYTES_MAX.div_ceil(CHUNK_BYTES as u64);
/// How long reading an upload back may see nothing before it is given up.
const READ_STALL: Duration = Duration::from_secs(5);

/// Why an upload could not be staged or taken in.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the upload stream {STREAM} is not available: {source}{hint}")]
    Stream { source: reform_shared::Source, hint: &'static str },
    #[error(
        "the evidence waiting room is full ({detail}): what others staged in the last \
         {UPLOAD_MAX_AGE:?} fills it, and nothing staged is dropped for a new upload; send the \
         file again in a few minutes"
    )]
    Full { detail: String },
    #[error("{0:?} is not an upload id (letters and digits, at most 64)")]
    BadId(String),
    #[error(
        "upload {upload} of file {sha256} is not staged (expired after {UPLOAD_MAX_AGE:?}, or \
         never sent); send the file again"
    )]
    Missing { upload: String, sha256: String },
    #[error(
        "upload {upload} holds {found_size} bytes hashing to {found}, not the {size} bytes \
         hashing to {sha256} the command names"
    )]
    Mismatch { upload: String, sha256: String, size: u64, found: String, found_size: u64 },
    #[error(
        "upload {upload} holds {chunks} chunks, and a file of {size} bytes is sent in at most \
         {most}; send the file again"
    )]
    TooManyChunks { upload: String, size: u64, chunks: u64, most: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The subject of an upload's chunks.
pub fn subject(sha256: &Sha256, upload: &str) -> String {
    format!("{SUBJECT_PREFIX}.{}.{upload}", hex::encode(sha256))
}

/// Whether text may be an upload id (one subject token, no wildcard).
pub fn valid_id(upload: &str) -> bool {
    !upload.is_empty() && upload.len() <= 64 && upload.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The staging stream's settings, holding at most `max_bytes`.
fn stream_config(replicas: usize, max_bytes: i64) -> stream::Config {
    stream::Config {
        name: STREAM.to_owned(),
        description: Some("Reform-task tracker: evidence files waiting for their attach".into()),
        subjects: vec![format!("{SUBJECT_PREFIX}.>")],
        max_age: UPLOAD_MAX_AGE,
        max_bytes,
        // Full, it refuses what comes; it never drops a staged upload for a newcomer.
        discard: stream::DiscardPolicy::New,
        max_messages_per_subject: i64::try_from(UPLOAD_CHUNKS_MAX).unwrap_or(i64::MAX),
        discard_new_per_subject: true,
        storage: stream::StorageType::File,
        num_replicas: replicas.max(1),
        ..Default::default()
    }
}

/// Creates the staging stream when missing, holding at most `max_bytes`; brings an existing
/// one to these settings (one made by an earlier version dropped the oldest when full).
/// Idempotent.
pub async fn ensure_stream(
    js: &jetstream::Context,
    replicas: usize,
    max_bytes: i64,
) -> Result<(), UploadError> {
    let config = stream_config(replicas, max_bytes);
    if let Ok(mut existing) = js.get_stream(STREAM).await {
        let had = existing.info().await.map(|i| i.config.clone()).ok();
        let same = had.as_ref().is_some_and(|c| {
            (
                c.max_age,
                c.max_bytes,
                c.discard,
                c.max_messages_per_subject,
                c.discard_new_per_subject,
            ) == (
                config.max_age,
                config.max_bytes,
                config.discard,
                config.max_messages_per_subject,
                config.discard_new_per_subject,
            )
        });
        if same {
            return Ok(());
        }
        let update = stream::Config {
            num_replicas: had.map_or(config.num_replicas, |c| c.num_replicas),
            ..config
        };
        return js
            .update_stream(update)
            .await
            .map(|_| ())
            .map_err(|e| UploadError::Stream { source: e.into(), hint: "" });
    }
    match js.create_stream(config).await {
        Ok(_) => Ok(()),
        Err(create) => match js.get_stream(STREAM).await {
            Ok(_) => Ok(()),
            Err(_) => Err(UploadError::Stream { source: create.into(), hint: "" }),
        },
    }
}

/// Stages `bytes` (client side) and returns the upload id to name in the attach command.
pub async fn stage(js: &jetstream::Context, bytes: &[u8]) -> Result<String, UploadError> {
    let upload = nuid::next().to_string();
    let subject = subject(&store::digest_of(bytes), &upload);
    let stream_error = |e: async_nats::jetstream::context::PublishError| {
        let text = e.to_string();
        if text.contains("maximum bytes") || text.contains("maximum messages") {
            return UploadError::Full { detail: text };
        }
        UploadError::Stream {
            source: e.into(),
            hint: " (the evidence service creates the stream when it starts)",
        }
    };
    let mut acks = Vec::new();
    for chunk in bytes.chunks(CHUNK_BYTES) {
        let ack = js
            .publish(subject.clone(), bytes::Bytes::copy_from_slice(chunk))
            .await
            .map_err(stream_error)?;
        acks.push(ack);
    }
    for ack in acks {
        ack.await.map_err(stream_error)?;
    }
    Ok(upload)
}

/// Reads a staged upload back (service side), at most `size` bytes, and checks it is the file
/// the command names.
pub async fn take(
    js: &jetstream::Context,
    sha256: &Sha256,
    size: u64,
    upload: &str,
) -> Result<Vec<u8>, UploadError> {
    if !valid_id(upload) {
        return Err(UploadError::BadId(upload.to_owned()));
    }
    let missing =
        || UploadError::Missing { upload: upload.to_owned(), sha256: hex::encode(sha256) };
    fn stream_error(e: impl Into<reform_shared::Source>) -> UploadError {
        UploadError::Stream { source: e.into(), hint: "" }
    }
    let staging = js.get_stream(STREAM).await.map_err(stream_error)?;
    let subject = subject(sha256, upload);
    let info = staging.info_with_subjects(subject.clone()).await.map_err(stream_error)?;
    let chunks: u64 = futures::StreamExt::collect::<Vec<_>>(info)
        .await
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|(s, n)| (s == subject).then_some(n as u64))
        .sum();
    if chunks == 0 {
        return Err(missing());
    }
    // Chunks are full but for the last, so a file needs this many; more (empty ones, say) would
    // only make the service read for nothing.
    let most = size.div_ceil(CHUNK_BYTES as u64).max(1);
    if chunks > most {
        return Err(UploadError::TooManyChunks { upload: upload.to_owned(), size, chunks, most });
    }
    let consumer = staging
        .create_consumer(consumer::pull::OrderedConfig {
            name: Some(reform_shared::stream::reader_name("upload")),
            filter_subject: subject.clone(),
            deliver_policy: consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .map_err(stream_error)?;
    let mut messages = consumer.messages().await.map_err(stream_error)?;
    let mut bytes = Vec::new();
    for _ in 0..chunks {
        let next = tokio::time::timeout(READ_STALL, messages.next()).await;
        let Ok(Some(Ok(message))) = next else { return Err(missing()) };
        let grown = u64::try_from(bytes.len() + message.payload.len()).unwrap_or(u64::MAX);
        if grown > size {
            bytes.extend_from_slice(&message.payload);
            break;
        }
        bytes.extend_from_slice(&message.payload);
    }
    let found = store::digest_of(&bytes);
    let found_size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if found != *sha256 || found_size != size {
        return Err(UploadError::Mismatch {
            upload: upload.to_owned(),
            sha256: hex::encode(sha256),
            size,
            found: hex::encode(found),
            found_size,
        });
    }
    Ok(bytes)
}

/// Removes a staged upload once it is stored (service side). Best effort: what is left ages
/// out after [`UPLOAD_MAX_AGE`].
pub async fn discard(js: &jetstream::Context, sha256: &Sha256, upload: &str) {
    let Ok(staging) = js.get_stream_no_info(STREAM).await else { return };
    if let Err(e) = staging.purge().filter(subject(sha256, upload)).await {
        tracing::warn!(upload, error = %e, "a stored upload stays staged until it ages out");
    }
}
