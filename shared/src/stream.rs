//! The JetStream stream that holds the log: provisioning it once, checking it everywhere, and
//! telling one log from another.
//!
//! Provisioning is one explicit step ([`init_stream`], run by `reformctl stream init` and by
//! `reformctl up`). Services never create or change the stream: each calls [`check_stream`] at
//! start and refuses to run when the stream lacks what they rely on, naming every field that
//! differs. So a process started with other settings cannot quietly set a three-replica stream
//! back to one, and a deleted stream is not silently recreated empty.

use crate::codec::EVENT_BYTES_MAX;
use crate::subject::{ALL_EVENTS, STREAM_NAME};
use async_nats::jetstream::{self, stream};
use std::fmt;
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

/// Why the stream is not fit to hold the log, or could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error(
        "stream {STREAM_NAME} does not exist; provision it once with `reformctl stream init` \
         (services never create it)"
    )]
    Missing,
    #[error(
        "stream {STREAM_NAME} is not set up as the log must be ({}); fix it with the NATS \
         tools or provision a new log",
        .0.join("; ")
    )]
    Misconfigured(Vec<String>),
    #[error("could not create stream {STREAM_NAME}: {0}")]
    Create(#[from] jetstream::context::CreateStreamError),
    #[error("could not read stream {STREAM_NAME}: {0}")]
    Broker(#[source] crate::Source),
    #[error(transparent)]
    Skips(#[from] crate::skips::SkipError),
}

/// Creates the stream if it is absent; an existing one is checked, never changed. Returns the
/// stream's description and whether this call created it.
pub async fn init_stream(
    js: &jetstream::Context,
    settings: &StreamSettings,
) -> Result<(stream::Info, bool), StreamError> {
    init_stream_as(js, settings, None).await
}

/// [`init_stream`], a new stream keeping `identity` (a log restored from its backup,
/// [`IDENTITY_METADATA`]).
pub async fn init_stream_as(
    js: &jetstream::Context,
    settings: &StreamSettings,
    identity: Option<&LogIdentity>,
) -> Result<(stream::Info, bool), StreamError> {
    match check_stream(js).await {
        Ok(info) => return Ok((info, false)),
        Err(StreamError::Missing) => {}
        Err(e) => return Err(e),
    }
    let mut config = stream_config(settings);
    if let Some(identity) = identity {
        config.metadata.insert(IDENTITY_METADATA.to_owned(), identity.to_text());
    }
    let created = js.create_stream(config).await;
    let mut stream = match created {
        Ok(stream) => stream,
        // Another process provisioned it between our look and our create: check theirs.
        Err(e) => {
            return match check_stream(js).await {
                Ok(info) => Ok((info, false)),
                Err(_) => Err(e.into()),
            }
        }
    };
    crate::skips::ensure_bucket(js, settings.replicas).await?;
    let info = stream.info().await.map_err(|e| StreamError::Broker(e.into()))?;
    Ok((info.clone(), true))
}

/// Checks that the stream exists and has everything the services rely on; returns its
/// description. Lists every field that differs, not only the first.
pub async fn check_stream(js: &jetstream::Context) -> Result<stream::Info, StreamError> {
    let mut stream = match js.get_stream(STREAM_NAME).await {
        Ok(stream) => stream,
        Err(e) if matches!(e.kind(), jetstream::context::GetStreamErrorKind::JetStream(ref j) if j.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND) => {
            return Err(StreamError::Missing)
        }
        Err(e) => return Err(StreamError::Broker(e.into())),
    };
    let info = stream.info().await.map_err(|e| StreamError::Broker(e.into()))?.clone();
    let problems = config_problems(&info.config);
    if problems.is_empty() {
        Ok(info)
    } else {
        Err(StreamError::Misconfigured(problems))
    }
}

/// What in a stream's configuration differs from what the log relies on. Pure.
pub fn config_problems(config: &stream::Config) -> Vec<String> {
    let mut problems = Vec::new();
    let mut want = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    want(
        config.subjects == [ALL_EVENTS.to_owned()],
        format!("subjects are {:?}, must be [{ALL_EVENTS:?}]", config.subjects),
    );
    want(
        config.storage == stream::StorageType::File,
        format!("storage is {:?}, must be file", config.storage),
    );
    want(
        config.retention == stream::RetentionPolicy::Limits,
        format!("retention is {:?}, must be limits", config.retention),
    );
    want(config.deny_delete, "deny_delete is off, must be on".into());
    want(config.deny_purge, "deny_purge is off, must be on".into());
    want(!config.allow_rollup, "allow_rollup is on, must be off (rollups erase history)".into());
    want(
        !config.allow_message_schedules,
        "message schedules are on, must be off (they turn on purges)".into(),
    );
    want(!config.allow_message_ttl, "per-message TTL is on, must be off".into());
    want(config.max_age.is_zero(), format!("max_age is {:?}, must be none", config.max_age));
    want(
        config.max_messages <= 0,
        format!("max_msgs is {}, must be unlimited", config.max_messages),
    );
    want(config.max_bytes <= 0, format!("max_bytes is {}, must be unlimited", config.max_bytes));
    want(
        config.max_messages_per_subject <= 0,
        format!("max_msgs_per_subject is {}, must be unlimited", config.max_messages_per_subject),
    );
    want(
        !config.duplicate_window.is_zero(),
        "duplicate_window is zero, must be set (retries inside it are dropped by the broker)"
            .into(),
    );
    want(
        config.allow_direct,
        "allow_direct is off, must be on (appends read tips by direct get)".into(),
    );
    want(config.mirror.is_none(), "the stream is a mirror, must be the origin".into());
    want(
        !matches!(config.persist_mode, Some(stream::PersistenceMode::Async)),
        "persist_mode is async, must be default (acknowledge only what is stored)".into(),
    );
    want(!config.sealed, "the stream is sealed".into());
    problems
}

/// Which log this is: the stream's name and the instant the broker created it. A stream
/// deleted and created again, or one on another stack, has another identity, so views and
/// state recorded against one log are never used with another.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogIdentity {
    pub stream: String,
    /// Nanoseconds since the Unix epoch, as the broker recorded the creation.
    pub created_nanos: i128,
}

/// The stream metadata key under which a restored log keeps the identity it was backed up
/// with: restored from its backup, it is the same log, message for message, so the views,
/// state files and checkpoints made of it go on holding.
pub const IDENTITY_METADATA: &str = "par-log-identity";

impl LogIdentity {
    /// The log's identity: the one its metadata keeps, for a restored log, else the stream's
    /// name and the instant the broker created it.
    pub fn of(info: &stream::Info) -> Self {
        let kept = info.config.metadata.get(IDENTITY_METADATA).and_then(|t| Self::parse(t));
        kept.unwrap_or_else(|| Self {
            stream: info.config.name.clone(),
            created_nanos: info.created.unix_timestamp_nanos(),
        })
    }

    /// The text kept in files (`PAR_EVENTS@<nanos>`); [`LogIdentity::parse`] reads it back.
    pub fn to_text(&self) -> String {
        format!("{}@{}", self.stream, self.created_nanos)
    }

    pub fn parse(text: &str) -> Option<Self> {
        let (stream, nanos) = text.trim().split_once('@')?;
        Some(Self { stream: stream.to_owned(), created_nanos: nanos.parse().ok()? })
    }
}

impl fmt::Display for LogIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = i64::try_from(self.created_nanos.div_euclid(1_000_000_000)).unwrap_or(0);
        let nanos = u32::try_from(self.created_nanos.rem_euclid(1_000_000_000)).unwrap_or(0);
        match chrono::DateTime::from_timestamp(secs, nanos) {
            Some(at) => {
                write!(f, "{} created {}", self.stream, at.format("%Y-%m-%dT%H:%M:%S%.9fZ"))
            }
            None => write!(f, "{} created at {} ns", self.stream, self.created_nanos),
        }
    }
}

/// The identity of the log the broker holds now.
pub async fn current_identity(js: &jetstream::Context) -> Result<LogIdentity, StreamError> {
    Ok(LogIdentity::of(&check_stream(js).await?))
}

/// A fresh name for a reader's ordered consumer. Clients and auditors may only create named
/// consumers (deploy/nats/permissions.conf: an unnamed create could update a durable consumer
/// named in its body), so every ordered consumer a tool makes is named; async-nats names its
/// replacements `<name>_<n>`.
pub fn reader_name(purpose: &str) -> String {
    format!("{purpose}-{}", nuid::next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provisioned_config_has_no_problems() {
        assert_eq!(
            config_problems(&stream_config(&StreamSettings::default())),
            Vec::<String>::new()
        );
    }

    #[test]
    fn every_differing_field_is_named() {
        let mut config = stream_config(&StreamSettings::default());
        config.deny_purge = false;
        config.allow_rollup = true;
        config.storage = stream::StorageType::Memory;
        config.max_age = Duration::from_secs(3600);
        let problems = config_problems(&config);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("deny_purge is off")));
        assert!(problems.iter().any(|p| p.starts_with("allow_rollup is on")));
        assert!(problems.iter().any(|p| p.starts_with("storage is Memory")));
        assert!(problems.iter().any(|p| p.starts_with("max_age is 3600s")));
    }

    #[test]
    fn identity_text_reads_back() {
        let id =
            LogIdentity { stream: STREAM_NAME.into(), created_nanos: 1_764_579_600_123_456_789 };
        assert_eq!(LogIdentity::parse(&id.to_text()), Some(id.clone()));
        assert_eq!(id.to_string(), "PAR_EVENTS created 2025-12-01T09:00:00.123456789Z");
        assert_eq!(LogIdentity::parse("garbage"), None);
    }
}
