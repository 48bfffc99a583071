//! From the stream into redb: read messages, hand them in batches to one applying thread, ack
//! after the commit.
//!
//! Reading and applying overlap: while the applying thread decodes, applies and commits one
//! batch, the reader gathers the next from every message that arrives meanwhile, up to
//! `batch_events_max`; so batches grow under load (fewer commits per event) and stay small
//! when events trickle in (low latency). The last message of
//! a batch is acked once its commit returns; with `AckPolicy::All` that one ack covers the
//! batch.

use crate::store::{Flush, Item, Store};
use crate::Error;
use async_nats::jetstream;
use async_nats::jetstream::message::Acker;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use reform_shared::codec;
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// How many batches may wait for the applying thread: one, so it never idles while the next
/// is being gathered, and memory stays at most three batches.
pub const BATCHES_IN_FLIGHT_MAX: usize = 1;
/// The longest time between two durable (fsynced) commits while batches keep coming.
pub const DURABLE_COMMIT_INTERVAL: Duration = Duration::from_millis(500);

/// A batch as read: stream sequences with raw payloads, and the last message's acker.
struct RawBatch {
    messages: Vec<(u64, Bytes)>,
    acker: Option<Acker>,
}

/// What the applying thread reports after each batch.
type Applied = Result<(u64, Option<Acker>), Error>;

/// When to stop besides shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Follow the stream until shut down.
    Shutdown,
    /// Stop once this sequence is applied (a rebuild up to the head it saw at start).
    Applied(u64),
}

/// Projects messages into the store until `until` or `shutdown`; returns the checkpoint.
pub async fn project<S, E>(
    messages: S,
    store: Arc<Store>,
    batch_events_max: usize,
    status: watch::Sender<u64>,
    until: Until,
    shutdown: impl Future<Output = ()>,
) -> Result<u64, Error>
where
    S: Stream<Item = Result<jetstream::Message, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut applied = store.applied_through()?;
    status.send_replace(applied);
    if matches!(until, Until::Applied(n) if n <= applied) {
        return Ok(applied);
    }
    let skipped: BTreeSet<u64> = store.skipped()?.into_iter().map(|(seq, _)| seq).collect();
    let (batch_tx, batch_rx) = mpsc::channel::<RawBatch>(BATCHES_IN_FLIGHT_MAX);
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Applied>();
    let applier = {
        let store = store.clone();
        std::thread::Builder::new()
            .name("projector-apply".into())
            .spawn(move || apply_loop(&store, &skipped, batch_rx, &done_tx))
            .map_err(|e| Error::Consumer(format!("could not start the applying thread: {e}")))?
    };
    let max = batch_events_max.max(1);
    let mut chunks = messages.ready_chunks(max);
    let mut dispatched = applied;
    // The batch being gathered: it grows while the applying thread is busy, so under load each
    // commit carries up to `batch_events_max` events.
    let mut pending: Option<RawBatch> = None;
    tokio::pin!(shutdown);
    let mut outcome: Result<(), Error> = loop {
        let room = pending.as_ref().is_none_or(|b| b.messages.len() < max);
        tokio::select! {
            biased;
            () = &mut shutdown => break Ok(()),
            done = done_rx.recv() => match done {
                Some(Ok((seq, acker))) => {
                    applied = seq;
                    ack(acker).await;
                    status.send_replace(applied);
                    if matches!(until, Until::Applied(n) if applied >= n) {
                        break Ok(());
                    }
                }
                Some(Err(e)) => break Err(e),
                None => break Err(Error::Consumer("the applying thread stopped".into())),
            },
            permit = batch_tx.reserve(), if pending.is_some() => {
                // A closed channel means the applying thread stopped; its error is queued on
                // `done_rx`, which this biased select reads first.
                if let (Ok(permit), Some(batch)) = (permit, pending.take()) {
                    permit.send(batch);
                }
            }
            chunk = chunks.next(), if room => {
                let Some(chunk) = chunk else {
                    break Err(Error::Consumer("the consumer's message stream ended".into()));
                };
                if let Err(e) = read_chunk(chunk, &mut dispatched, &mut pending) {
                    break Err(e);
                }
            }
        }
    };
    // Let the applying thread finish what it was given (nothing is cut mid-write), ack it.
    drop(batch_tx);
    while let Some(done) = done_rx.recv().await {
        match done {
            Ok((seq, acker)) => {
                applied = seq;
                ack(acker).await;
                status.send_replace(applied);
            }
            Err(e) => {
                if outcome.is_ok() {
                    outcome = Err(e);
                }
            }
        }
    }
    let _ = applier.join();
    outcome.map(|()| applied)
}

/// Adds a chunk of messages to the batch being gathered, dropping redeliveries of what was
/// already dispatched and keeping only the last acker.
fn read_chunk<E: std::fmt::Display>(
    chunk: Vec<Result<jetstream::Message, E>>,
    dispatched: &mut u64,
    pending: &mut Option<RawBatch>,
) -> Result<(), Error> {
    for message in chunk {
        let message = message.map_err(|e| Error::Consumer(e.to_string()))?;
        let seq = message.info().map_err(|e| Error::Consumer(e.to_string()))?.stream_sequence;
        let (message, acker) = message.split();
        if seq <= *dispatched {
            continue;
        }
        *dispatched = seq;
        let batch = pending.get_or_insert_with(|| RawBatch { messages: Vec::new(), acker: None });
        batch.messages.push((seq, message.payload));
        batch.acker = Some(acker);
    }
    Ok(())
}

async fn ack(acker: Option<Acker>) {
    if let Some(acker) = acker {
        // A lost ack only means a redelivery, which the checkpoint filters out.
        if let Err(e) = acker.ack().await {
            tracing::warn!(error = %e, "could not ack a batch; it will be redelivered and skipped");
        }
    }
}

/// The applying thread: decode, apply, commit, report; stop at the first error.
///
/// A commit is made durable (fsync) when no other batch is waiting, or when the last durable
/// commit is older than [`DURABLE_COMMIT_INTERVAL`]; in between, commits are atomic but not
/// synced. That is safe because the checkpoint travels in the same transaction as the views:
/// a power loss can only take the file back to an earlier consistent commit, and the consumer
/// is recreated at that checkpoint at the next start, so the lost events are applied again,
/// once. Under load this saves an fsync per batch; when events trickle in, every commit syncs.
fn apply_loop(
    store: &Store,
    skipped: &BTreeSet<u64>,
    mut batches: mpsc::Receiver<RawBatch>,
    done: &mpsc::UnboundedSender<Applied>,
) {
    let mut last_durable = Instant::now();
    while let Some(batch) = batches.blocking_recv() {
        let (items, failure) = decode_batch(&batch.messages, skipped);
        let flush = if failure.is_some()
            || batches.is_empty()
            || last_durable.elapsed() >= DURABLE_COMMIT_INTERVAL
        {
            last_durable = Instant::now();
            Flush::Durable
        } else {
            Flush::Deferred
        };
        let result = if items.is_empty() {
            Ok(None)
        } else {
            store.apply_batch(&items, flush).map(Some).map_err(Error::from)
        };
        match (result, failure) {
            (Ok(Some(seq)), None) => {
                if done.send(Ok((seq, batch.acker))).is_err() {
                    return;
                }
            }
            (Ok(None), None) => {}
            (Ok(seq), Some(e)) => {
                // Everything before the unreadable event is committed; say so, then stop.
                if let Some(seq) = seq {
                    let _ = done.send(Ok((seq, None)));
                }
                let _ = done.send(Err(e));
                return;
            }
            (Err(e), _) => {
                let _ = done.send(Err(e));
                return;
            }
        }
    }
    // Leave the file synced on a clean stop.
    if let Err(e) = store.sync() {
        let _ = done.send(Err(e.into()));
    }
}

/// Decodes a batch up to its first unreadable event.
fn decode_batch(messages: &[(u64, Bytes)], skipped: &BTreeSet<u64>) -> (Vec<Item>, Option<Error>) {
    let mut items = Vec::with_capacity(messages.len());
    for (seq, payload) in messages {
        let seq = *seq;
        if skipped.contains(&seq) {
            items.push(Item { seq, record: None });
            continue;
        }
        match codec::decode(payload) {
            Ok(record) if crate::model::business_date(&record).is_some() => {
                items.push(Item { seq, record: Some(record) });
            }
            Ok(record) => {
                let at = record.envelope.occurred_at.0;
                return (items, Some(Error::OutsideCalendar { sequence: seq, millis: at }));
            }
            Err(source) => return (items, Some(Error::Unreadable { sequence: seq, source })),
        }
    }
    (items, None)
}
