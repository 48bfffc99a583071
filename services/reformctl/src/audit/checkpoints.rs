//! `audit checkpoint`, `prove`, `check-proof`, `key new|policy`: the log's signed checkpoints at the
//! edge. The live log's tree (a checkpoint of it, an inclusion proof) is the audit library's,
//! [`reform_audit::log_tree`]; here are the files, the keys and what the command prints.

use super::verify::Verifier;
use crate::ctx::Ctx;
use crate::outcome::{Classified, ExitKind};
use anyhow::Context as _;
use reform_audit::log_tree::{self, TreeError};
use reform_shared::checkpoint;
use std::path::{Path, PathBuf};

/// An earlier checkpoint to hold the log against.
pub(super) struct Anchor {
    pub(super) checkpoint: checkpoint::Checkpoint,
}

pub(super) fn anchor(
    path: Option<&PathBuf>,
    log_key: Option<&String>,
    policy: Option<&PathBuf>,
) -> anyhow::Result<Option<Anchor>> {
    let Some(path) = path else { return Ok(None) };
    let note = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    let failed = |e: String| Classified {
        kind: ExitKind::CheckFailed,
        message: format!("{}: {e}", path.display()),
    };
    let mut checkpoint = None;
    if let Some(key) = log_key {
        checkpoint =
            Some(checkpoint::Checkpoint::verify(&note, key).map_err(|e| failed(e.to_string()))?);
    }
    if let Some(policy) = policy {
        let policy = reform_tlog::read_policy(policy)
            .map_err(|e| Classified { kind: ExitKind::Invalid, message: e.to_string() })?;
        let checked = policy.check(&note).map_err(|e| failed(e.to_string()))?;
        eprintln!(
            "the checkpoint meets the policy's quorum: cosigned by {}",
            if checked.cosigned.is_empty() {
                "no witness (none required)".to_owned()
            } else {
                checked.cosigned.join(", ")
            }
        );
        checkpoint = Some(checked.checkpoint);
    }
    let checkpoint = checkpoint.ok_or_else(|| Classified {
        kind: ExitKind::Invalid,
        message: "--checkpoint needs --log-key or --policy to check its signature".into(),
    })?;
    Ok(Some(Anchor { checkpoint }))
}

/// Compares the log's tree with the anchor's, as a problem of the log when they differ.
pub(super) fn hold_against(verifier: &mut Verifier, tree: &checkpoint::LogTree, anchor: &Anchor) {
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

/// A refusal of the protocol as a check that failed; a log that cannot be read as itself.
fn failed(e: TreeError) -> anyhow::Error {
    match e {
        TreeError::Refused(_) => {
            Classified { kind: ExitKind::CheckFailed, message: e.to_string() }.into()
        }
        TreeError::Read(e) => e.into(),
    }
}

/// The checkpoint note at `path`, signed with `log_key`.
fn read_checkpoint(path: &Path, log_key: &str) -> anyhow::Result<(String, checkpoint::Checkpoint)> {
    let note = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    let cp = checkpoint::Checkpoint::verify(&note, log_key).map_err(|e| Classified {
        kind: ExitKind::CheckFailed,
        message: format!("{}: {e}", path.display()),
    })?;
    Ok((note, cp))
}

pub(super) async fn prove(
    ctx: &Ctx,
    sequence: u64,
    path: &Path,
    log_key: &str,
) -> anyhow::Result<()> {
    let (_, cp) = read_checkpoint(path, log_key)?;
    if sequence == 0 || sequence > cp.size {
        let message = format!(
            "the checkpoint covers sequences 1 to {}; {sequence} is not among them",
            cp.size
        );
        return Err(Classified { kind: ExitKind::Invalid, message }.into());
    }
    let js = async_nats::jetstream::new(ctx.client().await?);
    let claim = log_tree::prove(&js, &cp, sequence).await.map_err(failed)?;
    println!("{}", serde_json::to_string_pretty(&claim)?);
    Ok(())
}

pub(super) fn check_proof(proof: &Path, path: &Path, log_key: &str) -> anyhow::Result<()> {
    let (_, cp) = read_checkpoint(path, log_key)?;
    let text = std::fs::read_to_string(proof)
        .with_context(|| format!("could not read {}", proof.display()))?;
    let claim: checkpoint::InclusionClaim =
        serde_json::from_str(&text).map_err(|e| Classified {
            kind: ExitKind::Invalid,
            message: format!("{} is not an inclusion proof: {e}", proof.display()),
        })?;
    claim
        .check(&cp)
        .map_err(|e| Classified { kind: ExitKind::CheckFailed, message: e.to_string() })?;
    println!(
        "included: message {} (leaf {}) is in the log of {} messages the checkpoint signs",
        claim.sequence, claim.leaf_index, claim.tree_size
    );
    Ok(())
}

pub(super) fn new_key(out: &Path) -> anyhow::Result<()> {
    let public = checkpoint::new_key(out)?;
    println!("{public}");
    eprintln!(
        "the seed is in {} (readable by you only); give auditors the public key above",
        out.display()
    );
    Ok(())
}

/// A policy naming this log and no witness: where an installation's policy starts.
pub(super) async fn policy(ctx: &Ctx, key: &Path, out: &Path) -> anyhow::Result<()> {
    let public = checkpoint::read_key(key)?.public_key();
    let js = async_nats::jetstream::new(ctx.client().await?);
    let identity = reform_shared::stream::current_identity(&js).await?;
    let vkey = checkpoint::log_verifier(&checkpoint::origin_of(&identity), &public)?.to_vkey();
    let text = format!("log {vkey}\nquorum none\n");
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).open(out).with_context(|| {
            format!("could not create {} (an existing policy is never replaced)", out.display())
        })?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .with_context(|| format!("could not write {}", out.display()))?;
    print!("{text}");
    eprintln!(
        "wrote {}: add each witness (`witness NAME VKEY URL`) and the quorum (docs/operations.md)",
        out.display()
    );
    Ok(())
}

pub(super) async fn checkpoint(ctx: &Ctx, key: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    let key = checkpoint::read_key(key)?;
    let js = async_nats::jetstream::new(ctx.client().await?);
    let identity = reform_shared::stream::current_identity(&js).await?;
    let origin = checkpoint::origin_of(&identity);
    let cp = log_tree::now(&js, origin, super::log_head(&js).await?).await?;
    let note = cp.sign(&key)?;
    if let Some(out) = out {
        std::fs::write(out, &note).with_context(|| format!("could not write {}", out.display()))?;
    }
    print!("{note}");
    Ok(())
}
