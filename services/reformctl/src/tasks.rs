//! `reformctl` commands of the tasks service. (Skeleton: filled in by the command-services issue.)

use crate::ctx::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {}

pub async fn run(cmd: Cmd, _ctx: &Ctx) -> anyhow::Result<()> {
    match cmd {}
}
