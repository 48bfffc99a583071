//! How `up` keeps what it runs running.
//!
//! Each service runs under a supervisor. A service that stops with an error (or panics) is
//! reported at once on stderr with its reason and started again after a backoff (1 s, doubling
//! to 30 s; back to 1 s once a run has lasted a minute). Most faults need no restart at all: a
//! service rides out broker restarts itself and halts, still answering, at an unreadable event.
//! What is left is a start-up that failed (the broker not reachable yet) or a bug. The one
//! thing a restart must never paper over is the log changing: before each restart the
//! supervisor checks that the broker still holds the log the data directory belongs to, and if
//! not it stops the whole stack with a non-zero exit (see [`crate::datadir`]).

use crate::shutdown::Shutdown;
use reform_shared::stream::{current_identity, LogIdentity};
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A run this long resets the backoff: the service was healthy, the next failure is news.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// Why the whole stack must stop.
pub type Fatal = mpsc::UnboundedSender<String>;

/// Runs `make()` until shutdown, restarting it as described above.
pub fn supervise<F, Fut, E>(
    name: &'static str,
    make: F,
    shutdown: Shutdown,
    js: async_nats::jetstream::Context,
    log: LogIdentity,
    fatal: Fatal,
) -> JoinHandle<()>
where
    F: Fn(Shutdown) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    tokio::spawn(async move {
        let mut backoff = BACKOFF_FIRST;
        let mut attempt = 0u32;
        loop {
            let started = Instant::now();
            let run = tokio::spawn(make(shutdown.clone()));
            let outcome = match run.await {
                Ok(Ok(())) if shutdown.is_stopping() => return,
                Ok(Ok(())) => "it stopped without being asked to".to_owned(),
                Ok(Err(e)) => e.to_string(),
                Err(e) => format!("it panicked: {e}"),
            };
            if shutdown.is_stopping() {
                eprintln!("warning: the {name} service stopped with an error: {outcome}");
                return;
            }
            eprintln!("error: the {name} service stopped: {outcome}");
            match current_identity(&js).await {
                Ok(now) if now != log => {
                    let _ = fatal.send(format!(
                        "the event log changed under the stack: the data directory belongs to {log}, the broker now has {now}"
                    ));
                    return;
                }
                Err(reform_shared::stream::StreamError::Missing) => {
                    let _ = fatal.send(format!(
                        "the event log {log} is gone from the broker (deleted?); the stack stops rather than start on another log"
                    ));
                    return;
                }
                _ => {}
            }
            if started.elapsed() >= HEALTHY_RUN {
                backoff = BACKOFF_FIRST;
            }
            attempt += 1;
            eprintln!("        restarting it in {backoff:?} (restart {attempt})");
            tokio::select! {
                () = shutdown.clone().wait() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    })
}
