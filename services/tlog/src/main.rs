//! Runs the log's publication on its own against a NATS server, until Ctrl-C or SIGTERM.

use clap::Parser;
use reform_shared::edge::{self, BrokerArgs};
use std::path::PathBuf;

/// Publishes the reform tracker's log as C2SP tiles and cosigned checkpoints in a directory
/// any web server may serve read-only.
#[derive(Debug, Parser)]
#[command(name = "reform-tlog", version, about)]
struct Args {
    #[command(flatten)]
    broker: BrokerArgs,
    /// The tile directory.
    #[arg(long, env = "PAR_TLOG_DIR")]
    dir: PathBuf,
    /// The log's key (an nkeys seed file readable by its owner only).
    #[arg(long, env = "PAR_LOG_KEY")]
    log_key: PathBuf,
    /// The witnesses to ask and the quorum (a c2sp.org/tlog-policy file).
    #[arg(long, env = "PAR_TLOG_POLICY")]
    policy: Option<PathBuf>,
    /// The authority (PEM) that vouches for the witnesses' HTTPS certificates, beside the
    /// system's roots.
    #[arg(long, env = "PAR_WITNESS_CA", value_name = "FILE")]
    witness_ca: Option<PathBuf>,
    /// How often to look for new messages, in seconds.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=3600))]
    every: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    edge::init_tracing("info");
    let client = args.broker.connect().await?;
    let config = reform_tlog::Config {
        dir: args.dir,
        log_key: args.log_key,
        policy: args.policy,
        every: std::time::Duration::from_secs(args.every),
        witness_ca: args.witness_ca,
    };
    reform_tlog::run(client, config, edge::stop_signal()).await?;
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
