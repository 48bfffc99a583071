//! Runs the tasks service on its own against a NATS server, until Ctrl-C or SIGTERM.

use clap::Parser;
use reform_shared::edge::{self, BrokerArgs};

/// The tasks service of the reform tracker: plans, tasks and inspection findings.
#[derive(Debug, Parser)]
#[command(name = "reform-tasks", version, about)]
struct Args {
    #[command(flatten)]
    broker: BrokerArgs,
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
    let config = reform_tasks::Config {
        stream: args.broker.stream_settings(),
        state_file: args.state,
        ..Default::default()
    };
    reform_tasks::run(client, config, edge::stop_signal()).await?;
    Ok(())
}
