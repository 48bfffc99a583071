//! The services `reformctl up` runs in its own process. Each is a library with
//! `run(client, config, shutdown)`, so here they are only spawned, and then waited on until
//! each answers the NATS services API's PING (so nothing is sent to a service not yet
//! listening).

use crate::up::Shutdown;
use anyhow::{bail, Context as _};
use std::time::Duration;
use tokio::task::JoinHandle;

/// How long the services may take to rebuild their state and register.
pub const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// A running service: its name and its task.
pub type Running = (&'static str, JoinHandle<anyhow::Result<()>>);

/// The command services, by their NATS service names.
pub const COMMAND_SERVICES: [&str; 4] =
    ["par-directory", "par-tasks", "par-evidence", "par-scoring"];

/// Starts every command service in this process and waits until each answers.
pub async fn start_command_services(
    client: &async_nats::Client,
    shutdown: &Shutdown,
) -> anyhow::Result<Vec<Running>> {
    let c = || client.clone();
    let running: Vec<Running> = vec![
        (
            "directory",
            spawn(reform_directory::run(c(), Default::default(), shutdown.clone().wait())),
        ),
        ("tasks", spawn(reform_tasks::run(c(), Default::default(), shutdown.clone().wait()))),
        ("evidence", spawn(reform_evidence::run(c(), Default::default(), shutdown.clone().wait()))),
        ("scoring", spawn(reform_scoring::run(c(), Default::default(), shutdown.clone().wait()))),
    ];
    wait_ready(client, &COMMAND_SERVICES).await?;
    Ok(running)
}

fn spawn<E>(
    future: impl std::future::Future<Output = Result<(), E>> + Send + 'static,
) -> JoinHandle<anyhow::Result<()>>
where
    E: std::error::Error + Send + Sync + 'static,
{
    tokio::spawn(async move { future.await.map_err(anyhow::Error::from) })
}

/// Starts the projector on the views file under the data directory, and waits until its
/// views hold everything the stream held when it started.
pub async fn start_projector(
    client: &async_nats::Client,
    views: std::path::PathBuf,
    shutdown: &Shutdown,
) -> anyhow::Result<Running> {
    let config = reform_projector::Config::new(views);
    let handle = spawn(reform_projector::run(client.clone(), config, shutdown.clone().wait()));
    wait_ready(client, &["par-projector"]).await?;
    Ok(("projector", handle))
}

/// Waits until the projector's views have applied the stream up to its current head.
pub async fn wait_projected(client: &async_nats::Client) -> anyhow::Result<u64> {
    let js = async_nats::jetstream::new(client.clone());
    let mut stream = js.get_stream(reform_shared::subject::STREAM_NAME).await?;
    let head = stream.info().await?.state.last_sequence;
    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    loop {
        let status = reform_projector::queries::status(client).await;
        if status.as_ref().is_ok_and(|s| s.applied_through >= head) {
            return Ok(head);
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("the projector did not catch up with the stream (sequence {head}) in time");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until every named service answers `$SRV.PING.<name>`.
pub async fn wait_ready(client: &async_nats::Client, names: &[&str]) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    for name in names {
        let subject = format!("$SRV.PING.{name}");
        loop {
            let ping = client.request(subject.clone(), "".into());
            match tokio::time::timeout(Duration::from_secs(1), ping).await {
                Ok(Ok(_)) => break,
                _ if tokio::time::Instant::now() >= deadline => {
                    bail!("the {name} service did not answer within {READY_TIMEOUT:?}")
                }
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
    client.flush().await.context("could not reach NATS")?;
    Ok(())
}
