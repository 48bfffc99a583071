//! Runs the evidence service on its own against a NATS server.

use clap::Parser;

/// The evidence service of the reform-task tracker: tài liệu minh chứng in the object store.
#[derive(Debug, Parser)]
#[command(name = "reform-evidence", version, about)]
struct Args {
    /// The NATS server to serve on.
    #[arg(long = "nats", env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    nats_url: String,
    /// Stream replicas: 1 on a single node, 3 on a cluster.
    #[arg(long, env = "PAR_STREAM_REPLICAS", default_value_t = 1)]
    replicas: usize,
    /// The largest evidence file accepted, in bytes.
    #[arg(long, env = "PAR_EVIDENCE_BYTES_MAX", default_value_t = reform_evidence::EVIDENCE_BYTES_MAX)]
    evidence_bytes_max: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let client = async_nats::connect(args.nats_url.as_str()).await?;
    let mut config = reform_evidence::Config::default();
    config.service.stream.replicas = args.replicas;
    config.evidence_bytes_max = args.evidence_bytes_max;
    let shutdown = stop_signal();
    reform_evidence::run(client, config, shutdown).await?;
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
