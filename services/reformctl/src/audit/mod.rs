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

pub mod explain;
pub mod replay;
pub use reform_shared::audit::verify;

use crate::ctx::Ctx;
use crate::outcome::{Classified, ExitKind};
use anyhow::Context as _;
use reform_shared::audit::read::{verify_stream, VERIFY_BATCH};
use reform_shared::checkpoint;
use reform_shared::log::{self, Range};
use reform_shared::subject::STREAM_NAME;
use serde::{Deserialize, Serialize};
use std::io::{BufRead as _, Write as _};
use std::ops::ControlFlow::Continue;
use std::path::PathBuf;
use verify::{Message, Verifier};

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
        #[arg(long, requires = "log_key")]
        checkpoint: Option<PathBuf>,
        /// The log's public key (nkeys) the checkpoint must be signed with: your trust anchor.
        #[arg(long)]
        log_key: Option<String>,
        /// A witness whose cosignature the checkpoint must carry, as NAME=PUBLIC_KEY; repeat
        /// for several.
        #[arg(long = "witness", requires = "checkpoint")]
        witnesses: Vec<String>,
        /// Count people's unsigned events instead of failing them: for history written before
        /// requests were signed, or appended by a tool on people's behalf. Signatures that
        /// are there are still checked.
        #[arg(long)]
        allow_unsigned: bool,
    },
    /// As a witness: cosign a checkpoint after checking, by reading the log, that it extends
    /// the last checkpoint this witness cosigned (kept in --state).
    Witness {
        #[arg(long)]
        checkpoint: PathBuf,
        #[arg(long)]
        log_key: String,
        /// The witness's name in its signature line.
        #[arg(long)]
        name: String,
        /// The witness's key (nkeys seed file, mode 600).
        #[arg(long)]
        key: PathBuf,
        /// Where the witness keeps the last checkpoint it cosigned.
        #[arg(long)]
        state: PathBuf,
        /// Write the cosigned checkpoint here.
        #[arg(long)]
        out: PathBuf,
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
}

/// An earlier checkpoint to hold the log against.
struct Anchor {
    checkpoint: checkpoint::Checkpoint,
}

fn anchor(path: Option<&PathBuf>, log_key: Option<&String>) -> anyhow::Result<Option<Anchor>> {
    let (Some(path), Some(key)) = (path, log_key) else { return Ok(None) };
    let note = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    let checkpoint = checkpoint::Checkpoint::verify(&note, key).map_err(|e| Classified {
        kind: ExitKind::CheckFailed,
        message: format!("{}: {e}", path.display()),
    })?;
    Ok(Some(Anchor { checkpoint }))
}

/// Checks the checkpoint's cosignatures by the witnesses named `NAME=PUBLIC_KEY`.
fn check_witnesses(path: Option<&PathBuf>, witnesses: &[String]) -> anyhow::Result<()> {
    let Some(path) = path else { return Ok(()) };
    if witnesses.is_empty() {
        return Ok(());
    }
    let note = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    for witness in witnesses {
        let (name, public) = witness.split_once('=').ok_or_else(|| Classified {
            kind: ExitKind::Invalid,
            message: format!("--witness {witness:?}: write NAME=PUBLIC_KEY"),
        })?;
        checkpoint::check_signature(&note, &checkpoint::witness_key_name(name), public).map_err(
            |e| Classified {
                kind: ExitKind::CheckFailed,
                message: format!("{}: {e}", path.display()),
            },
        )?;
    }
    Ok(())
}

/// Compares the log's tree with the anchor's, as a problem of the log when they differ.
fn hold_against(verifier: &mut Verifier, tree: &checkpoint::LogTree, anchor: &Anchor) {
    let cp = &anchor.checkpoint;
    match tree.root_at_watch() {
        Some(root) if root == cp.root => {}
        Some(root) => verifier.log_problem(format!(
            "the log's first {} messages do not match the checkpoint: its root is {}, theirs now {} (an event changed, removed or reordered, or the log rewritten)",
            cp.size,
            hex::encode(cp.root),
            hex::encode(root)
        )),
        None if cp.size == 0 => {}
        None => verifier.log_problem(format!(
            "the log has {} messages, fewer than the {} the checkpoint covers: it was cut short or replaced",
            tree.size(),
            cp.size
        )),
    }
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
    /// When the broker stored it, in Unix milliseconds by the broker's clock (absent in
    /// exports written before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_at_ms: Option<i64>,
}

pub async fn run(cmd: Cmd, ctx: &Ctx) -> anyhow::Result<()> {
    let Cmd::Audit(cmd) = cmd;
    match cmd {
        AuditCmd::Replay(args) => replay::run(args, ctx).await,
        AuditCmd::Explain(ExplainCmd::Score(args)) => explain::run(args, ctx).await,
        AuditCmd::Explain(ExplainCmd::Tasks(args)) => explain::tasks(args, ctx).await,
        AuditCmd::Explain(ExplainCmd::Rank(args)) => explain::rank(args, ctx).await,
        AuditCmd::Prove { sequence, checkpoint, log_key } => {
            let Some(anchor) = anchor(Some(&checkpoint), Some(&log_key))? else { return Ok(()) };
            let cp = anchor.checkpoint;
            if sequence == 0 || sequence > cp.size {
                return Err(Classified {
                    kind: ExitKind::Invalid,
                    message: format!(
                        "the checkpoint covers sequences 1 to {}; {sequence} is not among them",
                        cp.size
                    ),
                }
                .into());
            }
            let client = ctx.client().await?;
            let js = async_nats::jetstream::new(client);
            let mut tree = checkpoint::LogTree::new(Some(cp.size));
            let mut payload = Vec::new();
            let mut index = None;
            log::read_raw(&js, &Range::through(cp.size).by("audit"), |m| {
                if m.sequence == sequence {
                    index = Some(tree.size());
                    payload.clone_from(&m.payload);
                }
                tree.push(m.sequence, &m.payload);
                Continue(())
            })
            .await?;
            if tree.root_at_watch() != Some(cp.root) {
                return Err(Classified {
                    kind: ExitKind::CheckFailed,
                    message:
                        "the log no longer matches the checkpoint; run `audit verify --checkpoint`"
                            .into(),
                }
                .into());
            }
            let index = index.context("the message is not in the log")?;
            let claim = checkpoint::InclusionClaim {
                origin: cp.origin.clone(),
                tree_size: cp.size,
                root_hex: hex::encode(cp.root),
                sequence,
                leaf_index: index,
                payload_hex: hex::encode(&payload),
                proof_hex: hex::encode(tree.prove(index).context("index in range")?),
            };
            println!("{}", serde_json::to_string_pretty(&claim)?);
            Ok(())
        }
        AuditCmd::CheckProof { proof, checkpoint, log_key } => {
            let Some(anchor) = anchor(Some(&checkpoint), Some(&log_key))? else { return Ok(()) };
            let text = std::fs::read_to_string(&proof)
                .with_context(|| format!("could not read {}", proof.display()))?;
            let claim: checkpoint::InclusionClaim =
                serde_json::from_str(&text).map_err(|e| Classified {
                    kind: ExitKind::Invalid,
                    message: format!("{} is not an inclusion proof: {e}", proof.display()),
                })?;
            claim
                .check(&anchor.checkpoint)
                .map_err(|e| Classified { kind: ExitKind::CheckFailed, message: e.to_string() })?;
            println!(
                "included: message {} (leaf {}) is in the log of {} messages the checkpoint signs",
                claim.sequence, claim.leaf_index, claim.tree_size
            );
            Ok(())
        }
        AuditCmd::Witness { checkpoint: path, log_key, name, key, state, out } => {
            let note = std::fs::read_to_string(&path)
                .with_context(|| format!("could not read {}", path.display()))?;
            let new = checkpoint::Checkpoint::verify(&note, &log_key).map_err(|e| Classified {
                kind: ExitKind::CheckFailed,
                message: format!("{}: {e}", path.display()),
            })?;
            let previous = match std::fs::read_to_string(&state) {
                Ok(text) => Some(checkpoint::Checkpoint::verify(&text, &log_key).map_err(|e| {
                    Classified {
                        kind: ExitKind::CheckFailed,
                        message: format!("the witness's state {}: {e}", state.display()),
                    }
                })?),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(e).with_context(|| format!("could not read {}", state.display()))
                }
            };
            let refuse = |message: String| -> anyhow::Error {
                Classified { kind: ExitKind::CheckFailed, message }.into()
            };
            if let Some(old) = &previous {
                if old.origin != new.origin {
                    return Err(refuse(format!(
                        "refused: the checkpoint is of \"{}\", the last one cosigned of \"{}\"",
                        new.origin, old.origin
                    )));
                }
                if old.size > new.size {
                    return Err(refuse(format!(
                        "refused: the log shrank from {} to {} messages",
                        old.size, new.size
                    )));
                }
            }
            let client = ctx.client().await?;
            let js = async_nats::jetstream::new(client);
            let mut tree = checkpoint::LogTree::new(previous.as_ref().map(|p| p.size));
            log::read_raw(&js, &Range::through(new.size).by("audit"), |m| {
                tree.push(m.sequence, &m.payload);
                Continue(())
            })
            .await?;
            if tree.size() != new.size || tree.root() != new.root {
                return Err(refuse(format!(
                    "refused: the log's first {} messages do not give the checkpoint's root",
                    new.size
                )));
            }
            if let Some(old) = &previous {
                if old.size > 0 && tree.root_at_watch() != Some(old.root) {
                    return Err(refuse(format!(
                        "refused: the log no longer begins with the {} messages cosigned before: it was rewritten",
                        old.size
                    )));
                }
            }
            let witness_key = checkpoint::read_key(&key)?;
            let cosigned = checkpoint::cosign(&note, &name, &witness_key)?;
            std::fs::write(&out, &cosigned)
                .with_context(|| format!("could not write {}", out.display()))?;
            std::fs::write(&state, &note)
                .with_context(|| format!("could not write {}", state.display()))?;
            println!(
                "cosigned as {}: {} messages, consistent with the {} cosigned before",
                checkpoint::witness_key_name(&name),
                new.size,
                previous.map_or(0, |p| p.size)
            );
            Ok(())
        }
        AuditCmd::Key(KeyCmd::New { out }) => {
            let public = checkpoint::new_key(&out)?;
            println!("{public}");
            eprintln!(
                "the seed is in {} (readable by you only); give auditors the public key above",
                out.display()
            );
            Ok(())
        }
        AuditCmd::Checkpoint { key, out } => {
            let key = checkpoint::read_key(&key)?;
            let client = ctx.client().await?;
            let js = async_nats::jetstream::new(client);
            let identity = reform_shared::stream::current_identity(&js).await?;
            let head = log_head(&js).await?;
            let mut tree = checkpoint::LogTree::new(None);
            log::read_raw(&js, &Range::through(head).by("audit"), |m| {
                tree.push(m.sequence, &m.payload);
                Continue(())
            })
            .await?;
            let cp = checkpoint::Checkpoint {
                origin: format!("{} {}", checkpoint::ORIGIN_PREFIX, identity.to_text()),
                size: tree.size(),
                root: tree.root(),
            };
            let note = cp.sign(&key)?;
            if let Some(out) = out {
                std::fs::write(&out, &note)
                    .with_context(|| format!("could not write {}", out.display()))?;
            }
            print!("{note}");
            Ok(())
        }
        AuditCmd::Verify { export: Some(path), checkpoint, log_key, witnesses, allow_unsigned } => {
            let anchor = anchor(checkpoint.as_ref(), log_key.as_ref())?;
            check_witnesses(checkpoint.as_ref(), &witnesses)?;
            let messages = read_export(&path)?;
            let mut verifier = if allow_unsigned {
                reform_audit::verifier_allowing_unsigned()
            } else {
                reform_audit::verifier()
            };
            let mut tree =
                anchor.as_ref().map(|a| checkpoint::LogTree::new(Some(a.checkpoint.size)));
            let bar = progress(messages.len() as u64);
            for batch in messages.chunks(VERIFY_BATCH) {
                verifier.check_all(batch, |_| None);
                if let Some(tree) = tree.as_mut() {
                    batch.iter().for_each(|m| tree.push(m.sequence, &m.payload));
                }
                bar.inc(batch.len() as u64);
            }
            bar.finish_and_clear();
            if let (Some(tree), Some(anchor)) = (&tree, &anchor) {
                hold_against(&mut verifier, tree, anchor);
            }
            conclude(verifier, ctx)
        }
        AuditCmd::Verify { export: None, checkpoint, log_key, witnesses, allow_unsigned } => {
            let anchor = anchor(checkpoint.as_ref(), log_key.as_ref())?;
            check_witnesses(checkpoint.as_ref(), &witnesses)?;
            let mut tree =
                anchor.as_ref().map(|a| checkpoint::LogTree::new(Some(a.checkpoint.size)));
            let client = ctx.client().await?;
            let js = async_nats::jetstream::new(client);
            let mut verifier = if allow_unsigned {
                reform_audit::verifier_allowing_unsigned()
            } else {
                reform_audit::verifier()
            };
            let bar = std::cell::OnceCell::new();
            let info = verify_stream(
                &js,
                &mut verifier,
                |head| {
                    let _ = bar.set(progress(head));
                },
                |batch| {
                    if let Some(tree) = tree.as_mut() {
                        batch.iter().for_each(|m| tree.push(m.sequence, &m.payload));
                    }
                    if let Some(bar) = bar.get() {
                        bar.inc(batch.len() as u64);
                    }
                },
            )
            .await?;
            if let Some(bar) = bar.get() {
                bar.finish_and_clear();
            }
            if let Some(anchor) = &anchor {
                let identity = reform_shared::stream::LogIdentity::of(&info);
                let origin = format!("{} {}", checkpoint::ORIGIN_PREFIX, identity.to_text());
                if anchor.checkpoint.origin != origin {
                    verifier.log_problem(format!(
                        "the checkpoint is of the log \"{}\"; this one is \"{origin}\" (recreated or another stack)",
                        anchor.checkpoint.origin
                    ));
                }
            }
            if let (Some(tree), Some(anchor)) = (&tree, &anchor) {
                hold_against(&mut verifier, tree, anchor);
            }
            conclude(verifier, ctx)
        }
        AuditCmd::Import { file } => {
            let messages = read_export(&file)?;
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
                    message: format!("the log already holds {head} messages; import restores into an empty log only"),
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
        AuditCmd::Export { out } => {
            let client = ctx.client().await?;
            let js = async_nats::jetstream::new(client);
            let head = log_head(&js).await?;
            let file = std::fs::File::create(&out)
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
        Err(Classified { kind: ExitKind::CheckFailed, message: verdict.line() }.into())
    }
}

async fn log_head(js: &async_nats::jetstream::Context) -> anyhow::Result<u64> {
    let mut stream = js.get_stream(STREAM_NAME).await.context("could not read the event stream")?;
    Ok(stream.info().await.context("could not read the event stream")?.state.last_sequence)
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
