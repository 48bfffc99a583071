//! Runs the projector on its own against a NATS server: parses flags and environment, sets up
//! logging, and calls the library. See the crate's README for operating it.

use clap::{Parser, Subcommand};
use reform_projector::{store::Store, Config, CONSUMER_DEFAULT};
use reform_shared::edge;
use std::path::PathBuf;
use std::process::ExitCode;

/// The projector of the reform-task tracker: follows the event stream into the views (redb)
/// and answers queries on par.view.*.
#[derive(Debug, Parser)]
#[command(name = "reform-projector", version, about)]
struct Cli {
    /// The NATS server.
    #[arg(long = "nats", env = "NATS_URL", global = true, default_value = edge::NATS_URL_DEFAULT)]
    nats_url: String,
    /// The broker user's nkeys seed (owner-only), for a broker run with the permissions:
    /// the services' user.
    #[arg(long = "nats-nkey", env = "PAR_NATS_NKEY", global = true, value_name = "FILE")]
    nats_nkey: Option<PathBuf>,
    /// The views file (redb).
    #[arg(long, env = "PAR_PROJECTOR_DB", global = true, default_value = "par-views.redb")]
    db: PathBuf,
    /// The durable consumer's name: one per views file.
    #[arg(long, global = true, default_value = CONSUMER_DEFAULT)]
    consumer: String,
    /// Own only these provinces (comma-separated unit ids): apply their events and answer
    /// their queries, passing the others' to their owners. Every province needs an owner.
    #[arg(long, env = "PAR_PROJECTOR_PROVINCES", global = true, value_parser = reform_projector::split::Owns::parse)]
    provinces: Option<reform_projector::split::Owns>,
    /// How many queries of one kind it answers at once; one more is answered `unavailable` at
    /// once. People's queries and other projectors' each have this many.
    #[arg(long, env = "PAR_PROJECTOR_QUERIES_IN_FLIGHT", global = true,
          default_value_t = reform_projector::queries::QUERIES_IN_FLIGHT_MAX,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    queries_in_flight: usize,
    #[command(flatten)]
    metrics: reform_shared::metrics::MetricsArgs,
    #[command(flatten)]
    https: reform_shared::https::HttpsArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Follow the stream and serve queries (the default).
    Run,
    /// Drop the views and project the whole stream again; prints the canonical dump.
    Rebuild,
    /// Print `applied_through` and the canonical dump (SHA-256 of every table) as JSON.
    Dump,
    /// Skip the unreadable event at SEQUENCE: recorded once beside the log (the shared skip
    /// record every reader consults), with the digest of its bytes and the reason; the same as
    /// `reformctl log skip`. See the README before using it.
    Skip {
        #[arg(long)]
        sequence: u64,
        #[arg(long)]
        reason: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    edge::init_tracing("info");
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reform-projector: {}", reform_shared::edge::one_line(e.chain()));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::new(cli.db.clone());
    config.consumer = cli.consumer.clone();
    config.owns = cli.provinces.clone().unwrap_or_default();
    config.queries_in_flight_max = cli.queries_in_flight;
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => {
            let client = edge::connect_as(&cli.nats_url, cli.nats_nkey.as_deref()).await?;
            cli.metrics.serve(&cli.https, &client).await?;
            reform_projector::run(client, config, edge::stop_signal()).await?;
        }
        Command::Rebuild => {
            let client = edge::connect_as(&cli.nats_url, cli.nats_nkey.as_deref()).await?;
            let dump = reform_projector::rebuild(client, config).await?;
            println!("{}", serde_json::to_string_pretty(&dump)?);
        }
        Command::Dump => {
            let dump = Store::open(&cli.db)?.dump()?;
            println!("{}", serde_json::to_string_pretty(&dump)?);
        }
        Command::Skip { sequence, reason } => {
            let client = edge::connect_as(&cli.nats_url, cli.nats_nkey.as_deref()).await?;
            let js = async_nats::jetstream::new(client);
            let by = std::env::var("USER").unwrap_or_else(|_| "operator".into());
            let (skip, _) =
                reform_shared::skips::skip_unreadable(&js, sequence, &reason, &by).await?;
            println!(
                "skipped sequence {sequence} (SHA-256 {}); every reader resumes after it",
                skip.payload_sha256
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The flags hold together, as clap's own checks see them (names, defaults, what requires
    /// what): a mistake there panics here, not at an operator's first run.
    #[test]
    fn the_flags_hold_together() {
        use clap::CommandFactory as _;
        super::Cli::command().debug_assert();
    }
}
