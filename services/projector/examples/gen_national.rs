//! Loads the national workload into a broker's event stream: 63 provinces to 30 June 2025, 34
//! after, 2015 to 2026, about
//! `--events` events (ten million by default), the same from the same `--seed`.
//!
//! ```text
//! just gen-national                      # into nats://127.0.0.1:4222
//! cargo run --release -p reform-projector --example gen_national -- \
//!     --nats URL [--nats-nkey FILE] [--events N] [--seed S]
//! ```
//!
//! The stream is created when missing and must be empty: the workload's ids would collide
//! with a log that already holds it. Events go straight into the stream, many publishes in
//! flight, not through the command services: a load of ten million takes minutes.

use anyhow::{bail, Context};
use clap::Parser;
use reform_shared::stream::{init_stream, StreamSettings};
use reform_shared::testkit::national::{self, National};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(about = "Load the national workload into the event stream")]
struct Cli {
    #[arg(long = "nats", env = "NATS_URL", default_value = reform_shared::edge::NATS_URL_DEFAULT)]
    nats_url: String,
    /// The nkeys seed of a broker user that may append (the `service` user of a deployment).
    #[arg(long, env = "PAR_NATS_NKEY")]
    nats_nkey: Option<PathBuf>,
    /// About how many events (at least one task per unit and year).
    #[arg(long, default_value_t = 10_000_000)]
    events: u64,
    #[arg(long, default_value_t = 20_261_201)]
    seed: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let client = reform_shared::edge::connect_as(&cli.nats_url, cli.nats_nkey.as_deref()).await?;
    let js = async_nats::jetstream::new(client);
    init_stream(&js, &StreamSettings::default()).await.context("creating the event stream")?;
    let mut stream = js.get_stream(reform_shared::subject::STREAM_NAME).await?;
    let held = stream.info().await?.state.messages;
    if held > 0 {
        bail!("the event stream already holds {held} events; load the workload into an empty one");
    }
    let shape = National::for_events(cli.seed, cli.events);
    eprintln!(
        "loading {} provinces, then {}, × {} years, {} tasks per unit and year (seed {})…",
        national::PROVINCES,
        national::PROVINCES_AFTER,
        national::YEARS,
        shape.tasks_per_unit,
        cli.seed
    );
    let started = Instant::now();
    let last = reform_shared::testkit::publish_all(&js, shape.messages()).await;
    let secs = started.elapsed().as_secs_f64();
    println!("{last} events in {secs:.1} s ({:.0} events/s)", last as f64 / secs);
    Ok(())
}
