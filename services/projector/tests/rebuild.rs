//! Rebuild equals live: dropping the views and projecting the whole stream again gives the
//! same tables byte for byte (compared by the canonical dump), in place or in a fresh file.

mod common;

use common::*;
use reform_projector::store::Store;
use reform_projector::Config;
use reform_shared::testkit::Broker;

#[tokio::test]
async fn rebuild_equals_live_byte_for_byte() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let live_path = dir.path().join("live.redb");
    // Events arrive while the projector runs, so the live views are built in many batches.
    let projector = InProcess::start(&broker, &live_path);
    let events = scenario();
    let (first, second) = events.split_at(events.len() / 2);
    let middle = append_all(&appender, "first", first).await;
    caught_up(&broker.client, middle).await;
    let last = append_all(&appender, "second", second).await;
    caught_up(&broker.client, last).await;
    projector.stop().await.expect("clean stop");

    let live = Store::open(&live_path).expect("open").dump().expect("dump");
    assert_eq!(live.applied_through, last);
    assert_eq!(live.events_applied, last);

    // In a fresh file.
    let fresh_path = dir.path().join("fresh.redb");
    let fresh = reform_projector::rebuild(broker.client.clone(), Config::new(fresh_path))
        .await
        .expect("rebuild");
    assert_eq!(fresh, live);

    // In place: the views are dropped first, so this proves nothing survives from before.
    let again = reform_projector::rebuild(broker.client.clone(), Config::new(live_path.clone()))
        .await
        .expect("rebuild in place");
    assert_eq!(again, live);

    // A different log gives a different dump: the comparison can fail.
    append_all(&appender, "extra", &[("2017-04-01", complete("t3", "sgd"))]).await;
    let other = reform_projector::rebuild(broker.client.clone(), Config::new(live_path))
        .await
        .expect("rebuild");
    assert_ne!(other.sha256, live.sha256);
}
