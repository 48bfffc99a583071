//! Submitting each checkpoint to the witnesses a policy names (c2sp.org/tlog-witness
//! `add-checkpoint`), each with the consistency proof from the last tree it cosigned, and
//! keeping only cosignatures that verify with the policy's key for that witness.

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use reform_shared::checkpoint::Checkpoint;
use reform_shared::tlog::policy::{Policy, Witness};
use reform_shared::tlog::proofs::{consistency, HashSource};
use reform_shared::tlog::witness::AddCheckpoint;
use std::collections::HashMap;
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
    client: Client<HttpConnector, Full<Bytes>>,
    known: HashMap<String, u64>,
}

impl Witnesses {
    /// `start`: the size of our last published checkpoint, which the witnesses most likely
    /// cosigned; a witness that says otherwise is asked again from what it says.
    pub fn new(policy: Policy, start: u64) -> Witnesses {
        let known = policy.witnesses.iter().map(|w| (w.name.clone(), start)).collect();
        let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
        Witnesses { policy, client, known }
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
            let response = self.client.request(request).await.map_err(|e| format!("{url}: {e}"))?;
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
