//! Submitting each checkpoint to the witnesses a policy names (c2sp.org/tlog-witness
//! `add-checkpoint`), each with the consistency proof from the last tree it cosigned, and
//! keeping only cosignatures that verify with the policy's key for that witness.

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use reform_shared::checkpoint::Checkpoint;
use reform_shared::tlog::policy::{Policy, Witness};
use reform_shared::tlog::proofs::{consistency, HashSource};
use reform_shared::tlog::witness::AddCheckpoint;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one witness has to answer.
pub const WITNESS_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read from a witness.
const ANSWER_BYTES_MAX: usize = 16 * 1024;

/// What one witness said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Its cosignature line, verified.
    Cosigned(String),
    /// Why not: unreachable, a refusal with its status, or a line that does not verify.
    Not(String),
}

/// The witnesses of a policy, and the tree size each last cosigned as far as we know.
#[derive(Debug)]
pub struct Witnesses {
    policy: Policy,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    known: HashMap<String, u64>,
}

/// Why the witnesses' authority could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    #[error("could not read the witnesses' authority: {0}")]
    File(#[from] reform_shared::https::HttpsError),
    #[error("the witnesses' authority {path}: {source}")]
    Rejected { path: PathBuf, source: rustls::Error },
}

impl Witnesses {
    /// `start`: the size of our last published checkpoint, which the witnesses most likely
    /// cosigned; a witness that says otherwise is asked again from what it says. A witness on
    /// an `https://` URL must show a certificate the system's roots or `authority` (PEM) vouch
    /// for.
    pub fn new(
        policy: Policy,
        start: u64,
        authority: Option<&Path>,
    ) -> Result<Witnesses, AuthorityError> {
        let known = policy.witnesses.iter().map(|w| (w.name.clone(), start)).collect();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config(authority)?)
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
        Ok(Witnesses { policy, client, known })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Asks every witness with a URL to cosign `note` (of `cp`); returns each one's answer.
    pub async fn cosign<S: HashSource>(
        &mut self,
        note: &str,
        cp: &Checkpoint,
        hashes: &S,
    ) -> Vec<(String, Answer)>
    where
        S::Error: std::fmt::Display,
    {
        let mut answers = Vec::new();
        for witness in self.policy.witnesses.clone() {
            let Some(url) = &witness.url else { continue };
            if witness.key.check_cosignature(note).is_ok() {
                continue; // It cosigned this very tree already.
            }
            let mut old = self.known.get(&witness.name).copied().unwrap_or(0).min(cp.size);
            let mut answer = Answer::Not("not asked".into());
            // At most one retry: after a conflict, from the size the witness gave.
            for _ in 0..2 {
                let proof = match consistency(hashes, old, cp.size) {
                    Ok(p) => p,
                    Err(e) => {
                        answer = Answer::Not(format!("no proof from {old}: {e}"));
                        break;
                    }
                };
                let body = AddCheckpoint { old, proof, note: note.to_owned() }.to_body();
                match self.post(url, body).await {
                    Ok((200, text)) => {
                        answer = verified(&witness, note, &text);
                        if matches!(answer, Answer::Cosigned(_)) {
                            self.known.insert(witness.name.clone(), cp.size);
                        }
                        break;
                    }
                    Ok((409, text)) => match text.trim().parse::<u64>() {
                        Ok(size) if size <= cp.size && size != old => old = size,
                        _ => {
                            answer = Answer::Not(format!("409: it last cosigned {}", text.trim()));
                            break;
                        }
                    },
                    Ok((status, text)) => {
                        answer = Answer::Not(format!("{status}: {}", text.trim()));
                        break;
                    }
                    Err(e) => {
                        answer = Answer::Not(e);
                        break;
                    }
                }
            }
            answers.push((witness.name.clone(), answer));
        }
        answers
    }

    async fn post(&self, url: &str, body: String) -> Result<(u16, String), String> {
        let request = hyper::Request::post(format!("{url}/add-checkpoint"))
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("{url}: {e}"))?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| said(url, &e))?;
            let status = response.status().as_u16();
            let limited = http_body_util::Limited::new(response.into_body(), ANSWER_BYTES_MAX);
            let bytes = limited.collect().await.map_err(|e| format!("{url}: {e}"))?.to_bytes();
            Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
        };
        tokio::time::timeout(WITNESS_TIMEOUT, exchange)
            .await
            .unwrap_or_else(|_| Err(format!("{url}: no answer within {WITNESS_TIMEOUT:?}")))
    }
}

/// An error and its causes on one line: hyper's says only "client error (Connect)", and the
/// certificate a witness showed, or the refused connection, is in its causes.
fn said(url: &str, error: &dyn std::error::Error) -> String {
    let mut text = format!("{url}: {error}");
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(&format!(": {e}"));
        cause = e.source();
    }
    text
}

/// TLS to the witnesses: the system's roots, and `authority`'s certificates beside them.
fn tls_config(authority: Option<&Path>) -> Result<rustls::ClientConfig, AuthorityError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(path) = authority {
        for cert in reform_shared::https::certificates(path)? {
            let rejected = |source| AuthorityError::Rejected { path: path.to_owned(), source };
            roots.add(cert).map_err(rejected)?;
        }
    }
    let provider = rustls::crypto::ring::default_provider().into();
    let rejected = |source| AuthorityError::Rejected { path: PathBuf::new(), source };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(rejected)?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The witness's line that verifies under its key in the policy, if its answer has one.
fn verified(witness: &Witness, note: &str, answer: &str) -> Answer {
    for line in answer.lines().filter(|l| l.starts_with("— ")) {
        let candidate = format!("{note}{line}\n");
        if witness.key.check_cosignature(&candidate).is_ok() {
            return Answer::Cosigned(format!("{line}\n"));
        }
    }
    Answer::Not("its answer carries no cosignature by its key".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_authority_the_publisher_cannot_use_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().expect("a directory");
        let (authority, _, key) = reform_shared::tls::make_local().expect("made");
        let good = dir.path().join("ca.pem");
        std::fs::write(&good, authority).expect("written");
        assert!(tls_config(Some(&good)).is_ok());
        assert!(tls_config(None).is_ok(), "the system's roots alone");

        let keyonly = dir.path().join("key.pem");
        std::fs::write(&keyonly, key).expect("written");
        let said = tls_config(Some(&keyonly)).expect_err("a key is no authority").to_string();
        assert!(said.contains("key.pem holds no certificate"), "{said}");
        let absent = dir.path().join("none.pem");
        let said = tls_config(Some(&absent)).expect_err("no file").to_string();
        assert!(
            said.contains("could not read the witnesses' authority") && said.contains("none.pem")
        );
    }
}
