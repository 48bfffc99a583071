//! The one way to read the log: every service, the projector, the rollup, the audit tools and
//! the CLI read the event stream through this module, so an unreadable event means the same
//! thing to each of them.
//!
//! - [`range`]: a bounded read of the stream (everything through a head, or the events on some
//!   subjects), as stored ([`read_raw`]) or decoded ([`read`]).
//! - The readers that follow the stream for good (the command services' follower in
//!   `service`, the projector's durable consumer) come back after a broker fault with
//!   [`Backoff`] and get past an unreadable event with [`wait_for_skip`].
//!
//! **An unreadable event is handled one way everywhere**: the reader stops at it with
//! [`Unreadable`], which names its stream sequence and what an operator does about it, until an
//! operator records a skip of exactly its bytes ([`crate::skips`]); then every reader goes past
//! it. No reader drops one silently. (The auditor's verifier, whose job is to report rather than
//! stop, lists it as a problem with the same words.)

mod backoff;
mod range;

pub use backoff::Backoff;
pub use range::{read, read_raw, Message, Range};

use crate::codec::{self, DecodeError};
use crate::envelope::Record;
use crate::skips::{Skip, SkipError};
use async_nats::jetstream;
use std::collections::BTreeMap;
use std::time::Duration;

/// An event no reader can decode, at its stream sequence. Every reader's error for it is this
/// one, word for word.
#[derive(Debug, thiserror::Error)]
#[error(
    "event at stream sequence {sequence} is unreadable: {source}; readers stop there until an \
     operator looks at it (`reformctl log show {sequence}`, then `reformctl log skip {sequence} \
     --reason TEXT`)"
)]
pub struct Unreadable {
    pub sequence: u64,
    #[source]
    pub source: DecodeError,
}

/// Why a read of the log failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("could not read the event stream: {0}")]
    Stream(#[source] crate::Source),
    #[error(transparent)]
    Direct(#[from] crate::direct::DirectError),
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
    #[error(transparent)]
    Skips(#[from] SkipError),
    /// A read that would hold more records than its bound; refused rather than read whole into
    /// memory.
    #[error("{filter} holds {count} events, more than {most} at once")]
    TooMany { filter: String, count: u64, most: usize },
}

impl ReadError {
    pub fn stream(e: impl Into<crate::Source>) -> ReadError {
        ReadError::Stream(e.into())
    }
}

/// The operators' skips as one read saw them: a bounded read takes them once at its start (a
/// skip recorded during the read is seen by the next one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skips(BTreeMap<u64, Skip>);

impl Skips {
    /// Every skip recorded beside the log.
    pub async fn load(js: &jetstream::Context) -> Result<Skips, SkipError> {
        Ok(Skips(crate::skips::all(js).await?.into_iter().map(|s| (s.sequence, s)).collect()))
    }

    /// The skip of exactly these bytes at `sequence`, if one is recorded.
    pub fn covering(&self, sequence: u64, payload: &[u8]) -> Option<&Skip> {
        self.0.get(&sequence).filter(|s| s.covers(payload))
    }

    /// The skip recorded at `sequence`, whatever it covers.
    pub fn get(&self, sequence: u64) -> Option<&Skip> {
        self.0.get(&sequence)
    }

    /// The message decoded: `Ok(None)` for an unreadable message a skip covers, the one error
    /// for any other unreadable message.
    pub fn decode(&self, sequence: u64, payload: &[u8]) -> Result<Option<Record>, Unreadable> {
        match codec::decode(payload) {
            Ok(record) => Ok(Some(record)),
            Err(_) if self.covering(sequence, payload).is_some() => Ok(None),
            Err(source) => Err(Unreadable { sequence, source }),
        }
    }
}

/// How often a reader stopped at an unreadable event looks for an operator's skip.
pub const SKIP_POLL: Duration = Duration::from_secs(1);

/// The operator's skip of the message at `sequence` as stored now, if one covers its bytes.
/// A broker that cannot answer is no skip: the reader stays where it is and asks again.
pub async fn skip_now(js: &jetstream::Context, sequence: u64) -> Option<Skip> {
    let stream = js.get_stream(crate::subject::STREAM_NAME).await.ok()?;
    let payload = stream.direct_get(sequence).await.ok()?.payload;
    skip_of(js, sequence, &payload).await
}

/// The operator's skip recorded for `sequence`, if it covers exactly `payload`.
pub async fn skip_of(js: &jetstream::Context, sequence: u64, payload: &[u8]) -> Option<Skip> {
    match crate::skips::lookup(js, sequence).await {
        Ok(Some(skip)) if skip.covers(payload) => Some(skip),
        Ok(_) => None,
        Err(e) => {
            tracing::debug!(error = %e, "could not look for a skip");
            None
        }
    }
}

/// Waits until an operator's skip covers the message at `sequence`, looking every
/// [`SKIP_POLL`]; the skip, or `None` when `stop` came first.
pub async fn wait_for_skip(
    js: &jetstream::Context,
    sequence: u64,
    stop: &mut (impl std::future::Future<Output = ()> + Unpin),
) -> Option<Skip> {
    loop {
        if let Some(skip) = skip_now(js, sequence).await {
            tracing::warn!(sequence, reason = %skip.reason, by = %skip.by, "going past an unreadable event an operator skipped");
            return Some(skip);
        }
        tokio::select! {
            () = &mut *stop => return None,
            () = tokio::time::sleep(SKIP_POLL) => {}
        }
    }
}
