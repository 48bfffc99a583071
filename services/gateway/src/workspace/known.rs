//! The directory as the log holds it, kept up to date by reading only what was appended since
//! the last look: whose passkey a credential is (for signing in), people's names, who leads
//! which unit (for the forms).

use reform_shared::directory::Directory;
use reform_shared::event::Family;
use reform_shared::log::{self, Range, ReadError};
use std::ops::ControlFlow;

#[derive(Debug, Default)]
pub struct Known {
    inner: tokio::sync::Mutex<(Directory, u64)>,
}

impl Known {
    /// Runs `f` on the directory as of the log's head now.
    pub async fn with<R>(
        &self,
        js: &async_nats::jetstream::Context,
        f: impl FnOnce(&Directory) -> R,
    ) -> Result<R, ReadError> {
        let mut guard = self.inner.lock().await;
        let (directory, through) = &mut *guard;
        // What is read is kept as it is read, so a read cut short is not applied twice.
        let range = Range::after(*through);
        log::read(js, &range, |message, record| {
            if let Some(record) = record.filter(|r| r.envelope.event.family() == Family::Directory)
            {
                directory.apply(&record.envelope.event);
            }
            *through = message.sequence;
            ControlFlow::Continue(())
        })
        .await?;
        Ok(f(directory))
    }
}
