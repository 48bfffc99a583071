//! `reformctl up`: the embedded default. (Filled in next.)

use crate::ctx::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args, _ctx: &Ctx) -> anyhow::Result<()> {
    Ok(())
}
