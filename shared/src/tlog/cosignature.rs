//! Signed-note keys and signatures as C2SP writes them: verifier keys (`vkey`s), the log's
//! Ed25519 signature (type 0x01) and witnesses' timestamped cosignatures (c2sp.org/
//! tlog-cosignature, `cosignature/v1`, type 0x04).
//!
//! Keys stay nkeys seeds in files only their owner reads ([`crate::keyfile`]); here they are
//! only used to sign, and public keys are written as vkeys for policies and people.

use base64::Engine as _;
use sha2::Digest as _;

/// Signature type of a log's Ed25519 signature.
pub const ED25519: u8 = 0x01;
/// Signature type of a witness's Ed25519 `cosignature/v1`.
pub const COSIGNATURE_V1: u8 = 0x04;

/// Why a key or a signature cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("{0:?} is not a verifier key: {1}")]
    BadKey(String, &'static str),
    #[error("the note carries no signature by {0}")]
    NoSignature(String),
    #[error("the signature by {0} does not verify: the note was altered or signed by another key")]
    BadSignature(String),
    #[error("{0}")]
    Malformed(String),
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Whether `name` may name a key: not empty, no space, no `+`, no control character.
pub fn valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// A public key a note's signature is checked with: its name, type and Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    pub name: String,
    pub kind: u8,
    pub key: [u8; 32],
}

impl VerifierKey {
    /// The verifier key of an nkeys public key (`U…`, `A…`) of this name and type.
    pub fn from_nkey(name: &str, kind: u8, public: &str) -> Result<VerifierKey, NoteError> {
        let bad = |why| NoteError::BadKey(public.to_owned(), why);
        if !valid_key_name(name) {
            return Err(NoteError::BadKey(name.to_owned(), "a key name has no spaces and no +"));
        }
        let (_, key) =
            nkeys::from_public_key(public).map_err(|_| bad("not an nkeys public key"))?;
        Ok(VerifierKey { name: name.to_owned(), kind, key })
    }

    /// `SHA-256(name ‖ LF ‖ type ‖ key)[..4]`.
    pub fn key_id(&self) -> [u8; 4] {
        let mut h = sha2::Sha256::new();
        h.update(self.name.as_bytes());
        h.update([b'\n', self.kind]);
        h.update(self.key);
        let d: [u8; 32] = h.finalize().into();
        [d[0], d[1], d[2], d[3]]
    }

    /// `<name>+<key id in hex>+<base64(type ‖ key)>`.
    pub fn to_vkey(&self) -> String {
        let mut material = vec![self.kind];
        material.extend_from_slice(&self.key);
        format!("{}+{}+{}", self.name, hex::encode(self.key_id()), b64().encode(material))
    }

    /// Reads a vkey, checking that its key id is its own.
    pub fn parse(vkey: &str) -> Result<VerifierKey, NoteError> {
        let bad = |why| NoteError::BadKey(vkey.chars().take(200).collect(), why);
        // A name has no `+`; the key's base64 may.
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(material)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("write NAME+KEYID+KEY"));
        };
        if !valid_key_name(name) {
            return Err(bad("its name has a space or a +"));
        }
        let material = b64().decode(material).map_err(|_| bad("its key is not base64"))?;
        let (&kind, key) = material.split_first().ok_or_else(|| bad("its key is empty"))?;
        if kind != ED25519 && kind != COSIGNATURE_V1 {
            return Err(bad("only Ed25519 (type 1) and cosignature/v1 (type 4) keys are known"));
        }
        let key: [u8; 32] = key.try_into().map_err(|_| bad("an Ed25519 key is 32 bytes"))?;
        let parsed = VerifierKey { name: name.to_owned(), kind, key };
        if hex::encode(parsed.key_id()) != id {
            return Err(bad("its key id does not match its name and key"));
        }
        Ok(parsed)
    }

    fn verifying_key(&self) -> Result<ed25519_dalek::VerifyingKey, NoteError> {
        ed25519_dalek::VerifyingKey::from_bytes(&self.key)
            .map_err(|_| NoteError::BadKey(self.to_vkey(), "not an Ed25519 point"))
    }

    /// The signature this key made on `note`, if the note carries one under its name and id.
    fn signature_in(&self, note: &str) -> Result<(String, Vec<u8>), NoteError> {
        let (body, signatures) = split(note)?;
        let id = self.key_id();
        for line in signatures.lines() {
            let Some((name, blob)) = line.strip_prefix("— ").and_then(|r| r.split_once(' '))
            else {
                continue;
            };
            let Ok(blob) = b64().decode(blob.trim_end()) else { continue };
            if name == self.name && blob.len() > 4 && blob[..4] == id {
                return Ok((body, blob[4..].to_vec()));
            }
        }
        Err(NoteError::NoSignature(self.to_vkey()))
    }

    /// Checks the note's signature by this Ed25519 (type 0x01) key.
    pub fn check_signature(&self, note: &str) -> Result<(), NoteError> {
        let (body, signature) = self.signature_in(note)?;
        let signature = ed25519_dalek::Signature::from_slice(&signature)
            .map_err(|_| NoteError::BadSignature(self.name.clone()))?;
        self.verifying_key()?
            .verify_strict(body.as_bytes(), &signature)
            .map_err(|_| NoteError::BadSignature(self.name.clone()))
    }

    /// Checks the note's `cosignature/v1` by this (type 0x04) key; returns its time.
    pub fn check_cosignature(&self, note: &str) -> Result<u64, NoteError> {
        let (body, blob) = self.signature_in(note)?;
        let bad = || NoteError::BadSignature(self.name.clone());
        if blob.len() != 8 + 64 {
            return Err(bad());
        }
        let time = u64::from_be_bytes(blob[..8].try_into().map_err(|_| bad())?);
        let signature = ed25519_dalek::Signature::from_slice(&blob[8..]).map_err(|_| bad())?;
        self.verifying_key()?
            .verify_strict(cosigned_message(&body, time).as_bytes(), &signature)
            .map_err(|_| bad())?;
        Ok(time)
    }
}

/// A note's body (through its last newline) and its signature lines.
pub fn split(note: &str) -> Result<(String, &str), NoteError> {
    // The signatures follow the last blank line (signed-note); a text may hold blank lines.
    let (body, signatures) = note.rsplit_once("\n\n").ok_or_else(|| {
        NoteError::Malformed("not a signed note: no blank line before the signatures".into())
    })?;
    Ok((format!("{body}\n"), signatures))
}

/// What a `cosignature/v1` signs: its header, its time, and the checkpoint's body.
fn cosigned_message(body: &str, time: u64) -> String {
    format!("cosignature/v1\ntime {time}\n{body}")
}

/// A signature line under `name` over `body`, by `key` (an Ed25519 nkeys pair).
pub fn signature_line(name: &str, body: &str, key: &nkeys::KeyPair) -> Result<String, NoteError> {
    let verifier = VerifierKey::from_nkey(name, ED25519, &key.public_key())?;
    let signature = key.sign(body.as_bytes()).map_err(|e| NoteError::Malformed(e.to_string()))?;
    let mut blob = verifier.key_id().to_vec();
    blob.extend_from_slice(&signature);
    Ok(format!("— {name} {}\n", b64().encode(blob)))
}

/// A witness's `cosignature/v1` line under `name` over a checkpoint's `body`, at `time`.
pub fn cosignature_line(
    name: &str,
    body: &str,
    key: &nkeys::KeyPair,
    time: u64,
) -> Result<String, NoteError> {
    let verifier = VerifierKey::from_nkey(name, COSIGNATURE_V1, &key.public_key())?;
    let message = cosigned_message(body, time);
    let signature =
        key.sign(message.as_bytes()).map_err(|e| NoteError::Malformed(e.to_string()))?;
    let mut blob = verifier.key_id().to_vec();
    blob.extend_from_slice(&time.to_be_bytes());
    blob.extend_from_slice(&signature);
    Ok(format!("— {name} {}\n", b64().encode(blob)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn a_vkey_reads_back_and_a_wrong_id_or_name_does_not() {
        let key = nkeys::KeyPair::new_account();
        let v = VerifierKey::from_nkey("witness.example/w1", COSIGNATURE_V1, &key.public_key())
            .expect("key");
        let text = v.to_vkey();
        assert!(text.starts_with("witness.example/w1+"), "{text}");
        assert_eq!(VerifierKey::parse(&text), Ok(v.clone()));
        let renamed = text.replacen("w1+", "w2+", 1);
        assert!(VerifierKey::parse(&renamed).is_err(), "the id binds the name");
        assert!(VerifierKey::parse("a b+00000000+AQ==").is_err());
        assert!(VerifierKey::parse("nothing").is_err());
    }

    #[test]
    fn a_cosignature_verifies_and_binds_its_time_and_the_body() {
        let key = nkeys::KeyPair::new_account();
        let line = cosignature_line("w1", BODY, &key, 1_679_315_147).expect("signs");
        let note = format!("{BODY}\n{line}");
        let v = VerifierKey::from_nkey("w1", COSIGNATURE_V1, &key.public_key()).expect("key");
        assert_eq!(v.check_cosignature(&note), Ok(1_679_315_147));
        let altered = note.replacen("20852163", "20852164", 1);
        assert_eq!(v.check_cosignature(&altered), Err(NoteError::BadSignature("w1".into())));
        // The same key as a log's signature (type 1) has another id: the line is not its.
        let as_log = VerifierKey { kind: ED25519, ..v };
        assert!(matches!(as_log.check_signature(&note), Err(NoteError::NoSignature(_))));
    }
}
