//! Schema version 1, frozen. Version 1 was the first cut of the envelope, without the slot for
//! the issuer's signature; version 2 added it. The event enum has only grown at its end since
//! v1 (v3 appended the identity events), and postcard writes a variant's index, so every v1
//! event still decodes as [`Event`]. The day a released variant changes, its old shape is
//! copied here first, so that these bytes keep decoding exactly as they were written.

use crate::envelope::{Actor, ChainLink, Envelope, EventId};
use crate::event::Event;
use crate::ids::CommandId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeV1 {
    pub event_id: EventId,
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    pub actor: Actor,
    pub command_id: CommandId,
    pub chain: ChainLink,
    pub event: Event,
}

/// v1 → current: a v1 event was never signed.
pub fn upcast(v1: EnvelopeV1) -> Envelope {
    Envelope {
        event_id: v1.event_id,
        occurred_at: v1.occurred_at,
        recorded_at: v1.recorded_at,
        actor: v1.actor,
        command_id: v1.command_id,
        chain: v1.chain,
        signature: None,
        event: v1.event,
    }
}
