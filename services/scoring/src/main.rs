//! Runs the scoring service on its own against a NATS server.

use clap::Parser;

/// The scoring service of the reform-task tracker (Chỉ số CCHC): frameworks and scores.
#[derive(Debug, Parser)]
#[command(name = "reform-scoring", version, about)]
struct Args {
    /// The NATS server to serve on.
    #[arg(long = "nats", env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    nats_url: String,
    /// Stream replicas: 1 on a single node, 3 on a cluster.
    #[arg(long, env = "PAR_STREAM_REPLICAS", default_value_t = 1)]
    replicas: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let client = async_nats::connect(args.nats_url.as_str()).await?;
    let mut config = reform_scoring::Config::default();
    config.service.stream.replicas = args.replicas;
    let shutdown = stop_signal();
    reform_scoring::run(client, config, shutdown).await?;
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
