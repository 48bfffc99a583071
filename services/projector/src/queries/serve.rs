//! Serving the queries: the endpoints, the size of an answer, answering off the async threads.

use super::*;

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

/// Counts the queries in flight, up to a bound.
#[derive(Debug, Clone)]
pub(crate) struct Gate {
    permits: Arc<tokio::sync::Semaphore>,
    max: usize,
}

impl Gate {
    pub(crate) fn new(max: usize) -> Gate {
        Gate { permits: Arc::new(tokio::sync::Semaphore::new(max)), max }
    }

    /// A place for one more query, held until dropped; or, when all are taken, the answer that
    /// says so.
    pub(crate) fn enter(&self) -> Result<tokio::sync::OwnedSemaphorePermit, Vec<u8>> {
        self.permits.clone().try_acquire_owned().map_err(|_| {
            let message = format!(
                "the projector is answering {} queries at once, its most; ask again in a moment",
                self.max
            );
            reply::<()>(&Answer::failed(FailureKind::Unavailable, message))
        })
    }
}

/// An answer's outcome as the reply spells it (`ok`, or its failure's kind), read from its
/// first bytes: the tag comes first, and a view may be large.
fn outcome(answer: &[u8]) -> &'static str {
    #[derive(serde::Deserialize)]
    struct Failure {
        kind: FailureKind,
    }
    if answer.starts_with(br#"{"outcome":"ok""#) {
        return "ok";
    }
    serde_json::from_slice::<Failure>(answer).map_or("unreadable", |f| f.kind.as_str())
}

pub(crate) fn invalid(message: String) -> Vec<u8> {
    reply::<()>(&Answer::failed(FailureKind::Invalid, message))
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
        SUBJECT_REMINDERS => {
            parse(&payload).map_or_else(invalid, |q| reply(&answer_reminders(&store, &q)))
        }
        SUBJECT_PERSON => {
            parse(&payload).map_or_else(invalid, |q| reply(&answer_person(&store, &q)))
        }
        // It takes nothing: any payload (an empty one, `null`, `{}`) asks for the whole list.
        SUBJECT_PEOPLE => reply(&answer_people(&store)),
        SUBJECT_PLAN => parse(&payload).map_or_else(invalid, |q| reply(&answer_plan(&store, &q))),
        other => invalid(format!("no view at {other}")),
    });
    work.await
        .unwrap_or_else(|e| reply::<()>(&Answer::failed(FailureKind::Unavailable, e.to_string())))
}

/// The status, once the views hold the sequence the query waits for, or its time is up, or
/// at once when too many already wait (the client then asks again).
async fn answer_status(mut status: watch::Receiver<u64>, payload: &[u8], gate: &Gate) -> Vec<u8> {
    let payload = if payload.is_empty() { b"null" } else { payload };
    let query = match parse::<Option<StatusQuery>>(payload) {
        Ok(query) => query.unwrap_or_default(),
        Err(message) => return invalid(message),
    };
    if let Some(through) = query.through {
        let within = query.within_ms.map_or(STATUS_WAIT_MAX, Duration::from_millis);
        if let Ok(_place) = gate.enter() {
            let reached = status.wait_for(|applied| *applied >= through);
            let _ = tokio::time::timeout(within.min(STATUS_WAIT_MAX), reached).await;
        }
    }
    let applied_through = *status.borrow();
    reply(&Answer::Ok(Found { view: Status { applied_through } }))
}

/// The views' endpoints, by name.
const VIEW_ENDPOINTS: [(&str, &str); 11] = [
    ("unit", SUBJECT_UNIT),
    ("ranking", SUBJECT_RANKING),
    ("timeline", SUBJECT_TIMELINE),
    ("tasks", SUBJECT_TASKS),
    ("evidence", SUBJECT_EVIDENCE),
    ("directory", SUBJECT_DIRECTORY),
    ("person", SUBJECT_PERSON),
    ("people", SUBJECT_PEOPLE),
    ("reminders", SUBJECT_REMINDERS),
    ("plan", SUBJECT_PLAN),
    ("national", SUBJECT_NATIONAL),
];

/// Serves the queries until `shutdown` resolves: the status at once, the views once `ready`
/// resolves. Of `config`, the provinces it owns and its allowance of queries in flight.
pub async fn serve(
    client: async_nats::Client,
    store: Arc<Store>,
    config: crate::Config,
    status: watch::Receiver<u64>,
    health: reform_shared::service::health::HealthCell,
    ready: impl Future<Output = ()>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), crate::Error> {
    let crate::Config { owns, queries_in_flight_max, .. } = config;
    let register = |e: async_nats::Error| crate::Error::Register(e);
    let service = client
        .service_builder()
        .description("Views of the reform-task tracker: unit progress, rankings, timelines")
        .stats_handler({
            // The position is `applied_through` the views report; the rest is the reader's.
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
    let (people_gate, owner_gate) =
        (Gate::new(queries_in_flight_max), Gate::new(queries_in_flight_max));
    let waiting_gate = Gate::new(STATUS_WAITING_MAX);
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
                    let answer = Answer::<()>::failed(FailureKind::Unavailable, message);
                    let bytes = serde_json::to_vec(&answer).unwrap_or_default();
                    let _ = reform_shared::reply::send_bytes(&request, bytes).await;
                    continue;
                }
                // The status is one number: never turned away.
                let place = match subject {
                    SUBJECT_STATUS => None,
                    OWNER_PREFIX => Some(owner_gate.enter()),
                    _ => Some(people_gate.enter()),
                };
                let place = match place.transpose() {
                    Ok(place) => place,
                    Err(busy) => {
                        tracing::warn!(subject, "a query turned away: too many in flight");
                        let view = subject.strip_prefix("par.view.").unwrap_or(subject);
                        reform_shared::metrics::global().query(view, "unavailable", std::time::Duration::ZERO);
                        let _ = reform_shared::reply::send_bytes(&request, busy).await;
                        continue;
                    }
                };
                let router = router.clone();
                let status = status.clone();
                let waiting_gate = waiting_gate.clone();
                tokio::spawn(async move {
                    let _place = place;
                    let began = std::time::Instant::now();
                    let bytes = if subject == SUBJECT_STATUS {
                        answer_status(status, &request.message.payload, &waiting_gate).await
                    } else if subject == OWNER_PREFIX {
                        router.as_owner(&request.message.subject, &request.message.payload).await
                    } else {
                        router.public(subject, &request.message.payload).await
                    };
                    let bytes = within_limit(bytes, router.client.server_info().max_payload);
                    let view = subject.strip_prefix("par.view.").unwrap_or(subject);
                    reform_shared::metrics::global().query(view, outcome(&bytes), began.elapsed());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_over_the_allowance_is_turned_away_at_once_and_its_place_comes_back() {
        let gate = Gate::new(2);
        let first = gate.enter().expect("first");
        let _second = gate.enter().expect("second");
        let busy = gate.enter().expect_err("a third at once");
        let answer: Answer<()> = serde_json::from_slice(&busy).expect("an answer");
        let Answer::Failed { kind, message, .. } = answer else { panic!("not a failure") };
        assert_eq!(kind, FailureKind::Unavailable);
        assert!(message.contains("answering 2 queries at once"), "{message}");
        drop(first);
        let _again = gate.enter().expect("a place again once one is answered");
    }
}
