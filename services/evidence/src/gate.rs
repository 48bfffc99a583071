//! The evidence gate: the public endpoint `par.cmd.evidence`.
//!
//! Deciding is pure, but an attach command is only true if the bucket really holds the file it
//! names, and checking that is I/O. So the gate reads the stored object, hashes it, and
//! compares digest and size with the command before passing the request on, unchanged, to the
//! evidence ledger (the shared command runtime with [`crate::decide::State`]) at
//! `par.cmd.evidence-verified`, and relays the ledger's answer. Everything else (reject,
//! malformed bytes) passes straight through, so the ledger alone words those answers.
//!
//! Trust: the ledger believes that attach commands reaching it were verified. Deployments
//! that expose NATS to other parties grant publish rights on `par.cmd.evidence-verified` to
//! the evidence service's own user only. Even without that, a forged attach cannot hide a
//! wrong file: every fetch hashes the bytes again against the event's digest.

use crate::commands::Command;
use crate::store::{self, StoreError};
use async_nats::jetstream::object_store::ObjectStore;
use async_nats::service::ServiceExt;
use futures::StreamExt;
use reform_shared::command::{self, ErrorKind, Reply, Request, COMMAND_TIMEOUT};
use reform_shared::service::ServiceError;
use std::future::Future;

/// Serves the gate until `shutdown` resolves.
pub(crate) async fn run(
    client: async_nats::Client,
    bucket: ObjectStore,
    evidence_bytes_max: u64,
    health: reform_shared::service::health::HealthCell,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServiceError> {
    let register = |e: async_nats::Error| ServiceError::Register {
        service: crate::NAME,
        detail: e.to_string(),
    };
    let service = client
        .service_builder()
        .description("Evidence documents: verifies the stored file, then records it")
        .stats_handler(move |_, _| health.to_json())
        .start(format!("par-{}", crate::NAME), env!("CARGO_PKG_VERSION"))
        .await
        .map_err(register)?;
    let mut endpoint =
        service.endpoint(command::command_subject(crate::NAME)).await.map_err(register)?;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            request = endpoint.next() => {
                let Some(request) = request else { break };
                let payload = &request.message.payload;
                let reply = handle(&client, &bucket, evidence_bytes_max, payload).await;
                if let Err(e) = request.respond(Ok(reply)).await {
                    tracing::warn!(service = crate::NAME, error = %e, "could not send a reply");
                }
            }
        }
    }
    let _ = service.stop().await;
    Ok(())
}

async fn handle(
    client: &async_nats::Client,
    bucket: &ObjectStore,
    evidence_bytes_max: u64,
    payload: &bytes::Bytes,
) -> bytes::Bytes {
    if let Ok(request) = command::parse_json::<Request<Command>>(payload) {
        if let Command::Attach { evidence, sha256, size_bytes, .. } = &request.command {
            // Sizes outside the limit are refused by the ledger without reading anything.
            if (1..=evidence_bytes_max).contains(size_bytes) {
                let checked =
                    store::read_checked(bucket, sha256, Some(*size_bytes), evidence_bytes_max);
                if let Err(e) = checked.await {
                    tracing::info!(%evidence, error = %e, "attach refused at the gate");
                    return failed(kind_of(&e), format!("evidence {evidence}: {e}"));
                }
            }
        }
    }
    forward(client, payload).await
}

fn kind_of(error: &StoreError) -> ErrorKind {
    match error {
        StoreError::NotFound { .. }
        | StoreError::TooLarge { .. }
        | StoreError::DigestMismatch { .. } => ErrorKind::Refused,
        StoreError::Bucket(_) | StoreError::Read { .. } => ErrorKind::Unavailable,
    }
}

async fn forward(client: &async_nats::Client, payload: &bytes::Bytes) -> bytes::Bytes {
    let subject = command::command_subject(crate::LEDGER_NAME);
    match tokio::time::timeout(COMMAND_TIMEOUT, client.request(subject, payload.clone())).await {
        Ok(Ok(message)) => message.payload,
        Ok(Err(e)) => failed(ErrorKind::Unavailable, format!("the evidence ledger: {e}")),
        Err(_) => failed(
            ErrorKind::Unavailable,
            format!("the evidence ledger did not answer within {COMMAND_TIMEOUT:?}"),
        ),
    }
}

fn failed(kind: ErrorKind, message: String) -> bytes::Bytes {
    serde_json::to_vec(&Reply::Failed { kind, message }).unwrap_or_default().into()
}
