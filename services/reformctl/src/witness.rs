//! `reformctl witness`: run a witness by c2sp.org/tlog-witness ([`reform_audit::witness`]) for
//! an oversight body, on its own machine, with its own key; it needs no broker.

use crate::outcome::{Classified, ExitKind};
use anyhow::Context as _;
use reform_shared::tlog::cosignature::{VerifierKey, COSIGNATURE_V1};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Witness the log (an oversight body's tool): cosign checkpoints that extend the last one
    /// cosigned.
    #[command(subcommand)]
    Witness(WitnessCmd),
}

#[derive(Debug, clap::Subcommand)]
pub enum WitnessCmd {
    /// Make a witness key: the seed goes to FILE (mode 600); prints the witness's verifier key
    /// for the log's policy.
    Key {
        /// The witness's name, a schema-less URL (e.g. thanh-tra.soctrang.gov.vn/witness).
        #[arg(long)]
        name: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Serve `POST /add-checkpoint` until stopped.
    Serve {
        #[arg(long)]
        name: String,
        /// The witness's key (`witness key`).
        #[arg(long)]
        key: PathBuf,
        /// Where the witness keeps the last checkpoint it cosigned for each log.
        #[arg(long)]
        record: PathBuf,
        /// A log it witnesses, as its verifier key (the `log` line of the log's policy);
        /// repeat for several.
        #[arg(long = "log", required = true)]
        logs: Vec<String>,
        #[arg(long, default_value = "127.0.0.1:7380")]
        listen: std::net::SocketAddr,
        /// Serve HTTPS only, as the log's publisher and other logs reach it over a network.
        #[command(flatten)]
        https: reform_shared::https::HttpsArgs,
    },
}

fn invalid(message: String) -> anyhow::Error {
    Classified { kind: ExitKind::Invalid, message }.into()
}

pub async fn run(cmd: Cmd) -> anyhow::Result<()> {
    let Cmd::Witness(cmd) = cmd;
    match cmd {
        WitnessCmd::Key { name, out } => {
            let public = reform_shared::checkpoint::new_key(&out)?;
            let vkey = VerifierKey::from_nkey(&name, COSIGNATURE_V1, &public)
                .map_err(|e| invalid(format!("--name: {e}")))?;
            println!("{}", vkey.to_vkey());
            eprintln!("the seed is in {} (readable by you only)", out.display());
            Ok(())
        }
        WitnessCmd::Serve { name, key, record, logs, listen, https } => {
            let logs = logs
                .iter()
                .map(|l| match VerifierKey::parse(l) {
                    Ok(key) if key.kind == reform_shared::tlog::cosignature::ED25519 => Ok(key),
                    Ok(_) => Err(invalid(format!("--log {l}: a log's key is of type 1 (Ed25519)"))),
                    Err(e) => Err(invalid(format!("--log: {e}"))),
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let key = reform_shared::checkpoint::read_key(&key)?;
            let witness = reform_audit::witness::Witness::open(name, key, logs, record)
                .map_err(|e| invalid(e.to_string()))?;
            let listener = reform_shared::https::bind(listen, https.files().as_ref()).await?;
            println!("witness {} on {}", witness.vkey(), listener.url());
            reform_audit::witness::serve(listener, witness, reform_shared::edge::stop_signal())
                .await
                .context("the witness's server failed")
        }
    }
}
