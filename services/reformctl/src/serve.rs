//! `reformctl serve SERVICE`: runs one service on its own against `--nats URL`, until SIGTERM or
//! Ctrl-C, exactly as its own binary (`reform-tasks`, …) does. One binary that can be any part
//! lets tests and the chaos run kill and restart each part as a process of its own.

use crate::ctx::Ctx;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    Directory,
    Tasks,
    Evidence,
    Scoring,
    Projector,
    Rollup,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which part to run.
    pub part: Part,
    /// The projector's views file.
    #[arg(long, default_value = "par-views.redb")]
    pub views: PathBuf,
    /// A command service's state file (see the service's `--state`).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Honour people's directory events, and each service's own kind, that carry no signature:
    /// only for a log written before
    /// requests were signed, or by a tool on people's behalf (tests). By default they are not
    /// honoured, since anyone with the services' credentials could append one.
    #[arg(long)]
    pub allow_unsigned: bool,
}

pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    let stop = reform_shared::edge::stop_signal();
    match args.part {
        Part::Directory => reform_directory::run(client, service(&args), stop).await?,
        Part::Tasks => reform_tasks::run(client, service(&args), stop).await?,
        Part::Evidence => {
            let config = reform_evidence::Config { service: service(&args), ..Default::default() };
            reform_evidence::run(client, config, stop).await?
        }
        Part::Scoring => reform_scoring::run(client, service(&args), stop).await?,
        Part::Projector => {
            reform_projector::run(client, reform_projector::Config::new(args.views), stop).await?
        }
        Part::Rollup => {
            let config = reform_rollup::Config::default();
            reform_rollup::run(client, config, reform_rollup::SystemClock, stop).await?
        }
    }
    Ok(())
}

fn service(args: &Args) -> reform_shared::service::ServiceConfig {
    use reform_shared::audit::verify::Unsigned;
    let unsigned = if args.allow_unsigned { Unsigned::Allowed } else { Unsigned::Refused };
    reform_shared::service::ServiceConfig {
        state_file: args.state.clone(),
        unsigned,
        ..Default::default()
    }
}
