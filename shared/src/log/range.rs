//! A bounded read of the stream: from a sequence, through a head fixed when the read starts,
//! on some subjects or all, by batched direct gets ([`crate::direct`]), which create nothing on
//! the server.

use super::{ReadError, Skips};
use crate::direct;
use crate::envelope::Record;
use crate::subject::{ALL_EVENTS, STREAM_NAME};
use crate::time::Timestamp;
use async_nats::jetstream;
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
}

impl Range {
    /// Every event from the first through `head`.
    pub fn through(head: u64) -> Range {
        Range::between(0, head)
    }

    /// Every event after `after` through `head`.
    pub fn between(after: u64, head: u64) -> Range {
        Range { filter: ALL_EVENTS.to_owned(), after, through: Some(head), most: None }
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
    let client = js.client();
    let filter = server_filter(&range.filter);
    let mut last = range.after;
    while last < through {
        let want = usize::try_from(through - last).unwrap_or(usize::MAX);
        let batch = direct::batch(&client, STREAM_NAME, last, filter, want).await?;
        if last == range.after {
            check_size(range, &batch)?;
        }
        let mut messages = batch.messages;
        let mut done = false;
        if messages.is_empty() || batch.pending == 0 {
            // The replica that answered holds nothing more; it may lag the leader by the last
            // few messages, so the leader says whether one more is due.
            let after = messages.last().map_or(last, |m| m.sequence);
            let next = match after < through {
                true => direct::leader_next(&stream, after, filter).await?,
                false => None,
            };
            match next.filter(|m| m.sequence <= through) {
                Some(next) => messages.push(next),
                None => done = true,
            }
        }
        for message in messages {
            if message.sequence > through {
                return Ok(last); // Appended after the read began, on a filtered read.
            }
            last = message.sequence;
            let message = Message {
                sequence: message.sequence,
                subject: message.subject,
                payload: message.payload.to_vec(),
                stored_at: Some(message.stored_at),
            };
            if each(message).is_break() {
                return Ok(last);
            }
        }
        if done {
            break;
        }
    }
    Ok(last)
}

/// The filter to ask the server for. The stream holds only [`ALL_EVENTS`] (`check_stream`
/// refuses any other), so a read of all of it asks for `>`, which nats-server serves by reading
/// on block after block. Asked for `par.evt.>`, a wildcard it matches against its index of every
/// subject (one per aggregate), it slowed with the log's size: `reformctl backup` of 1 M events
/// took 48.9 s (23.8 s with `>`), and of 10 M events had read 3.2 M after 19 minutes
/// (`PAR_BENCH_PARTS=backup just bench-audit`).
fn server_filter(filter: &str) -> &str {
    match filter == ALL_EVENTS {
        true => ">",
        false => filter,
    }
}

/// Refuses a bounded read that would hold more than its bound: the first batch tells how many
/// messages follow it.
fn check_size(range: &Range, batch: &direct::Batch) -> Result<(), ReadError> {
    let Some(most) = range.most else { return Ok(()) };
    let count = (batch.messages.len() as u64).saturating_add(batch.pending);
    match count > most as u64 {
        true => Err(ReadError::TooMany { filter: range.filter.clone(), count, most }),
        false => Ok(()),
    }
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
