//! Follows the whole stream in order with an ordered consumer, and survives the broker.
//!
//! The follower knows its own position (the last sequence it handed out). When the consumer
//! fails or ends (a broker restart, a paused broker, a dropped connection) it creates a new one
//! from that position, with backoff, for as long as it takes; so nothing is read twice or
//! missed, and no fault of the broker stops the service. Before each new consumer it checks
//! that the stream is still the log it started on: a stream deleted and created again is
//! another log, and the service stops rather than decide on a state from the old one.
//!
//! An event that cannot be decoded halts the reader at its sequence (see [`crate::skips`]):
//! [`Follower::next`] reports it once, then waits, looking for an operator's skip every
//! [`crate::log::SKIP_POLL`], and goes on past it once one is recorded for exactly those bytes.

use super::health::{HealthCell, Reader};
use super::ServiceError;
use crate::codec;
use crate::envelope::Record;
use crate::log::{Backoff, Unreadable};
use crate::stream::{check_stream, LogIdentity};
use crate::subject::ALL_EVENTS;
use async_nats::jetstream::{self, consumer::pull::OrderedConfig, consumer::DeliverPolicy};
use futures::StreamExt;

/// What the follower hands out.
pub(super) enum Next {
    Event(u64, Box<Record>),
    /// An unreadable message an operator recorded a skip for: nothing to apply.
    Skipped(u64),
}

/// An unreadable message the reader is stopped at.
struct Stuck {
    sequence: u64,
    payload: bytes::Bytes,
    /// Why it does not decode, until reported once.
    unreported: Option<codec::DecodeError>,
}

pub(super) struct Follower {
    js: jetstream::Context,
    identity: LogIdentity,
    position: u64,
    messages: Option<jetstream::consumer::pull::Ordered>,
    backoff: Backoff,
    stuck: Option<Stuck>,
    health: HealthCell,
}

impl Follower {
    pub(super) fn new(js: &jetstream::Context, identity: LogIdentity, health: HealthCell) -> Self {
        Self {
            js: js.clone(),
            identity,
            position: 0,
            messages: None,
            backoff: Backoff::default(),
            stuck: None,
            health,
        }
    }

    /// A follower that hands out what comes after `position` (a snapshot's sequence).
    pub(super) fn starting_after(mut self, position: u64) -> Self {
        self.position = position;
        self
    }

    /// The next event, or the skip of an unreadable one. Errors only for what needs an
    /// operator: an unreadable event (reported once, then waited on) or a replaced log.
    /// Cancel-safe: the position moves only when something is handed out.
    pub(super) async fn next(&mut self) -> Result<Next, ServiceError> {
        loop {
            if let Some(stuck) = self.stuck.as_mut() {
                if let Some(source) = stuck.unreported.take() {
                    let error = ServiceError::from(Unreadable { sequence: stuck.sequence, source });
                    self.health.problem(Reader::Halted, &error.to_string(), Some(stuck.sequence));
                    return Err(error);
                }
                if let Some(skip) =
                    crate::log::skip_of(&self.js, stuck.sequence, &stuck.payload).await
                {
                    let sequence = stuck.sequence;
                    tracing::warn!(sequence, reason = %skip.reason, by = %skip.by, "going past an unreadable event an operator skipped");
                    self.stuck = None;
                    self.position = sequence;
                    self.health.applied(sequence);
                    self.health.following();
                    return Ok(Next::Skipped(sequence));
                }
                tokio::time::sleep(crate::log::SKIP_POLL).await;
                continue;
            }
            let Some(messages) = self.messages.as_mut() else {
                self.reopen().await?;
                continue;
            };
            let message = match messages.next().await {
                Some(Ok(message)) => message,
                Some(Err(e)) => {
                    self.lost(&e.to_string());
                    continue;
                }
                None => {
                    self.lost("the consumer ended");
                    continue;
                }
            };
            let sequence = match message.info() {
                Ok(info) => info.stream_sequence,
                Err(e) => {
                    self.lost(&e.to_string());
                    continue;
                }
            };
            if sequence <= self.position {
                continue; // A redelivery after a reconnect: already handed out.
            }
            if sequence != self.position + 1 {
                // The log is contiguous: a jump means a consumer that lost a message.
                self.lost(&format!(
                    "the consumer delivered sequence {sequence} after {}",
                    self.position
                ));
                continue;
            }
            match codec::decode(&message.payload) {
                Ok(record) => {
                    self.position = sequence;
                    self.health.applied(sequence);
                    return Ok(Next::Event(sequence, Box::new(record)));
                }
                Err(source) => {
                    let payload = message.payload.clone();
                    self.stuck = Some(Stuck { sequence, payload, unreported: Some(source) });
                }
            }
        }
    }

    /// Forgets a failed consumer; the next call creates another from the position.
    pub(super) fn lost(&mut self, error: &str) {
        tracing::warn!(position = self.position, %error, "lost the stream consumer; re-creating it");
        self.health.problem(Reader::Reconnecting, error, None);
        self.messages = None;
    }

    /// Creates a consumer from the position, retrying with backoff until it works. Fails only
    /// when the stream is another log than the one the state came from.
    async fn reopen(&mut self) -> Result<(), ServiceError> {
        loop {
            match open(&self.js, &self.identity, self.position).await {
                Ok(messages) => {
                    self.messages = Some(messages);
                    self.backoff.reset();
                    self.health.following();
                    return Ok(());
                }
                Err(OpenError::Replaced(now)) => {
                    let error = ServiceError::LogReplaced { was: self.identity.to_string(), now };
                    self.health.problem(Reader::Halted, &error.to_string(), None);
                    return Err(error);
                }
                Err(OpenError::Transient(e)) => {
                    self.health.problem(Reader::Reconnecting, &e.to_string(), None);
                    let wait = self.backoff.take();
                    tracing::warn!(position = self.position, error = %e, retry_in = ?wait, "could not re-create the stream consumer");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// A consumer from `position` on, provided the stream is still the log `identity` names. A
/// free function, not a method: the follower holds a consumer that is not `Sync`, and must not
/// be borrowed across the awaits.
async fn open(
    js: &jetstream::Context,
    identity: &LogIdentity,
    position: u64,
) -> Result<jetstream::consumer::pull::Ordered, OpenError> {
    let info = match check_stream(js).await {
        Ok(info) => info,
        Err(crate::stream::StreamError::Missing) => {
            return Err(OpenError::Replaced(format!("{} is missing", crate::subject::STREAM_NAME)))
        }
        Err(e) => return Err(OpenError::Transient(e.into())),
    };
    let now = LogIdentity::of(&info);
    if now != *identity {
        return Err(OpenError::Replaced(now.to_string()));
    }
    let stream = js
        .get_stream(crate::subject::STREAM_NAME)
        .await
        .map_err(|e| OpenError::Transient(e.into()))?;
    let deliver_policy = match position {
        0 => DeliverPolicy::All,
        n => DeliverPolicy::ByStartSequence { start_sequence: n + 1 },
    };
    let config = OrderedConfig {
        filter_subject: ALL_EVENTS.to_owned(),
        deliver_policy,
        ..Default::default()
    };
    let consumer =
        stream.create_consumer(config).await.map_err(|e| OpenError::Transient(e.into()))?;
    consumer.messages().await.map_err(|e| OpenError::Transient(e.into()))
}

enum OpenError {
    /// The stream is another log now: what it is.
    Replaced(String),
    Transient(crate::Source),
}
