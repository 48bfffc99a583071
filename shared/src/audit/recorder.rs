//! Who recorded an event, and whether they could: the one rule the auditor and every service's
//! reader apply alike, so what `audit verify` reports is also what the services do not honour.
//!
//! A service's event must be one only a service records. A person's event must carry the
//! request they signed (unless unsigned events are allowed), the signature must hold for it and
//! name the event's command id, actor and business date, the key must be the actor's and valid
//! in the directory before the event, and the access table must allow the actor to record it.

use crate::access::{self, Days, Rule};
use crate::directory::Directory;
use crate::envelope::{Actor, Envelope, Signature};
use crate::ids::PersonId;
use crate::sign::SignError;

/// Whether a person's event without a signature is taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Unsigned {
    /// Every person's event must be signed: the default for a log written by this version.
    #[default]
    Refused,
    /// Taken, and counted: for history written before requests were signed, or by a tool
    /// that appends on people's behalf (tests, imports).
    Allowed,
}

/// Where an event stands once its recorder is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// A person's event, signed, with a valid key and the access table's leave.
    Signed,
    /// A person's event without a signature, allowed by the reader's setting.
    Unsigned,
    /// A service's own event.
    Service,
}

/// Whether the signature holds for the request, and the request is the event's: what a
/// message allows on its own, so the verifier works it out on every core first.
pub fn signed_request(
    envelope: &Envelope,
    person: &PersonId,
    signature: &Signature,
) -> Result<(), SignError> {
    let occurred = envelope.occurred_at.vietnam_date();
    crate::sign::check_event(
        signature,
        &envelope.event,
        &envelope.command_id,
        person,
        occurred.filter(|_| envelope.occurred_at != envelope.recorded_at),
    )
}

/// Checks who recorded `envelope`'s event against `directory`, the directory before it.
/// `signed` is [`signed_request`]'s answer when already worked out. The error says why, for a
/// person to read.
pub fn check(
    directory: &Directory,
    envelope: &Envelope,
    signed: Option<Result<(), SignError>>,
    unsigned: Unsigned,
) -> Result<Standing, String> {
    let event = &envelope.event;
    let what = event.type_name();
    let person = match &envelope.actor {
        Actor::Service(_) if access::rule(event) == Rule::Service => return Ok(Standing::Service),
        Actor::Service(name) => {
            return Err(format!(
                "the service {name:?} recorded {what}, which only a person may record, signed"
            ))
        }
        Actor::Person(person) => person,
    };
    let Some(signature) = &envelope.signature else {
        return match unsigned {
            Unsigned::Allowed => Ok(Standing::Unsigned),
            Unsigned::Refused => Err(format!(
                "{what} by {person} carries no signature: no signed request stands behind it"
            )),
        };
    };
    let signed = signed.unwrap_or_else(|| signed_request(envelope, person, signature));
    signed.map_err(|e| format!("{what} by {person}: {e}"))?;
    let key_ok = match access::registers_own_key(event) {
        // The genesis and an enrolment register their own key: it must be the one that signed.
        Some(key) if key == signature.key => Ok(()),
        Some(_) => Err(format!("{what} is signed with a key other than the one it registers")),
        None => directory.check_signer(person, &signature.key).map_err(|e| e.to_string()),
    };
    key_ok.map_err(|e| format!("{what} by {person}: {e}"))?;
    let (Some(occurred), Some(recorded)) =
        (envelope.occurred_at.vietnam_date(), envelope.recorded_at.vietnam_date())
    else {
        return Err(format!("{what} by {person}: its times are outside the calendar"));
    };
    access::permits(directory, person, event, Days { occurred, recorded })
        .map_err(|e| format!("the access table did not allow it: {e}"))?;
    Ok(Standing::Signed)
}
