//! People's signatures on their requests.
//!
//! A client signs the exact bytes it sends: the request's JSON (command id, actor, business
//! date and the command), bound to the endpoint it is sent to, so a request signed for one
//! service can never be replayed to another. The signature and the signer's public key travel
//! in NATS headers beside the JSON, and the service copies all three (key, signature, request
//! bytes) into the event's envelope. An auditor then re-checks, from the log alone, that the
//! person signed the request the event came from.
//!
//! Keys are nkeys user keys (ed25519, `U…`), the same format NATS uses for its own identities,
//! or passkeys (`webauthn:…`), whose assertions sign the same bytes through their challenge
//! ([`crate::passkey`]): a person in a browser signs exactly what `reformctl` would.

use crate::envelope::{Signature, SignatureAlgorithm};
use crate::event::{Event, Family};
use crate::ids::{CommandId, PersonId};
use crate::time::Date;
use serde::Deserialize;

/// The header with the signer's public key.
pub const KEY_HEADER: &str = "Par-Key";
/// The header with the signature, in hex.
pub const SIGNATURE_HEADER: &str = "Par-Signature";
/// The endpoint name the genesis step signs for: it is no service's command.
pub const GENESIS_ENDPOINT: &str = "par.genesis";
/// Separates these signatures from any other use of the same key.
const DOMAIN: &[u8] = b"par-request-v1\n";

/// What is signed: a domain tag, the endpoint and the request bytes.
pub fn signed_message(endpoint: &str, request: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(DOMAIN.len() + endpoint.len() + 1 + request.len());
    message.extend_from_slice(DOMAIN);
    message.extend_from_slice(endpoint.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(request);
    message
}

/// Why a signature does not check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error(
        "the request is not signed: every command carries the signer's key ({KEY_HEADER}) and \
         signature ({SIGNATURE_HEADER}); reformctl signs with --key FILE (or PAR_KEY)"
    )]
    Missing,
    #[error("{key:?} is not a public user key: {detail}")]
    BadKey { key: String, detail: String },
    #[error("the signature is not {SIGNATURE_HEADER}'s 64 bytes in hex")]
    Malformed,
    #[error(
        "the signature does not match the request and key {key}: the request was altered or \
         signed with another key"
    )]
    Mismatch { key: String },
    #[error("the passkey's assertion does not check: {0}")]
    Passkey(#[from] crate::passkey::PasskeyError),
    #[error("the event carries no signed request (written before requests were signed)")]
    NoRequest,
    #[error("the signed request names {what} {signed}, but the event records {recorded}")]
    Differs { what: &'static str, signed: String, recorded: String },
    #[error("the signed request is not a readable request: {0}")]
    Unreadable(String),
}

/// The prefix of the reasons a refused signature gives ([`crate::reply::Reason`]).
pub const REASON_PREFIX: &str = "signature";

/// Every code [`SignError::reason`] gives, for the wording table's check.
pub const REASON_CODES: [&str; 13] = [
    "missing",
    "bad-key",
    "malformed",
    "mismatch",
    "no-request",
    "differs",
    "unreadable",
    "passkey-unreadable",
    "passkey-wrong-challenge",
    "passkey-wrong-site",
    "passkey-not-present",
    "passkey-mismatch",
    "passkey-bad-key",
];

impl SignError {
    /// This refusal for an edge to word: `signature.<code>`.
    pub fn reason(&self) -> crate::reply::Reason {
        use crate::passkey::PasskeyError as P;
        let code = match self {
            SignError::Missing => "missing",
            SignError::BadKey { .. } => "bad-key",
            SignError::Malformed => "malformed",
            SignError::Mismatch { .. } => "mismatch",
            SignError::NoRequest => "no-request",
            SignError::Differs { .. } => "differs",
            SignError::Unreadable(_) => "unreadable",
            SignError::Passkey(P::Unreadable(_) | P::BadCredential(_)) => "passkey-unreadable",
            SignError::Passkey(P::WrongType { .. } | P::WrongChallenge) => {
                "passkey-wrong-challenge"
            }
            SignError::Passkey(P::WrongOrigin { .. } | P::CrossOrigin | P::WrongSite { .. }) => {
                "passkey-wrong-site"
            }
            SignError::Passkey(P::NotPresent) => "passkey-not-present",
            SignError::Passkey(P::Mismatch) => "passkey-mismatch",
            SignError::Passkey(P::BadKey(_) | P::UnsupportedKey) => "passkey-bad-key",
        };
        crate::reply::Reason { code: format!("{REASON_PREFIX}.{code}"), params: Default::default() }
    }
}

/// Signs `request` for `endpoint`: the key and the signature, for the headers.
pub fn sign(key: &nkeys::KeyPair, endpoint: &str, request: &[u8]) -> Result<Signature, SignError> {
    let bytes = key
        .sign(&signed_message(endpoint, request))
        .map_err(|e| SignError::BadKey { key: key.public_key(), detail: e.to_string() })?;
    Ok(Signature {
        key: key.public_key(),
        algorithm: SignatureAlgorithm::Ed25519,
        bytes,
        request: request.to_vec(),
    })
}

/// Checks a signature over `signature.request` for `endpoint`.
pub fn check(endpoint: &str, signature: &Signature) -> Result<(), SignError> {
    let key = &signature.key;
    let message = signed_message(endpoint, &signature.request);
    if signature.algorithm == SignatureAlgorithm::WebAuthn {
        let assertion = crate::passkey::Assertion::from_bytes(&signature.bytes)?;
        return Ok(crate::passkey::check(key, &message, &assertion)?);
    }
    if !key.starts_with('U') {
        return Err(SignError::BadKey { key: key.clone(), detail: "not a user key (U…)".into() });
    }
    let verifier = nkeys::KeyPair::from_public_key(key)
        .map_err(|e| SignError::BadKey { key: key.clone(), detail: e.to_string() })?;
    if signature.bytes.len() != 64 {
        return Err(SignError::Malformed);
    }
    verifier
        .verify(&message, &signature.bytes)
        .map_err(|_| SignError::Mismatch { key: key.clone() })
}

/// Reads the signature headers of a request whose body is `request`.
pub fn from_headers(
    headers: Option<&async_nats::HeaderMap>,
    request: &[u8],
) -> Result<Signature, SignError> {
    let value = |name: &str| headers.and_then(|h| h.get(name)).map(|v| v.as_str().to_owned());
    let (Some(key), Some(hex_signature)) = (value(KEY_HEADER), value(SIGNATURE_HEADER)) else {
        return Err(SignError::Missing);
    };
    let bytes = hex::decode(hex_signature.trim()).map_err(|_| SignError::Malformed)?;
    let algorithm = if key.starts_with(crate::passkey::KEY_PREFIX) {
        SignatureAlgorithm::WebAuthn
    } else {
        SignatureAlgorithm::Ed25519
    };
    Ok(Signature { key, algorithm, bytes, request: request.to_vec() })
}

/// The headers that carry a signature.
pub fn headers(signature: &Signature) -> async_nats::HeaderMap {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(KEY_HEADER, signature.key.as_str());
    headers.insert(SIGNATURE_HEADER, hex::encode(&signature.bytes).as_str());
    headers
}

/// The endpoint whose commands append events of `event`'s kind.
pub fn endpoint_of(event: &Event) -> Option<String> {
    if matches!(event, Event::Genesis { .. }) {
        return Some(GENESIS_ENDPOINT.to_owned());
    }
    match event.family() {
        Family::Rollup => None,
        family => Some(crate::subject::command_subject(family.as_str())),
    }
}

/// The part of a request an auditor compares with the envelope.
#[derive(Debug, Deserialize)]
struct RequestHead {
    command_id: CommandId,
    actor: PersonId,
    #[serde(default)]
    occurred_on: Option<Date>,
}

/// Checks that a signed request is the one an event came from: the signature holds for the
/// event's endpoint, and the request names the envelope's command id and actor (and, when it
/// names one, the business date of the event's business time).
pub fn check_event(
    signature: &Signature,
    event: &Event,
    command_id: &CommandId,
    actor: &PersonId,
    occurred_on: Option<Date>,
) -> Result<(), SignError> {
    let endpoint = endpoint_of(event).ok_or(SignError::NoRequest)?;
    if signature.request.is_empty() {
        return Err(SignError::NoRequest);
    }
    check(&endpoint, signature)?;
    let head: RequestHead = serde_json::from_slice(&signature.request)
        .map_err(|e| SignError::Unreadable(e.to_string()))?;
    let differs = |what, signed: &dyn std::fmt::Display, recorded: &dyn std::fmt::Display| {
        Err(SignError::Differs { what, signed: signed.to_string(), recorded: recorded.to_string() })
    };
    if &head.command_id != command_id {
        return differs("command id", &head.command_id, command_id);
    }
    if &head.actor != actor {
        return differs("actor", &head.actor, actor);
    }
    if let (Some(signed), Some(recorded)) = (head.occurred_on, occurred_on) {
        if signed != recorded {
            return differs("business date", &signed, &recorded);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_only_for_its_bytes_its_endpoint_and_its_key() {
        let key = nkeys::KeyPair::new_user();
        let request = br#"{"command_id":"c1","actor":"lan","command":{}}"#;
        let signature = sign(&key, "par.cmd.tasks", request).expect("signs");
        check("par.cmd.tasks", &signature).expect("holds");
        assert!(matches!(check("par.cmd.scoring", &signature), Err(SignError::Mismatch { .. })));
        let mut altered = signature.clone();
        altered.request[3] ^= 1;
        assert!(matches!(check("par.cmd.tasks", &altered), Err(SignError::Mismatch { .. })));
        let mut other = signature.clone();
        other.key = nkeys::KeyPair::new_user().public_key();
        assert!(matches!(check("par.cmd.tasks", &other), Err(SignError::Mismatch { .. })));
        let mut account = signature;
        account.key = nkeys::KeyPair::new_account().public_key();
        assert!(matches!(check("par.cmd.tasks", &account), Err(SignError::BadKey { .. })));
    }

    #[test]
    fn missing_or_garbled_headers_are_named() {
        assert_eq!(from_headers(None, b"{}"), Err(SignError::Missing));
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(KEY_HEADER, "UABC");
        headers.insert(SIGNATURE_HEADER, "not hex");
        assert_eq!(from_headers(Some(&headers), b"{}"), Err(SignError::Malformed));
    }
}
