//! What a witness decides on `POST <prefix>/add-checkpoint` (c2sp.org/tlog-witness): the
//! request read, every refusal with the status the specification gives it, and the record the
//! witness keeps per log. The witness cosigns only a checkpoint its trusted log signed that
//! extends, by a consistency proof, the last one it cosigned; so a log rewritten after it was
//! witnessed, or shown differently to two witnesses, can never be cosigned again.
//!
//! The witness never reads the log: the proof is all it needs.

use super::cosignature::VerifierKey;
use super::proofs::check_consistency;
use super::{Hash, EMPTY_ROOT};
use crate::checkpoint::Checkpoint;
use base64::Engine as _;

/// The most consistency proof lines a request may carry.
pub const PROOF_LINES_MAX: usize = 63;
/// The largest request body a witness reads.
pub const REQUEST_BYTES_MAX: usize = 16 * 1024;

/// A parsed `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    pub old: u64,
    pub proof: Vec<Hash>,
    /// The signed checkpoint, verbatim.
    pub note: String,
}

/// The last checkpoint a witness cosigned for one log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cosigned {
    pub size: u64,
    pub root: Hash,
}

/// Why a witness does not cosign, with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 400.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 403.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404.
    #[error("unknown log: {0:?}")]
    UnknownLog(String),
    /// 409: the size the witness last cosigned.
    #[error("conflict: the witness last cosigned a tree of {0} entries")]
    Conflict(u64),
    /// 422.
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    /// 503: the witness cannot keep its record or sign now; nothing was cosigned.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::BadRequest(_) => 400,
            Refusal::Forbidden(_) => 403,
            Refusal::UnknownLog(_) => 404,
            Refusal::Conflict(_) => 409,
            Refusal::Unprocessable(_) => 422,
            Refusal::Unavailable(_) => 503,
        }
    }
}

impl AddCheckpoint {
    /// The request body: `old <size>`, the proof's hashes, a blank line, the checkpoint.
    pub fn to_body(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut out = format!("old {}\n", self.old);
        for h in &self.proof {
            out.push_str(&b64.encode(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.note);
        out
    }

    pub fn parse(body: &[u8]) -> Result<AddCheckpoint, Refusal> {
        let bad = |why: &str| Refusal::BadRequest(why.to_owned());
        if body.len() > REQUEST_BYTES_MAX {
            return Err(bad("the request is larger than a checkpoint and its proof can be"));
        }
        let text = std::str::from_utf8(body).map_err(|_| bad("the request is not UTF-8"))?;
        let (head, note) =
            text.split_once("\n\n").ok_or_else(|| bad("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .and_then(super::decimal)
            .ok_or_else(|| bad("the first line is not `old <size>`"))?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let proof = lines
            .map(|l| b64.decode(l).ok().and_then(|h| <Hash>::try_from(h).ok()))
            .collect::<Option<Vec<Hash>>>()
            .ok_or_else(|| bad("a proof line is not a base64 SHA-256 hash"))?;
        if proof.len() > PROOF_LINES_MAX {
            return Err(bad("more than 63 proof lines"));
        }
        Ok(AddCheckpoint { old, proof, note: note.to_owned() })
    }
}

/// Decides a request: the log it is of, the checkpoint, and whether it may be cosigned given
/// `last`, what this witness cosigned for that log before. On `Ok`, the caller cosigns, and
/// stores the returned record before it answers, in one step with reading `last`.
pub fn decide(
    logs: &[VerifierKey],
    last: impl FnOnce(&str) -> Option<Cosigned>,
    request: &AddCheckpoint,
) -> Result<(Checkpoint, Cosigned), Refusal> {
    let checkpoint = Checkpoint::parse(&request.note)
        .map_err(|e| Refusal::BadRequest(format!("the checkpoint: {e}")))?;
    let mut trusted = logs.iter().filter(|k| k.name == checkpoint.origin).peekable();
    if trusted.peek().is_none() {
        return Err(Refusal::UnknownLog(checkpoint.origin.clone()));
    }
    // Any of the log's trusted keys (one rotated in beside the old) will do; a line that
    // matches a trusted key but does not verify makes the note malformed.
    let mut signed = Err(Refusal::Forbidden("no signature by a key trusted for this log".into()));
    for key in trusted {
        match key.check_signature(&request.note) {
            Ok(()) => signed = Ok(()),
            Err(crate::tlog::cosignature::NoteError::NoSignature(_)) => {}
            Err(e) => return Err(Refusal::Forbidden(e.to_string())),
        }
    }
    signed?;
    if request.old > checkpoint.size {
        return Err(Refusal::BadRequest(format!(
            "the old size {} is larger than the checkpoint's {}",
            request.old, checkpoint.size
        )));
    }
    let previous = last(&checkpoint.origin).unwrap_or(Cosigned { size: 0, root: EMPTY_ROOT });
    if previous.size != request.old {
        return Err(Refusal::Conflict(previous.size));
    }
    if checkpoint.size == 0 && checkpoint.root != EMPTY_ROOT {
        return Err(Refusal::Unprocessable(
            "an empty tree has the root of the empty string".into(),
        ));
    }
    check_consistency(
        previous.size,
        &previous.root,
        checkpoint.size,
        &checkpoint.root,
        &request.proof,
    )
    .map_err(|e| {
        Refusal::Unprocessable(format!(
            "not consistent with the tree of {} cosigned before: {e}",
            previous.size
        ))
    })?;
    let record = Cosigned { size: checkpoint.size, root: checkpoint.root };
    Ok((checkpoint, record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::cosignature::ED25519;
    use crate::tlog::proofs::{consistency, MemoryHashes};
    use crate::tlog::tiles::Frontier;

    /// A log of `size` entries (`prefix` decides their bytes), its checkpoints signed.
    struct Log {
        key: nkeys::KeyPair,
        frontier: Frontier,
        hashes: MemoryHashes,
    }

    impl Log {
        fn new(key: nkeys::KeyPair) -> Log {
            Log { key, frontier: Frontier::default(), hashes: MemoryHashes::default() }
        }
        fn grow(&mut self, n: u64, tag: u8) {
            for _ in 0..n {
                let written = self.frontier.push(vec![tag; 4 + self.frontier.size() as usize % 7]);
                self.hashes.keep(&written);
            }
            self.hashes.keep(&self.frontier.partials());
        }
        fn note(&self) -> String {
            let cp = Checkpoint {
                origin: "example.org/log".into(),
                size: self.frontier.size(),
                root: self.frontier.root(),
            };
            cp.sign(&self.key).expect("signs")
        }
        fn request(&self, old: u64) -> AddCheckpoint {
            let proof = consistency(&self.hashes, old, self.frontier.size()).expect("proof");
            AddCheckpoint { old, proof, note: self.note() }
        }
    }

    fn same_key(key: &nkeys::KeyPair) -> nkeys::KeyPair {
        nkeys::KeyPair::from_seed(&key.seed().expect("seed")).expect("key")
    }

    fn logs(key: &nkeys::KeyPair) -> Vec<VerifierKey> {
        vec![VerifierKey::from_nkey("example.org/log", ED25519, &key.public_key()).expect("key")]
    }

    #[test]
    fn a_witness_follows_an_honest_log_and_refuses_a_fork() {
        let key = nkeys::KeyPair::new_account();
        let trusted = logs(&key);
        let mut log = Log::new(same_key(&key));
        log.grow(300, 1);
        let first = log.request(0);
        let parsed = AddCheckpoint::parse(first.to_body().as_bytes()).expect("reads back");
        assert_eq!(parsed, first);
        let (_, record) = decide(&trusted, |_| None, &parsed).expect("cosigns the first");
        log.grow(70_000, 1);
        let (_, next) =
            decide(&trusted, |_| Some(record), &log.request(300)).expect("an extension");
        assert_eq!(next.size, 70_300);

        // A fork: the same first 300 entries shown with one changed.
        let mut fork = Log::new(same_key(&key));
        fork.grow(299, 1);
        fork.grow(1, 2);
        fork.grow(70_000, 1);
        let refused = decide(&trusted, |_| Some(record), &fork.request(300)).expect_err("a fork");
        assert_eq!(refused.status(), 422, "{refused}");
        // Stale: the witness has moved on.
        assert_eq!(
            decide(&trusted, |_| Some(next), &log.request(300)),
            Err(Refusal::Conflict(70_300))
        );
    }

    #[test]
    fn refusals_carry_the_specifications_statuses() {
        let key = nkeys::KeyPair::new_account();
        let mut log = Log::new(same_key(&key));
        log.grow(10, 1);
        let other = nkeys::KeyPair::new_account();
        let request = log.request(0);
        assert_eq!(decide(&logs(&other), |_| None, &request).map_err(|e| e.status()), Err(403));
        assert_eq!(decide(&[], |_| None, &request).map_err(|e| e.status()), Err(404));
        let too_old = AddCheckpoint { old: 11, ..request.clone() };
        assert_eq!(decide(&logs(&key), |_| None, &too_old).map_err(|e| e.status()), Err(400));
        let proof_from_nothing = AddCheckpoint { proof: vec![[0; 32]], ..request };
        assert_eq!(
            decide(&logs(&key), |_| None, &proof_from_nothing).map_err(|e| e.status()),
            Err(422)
        );
        for body in ["old 01\n\nx", "old 1\nnot-base64\n\nx", "no blank line", "old -1\n\nx"] {
            let refused = AddCheckpoint::parse(body.as_bytes()).expect_err(body);
            assert_eq!(refused.status(), 400, "{body}");
        }
    }
}
