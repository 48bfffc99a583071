//! The JetStream stream that holds the log, and how it is created.

use crate::codec::EVENT_BYTES_MAX;
use crate::subject::{ALL_EVENTS, STREAM_NAME};
use async_nats::jetstream::{self, stream};
use std::time::Duration;

/// How long JetStream remembers a `Nats-Msg-Id` to drop a retried publish. Commands are
/// de-duplicated forever by the services (every envelope carries its command id); this window
/// makes the common case, a client retrying within seconds, free.
pub const DUPLICATE_WINDOW_DEFAULT: Duration = Duration::from_secs(120);

/// Headers travel beside the event; this much room is left for them over the event's size.
const HEADER_BYTES_MAX: usize = 4 * 1024;

/// What may differ between deployments.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    /// 1 for a single node, 3 for a cluster.
    pub replicas: usize,
    pub duplicate_window: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self { replicas: 1, duplicate_window: DUPLICATE_WINDOW_DEFAULT }
    }
}

/// The stream's configuration. The log is forever: no age or size limit, deletes and purges
/// are refused by the server, and rollups (which erase history) are off.
pub fn stream_config(settings: &StreamSettings) -> stream::Config {
    stream::Config {
        name: STREAM_NAME.to_owned(),
        description: Some("Reform-task tracker: the event log, the only source of truth".into()),
        subjects: vec![ALL_EVENTS.to_owned()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        num_replicas: settings.replicas,
        duplicate_window: settings.duplicate_window,
        max_message_size: i32::try_from(EVENT_BYTES_MAX + HEADER_BYTES_MAX).unwrap_or(i32::MAX),
        deny_delete: true,
        deny_purge: true,
        allow_rollup: false,
        allow_direct: true,
        ..Default::default()
    }
}

/// Why the stream could not be made ready.
#[derive(Debug, thiserror::Error)]
#[error("could not create or update stream {STREAM_NAME}: {0}")]
pub struct StreamError(#[from] pub async_nats::jetstream::context::CreateStreamError);

/// Creates the stream, or brings an existing one to this configuration. Idempotent, so every
/// service calls it at start and none depends on another having run first.
pub async fn ensure_stream(
    js: &jetstream::Context,
    settings: &StreamSettings,
) -> Result<stream::Info, StreamError> {
    Ok(js.create_or_update_stream(stream_config(settings)).await?)
}
