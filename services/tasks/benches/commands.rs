//! How fast the tasks service takes commands, beside how fast the same nats-server takes bare
//! JetStream publishes, with the server syncing every write (`sync_interval: always`, the
//! durable default) and with its lazy default.
//!
//! `cargo bench -p reform-tasks --bench commands` (or `just bench`). It starts its own
//! nats-server per setting on a temporary store, runs the service in-process, and is bounded:
//! a fixed number of commands and publishes, and a time limit per phase.

use async_nats::jetstream;
use reform_shared::command::Request;
use reform_shared::event::{Event, Role, UnitKind};
use reform_shared::natsd::{NatsServer, ServerOptions, Sync};
use reform_shared::stream::{init_stream, StreamSettings};
use reform_shared::testkit::{date, draft, eventually, id, unsigned_world};
use reform_tasks::cmd;
use reform_tasks::Command;
use std::time::{Duration, Instant};

/// Concurrent clients, each on its own connection, each working on its own task.
const CLIENTS: usize = 32;
/// Commands each client sends, one after the other.
const COMMANDS_PER_CLIENT: usize = 40;
/// Concurrent bare publishers, each waiting for its ack before the next publish.
const PUBLISHERS: usize = 32;
const PUBLISHES_PER_PUBLISHER: usize = 40;
/// About the size of an encoded progress report with its envelope.
const PAYLOAD_BYTES: usize = 320;
/// No phase may take longer than this; the benchmark fails rather than hang.
const PHASE_LIMIT: Duration = Duration::from_secs(120);

struct Figures {
    commands_per_second: u64,
    p50_micros: u64,
    p99_micros: u64,
    publishes_per_second: u64,
    bare_p50_micros: u64,
    /// Microseconds of the service's time per command, by phase.
    phases: Vec<(&'static str, f64)>,
    /// Commands per batch the service took, on average.
    batch_mean: f64,
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    println!(
        "tasks service: {CLIENTS} clients x {COMMANDS_PER_CLIENT} progress reports; \
         bare JetStream: {PUBLISHERS} publishers x {PUBLISHES_PER_PUBLISHER} publishes of \
         {PAYLOAD_BYTES} bytes, each awaiting its ack"
    );
    println!(
        "{:<8} {:>13} {:>9} {:>9} {:>15} {:>14} {:>13}",
        "sync",
        "service cmd/s",
        "p50 ms",
        "p99 ms",
        "bare publish/s",
        "bare p50 ms",
        "service/bare"
    );
    let mut breakdowns = Vec::new();
    for (name, sync) in [("always", Sync::Always), ("lazy", Sync::Lazy)] {
        let f = runtime.block_on(measure(sync))?;
        breakdowns.push((name, f.phases.clone(), f.batch_mean));
        let ratio = f.commands_per_second * 100 / f.publishes_per_second.max(1);
        println!(
            "{name:<8} {:>13} {:>9} {:>9} {:>15} {:>14} {:>12}%",
            f.commands_per_second,
            millis(f.p50_micros),
            millis(f.p99_micros),
            f.publishes_per_second,
            millis(f.bare_p50_micros),
            ratio
        );
    }
    println!("\nwhere the service's time goes, microseconds per command (share of its busy time):");
    for (name, phases, batch_mean) in breakdowns {
        let busy: f64 = phases.iter().map(|(_, us)| us).sum();
        let parts: Vec<String> = phases
            .iter()
            .map(|(phase, us)| format!("{phase} {us:.0} ({:.0}%)", us * 100.0 / busy.max(1e-9)))
            .collect();
        println!(
            "{name:<8} busy {busy:.0}, {batch_mean:.1} commands a batch: {}",
            parts.join(", ")
        );
    }
    Ok(())
}

async fn measure(sync: Sync) -> anyhow::Result<Figures> {
    let dir = tempfile::Builder::new().prefix("par-bench-").tempdir()?;
    let options = ServerOptions {
        data_dir: dir.path().to_path_buf(),
        port: None,
        sync,
        die_with_parent: false,
        auth: None,
    };
    let server = NatsServer::start(&options)?;
    let client = async_nats::connect(server.url()).await?;
    let js = jetstream::new(client.clone());
    init_stream(&js, &StreamSettings::default()).await?;
    seed(&js).await?;

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service_client = async_nats::connect(server.url()).await?;
    let service = tokio::spawn(reform_tasks::run(service_client, unsigned_world(), async {
        let _ = stopped.await;
    }));
    let ping = client.clone();
    eventually("the tasks service to answer", Duration::from_secs(30), || {
        let ping = ping.clone();
        async move { ping.request("$SRV.PING.par-tasks", "".into()).await.ok().map(|_| ()) }
    })
    .await;
    let key = reform_shared::testkit::key_of("b");
    for c in 0..CLIENTS {
        reform_tasks::send(&client, &request(format!("assign-{c}"), assign(c)), &key).await?;
    }
    let before = reform_shared::metrics::global().phase_seconds("tasks");
    let batches_before = reform_shared::metrics::global().batches("tasks");
    let (commands_per_second, mut latencies) =
        tokio::time::timeout(PHASE_LIMIT, commands(server.url())).await??;
    let after = reform_shared::metrics::global().phase_seconds("tasks");
    let batches = reform_shared::metrics::global().batches("tasks") - batches_before;
    #[allow(clippy::cast_precision_loss)] // a count of commands, far below 2^52
    let count = latencies.len().max(1) as f64;
    let phases = before
        .iter()
        .zip(&after)
        .map(|((phase, was), (_, is))| (*phase, (is - was) * 1e6 / count))
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let batch_mean = count / batches.max(1) as f64;
    let _ = stop.send(());
    service.await??;
    let (publishes_per_second, mut bare) =
        tokio::time::timeout(PHASE_LIMIT, bare_publishes(&js, server.url())).await??;
    Ok(Figures {
        commands_per_second,
        p50_micros: percentile(&mut latencies, 50),
        p99_micros: percentile(&mut latencies, 99),
        publishes_per_second,
        bare_p50_micros: percentile(&mut bare, 50),
        phases,
        batch_mean,
    })
}

/// Every client reports progress on its own task as fast as answers come back.
async fn commands(url: &str) -> anyhow::Result<(u64, Vec<u64>)> {
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(async_nats::connect(url).await?);
    }
    let started = Instant::now();
    let mut workers = Vec::new();
    for (c, client) in clients.into_iter().enumerate() {
        workers.push(tokio::spawn(async move {
            let key = reform_shared::testkit::key_of("b");
            let mut latencies = Vec::with_capacity(COMMANDS_PER_CLIENT);
            for n in 0..COMMANDS_PER_CLIENT {
                let percent = u16::try_from(n % 101).unwrap_or(0);
                let command = Command::ReportProgress(cmd::ReportProgress {
                    task: task_id(c),
                    percent,
                    note: String::new(),
                });
                let at = Instant::now();
                reform_tasks::send(&client, &request(format!("p-{c}-{n}"), command), &key).await?;
                latencies.push(micros(at.elapsed()));
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await??);
    }
    Ok((per_second(latencies.len(), started.elapsed()), latencies))
}

/// The same number of concurrent writers, publishing straight to a stream of their own on the
/// same server and waiting for each ack: the broker's own rate for this machine and setting.
async fn bare_publishes(js: &jetstream::Context, url: &str) -> anyhow::Result<(u64, Vec<u64>)> {
    js.create_stream(jetstream::stream::Config {
        name: "BENCH_BARE".into(),
        subjects: vec!["bench.bare.>".into()],
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    })
    .await?;
    let mut publishers = Vec::new();
    for _ in 0..PUBLISHERS {
        publishers.push(jetstream::new(async_nats::connect(url).await?));
    }
    let started = Instant::now();
    let mut workers = Vec::new();
    for (p, js) in publishers.into_iter().enumerate() {
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(PUBLISHES_PER_PUBLISHER);
            let payload = vec![b'x'; PAYLOAD_BYTES];
            // One subject per publisher, as the service writes one subject per task.
            let subject = format!("bench.bare.{p}");
            for _ in 0..PUBLISHES_PER_PUBLISHER {
                let at = Instant::now();
                js.publish(subject.clone(), payload.clone().into()).await?.await?;
                latencies.push(micros(at.elapsed()));
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await??);
    }
    Ok((per_second(latencies.len(), started.elapsed()), latencies))
}

/// A department `sgd` headed by `b`, written straight to the log.
async fn seed(js: &jetstream::Context) -> anyhow::Result<()> {
    let appender = reform_shared::append::Appender::new(js.clone()).await?;
    let events = [
        Event::UnitAdded {
            unit: id("sgd"),
            name: "Sở Giáo dục và Đào tạo".into(),
            kind: UnitKind::Department,
            parent: None,
        },
        Event::PersonRegistered { person: id("b"), name: "Lê Thị B".into(), title: "".into() },
        reform_shared::testkit::events::key("b"),
        Event::LeaderAppointed {
            tenure: id("t-b"),
            unit: id("sgd"),
            person: id("b"),
            role: Role::Head,
            from: date("2016-01-01"),
        },
    ];
    for (n, event) in events.into_iter().enumerate() {
        appender.append_next(draft(&format!("seed-{n}"), "2016-01-01", event)).await?;
    }
    Ok(())
}

fn assign(c: usize) -> Command {
    Command::AssignTask(cmd::AssignTask {
        task: task_id(c),
        unit: Some(id("sgd")),
        person: Some(id("b")),
        plan: None,
        title: format!("Nhiệm vụ {c}"),
        target: "Hoàn thành".into(),
        due: Some(date("2016-12-31")),
        criterion: None,
    })
}

fn task_id(c: usize) -> reform_shared::ids::TaskId {
    id(&format!("bench-{c}"))
}

fn request(command_id: String, command: Command) -> Request<Command> {
    Request {
        command_id: id(&command_id),
        actor: id("b"),
        occurred_on: Some(date("2016-08-01")),
        command,
    }
}

fn micros(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)
}

fn per_second(count: usize, elapsed: Duration) -> u64 {
    let count = u64::try_from(count).unwrap_or(u64::MAX);
    count.saturating_mul(1_000_000) / micros(elapsed).max(1)
}

/// The `p`th percentile (nearest rank) of the samples, in their unit.
fn percentile(samples: &mut [u64], p: usize) -> u64 {
    if samples.is_empty() {
        return 0;
    }
    samples.sort_unstable();
    let rank = (samples.len() * p).div_ceil(100).max(1);
    samples[rank - 1]
}

/// Microseconds as milliseconds with two decimals, in integers.
fn millis(micros: u64) -> String {
    format!("{}.{:02}", micros / 1000, (micros % 1000) / 10)
}
