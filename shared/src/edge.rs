//! What every service binary does at its edge, written once: the broker flags, logging, and
//! the signal that stops it. Each `main.rs` is then only its own flags and a call to `run`.

use crate::stream::StreamSettings;

/// The default NATS URL: the embedded stack's port on this machine.
pub const NATS_URL_DEFAULT: &str = "nats://127.0.0.1:4222";

/// Where the broker is and how the stream is replicated.
#[derive(Debug, Clone, clap::Args)]
pub struct BrokerArgs {
    /// The NATS server (or comma-separated cluster URLs) with JetStream.
    #[arg(long = "nats", env = "NATS_URL", default_value = NATS_URL_DEFAULT)]
    pub nats_url: String,
    /// Replicas of the event stream: 1 on a single node, 3 on a cluster.
    #[arg(long, env = "PAR_STREAM_REPLICAS", default_value_t = 1)]
    pub replicas: usize,
}

impl BrokerArgs {
    pub fn stream_settings(&self) -> StreamSettings {
        StreamSettings { replicas: self.replicas, ..StreamSettings::default() }
    }

    /// Connects, naming the URL when it fails.
    pub async fn connect(&self) -> Result<async_nats::Client, ConnectError> {
        async_nats::connect(self.nats_url.as_str())
            .await
            .map_err(|source| ConnectError { url: self.nats_url.clone(), source })
    }
}

/// The broker could not be reached.
#[derive(Debug, thiserror::Error)]
#[error("could not connect to NATS at {url}: {source}")]
pub struct ConnectError {
    pub url: String,
    pub source: async_nats::ConnectError,
}

/// Logs to stderr, filtered by `RUST_LOG`, `default` when it is unset.
pub fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Resolves on Ctrl-C, or SIGTERM from a service manager. A handler that cannot be installed
/// leaves its signal with the default action.
pub async fn stop_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
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
