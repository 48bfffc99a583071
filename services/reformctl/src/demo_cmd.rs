//! `reformctl demo genesis|load --keys DIR`: the demo province against a running deployment,
//! as `up` loads it into the embedded stack. The genesis step appends, so it needs the
//! services' broker credentials; the load sends people's signed commands, so it needs a
//! client's. Both are idempotent.

use crate::ctx::Ctx;
use crate::demo::{self, DemoKeys};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// The demo province, loaded into a running deployment (for trying one out).
    #[command(subcommand)]
    Demo(DemoCmd),
}

#[derive(Debug, clap::Subcommand)]
pub enum DemoCmd {
    /// Record the demo's first administrator (operators, with the services' credentials).
    Genesis {
        /// Where the demo people's signing keys are kept (made when missing, owner-only).
        #[arg(long)]
        keys: PathBuf,
    },
    /// Send the demo's commands, each signed by its person, and close its reporting periods
    /// (with a client's credentials, after `demo genesis`).
    Load {
        /// Where the demo people's signing keys are kept (made when missing, owner-only).
        #[arg(long)]
        keys: PathBuf,
        /// Leave the demo's 28 reporting periods open: each close builds a report, which on
        /// a small machine takes a while (close them later with `rollup close`).
        #[arg(long)]
        without_periods: bool,
    },
}

pub async fn run(cmd: Cmd, ctx: &Ctx) -> anyhow::Result<()> {
    let Cmd::Demo(cmd) = cmd;
    let demo = demo::parse(demo::COMMANDS_JSONL)?;
    let client = ctx.client().await?;
    match cmd {
        DemoCmd::Genesis { keys } => {
            let keys = DemoKeys::ensure(&keys, &demo)?;
            let js = async_nats::jetstream::new(client);
            match demo::genesis(&js, &keys).await? {
                Some((sequence, key)) => println!(
                    "{} is the first administrator (key {key}, sequence {sequence})",
                    demo::ADMINISTRATOR.0
                ),
                None => println!("the first administrator was already recorded"),
            }
        }
        DemoCmd::Load { keys, without_periods } => {
            let keys = DemoKeys::ensure(&keys, &demo)?;
            crate::up::load_demo(&client, &demo, &keys).await?;
            if !without_periods {
                crate::up::close_demo_periods(&client, keys.administrator()?).await?;
            }
        }
    }
    Ok(())
}
