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
//! - each command is handled alone, in arrival order: a command id already in the log is
//!   answered with its first answer (forever, not only inside the broker's window); otherwise
//!   the decider decides, the event is appended with the expected tip of its aggregate, and the
//!   reply waits until the service's own state has applied it, so the next command sees it;
//! - a refusal is re-checked once after catching up with the head of the stream, because it
//!   may only mean that another service's event (a new unit, new evidence) has not arrived yet.

use crate::append::{AppendError, AppendOutcome, Appender, Draft, Tip};
use crate::codec;
use crate::command::{self, ErrorKind, Reply, Request};
use crate::envelope::{Actor, Record};
use crate::event::Event;
use crate::ids::{CommandId, PersonId};
use crate::stream::{ensure_stream, StreamSettings};
use crate::subject::{Aggregate, ALL_EVENTS, STREAM_NAME};
use crate::time::{Date, Timestamp};
use async_nats::jetstream::{self, consumer::pull::OrderedConfig};
use async_nats::service::ServiceExt;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::future::Future;
use tracing::Instrument;

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

/// Runs a command service until `shutdown` resolves.
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
    let mut log = Follower::start(&js).await?;
    let mut state = Ledger::new(decider);
    log.catch_up_to_head(&js, &mut state).await?;
    tracing::info!(service = D::NAME, applied_through = state.applied_through, "state rebuilt");

    let service = client
        .service_builder()
        .description(D::DESCRIPTION)
        .start(format!("par-{}", D::NAME), env!("CARGO_PKG_VERSION"))
        .await
        .map_err(|e| ServiceError::Register { service: D::NAME, detail: e.to_string() })?;
    let mut endpoint = service
        .endpoint(command::command_subject(D::NAME))
        .await
        .map_err(|e| ServiceError::Register { service: D::NAME, detail: e.to_string() })?;

    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            request = endpoint.next() => {
                let Some(request) = request else { break };
                let reply = handle(&js, &appender, &mut log, &mut state, &request.message.payload).await?;
                let bytes = serde_json::to_vec(&reply).unwrap_or_default();
                if let Err(e) = request.respond(Ok(bytes.into())).await {
                    tracing::warn!(service = D::NAME, error = %e, "could not send a reply");
                }
            }
            message = log.next() => {
                let (sequence, record) = message?;
                state.apply(sequence, &record);
            }
        }
    }
    let _ = service.stop().await;
    tracing::info!(service = D::NAME, "stopped");
    Ok(())
}

/// The decider's state plus what the runtime tracks for every service alike.
struct Ledger<D> {
    decider: D,
    applied_through: u64,
    /// Every command id in the log, with its first answer.
    commands: BTreeMap<CommandId, (u64, &'static str)>,
    /// The last event of every aggregate, for the expected-sequence check.
    tips: BTreeMap<String, Tip>,
}

impl<D: Decider> Ledger<D> {
    fn new(decider: D) -> Self {
        Self { decider, applied_through: 0, commands: BTreeMap::new(), tips: BTreeMap::new() }
    }

    fn apply(&mut self, sequence: u64, record: &Record) {
        let envelope = &record.envelope;
        self.decider.apply(record);
        self.commands
            .entry(envelope.command_id.clone())
            .or_insert((sequence, envelope.event.type_name()));
        let tip = Tip { sequence, version: envelope.chain.version, digest: record.digest };
        self.tips.insert(envelope.chain.aggregate.clone(), tip);
        self.applied_through = sequence;
    }

    /// The first answer to a command id already in the log.
    fn first_answer(&self, command_id: &CommandId) -> Option<Reply> {
        let &(sequence, event) = self.commands.get(command_id)?;
        Some(Reply::Accepted { sequence, event: event.to_owned(), duplicate: true })
    }
}

/// Handles one request; only a failure of the log itself is an `Err` (it stops the service).
async fn handle<D: Decider>(
    js: &jetstream::Context,
    appender: &Appender,
    log: &mut Follower,
    state: &mut Ledger<D>,
    payload: &[u8],
) -> Result<Reply, ServiceError> {
    let request: Request<D::Command> = match command::parse_json(payload) {
        Ok(request) => request,
        Err(message) => return Ok(failed(ErrorKind::Invalid, message)),
    };
    let span = tracing::info_span!("command", service = D::NAME, command_id = %request.command_id);
    async {
        if let Some(reply) = state.first_answer(&request.command_id) {
            return Ok(reply);
        }
        let context = context_of(&request);
        let event = match state.decider.decide(&request.command, &context) {
            Ok(event) => event,
            Err(_) => {
                // Maybe only stale: catch up with every other service's events and ask again.
                // Another replica may have applied this very command meanwhile.
                log.catch_up_to_head(js, state).await?;
                if let Some(reply) = state.first_answer(&request.command_id) {
                    return Ok(reply);
                }
                match state.decider.decide(&request.command, &context) {
                    Ok(event) => event,
                    Err(refusal) => return Ok(failed(ErrorKind::Refused, refusal.to_string())),
                }
            }
        };
        append(js, appender, log, state, &context, event).await
    }
    .instrument(span)
    .await
}

async fn append<D: Decider>(
    js: &jetstream::Context,
    appender: &Appender,
    log: &mut Follower,
    state: &mut Ledger<D>,
    context: &Context,
    event: Event,
) -> Result<Reply, ServiceError> {
    let aggregate = Aggregate::of(&event);
    let expected = state.tips.get(&aggregate.chain_key()).copied();
    let type_name = event.type_name();
    let draft = Draft {
        command_id: context.command_id.clone(),
        actor: Actor::Person(context.actor.clone()),
        occurred_at: context.occurred_at,
        recorded_at: context.recorded_at,
        signature: None,
        event,
    };
    match appender.append(draft, expected).await {
        Ok(outcome) => {
            log.catch_up_through(state, outcome.sequence()).await?;
            let duplicate = matches!(outcome, AppendOutcome::Duplicate { .. });
            tracing::info!(sequence = outcome.sequence(), event = type_name, duplicate, "appended");
            Ok(Reply::Accepted {
                sequence: outcome.sequence(),
                event: type_name.to_owned(),
                duplicate,
            })
        }
        Err(AppendError::Conflict { aggregate, .. }) => {
            log.catch_up_to_head(js, state).await?;
            // The broker checks the expected sequence before the message id, so a copy of
            // this command appended by another replica shows up as a conflict: answer it.
            if let Some(reply) = state.first_answer(&context.command_id) {
                return Ok(reply);
            }
            Ok(failed(
                ErrorKind::Conflict,
                format!("{aggregate} was changed by another command at the same time; check it and try again"),
            ))
        }
        Err(e @ (AppendError::Broker { .. } | AppendError::UnreadableTip { .. })) => {
            Ok(failed(ErrorKind::Unavailable, e.to_string()))
        }
        Err(e @ AppendError::Encode(_)) => Ok(failed(ErrorKind::Invalid, e.to_string())),
    }
}

fn context_of<C>(request: &Request<C>) -> Context {
    let recorded_at = Timestamp::now();
    let occurred_at = request.occurred_on.map_or(recorded_at, Timestamp::at_vietnam_noon);
    let occurred_on = occurred_at.vietnam_date().unwrap_or_else(Date::today_in_vietnam);
    Context {
        command_id: request.command_id.clone(),
        actor: request.actor.clone(),
        occurred_at,
        occurred_on,
        recorded_at,
    }
}

fn failed(kind: ErrorKind, message: String) -> Reply {
    Reply::Failed { kind, message }
}

/// Follows the whole stream in order with an ordered consumer.
struct Follower {
    messages: jetstream::consumer::pull::Ordered,
}

impl Follower {
    async fn start(js: &jetstream::Context) -> Result<Self, ServiceError> {
        let stream =
            js.get_stream(STREAM_NAME).await.map_err(|e| ServiceError::Stream(e.to_string()))?;
        let consumer = stream
            .create_consumer(OrderedConfig {
                filter_subject: ALL_EVENTS.to_owned(),
                ..Default::default()
            })
            .await
            .map_err(|e| ServiceError::Consumer(e.to_string()))?;
        let messages =
            consumer.messages().await.map_err(|e| ServiceError::Consumer(e.to_string()))?;
        Ok(Self { messages })
    }

    /// The next event, decoded. An undecodable event stops the service: deciding on a state
    /// that silently skipped part of the log would be wrong.
    async fn next(&mut self) -> Result<(u64, Record), ServiceError> {
        let message = match self.messages.next().await {
            Some(Ok(message)) => message,
            Some(Err(e)) => return Err(ServiceError::Consumer(e.to_string())),
            None => return Err(ServiceError::Consumer("the consumer ended".into())),
        };
        let sequence =
            message.info().map_err(|e| ServiceError::Consumer(e.to_string()))?.stream_sequence;
        let record = codec::decode(&message.payload)
            .map_err(|source| ServiceError::Unreadable { sequence, source })?;
        Ok((sequence, record))
    }

    async fn catch_up_through<D: Decider>(
        &mut self,
        state: &mut Ledger<D>,
        sequence: u64,
    ) -> Result<(), ServiceError> {
        while state.applied_through < sequence {
            let (seq, record) = self.next().await?;
            state.apply(seq, &record);
        }
        Ok(())
    }

    async fn catch_up_to_head<D: Decider>(
        &mut self,
        js: &jetstream::Context,
        state: &mut Ledger<D>,
    ) -> Result<(), ServiceError> {
        let mut stream =
            js.get_stream(STREAM_NAME).await.map_err(|e| ServiceError::Stream(e.to_string()))?;
        let head = stream
            .info()
            .await
            .map_err(|e| ServiceError::Stream(e.to_string()))?
            .state
            .last_sequence;
        self.catch_up_through(state, head).await
    }
}
