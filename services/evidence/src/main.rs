//! Runs the evidence service on its own against a NATS server, until Ctrl-C or SIGTERM.

use clap::Parser;
use reform_shared::edge::{self, BrokerArgs};

/// The evidence service of the reform-task tracker: tài liệu minh chứng in the object store.
#[derive(Debug, Parser)]
#[command(name = "reform-evidence", version, about)]
struct Args {
    #[command(flatten)]
    broker: BrokerArgs,
    /// The largest evidence file accepted, in bytes (never above the built-in limit).
    #[arg(long, env = "PAR_EVIDENCE_BYTES_MAX", default_value_t = reform_evidence::EVIDENCE_BYTES_MAX)]
    evidence_bytes_max: u64,
    /// The service's state file (redb): a restart resumes from its snapshot, and the table of
    /// every command id lives there. Without it the whole log is replayed at every start.
    #[arg(long, env = "PAR_STATE_FILE", value_name = "FILE")]
    state: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    edge::init_tracing("info");
    let client = args.broker.connect().await?;
    let mut config = reform_evidence::Config::default();
    config.service.stream = args.broker.stream_settings();
    config.evidence_bytes_max = args.evidence_bytes_max;
    config.service.state_file = args.state;
    reform_evidence::run(client, config, edge::stop_signal()).await?;
    Ok(())
}
