//! The log layer's range reader against a real broker: a range that reaches past the head
//! reads to the head and ends (it used to wait for messages not yet appended, for ever).

use reform_shared::event::UnitKind;
use reform_shared::log::{read_raw, Range};
use reform_shared::testkit::events::unit;
use reform_shared::testkit::{append_all, Broker};
use std::ops::ControlFlow;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_past_the_head_reads_to_the_head_and_ends() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let events = [
        ("2016-01-01", unit("a", "Sở A", UnitKind::Department, None)),
        ("2016-01-01", unit("b", "Sở B", UnitKind::Department, None)),
        ("2016-01-01", unit("c", "Sở C", UnitKind::Department, None)),
    ];
    append_all(&appender, "c", &events).await;
    let js = async_nats::jetstream::new(broker.client.clone());
    let mut seen = Vec::new();
    // A guard against a hang, not a measure of speed.
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        read_raw(&js, &Range::between(1, 100), |m| {
            seen.push(m.sequence);
            ControlFlow::Continue(())
        }),
    )
    .await
    .expect("the read ends at the head");
    assert_eq!(read.expect("reads"), 3);
    assert_eq!(seen, [2, 3]);
}
