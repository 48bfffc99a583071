//! The projector: reads the whole event log with a durable JetStream consumer and keeps the
//! views (per-unit progress, peer-group rankings, leader-accountability timelines) in one redb
//! file, exactly once; answers queries about them over NATS request-reply.
//!
//! - [`model`]: the projection's state (histories, not just current values) and the pure
//!   `apply(state, record, sequence)`.
//! - [`views`]: the figures of VIEWS.md, computed at query time for a [`views::Basis`] ("as
//!   known now", or "as true at" a date); pure.
//! - [`store`]: the redb file: one write transaction per batch with the checkpoint in it, the
//!   slices queries load, the canonical dump.
//! - [`consume`]: the stream → batches → redb pipeline, acking after each commit.
//! - [`queries`]: the `par.view.*` endpoints and the typed client functions.
//!
//! [`run`] follows the stream and serves queries until shut down; [`rebuild`] drops the views
//! and projects the whole stream again. An event that cannot be decoded stops both with
//! [`Error::Unreadable`], naming its stream sequence; the crate's README says how an operator
//! gets past one.

pub mod consume;
pub mod model;
pub mod queries;
pub mod store;
pub mod views;

#[cfg(test)]
mod views_tests;

use async_nats::jetstream::{self, consumer};
use futures::FutureExt;
use reform_shared::codec::DecodeError;
use reform_shared::stream::{ensure_stream, StreamSettings};
use reform_shared::subject::{ALL_EVENTS, STREAM_NAME};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::{Dump, Store, StoreError};

/// The most events applied in one redb write transaction. Large, because a commit costs
/// roughly per leaf page it dirties and the per-unit index rows of a batch spread over hundreds
/// of pages: on the throughput bench 16,384 gave about a fifth more events per second than
/// 4,096. Bounded, because up to three batches of decoded records are in memory at once (the
/// bench's peak stayed at 82 MiB for 1 and for 2 million events).
pub const BATCH_EVENTS_MAX: usize = 16384;
/// How many messages one pull request asks the server for.
pub const PULL_BATCH_MESSAGES: usize = 2048;
/// Messages delivered but not yet acked, at most. A few batches' worth keeps the pipe full.
pub const ACK_PENDING_MAX: i64 = 4 * BATCH_EVENTS_MAX as i64;
/// How long the server waits for an ack before redelivering. Far above a batch's commit time,
/// so redeliveries (which the checkpoint would filter anyway) stay rare.
pub const ACK_WAIT: Duration = Duration::from_secs(300);
/// The durable consumer's default name.
pub const CONSUMER_DEFAULT: &str = "par-projector";

/// Everything the projector is configured with, parsed at the edge.
#[derive(Debug, Clone)]
pub struct Config {
    /// The views file.
    pub db_path: PathBuf,
    /// The durable consumer's name; one per views file.
    pub consumer: String,
    pub stream: StreamSettings,
    pub batch_events_max: usize,
}

impl Config {
    pub fn new(db_path: PathBuf) -> Self {
        Self {
            db_path,
            consumer: CONSUMER_DEFAULT.to_owned(),
            stream: StreamSettings::default(),
            batch_events_max: BATCH_EVENTS_MAX,
        }
    }
}

/// Why the projector stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An event the projector cannot decode. Nothing after it is applied; see the README
    /// ("Getting past an unreadable event").
    #[error(
        "event at stream sequence {sequence} cannot be decoded: {source}; the projector stopped \
         with the views at sequence {applied}; see the reform-projector README, \"Getting past \
         an unreadable event\"",
        applied = sequence.saturating_sub(1)
    )]
    Unreadable { sequence: u64, source: DecodeError },
    /// An event whose business time is no calendar date (a damaged or forged envelope).
    #[error(
        "event at stream sequence {sequence} has a business time ({millis} ms) outside the \
         calendar; the projector stopped before it"
    )]
    OutsideCalendar { sequence: u64, millis: i64 },
    /// The views file failed. Infrastructure: alert an operator.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not reach the event stream: {0}")]
    Stream(String),
    #[error("the stream consumer failed: {0}")]
    Consumer(String),
    #[error("could not register the query service: {0}")]
    Register(String),
}

impl Error {
    /// The stream sequence of the event that stopped the projector, if one did.
    pub fn sequence(&self) -> Option<u64> {
        match self {
            Error::Unreadable { sequence, .. } | Error::OutsideCalendar { sequence, .. } => {
                Some(*sequence)
            }
            _ => None,
        }
    }
}

/// Which storage layouts a caller can open.
#[derive(Debug, Clone, Copy)]
enum Layout {
    /// Only this build's: following the stream on another layout would mix two formats.
    Current,
    /// Any: `rebuild` drops the views and writes this build's layout.
    Any,
}

/// Opens the views file off the async threads (it may replay redb's recovery).
async fn open_store(path: PathBuf, layout: Layout) -> Result<Arc<Store>, Error> {
    let opened = tokio::task::spawn_blocking(move || match layout {
        Layout::Current => Store::open(&path),
        Layout::Any => Store::open_any_layout(&path),
    })
    .await
    .map_err(|e| Error::Consumer(format!("opening the views file panicked: {e}")))??;
    Ok(Arc::new(opened))
}

/// The durable consumer, positioned just after the checkpoint.
///
/// It is deleted and created again at every start: that makes the checkpoint in redb, not the
/// server's ack floor, decide where reading resumes (the views file may have been restored or
/// rebuilt), and drops deliveries still pending to a crashed predecessor, which the server
/// would otherwise redeliver only after `ack_wait`, out of order.
async fn durable_consumer(
    js: &jetstream::Context,
    name: &str,
    checkpoint: u64,
) -> Result<consumer::PullConsumer, Error> {
    let stream = js.get_stream(STREAM_NAME).await.map_err(|e| Error::Stream(e.to_string()))?;
    // Absent on a first start; any other failure shows up in the create below.
    let _ = stream.delete_consumer(name).await;
    let deliver_policy = match checkpoint {
        0 => consumer::DeliverPolicy::All,
        n => consumer::DeliverPolicy::ByStartSequence { start_sequence: n + 1 },
    };
    stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some(name.to_owned()),
            description: Some("reform-projector: the views in redb".into()),
            deliver_policy,
            ack_policy: consumer::AckPolicy::All,
            ack_wait: ACK_WAIT,
            max_ack_pending: ACK_PENDING_MAX,
            filter_subject: ALL_EVENTS.to_owned(),
            ..Default::default()
        })
        .await
        .map_err(|e| Error::Consumer(e.to_string()))
}

/// Follows the stream into the views and serves queries until `shutdown` resolves. Returns an
/// error, after committing everything before it, when an event cannot be decoded.
pub async fn run(
    client: async_nats::Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let js = jetstream::new(client.clone());
    ensure_stream(&js, &config.stream).await.map_err(|e| Error::Stream(e.to_string()))?;
    let store = open_store(config.db_path.clone(), Layout::Current).await?;
    let checkpoint = store.applied_through()?;
    let consumer = durable_consumer(&js, &config.consumer, checkpoint).await?;
    let messages = consumer
        .stream()
        .max_messages_per_batch(PULL_BATCH_MESSAGES)
        .messages()
        .await
        .map_err(|e| Error::Consumer(e.to_string()))?;
    tracing::info!(checkpoint, consumer = %config.consumer, "projector started");
    let (status_tx, status_rx) = tokio::sync::watch::channel(checkpoint);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let queries = tokio::spawn(queries::serve(client, store.clone(), status_rx, stopped(stop_rx)));
    let projected = consume::project(
        messages,
        store,
        config.batch_events_max,
        status_tx,
        consume::Until::Shutdown,
        shutdown,
    )
    .await;
    let _ = stop_tx.send(true);
    let served = queries.await.map_err(|e| Error::Register(e.to_string()))?;
    tracing::info!(result = ?projected.as_ref().map(|_| ()), "projector stopped");
    projected?;
    served
}

/// Drops the views and projects the whole stream again, up to its last sequence at the start;
/// returns the canonical dump. Operator skips are kept and made again. The projector must not
/// be running on the same file (redb refuses a second opener).
pub async fn rebuild(client: async_nats::Client, config: Config) -> Result<Dump, Error> {
    let js = jetstream::new(client);
    ensure_stream(&js, &config.stream).await.map_err(|e| Error::Stream(e.to_string()))?;
    let store = open_store(config.db_path.clone(), Layout::Any).await?;
    store.drop_views()?;
    let mut stream = js.get_stream(STREAM_NAME).await.map_err(|e| Error::Stream(e.to_string()))?;
    let head = stream.info().await.map_err(|e| Error::Stream(e.to_string()))?.state.last_sequence;
    if head > 0 {
        // An ordered consumer: nothing to ack, nothing left behind on the server.
        let consumer = stream
            .create_consumer(consumer::pull::OrderedConfig {
                filter_subject: ALL_EVENTS.to_owned(),
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Consumer(e.to_string()))?;
        let messages = consumer.messages().await.map_err(|e| Error::Consumer(e.to_string()))?;
        let (status, _) = tokio::sync::watch::channel(0);
        let never = futures::future::pending::<()>().boxed();
        consume::project(
            messages,
            store.clone(),
            config.batch_events_max,
            status,
            consume::Until::Applied(head),
            never,
        )
        .await?;
    }
    Ok(store.dump()?)
}
