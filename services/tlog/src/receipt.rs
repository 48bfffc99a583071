//! A message's receipt (c2sp.org/tlog-proof, [`reform_shared::tlog::receipt`]) from the
//! published tiles and the latest checkpoint, with its cosignatures: what a unit keeps and
//! checks offline with `reformctl audit check-receipt`.

use crate::store::{StoreError, TileDir};
use reform_shared::checkpoint::{entry, Checkpoint};
use reform_shared::tlog::leaf_hash;
use reform_shared::tlog::proofs::{check_inclusion, inclusion};
use reform_shared::tlog::receipt::Receipt;

/// Why no receipt is given.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("message {sequence} is not checkpointed yet: the latest checkpoint covers {size} messages; ask again in a moment")]
    NotYet { sequence: u64, size: u64 },
    #[error("no checkpoint is published yet")]
    NoCheckpoint,
    #[error("the published checkpoint is not one: {0}")]
    Checkpoint(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the tiles do not hold message {0} as the log does: the publication and the log differ; run `reformctl audit verify`")]
    Differs(u64),
}

/// How many messages the published checkpoint covers: those a receipt can be given for.
pub fn checkpointed(dir: &TileDir) -> Result<u64, ReceiptError> {
    let note = dir.checkpoint()?.ok_or(ReceiptError::NoCheckpoint)?;
    Ok(Checkpoint::parse(&note).map_err(|e| ReceiptError::Checkpoint(e.to_string()))?.size)
}

/// The receipt of the message at `sequence` (its bytes as stored: `message`).
pub fn receipt(dir: &TileDir, sequence: u64, message: Vec<u8>) -> Result<Receipt, ReceiptError> {
    let note = dir.checkpoint()?.ok_or(ReceiptError::NoCheckpoint)?;
    let cp = Checkpoint::parse(&note).map_err(|e| ReceiptError::Checkpoint(e.to_string()))?;
    if sequence == 0 || sequence > cp.size {
        return Err(ReceiptError::NotYet { sequence, size: cp.size });
    }
    // The publisher refuses a gap, so the message at sequence N is the tree's entry N - 1.
    let index = sequence - 1;
    let path = inclusion(&dir.hashes(cp.size), index, cp.size)
        .map_err(|e| ReceiptError::Checkpoint(e.to_string()))?;
    let leaf = leaf_hash(&entry(sequence, &message));
    check_inclusion(&leaf, index, cp.size, &cp.root, &path)
        .map_err(|_| ReceiptError::Differs(sequence))?;
    Ok(Receipt { sequence, message, index, path, note })
}
