//! An event the projector cannot decode halts it at that stream sequence, saying so in its
//! stats; nothing after it is applied, everything before it is; and the operator's way past it
//! (a skip of exactly those bytes, recorded beside the log) lets it resume by itself.

mod common;

use common::*;
use reform_projector::store::Store;
use reform_shared::service::health::{Health, Reader};
use reform_shared::testkit::Broker;

#[tokio::test]
async fn garbage_on_the_stream_halts_the_projector_until_an_operator_skips_it() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("views.redb");
    let events = scenario();
    let before = append_all(&appender, "before", &events[..20]).await;
    // Garbage published straight onto an event subject, bypassing the appender.
    let ack = broker
        .js
        .publish("par.evt.tasks.sgd.task.garbage", "not an event at all".into())
        .await
        .expect("publish")
        .await
        .expect("stored");
    let bad = ack.sequence;
    assert_eq!(bad, before + 1);
    let after = append_all(&appender, "after", &events[20..]).await;

    let projector = InProcess::start(&broker, &db);
    // It halts at the bad event: everything before is applied, it says why in its stats, and
    // it keeps answering queries.
    let halted = halted_health(&broker.client).await;
    assert_eq!(halted.halted_at, Some(bad));
    let text = halted.last_error.unwrap_or_default();
    assert!(
        text.contains(&format!("event at stream sequence {bad} is unreadable: message is damaged")),
        "{text}"
    );
    assert_eq!(caught_up(&broker.client, before).await, before);
    println!("the projector halted with: {text}");

    // The operator's skip, recorded once beside the log for exactly these bytes.
    let payload = broker
        .js
        .get_stream("PAR_EVENTS")
        .await
        .expect("stream")
        .direct_get(bad)
        .await
        .expect("raw")
        .payload;
    let skip = reform_shared::skips::Skip {
        sequence: bad,
        payload_sha256: reform_shared::skips::payload_sha256(&payload),
        reason: "garbage published by hand during an incident".into(),
        by: "operator".into(),
        recorded_at: "2026-12-01T10:00:00+07:00".into(),
        unreadable_because: text.clone(),
    };
    reform_shared::skips::record(&broker.js, &skip).await.expect("skip recorded");
    caught_up(&broker.client, after).await;
    projector.stop().await.expect("clean stop");
    let store = Store::open(&db).expect("open");
    let live = store.dump().expect("dump");
    assert_eq!(live.applied_through, after);
    assert_eq!(live.events_applied, after - 1);
    drop(store);
    // A rebuild makes the same skip, so it still equals the live views.
    let rebuilt =
        reform_projector::rebuild(broker.client.clone(), reform_projector::Config::new(db))
            .await
            .expect("rebuild");
    assert_eq!(rebuilt, live);
}

/// Waits until the projector's stats say it is halted.
async fn halted_health(client: &async_nats::Client) -> Health {
    reform_shared::testkit::eventually(
        "the projector to report a halt",
        CATCH_UP_DEADLINE,
        || async {
            let reply = client.request("$SRV.STATS.par-projector", "".into()).await.ok()?;
            let stats: serde_json::Value = serde_json::from_slice(&reply.payload).ok()?;
            let data = stats["endpoints"].as_array()?.iter().find_map(|e| e.get("data"))?.clone();
            let health: Health = serde_json::from_value(data).ok()?;
            (health.reader == Reader::Halted).then_some(health)
        },
    )
    .await
}
