//! Deciding every signed command again: what makes the log hold against an insider.
//!
//! A signature proves that a person asked for something; it does not prove that the event
//! beside it is what they asked for. Someone with the services' broker credentials can append
//! an event that staples a real signed request to another outcome (a final score of 99.99
//! beside a request for 7.60, a key of their own beside an administrator's request to register
//! someone else's). So the auditor runs each person's signed request through the same pure
//! [`Decider::decide`] the service ran, on the state the log before the event gives, and
//! requires the event in the log to be exactly the one it decides.
//!
//! Each service's decider is a [`Judge`] here. The state each judge keeps is the one the
//! service keeps, built by the same `apply` from the same events; an event found forged is not
//! applied (it is not honoured), so nothing decided after it can rest on it.

use super::decided::{decided_by_a_service, Mismatch};
use super::Problem;
use crate::command::Request;
use crate::envelope::{Actor, Record};
use crate::event::Event;
use crate::service::{Context, Decider};

/// One service's decider as the auditor runs it.
pub trait Judge: Send + std::fmt::Debug {
    /// The service whose requests this judge decides (`par.cmd.<service>`): the name of the
    /// family of events it records.
    fn service(&self) -> &'static str;
    /// Applies an event of the log, as the service does.
    fn apply(&mut self, record: &Record);
    /// Decides the event's signed request again on the state before it.
    fn redecide(&self, record: &Record, request: &[u8]) -> Result<(), Mismatch>;
}

/// A service's decider as a [`Judge`].
#[derive(Debug)]
pub struct Bench<D>(pub D);

impl<D: Decider + std::fmt::Debug> Judge for Bench<D> {
    fn service(&self) -> &'static str {
        D::NAME
    }

    fn apply(&mut self, record: &Record) {
        self.0.apply(record);
    }

    fn redecide(&self, record: &Record, request: &[u8]) -> Result<(), Mismatch> {
        decided_by(D::NAME, record, request, |command: &D::Command, context| {
            self.0.decide(command, context)
        })
    }
}

/// Whether `decide`, given the command `request` holds and the context it had when recorded,
/// gives exactly `record`'s event: the check of [`Judge::redecide`], for any decision
/// function (a service's rules over a part of its state, say).
pub fn decided_by<C: serde::de::DeserializeOwned, E: std::fmt::Display>(
    service: &'static str,
    record: &Record,
    request: &[u8],
    decide: impl FnOnce(&C, &Context) -> Result<Event, E>,
) -> Result<(), Mismatch> {
    let envelope = &record.envelope;
    let request: Request<C> = serde_json::from_slice(request)
        .map_err(|e| Mismatch::Unreadable { service, detail: e.to_string() })?;
    let context = Context::of(&request, envelope.recorded_at).map_err(Mismatch::Context)?;
    if context.occurred_at != envelope.occurred_at {
        return Err(Mismatch::BusinessTime {
            decided: context.occurred_at.to_rfc3339(),
            recorded: envelope.occurred_at.to_rfc3339(),
        });
    }
    let decided = decide(&request.command, &context)
        .map_err(|refusal| Mismatch::Refused(refusal.to_string()))?;
    if decided != envelope.event {
        let (decided, recorded) = differences(&decided, &envelope.event);
        return Err(Mismatch::Differs { decided, recorded });
    }
    Ok(())
}

/// Every service's judge: the auditor's copy of the command side.
#[derive(Debug, Default)]
pub struct Redecider {
    judges: Vec<Box<dyn Judge>>,
}

impl Redecider {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a service's decider, in the state a fresh service starts in.
    pub fn with(mut self, judge: impl Judge + 'static) -> Self {
        self.judges.push(Box::new(judge));
        self
    }

    /// Decides a person's signed event again; `Ok` for events no person signed.
    pub fn redecide(&self, record: &Record) -> Result<(), Mismatch> {
        let envelope = &record.envelope;
        let (Actor::Person(_), Some(signature)) = (&envelope.actor, &envelope.signature) else {
            return Ok(());
        };
        if !decided_by_a_service(&envelope.event) {
            return Ok(()); // the verifier checks the genesis by its own rules
        }
        let service = envelope.event.family().as_str();
        let judge = self.judges.iter().find(|j| j.service() == service);
        let judge =
            judge.ok_or_else(|| Mismatch::NoService(crate::subject::command_subject(service)))?;
        judge.redecide(record, &signature.request)
    }

    /// Applies an event every service would apply.
    pub fn apply(&mut self, record: &Record) {
        self.judges.iter_mut().for_each(|j| j.apply(record));
    }

    /// Whether any service is judged: an empty redecider checks nothing.
    pub fn is_empty(&self) -> bool {
        self.judges.is_empty()
    }
}

/// The two events side by side, only where they differ: `final score 7.60` against `99.99`
/// reads better than two whole events.
fn differences(decided: &Event, recorded: &Event) -> (String, String) {
    if decided.type_name() != recorded.type_name() {
        return (decided.type_name().to_owned(), recorded.type_name().to_owned());
    }
    let fields = |e: &Event| match serde_json::to_value(e) {
        Ok(serde_json::Value::Object(outer)) => match outer.into_iter().next() {
            Some((_, serde_json::Value::Object(inner))) => inner,
            _ => serde_json::Map::new(),
        },
        _ => serde_json::Map::new(),
    };
    let (a, b) = (fields(decided), fields(recorded));
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    let null = serde_json::Value::Null;
    let differing: Vec<&String> = names
        .into_iter()
        .filter(|n| a.get(*n).unwrap_or(&null) != b.get(*n).unwrap_or(&null))
        .collect();
    let show = |m: &serde_json::Map<String, serde_json::Value>| {
        let parts: Vec<String> =
            differing.iter().map(|n| format!("{n} {}", m.get(*n).unwrap_or(&null))).collect();
        format!("{} with {}", decided.type_name(), parts.join(", "))
    };
    (show(&a), show(&b))
}

/// A problem at `sequence` saying which command a forged event claims and what differs.
pub(super) fn problem(sequence: u64, record: &Record, mismatch: &Mismatch) -> Problem {
    let envelope = &record.envelope;
    Problem {
        sequence,
        what: format!(
            "{} by {} (command {}) is not what its signed command decides: {mismatch}",
            envelope.event.type_name(),
            envelope.actor,
            envelope.command_id
        ),
    }
}
