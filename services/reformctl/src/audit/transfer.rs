//! `audit export` and `audit import`: the log as JSON Lines, one message a line (see
//! `docs/export.schema.json`), and an empty log restored from one after it verifies.

use super::log_head;
use super::verify::Message;
use crate::ctx::Ctx;
use crate::outcome::{Classified, ExitKind};
use anyhow::Context as _;
use async_nats::jetstream;
use reform_shared::checkpoint::LogTree;
use reform_shared::log::{self, Range};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::io::{BufRead as _, Write as _};
use std::ops::ControlFlow::Continue;
use std::path::Path;

/// One line of an export.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportLine {
    pub sequence: u64,
    pub subject: String,
    /// The message's bytes, hex: what the digest covers.
    pub payload_hex: String,
    /// The envelope as decoded, for people and tools without Rust; `null` when unreadable.
    pub envelope: Option<serde_json::Value>,
    /// When the broker stored it, in Unix milliseconds by the broker's clock (absent in
    /// exports written before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_at_ms: Option<i64>,
}

pub(super) async fn import(ctx: &Ctx, file: &Path) -> anyhow::Result<()> {
    // A restore checks the log is whole; `audit verify` then checks who signed it.
    let (verdict, _) = verified(file, &[], "imported")?;
    let client = ctx.client().await?;
    let js = async_nats::jetstream::new(client);
    let head = log_head(&js).await?;
    if head != 0 {
        return Err(Classified {
            kind: ExitKind::Refused,
            message: format!(
                "the log already holds {head} messages; import restores into an empty log only"
            ),
        }
        .into());
    }
    let published = publish_log(&js, file, verdict.messages).await?;
    println!("imported {published} messages; {}", verdict.line());
    Ok(())
}

pub(super) async fn export(ctx: &Ctx, out: &Path) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    let js = async_nats::jetstream::new(client);
    let head = log_head(&js).await?;
    let written = write_log(&js, head, out, |_| {}).await?;
    println!("exported {written} messages to {}", out.display());
    Ok(())
}

/// Writes the log through `head` to `out` as export lines, handing each message to `each` as
/// it goes; returns how many were written.
pub(crate) async fn write_log(
    js: &async_nats::jetstream::Context,
    head: u64,
    out: &Path,
    mut each: impl FnMut(&Message),
) -> anyhow::Result<u64> {
    let file = std::fs::File::create(out)
        .with_context(|| format!("could not create {}", out.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    let mut written = 0u64;
    let mut failed = None;
    log::read_raw(js, &Range::through(head), |m| {
        each(&m);
        let envelope = reform_shared::codec::decode(&m.payload)
            .ok()
            .and_then(|r| serde_json::to_value(&r.envelope).ok());
        let line = ExportLine {
            sequence: m.sequence,
            subject: m.subject,
            payload_hex: hex::encode(&m.payload),
            envelope,
            stored_at_ms: m.stored_at.map(|t| t.0),
        };
        let result = serde_json::to_writer(&mut writer, &line)
            .map_err(std::io::Error::other)
            .and_then(|()| writer.write_all(b"\n"));
        if let Err(e) = result {
            failed = Some(e);
            return std::ops::ControlFlow::Break(());
        }
        written += 1;
        Continue(())
    })
    .await?;
    if let Some(e) = failed {
        return Err(e).with_context(|| format!("could not write {}", out.display()));
    }
    writer.flush().with_context(|| format!("could not write {}", out.display()))?;
    Ok(written)
}

pub(super) fn read_export(path: &std::path::Path) -> anyhow::Result<Vec<Message>> {
    let mut out = Vec::new();
    each_line(path, |m| {
        out.push(m);
        Ok(())
    })?;
    Ok(out)
}

/// Hands every message of an export to `each`, in order, without holding them all.
pub(crate) fn each_line(
    path: &std::path::Path,
    mut each: impl FnMut(Message) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    for message in lines(path)? {
        each(message?)?;
    }
    Ok(())
}

/// The messages of an export, read one line at a time.
pub(crate) fn lines(
    path: &std::path::Path,
) -> anyhow::Result<impl Iterator<Item = anyhow::Result<Message>> + '_> {
    let file =
        std::fs::File::open(path).with_context(|| format!("could not open {}", path.display()))?;
    let lines = std::io::BufReader::new(file).lines().enumerate();
    Ok(lines.filter_map(move |(n, line)| match line {
        Ok(line) if line.trim().is_empty() => None,
        Ok(line) => Some(parse_line(path, n + 1, &line)),
        Err(e) => Some(Err(e).with_context(|| format!("could not read {}", path.display()))),
    }))
}

fn parse_line(path: &std::path::Path, n: usize, line: &str) -> anyhow::Result<Message> {
    let parsed: ExportLine = serde_json::from_str(line).map_err(|e| Classified {
        kind: ExitKind::Invalid,
        message: format!("{} line {n}: not an export line: {e}", path.display()),
    })?;
    let payload = hex::decode(&parsed.payload_hex).map_err(|e| Classified {
        kind: ExitKind::Invalid,
        message: format!("{} line {n}: payload_hex is not hex: {e}", path.display()),
    })?;
    let stored_at = parsed.stored_at_ms.map(reform_shared::time::Timestamp);
    Ok(Message { sequence: parsed.sequence, subject: parsed.subject, payload, stored_at })
}

/// How many messages a restore or an import has in flight to the broker at once.
const PUBLISH_WINDOW: usize = 512;

/// Checks an export message by message as `audit verify` does (unsigned history allowed, the
/// backup's skips honoured), without holding it whole; returns the verdict and its Merkle tree.
/// One that does not verify is refused, saying nothing was `done`.
pub(crate) fn verified(
    log: &Path,
    skips: &[reform_shared::skips::Skip],
    done: &str,
) -> anyhow::Result<(reform_shared::audit::verify::Verdict, LogTree)> {
    let skip = |sequence: u64| skips.iter().find(|s| s.sequence == sequence);
    // Whether the log is whole (digests, chains, signatures); `audit verify` then decides each
    // signed command again.
    let mut verifier = reform_shared::audit::verify::Verifier::allowing_unsigned();
    let mut tree = LogTree::new(None);
    let mut batch = Vec::with_capacity(reform_shared::audit::read::VERIFY_BATCH);
    each_line(log, |m| {
        tree.push(m.sequence, &m.payload);
        batch.push(m);
        if batch.len() == reform_shared::audit::read::VERIFY_BATCH {
            verifier.check_all(&batch, skip);
            batch.clear();
        }
        Ok(())
    })?;
    verifier.check_all(&batch, skip);
    let verdict = verifier.finish();
    if !verdict.passed {
        return Err(Classified {
            kind: ExitKind::CheckFailed,
            message: format!(
                "{} does not verify, nothing {done}: {}",
                log.display(),
                verdict.line()
            ),
        }
        .into());
    }
    Ok((verdict, tree))
}

/// Publishes the export into the empty log, [`PUBLISH_WINDOW`] at a time, each at the
/// sequence it had.
pub(crate) async fn publish_log(
    js: &jetstream::Context,
    log: &Path,
    total: u64,
) -> anyhow::Result<u64> {
    let bar = crate::audit::progress(total);
    let mut in_flight = VecDeque::with_capacity(PUBLISH_WINDOW);
    let mut published = 0;
    for m in lines(log)? {
        let m = m?;
        let ack = js
            .publish(m.subject.clone(), m.payload.into())
            .await
            .with_context(|| format!("could not publish sequence {}", m.sequence))?;
        in_flight.push_back((m.sequence, ack));
        if in_flight.len() == PUBLISH_WINDOW {
            published += settle(in_flight.pop_front()).await?;
            bar.inc(1);
        }
    }
    while let Some(next) = in_flight.pop_front() {
        published += settle(Some(next)).await?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(published)
}

async fn settle(
    next: Option<(u64, async_nats::jetstream::context::PublishAckFuture)>,
) -> anyhow::Result<u64> {
    let Some((sequence, ack)) = next else { return Ok(0) };
    let stored =
        ack.await.with_context(|| format!("the broker did not store sequence {sequence}"))?;
    if stored.sequence != sequence {
        anyhow::bail!(
            "the broker stored sequence {sequence} as {}: the log was written to during the restore",
            stored.sequence
        );
    }
    Ok(1)
}
