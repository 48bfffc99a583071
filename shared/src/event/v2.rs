//! Schema version 2, frozen: the envelope with a signature slot that held only the key and the
//! signature bytes. No released build ever filled it; version 3 added the signed request
//! itself, so an auditor can re-check a signature from the log alone.

use crate::envelope::{Actor, ChainLink, Envelope, EventId, Signature, SignatureAlgorithm};
use crate::event::Event;
use crate::ids::CommandId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureV2 {
    pub key_id: String,
    pub algorithm: SignatureAlgorithm,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeV2 {
    pub event_id: EventId,
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    pub actor: Actor,
    pub command_id: CommandId,
    pub chain: ChainLink,
    pub signature: Option<SignatureV2>,
    pub event: Event,
}

/// v2 → current. A v2 signature (never written by a release) carries no request, so it can
/// never check: `audit verify` reports it.
pub fn upcast(v2: EnvelopeV2) -> Envelope {
    Envelope {
        event_id: v2.event_id,
        occurred_at: v2.occurred_at,
        recorded_at: v2.recorded_at,
        actor: v2.actor,
        command_id: v2.command_id,
        chain: v2.chain,
        signature: v2.signature.map(|s| Signature {
            key: s.key_id,
            algorithm: s.algorithm,
            bytes: s.bytes,
            request: Vec::new(),
        }),
        event: v2.event,
    }
}
