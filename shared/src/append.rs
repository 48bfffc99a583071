//! Appending events to the log, with the broker doing idempotency and concurrency control.
//!
//! Every append:
//! - carries the command id as `Nats-Msg-Id`, so JetStream drops a retry inside its
//!   de-duplication window and answers "duplicate" with the first append's sequence. The
//!   broker checks the expected sequence *before* the message id, so this holds for a retry
//!   built on the current tip (as [`Appender::append_next`] does); a retry built on the tip
//!   before the first attempt gets [`AppendError::Conflict`], and the command services answer
//!   it from their table of applied command ids instead;
//! - carries the expected last sequence of the aggregate's check subject, so of two commands
//!   decided on the same state only the first lands and the second gets [`AppendError::Conflict`];
//! - links the event into its aggregate's integrity chain (version and previous digest), taken
//!   from the same tip the expected sequence comes from, so chain and check always agree.

use crate::codec::{self, DecodeError, EncodeError, SCHEMA_VERSION_CURRENT};
use crate::envelope::{Actor, ChainLink, Envelope, EventId, Signature};
use crate::event::{Event, Sha256};
use crate::ids::CommandId;
use crate::subject::{Aggregate, STREAM_NAME};
use crate::time::Timestamp;
use async_nats::jetstream::{self, context::PublishErrorKind, stream::DirectGetErrorKind};
use async_nats::HeaderMap;

/// Header naming the subject (maybe a wildcard) whose last sequence is checked. Supported by
/// nats-server 2.11 and later; async-nats has no constant for it yet.
pub const HEADER_EXPECTED_SUBJECT: &str = "Nats-Expected-Last-Subject-Sequence-Subject";
/// Header carrying the schema version, so tools can tell versions without decoding.
pub const HEADER_SCHEMA: &str = "Par-Schema";
/// Header carrying the event type name, for people reading the stream with `nats`.
pub const HEADER_EVENT_TYPE: &str = "Par-Event";

/// Everything about an event that the deciding service knows. The appender adds the chain
/// link and the event id.
#[derive(Debug, Clone)]
pub struct Draft {
    pub command_id: CommandId,
    pub actor: Actor,
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    pub signature: Option<Signature>,
    pub event: Event,
}

impl Draft {
    /// The envelope of this draft at the given place in its aggregate's chain.
    pub fn into_envelope(self, chain: ChainLink) -> Envelope {
        Envelope {
            event_id: EventId::for_command(&self.command_id),
            occurred_at: self.occurred_at,
            recorded_at: self.recorded_at,
            actor: self.actor,
            command_id: self.command_id,
            chain,
            signature: self.signature,
            event: self.event,
        }
    }
}

/// The last event of an aggregate: where it is and what the next link must point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    pub sequence: u64,
    pub version: u64,
    pub digest: Sha256,
}

/// A successful append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Stored at this stream sequence.
    Appended { sequence: u64 },
    /// The command id was seen within the de-duplication window; the first append's sequence.
    Duplicate { sequence: u64 },
}

impl AppendOutcome {
    pub fn sequence(self) -> u64 {
        match self {
            AppendOutcome::Appended { sequence } | AppendOutcome::Duplicate { sequence } => {
                sequence
            }
        }
    }
}

/// Why an append did not happen. Kinds are kept apart because callers handle them apart.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Another command changed the aggregate first. Re-decide on fresh state, or tell the user.
    #[error("conflict on {aggregate}: it changed after sequence {expected}")]
    Conflict { aggregate: String, expected: u64 },
    /// The event cannot be encoded (too large). A bug or bad input; do not retry.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The aggregate's last event is unreadable; the log needs an operator.
    #[error("the last event of {aggregate} (stream sequence {sequence}) is unreadable: {source}")]
    UnreadableTip { aggregate: String, sequence: u64, source: DecodeError },
    /// The broker did not take the append. Infrastructure: retry with the same command id.
    #[error("broker error while appending to {aggregate}: {source}")]
    Broker { aggregate: String, source: crate::Source },
}

/// Appends events to the one stream. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Appender {
    js: jetstream::Context,
    stream: jetstream::stream::Stream,
}

impl Appender {
    /// Binds to the stream, which must exist (see [`crate::stream::ensure_stream`]).
    pub async fn new(js: jetstream::Context) -> Result<Self, AppendError> {
        let stream = js.get_stream(STREAM_NAME).await.map_err(|e| AppendError::Broker {
            aggregate: STREAM_NAME.to_owned(),
            source: e.into(),
        })?;
        Ok(Self { js, stream })
    }

    /// The aggregate's last event, or `None` if it has none.
    pub async fn tip(&self, aggregate: &Aggregate) -> Result<Option<Tip>, AppendError> {
        let check = aggregate.check_subject();
        let message = match self.stream.direct_get_last_for_subject(check.as_str()).await {
            Ok(message) => message,
            Err(e) if matches!(e.kind(), DirectGetErrorKind::NotFound) => return Ok(None),
            Err(e) => return Err(broker(aggregate, e)),
        };
        let record =
            codec::decode(&message.payload).map_err(|source| AppendError::UnreadableTip {
                aggregate: aggregate.chain_key(),
                sequence: message.sequence,
                source,
            })?;
        Ok(Some(Tip {
            sequence: message.sequence,
            version: record.envelope.chain.version,
            digest: record.digest,
        }))
    }

    /// Appends after reading the aggregate's tip: for commands whose decision does not depend
    /// on the aggregate's earlier events (or that checked them against this same tip).
    pub async fn append_next(&self, draft: Draft) -> Result<AppendOutcome, AppendError> {
        let aggregate = Aggregate::of(&draft.event);
        let tip = self.tip(&aggregate).await?;
        self.append(draft, tip).await
    }

    /// Appends `draft` provided the aggregate's last event is still `expected` (`None`: the
    /// aggregate must have no events yet).
    pub async fn append(
        &self,
        draft: Draft,
        expected: Option<Tip>,
    ) -> Result<AppendOutcome, AppendError> {
        let aggregate = Aggregate::of(&draft.event);
        let chain = match expected {
            None => ChainLink::first(aggregate.chain_key()),
            Some(tip) => ChainLink {
                aggregate: aggregate.chain_key(),
                version: tip.version + 1,
                previous: tip.digest,
            },
        };
        let envelope = draft.into_envelope(chain);
        self.publish(&aggregate, &envelope, expected.map_or(0, |tip| tip.sequence)).await
    }

    async fn publish(
        &self,
        aggregate: &Aggregate,
        envelope: &Envelope,
        expected_sequence: u64,
    ) -> Result<AppendOutcome, AppendError> {
        let (bytes, _digest) = codec::encode(envelope)?;
        let subject = aggregate.subject();
        let check = aggregate.check_subject();
        let mut headers = HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, envelope.command_id.as_str());
        headers.insert(
            async_nats::header::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE,
            expected_sequence.to_string().as_str(),
        );
        if check != subject {
            headers.insert(HEADER_EXPECTED_SUBJECT, check.as_str());
        }
        headers.insert(HEADER_SCHEMA, SCHEMA_VERSION_CURRENT.to_string().as_str());
        headers.insert(HEADER_EVENT_TYPE, envelope.event.type_name());
        let ack = self
            .js
            .publish_with_headers(subject, headers, bytes.into())
            .await
            .map_err(|e| broker(aggregate, e))?;
        match ack.await {
            Ok(ack) if ack.duplicate => Ok(AppendOutcome::Duplicate { sequence: ack.sequence }),
            Ok(ack) => Ok(AppendOutcome::Appended { sequence: ack.sequence }),
            Err(e) if matches!(e.kind(), PublishErrorKind::WrongLastSequence) => {
                Err(AppendError::Conflict {
                    aggregate: aggregate.chain_key(),
                    expected: expected_sequence,
                })
            }
            Err(e) => Err(broker(aggregate, e)),
        }
    }
}

fn broker(aggregate: &Aggregate, error: impl Into<crate::Source>) -> AppendError {
    AppendError::Broker { aggregate: aggregate.chain_key(), source: error.into() }
}
