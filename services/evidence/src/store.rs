//! The evidence bucket: a JetStream Object Store where each file is stored under the hex of its
//! SHA-256, so the same document is stored once however often it is attached, and a name
//! tells what its content must hash to. The content is stored sealed under a key of its own
//! ([`crate::seal`], [`crate::keys`]), so that erasing the key erases the content; files stored
//! before sealing are read as they are.
//!
//! The store itself checks its own chunk digest, but that digest is written by whoever put
//! the object; only the name ties an object to the digest in the event. So every read here
//! opens the bytes, hashes the content again and compares it with the digest the caller
//! expects.

use crate::keys::{self, KeyError};
use crate::seal;
use async_nats::jetstream::{self, object_store};
use reform_shared::direct;
use reform_shared::event::Sha256;
use sha2::Digest as _;

/// The bucket and the keys its content is sealed under.
#[derive(Clone)]
pub struct Store {
    pub objects: object_store::ObjectStore,
    pub keys: keys::Keys,
    js: jetstream::Context,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("bucket", &BUCKET).field("keys", &keys::STREAM).finish()
    }
}

impl Store {
    /// Opens the bucket and the key stream to read (clients) or write (the service).
    pub async fn open(js: &jetstream::Context) -> Result<Store, StoreError> {
        let objects = js.get_object_store(BUCKET).await.map_err(|e| StoreError::Bucket {
            source: e.into(),
            hint: " (the evidence service creates it when it starts)",
        })?;
        let keys = keys::open(js).await?;
        Ok(Store { objects, keys, js: js.clone() })
    }

    /// Creates the bucket and the key stream when missing (the service, at start).
    pub async fn ensure(js: &jetstream::Context, replicas: usize) -> Result<Store, StoreError> {
        let objects = ensure_bucket(js, replicas).await?;
        let keys = keys::ensure_stream(js, replicas).await?;
        Ok(Store { objects, keys, js: js.clone() })
    }

    /// Erases a content: destroys its key. `false` when it had none (erased before, or
    /// stored before sealing).
    pub async fn erase(&self, digest: &Sha256) -> Result<bool, StoreError> {
        Ok(keys::destroy(&self.keys, digest).await?)
    }
}

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
    /// The content was erased: its key is destroyed, and nothing can open it again.
    #[error(
        "the content of object {key} was erased on a legal basis the log records; its key is \
         destroyed and nothing can open it again"
    )]
    Erased { key: String },
    /// The sealed bytes do not open with their key.
    #[error("object {key} does not open with its key: the stored file was altered or replaced")]
    Unsealable { key: String },
    #[error(transparent)]
    Keys(#[from] KeyError),
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
async fn ensure_bucket(
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

/// Stores bytes, sealed, under their digest and returns the digest. An object already stored
/// under that name is left alone: putting over it would purge its chunks, which the broker
/// refuses every user, and [`read_checked`] tells a stored object that was altered.
pub async fn put(store: &Store, bytes: &[u8]) -> Result<Sha256, StoreError> {
    let bucket = &store.objects;
    let digest = digest_of(bytes);
    let key = object_key(&digest);
    if bucket.info(key.as_str()).await.is_ok() {
        return Ok(digest);
    }
    let sealed = seal::seal(&keys::key_for(&store.js, &store.keys, &digest).await?, bytes);
    let mut reader = sealed.as_slice();
    match bucket.put(key.as_str(), &mut reader).await {
        Ok(_) => Ok(digest),
        // Two accepted attaches of one file, stored at once: the other put won.
        Err(_) if bucket.info(key.as_str()).await.is_ok() => Ok(digest),
        Err(e) => Err(StoreError::Bucket { source: e.into(), hint: "" }),
    }
}

/// Reads the object stored for `digest` and returns its content, provided it hashes to
/// `digest` and, when given, is exactly `size` bytes; never reads more than `max` bytes of
/// content.
pub async fn read_checked(
    store: &Store,
    digest: &Sha256,
    size: Option<u64>,
    max: u64,
) -> Result<Vec<u8>, StoreError> {
    let key = object_key(digest);
    // One byte over the bound tells "too large" from "exactly at the bound".
    let bound = size.unwrap_or(max).min(max) + seal::OVERHEAD;
    let client = store.js.client();
    let stored = direct::object(&store.objects, &client, &key, bound.saturating_add(1)).await;
    let stored = match stored {
        Ok(Some(stored)) => stored,
        Ok(None) => return Err(StoreError::NotFound { key }),
        Err(direct::ObjectError::TooLarge { .. }) => {
            return Err(StoreError::TooLarge { key, max: size.unwrap_or(max).min(max) })
        }
        Err(e) => return Err(StoreError::Read { key, source: e.into() }),
    };
    let bytes = opened(store, digest, stored).await?;
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

/// The content of stored bytes: opened with its key when sealed, as it is when stored before
/// sealing.
async fn opened(store: &Store, digest: &Sha256, stored: Vec<u8>) -> Result<Vec<u8>, StoreError> {
    if !seal::is_sealed(&stored) {
        return Ok(stored);
    }
    let key = object_key(digest);
    match keys::get(&store.keys, digest).await? {
        Some(content_key) => {
            seal::open(&content_key, &stored).map_err(|_| StoreError::Unsealable { key })
        }
        None => Err(StoreError::Erased { key }),
    }
}
