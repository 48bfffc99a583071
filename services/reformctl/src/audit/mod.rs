//! `reformctl audit`: what an auditor runs against the log itself, never the views.
//!
//! - `audit verify [--export FILE]`: every message decodes and its digest checks, sequences are
//!   contiguous, every event sits on its own subject and links to its aggregate's previous event
//!   ([`verify`]); the stream still refuses deletes and purges. Each problem is listed with its
//!   stream sequence; a one-line verdict and counts end it; the exit code is 0 for a pass and 8
//!   for a failure. A progress bar shows on a terminal.
//! - `audit checkpoint --key FILE`, `audit verify --checkpoint FILE --log-key KEY`: signed
//!   checkpoints of the log's Merkle tree, and proof that the log still extends one
//!   (`reform_shared::checkpoint`).
//! - `audit replay`: a view as known at a moment and/or as true at a date ([`replay`]).
//! - `audit export --out FILE`: the log as JSON Lines, one message a line (see
//!   `docs/export.schema.json`), which `verify --export` checks with no broker.
//!
//! One file per job: `check.rs` (verify), `checkpoints.rs` (checkpoints and proofs, at the
//! edge of [`reform_audit::log_tree`]), `receipts.rs` (a receipt checked offline), `transfer.rs` (export, import), `replay.rs`,
//! `explain.rs`; this file holds the command line and hands each command to its file.

mod check;
mod checkpoints;
pub mod explain;
mod receipts;
pub mod replay;
pub(crate) mod transfer;
pub use reform_shared::audit::verify;

use crate::ctx::Ctx;
use anyhow::Context as _;
use reform_shared::subject::STREAM_NAME;
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Auditors' tools: verify the log, export it.
    #[command(subcommand)]
    Audit(AuditCmd),
}

/// How many messages verify works out at once on every core (decoding and signatures) before
/// checking them in order.

#[derive(Debug, clap::Subcommand)]
pub enum AuditCmd {
    /// Check every message of the log (or of an export): digests, contiguous sequences,
    /// subjects, each aggregate's chain, every person's signature, key and access; and that
    /// the stream refuses deletes and purges.
    Verify {
        /// Check this export (JSON Lines from `audit export`) instead of the stream.
        #[arg(long)]
        export: Option<PathBuf>,
        /// Also prove the log still begins with exactly what this earlier checkpoint covered.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// The log's public key (nkeys) the checkpoint must be signed with: your trust anchor.
        #[arg(long)]
        log_key: Option<String>,
        /// A trust policy (c2sp.org/tlog-policy): the checkpoint must be signed by its log and
        /// cosigned by its quorum of witnesses.
        #[arg(long, requires = "checkpoint")]
        policy: Option<PathBuf>,
        /// Count people's unsigned events instead of failing them: for history written before
        /// requests were signed, or appended by a tool on people's behalf. Signatures that
        /// are there are still checked.
        #[arg(long)]
        allow_unsigned: bool,
    },
    /// A signed checkpoint of the log as it is: its size and Merkle root (RFC 6962), signed
    /// with the log's key in the signed-note format. Keep it: `verify --checkpoint` checks
    /// the log against it later.
    Checkpoint {
        /// The log's key (an nkeys seed file readable by its owner only; `audit key new`).
        #[arg(long)]
        key: PathBuf,
        /// Write the checkpoint here as well as to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// An inclusion proof, checkable offline by anyone with the checkpoint and the log's public
    /// key: the message at SEQ is in the tree the checkpoint signs.
    Prove {
        sequence: u64,
        #[arg(long)]
        checkpoint: PathBuf,
        #[arg(long)]
        log_key: String,
    },
    /// Check an inclusion proof (from `audit prove`) offline, against a checkpoint.
    CheckProof {
        proof: PathBuf,
        #[arg(long)]
        checkpoint: PathBuf,
        #[arg(long)]
        log_key: String,
    },
    /// The receipt (c2sp.org/tlog-proof) of the message at SEQ, from the published tiles
    /// (`reform-tlog`'s directory) and the message as the log holds it (operators).
    Receipt {
        sequence: u64,
        /// The tile directory `reform-tlog` writes.
        #[arg(long)]
        tiles: PathBuf,
        /// Write it here as well as to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a receipt (c2sp.org/tlog-proof, from the dashboard's /log/receipt/N) offline:
    /// the checkpoint meets the policy, and the message is in its tree.
    CheckReceipt {
        receipt: PathBuf,
        /// The trust policy (c2sp.org/tlog-policy): the log's key and the witnesses' quorum.
        #[arg(long)]
        policy: PathBuf,
        /// Also check that this report file (the period's JSON) is the one the receipt's close
        /// event names.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// The log's signing key.
    #[command(subcommand)]
    Key(KeyCmd),
    /// A view as known at a moment (`--known-at DATE` or `--through SEQ`), as true at a date
    /// (the view's `--as-of`), or both; from the log, never the live views.
    Replay(replay::Args),
    /// The events behind a figure. `explain score`: a unit's total in a stage, criterion by
    /// criterion, with the event in force for each; their sum is checked against the view.
    #[command(subcommand)]
    Explain(ExplainCmd),
    /// Restore an export into an empty log (a fresh server after `reformctl stream init`):
    /// every message on its subject, in order, so sequences, bytes and chains are the same and
    /// the views rebuilt from it are byte-identical.
    Import { file: PathBuf },
    /// Write the log as JSON Lines, one message a line.
    Export {
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ExplainCmd {
    /// A unit's total score in a stage.
    Score(explain::Args),
    /// A unit's task counts for a year, task by task.
    Tasks(explain::UnitYearArgs),
    /// A unit's rank in its peer group, from every peer's final total.
    Rank(explain::UnitYearArgs),
}

#[derive(Debug, clap::Subcommand)]
pub enum KeyCmd {
    /// Make a new key: the seed goes to FILE (mode 600), the public key is printed.
    New {
        #[arg(long)]
        out: PathBuf,
    },
    /// Start a trust policy for this log (c2sp.org/tlog-policy): its `log` line, from the
    /// log's identity and this key, and no quorum yet; add the witnesses and the quorum to it.
    Policy {
        /// The log's key (the seed `key new` made; only its public half is used).
        #[arg(long)]
        key: PathBuf,
        /// The policy file to write; an existing one is never replaced.
        #[arg(long)]
        out: PathBuf,
    },
}

pub async fn run(cmd: Cmd, ctx: &Ctx) -> anyhow::Result<()> {
    let Cmd::Audit(cmd) = cmd;
    match cmd {
        AuditCmd::Replay(args) => replay::run(args, ctx).await,
        AuditCmd::Explain(ExplainCmd::Score(args)) => explain::run(args, ctx).await,
        AuditCmd::Explain(ExplainCmd::Tasks(args)) => explain::tasks(args, ctx).await,
        AuditCmd::Explain(ExplainCmd::Rank(args)) => explain::rank(args, ctx).await,
        AuditCmd::Prove { sequence, checkpoint, log_key } => {
            checkpoints::prove(ctx, sequence, &checkpoint, &log_key).await
        }
        AuditCmd::CheckProof { proof, checkpoint, log_key } => {
            checkpoints::check_proof(&proof, &checkpoint, &log_key)
        }
        AuditCmd::Receipt { sequence, tiles, out } => {
            receipts::give(ctx, sequence, &tiles, out.as_deref()).await
        }
        AuditCmd::CheckReceipt { receipt, policy, report } => {
            receipts::check(&receipt, &policy, report.as_deref())
        }
        AuditCmd::Key(KeyCmd::New { out }) => checkpoints::new_key(&out),
        AuditCmd::Key(KeyCmd::Policy { key, out }) => checkpoints::policy(ctx, &key, &out).await,
        AuditCmd::Checkpoint { key, out } => {
            checkpoints::checkpoint(ctx, &key, out.as_deref()).await
        }
        AuditCmd::Verify { export, checkpoint, log_key, policy, allow_unsigned } => {
            let against = check::Against { checkpoint, log_key, policy, allow_unsigned };
            match export {
                Some(path) => check::export(ctx, &path, &against),
                None => check::live(ctx, &against).await,
            }
        }
        AuditCmd::Import { file } => transfer::import(ctx, &file).await,
        AuditCmd::Export { out } => transfer::export(ctx, &out).await,
    }
}

pub(crate) fn progress(len: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} messages ({per_sec})")
    {
        bar.set_style(style);
    }
    bar
}

pub(super) async fn log_head(js: &async_nats::jetstream::Context) -> anyhow::Result<u64> {
    let mut stream = js.get_stream(STREAM_NAME).await.context("could not read the event stream")?;
    Ok(stream.info().await.context("could not read the event stream")?.state.last_sequence)
}
