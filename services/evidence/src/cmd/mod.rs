//! The evidence service's commands, one file each (mini-redis's `src/cmd/`), as they travel
//! in JSON: a command's fields and the rules that decide it sit together; [`Command`] only
//! names them and delegates.
//!
//! An attach command does not carry the file: the client first puts the bytes into the
//! evidence bucket under their SHA-256 (see [`crate::store`]), and the command names that
//! digest and size. Digests travel as 64 lowercase hex digits, the object's name.

mod attach;
mod erase;
mod reject;

pub use attach::Attach;
pub use erase::Erase;
pub use reject::Reject;

use crate::decide::{Refusal, State};
use reform_shared::event::Event;
use reform_shared::service::Context;
use serde::{Deserialize, Serialize};

/// A command to the evidence service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Command {
    Attach(Attach),
    Reject(Reject),
    Erase(Erase),
}

impl Command {
    /// The event the command records, or why not: pure, "now" in the context. The file an
    /// attach names is checked after, if the attach is permitted ([`crate::verify`]).
    pub fn decide(&self, s: &State, context: &Context) -> Result<Event, Refusal> {
        match self {
            Command::Attach(c) => c.decide(s, context),
            Command::Reject(c) => c.decide(s),
            Command::Erase(c) => c.decide(s),
        }
    }
}

/// A SHA-256 as 64 lowercase hex digits.
pub mod digest_hex {
    use reform_shared::event::Sha256;
    use serde::Deserialize;

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
        let Command::Attach(Attach { sha256, task, .. }) = command else { panic!("wrong variant") };
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
