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
use std::time::{Duration, Instant};

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
        auth: None,
    };
    let mut server = Some(NatsServer::start(&options).expect("server"));
    let url = server.as_ref().map(|s| s.url().to_owned()).expect("url");
    let mut run = Run::start(&url, 1, dir.path(), CLIENTS, Duration::from_secs(120)).await;
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
            run.parts[victim].kill9();
            *kills.entry(PARTS[victim]).or_default() += 1;
            tokio::time::sleep(Duration::from_millis(rng.below(1000))).await;
        }
        // The driver is also the service manager: whatever is down is started again.
        for part in &mut run.parts {
            if !part.running() {
                part.start();
            }
        }
    }
    run.finish(|o| {
        let f = &o.figures;
        format!(
            "chaos: {seconds} s, seed {chaos_seed}; kills and pauses {kills:?} ({} in all); part starts {}; commands appended {}, retried attempts {}, lost {}, duplicated {}, misplaced {}; stream head {}",
            kills.values().sum::<u32>(),
            o.starts,
            f.commands,
            o.retries,
            f.lost,
            f.duplicated,
            f.misplaced,
            o.head
        )
    })
    .await;
}
