//! `reformctl task show`: a task's whole history from the log, in order, with its evidence,
//! across a move to another unit.

mod common;

use common::reformctl;
use reform_shared::event::{Event, UnitKind};
use reform_shared::testkit::events::*;
use reform_shared::testkit::{append_all, id, Broker};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_show_lists_every_step_with_its_evidence() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let mut attached = evidence("e1", "vp", None, "2016-05-02");
    if let Event::EvidenceAttached { task, .. } = &mut attached {
        *task = Some(id("t1"));
    }
    let events = [
        ("2016-01-01", unit("sgd", "Sở Giáo dục", UnitKind::Department, None)),
        ("2016-01-10", assign("t1", "sgd", "Rà soát thủ tục", "2016-03-31")),
        ("2016-01-12", assign("t2", "sgd", "Việc khác", "2016-03-31")),
        ("2016-03-20", deadline("t1", "sgd", "2016-03-31", "2016-05-31")),
        ("2016-04-01", reassign("t1", "sgd", "vp")),
        ("2016-05-02", attached),
        ("2016-05-03", complete("t1", "vp")),
        ("2016-05-04", evidence("e2", "vp", None, "2016-05-04")),
    ];
    append_all(&appender, "s", &events).await;
    let url = broker.server.url().to_owned();
    let out =
        tokio::task::spawn_blocking(move || reformctl(&url, &["--json", "task", "show", "t1"]))
            .await
            .expect("joins");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let steps: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let kinds: Vec<&str> =
        steps.as_array().expect("steps").iter().filter_map(|s| s["event"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "task-assigned",
            "deadline-changed",
            "task-reassigned",
            "evidence-attached",
            "task-completed"
        ]
    );
    assert!(
        steps[1]["what"].as_str().is_some_and(|w| w.contains("2016-03-31 → 2016-05-31")),
        "{steps}"
    );
    assert_eq!(steps[1]["label"], "Điều chỉnh hạn", "people read what a step is in Vietnamese");
    assert_eq!(steps[4]["on"], "2016-05-03");
    assert_eq!(steps[4]["by"], "tester");

    let url = broker.server.url().to_owned();
    let none = tokio::task::spawn_blocking(move || reformctl(&url, &["task", "show", "t9"]))
        .await
        .expect("joins");
    assert_eq!(none.status.code(), Some(6), "an unknown task is not found");
}
