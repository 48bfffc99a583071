//! The evidence bucket: a JetStream Object Store where each file is stored under the hex of its
//! SHA-256, so the same document is stored once however often it is attached, and a name
//! tells what its content must hash to.
//!
//! The store itself checks its own chunk digest, but that digest is written by whoever put
//! the object; only the name ties an object to the digest in the event. So every read here
//! hashes the bytes again and compares them with the digest the caller expects.

use async_nats::jetstream::{self, object_store};
use reform_shared::event::Sha256;
use sha2::Digest as _;
use tokio::io::AsyncReadExt as _;

/// The bucket holding evidence files.
pub const BUCKET: &str = "PAR_EVIDENCE";

/// Why the bucket could not give the expected bytes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The bucket is unreachable or could not be created. Infrastructure: retry.
    #[error("evidence bucket {BUCKET} is not available: {source}{hint}")]
    Bucket { source: reform_shared::Source, hint: &'static str },
    /// Nothing is stored under this name. Put the file first.
    #[error("no object named {key} in the evidence bucket {BUCKET}; put the file first")]
    NotFound { key: String },
    /// The stored object is over the size it may be.
    #[error("object {key} holds more than {max} bytes")]
    TooLarge { key: String, max: u64 },
    /// The stored bytes are not what the name and the event promise: altered or replaced.
    #[error(
        "digest mismatch: object {key} should hash to {expected} ({expected_size} bytes) but \
         holds {found_size} bytes hashing to {found}; the stored file was altered or replaced"
    )]
    DigestMismatch {
        key: String,
        expected: String,
        expected_size: u64,
        found: String,
        found_size: u64,
    },
    /// The bytes could not be read back (the store's own chunk check also lands here).
    #[error("could not read object {key}: {source}")]
    Read { key: String, source: reform_shared::Source },
}

/// The object's name for a digest: its lowercase hex.
pub fn object_key(digest: &Sha256) -> String {
    hex::encode(digest)
}

/// The SHA-256 of some bytes.
pub fn digest_of(bytes: &[u8]) -> Sha256 {
    sha2::Sha256::digest(bytes).into()
}

/// Opens the evidence bucket, creating it (file storage) when missing. Idempotent.
pub async fn ensure_bucket(
    js: &jetstream::Context,
    replicas: usize,
) -> Result<object_store::ObjectStore, StoreError> {
    if let Ok(bucket) = js.get_object_store(BUCKET).await {
        return Ok(bucket);
    }
    let config = object_store::Config {
        bucket: BUCKET.to_owned(),
        description: Some("Reform-task tracker: evidence files, named by their SHA-256".into()),
        storage: jetstream::stream::StorageType::File,
        num_replicas: replicas.max(1),
        ..Default::default()
    };
    match js.create_object_store(config).await {
        Ok(bucket) => Ok(bucket),
        // Another service or client may have created it at the same moment.
        Err(create) => js
            .get_object_store(BUCKET)
            .await
            .map_err(|_| StoreError::Bucket { source: create.into(), hint: "" }),
    }
}

/// Stores bytes under their digest and returns the digest. An object already stored under
/// that name is left alone: putting over it would purge its chunks, which the broker refuses
/// every user, and [`read_checked`] tells a stored object that was altered.
pub async fn put(bucket: &object_store::ObjectStore, bytes: &[u8]) -> Result<Sha256, StoreError> {
    let digest = digest_of(bytes);
    let key = object_key(&digest);
    if bucket.info(key.as_str()).await.is_ok() {
        return Ok(digest);
    }
    let mut reader = bytes;
    match bucket.put(key.as_str(), &mut reader).await {
        Ok(_) => Ok(digest),
        // Two accepted attaches of one file, stored at once: the other put won.
        Err(_) if bucket.info(key.as_str()).await.is_ok() => Ok(digest),
        Err(e) => Err(StoreError::Bucket { source: e.into(), hint: "" }),
    }
}

/// Reads the object stored for `digest` and returns its bytes, provided they hash to
/// `digest` and, when given, are exactly `size` bytes; never reads more than `max` bytes.
pub async fn read_checked(
    bucket: &object_store::ObjectStore,
    digest: &Sha256,
    size: Option<u64>,
    max: u64,
) -> Result<Vec<u8>, StoreError> {
    let key = object_key(digest);
    let object = bucket.get(key.as_str()).await.map_err(|e| match e.kind() {
        object_store::GetErrorKind::NotFound => StoreError::NotFound { key: key.clone() },
        _ => StoreError::Read { key: key.clone(), source: e.into() },
    })?;
    // One byte over the bound tells "too large" from "exactly at the bound".
    let bound = size.unwrap_or(max).min(max);
    let mut bytes = Vec::new();
    object
        .take(bound.saturating_add(1))
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| StoreError::Read { key: key.clone(), source: e.into() })?;
    let found_size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size.is_none() && found_size > max {
        return Err(StoreError::TooLarge { key, max });
    }
    let found = digest_of(&bytes);
    if found != *digest || size.is_some_and(|size| size != found_size) {
        return Err(StoreError::DigestMismatch {
            expected: key.clone(),
            key,
            expected_size: size.unwrap_or(found_size),
            found: hex::encode(found),
            found_size,
        });
    }
    Ok(bytes)
}
