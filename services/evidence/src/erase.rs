//! Carrying out an erasure the log records: destroying the erased content's key. The log is
//! the record, so this runs after the event is appended ([`after_append`]) and again, for
//! every erasure the service's state holds, when it starts ([`destroy_all`], from
//! `Decider::started`), and for every erasure in a restored log ([`sweep`]): a service
//! stopped between the two, or data restored from a backup whose keys were saved before an
//! erasure its log holds, ends with the key gone all the same.

use crate::store::Store;
use reform_shared::event::{Event, Sha256};
use reform_shared::log::{self, Range};
use reform_shared::subject::EVENT_SUBJECT_PREFIX;
use std::ops::ControlFlow;

/// Destroys the key of the content an appended erasure names.
pub async fn after_append(store: &Store, event: &Event) {
    if let Event::EvidenceErased { evidence, sha256, .. } = event {
        match store.erase(sha256).await {
            Ok(_) => tracing::info!(%evidence, sha256 = %hex::encode(sha256), "content erased"),
            // The sweep at the next start destroys it.
            Err(e) => {
                tracing::error!(%evidence, error = %e, "erasure recorded, key not destroyed yet")
            }
        }
    }
}

/// Destroys the key of every content an erasure in the log names (a restore, which has no
/// service state); returns how many keys were still there.
pub async fn sweep(
    js: &async_nats::jetstream::Context,
    store: &Store,
) -> Result<usize, reform_shared::log::ReadError> {
    let mut erased: Vec<Sha256> = Vec::new();
    let family = reform_shared::event::Family::Evidence.as_str();
    let range = Range::subjects(format!("{EVENT_SUBJECT_PREFIX}.{family}.>"));
    log::read(js, &range, |_, record| {
        if let Some(Event::EvidenceErased { sha256, .. }) = record.map(|r| r.envelope.event) {
            erased.push(sha256);
        }
        ControlFlow::Continue(())
    })
    .await?;
    Ok(destroy_all(store, &erased).await)
}

/// Destroys the key of each of these erased contents; returns how many were still there.
pub async fn destroy_all<'a>(store: &Store, erased: impl IntoIterator<Item = &'a Sha256>) -> usize {
    let mut destroyed = 0;
    for sha256 in erased {
        match store.erase(sha256).await {
            Ok(true) => destroyed += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::error!(sha256 = %hex::encode(sha256), error = %e, "an erased content's key is still there")
            }
        }
    }
    if destroyed > 0 {
        tracing::warn!(destroyed, "destroyed the keys of contents the log says were erased");
    }
    destroyed
}
