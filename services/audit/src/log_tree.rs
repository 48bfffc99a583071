//! The live log's tree, as an auditor reads it: a checkpoint of the log as it is, and the proof
//! that a message is in the tree a checkpoint signs.

use reform_shared::checkpoint::{Checkpoint, InclusionClaim, LogTree, ProvingTree};
use reform_shared::log::{self, Range, ReadError};
use std::ops::ControlFlow::Continue;

/// Why a proof is not given.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// The log does not hold what the checkpoint says: a check that failed.
    #[error("refused: {0}")]
    Refused(String),
    /// The log could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
}

fn refused(what: String) -> TreeError {
    TreeError::Refused(what)
}

/// The Merkle tree of the log's first `size` messages, watching its root at `watch` messages.
pub async fn tree_of(
    js: &async_nats::jetstream::Context,
    size: u64,
    watch: Option<u64>,
) -> Result<LogTree, ReadError> {
    let mut tree = LogTree::new(watch);
    log::read_raw(js, &Range::through(size), |m| {
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

/// The proof that the message at `sequence` is in the log `cp` signs, read from the live log,
/// which must still give `cp`'s root.
pub async fn prove(
    js: &async_nats::jetstream::Context,
    cp: &Checkpoint,
    sequence: u64,
) -> Result<InclusionClaim, TreeError> {
    if sequence == 0 || sequence > cp.size {
        return Err(refused(format!(
            "the checkpoint covers sequences 1 to {}; {sequence} is not among them",
            cp.size
        )));
    }
    let mut tree = ProvingTree::new(Some(cp.size));
    let mut found = None;
    log::read_raw(js, &Range::through(cp.size), |m| {
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
