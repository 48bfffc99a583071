//! Runs the tasks service on its own against a NATS server, until Ctrl-C or SIGTERM.

use clap::Parser;
use reform_shared::edge::{self, ServiceArgs};

/// The tasks service of the reform tracker: plans, tasks and inspection findings.
#[derive(Debug, Parser)]
#[command(name = "reform-tasks", version, about)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    edge::init_tracing("info");
    let client = args.service.broker.connect().await?;
    args.service.serve_metrics(&client).await?;
    let config = args.service.config();
    reform_tasks::run(client, config, edge::stop_signal()).await?;
    Ok(())
}
