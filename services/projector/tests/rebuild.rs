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

/// The endpoints each running projector serves, from the services API's INFO (every instance
/// answers it).
async fn served_endpoints(client: &async_nats::Client) -> Vec<Vec<String>> {
    use futures::StreamExt as _;
    let inbox = client.new_inbox();
    let mut answers = client.subscribe(inbox.clone()).await.expect("subscribe");
    client.publish_with_reply("$SRV.INFO.par-projector", inbox, "".into()).await.expect("publish");
    let mut out = Vec::new();
    let until = tokio::time::Instant::now() + std::time::Duration::from_millis(500);
    while let Ok(Some(message)) = tokio::time::timeout_at(until, answers.next()).await {
        let info: serde_json::Value = serde_json::from_slice(&message.payload).expect("info");
        let names = info["endpoints"]
            .as_array()
            .map(|e| e.iter().filter_map(|e| e["name"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        out.push(names);
    }
    out
}

/// Rebuild without downtime (#15): a second projector builds a new views file beside the live
/// one, on its own consumer, and answers no view until it has caught up; queries asked all the
/// while are all answered, with the same view, before, during and after the old one stops; and
/// the two files hold the same views byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_keep_answering_while_a_new_views_file_is_built_beside_the_live_one() {
    use reform_projector::queries::{self, UnitQuery};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    append_all(&appender, "s", &scenario()).await;
    // Enough for the rebuild to take a while: a few thousand more tasks.
    let titles: Vec<String> = (0..3000).map(|i| format!("t-extra-{i}")).collect();
    let extra: Vec<(&str, reform_shared::event::Event)> =
        titles.iter().map(|t| ("2016-02-01", assign(t, "sgd", "Nhiệm vụ", "2016-12-31"))).collect();
    let head = append_all(&appender, "x", &extra).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let old = InProcess::start(&broker, &dir.path().join("old.redb"));
    caught_up(&broker.client, head).await;
    let query = UnitQuery {
        unit: reform_shared::testkit::id("sgd"),
        year: 2016,
        as_of: Some(reform_shared::testkit::date("2016-12-31")),
    };
    let expected = queries::unit(&broker.client, &query).await.expect("the live views answer");
    assert_eq!(expected.tasks.assigned, 3000 + 6, "the scenario's six tasks and the extra ones");

    // Someone reading the dashboard the whole time.
    let (answered, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (stop_reading, mut reading_stopped) = tokio::sync::watch::channel(false);
    let reader = {
        let (client, query, expected) = (broker.client.clone(), query.clone(), expected.clone());
        let (answered, failed) = (answered.clone(), failed.clone());
        tokio::spawn(async move {
            while !*reading_stopped.borrow_and_update() {
                match queries::unit(&client, &query).await {
                    Ok(view) if view == expected => answered.fetch_add(1, Ordering::SeqCst),
                    _ => failed.fetch_add(1, Ordering::SeqCst),
                };
            }
        })
    };

    let new_path = dir.path().join("new.redb");
    let config = reform_projector::Config {
        consumer: "par-projector-green".into(),
        ..reform_projector::Config::new(new_path.clone())
    };
    let (stop_new, new_stopped) = tokio::sync::oneshot::channel::<()>();
    let new = tokio::spawn(reform_projector::run(broker.client.clone(), config, async {
        let _ = new_stopped.await;
    }));
    // Until it has caught up, the new one serves its status only; then the views too.
    reform_shared::testkit::eventually(
        "the new projector to serve the views",
        std::time::Duration::from_secs(120),
        || async {
            let served = served_endpoints(&broker.client).await;
            (served.len() == 2 && served.iter().all(|e| e.iter().any(|n| n == "unit")))
                .then_some(())
        },
    )
    .await;
    let before_swap = answered.load(Ordering::SeqCst);
    old.stop().await.expect("the old projector stops cleanly");
    let stopped_at = answered.load(Ordering::SeqCst);
    reform_shared::testkit::eventually(
        "queries answered by the new projector alone",
        std::time::Duration::from_secs(30),
        || async { (answered.load(Ordering::SeqCst) >= stopped_at + 50).then_some(()) },
    )
    .await;
    let _ = stop_reading.send(true);
    reader.await.expect("the reader ends");
    assert_eq!(
        failed.load(Ordering::SeqCst),
        0,
        "a query failed or saw other views during the rebuild"
    );
    assert!(before_swap > 0, "queries were answered while the new file was built");
    let _ = stop_new.send(());
    new.await.expect("joins").expect("the new projector stops cleanly");
    let old_views = Store::open(&dir.path().join("old.redb")).expect("open").dump().expect("dump");
    let new_views = Store::open(&new_path).expect("open").dump().expect("dump");
    assert_eq!(old_views, new_views, "the rebuilt views equal the live ones");
}
