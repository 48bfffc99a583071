//! A command service's start-up, before and after its state file (issue #15), against a real
//! nats-server.
//!
//! ```text
//! cargo bench -p reform-tasks --bench startup     # PAR_BENCH_EVENTS=… to change the size
//! ```
//!
//! Fills a stream with `PAR_BENCH_EVENTS` (default 1,000,000) task events: a task assigned,
//! two progress reports and a completion per task, each with a command id of its own, so the
//! command-id table has one entry per event and the tips one per task. Then starts the
//! `reform-tasks` binary three times, each until it answers the services API's PING:
//!
//! 1. without a state file: it replays the whole log and holds every command id and tip;
//! 2. with a new state file: the same replay, writing the tables and a snapshot as it goes;
//! 3. with that file: it resumes from the snapshot.
//!
//! Each line gives the time to ready, the peak memory (VmHWM) and the resident memory when
//! ready (VmRSS), read from `/proc`.

use reform_shared::event::Event;
use reform_shared::natsd::{NatsServer, ServerOptions, Sync};
use reform_shared::stream::{init_stream, StreamSettings};
use reform_shared::testkit::id;
use reform_shared::time::Date;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const EVENTS_DEFAULT: u64 = 1_000_000;

fn event(i: u64) -> Event {
    let task = id(&format!("t{}", i / 4));
    let unit = id(&format!("u{}", (i / 4) % 300));
    match i % 4 {
        0 => Event::TaskAssigned {
            task,
            unit,
            person: None,
            plan: None,
            title: "Rà soát thủ tục hành chính".into(),
            target: "Danh mục được công bố".into(),
            due: Date::from_ymd(2016, 12, 31).expect("date"),
            criterion: None,
            assigned_by: id("head"),
        },
        1 | 2 => Event::ProgressReported {
            task,
            unit,
            percent: if i % 4 == 1 { 40 } else { 80 },
            note: "đang thực hiện".into(),
        },
        _ => Event::TaskCompleted { task, unit, note: "xong".into() },
    }
}

fn message(i: u64) -> (String, Vec<u8>) {
    let on = reform_shared::testkit::date("2016-06-01");
    reform_shared::testkit::loaded_message(&format!("bench-{i}"), on, event(i))
}

fn status_kb(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Starts the service, waits until it answers, and returns (seconds, VmHWM MiB, VmRSS MiB).
async fn start(
    client: &async_nats::Client,
    url: &str,
    state: Option<&std::path::Path>,
) -> (f64, u64, u64) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reform-tasks"));
    // The synthetic log is unsigned, as a log written before requests were signed.
    command.args(["--nats", url, "--allow-unsigned"]).stdout(Stdio::null()).stderr(Stdio::null());
    if let Some(state) = state {
        command.arg("--state").arg(state);
    }
    let started = Instant::now();
    let mut child = command.spawn().expect("reform-tasks starts");
    let deadline = started + Duration::from_secs(1800);
    loop {
        let ping = client.request("$SRV.PING.par-tasks", "".into());
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(200), ping).await {
            break;
        }
        assert!(Instant::now() < deadline, "reform-tasks did not get ready");
        assert!(child.try_wait().expect("status").is_none(), "reform-tasks exited");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    let (hwm, rss) =
        (status_kb(child.id(), "VmHWM:") / 1024, status_kb(child.id(), "VmRSS:") / 1024);
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    let status = child.wait().expect("exits");
    assert!(status.success(), "reform-tasks stops cleanly: {status}");
    (secs, hwm, rss)
}

#[tokio::main]
async fn main() {
    let wanted = std::env::var("PAR_BENCH_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(EVENTS_DEFAULT);
    let dir = tempfile::tempdir().expect("temp dir");
    let options = ServerOptions {
        data_dir: dir.path().join("nats"),
        port: None,
        sync: Sync::Lazy,
        die_with_parent: true,
        auth: None,
    };
    let server = NatsServer::start(&options).expect("nats-server starts");
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = async_nats::jetstream::new(client.clone());
    init_stream(&js, &StreamSettings::default()).await.expect("stream");
    let filling = Instant::now();
    let last = reform_shared::testkit::publish_all(&js, (0..wanted).map(message)).await;
    println!("filled {last} events in {:.1} s", filling.elapsed().as_secs_f64());
    let state = dir.path().join("tasks.redb");
    println!(
        "{:<44} {:>10} {:>14} {:>14}",
        "start of reform-tasks", "ready s", "peak MiB", "resident MiB"
    );
    for (name, file) in [
        ("no state file (replays the whole log)", None),
        ("new state file (replays, writes it)", Some(state.as_path())),
        ("state file (resumes from its snapshot)", Some(state.as_path())),
    ] {
        let (secs, hwm, rss) = start(&client, server.url(), file).await;
        println!("{name:<44} {secs:>10.2} {hwm:>14} {rss:>14}");
    }
    let size = std::fs::metadata(&state).map(|m| m.len()).unwrap_or(0) / (1024 * 1024);
    println!("state file: {size} MiB for {last} events");
}
