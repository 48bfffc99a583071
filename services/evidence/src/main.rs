//! Runs the evidence service on its own against a NATS server, until Ctrl-C or SIGTERM.

use clap::Parser;
use reform_shared::edge::{self, ServiceArgs};

/// The evidence service of the reform-task tracker: tài liệu minh chứng in the object store.
#[derive(Debug, Parser)]
#[command(name = "reform-evidence", version, about)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,
    /// The largest evidence file accepted, in bytes (never above the built-in limit).
    #[arg(long, env = "PAR_EVIDENCE_BYTES_MAX", default_value_t = reform_evidence::EVIDENCE_BYTES_MAX)]
    evidence_bytes_max: u64,
    /// The most the upload waiting room holds at once, in bytes; the broker reserves it on
    /// disk. Full, it refuses new uploads until staged ones expire (15 minutes).
    #[arg(long, env = "PAR_UPLOAD_STREAM_BYTES", default_value_t = reform_evidence::upload::UPLOAD_STREAM_BYTES)]
    upload_stream_bytes: i64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    edge::init_tracing("info");
    let client = args.service.broker.connect().await?;
    args.service.serve_metrics(&client).await?;
    let config = reform_evidence::Config {
        service: args.service.config(),
        evidence_bytes_max: args.evidence_bytes_max,
        upload_stream_bytes: args.upload_stream_bytes,
    };
    reform_evidence::run(client, config, edge::stop_signal()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The flags hold together, as clap's own checks see them (names, defaults, what requires
    /// what): a mistake there panics here, not at an operator's first run.
    #[test]
    fn the_flags_hold_together() {
        use clap::CommandFactory as _;
        super::Args::command().debug_assert();
    }
}
