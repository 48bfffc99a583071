//! The live verdict (the dashboard's): checking only what was appended since the last look
//! gives, at every look, the verdict a whole `audit verify` gives; and it starts over when an
//! operator's skip changes what the earlier messages mean.

use reform_shared::audit::read::{verify_stream, LiveVerdict};
use reform_shared::audit::verify::{Verdict, Verifier};
use reform_shared::event::UnitKind;
use reform_shared::testkit::events::*;
use reform_shared::testkit::{append_all, date, loaded_message, publish_all, Broker};

async fn whole(broker: &Broker) -> Verdict {
    let mut verifier = Verifier::new();
    verify_stream(&broker.js, &mut verifier, |_| {}, |_| {}).await.expect("verifies");
    verifier.finish()
}

#[tokio::test]
async fn the_live_verdict_equals_a_whole_verify_at_every_look() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let mut live = LiveVerdict::new(Verifier::new);
    assert_eq!(live.refresh(&broker.js).await.expect("empty log"), whole(&broker).await);

    append_all(
        &appender,
        "a",
        &[
            ("2016-01-04", unit("sgd", "Sở Giáo dục", UnitKind::Department, None)),
            ("2016-01-10", assign("t1", "sgd", "Rà soát", "2016-03-31")),
        ],
    )
    .await;
    let first = live.refresh(&broker.js).await.expect("verdict");
    assert_eq!(first, whole(&broker).await);
    assert_eq!((first.messages, live.through()), (2, 2));

    // A forged message: a second first link of t1's chain, straight into the stream.
    let forged = loaded_message("forged", date("2016-02-01"), complete("t1", "sgd"));
    publish_all(&broker.js, [forged]).await;
    append_all(
        &appender,
        "b",
        &[("2016-02-10", deadline("t1", "sgd", "2016-03-31", "2016-04-30"))],
    )
    .await;
    let second = live.refresh(&broker.js).await.expect("verdict");
    assert_eq!(second, whole(&broker).await);
    assert_eq!((second.messages, live.through()), (4, 4));
    assert!(!second.passed, "the forged link is reported");
    assert!(second.problems.len() > first.problems.len(), "{second:?}");

    // Garbage on the stream, then the operator's skip of it: the earlier verdict no longer
    // holds for that sequence, so the live verdict starts over and agrees again.
    publish_all(&broker.js, [("par.evt.tasks.sgd.task.t1".to_owned(), b"garbage".to_vec())]).await;
    let with_garbage = live.refresh(&broker.js).await.expect("verdict");
    assert_eq!(with_garbage, whole(&broker).await);
    reform_shared::skips::skip_unreadable(&broker.js, 5, "rác do thử nghiệm", "tester")
        .await
        .expect("skip recorded");
    let skipped = live.refresh(&broker.js).await.expect("verdict");
    assert_eq!(skipped, whole(&broker).await);
    assert_eq!(skipped.skipped, vec![5]);
    assert_ne!(skipped, with_garbage);
}

/// A look cut short (a broker error, a visitor who gave up: here, a deadline that drops the
/// refresh mid-read) keeps what it checked, and the next look resumes after it: the verdict
/// still equals a whole verify, with no message checked twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_look_cut_short_resumes_where_it_stopped() {
    let broker = Broker::start().await;
    let on = date("2016-01-04");
    let units = (0..40_000).map(|n| {
        let id = format!("u{n}");
        loaded_message(&id, on, unit(&id, "Đơn vị", UnitKind::Division, None))
    });
    publish_all(&broker.js, units).await;
    let mut live = LiveVerdict::new(Verifier::new);
    let mut cut_short = 0;
    let mut deadline = std::time::Duration::from_millis(1);
    loop {
        match tokio::time::timeout(deadline, live.refresh(&broker.js)).await {
            Ok(verdict) => {
                let (live, whole) = (verdict.expect("verdict"), whole(&broker).await);
                // Compared whole, reported short: 40,000 problems (unsigned events) each.
                assert!(
                    live == whole,
                    "live: {} messages, {} problems; whole: {} messages, {} problems",
                    live.messages,
                    live.problems.len(),
                    whole.messages,
                    whole.problems.len()
                );
                break;
            }
            Err(_) => cut_short += 1,
        }
        deadline *= 2;
    }
    assert_eq!(live.through(), 40_000);
    assert!(cut_short > 0, "no look was cut short, so this showed nothing");
}
