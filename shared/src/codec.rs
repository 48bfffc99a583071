//! The bytes of a message on the stream:
//!
//! ```text
//! varint schema_version | postcard(envelope of that version) | SHA-256 of all bytes before it
//! ```
//!
//! Decoding never panics: garbage, truncation, a digest that does not match, an unknown or
//! future version each give their own [`DecodeError`]. Old versions are read through explicit
//! upcasts, because the log is kept forever.

use crate::envelope::{Envelope, Record};
use crate::event::{v1, v2, Sha256};
use serde::de::DeserializeOwned;
use sha2::Digest as _;

/// The schema version this build writes.
pub const SCHEMA_VERSION_CURRENT: u16 = 3;
/// The oldest schema version this build still reads.
pub const SCHEMA_VERSION_OLDEST: u16 = 1;
/// The largest encoded event we write or read. Evidence files live in the object store, so an
/// event is small; the largest, a published framework, is a few tens of kilobytes.
pub const EVENT_BYTES_MAX: usize = 256 * 1024;

const DIGEST_BYTES: usize = 32;

/// Why bytes are not a readable event. Each variant names the problem for an operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("message is empty")]
    Empty,
    #[error("message of {bytes} bytes is larger than the {EVENT_BYTES_MAX} bytes an event may be")]
    TooLarge { bytes: usize },
    #[error("message has no readable schema version at its start")]
    NoVersion,
    #[error(
        "schema version {found} is newer than this build reads (up to {SCHEMA_VERSION_CURRENT}); \
         upgrade before reading this log"
    )]
    FutureVersion { found: u16 },
    #[error("schema version {found} was never issued (oldest is {SCHEMA_VERSION_OLDEST})")]
    UnknownVersion { found: u16 },
    #[error(
        "message is damaged: {bytes} bytes are too few to hold an envelope and its digest \
         (truncated, or not an event)"
    )]
    Truncated { bytes: usize },
    #[error(
        "message is damaged: its digest does not match its content (altered, corrupted, or not \
         an event written by this system)"
    )]
    DigestMismatch,
    #[error("schema v{version} envelope is malformed: {detail}")]
    Malformed { version: u16, detail: String },
    #[error("schema v{version} envelope is followed by {extra} stray bytes")]
    TrailingBytes { version: u16, extra: usize },
    #[error(
        "schema v{version} envelope is not in its one canonical encoding (over-long numbers): \
         not written by this system"
    )]
    NotCanonical { version: u16 },
}

/// Why an envelope could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("postcard could not encode the envelope: {0}")]
    Postcard(#[source] postcard::Error),
    #[error("encoded event is {bytes} bytes, over the {EVENT_BYTES_MAX} allowed")]
    TooLarge { bytes: usize },
}

/// Encodes an envelope at the current schema version; returns the bytes and their digest.
pub fn encode(envelope: &Envelope) -> Result<(Vec<u8>, Sha256), EncodeError> {
    encode_versioned(SCHEMA_VERSION_CURRENT, envelope)
}

/// Encodes any serialisable envelope shape under the given version number. Public so that
/// golden fixtures of old versions can be produced by the frozen types.
pub fn encode_versioned<T: serde::Serialize>(
    version: u16,
    envelope: &T,
) -> Result<(Vec<u8>, Sha256), EncodeError> {
    let mut bytes = postcard::to_stdvec(&version).map_err(EncodeError::Postcard)?;
    let body = postcard::to_stdvec(envelope).map_err(EncodeError::Postcard)?;
    bytes.extend_from_slice(&body);
    let digest: Sha256 = sha2::Sha256::digest(&bytes).into();
    bytes.extend_from_slice(&digest);
    if bytes.len() > EVENT_BYTES_MAX {
        return Err(EncodeError::TooLarge { bytes: bytes.len() });
    }
    Ok((bytes, digest))
}

/// Decodes a message, checking its digest and upcasting old versions.
///
/// The digest is checked before anything in the message is read: garbage and flipped bits are
/// reported as damaged bytes, never as a schema version this build does not know, so only an
/// intact message written by a newer build says "upgrade".
pub fn decode(bytes: &[u8]) -> Result<Record, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() > EVENT_BYTES_MAX {
        return Err(DecodeError::TooLarge { bytes: bytes.len() });
    }
    let digest = check_digest(bytes)?;
    let content = &bytes[..bytes.len() - DIGEST_BYTES];
    let (version, body) =
        postcard::take_from_bytes::<u16>(content).map_err(|_| DecodeError::NoVersion)?;
    if version > SCHEMA_VERSION_CURRENT {
        return Err(DecodeError::FutureVersion { found: version });
    }
    if version < SCHEMA_VERSION_OLDEST {
        return Err(DecodeError::UnknownVersion { found: version });
    }
    let envelope = match version {
        1 => v1::upcast(decode_body::<v1::EnvelopeV1>(version, body)?),
        2 => v2::upcast(decode_body::<v2::EnvelopeV2>(version, body)?),
        _ => decode_body::<Envelope>(version, body)?,
    };
    Ok(Record { envelope, schema_version: version, digest })
}

fn check_digest(bytes: &[u8]) -> Result<Sha256, DecodeError> {
    // The shortest possible envelope is far more than one byte; 2 leaves room for version+body.
    if bytes.len() < DIGEST_BYTES + 2 {
        return Err(DecodeError::Truncated { bytes: bytes.len() });
    }
    let (content, stored) = bytes.split_at(bytes.len() - DIGEST_BYTES);
    let computed: Sha256 = sha2::Sha256::digest(content).into();
    if computed.as_slice() != stored {
        return Err(DecodeError::DigestMismatch);
    }
    Ok(computed)
}

/// Decodes a body and checks that it is the one encoding of what it decodes to. postcard reads
/// over-long varints (`d4 00` as `54`), so without this one envelope would have several
/// accepted byte forms, each with a digest of its own; this build writes only the canonical
/// one, so any other form was made by hand (found by fuzzing).
fn decode_body<T: DeserializeOwned + serde::Serialize>(
    version: u16,
    body: &[u8],
) -> Result<T, DecodeError> {
    let (value, rest) = postcard::take_from_bytes::<T>(body)
        .map_err(|e| DecodeError::Malformed { version, detail: e.to_string() })?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes { version, extra: rest.len() });
    }
    match postcard::to_stdvec(&value) {
        Ok(canonical) if canonical == body => Ok(value),
        _ => Err(DecodeError::NotCanonical { version }),
    }
}
