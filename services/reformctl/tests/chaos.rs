//! Chaos: several clients send commands while a driver kills -9, at random moments, each
//! service, the projector and the nats-server (or pauses the server with SIGSTOP for a few
//! seconds), and starts them again. At the end every command
//! answered "appended" is in the log exactly once, the views equal a clean rebuild, and nothing
//! needed a person.
//!
//! `PAR_CHAOS_SECONDS` (default 20, what CI runs) and `PAR_CHAOS_SEED` set the run;
//! `just chaos` runs it longer. The figures are printed at the end.

mod common;

use common::*;
use reform_shared::natsd::{NatsServer, ServerOptions, Sync};
use reform_shared::testkit::seed_department_with_head;
use std::time::{Duration, Instant};

const PARTS: [&str; 5] = ["directory", "tasks", "evidence", "scoring", "projector"];
const CLIENTS: usize = 3;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_survive_random_kills_of_every_part_and_the_broker() {
    let seconds = env_u64("PAR_CHAOS_SECONDS", 20);
    let chaos_seed = env_u64("PAR_CHAOS_SEED", 20_261_201);
    let mut rng = Rng::new(chaos_seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let options = ServerOptions {
        data_dir: dir.path().join("nats"),
        port: Some(free_port()),
        sync: Sync::Always,
        die_with_parent: false,
    };
    let mut server = Some(NatsServer::start(&options).expect("server"));
    let url = server.as_ref().map(|s| s.url().to_owned()).expect("url");
    let client = async_nats::ConnectOptions::new().connect(url.as_str()).await.expect("connects");
    let js = async_nats::jetstream::new(client.clone());
    reform_shared::stream::init_stream(&js, &Default::default()).await.expect("provisioned");
    seed_department_with_head(&js).await;
    let mut parts: Vec<Part> = PARTS.iter().map(|name| Part::new(name, &url, dir.path())).collect();
    for part in &mut parts {
        part.start();
    }

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let clients: Vec<_> =
        (0..CLIENTS).map(|n| tokio::spawn(workload(url.clone(), n, stopped.clone()))).collect();

    let mut kills: std::collections::BTreeMap<&str, u32> = Default::default();
    let end = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(500 + rng.below(2000))).await;
        let victim = rng.below(PARTS.len() as u64 + 2) as usize;
        if victim == PARTS.len() + 1 {
            // A paused broker: alive, holding its connections, answering nothing.
            if let Some(pid) = server.as_ref().and_then(|s| s.pid()) {
                let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).expect("pid"));
                nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).expect("pause");
                tokio::time::sleep(Duration::from_millis(500 + rng.below(3000))).await;
                nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGCONT).expect("resume");
                *kills.entry("nats-server paused").or_default() += 1;
            }
        } else if victim == PARTS.len() {
            if let Some(s) = server.take() {
                let pid =
                    nix::unistd::Pid::from_raw(i32::try_from(s.pid().expect("pid")).expect("pid"));
                nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL)
                    .expect("kill -9 the server");
                drop(s);
            }
            *kills.entry("nats-server").or_default() += 1;
            tokio::time::sleep(Duration::from_millis(rng.below(1000))).await;
            server = Some(NatsServer::start(&options).expect("the server restarts on its store"));
        } else {
            parts[victim].kill9();
            *kills.entry(PARTS[victim]).or_default() += 1;
            tokio::time::sleep(Duration::from_millis(rng.below(1000))).await;
        }
        // The driver is also the service manager: whatever is down is started again.
        for part in &mut parts {
            if !part.running() {
                part.start();
            }
        }
    }
    let _ = stop.send(true);
    for part in &mut parts {
        if !part.running() {
            part.start();
        }
    }
    let mut seen = Vec::new();
    for c in clients {
        seen.push(c.await.expect("client joins"));
    }
    // Parts that exited while the broker was down are started again until the end.
    let settle = Instant::now() + Duration::from_secs(120);
    let head = loop {
        for part in &mut parts {
            if !part.running() {
                part.start();
            }
        }
        let done = tokio::time::timeout(
            Duration::from_secs(5),
            projected(&client, Duration::from_secs(5)),
        )
        .await;
        if let Ok(head) = done {
            break head;
        }
        assert!(Instant::now() < settle, "the projector did not catch up after the chaos");
    };
    let log = command_ids_in_log(&js).await;
    let figures = audit(&seen, &log);
    let retries: u64 = seen.iter().map(|s| s.retries).sum();
    let failures: Vec<&String> = seen.iter().flat_map(|s| s.failures.iter()).collect();
    let starts: u32 = parts.iter().map(|p| p.starts).sum();
    println!(
        "chaos: {seconds} s, seed {chaos_seed}; kills and pauses {:?} ({} in all); part starts {starts}; commands appended {}, retried attempts {retries}, lost {}, duplicated {}, misplaced {}; stream head {head}",
        kills,
        kills.values().sum::<u32>(),
        figures.commands,
        figures.lost,
        figures.duplicated,
        figures.misplaced,
    );
    assert!(failures.is_empty(), "commands that failed for good: {failures:?}");
    assert!(figures.commands > 0, "no command got through");
    assert_eq!((figures.lost, figures.duplicated, figures.misplaced), (0, 0, 0), "{figures:?}");
    assert_eq!(
        log.len(),
        figures.commands + 3,
        "the log holds only the seed and the commands answered appended"
    );

    let projector = parts.iter_mut().find(|p| p.name == "projector").expect("projector");
    projector.stop();
    views_equal_a_rebuild(&client, &dir.path().join("views.redb"), dir.path()).await;
    for part in &mut parts {
        part.stop();
    }
}
