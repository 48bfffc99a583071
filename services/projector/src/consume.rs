//! From the stream into redb: read messages, hand them in batches to one applying thread, ack
//! after the commit.
//!
//! Reading and applying overlap: while the applying thread decodes, applies and commits one
//! batch (a blocking fsync), the reader is already collecting the next. Each batch is every
//! message ready at that moment, up to `batch_events_max`, so batches grow under load (fewer
//! commits per event) and stay small when events trickle in (low latency). The last message of
//! a batch is acked once its commit returns; with `AckPolicy::All` that one ack covers the
//! batch.

use crate::store::{Item, Store};
use crate::Error;
use async_nats::jetstream;
use async_nats::jetstream::message::Acker;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use reform_shared::codec;
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// How many batches may wait for the applying thread. Two keep it busy while bounding memory.
pub const BATCHES_IN_FLIGHT_MAX: usize = 2;

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
    let mut chunks = messages.ready_chunks(batch_events_max.max(1));
    let mut dispatched = applied;
    let mut batch_tx = Some(batch_tx);
    let mut outcome: Result<(), Error> = Ok(());
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown, if batch_tx.is_some() => batch_tx = None,
            done = done_rx.recv() => match done {
                Some(Ok((seq, acker))) => {
                    applied = seq;
                    ack(acker).await;
                    status.send_replace(applied);
                    if matches!(until, Until::Applied(n) if applied >= n) {
                        batch_tx = None;
                    }
                }
                Some(Err(e)) => {
                    outcome = Err(e);
                    batch_tx = None;
                }
                // The applying thread has finished every batch it was given.
                None => break,
            },
            chunk = chunks.next(), if batch_tx.is_some() => {
                let Some(chunk) = chunk else {
                    outcome = Err(Error::Consumer("the consumer's message stream ended".into()));
                    batch_tx = None;
                    continue;
                };
                let batch = match read_chunk(chunk, &mut dispatched) {
                    Ok(batch) => batch,
                    Err(e) => {
                        outcome = Err(e);
                        batch_tx = None;
                        continue;
                    }
                };
                if batch.messages.is_empty() {
                    continue;
                }
                if let Some(tx) = &batch_tx {
                    // A failed send means the applying thread stopped; its error is on its way.
                    let _ = tx.send(batch).await;
                }
            }
        }
    }
    let _ = applier.join();
    outcome.map(|()| applied)
}

/// Splits a chunk of messages into sequences and payloads, dropping redeliveries of what was
/// already dispatched and keeping only the last acker.
fn read_chunk<E: std::fmt::Display>(
    chunk: Vec<Result<jetstream::Message, E>>,
    dispatched: &mut u64,
) -> Result<RawBatch, Error> {
    let mut batch = RawBatch { messages: Vec::with_capacity(chunk.len()), acker: None };
    for message in chunk {
        let message = message.map_err(|e| Error::Consumer(e.to_string()))?;
        let seq = message.info().map_err(|e| Error::Consumer(e.to_string()))?.stream_sequence;
        let (message, acker) = message.split();
        if seq <= *dispatched {
            continue;
        }
        *dispatched = seq;
        batch.messages.push((seq, message.payload));
        batch.acker = Some(acker);
    }
    Ok(batch)
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
fn apply_loop(
    store: &Store,
    skipped: &BTreeSet<u64>,
    mut batches: mpsc::Receiver<RawBatch>,
    done: &mpsc::UnboundedSender<Applied>,
) {
    while let Some(batch) = batches.blocking_recv() {
        let (items, failure) = decode_batch(&batch.messages, skipped);
        let result = if items.is_empty() {
            Ok(None)
        } else {
            store.apply_batch(&items).map(Some).map_err(Error::from)
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
