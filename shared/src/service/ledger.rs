//! The command-id ledger: the decider's state plus what the runtime keeps for every service
//! alike (each command id's first answer, each aggregate's tip), applied from the log and, with
//! a state file, flushed to it and snapshotted now and then.

use super::health::HealthCell;
use super::statefile::{FirstEvent, Pending, Snapshot, StateFile};
use super::Decider;
use crate::append::Tip;
use crate::audit::decided::Mismatch;
use crate::audit::recorder::{self, Standing, Unsigned};
use crate::command::{Accepted, FailureKind, Reply};
use crate::envelope::{Actor, Record};
use crate::event::Family;
use crate::ids::CommandId;

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
    /// Whether a person's directory event, or one of the service's own kind, without a
    /// signature is honoured.
    unsigned: Unsigned,
    /// Where an event not honoured is told.
    health: HealthCell,
    /// What this process appended and has not read back yet, by sequence: its signature was
    /// checked when its request came in, so reading it back checks that again only if the
    /// message there is not it.
    appended_here: std::collections::BTreeMap<u64, Decision>,
}

/// What a command decided, as appended: the message read back at its sequence must be this
/// (an acknowledgement names a sequence, and anyone on the services' inboxes could send one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Decision {
    command_id: CommandId,
    actor: Actor,
    event: crate::event::Event,
}

impl Decision {
    /// As `batch`'s draft records it.
    pub(super) fn of(context: &super::Context, event: &crate::event::Event) -> Self {
        let actor = Actor::Person(context.actor.clone());
        Decision { command_id: context.command_id.clone(), actor, event: event.clone() }
    }

    pub(super) fn event(&self) -> &crate::event::Event {
        &self.event
    }

    fn is(&self, record: &Record) -> bool {
        let envelope = &record.envelope;
        (&envelope.command_id, &envelope.actor, &envelope.event)
            == (&self.command_id, &self.actor, &self.event)
    }
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
            appended_here: std::collections::BTreeMap::new(),
        }
    }

    /// Notes that this process appended `decision` at `sequence`: reading it back need not
    /// check its signature again.
    pub(super) fn appended(&mut self, sequence: u64, decision: Decision) {
        if sequence > self.applied_through {
            self.appended_here.insert(sequence, decision);
        }
    }

    /// This ledger, honouring a person's unsigned event as `unsigned` says, and
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
    pub(super) fn skip(&mut self, sequence: u64) {
        self.appended_here.remove(&sequence);
        self.applied_through = sequence;
    }

    pub(super) fn apply(&mut self, sequence: u64, record: &Record) {
        let envelope = &record.envelope;
        let ours = self.appended_here.remove(&sequence).is_some_and(|d| d.is(record));
        if self.honoured(sequence, record, ours) {
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

    /// Whether a read event is honoured. A person's directory event (where every right comes
    /// from) and a person's event of this service's own kind must be recorded by someone who
    /// could ([`recorder::check`], as `audit verify` checks it) and be what its signed request
    /// decides on the state before it: the directory's by [`Decider::DIRECTORY_RULES`], this
    /// service's own by its own `decide`. One that is not is not applied, and its command id
    /// is left to the command's real event: someone with the services' credentials cannot give
    /// themself a key or a right, nor make a service decide on a task, a document or a score
    /// no signed command decided. Other services' events are applied as read; their own
    /// services and `audit verify` judge them.
    ///
    /// What this process appended is judged the same way, on the log before it, so that every
    /// replica and the auditor judge each event alike even when another service's event landed
    /// between a decision and its append; only its signature, checked when the request came
    /// in, is not checked again (`ours`).
    fn honoured(&self, sequence: u64, record: &Record, ours: bool) -> bool {
        let envelope = &record.envelope;
        let family = envelope.event.family();
        let own = family.as_str() == D::NAME;
        if family != Family::Directory && !own {
            return true;
        }
        let directory = self.decider.directory();
        let signed = ours.then_some(Ok(()));
        let checked = recorder::check(directory, envelope, signed, self.unsigned);
        let outcome = checked.and_then(|standing| {
            let signature = envelope.signature.as_ref();
            let decided = crate::audit::decided::decided_by_a_service(&envelope.event);
            match (standing, signature) {
                (Standing::Signed, Some(signature)) if decided => {
                    self.request_decides(record, &signature.request).map_err(|m| m.to_string())
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

    /// Whether a person's signed event is what its request decides on the state before it.
    fn request_decides(&self, record: &Record, request: &[u8]) -> Result<(), Mismatch> {
        if record.envelope.event.family() == Family::Directory {
            return match D::DIRECTORY_RULES {
                Some(rules) => rules(self.decider.directory(), record, request),
                None => Ok(()),
            };
        }
        crate::audit::redecide::decided_by(D::NAME, record, request, |command, context| {
            self.decider.decide(command, context)
        })
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
    pub(super) fn first_answer(&self, command_id: &CommandId, actor: &str) -> Option<Reply> {
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
    pub(super) fn tip(&self, aggregate: &str) -> Option<Tip> {
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

/// Who sent a command, as the command table keeps it: a person's id, or `service:<name>` (ids
/// cannot hold a colon, so the two never meet).
pub(super) fn actor_key(actor: &Actor) -> String {
    match actor {
        Actor::Person(person) => person.as_str().to_owned(),
        Actor::Service(name) => format!("service:{name}"),
    }
}

pub(super) fn failed(kind: FailureKind, message: String) -> Reply {
    Reply::failed(kind, message)
}

#[cfg(test)]
mod tests {
    use super::Decision;
    use crate::envelope::Actor;
    use crate::testkit::events::assign;
    use crate::testkit::{context, date, id, record};

    /// Reading back what it appended, a service skips the signature's check only for the very
    /// message it decided: an acknowledgement that names another's sequence, or a duplicate's,
    /// does not make that message its own.
    #[test]
    fn a_decision_is_only_the_message_that_records_it() {
        let event = assign("t1", "sgd", "Rà soát", "2016-12-31");
        let mut mine = record(date("2016-03-01"), event.clone());
        mine.envelope.command_id = id("c1");
        mine.envelope.actor = Actor::Person(id("lan"));
        let decision = Decision::of(&context("lan", "2016-03-01"), &event);
        assert!(decision.is(&mine));

        let mut other_outcome = mine.clone();
        other_outcome.envelope.event = assign("t2", "sgd", "Rà soát", "2016-12-31");
        let mut other_actor = mine.clone();
        other_actor.envelope.actor = Actor::Person(id("mallory"));
        let mut other_command = mine.clone();
        other_command.envelope.command_id = id("c2");
        for (what, record) in
            [("outcome", other_outcome), ("actor", other_actor), ("command", other_command)]
        {
            assert!(!decision.is(&record), "another {what} is not this decision");
        }
    }
}
