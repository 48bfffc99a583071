//! A task's history as the log holds it: every event on the task's subject (whatever unit it
//! was filed under at the time), in stream order, each with its business date, when and by
//! whom it was recorded. What `reformctl task show` prints and the dashboard's task page shows:
//! a trail an auditor can hold against the register, read from the log rather than the views.

use futures::StreamExt as _;
use reform_shared::envelope::{Actor, Record};
use reform_shared::event::Event;
use reform_shared::ids::TaskId;
use reform_shared::subject::STREAM_NAME;
use reform_shared::time::Date;

/// Why the log could not be read.
#[derive(Debug, thiserror::Error)]
#[error("could not read the event stream: {0}")]
pub struct HistoryError(#[source] reform_shared::Source);

fn failed(e: impl Into<reform_shared::Source>) -> HistoryError {
    HistoryError(e.into())
}

/// The most records one read returns: a task's subject holds a few dozen; a filter that names
/// more is refused rather than read whole into memory.
pub const RECORDS_MAX: usize = 100_000;

/// One event of the history.
#[derive(Debug, Clone)]
pub struct Entry {
    pub sequence: u64,
    /// The business date (Vietnam) the event is attributed by.
    pub on: Option<Date>,
    pub recorded_at: String,
    pub by: Actor,
    pub event: Event,
}

impl Entry {
    fn of(sequence: u64, record: Record) -> Entry {
        let envelope = record.envelope;
        Entry {
            sequence,
            on: envelope.occurred_at.vietnam_date(),
            recorded_at: envelope.recorded_at.to_rfc3339(),
            by: envelope.actor,
            event: envelope.event,
        }
    }
}

/// Every event on the task's subject, in stream order.
pub async fn task(
    js: &async_nats::jetstream::Context,
    task: &TaskId,
) -> Result<Vec<Entry>, HistoryError> {
    let records = records(js, format!("par.evt.tasks.*.task.{task}")).await?;
    Ok(records.into_iter().map(|(sequence, record)| Entry::of(sequence, record)).collect())
}

/// Every readable record on the subjects `filter` names, in stream order, with its sequence.
pub async fn records(
    js: &async_nats::jetstream::Context,
    filter: String,
) -> Result<Vec<(u64, Record)>, HistoryError> {
    let stream = js.get_stream(STREAM_NAME).await.map_err(failed)?;
    // How many messages the filter holds, so the read ends when they are all in.
    let subjects: Vec<_> =
        stream.info_with_subjects(filter.as_str()).await.map_err(failed)?.collect().await;
    let mut expected = 0usize;
    for subject in subjects {
        expected += subject.map_err(failed)?.1;
    }
    if expected > RECORDS_MAX {
        let why = format!("{filter} names {expected} records, more than {RECORDS_MAX} at once");
        return Err(failed(why));
    }
    let mut out = Vec::new();
    if expected == 0 {
        return Ok(out);
    }
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig {
            name: Some(reform_shared::stream::reader_name("register")),
            filter_subject: filter,
            ..Default::default()
        })
        .await
        .map_err(failed)?;
    let mut messages = consumer.messages().await.map_err(failed)?;
    for _ in 0..expected {
        let Some(message) = messages.next().await else { break };
        let message = message.map_err(failed)?;
        let sequence = message.info().map_err(|e| failed(e.to_string()))?.stream_sequence;
        if let Ok(record) = reform_shared::codec::decode(&message.payload) {
            out.push((sequence, record));
        }
    }
    Ok(out)
}

/// What a step of a task's history is, and what it said, in the language `t` picks (it is
/// given each text in Vietnamese and English). Names no one by id: a reader has the task's
/// people beside it.
pub fn describe(
    event: &Event,
    t: impl Fn(&'static str, &'static str) -> &'static str,
) -> (&'static str, String) {
    match event {
        Event::TaskAssigned { title, target, due, .. } => (
            t("Giao nhiệm vụ", "Assigned"),
            format!(
                "{title}. {}{target}. {}{due}",
                t("Kết quả: ", "Result: "),
                t("Hạn: ", "Due: ")
            ),
        ),
        Event::TaskReassigned { reason, .. } => (t("Giao lại", "Reassigned"), reason.clone()),
        Event::DeadlineChanged { old_due, new_due, reason, .. } => {
            (t("Điều chỉnh hạn", "Deadline changed"), format!("{old_due} → {new_due}: {reason}"))
        }
        Event::ProgressReported { percent, note, .. } => {
            (t("Báo cáo tiến độ", "Progress reported"), format!("{percent}%: {note}"))
        }
        Event::TaskCompleted { note, .. } => (t("Hoàn thành", "Completed"), note.clone()),
        Event::TaskCancelled { reason, .. } => (t("Hủy", "Cancelled"), reason.clone()),
        Event::FindingRecorded { inspection_document, text, remediation_due, .. }
        | Event::FindingRecordedV2 { inspection_document, text, remediation_due, .. } => (
            t("Khắc phục hạn chế qua kiểm tra", "Remediation of a finding"),
            format!(
                "{inspection_document}: {text}. {}{remediation_due}",
                t("Hạn khắc phục: ", "Due: ")
            ),
        ),
        Event::EvidenceAttached { title, document_number, document_date, .. } => (
            t("Đính kèm minh chứng", "Evidence attached"),
            format!("{document_number}: {title} ({document_date})"),
        ),
        _ => (t("Sự việc khác", "Other"), String::new()),
    }
}
