//! `reformctl task show ID`: a task's whole history, read straight from the log: every event on
//! the task's subject (whatever unit it was filed under at the time) and every document attached
//! to it, in stream order, each with its business date, when and by whom it was recorded.

use crate::ctx::Ctx;
use crate::outcome::{Classified, FailureKind};
use anyhow::Context as _;
use futures::StreamExt as _;
use reform_shared::envelope::Record;
use reform_shared::event::Event;
use reform_shared::ids::TaskId;
use reform_shared::subject::STREAM_NAME;
use serde::Serialize;

/// One step of a task's history.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub sequence: u64,
    pub event: &'static str,
    pub on: Option<reform_shared::time::Date>,
    pub recorded_at: String,
    pub by: String,
    /// What the step said, in Vietnamese.
    pub what: String,
}

fn describe(event: &Event) -> String {
    match event {
        Event::TaskAssigned { unit, person, title, target, due, .. } => {
            let who =
                person.as_ref().map_or_else(String::new, |p| format!(", người thực hiện {p}"));
            format!("Giao cho {unit}{who}: {title} — kết quả: {target}; hạn {due}")
        }
        Event::TaskReassigned { unit, person, reason, .. } => {
            let who =
                person.as_ref().map_or_else(String::new, |p| format!(", người thực hiện {p}"));
            format!("Giao lại cho {unit}{who}: {reason}")
        }
        Event::DeadlineChanged { old_due, new_due, reason, .. } => {
            format!("Điều chỉnh hạn {old_due} → {new_due}: {reason}")
        }
        Event::ProgressReported { percent, note, .. } => format!("Tiến độ {percent}%: {note}"),
        Event::TaskCompleted { note, .. } => format!("Hoàn thành: {note}"),
        Event::TaskCancelled { reason, .. } => format!("Hủy: {reason}"),
        Event::FindingRecorded { finding, text, remediation_due, .. } => {
            format!("Mở từ hạn chế {finding}: {text}; hạn khắc phục {remediation_due}")
        }
        Event::EvidenceAttached { evidence, title, document_number, document_date, .. } => {
            format!("Minh chứng {evidence}: {title} ({document_number}, {document_date})")
        }
        other => other.type_name().to_owned(),
    }
}

fn step(sequence: u64, record: &Record) -> Step {
    let envelope = &record.envelope;
    Step {
        sequence,
        event: envelope.event.type_name(),
        on: envelope.occurred_at.vietnam_date(),
        recorded_at: envelope.recorded_at.to_rfc3339(),
        by: envelope.actor.to_string(),
        what: describe(&envelope.event),
    }
}

/// The steps read from the subjects `filter` names, keeping those `keep` accepts.
async fn read(
    js: &async_nats::jetstream::Context,
    filter: String,
    keep: impl Fn(&Event) -> bool,
) -> anyhow::Result<Vec<Step>> {
    let records = records(js, filter).await?;
    Ok(records
        .iter()
        .filter(|(_, record)| keep(&record.envelope.event))
        .map(|(sequence, record)| step(*sequence, record))
        .collect())
}

/// Every readable record on the subjects `filter` names, in stream order, with its sequence.
pub async fn records(
    js: &async_nats::jetstream::Context,
    filter: String,
) -> anyhow::Result<Vec<(u64, reform_shared::envelope::Record)>> {
    let stream = js.get_stream(STREAM_NAME).await.context("could not read the event stream")?;
    // How many messages the filter holds, so the read ends when they are all in.
    let subjects: Vec<_> = stream
        .info_with_subjects(filter.as_str())
        .await
        .context("could not read the event stream")?
        .collect()
        .await;
    let mut expected = 0usize;
    for subject in subjects {
        expected += subject.context("could not read the event stream")?.1;
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
        .context("could not read the event stream")?;
    let mut messages = consumer.messages().await.context("could not read the event stream")?;
    for _ in 0..expected {
        let Some(message) = messages.next().await else { break };
        let message = message.context("could not read the event stream")?;
        let sequence = message.info().map_err(|e| anyhow::anyhow!("{e}"))?.stream_sequence;
        if let Ok(record) = reform_shared::codec::decode(&message.payload) {
            out.push((sequence, record));
        }
    }
    Ok(out)
}

pub async fn show(ctx: &Ctx, task: &TaskId) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    let js = async_nats::jetstream::new(client);
    let mut steps = read(&js, format!("par.evt.tasks.*.task.{task}"), |_| true).await?;
    if steps.is_empty() {
        return Err(Classified {
            kind: FailureKind::NotFound,
            message: format!("the log holds no task {task}"),
        }
        .into());
    }
    let attached = read(
        &js,
        "par.evt.evidence.>".to_owned(),
        |e| matches!(e, Event::EvidenceAttached { task: Some(t), .. } if t == task),
    )
    .await?;
    steps.extend(attached);
    steps.sort_by_key(|s| s.sequence);
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&steps)?);
        return Ok(());
    }
    println!("Nhiệm vụ {task}: {} bước", steps.len());
    for s in &steps {
        let on = s.on.map(|d| d.to_string()).unwrap_or_default();
        println!(
            "  {on}  #{:<7} {:<22} {}  (ghi {} bởi {})",
            s.sequence, s.event, s.what, s.recorded_at, s.by
        );
    }
    Ok(())
}
