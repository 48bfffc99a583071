//! Runs the tasks service on its own against a NATS server, until Ctrl-C.

use clap::Parser;
use reform_shared::stream::StreamSettings;

/// The tasks service of the reform tracker: plans, tasks and inspection findings.
#[derive(Debug, Parser)]
#[command(name = "reform-tasks", version, about)]
struct Args {
    /// The NATS server with JetStream.
    #[arg(long = "nats", env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    nats_url: String,
    /// Replicas of the event stream: 1 on a single node, 3 on a cluster.
    #[arg(long, default_value_t = 1)]
    replicas: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let args = Args::parse();
    let client = async_nats::connect(args.nats_url.as_str()).await?;
    let stream = StreamSettings { replicas: args.replicas, ..StreamSettings::default() };
    let config = reform_tasks::Config { stream };
    let shutdown = stop_signal();
    reform_tasks::run(client, config, shutdown).await?;
    Ok(())
}

/// Ctrl-C, or SIGTERM from a service manager: both stop the service between commands.
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    // A handler that cannot be installed leaves its signal with the default action.
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
