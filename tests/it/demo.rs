//! The demo province, loaded through the real command services on a real broker.

use reform_shared::testkit::Broker;
use reformctl::demo;
use reformctl::up::Shutdown;
use tokio::sync::watch;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_loads_through_the_services_and_a_second_load_appends_nothing() {
    let broker = Broker::start().await;
    let (stop, stopped) = watch::channel(false);
    let services =
        reformctl::up_services::start_command_services(&broker.client, &Shutdown::new(stopped))
            .await
            .expect("services start");
    let data = demo::parse(demo::PROVINCE_JSON).expect("demo parses");

    let first = demo::load(&broker.client, &data, false).await.expect("demo loads");
    let events = broker.stream_messages().await;
    assert_eq!(first.already, 0);
    assert_eq!(u64::try_from(first.appended).expect("fits"), events);
    assert!(events > 2_500, "only {events} events");

    let second = demo::load(&broker.client, &data, false).await.expect("demo loads again");
    assert_eq!(second, demo::Loaded { appended: 0, already: first.appended });
    assert_eq!(broker.stream_messages().await, events);

    let _ = stop.send(true);
    for (name, handle) in services {
        handle.await.expect("joins").unwrap_or_else(|e| panic!("{name} failed: {e}"));
    }
}
