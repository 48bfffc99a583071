//! The rollup service: closes every reporting period of the Vietnamese calendar (Q1 to
//! 31 March, the first six months to 30 June, Q3 to 30 September, the year) at its end in
//! Vietnam time, on its own schedule, exactly once.
//!
//! - [`period`]: which periods are due at an instant (pure; the clock is injected).
//! - [`log`]: reading a prefix of the log into the projector's pure in-memory state.
//! - [`report`]: the report, a pure function of that prefix and the period, in JSON, Markdown
//!   and CSV.
//! - [`close`]: storing the report (content-addressed, in the `PAR_REPORTS` bucket and a
//!   reports directory) and appending the `period-rolled-up` event, once; [`closed`]: what
//!   the log and the bucket say of the periods closed.
//! - [`memo`]: what the service read of the log, kept between closes, so each reads only
//!   what is new.
//! - [`rederive`]: every close built again from the log before it, for `audit verify`.
//!
//! **What a report covers.** A period closed on schedule covers every event recorded before
//! the instant it closed, whenever the service actually ran: a service that was down across a
//! boundary produces, when it catches up, the same report it would have produced on time.
//! Events recorded later with business dates inside the period are restatements. A period
//! closed by hand (`reformctl rollup close`, early or for history loaded after the fact) covers
//! the whole log at that moment.
//!
//! **Exactly once, by the broker.** The event is appended with the expected last sequence 0 on
//! the period's subject and `rollup-<period>` as its `Nats-Msg-Id`: of two services racing, or
//! a service retrying after a crash, one event lands; the report bytes are the same for the
//! same prefix, so the one stored report is the one the event names.

pub mod close;
pub mod closed;
pub mod diff;
pub mod docx;
pub mod log;
pub mod memo;
pub mod period;
pub mod rederive;
pub mod render;
pub mod report;
pub mod xlsx;

use async_nats::service::ServiceExt as _;
use futures::StreamExt as _;
use reform_shared::command::{self, Accepted, FailureKind, Reply, Request};
use reform_shared::event::Period;
use reform_shared::service::health::{HealthCell, Reader};
use reform_shared::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

/// The service name: its endpoint is `par.cmd.rollup`.
pub const NAME: &str = "rollup";
/// How often the schedule is looked at.
pub const TICK: Duration = Duration::from_millis(500);

/// Why the rollup service, or one close, failed.
#[derive(Debug, thiserror::Error)]
pub enum RollupError {
    #[error("could not reach the event stream: {0}")]
    Stream(#[source] reform_shared::Source),
    #[error(transparent)]
    Unreadable(#[from] reform_shared::log::Unreadable),
    #[error("could not store the report: {0}")]
    Store(#[source] reform_shared::Source),
    #[error("could not write the report under {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("could not register the rollup service with NATS: {0}")]
    Register(#[source] reform_shared::Source),
    #[error("could not write the report's workbook: {0}")]
    Workbook(#[source] rust_xlsxwriter::XlsxError),
}

impl From<reform_shared::log::ReadError> for RollupError {
    fn from(e: reform_shared::log::ReadError) -> Self {
        match e {
            reform_shared::log::ReadError::Unreadable(u) => RollupError::Unreadable(u),
            e => RollupError::Stream(e.into()),
        }
    }
}

/// The service's commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Command {
    /// Close a period now, early or late, with the report of the whole log as it is.
    Close { period: Period },
}

/// The time, injected: tests move it across boundaries without waiting for a quarter.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// How the service runs.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where reports are also written as files (`<period>.json|md|csv`); none when `None`.
    pub reports_dir: Option<PathBuf>,
    /// The log's key (an nkeys seed file, readable by its owner only): each report's checkpoint
    /// is also stored as a note signed with it.
    pub log_key: Option<PathBuf>,
}

/// Runs the rollup service until `shutdown` resolves.
pub async fn run(
    client: async_nats::Client,
    config: Config,
    clock: impl Clock,
    shutdown: impl Future<Output = ()>,
) -> Result<(), RollupError> {
    let js = async_nats::jetstream::new(client.clone());
    reform_shared::stream::check_stream(&js).await.map_err(|e| RollupError::Stream(e.into()))?;
    close::bucket(&js).await?;
    close::bucket_replicas_as_the_log(&js).await?;
    let health = HealthCell::default();
    let reported = health.clone();
    reform_shared::metrics::global().part(NAME, move || reported.get());
    let key = match &config.log_key {
        Some(path) => Some(
            reform_shared::checkpoint::read_key(path).map_err(|e| RollupError::Store(e.into()))?,
        ),
        None => None,
    };
    let service = client
        .service_builder()
        .description("Rollups: closes every reporting period once, with its report")
        .stats_handler({
            let health = health.clone();
            move |_, _| health.to_json()
        })
        .start(format!("par-{NAME}"), env!("CARGO_PKG_VERSION"))
        .await
        .map_err(RollupError::Register)?;
    let mut endpoint = service
        .endpoint(reform_shared::subject::command_subject(NAME))
        .await
        .map_err(RollupError::Register)?;
    let mut closed: BTreeSet<Period> = BTreeSet::new();
    let mut memo = memo::Memo::default();
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = ticks.tick() => {
                match catch_up(&js, &config, key.as_ref(), &clock, &mut closed, &mut memo).await {
                    Ok(()) => {
                        // Its position is the head it last looked at: everything due is closed.
                        if let Ok(head) = log::head(&js).await {
                            health.applied(head);
                        }
                        health.following();
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "could not close the periods due; trying again");
                        match &e {
                            RollupError::Unreadable(u) => {
                                health.problem(Reader::Halted, &e.to_string(), Some(u.sequence))
                            }
                            _ => health.problem(Reader::Reconnecting, &e.to_string(), None),
                        }
                    }
                }
            }
            request = endpoint.next() => {
                let Some(request) = request else { break };
                let message = &request.message;
                if !command::answerable(message) {
                    continue;
                }
                let reply = handle(&js, &config, key.as_ref(), &clock, message, &mut memo).await;
                if let Err(e) = reply.send(&request).await {
                    tracing::warn!(error = %e, "could not send a reply");
                }
            }
        }
    }
    let _ = service.stop().await;
    Ok(())
}

/// Closing a period by hand is an administrator's act: the signer's key must be the actor's
/// and valid, and the actor must hold the administrator access today, by the directory as the
/// log holds it now.
async fn administrator(
    js: &async_nats::jetstream::Context,
    actor: &reform_shared::ids::PersonId,
    key: &str,
    now: reform_shared::time::Timestamp,
    memo: &mut memo::Memo,
) -> Result<(), Reply> {
    let unavailable = |e: RollupError| Reply::failed(FailureKind::Unavailable, e.to_string());
    memo.same_log(js).await.map_err(unavailable)?;
    let head = log::head(js).await.map_err(unavailable)?;
    let directory = memo.directory(js, head).await.map_err(unavailable)?;
    let denied = |message: String| Reply::failed(FailureKind::Denied, message);
    directory.check_signer(actor, key).map_err(|e| denied(e.to_string()))?;
    let today = now.vietnam_date().unwrap_or_else(reform_shared::time::Date::today_in_vietnam);
    if !directory.holds(actor, reform_shared::event::Access::Administrator, None, today) {
        return Err(denied(format!(
            "{actor} may not close a period by hand: that needs the administrator access on {today}"
        )));
    }
    Ok(())
}

/// Closes every period due and not yet closed, oldest first.
///
/// A period is due when this service's clock and the broker's both say it has ended. The
/// broker's is the time it stored the log's last message, so a clock running ahead (one that
/// once closed the year on 6 December, for ever) cannot close a period early; on a quiet log
/// a period closes at the first event stored after its end. Its report is the same either
/// way: the events recorded before the period closed.
async fn catch_up(
    js: &async_nats::jetstream::Context,
    config: &Config,
    key: Option<&nkeys::KeyPair>,
    clock: &impl Clock,
    closed: &mut BTreeSet<Period>,
    memo: &mut memo::Memo,
) -> Result<(), RollupError> {
    let Some(began) = log::began(js).await? else { return Ok(()) };
    let local = clock.now();
    let now = log::stored_last(js).await?.map_or(local, |broker| local.min(broker));
    for period in period::due(began, now) {
        if closed.contains(&period) {
            continue;
        }
        let head = log::head(js).await?;
        let end = log::End::RecordedBefore { at: period.closes_at(), head };
        close::close_signed(js, period, end, config.reports_dir.as_deref(), key, local, memo)
            .await?;
        closed.insert(period);
    }
    Ok(())
}

async fn handle(
    js: &async_nats::jetstream::Context,
    config: &Config,
    key: Option<&nkeys::KeyPair>,
    clock: &impl Clock,
    message: &async_nats::Message,
    memo: &mut memo::Memo,
) -> Reply {
    let (headers, payload) = (message.headers.as_ref(), &message.payload[..]);
    let endpoint = reform_shared::subject::command_subject(NAME);
    let signature = reform_shared::sign::from_headers(headers, payload)
        .and_then(|s| reform_shared::sign::check(&endpoint, &s).map(|()| s));
    let signature = match signature {
        Ok(signature) => signature,
        Err(e) => return Reply::failed(FailureKind::Denied, e.to_string()),
    };
    let request = match command::parse_json::<Request<Command>>(payload) {
        Ok(request) => request,
        Err(message) => return Reply::failed(FailureKind::Invalid, message),
    };
    if let Err(reply) = administrator(js, &request.actor, &signature.key, clock.now(), memo).await {
        return reply;
    }
    let Command::Close { period } = request.command;
    let outcome = async {
        let end = log::End::Sequence(log::head(js).await?);
        let reports = config.reports_dir.as_deref();
        close::close_signed(js, period, end, reports, key, clock.now(), memo).await
    }
    .await;
    match outcome {
        Ok(close::Closed::Now { sequence, .. }) => {
            Reply::Ok(Accepted { sequence, event: "period-rolled-up".into(), duplicate: false })
        }
        Ok(close::Closed::Already { sequence, .. }) => {
            Reply::Ok(Accepted { sequence, event: "period-rolled-up".into(), duplicate: true })
        }
        Err(e) => Reply::failed(FailureKind::Unavailable, e.to_string()),
    }
}
