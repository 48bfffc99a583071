//! The directory at national scale: a whole directory over the broker's limit of one message
//! (1 MB) is refused at once, saying so, instead of a reply the broker drops and a request that
//! times out; the parts a page shows are answered.

mod common;

use common::*;
use reform_projector::queries::{self, DirectoryQuery};
use reform_projector::views::QueryError;
use reform_shared::event::{Event, UnitKind};
use reform_shared::reply::FailureKind;
use reform_shared::testkit::{date, id, loaded_message, publish_all, Broker};

/// Two provinces, each with departments of long names, and divisions under the first
/// department: about 1.3 MB of directory in all.
fn big_directory() -> Vec<(String, Vec<u8>)> {
    let on = date("2016-01-04");
    let mut events = Vec::new();
    for p in ["pa", "pb"] {
        events.push(Event::UnitAdded {
            unit: id(p),
            name: format!("Tỉnh {p}"),
            kind: UnitKind::Province,
            parent: None,
        });
        for d in 0..2_000 {
            events.push(Event::UnitAdded {
                unit: id(&format!("{p}-d{d}")),
                name: format!(
                    "Sở số {d} của tỉnh {p}, {}",
                    "tên dài để danh bạ vượt giới hạn ".repeat(8)
                ),
                kind: UnitKind::Department,
                parent: Some(id(p)),
            });
        }
    }
    for v in 0..3 {
        events.push(Event::UnitAdded {
            unit: id(&format!("pa-d0-v{v}")),
            name: format!("Phòng {v}"),
            kind: UnitKind::Division,
            parent: Some(id("pa-d0")),
        });
    }
    events
        .into_iter()
        .enumerate()
        .map(|(i, e)| loaded_message(&format!("dir-{i}"), on, e))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_over_the_message_limit_is_refused_at_once_and_its_parts_answered() {
    let broker = Broker::start().await;
    let last = publish_all(&broker.js, big_directory()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let projector = InProcess::start(&broker, &dir.path().join("views.redb"));
    caught_up(&broker.client, last).await;

    // The whole: refused, naming the size and the limit; not a timeout (that is `Transport`).
    let whole = queries::directory(&broker.client).await.expect_err("over the limit");
    match &whole {
        queries::ViewError::Failed { kind: FailureKind::Invalid, message } => {
            assert!(message.contains("the broker's limit is 1048576 bytes"), "{message}");
            assert!(message.contains("under and depth"), "{message}");
        }
        other => panic!("expected an invalid answer, got {other:?}"),
    }

    // The provinces alone.
    let top = DirectoryQuery { under: None, depth: Some(0), person: None };
    let part = queries::directory_part(&broker.client, &top).await.expect("the provinces");
    let units: Vec<String> = part.units.iter().map(|u| u.unit.to_string()).collect();
    assert_eq!(units, ["pa", "pb"]);

    // A province and its departments: 2,001 units, under the limit.
    let province = DirectoryQuery { under: Some(id("pa")), depth: Some(1), person: None };
    let part = queries::directory_part(&broker.client, &province).await.expect("a province");
    assert_eq!(part.units.len(), 2_001);
    assert!(part.units.iter().all(|u| u.unit.as_str().starts_with("pa")));

    // A department: its province above it, its divisions below, nothing of its siblings.
    let department = DirectoryQuery { under: Some(id("pa-d0")), depth: None, person: None };
    let part = queries::directory_part(&broker.client, &department).await.expect("a department");
    let units: Vec<String> = part.units.iter().map(|u| u.unit.to_string()).collect();
    assert_eq!(units, ["pa", "pa-d0", "pa-d0-v0", "pa-d0-v1", "pa-d0-v2"]);

    // An unknown unit is not found, by name.
    let unknown = DirectoryQuery { under: Some(id("nowhere")), depth: None, person: None };
    match queries::directory_part(&broker.client, &unknown).await {
        Err(queries::ViewError::Failed { kind: FailureKind::NotFound, message }) => {
            assert_eq!(message, QueryError::UnknownUnit(id("nowhere")).to_string());
        }
        other => panic!("expected not-found, got {other:?}"),
    }
    projector.stop().await.expect("clean stop");
}
