//! Runs the rollup service on its own against a NATS server, until Ctrl-C or SIGTERM.

use clap::Parser;
use reform_shared::edge::{self, BrokerArgs};
use std::path::PathBuf;

/// The rollup service of the reform tracker: closes every reporting period once.
#[derive(Debug, Parser)]
#[command(name = "reform-rollup", version, about)]
struct Args {
    #[command(flatten)]
    broker: BrokerArgs,
    /// Also write each report as files in this directory.
    #[arg(long, env = "PAR_REPORTS_DIR")]
    reports_dir: Option<PathBuf>,
    /// The log's key (nkeys seed file, mode 600): sign each report's checkpoint with it.
    #[arg(long, env = "PAR_LOG_KEY")]
    log_key: Option<PathBuf>,
    #[command(flatten)]
    metrics: reform_shared::metrics::MetricsArgs,
    #[command(flatten)]
    https: reform_shared::https::HttpsArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    edge::init_tracing("info");
    let client = args.broker.connect().await?;
    args.metrics.serve(&args.https, &client).await?;
    let config = reform_rollup::Config { reports_dir: args.reports_dir, log_key: args.log_key };
    reform_rollup::run(client, config, reform_rollup::SystemClock, edge::stop_signal()).await?;
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
