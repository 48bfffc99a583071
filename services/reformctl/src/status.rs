//! `reformctl status`: for every service and the projector, whether it runs, how far it has
//! read the log, how far behind the head it is, and its last problem. Read from each part's
//! NATS services API stats (`$SRV.STATS.<name>`), where the runtime publishes its reader's
//! health. Exits non-zero when any part is stopped, halted or reconnecting.

use crate::ctx::Ctx;
use crate::table::{Align, Table};
use anyhow::Context as _;
use reform_shared::service::health::{Health, Reader};
use reform_shared::subject::STREAM_NAME;
use serde::Serialize;
use std::time::Duration;

/// Every part the stack runs, by its NATS service name.
pub const PARTS: [&str; 7] = [
    "par-directory",
    "par-tasks",
    "par-evidence",
    "par-scoring",
    "par-projector",
    "par-rollup",
    "par-tlog",
];
/// The embedded broker's keeper (`crate::keeper`), listed when it answers.
pub const BROKER: &str = "par-broker";
/// How long a part may take to answer its stats.
const STATS_TIMEOUT: Duration = Duration::from_secs(2);

/// One part's state.
#[derive(Debug, Clone, Serialize)]
pub struct PartStatus {
    pub name: &'static str,
    /// `None`: it did not answer (stopped, or not started).
    pub health: Option<Health>,
    pub lag: Option<u64>,
}

impl PartStatus {
    pub fn ok(&self) -> bool {
        self.health
            .as_ref()
            .is_some_and(|h| matches!(h.reader, Reader::Following | Reader::Starting))
    }

    pub fn state(&self) -> &'static str {
        match self.health.as_ref().map(|h| h.reader) {
            None => "stopped",
            Some(Reader::Starting) => "starting",
            Some(Reader::Following) => "running",
            Some(Reader::Reconnecting) => "reconnecting",
            Some(Reader::Halted) => "halted",
            Some(Reader::Degraded) => "degraded",
        }
    }
}

/// The whole stack's state.
#[derive(Debug, Clone, Serialize)]
pub struct StackStatus {
    pub stream_head: u64,
    pub parts: Vec<PartStatus>,
}

impl StackStatus {
    pub fn ok(&self) -> bool {
        self.parts.iter().all(PartStatus::ok)
    }
}

/// Asks every part for its health, and the stream for its head.
pub async fn gather(client: &async_nats::Client) -> anyhow::Result<StackStatus> {
    let js = async_nats::jetstream::new(client.clone());
    let mut stream = js.get_stream(STREAM_NAME).await.context("could not read the event stream")?;
    let head = stream.info().await.context("could not read the event stream")?.state.last_sequence;
    let mut parts = Vec::new();
    for name in PARTS {
        let health = health_of(client, name).await;
        let lag = health.as_ref().map(|h| head.saturating_sub(h.applied_through));
        parts.push(PartStatus { name, health, lag });
    }
    // The embedded broker's keeper answers only under `reformctl up`; a deployment's broker is
    // watched by the province's own monitoring (docs/operations.md).
    if let Some(health) = health_of(client, BROKER).await {
        parts.push(PartStatus { name: BROKER, health: Some(health), lag: None });
    }
    Ok(StackStatus { stream_head: head, parts })
}

/// One part's health from its stats; `None` when it does not answer.
pub async fn health_of(client: &async_nats::Client, name: &str) -> Option<Health> {
    let request = client.request(format!("$SRV.STATS.{name}"), "".into());
    let reply = tokio::time::timeout(STATS_TIMEOUT, request).await.ok()?.ok()?;
    let stats: serde_json::Value = serde_json::from_slice(&reply.payload).ok()?;
    let data = stats.get("endpoints")?.as_array()?.iter().find_map(|e| e.get("data"))?;
    serde_json::from_value(data.clone()).ok()
}

/// Prints the status; errors (so the exit code is non-zero) when a part is not well.
pub async fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let status = gather(&ctx.client().await?).await?;
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print(&status);
    }
    if !status.ok() {
        let bad: Vec<String> = status
            .parts
            .iter()
            .filter(|p| !p.ok())
            .map(|p| format!("{} {}", p.name, p.state()))
            .collect();
        anyhow::bail!("not every part is running: {}", bad.join(", "));
    }
    Ok(())
}

/// The table people read.
pub fn print(status: &StackStatus) {
    println!("Luồng sự kiện {STREAM_NAME}: sequence cuối {}", status.stream_head);
    let mut table = Table::new(&[
        ("Thành phần", Align::Left),
        ("Trạng thái", Align::Left),
        ("Đã đọc tới", Align::Right),
        ("Chậm", Align::Right),
        ("Lỗi gần nhất", Align::Left),
    ]);
    for part in &status.parts {
        let applied = match (&part.health, part.lag) {
            (Some(h), Some(_)) => h.applied_through.to_string(),
            _ => "-".into(),
        };
        let lag = part.lag.map_or("-".into(), |l| l.to_string());
        let error = part.health.as_ref().map(last_problem).unwrap_or_default();
        table.row(vec![part.name.to_owned(), part.state().to_owned(), applied, lag, error]);
    }
    print!("{}", table.render());
}

/// What an operator should look at first: a reader's last error, and the events of the log the
/// part did not honour (forged by someone who can append: an incident, `docs/security.md`).
fn last_problem(health: &reform_shared::service::health::Health) -> String {
    let mut said = health.last_error.clone().unwrap_or_default();
    if let Some(last) = &health.last_not_honoured {
        if !said.is_empty() {
            said.push_str("; ");
        }
        said.push_str(&format!(
            "{} sự kiện không được ghi nhận, gần nhất {last}",
            health.not_honoured
        ));
    }
    said
}
