//! A projector answers a bounded number of queries at once: one more is turned away at once,
//! `unavailable` and saying why, instead of queued without bound; its status still answers.

mod common;

use common::*;
use reform_projector::queries::{self, UnitQuery};
use reform_shared::event::{Event, UnitKind};
use reform_shared::reply::FailureKind;
use reform_shared::testkit::{date, id, loaded_message, publish_all, Broker};

#[tokio::test]
async fn a_query_over_the_projectors_allowance_is_turned_away_and_its_status_still_answers() {
    let broker = Broker::start().await;
    let province = Event::UnitAdded {
        unit: id("st"),
        name: "Tỉnh Sóc Trăng".into(),
        kind: UnitKind::Province,
        parent: None,
    };
    let last = publish_all(&broker.js, [loaded_message("p", date("2016-01-04"), province)]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = reform_projector::Config::new(dir.path().join("views.redb"));
    // No place at all: every view is over the allowance, deterministically.
    config.queries_in_flight_max = 0;
    let projector = InProcess::with_config(&broker, config);
    caught_up(&broker.client, last).await;
    let q = UnitQuery { unit: id("st"), year: 2016, as_of: None };
    match queries::unit(&broker.client, &q).await {
        Err(queries::ViewError::Failed { kind: FailureKind::Unavailable, message }) => {
            assert!(message.contains("answering 0 queries at once"), "{message}");
        }
        other => panic!("expected the query turned away, got {other:?}"),
    }
    let status = queries::status(&broker.client).await.expect("the status answers");
    assert_eq!(status.applied_through, last);
    projector.stop().await.expect("clean stop");
}
