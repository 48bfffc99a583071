//! `reformctl up`: the embedded default. With no NATS URL given it starts its own
//! `nats-server` (a child process, JetStream store under the data directory, every write
//! synced), runs every service in this one process, and stops all of it cleanly on Ctrl-C:
//! services first (each finishes the command or batch in hand), then the server.
//! With `--nats URL` it runs the services against that server instead.

use crate::ctx::{Ctx, NATS_URL_DEFAULT};
use crate::datadir::{self, DataDirLock};
use crate::keeper::{Keeper, Stop};
use crate::shutdown::Shutdown;
use anyhow::{bail, Context as _};
use reform_shared::broker::{self, BrokerUser};
use reform_shared::natsd::{NatsServer, ServerOptions, Sync};
use reform_shared::stream::{check_stream, init_stream, LogIdentity, StreamError, StreamSettings};
use reform_shared::subject::{ALL_EVENTS, STREAM_NAME};
use std::path::{Path, PathBuf};
use tokio::sync::watch;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the embedded stack keeps its event log (nats/) and views.
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// The loopback port of the embedded nats-server.
    #[arg(long, default_value_t = 4222)]
    pub port: u16,
    /// Do not load the demo province.
    #[arg(long)]
    pub no_demo: bool,
    /// Show the views and stop, instead of running until Ctrl-C.
    #[arg(long)]
    pub once: bool,
    /// Where the web dashboard listens; when that port is taken, a free loopback port.
    #[arg(long, default_value = reform_gateway::LISTEN_DEFAULT)]
    pub web: std::net::SocketAddr,
    /// Where Prometheus reads every part's metrics (`--metrics ADDR`, e.g. 127.0.0.1:9464).
    #[command(flatten)]
    pub metrics: reform_shared::metrics::MetricsArgs,
    /// The dashboard and the metrics over HTTPS, with this certificate.
    #[command(flatten)]
    pub https: reform_shared::https::HttpsArgs,
}

pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    let embedded = ctx.global.nats_url == NATS_URL_DEFAULT;
    let data_dir = absolute(&args.data_dir)?;
    // Before anything starts: one owner per data directory (see `datadir`).
    let mut lock = DataDirLock::acquire(&data_dir)?;
    // The embedded broker runs with the deployed permissions and its own credentials.
    let credentials =
        if embedded { Some(broker::provision(&data_dir.join("broker"))?) } else { None };
    let server = match &credentials {
        Some(credentials) => {
            Some(start_server(Some(args.port), &data_dir, credentials, &mut lock)?)
        }
        None => None,
    };
    let url = server.as_ref().map_or_else(|| ctx.global.nats_url.clone(), |s| s.url().to_owned());
    let summary = server.as_ref().map(|s| (s.data_dir().to_path_buf(), s.log_path()));
    // The keeper owns the server (and the lock its restarts need) from here on.
    let broker_health = reform_shared::service::health::HealthCell::default();
    let (keeper, lock) = match (server, &credentials) {
        (Some(server), Some(credentials)) => {
            let (port, dir, credentials) =
                (Some(server.port()), data_dir.clone(), credentials.clone());
            let start: crate::keeper::Start =
                Box::new(move || start_server(port, &dir, &credentials, &mut lock));
            (Some(Keeper::spawn(server, start, broker_health.clone())?), None)
        }
        _ => (None, Some(lock)),
    };
    let connect = |user: BrokerUser| {
        let seed = match &credentials {
            Some(c) => Some(c.seed_path(user)),
            None => ctx.global.nats_nkey.clone(),
        };
        let url = url.clone();
        async move {
            // People are in an account of their own, with inboxes the services' account
            // delivers to (reform_shared::subject::PEOPLE_INBOX_PREFIX).
            let connected = match user.account() {
                broker::PEOPLE_ACCOUNT => {
                    reform_shared::edge::connect_person(&url, seed.as_deref()).await
                }
                _ => reform_shared::edge::connect_as(&url, seed.as_deref()).await,
            };
            connected.context("the stack's broker did not take the connection")
        }
    };
    let client = connect(BrokerUser::Service).await?;
    let evidence_client = connect(BrokerUser::Evidence).await?;
    let js = async_nats::jetstream::new(client.clone());
    let log = ensure_log(&js, &data_dir, &url).await?;

    let (stop, stopped) = watch::channel(false);
    let shutdown = Shutdown::new(stopped);
    if keeper.is_some() {
        crate::keeper::serve_health(&client, broker_health.clone(), shutdown.clone().wait())
            .await?;
    }
    let (fatal_tx, mut fatal) = tokio::sync::mpsc::unbounded_channel();
    let supervisor = crate::up_services::Supervisor {
        client: client.clone(),
        evidence_client: evidence_client.clone(),
        log: log.clone(),
        fatal: fatal_tx,
        shutdown: shutdown.clone(),
        state_dir: Some(data_dir.join("state")),
        unsigned: reform_shared::audit::verify::Unsigned::Refused,
    };
    let mut services = crate::up_services::start_command_services(&supervisor).await?;
    let views = data_dir.join("views.redb");
    services.push(crate::up_services::start_projector(&supervisor, views.clone()).await?);
    let reports = data_dir.join("reports");
    let log_key = data_dir.join("log.nk");
    let log_public = if log_key.exists() {
        reform_shared::checkpoint::read_key(&log_key)?.public_key()
    } else {
        reform_shared::checkpoint::new_key(&log_key)?
    };
    services.push(
        crate::up_services::start_rollup(&supervisor, reports.clone(), log_key.clone()).await?,
    );
    let tiles = data_dir.join("tlog");
    services.push(crate::up_services::start_tlog(&supervisor, tiles.clone(), log_key.clone()));
    // The dashboard relays people's signed commands as a client; it can sign none itself.
    let https = args.https.files();
    let (web, web_addr) = start_gateway(
        connect(BrokerUser::Client).await?,
        args.web,
        https.as_ref(),
        &shutdown,
        tiles.clone(),
    )
    .await?;
    services.push(("gateway", web));
    print_summary(&js, summary.as_ref(), &url, &log).await?;
    // Passkeys are made for a site's name, never for an IP address: on this machine, localhost.
    let scheme = if https.is_some() { "https" } else { "http" };
    let shown = match web_addr.ip().is_loopback() {
        true => format!("{scheme}://localhost:{}", web_addr.port()),
        false => format!("{scheme}://{web_addr}"),
    };
    println!("  dashboard   {shown}/ (sign in with a passkey there; ?lang=en for English)");
    if let Some(credentials) = &credentials {
        println!(
            "  credentials {} (owner-only): client.nk for people's reformctl, auditor.nk for \
             auditors, service.nk for operators (--nats-nkey FILE or PAR_NATS_NKEY), each \
             with ca.pem beside it (the broker speaks TLS only)",
            credentials.dir.display()
        );
    }
    if let Some(url) = args.metrics.serve(&args.https, &client).await? {
        println!("  metrics     {url} (Prometheus text)");
    }
    println!("  views       {}", views.display());
    println!(
        "  state       {} (the command services resume from their snapshots)",
        data_dir.join("state").display()
    );
    println!("  reports     {}", reports.display());
    println!(
        "  log key     {} (public key {log_public}: checkpoints are signed with it)",
        log_key.display()
    );
    let origin = reform_shared::checkpoint::origin_of(&log);
    let vkey = reform_shared::checkpoint::log_verifier(&origin, &log_public)?.to_vkey();
    println!("  tiles       {shown}/log/checkpoint (C2SP tlog-tiles, from {})", tiles.display());
    // The demo runs no witness: its policy names the log and requires no cosignature. A
    // province adds its witnesses and a quorum (docs/operations.md, "The published log").
    let policy = data_dir.join("tlog-policy.txt");
    std::fs::write(&policy, format!("log {vkey}\nquorum none\n"))
        .with_context(|| format!("could not write {}", policy.display()))?;
    println!(
        "  policy      {} (the log's key for `audit check-receipt --policy`; no witness in the demo)",
        policy.display()
    );
    let status = crate::status::gather(&client).await?;
    if !status.ok() {
        eprintln!("\nwarning: not every part is running; the demo is not loaded:");
        crate::status::print(&status);
        eprintln!("see `reformctl status`, and docs/operations.md for what to do");
    } else if !args.no_demo {
        let demo = crate::demo::parse(crate::demo::COMMANDS_JSONL)?;
        let keys = crate::demo::DemoKeys::ensure(&data_dir.join("keys"), &demo)?;
        if let Some((sequence, key)) = crate::demo::genesis(&js, &keys).await? {
            let person = crate::demo::ADMINISTRATOR.0;
            println!("  genesis     {person} is the first administrator (key {key}, sequence {sequence})");
        }
        // People load the demo as any client would, with the clients' broker credentials.
        let people = connect(BrokerUser::Client).await?;
        load_demo(&people, &demo, &keys).await?;
        close_demo_periods(&people, keys.administrator()?).await?;
        println!(
            "  demo keys   {} (one signing key per demo person: --key {}/PERSON.nk)",
            data_dir.join("keys").display(),
            data_dir.join("keys").display()
        );
        crate::up_services::wait_projected(&client).await?;
        crate::up_show::show(&client).await?;
    }

    let mut failed = None;
    if !args.once {
        // Installed before saying so: a signal sent on reading "Running." must stop us cleanly.
        let stop_signal = reform_shared::edge::stop_signal();
        println!("\nRunning. Press Ctrl-C to stop.");
        tokio::select! {
            () = stop_signal => println!("\nStopping: services first, then nats-server."),
            reason = fatal.recv() => {
                let reason = reason.unwrap_or_else(|| "the supervisors stopped".into());
                eprintln!("\nerror: {reason}; stopping the stack");
                failed = Some(reason);
            }
        }
    }
    let _ = stop.send(true);
    // A second Ctrl-C or SIGTERM while stopping stops at once; the handlers for it are new.
    let forced = reform_shared::edge::stop_signal();
    let at_once = tokio::select! {
        () = stop_parts(services) => false,
        () = forced => {
            eprintln!("Stopping at once (a second signal): killing nats-server.");
            true
        }
    };
    let _ = tokio::time::timeout(FLUSH_GRACE, client.flush()).await;
    drop(client);
    if let Some(keeper) = keeper {
        keeper.stop(if at_once { Stop::AtOnce } else { Stop::Gracefully });
    }
    drop(lock);
    match failed {
        Some(reason) => bail!("the stack stopped: {reason}"),
        None => {
            println!("Stopped.");
            Ok(())
        }
    }
}

/// How long the parts have to stop after the stop signal before `up` stops the broker anyway.
pub const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(10);
/// How long the last flush to the broker may take.
const FLUSH_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Waits for every part's supervisor to finish, for at most [`STOP_GRACE`]; names those that
/// did not, which are dropped with the process.
async fn stop_parts(services: Vec<crate::up_services::Running>) {
    let names: Vec<&'static str> = services.iter().map(|(name, _)| *name).collect();
    let mut pending: Vec<_> = services.into_iter().map(|(_, handle)| handle).collect();
    let all = async {
        for (name, handle) in names.iter().zip(pending.iter_mut()) {
            if let Err(e) = handle.await {
                eprintln!("warning: the supervisor of the {name} service panicked: {e}");
            }
        }
    };
    if tokio::time::timeout(STOP_GRACE, all).await.is_err() {
        let left: Vec<&str> =
            names.iter().zip(&pending).filter(|(_, h)| !h.is_finished()).map(|(n, _)| *n).collect();
        eprintln!(
            "warning: {} did not stop within {STOP_GRACE:?}; stopping nats-server anyway",
            left.join(", ")
        );
        pending.iter().for_each(tokio::task::JoinHandle::abort);
    }
}

/// Starts the web dashboard on `wanted`, or on a free loopback port when that one is taken.
async fn start_gateway(
    client: async_nats::Client,
    wanted: std::net::SocketAddr,
    https: Option<&reform_shared::https::HttpsFiles>,
    shutdown: &Shutdown,
    tiles: std::path::PathBuf,
) -> anyhow::Result<(tokio::task::JoinHandle<()>, std::net::SocketAddr)> {
    use reform_shared::https::HttpsError;
    let listener = match reform_gateway::bind(wanted, https).await {
        Ok(listener) => listener,
        Err(reform_gateway::GatewayError::Https(e @ HttpsError::Listen { .. })) => {
            let free = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            let listener = reform_gateway::bind(free, https).await?;
            println!("  dashboard   {e}; using a free port instead");
            listener
        }
        Err(e) => return Err(e.into()),
    };
    let addr = listener.local_addr();
    let stop = shutdown.clone();
    let handle = tokio::spawn(async move {
        let site = reform_gateway::Site {
            rp_id: reform_gateway::workspace::RP_ID_DEFAULT.to_owned(),
            tlog_dir: Some(tiles),
        };
        if let Err(e) = reform_gateway::serve(client, listener, site, stop.wait()).await {
            tracing::error!(error = %e, "the dashboard stopped");
        }
    });
    Ok((handle, addr))
}

/// Makes sure the broker holds the log this data directory belongs to: provisions it on a
/// first start, refuses a missing or different one.
async fn ensure_log(
    js: &async_nats::jetstream::Context,
    data_dir: &Path,
    url: &str,
) -> anyhow::Result<LogIdentity> {
    let recorded = datadir::recorded_identity(data_dir)?;
    match (check_stream(js).await, recorded) {
        (Ok(info), Some(recorded)) => {
            let now = LogIdentity::of(&info);
            if now != recorded {
                bail!(
                    "the data directory {} belongs to the event log {recorded}, but the broker at {url} holds {now}; \
                     start against the right broker, or move {} away to start anew",
                    data_dir.display(),
                    data_dir.display()
                );
            }
            Ok(now)
        }
        (Ok(info), None) => {
            let now = LogIdentity::of(&info);
            datadir::record_identity(data_dir, &now)?;
            Ok(now)
        }
        (Err(StreamError::Missing), Some(recorded)) => bail!(
            "the event log {recorded} that {} belongs to is missing from the broker at {url}: it was \
             deleted, or this is another server's store. Nothing was started and nothing was created. \
             Restore the stream from a backup, or move {} away to start a new log",
            data_dir.display(),
            data_dir.display()
        ),
        (Err(StreamError::Missing), None) => {
            let (info, _) = init_stream(js, &StreamSettings::default()).await?;
            let now = LogIdentity::of(&info);
            datadir::record_identity(data_dir, &now)?;
            println!("Provisioned a new event log: {now}");
            Ok(now)
        }
        (Err(e), _) => Err(e.into()),
    }
}

/// The data directory's own nats-server, with its credentials, on `port` (any free one when
/// `None`); it inherits the directory's lock, so its store has one owner while it lives.
pub(crate) fn start_server(
    port: Option<u16>,
    data_dir: &Path,
    credentials: &broker::Credentials,
    lock: &mut DataDirLock,
) -> anyhow::Result<NatsServer> {
    let options = ServerOptions {
        data_dir: data_dir.join("nats"),
        port,
        sync: Sync::Always,
        die_with_parent: true,
        auth: Some(credentials.dir.clone()),
    };
    // The server inherits the lock: while it lives, the store has an owner.
    lock.inherit_to_children()?;
    let started = NatsServer::start(&options);
    lock.stop_inheriting();
    let server = started.with_context(|| {
        format!(
            "could not start the embedded nats-server on port {} (if another program uses the \
             port, give --port; this data directory's own server is never started twice)",
            port.map_or_else(|| "any".to_owned(), |p| p.to_string())
        )
    })?;
    lock.record(server.pid())?;
    Ok(server)
}

pub(crate) fn absolute(path: &std::path::Path) -> anyhow::Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    Ok(std::env::current_dir().context("no current directory")?.join(path))
}

async fn print_summary(
    js: &async_nats::jetstream::Context,
    server: Option<&(PathBuf, PathBuf)>,
    url: &str,
    log: &LogIdentity,
) -> anyhow::Result<()> {
    let mut stream = js.get_stream(STREAM_NAME).await?;
    let info = stream.info().await?;
    println!("Reform-task tracker (cải cách hành chính): the stack is up");
    println!("  NATS        {url}");
    if let Some((data, log_file)) = server {
        println!("  data        {}", data.display());
        println!("  log file    {}", log_file.display());
        println!("  durability  every write synced to disk before it is acknowledged");
    }
    println!(
        "  stream      {STREAM_NAME} on {ALL_EVENTS}: {} events, last sequence {}",
        info.state.messages, info.state.last_sequence
    );
    println!("  log         {log}");
    Ok(())
}

/// The demo is history loaded after the fact, so the rollup service would not close its periods
/// on its own (they ended before the log began): close them, as an operator importing history
/// does. Idempotent: a closed period stays as it was.
pub(crate) async fn close_demo_periods(
    client: &async_nats::Client,
    administrator: &nkeys::KeyPair,
) -> anyhow::Result<()> {
    let mut closed = 0;
    for period in crate::rollup::periods_of(crate::demo::YEARS) {
        let request = reform_shared::command::Request {
            command_id: reform_shared::ids::CommandId::new(format!("demo-close-{period}"))?,
            actor: reform_shared::ids::PersonId::new(crate::demo::ADMINISTRATOR.0.to_owned())?,
            occurred_on: None,
            command: reform_rollup::Command::Close { period },
        };
        let accepted =
            reform_shared::command::send(client, reform_rollup::NAME, &request, administrator)
                .await?;
        closed += usize::from(!accepted.duplicate);
    }
    if closed > 0 {
        println!("  reports     closed {closed} reporting periods of the demo years");
    }
    Ok(())
}

/// Loads the demo every time: it is idempotent (each item's command id is fixed), so a load
/// cut short by Ctrl-C is completed by the next start and a complete one appends nothing.
pub(crate) async fn load_demo(
    client: &async_nats::Client,
    demo: &crate::demo::Demo,
    keys: &crate::demo::DemoKeys,
) -> anyhow::Result<()> {
    let loaded = crate::demo::load(client, demo, keys, true).await?;
    if loaded.appended == 0 {
        println!("  demo        already loaded ({} commands, nothing appended)", loaded.already);
    } else {
        println!(
            "  demo        loaded the demo province: {} events appended ({} were already there)",
            loaded.appended, loaded.already
        );
    }
    Ok(())
}
