//! The log's checkpoints, as a witness and an auditor use them: make one of the live log, prove
//! a message is in the log one signs, and decide whether a witness may cosign a new one.
//!
//! A witness keeps the last checkpoint it cosigned. It cosigns a new one only when the live log
//! gives exactly its root, is of the same origin, has not shrunk, and still begins with the
//! messages cosigned before (the old root at the old size): so a log rewritten after it was
//! witnessed can never be witnessed again. Files and keys stay with the caller (`reformctl audit
//! witness`); the protocol is here, beside the verifier, so any tool can run it.

use reform_shared::checkpoint::{Checkpoint, InclusionClaim, LogTree};
use reform_shared::log::{self, Range, ReadError};
use std::ops::ControlFlow::Continue;

/// Why a checkpoint is not cosigned, or a proof not given.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// The log does not hold what the checkpoint says: a check that failed.
    #[error("refused: {0}")]
    Refused(String),
    /// The log could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
}

fn refused(what: String) -> WitnessError {
    WitnessError::Refused(what)
}

/// The Merkle tree of the log's first `size` messages, watching its root at `watch` messages.
pub async fn tree_of(
    js: &async_nats::jetstream::Context,
    size: u64,
    watch: Option<u64>,
) -> Result<LogTree, ReadError> {
    let mut tree = LogTree::new(watch);
    log::read_raw(js, &Range::through(size).by("audit"), |m| {
        tree.push(m.sequence, &m.payload);
        Continue(())
    })
    .await?;
    Ok(tree)
}

/// The checkpoint of the whole log as it is now, of origin `origin`, unsigned.
pub async fn now(
    js: &async_nats::jetstream::Context,
    origin: String,
    head: u64,
) -> Result<Checkpoint, ReadError> {
    let tree = tree_of(js, head, None).await?;
    Ok(Checkpoint { origin, size: tree.size(), root: tree.root() })
}

/// Whether `new` may follow `previous` (the last checkpoint cosigned) without reading the log:
/// the same origin, and no fewer messages.
pub fn follows(previous: Option<&Checkpoint>, new: &Checkpoint) -> Result<(), WitnessError> {
    let Some(old) = previous else { return Ok(()) };
    if old.origin != new.origin {
        return Err(refused(format!(
            "the checkpoint is of \"{}\", the last one cosigned of \"{}\"",
            new.origin, old.origin
        )));
    }
    if old.size > new.size {
        return Err(refused(format!("the log shrank from {} to {} messages", old.size, new.size)));
    }
    Ok(())
}

/// Checks `new` against the live log and against `previous`, as a witness must before it
/// cosigns: [`follows`], the log's first `new.size` messages give its root, and they begin with
/// the messages cosigned before.
pub async fn check(
    js: &async_nats::jetstream::Context,
    previous: Option<&Checkpoint>,
    new: &Checkpoint,
) -> Result<(), WitnessError> {
    follows(previous, new)?;
    let tree = tree_of(js, new.size, previous.map(|p| p.size)).await?;
    if tree.size() != new.size || tree.root() != new.root {
        return Err(refused(format!(
            "the log's first {} messages do not give the checkpoint's root",
            new.size
        )));
    }
    if let Some(old) = previous.filter(|old| old.size > 0) {
        if tree.root_at_watch() != Some(old.root) {
            return Err(refused(format!(
                "the log no longer begins with the {} messages cosigned before: it was rewritten",
                old.size
            )));
        }
    }
    Ok(())
}

/// The proof that the message at `sequence` is in the log `cp` signs, read from the live log,
/// which must still give `cp`'s root.
pub async fn prove(
    js: &async_nats::jetstream::Context,
    cp: &Checkpoint,
    sequence: u64,
) -> Result<InclusionClaim, WitnessError> {
    if sequence == 0 || sequence > cp.size {
        return Err(refused(format!(
            "the checkpoint covers sequences 1 to {}; {sequence} is not among them",
            cp.size
        )));
    }
    let mut tree = LogTree::new(Some(cp.size));
    let mut found = None;
    log::read_raw(js, &Range::through(cp.size).by("audit"), |m| {
        if m.sequence == sequence {
            found = Some((tree.size(), m.payload.clone()));
        }
        tree.push(m.sequence, &m.payload);
        Continue(())
    })
    .await?;
    if tree.root_at_watch() != Some(cp.root) {
        return Err(refused(
            "the log no longer matches the checkpoint; run `audit verify --checkpoint`".into(),
        ));
    }
    let (index, payload) =
        found.ok_or_else(|| refused(format!("message {sequence} is not in the log")))?;
    let proof = tree.prove(index).ok_or_else(|| refused(format!("no proof for leaf {index}")))?;
    Ok(InclusionClaim {
        origin: cp.origin.clone(),
        tree_size: cp.size,
        root_hex: hex::encode(cp.root),
        sequence,
        leaf_index: index,
        payload_hex: hex::encode(&payload),
        proof_hex: hex::encode(proof),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(origin: &str, size: u64) -> Checkpoint {
        Checkpoint { origin: origin.into(), size, root: [0; 32] }
    }

    #[test]
    fn a_checkpoint_follows_one_of_its_origin_no_larger() {
        assert!(follows(None, &cp("a", 0)).is_ok());
        assert!(follows(Some(&cp("a", 3)), &cp("a", 3)).is_ok());
        let shrank = follows(Some(&cp("a", 4)), &cp("a", 3)).expect_err("shrank");
        assert_eq!(shrank.to_string(), "refused: the log shrank from 4 to 3 messages");
        let other = follows(Some(&cp("a", 1)), &cp("b", 3)).expect_err("another log");
        assert!(other.to_string().contains("of \"b\", the last one cosigned of \"a\""), "{other}");
    }
}
