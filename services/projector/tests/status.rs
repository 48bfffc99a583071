//! A status query that names a sequence is answered the moment the views hold it, so a client
//! that has just had a command recorded waits once instead of asking again and again; its wait
//! is bounded, and a malformed one is refused.

mod common;

use common::*;
use reform_projector::queries::{self, Answer, Status, StatusQuery, SUBJECT_STATUS};
use reform_shared::event::{Event, UnitKind};
use reform_shared::reply::{FailureKind, Found};
use reform_shared::testkit::{date, id, loaded_message, publish_all, Broker};
use std::time::Duration;

fn unit(u: &str) -> Event {
    Event::UnitAdded {
        unit: id(u),
        name: format!("Sở {u}"),
        kind: UnitKind::Department,
        parent: None,
    }
}

async fn ask(client: &async_nats::Client, body: Vec<u8>) -> Answer<Status> {
    let message = client.request(SUBJECT_STATUS, body.into()).await.expect("the status answers");
    serde_json::from_slice(&message.payload).expect("a status answer")
}

#[tokio::test]
async fn a_status_query_for_a_sequence_answers_once_the_views_hold_it_and_no_later_than_asked() {
    let broker = Broker::start().await;
    let first = publish_all(&broker.js, [loaded_message("a", date("2016-01-04"), unit("a"))]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let projector = InProcess::start(&broker, &dir.path().join("views.redb"));
    caught_up(&broker.client, first).await;

    // Asked for the next sequence before it exists: the one answer comes once it is applied.
    let query = StatusQuery { through: Some(first + 1), within_ms: Some(30_000) };
    let body = serde_json::to_vec(&query).expect("json");
    let waiting = tokio::spawn({
        let client = broker.client.clone();
        async move { ask(&client, body).await }
    });
    broker.client.flush().await.expect("flush");
    let next = publish_all(&broker.js, [loaded_message("b", date("2016-01-05"), unit("b"))]).await;
    match waiting.await.expect("the waiting query") {
        Answer::Ok(Found { view }) => assert_eq!(view.applied_through, next),
        other => panic!("expected the status, got {other:?}"),
    }

    // A sequence that will not come within the time asked: the status as it stands.
    let query = StatusQuery { through: Some(next + 100), within_ms: Some(20) };
    let answer = ask(&broker.client, serde_json::to_vec(&query).expect("json")).await;
    assert_eq!(answer, Answer::Ok(Found { view: Status { applied_through: next } }));
    let status = queries::status_through(&broker.client, next + 100, Duration::from_millis(20))
        .await
        .expect("the status, short of the sequence");
    assert_eq!(status.applied_through, next);

    // Old clients' bodies still ask for the status at once; a malformed one is refused.
    for body in [&b""[..], b"null", b"{}"] {
        let answer = ask(&broker.client, body.to_vec()).await;
        assert_eq!(answer, Answer::Ok(Found { view: Status { applied_through: next } }));
    }
    match ask(&broker.client, br#"{"through": "soon"}"#.to_vec()).await {
        Answer::Failed { kind: FailureKind::Invalid, message, .. } => {
            assert!(message.contains("not a valid query"), "{message}")
        }
        other => panic!("expected the query refused, got {other:?}"),
    }
    projector.stop().await.expect("clean stop");
}
