//! The services `reformctl up` runs in its own process, and what it does once they are up.
//! Each service is a library with `run(client, config, shutdown)`, so here they are only
//! spawned. (The services are added to this list as they are built.)

use crate::ctx::Ctx;
use crate::up::{Args, Shutdown};
use tokio::task::JoinHandle;

/// A running service: its name and its task.
pub type Running = (&'static str, JoinHandle<anyhow::Result<()>>);

/// Starts every service.
pub async fn start(
    _client: &async_nats::Client,
    _args: &Args,
    _shutdown: Shutdown,
) -> anyhow::Result<Vec<Running>> {
    Ok(Vec::new())
}

/// After start: load the demo when the log is empty, then show the views.
pub async fn after_start(
    _client: &async_nats::Client,
    _args: &Args,
    _ctx: &Ctx,
) -> anyhow::Result<()> {
    Ok(())
}
