//! Handling commands in batches.
//!
//! A batch is every request waiting when the service looks (at most [`BATCH_COMMANDS_MAX`]).
//! It is handled in rounds. In a round, every waiting command is decided against the same
//! state; of those that produce an event, the first on each aggregate (and on each of the
//! decider's [`batch keys`](super::Decider::batch_keys)) is kept and the rest wait for the
//! next round. The kept events are appended concurrently, each with its aggregate's expected
//! tip, so the broker syncs them to disk together; then the service waits until its own state
//! has applied them and answers. Commands on one aggregate are therefore decided and appended
//! strictly in arrival order, each seeing the one before.

use super::follower::{Follower, Next};
use super::ledger::{failed, Decision, Ledger};
use super::{Context, Decider, ServiceError};
use crate::append::{AppendError, AppendOutcome, Appender, Draft};
use crate::command::{self, Accepted, FailureKind, Reply, Request};
use crate::envelope::{Actor, Signature};
use crate::event::Event;
use crate::reply::Reason;
use crate::subject::{Aggregate, STREAM_NAME};
use crate::time::Timestamp;
use crate::{access, sign};
use async_nats::jetstream;
use std::collections::{BTreeSet, VecDeque};
use std::time::Instant;

/// The most commands taken into one batch. Bounds the work between two looks at the stream
/// and the appends in flight at once.
pub const BATCH_COMMANDS_MAX: usize = 64;
/// How long catching up may see nothing from the consumer before it is re-created.
const CATCH_UP_STALL: std::time::Duration = std::time::Duration::from_secs(2);

/// A command waiting for its answer: signed, readable, checked on arrival ([`admit`]).
pub(super) struct Waiting<C> {
    reply_to: async_nats::service::Request,
    request: Request<C>,
    context: Context,
    /// The signature over the request as received; it goes into the event's envelope.
    signature: Signature,
    /// Its refusal was already re-checked after catching up with the stream: the next is final.
    rechecked: bool,
}

/// A decided command, with what its append needs.
struct Decided<C> {
    waiting: Waiting<C>,
    event: Event,
}

pub(super) struct Runtime<D: Decider> {
    js: jetstream::Context,
    /// The stream's handle, for its head; bound on first use.
    stream: Option<jetstream::stream::Stream>,
    appender: Appender,
    pub(super) log: Follower,
    pub(super) state: Ledger<D>,
    /// Why the service decides nothing now (its reader is stopped at an unreadable event);
    /// every command is answered `unavailable` with this.
    halted: Option<String>,
    pub(super) services: D::Services,
    name: &'static str,
}

impl<D: Decider> Runtime<D> {
    pub(super) fn new(
        js: jetstream::Context,
        appender: Appender,
        log: Follower,
        state: Ledger<D>,
        services: D::Services,
        name: &'static str,
    ) -> Self {
        Self { js, stream: None, appender, log, state, halted: None, services, name }
    }

    /// Takes what the follower handed out into the state; a skip ends a halt.
    pub(super) fn absorb(&mut self, next: Next) {
        match next {
            Next::Event(sequence, record) => self.state.apply(sequence, &record),
            Next::Skipped(sequence) => {
                self.state.skip(sequence);
                if self.halted.take().is_some() {
                    tracing::warn!(
                        service = self.name,
                        sequence,
                        "resumed past an operator's skip"
                    );
                }
            }
        }
    }

    /// Stops deciding until the reader gets past `error`'s event.
    pub(super) fn halt(&mut self, error: &ServiceError) {
        self.halted = Some(format!("the {} service is halted: {error}", self.name));
    }
    /// Counts the time since `began` to `phase` ([`crate::metrics::COMMAND_PHASES`]).
    fn took(&self, phase: &'static str, began: Instant) {
        crate::metrics::global().phase(self.name, phase, began.elapsed());
    }

    /// Handles a batch of requests to the end: every one is answered before this returns.
    /// Only a failure of the log itself is an `Err` (it stops the service).
    pub(super) async fn handle(
        &mut self,
        requests: Vec<Waiting<D::Command>>,
    ) -> Result<(), ServiceError> {
        if let Some(reason) = &self.halted {
            let reply = failed(FailureKind::Unavailable, reason.clone());
            for w in &requests {
                respond(self.name, &w.reply_to, &reply).await;
            }
            return Ok(());
        }
        let intake = Instant::now();
        crate::metrics::global().batch(self.name);
        // A retry of a command already in the log gets its first answer, broker or not.
        let mut waiting = VecDeque::with_capacity(requests.len());
        for w in requests {
            match self.state.first_answer(&w.request.command_id, w.context.actor.as_str()) {
                Some(reply) => respond(self.name, &w.reply_to, &reply).await,
                None => waiting.push_back(w),
            }
        }
        self.took("intake", intake);
        // Decide on every event appended before these commands arrived. Another service's event
        // (a key revoked, an access withdrawn, a tenure ended) may take away a right that a state
        // a moment behind would still grant: a refusal on a stale state is rechecked after
        // catching up, an acceptance would not be.
        if !waiting.is_empty() {
            if let Err(e) = self.catch_up_to_head().await {
                let reply = failed(FailureKind::Unavailable, e.to_string());
                for w in &waiting {
                    respond(self.name, &w.reply_to, &reply).await;
                }
                return Err(e);
            }
        }
        while !waiting.is_empty() {
            waiting = self.round(waiting).await?;
        }
        Ok(())
    }

    /// One round: decide every waiting command, append those that can go together, answer
    /// what is settled; returns the commands left for the next round.
    async fn round(
        &mut self,
        waiting: VecDeque<Waiting<D::Command>>,
    ) -> Result<VecDeque<Waiting<D::Command>>, ServiceError> {
        let mut next = VecDeque::new();
        let mut chosen = Vec::new();
        let mut taken = BTreeSet::new();
        let mut recheck = false;
        let deciding = Instant::now();
        for mut w in waiting {
            if let Some(reply) =
                self.state.first_answer(&w.request.command_id, w.context.actor.as_str())
            {
                respond(self.name, &w.reply_to, &reply).await;
                continue;
            }
            let began = Instant::now();
            let decided = self.decide(&w);
            crate::metrics::global().decided(self.name, began.elapsed());
            match decided {
                Ok(event) => {
                    let mut keys = vec![Aggregate::of(&event).chain_key()];
                    keys.extend(self.state.decider.batch_keys(&event));
                    if keys.iter().any(|k| taken.contains(k)) {
                        next.push_back(w);
                    } else {
                        taken.extend(keys);
                        chosen.push(Decided { waiting: w, event });
                    }
                }
                Err(turned) if w.rechecked => {
                    let Turned { kind, message, .. } = &turned;
                    tracing::info!(service = D::NAME, command_id = %w.request.command_id, %message, ?kind, "refused");
                    respond(self.name, &w.reply_to, &turned.reply()).await;
                }
                Err(_) => {
                    // Maybe only stale (another service's event, or one of this round's, has
                    // not reached the state yet): decide again after catching up.
                    w.rechecked = true;
                    recheck = true;
                    next.push_back(w);
                }
            }
        }
        self.took("decide", deciding);
        let preparing = Instant::now();
        let chosen = self.prepared(chosen).await;
        self.took("prepare", preparing);
        let mut settled = match self.decided_again(chosen).await {
            Ok(chosen) => self.append_all(chosen).await,
            Err(e) => Err(e),
        };
        if settled.is_ok() && recheck {
            settled = self.catch_up_to_head().await;
        }
        if let Err(e) = settled {
            // The log is out of reach or unreadable: tell every command still waiting, so none
            // times out wondering; a retry with the same command id is safe.
            let reply = failed(FailureKind::Unavailable, e.to_string());
            for w in &next {
                respond(self.name, &w.reply_to, &reply).await;
            }
            return Err(e);
        }
        Ok(next)
    }

    /// Decides one command: its signer's key must be the actor's and valid, the decider must
    /// accept it, and the actor must be allowed to record the event it decided.
    fn decide(&self, w: &Waiting<D::Command>) -> Result<Event, Turned> {
        let directory = self.state.decider.directory();
        let actor = &w.context.actor;
        let key = w.signature.key.as_str();
        let denied = directory.check_signer(actor, key).err().map(|e| Turned {
            kind: FailureKind::Denied,
            message: e.to_string(),
            reason: Reason::of(access::REASON_PREFIX, &e),
        });
        // An unknown signer hears nothing of the decision, unless the command registers the
        // very key that signed it (an enrolment), which the decision itself vouches for.
        let enrols = self.state.decider.key_it_registers(&w.request.command) == Some(key);
        if !enrols {
            if let Some(denied) = denied {
                return Err(denied);
            }
        }
        let decided = self.state.decider.decide(&w.request.command, &w.context);
        if let (Ok(event), Some(denied)) = (&decided, denied) {
            if access::registers_own_key(event) != Some(key) {
                return Err(denied);
            }
        }
        let event = decided.map_err(|refusal| Turned {
            kind: FailureKind::Refused,
            message: refusal.to_string(),
            reason: Reason::of(D::NAME, &refusal),
        })?;
        let days = access::Days {
            occurred: w.context.occurred_on,
            recorded: w.context.recorded_at.vietnam_date().unwrap_or(w.context.occurred_on),
        };
        access::permits(directory, actor, &event, days).map_err(|e| Turned {
            kind: FailureKind::Denied,
            message: e.to_string(),
            reason: Some(e.reason()),
        })?;
        Ok(event)
    }

    /// Runs the I/O of every decided command at once ([`Decider::before_append`]); answers
    /// those it fails and returns the rest, ready to append.
    async fn prepared(&mut self, chosen: Vec<Decided<D::Command>>) -> Vec<Decided<D::Command>> {
        let runs =
            chosen.iter().map(|d| D::before_append(&self.services, &d.waiting.request.command));
        let outcomes = futures::future::join_all(runs).await;
        let mut ready = Vec::with_capacity(chosen.len());
        for (d, outcome) in chosen.into_iter().zip(outcomes) {
            match outcome {
                Ok(()) => ready.push(d),
                Err(super::Unverified { kind, message }) => {
                    tracing::info!(service = self.name, command_id = %d.waiting.request.command_id, %message, "not prepared");
                    respond(self.name, &d.waiting.reply_to, &failed(kind, message)).await;
                }
            }
        }
        ready
    }

    /// After I/O that may have taken a while ([`Decider::BEFORE_APPEND_WAITS`]): catches up
    /// with the log's head and decides each command again, answering those now turned down.
    /// A failure to catch up answers them all `unavailable`.
    async fn decided_again(
        &mut self,
        chosen: Vec<Decided<D::Command>>,
    ) -> Result<Vec<Decided<D::Command>>, ServiceError> {
        if !D::BEFORE_APPEND_WAITS || chosen.is_empty() {
            return Ok(chosen);
        }
        if let Err(e) = self.catch_up_to_head().await {
            let reply = failed(FailureKind::Unavailable, e.to_string());
            for d in &chosen {
                respond(self.name, &d.waiting.reply_to, &reply).await;
            }
            return Err(e);
        }
        let mut ready = Vec::with_capacity(chosen.len());
        for d in chosen {
            match self.decide(&d.waiting) {
                Ok(event) => ready.push(Decided { waiting: d.waiting, event }),
                Err(turned) => {
                    let Turned { kind, message, .. } = &turned;
                    tracing::info!(service = D::NAME, command_id = %d.waiting.request.command_id, %message, ?kind, "turned down after its I/O");
                    respond(self.name, &d.waiting.reply_to, &turned.reply()).await;
                }
            }
        }
        Ok(ready)
    }

    /// Appends the round's events at once, waits until the state has applied them, answers.
    async fn append_all(&mut self, chosen: Vec<Decided<D::Command>>) -> Result<(), ServiceError> {
        if chosen.is_empty() {
            return Ok(());
        }
        let mut pending = Vec::with_capacity(chosen.len());
        let mut answers = Vec::with_capacity(chosen.len());
        let mut decided = Vec::with_capacity(chosen.len());
        for Decided { waiting, event } in chosen {
            decided.push(Decision::of(&waiting.context, &event));
            let aggregate = Aggregate::of(&event);
            let expected = self.state.tip(&aggregate.chain_key());
            let type_name = event.type_name();
            let draft = draft(&waiting.context, waiting.signature.clone(), event);
            answers.push((waiting, aggregate, type_name));
            pending.push(self.appender.append(draft, expected));
        }
        let began = Instant::now();
        let outcomes = futures::future::join_all(pending).await;
        crate::metrics::global().appended(self.name, began.elapsed());
        self.took("append", began);
        for (decision, outcome) in decided.iter().zip(&outcomes) {
            if D::AFTER_APPEND && outcome.is_ok() {
                D::after_append(&self.services, decision.event()).await;
            }
        }
        for (decision, outcome) in decided.into_iter().zip(&outcomes) {
            // Only a new message is this decision: a duplicate's sequence is whatever first
            // carried the command id, which someone else may have written.
            if let Ok(AppendOutcome::Appended { sequence }) = outcome {
                self.state.appended(*sequence, decision);
            }
        }
        let last = outcomes.iter().filter_map(|o| o.as_ref().ok()).map(|o| o.sequence()).max();
        let mut caught_up = Ok(());
        if let Some(last) = last {
            let reading = Instant::now();
            caught_up = self.catch_up_through(last).await;
            self.took("read-back", reading);
        }
        if caught_up.is_ok()
            && outcomes.iter().any(|o| matches!(o, Err(AppendError::Conflict { .. })))
        {
            caught_up = self.catch_up_to_head().await;
        }
        // Every command gets its real answer, even when catching up failed: what was appended
        // was appended, and saying otherwise would send its client off to retry for nothing.
        let answering = Instant::now();
        for ((waiting, aggregate, event), outcome) in answers.into_iter().zip(outcomes) {
            let reply = self.reply_for(&waiting, &aggregate, event, outcome);
            respond(self.name, &waiting.reply_to, &reply).await;
        }
        self.took("answer", answering);
        caught_up
    }

    fn reply_for(
        &self,
        waiting: &Waiting<D::Command>,
        aggregate: &Aggregate,
        event: &'static str,
        outcome: Result<AppendOutcome, AppendError>,
    ) -> Reply {
        let command_id = &waiting.request.command_id;
        let actor = waiting.context.actor.as_str();
        let unit = aggregate.unit.as_ref().map(|u| u.to_string()).unwrap_or_default();
        match outcome {
            Ok(outcome) => {
                let duplicate = matches!(outcome, AppendOutcome::Duplicate { .. });
                // The broker dropped it as a copy of a message with its id: another sender's
                // command under the same id, appended a moment before, is not this one; and
                // one this service has not read yet cannot be told apart, so it is not
                // called recorded (a retry, once read, gets the right answer).
                if duplicate {
                    match self.state.first_answer(command_id, actor) {
                        Some(taken @ Reply::Failed { .. }) => return taken,
                        Some(Reply::Ok(_)) => {}
                        None => {
                            let message = format!(
                                "the log holds a message with command id {command_id} that this \
                                 service has not read yet; send the command again"
                            );
                            return failed(FailureKind::Unavailable, message);
                        }
                    }
                }
                let sequence = outcome.sequence();
                tracing::info!(service = D::NAME, %command_id, %unit, aggregate = %aggregate.chain_key(), sequence, event, duplicate, "appended");
                Reply::Ok(Accepted { sequence, event: event.to_owned(), duplicate })
            }
            // The broker checks the expected sequence before the message id, so a copy of
            // this command appended by another replica shows up as a conflict: answer it.
            Err(AppendError::Conflict { .. }) => self.state.first_answer(command_id, actor).unwrap_or_else(|| {
                tracing::info!(service = D::NAME, %command_id, %unit, aggregate = %aggregate.chain_key(), "conflict");
                failed(
                    FailureKind::Conflict,
                    format!(
                        "{} {} was changed by another command at the same time; check it and try again",
                        aggregate.kind, aggregate.id
                    ),
                )
            }),
            Err(e @ (AppendError::Broker { .. } | AppendError::UnreadableTip { .. })) => {
                tracing::warn!(service = D::NAME, %command_id, error = %e, "append failed");
                failed(FailureKind::Unavailable, e.to_string())
            }
            Err(e @ AppendError::Encode(_)) => failed(FailureKind::Invalid, e.to_string()),
        }
    }

    pub(super) async fn catch_up_through(&mut self, sequence: u64) -> Result<(), ServiceError> {
        while self.state.applied_through < sequence {
            if let Some(reason) = &self.halted {
                return Err(ServiceError::Halted(reason.clone()));
            }
            // The sequence is known to exist, so silence means a consumer that died without
            // saying so (a broker restarted under it): re-create it rather than wait.
            match tokio::time::timeout(CATCH_UP_STALL, self.log.next()).await {
                Ok(Ok(next)) => self.absorb(next),
                Ok(Err(e)) => {
                    self.halt(&e);
                    return Err(e);
                }
                Err(_) => self.log.lost(&format!(
                    "no event within {CATCH_UP_STALL:?} though the stream holds sequence {sequence}"
                )),
            }
        }
        Ok(())
    }

    pub(super) async fn catch_up_to_head(&mut self) -> Result<(), ServiceError> {
        let began = Instant::now();
        let caught_up = self.read_to_head().await;
        self.took("catch-up", began);
        caught_up
    }

    async fn read_to_head(&mut self) -> Result<(), ServiceError> {
        let stream = match &mut self.stream {
            Some(stream) => stream,
            None => {
                let stream = self
                    .js
                    .get_stream(STREAM_NAME)
                    .await
                    .map_err(|e| ServiceError::Stream(e.into()))?;
                self.stream.insert(stream)
            }
        };
        let head =
            stream.info().await.map_err(|e| ServiceError::Stream(e.into()))?.state.last_sequence;
        self.catch_up_through(head).await
    }
}

fn draft(context: &Context, signature: Signature, event: Event) -> Draft {
    Draft {
        command_id: context.command_id.clone(),
        actor: Actor::Person(context.actor.clone()),
        occurred_at: context.occurred_at,
        recorded_at: context.recorded_at,
        signature: Some(signature),
        event,
    }
}

/// Reads and checks a request as it arrives, before it waits for the service: whether it may
/// be answered at all, its signature (nothing of an unsigned or forged request is looked at),
/// and its JSON. One that fails is answered here and gives `None`. This is the work that needs
/// no state, so it is done off the service's one deciding task, while that task appends.
pub(super) async fn admit<C: serde::de::DeserializeOwned>(
    name: &'static str,
    endpoint: &str,
    reply_to: async_nats::service::Request,
) -> Option<Waiting<C>> {
    let message = &reply_to.message;
    if !command::answerable(message) {
        return None;
    }
    let began = Instant::now();
    let signature = sign::from_headers(message.headers.as_ref(), &message.payload)
        .and_then(|signature| sign::check(endpoint, &signature).map(|()| signature));
    let signature = match signature {
        Ok(signature) => signature,
        Err(e) => {
            tracing::info!(service = name, error = %e, "signature refused");
            let reply = Reply::refused(FailureKind::Denied, e.to_string(), Some(e.reason()));
            respond(name, &reply_to, &reply).await;
            return None;
        }
    };
    let parsed = command::parse_json::<Request<C>>(&message.payload)
        .and_then(|request| Ok((Context::of(&request, Timestamp::now())?, request)));
    crate::metrics::global().phase(name, "admit", began.elapsed());
    match parsed {
        Ok((context, request)) => {
            Some(Waiting { reply_to, request, context, signature, rechecked: false })
        }
        Err(message) => {
            respond(name, &reply_to, &failed(FailureKind::Invalid, message)).await;
            None
        }
    }
}

/// A command turned down while deciding: denied or refused, with its reason for the edge.
struct Turned {
    kind: FailureKind,
    message: String,
    reason: Option<Reason>,
}

impl Turned {
    fn reply(&self) -> Reply {
        Reply::refused(self.kind, self.message.clone(), self.reason.clone())
    }
}

/// Sends a reply, with the services API's error headers when it is a failure.
pub(super) async fn respond(service: &str, to: &async_nats::service::Request, reply: &Reply) {
    let outcome = match reply {
        Reply::Ok(accepted) if accepted.duplicate => "duplicate",
        Reply::Ok(_) => "ok",
        Reply::Failed { kind, .. } => kind.as_str(),
    };
    crate::metrics::global().command(service, outcome);
    if let Err(e) = reply.send(to).await {
        tracing::warn!(error = %e, "could not send a reply");
    }
}
