//! The projector: reads the whole event log with a durable JetStream consumer and keeps the
//! views (per-unit progress, peer-group rankings, leader-accountability timelines) in one redb
//! file, exactly once; answers queries about them over NATS request-reply.
//!
//! - [`model`], [`views`], [`registers`], [`tree`]: the read model, its own crate
//!   (`reform-views`, re-exported here): the projection's state and its pure `apply`, the
//!   figures of docs/views.md for a [`views::Basis`], the registers, the unit tree.
//! - [`store`]: the redb file: one write transaction per batch with `applied_through` in it, the
//!   slices queries load, the canonical dump.
//! - [`consume`]: the stream → batches → redb pipeline, acking after each commit.
//! - [`queries`]: the `par.view.*` endpoints and the typed client functions.
//!
//! [`run`] follows the stream and serves queries until shut down; [`rebuild`] drops the views
//! and projects the whole stream again. An event that cannot be decoded stops both with
//! [`Error::Unreadable`], naming its stream sequence; the crate's README says how an operator
//! gets past one.

pub mod consume;
pub mod queries;
mod route;
pub mod split;
pub mod store;

pub use reform_views::{model, people, registers, tree, views};

use async_nats::jetstream::{self, consumer};
use futures::FutureExt;
use reform_shared::log::Backoff;
use reform_shared::service::health::{HealthCell, Reader};
use reform_shared::stream::{check_stream, LogIdentity, StreamSettings};
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
/// so redeliveries (which `applied_through` would filter anyway) stay rare.
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
    /// The provinces whose events this projector applies and whose queries it answers.
    pub owns: split::Owns,
    /// How many queries of one kind it answers at once ([`queries::QUERIES_IN_FLIGHT_MAX`]).
    pub queries_in_flight_max: usize,
}

impl Config {
    pub fn new(db_path: PathBuf) -> Self {
        Self {
            db_path,
            consumer: CONSUMER_DEFAULT.to_owned(),
            stream: StreamSettings::default(),
            batch_events_max: BATCH_EVENTS_MAX,
            owns: split::Owns::Everything,
            queries_in_flight_max: queries::QUERIES_IN_FLIGHT_MAX,
        }
    }
}

/// Why the projector stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An event the projector cannot decode. Nothing after it is applied; see the README
    /// ("Getting past an unreadable event").
    #[error(transparent)]
    Unreadable(#[from] reform_shared::log::Unreadable),
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
    Stream(#[source] reform_shared::Source),
    #[error("the stream consumer failed: {0}")]
    Consumer(#[source] reform_shared::Source),
    #[error("could not register the query service: {0}")]
    Register(#[source] reform_shared::Source),
    /// The views were built from another log than the one the broker holds.
    #[error(
        "views file {path} holds views of {views}, but the broker's log is {log}; these views \
         belong to another log (copied from another stack, or kept after the stream was \
         recreated): run `reform-projector --db {path} rebuild` to project this log, or point \
         the projector at the stream they came from"
    )]
    OtherLog { path: String, views: String, log: String },
    /// The views hold more than the log: they cannot be of this log.
    #[error(
        "views file {path} is at stream sequence {applied}, past the end of the log \
         ({head}); it is not a view of this log: run `reform-projector --db {path} rebuild`"
    )]
    AheadOfLog { path: String, applied: u64, head: u64 },
    /// The stream was replaced while the projector followed it.
    #[error(
        "the event log changed under the projector: it followed {was}, the broker now has {now}"
    )]
    LogReplaced { was: String, now: String },
}

impl Error {
    /// The stream sequence of the event that stopped the projector, if one did.
    pub fn sequence(&self) -> Option<u64> {
        match self {
            Error::Unreadable(u) => Some(u.sequence),
            Error::OutsideCalendar { sequence, .. } => Some(*sequence),
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
    .map_err(|e| Error::Consumer(format!("opening the views file panicked: {e}").into()))??;
    Ok(Arc::new(opened))
}

/// The durable consumer, positioned just after `applied_through`.
///
/// It is deleted and created again at every start: that makes `applied_through` in redb, not the
/// server's ack floor, decide where reading resumes (the views file may have been restored or
/// rebuilt), and drops deliveries still pending to a crashed predecessor, which the server
/// would otherwise redeliver only after `ack_wait`, out of order.
async fn durable_consumer(
    js: &jetstream::Context,
    name: &str,
    applied_through: u64,
) -> Result<consumer::PullConsumer, Error> {
    let stream = js.get_stream(STREAM_NAME).await.map_err(|e| Error::Stream(e.into()))?;
    // Absent on a first start; any other failure shows up in the create below.
    let _ = stream.delete_consumer(name).await;
    let deliver_policy = match applied_through {
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
        .map_err(|e| Error::Consumer(e.into()))
}

/// Checks that the views file belongs to the log the broker holds, recording the log's
/// identity in a fresh file (and in a file written before identities were recorded, provided
/// it is not ahead of the log).
fn check_log(
    store: &Store,
    info: &jetstream::stream::Info,
    path: &std::path::Path,
) -> Result<(), Error> {
    let log = LogIdentity::of(info);
    let path_text = path.display().to_string();
    let applied = store.applied_through()?;
    let head = info.state.last_sequence;
    match store.log_identity()?.as_deref().map(|t| (t, LogIdentity::parse(t))) {
        Some((_, Some(views))) if views == log => {}
        Some((text, parsed)) => {
            let views = parsed.map_or_else(|| text.to_owned(), |v| v.to_string());
            return Err(Error::OtherLog { path: path_text, views, log: log.to_string() });
        }
        None => {
            if applied > head {
                return Err(Error::AheadOfLog { path: path_text, applied, head });
            }
            store.set_log_identity(&log.to_text())?;
            return Ok(());
        }
    }
    if applied > head {
        return Err(Error::AheadOfLog { path: path_text, applied, head });
    }
    Ok(())
}

/// The operators' skips, as project() takes them.
async fn skip_registry(js: &jetstream::Context) -> std::collections::BTreeMap<u64, String> {
    match reform_shared::skips::all(js).await {
        Ok(skips) => skips.into_iter().map(|s| (s.sequence, s.payload_sha256)).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the operators' skips");
            Default::default()
        }
    }
}

/// Follows the stream into the views and serves queries until `shutdown` resolves.
///
/// A broker fault (restart, pause, dropped connection) never stops it: the durable consumer is
/// created again at `applied_through`, with backoff, and queries are answered meanwhile. An event
/// that cannot be decoded halts it at that sequence (everything before is committed, queries
/// still answered) until an operator records a skip for it ([`reform_shared::skips`]). It
/// returns an error only when the views or the log need a person: views of another log, a
/// stream replaced under it, a failing views file.
pub async fn run(
    client: async_nats::Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let js = jetstream::new(client.clone());
    let info = check_stream(&js).await.map_err(|e| Error::Stream(e.into()))?;
    let identity = LogIdentity::of(&info);
    let store = open_store(config.db_path.clone(), Layout::Current).await?;
    check_log(&store, &info, &config.db_path)?;
    let applied_through = store.applied_through()?;
    tracing::info!(applied_through, consumer = %config.consumer, log = %identity, "projector started");
    let health = HealthCell::default();
    let (status_tx, status_rx) = tokio::sync::watch::channel(applied_through);
    let part = match config.consumer.as_str() {
        CONSUMER_DEFAULT => "projector".to_owned(),
        other => other.to_owned(),
    };
    let (reported, position) = (health.clone(), status_rx.clone());
    reform_shared::metrics::global().part(&part, move || {
        let mut now = reported.get();
        now.applied_through = *position.borrow();
        now
    });
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    // The views are answered only once they hold the log as it was at start (or the reader
    // halted on the way, so an operator sees stale views rather than none). So a projector
    // rebuilding a new views file beside a live one answers nothing until it is as complete,
    // and then both answer: the blue/green rebuild of docs/operations.md. The status answers
    // from the start, so `up` and `--wait` see it catching up.
    let head = info.state.last_sequence;
    let caught_up = {
        let mut applied = status_rx.clone();
        let health = health.clone();
        async move {
            let mut poll = tokio::time::interval(Duration::from_millis(200));
            loop {
                tokio::select! {
                    seen = applied.wait_for(|a| *a >= head) => { let _ = seen; break }
                    _ = poll.tick() => if health.get().reader == Reader::Halted { break },
                }
            }
        }
    };
    let queries = tokio::spawn(queries::serve(
        client,
        store.clone(),
        config.clone(),
        status_rx,
        health.clone(),
        caught_up,
        stopped(stop_rx),
    ));
    tokio::pin!(shutdown);
    let mut backoff = Backoff::default();
    let projected: Result<(), Error> = loop {
        let retry = |e: &dyn std::fmt::Display, backoff: &Backoff| {
            tracing::warn!(error = %e, retry_in = ?backoff.peek(), "projector lost the stream; re-creating its consumer");
            health.problem(Reader::Reconnecting, &e.to_string(), None);
        };
        let now = match check_stream(&js).await {
            Ok(info) => LogIdentity::of(&info),
            Err(reform_shared::stream::StreamError::Missing) => {
                break Err(Error::LogReplaced {
                    was: identity.to_string(),
                    now: format!("{STREAM_NAME} is missing"),
                })
            }
            Err(e) => {
                retry(&e, &backoff);
                if pause(&mut shutdown, &mut backoff).await {
                    break Ok(());
                }
                continue;
            }
        };
        if now != identity {
            break Err(Error::LogReplaced { was: identity.to_string(), now: now.to_string() });
        }
        let applied_through = match store.applied_through() {
            Ok(c) => c,
            Err(e) => break Err(e.into()),
        };
        let messages = match durable_consumer(&js, &config.consumer, applied_through).await {
            Ok(consumer) => {
                consumer.stream().max_messages_per_batch(PULL_BATCH_MESSAGES).messages().await
            }
            Err(e) => {
                retry(&e, &backoff);
                if pause(&mut shutdown, &mut backoff).await {
                    break Ok(());
                }
                continue;
            }
        };
        let messages = match messages {
            Ok(m) => m,
            Err(e) => {
                retry(&e, &backoff);
                if pause(&mut shutdown, &mut backoff).await {
                    break Ok(());
                }
                continue;
            }
        };
        health.following();
        let registry = skip_registry(&js).await;
        let ownership = match ownership(&store, &config.owns) {
            Ok(o) => o,
            Err(e) => break Err(e),
        };
        let outcome = consume::project(
            messages,
            store.clone(),
            ownership,
            &js,
            config.batch_events_max,
            &status_tx,
            &registry,
            consume::Until::Shutdown,
            &mut shutdown,
        )
        .await;
        match outcome {
            Ok(_) => break Ok(()),
            Err(e @ (Error::Consumer(_) | Error::Stream(_))) => {
                // A session that moved the views on was healthy: the next fault starts afresh.
                if store.applied_through().is_ok_and(|now| now > applied_through) {
                    backoff.reset();
                }
                retry(&e, &backoff);
                if pause(&mut shutdown, &mut backoff).await {
                    break Ok(());
                }
            }
            Err(e @ (Error::Unreadable { .. } | Error::OutsideCalendar { .. })) => {
                let sequence = e.sequence().unwrap_or_default();
                tracing::error!(error = %e, "projector halted");
                health.problem(Reader::Halted, &e.to_string(), Some(sequence));
                if reform_shared::log::wait_for_skip(&js, sequence, &mut shutdown).await.is_none() {
                    break Ok(());
                }
                backoff.reset();
            }
            Err(e) => break Err(e),
        }
    };
    let _ = stop_tx.send(true);
    let served = queries.await.map_err(|e| Error::Register(e.into()))?;
    tracing::info!(result = ?projected.as_ref().map(|_| ()), "projector stopped");
    projected?;
    served
}

/// What the reader starts a session from: the units the views hold, when the projector owns
/// only some provinces.
fn ownership(store: &Store, owns: &split::Owns) -> Result<split::Ownership, Error> {
    let parents = match owns {
        split::Owns::Everything => Default::default(),
        split::Owns::Provinces(_) => store.unit_parents()?,
    };
    Ok(split::Ownership::new(owns.clone(), parents))
}

/// Waits out the backoff (doubling it); true when shutdown came first.
async fn pause(
    shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    backoff: &mut Backoff,
) -> bool {
    tokio::select! {
        () = shutdown.as_mut() => true,
        () = tokio::time::sleep(backoff.take()) => false,
    }
}

/// Drops the views and projects the whole stream again, up to its last sequence at the start;
/// returns the canonical dump. Operator skips are kept and made again. The projector must not
/// be running on the same file (redb refuses a second opener).
pub async fn rebuild(client: async_nats::Client, config: Config) -> Result<Dump, Error> {
    let js = jetstream::new(client);
    let info = check_stream(&js).await.map_err(|e| Error::Stream(e.into()))?;
    let store = open_store(config.db_path.clone(), Layout::Any).await?;
    store.drop_views()?;
    store.set_log_identity(&LogIdentity::of(&info).to_text())?;
    let registry = skip_registry(&js).await;
    let mut stream = js.get_stream(STREAM_NAME).await.map_err(|e| Error::Stream(e.into()))?;
    let head = stream.info().await.map_err(|e| Error::Stream(e.into()))?.state.last_sequence;
    if head > 0 {
        // An ordered consumer: nothing to ack, nothing left behind on the server.
        let consumer = stream
            .create_consumer(consumer::pull::OrderedConfig {
                name: Some(reform_shared::stream::reader_name("rebuild")),
                filter_subject: ALL_EVENTS.to_owned(),
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Consumer(e.into()))?;
        let messages = consumer.messages().await.map_err(|e| Error::Consumer(e.into()))?;
        let (status, _) = tokio::sync::watch::channel(0);
        let never = futures::future::pending::<()>().boxed();
        consume::project(
            messages,
            store.clone(),
            ownership(&store, &config.owns)?,
            &js,
            config.batch_events_max,
            &status,
            &registry,
            consume::Until::Applied(head),
            never,
        )
        .await?;
    }
    Ok(store.dump()?)
}
