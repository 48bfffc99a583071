//! A witness by c2sp.org/tlog-witness: `POST /add-checkpoint` cosigns (c2sp.org/
//! tlog-cosignature) a checkpoint a trusted log signed, when a consistency proof shows it
//! extends the last one this witness cosigned for that log. It never reads the log and needs
//! no broker credentials: an oversight body (the Sở Nội vụ, the inspectorate, the State Audit)
//! runs it with its own key, on its own machine.
//!
//! Its record, one line per log (`<origin> <size> <base64 root>`), is read, checked and
//! replaced under one lock, and on disk (synced, renamed) before the cosignature is answered,
//! so two requests cannot roll it back and a crash cannot lose a cosigned size.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::Engine as _;
use reform_shared::tlog::cosignature::{cosignature_line, VerifierKey};
use reform_shared::tlog::witness::{decide, AddCheckpoint, Cosigned, Refusal, REQUEST_BYTES_MAX};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;

/// A witness's fault that is not a refusal.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    #[error("the witness's record {path}: {why}")]
    Record { path: PathBuf, why: String },
    #[error("the witness's key: {0}")]
    Key(String),
}

/// A witness: its name and key, the logs it trusts, and its record.
#[derive(Debug)]
pub struct Witness {
    name: String,
    key: nkeys::KeyPair,
    logs: Vec<VerifierKey>,
    record: PathBuf,
    cosigned: Mutex<BTreeMap<String, Cosigned>>,
}

impl Witness {
    /// Opens the witness, reading its record when there is one.
    pub fn open(
        name: String,
        key: nkeys::KeyPair,
        logs: Vec<VerifierKey>,
        record: PathBuf,
    ) -> Result<Arc<Witness>, WitnessError> {
        VerifierKey::from_nkey(
            &name,
            reform_shared::tlog::cosignature::COSIGNATURE_V1,
            &key.public_key(),
        )
        .map_err(|e| WitnessError::Key(e.to_string()))?;
        let cosigned = read_record(&record)?;
        Ok(Arc::new(Witness { name, key, logs, record, cosigned: Mutex::new(cosigned) }))
    }

    /// The witness's public key as a vkey, for policies.
    pub fn vkey(&self) -> String {
        VerifierKey::from_nkey(
            &self.name,
            reform_shared::tlog::cosignature::COSIGNATURE_V1,
            &self.key.public_key(),
        )
        .map(|k| k.to_vkey())
        .unwrap_or_default()
    }

    /// Decides one request; on success, the cosignature line, after the record is on disk.
    pub async fn add_checkpoint(&self, body: &[u8], now: u64) -> Result<String, Refusal> {
        let request = AddCheckpoint::parse(body)?;
        let mut cosigned = self.cosigned.lock().await;
        let (checkpoint, record) =
            decide(&self.logs, |origin| cosigned.get(origin).copied(), &request)?;
        // The body as the log signed it, extension lines included (tlog-cosignature).
        let (body, _) = reform_shared::tlog::cosignature::split(&request.note)
            .map_err(|e| Refusal::BadRequest(e.to_string()))?;
        let line = cosignature_line(&self.name, &body, &self.key, now)
            .map_err(|e| Refusal::Unavailable(e.to_string()))?;
        let mut next = cosigned.clone();
        next.insert(checkpoint.origin.clone(), record);
        write_record(&self.record, &next).map_err(|e| {
            tracing::error!(error = %e, "could not keep the witness's record");
            Refusal::Unavailable(
                "the witness could not keep its record; nothing was cosigned".into(),
            )
        })?;
        *cosigned = next;
        Ok(line)
    }
}

fn read_record(path: &PathBuf) -> Result<BTreeMap<String, Cosigned>, WitnessError> {
    let err = |why: String| WitnessError::Record { path: path.clone(), why };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(err(e.to_string())),
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let bad = || err(format!("line {} is not `<origin> <size> <base64 root>`", i + 1));
        let mut words = line.split(' ');
        let (Some(origin), Some(size), Some(root), None) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return Err(bad());
        };
        let size = size.parse().map_err(|_| bad())?;
        let root = b64.decode(root).ok().and_then(|r| r.try_into().ok()).ok_or_else(bad)?;
        out.insert(origin.to_owned(), Cosigned { size, root });
    }
    Ok(out)
}

fn write_record(
    path: &std::path::Path,
    cosigned: &BTreeMap<String, Cosigned>,
) -> std::io::Result<()> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let text: String = cosigned
        .iter()
        .map(|(origin, c)| format!("{origin} {} {}\n", c.size, b64.encode(c.root)))
        .collect();
    reform_shared::durable::replace(path, text.as_bytes())
}

/// Serves the witness on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: reform_shared::https::Listener,
    witness: Arc<Witness>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), reform_shared::https::HttpsError> {
    listener.serve(router(witness), shutdown).await
}

/// The witness's routes: `POST /add-checkpoint`.
pub fn router(witness: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .layer(axum::extract::DefaultBodyLimit::max(REQUEST_BYTES_MAX))
        .with_state(witness)
}

async fn add_checkpoint(State(witness): State<Arc<Witness>>, body: axum::body::Bytes) -> Response {
    // A cosignature's time is never zero (tlog-witness): no clock, no cosignature.
    let Some(now) = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
        .filter(|&t| t > 0)
    else {
        return (StatusCode::SERVICE_UNAVAILABLE, "the witness's clock is unreadable\n")
            .into_response();
    };
    match witness.add_checkpoint(&body, now).await {
        Ok(line) => (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], line)
            .into_response(),
        Err(Refusal::Conflict(size)) => (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, "text/x.tlog.size")],
            format!("{size}\n"),
        )
            .into_response(),
        Err(refusal) => {
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
            tracing::info!(%refusal, "a checkpoint was not cosigned");
            (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{refusal}\n"))
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reform_shared::checkpoint::Checkpoint;
    use reform_shared::tlog::cosignature::ED25519;
    use reform_shared::tlog::tiles::Frontier;

    fn signed(log: &nkeys::KeyPair, entries: u64) -> String {
        let mut tree = Frontier::default();
        for i in 0..entries {
            tree.push(i.to_be_bytes().to_vec());
        }
        let cp = Checkpoint { origin: "example.org/log".into(), size: entries, root: tree.root() };
        cp.sign(log).expect("signs")
    }

    #[tokio::test]
    async fn a_witness_reopened_from_its_record_holds_the_size_it_cosigned() {
        let dir = tempfile::tempdir().expect("temp dir");
        let record = dir.path().join("witness.record");
        let log = nkeys::KeyPair::new_account();
        let logs = vec![
            VerifierKey::from_nkey("example.org/log", ED25519, &log.public_key()).expect("key")
        ];
        let seed = nkeys::KeyPair::new_account().seed().expect("a seed");
        let open = || {
            let key = nkeys::KeyPair::from_seed(&seed).expect("the witness's key");
            Witness::open("w.example/w".into(), key, logs.clone(), record.clone()).expect("opens")
        };
        let body = AddCheckpoint { old: 0, proof: Vec::new(), note: signed(&log, 5) }.to_body();
        let line = open().add_checkpoint(body.as_bytes(), 1_700_000_000).await.expect("cosigns");
        assert!(line.starts_with("— w.example/w "), "{line}");
        // After a restart (or a crash once it answered), the same request is a conflict.
        let again = open().add_checkpoint(body.as_bytes(), 1_700_000_001).await;
        assert_eq!(again, Err(Refusal::Conflict(5)));

        // A checkpoint with an extension line: the cosignature covers the body as signed.
        let mut hashes = reform_shared::tlog::proofs::MemoryHashes::default();
        let mut grown = Frontier::default();
        for i in 0..6u64 {
            hashes.keep(&grown.push(i.to_be_bytes().to_vec()));
        }
        hashes.keep(&grown.partials());
        let cp = Checkpoint { origin: "example.org/log".into(), size: 6, root: grown.root() };
        let body = format!("{}extension line\n", cp.body());
        let signature =
            reform_shared::tlog::cosignature::signature_line("example.org/log", &body, &log)
                .expect("signs");
        let note = format!("{body}\n{signature}");
        let proof = reform_shared::tlog::proofs::consistency(&hashes, 5, 6).expect("a proof");
        let request = AddCheckpoint { old: 5, proof, note: note.clone() }.to_body();
        let witness = open();
        let line =
            witness.add_checkpoint(request.as_bytes(), 1_700_000_002).await.expect("cosigns");
        let key = VerifierKey::parse(&witness.vkey()).expect("its vkey");
        assert_eq!(key.check_cosignature(&format!("{note}{line}")), Ok(1_700_000_002));

        std::fs::write(&record, "example.org/log five AAAA\n").expect("write");
        let key = nkeys::KeyPair::new_account();
        let damaged =
            Witness::open("w.example/w".into(), key, logs, record.clone()).expect_err("damaged");
        assert!(
            damaged.to_string().contains("line 1 is not `<origin> <size> <base64 root>`"),
            "{damaged}"
        );
    }
}
