//! Follows the whole stream in order with an ordered consumer.

use super::ServiceError;
use crate::codec;
use crate::envelope::Record;
use crate::subject::{ALL_EVENTS, STREAM_NAME};
use async_nats::jetstream::{self, consumer::pull::OrderedConfig};
use futures::StreamExt;

pub(super) struct Follower {
    messages: jetstream::consumer::pull::Ordered,
}

impl Follower {
    pub(super) async fn start(js: &jetstream::Context) -> Result<Self, ServiceError> {
        let stream =
            js.get_stream(STREAM_NAME).await.map_err(|e| ServiceError::Stream(e.to_string()))?;
        let config = OrderedConfig { filter_subject: ALL_EVENTS.to_owned(), ..Default::default() };
        let consumer = stream
            .create_consumer(config)
            .await
            .map_err(|e| ServiceError::Consumer(e.to_string()))?;
        let messages =
            consumer.messages().await.map_err(|e| ServiceError::Consumer(e.to_string()))?;
        Ok(Self { messages })
    }

    /// The next event, decoded. An undecodable event stops the service: deciding on a state
    /// that silently skipped part of the log would be wrong. Cancel-safe: nothing is consumed
    /// until the inner stream yields.
    pub(super) async fn next(&mut self) -> Result<(u64, Record), ServiceError> {
        let message = match self.messages.next().await {
            Some(Ok(message)) => message,
            Some(Err(e)) => return Err(ServiceError::Consumer(e.to_string())),
            None => return Err(ServiceError::Consumer("the consumer ended".into())),
        };
        let sequence =
            message.info().map_err(|e| ServiceError::Consumer(e.to_string()))?.stream_sequence;
        let record = codec::decode(&message.payload)
            .map_err(|source| ServiceError::Unreadable { sequence, source })?;
        Ok((sequence, record))
    }
}
