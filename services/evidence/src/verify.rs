//! The one piece of I/O an evidence decision needs: an attach command is only true if the
//! bucket really holds the file it names. [`verify`] reads the stored object (or, when it is
//! not stored yet, the upload the command names, see [`crate::upload`]), hashes it, and
//! compares digest and size with the command before the pure [`crate::decide::State`] decides.
//! It runs inside the service's own handler (the shared runtime's [`Decider::verify`] seam), for
//! every command of a batch at once; no second endpoint exists that a client could call to
//! record evidence whose file was never stored.
//!
//! A file read from an upload is stored only once its attach is decided and permitted
//! ([`store_taken`], the runtime's [`Decider::before_append`]): the bucket keeps everything for
//! ever, and a refused or denied attach must not leave a file there that no event names.
//!
//! [`Decider::verify`]: reform_shared::service::Decider::verify
//! [`Decider::before_append`]: reform_shared::service::Decider::before_append

use crate::cmd;
use crate::cmd::Command;
use crate::store::{self, StoreError};
use crate::upload::{self, UploadError};
use async_nats::jetstream::object_store::ObjectStore;
use reform_shared::command::FailureKind;
use reform_shared::ids::EvidenceId;
use reform_shared::service::Unverified;

/// What verifying needs: the bucket, the staged uploads and the size limit in force.
#[derive(Clone)]
pub struct Bucket {
    pub bucket: ObjectStore,
    pub js: async_nats::jetstream::Context,
    pub evidence_bytes_max: u64,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket")
            .field("bucket", &store::BUCKET)
            .field("evidence_bytes_max", &self.evidence_bytes_max)
            .finish()
    }
}

/// What verifying an attach found: the file read from its upload, when the bucket does not
/// hold it yet; stored by [`store_taken`] if the attach is accepted.
#[derive(Default)]
pub struct Verified(Option<Taken>);

struct Taken {
    evidence: EvidenceId,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(taken) => write!(
                f,
                "Verified(evidence {}, {} bytes to store)",
                taken.evidence,
                taken.bytes.len()
            ),
            None => f.write_str("Verified(nothing to store)"),
        }
    }
}

/// Checks that an attach command's file is stored with the digest and size it claims, or
/// staged so in the upload the command names (read back, not stored yet).
pub async fn verify(services: &Bucket, command: &Command) -> Result<Verified, Unverified> {
    let Command::Attach(cmd::Attach { evidence, sha256, size_bytes, upload, .. }) = command else {
        return Ok(Verified(None));
    };
    // Sizes outside the limit are refused by `decide` without reading anything.
    if !(1..=services.evidence_bytes_max).contains(size_bytes) {
        return Ok(Verified(None));
    }
    let refuse = |kind, e: &dyn std::fmt::Display| {
        tracing::info!(%evidence, error = %e, "attach refused: the file is not there as claimed");
        Unverified { kind, message: format!("evidence {evidence}: {e}") }
    };
    let stored = store::read_checked(
        &services.bucket,
        sha256,
        Some(*size_bytes),
        services.evidence_bytes_max,
    )
    .await;
    match (stored, upload) {
        (Ok(_), _) => Ok(Verified(None)),
        (Err(StoreError::NotFound { .. }), Some(upload)) => {
            let bytes = upload::take(&services.js, sha256, *size_bytes, upload)
                .await
                .map_err(|e| refuse(upload_kind(&e), &e))?;
            Ok(Verified(Some(Taken { evidence: evidence.clone(), bytes })))
        }
        (Err(e), _) => Err(refuse(kind_of(&e), &e)),
    }
}

/// Stores the file an accepted attach read from its upload, before its event is appended.
pub async fn store_taken(services: &Bucket, verified: Verified) -> Result<(), Unverified> {
    let Verified(Some(Taken { evidence, bytes })) = verified else { return Ok(()) };
    store::put(&services.bucket, &bytes).await.map(drop).map_err(|e| {
        tracing::warn!(%evidence, error = %e, "the accepted file could not be stored");
        Unverified { kind: kind_of(&e), message: format!("evidence {evidence}: {e}") }
    })
}

fn kind_of(error: &StoreError) -> FailureKind {
    match error {
        StoreError::NotFound { .. }
        | StoreError::TooLarge { .. }
        | StoreError::DigestMismatch { .. } => FailureKind::Refused,
        StoreError::Bucket { .. } | StoreError::Read { .. } => FailureKind::Unavailable,
    }
}

fn upload_kind(error: &UploadError) -> FailureKind {
    match error {
        UploadError::BadId(_) => FailureKind::Invalid,
        UploadError::Missing { .. } | UploadError::Mismatch { .. } => FailureKind::Refused,
        UploadError::Stream { .. } => FailureKind::Unavailable,
        UploadError::Store(e) => kind_of(e),
    }
}
