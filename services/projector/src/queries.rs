//! Queries over NATS request-reply: the wire types, the endpoints the service registers, and
//! the typed client functions the CLI uses.
//!
//! Requests and replies are JSON. Each query names an optional `as_of` date: with it the view is
//! "as true at" that date; without it the view is live ("as known now"), and "overdue" is
//! judged on today in Vietnam, read at the edge when the request arrives.

use crate::registers::{self, Digest, Directory, EvidenceList};
use crate::store::Store;
use crate::views::{self, Basis, QueryError, Ranking, Timeline, UnitProgress};
use async_nats::service::ServiceExt;
use futures::StreamExt;
use reform_shared::event::UnitKind;
use reform_shared::ids::{PersonId, UnitId};
use reform_shared::time::Date;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Subject of the unit-progress query.
pub const SUBJECT_UNIT: &str = "par.view.unit";
/// Subject of the ranking query.
pub const SUBJECT_RANKING: &str = "par.view.ranking";
/// Subject of the timeline query.
pub const SUBJECT_TIMELINE: &str = "par.view.timeline";
/// Subject of the task register query.
pub const SUBJECT_TASKS: &str = "par.view.tasks";
/// Subject of the directory query: every unit and leader.
pub const SUBJECT_DIRECTORY: &str = "par.view.directory";
/// Subject of the evidence register query.
pub const SUBJECT_EVIDENCE: &str = "par.view.evidence";
/// Subject of the digest query: what is due, went overdue and was completed.
pub const SUBJECT_DIGEST: &str = "par.view.digest";
/// Subject of the national ranking: every unit of a kind in the country.
pub const SUBJECT_NATIONAL: &str = "par.view.national";
/// Where a split projector sends a query about a province it does not own:
/// `par.view.owner.<province>.<view>`, answered by the province's owner alone. Services only:
/// people's accounts may send `par.view.<view>` and nothing deeper.
pub const OWNER_PREFIX: &str = "par.view.owner";
/// Subject of the status query: the checkpoint.
pub const SUBJECT_STATUS: &str = "par.view.status";
/// How long a client waits for a view.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest query request read.
pub const QUERY_BYTES_MAX: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitQuery {
    pub unit: UnitId,
    pub year: u16,
    #[serde(default)]
    pub as_of: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankingQuery {
    pub parent: UnitId,
    pub kind: UnitKind,
    pub year: u16,
    #[serde(default)]
    pub as_of: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    pub person: PersonId,
    #[serde(default)]
    pub as_of: Option<Date>,
}

/// A unit's task register for a year, filtered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TasksQuery {
    pub unit: UnitId,
    pub year: u16,
    #[serde(default)]
    pub as_of: Option<Date>,
    #[serde(default)]
    pub filter: views::TaskFilter,
}

/// Every unit of `kind` in the country ranked for `year`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NationalQuery {
    pub kind: UnitKind,
    pub year: u16,
    #[serde(default)]
    pub as_of: Option<Date>,
}

/// One province's share of a national ranking, as its owner answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NationalPart {
    pub peers: Vec<views::Peer>,
    /// The framework's highest total (0 when none is published).
    pub max_total_hundredths: u64,
}

/// A unit's documents for a year (its sub-units' included): asked as a unit's progress is.
pub type EvidenceQuery = UnitQuery;

/// A unit's digest (đôn đốc): due within a week, overdue and completed since `since`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestQuery {
    pub unit: UnitId,
    #[serde(default)]
    pub person: Option<PersonId>,
    /// The digest's day; today in Vietnam when absent.
    #[serde(default)]
    pub on: Option<Date>,
    /// The last digest's day; a week before `on` when absent.
    #[serde(default)]
    pub since: Option<Date>,
}

/// Which part of the directory ([`registers::directory_part`]): the whole when both are absent.
/// Old clients send `null`, which reads as the whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryQuery {
    /// The unit, its ancestors and the units below it; the provinces when absent.
    #[serde(default)]
    pub under: Option<UnitId>,
    /// How many levels below `under` (or below the provinces); every level when absent.
    #[serde(default)]
    pub depth: Option<u8>,
    /// Only this person's tenures, and the units they held them at.
    #[serde(default)]
    pub person: Option<PersonId>,
}

/// The projector's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The last stream sequence the views hold.
    pub applied_through: u64,
}

pub use reform_shared::reply::{FailureKind, Found};

/// A query's answer: the view, or why not (the commands' reply shape, [`reform_shared::reply`]).
pub type Answer<T> = reform_shared::reply::Reply<Found<T>>;

/// Why a client got no view.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("{message}")]
    Failed { kind: FailureKind, message: String },
    #[error("no projector answered at {subject}: {source} (is the projector running?)")]
    Transport { subject: &'static str, source: async_nats::RequestError },
    #[error("the projector sent an unreadable reply: {0}")]
    BadReply(String),
}

pub(crate) fn basis(as_of: Option<Date>) -> Basis {
    match as_of {
        Some(date) => Basis::AsTrueAt { date },
        // The edge: the only place the projector reads the clock.
        None => Basis::Live { today: Date::today_in_vietnam() },
    }
}

fn unknown<T>(e: QueryError) -> Answer<T> {
    Answer::Failed { kind: FailureKind::NotFound, message: e.to_string() }
}

/// The answer to a query: the view computed from the slice `loaded`, or why not.
fn answer<T>(
    loaded: Result<crate::model::State, crate::store::StoreError>,
    view: impl FnOnce(&crate::model::State) -> Result<T, QueryError>,
) -> Answer<T> {
    match loaded {
        Ok(state) => match view(&state) {
            Ok(view) => Answer::Ok(Found { view }),
            Err(e) => unknown(e),
        },
        Err(e) => Answer::Failed { kind: FailureKind::Unavailable, message: e.to_string() },
    }
}

/// Answers a unit-progress query from the store.
pub fn answer_unit(store: &Store, q: &UnitQuery) -> Answer<UnitProgress> {
    answer(store.load_unit(&q.unit, q.year), |state| {
        views::unit_progress(state, &q.unit, q.year, basis(q.as_of))
    })
}

/// Answers a task register query from the store: the unit's tree and year, as the unit view
/// loads them.
pub fn answer_tasks(store: &Store, q: &TasksQuery) -> Answer<views::TaskList> {
    answer(store.load_unit(&q.unit, q.year), |state| {
        views::task_list(state, &q.unit, q.year, basis(q.as_of), &q.filter)
    })
}

/// Answers a ranking query from the store.
pub fn answer_ranking(store: &Store, q: &RankingQuery) -> Answer<Ranking> {
    answer(store.load_ranking(&q.parent, q.kind, q.year), |state| {
        views::ranking(state, &q.parent, q.kind, q.year, basis(q.as_of))
    })
}

/// Answers a timeline query from the store.
pub fn answer_timeline(store: &Store, q: &TimelineQuery) -> Answer<Timeline> {
    answer(store.load_timeline(&q.person), |state| {
        views::timeline(state, &q.person, basis(q.as_of))
    })
}

/// One province's peers for a national ranking, from the store.
pub fn answer_national_part(
    store: &Store,
    province: &UnitId,
    q: &NationalQuery,
) -> Answer<NationalPart> {
    match store.load_peers_in(province, q.kind, q.year) {
        Ok((state, units)) => Answer::Ok(Found {
            view: NationalPart {
                peers: views::peers(&state, &units, q.year, basis(q.as_of)),
                max_total_hundredths: views::max_total(&state, q.year, q.kind),
            },
        }),
        Err(e) => Answer::Failed { kind: FailureKind::Unavailable, message: e.to_string() },
    }
}

/// The national ranking from the provinces' parts, in any order.
pub fn merge_national(
    q: &NationalQuery,
    provinces: usize,
    parts: Vec<NationalPart>,
) -> views::NationalRanking {
    let max_total = parts.iter().map(|p| p.max_total_hundredths).max().unwrap_or(0);
    let peers = parts.into_iter().flat_map(|p| p.peers).collect();
    views::national_ranking(q.kind, q.year, basis(q.as_of), provinces, peers, max_total)
}

/// Answers the national ranking from one file that holds every province (one projector's,
/// or a file `audit replay` wrote).
pub fn answer_national(store: &Store, q: &NationalQuery) -> Answer<views::NationalRanking> {
    let provinces = match store.provinces() {
        Ok(p) => p,
        Err(e) => return Answer::Failed { kind: FailureKind::Unavailable, message: e.to_string() },
    };
    let mut parts = Vec::new();
    for province in &provinces {
        match answer_national_part(store, province, q) {
            Answer::Ok(Found { view }) => parts.push(view),
            Answer::Failed { kind, message } => return Answer::Failed { kind, message },
        }
    }
    Answer::Ok(Found { view: merge_national(q, provinces.len(), parts) })
}

/// Answers the whole directory from the store.
pub fn answer_directory(store: &Store) -> Answer<Directory> {
    answer_directory_part(store, &DirectoryQuery::default())
}

/// Answers a directory query (the whole, or a part) from the store.
pub fn answer_directory_part(store: &Store, q: &DirectoryQuery) -> Answer<Directory> {
    answer(store.load_directory(), |state| {
        let depth = q.depth.map(usize::from);
        registers::directory_part(state, q.under.as_ref(), depth, q.person.as_ref())
    })
}

/// Answers an evidence register query from the store: the unit's tree and year, as the unit
/// view loads them.
pub fn answer_evidence(store: &Store, q: &EvidenceQuery) -> Answer<EvidenceList> {
    answer(store.load_unit(&q.unit, q.year), |state| {
        registers::evidence_list(state, &q.unit, q.year, basis(q.as_of))
    })
}

/// Answers a digest query from the store.
pub fn answer_digest(store: &Store, q: &DigestQuery) -> Answer<Digest> {
    let on = q.on.unwrap_or_else(Date::today_in_vietnam);
    let since = q.since.unwrap_or_else(|| {
        Date(on.0 - chrono::Days::new(u64::try_from(registers::DUE_SOON_DAYS).unwrap_or(7)))
    });
    if since > on {
        let message = format!("since {since} is after the digest's day {on}");
        return Answer::Failed { kind: FailureKind::Invalid, message };
    }
    answer(store.load_unit_years(&q.unit, &registers::digest_years(on)), |state| {
        registers::digest(state, &q.unit, q.person.as_ref(), on, since)
    })
}

pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    if bytes.len() > QUERY_BYTES_MAX {
        return Err(format!("{} bytes is over the {QUERY_BYTES_MAX} a query may be", bytes.len()));
    }
    serde_json::from_slice(bytes).map_err(|e| format!("not a valid query: {e}"))
}

pub(crate) fn reply<T: Serialize>(answer: &Answer<T>) -> Vec<u8> {
    serde_json::to_vec(answer).unwrap_or_default()
}

/// What a header block takes at most beside an answer (the services API's error headers).
const HEADROOM_BYTES: usize = 1024;

/// The answer, or, when it would be over the broker's limit of one message, a failure that says
/// so and how to ask for less: the broker would refuse the reply, and the client would only see
/// its request time out.
pub(crate) fn within_limit(bytes: Vec<u8>, max_payload: usize) -> Vec<u8> {
    if bytes.len() + HEADROOM_BYTES <= max_payload {
        return bytes;
    }
    let message = format!(
        "the answer is {} bytes, too large for one message: the broker's limit is {max_payload} \
         bytes with the headers; ask for a part of it (the directory takes under and depth; a \
         register, one unit and year)",
        bytes.len()
    );
    invalid(message)
}

pub(crate) fn invalid(message: String) -> Vec<u8> {
    reply::<()>(&Answer::Failed { kind: FailureKind::Invalid, message })
}

/// Answers a view from this projector's own file, off the async threads (a timeline may read
/// many records). `subject` is the public view's.
pub(crate) async fn answer_here(store: Arc<Store>, subject: &str, payload: &[u8]) -> Vec<u8> {
    let payload = payload.to_vec();
    let subject = subject.to_owned();
    let work = tokio::task::spawn_blocking(move || match subject.as_str() {
        SUBJECT_UNIT => parse(&payload).map_or_else(invalid, |q| reply(&answer_unit(&store, &q))),
        SUBJECT_RANKING => {
            parse(&payload).map_or_else(invalid, |q| reply(&answer_ranking(&store, &q)))
        }
        SUBJECT_TIMELINE => {
            parse(&payload).map_or_else(invalid, |q| reply(&answer_timeline(&store, &q)))
        }
        SUBJECT_TASKS => parse(&payload).map_or_else(invalid, |q| reply(&answer_tasks(&store, &q))),
        SUBJECT_EVIDENCE => {
            parse(&payload).map_or_else(invalid, |q| reply(&answer_evidence(&store, &q)))
        }
        SUBJECT_DIRECTORY => {
            // An empty request, as `nats req` sends, asks for the whole.
            let payload = if payload.is_empty() { b"null".to_vec() } else { payload };
            parse::<Option<DirectoryQuery>>(&payload).map_or_else(invalid, |q| {
                reply(&answer_directory_part(&store, &q.unwrap_or_default()))
            })
        }
        SUBJECT_DIGEST => {
            parse(&payload).map_or_else(invalid, |q| reply(&answer_digest(&store, &q)))
        }
        other => invalid(format!("no view at {other}")),
    });
    work.await.unwrap_or_else(|e| {
        reply::<()>(&Answer::Failed { kind: FailureKind::Unavailable, message: e.to_string() })
    })
}

/// The views' endpoints, by name.
const VIEW_ENDPOINTS: [(&str, &str); 8] = [
    ("unit", SUBJECT_UNIT),
    ("ranking", SUBJECT_RANKING),
    ("timeline", SUBJECT_TIMELINE),
    ("tasks", SUBJECT_TASKS),
    ("evidence", SUBJECT_EVIDENCE),
    ("directory", SUBJECT_DIRECTORY),
    ("digest", SUBJECT_DIGEST),
    ("national", SUBJECT_NATIONAL),
];

/// Serves the queries until `shutdown` resolves: the status at once, the views once `ready`
/// resolves.
pub async fn serve(
    client: async_nats::Client,
    store: Arc<Store>,
    owns: crate::split::Owns,
    status: watch::Receiver<u64>,
    health: reform_shared::service::health::HealthCell,
    ready: impl Future<Output = ()>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), crate::Error> {
    let register = |e: async_nats::Error| crate::Error::Register(e);
    let service = client
        .service_builder()
        .description("Views of the reform-task tracker: unit progress, rankings, timelines")
        .stats_handler({
            // The position is the checkpoint the views report; the rest is the reader's.
            let status = status.clone();
            move |_, _| {
                let mut now = health.get();
                now.applied_through = *status.borrow();
                serde_json::to_value(now).unwrap_or(serde_json::Value::Null)
            }
        })
        .start("par-projector", env!("CARGO_PKG_VERSION"))
        .await
        .map_err(register)?;
    let router =
        Arc::new(crate::route::Router { client: client.clone(), store, owns: owns.clone() });
    let status_endpoint =
        service.endpoint_builder().name("status").add(SUBJECT_STATUS).await.map_err(register)?;
    let mut requests = futures::stream::select_all([status_endpoint
        .map(move |request| (SUBJECT_STATUS, request))
        .boxed()]);
    tokio::pin!(shutdown);
    tokio::pin!(ready);
    let mut views_served = false;
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            () = &mut ready, if !views_served => {
                views_served = true;
                for (name, subject) in VIEW_ENDPOINTS {
                    let endpoint =
                        service.endpoint_builder().name(name).add(subject).await.map_err(register)?;
                    requests.push(endpoint.map(move |request| (subject, request)).boxed());
                }
                // The owner's subjects: one per province owned, or all of them.
                let owned: Vec<(String, String)> = match &owns {
                    crate::split::Owns::Everything => vec![("owner".into(), format!("{OWNER_PREFIX}.*.*"))],
                    crate::split::Owns::Provinces(set) => set
                        .iter()
                        .map(|p| (format!("owner-{p}"), format!("{OWNER_PREFIX}.{p}.*")))
                        .collect(),
                };
                for (name, subject) in owned {
                    let endpoint =
                        service.endpoint_builder().name(name).add(subject).await.map_err(register)?;
                    requests.push(endpoint.map(move |request| (OWNER_PREFIX, request)).boxed());
                }
                tracing::info!(applied_through = *status.borrow(), "serving the views");
            }
            next = requests.next() => {
                let Some((subject, request)) = next else { break };
                if !reform_shared::command::answerable(&request.message) {
                    continue;
                }
                if !views_served {
                    // Only the status is served yet, and it says the views are not: a client
                    // waiting for a sequence must not take it as the views' (they would not
                    // answer yet), and one asking two projectors gets the one that serves.
                    let message = format!(
                        "the views are catching up (through sequence {}); they are served once they hold the log",
                        *status.borrow()
                    );
                    let answer = Answer::<()>::Failed { kind: FailureKind::Unavailable, message };
                    let bytes = serde_json::to_vec(&answer).unwrap_or_default();
                    let _ = reform_shared::reply::send_bytes(&request, bytes).await;
                    continue;
                }
                let router = router.clone();
                let status = status.clone();
                tokio::spawn(async move {
                    let bytes = if subject == SUBJECT_STATUS {
                        reply(&Answer::Ok(Found { view: Status { applied_through: *status.borrow() } }))
                    } else if subject == OWNER_PREFIX {
                        router.as_owner(&request.message.subject, &request.message.payload).await
                    } else {
                        router.public(subject, &request.message.payload).await
                    };
                    let bytes = within_limit(bytes, router.client.server_info().max_payload);
                    if let Err(e) = reform_shared::reply::send_bytes(&request, bytes).await {
                        tracing::warn!(error = %e, "could not send a view");
                    }
                });
            }
        }
    }
    let _ = service.stop().await;
    Ok(())
}

// ----- client --------------------------------------------------------------------------------

async fn ask<Q: Serialize, T: DeserializeOwned>(
    client: &async_nats::Client,
    subject: &'static str,
    query: &Q,
) -> Result<T, ViewError> {
    let payload = serde_json::to_vec(query).map_err(|e| ViewError::BadReply(e.to_string()))?;
    let transport = |source| ViewError::Transport { subject, source };
    let message = tokio::time::timeout(QUERY_TIMEOUT, client.request(subject, payload.into()))
        .await
        .map_err(|_| transport(reform_shared::command::timed_out(QUERY_TIMEOUT)))?
        .map_err(transport)?;
    match serde_json::from_slice::<Answer<T>>(&message.payload) {
        Ok(Answer::Ok(Found { view })) => Ok(view),
        Ok(Answer::Failed { kind, message }) => Err(ViewError::Failed { kind, message }),
        Err(e) => Err(ViewError::BadReply(e.to_string())),
    }
}

/// A unit's progress for a year.
pub async fn unit(client: &async_nats::Client, q: &UnitQuery) -> Result<UnitProgress, ViewError> {
    ask(client, SUBJECT_UNIT, q).await
}

/// Every unit of a kind in the country ranked for a year.
pub async fn national(
    client: &async_nats::Client,
    q: &NationalQuery,
) -> Result<views::NationalRanking, ViewError> {
    ask(client, SUBJECT_NATIONAL, q).await
}

/// A peer group's ranking for a year.
pub async fn ranking(client: &async_nats::Client, q: &RankingQuery) -> Result<Ranking, ViewError> {
    ask(client, SUBJECT_RANKING, q).await
}

/// A leader's timeline.
pub async fn timeline(
    client: &async_nats::Client,
    q: &TimelineQuery,
) -> Result<Timeline, ViewError> {
    ask(client, SUBJECT_TIMELINE, q).await
}

/// A unit's task register.
pub async fn tasks(
    client: &async_nats::Client,
    q: &TasksQuery,
) -> Result<views::TaskList, ViewError> {
    ask(client, SUBJECT_TASKS, q).await
}

/// A unit's evidence register.
pub async fn evidence(
    client: &async_nats::Client,
    q: &EvidenceQuery,
) -> Result<EvidenceList, ViewError> {
    ask(client, SUBJECT_EVIDENCE, q).await
}

/// A unit's digest.
pub async fn digest(client: &async_nats::Client, q: &DigestQuery) -> Result<Digest, ViewError> {
    ask(client, SUBJECT_DIGEST, q).await
}

/// Every unit and leader.
pub async fn directory(client: &async_nats::Client) -> Result<Directory, ViewError> {
    directory_part(client, &DirectoryQuery::default()).await
}

/// Asks for a part of the directory.
pub async fn directory_part(
    client: &async_nats::Client,
    q: &DirectoryQuery,
) -> Result<Directory, ViewError> {
    ask(client, SUBJECT_DIRECTORY, q).await
}

/// The projector's checkpoint.
pub async fn status(client: &async_nats::Client) -> Result<Status, ViewError> {
    ask(client, SUBJECT_STATUS, &()).await
}
