//! The embedded broker's keeper: a thread of its own that owns the `nats-server` child, asks
//! its health every second, and tells the stack's status what it found (the `par-broker`
//! part of `reformctl status`).
//!
//! A full disk is the case it exists for. nats-server fails the write, then keeps failing that
//! stream (a "critical write error") after space is freed, until it is restarted; commands are
//! answered `unavailable` meanwhile, and nothing said why. The keeper says "degraded" with the
//! server's words and the room left, and once the store's file system has [`ROOM`] free again
//! it restarts the server on the same store and port; every part reconnects by itself.
//!
//! It is a thread, not a task, because the server is started with a parent-death signal
//! (`PR_SET_PDEATHSIG`), which fires when the *thread* that started it ends.

use reform_shared::natsd::NatsServer;
use reform_shared::service::health::{HealthCell, Reader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How often the server's health is asked.
const EVERY: Duration = Duration::from_secs(1);
/// The room a store needs before a server that could not write is restarted.
pub const ROOM: u64 = 64 * 1024 * 1024;
/// The least time between two restarts.
const RESTART_GAP: Duration = Duration::from_secs(10);

/// What the keeper does after one look at the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Well,
    /// Not well: the words for the status.
    Degraded(String),
    /// Could not write, and there is room again.
    Restart(String),
}

/// Decides on one look: the server's health, the room its store has, and how long ago it was
/// last (re)started.
pub fn decide(health: &Result<(), String>, room: Option<u64>, since_start: Duration) -> Verdict {
    let Err(said) = health else { return Verdict::Well };
    let room_text = room.map_or_else(|| "unknown".to_owned(), human_bytes);
    if !could_not_write(said) {
        return Verdict::Degraded(format!("the broker is not well: {said}"));
    }
    if room.is_some_and(|r| r >= ROOM) && since_start >= RESTART_GAP {
        return Verdict::Restart(format!("restarting the broker, {room_text} free again: {said}"));
    }
    Verdict::Degraded(format!(
        "disk full: the broker cannot write its store ({room_text} free; it restarts by itself \
         once {} are): {said}",
        human_bytes(ROOM)
    ))
}

/// Whether the server's words are those of a store it could not write.
fn could_not_write(said: &str) -> bool {
    ["write error", "no space left", "out of resources"].iter().any(|w| said.contains(w))
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / f64::from(1u32 << 30)),
        n if n >= 1 << 20 => format!("{} MiB", n >> 20),
        n => format!("{n} B"),
    }
}

/// How the stack ends the keeper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGTERM, then SIGKILL after the server's grace.
    Gracefully,
    /// SIGKILL at once (a second Ctrl-C).
    AtOnce,
}

/// Starts the server again on the same store and port.
pub type Start = Box<dyn FnMut() -> anyhow::Result<NatsServer> + Send>;

/// The keeper's thread; ending it stops the server.
#[derive(Debug)]
pub struct Keeper {
    stop: mpsc::Sender<Stop>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Keeper {
    /// Keeps `server`, restarting it with `start` when it must; reports in `health`.
    pub fn spawn(server: NatsServer, start: Start, health: HealthCell) -> anyhow::Result<Keeper> {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("broker-keeper".into())
            .spawn(move || keep(server, start, &health, &stopped))?;
        Ok(Keeper { stop, thread: Some(thread) })
    }

    /// Stops the server, and waits for it.
    pub fn stop(mut self, how: Stop) {
        let _ = self.stop.send(how);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn keep(
    mut server: NatsServer,
    mut start: Start,
    health: &HealthCell,
    stopped: &mpsc::Receiver<Stop>,
) {
    let mut started = Instant::now();
    health.following();
    loop {
        let how = match stopped.recv_timeout(EVERY) {
            Ok(how) => Some(how),
            Err(mpsc::RecvTimeoutError::Disconnected) => Some(Stop::Gracefully),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
        };
        match how {
            Some(Stop::AtOnce) => return server.kill(),
            Some(Stop::Gracefully) => return server.stop(),
            None => {}
        }
        match decide(&server.health(), server.room(), started.elapsed()) {
            Verdict::Well => health.following(),
            Verdict::Degraded(why) => {
                let now = health.get();
                if now.reader != Reader::Degraded {
                    tracing::warn!(%why, "the broker is degraded");
                    eprintln!("warning: {why}");
                }
                if now.last_error.as_deref() != Some(why.as_str()) {
                    health.problem(Reader::Degraded, &why, None);
                }
            }
            Verdict::Restart(why) => {
                eprintln!("{why}");
                server.stop();
                started = Instant::now();
                server = match start() {
                    Ok(again) => again,
                    Err(e) => {
                        health.problem(Reader::Degraded, &format!("{e:#}"), None);
                        eprintln!("error: the broker did not start again: {e:#}");
                        return;
                    }
                };
            }
        }
    }
}

/// The keeper's endpoint: asked, it answers what `par-broker`'s stats carry.
pub const SUBJECT: &str = "par.broker.health";

/// Serves `health` as the `par-broker` part of the NATS services API, where `reformctl status`
/// reads every part's, until `shutdown`.
pub async fn serve_health(
    client: &async_nats::Client,
    health: HealthCell,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use async_nats::service::ServiceExt as _;
    use futures::StreamExt as _;
    let stats = health.clone();
    let service = client
        .service_builder()
        .description("The embedded broker, as its keeper sees it")
        .stats_handler(move |_, _| stats.to_json())
        .start(crate::status::BROKER, env!("CARGO_PKG_VERSION"))
        .await
        .map_err(|e| anyhow::anyhow!("could not register the broker's keeper: {e}"))?;
    let mut asked = service
        .endpoint(SUBJECT)
        .await
        .map_err(|e| anyhow::anyhow!("could not register the broker's keeper: {e}"))?;
    tokio::spawn(async move {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                request = asked.next() => {
                    let Some(request) = request else { break };
                    let _ = request.respond(Ok(health.to_json().to_string().into())).await;
                }
            }
        }
        let _ = service.stop().await;
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = "JetStream stream 'PAR > PAR_EVENTS' write error: write /d/1.blk: no space \
                        left on device";

    #[test]
    fn a_store_it_could_not_write_is_degraded_until_there_is_room_then_restarted() {
        let long = Duration::from_secs(60);
        assert_eq!(decide(&Ok(()), Some(0), long), Verdict::Well);
        let full = decide(&Err(FULL.into()), Some(1 << 20), long);
        let Verdict::Degraded(why) = full else { panic!("{full:?}") };
        assert!(why.starts_with("disk full") && why.contains("1 MiB free"), "{why}");
        assert!(matches!(decide(&Err(FULL.into()), Some(ROOM), long), Verdict::Restart(_)));
        let soon = decide(&Err(FULL.into()), Some(ROOM), Duration::from_secs(1));
        assert!(matches!(soon, Verdict::Degraded(_)), "not twice within the gap: {soon:?}");
        assert!(matches!(decide(&Err(FULL.into()), None, long), Verdict::Degraded(_)));
    }

    #[test]
    fn other_troubles_are_said_and_never_restarted_for() {
        let other = decide(&Err("no answer: refused".into()), Some(u64::MAX), Duration::MAX);
        assert_eq!(other, Verdict::Degraded("the broker is not well: no answer: refused".into()));
    }
}
