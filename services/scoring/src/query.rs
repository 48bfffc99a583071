//! Reading published frameworks back from the log. A framework is one event on its own
//! subject, so the last message on that subject is the framework in force.

use reform_shared::codec;
use reform_shared::event::{Criterion, Event, Family, UnitKind};
use reform_shared::subject::{EVENT_SUBJECT_PREFIX, NO_UNIT, STREAM_NAME};

/// A framework as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub year: u16,
    pub unit_kind: UnitKind,
    pub source: String,
    pub criteria: Vec<Criterion>,
    /// The stream sequence of the publication.
    pub sequence: u64,
}

/// Why the log could not answer.
#[derive(Debug, thiserror::Error)]
#[error("could not read the framework from the event log: {0}")]
pub struct QueryError(String);

/// The framework published for `year` and `unit_kind`, if there is one.
pub async fn framework(
    client: &async_nats::Client,
    year: u16,
    unit_kind: UnitKind,
) -> Result<Option<Published>, QueryError> {
    use async_nats::jetstream::stream::DirectGetErrorKind;
    let js = async_nats::jetstream::new(client.clone());
    let stream = js.get_stream(STREAM_NAME).await.map_err(|e| QueryError(e.to_string()))?;
    let family = Family::Scoring.as_str();
    let subject = format!(
        "{EVENT_SUBJECT_PREFIX}.{family}.{NO_UNIT}.framework.{year}-{}",
        unit_kind.as_str()
    );
    let message = match stream.direct_get_last_for_subject(subject).await {
        Ok(message) => message,
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(QueryError(e.to_string())),
    };
    let record = codec::decode(&message.payload).map_err(|e| QueryError(e.to_string()))?;
    match record.envelope.event {
        Event::FrameworkPublished { year, unit_kind, source, criteria } => {
            Ok(Some(Published { year, unit_kind, source, criteria, sequence: message.sequence }))
        }
        other => {
            Err(QueryError(format!("a {} event is on the framework subject", other.type_name())))
        }
    }
}
