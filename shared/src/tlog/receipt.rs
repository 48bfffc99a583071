//! A receipt: a c2sp.org/tlog-proof that one message is in a witnessed checkpoint, which its
//! holder checks offline, with a policy and no broker.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64(sequence ‖ the message as stored)>
//! index 41
//! <the audit path, one base64 hash per line>
//!
//! <the checkpoint, with its cosignatures>
//! ```
//!
//! The `extra` line carries the message itself: it is not trusted, but the entry is built from
//! it (its sequence and the SHA-256 of its bytes), so only the message that is in the tree
//! passes. A period report's receipt is the receipt of its close event, which names the
//! report's digest.

use super::policy::{Checked, Policy, PolicyError};
use super::proofs::{check_inclusion, ProofError};
use super::{leaf_hash, Hash};
use base64::Engine as _;

/// The first line of every receipt.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// A receipt, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The message's stream sequence.
    pub sequence: u64,
    /// The message's bytes as stored.
    pub message: Vec<u8>,
    /// Its index in the tree (0 for the first message).
    pub index: u64,
    pub path: Vec<Hash>,
    /// The signed, cosigned checkpoint.
    pub note: String,
}

/// Why a receipt does not show what it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("not a receipt: {0}")]
    Malformed(String),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("the message is not in the checkpoint's tree: {0}")]
    NotIncluded(ProofError),
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

impl Receipt {
    pub fn to_text(&self) -> String {
        let mut extra = self.sequence.to_be_bytes().to_vec();
        extra.extend_from_slice(&self.message);
        let mut out = format!("{HEADER}\nextra {}\nindex {}\n", b64().encode(extra), self.index);
        for h in &self.path {
            out.push_str(&b64().encode(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.note);
        out
    }

    pub fn parse(text: &str) -> Result<Receipt, ReceiptError> {
        let bad = |why: &str| ReceiptError::Malformed(why.to_owned());
        let (head, note) =
            text.split_once("\n\n").ok_or_else(|| bad("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(bad("its first line is not c2sp.org/tlog-proof@v1"));
        }
        let extra = lines
            .next()
            .and_then(|l| l.strip_prefix("extra "))
            .and_then(|e| b64().decode(e).ok())
            .filter(|e| e.len() >= 8)
            .ok_or_else(|| bad("no extra line with the message's sequence and bytes"))?;
        let index = lines
            .next()
            .and_then(|l| l.strip_prefix("index "))
            .and_then(super::decimal)
            .ok_or_else(|| bad("no index line"))?;
        let path = lines
            .map(|l| b64().decode(l).ok().and_then(|h| Hash::try_from(h).ok()))
            .collect::<Option<Vec<Hash>>>()
            .ok_or_else(|| bad("a proof line is not a base64 SHA-256 hash"))?;
        let (sequence, message) = extra.split_at(8);
        let sequence = u64::from_be_bytes(sequence.try_into().map_err(|_| bad("sequence"))?);
        Ok(Receipt { sequence, message: message.to_vec(), index, path, note: note.to_owned() })
    }

    /// Checks the receipt against a policy: the checkpoint meets it, and the message (its
    /// sequence and bytes) is the entry at `index` of the checkpoint's tree.
    pub fn check(&self, policy: &Policy) -> Result<Checked, ReceiptError> {
        let checked = policy.check(&self.note)?;
        let leaf = leaf_hash(&crate::checkpoint::entry(self.sequence, &self.message));
        let cp = &checked.checkpoint;
        check_inclusion(&leaf, self.index, cp.size, &cp.root, &self.path)
            .map_err(ReceiptError::NotIncluded)?;
        Ok(checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{entry, Checkpoint};
    use crate::tlog::cosignature::{VerifierKey, ED25519};
    use crate::tlog::proofs::{inclusion, MemoryHashes};
    use crate::tlog::tiles::Frontier;

    /// A log of ten messages, its signed checkpoint, and a policy naming it.
    fn log(origin: &str) -> (Vec<Vec<u8>>, MemoryHashes, String, Policy) {
        let key = nkeys::KeyPair::new_account();
        let messages: Vec<Vec<u8>> = (1..=10u8).map(|i| vec![i; 20]).collect();
        let mut frontier = Frontier::default();
        let mut hashes = MemoryHashes::default();
        for (i, m) in messages.iter().enumerate() {
            hashes.keep(&frontier.push(entry(i as u64 + 1, m)));
        }
        hashes.keep(&frontier.partials());
        let cp = Checkpoint { origin: origin.into(), size: 10, root: frontier.root() };
        let vkey = VerifierKey::from_nkey(origin, ED25519, &key.public_key()).expect("key");
        let policy =
            Policy::parse(&format!("log {}\nquorum none\n", vkey.to_vkey())).expect("policy");
        (messages, hashes, cp.sign(&key).expect("signs"), policy)
    }

    fn receipt_of(
        messages: &[Vec<u8>],
        hashes: &MemoryHashes,
        note: &str,
        sequence: u64,
    ) -> Receipt {
        let index = sequence - 1;
        let path = inclusion(hashes, index, 10).expect("a path");
        let message = messages[index as usize].clone();
        Receipt { sequence, message, index, path, note: note.to_owned() }
    }

    #[test]
    fn a_receipt_reads_back_and_checks_and_a_tampered_one_does_not() {
        let (messages, hashes, note, policy) = log("example.org/log");
        let receipt = receipt_of(&messages, &hashes, &note, 4);
        let text = receipt.to_text();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra "), "{text}");
        let parsed = Receipt::parse(&text).expect("reads back");
        assert_eq!(parsed, receipt);
        assert_eq!(parsed.check(&policy).expect("holds").checkpoint.size, 10);

        let other_message = Receipt { message: messages[4].clone(), ..receipt.clone() };
        assert!(matches!(other_message.check(&policy), Err(ReceiptError::NotIncluded(_))));
        let other_place = Receipt { index: 5, ..receipt.clone() };
        assert!(matches!(other_place.check(&policy), Err(ReceiptError::NotIncluded(_))));
        let (_, _, _, another_policy) = log("another.example/log");
        let error = receipt.check(&another_policy).expect_err("another log");
        assert_eq!(
            error.to_string(),
            "the checkpoint is of \"example.org/log\", a log the policy does not name"
        );
        for bad in [&text[..text.len() / 3], "c2sp.org/tlog-proof@v2\n\nx", "nothing"] {
            assert!(matches!(Receipt::parse(bad), Err(ReceiptError::Malformed(_))), "{bad}");
        }
    }
}
