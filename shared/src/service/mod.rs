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
//! - every request is signed ([`crate::sign`]): the signature must hold, the key must be the
//!   actor's and valid, and the decided event must be one the actor may record
//!   ([`crate::access`]); the signed request travels in the event's envelope;
//! - a refusal is re-checked once after catching up with the head of the stream, because it
//!   may only mean that another service's event (a new unit, new evidence, a new key) has not
//!   arrived yet.

mod batch;
mod follower;
pub mod health;
mod ledger;
pub mod statefile;

use crate::command;
use crate::envelope::Record;
use crate::event::Event;
use crate::ids::{CommandId, PersonId};
use crate::stream::{check_stream, LogIdentity, StreamSettings};
use crate::time::Timestamp;
use crate::{append::Appender, time::Date};
use async_nats::jetstream;
use async_nats::service::ServiceExt;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use std::future::Future;

pub use batch::BATCH_COMMANDS_MAX;

/// The business state of a service and how it decides.
pub trait Decider: Send + serde::Serialize + DeserializeOwned + 'static {
    /// The service's commands, as JSON.
    type Command: DeserializeOwned + Send + std::fmt::Debug;
    /// The service's refusals.
    type Refusal: std::error::Error + Send + serde::Serialize;

    /// The service name: its endpoint is `par.cmd.<name>`.
    const NAME: &'static str;
    /// A sentence for `nats micro info`.
    const DESCRIPTION: &'static str;

    /// Applies an event from the log. Cannot fail.
    fn apply(&mut self, record: &Record);

    /// This state resumed from a snapshot (the state as serialized at a stream sequence).
    /// The snapshot replaces the state, except what is configuration rather than the log's
    /// (a size limit, say), which a decider keeps by overriding this.
    fn restored(self, snapshot: Self) -> Self
    where
        Self: Sized,
    {
        snapshot
    }

    /// The directory as this state has applied it: the runtime checks every request's signer
    /// against its keys and every decided event against the access table ([`crate::access`]).
    fn directory(&self) -> &crate::directory::Directory;

    /// The key a command registers for the very person who signs it (an enrolment), if any:
    /// its signer need not hold a key yet, and hears the command's refusals like anyone. The
    /// event must then register exactly that key ([`crate::access::registers_own_key`]).
    fn key_it_registers<'c>(&self, _command: &'c Self::Command) -> Option<&'c str> {
        None
    }

    /// Decides on a command: one event, or a refusal. Pure: "now" is in the context.
    fn decide(&self, command: &Self::Command, context: &Context) -> Result<Event, Self::Refusal>;

    /// The I/O a decision needs that the log cannot give (the evidence service's object store),
    /// beside the pure state, as cqrs-es keeps `Services` beside its aggregate. `()` for none.
    type Services: Send + Sync + 'static;

    /// The I/O of a command that was decided and permitted, before its event is appended:
    /// checking what the command claims about the world outside the log, and doing there what
    /// its event needs (the evidence service checks the file is stored with the digest it
    /// names, storing it from its upload if not). Runs for every such command of a round at
    /// once; a failure is the command's answer, and nothing is appended for it. Only this sees
    /// `Services`: `decide` stays pure. It runs after the signer, the rules and the access
    /// table have let the command through, so an unsigned, refused or denied command costs no
    /// I/O and leaves no trace.
    fn before_append(
        _services: &Self::Services,
        _command: &Self::Command,
    ) -> impl Future<Output = Result<(), Unverified>> + Send {
        std::future::ready(Ok(()))
    }

    /// The I/O the log's events call for outside it, done again once the state holds the log
    /// at start (the evidence service destroys the key of every erased content): a service
    /// stopped between an append and its [`after_append`](Decider::after_append) finishes it.
    /// Owns what it needs, so the service's state is not held across it.
    fn started(&self, _services: &Self::Services) -> impl Future<Output = ()> + Send + 'static {
        std::future::ready(())
    }

    /// Whether the service has I/O to do once an event is in the log
    /// ([`after_append`](Decider::after_append)).
    const AFTER_APPEND: bool = false;

    /// The I/O an event calls for outside the log once it is appended, before its command is
    /// answered (the evidence service destroys an erased content's key). The log is the
    /// record: this only carries it out, so it must be idempotent, and a service that may
    /// have stopped between the two does it again for what the log holds when it starts.
    fn after_append(_services: &Self::Services, _event: &Event) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }

    /// Whether [`before_append`](Decider::before_append) can take long (it reads or writes
    /// outside the log). The runtime then reads the log's head again after it and decides once
    /// more before appending, so a key revoked or an access withdrawn meanwhile counts.
    const BEFORE_APPEND_WAITS: bool = false;

    /// Keys, besides the event's aggregate, that two commands of one batch must not share.
    /// Commands of a batch are decided on the same state, so a decision that relies on
    /// something *another* aggregate's command could make false (an id being unused, the
    /// directory being empty) names it here, and such commands go to separate batches.
    fn batch_keys(&self, _event: &Event) -> Vec<String> {
        Vec::new()
    }

    /// The directory service's rules (`reform_directory::rules`): a person's directory event
    /// read from the log is honoured only when its signed request, decided again on this
    /// state's directory, gives exactly that event. `None` checks the signature, the key and
    /// the access table only (a test's decider).
    const DIRECTORY_RULES: Option<crate::audit::decided::DirectoryRules> = None;
}

/// Why [`Decider::before_append`] turned a command down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unverified {
    pub kind: command::FailureKind,
    pub message: String,
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

impl Context {
    /// The context of a request received at `recorded_at`, the same for the service that
    /// decides it and the auditor who decides it again from the log; a business date in the
    /// future is refused here, for every service alike.
    pub fn of<C>(request: &command::Request<C>, recorded_at: Timestamp) -> Result<Self, String> {
        if let Some(date) = request.occurred_on {
            crate::time::check_not_future(date, recorded_at).map_err(|e| e.to_string())?;
        }
        let occurred_at = request.occurred_on.map_or(recorded_at, Timestamp::at_vietnam_noon);
        let occurred_on = occurred_at.vietnam_date().unwrap_or_else(Date::today_in_vietnam);
        Ok(Context {
            command_id: request.command_id.clone(),
            actor: request.actor.clone(),
            occurred_at,
            occurred_on,
            recorded_at,
        })
    }
}

/// Why a service stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("could not reach the event stream: {0}")]
    Stream(#[source] crate::Source),
    #[error("could not register the {service} service with NATS: {source}")]
    Register { service: &'static str, source: async_nats::Error },
    #[error(transparent)]
    Unreadable(#[from] crate::log::Unreadable),
    /// The reader is halted at an unreadable event; nothing is decided until it is skipped.
    #[error("{0}")]
    Halted(String),
    /// The stream is not the log the state was built from (deleted and created again, or
    /// another stack's). The service stops: its state belongs to the other log.
    #[error(
        "the event log changed under the service: its state came from {was}, the broker now has \
         {now}; restart the service on the right log"
    )]
    LogReplaced { was: String, now: String },
    #[error("the stream consumer failed: {0}")]
    Consumer(#[source] crate::Source),
    #[error("{0}")]
    StateFile(#[source] crate::Source),
}

impl ServiceError {
    /// Whether the service can go on serving after this error (answering the commands it
    /// touched `unavailable`), rather than stop.
    fn is_recoverable(&self) -> bool {
        !matches!(self, ServiceError::LogReplaced { .. } | ServiceError::Register { .. })
    }
}

/// Where to find the broker and how the stream is set up.
#[derive(Debug, Clone, Default)]
pub struct ServiceConfig {
    pub stream: StreamSettings,
    /// Where the runtime reports its reader's health, which it publishes in the service's
    /// stats; the caller keeps a clone to read it too.
    pub health: health::HealthCell,
    /// The service's state file ([`statefile`]): with one, a restart resumes from the last
    /// snapshot and the command-id table lives on disk; without, the state is rebuilt from
    /// the whole log at every start and held in memory.
    pub state_file: Option<std::path::PathBuf>,
    /// Whether a person's directory event, or one of the service's own kind, without a
    /// signature is honoured. Refused by
    /// default: with the services' credentials anyone could append one. Allowed only for a
    /// log written before requests were signed, or by a tool on people's behalf (tests).
    pub unsigned: crate::audit::recorder::Unsigned,
    /// The most commands that may wait for the service at once; one more is answered
    /// `unavailable` on arrival. [`COMMANDS_WAITING_MAX`] when `None`.
    pub commands_waiting_max: Option<std::num::NonZeroUsize>,
}

/// How many commands may wait for a service by default: about a second of its work at the
/// rate it keeps on a small machine, well inside a client's [`crate::command::COMMAND_TIMEOUT`]
/// even at a quarter of that rate. Beyond it a client is told at once to try again, rather
/// than left waiting for an answer that would come after it gave up.
pub const COMMANDS_WAITING_MAX: usize = 1024;

impl ServiceConfig {
    fn commands_waiting(&self) -> usize {
        self.commands_waiting_max.map_or(COMMANDS_WAITING_MAX, std::num::NonZeroUsize::get)
    }
}

/// Takes the service's requests off the broker as they come, checks each ([`batch::admit`])
/// and queues it, at most `max`: one that finds the queue full is answered `unavailable` at
/// once, naming the limit, and counted in the stats. The queue ends when the endpoint does (the
/// service stopped) or its reader goes.
fn intake<C: DeserializeOwned + Send + 'static>(
    mut endpoint: async_nats::service::endpoint::Endpoint,
    max: usize,
    name: &'static str,
    health: health::HealthCell,
) -> tokio::sync::mpsc::Receiver<batch::Waiting<C>> {
    use tokio::sync::mpsc::error::TrySendError;
    let (queue, waiting) = tokio::sync::mpsc::channel(max);
    let subject = crate::subject::command_subject(name);
    tokio::spawn(async move {
        while let Some(request) = endpoint.next().await {
            match queue.try_reserve() {
                Ok(place) => {
                    if let Some(admitted) = batch::admit(name, &subject, request).await {
                        place.send(admitted);
                    }
                }
                Err(TrySendError::Full(())) => {
                    health.turned_away();
                    if crate::command::answerable(&request.message) {
                        let message = format!(
                            "the {name} service has {max} commands waiting, its most; nothing \
                             was recorded: send it again in a moment, with the same command id"
                        );
                        batch::respond(
                            name,
                            &request,
                            &ledger::failed(command::FailureKind::Unavailable, message),
                        )
                        .await;
                    }
                }
                Err(TrySendError::Closed(())) => break,
            }
        }
    });
    waiting
}

/// A batch: `first`, and whatever else is already waiting, without waiting for more.
fn batch_of<W>(first: W, waiting: &mut tokio::sync::mpsc::Receiver<W>) -> Vec<W> {
    let mut requests = vec![first];
    while requests.len() < BATCH_COMMANDS_MAX {
        match waiting.try_recv() {
            Ok(request) => requests.push(request),
            Err(_) => break,
        }
    }
    requests
}

/// How long a stopping service may take to settle the commands it had taken off the broker.
pub const STOP_DRAIN_MAX: std::time::Duration = std::time::Duration::from_secs(10);

/// Decides and answers every command taken off the broker before the service stopped taking
/// them (its endpoint is stopped first, and yields what it had received). Dropped, they would
/// leave their clients waiting out their timeout before sending again to another replica: a
/// rolling upgrade would cost every command in the queue ten seconds.
async fn drain<D: Decider>(
    runtime: &mut batch::Runtime<D>,
    waiting: &mut tokio::sync::mpsc::Receiver<batch::Waiting<D::Command>>,
) {
    let settle = async {
        while let Some(first) = waiting.recv().await {
            if let Err(e) = runtime.handle(batch_of(first, waiting)).await {
                tracing::warn!(service = D::NAME, error = %e, "a batch failed while stopping; its commands were told");
            }
        }
    };
    if tokio::time::timeout(STOP_DRAIN_MAX, settle).await.is_err() {
        tracing::warn!(service = D::NAME, "stopped before every command taken was settled");
    }
}

/// Runs a command service until `shutdown` resolves. Every command taken off the broker is
/// finished (appended and answered) before the service stops ([`drain`]).
pub async fn run<D: Decider<Services = ()>>(
    client: async_nats::Client,
    decider: D,
    config: ServiceConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServiceError> {
    run_with(client, decider, (), config, shutdown).await
}

/// [`run`] for a service whose commands need I/O before their events are appended
/// ([`Decider::before_append`]).
pub async fn run_with<D: Decider>(
    client: async_nats::Client,
    decider: D,
    services: D::Services,
    config: ServiceConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServiceError> {
    let js = jetstream::new(client.clone());
    let info = check_stream(&js).await.map_err(|e| ServiceError::Stream(e.into()))?;
    let identity = LogIdentity::of(&info);
    let appender = Appender::new(js.clone()).await.map_err(|e| ServiceError::Stream(e.into()))?;
    let health = config.health.clone();
    let ledger = match &config.state_file {
        Some(path) => {
            let (file, reset) = statefile::StateFile::open(path, &identity)
                .map_err(|e| ServiceError::StateFile(e.into()))?;
            if let Some(why) = reset {
                tracing::warn!(service = D::NAME, file = %path.display(), %why, "state file emptied; rebuilding it from the log");
            }
            ledger::Ledger::with_file(decider, file)
        }
        None => ledger::Ledger::new(decider),
    }
    .honouring(config.unsigned, health.clone());
    if let Some(sequence) = ledger.resumed_from() {
        health.resumed_from(sequence);
        health.applied(sequence);
    }
    let reported = health.clone();
    crate::metrics::global().part(D::NAME, move || reported.get());
    let log = follower::Follower::new(&js, identity.clone(), health.clone())
        .starting_after(ledger.applied_through);
    let mut runtime = batch::Runtime::new(js, appender, log, ledger, services, D::NAME);
    match runtime.catch_up_to_head().await {
        Ok(()) => {
            runtime.state.decider.started(&runtime.services).await;
            health.following()
        }
        // Serve anyway, halted: every command is told why, and the stats say it.
        Err(e @ ServiceError::Unreadable { .. }) => {
            tracing::error!(service = D::NAME, error = %e, "halted")
        }
        Err(e) => return Err(e),
    }
    // What the start replayed is now in the file, with a snapshot: the next start resumes here.
    runtime.state.flush(true);
    runtime.state.periodic_snapshots = true;
    tracing::info!(
        service = D::NAME,
        applied_through = runtime.state.applied_through,
        resumed_from = runtime.state.resumed_from(),
        log = %identity,
        "state rebuilt"
    );

    let register = |source: async_nats::Error| ServiceError::Register { service: D::NAME, source };
    let stats = health.clone();
    let service = client
        .service_builder()
        .description(D::DESCRIPTION)
        .stats_handler(move |_, _| stats.to_json())
        .start(format!("par-{}", D::NAME), env!("CARGO_PKG_VERSION"))
        .await
        .map_err(register)?;
    let endpoint =
        service.endpoint(crate::subject::command_subject(D::NAME)).await.map_err(register)?;
    let mut waiting = intake(endpoint, config.commands_waiting(), D::NAME, health.clone());

    tokio::pin!(shutdown);
    let stopped = loop {
        tokio::select! {
            () = &mut shutdown => break Ok(()),
            request = waiting.recv() => {
                let Some(first) = request else { break Ok(()) };
                if let Err(e) = runtime.handle(batch_of(first, &mut waiting)).await {
                    if !e.is_recoverable() {
                        break Err(e);
                    }
                    tracing::warn!(service = D::NAME, error = %e, "a batch failed; its commands were told");
                }
            }
            next = runtime.log.next() => match next {
                Ok(next) => runtime.absorb(next),
                Err(e) if e.is_recoverable() => {
                    tracing::error!(service = D::NAME, error = %e, "halted");
                    runtime.halt(&e);
                }
                Err(e) => break Err(e),
            }
        }
    };
    let _ = service.stop().await;
    if stopped.is_ok() {
        drain(&mut runtime, &mut waiting).await;
    }
    runtime.state.flush(true);
    match &stopped {
        Ok(()) => tracing::info!(service = D::NAME, "stopped"),
        Err(e) => tracing::error!(service = D::NAME, error = %e, "stopped"),
    }
    stopped
}
