//! The directory as the log holds it, kept up to date by reading only what was appended since
//! the last look: whose passkey a credential is (for signing in), people's names, who leads
//! which unit (for the forms).

use reform_shared::audit::read::{for_each_message_after, stream_info, ReadError};
use reform_shared::directory::Directory;
use reform_shared::event::Family;

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
        let head = stream_info(js).await?.state.last_sequence;
        for_each_message_after(js, *through, head, |message| {
            // Another family's event, or one no reader can decode (the verdict names those),
            // changes nothing here.
            if let Ok(record) = reform_shared::codec::decode(&message.payload) {
                if record.envelope.event.family() == Family::Directory {
                    directory.apply(&record.envelope.event);
                }
            }
        })
        .await?;
        *through = head.max(*through);
        Ok(f(directory))
    }
}
