//! Closing one period: build its report from the log, store it, append the event, once.

use crate::closed::{closed_event, BUCKET};
use crate::log::{self, End};
use crate::memo::Memo;
use crate::report::{self, Format, Report};
use crate::RollupError;
use async_nats::jetstream::{self, object_store::ObjectStore};
use reform_projector::model::State;
use reform_shared::append::{AppendError, AppendOutcome, Appender, Draft};
use reform_shared::envelope::Actor;
use reform_shared::event::{Event, Period};
use reform_shared::ids::CommandId;
use reform_shared::time::Timestamp;
use std::path::Path;

/// Who appends rollup events.
pub const ACTOR: &str = "reform-rollup";

/// How a close ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// This call closed it.
    Now { sequence: u64, through_sequence: u64, report_sha256: [u8; 32] },
    /// It was closed already (by an earlier run, or another rollup service just now).
    Already { sequence: u64, through_sequence: u64, report_sha256: [u8; 32] },
}

/// The report bucket, created if absent, with as many replicas as the log: a report is part
/// of the record, and on a cluster a bucket on one node made every close wait for that node
/// (a close outlasted its client's wait while the node was down).
pub async fn bucket(js: &jetstream::Context) -> Result<ObjectStore, RollupError> {
    if let Ok(bucket) = js.get_object_store(BUCKET).await {
        return Ok(bucket);
    }
    let config = jetstream::object_store::Config {
        bucket: BUCKET.to_owned(),
        description: Some("Reform-task tracker: period reports, named by their SHA-256".into()),
        storage: jetstream::stream::StorageType::File,
        num_replicas: log_replicas(js).await?,
        ..Default::default()
    };
    match js.create_object_store(config).await {
        Ok(bucket) => Ok(bucket),
        Err(create) => {
            js.get_object_store(BUCKET).await.map_err(|_| RollupError::Store(create.into()))
        }
    }
}

/// How many replicas the log's stream keeps.
async fn log_replicas(js: &jetstream::Context) -> Result<usize, RollupError> {
    let stream_error = |e: async_nats::Error| RollupError::Stream(e);
    let mut stream = js
        .get_stream(reform_shared::subject::STREAM_NAME)
        .await
        .map_err(|e| stream_error(e.into()))?;
    let info = stream.info().await.map_err(|e| stream_error(e.into()))?;
    Ok(info.config.num_replicas.max(1))
}

/// Brings a report bucket made with fewer replicas than the log (before this service kept
/// them equal) up to the log's; the broker copies it to the new replicas.
pub async fn bucket_replicas_as_the_log(js: &jetstream::Context) -> Result<(), RollupError> {
    let replicas = log_replicas(js).await?;
    let stream_error = |e: async_nats::Error| RollupError::Store(e);
    let mut stream =
        js.get_stream(format!("OBJ_{BUCKET}")).await.map_err(|e| stream_error(e.into()))?;
    let config = stream.info().await.map_err(|e| stream_error(e.into()))?.config.clone();
    if config.num_replicas >= replicas {
        return Ok(());
    }
    tracing::info!(from = config.num_replicas, to = replicas, "the report bucket gains replicas");
    let config = jetstream::stream::Config { num_replicas: replicas, ..config };
    js.update_stream(config).await.map_err(|e| stream_error(e.into()))?;
    Ok(())
}

/// Builds the report of `period` from the prefix `end` names, with the restatements of the
/// earlier periods (of its year and the year before) that were closed within that prefix: each
/// is rebuilt from its own prefix and compared with the same period as this prefix tells it.
/// Everything comes from the prefix, so the report is the same whenever it is regenerated.
pub async fn report_of(
    js: &jetstream::Context,
    period: Period,
    end: End,
) -> Result<Report, RollupError> {
    report_remembering(js, period, end, &mut Memo::default()).await
}

/// [`report_of`], reading only what `memo` does not hold yet, and remembering what it read.
pub async fn report_remembering(
    js: &jetstream::Context,
    period: Period,
    end: End,
    memo: &mut Memo,
) -> Result<Report, RollupError> {
    let identity = memo.same_log(js).await?;
    let prefix = memo.prefix(js, end).await?;
    let through = prefix.through;
    let mut closed_before = Vec::new();
    for before in restatable(period) {
        let Some((sequence, covered, _)) = closed_event(js, before).await? else { continue };
        if !restated_in(sequence, covered, through) {
            continue;
        }
        let base = match memo.base(before, covered) {
            Some(base) => base.clone(),
            None => {
                let (then, then_through) = log::read_prefix(js, End::Sequence(covered)).await?;
                let base = report::build(&then, before, then_through);
                memo.remember_base(before, then_through, base.clone());
                base
            }
        };
        closed_before.push((before, base));
    }
    let checkpoint = report::LogCheckpoint {
        origin: reform_shared::checkpoint::origin_of(&identity),
        size: prefix.tree.size(),
        root_sha256: hex::encode(prefix.tree.root()),
    };
    let base = report::build(&prefix.state, period, through);
    memo.remember_base(period, through, base.clone());
    let report = assemble_on(base, &prefix.state, through, checkpoint, &closed_before);
    memo.keep(prefix);
    Ok(report)
}

/// The earlier periods a report of `period` may restate: those of its year and the year before
/// that close before it, in the order they close.
pub fn restatable(period: Period) -> impl Iterator<Item = Period> {
    Period::of_year(period.year.saturating_sub(1))
        .into_iter()
        .chain(Period::of_year(period.year))
        .filter(move |p| p.closes_at() < period.closes_at())
}

/// Whether an earlier period closed at `sequence` over the log through `covered` is restated in
/// a report through `through`: it was closed within that prefix, and the prefix goes on past
/// what its report covered.
pub fn restated_in(sequence: u64, covered: u64, through: u64) -> bool {
    sequence <= through && covered < through
}

/// The report of `period` from the state of the log through `through`, its checkpoint, and
/// the reports of the earlier periods closed within it (each [`report::build`] of its own
/// prefix, in the order [`restatable`] gives): pure, so the rollup service and an auditor
/// re-deriving a close build the same bytes.
pub fn assemble(
    state: &State,
    period: Period,
    through: u64,
    checkpoint: report::LogCheckpoint,
    closed_before: &[(Period, Report)],
) -> Report {
    assemble_on(report::build(state, period, through), state, through, checkpoint, closed_before)
}

/// [`assemble`] on the period's base report (its [`report::build`] over the same state), for a
/// caller that keeps the base too.
fn assemble_on(
    mut report: Report,
    state: &State,
    through: u64,
    checkpoint: report::LogCheckpoint,
    closed_before: &[(Period, Report)],
) -> Report {
    report.log_checkpoint = checkpoint;
    for (before, closed) in closed_before {
        let now = report::build(state, *before, through);
        let differences = crate::diff::compare(closed, &now);
        if !differences.is_empty() {
            report.restated.push(report::Restatement { period: *before, differences });
        }
    }
    report
}

/// Closes `period` with the report of the prefix `end` names, unless it is closed already.
/// Safe to run twice and from two services at once: the append expects the period's subject
/// to be empty and carries the period as its message id, so one event lands, and both compute
/// the same bytes from the same prefix.
pub async fn close(
    js: &jetstream::Context,
    period: Period,
    end: End,
    reports_dir: Option<&Path>,
    now: Timestamp,
) -> Result<Closed, RollupError> {
    close_signed(js, period, end, reports_dir, None, now, &mut Memo::default()).await
}

/// [`close`], also storing the checkpoint the report carries as a note signed with `log_key`
/// (`<period>.checkpoint` beside the report, and under its digest in the bucket), which
/// `reformctl audit verify --checkpoint` checks the log against. `memo` holds what earlier
/// closes read of the log.
pub async fn close_signed(
    js: &jetstream::Context,
    period: Period,
    end: End,
    reports_dir: Option<&Path>,
    log_key: Option<&nkeys::KeyPair>,
    now: Timestamp,
    memo: &mut Memo,
) -> Result<Closed, RollupError> {
    if let Some((sequence, through_sequence, report_sha256)) = closed_event(js, period).await? {
        return Ok(Closed::Already { sequence, through_sequence, report_sha256 });
    }
    let report = report_remembering(js, period, end, memo).await?;
    let store = bucket(js).await?;
    let mut digest = [0; 32];
    for format in Format::ALL {
        let bytes = crate::render::bytes(&report, format).map_err(RollupError::Workbook)?;
        let sha = report::sha256(&bytes);
        if format == Format::Json {
            digest = sha;
        }
        let key = format!("{}.{}", hex::encode(sha), format.extension());
        put_new(&store, &key, &bytes).await?;
        if let Some(dir) = reports_dir {
            write_file(dir, period, format, &bytes)?;
        }
    }
    if let Some(key) = log_key {
        let cp = &report.log_checkpoint;
        let root: [u8; 32] =
            hex::decode(&cp.root_sha256).ok().and_then(|v| v.try_into().ok()).ok_or_else(|| {
                RollupError::Store("the report's checkpoint root is not 32 bytes".into())
            })?;
        let checkpoint = reform_shared::checkpoint::Checkpoint {
            origin: cp.origin.clone(),
            size: cp.size,
            root,
        };
        let note = checkpoint.sign(key).map_err(|e| RollupError::Store(e.into()))?;
        let key_name = format!("{}.checkpoint", hex::encode(report::sha256(note.as_bytes())));
        put_new(&store, &key_name, note.as_bytes()).await?;
        if let Some(dir) = reports_dir {
            let io =
                |e: std::io::Error| RollupError::Io { path: dir.display().to_string(), source: e };
            std::fs::write(dir.join(format!("{period}.checkpoint")), note.as_bytes())
                .map_err(io)?;
        }
    }
    let appender = Appender::new(js.clone()).await.map_err(|e| RollupError::Stream(e.into()))?;
    let command_id =
        CommandId::new(format!("rollup-{period}")).map_err(|e| RollupError::Stream(e.into()))?;
    let draft = Draft {
        command_id,
        actor: Actor::Service(ACTOR.to_owned()),
        occurred_at: period.closes_at(),
        recorded_at: now,
        signature: None,
        event: Event::PeriodRolledUp {
            period,
            report_sha256: digest,
            through_sequence: report.through_sequence,
        },
    };
    match appender.append(draft, None).await {
        Ok(AppendOutcome::Appended { sequence }) => {
            tracing::info!(%period, sequence, through = report.through_sequence, "period closed");
            Ok(Closed::Now {
                sequence,
                through_sequence: report.through_sequence,
                report_sha256: digest,
            })
        }
        Ok(AppendOutcome::Duplicate { .. }) | Err(AppendError::Conflict { .. }) => {
            match closed_event(js, period).await? {
                Some((sequence, through_sequence, report_sha256)) => {
                    Ok(Closed::Already { sequence, through_sequence, report_sha256 })
                }
                None => Err(RollupError::Stream(
                    format!("{period} was closed by another, but its event cannot be read").into(),
                )),
            }
        }
        Err(e) => Err(RollupError::Stream(e.into())),
    }
}

/// Writes one format of a report to `<dir>/<period>.<ext>`, whole or not at all.
pub fn write_file(
    dir: &Path,
    period: Period,
    format: Format,
    bytes: &[u8],
) -> Result<(), RollupError> {
    let io = |e: std::io::Error| RollupError::Io { path: dir.display().to_string(), source: e };
    std::fs::create_dir_all(dir).map_err(io)?;
    let path = dir.join(format!("{period}.{}", format.extension()));
    let temp = dir.join(format!(".{period}.{}.tmp", format.extension()));
    std::fs::write(&temp, bytes).map_err(io)?;
    std::fs::rename(&temp, &path).map_err(io)
}

/// Puts a content-addressed object unless it is already there. Putting over an existing name
/// would purge the old chunks, which the broker refuses every user (an object once stored is
/// never removed), and the same name holds the same bytes anyway.
async fn put_new(store: &ObjectStore, key: &str, bytes: &[u8]) -> Result<(), RollupError> {
    if store.info(key).await.is_ok() {
        return Ok(());
    }
    let mut reader = bytes;
    store.put(key, &mut reader).await.map_err(|e| RollupError::Store(e.into()))?;
    Ok(())
}
