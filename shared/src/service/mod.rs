//! The runtime every command service shares: rebuild state from the log, take commands over
//! NATS request-reply, decide, append, and answer.
//!
//! A service supplies a [`Decider`]: a state that events are applied to and a pure `decide`
//! from state, command and context to one event or a refusal. The runtime does the rest:
//!
//! - at start it replays the whole stream into the state (and into the table of every command
//!   id ever applied), so a restarted service decides exactly as before;
//! - it follows the stream with an ordered consumer, so events appended by other services (or
//!   other replicas) reach the state;
//! - commands are handled in batches ([`batch`]): every command waiting is decided against the
//!   same state, those on distinct aggregates are appended at once (so the broker syncs them
//!   to disk together), and each reply waits until the service's own state has applied its
//!   event, so the next batch sees it;
//! - a command id already in the log is answered with its first answer, forever (not only
//!   inside the broker's de-duplication window);
//! - a refusal is re-checked once after catching up with the head of the stream, because it
//!   may only mean that another service's event (a new unit, new evidence) has not arrived yet.

mod batch;
mod follower;

use crate::command;
use crate::envelope::Record;
use crate::event::Event;
use crate::ids::{CommandId, PersonId};
use crate::stream::{ensure_stream, StreamSettings};
use crate::time::Timestamp;
use crate::{append::Appender, codec, time::Date};
use async_nats::jetstream;
use async_nats::service::ServiceExt;
use futures::{FutureExt, StreamExt};
use serde::de::DeserializeOwned;
use std::future::Future;

pub use batch::BATCH_COMMANDS_MAX;

/// The business state of a service and how it decides.
pub trait Decider: Send + 'static {
    /// The service's commands, as JSON.
    type Command: DeserializeOwned + Send + std::fmt::Debug;
    /// The service's refusals.
    type Refusal: std::error::Error + Send;

    /// The service name: its endpoint is `par.cmd.<name>`.
    const NAME: &'static str;
    /// A sentence for `nats micro info`.
    const DESCRIPTION: &'static str;

    /// Applies an event from the log. Cannot fail.
    fn apply(&mut self, record: &Record);

    /// Decides on a command: one event, or a refusal. Pure: "now" is in the context.
    fn decide(&self, command: &Self::Command, context: &Context) -> Result<Event, Self::Refusal>;

    /// Keys, besides the event's aggregate, that two commands of one batch must not share.
    /// Commands of a batch are decided on the same state, so a decision that relies on
    /// something *another* aggregate's command could make false (an id being unused, the
    /// directory being empty) names it here, and such commands go to separate batches.
    fn batch_keys(&self, _event: &Event) -> Vec<String> {
        Vec::new()
    }
}

/// What a decision may depend on besides the state and the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub command_id: CommandId,
    pub actor: PersonId,
    /// Business time: noon of the request's `occurred_on`, or the receiving moment.
    pub occurred_at: Timestamp,
    /// The Vietnam date of `occurred_at`.
    pub occurred_on: Date,
    /// When the service received the command.
    pub recorded_at: Timestamp,
}

/// Why a service stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("could not reach the event stream: {0}")]
    Stream(String),
    #[error("could not register the {service} service with NATS: {detail}")]
    Register { service: &'static str, detail: String },
    #[error("event at stream sequence {sequence} is unreadable: {source}")]
    Unreadable { sequence: u64, source: codec::DecodeError },
    #[error("the stream consumer failed: {0}")]
    Consumer(String),
}

/// Where to find the broker and how the stream is set up.
#[derive(Debug, Clone, Default)]
pub struct ServiceConfig {
    pub stream: StreamSettings,
}

/// Runs a command service until `shutdown` resolves. A batch in hand is finished (appended
/// and answered) before the service stops.
pub async fn run<D: Decider>(
    client: async_nats::Client,
    decider: D,
    config: ServiceConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServiceError> {
    let js = jetstream::new(client.clone());
    ensure_stream(&js, &config.stream).await.map_err(|e| ServiceError::Stream(e.to_string()))?;
    let appender =
        Appender::new(js.clone()).await.map_err(|e| ServiceError::Stream(e.to_string()))?;
    let log = follower::Follower::start(&js).await?;
    let mut runtime = batch::Runtime { js, appender, log, state: batch::Ledger::new(decider) };
    runtime.catch_up_to_head().await?;
    tracing::info!(
        service = D::NAME,
        applied_through = runtime.state.applied_through,
        "state rebuilt"
    );

    let register =
        |e: async_nats::Error| ServiceError::Register { service: D::NAME, detail: e.to_string() };
    let service = client
        .service_builder()
        .description(D::DESCRIPTION)
        .start(format!("par-{}", D::NAME), env!("CARGO_PKG_VERSION"))
        .await
        .map_err(register)?;
    let mut endpoint =
        service.endpoint(command::command_subject(D::NAME)).await.map_err(register)?;

    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            request = endpoint.next() => {
                let Some(first) = request else { break };
                let mut requests = vec![first];
                // Take whatever else is already waiting, without waiting for more.
                while requests.len() < BATCH_COMMANDS_MAX {
                    match endpoint.next().now_or_never() {
                        Some(Some(request)) => requests.push(request),
                        _ => break,
                    }
                }
                runtime.handle(requests).await?;
            }
            message = runtime.log.next() => {
                let (sequence, record) = message?;
                runtime.state.apply(sequence, &record);
            }
        }
    }
    let _ = service.stop().await;
    tracing::info!(service = D::NAME, "stopped");
    Ok(())
}
