//! `reformctl rollup` against a real nats-server and the rollup service: close, list, show
//! (regenerated and checked against the event's digest), diff.

mod common;

use common::reformctl;

use reform_shared::event::UnitKind;
use reform_shared::testkit::events::*;
use reform_shared::testkit::{append_all, eventually, key_file, Broker};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_list_show_and_diff_a_period_from_the_cli() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let events = [
        ("2016-01-01", genesis("kiem-toan")),
        ("2016-01-01", unit("sgd", "Sở Giáo dục", UnitKind::Department, None)),
        ("2016-01-10", assign("t1", "sgd", "Rà soát", "2016-03-31")),
        ("2016-03-20", complete("t1", "sgd")),
    ];
    append_all(&appender, "c", &events).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = tokio::spawn(reform_rollup::run(
        broker.client.clone(),
        reform_rollup::Config::default(),
        reform_rollup::SystemClock,
        async {
            let _ = stopped.await;
        },
    ));
    let client = broker.client.clone();
    eventually("the rollup service to answer", Duration::from_secs(30), || {
        let client = client.clone();
        async move { client.request("$SRV.PING.par-rollup", "".into()).await.ok().map(|_| ()) }
    })
    .await;
    let url = broker.server.url().to_owned();
    let cli = move |args: &[&str]| {
        let url = url.clone();
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        async move {
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                reformctl(&url, &args)
            })
            .await
            .expect("joins")
        }
    };
    // The service closes 2016's periods on its own (the test's events were recorded in 2016),
    // so closing by hand answers with the first close.
    let keys = tempfile::tempdir().expect("temp dir");
    let admin = key_file(keys.path(), "kiem-toan").display().to_string();
    let stranger = key_file(keys.path(), "someone").display().to_string();
    // Closing by hand is an administrator's: anyone else is denied (exit 9).
    let denied =
        cli(&["--actor", "someone", "--key", &stranger, "rollup", "close", "2016-q1"]).await;
    assert_eq!(denied.status.code(), Some(9), "{}", String::from_utf8_lossy(&denied.stderr));
    let closed =
        cli(&["--actor", "kiem-toan", "--key", &admin, "rollup", "close", "2016-q1"]).await;
    assert!(closed.status.success(), "{}", String::from_utf8_lossy(&closed.stderr));
    let text = eventually("2016's four periods to be closed", Duration::from_secs(60), || {
        let cli = cli.clone();
        async move {
            let listed = cli(&["rollup", "list", "--year", "2016"]).await;
            let text = String::from_utf8_lossy(&listed.stdout).to_string();
            (text.lines().count() == 4).then_some(text)
        }
    })
    .await;
    let order: Vec<&str> =
        text.lines().map(|l| l.split_whitespace().next().unwrap_or("")).collect();
    assert_eq!(order, ["2016-q1", "2016-h1", "2016-q3", "2016-year"], "{text}");
    let shown = cli(&["rollup", "show", "2016-q1", "--format", "csv"]).await;
    let csv = String::from_utf8_lossy(&shown.stdout).to_string();
    assert!(csv.starts_with("\u{feff}period,unit,name,kind,parent,assigned,done_on_time"), "{csv}");
    assert!(csv.contains("2016-q1,sgd,Sở Giáo dục,department,,1,1,0,0,0,0,100.00,0,"), "{csv}");
    let diff = cli(&["rollup", "diff", "2016-q1"]).await;
    assert!(
        String::from_utf8_lossy(&diff.stdout).contains("không có số liệu nào thay đổi"),
        "{}",
        String::from_utf8_lossy(&diff.stdout)
    );
    let unknown = cli(&["rollup", "show", "2016-q2"]).await;
    assert_eq!(unknown.status.code(), Some(2), "2016-q2 is no period: a command-line error");
    // The auditor builds every report the service closed again, from the log before it.
    let verified = cli(&["audit", "verify", "--allow-unsigned"]).await;
    let said = String::from_utf8_lossy(&verified.stdout).to_string();
    assert_eq!(verified.status.code(), Some(0), "{said}");
    let rebuilt: u64 = said
        .trim()
        .split(", ")
        .find_map(|part| part.strip_suffix(" period reports built again from the log"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(rebuilt >= 4, "at least 2016's four closes: {said}");
    let _ = stop.send(());
    service.await.expect("joins").expect("stops cleanly");
}
