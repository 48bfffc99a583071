//! What the log and the report bucket say of the periods closed: read by the rollup service
//! before it closes one, by the restatements, the dashboard and the CLI.

use crate::report::{self, Format, Report};
use crate::RollupError;
use async_nats::jetstream;
use reform_shared::codec;
use reform_shared::event::{Event, Period};
use reform_shared::log::Unreadable;
use reform_shared::subject::{Aggregate, STREAM_NAME};

/// The object store bucket of reports, each format under the hex SHA-256 of its bytes.
pub const BUCKET: &str = "PAR_REPORTS";
/// The rollup event of a period, if it was closed: its stream sequence and the event.
pub async fn closed_event(
    js: &jetstream::Context,
    period: Period,
) -> Result<Option<(u64, u64, [u8; 32])>, RollupError> {
    let stream = js.get_stream(STREAM_NAME).await.map_err(|e| RollupError::Stream(e.into()))?;
    let subject = aggregate(period).check_subject();
    match stream.direct_get_last_for_subject(subject.as_str()).await {
        Ok(message) => {
            let record = codec::decode(&message.payload)
                .map_err(|source| Unreadable { sequence: message.sequence, source })?;
            match record.envelope.event {
                Event::PeriodRolledUp { through_sequence, report_sha256, .. } => {
                    Ok(Some((message.sequence, through_sequence, report_sha256)))
                }
                _ => Ok(None),
            }
        }
        Err(e) if matches!(e.kind(), jetstream::stream::DirectGetErrorKind::NotFound) => Ok(None),
        Err(e) => Err(RollupError::Stream(e.into())),
    }
}

/// A closed period: its rollup event's sequence, the last sequence its report covers, and the
/// report's SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosedPeriod {
    pub period: Period,
    pub sequence: u64,
    pub through_sequence: u64,
    pub report_sha256: [u8; 32],
}

/// The periods closed (of `years`, or all when empty), in the order they close.
pub async fn closed_periods(
    js: &jetstream::Context,
    years: &[u16],
) -> Result<Vec<ClosedPeriod>, RollupError> {
    use futures::StreamExt as _;
    let stream = js.get_stream(STREAM_NAME).await.map_err(|e| RollupError::Stream(e.into()))?;
    // One subject per closed period under par.evt.rollup.
    let subjects: Vec<_> = stream
        .info_with_subjects("par.evt.rollup.>")
        .await
        .map_err(|e| RollupError::Stream(e.into()))?
        .collect()
        .await;
    let mut periods: Vec<Period> = subjects
        .into_iter()
        .filter_map(|s| s.ok())
        .filter_map(|(subject, _)| subject.rsplit('.').next()?.parse::<Period>().ok())
        .filter(|p| years.is_empty() || years.contains(&p.year))
        .collect();
    periods.sort_by_key(|p| p.closes_at());
    let mut out = Vec::new();
    for period in periods {
        if let Some((sequence, through_sequence, report_sha256)) = closed_event(js, period).await? {
            out.push(ClosedPeriod { period, sequence, through_sequence, report_sha256 });
        }
    }
    Ok(out)
}

/// The most bytes a stored report may hold: a national year's report is a few megabytes.
const REPORT_BYTES_MAX: u64 = 256 << 20;

/// The report a closed period's event names, as stored in the bucket, checked against the
/// digest the event carries.
pub async fn stored_report(
    js: &jetstream::Context,
    closed: &ClosedPeriod,
) -> Result<Report, RollupError> {
    let store = js.get_object_store(BUCKET).await.map_err(|e| RollupError::Store(e.into()))?;
    let name = format!("{}.{}", hex::encode(closed.report_sha256), Format::Json.extension());
    let read = reform_shared::direct::object(&store, &js.client(), &name, REPORT_BYTES_MAX).await;
    let bytes = match read {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Err(RollupError::Store(format!("the report {name} is not stored").into()))
        }
        Err(e) => return Err(RollupError::Store(format!("could not read {name}: {e}").into())),
    };
    if report::sha256(&bytes) != closed.report_sha256 {
        return Err(RollupError::Store(
            format!("the stored report {name} does not have the digest its event names").into(),
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        RollupError::Store(format!("the stored report {name} is unreadable: {e}").into())
    })
}

fn aggregate(period: Period) -> Aggregate {
    Aggregate::of(&Event::PeriodRolledUp { period, report_sha256: [0; 32], through_sequence: 0 })
}
