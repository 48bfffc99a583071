//! A message's receipt (c2sp.org/tlog-proof, [`reform_shared::tlog::receipt`]) from the
//! published tiles and the latest checkpoint, with its cosignatures: what a unit keeps and
//! checks offline with `reformctl audit check-receipt`.

use crate::store::{StoreError, TileDir};
use reform_shared::checkpoint::{entry, Checkpoint};
use reform_shared::log::{read_raw, Range};
use reform_shared::tlog::leaf_hash;
use reform_shared::tlog::proofs::{check_inclusion, inclusion};
use reform_shared::tlog::receipt::Receipt;
use std::ops::ControlFlow;

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
    #[error("could not read the log: {0}")]
    Log(#[from] reform_shared::log::ReadError),
    #[error("the tiles do not hold message {0} as the log does: the publication and the log differ; run `reformctl audit verify`")]
    Differs(u64),
}

/// The receipt of the message at `sequence`: the message as the log holds it, its path in the
/// tiles, and the published checkpoint (read once, so all three agree).
pub async fn from_log(
    js: &async_nats::jetstream::Context,
    dir: &TileDir,
    sequence: u64,
) -> Result<Receipt, ReceiptError> {
    let note = dir.checkpoint()?.ok_or(ReceiptError::NoCheckpoint)?;
    let cp = Checkpoint::parse(&note).map_err(|e| ReceiptError::Checkpoint(e.to_string()))?;
    if sequence == 0 || sequence > cp.size {
        return Err(ReceiptError::NotYet { sequence, size: cp.size });
    }
    let mut message = None;
    let range = Range::between(sequence - 1, sequence);
    read_raw(js, &range, |m| {
        message = Some(m.payload);
        ControlFlow::Break(())
    })
    .await?;
    let message = message.ok_or(ReceiptError::Differs(sequence))?;
    // The publisher refuses a gap, so the message at sequence N is the tree's entry N - 1.
    let index = sequence - 1;
    let path = inclusion(&dir.hashes(cp.size), index, cp.size)
        .map_err(|e| ReceiptError::Checkpoint(e.to_string()))?;
    let leaf = leaf_hash(&entry(sequence, &message));
    check_inclusion(&leaf, index, cp.size, &cp.root, &path)
        .map_err(|_| ReceiptError::Differs(sequence))?;
    Ok(Receipt { sequence, message, index, path, note })
}
