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
use super::health::HealthCell;
use super::statefile::{FirstEvent, Pending, Snapshot, StateFile};
use super::{Context, Decider, ServiceError};
use crate::append::{AppendError, AppendOutcome, Appender, Draft, Tip};
use crate::audit::recorder::{self, Standing, Unsigned};
use crate::command::{self, Accepted, FailureKind, Reply, Request};
use crate::envelope::{Actor, Record, Signature};
use crate::event::Event;
use crate::event::Family;
use crate::ids::CommandId;
use crate::reply::Reason;
use crate::subject::{Aggregate, STREAM_NAME};
use crate::time::Timestamp;
use crate::{access, sign};
use async_nats::jetstream;
use std::collections::{BTreeSet, VecDeque};

/// The most commands taken into one batch. Bounds the work between two looks at the stream
/// and the appends in flight at once.
pub const BATCH_COMMANDS_MAX: usize = 64;
/// How long catching up may see nothing from the consumer before it is re-created.
const CATCH_UP_STALL: std::time::Duration = std::time::Duration::from_secs(2);

/// The decider's state plus what the runtime tracks for every service alike.
///
/// Without a state file every command id and tip is held here. With one ([`StateFile`]), only
/// those applied since the last flush are, and the file holds the rest; the decision state is
/// snapshotted into it now and then, so a restart resumes from the snapshot.
pub(super) struct Ledger<D> {
    pub(super) decider: D,
    pub(super) applied_through: u64,
    pending: Pending,
    file: Option<StateFile>,
    /// Events applied since the last flush to the file.
    unflushed: u64,
    /// The last sequence the file's snapshot holds.
    snapshot_through: u64,
    /// Whether to snapshot every [`SNAPSHOT_EVENTS`]: not while catching up at start, where
    /// a snapshot of a state growing with every event would make the replay quadratic (one is
    /// taken at its end), but once following.
    pub(super) periodic_snapshots: bool,
    /// Whether a person's directory event without a signature is honoured.
    unsigned: Unsigned,
    /// Where an event not honoured is told.
    health: HealthCell,
}

/// How many applied events the ledger holds before writing them to the state file.
const FLUSH_EVENTS: u64 = 8192;
/// How many events a snapshot may fall behind before a new one is taken (besides the ones at
/// the end of catching up and at shutdown).
const SNAPSHOT_EVENTS: u64 = 100_000;

impl<D: Decider> Ledger<D> {
    pub(super) fn new(decider: D) -> Self {
        Self {
            decider,
            applied_through: 0,
            pending: Pending::default(),
            file: None,
            unflushed: 0,
            snapshot_through: 0,
            periodic_snapshots: false,
            unsigned: Unsigned::Refused,
            health: HealthCell::default(),
        }
    }

    /// This ledger, honouring a person's unsigned directory event as `unsigned` says, and
    /// telling `health` of each event it does not honour.
    pub(super) fn honouring(self, unsigned: Unsigned, health: HealthCell) -> Self {
        Self { unsigned, health, ..self }
    }

    /// A ledger kept in `file`, resumed from its snapshot when it has a readable one.
    pub(super) fn with_file(decider: D, file: StateFile) -> Self {
        let mut ledger = Self::new(decider);
        match file.snapshot() {
            Ok(Some(snapshot)) => match postcard::from_bytes::<D>(&snapshot.bytes) {
                Ok(state) => {
                    ledger.decider = ledger.decider.restored(state);
                    ledger.applied_through = snapshot.through;
                    ledger.snapshot_through = snapshot.through;
                }
                Err(e) => tracing::warn!(
                    service = D::NAME, file = %file.path().display(), error = %e,
                    "the snapshot is unreadable; rebuilding the state from the whole log"
                ),
            },
            Ok(None) => {}
            Err(e) => tracing::warn!(
                service = D::NAME, error = %e,
                "could not read the snapshot; rebuilding the state from the whole log"
            ),
        }
        ledger.file = Some(file);
        ledger
    }

    /// The sequence the ledger resumed from, when it came from a snapshot.
    pub(super) fn resumed_from(&self) -> Option<u64> {
        (self.snapshot_through > 0).then_some(self.snapshot_through)
    }

    /// Moves past an unreadable event an operator skipped: nothing is applied.
    fn skip(&mut self, sequence: u64) {
        self.applied_through = sequence;
    }

    pub(super) fn apply(&mut self, sequence: u64, record: &Record) {
        let envelope = &record.envelope;
        if self.honoured(sequence, record) {
            self.decider.apply(record);
            let first = (sequence, envelope.event.type_name(), actor_key(&envelope.actor));
            self.pending.commands.entry(envelope.command_id.clone()).or_insert(first);
        }
        let tip = Tip { sequence, version: envelope.chain.version, digest: record.digest };
        self.pending.tips.insert(envelope.chain.aggregate.clone(), tip);
        self.applied_through = sequence;
        self.unflushed += 1;
        if self.file.is_some() && self.unflushed >= FLUSH_EVENTS {
            let snapshot = self.periodic_snapshots
                && self.applied_through - self.snapshot_through >= SNAPSHOT_EVENTS;
            self.flush(snapshot);
        }
    }

    /// Whether a read event is honoured: a person's directory event (where every right comes
    /// from) must be recorded by someone who could ([`recorder::check`], as `audit verify`
    /// checks it) and be what its signed request decides on the directory before it
    /// ([`Decider::DIRECTORY_RULES`]). One that is not is not applied, and its command id is
    /// left to the command's real event: someone with the services' credentials cannot give
    /// themself a key or a right. Other events are applied as read; `audit verify` judges them.
    fn honoured(&self, sequence: u64, record: &Record) -> bool {
        let envelope = &record.envelope;
        if envelope.event.family() != Family::Directory {
            return true;
        }
        let directory = self.decider.directory();
        let checked = recorder::check(directory, envelope, None, self.unsigned);
        let outcome = checked.and_then(|standing| {
            let signature = envelope.signature.as_ref();
            let decided = crate::audit::decided::decided_by_a_service(&envelope.event);
            match (standing, D::DIRECTORY_RULES, signature) {
                (Standing::Signed, Some(rules), Some(signature)) if decided => {
                    rules(directory, record, &signature.request).map_err(|m| m.to_string())
                }
                _ => Ok(()),
            }
        });
        let Err(why) = outcome else { return true };
        let what = envelope.event.type_name();
        tracing::error!(service = D::NAME, sequence, event = what, %why, "an event of the log is not honoured");
        self.health.not_honoured(sequence, &format!("{what}: {why}"));
        false
    }

    /// Writes what was applied since the last flush to the state file, with a snapshot of the
    /// decision state when `snapshot`. A failure is logged and the pending entries kept, so
    /// nothing is lost: the next flush tries again.
    pub(super) fn flush(&mut self, snapshot: bool) {
        let Some(file) = &self.file else { return };
        let taken = if snapshot && self.applied_through > self.snapshot_through {
            match postcard::to_stdvec(&self.decider) {
                Ok(bytes) => Some(Snapshot { through: self.applied_through, bytes }),
                Err(e) => {
                    tracing::warn!(service = D::NAME, error = %e, "could not encode a snapshot");
                    None
                }
            }
        } else {
            None
        };
        if self.pending.is_empty() && taken.is_none() {
            return;
        }
        match file.flush(&self.pending, taken.as_ref()) {
            Ok(()) => {
                self.pending = Pending::default();
                self.unflushed = 0;
                if let Some(taken) = taken {
                    self.snapshot_through = taken.through;
                }
            }
            Err(e) => {
                tracing::error!(service = D::NAME, error = %e, "could not write the state file")
            }
        }
    }

    /// The first answer to a command id already in the log, for a request by `actor`: the
    /// event it recorded when `actor` sent it, and a conflict when someone else did (a command
    /// id is the sender's to choose, so another person could use one first; taking theirs for
    /// this one's retry would drop this command and say it was recorded). When the state file
    /// cannot be read, the answer is `unavailable`: deciding it again could record it twice.
    fn first_answer(&self, command_id: &CommandId, actor: &str) -> Option<Reply> {
        let found = match self.pending.commands.get(command_id) {
            Some((sequence, event, by)) => {
                FirstEvent { sequence: *sequence, event: (*event).to_owned(), actor: by.clone() }
            }
            None => match self.file.as_ref()?.command(command_id) {
                Ok(found) => found?,
                Err(e) => return Some(failed(FailureKind::Unavailable, e.to_string())),
            },
        };
        if found.actor != actor {
            let message = format!(
                "command id {command_id} is already used by another sender's command (stream \
                 sequence {}); send this command again with a new command id",
                found.sequence
            );
            return Some(failed(FailureKind::Conflict, message));
        }
        Some(Reply::Ok(Accepted { sequence: found.sequence, event: found.event, duplicate: true }))
    }

    /// The last event of an aggregate.
    fn tip(&self, aggregate: &str) -> Option<Tip> {
        if let Some(tip) = self.pending.tips.get(aggregate) {
            return Some(*tip);
        }
        match self.file.as_ref()?.tip(aggregate) {
            Ok(tip) => tip,
            Err(e) => {
                // Appending with no tip makes the broker refuse it (a conflict), never a fork.
                tracing::error!(service = D::NAME, error = %e, "could not read a tip");
                None
            }
        }
    }
}

/// A command waiting for its answer.
struct Waiting<C> {
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
    services: D::Services,
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
    /// Handles a batch of requests to the end: every one is answered before this returns.
    /// Only a failure of the log itself is an `Err` (it stops the service).
    pub(super) async fn handle(
        &mut self,
        requests: Vec<async_nats::service::Request>,
    ) -> Result<(), ServiceError> {
        if let Some(reason) = &self.halted {
            let reply = failed(FailureKind::Unavailable, reason.clone());
            for request in requests.iter().filter(|r| command::answerable(&r.message)) {
                respond(request, &reply).await;
            }
            return Ok(());
        }
        let mut waiting = VecDeque::new();
        let endpoint = crate::subject::command_subject(self.name);
        for reply_to in requests {
            let message = &reply_to.message;
            if !command::answerable(message) {
                continue;
            }
            // The signature first: nothing of an unsigned or forged request is looked at.
            let signature = sign::from_headers(message.headers.as_ref(), &message.payload)
                .and_then(|signature| sign::check(&endpoint, &signature).map(|()| signature));
            let signature = match signature {
                Ok(signature) => signature,
                Err(e) => {
                    tracing::info!(service = self.name, error = %e, "signature refused");
                    let reply =
                        Reply::refused(FailureKind::Denied, e.to_string(), Some(e.reason()));
                    respond(&reply_to, &reply).await;
                    continue;
                }
            };
            let parsed = command::parse_json::<Request<D::Command>>(&message.payload)
                .and_then(|request| Ok((Context::of(&request, Timestamp::now())?, request)));
            match parsed {
                Ok((context, request)) => {
                    let rechecked = false;
                    waiting.push_back(Waiting { reply_to, request, context, signature, rechecked });
                }
                Err(message) => respond(&reply_to, &failed(FailureKind::Invalid, message)).await,
            }
        }
        // A retry of a command already in the log gets its first answer, broker or not.
        let mut fresh = VecDeque::with_capacity(waiting.len());
        for w in waiting {
            match self.state.first_answer(&w.request.command_id, w.context.actor.as_str()) {
                Some(reply) => respond(&w.reply_to, &reply).await,
                None => fresh.push_back(w),
            }
        }
        waiting = fresh;
        // Decide on every event appended before these commands arrived. Another service's event
        // (a key revoked, an access withdrawn, a tenure ended) may take away a right that a state
        // a moment behind would still grant: a refusal on a stale state is rechecked after
        // catching up, an acceptance would not be.
        if !waiting.is_empty() {
            if let Err(e) = self.catch_up_to_head().await {
                let reply = failed(FailureKind::Unavailable, e.to_string());
                for w in &waiting {
                    respond(&w.reply_to, &reply).await;
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
        for mut w in waiting {
            if let Some(reply) =
                self.state.first_answer(&w.request.command_id, w.context.actor.as_str())
            {
                respond(&w.reply_to, &reply).await;
                continue;
            }
            match self.decide(&w) {
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
                    respond(&w.reply_to, &turned.reply()).await;
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
        let chosen = self.prepared(chosen).await;
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
                respond(&w.reply_to, &reply).await;
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
                    respond(&d.waiting.reply_to, &failed(kind, message)).await;
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
                respond(&d.waiting.reply_to, &reply).await;
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
                    respond(&d.waiting.reply_to, &turned.reply()).await;
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
        for Decided { waiting, event } in chosen {
            let aggregate = Aggregate::of(&event);
            let expected = self.state.tip(&aggregate.chain_key());
            let type_name = event.type_name();
            let draft = draft(&waiting.context, waiting.signature.clone(), event);
            answers.push((waiting, aggregate, type_name));
            pending.push(self.appender.append(draft, expected));
        }
        let outcomes = futures::future::join_all(pending).await;
        let last = outcomes.iter().filter_map(|o| o.as_ref().ok()).map(|o| o.sequence()).max();
        let mut caught_up = Ok(());
        if let Some(last) = last {
            caught_up = self.catch_up_through(last).await;
        }
        if caught_up.is_ok()
            && outcomes.iter().any(|o| matches!(o, Err(AppendError::Conflict { .. })))
        {
            caught_up = self.catch_up_to_head().await;
        }
        // Every command gets its real answer, even when catching up failed: what was appended
        // was appended, and saying otherwise would send its client off to retry for nothing.
        for ((waiting, aggregate, event), outcome) in answers.into_iter().zip(outcomes) {
            let reply = self.reply_for(&waiting, &aggregate, event, outcome);
            respond(&waiting.reply_to, &reply).await;
        }
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

/// Who sent a command, as the command table keeps it: a person's id, or `service:<name>` (ids
/// cannot hold a colon, so the two never meet).
fn actor_key(actor: &Actor) -> String {
    match actor {
        Actor::Person(person) => person.as_str().to_owned(),
        Actor::Service(name) => format!("service:{name}"),
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

fn failed(kind: FailureKind, message: String) -> Reply {
    Reply::failed(kind, message)
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
async fn respond(to: &async_nats::service::Request, reply: &Reply) {
    if let Err(e) = reply.send(to).await {
        tracing::warn!(error = %e, "could not send a reply");
    }
}
