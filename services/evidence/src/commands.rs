//! The evidence service's commands as they travel in JSON.
//!
//! An attach command does not carry the file: the client first puts the bytes into the
//! evidence bucket under their SHA-256 (see [`crate::store`]), and the command names that
//! digest and size. Digests travel as 64 lowercase hex digits, the object's name.

use reform_shared::event::Sha256;
use reform_shared::ids::{CriterionCode, EvidenceId, TaskId, UnitId};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

/// A command to the evidence service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Command {
    /// Attach a document, stored in the bucket or staged as an upload, to a unit (and maybe a
    /// task and a criterion).
    Attach {
        evidence: EvidenceId,
        unit: UnitId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task: Option<TaskId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        criterion: Option<CriterionCode>,
        title: String,
        /// E.g. "1264/BC-SGDĐT".
        document_number: String,
        document_date: Date,
        #[serde(with = "digest_hex")]
        sha256: Sha256,
        size_bytes: u64,
        media_type: String,
        /// The staged upload holding the file, when it is not in the bucket yet
        /// ([`crate::upload`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        upload: Option<String>,
    },
    /// Reject an attached document, saying why; it can no longer support a score.
    Reject { evidence: EvidenceId, reason: String },
}

/// A SHA-256 as 64 lowercase hex digits.
pub mod digest_hex {
    use super::*;

    pub fn serialize<S: serde::Serializer>(value: &Sha256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(value))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Sha256, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    /// Parses 64 lowercase hex digits.
    pub fn parse(text: &str) -> Result<Sha256, String> {
        let bad = || format!("{text:?} is not a SHA-256 digest (64 lowercase hex digits)");
        if text.len() != 64 || text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad());
        }
        let mut digest = [0u8; 32];
        hex::decode_to_slice(text, &mut digest).map_err(|_| bad())?;
        Ok(digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attach_command_reads_from_json_with_its_digest_in_hex() {
        let digest = "ab".repeat(32);
        let json = format!(
            r#"{{"type":"attach","evidence":"e1","unit":"sgd","title":"Báo cáo",
            "document_number":"1264/BC-SGDĐT","document_date":"2016-06-20",
            "sha256":"{digest}","size_bytes":3,"media_type":"application/pdf"}}"#
        );
        let command: Command = serde_json::from_str(&json).expect("valid");
        let Command::Attach { sha256, task, .. } = command else { panic!("wrong variant") };
        assert_eq!(sha256, [0xab; 32]);
        assert_eq!(task, None);
    }

    #[test]
    fn a_digest_must_be_64_lowercase_hex_digits() {
        assert!(digest_hex::parse(&"AB".repeat(32)).is_err());
        assert!(digest_hex::parse(&"ab".repeat(31)).is_err());
        assert!(digest_hex::parse(&"zz".repeat(32)).is_err());
    }
}
