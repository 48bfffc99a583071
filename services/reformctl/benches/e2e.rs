//! A head's command, end to end: from the send to the views showing it, over the demo province
//! as `./dev up` serves it (a real nats-server syncing every write, the command services, the
//! projector), while other people keep sending commands.
//!
//! ```text
//! cargo bench -p reformctl --bench e2e        # or `just bench-e2e`
//! ```
//!
//! The head reports progress on one task `PAR_BENCH_COMMANDS` times (default 400), one after
//! another, as the workspace does: the command until the service answers, then until the views
//! hold it (`queries::status_through`, what `--wait` and the workspace's relay wait for), then
//! the unit's task register the page reads. Meanwhile `PAR_BENCH_LOAD` other clients (default
//! 8) have the administrator register people, each as fast as answers come back: load on the
//! broker, the directory service and the projector. It prints p50 and p99 of each leg and of
//! the whole, and where the tasks service's time went (its `par_command_phase_seconds`, per
//! command of its own).

mod common;

use chrono::Datelike as _;
use common::DemoStack;
use reform_projector::queries::{self, TasksQuery};
use reform_shared::command::Request;
use reform_shared::ids::{PersonId, TaskId, UnitId};
use reform_shared::testkit::id;
use reform_shared::time::Date;
use reform_tasks::{cmd, Command};
use reformctl::demo::{Demo, Item};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A progress report the demo makes: who, on which task, on which day.
#[derive(Clone)]
struct Report {
    actor: PersonId,
    task: TaskId,
    on: Option<Date>,
}

/// The demo's last progress report on a task still open at its end: after the 2025 mergers,
/// so the rights of its day are the ones the task's unit has now.
fn last_open_report(data: &Demo) -> Option<Report> {
    let mut ended = std::collections::BTreeSet::new();
    let mut last = None;
    for item in &data.items {
        let Item::Tasks { request, .. } = item else { continue };
        match &request.command {
            Command::CompleteTask(c) => _ = ended.insert(c.task.clone()),
            Command::CancelTask(c) => _ = ended.insert(c.task.clone()),
            Command::ReportProgress(progress) => {
                last = Some(Report {
                    actor: request.actor.clone(),
                    task: progress.task.clone(),
                    on: request.occurred_on,
                });
            }
            _ => {}
        }
    }
    last.filter(|r| !ended.contains(&r.task))
}

/// The unit the demo assigns `task` to.
fn unit_of(data: &Demo, task: &TaskId) -> Option<UnitId> {
    data.items.iter().find_map(|item| match item {
        Item::Tasks { request, .. } => match &request.command {
            Command::AssignTask(assign) if &assign.task == task => assign.unit.clone(),
            _ => None,
        },
        _ => None,
    })
}

fn request(report: &Report, command_id: String, percent: u16) -> Request<Command> {
    Request {
        command_id: id(&command_id),
        actor: report.actor.clone(),
        occurred_on: report.on,
        command: Command::ReportProgress(cmd::ReportProgress {
            task: report.task.clone(),
            percent,
            note: String::new(),
        }),
    }
}

/// The administrator registers a person with this id.
fn register(person: String) -> Request<reform_directory::Command> {
    let request = serde_json::json!({
        "command_id": format!("bench-{person}"),
        "actor": "quan-tri",
        "command": {"type": "register-person", "person": person, "name": "Người thử tải", "title": ""},
    });
    serde_json::from_value(request).expect("a register-person request")
}

fn percentile(sorted: &[Duration], p: usize) -> f64 {
    let i = (sorted.len() * p).div_ceil(100).max(1) - 1;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|n| n.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let n = env_number("PAR_BENCH_COMMANDS", 400);
    let load = env_number("PAR_BENCH_LOAD", 8);
    let stack = DemoStack::start().await;
    let (client, data, keys) = (&stack.client, &stack.data, &stack.keys);

    let head = last_open_report(data).expect("the demo reports progress on an open task");
    let unit = unit_of(data, &head.task).expect("the demo assigns the task to a unit");
    let year = head.on.map_or(2025, |on| u16::try_from(on.0.year()).unwrap_or(2025));
    println!(
        "{n} progress reports by {} on {}, each followed to the views and the unit's register; \
         {load} other clients registering people meanwhile",
        head.actor, head.task
    );

    let running = Arc::new(AtomicBool::new(true));
    let others = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(std::sync::Mutex::new(None::<String>));
    // The load: the administrator registering people, through the directory service and into
    // the same log and views (every one is accepted, so the load stays steady).
    let admin = keys.administrator().expect("the administrator's key").clone();
    let mut loaders = Vec::new();
    for c in 0..load {
        let key = admin.clone();
        let client = async_nats::connect(stack.server.url()).await.expect("connect");
        let (running, others, refused) = (running.clone(), others.clone(), refused.clone());
        loaders.push(tokio::spawn(async move {
            let mut k = 0u32;
            while running.load(Ordering::Relaxed) {
                let r = register(format!("bench-person-{c}-{k}"));
                match reform_directory::send(&client, &r, &key).await {
                    Ok(_) => _ = others.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        let mut first = refused.lock().unwrap_or_else(|e| e.into_inner());
                        first.get_or_insert_with(|| e.to_string());
                    }
                }
                k += 1;
            }
        }));
    }

    let key = keys.of(&head.actor).expect("the head's key").clone();
    let phases_before = reform_shared::metrics::global().phase_seconds("tasks");
    let others_before = others.load(Ordering::Relaxed);
    let started = Instant::now();
    let (mut sent, mut shown, mut read, mut whole) = (vec![], vec![], vec![], vec![]);
    let register = TasksQuery { unit, year, as_of: None, filter: Default::default() };
    for k in 0..n {
        let percent = u16::try_from(k % 100).unwrap_or(0);
        let r = request(&head, format!("bench-head-{k}"), percent);
        let at = Instant::now();
        let accepted = reform_tasks::send(client, &r, &key).await.expect("the head's command");
        let answered = Instant::now();
        let status = queries::status_through(client, accepted.sequence, Duration::from_secs(10))
            .await
            .expect("the views answer");
        assert!(status.applied_through >= accepted.sequence, "the views hold the command");
        let held = Instant::now();
        queries::tasks(client, &register).await.expect("the unit's register");
        let done = Instant::now();
        sent.push(answered - at);
        shown.push(held - answered);
        read.push(done - held);
        whole.push(done - at);
    }
    let elapsed = started.elapsed();
    let others_sent = others.load(Ordering::Relaxed) - others_before;
    let phases_after = reform_shared::metrics::global().phase_seconds("tasks");
    running.store(false, Ordering::Relaxed);
    for loader in loaders {
        let _ = loader.await;
    }

    println!("{:<34} {:>8} {:>8}", "leg", "p50 ms", "p99 ms");
    for (name, times) in [
        ("command (send to the service's ok)", &mut sent),
        ("views (ok to the views holding it)", &mut shown),
        ("page (the unit's register read)", &mut read),
        ("whole", &mut whole),
    ] {
        times.sort();
        println!("{name:<34} {:>8.2} {:>8.2}", percentile(times, 50), percentile(times, 99));
    }
    #[allow(clippy::cast_precision_loss)] // counts of commands, far below 2^52
    let commands = n.max(1) as f64;
    println!(
        "meanwhile {others_sent} other commands ({:.0}/s); the tasks service's time per command of its own:",
        others_sent as f64 / elapsed.as_secs_f64()
    );
    if let Some(why) = refused.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        println!("  (some load commands were not accepted, the first because: {why})");
    }
    let parts: Vec<String> = phases_before
        .iter()
        .zip(&phases_after)
        .map(|((phase, was), (_, is))| format!("{phase} {:.0} µs", (is - was) * 1e6 / commands))
        .collect();
    println!("  {}", parts.join(", "));
    stack.stop().await;
}
