//! A trust policy in the c2sp.org/tlog-policy format: the logs a checkpoint may be signed by,
//! the witnesses, and the quorum of cosignatures that makes a checkpoint valid.
//!
//! ```text
//! log reform-tracker/PAR_EVENTS@1764579600123456789+1a2b3c4d+AQ…
//! witness so-noi-vu so-noi-vu.soctrang.gov.vn/witness+5e6f7a8b+BA… http://10.0.0.5:7380
//! witness thanh-tra thanh-tra.soctrang.gov.vn/witness+…+BA… http://10.0.0.6:7380
//! witness kiem-toan kiem-toan.gov.vn/witness+…+BA… http://10.0.0.7:7380
//! group ba-co-quan 2 so-noi-vu thanh-tra kiem-toan
//! quorum ba-co-quan
//! ```

use super::cosignature::{NoteError, VerifierKey, COSIGNATURE_V1, ED25519};
use crate::checkpoint::Checkpoint;
use std::collections::{BTreeMap, BTreeSet};

/// A witness the policy names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    pub name: String,
    pub key: VerifierKey,
    /// Its submission prefix (`<url>/add-checkpoint`), when the policy gives one.
    pub url: Option<String>,
}

/// Who counts: a witness, or `threshold` of a group's members.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Member {
    Witness(usize),
    Group { threshold: usize, members: Vec<String> },
}

/// A parsed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub logs: Vec<(VerifierKey, Option<String>)>,
    pub witnesses: Vec<Witness>,
    names: BTreeMap<String, Member>,
    /// `None`: no cosignature is required (`quorum none`).
    quorum: Option<String>,
}

/// Why a policy cannot be used, or a checkpoint does not meet it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy's line {line}: {why}")]
    Line { line: usize, why: String },
    #[error("the policy has no quorum line")]
    NoQuorum,
    #[error("the checkpoint is of {0:?}, a log the policy does not name")]
    UnknownLog(String),
    #[error("the checkpoint: {0}")]
    Note(#[from] NoteError),
    #[error("the checkpoint is cosigned by {cosigned}; the policy's quorum ({quorum}) needs more")]
    NoQuorumMet { cosigned: String, quorum: String },
}

/// A checkpoint that meets the policy, and who cosigned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub checkpoint: Checkpoint,
    pub cosigned: Vec<String>,
}

impl Policy {
    /// Reads a policy; every fault names its line.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let mut policy = Policy {
            logs: Vec::new(),
            witnesses: Vec::new(),
            names: BTreeMap::new(),
            quorum: None,
        };
        let mut quorum_seen = false;
        for (i, raw) in text.split('\n').enumerate() {
            let line = i + 1;
            let at = |why: String| PolicyError::Line { line, why };
            if raw.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                return Err(at("a control character".into()));
            }
            let words: Vec<&str> = raw.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
            let Some((&keyword, args)) = words.split_first() else { continue };
            if keyword.starts_with('#') {
                continue;
            }
            match (keyword, args) {
                ("log", [vkey, rest @ ..]) if rest.len() <= 1 => {
                    let key = policy.key(vkey, ED25519).map_err(at)?;
                    policy.logs.push((key, rest.first().map(|u| u.to_string())));
                }
                ("witness", [name, vkey, rest @ ..]) if rest.len() <= 1 => {
                    let key = policy.key(vkey, COSIGNATURE_V1).map_err(at)?;
                    policy.define(name, Member::Witness(policy.witnesses.len())).map_err(at)?;
                    let url = rest.first().map(|u| u.trim_end_matches('/').to_string());
                    policy.witnesses.push(Witness { name: name.to_string(), key, url });
                }
                ("group", [name, k, members @ ..]) if !members.is_empty() => {
                    let group = policy.group(k, members).map_err(at)?;
                    policy.define(name, group).map_err(at)?;
                }
                ("quorum", [name]) => {
                    if quorum_seen {
                        return Err(at("a second quorum line".into()));
                    }
                    quorum_seen = true;
                    if *name != "none" {
                        if !policy.names.contains_key(*name) {
                            return Err(at(format!("{name:?} is not defined on a line above")));
                        }
                        policy.quorum = Some(name.to_string());
                    }
                }
                _ => return Err(at(format!("not a log, witness, group or quorum line: {raw:?}"))),
            }
        }
        if !quorum_seen {
            return Err(PolicyError::NoQuorum);
        }
        Ok(policy)
    }

    fn key(&self, vkey: &str, kind: u8) -> Result<VerifierKey, String> {
        let key = VerifierKey::parse(vkey).map_err(|e| e.to_string())?;
        if key.kind != kind {
            let what = if kind == ED25519 {
                "a log's key is of type 1 (Ed25519)"
            } else {
                "a witness's key is of type 4 (cosignature/v1)"
            };
            return Err(what.into());
        }
        let same = |k: &VerifierKey| k.key == key.key;
        if self.logs.iter().any(|(k, _)| same(k)) || self.witnesses.iter().any(|w| same(&w.key)) {
            return Err(format!("the key of {} is listed twice", key.name));
        }
        Ok(key)
    }

    fn define(&mut self, name: &str, member: Member) -> Result<(), String> {
        if name == "none" || self.names.contains_key(name) {
            return Err(format!("the name {name:?} is taken"));
        }
        self.names.insert(name.to_owned(), member);
        Ok(())
    }

    fn group(&self, k: &str, members: &[&str]) -> Result<Member, String> {
        let mut seen = BTreeSet::new();
        for m in members {
            if !self.names.contains_key(*m) {
                return Err(format!("{m:?} is not defined on a line above"));
            }
            if !seen.insert(*m) {
                return Err(format!("{m:?} is listed twice in the group"));
            }
        }
        let threshold = match k {
            "all" => members.len(),
            "any" => 1,
            k => super::decimal(k)
                .and_then(|k| usize::try_from(k).ok())
                .filter(|k| (1..=members.len()).contains(k))
                .ok_or_else(|| {
                    format!("the threshold {k:?} is not all, any or 1 to {}", members.len())
                })?,
        };
        Ok(Member::Group { threshold, members: members.iter().map(|m| m.to_string()).collect() })
    }

    /// Whether these witnesses' cosignatures meet the quorum.
    pub fn quorum_met(&self, cosigned: &BTreeSet<&str>) -> bool {
        self.quorum.as_deref().is_none_or(|q| self.witnessed(q, cosigned))
    }

    fn witnessed(&self, name: &str, cosigned: &BTreeSet<&str>) -> bool {
        match self.names.get(name) {
            Some(Member::Witness(i)) => cosigned.contains(self.witnesses[*i].name.as_str()),
            Some(Member::Group { threshold, members }) => {
                members.iter().filter(|m| self.witnessed(m, cosigned)).count() >= *threshold
            }
            None => false,
        }
    }

    /// The log key the policy names for `origin`.
    pub fn log_for(&self, origin: &str) -> Option<&VerifierKey> {
        self.logs.iter().map(|(k, _)| k).find(|k| k.name == origin)
    }

    /// Checks a signed checkpoint: signed by the policy's log for its origin, every cosignature
    /// by a known witness valid, and the quorum met.
    pub fn check(&self, note: &str) -> Result<Checked, PolicyError> {
        let checkpoint = Checkpoint::parse(note)
            .map_err(|e| PolicyError::Note(NoteError::Malformed(e.to_string())))?;
        let log = self
            .log_for(&checkpoint.origin)
            .ok_or_else(|| PolicyError::UnknownLog(checkpoint.origin.clone()))?;
        log.check_signature(note)?;
        let mut cosigned = Vec::new();
        for w in &self.witnesses {
            match w.key.check_cosignature(note) {
                Ok(_) => cosigned.push(w.name.clone()),
                Err(NoteError::NoSignature(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let set: BTreeSet<&str> = cosigned.iter().map(String::as_str).collect();
        if !self.quorum_met(&set) {
            let list =
                if cosigned.is_empty() { "no witness".to_owned() } else { cosigned.join(", ") };
            let quorum = self.quorum.clone().unwrap_or_else(|| "none".into());
            return Err(PolicyError::NoQuorumMet { cosigned: list, quorum });
        }
        Ok(Checked { checkpoint, cosigned })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn witness(name: &str) -> (nkeys::KeyPair, String) {
        let key = nkeys::KeyPair::new_account();
        let v =
            VerifierKey::from_nkey(&format!("{name}.example/w"), COSIGNATURE_V1, &key.public_key())
                .expect("key");
        (key, v.to_vkey())
    }

    #[test]
    fn two_of_three_is_met_by_two_and_not_by_one() {
        let (_, a) = witness("a");
        let (_, b) = witness("b");
        let (_, c) = witness("c");
        let text = format!(
            "# three bodies\nwitness A {a}\nwitness B {b} http://b.example/\n\twitness C {c}\ngroup G 2 A B C\nquorum G\n"
        );
        let policy = Policy::parse(&text).expect("parses");
        assert_eq!(policy.witnesses[1].url.as_deref(), Some("http://b.example"));
        assert!(policy.quorum_met(&["A", "C"].into()));
        assert!(!policy.quorum_met(&["B"].into()));
        let none = Policy::parse("quorum none\n").expect("parses");
        assert!(none.quorum_met(&BTreeSet::new()));
    }

    #[test]
    fn faulty_policies_name_their_line() {
        let (_, a) = witness("a");
        let cases = [
            (format!("witness A {a}\n"), "the policy has no quorum line"),
            (format!("witness A {a}\nquorum B\n"), "line 2: \"B\" is not defined"),
            (
                format!("witness A {a}\nwitness B {a}\nquorum A\n"),
                "line 2: the key of a.example/w is listed twice",
            ),
            (
                format!("witness A {a}\ngroup G 2 A\nquorum G\n"),
                "line 2: the threshold \"2\" is not all, any or 1 to 1",
            ),
            (
                format!("witness A {a}\ngroup G any A A\nquorum G\n"),
                "line 2: \"A\" is listed twice",
            ),
            (format!("log {a}\nquorum none\n"), "line 1: a log's key is of type 1"),
            ("quorum none\nquorum none\n".to_owned(), "line 2: a second quorum line"),
            (
                "frobnicate\nquorum none\n".to_owned(),
                "line 1: not a log, witness, group or quorum line",
            ),
        ];
        for (text, expected) in cases {
            let error = Policy::parse(&text).expect_err(&text).to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
