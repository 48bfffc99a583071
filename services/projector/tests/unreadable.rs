//! An event the projector cannot decode stops it with an error naming the stream sequence;
//! nothing after it is applied, everything before it is; and the operator's way past it
//! (`skip` of exactly that sequence, recorded in the views file) works.

mod common;

use common::*;
use reform_projector::store::Store;
use reform_projector::Error;
use reform_shared::codec::DecodeError;
use reform_shared::testkit::Broker;

#[tokio::test]
async fn garbage_on_the_stream_stops_the_projector_naming_its_sequence() {
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
    let stopped = tokio::time::timeout(CATCH_UP_DEADLINE, projector.handle)
        .await
        .expect("the projector stops by itself")
        .expect("no panic");
    let error = stopped.expect_err("an unreadable event is an error");
    assert_eq!(error.sequence(), Some(bad));
    assert!(matches!(
        error,
        Error::Unreadable { source: DecodeError::Truncated { .. }, .. }
            | Error::Unreadable { source: DecodeError::DigestMismatch, .. }
            | Error::Unreadable { source: DecodeError::Malformed { .. }, .. }
            | Error::Unreadable { source: DecodeError::FutureVersion { .. }, .. }
            | Error::Unreadable { source: DecodeError::UnknownVersion { .. }, .. }
    ));
    let text = error.to_string();
    assert!(text.contains(&format!("stream sequence {bad}")), "{text}");
    println!("the projector stopped with: {text}");

    // Everything before the bad event is applied, nothing after it.
    {
        let store = Store::open(&db).expect("open");
        assert_eq!(store.applied_through().expect("checkpoint"), before);
        // Restarting without a decision stops again at the same place.
        drop(store);
        let again = InProcess::start(&broker, &db);
        let error = again.handle.await.expect("no panic").expect_err("stops again");
        assert_eq!(error.sequence(), Some(bad));
        // Only the next sequence can be skipped.
        let store = Store::open(&db).expect("open");
        assert!(store.skip(bad + 1, "wrong one").is_err());
        store.skip(bad, "garbage published by hand during an incident").expect("skip");
    }
    let resumed = InProcess::start(&broker, &db);
    caught_up(&broker.client, after).await;
    resumed.stop().await.expect("clean stop");
    let store = Store::open(&db).expect("open");
    let live = store.dump().expect("dump");
    assert_eq!(live.applied_through, after);
    assert_eq!(live.events_applied, after - 1);
    assert_eq!(store.skipped().expect("skips").len(), 1);
    drop(store);
    // A rebuild makes the same skip, so it still equals the live views.
    let rebuilt =
        reform_projector::rebuild(broker.client.clone(), reform_projector::Config::new(db))
            .await
            .expect("rebuild");
    assert_eq!(rebuilt, live);
}
