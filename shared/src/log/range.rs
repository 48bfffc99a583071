//! A bounded read of the stream: from a sequence, through a head fixed when the read starts,
//! on some subjects or all. Each read has its own ordered consumer, which leaves nothing
//! behind on the server.

use super::{ReadError, Skips};
use crate::envelope::Record;
use crate::subject::{ALL_EVENTS, STREAM_NAME};
use crate::time::Timestamp;
use async_nats::jetstream::{self, consumer::pull::OrderedConfig, consumer::DeliverPolicy};
use futures::StreamExt as _;
use std::ops::ControlFlow;

/// One message of the log, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub sequence: u64,
    pub subject: String,
    pub payload: Vec<u8>,
    /// When the broker stored it, by the broker's clock; `None` where it is not known (an
    /// export written before exports kept it).
    pub stored_at: Option<Timestamp>,
}

/// What to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    filter: String,
    after: u64,
    /// The last sequence to read; the stream's head when the read starts if `None`.
    through: Option<u64>,
    /// The most messages the read may hold, for reads whose size the caller does not know.
    most: Option<usize>,
    /// What the reader is for, in its consumer's name on the server.
    purpose: &'static str,
}

impl Range {
    /// Every event from the first through `head`.
    pub fn through(head: u64) -> Range {
        Range::between(0, head)
    }

    /// Every event after `after` through `head`.
    pub fn between(after: u64, head: u64) -> Range {
        Range {
            filter: ALL_EVENTS.to_owned(),
            after,
            through: Some(head),
            most: None,
            purpose: "read",
        }
    }

    /// Every event after `after`, through the head when the read starts.
    pub fn after(after: u64) -> Range {
        Range { through: None, ..Range::between(after, 0) }
    }

    /// Every event on the subjects `filter` names (a NATS wildcard), through the head when the
    /// read starts.
    pub fn subjects(filter: impl Into<String>) -> Range {
        Range { filter: filter.into(), ..Range::after(0) }
    }

    /// Refuses the read ([`ReadError::TooMany`]) when it would hold more than `most` messages.
    pub fn at_most(self, most: usize) -> Range {
        Range { most: Some(most), ..self }
    }

    /// Names the reader's purpose on the server (`audit`, `rollup`, `register`, ...).
    pub fn by(self, purpose: &'static str) -> Range {
        Range { purpose, ..self }
    }
}

/// Hands every message of `range` to `each`, as stored, in order, until `each` breaks.
/// Returns the last sequence handed out (the range's start when there was none). A message
/// that does not decode is handed out like any other: for readers of bytes (the verifier, the
/// Merkle tree).
pub async fn read_raw(
    js: &jetstream::Context,
    range: &Range,
    mut each: impl FnMut(Message) -> ControlFlow<()>,
) -> Result<u64, ReadError> {
    let stream = js.get_stream(STREAM_NAME).await.map_err(ReadError::stream)?;
    // Never past the head: a read waiting for a message not yet appended would never end.
    let head = stream.cached_info().state.last_sequence;
    let through = range.through.map_or(head, |t| t.min(head));
    if through <= range.after || !holds_any(&stream, range, through).await? {
        return Ok(range.after);
    }
    let deliver_policy = match range.after {
        0 => DeliverPolicy::All,
        n => DeliverPolicy::ByStartSequence { start_sequence: n + 1 },
    };
    let consumer = stream
        .create_consumer(OrderedConfig {
            name: Some(crate::stream::reader_name(range.purpose)),
            filter_subject: range.filter.clone(),
            deliver_policy,
            ..Default::default()
        })
        .await
        .map_err(ReadError::stream)?;
    let mut messages = consumer.messages().await.map_err(ReadError::stream)?;
    let mut last = range.after;
    while let Some(message) = messages.next().await {
        let message = message.map_err(ReadError::stream)?;
        let info = message.info().map_err(ReadError::Stream)?;
        let (sequence, pending) = (info.stream_sequence, info.pending);
        if sequence > through {
            break; // Appended after the read began, on a filtered read.
        }
        if let Some(most) = range.most.filter(|_| last == range.after) {
            let count = pending.saturating_add(1);
            if count > most as u64 {
                return Err(ReadError::TooMany { filter: range.filter.clone(), count, most });
            }
        }
        let stored_at = i64::try_from(info.published.unix_timestamp_nanos() / 1_000_000).ok();
        last = sequence;
        let message = Message {
            sequence,
            subject: message.subject.to_string(),
            payload: message.payload.to_vec(),
            stored_at: stored_at.map(Timestamp),
        };
        if each(message).is_break() || sequence >= through || pending == 0 {
            break;
        }
    }
    Ok(last)
}

/// Hands every event of `range` to `each`, decoded, in order, until `each` breaks: `None` for
/// an unreadable message an operator skipped. Any other unreadable message stops the read with
/// [`super::Unreadable`], naming it. Returns the last sequence handed out.
pub async fn read(
    js: &jetstream::Context,
    range: &Range,
    mut each: impl FnMut(&Message, Option<Record>) -> ControlFlow<()>,
) -> Result<u64, ReadError> {
    let skips = Skips::load(js).await?;
    let mut unreadable = None;
    let last =
        read_raw(js, range, |message| match skips.decode(message.sequence, &message.payload) {
            Ok(record) => each(&message, record),
            Err(e) => {
                unreadable = Some(e);
                ControlFlow::Break(())
            }
        })
        .await?;
    match unreadable {
        Some(e) => Err(e.into()),
        None => Ok(last),
    }
}

/// Whether a filtered range holds any message through `through`: an ordered consumer on a
/// filter with nothing in it would wait for one forever.
async fn holds_any(
    stream: &jetstream::stream::Stream,
    range: &Range,
    through: u64,
) -> Result<bool, ReadError> {
    if range.filter == ALL_EVENTS {
        return Ok(true);
    }
    use jetstream::stream::DirectGetErrorKind;
    match stream.direct_get_next_for_subject(range.filter.clone(), Some(range.after + 1)).await {
        Ok(first) => Ok(first.sequence <= through),
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(false),
        Err(e) => Err(ReadError::stream(e)),
    }
}
