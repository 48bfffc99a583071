//! `reformctl log consumers [--remove-stray]`: the consumers on the log, and removing the stray
//! ones.
//!
//! People may create no consumer (they read by direct gets, docs/security.md), but the
//! services' credentials may, and a durable consumer stays until someone deletes it: left by a
//! crashed tool or a mistake, they add up towards the server's limit (1,000), after which no
//! reader can start. The operator removes them, with the services' credentials.
//!
//! What counts as stray: a durable consumer that is not a projector's (`par-projector…`) and
//! that nobody is pulling from now (no pull request waiting). A reader's ordered consumer is
//! ephemeral and the server drops it once idle; a projector's is re-created at its own
//! checkpoint whenever it starts, so even removing one by mistake loses nothing.

use crate::ctx::Ctx;
use anyhow::Context as _;
use futures::StreamExt as _;
use reform_shared::subject::STREAM_NAME;
use serde::Serialize;

/// The name every projector's durable consumer begins with.
const PROJECTOR_PREFIX: &str = "par-projector";

/// One consumer on the log, as an operator reads it.
#[derive(Debug, Clone, Serialize)]
pub struct Consumer {
    pub name: String,
    pub durable: bool,
    pub filter: String,
    pub pending: u64,
    /// Pull requests waiting now: someone is reading through it.
    pub waiting: usize,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A projector's durable consumer.
    Projector,
    /// An ephemeral reader's: the server removes it once idle.
    Reader,
    /// A durable consumer someone is pulling from.
    InUse,
    /// A durable consumer nobody reads: removable.
    Stray,
}

impl Kind {
    fn of(info: &async_nats::jetstream::consumer::Info) -> Kind {
        match (&info.config.durable_name, info.num_waiting) {
            _ if info.name.starts_with(PROJECTOR_PREFIX) => Kind::Projector,
            (None, _) => Kind::Reader,
            (Some(_), 0) => Kind::Stray,
            (Some(_), _) => Kind::InUse,
        }
    }
}

/// Every consumer on the log, by name.
pub async fn list(js: &async_nats::jetstream::Context) -> anyhow::Result<Vec<Consumer>> {
    let stream = js.get_stream(STREAM_NAME).await.context("could not read the event stream")?;
    let mut infos = stream.consumers();
    let mut out = Vec::new();
    while let Some(info) = infos.next().await {
        let info = info.context("could not list the log's consumers")?;
        out.push(Consumer {
            name: info.name.clone(),
            durable: info.config.durable_name.is_some(),
            filter: info.config.filter_subject.clone(),
            pending: info.num_pending,
            waiting: info.num_waiting,
            kind: Kind::of(&info),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Removes the stray consumers; returns their names.
pub async fn remove_stray(js: &async_nats::jetstream::Context) -> anyhow::Result<Vec<String>> {
    let stream = js.get_stream(STREAM_NAME).await.context("could not read the event stream")?;
    let mut removed = Vec::new();
    for consumer in list(js).await?.into_iter().filter(|c| c.kind == Kind::Stray) {
        stream.delete_consumer(&consumer.name).await.with_context(|| {
            format!(
                "could not remove the consumer {} (removing needs the services' credentials: \
                 --nats-nkey data/broker/service.nk)",
                consumer.name
            )
        })?;
        removed.push(consumer.name);
    }
    Ok(removed)
}

/// `log consumers`: the list, or what was removed.
pub async fn run(
    js: &async_nats::jetstream::Context,
    remove: bool,
    ctx: &Ctx,
) -> anyhow::Result<()> {
    if remove {
        let removed = remove_stray(js).await?;
        if ctx.json() {
            println!("{}", serde_json::to_string_pretty(&removed)?);
        } else {
            removed.iter().for_each(|name| println!("removed {name}"));
            println!("{} stray consumers removed", removed.len());
        }
        return Ok(());
    }
    let all = list(js).await?;
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    for c in &all {
        let kind = serde_json::to_value(c.kind)?.as_str().unwrap_or_default().to_owned();
        println!(
            "{}  {kind}  filter {}  pending {}  waiting {}",
            c.name, c.filter, c.pending, c.waiting
        );
    }
    let stray = all.iter().filter(|c| c.kind == Kind::Stray).count();
    println!("{} consumers, {stray} stray (remove them with --remove-stray)", all.len());
    Ok(())
}
