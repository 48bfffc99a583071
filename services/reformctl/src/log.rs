//! `reformctl stream init`: provision the log (the one step that creates or configures it), and
//! `reformctl log show|skip`: look at one message of the log, and record an operator's skip of
//! an unreadable one (see `docs/operations.md`, "An unreadable event").

use crate::ctx::Ctx;
use anyhow::Context as _;
use reform_shared::skips;
use reform_shared::stream::{init_stream, LogIdentity, StreamSettings};
use reform_shared::subject::STREAM_NAME;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Provision the event log: create the stream PAR_EVENTS (and the skip record) if absent,
    /// or check an existing one. Services never create or change it.
    #[command(subcommand)]
    Stream(StreamCmd),
    /// Look at the event log itself: one message, or an operator's skip of an unreadable one.
    #[command(subcommand)]
    Log(LogCmd),
}

#[derive(Debug, clap::Subcommand)]
pub enum StreamCmd {
    /// Create the stream if it is absent; check it if it exists. Prints what it did.
    Init {
        /// Replicas: 1 on a single node, 3 on a cluster. Used only when creating.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
        replicas: u8,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum LogCmd {
    /// Show one message: subject, size, digest, and what decoding it says.
    Show { sequence: u64 },
    /// Go past an unreadable message: recorded once, with the digest of its bytes, who and why.
    /// Every reader (services, projector) resumes after it within seconds.
    Skip {
        sequence: u64,
        /// Why it is safe to go past it (an incident number, what the bytes were).
        #[arg(long)]
        reason: String,
    },
    /// List the recorded skips.
    Skips,
    /// List the consumers on the log (projectors', readers', durable ones nobody reads);
    /// with --remove-stray, remove the durable ones nobody reads (services' credentials).
    Consumers {
        #[arg(long)]
        remove_stray: bool,
    },
}

pub async fn run(cmd: Cmd, ctx: &Ctx) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    let js = async_nats::jetstream::new(client);
    match cmd {
        Cmd::Stream(StreamCmd::Init { replicas }) => {
            let settings = StreamSettings { replicas: usize::from(replicas), ..Default::default() };
            let (info, created) = init_stream(&js, &settings).await?;
            let identity = LogIdentity::of(&info);
            if ctx.json() {
                let value = serde_json::json!({
                    "created": created, "identity": identity.to_text(),
                    "replicas": info.config.num_replicas, "messages": info.state.messages,
                });
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else if created {
                println!(
                    "created the event log {identity}, {} replica(s)",
                    info.config.num_replicas
                );
            } else {
                println!(
                    "the event log {identity} exists and is set up as required ({} replica(s), {} events); nothing changed",
                    info.config.num_replicas, info.state.messages
                );
            }
            Ok(())
        }
        Cmd::Log(LogCmd::Show { sequence }) => show(&js, sequence, ctx).await,
        Cmd::Log(LogCmd::Skip { sequence, reason }) => skip(&js, sequence, reason, ctx).await,
        Cmd::Log(LogCmd::Consumers { remove_stray }) => {
            crate::consumers::run(&js, remove_stray, ctx).await
        }
        Cmd::Log(LogCmd::Skips) => {
            let (all, malformed) = skips::listing(&js).await?;
            for bad in &malformed {
                eprintln!(
                    "{}: not a skip record, ignored by every reader (it skips nothing): {}",
                    bad.key, bad.why
                );
            }
            if ctx.json() {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else if all.is_empty() {
                println!("no skips recorded");
            } else {
                for s in all {
                    println!(
                        "sequence {}: skipped by {} at {}: {} (unreadable: {})",
                        s.sequence, s.by, s.recorded_at, s.reason, s.unreadable_because
                    );
                }
            }
            Ok(())
        }
    }
}

async fn raw(
    js: &async_nats::jetstream::Context,
    sequence: u64,
) -> anyhow::Result<async_nats::jetstream::message::StreamMessage> {
    let stream = js.get_stream(STREAM_NAME).await.context("could not read the event stream")?;
    stream
        .direct_get(sequence)
        .await
        .with_context(|| format!("stream {STREAM_NAME} has no message at sequence {sequence}"))
}

async fn show(js: &async_nats::jetstream::Context, sequence: u64, ctx: &Ctx) -> anyhow::Result<()> {
    let message = raw(js, sequence).await?;
    let decoded = reform_shared::codec::decode(&message.payload);
    let digest = skips::payload_sha256(&message.payload);
    let skip = skips::lookup(js, sequence).await?;
    if ctx.json() {
        let value = serde_json::json!({
            "sequence": sequence, "subject": message.subject.as_str(),
            "bytes": message.payload.len(), "payload_sha256": digest,
            "readable": decoded.is_ok(),
            "event": decoded.as_ref().ok().map(|r| r.envelope.event.type_name()),
            "error": decoded.as_ref().err().map(|e| e.to_string()),
            "skip": skip,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!(
        "sequence {sequence} on {}: {} bytes, SHA-256 {digest}",
        message.subject,
        message.payload.len()
    );
    match decoded {
        Ok(record) => println!(
            "  readable: {} (schema v{}), command {}",
            record.envelope.event.type_name(),
            record.schema_version,
            record.envelope.command_id
        ),
        Err(e) => println!("  unreadable: {e}"),
    }
    if let Some(skip) = skip {
        println!("  skipped by {} at {}: {}", skip.by, skip.recorded_at, skip.reason);
    }
    Ok(())
}

async fn skip(
    js: &async_nats::jetstream::Context,
    sequence: u64,
    reason: String,
    ctx: &Ctx,
) -> anyhow::Result<()> {
    let by = ctx
        .global
        .actor
        .as_ref()
        .map(ToString::to_string)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "operator".into());
    let (skip, bytes) = skips::skip_unreadable(js, sequence, &reason, &by).await?;
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&skip)?);
    } else {
        println!(
            "recorded: sequence {sequence} ({bytes} bytes, SHA-256 {}) is skipped; every reader goes past it within seconds",
            skip.payload_sha256
        );
    }
    Ok(())
}
