//! Runs the web dashboard on its own against a NATS server, until Ctrl-C or SIGTERM.

use clap::Parser;
use reform_shared::edge::{self, BrokerArgs};

/// The web dashboard of the reform tracker: read-only pages over the projector's views.
#[derive(Debug, Parser)]
#[command(name = "reform-gateway", version, about)]
struct Args {
    #[command(flatten)]
    broker: BrokerArgs,
    /// Where to serve the pages (keep it on loopback behind a reverse proxy).
    #[arg(long, default_value = reform_gateway::LISTEN_DEFAULT)]
    listen: std::net::SocketAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    edge::init_tracing("info");
    // A person's connection: the `auditor` broker user reads everything and changes nothing.
    let client =
        edge::connect_person(&args.broker.nats_url, args.broker.nats_nkey.as_deref()).await?;
    let listener = reform_gateway::bind(args.listen).await?;
    println!("dashboard: http://{}", listener.local_addr()?);
    reform_gateway::serve(client, listener, edge::stop_signal()).await?;
    Ok(())
}
