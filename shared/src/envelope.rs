//! The envelope every event travels in: identity, the two times, who and which command, the
//! integrity chain link and room for the issuer's signature.
//!
//! Integrity has two layers. Each message ends with the SHA-256 of everything before it (see
//! [`crate::codec`]), which catches a changed byte. Each envelope also names its aggregate, its
//! version within that aggregate and the digest of the aggregate's previous event, so an
//! auditor walking the log can tell a changed event (the next link no longer matches), a
//! removed one (a version is missing) and a reordered one (versions out of order), without
//! trusting the broker.

use crate::event::{Event, Sha256};
use crate::ids::{CommandId, PersonId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// An event's id: derived from the command id, so every retry of a command builds the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventId(pub [u8; 16]);

impl EventId {
    pub fn for_command(command: &CommandId) -> Self {
        let digest = sha2::Sha256::new()
            .chain_update(b"par-event-id\0")
            .chain_update(command.as_str().as_bytes())
            .finalize();
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        Self(id)
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    /// A person acting through the CLI or another client.
    Person(PersonId),
    /// A service acting on its own, such as the rollup closing a period.
    Service(String),
}

impl std::fmt::Display for Actor {
    /// The person's id, or the service's name, as registers and audits show who recorded it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Person(person) => write!(f, "{person}"),
            Actor::Service(name) => f.write_str(name),
        }
    }
}

/// The link of an event in its aggregate's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLink {
    /// The aggregate's key, e.g. `tasks/task/t1` (see [`crate::subject::Aggregate::chain_key`]).
    pub aggregate: String,
    /// 1 for the aggregate's first event, then one more for each.
    pub version: u64,
    /// The message digest of the aggregate's previous event; all zeros for version 1.
    pub previous: Sha256,
}

impl ChainLink {
    pub fn first(aggregate: String) -> Self {
        Self { aggregate, version: 1, previous: [0; 32] }
    }
}

/// Algorithms a command signature may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignatureAlgorithm {
    Ed25519,
    /// A passkey's WebAuthn assertion ([`crate::passkey`]); appended, so older bytes keep
    /// their index.
    WebAuthn,
}

/// The signature of the person who issued the command, with the exact request they signed,
/// so an auditor re-checks it from the log alone (see [`crate::sign`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// The signer's public key: an nkeys user key (`U…`) or a passkey
    /// (`webauthn:…`, [`crate::passkey`]).
    pub key: String,
    pub algorithm: SignatureAlgorithm,
    /// The signature over [`crate::sign::signed_message`] of the endpoint and `request`; for
    /// a passkey, the whole assertion ([`crate::passkey::Assertion::to_bytes`]).
    pub bytes: Vec<u8>,
    /// The request as it came over the wire, byte for byte (JSON).
    pub request: Vec<u8>,
}

/// The current envelope (schema version 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub event_id: EventId,
    /// Business time: when it happened in the world. Views attribute by this.
    pub occurred_at: Timestamp,
    /// When the service recorded it. Audits "as known at" use this.
    pub recorded_at: Timestamp,
    pub actor: Actor,
    pub command_id: CommandId,
    pub chain: ChainLink,
    pub signature: Option<Signature>,
    pub event: Event,
}

/// A decoded message: the envelope (upcast to the current version), the version it was
/// written in, and its message digest (over the bytes as written, so upcasting never changes
/// what an auditor checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub envelope: Envelope,
    pub schema_version: u16,
    pub digest: Sha256,
}
