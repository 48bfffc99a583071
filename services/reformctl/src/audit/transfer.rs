//! `audit export` and `audit import`: the log as JSON Lines, one message a line (see
//! `docs/export.schema.json`), and an empty log restored from one after it verifies.

use super::verify::{Message, Verifier};
use super::{log_head, progress};
use crate::ctx::Ctx;
use crate::outcome::{Classified, ExitKind};
use anyhow::Context as _;
use reform_shared::audit::read::VERIFY_BATCH;
use reform_shared::log::{self, Range};
use serde::{Deserialize, Serialize};
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
    let messages = read_export(file)?;
    // A restore checks the log is whole; `audit verify` then checks who signed it.
    let mut verifier = Verifier::allowing_unsigned();
    for batch in messages.chunks(VERIFY_BATCH) {
        verifier.check_all(batch, |_| None);
    }
    let verdict = verifier.finish();
    if !verdict.passed {
        return Err(Classified {
            kind: ExitKind::CheckFailed,
            message: format!(
                "{} does not verify, nothing imported: {}",
                file.display(),
                verdict.line()
            ),
        }
        .into());
    }
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
    let bar = progress(messages.len() as u64);
    for m in &messages {
        let ack = js
            .publish(m.subject.clone(), m.payload.clone().into())
            .await
            .with_context(|| format!("could not publish sequence {}", m.sequence))?
            .await
            .with_context(|| format!("the broker did not store sequence {}", m.sequence))?;
        if ack.sequence != m.sequence {
            anyhow::bail!(
                "the broker stored sequence {} as {}: the log was written to during the import",
                m.sequence,
                ack.sequence
            );
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!("imported {} messages; {}", messages.len(), verdict.line());
    Ok(())
}

pub(super) async fn export(ctx: &Ctx, out: &Path) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    let js = async_nats::jetstream::new(client);
    let head = log_head(&js).await?;
    let file = std::fs::File::create(out)
        .with_context(|| format!("could not create {}", out.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    let mut written = 0u64;
    let mut failed = None;
    log::read_raw(&js, &Range::through(head).by("audit"), |m| {
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
    println!("exported {written} messages to {}", out.display());
    Ok(())
}

pub(super) fn read_export(path: &std::path::Path) -> anyhow::Result<Vec<Message>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("could not open {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("could not read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: ExportLine = serde_json::from_str(&line).map_err(|e| Classified {
            kind: ExitKind::Invalid,
            message: format!("{} line {}: not an export line: {e}", path.display(), n + 1),
        })?;
        let payload = hex::decode(&parsed.payload_hex).map_err(|e| Classified {
            kind: ExitKind::Invalid,
            message: format!("{} line {}: payload_hex is not hex: {e}", path.display(), n + 1),
        })?;
        let stored_at = parsed.stored_at_ms.map(reform_shared::time::Timestamp);
        out.push(Message {
            sequence: parsed.sequence,
            subject: parsed.subject,
            payload,
            stored_at,
        });
    }
    Ok(out)
}
