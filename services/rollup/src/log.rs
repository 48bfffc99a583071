//! Reading a prefix of the log into the projection's in-memory state.

use crate::RollupError;
use async_nats::jetstream;
use reform_projector::model::{apply, State};
use reform_shared::codec;
use reform_shared::envelope::Record;
use reform_shared::log::{self, Range};
use reform_shared::subject::STREAM_NAME;
use reform_shared::time::Timestamp;
use std::ops::ControlFlow;

/// Where a prefix ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Just before the first event recorded at or after this instant (what was known when a
    /// period closed), and at the latest at `head`.
    RecordedBefore { at: Timestamp, head: u64 },
    /// At this stream sequence, inclusive.
    Sequence(u64),
}

impl End {
    /// The last sequence the prefix may reach.
    pub fn limit(self) -> u64 {
        match self {
            End::RecordedBefore { head, .. } => head,
            End::Sequence(n) => n,
        }
    }

    /// What was known at the end of `day` (Vietnam time): every event recorded before the
    /// next day's midnight, at most through `head`.
    pub fn known_at(day: reform_shared::time::Date, head: u64) -> End {
        let next = day.succ().unwrap_or(day);
        End::RecordedBefore { at: Timestamp::at_vietnam_midnight(next), head }
    }
}

/// The state after the events of the prefix, and the last sequence it holds. Unreadable
/// messages an operator skipped (`reform_shared::skips`) are gone past, as every reader does;
/// any other unreadable message stops the read, naming it.
pub async fn read_prefix(js: &jetstream::Context, end: End) -> Result<(State, u64), RollupError> {
    let mut state = State::default();
    let through = for_each_in_prefix(js, end, |seq, record, _| match record {
        Some(record) => apply(&mut state, record, seq),
        None => state.applied_through = seq,
    })
    .await?;
    Ok((state, through))
}

/// The state after the prefix, its last sequence, and the Merkle tree over its messages (for
/// the checkpoint a report carries).
pub async fn read_prefix_with_tree(
    js: &jetstream::Context,
    end: End,
) -> Result<(State, u64, reform_shared::checkpoint::LogTree), RollupError> {
    let mut state = State::default();
    let mut tree = reform_shared::checkpoint::LogTree::new(None);
    let through = for_each_in_prefix(js, end, |seq, record, payload| {
        tree.push(seq, payload);
        match record {
            Some(record) => apply(&mut state, record, seq),
            None => state.applied_through = seq,
        }
    })
    .await?;
    Ok((state, through, tree))
}

/// Hands every message of the prefix to `each`, in order: the decoded record (or `None` for an
/// unreadable message an operator skipped) and the bytes as stored. Returns the last sequence
/// of the prefix.
pub async fn for_each_in_prefix(
    js: &jetstream::Context,
    end: End,
    each: impl FnMut(u64, Option<&Record>, &[u8]),
) -> Result<u64, RollupError> {
    for_each_after(js, 0, end, each).await
}

/// [`for_each_in_prefix`] from the message after `after` on: the rest of a prefix whose first
/// `after` messages were read before. Returns the prefix's last sequence (`after` when nothing
/// follows within it).
pub async fn for_each_after(
    js: &jetstream::Context,
    after: u64,
    end: End,
    mut each: impl FnMut(u64, Option<&Record>, &[u8]),
) -> Result<u64, RollupError> {
    let limit = end.limit();
    if limit <= after {
        return Ok(after);
    }
    let mut through = after;
    log::read(js, &Range::between(after, limit), |message, record| {
        if let (End::RecordedBefore { at, .. }, Some(record)) = (end, &record) {
            if record.envelope.recorded_at >= at {
                return ControlFlow::Break(());
            }
        }
        each(message.sequence, record.as_ref(), &message.payload);
        through = message.sequence;
        ControlFlow::Continue(())
    })
    .await?;
    Ok(through)
}

/// The stream's last sequence now.
pub async fn head(js: &jetstream::Context) -> Result<u64, RollupError> {
    let mut stream = js.get_stream(STREAM_NAME).await.map_err(|e| RollupError::Stream(e.into()))?;
    Ok(stream.info().await.map_err(|e| RollupError::Stream(e.into()))?.state.last_sequence)
}

/// The broker's time of storing the log's last message: a clock this service's own cannot
/// move. `None` for an empty log.
pub async fn stored_last(js: &jetstream::Context) -> Result<Option<Timestamp>, RollupError> {
    let mut stream = js.get_stream(STREAM_NAME).await.map_err(|e| RollupError::Stream(e.into()))?;
    let state = &stream.info().await.map_err(|e| RollupError::Stream(e.into()))?.state;
    if state.messages == 0 {
        return Ok(None);
    }
    let millis = state.last_timestamp.unix_timestamp_nanos() / 1_000_000;
    Ok(i64::try_from(millis).ok().map(Timestamp))
}

/// When the log began: the recording time of its first message, if it has one.
pub async fn began(js: &jetstream::Context) -> Result<Option<Timestamp>, RollupError> {
    let stream = js.get_stream(STREAM_NAME).await.map_err(|e| RollupError::Stream(e.into()))?;
    match stream.direct_get(1).await {
        Ok(message) => Ok(codec::decode(&message.payload).ok().map(|r| r.envelope.recorded_at)),
        Err(_) => Ok(None),
    }
}

/// The events after `after`, through the head now, with their sequences: what a closed
/// report did not see.
pub async fn after(js: &jetstream::Context, after: u64) -> Result<Vec<(u64, Record)>, RollupError> {
    let mut out = Vec::new();
    log::read(js, &Range::after(after), |message, record| {
        out.extend(record.map(|record| (message.sequence, record)));
        ControlFlow::Continue(())
    })
    .await?;
    Ok(out)
}
