//! A task's history as the log holds it: every event on the task's subject (whatever unit it
//! was filed under at the time), in stream order, each with its business date, when and by
//! whom it was recorded. What `reformctl task show` prints and the dashboard's task page shows:
//! a trail an auditor can hold against the register, read from the log rather than the views.

use reform_shared::envelope::{Actor, Record};
use reform_shared::event::Event;
use reform_shared::ids::TaskId;
use reform_shared::log::{self, Range, ReadError};
use reform_shared::time::Date;
use std::ops::ControlFlow;

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
) -> Result<Vec<Entry>, ReadError> {
    let records = records(js, format!("par.evt.tasks.*.task.{task}")).await?;
    Ok(records.into_iter().map(|(sequence, record)| Entry::of(sequence, record)).collect())
}

/// Every record on the subjects `filter` names, in stream order, with its sequence. An
/// unreadable one stops the read, naming it, as at every reader, unless an operator skipped it.
pub async fn records(
    js: &async_nats::jetstream::Context,
    filter: String,
) -> Result<Vec<(u64, Record)>, ReadError> {
    let mut out = Vec::new();
    let range = Range::subjects(filter).at_most(RECORDS_MAX);
    log::read(js, &range, |message, record| {
        out.extend(record.map(|record| (message.sequence, record)));
        ControlFlow::Continue(())
    })
    .await?;
    Ok(out)
}

/// What a step of a task's history is, and what it said, in the language `t` picks (it is
/// given each text in Vietnamese and English), with dates as `date` writes them (dd/mm/yyyy on
/// a Vietnamese page). Names no one by id: a reader has the task's people beside it.
pub fn describe(
    event: &Event,
    t: impl Fn(&'static str, &'static str) -> &'static str,
    date: impl Fn(Date) -> String,
) -> (&'static str, String) {
    match event {
        Event::TaskAssigned { title, target, due, .. } => (
            t("Giao nhiệm vụ", "Assigned"),
            format!(
                "{title}. {}{target}. {}{}",
                t("Kết quả: ", "Result: "),
                t("Hạn: ", "Due: "),
                date(*due)
            ),
        ),
        Event::TaskReassigned { reason, .. } => (t("Giao lại", "Reassigned"), reason.clone()),
        Event::DeadlineChanged { old_due, new_due, reason, .. } => {
            let (old, new) = (date(*old_due), date(*new_due));
            (t("Điều chỉnh hạn", "Deadline changed"), format!("{old} → {new}: {reason}"))
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
                "{inspection_document}: {text}. {}{}",
                t("Hạn khắc phục: ", "Due: "),
                date(*remediation_due)
            ),
        ),
        Event::EvidenceAttached { title, document_number, document_date, .. } => (
            t("Đính kèm minh chứng", "Evidence attached"),
            format!("{document_number}: {title} ({})", date(*document_date)),
        ),
        _ => (t("Sự việc khác", "Other"), String::new()),
    }
}
