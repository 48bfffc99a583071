//! `reformctl audit`: what an auditor runs against the log itself, never the views.
//!
//! - `audit verify [--export FILE]`: every message decodes and its digest checks, sequences are
//!   contiguous, every event sits on its own subject and links to its aggregate's previous event
//!   ([`verify`]); the stream still refuses deletes and purges. Each problem is listed with its
//!   stream sequence; a one-line verdict and counts end it; the exit code is 0 for a pass and 8
//!   for a failure. A progress bar shows on a terminal.
//! - `audit replay`: a view as known at a moment and/or as true at a date ([`replay`]).
//! - `audit export --out FILE`: the log as JSON Lines, one message a line (see
//!   `docs/export.schema.json`), which `verify --export` checks with no broker.

pub mod replay;
pub mod verify;

use crate::ctx::Ctx;
use crate::outcome::{Classified, FailureKind};
use anyhow::Context as _;
use futures::StreamExt as _;
use reform_shared::subject::{ALL_EVENTS, STREAM_NAME};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use verify::{Message, Verifier};

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Auditors' tools: verify the log, export it.
    #[command(subcommand)]
    Audit(AuditCmd),
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCmd {
    /// Check every message of the log (or of an export): digests, contiguous sequences,
    /// subjects, each aggregate's chain; and that the stream refuses deletes and purges.
    Verify {
        /// Check this export (JSON Lines from `audit export`) instead of the stream.
        #[arg(long)]
        export: Option<PathBuf>,
    },
    /// A view as known at a moment (`--known-at DATE` or `--through SEQ`), as true at a date
    /// (the view's `--as-of`), or both; from the log, never the live views.
    Replay(replay::Args),
    /// Write the log as JSON Lines, one message a line.
    Export {
        #[arg(long)]
        out: PathBuf,
    },
}

/// One line of an export.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportLine {
    pub sequence: u64,
    pub subject: String,
    /// The message's bytes, hex: what the digest covers.
    pub payload_hex: String,
    /// The envelope as decoded, for people and tools without Rust; `null` when unreadable.
    pub envelope: Option<serde_json::Value>,
}

pub async fn run(cmd: Cmd, ctx: &Ctx) -> anyhow::Result<()> {
    let Cmd::Audit(cmd) = cmd;
    match cmd {
        AuditCmd::Replay(args) => replay::run(args, ctx).await,
        AuditCmd::Verify { export: Some(path) } => {
            let messages = read_export(&path)?;
            let mut verifier = Verifier::new();
            let bar = progress(messages.len() as u64);
            for m in &messages {
                verifier.check(m, None);
                bar.inc(1);
            }
            bar.finish_and_clear();
            conclude(verifier, ctx)
        }
        AuditCmd::Verify { export: None } => {
            let client = ctx.client().await?;
            let js = async_nats::jetstream::new(client);
            let mut verifier = Verifier::new();
            let mut stream =
                js.get_stream(STREAM_NAME).await.context("could not read the event stream")?;
            let info = stream.info().await.context("could not read the event stream")?.clone();
            for what in [
                (!info.config.deny_delete)
                    .then_some("the stream allows deleting messages (deny_delete is off)"),
                (!info.config.deny_purge)
                    .then_some("the stream allows purging (deny_purge is off)"),
                info.config
                    .allow_rollup
                    .then_some("the stream allows rollups, which erase history"),
            ]
            .into_iter()
            .flatten()
            {
                verifier.log_problem(what.to_owned());
            }
            let skips: BTreeMap<u64, reform_shared::skips::Skip> = reform_shared::skips::all(&js)
                .await?
                .into_iter()
                .map(|s| (s.sequence, s))
                .collect();
            let head = info.state.last_sequence;
            let bar = progress(head);
            for_each_message(&js, head, |m| {
                verifier.check(&m, skips.get(&m.sequence));
                bar.inc(1);
            })
            .await?;
            bar.finish_and_clear();
            conclude(verifier, ctx)
        }
        AuditCmd::Export { out } => {
            let client = ctx.client().await?;
            let js = async_nats::jetstream::new(client);
            let head = log_head(&js).await?;
            let file = std::fs::File::create(&out)
                .with_context(|| format!("could not create {}", out.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            let mut written = 0u64;
            let mut failed = None;
            for_each_message(&js, head, |m| {
                let envelope = reform_shared::codec::decode(&m.payload)
                    .ok()
                    .and_then(|r| serde_json::to_value(&r.envelope).ok());
                let line = ExportLine {
                    sequence: m.sequence,
                    subject: m.subject,
                    payload_hex: hex::encode(&m.payload),
                    envelope,
                };
                let result = serde_json::to_writer(&mut writer, &line)
                    .map_err(std::io::Error::other)
                    .and_then(|()| writer.write_all(b"\n"));
                if let Err(e) = result {
                    failed.get_or_insert(e);
                }
                written += 1;
            })
            .await?;
            if let Some(e) = failed {
                return Err(e).with_context(|| format!("could not write {}", out.display()));
            }
            writer.flush().with_context(|| format!("could not write {}", out.display()))?;
            println!("exported {written} messages to {}", out.display());
            Ok(())
        }
    }
}

fn progress(len: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} messages ({per_sec})")
    {
        bar.set_style(style);
    }
    bar
}

fn conclude(verifier: Verifier, ctx: &Ctx) -> anyhow::Result<()> {
    let verdict = verifier.finish();
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&verdict)?);
    } else {
        for p in &verdict.problems {
            if p.sequence == 0 {
                println!("log: {}", p.what);
            } else {
                println!("sequence {}: {}", p.sequence, p.what);
            }
        }
        for s in &verdict.skipped {
            println!(
                "sequence {s}: unreadable, skipped by an operator (see `reformctl log skips`)"
            );
        }
        println!("{}", verdict.line());
    }
    if verdict.passed {
        Ok(())
    } else {
        Err(Classified { kind: FailureKind::CheckFailed, message: verdict.line() }.into())
    }
}

async fn log_head(js: &async_nats::jetstream::Context) -> anyhow::Result<u64> {
    let mut stream = js.get_stream(STREAM_NAME).await.context("could not read the event stream")?;
    Ok(stream.info().await.context("could not read the event stream")?.state.last_sequence)
}

/// Every message from the first through `head`, in order, as stored.
async fn for_each_message(
    js: &async_nats::jetstream::Context,
    head: u64,
    mut each: impl FnMut(Message),
) -> anyhow::Result<()> {
    if head == 0 {
        return Ok(());
    }
    let stream = js.get_stream(STREAM_NAME).await.context("could not read the event stream")?;
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig {
            filter_subject: ALL_EVENTS.to_owned(),
            ..Default::default()
        })
        .await
        .context("could not read the event stream")?;
    let mut messages = consumer.messages().await.context("could not read the event stream")?;
    while let Some(message) = messages.next().await {
        let message = message.context("could not read the event stream")?;
        let sequence = message.info().map_err(|e| anyhow::anyhow!("{e}"))?.stream_sequence;
        each(Message {
            sequence,
            subject: message.subject.to_string(),
            payload: message.payload.to_vec(),
        });
        if sequence >= head {
            break;
        }
    }
    Ok(())
}

fn read_export(path: &std::path::Path) -> anyhow::Result<Vec<Message>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("could not open {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("could not read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: ExportLine = serde_json::from_str(&line).map_err(|e| Classified {
            kind: FailureKind::Invalid,
            message: format!("{} line {}: not an export line: {e}", path.display(), n + 1),
        })?;
        let payload = hex::decode(&parsed.payload_hex).map_err(|e| Classified {
            kind: FailureKind::Invalid,
            message: format!("{} line {}: payload_hex is not hex: {e}", path.display(), n + 1),
        })?;
        out.push(Message { sequence: parsed.sequence, subject: parsed.subject, payload });
    }
    Ok(out)
}
