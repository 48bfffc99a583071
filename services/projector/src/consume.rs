//! From the stream into redb: read and decode messages, hand them in batches to one applying
//! thread, ack after the commit.
//!
//! Reading and applying overlap: while the applying thread applies and commits one batch, the
//! reader decodes every message that arrives meanwhile into the next, up to
//! `batch_events_max`; so batches grow under load (fewer commits per event) and stay small
//! when events trickle in (low latency). Decoding on the reader's side rather than the
//! applier's takes it off the one thread every event must pass through. The last message of
//! a batch is acked once its commit returns; with `AckPolicy::All` that one ack covers the
//! batch.

use crate::split::Ownership;
use crate::store::{Flush, Item, Store};
use crate::Error;
use async_nats::jetstream;
use async_nats::jetstream::message::Acker;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use reform_shared::codec;
use std::collections::BTreeMap;

/// Sequences to go past: with the digest of the bytes an operator skipped, or `None` for a
/// skip an earlier build recorded in the views file (which covered whatever was there).
type Skips = BTreeMap<u64, Option<String>>;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// How many batches may wait for the applying thread: one, so it never idles while the next
/// is being gathered, and memory stays at most three batches.
pub const BATCHES_IN_FLIGHT_MAX: usize = 1;
/// The longest time between two durable (fsynced) commits while batches keep coming.
pub const DURABLE_COMMIT_INTERVAL: Duration = Duration::from_millis(500);

/// A batch as read and decoded, up to its first unreadable event (then `failure` says why and
/// nothing after it joins the batch), with the last message's acker.
struct Batch {
    items: Vec<Item>,
    failure: Option<Error>,
    acker: Option<Acker>,
    /// The server said, with the last message, that more messages were waiting behind it.
    more_waiting: bool,
}

impl Batch {
    /// Whether the reader may add to it: not full, and not stopped at an unreadable event.
    fn open(&self, max: usize) -> bool {
        self.failure.is_none() && self.items.len() < max
    }
}

/// What the applying thread reports after each piece of work.
type Applied = Result<Report, Error>;

struct Report {
    /// `applied_through` committed; `None` when nothing was (a sync).
    seq: Option<u64>,
    acker: Option<Acker>,
    /// The batch's memory, freed on the reader's side: freeing thousands of records is a tenth
    /// of the applier's time, and the applier is the one thread every event waits for.
    leftovers: Leftovers,
}

/// Memory a batch leaves behind; dropped by whoever receives it.
struct Leftovers {
    _items: Vec<Item>,
    _records: Option<crate::model::State>,
}

/// When to stop besides shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Follow the stream until shut down.
    Shutdown,
    /// Stop once this sequence is applied (a rebuild up to the head it saw at start).
    Applied(u64),
}

/// Projects messages into the store until `until` or `shutdown`; returns `applied_through`.
///
/// `registry` holds the operators' skips from the shared record ([`reform_shared::skips`]):
/// sequence → SHA-256 of the bytes skipped. Skips recorded in the views file by earlier builds
/// are honoured too.
#[allow(clippy::too_many_arguments)]
pub async fn project<S, E>(
    messages: S,
    store: Arc<Store>,
    mut ownership: Ownership,
    js: &jetstream::Context,
    batch_events_max: usize,
    status: &watch::Sender<u64>,
    registry: &BTreeMap<u64, String>,
    until: Until,
    shutdown: impl Future<Output = ()>,
) -> Result<u64, Error>
where
    S: Stream<Item = Result<jetstream::Message, E>> + Unpin,
    E: std::error::Error + Send + Sync + 'static,
{
    let mut applied = store.applied_through()?;
    status.send_replace(applied);
    if matches!(until, Until::Applied(n) if n <= applied) {
        return Ok(applied);
    }
    let mut skipped: Skips = store.skipped()?.into_iter().map(|(seq, _)| (seq, None)).collect();
    skipped.extend(registry.iter().map(|(seq, digest)| (*seq, Some(digest.clone()))));
    let (batch_tx, batch_rx) = mpsc::channel::<Batch>(BATCHES_IN_FLIGHT_MAX);
    // Whether the reader holds messages not yet handed over: more is coming, so the applier
    // need not sync its commit (see `apply_loop`). A hint, read without ordering.
    let gathering = Arc::new(AtomicBool::new(false));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Applied>();
    let applier = {
        let store = store.clone();
        std::thread::Builder::new()
            .name("projector-apply".into())
            .spawn({
                let gathering = gathering.clone();
                move || apply_loop(&store, batch_rx, &gathering, &done_tx)
            })
            .map_err(|e| {
                Error::Consumer(format!("could not start the applying thread: {e}").into())
            })?
    };
    let max = batch_events_max.max(1);
    let mut chunks = messages.ready_chunks(max);
    let mut dispatched = applied;
    // The batch being gathered: it grows while the applying thread is busy, so under load each
    // commit carries up to `batch_events_max` events.
    let mut pending: Option<Batch> = None;
    // Batches handed to the applying thread and not yet reported back. A batch is handed over
    // when the applier is idle, or queued behind the one it applies once it is full: a batch
    // queued early would stop growing while it waits, and a redb commit costs roughly per leaf
    // page it dirties (the per-unit index rows spread over hundreds of pages), so small
    // batches cost several times more per event than full ones.
    let mut in_flight = 0usize;
    tokio::pin!(shutdown);
    let mut outcome: Result<(), Error> = loop {
        let room = pending.as_ref().is_none_or(|b| b.open(max));
        tokio::select! {
            biased;
            () = &mut shutdown => break Ok(()),
            done = done_rx.recv() => match done {
                Some(Ok(report)) => {
                    let Report { seq, acker, leftovers } = report;
                    drop(leftovers);
                    in_flight = in_flight.saturating_sub(1);
                    applied = seq.unwrap_or(applied);
                    ack(acker).await;
                    status.send_replace(applied);
                    if matches!(until, Until::Applied(n) if applied >= n) {
                        break Ok(());
                    }
                }
                Some(Err(e)) => break Err(e),
                None => break Err(Error::Consumer("the applying thread stopped".into())),
            },
            permit = batch_tx.reserve(),
                if pending.as_ref().is_some_and(|b| in_flight == 0 || !b.open(max)) =>
            {
                // A closed channel means the applying thread stopped; its error is queued on
                // `done_rx`, which this biased select reads first.
                if let (Ok(permit), Some(batch)) = (permit, pending.take()) {
                    permit.send(batch);
                    in_flight += 1;
                    gathering.store(false, Ordering::Relaxed);
                }
            }
            chunk = chunks.next(), if room => {
                let Some(chunk) = chunk else {
                    break Err(Error::Consumer("the consumer's message stream ended".into()));
                };
                let needs = match read_chunk(chunk, &skipped, &mut dispatched, &mut pending, &mut ownership) {
                    Ok(needs) => needs,
                    Err(e) => break Err(e),
                };
                if let Err(e) = fetch_histories(js, &ownership, &skipped, needs, &mut pending).await {
                    break Err(e);
                }
                gathering.store(pending.is_some(), Ordering::Relaxed);
            }
        }
    };
    // Let the applying thread finish what it was given (nothing is cut mid-write), ack it.
    drop(batch_tx);
    while let Some(done) = done_rx.recv().await {
        match done {
            Ok(Report { seq, acker, .. }) => {
                applied = seq.unwrap_or(applied);
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

/// Decodes a chunk of messages into the batch being gathered, dropping redeliveries of what
/// was already dispatched and keeping only the last acker. After an unreadable event the batch
/// takes nothing more: it carries the failure to the applier, which commits what came before
/// and stops. An event a split projector does not own joins as an empty item. Returns where,
/// in the pending batch, a task moves into the projector's provinces and needs its earlier
/// events.
fn read_chunk<E: std::error::Error + Send + Sync + 'static>(
    chunk: Vec<Result<jetstream::Message, E>>,
    skipped: &Skips,
    dispatched: &mut u64,
    pending: &mut Option<Batch>,
    ownership: &mut Ownership,
) -> Result<Vec<usize>, Error> {
    let mut needs = Vec::new();
    for message in chunk {
        let message = message.map_err(|e| Error::Consumer(e.into()))?;
        let info = message.info().map_err(Error::Consumer)?;
        let (seq, more_waiting) = (info.stream_sequence, info.pending > 0);
        let (message, acker) = message.split();
        if seq <= *dispatched {
            continue;
        }
        // The stream is contiguous and the consumer takes all of it, so the next message is
        // always the next sequence. A durable consumer whose leader moved can deliver past a
        // message still pending from a lost pull; taking that would skip the pending one for
        // good (the ack of a later message covers it). Start again from `applied_through` instead.
        if seq != *dispatched + 1 {
            return Err(Error::Consumer(
                format!(
                "the consumer delivered sequence {seq} after {}; re-creating it at `applied_through`",
                *dispatched
            )
                .into(),
            ));
        }
        let batch = pending.get_or_insert_with(|| Batch {
            items: Vec::new(),
            failure: None,
            acker: None,
            more_waiting: false,
        });
        if batch.failure.is_some() {
            break;
        }
        *dispatched = seq;
        if ownership.passes_by_subject(&message.subject) {
            batch.items.push(Item::new(seq, None));
            batch.acker = Some(acker);
            batch.more_waiting = more_waiting;
            continue;
        }
        match decode(seq, &message.payload, skipped) {
            Ok(mut item) => {
                if let Some(record) = &item.record {
                    let event = &record.envelope.event;
                    ownership.observe(event);
                    if !ownership.keeps(event) {
                        item.record = None;
                    } else if ownership.needs_history(event).is_some() {
                        needs.push(batch.items.len());
                    }
                }
                batch.items.push(item);
                batch.acker = Some(acker);
                batch.more_waiting = more_waiting;
            }
            Err(e) => batch.failure = Some(e),
        }
    }
    Ok(needs)
}

/// How long fetching a task's earlier events may take before the session starts again.
const HISTORY_TIMEOUT: Duration = Duration::from_secs(30);

/// Fetches, for each task moving in, the earlier events of the task this projector skipped.
async fn fetch_histories(
    js: &jetstream::Context,
    ownership: &Ownership,
    skipped: &Skips,
    needs: Vec<usize>,
    pending: &mut Option<Batch>,
) -> Result<(), Error> {
    let Some(batch) = pending.as_mut().filter(|_| !needs.is_empty()) else { return Ok(()) };
    let stream = js
        .get_stream(reform_shared::subject::STREAM_NAME)
        .await
        .map_err(|e| Error::Stream(e.into()))?;
    for index in needs {
        let Some(item) = batch.items.get_mut(index) else { continue };
        let Some(record) = &item.record else { continue };
        let history = tokio::time::timeout(
            HISTORY_TIMEOUT,
            task_history(&stream, ownership, skipped, &record.envelope.event, item.seq),
        )
        .await
        .map_err(|_| {
            Error::Consumer(
                format!(
                    "fetching the earlier events of the task moved at sequence {} took over {HISTORY_TIMEOUT:?}",
                    item.seq
                )
                .into(),
            )
        })??;
        tracing::info!(
            sequence = item.seq,
            earlier = history.len(),
            "a task moved into this projector's provinces; its earlier events fetched"
        );
        item.history = history;
    }
    Ok(())
}

/// The events of the moved task before sequence `before` that this projector did not keep,
/// read from the log on the task's subject (every unit: `par.evt.tasks.*.task.<id>`), one
/// direct get each, from the first. The read must reach the move itself, which is on the
/// subject: a replica that answers without it lags behind the log, and the session starts
/// again rather than apply a history with a hole.
async fn task_history(
    stream: &jetstream::stream::Stream,
    ownership: &Ownership,
    skipped: &Skips,
    moved: &reform_shared::event::Event,
    before: u64,
) -> Result<Vec<(u64, reform_shared::envelope::Record)>, Error> {
    let subject = reform_shared::subject::Aggregate::of(moved).check_subject();
    let mut out = Vec::new();
    let mut from = 1;
    loop {
        let message =
            stream.direct_get_next_for_subject(subject.clone(), Some(from)).await.map_err(|e| {
                Error::Stream(
                    format!(
                        "reading {subject} from sequence {from}, before the move at {before}: {e}"
                    )
                    .into(),
                )
            })?;
        if message.sequence >= before {
            return Ok(out);
        }
        // Decoded as the reader decoded it when it passed: a skipped event stays skipped, and
        // any other unreadable one halts here too.
        if let Some(record) = decode(message.sequence, &message.payload, skipped)?.record {
            if !ownership.keeps(&record.envelope.event) {
                out.push((message.sequence, record));
            }
        }
        from = message.sequence + 1;
    }
}

async fn ack(acker: Option<Acker>) {
    if let Some(acker) = acker {
        // A lost ack only means a redelivery, which `applied_through` filters out.
        if let Err(e) = acker.ack().await {
            tracing::warn!(error = %e, "could not ack a batch; it will be redelivered and skipped");
        }
    }
}

/// The applying thread: apply, commit, report; stop at the first error.
///
/// A commit is made durable (fsync) when nothing more is coming as it commits (the server had
/// nothing behind the batch's last message, no batch is queued, none is being gathered), or when the last durable commit is older than
/// [`DURABLE_COMMIT_INTERVAL`]; in between, commits are atomic but not synced. That is safe
/// because `applied_through` travels in the same transaction as the views: a crash or power loss
/// can only take the file back to an earlier consistent commit, and the consumer is recreated
/// after that `applied_through` at the next start, so the lost events are applied again, once. Under
/// load this saves an fsync per batch; when the stream goes quiet, the last commit syncs, so
/// what the status reports is on disk. The question is asked at commit time, not when the
/// batch is taken: the reader has had the whole batch's time to gather more by then.
fn apply_loop(
    store: &Store,
    mut batches: mpsc::Receiver<Batch>,
    gathering: &AtomicBool,
    done: &mpsc::UnboundedSender<Applied>,
) {
    let mut last_durable = Instant::now();
    while let Some(batch) = batches.blocking_recv() {
        let Batch { items, failure, acker, more_waiting } = batch;
        let stopping = failure.is_some();
        let flush = || {
            // The server's count of messages behind the batch is the surest sign of load: on
            // a busy two-core machine the reader may not have run since the hand-over, so an
            // empty queue alone would sync nearly every batch while catching up.
            let quiet = !more_waiting && batches.is_empty() && !gathering.load(Ordering::Relaxed);
            if stopping || quiet || last_durable.elapsed() >= DURABLE_COMMIT_INTERVAL {
                last_durable = Instant::now();
                Flush::Durable
            } else {
                Flush::Deferred
            }
        };
        let result = if items.is_empty() {
            Ok(None)
        } else {
            store.apply_batch_then(&items, flush).map(Some).map_err(Error::from)
        };
        let (result, records) = match result {
            Ok(Some((seq, records))) => (Ok(Some(seq)), Some(records)),
            Ok(None) => (Ok(None), None),
            Err(e) => (Err(e), None),
        };
        let leftovers = Leftovers { _items: items, _records: records };
        match (result, failure) {
            (Ok(seq), None) => {
                if done.send(Ok(Report { seq, acker, leftovers })).is_err() {
                    return;
                }
            }
            (Ok(seq), Some(e)) => {
                // Everything before the unreadable event is committed; say so, then stop.
                if seq.is_some() {
                    let _ = done.send(Ok(Report { seq, acker: None, leftovers }));
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

/// Decodes one message: an operator-skipped sequence stays an empty item.
fn decode(seq: u64, payload: &Bytes, skipped: &Skips) -> Result<Item, Error> {
    let covered = match skipped.get(&seq) {
        Some(None) => true,
        Some(Some(digest)) => *digest == reform_shared::skips::payload_sha256(payload),
        None => false,
    };
    if covered {
        return Ok(Item::new(seq, None));
    }
    match codec::decode(payload) {
        Ok(record) if crate::model::business_date(&record).is_some() => {
            Ok(Item::new(seq, Some(record)))
        }
        Ok(record) => {
            Err(Error::OutsideCalendar { sequence: seq, millis: record.envelope.occurred_at.0 })
        }
        Err(source) => Err(reform_shared::log::Unreadable { sequence: seq, source }.into()),
    }
}
