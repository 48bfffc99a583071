//! `reformctl view`: queries of the projector's views. (Skeleton: filled in by the projector issue.)

use crate::ctx::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {}

pub async fn run(cmd: Cmd, _ctx: &Ctx) -> anyhow::Result<()> {
    match cmd {}
}
