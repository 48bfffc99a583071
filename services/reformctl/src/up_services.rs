//! The services `reformctl up` runs in its own process. Each is a library with
//! `run(client, config, shutdown)`, so here they are only spawned, and then waited on until
//! each answers the NATS services API's PING (so nothing is sent to a service not yet
//! listening).

use crate::shutdown::Shutdown;
use crate::supervise::{supervise, Fatal};
use anyhow::{bail, Context as _};
use reform_shared::stream::LogIdentity;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How long the services may take to rebuild their state and register.
pub const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// A running service: its name and its supervisor's task.
pub type Running = (&'static str, JoinHandle<()>);

/// The command services, by their NATS service names.
pub const COMMAND_SERVICES: [&str; 4] =
    ["par-directory", "par-tasks", "par-evidence", "par-scoring"];

/// What every supervised service shares.
#[derive(Debug, Clone)]
pub struct Supervisor {
    pub client: async_nats::Client,
    /// The evidence service's own connection: only its broker user may write evidence files.
    pub evidence_client: async_nats::Client,
    pub log: LogIdentity,
    pub fatal: Fatal,
    pub shutdown: Shutdown,
    /// Where the command services keep their state files (`<name>.redb`); none: each
    /// replays the whole log at start.
    pub state_dir: Option<std::path::PathBuf>,
    /// Whether the command services honour a person's directory event, or one of their own
    /// kind, with no signature
    /// (`ServiceConfig::unsigned`): refused, but for a log written without signatures (tests).
    pub unsigned: reform_shared::audit::verify::Unsigned,
}

impl Supervisor {
    /// Supervision for the services on `client`'s broker, bound to the log it holds now; the
    /// receiver gets the reason when the stack must stop.
    pub async fn new(
        client: &async_nats::Client,
        shutdown: &Shutdown,
    ) -> anyhow::Result<(Self, tokio::sync::mpsc::UnboundedReceiver<String>)> {
        let js = async_nats::jetstream::new(client.clone());
        let log = reform_shared::stream::current_identity(&js).await?;
        let (fatal, fatal_rx) = tokio::sync::mpsc::unbounded_channel();
        let (client, evidence_client) = (client.clone(), client.clone());
        let shutdown = shutdown.clone();
        let unsigned = Default::default();
        let supervisor =
            Self { client, evidence_client, log, fatal, shutdown, state_dir: None, unsigned };
        Ok((supervisor, fatal_rx))
    }

    fn run<F, Fut, E>(&self, name: &'static str, make: F) -> Running
    where
        F: Fn(async_nats::Client, Shutdown) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        self.run_on(self.client.clone(), name, make)
    }

    fn run_on<F, Fut, E>(&self, client: async_nats::Client, name: &'static str, make: F) -> Running
    where
        F: Fn(async_nats::Client, Shutdown) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let handle = supervise(
            name,
            move |shutdown| make(client.clone(), shutdown),
            self.shutdown.clone(),
            async_nats::jetstream::new(self.client.clone()),
            self.log.clone(),
            self.fatal.clone(),
        );
        (name, handle)
    }
}

/// Starts every command service in this process, supervised, and waits until each answers.
pub async fn start_command_services(supervisor: &Supervisor) -> anyhow::Result<Vec<Running>> {
    let config = |name: &str| reform_shared::service::ServiceConfig {
        state_file: supervisor.state_dir.as_ref().map(|dir| dir.join(format!("{name}.redb"))),
        unsigned: supervisor.unsigned,
        ..Default::default()
    };
    let (directory, tasks, scoring) = (config("directory"), config("tasks"), config("scoring"));
    let evidence = reform_evidence::Config { service: config("evidence"), ..Default::default() };
    let running: Vec<Running> = vec![
        supervisor
            .run("directory", move |c, s| reform_directory::run(c, directory.clone(), s.wait())),
        supervisor.run("tasks", move |c, s| reform_tasks::run(c, tasks.clone(), s.wait())),
        supervisor.run_on(supervisor.evidence_client.clone(), "evidence", move |c, s| {
            reform_evidence::run(c, evidence.clone(), s.wait())
        }),
        supervisor.run("scoring", move |c, s| reform_scoring::run(c, scoring.clone(), s.wait())),
    ];
    wait_ready(&supervisor.client, &COMMAND_SERVICES).await?;
    Ok(running)
}

/// Starts the rollup service, supervised, writing reports under `reports` and signing their
/// checkpoints with `log_key`, and waits until it answers.
pub async fn start_rollup(
    supervisor: &Supervisor,
    reports: std::path::PathBuf,
    log_key: std::path::PathBuf,
) -> anyhow::Result<Running> {
    let running = supervisor.run("rollup", move |c, s| {
        let config = reform_rollup::Config {
            reports_dir: Some(reports.clone()),
            log_key: Some(log_key.clone()),
        };
        reform_rollup::run(c, config, reform_rollup::SystemClock, s.wait())
    });
    wait_ready(&supervisor.client, &["par-rollup"]).await?;
    Ok(running)
}

/// Starts the log's publication (tiles and checkpoints in `dir`, signed with `log_key`),
/// supervised. It answers its status and its last checkpoint (`par.tlog.checkpoint`) over
/// NATS; the gateway serves what it writes.
pub fn start_tlog(
    supervisor: &Supervisor,
    dir: std::path::PathBuf,
    log_key: std::path::PathBuf,
) -> Running {
    supervisor.run(reform_tlog::NAME, move |c, s| {
        let config = reform_tlog::Config {
            dir: dir.clone(),
            log_key: log_key.clone(),
            policy: None,
            every: reform_tlog::EVERY_DEFAULT,
            witness_ca: None,
        };
        reform_tlog::run(c, config, s.wait())
    })
}

/// Starts the projector on the views file under the data directory, supervised, and waits
/// until it answers.
pub async fn start_projector(
    supervisor: &Supervisor,
    views: std::path::PathBuf,
) -> anyhow::Result<Running> {
    set_aside_an_old_layout(&views)?;
    let running = supervisor.run("projector", move |c, s| {
        reform_projector::run(c, reform_projector::Config::new(views.clone()), s.wait())
    });
    wait_ready(&supervisor.client, &["par-projector"]).await?;
    Ok(running)
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
        let health = crate::status::health_of(client, "par-projector").await;
        if let Some(h) =
            health.filter(|h| h.reader == reform_shared::service::health::Reader::Halted)
        {
            let why = h.last_error.unwrap_or_default();
            bail!("the projector is halted before sequence {head}: {why}");
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

/// The embedded stack's views are its own cache of the log: a file an older build wrote in
/// another storage layout is moved aside (kept, not deleted) and the projector builds the views
/// again from the log, saying so. A deployed projector refuses such a file instead, naming the
/// rebuild (`reform-projector rebuild`), so an operator chooses when to spend the time.
fn set_aside_an_old_layout(views: &std::path::Path) -> anyhow::Result<()> {
    use reform_projector::store::{Store, StoreError};
    if !views.exists() {
        return Ok(());
    }
    let Err(StoreError::Layout { found, expected, .. }) = Store::open(views) else {
        return Ok(());
    };
    let aside = views.with_extension(format!("layout-{found}.redb"));
    std::fs::rename(views, &aside)
        .with_context(|| format!("could not move {} aside", views.display()))?;
    println!(
        "  views       {} was written in storage layout {found}, this build uses {expected}: \
         moved it to {} and building the views again from the log",
        views.display(),
        aside.display()
    );
    Ok(())
}

/// The four command services running in this process on `client`'s broker, as `up` runs them,
/// for tests and tools that need the real services without the rest of `up`.
#[derive(Debug)]
pub struct InProcess {
    stop: tokio::sync::watch::Sender<bool>,
    running: Vec<Running>,
}

impl InProcess {
    /// Starts them and waits until each answers; `unsigned` as `Supervisor::unsigned`.
    pub async fn start(
        client: &async_nats::Client,
        unsigned: reform_shared::audit::verify::Unsigned,
    ) -> anyhow::Result<InProcess> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let shutdown = Shutdown::new(stopped);
        let (mut supervisor, _fatal) = Supervisor::new(client, &shutdown).await?;
        supervisor.unsigned = unsigned;
        let running = start_command_services(&supervisor).await?;
        Ok(InProcess { stop, running })
    }

    /// Stops them and waits until each has.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for (_, handle) in self.running {
            let _ = handle.await;
        }
    }
}
