//! The log's publication: it follows the event log, writes its Merkle tree as C2SP tiles into
//! a directory anyone may serve read-only (the gateway does, under `/log/`), and, when the log
//! has grown, signs a checkpoint with the log's key, has the witnesses a policy names cosign it
//! (c2sp.org/tlog-witness), and publishes it with their cosignatures.
//!
//! - [`store`]: the tile directory, written whole-file-or-nothing, resumed from.
//! - [`submit`]: the witnesses' `add-checkpoint`, with consistency proofs from the tiles.
//! - [`receipt`]: a message's receipt (c2sp.org/tlog-proof) from the tiles.
//!
//! What an entry holds, and why no event is published: [`reform_shared::tlog`].
//!
//! The publisher holds the log's key, as the rollup does; a checkpoint it signs can only state
//! what the log holds, since anyone can recompute the root from the log (`audit verify`), and
//! the witnesses refuse any checkpoint that does not extend the last they cosigned.

pub mod receipt;
pub mod store;
pub mod submit;

use async_nats::service::ServiceExt as _;
use futures::StreamExt as _;
use reform_shared::checkpoint::{self, Checkpoint};
use reform_shared::log::{self, Range};
use reform_shared::service::health::{HealthCell, Reader};
use reform_shared::tlog::policy::Policy;
use reform_shared::tlog::tiles::Frontier;
use std::future::Future;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;
use store::{StoreError, TileDir};
use submit::{Answer, Witnesses};

/// The publisher's name among the parts (metrics, logs).
pub const NAME: &str = "tlog";
/// Where the publisher answers its last checkpoint note (empty before the first), for the
/// services; people read `/log/checkpoint` from the gateway.
pub const SUBJECT_CHECKPOINT: &str = "par.tlog.checkpoint";
/// How often the publisher looks for new messages, by default.
pub const EVERY_DEFAULT: Duration = Duration::from_secs(2);
/// The most messages read into the tree before a checkpoint is made of them.
pub const BATCH_MAX: u64 = 100_000;

/// Why the publisher stopped.
#[derive(Debug, thiserror::Error)]
pub enum TlogError {
    #[error("could not reach the event stream: {0}")]
    Stream(#[source] reform_shared::Source),
    #[error("the log's key: {0}")]
    Key(#[from] checkpoint::CheckpointError),
    #[error("the policy {path}: {why}")]
    Policy { path: PathBuf, why: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the tile directory {dir} holds the tiles of {theirs}, not of this log ({ours}): give each log its own directory")]
    AnotherLog { dir: PathBuf, theirs: String, ours: String },
    #[error("message {sequence} follows a tree of {size} entries: the log has a gap, and its tree cannot be published past it")]
    Gap { sequence: u64, size: u64 },
    #[error(transparent)]
    Authority(#[from] submit::AuthorityError),
    #[error("could not register the tlog service with NATS: {0}")]
    Register(#[source] async_nats::Error),
}

/// How the publisher runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The tile directory.
    pub dir: PathBuf,
    /// The log's key (an nkeys seed file readable by its owner only).
    pub log_key: PathBuf,
    /// The witnesses to ask, and the quorum (c2sp.org/tlog-policy); none asked when `None`.
    pub policy: Option<PathBuf>,
    /// How often to look for new messages.
    pub every: Duration,
    /// The authority (PEM) that vouches for witnesses on `https://` URLs, beside the system's
    /// roots.
    pub witness_ca: Option<PathBuf>,
}

/// The publisher's state between looks.
struct Publisher {
    js: async_nats::jetstream::Context,
    key: nkeys::KeyPair,
    origin: String,
    dir: TileDir,
    frontier: Frontier,
    /// The size of the checkpoint on disk; `None` before the first.
    published: Option<u64>,
    /// The last checkpoint published lacks its quorum: it is submitted again at each look.
    unwitnessed: bool,
    witnesses: Option<Witnesses>,
}

fn stream(e: impl Into<reform_shared::Source>) -> TlogError {
    TlogError::Stream(e.into())
}

/// Runs the publisher until `shutdown` resolves.
pub async fn run(
    client: async_nats::Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), TlogError> {
    let mut publisher = Publisher::open(client.clone(), &config).await?;
    // Its position, on the metrics' page and in `reformctl status`: the entries its tiles hold.
    let health = HealthCell::default();
    let reported = health.clone();
    reform_shared::metrics::global().part(NAME, move || reported.get());
    let service = client
        .service_builder()
        .description("The published log: the tiles and checkpoints of the log's Merkle tree")
        .stats_handler({
            let health = health.clone();
            move |_, _| health.to_json()
        })
        .start(format!("par-{NAME}"), env!("CARGO_PKG_VERSION"))
        .await
        .map_err(TlogError::Register)?;
    // Its one endpoint gives the services API's stats somewhere to carry its health (they
    // travel with an endpoint's), and answers the checkpoint last published.
    let mut checkpoints =
        service.endpoint(SUBJECT_CHECKPOINT).await.map_err(TlogError::Register)?;
    let mut ticks = tokio::time::interval(config.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    let stopped = loop {
        tokio::select! {
            () = &mut shutdown => break Ok(()),
            Some(request) = checkpoints.next() => {
                let note = publisher.dir.checkpoint().ok().flatten().unwrap_or_default();
                if let Err(e) = request.respond(Ok(note.into())).await {
                    tracing::warn!(error = %e, "could not answer a checkpoint request");
                }
            }
            _ = ticks.tick() => match publisher.look().await {
                Ok(()) => {
                    health.applied(publisher.frontier.size());
                    health.following();
                }
                Err(e @ TlogError::Stream(_)) => {
                    tracing::warn!(error = %e, "could not publish the log's tree; trying again");
                    health.problem(Reader::Reconnecting, &e.to_string(), None);
                }
                Err(e) => break Err(e),
            },
        }
    };
    let _ = service.stop().await;
    stopped
}

impl Publisher {
    async fn open(client: async_nats::Client, config: &Config) -> Result<Publisher, TlogError> {
        let key = checkpoint::read_key(&config.log_key)?;
        let js = async_nats::jetstream::new(client);
        let identity = reform_shared::stream::current_identity(&js).await.map_err(stream)?;
        let origin = checkpoint::origin_of(&identity);
        let dir = TileDir::new(&config.dir);
        let (frontier, published) = match dir.checkpoint()? {
            None => (Frontier::default(), None),
            Some(note) => {
                let cp = Checkpoint::verify(&note, &key.public_key())?;
                if cp.origin != origin {
                    return Err(TlogError::AnotherLog {
                        dir: config.dir.clone(),
                        theirs: cp.origin,
                        ours: origin,
                    });
                }
                (dir.resume(&cp)?, Some(cp.size))
            }
        };
        let witnesses = match &config.policy {
            None => None,
            Some(path) => Some(Witnesses::new(
                read_policy(path)?,
                frontier.size(),
                config.witness_ca.as_deref(),
            )?),
        };
        let unwitnessed = witnesses.is_some();
        Ok(Publisher { js, key, origin, dir, frontier, published, unwitnessed, witnesses })
    }

    /// Reads what was appended since, into the tiles; publishes a checkpoint if it grew.
    async fn look(&mut self) -> Result<(), TlogError> {
        let after = self.frontier.size();
        let mut events =
            self.js.get_stream(reform_shared::subject::STREAM_NAME).await.map_err(stream)?;
        let head = events.info().await.map_err(stream)?.state.last_sequence;
        let range = Range::between(after, head.min(after + BATCH_MAX));
        let mut fault = None;
        let (frontier, dir) = (&mut self.frontier, &self.dir);
        log::read_raw(&self.js, &range, |m| {
            let size = frontier.size();
            if m.sequence != size + 1 {
                fault = Some(TlogError::Gap { sequence: m.sequence, size });
                return ControlFlow::Break(());
            }
            let written = frontier.push(checkpoint::entry(m.sequence, &m.payload));
            match dir.put(&written) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    fault = Some(e.into());
                    ControlFlow::Break(())
                }
            }
        })
        .await
        .map_err(stream)?;
        if let Some(fault) = fault {
            return Err(fault);
        }
        if self.published != Some(self.frontier.size()) || self.unwitnessed {
            self.publish().await?;
        }
        Ok(())
    }

    async fn publish(&mut self) -> Result<(), TlogError> {
        self.dir.put(&self.frontier.partials())?;
        let cp = Checkpoint {
            origin: self.origin.clone(),
            size: self.frontier.size(),
            root: self.frontier.root(),
        };
        // Asked again for the same tree: keep the cosignatures it already has.
        let mut note = match self.dir.checkpoint()? {
            Some(old) if Checkpoint::parse(&old).is_ok_and(|o| o == cp) => old,
            _ => cp.sign(&self.key)?,
        };
        if let Some(witnesses) = &mut self.witnesses {
            let hashes = self.dir.hashes(cp.size);
            for (name, answer) in witnesses.cosign(&note, &cp, &hashes).await {
                match answer {
                    Answer::Cosigned(line) => note.push_str(&line),
                    Answer::Not(why) => {
                        tracing::warn!(witness = %name, size = cp.size, %why, "a witness did not cosign")
                    }
                }
            }
            let met = witnesses.policy().check(&note);
            if let Err(e) = &met {
                tracing::warn!(size = cp.size, error = %e, "the checkpoint lacks its quorum; asking again");
            }
            self.unwitnessed = met.is_err();
        }
        self.dir.put_checkpoint(&note)?;
        self.published = Some(cp.size);
        tracing::debug!(size = cp.size, "checkpoint published");
        Ok(())
    }
}

/// Reads a policy file.
pub fn read_policy(path: &std::path::Path) -> Result<Policy, TlogError> {
    let err = |why: String| TlogError::Policy { path: path.to_owned(), why };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    Policy::parse(&text).map_err(|e| err(e.to_string()))
}
