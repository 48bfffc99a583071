//! National scale (#15): 1, 2 and 4 projectors over the same stream of the national workload.
//!
//! ```text
//! cargo bench -p reform-projector --bench scale     # PAR_BENCH_EVENTS=10000000 for ten years
//! ```
//!
//! 1. Fills a stream with the national workload ([`reform_shared::testkit::national`]: 63
//!    provinces with their districts from 2015 to 30 June 2025, then 34 with their communes
//!    through 2026), about `PAR_BENCH_EVENTS` events (default 1,000,000), straight into the
//!    stream on a lazily-syncing nats-server.
//! 2. For each configuration, in a child process of its own (so its peak memory is its own):
//!    - `n` projectors, the provinces dealt round-robin among them (one projector owns
//!      everything), each with its own views file and consumer, replay the whole stream; the
//!      replay ends when all `n` serve their views (each serves once it holds the log);
//!    - query latency, idle: unit views, department rankings and the national ranking of the
//!      provinces (of 2020: 63; one in ten of 2025: 34), one after another, each asked of the set as people ask it (`par.view.*`, so a
//!      query may be passed on to its owner);
//!    - the same queries while another projector replays the whole stream into a new file
//!      beside them (a rebuild).
//!
//! Each child reports the replay's events per second, the views files' size, its peak memory
//! (VmHWM), its CPU per event, and the p50 and p99 of each query.

use reform_projector::queries::{self, NationalQuery, RankingQuery, UnitQuery};
use reform_projector::split::Owns;
use reform_projector::Config;
use reform_shared::event::UnitKind;
use reform_shared::testkit::national::{self, National};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;
use common::proc_status_kb;

fn cpu_seconds() -> f64 {
    common::cpu_seconds("/proc/self/stat")
}

const EVENTS_DEFAULT: u64 = 1_000_000;
const SEED: u64 = 20_261_201;
const CONFIGURATIONS: [usize; 3] = [1, 2, 4];
const UNIT_QUERIES: usize = 1000;
const RANKING_QUERIES: usize = 1000;
const NATIONAL_QUERIES: usize = 100;
const ROLE_ENV: &str = "PAR_BENCH_ROLE";
const EVENTS_ENV: &str = "PAR_BENCH_EVENTS";
const DIR_ENV: &str = "PAR_BENCH_DIR";
const PROJECTORS_ENV: &str = "PAR_BENCH_PROJECTORS";
/// The year the queries ask about: one in the middle of the ten.
const QUERY_YEAR: u16 = national::FIRST_YEAR + 5;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
    match std::env::var(ROLE_ENV).as_deref() {
        Ok("projectors") => runtime.block_on(projectors()),
        _ => runtime.block_on(parent()),
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

async fn parent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let reform_shared::testkit::Broker { server, js, .. } =
        reform_shared::testkit::Broker::start_lazy(dir.path()).await;
    let shape = National::for_events(SEED, env_number(EVENTS_ENV).unwrap_or(EVENTS_DEFAULT));
    let started = Instant::now();
    let last = reform_shared::testkit::publish_all(&js, shape.messages()).await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "national workload: {} provinces, then {} from 1 July {}, {} years, {} tasks per unit and \
         year: {last} events, filled in {secs:.1} s ({:.0} events/s)",
        national::PROVINCES,
        national::PROVINCES_AFTER,
        national::RESTRUCTURED_YEAR,
        national::YEARS,
        shape.tasks_per_unit,
        last as f64 / secs
    );
    let mut rows = Vec::new();
    for n in CONFIGURATIONS {
        let run_dir = dir.path().join(format!("run-{n}"));
        std::fs::create_dir_all(&run_dir).expect("run dir");
        let exe = std::env::current_exe().expect("own path");
        let output = std::process::Command::new(exe)
            .env(ROLE_ENV, "projectors")
            .env("NATS_URL", server.url())
            .env(EVENTS_ENV, last.to_string())
            .env(DIR_ENV, &run_dir)
            .env(PROJECTORS_ENV, n.to_string())
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("child runs");
        assert!(output.status.success(), "the child with {n} projectors failed");
        let text = String::from_utf8_lossy(&output.stdout);
        let line = text.lines().last().unwrap_or("{}");
        let report: serde_json::Value = serde_json::from_str(line).expect("report");
        rows.push((n, report));
        // Each run's files go once measured: ten million events make gigabytes of views.
        let _ = std::fs::remove_dir_all(&run_dir);
    }
    println!();
    println!(
        "| projectors | replay | events/s | CPU µs/event | views | peak memory | unit p50/p99 idle | during replay | ranking idle | during replay | national idle | during replay |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (n, r) in rows {
        let ms = |q: &str, when: &str, p: &str| r[when][q][p].as_f64().unwrap_or(0.0);
        let pair =
            |q: &str, when: &str| format!("{:.2}/{:.2} ms", ms(q, when, "p50"), ms(q, when, "p99"));
        println!(
            "| {n} | {:.1} s | {:.0} | {:.2} | {} MiB | {} MiB | {} | {} | {} | {} | {} | {} |",
            r["replay_seconds"].as_f64().unwrap_or(0.0),
            r["events_per_second"].as_f64().unwrap_or(0.0),
            r["cpu_us_per_event"].as_f64().unwrap_or(0.0),
            r["views_mib"],
            r["vm_hwm_mib"],
            pair("unit", "idle"),
            pair("unit", "during_replay"),
            pair("ranking", "idle"),
            pair("ranking", "during_replay"),
            pair("national", "idle"),
            pair("national", "during_replay"),
        );
    }
}

/// A running projector and how to stop it.
struct Running {
    handle: tokio::task::JoinHandle<Result<(), reform_projector::Error>>,
    stop: tokio::sync::oneshot::Sender<()>,
}

fn start(client: &async_nats::Client, db: PathBuf, consumer: String, owns: Owns) -> Running {
    let mut config = Config::new(db);
    config.consumer = consumer;
    config.owns = owns;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(reform_projector::run(client.clone(), config, async {
        let _ = stopped.await;
    }));
    Running { handle, stop }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.handle.await.expect("no panic").expect("projector ran cleanly");
    }
}

/// How many projectors serve the views.
async fn serving(client: &async_nats::Client) -> usize {
    reform_shared::testkit::serving(client, "par-projector", "national").await
}

/// The p50 and p99 of each query, in milliseconds.
async fn latencies(client: &async_nats::Client, seed: u64) -> serde_json::Value {
    let mut x = seed;
    let mut pick = |n: usize| {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(x >> 33).unwrap_or(0) % n
    };
    let mut unit = Vec::new();
    for _ in 0..UNIT_QUERIES {
        let (p, d) = (pick(national::PROVINCES), pick(national::DEPARTMENTS));
        let q = UnitQuery { unit: id(&format!("p{p:02}-s{d:02}")), year: QUERY_YEAR, as_of: None };
        let started = Instant::now();
        queries::unit(client, &q).await.expect("unit view");
        unit.push(started.elapsed());
    }
    let mut ranking = Vec::new();
    for _ in 0..RANKING_QUERIES {
        let p = pick(national::PROVINCES);
        let q = RankingQuery {
            parent: id(&national::province(p)),
            kind: UnitKind::Department,
            year: QUERY_YEAR,
            as_of: None,
        };
        let started = Instant::now();
        queries::ranking(client, &q).await.expect("ranking");
        ranking.push(started.elapsed());
    }
    let mut whole = Vec::new();
    for i in 0..NATIONAL_QUERIES {
        // One in ten asks of the year of the change, which the 34 provinces saw the end of.
        let (year, provinces) = match i % 10 {
            0 => (national::RESTRUCTURED_YEAR, national::PROVINCES_AFTER),
            _ => (QUERY_YEAR, national::PROVINCES),
        };
        let q = NationalQuery { kind: UnitKind::Province, year, as_of: None };
        let started = Instant::now();
        let view = queries::national(client, &q).await.expect("national ranking");
        assert_eq!(view.group_size as usize, provinces, "every province of {year} ranked");
        whole.push(started.elapsed());
    }
    serde_json::json!({
        "unit": percentiles(unit),
        "ranking": percentiles(ranking),
        "national": percentiles(whole),
    })
}

fn percentiles(mut samples: Vec<Duration>) -> serde_json::Value {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    serde_json::json!({"p50": at(0.50), "p99": at(0.99)})
}

fn id<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().expect("bench ids are valid")
}

fn mib(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) / (1024 * 1024)
}

async fn projectors() {
    let last = env_number(EVENTS_ENV).expect("events");
    let n = usize::try_from(env_number(PROJECTORS_ENV).expect("projectors")).unwrap_or(1);
    let dir = PathBuf::from(std::env::var(DIR_ENV).expect("dir"));
    let client =
        async_nats::connect(std::env::var("NATS_URL").expect("url")).await.expect("connect");
    let owns = |j: usize| -> Owns {
        if n == 1 {
            return Owns::Everything;
        }
        let mine =
            (0..national::PROVINCES).filter(|p| p % n == j).map(|p| id(&national::province(p)));
        Owns::Provinces(mine.collect())
    };
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let files: Vec<PathBuf> = (0..n).map(|j| dir.join(format!("views-{j}.redb"))).collect();
    let running: Vec<Running> = files
        .iter()
        .enumerate()
        .map(|(j, db)| start(&client, db.clone(), format!("bench-{n}-{j}"), owns(j)))
        .collect();
    while serving(&client).await < n {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let replay = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let vm_hwm_mib = proc_status_kb("VmHWM:") / 1024;
    let views_mib: u64 = files.iter().map(|f| mib(f)).sum();
    let idle = latencies(&client, 1).await;
    // A rebuild beside them: a projector of everything, on a new file and consumer; it serves
    // nothing until it has caught up, so the queries measure the set under its load.
    let rebuild =
        start(&client, dir.join("rebuild.redb"), format!("bench-{n}-rebuild"), Owns::Everything);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let during = latencies(&client, 2).await;
    let rebuild_still_running = serving(&client).await == n;
    rebuild.stop().await;
    for r in running {
        r.stop().await;
    }
    let report = serde_json::json!({
        "projectors": n,
        "events": last,
        "replay_seconds": replay,
        "events_per_second": last as f64 / replay,
        "cpu_us_per_event": cpu * 1e6 / last as f64,
        "views_mib": views_mib,
        "vm_hwm_mib": vm_hwm_mib,
        "idle": idle,
        "during_replay": during,
        "rebuild_still_running_after_queries": rebuild_still_running,
    });
    println!("{report}");
}
