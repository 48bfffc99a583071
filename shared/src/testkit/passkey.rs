//! A software passkey: what a browser and an authenticator would hand back, for tests that
//! sign with passkeys without a browser. The browser tests use Chromium's own virtual
//! authenticator instead.

use crate::envelope::{Signature, SignatureAlgorithm};
use crate::passkey::{challenge, Assertion, PasskeyKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use p256::pkcs8::EncodePublicKey;
use sha2::{Digest, Sha256};

/// The flags of an assertion made with the person present and verified.
pub const PRESENT_AND_VERIFIED: u8 = 0x05;

/// A passkey held in memory.
#[derive(Debug)]
pub struct SoftPasskey {
    /// The key string, as enrolled (`webauthn:…`).
    pub key: String,
    pub rp_id: String,
    /// The origin its assertions name: `https://<rp id>`.
    pub origin: String,
    signer: Signer,
}

enum Signer {
    Es256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Signer::Es256(_) => "ES256",
            Signer::Ed25519(_) => "Ed25519",
        })
    }
}

impl SoftPasskey {
    /// An ES256 passkey for `rp_id`, its private key derived from `seed`.
    pub fn es256(rp_id: &str, seed: &str) -> SoftPasskey {
        let signer = p256::ecdsa::SigningKey::from_slice(&secret(seed)).expect("a P-256 key");
        let der = signer.verifying_key().to_public_key_der().expect("DER").as_bytes().to_vec();
        SoftPasskey::with(rp_id, seed, Signer::Es256(signer), der)
    }

    /// An Ed25519 passkey for `rp_id`, its private key derived from `seed`.
    pub fn ed25519(rp_id: &str, seed: &str) -> SoftPasskey {
        let signer = ed25519_dalek::SigningKey::from_bytes(&secret(seed));
        let der = ed25519_dalek::pkcs8::EncodePublicKey::to_public_key_der(&signer.verifying_key())
            .expect("DER")
            .as_bytes()
            .to_vec();
        SoftPasskey::with(rp_id, seed, Signer::Ed25519(signer), der)
    }

    fn with(rp_id: &str, seed: &str, signer: Signer, public_key: Vec<u8>) -> SoftPasskey {
        let credential_id = secret(&format!("credential {seed}"))[..16].to_vec();
        let key = PasskeyKey { rp_id: rp_id.into(), credential_id, public_key }.encode();
        SoftPasskey { key, rp_id: rp_id.into(), origin: format!("https://{rp_id}"), signer }
    }

    /// The assertion for `message`, made on `origin` with these authenticator flags.
    pub fn assert_on(&self, message: &[u8], origin: &str, flags: u8) -> Assertion {
        let mut authenticator_data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        authenticator_data.push(flags);
        authenticator_data.extend_from_slice(&[0, 0, 0, 0]);
        let client_data_json = format!(
            r#"{{"type":"webauthn.get","challenge":"{}","origin":"{origin}","crossOrigin":false}}"#,
            B64.encode(challenge(message))
        )
        .into_bytes();
        let mut signed = authenticator_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data_json));
        let signature = self.sign(&signed);
        Assertion { authenticator_data, client_data_json, signature }
    }

    /// The assertion for `message` as a browser on the passkey's own site makes it.
    pub fn assert(&self, message: &[u8]) -> Assertion {
        self.assert_on(message, &self.origin, PRESENT_AND_VERIFIED)
    }

    /// The passkey's signature of `request` for `endpoint`, as the headers carry it.
    pub fn sign_request(&self, endpoint: &str, request: &[u8]) -> Signature {
        let assertion = self.assert(&crate::sign::signed_message(endpoint, request));
        Signature {
            key: self.key.clone(),
            algorithm: SignatureAlgorithm::WebAuthn,
            bytes: assertion.to_bytes(),
            request: request.to_vec(),
        }
    }

    /// The attestation object a browser returns when the passkey is created (format `none`).
    pub fn attestation_object(&self) -> Vec<u8> {
        use coset::iana;
        let key = PasskeyKey::parse(&self.key).expect("its own key");
        let der = &key.public_key;
        let cose = match self.signer {
            Signer::Es256(_) => {
                let point = &der[der.len() - 64..];
                let (x, y) = point.split_at(32);
                coset::CoseKeyBuilder::new_ec2_pub_key(
                    iana::EllipticCurve::P_256,
                    x.into(),
                    y.into(),
                )
                .algorithm(iana::Algorithm::ES256)
                .build()
            }
            Signer::Ed25519(_) => coset::CoseKeyBuilder::new_okp_key()
                .param(
                    iana::OkpKeyParameter::Crv as i64,
                    (iana::EllipticCurve::Ed25519 as i64).into(),
                )
                .param(iana::OkpKeyParameter::X as i64, der[der.len() - 32..].to_vec().into())
                .algorithm(iana::Algorithm::EdDSA)
                .build(),
        };
        let mut auth_data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        auth_data.push(0x45);
        auth_data.extend_from_slice(&[0; 4 + 16]);
        let id_length = u16::try_from(key.credential_id.len()).expect("a short id");
        auth_data.extend_from_slice(&id_length.to_be_bytes());
        auth_data.extend_from_slice(&key.credential_id);
        auth_data.extend(coset::CborSerializable::to_vec(cose).expect("CBOR"));
        let object = coset::cbor::Value::Map(vec![
            ("fmt".into(), "none".into()),
            ("attStmt".into(), coset::cbor::Value::Map(vec![])),
            ("authData".into(), coset::cbor::Value::Bytes(auth_data)),
        ]);
        let mut bytes = Vec::new();
        coset::cbor::into_writer(&object, &mut bytes).expect("CBOR");
        bytes
    }

    fn sign(&self, bytes: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer as _;
        match &self.signer {
            Signer::Es256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(bytes);
                signature.to_der().as_bytes().to_vec()
            }
            Signer::Ed25519(key) => ed25519_dalek::Signer::sign(key, bytes).to_bytes().to_vec(),
        }
    }
}

fn secret(seed: &str) -> [u8; 32] {
    Sha256::new().chain_update(b"par-test-passkey\0").chain_update(seed).finalize().into()
}
