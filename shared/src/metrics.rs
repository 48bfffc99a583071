//! Prometheus metrics of every part running in this process (one process in the embedded
//! default, one per part in a deployment), served as text on `GET /metrics` at an address the
//! operator chooses ([`serve`]).
//!
//! Counters and histograms move as the parts work: commands by service and outcome, how long
//! deciding and appending took, queries by view and outcome and how long they took. Where each
//! reader stands is read when Prometheus scrapes: the position each part reports in its health,
//! the log's head, and so how far behind each is, in events and in seconds (the age of the
//! oldest event it has not applied). Names begin `par_`; labels name the part (`service`,
//! `part`, `view`) and the outcome as the replies spell it (`ok`, `duplicate`, `refused`,
//! `denied`, `invalid`, `unavailable`, `not-found`).

use crate::service::health::{Health, Reader};
use crate::subject::STREAM_NAME;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    service: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Service {
    service: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServicePhase {
    service: String,
    phase: String,
}

/// The steps a command takes through a service, in order. `admit`, reading and checking a
/// signed request as it arrives, runs beside the rest. Then, for each batch: `intake`, setting
/// aside retries already answered; catching up with the log's head; deciding; the I/O a
/// decision needs before its append (the evidence service's); appending; reading its own
/// events back; answering. Those add up to the deciding task's busy time.
pub const COMMAND_PHASES: [&str; 8] =
    ["admit", "intake", "catch-up", "decide", "prepare", "append", "read-back", "answer"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ViewOutcome {
    view: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct View {
    view: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Part {
    part: String,
}

type Timings<L> = Family<L, Histogram, fn() -> Histogram>;

/// From half a millisecond to about 8 s, doubling.
fn timing() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

/// How a part reports where it stands: its health, read at each scrape.
type HealthOf = Box<dyn Fn() -> Health + Send + Sync>;

/// The metrics of this process.
pub struct Metrics {
    registry: Registry,
    commands: Family<Outcome, Counter>,
    decide: Timings<Service>,
    append: Timings<Service>,
    phases: Family<ServicePhase, Counter<f64, AtomicU64>>,
    batches: Family<Service, Counter>,
    queries: Family<ViewOutcome, Counter>,
    query: Timings<View>,
    head: Gauge,
    applied: Family<Part, Gauge>,
    halted: Family<Part, Gauge>,
    lag_events: Family<Part, Gauge>,
    lag_seconds: Family<Part, Gauge<f64, AtomicU64>>,
    not_honoured: Family<Part, Gauge>,
    turned_away: Family<Part, Gauge>,
    parts: Mutex<Vec<(String, HealthOf)>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("par");
        let commands = Family::<Outcome, Counter>::default();
        let decide: Timings<Service> = Family::new_with_constructor(timing);
        let append: Timings<Service> = Family::new_with_constructor(timing);
        let phases = Family::<ServicePhase, Counter<f64, AtomicU64>>::default();
        let batches = Family::<Service, Counter>::default();
        let queries = Family::<ViewOutcome, Counter>::default();
        let query: Timings<View> = Family::new_with_constructor(timing);
        let (head, applied, halted) = (Gauge::default(), Family::default(), Family::default());
        let (lag_events, lag_seconds) = (Family::default(), Family::default());
        let (not_honoured, turned_away) = (Family::default(), Family::default());
        let r = &mut registry;
        r.register("commands", "Commands answered, by service and outcome", commands.clone());
        r.register("decide_seconds", "Deciding one command", decide.clone());
        r.register("append_seconds", "Appending a round of decided events", append.clone());
        r.register(
            "command_phase_seconds",
            "Time a command service spent in each step of its batches (COMMAND_PHASES)",
            phases.clone(),
        );
        r.register(
            "command_batches",
            "Batches of commands a service handled (commands / batches: the mean batch)",
            batches.clone(),
        );
        r.register("queries", "Queries answered, by view and outcome", queries.clone());
        r.register("query_seconds", "Answering one query", query.clone());
        r.register("log_head", "The log's last stream sequence", head.clone());
        r.register("applied_through", "The last sequence a part holds", applied.clone());
        r.register("halted", "1 while a part is halted at an unreadable event", halted.clone());
        r.register("lag_events", "Events in the log a part has not applied", lag_events.clone());
        r.register(
            "lag_seconds",
            "Age of the oldest event a part has not applied",
            lag_seconds.clone(),
        );
        r.register("not_honoured", "Events of the log a part did not honour", not_honoured.clone());
        r.register(
            "turned_away",
            "Commands answered unavailable on arrival: too many waiting",
            turned_away.clone(),
        );
        Metrics {
            registry,
            commands,
            decide,
            append,
            phases,
            batches,
            queries,
            query,
            head,
            applied,
            halted,
            lag_events,
            lag_seconds,
            not_honoured,
            turned_away,
            parts: Mutex::new(Vec::new()),
        }
    }

    /// A command `service` answered with `outcome`.
    pub fn command(&self, service: &str, outcome: &str) {
        let labels = Outcome { service: service.to_owned(), outcome: outcome.to_owned() };
        self.commands.get_or_create(&labels).inc();
    }

    pub fn decided(&self, service: &str, took: Duration) {
        let labels = Service { service: service.to_owned() };
        self.decide.get_or_create(&labels).observe(took.as_secs_f64());
    }

    pub fn appended(&self, service: &str, took: Duration) {
        let labels = Service { service: service.to_owned() };
        self.append.get_or_create(&labels).observe(took.as_secs_f64());
    }

    /// Time `service` spent in `phase`, one of [`COMMAND_PHASES`].
    pub fn phase(&self, service: &str, phase: &'static str, took: Duration) {
        debug_assert!(COMMAND_PHASES.contains(&phase), "{phase} is not a command phase");
        let labels = ServicePhase { service: service.to_owned(), phase: phase.to_owned() };
        self.phases.get_or_create(&labels).inc_by(took.as_secs_f64());
    }

    /// `service` took a batch of commands.
    pub fn batch(&self, service: &str) {
        self.batches.get_or_create(&Service { service: service.to_owned() }).inc();
    }

    /// How many batches `service` has taken so far.
    pub fn batches(&self, service: &str) -> u64 {
        self.batches.get(&Service { service: service.to_owned() }).map_or(0, |c| c.get())
    }

    /// The seconds `service` has spent in each of [`COMMAND_PHASES`] so far, in their order:
    /// for a benchmark's breakdown, read in the same process.
    pub fn phase_seconds(&self, service: &str) -> Vec<(&'static str, f64)> {
        COMMAND_PHASES
            .iter()
            .map(|phase| {
                let labels =
                    ServicePhase { service: service.to_owned(), phase: (*phase).to_owned() };
                (*phase, self.phases.get(&labels).map_or(0.0, |c| c.get()))
            })
            .collect()
    }

    /// A query of `view` answered with `outcome`, after `took`.
    pub fn query(&self, view: &str, outcome: &str, took: Duration) {
        let labels = ViewOutcome { view: view.to_owned(), outcome: outcome.to_owned() };
        self.queries.get_or_create(&labels).inc();
        self.query.get_or_create(&View { view: view.to_owned() }).observe(took.as_secs_f64());
    }

    /// A part whose position is read at each scrape; a part of the same name registered again
    /// (restarted) replaces the earlier.
    pub fn part(&self, name: &str, health: impl Fn() -> Health + Send + Sync + 'static) {
        let mut parts = self.parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        parts.retain(|(n, _)| n != name);
        parts.push((name.to_owned(), Box::new(health)));
    }

    /// The text Prometheus reads, with where each part stands against the log's head now.
    pub async fn render(&self, js: &async_nats::jetstream::Context) -> String {
        let stream = js.get_stream_no_info(STREAM_NAME).await.ok();
        let head = match &stream {
            Some(s) => s.get_info().await.ok().map(|i| i.state.last_sequence),
            None => None,
        };
        let now_ms = crate::time::Timestamp::now().0;
        let standing: Vec<(String, Health)> = {
            let parts = self.parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            parts.iter().map(|(name, health)| (name.clone(), health())).collect()
        };
        if let Some(head) = head {
            self.head.set(i64::try_from(head).unwrap_or(i64::MAX));
        }
        for (name, health) in standing {
            let part = Part { part: name };
            let applied = health.applied_through;
            self.applied.get_or_create(&part).set(i64::try_from(applied).unwrap_or(i64::MAX));
            let halted = i64::from(health.reader == Reader::Halted);
            self.halted.get_or_create(&part).set(halted);
            let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            self.not_honoured.get_or_create(&part).set(gauge(health.not_honoured));
            self.turned_away.get_or_create(&part).set(gauge(health.turned_away));
            let Some(head) = head else { continue };
            let behind = head.saturating_sub(applied);
            self.lag_events.get_or_create(&part).set(gauge(behind));
            let age = match (&stream, behind) {
                (Some(stream), 1..) => oldest_unapplied_ms(stream, applied + 1, now_ms).await,
                _ => 0,
            };
            #[allow(clippy::cast_precision_loss)] // milliseconds of lag, far below 2^52
            self.lag_seconds.get_or_create(&part).set(age as f64 / 1000.0);
        }
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}

/// How long ago the broker stored the event at `sequence`, in milliseconds; 0 if unknown.
async fn oldest_unapplied_ms(
    stream: &async_nats::jetstream::stream::Stream<()>,
    sequence: u64,
    now_ms: i64,
) -> u64 {
    match stream.get_raw_message(sequence).await {
        Ok(message) => {
            let stored =
                i64::try_from(message.time.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
            u64::try_from(now_ms.saturating_sub(stored)).unwrap_or(0)
        }
        Err(_) => 0,
    }
}

/// Where a part serves its metrics, if anywhere: the flags every part's binary takes.
#[derive(Debug, Clone, clap::Args)]
pub struct MetricsArgs {
    /// Where Prometheus reads this part's metrics (`GET /metrics`), e.g. 0.0.0.0:9464; none
    /// when absent. Over HTTPS when --https-cert and --https-key are given.
    #[arg(long, env = "PAR_METRICS", value_name = "ADDR", global = true)]
    pub metrics: Option<String>,
}

impl MetricsArgs {
    /// Serves the metrics where `--metrics` says, if it does, over HTTPS as `https` says;
    /// returns their URL.
    pub async fn serve(
        &self,
        https: &crate::https::HttpsArgs,
        client: &async_nats::Client,
    ) -> Result<Option<String>, crate::https::HttpsError> {
        match &self.metrics {
            Some(addr) => Ok(Some(serve(addr, https.files().as_ref(), client.clone()).await?)),
            None => Ok(None),
        }
    }
}

/// Serves `GET /metrics` on `addr` (over HTTPS with `https`) until the process ends; returns
/// the URL bound (port 0 picks a free one). `client` reads the log's head at each scrape.
pub async fn serve(
    addr: &str,
    https: Option<&crate::https::HttpsFiles>,
    client: async_nats::Client,
) -> Result<String, crate::https::HttpsError> {
    let listener = crate::https::bind(addr, https).await?;
    let url = format!("{}/metrics", listener.url());
    let js = Arc::new(async_nats::jetstream::new(client));
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let js = js.clone();
            async move {
                let text = global().render(&js).await;
                ([("content-type", "text/plain; version=0.0.4; charset=utf-8")], text)
            }
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = listener.serve(app, std::future::pending()).await {
            tracing::error!(error = %e, "the metrics endpoint stopped");
        }
    });
    tracing::info!(%url, "metrics served");
    Ok(url)
}
