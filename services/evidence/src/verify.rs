//! The one piece of I/O an evidence decision needs: an attach command is only true if the
//! bucket really holds the file it names. [`verify`] reads the stored object (or, when it is
//! not stored yet, the upload the command names, see [`crate::upload`]), hashes it, compares
//! digest and size with the command, and stores a file taken from an upload.
//!
//! It runs inside the service's own handler, as the shared runtime's
//! [`Decider::before_append`] seam: after the signer, the rules of [`crate::decide::State`] and
//! the access table have let the attach through, and before its event is appended. So no
//! second endpoint exists that a client could call to record evidence whose file was never
//! stored; a person without the right to attach makes the service read nothing; and a refused
//! or denied attach leaves no file in the bucket, which keeps everything for ever.
//!
//! [`Decider::before_append`]: reform_shared::service::Decider::before_append

use crate::cmd;
use crate::cmd::Command;
use crate::store::{self, Store, StoreError};
use crate::upload::{self, UploadError};
use reform_shared::command::FailureKind;
use reform_shared::service::Unverified;

/// What verifying needs: the bucket and its keys, the staged uploads and the size limit in
/// force.
#[derive(Clone)]
pub struct Bucket {
    pub store: Store,
    pub js: async_nats::jetstream::Context,
    pub evidence_bytes_max: u64,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket")
            .field("store", &self.store)
            .field("evidence_bytes_max", &self.evidence_bytes_max)
            .finish()
    }
}

/// Checks that an accepted attach command's file is stored with the digest and size it
/// claims, taking it in from the upload the command names when it is not stored yet.
pub async fn verify(services: &Bucket, command: &Command) -> Result<(), Unverified> {
    let Command::Attach(cmd::Attach { evidence, sha256, size_bytes, upload, .. }) = command else {
        return Ok(());
    };
    // Sizes outside the limit were refused by `decide`; this is a second guard on the reads.
    if !(1..=services.evidence_bytes_max).contains(size_bytes) {
        return Ok(());
    }
    let refuse = |kind, e: &dyn std::fmt::Display| {
        tracing::info!(%evidence, error = %e, "attach refused: the file is not there as claimed");
        Unverified { kind, message: format!("evidence {evidence}: {e}") }
    };
    let stored = store::read_checked(
        &services.store,
        sha256,
        Some(*size_bytes),
        services.evidence_bytes_max,
    )
    .await;
    match (stored, upload) {
        // Stored already (the same file attached before): its copy in staging goes.
        (Ok(_), Some(upload)) => {
            upload::discard(&services.js, sha256, upload).await;
            Ok(())
        }
        (Ok(_), None) => Ok(()),
        (Err(StoreError::NotFound { .. }), Some(upload)) => {
            let bytes = upload::take(&services.js, sha256, *size_bytes, upload)
                .await
                .map_err(|e| refuse(upload_kind(&e), &e))?;
            store::put(&services.store, &bytes).await.map_err(|e| refuse(kind_of(&e), &e))?;
            // Its plaintext need not wait out the staging's age: an erasure soon after would
            // leave it there otherwise. Only a cleanup: the file is stored.
            upload::discard(&services.js, sha256, upload).await;
            Ok(())
        }
        (Err(e), _) => Err(refuse(kind_of(&e), &e)),
    }
}

fn kind_of(error: &StoreError) -> FailureKind {
    match error {
        StoreError::NotFound { .. }
        | StoreError::TooLarge { .. }
        | StoreError::DigestMismatch { .. }
        | StoreError::Erased { .. }
        | StoreError::Unsealable { .. } => FailureKind::Refused,
        StoreError::Bucket { .. } | StoreError::Read { .. } | StoreError::Keys(_) => {
            FailureKind::Unavailable
        }
    }
}

fn upload_kind(error: &UploadError) -> FailureKind {
    match error {
        UploadError::BadId(_) => FailureKind::Invalid,
        UploadError::Missing { .. }
        | UploadError::Mismatch { .. }
        | UploadError::TooManyChunks { .. } => FailureKind::Refused,
        UploadError::Stream { .. } | UploadError::Full { .. } => FailureKind::Unavailable,
        UploadError::Store(e) => kind_of(e),
    }
}
