//! Stopping the embedded stack: one signal that every service it runs waits on, sent once
//! (Ctrl-C, SIGTERM, or a part that failed for good), so they all stop in order and none is
//! left running.

use tokio::sync::watch;

/// A shutdown signal every service can wait on.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    pub fn new(receiver: watch::Receiver<bool>) -> Self {
        Self(receiver)
    }

    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }

    pub fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }
}
