//! The evidence service: records evidence documents (tài liệu minh chứng) — title, document
//! number and date — for a unit, optionally a task and a criterion. The file itself lives in
//! the JetStream Object Store bucket [`store::BUCKET`], named by its SHA-256; the event
//! carries the digest, size, media type and object name.
//!
//! How bytes reach the store: only this service writes the bucket. The client stages the file
//! in the upload stream ([`upload`]), then sends a signed attach command naming digest, size
//! and upload to `par.cmd.evidence`; the service takes the upload in and stores it under the
//! hex of its SHA-256.
//! The service is the shared command runtime ([`decider`]) with the pure [`decide::State`] (unit, task,
//! criterion, fields, size, id reuse) and one piece of I/O beside it, [`verify`]: once an attach
//! is decided and permitted, it re-reads and re-hashes the stored object (or the upload, which
//! it then stores) and refuses the command if it is missing or differs from the claim, before
//! anything is appended.
//!
//! Limits and choices: files are at most [`EVIDENCE_BYTES_MAX`] bytes. An evidence id names
//! one file forever: reusing it for other content is refused, and attaching it again with the
//! same content is refused as "already attached" (a retry of the same command is answered by
//! its command id instead). Fetching ([`client::fetch`]) hashes the bytes again and reports a
//! digest mismatch if the stored file was altered.

pub mod client;
pub mod cmd;
pub mod decide;
pub mod decider;
pub mod erase;
pub mod file;
pub mod keys;
pub mod seal;
pub mod store;
pub mod upload;
pub mod verify;

use reform_shared::service::{self, ServiceConfig, ServiceError};
use std::future::Future;

/// The public service name: clients send commands to `par.cmd.evidence`.
pub const NAME: &str = "evidence";
/// The largest evidence file, in bytes: 16 MiB. A scanned, signed decision or report of a few
/// dozen pages is a few MiB; a bound keeps the service's hashing and the bucket's growth in check.
pub const EVIDENCE_BYTES_MAX: u64 = 16 * 1024 * 1024;

/// How the evidence service runs.
#[derive(Debug, Clone)]
pub struct Config {
    pub service: ServiceConfig,
    /// The largest file accepted; [`EVIDENCE_BYTES_MAX`] unless a deployment lowers it (it
    /// cannot raise it).
    pub evidence_bytes_max: u64,
    /// The most the upload waiting room holds at once ([`upload::UPLOAD_STREAM_BYTES`] by
    /// default); the broker reserves it on disk.
    pub upload_stream_bytes: i64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            service: ServiceConfig::default(),
            evidence_bytes_max: EVIDENCE_BYTES_MAX,
            upload_stream_bytes: upload::UPLOAD_STREAM_BYTES,
        }
    }
}

/// Runs the evidence service until `shutdown` resolves.
pub async fn run(
    client: async_nats::Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServiceError> {
    let js = async_nats::jetstream::new(client.clone());
    let store = store::Store::ensure(&js, config.service.stream.replicas)
        .await
        .map_err(|e| ServiceError::Stream(e.into()))?;
    upload::ensure_stream(&js, config.service.stream.replicas, config.upload_stream_bytes)
        .await
        .map_err(|e| ServiceError::Stream(e.into()))?;
    // A deployment may lower the limit, never raise it: clients and fetches rely on it.
    let evidence_bytes_max = config.evidence_bytes_max.min(EVIDENCE_BYTES_MAX);
    let state = decide::State::new(evidence_bytes_max);
    let services = verify::Bucket { store, js, evidence_bytes_max };
    service::run_with(client, state, services, config.service, shutdown).await
}
