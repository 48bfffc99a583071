//! What every service binary does at its edge, written once: the broker flags, logging, and
//! the signal that stops it. Each `main.rs` is then only its own flags and a call to `run`.

use crate::stream::StreamSettings;
use std::path::{Path, PathBuf};

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
    /// The nkeys user seed to authenticate with (one of the files `reformctl broker
    /// credentials` writes), readable by its owner only. Without it, no authentication. The
    /// connection is TLS when the broker's authority is known: the `ca.pem` beside the seed,
    /// or the file PAR_NATS_CA names.
    #[arg(long = "nats-nkey", env = "PAR_NATS_NKEY", value_name = "FILE")]
    pub nats_nkey: Option<PathBuf>,
}

impl BrokerArgs {
    pub fn stream_settings(&self) -> StreamSettings {
        StreamSettings { replicas: self.replicas, ..StreamSettings::default() }
    }

    /// Connects (with the nkey seed, when one is given), naming the URL when it fails.
    pub async fn connect(&self) -> Result<async_nats::Client, ConnectError> {
        connect_as(&self.nats_url, self.nats_nkey.as_deref()).await
    }
}

/// What every command service's own binary takes besides the broker.
#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// The service's state file (redb): a restart resumes from its snapshot, and the table of
    /// every command id lives there. Without it the whole log is replayed at every start.
    #[arg(long, env = "PAR_STATE_FILE", value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Honour people's directory events, and events of this service's own kind, that carry no
    /// signature: only for a log written before requests were signed. By default they are not
    /// honoured, since anyone with the services' credentials could append one
    /// (docs/security.md).
    #[arg(long, env = "PAR_ALLOW_UNSIGNED")]
    pub allow_unsigned: bool,
    /// The most commands that may wait for the service at once; one more is answered
    /// `unavailable` on arrival, so a client under a burst is told at once to try again.
    #[arg(long, env = "PAR_COMMANDS_WAITING_MAX", value_name = "N",
          default_value_t = std::num::NonZeroUsize::new(crate::service::COMMANDS_WAITING_MAX).unwrap_or(std::num::NonZeroUsize::MIN))]
    pub commands_waiting_max: std::num::NonZeroUsize,
    #[command(flatten)]
    pub metrics: crate::metrics::MetricsArgs,
    #[command(flatten)]
    pub https: crate::https::HttpsArgs,
}

impl ServiceArgs {
    /// Serves the metrics where `--metrics` says, if it does.
    pub async fn serve_metrics(
        &self,
        client: &async_nats::Client,
    ) -> Result<(), crate::https::HttpsError> {
        self.metrics.serve(&self.https, client).await.map(drop)
    }

    /// The runtime's configuration these arguments say.
    pub fn config(&self) -> crate::service::ServiceConfig {
        use crate::audit::recorder::Unsigned;
        crate::service::ServiceConfig {
            stream: self.broker.stream_settings(),
            state_file: self.state.clone(),
            unsigned: if self.allow_unsigned { Unsigned::Allowed } else { Unsigned::Refused },
            commands_waiting_max: Some(self.commands_waiting_max),
            ..Default::default()
        }
    }
}

/// Connects to one NATS URL or several, comma-separated (the nodes of a cluster: the client
/// moves to another when one fails). async-nats reads a single URL from a string, so the list
/// is split here.
pub async fn connect(urls: &str) -> Result<async_nats::Client, ConnectError> {
    connect_as(urls, None).await
}

/// [`connect`], authenticated by the nkeys user seed in `nkey_seed_file` when given. The file
/// must be readable by its owner only; a file that is not (or holds no user seed) is refused
/// before connecting, the error naming it.
pub async fn connect_as(
    urls: &str,
    nkey_seed_file: Option<&Path>,
) -> Result<async_nats::Client, ConnectError> {
    open(urls, seeded_options(urls, nkey_seed_file)?).await
}

/// [`connect_options`], with the nkey seed when one is given.
fn seeded_options(
    urls: &str,
    nkey_seed_file: Option<&Path>,
) -> Result<async_nats::ConnectOptions, ConnectError> {
    match nkey_seed_file {
        Some(file) => connect_options_as(file)
            .map_err(|e| ConnectError { url: urls.to_owned(), detail: e.to_string() }),
        None => Ok(connect_options()),
    }
}

/// Connects to one URL or several with these options, naming the URLs when it fails.
async fn open(
    urls: &str,
    options: async_nats::ConnectOptions,
) -> Result<async_nats::Client, ConnectError> {
    let addrs = server_addrs(urls)?;
    options.connect(addrs).await.map_err(|e| {
        let mut detail = e.to_string();
        let lower = detail.to_lowercase();
        if lower.contains("tls") || lower.contains("certificate") {
            detail.push_str(&format!(
                " (the broker speaks TLS only: put its authority's certificate, `{}`, beside the \
                 nkey seed, or name it with {})",
                crate::tls::CA_FILE,
                crate::tls::CA_ENV
            ));
        }
        ConnectError { url: urls.to_owned(), detail }
    })
}

/// What the broker refused a connection, as it said it: "Permissions Violation for Publish to
/// …". A refused publish is not an error of the publish itself (the message is dropped and the
/// server tells the connection), so a client that wants to say why a request went unanswered
/// keeps these.
#[derive(Debug, Clone, Default)]
pub struct Refusals(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Refusals {
    /// The refusals so far, oldest first.
    pub fn seen(&self) -> Vec<String> {
        self.0.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// [`connect_as`] for a person's tool: with [`crate::subject::PEOPLE_INBOX_PREFIX`], so push consumers'
/// deliveries reach it across the broker's accounts. A service connects with [`connect_as`].
pub async fn connect_person(
    urls: &str,
    nkey_seed_file: Option<&Path>,
) -> Result<async_nats::Client, ConnectError> {
    open(urls, person_options(urls, nkey_seed_file)?).await
}

/// The options of a person's connection: [`connect_options`] (with the nkey seed, when one is
/// given) and [`crate::subject::PEOPLE_INBOX_PREFIX`].
fn person_options(
    urls: &str,
    nkey_seed_file: Option<&Path>,
) -> Result<async_nats::ConnectOptions, ConnectError> {
    Ok(seeded_options(urls, nkey_seed_file)?
        .custom_inbox_prefix(crate::subject::PEOPLE_INBOX_PREFIX))
}

/// [`connect_person`], keeping the broker's permission refusals. `reformctl` connects so,
/// whoever runs it: it cannot tell a person's seed from an operator's, and the prefix works
/// in either account.
pub async fn connect_watched(
    urls: &str,
    nkey_seed_file: Option<&Path>,
) -> Result<(async_nats::Client, Refusals), ConnectError> {
    let options = person_options(urls, nkey_seed_file)?;
    let refusals = Refusals::default();
    let kept = refusals.clone();
    let options = options.event_callback(move |event| {
        let kept = kept.clone();
        async move {
            if let async_nats::Event::ServerError(async_nats::ServerError::Other(text)) = event {
                if text.to_ascii_lowercase().contains("permissions violation") {
                    if let Ok(mut seen) = kept.0.lock() {
                        seen.push(text);
                    }
                }
            }
        }
    });
    Ok((open(urls, options).await?, refusals))
}

/// [`connect_options`], authenticating with the nkeys user seed in `nkey_seed_file` (checked
/// as [`crate::broker::read_seed`] does).
pub fn connect_options_as(
    nkey_seed_file: &Path,
) -> Result<async_nats::ConnectOptions, crate::broker::BrokerError> {
    let key = crate::broker::read_seed(nkey_seed_file)?;
    let seed = key.seed().map_err(|e| crate::keyfile::KeyFileError::NotASeed {
        path: nkey_seed_file.to_path_buf(),
        detail: e.to_string(),
    })?;
    let options = connect_options().nkey(seed);
    // The broker's authority, when one is known for this seed: then TLS or nothing.
    Ok(match crate::tls::authority_for(nkey_seed_file) {
        Some(ca) => options.require_tls(true).add_root_certificates(ca),
        None => options,
    })
}

/// How often a client pings its server. A server cut off by the network sends no error, only
/// silence; the client notices after two unanswered pings and moves to another node. The
/// async-nats default (a minute) would leave a service talking to a dead link for two.
pub const PING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// The connection options every part uses.
pub fn connect_options() -> async_nats::ConnectOptions {
    async_nats::ConnectOptions::new().ping_interval(PING_INTERVAL)
}

/// Parses one NATS URL or several, comma-separated.
pub fn server_addrs(urls: &str) -> Result<Vec<async_nats::ServerAddr>, ConnectError> {
    let error = |detail: String| ConnectError { url: urls.to_owned(), detail };
    let addrs = urls
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| u.parse::<async_nats::ServerAddr>().map_err(|e| error(format!("{u:?}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if addrs.is_empty() {
        return Err(error("no URL given".into()));
    }
    Ok(addrs)
}

/// The broker could not be reached.
#[derive(Debug, thiserror::Error)]
#[error("could not connect to NATS at {url}: {detail}")]
pub struct ConnectError {
    pub url: String,
    pub detail: String,
}

/// An error and its causes as one line, each said once. Our errors say their cause in their
/// own message (a reply's text keeps it that way) and also give it as their source, so a plain
/// walk of the chain, as `{:#}` prints it, would repeat it.
pub fn one_line<'a>(
    chain: impl IntoIterator<Item = &'a (dyn std::error::Error + 'static)>,
) -> String {
    let mut out = String::new();
    for error in chain {
        let text = error.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Logs to stderr, filtered by `RUST_LOG`, `default` when it is unset.
pub fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Resolves on Ctrl-C, or SIGTERM from a service manager. The handlers are installed when this
/// is called, not when the future is first polled, so a signal that arrives between the call and
/// the first poll (say, right after a program printed that it runs) is not lost to the default
/// action. A handler that cannot be installed leaves its signal with the default action.
pub fn stop_signal() -> impl std::future::Future<Output = ()> + Send {
    use tokio::signal::unix::{signal, SignalKind};
    let interrupt = signal(SignalKind::interrupt()).ok();
    let terminate = signal(SignalKind::terminate()).ok();
    async move {
        let wait = |stream: Option<tokio::signal::unix::Signal>| async move {
            match stream {
                Some(mut stream) => {
                    stream.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = wait(interrupt) => {}
            () = wait(terminate) => {}
        }
    }
}

#[cfg(test)]
mod one_line_tests {
    #[derive(Debug, thiserror::Error)]
    #[error("no tasks service answered at par.cmd.tasks: {source}")]
    struct Outer {
        source: async_nats::RequestError,
    }

    #[test]
    fn each_cause_is_said_once() {
        let source = crate::command::timed_out(std::time::Duration::from_secs(10));
        let error = Outer { source };
        let chain =
            std::iter::successors(Some(&error as &(dyn std::error::Error + 'static)), |e| {
                e.source()
            });
        // The plain walk says the timeout three times: in each message and again as a source.
        assert_eq!(
            super::one_line(chain),
            "no tasks service answered at par.cmd.tasks: request timed out: no answer within 10s"
        );
    }
}

#[cfg(test)]
mod flags_tests {
    /// A command service's flags hold together, as clap's own checks see them (names,
    /// defaults, what requires what): the directory, tasks and scoring services take these
    /// alone, so a mistake here panics in this test, not at an operator's first run.
    #[test]
    fn a_services_flags_hold_together() {
        #[derive(Debug, clap::Parser)]
        struct Service {
            #[command(flatten)]
            service: super::ServiceArgs,
        }
        use clap::CommandFactory as _;
        Service::command().debug_assert();
    }
}
