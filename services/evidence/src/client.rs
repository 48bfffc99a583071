//! Typed client functions: attach a file (stage the bytes, then send the command), reject,
//! and fetch a file back with its digest checked.

use crate::cmd;
use crate::cmd::Command;
use crate::store::{self, StoreError};
use crate::upload;
use async_nats::jetstream;
use reform_shared::codec;
use reform_shared::command::{self, Accepted, CommandError, Request};
use reform_shared::event::{Event, Family, Sha256};
use reform_shared::ids::{CriterionCode, EvidenceId, TaskId, UnitId};
use reform_shared::subject::{EVENT_SUBJECT_PREFIX, STREAM_NAME};
use reform_shared::time::Date;

/// A document to attach, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub evidence: EvidenceId,
    pub unit: UnitId,
    pub task: Option<TaskId>,
    pub criterion: Option<CriterionCode>,
    pub title: String,
    pub document_number: String,
    pub document_date: Date,
    pub media_type: String,
}

/// Why an attach did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("the file is {bytes} bytes, over the evidence limit of {max} bytes")]
    TooLarge { bytes: u64, max: u64 },
    #[error(transparent)]
    Upload(#[from] crate::upload::UploadError),
    #[error(transparent)]
    Command(#[from] CommandError),
}

/// Stages `bytes` as an upload, then asks the service to take them in and record the
/// document. Safe to retry with the same command id.
pub async fn attach(
    client: &async_nats::Client,
    request: Request<Document>,
    bytes: &[u8],
    key: &nkeys::KeyPair,
) -> Result<Accepted, AttachError> {
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > crate::EVIDENCE_BYTES_MAX {
        return Err(AttachError::TooLarge { bytes: size, max: crate::EVIDENCE_BYTES_MAX });
    }
    let sha256 = store::digest_of(bytes);
    let upload = upload::stage(&jetstream::new(client.clone()), bytes).await?;
    let d = request.command;
    let command = Command::Attach(cmd::Attach {
        evidence: d.evidence,
        unit: d.unit,
        task: d.task,
        criterion: d.criterion,
        title: d.title,
        document_number: d.document_number,
        document_date: d.document_date,
        sha256,
        size_bytes: size,
        media_type: d.media_type,
        upload: Some(upload),
    });
    let request = Request {
        command_id: request.command_id,
        actor: request.actor,
        occurred_on: request.occurred_on,
        command,
    };
    Ok(send(client, &request, key).await?)
}

/// Sends any evidence command (an attach must name a file already in the bucket).
pub async fn send(
    client: &async_nats::Client,
    request: &Request<Command>,
    key: &nkeys::KeyPair,
) -> Result<Accepted, CommandError> {
    command::send(client, crate::NAME, request, key).await
}

/// Which stored file to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The file of an attached evidence document.
    Evidence(EvidenceId),
    /// Any file in the bucket, by its SHA-256.
    Digest(Sha256),
}

/// Why a file could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("evidence {evidence} was never attached")]
    UnknownEvidence { evidence: EvidenceId },
    #[error("could not read the event log: {0}")]
    Log(#[source] reform_shared::Source),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the log says about an attached document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedDocument {
    pub evidence: EvidenceId,
    pub unit: UnitId,
    pub title: String,
    pub document_number: String,
    pub document_date: Date,
    pub sha256: Sha256,
    pub size_bytes: u64,
    pub media_type: String,
}

/// Fetches a file and checks it: its SHA-256 must be the expected digest (and, for an
/// evidence document, its size the recorded size), or the answer is
/// [`StoreError::DigestMismatch`].
pub async fn fetch(client: &async_nats::Client, lookup: &Lookup) -> Result<Vec<u8>, FetchError> {
    let bucket = store::Store::open(&jetstream::new(client.clone())).await?;
    match lookup {
        Lookup::Evidence(evidence) => {
            let document = find(client, evidence).await?;
            let size = document.size_bytes;
            Ok(store::read_checked(&bucket, &document.sha256, Some(size), size).await?)
        }
        Lookup::Digest(digest) => {
            Ok(store::read_checked(&bucket, digest, None, crate::EVIDENCE_BYTES_MAX).await?)
        }
    }
}

/// An erasure as the log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    /// Who recorded it.
    pub by: String,
    /// The day it was recorded (Vietnam time).
    pub on: Option<Date>,
    pub legal_basis: String,
}

/// The erasure of this evidence document's content, if the log records one under its id.
pub async fn erasure(
    client: &async_nats::Client,
    evidence: &EvidenceId,
) -> Result<Option<Erasure>, FetchError> {
    use reform_shared::log::{self, Range};
    let js = jetstream::new(client.clone());
    let family = Family::Evidence.as_str();
    let subject = format!("{EVENT_SUBJECT_PREFIX}.{family}.*.evidence.{evidence}");
    // An evidence id has an attach, maybe a rejection and an erasure: a few events.
    let range = Range::subjects(subject).at_most(64);
    let mut found = None;
    log::read(&js, &range, |_, record| {
        if let Some(record) = record {
            if let Event::EvidenceErased { legal_basis, .. } = &record.envelope.event {
                found = Some(Erasure {
                    by: record.envelope.actor.to_string(),
                    on: record.envelope.recorded_at.vietnam_date(),
                    legal_basis: legal_basis.clone(),
                });
            }
        }
        std::ops::ControlFlow::Continue(())
    })
    .await
    .map_err(|e| FetchError::Log(e.into()))?;
    Ok(found)
}

/// Reads an evidence document's attach event from the log. The first event of an evidence
/// aggregate is always its attachment: nothing else can happen to an unattached id.
pub async fn find(
    client: &async_nats::Client,
    evidence: &EvidenceId,
) -> Result<AttachedDocument, FetchError> {
    let js = jetstream::new(client.clone());
    let stream = js.get_stream(STREAM_NAME).await.map_err(|e| FetchError::Log(e.into()))?;
    let family = Family::Evidence.as_str();
    let subject = format!("{EVENT_SUBJECT_PREFIX}.{family}.*.evidence.{evidence}");
    let unknown = || FetchError::UnknownEvidence { evidence: evidence.clone() };
    let message = match stream.direct_get_first_for_subject(subject).await {
        Ok(message) => message,
        Err(e) if e.kind() == jetstream::stream::DirectGetErrorKind::NotFound => {
            return Err(unknown())
        }
        Err(e) => return Err(FetchError::Log(e.into())),
    };
    let record = codec::decode(&message.payload).map_err(|e| FetchError::Log(e.into()))?;
    match record.envelope.event {
        Event::EvidenceAttached {
            evidence,
            unit,
            title,
            document_number,
            document_date,
            sha256,
            size_bytes,
            media_type,
            ..
        } => Ok(AttachedDocument {
            evidence,
            unit,
            title,
            document_number,
            document_date,
            sha256,
            size_bytes,
            media_type,
        }),
        _ => Err(unknown()),
    }
}
