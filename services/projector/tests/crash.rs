//! Crash consistency. The failure this guards against: a projector killed between applying a
//! batch and recording how far it got would, on restart, apply some events twice or skip some.
//! Here the real `reform-projector` binary is killed with SIGKILL at varied points (during
//! start-up, right after a commit was observed, while batches flow) while events keep being
//! appended; after a last restart the views must equal a clean rebuild byte for byte, with the
//! checkpoint at the stream's last sequence and every event counted exactly once.

mod common;

use common::*;
use reform_projector::queries;
use reform_projector::store::Store;
use reform_shared::event::{Event, Stage, UnitKind};
use reform_shared::subject::STREAM_NAME;
use reform_shared::testkit::{eventually, Broker};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// How many times the projector is killed.
const KILLS: usize = 15;
/// How many events flow while it is being killed.
const FLOWING_EVENTS: usize = 1200;

fn spawn_projector(broker: &Broker, db: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_reform-projector"))
        .arg("--db")
        .arg(db)
        .env("NATS_URL", broker.server.url())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the projector binary starts")
}

fn kill(mut child: Child) {
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
}

/// A steady mix of what the command services append: tasks assigned, completed, cancelled,
/// moved deadlines, scores and evidence across a few units.
fn flowing_events() -> Vec<(&'static str, Event)> {
    let mut events = vec![
        ("2016-01-01", unit("st", "Tỉnh Sóc Trăng", UnitKind::Province, None)),
        ("2016-01-01", unit("sgd", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("st"))),
        ("2016-01-01", unit("snv", "Sở Nội vụ", UnitKind::Department, Some("st"))),
        ("2016-01-01", unit("sgd-vp", "Văn phòng Sở", UnitKind::Division, Some("sgd"))),
        ("2016-01-01", framework_2016()),
    ];
    let units = ["sgd", "snv", "sgd-vp"];
    let days = ["2016-02-01", "2016-04-15", "2016-06-30", "2016-09-09", "2016-11-20"];
    let mut i = 0usize;
    while events.len() < FLOWING_EVENTS {
        let unit_id = units[i % units.len()];
        let day = days[i % days.len()];
        let task: &'static str = Box::leak(format!("t{i}").into_boxed_str());
        events.push((day, assign(task, unit_id, "Nhiệm vụ CCHC", "2016-06-30")));
        match i % 4 {
            0 => events.push(("2016-07-02", complete(task, unit_id))),
            1 => events.push(("2016-05-01", deadline(task, unit_id, "2016-06-30", "2016-08-31"))),
            2 => events.push(("2016-03-01", cancel(task, unit_id))),
            _ => {}
        }
        let code = ["1.1", "1.2", "2.1", "3.1"][i % 4];
        let stage = Stage::ALL[i % 3];
        events.push(("2016-12-20", score(unit_id, 2016, code, stage, None, (i % 900) as u32)));
        if i.is_multiple_of(5) {
            let e: &'static str = Box::leak(format!("e{i}").into_boxed_str());
            events.push(("2016-10-10", evidence(e, unit_id, Some(code), "2016-10-10")));
        }
        i += 1;
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_any_point_the_projector_resumes_without_loss_or_repeat() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("views.redb");
    let publisher = tokio::spawn(async move {
        let events = flowing_events();
        append_all(&appender, "flow", &events).await
    });

    for run in 0..KILLS {
        let child = spawn_projector(&broker, &db);
        match run % 3 {
            // Killed during start-up: opening redb, recreating the consumer.
            0 => {}
            // Killed right after a commit was observed.
            1 => {
                eventually("the projector to answer", CATCH_UP_DEADLINE, || async {
                    queries::status(&broker.client).await.ok()
                })
                .await;
            }
            // Killed while batches flow: after the checkpoint moved past where it started.
            _ => {
                let start = eventually("the projector to answer", CATCH_UP_DEADLINE, || async {
                    queries::status(&broker.client).await.ok()
                })
                .await
                .applied_through;
                let published = broker.stream_messages().await;
                if published > start {
                    caught_up(&broker.client, start + 1).await;
                }
            }
        }
        kill(child);
    }

    let last = publisher.await.expect("publisher");
    let child = spawn_projector(&broker, &db);
    caught_up(&broker.client, last).await;
    kill(child);

    let live = Store::open(&db).expect("open").dump().expect("dump");
    let mut stream = broker.js.get_stream(STREAM_NAME).await.expect("stream");
    let stream_last = stream.info().await.expect("info").state.last_sequence;
    assert_eq!(live.applied_through, stream_last);
    assert_eq!(live.events_applied, stream_last, "every event applied exactly once");
    let rebuilt = reform_projector::rebuild(
        broker.client.clone(),
        reform_projector::Config::new(dir.path().join("clean.redb")),
    )
    .await
    .expect("rebuild");
    assert_eq!(live, rebuilt);
}
