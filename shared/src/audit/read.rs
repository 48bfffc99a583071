//! Reading the log as stored, for the checks that need its bytes (not its decoded events).

use super::verify::{Message, Verifier};
use crate::skips::Skip;
use crate::subject::{ALL_EVENTS, STREAM_NAME};
use async_nats::jetstream;
use futures::StreamExt as _;
use std::collections::BTreeMap;

/// How many messages go to [`Verifier::check_all`] at once.
pub const VERIFY_BATCH: usize = 8192;

/// Why the log could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("could not read the event stream: {0}")]
    Stream(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Skips(#[from] crate::skips::SkipError),
}

fn stream_error(e: impl std::error::Error + Send + Sync + 'static) -> ReadError {
    ReadError::Stream(Box::new(e))
}

/// The stream's settings and its last sequence.
pub async fn stream_info(js: &jetstream::Context) -> Result<jetstream::stream::Info, ReadError> {
    let mut stream = js.get_stream(STREAM_NAME).await.map_err(stream_error)?;
    Ok(stream.info().await.map_err(stream_error)?.clone())
}

/// Every message from the first through `head`, in order, as stored.
pub async fn for_each_message(
    js: &jetstream::Context,
    head: u64,
    mut each: impl FnMut(Message),
) -> Result<(), ReadError> {
    if head == 0 {
        return Ok(());
    }
    let stream = js.get_stream(STREAM_NAME).await.map_err(stream_error)?;
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig {
            name: Some(crate::stream::reader_name("audit")),
            filter_subject: ALL_EVENTS.to_owned(),
            ..Default::default()
        })
        .await
        .map_err(stream_error)?;
    let mut messages = consumer.messages().await.map_err(stream_error)?;
    while let Some(message) = messages.next().await {
        let message = message.map_err(stream_error)?;
        let sequence = message.info().map_err(ReadError::Stream)?.stream_sequence;
        each(Message {
            sequence,
            subject: message.subject.to_string(),
            payload: message.payload.to_vec(),
        });
        if sequence >= head {
            break;
        }
    }
    Ok(())
}

/// Checks the live log with `verifier`: the stream's settings (what would let history be
/// erased), then every message through the head it has now, with the operators' recorded
/// skips. `each_batch` sees each batch after it is checked (for a Merkle tree, a progress
/// bar), and `head` is told first. Returns the stream's information as read at the start.
pub async fn verify_stream(
    js: &jetstream::Context,
    verifier: &mut Verifier,
    head: impl FnOnce(u64),
    mut each_batch: impl FnMut(&[Message]),
) -> Result<jetstream::stream::Info, ReadError> {
    let info = stream_info(js).await?;
    for what in [
        (!info.config.deny_delete)
            .then_some("the stream allows deleting messages (deny_delete is off)"),
        (!info.config.deny_purge).then_some("the stream allows purging (deny_purge is off)"),
        info.config.allow_rollup.then_some("the stream allows rollups, which erase history"),
    ]
    .into_iter()
    .flatten()
    {
        verifier.log_problem(what.to_owned());
    }
    let skips: BTreeMap<u64, Skip> =
        crate::skips::all(js).await?.into_iter().map(|s| (s.sequence, s)).collect();
    head(info.state.last_sequence);
    let mut batch = Vec::with_capacity(VERIFY_BATCH);
    let mut flush = |batch: &mut Vec<Message>| {
        verifier.check_all(batch, |sequence| skips.get(&sequence));
        each_batch(batch);
        batch.clear();
    };
    for_each_message(js, info.state.last_sequence, |m| {
        batch.push(m);
        if batch.len() == VERIFY_BATCH {
            flush(&mut batch);
        }
    })
    .await?;
    flush(&mut batch);
    Ok(info)
}
