//! Passkeys: a person's WebAuthn credential as a signing key for their commands.
//!
//! A passkey signs the same thing an nkeys key signs ([`crate::sign::signed_message`]): the
//! browser asks the authenticator for an assertion whose challenge is the SHA-256 of those
//! bytes. What the authenticator actually signs is its authenticator data followed by the
//! SHA-256 of the client data JSON, which holds the challenge; the log keeps all three
//! ([`Assertion`]) so an auditor re-checks the person's signature from the log alone, with no
//! server's word for it.
//!
//! A passkey's key, as registered and as it travels in `Par-Key`, is one string:
//! `webauthn:<rp id>:<credential id>:<public key>`, the last two in unpadded base64url, the
//! public key as SubjectPublicKeyInfo DER (ES256 or Ed25519). The relying party's id is part of
//! the key because the authenticator binds the credential to it: an assertion made for another
//! site does not check.
//!
//! The credential's COSE key is read by Google's `coset`, the signatures checked by RustCrypto's
//! `p256` and `ed25519-dalek`. The authenticator data's fixed layout (WebAuthn §6.1) and the
//! client data's four fields are read here: 1Password's `passkey-types`, which reads them too,
//! switches serde_json's maps to insertion order for the whole workspace.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use coset::{iana, AsCborValue, CoseKey, KeyType, Label, RegisteredLabel};
use p256::pkcs8::DecodePublicKey;
use p256::pkcs8::EncodePublicKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What every passkey key string starts with.
pub const KEY_PREFIX: &str = "webauthn:";
/// At most this many bytes in any part of an assertion: an authenticator's answers are a few
/// hundred bytes; anything near this is not one.
const MAX_PART: usize = 4096;

/// Why a passkey or its assertion does not check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasskeyError {
    #[error("{0:?} is not a passkey key (webauthn:<rp id>:<credential id>:<public key>)")]
    BadKey(String),
    #[error("the passkey's public key is neither ES256 (P-256) nor Ed25519")]
    UnsupportedKey,
    #[error("the assertion is not readable: {0}")]
    Unreadable(String),
    #[error("the assertion's client data is for {found}, not for signing a request")]
    WrongType { found: String },
    #[error("the assertion signs another challenge than this request's")]
    WrongChallenge,
    #[error("the assertion was made on {origin}, which is not a page of {rp_id}")]
    WrongOrigin { origin: String, rp_id: String },
    #[error("the assertion was made inside another site's frame")]
    CrossOrigin,
    #[error("the assertion was made for another site than {rp_id}")]
    WrongSite { rp_id: String },
    #[error("the authenticator did not see the person present (no user presence)")]
    NotPresent,
    #[error("the passkey's signature does not match the request")]
    Mismatch,
    #[error("the new credential is not readable: {0}")]
    BadCredential(String),
}

/// A WebAuthn assertion: exactly what the authenticator returned, kept for re-checking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assertion {
    pub authenticator_data: Vec<u8>,
    pub client_data_json: Vec<u8>,
    /// DER for ES256, 64 bytes for Ed25519.
    pub signature: Vec<u8>,
}

impl Assertion {
    /// The assertion as the envelope's signature bytes hold it.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PasskeyError> {
        let assertion: Assertion =
            postcard::from_bytes(bytes).map_err(|e| PasskeyError::Unreadable(e.to_string()))?;
        let parts = [&assertion.authenticator_data, &assertion.client_data_json];
        if parts.iter().chain([&&assertion.signature]).any(|p| p.len() > MAX_PART) {
            return Err(PasskeyError::Unreadable(format!("a part is over {MAX_PART} bytes")));
        }
        Ok(assertion)
    }
}

/// A passkey's key, read from its string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyKey {
    pub rp_id: String,
    pub credential_id: Vec<u8>,
    /// SubjectPublicKeyInfo DER.
    pub public_key: Vec<u8>,
}

impl PasskeyKey {
    pub fn parse(key: &str) -> Result<Self, PasskeyError> {
        let bad = || PasskeyError::BadKey(key.chars().take(80).collect());
        let rest = key.strip_prefix(KEY_PREFIX).ok_or_else(bad)?;
        let mut parts = rest.split(':');
        let (Some(rp_id), Some(id), Some(public), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let credential_id = B64.decode(id).map_err(|_| bad())?;
        let public_key = B64.decode(public).map_err(|_| bad())?;
        if rp_id.is_empty() || credential_id.is_empty() || credential_id.len() > 1023 {
            return Err(bad());
        }
        let key = PasskeyKey { rp_id: rp_id.to_owned(), credential_id, public_key };
        key.verifier()?;
        Ok(key)
    }

    /// The key's string, as registered and sent.
    pub fn encode(&self) -> String {
        format!(
            "{KEY_PREFIX}{}:{}:{}",
            self.rp_id,
            B64.encode(&self.credential_id),
            B64.encode(&self.public_key)
        )
    }

    /// The credential id as the browser names it (base64url).
    pub fn credential_id_b64(&self) -> String {
        B64.encode(&self.credential_id)
    }

    fn verifier(&self) -> Result<Verifier, PasskeyError> {
        if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(&self.public_key) {
            return Ok(Verifier::Es256(key));
        }
        ed25519_dalek::pkcs8::DecodePublicKey::from_public_key_der(&self.public_key)
            .map(Verifier::Ed25519)
            .map_err(|_| PasskeyError::UnsupportedKey)
    }
}

enum Verifier {
    Es256(p256::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl Verifier {
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), PasskeyError> {
        use p256::ecdsa::signature::Verifier as _;
        match self {
            Verifier::Es256(key) => {
                let signature = p256::ecdsa::Signature::from_der(signature)
                    .map_err(|_| PasskeyError::Mismatch)?;
                key.verify(message, &signature).map_err(|_| PasskeyError::Mismatch)
            }
            Verifier::Ed25519(key) => {
                let signature = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| PasskeyError::Mismatch)?;
                ed25519_dalek::Verifier::verify(key, message, &signature)
                    .map_err(|_| PasskeyError::Mismatch)
            }
        }
    }
}

/// The challenge a passkey signs for `message`: its SHA-256.
pub fn challenge(message: &[u8]) -> [u8; 32] {
    Sha256::digest(message).into()
}

/// Checks that `assertion` is `key`'s signature, made in a page of the key's site with the
/// person present, over the challenge of `message`.
pub fn check(key: &str, message: &[u8], assertion: &Assertion) -> Result<(), PasskeyError> {
    let key = PasskeyKey::parse(key)?;
    check_client_data(&key.rp_id, &challenge(message), &assertion.client_data_json)?;
    let data = AuthenticatorData::read(&assertion.authenticator_data)?;
    if data.rp_id_hash != Sha256::digest(key.rp_id.as_bytes()).as_slice() {
        return Err(PasskeyError::WrongSite { rp_id: key.rp_id });
    }
    if data.flags & USER_PRESENT == 0 {
        return Err(PasskeyError::NotPresent);
    }
    let mut signed = assertion.authenticator_data.clone();
    signed.extend_from_slice(&Sha256::digest(&assertion.client_data_json));
    key.verifier()?.verify(&signed, &assertion.signature)
}

/// The authenticator data's flag: the person was present.
const USER_PRESENT: u8 = 0x01;
/// The authenticator data's flag: a new credential's data follows.
const CREDENTIAL_DATA: u8 = 0x40;

/// Authenticator data (WebAuthn §6.1): the site's hash, the flags, the signature counter, and
/// what follows (a new credential's data).
struct AuthenticatorData<'a> {
    rp_id_hash: &'a [u8],
    flags: u8,
    rest: &'a [u8],
}

impl<'a> AuthenticatorData<'a> {
    fn read(bytes: &'a [u8]) -> Result<Self, PasskeyError> {
        if bytes.len() < 37 {
            return Err(PasskeyError::Unreadable(format!(
                "authenticator data of {} bytes, under the 37 every one has",
                bytes.len()
            )));
        }
        Ok(AuthenticatorData { rp_id_hash: &bytes[..32], flags: bytes[32], rest: &bytes[37..] })
    }
}

/// The client data's fields the checks read (WebAuthn §5.8.1); others are ignored, as the
/// standard asks.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientData {
    #[serde(rename = "type")]
    ty: String,
    challenge: String,
    origin: String,
    #[serde(default)]
    cross_origin: Option<bool>,
}

fn check_client_data(rp_id: &str, challenge: &[u8], json: &[u8]) -> Result<(), PasskeyError> {
    let data: ClientData = serde_json::from_slice(json)
        .map_err(|e| PasskeyError::Unreadable(format!("client data: {e}")))?;
    if data.ty != "webauthn.get" {
        return Err(PasskeyError::WrongType { found: data.ty });
    }
    if B64.decode(data.challenge.trim_end_matches('=')).ok().as_deref() != Some(challenge) {
        return Err(PasskeyError::WrongChallenge);
    }
    if data.cross_origin == Some(true) {
        return Err(PasskeyError::CrossOrigin);
    }
    if !origin_of_site(&data.origin, rp_id) {
        return Err(PasskeyError::WrongOrigin { origin: data.origin, rp_id: rp_id.to_owned() });
    }
    Ok(())
}

/// A page of the site `rp_id`: https on that host (any port), or http on `localhost`, which
/// browsers treat as secure for development.
fn origin_of_site(origin: &str, rp_id: &str) -> bool {
    let (scheme, rest) = match origin.split_once("://") {
        Some(parts) => parts,
        None => return false,
    };
    let host = rest.rsplit_once(':').map_or(rest, |(host, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            host
        } else {
            rest
        }
    });
    host == rp_id && (scheme == "https" || (scheme == "http" && rp_id == "localhost"))
}

/// The key of a credential just created: read from the authenticator's attestation object
/// (its attested credential data, WebAuthn §6.5.1), for the site `rp_id`. Nothing of the
/// attestation statement is trusted or needed: the enrolment that registers the key is signed
/// by it.
pub fn key_of_new_credential(
    attestation_object: &[u8],
    rp_id: &str,
) -> Result<String, PasskeyError> {
    let bad = |what: &str| PasskeyError::BadCredential(what.to_owned());
    if attestation_object.len() > 4 * MAX_PART {
        return Err(bad("the attestation object is too large"));
    }
    let value: coset::cbor::Value =
        coset::cbor::from_reader(attestation_object).map_err(|e| bad(&e.to_string()))?;
    let auth_data = value
        .as_map()
        .and_then(|map| map.iter().find(|(k, _)| k.as_text() == Some("authData")))
        .and_then(|(_, v)| v.as_bytes())
        .ok_or_else(|| bad("no authenticator data"))?;
    let data = AuthenticatorData::read(auth_data)?;
    if data.rp_id_hash != Sha256::digest(rp_id.as_bytes()).as_slice() {
        return Err(PasskeyError::WrongSite { rp_id: rp_id.to_owned() });
    }
    if data.flags & CREDENTIAL_DATA == 0 || data.rest.len() < 18 {
        return Err(bad("no credential data"));
    }
    let length = usize::from(u16::from_be_bytes([data.rest[16], data.rest[17]]));
    let credential_id = data.rest.get(18..18 + length).ok_or_else(|| bad("a cut credential id"))?;
    let mut cose = &data.rest[18 + length..];
    let cose: coset::cbor::Value =
        coset::cbor::from_reader(&mut cose).map_err(|e| bad(&e.to_string()))?;
    let cose = CoseKey::from_cbor_value(cose).map_err(|e| bad(&format!("{e:?}")))?;
    let key = PasskeyKey {
        rp_id: rp_id.to_owned(),
        credential_id: credential_id.to_vec(),
        public_key: spki_of(&cose)?,
    };
    key.verifier()?;
    Ok(key.encode())
}

/// A COSE public key (EC2 on P-256, or OKP Ed25519) as SubjectPublicKeyInfo DER.
fn spki_of(cose: &CoseKey) -> Result<Vec<u8>, PasskeyError> {
    let param = |label: i64| {
        cose.params.iter().find(|(l, _)| *l == Label::Int(label)).and_then(|(_, v)| v.as_bytes())
    };
    let crv = cose
        .params
        .iter()
        .find(|(l, _)| *l == Label::Int(iana::Ec2KeyParameter::Crv as i64))
        .and_then(|(_, v)| v.as_integer())
        .and_then(|v| i64::try_from(v).ok());
    let der = match (&cose.kty, crv) {
        (KeyType::Assigned(iana::KeyType::EC2), Some(c))
            if c == iana::EllipticCurve::P_256 as i64 =>
        {
            let (Some(x), Some(y)) = (param(-2), param(-3)) else {
                return Err(PasskeyError::UnsupportedKey);
            };
            let mut point = vec![4u8];
            point.extend_from_slice(x);
            point.extend_from_slice(y);
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                .map_err(|_| PasskeyError::UnsupportedKey)?;
            key.to_public_key_der().map(|d| d.as_bytes().to_vec())
        }
        (RegisteredLabel::Assigned(iana::KeyType::OKP), Some(c))
            if c == iana::EllipticCurve::Ed25519 as i64 =>
        {
            let x: [u8; 32] = param(-2)
                .and_then(|x| x.as_slice().try_into().ok())
                .ok_or(PasskeyError::UnsupportedKey)?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&x)
                .map_err(|_| PasskeyError::UnsupportedKey)?;
            return ed25519_dalek::pkcs8::EncodePublicKey::to_public_key_der(&key)
                .map(|d| d.as_bytes().to_vec())
                .map_err(|_| PasskeyError::UnsupportedKey);
        }
        _ => return Err(PasskeyError::UnsupportedKey),
    };
    der.map_err(|_| PasskeyError::UnsupportedKey)
}

/// The letters of an enrolment code: Crockford's base32, no I, L, O or U to misread.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A fresh enrolment code, 80 random bits as `XXXX-XXXX-XXXX-XXXX`: read out or handed over on
/// paper, typed once.
pub fn new_enrolment_code() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    let letters: Vec<char> =
        bytes.iter().map(|b| char::from(CODE_ALPHABET[usize::from(b % 32)])).collect();
    Ok(letters.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-"))
}

/// 32 random bytes in base64url: a session's or a sign-in challenge's name.
pub fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(B64.encode(bytes))
}

/// The digest the log keeps of an enrolment code (hex SHA-256), the same however the person
/// typed it: case, spaces and dashes do not count.
pub fn enrolment_digest(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex::encode(Sha256::digest(format!("par-enrolment-v1\n{normal}").as_bytes()))
}

#[cfg(test)]
mod tests;
