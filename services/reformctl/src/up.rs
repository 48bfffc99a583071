//! `reformctl up`: the embedded default. With no NATS URL given it starts its own
//! `nats-server` (a child process, JetStream store under the data directory, every write
//! synced), runs every service in this one process, and stops all of it cleanly on Ctrl-C:
//! services first (each finishes the command or batch in hand), then the server.
//! With `--nats URL` it runs the services against that server instead.

use crate::ctx::{Ctx, NATS_URL_DEFAULT};
use anyhow::Context as _;
use reform_shared::natsd::{NatsServer, ServerOptions, Sync};
use reform_shared::stream::{ensure_stream, StreamSettings};
use reform_shared::subject::{ALL_EVENTS, STREAM_NAME};
use std::path::PathBuf;
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
}

/// A shutdown signal every service can wait on.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    pub fn new(receiver: watch::Receiver<bool>) -> Self {
        Self(receiver)
    }

    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    let embedded = ctx.global.nats_url == NATS_URL_DEFAULT;
    let server = if embedded { Some(start_server(&args)?) } else { None };
    let url = server.as_ref().map_or_else(|| ctx.global.nats_url.clone(), |s| s.url().to_owned());
    let client = async_nats::connect(url.as_str())
        .await
        .with_context(|| format!("could not connect to NATS at {url}"))?;
    let js = async_nats::jetstream::new(client.clone());
    ensure_stream(&js, &StreamSettings::default()).await?;

    let (stop, stopped) = watch::channel(false);
    let shutdown = Shutdown(stopped);
    let mut services = crate::up_services::start_command_services(&client, &shutdown).await?;
    let views = absolute(&args.data_dir)?.join("views.redb");
    services.push(crate::up_services::start_projector(&client, views.clone(), &shutdown).await?);
    print_summary(&js, server.as_ref(), &url).await?;
    println!("  views       {}", views.display());
    if !args.no_demo {
        load_demo(&client).await?;
        crate::up_services::wait_projected(&client).await?;
        crate::up_show::show(&client).await?;
    }

    if !args.once {
        println!("\nRunning. Press Ctrl-C to stop.");
        reform_shared::edge::stop_signal().await;
        println!("\nStopping: services first, then nats-server.");
    }
    let _ = stop.send(true);
    for (name, handle) in services {
        match handle.await {
            Ok(Ok(())) => tracing::info!(service = name, "stopped cleanly"),
            Ok(Err(e)) => eprintln!("warning: the {name} service stopped with an error: {e:#}"),
            Err(e) => eprintln!("warning: the {name} service panicked: {e}"),
        }
    }
    client.flush().await.ok();
    drop(client);
    if let Some(server) = server {
        server.stop();
    }
    println!("Stopped.");
    Ok(())
}

fn start_server(args: &Args) -> anyhow::Result<NatsServer> {
    let data_dir = absolute(&args.data_dir)?.join("nats");
    let options = ServerOptions { data_dir, port: Some(args.port), sync: Sync::Always };
    NatsServer::start(&options).with_context(|| {
        format!(
            "could not start the embedded nats-server on port {} (is it in use? try --port)",
            args.port
        )
    })
}

fn absolute(path: &std::path::Path) -> anyhow::Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    Ok(std::env::current_dir().context("no current directory")?.join(path))
}

async fn print_summary(
    js: &async_nats::jetstream::Context,
    server: Option<&NatsServer>,
    url: &str,
) -> anyhow::Result<()> {
    let mut stream = js.get_stream(STREAM_NAME).await?;
    let info = stream.info().await?;
    println!("Reform-task tracker (cải cách hành chính): the stack is up");
    println!("  NATS        {url}");
    if let Some(server) = server {
        println!("  data        {}", server.data_dir().display());
        println!("  log file    {}", server.log_path().display());
        println!("  durability  every write synced to disk before it is acknowledged");
    }
    println!(
        "  stream      {STREAM_NAME} on {ALL_EVENTS}: {} events, last sequence {}",
        info.state.messages, info.state.last_sequence
    );
    Ok(())
}

/// Loads the demo every time: it is idempotent (each item's command id is fixed), so a load
/// cut short by Ctrl-C is completed by the next start and a complete one appends nothing.
async fn load_demo(client: &async_nats::Client) -> anyhow::Result<()> {
    let demo = crate::demo::parse(crate::demo::PROVINCE_JSON)?;
    let loaded = crate::demo::load(client, &demo, true).await?;
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
