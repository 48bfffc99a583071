//! Projector throughput and memory, against a real nats-server.
//!
//! ```text
//! cargo bench -p reform-projector --bench throughput      # PAR_BENCH_EVENTS=… to change the size
//! ```
//!
//! 1. Fills a stream with `PAR_BENCH_EVENTS` (default 1,000,000) events of a realistic mix
//!    (tasks assigned, progress, deadline changes, completions, scores, evidence across 330
//!    units), published fast to a lazily-syncing server with many publishes in flight.
//! 2. In a child process, a bare consumer reads the whole stream (same durable pull consumer
//!    settings and ack pattern as the projector) without decoding or applying anything.
//! 3. In another child process, the projector (the library's `run`, exactly as the service)
//!    applies the whole stream into a fresh redb file.
//!
//! 4. In a third child, without a broker, the projector's two stages alone on one thread:
//!    decoding the same messages, and applying them to a fresh redb file in the same batches.
//!
//! Each child reports its rate and its peak memory (VmHWM), and the projector its resident
//! memory at each quarter of the stream, to show memory flat in the number of events.
//!
//! Each run also accounts for CPU time per event: nats-server's (read from `/proc` around each
//! child), the consumer's, and the projector's split between its reader and its applying thread.
//! On a machine where the stages share the cores with the server, the ratio of the two rates
//! cannot exceed the ratio of their CPU per event; the bench prints both, and the projector CPU
//! per event that 80 % would need.

use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use reform_shared::codec;
use reform_shared::event::{Component, Criterion, Event, Role, Stage, UnitKind};
use reform_shared::points::Points;
use reform_shared::subject::{ALL_EVENTS, STREAM_NAME};
use reform_shared::time::Date;
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;
use common::{cpu_seconds, proc_status_kb};

const EVENTS_DEFAULT: u64 = 1_000_000;
const DEPARTMENTS: usize = 30;
const DIVISIONS_PER_DEPARTMENT: usize = 10;
const CRITERIA: usize = 20;
const ROLE_ENV: &str = "PAR_BENCH_ROLE";
const EVENTS_ENV: &str = "PAR_BENCH_EVENTS";
const DB_ENV: &str = "PAR_BENCH_DB";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
    match std::env::var(ROLE_ENV).as_deref() {
        Ok("bare") => runtime.block_on(bare()),
        Ok("projector") => runtime.block_on(projector()),
        Ok("stages") => stages(),
        _ => runtime.block_on(parent()),
    }
}

fn events_wanted() -> u64 {
    std::env::var(EVENTS_ENV).ok().and_then(|v| v.parse().ok()).unwrap_or(EVENTS_DEFAULT)
}

fn nats_url() -> String {
    std::env::var("NATS_URL").expect("NATS_URL is set by the parent")
}

/// CPU seconds of this process's live threads named `name`.
fn thread_cpu_seconds(name: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0.0 };
    tasks
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim_end() == name)
        })
        .map(|t| cpu_seconds(&t.path().join("stat").to_string_lossy()))
        .sum()
}

/// Microseconds per event.
fn per_event_us(seconds: f64, events: u64) -> f64 {
    if events == 0 {
        0.0
    } else {
        seconds * 1e6 / events as f64
    }
}

async fn parent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let reform_shared::testkit::Broker { server, js, .. } =
        reform_shared::testkit::Broker::start_lazy(dir.path()).await;
    let wanted = events_wanted();
    let started = Instant::now();
    let last = reform_shared::testkit::publish_all(&js, (0..wanted).map(message)).await;
    let fill_secs = started.elapsed().as_secs_f64();
    println!(
        "filled {last} events in {fill_secs:.1} s ({:.0} events/s published)",
        last as f64 / fill_secs
    );

    let server_stat = format!("/proc/{}/stat", server.pid().unwrap_or(0));
    let server_cpu_before = cpu_seconds(&server_stat);
    let bare = child("bare", server.url(), last, None);
    let server_cpu_bare = cpu_seconds(&server_stat) - server_cpu_before;
    let db = dir.path().join("views.redb");
    let server_cpu_before = cpu_seconds(&server_stat);
    let projected = child("projector", server.url(), last, Some(&db));
    let server_cpu_projector = cpu_seconds(&server_stat) - server_cpu_before;
    let stages_db = dir.path().join("stages.redb");
    let stage = child("stages", server.url(), last, Some(&stages_db));
    let bare_rate = number(&bare, "events_per_second");
    let projector_rate = number(&projected, "events_per_second");
    let db_mb = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) / (1024 * 1024);
    println!();
    println!("events in the stream:                     {last}");
    println!("bare consumer, read only:                 {bare_rate:>10.0} events/s");
    println!("projector, stream → redb:                 {projector_rate:>10.0} events/s");
    println!(
        "projector ÷ bare:                         {:>10.1} %",
        if bare_rate > 0.0 { projector_rate * 100.0 / bare_rate } else { 0.0 }
    );
    println!(
        "projector peak memory (VmHWM):            {:>10} MiB",
        projected["vm_hwm_kb"].as_u64().unwrap_or(0) / 1024
    );
    println!(
        "bare consumer peak memory (VmHWM):        {:>10} MiB",
        bare["vm_hwm_kb"].as_u64().unwrap_or(0) / 1024
    );
    println!(
        "projector resident memory at 25/50/75/100 % of the stream: {} MiB",
        projected["rss_mib_at_quarters"]
    );
    println!("views file:                               {db_mb:>10} MiB");
    print_cpu(
        last,
        bare_rate,
        Cpu { server: server_cpu_bare, consumer: number(&bare, "cpu_seconds"), applier: 0.0 },
        Cpu {
            server: server_cpu_projector,
            consumer: number(&projected, "cpu_seconds"),
            applier: number(&projected, "applier_cpu_seconds"),
        },
        &stage,
    );
}

/// A number a child reported (0 when it is missing).
fn number(report: &serde_json::Value, field: &str) -> f64 {
    report[field].as_f64().unwrap_or(0.0)
}

/// CPU seconds spent on one run: the server's, the consumer process's, and (of the latter)
/// the projector's applying thread's.
struct Cpu {
    server: f64,
    consumer: f64,
    applier: f64,
}

/// The CPU accounting: per event, where the time went in each run, and what it implies.
fn print_cpu(events: u64, bare_rate: f64, bare: Cpu, projector: Cpu, stage: &serde_json::Value) {
    let us = |s: f64| per_event_us(s, events);
    let bare_total = us(bare.server + bare.consumer);
    let projector_total = us(projector.server + projector.consumer);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!();
    println!("CPU per event, µs                  nats-server  consumer     total");
    println!(
        "bare consumer                      {:>11.2} {:>9.2} {:>9.2}",
        us(bare.server),
        us(bare.consumer),
        bare_total
    );
    println!(
        "projector                          {:>11.2} {:>9.2} {:>9.2}",
        us(projector.server),
        us(projector.consumer),
        projector_total
    );
    println!(
        "  of which reader (receive, decode, free) {:>12.2}",
        us(projector.consumer - projector.applier)
    );
    println!("  of which applying thread (apply, redb) {:>12.2}", us(projector.applier));
    println!(
        "stages alone, one thread, no broker: decode {:.2} µs/event, apply into redb {:.2} µs/event",
        number(stage, "decode_us_per_event"),
        number(stage, "apply_us_per_event"),
    );
    if projector_total > 0.0 {
        println!(
            "CPU-bound on {cores} cores, projector ÷ bare is at most their CPU ratio: {:.1} %",
            bare_total * 100.0 / projector_total
        );
        // The budget is figured with the server's cost in the bare run, the lower of the two:
        // the most favourable case for the projector.
        let budget = bare_total / 0.8 - us(bare.server);
        let decode = number(stage, "decode_us_per_event");
        println!(
            "80 % CPU-bound would need the projector process at ≤ {budget:.2} µs/event: receiving \
             ({:.2}) and decoding ({decode:.2}) leave {:.2} for applying into redb (it uses {:.2})",
            us(bare.consumer),
            budget - us(bare.consumer) - decode,
            us(projector.applier),
        );
    }
    let apply = number(stage, "apply_us_per_event");
    if apply > 0.0 && bare_rate > 0.0 {
        println!(
            "with a core of its own, the applying thread alone keeps up with {:.0} events/s, \
             {:.0} % of the bare rate",
            1e6 / apply,
            1e8 / apply / bare_rate
        );
    }
}

/// Runs this bench binary again in a role, and reads the JSON line it prints.
fn child(role: &str, url: &str, last: u64, db: Option<&std::path::Path>) -> serde_json::Value {
    let exe = std::env::current_exe().expect("own path");
    let mut command = std::process::Command::new(exe);
    command.env(ROLE_ENV, role).env("NATS_URL", url).env(EVENTS_ENV, last.to_string());
    if let Some(db) = db {
        command.env(DB_ENV, db);
    }
    let output = command.stderr(std::process::Stdio::inherit()).output().expect("child runs");
    assert!(output.status.success(), "the {role} child failed");
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().last().unwrap_or("{}");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{role} printed {line:?}: {e}"))
}

fn framework(year: u16) -> Event {
    let criteria = (0..CRITERIA)
        .map(|i| Criterion {
            code: format!("{}.{}", i / 4 + 1, i % 4 + 1).parse().expect("code"),
            component: Component::ALL[i % Component::ALL.len()],
            title: format!("Tiêu chí {i}"),
            max_points: Points(500),
            survey_measured: false,
        })
        .collect();
    Event::FrameworkPublished {
        year,
        unit_kind: UnitKind::Department,
        source: "QĐ 2071/QĐ-UBND".into(),
        criteria,
    }
}

fn unit_id(i: usize) -> String {
    let units = DEPARTMENTS * (DIVISIONS_PER_DEPARTMENT + 1);
    let i = i % units;
    let dept = i / (DIVISIONS_PER_DEPARTMENT + 1);
    match i % (DIVISIONS_PER_DEPARTMENT + 1) {
        0 => format!("s{dept}"),
        d => format!("s{dept}-p{d}"),
    }
}

/// The directory, then a steady mix of task, score and evidence events.
fn event(i: u64) -> (Date, Event) {
    let day = |d: u64| {
        Date::from_ymd(2016, 1, 1)
            .map_or_else(unreachable_day, |s| Date(s.0 + chrono::Days::new(d % 730)))
    };
    let units = (DEPARTMENTS * (DIVISIONS_PER_DEPARTMENT + 1)) as u64;
    let prologue = 1 + units + DEPARTMENTS as u64 * 2 + 2;
    if i == 0 {
        return (
            day(0),
            Event::UnitAdded {
                unit: id("st"),
                name: "Tỉnh Sóc Trăng".into(),
                kind: UnitKind::Province,
                parent: None,
            },
        );
    }
    if i <= units {
        let u = unit_id(i as usize - 1);
        let (kind, parent) = match u.split_once("-p") {
            None => (UnitKind::Department, "st".to_owned()),
            Some((dept, _)) => (UnitKind::Division, dept.to_owned()),
        };
        return (
            day(0),
            Event::UnitAdded {
                unit: id(&u),
                name: format!("Đơn vị {u}"),
                kind,
                parent: Some(id(&parent)),
            },
        );
    }
    if i <= units + DEPARTMENTS as u64 * 2 {
        let k = i - units - 1;
        let dept = k / 2;
        if k.is_multiple_of(2) {
            return (
                day(0),
                Event::PersonRegistered {
                    person: id(&format!("gd{dept}")),
                    name: format!("Giám đốc {dept}"),
                    title: "Giám đốc Sở".into(),
                },
            );
        }
        return (
            day(0),
            Event::LeaderAppointed {
                tenure: id(&format!("ten{dept}")),
                unit: id(&format!("s{dept}")),
                person: id(&format!("gd{dept}")),
                role: Role::Head,
                from: day(0),
            },
        );
    }
    if i <= prologue {
        return (day(0), framework(2016 + (i - units - DEPARTMENTS as u64 * 2 - 1) as u16));
    }
    let n = i - prologue;
    let task = |k: u64| id(&format!("t{k}"));
    let unit = |k: u64| id(&unit_id(k as usize));
    let on = day(n / 1000);
    let event = match n % 10 {
        0 | 3 | 6 => Event::TaskAssigned {
            task: task(n),
            unit: unit(n),
            person: None,
            plan: None,
            title: format!("Nhiệm vụ CCHC số {n}"),
            target: "Hoàn thành".into(),
            due: day(n / 1000 + 60),
            criterion: None,
            assigned_by: id("gd0"),
        },
        1 | 7 => {
            let k = n - 1;
            Event::TaskCompleted { task: task(k), unit: unit(k), note: String::new() }
        }
        2 => Event::DeadlineChanged {
            task: task(n - 2),
            unit: unit(n - 2),
            old_due: day(n / 1000 + 60),
            new_due: day(n / 1000 + 90),
            reason: "Gia hạn".into(),
        },
        4 => Event::ProgressReported {
            task: task(n - 1),
            unit: unit(n - 1),
            percent: 50,
            note: String::new(),
        },
        5 | 8 => {
            let code = format!("{}.{}", (n / 10) % 5 + 1, (n / 50) % 4 + 1);
            Event::ScoreChanged {
                unit: unit(n / 10),
                year: 2016 + ((n / 100_000) % 2) as u16,
                criterion: id(&code),
                stage: Stage::ALL[(n % 3) as usize],
                old: None,
                new: Points((n % 500) as u32),
                reason: "Chấm điểm".into(),
                evidence: Vec::new(),
                by: id("gd0"),
            }
        }
        _ => Event::EvidenceAttached {
            evidence: id(&format!("e{n}")),
            unit: unit(n),
            task: None,
            criterion: Some(id("1.1")),
            title: "Báo cáo".into(),
            document_number: "1264/BC-SGDĐT".into(),
            document_date: on,
            sha256: [1; 32],
            size_bytes: 1,
            media_type: "application/pdf".into(),
            object_key: "01".repeat(32),
        },
    };
    (on, event)
}

fn unreachable_day() -> Date {
    Date::today_in_vietnam()
}

fn id<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().expect("bench ids are valid")
}

/// The `i`-th message of the bench stream: its subject and its bytes.
fn message(i: u64) -> (String, Vec<u8>) {
    let (on, event) = event(i);
    reform_shared::testkit::loaded_message(&format!("bench-{i}"), on, event)
}

/// The bare consumer: the projector's consumer settings and ack pattern, nothing applied.
async fn bare() {
    let last = events_wanted();
    let client = async_nats::connect(nats_url()).await.expect("connect");
    let js = jetstream::new(client);
    let started = Instant::now();
    let stream = js.get_stream(STREAM_NAME).await.expect("stream");
    let consumer = stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some("bench-bare".into()),
            ack_policy: consumer::AckPolicy::All,
            ack_wait: reform_projector::ACK_WAIT,
            max_ack_pending: reform_projector::ACK_PENDING_MAX,
            filter_subject: ALL_EVENTS.to_owned(),
            ..Default::default()
        })
        .await
        .expect("consumer");
    let messages = consumer
        .stream()
        .max_messages_per_batch(reform_projector::PULL_BATCH_MESSAGES)
        .messages()
        .await
        .expect("messages");
    let mut chunks = messages.ready_chunks(reform_projector::BATCH_EVENTS_MAX);
    let mut seen = 0u64;
    let mut bytes = 0usize;
    while let Some(chunk) = chunks.next().await {
        let mut last_message = None;
        for message in chunk {
            let message = message.expect("message");
            seen = message.info().expect("info").stream_sequence;
            bytes += message.payload.len();
            last_message = Some(message);
        }
        if let Some(message) = last_message {
            message.ack().await.expect("ack");
        }
        if seen >= last {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let report = serde_json::json!({
        "events": seen,
        "bytes": bytes,
        "seconds": secs,
        "events_per_second": seen as f64 / secs,
        "vm_hwm_kb": proc_status_kb("VmHWM:"),
        "cpu_seconds": cpu_seconds("/proc/self/stat"),
    });
    println!("{report}");
}

/// The projector, exactly as the service runs it, until it has applied the whole stream.
async fn projector() {
    let last = events_wanted();
    let db = std::env::var(DB_ENV).expect("db path");
    let client = async_nats::connect(nats_url()).await.expect("connect");
    let config = reform_projector::Config::new(db.into());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let running = tokio::spawn(reform_projector::run(client.clone(), config, async {
        let _ = stopped.await;
    }));
    let mut quarters = Vec::new();
    let mut next_quarter = 1u64;
    let applied = loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let Ok(status) = reform_projector::queries::status(&client).await else { continue };
        while next_quarter <= 4 && status.applied_through >= last * next_quarter / 4 {
            quarters.push(proc_status_kb("VmRSS:") / 1024);
            next_quarter += 1;
        }
        if status.applied_through >= last {
            break status.applied_through;
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds("/proc/self/stat");
    let applier_cpu = thread_cpu_seconds("projector-apply");
    let _ = stop.send(());
    running.await.expect("no panic").expect("projector ran cleanly");
    let report = serde_json::json!({
        "events": applied,
        "seconds": secs,
        "events_per_second": applied as f64 / secs,
        "vm_hwm_kb": proc_status_kb("VmHWM:"),
        "rss_mib_at_quarters": quarters,
        "cpu_seconds": cpu,
        "applier_cpu_seconds": applier_cpu,
    });
    println!("{report}");
}

/// The projector's two stages alone, on one thread, without a broker: decode the stream's
/// messages, and apply them to a fresh redb file in the projector's batches (unsynced commits,
/// the last one synced, as under load). Only the stages are timed, not making the messages.
fn stages() {
    let last = events_wanted();
    let db = std::env::var(DB_ENV).expect("db path");
    let store = reform_projector::store::Store::open(std::path::Path::new(&db)).expect("store");
    let batch = reform_projector::BATCH_EVENTS_MAX as u64;
    let (mut decoding, mut applying) = (Duration::ZERO, Duration::ZERO);
    let mut first = 0u64;
    while first < last {
        let end = (first + batch).min(last);
        let messages: Vec<Vec<u8>> = (first..end).map(|i| message(i).1).collect();
        let started = Instant::now();
        let items: Vec<reform_projector::store::Item> = messages
            .iter()
            .zip(first + 1..)
            .map(|(bytes, seq)| {
                reform_projector::store::Item::new(
                    seq,
                    Some(codec::decode(bytes).expect("decodes")),
                )
            })
            .collect();
        decoding += started.elapsed();
        let flush = if end == last {
            reform_projector::store::Flush::Durable
        } else {
            reform_projector::store::Flush::Deferred
        };
        let started = Instant::now();
        store.apply_batch(&items, flush).expect("applies");
        drop(items);
        applying += started.elapsed();
        first = end;
    }
    let report = serde_json::json!({
        "decode_us_per_event": per_event_us(decoding.as_secs_f64(), last),
        "apply_us_per_event": per_event_us(applying.as_secs_f64(), last),
        "vm_hwm_kb": proc_status_kb("VmHWM:"),
    });
    println!("{report}");
}
