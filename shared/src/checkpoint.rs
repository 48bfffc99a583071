//! Signed checkpoints of the log (for `reformctl audit`, the rollups' reports and the published
//! tiles): an RFC 6962 Merkle tree over every message, its size and root signed with the log's
//! key as a C2SP checkpoint (c2sp.org/tlog-checkpoint, a signed note):
//!
//! ```text
//! reform-tracker/PAR_EVENTS@1764579600123456789
//! 2742
//! <base64 root>
//!
//! — reform-tracker/PAR_EVENTS@1764579600123456789 <base64(key id ‖ Ed25519 signature)>
//! ```
//!
//! The origin line names the log by its identity, and the log signs under that same name, as
//! c2sp.org/tlog-policy asks. A leaf is the message's [`entry`]: its stream sequence and the
//! SHA-256 of its bytes as stored, so the tree can be published (tiles, receipts) without
//! publishing any event.
//!
//! An auditor who kept a checkpoint can later prove that the log still begins with exactly the
//! messages it covered: any event changed, removed or reordered anywhere before it, or a log
//! rewritten end to end, gives another root. The key is an nkeys seed in a file only its owner
//! can read; the public key is the auditor's trust anchor.

use crate::tlog::cosignature::{self, VerifierKey, ED25519};
use base64::Engine as _;
use ct_merkle::mem_backed_tree::MemoryBackedTree;
use sha2::Digest as _;
use std::path::Path;

/// The origin line's first part; the log's identity follows it after a `/`.
pub const ORIGIN_PREFIX: &str = "reform-tracker";

/// The origin line of a log of this identity, which is also the name the log signs under.
pub fn origin_of(identity: &crate::stream::LogIdentity) -> String {
    format!("{ORIGIN_PREFIX}/{}", identity.to_text())
}

/// Why a checkpoint or a key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{0}")]
    Malformed(String),
    #[error(transparent)]
    Note(#[from] cosignature::NoteError),
    #[error(transparent)]
    Key(#[from] crate::keyfile::KeyFileError),
}

/// A tree size and root, for one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: [u8; 32],
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// The verifier key of the log of `origin` whose nkeys public key is `public`.
pub fn log_verifier(origin: &str, public: &str) -> Result<VerifierKey, CheckpointError> {
    Ok(VerifierKey::from_nkey(origin, ED25519, public)?)
}

impl Checkpoint {
    /// The signed text.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, b64().encode(self.root))
    }

    /// The whole note, signed with the log's `key`.
    pub fn sign(&self, key: &nkeys::KeyPair) -> Result<String, CheckpointError> {
        let body = self.body();
        Ok(format!("{body}\n{}", cosignature::signature_line(&self.origin, &body, key)?))
    }

    /// Reads a note's body, without checking any signature.
    pub fn parse(note: &str) -> Result<Checkpoint, CheckpointError> {
        let bad = |what: &str| CheckpointError::Malformed(format!("not a checkpoint: {what}"));
        let (body, _) = cosignature::split(note)?;
        let mut lines = body.lines();
        let origin = lines.next().ok_or_else(|| bad("no origin line"))?.to_owned();
        let size: u64 =
            lines.next().and_then(crate::tlog::decimal).ok_or_else(|| bad("no tree size"))?;
        let root: [u8; 32] = lines
            .next()
            .and_then(|l| b64().decode(l).ok())
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| bad("no 32-byte root hash in base64"))?;
        Ok(Checkpoint { origin, size, root })
    }

    /// Reads a note and checks the log's signature by `public` (an nkeys public key).
    pub fn verify(note: &str, public: &str) -> Result<Checkpoint, CheckpointError> {
        let checkpoint = Checkpoint::parse(note)?;
        log_verifier(&checkpoint.origin, public)?.check_signature(note)?;
        Ok(checkpoint)
    }
}

/// The bytes of an entry: [`ENTRY_BYTES`].
pub const ENTRY_BYTES: usize = 8 + 32;

/// The tree's entry for one message: its stream sequence (8 bytes, big-endian), then the
/// SHA-256 of its bytes as stored. The leaf hash is RFC 6962's, SHA-256(0x00 ‖ entry).
pub fn entry(sequence: u64, payload: &[u8]) -> Vec<u8> {
    let mut entry = Vec::with_capacity(ENTRY_BYTES);
    entry.extend_from_slice(&sequence.to_be_bytes());
    entry.extend_from_slice(&sha2::Sha256::digest(payload));
    entry
}

/// The log's Merkle tree, grown message by message; remembers the root at one size on the way.
///
/// It keeps only the tree's right edge (RFC 6962's compact range): the root of each complete
/// subtree that the leaves so far fill, at most one per bit of the size, so 64 hashes at most
/// whatever the log's length. The root folds them from the right, as RFC 6962 splits a tree
/// at its largest power of two. A reader of the whole log (verify, a backup, the rollup's
/// remembered prefix) thus holds kilobytes, not the gigabyte a tree of every node takes at ten
/// million messages. [`ProvingTree`] keeps every leaf, for the one reader that proves.
#[derive(Debug, Clone, Default)]
pub struct LogTree {
    /// The complete subtrees' roots, largest (leftmost) first, with their sizes.
    edge: Vec<(u64, [u8; 32])>,
    size: u64,
    watch: Option<u64>,
    root_at_watch: Option<[u8; 32]>,
}

/// RFC 6962's hash of a leaf: SHA-256(0x00 ‖ entry).
fn leaf_hash(entry: &[u8]) -> [u8; 32] {
    sha2::Sha256::new().chain_update([0u8]).chain_update(entry).finalize().into()
}

/// RFC 6962's hash of an inner node: SHA-256(0x01 ‖ left ‖ right).
fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    sha2::Sha256::new().chain_update([1u8]).chain_update(left).chain_update(right).finalize().into()
}

impl LogTree {
    /// A tree that will remember its root when it reaches `watch` leaves.
    pub fn new(watch: Option<u64>) -> Self {
        Self { watch, ..Self::default() }
    }

    pub fn push(&mut self, sequence: u64, payload: &[u8]) {
        self.push_entry(&entry(sequence, payload));
    }

    /// Adds a leaf by its [`entry`], already made.
    fn push_entry(&mut self, entry: &[u8]) {
        let mut subtree = (1, leaf_hash(entry));
        // Two complete subtrees of one size make one of twice the size, as carries in binary.
        while let Some(&(size, left)) = self.edge.last() {
            if size != subtree.0 {
                break;
            }
            self.edge.pop();
            subtree = (size * 2, node_hash(&left, &subtree.1));
        }
        self.edge.push(subtree);
        self.size += 1;
        debug_assert_eq!(self.edge.iter().map(|(size, _)| size).sum::<u64>(), self.size);
        if Some(self.size) == self.watch {
            self.root_at_watch = Some(self.root());
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root; of the empty tree, SHA-256 of nothing (RFC 6962).
    pub fn root(&self) -> [u8; 32] {
        let mut subtrees = self.edge.iter().rev();
        let Some(&(_, last)) = subtrees.next() else { return sha2::Sha256::digest([]).into() };
        subtrees.fold(last, |right, (_, left)| node_hash(left, &right))
    }

    /// The root when the tree had the watched size, if it got there.
    pub fn root_at_watch(&self) -> Option<[u8; 32]> {
        self.root_at_watch
    }
}

/// A [`LogTree`] that also keeps every leaf, to prove that one is in it: what a receipt needs,
/// at the cost of memory in proportion to the log.
#[derive(Debug)]
pub struct ProvingTree {
    tree: LogTree,
    leaves: MemoryBackedTree<sha2::Sha256, Vec<u8>>,
}

impl ProvingTree {
    /// A tree that will remember its root when it reaches `watch` leaves.
    pub fn new(watch: Option<u64>) -> Self {
        Self { tree: LogTree::new(watch), leaves: MemoryBackedTree::new() }
    }

    pub fn push(&mut self, sequence: u64, payload: &[u8]) {
        let entry = entry(sequence, payload);
        self.tree.push_entry(&entry);
        self.leaves.push(entry);
    }

    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    pub fn root(&self) -> [u8; 32] {
        self.tree.root()
    }

    /// The root when the tree had the watched size, if it got there.
    pub fn root_at_watch(&self) -> Option<[u8; 32]> {
        self.tree.root_at_watch()
    }

    /// The RFC 6962 inclusion proof (the audit path, hashes concatenated) of the leaf at
    /// `index` (0 for the first message), in the tree as it is now.
    pub fn prove(&self, index: u64) -> Option<Vec<u8>> {
        let index = usize::try_from(index).ok()?;
        (index < usize::try_from(self.leaves.len()).ok()?)
            .then(|| self.leaves.prove_inclusion(index).as_bytes().to_vec())
    }
}

/// An inclusion proof a third party can check offline against a checkpoint: this message, at
/// this sequence, is in the tree the checkpoint signs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InclusionClaim {
    pub origin: String,
    pub tree_size: u64,
    pub root_hex: String,
    pub sequence: u64,
    /// 0 for the first message of the log.
    pub leaf_index: u64,
    pub payload_hex: String,
    pub proof_hex: String,
}

impl InclusionClaim {
    /// Checks the claim against a checkpoint already verified with the log's key.
    pub fn check(&self, checkpoint: &Checkpoint) -> Result<(), CheckpointError> {
        let bad = |what: String| CheckpointError::Malformed(what);
        if self.origin != checkpoint.origin
            || self.tree_size != checkpoint.size
            || self.root_hex != hex::encode(checkpoint.root)
        {
            return Err(bad(
                "the proof is for another checkpoint (origin, size or root differ)".into()
            ));
        }
        let payload =
            hex::decode(&self.payload_hex).map_err(|e| bad(format!("payload_hex: {e}")))?;
        let proof = hex::decode(&self.proof_hex).map_err(|e| bad(format!("proof_hex: {e}")))?;
        let proof = ct_merkle::InclusionProof::<sha2::Sha256>::try_from_bytes(proof)
            .map_err(|e| bad(format!("not an inclusion proof: {e:?}")))?;
        let root =
            ct_merkle::RootHash::<sha2::Sha256>::new(checkpoint.root.into(), checkpoint.size);
        root.verify_inclusion(&entry(self.sequence, &payload), self.leaf_index, &proof).map_err(
            |e| {
                bad(format!(
                    "message {} is not in the tree of {} messages this checkpoint signs ({e:?})",
                    self.sequence, checkpoint.size
                ))
            },
        )
    }
}

/// Writes a new nkeys seed to `path`, readable by its owner only; returns the public key.
pub fn new_key(path: &Path) -> Result<String, CheckpointError> {
    let key = nkeys::KeyPair::new_account();
    crate::keyfile::write(path, &key)?;
    Ok(key.public_key())
}

/// Reads a key seed, refusing a file others can read.
pub fn read_key(path: &Path) -> Result<nkeys::KeyPair, CheckpointError> {
    Ok(crate::keyfile::read(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(messages: &[&[u8]]) -> LogTree {
        let mut t = LogTree::new(None);
        for (i, m) in messages.iter().enumerate() {
            t.push(i as u64 + 1, m);
        }
        t
    }

    #[test]
    fn a_signed_checkpoint_verifies_and_any_change_does_not() {
        let key = nkeys::KeyPair::new_account();
        let t = tree(&[b"a", b"b", b"c"]);
        let cp = Checkpoint {
            origin: "reform-tracker/PAR_EVENTS@1".into(),
            size: t.size(),
            root: t.root(),
        };
        let note = cp.sign(&key).expect("signs");
        assert!(note.contains("\n\n— reform-tracker/PAR_EVENTS@1 "), "{note}");
        assert_eq!(Checkpoint::verify(&note, &key.public_key()).expect("verifies"), cp);
        let altered = note.replacen("\n3\n", "\n4\n", 1);
        assert!(matches!(
            Checkpoint::verify(&altered, &key.public_key()),
            Err(CheckpointError::Note(cosignature::NoteError::BadSignature(_)))
        ));
        let other = nkeys::KeyPair::new_account();
        assert!(matches!(
            Checkpoint::verify(&note, &other.public_key()),
            Err(CheckpointError::Note(cosignature::NoteError::NoSignature(_)))
        ));
        // A witness's cosignature is one more line; the log's signature still verifies.
        let witness = nkeys::KeyPair::new_account();
        let line = cosignature::cosignature_line("kho-bac.example/w", &cp.body(), &witness, 7)
            .expect("cosigns");
        let cosigned = format!("{note}{line}");
        Checkpoint::verify(&cosigned, &key.public_key()).expect("log signature intact");
        let w = VerifierKey::from_nkey(
            "kho-bac.example/w",
            cosignature::COSIGNATURE_V1,
            &witness.public_key(),
        )
        .expect("key");
        assert_eq!(w.check_cosignature(&cosigned).expect("witness"), 7);
        assert!(w.check_cosignature(&note).is_err());
    }

    /// The right edge gives the root a tree of every node gives (ct-merkle's), at every size
    /// from the empty tree through several carries, and remembers it at the watched size.
    #[test]
    fn the_right_edge_gives_the_whole_trees_root_at_every_size() {
        let mut edge = LogTree::new(Some(37));
        let mut whole = MemoryBackedTree::<sha2::Sha256, Vec<u8>>::new();
        assert_eq!(edge.root(), <[u8; 32]>::from(sha2::Sha256::digest([])), "the empty tree");
        assert_eq!(edge.root(), whole.root().as_bytes()[..], "the empty tree, as ct-merkle has it");
        for sequence in 1..=130u64 {
            let payload = sequence.to_le_bytes();
            edge.push(sequence, &payload);
            whole.push(entry(sequence, &payload));
            assert_eq!(edge.root(), whole.root().as_bytes()[..], "size {sequence}");
            assert!(edge.edge.len() <= 8, "at most one subtree per bit of {sequence}");
            if sequence == 37 {
                assert_eq!(edge.root_at_watch(), Some(edge.root()));
            }
        }
    }

    #[test]
    fn an_inclusion_proof_checks_offline_and_a_wrong_message_does_not() {
        let messages: [&[u8]; 5] = [b"a", b"b", b"c", b"d", b"e"];
        let mut t = ProvingTree::new(None);
        for (i, m) in messages.iter().enumerate() {
            t.push(i as u64 + 1, m);
        }
        let cp = Checkpoint { origin: "o".into(), size: t.size(), root: t.root() };
        let claim = InclusionClaim {
            origin: "o".into(),
            tree_size: 5,
            root_hex: hex::encode(cp.root),
            sequence: 3,
            leaf_index: 2,
            payload_hex: hex::encode(b"c"),
            proof_hex: hex::encode(t.prove(2).expect("in range")),
        };
        claim.check(&cp).expect("included");
        let forged = InclusionClaim { payload_hex: hex::encode(b"C"), ..claim.clone() };
        assert!(forged.check(&cp).is_err(), "another message");
        let moved = InclusionClaim { sequence: 4, ..claim };
        assert!(moved.check(&cp).is_err(), "another sequence");
        assert!(t.prove(5).is_none());
    }

    #[test]
    fn the_root_changes_with_any_change_before_it() {
        let honest = tree(&[b"a", b"b", b"c"]).root();
        assert_ne!(tree(&[b"a", b"B", b"c"]).root(), honest, "altered");
        assert_ne!(tree(&[b"a", b"c", b"b"]).root(), honest, "swapped");
        assert_ne!(tree(&[b"a", b"c"]).root(), honest, "removed");
        let mut watched = LogTree::new(Some(3));
        for (i, m) in [b"a", b"b", b"c", b"d"].iter().enumerate() {
            watched.push(i as u64 + 1, *m);
        }
        assert_eq!(
            watched.root_at_watch(),
            Some(honest),
            "a longer log keeps the old root at the old size"
        );
    }

    #[test]
    fn rfc6962_roots_of_known_trees() {
        // RFC 6962 section 2.1: the empty tree hashes to SHA-256 of nothing; one leaf to
        // SHA-256(0x00 ‖ entry), the entry being the sequence and the message's digest.
        let one = tree(&[b""]);
        let entry = [&1u64.to_be_bytes()[..], &sha2::Sha256::digest(b"")[..]].concat();
        let expected: [u8; 32] = sha2::Sha256::digest([&[0u8][..], &entry].concat()).into();
        assert_eq!(one.root(), expected);
    }

    #[test]
    fn a_key_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("log.nk");
        let public = new_key(&path).expect("key");
        assert_eq!(read_key(&path).expect("reads").public_key(), public);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let error = read_key(&path).expect_err("readable by others");
        assert!(error.to_string().contains("can be read by others (mode 644)"), "{error}");
    }
}
