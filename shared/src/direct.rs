//! Reading a stream by batched direct gets (nats-server 2.11 and later): one request, answered
//! by up to a bounded number of stored messages and an end-of-batch marker.
//!
//! Every bounded read goes this way: the log's ranges, the skips, an object's chunks. A read
//! creates nothing on the server, so it leaves nothing behind, and people's tools need no
//! consumer at all. The broker refuses them one (`deploy/nats/permissions.conf`): a consumer a
//! person could create is one a person could create a thousand of, and the server's limit
//! would then stop every reader, the services' included.
//!
//! A direct get may be answered by any replica of a stream, and a replica may lag its leader
//! by the last few messages. A replica's store is a prefix of the leader's, so a batch never
//! has a hole; a reader that needs everything through a head asks the leader for what follows
//! a batch that ended short ([`leader_next`]).

use crate::time::Timestamp;
use async_nats::jetstream::{self, message::StreamMessage};
use async_nats::Client;
use futures::StreamExt as _;
use std::time::Duration;

/// The most messages one batch asks for.
pub const BATCH_MESSAGES: usize = 1024;
/// The most bytes one batch asks for. The server sends a batch without flow control.
pub const BATCH_BYTES: usize = 4 << 20;
/// How long a reader waits for the next message of a batch.
const WAIT: Duration = Duration::from_secs(15);

/// Why a direct read failed.
#[derive(Debug, thiserror::Error)]
pub enum DirectError {
    #[error("the broker did not answer a read of {stream} within {} s", WAIT.as_secs())]
    TimedOut { stream: String },
    #[error("nothing answers reads of {stream}: is it provisioned, and may this user read it?")]
    NoResponders { stream: String },
    #[error("the broker refused a read of {stream}: {status} {description}")]
    Refused { stream: String, status: u16, description: String },
    #[error(
        "the broker answered a batched read of {stream} with one message only: batched reads \
         need nats-server 2.11 or later"
    )]
    ServerTooOld { stream: String },
    #[error("the broker's answer to a read of {stream} is not a stored message: {why}")]
    Malformed { stream: String, why: String },
    #[error("could not read {stream}: {source}")]
    Transport {
        stream: String,
        #[source]
        source: crate::Source,
    },
}

/// One stored message, as a direct get gives it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub sequence: u64,
    pub subject: String,
    pub payload: bytes::Bytes,
    pub headers: async_nats::HeaderMap,
    /// When the broker stored it, by the broker's clock.
    pub stored_at: Timestamp,
}

/// What one batch brought.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// In stream order, each on a subject `subjects` matches.
    pub messages: Vec<Stored>,
    /// How many more matching messages the answering replica holds after the batch.
    pub pending: u64,
}

/// Up to `most` messages of `stream` after sequence `after`, on the subjects `subjects` matches
/// (a NATS wildcard); `most` is capped at [`BATCH_MESSAGES`], and the server may send fewer
/// (at most [`BATCH_BYTES`]). An empty batch when none follows.
pub async fn batch(
    client: &Client,
    stream: &str,
    after: u64,
    subjects: &str,
    most: usize,
) -> Result<Batch, DirectError> {
    let request = serde_json::json!({
        "seq": after + 1,
        "next_by_subj": subjects,
        "batch": most.clamp(1, BATCH_MESSAGES),
        "max_bytes": BATCH_BYTES,
    });
    let transport =
        |e: async_nats::Error| DirectError::Transport { stream: stream.to_owned(), source: e };
    let inbox = client.new_inbox();
    let mut answers = client.subscribe(inbox.clone()).await.map_err(|e| transport(e.into()))?;
    let body = serde_json::to_vec(&request).expect("a JSON object serializes");
    let subject = format!("$JS.API.DIRECT.GET.{stream}");
    client
        .publish_with_reply(subject, inbox, body.into())
        .await
        .map_err(|e| transport(e.into()))?;
    let mut batch = Batch::default();
    loop {
        let next = tokio::time::timeout(WAIT, answers.next()).await;
        let Ok(Some(message)) = next else {
            return Err(DirectError::TimedOut { stream: stream.to_owned() });
        };
        match message.status.map(|s| s.as_u16()) {
            Some(204) => {
                batch.pending = header_u64(&message, "Nats-Num-Pending").unwrap_or(0);
                return Ok(batch);
            }
            Some(404) => return Ok(batch),
            Some(503) => return Err(DirectError::NoResponders { stream: stream.to_owned() }),
            Some(status) => {
                return Err(DirectError::Refused {
                    stream: stream.to_owned(),
                    status,
                    description: message.description.unwrap_or_default(),
                })
            }
            None => {}
        }
        if batch.messages.is_empty() && header_u64(&message, "Nats-Num-Pending").is_none() {
            return Err(DirectError::ServerTooOld { stream: stream.to_owned() });
        }
        batch.messages.push(stored(stream, message)?);
    }
}

/// The first message after `after` on `subjects`, as the stream's leader holds it: what a
/// reader asks when a batch from a replica ended before the head it must reach.
pub async fn leader_next(
    stream: &jetstream::stream::Stream,
    after: u64,
    subjects: &str,
) -> Result<Option<Stored>, DirectError> {
    use jetstream::stream::RawMessageErrorKind;
    let name = stream.cached_info().config.name.clone();
    match stream.get_first_raw_message_by_subject(subjects, after + 1).await {
        Ok(message) => Ok(Some(Stored {
            sequence: message.sequence,
            subject: message.subject.to_string(),
            payload: message.payload,
            stored_at: timestamp(message.time.unix_timestamp_nanos()),
            headers: message.headers,
        })),
        Err(e) if e.kind() == RawMessageErrorKind::NoMessageFound => Ok(None),
        Err(e) => Err(DirectError::Transport { stream: name, source: e.into() }),
    }
}

fn stored(stream: &str, message: async_nats::Message) -> Result<Stored, DirectError> {
    let message = StreamMessage::try_from(message)
        .map_err(|e| DirectError::Malformed { stream: stream.to_owned(), why: e.to_string() })?;
    Ok(Stored {
        sequence: message.sequence,
        subject: message.subject.to_string(),
        payload: message.payload,
        stored_at: timestamp(message.time.unix_timestamp_nanos()),
        headers: message.headers,
    })
}

fn timestamp(nanos: i128) -> Timestamp {
    let millis = nanos / 1_000_000;
    Timestamp(i64::try_from(millis).unwrap_or(i64::MAX))
}

fn header_u64(message: &async_nats::Message, name: &str) -> Option<u64> {
    message.headers.as_ref()?.get(name)?.as_str().parse().ok()
}

/// The content of an object of a JetStream object store, read by direct gets, never more than
/// `most` bytes: `None` when the object is not there (or was deleted).
pub async fn object(
    store: &jetstream::object_store::ObjectStore,
    client: &Client,
    name: &str,
    most: u64,
) -> Result<Option<Vec<u8>>, ObjectError> {
    use jetstream::object_store::InfoErrorKind;
    let info = match store.info(name).await {
        Ok(info) if !info.deleted => info,
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == InfoErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ObjectError::Info(e.into())),
    };
    let size = u64::try_from(info.size).unwrap_or(u64::MAX);
    if size > most {
        return Err(ObjectError::TooLarge { size, most });
    }
    let (stream, chunks) =
        (format!("OBJ_{}", info.bucket), format!("$O.{}.C.{}", info.bucket, info.nuid));
    let mut content = Vec::with_capacity(info.size);
    let (mut after, mut read) = (0, 0);
    while read < info.chunks {
        let batch = batch(client, &stream, after, &chunks, info.chunks - read).await?;
        let Some(last) = batch.messages.last() else {
            return Err(ObjectError::Incomplete {
                name: name.to_owned(),
                read,
                chunks: info.chunks,
            });
        };
        after = last.sequence;
        read += batch.messages.len();
        for chunk in batch.messages {
            content.extend_from_slice(&chunk.payload);
        }
        if u64::try_from(content.len()).unwrap_or(u64::MAX) > size {
            return Err(ObjectError::Inconsistent { name: name.to_owned(), size });
        }
    }
    Ok(Some(content))
}

/// Why an object could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("could not read the object's description: {0}")]
    Info(#[source] crate::Source),
    #[error("the object holds {size} bytes, more than {most}")]
    TooLarge { size: u64, most: u64 },
    #[error("the object {name} holds more than the {size} bytes its description names")]
    Inconsistent { name: String, size: u64 },
    #[error("the object {name} has {chunks} chunks, and only {read} could be read")]
    Incomplete { name: String, read: usize, chunks: usize },
    #[error(transparent)]
    Read(#[from] DirectError),
}
