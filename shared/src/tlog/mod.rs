//! The log as the C2SP transparency-log specifications publish it, so that tools we did not
//! write can check it:
//!
//! - [`tiles`] (c2sp.org/tlog-tiles): the tree as static tiles and entry bundles.
//! - [`proofs`]: RFC 6962 inclusion and consistency proofs, computed from tiles.
//! - [`cosignature`] (c2sp.org/tlog-cosignature, signed-note vkeys): witnesses' signatures.
//! - [`policy`] (c2sp.org/tlog-policy): which log and witnesses, and how many must cosign.
//! - [`witness`] (c2sp.org/tlog-witness): what a witness decides on an `add-checkpoint`.
//! - [`receipt`] (c2sp.org/tlog-proof): a proof a unit keeps and checks offline.
//!
//! Everything here is pure: files, HTTP and clocks are the callers'.
//!
//! **What an entry holds.** A log entry is the message's stream sequence (8 bytes, big-endian)
//! and the SHA-256 of its bytes as stored (32 bytes): 40 bytes, whatever the event. Nothing of
//! the event itself is published: a tile reader learns how many events there are and that they
//! do not change, and whoever holds an event (its sender, an auditor with the log) can show it
//! is in the tree. See [`crate::checkpoint::entry`].

pub mod cosignature;
pub mod policy;
pub mod proofs;
pub mod receipt;
pub mod tiles;
pub mod witness;

use sha2::Digest as _;

/// A SHA-256 hash, as the tree uses them.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of nothing (RFC 6962, section 2.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// A decimal as the specifications write one: ASCII digits, no sign, no leading zero.
pub fn decimal(text: &str) -> Option<u64> {
    let ok = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    ok.then(|| text.parse().ok()).flatten()
}

/// An entry's leaf hash: SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = sha2::Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// An interior node's hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = sha2::Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_one_way() {
        assert_eq!(decimal("0"), Some(0));
        assert_eq!(decimal("300"), Some(300));
        for bad in ["", "05", "+5", "-1", "5 ", "x"] {
            assert_eq!(decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_empty_root_is_the_hash_of_nothing() {
        assert_eq!(EMPTY_ROOT, <[u8; 32]>::from(sha2::Sha256::digest(b"")));
    }
}
