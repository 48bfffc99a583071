//! The demo province, loaded through the real command services on a real broker, projected by
//! the real projector: the ranks and rank changes the seed articles report must come out of the
//! projector's views.

use reform_projector::queries::{self, RankingQuery, UnitQuery};
use reform_projector::views::Ranking;
use reform_shared::event::{Stage, UnitKind};
use reform_shared::testkit::{eventually, id, Broker};
use reformctl::demo;
use reformctl::shutdown::Shutdown;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::watch;

/// Rank and rank change of each unit of a ranking, by unit id.
fn ranks(ranking: &Ranking) -> BTreeMap<String, (Option<u32>, Option<i64>)> {
    ranking.entries.iter().map(|e| (e.unit.to_string(), (e.rank, e.rank_change))).collect()
}

async fn ranking(client: &async_nats::Client, parent: &str, kind: UnitKind, year: u16) -> Ranking {
    let query = RankingQuery { parent: id(parent), kind, year, as_of: None };
    queries::ranking(client, &query).await.expect("ranking answers")
}

/// The four command services on `broker`, as `up` runs them: what stops them, their shutdown
/// (for a projector beside them) and their supervisors.
pub(crate) async fn command_services(
    broker: &Broker,
) -> (watch::Sender<bool>, Shutdown, Vec<reformctl::up_services::Running>) {
    let (stop, stopped) = watch::channel(false);
    let shutdown = Shutdown::new(stopped);
    let (supervisor, _fatal) = reformctl::up_services::Supervisor::new(&broker.client, &shutdown)
        .await
        .expect("the log is there");
    let services =
        reformctl::up_services::start_command_services(&supervisor).await.expect("services start");
    (stop, shutdown, services)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_loads_once_and_the_projector_shows_the_published_ranks() {
    let broker = Broker::start().await;
    let (stop, shutdown, services) = command_services(&broker).await;
    let data = demo::parse(demo::COMMANDS_JSONL).expect("demo parses");

    let dir = tempfile::tempdir().expect("tempdir");
    let keys = demo::DemoKeys::ensure(&dir.path().join("keys"), &data).expect("demo keys");
    let genesis = demo::genesis(&broker.js, &keys).await.expect("genesis");
    assert!(genesis.is_some(), "a fresh log gets its administrator");
    assert_eq!(demo::genesis(&broker.js, &keys).await.expect("again"), None, "only once");
    let first = demo::load(&broker.client, &data, &keys, false).await.expect("demo loads");
    let events = broker.stream_messages().await;
    assert_eq!(first.already, 0);
    assert_eq!(u64::try_from(first.appended).expect("fits") + 1, events, "genesis and the demo");
    let second = demo::load(&broker.client, &data, &keys, false).await.expect("demo loads again");
    assert_eq!(second, demo::Loaded { appended: 0, already: first.appended });
    assert_eq!(broker.stream_messages().await, events, "the second load appended something");

    let views = tempfile::tempdir().expect("tempdir");
    let config = reform_projector::Config::new(views.path().join("views.redb"));
    let projector =
        tokio::spawn(reform_projector::run(broker.client.clone(), config, shutdown.clone().wait()));
    let client = broker.client.clone();
    eventually("the projector to apply the whole demo", Duration::from_secs(120), || {
        let client = client.clone();
        async move {
            let status = queries::status(&client).await.ok()?;
            (status.applied_through == events).then_some(())
        }
    })
    .await;

    // Sóc Trăng's districts, 2015 (articles 001 and 004).
    let districts = ranks(&ranking(&client, "soc-trang", UnitKind::District, 2015).await);
    let expected = [
        ("st-long-phu", 1, 0),
        ("st-my-xuyen", 2, 6),
        ("st-tran-de", 3, 7),
        ("st-cu-lao-dung", 4, 1),
        ("st-my-tu", 5, 1),
        ("st-tp-soc-trang", 8, 1),
        ("st-chau-thanh", 10, -6),
        ("st-ke-sach", 6, -4),
        ("st-vinh-chau", 9, -2),
        ("st-nga-nam", 11, 0),
    ];
    for (unit, rank, change) in expected {
        assert_eq!(districts[unit], (Some(rank), Some(change)), "{unit}");
    }
    let districts_2014 = ranks(&ranking(&client, "soc-trang", UnitKind::District, 2014).await);
    assert_eq!(districts_2014["st-my-xuyen"].0, Some(8));
    assert_eq!(districts_2014["st-tran-de"].0, Some(10), "second to last in 2014");
    assert_eq!(districts_2014["st-nga-nam"].0, Some(11), "last in 2014 too");

    // Sóc Trăng's 22 departments: 14 up, 8 down; education up 9 places.
    let departments = ranking(&client, "soc-trang", UnitKind::Department, 2015).await;
    assert_eq!(departments.group_size, 22);
    let changes: Vec<i64> = departments.entries.iter().filter_map(|e| e.rank_change).collect();
    assert_eq!(changes.iter().filter(|c| **c > 0).count(), 14);
    assert_eq!(changes.iter().filter(|c| **c < 0).count(), 8);
    assert_eq!(ranks(&departments)["st-sgddt"], (Some(6), Some(9)));

    // The province's own 2015 PAR INDEX total: 86.15.
    let province = UnitQuery { unit: id("soc-trang"), year: 2015, as_of: None };
    let province = queries::unit(&client, &province).await.expect("unit answers");
    let final_total = province
        .scores
        .stages
        .iter()
        .find(|s| s.stage == Stage::Final)
        .and_then(|s| s.total_hundredths);
    assert_eq!(final_total, Some(8615));

    // Hải Dương's education department: 16/18, 9/18, 5/18.
    for (year, rank) in [(2021, 16), (2022, 9), (2023, 5)] {
        let group = ranking(&client, "hai-duong", UnitKind::Department, year).await;
        assert_eq!(group.group_size, 18);
        assert_eq!(ranks(&group)["hd-sgddt"].0, Some(rank), "{year}");
    }

    let _ = stop.send(true);
    projector.await.expect("joins").expect("projector stops cleanly");
    for (name, handle) in services {
        handle.await.unwrap_or_else(|e| panic!("{name}'s supervisor failed: {e}"));
    }
}

/// Runs one of the demo's python scripts from the repository root; its output on failure.
fn python(args: &[&str]) -> std::process::Output {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("root");
    std::process::Command::new("python3").args(args).current_dir(root).output().expect("python3")
}

#[test]
fn the_demo_file_is_what_the_generator_writes_and_holds_the_published_facts() {
    let generated = python(&["demo/generate.py", "--check"]);
    assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
    let checked = python(&["demo/check.py"]);
    let out = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "{out}{}", String::from_utf8_lossy(&checked.stderr));
    assert!(out.contains("OK: all"), "{out}");
    // The checker fails on a file that breaks a published fact: Long Phú's 2015 first place.
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/commands.jsonl"),
    )
    .expect("demo file");
    let broken: String = text
        .lines()
        .filter(|line| !(line.contains("\"score:") && line.contains("\"unit\": \"st-long-phu\"")))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(broken.len() < text.len(), "the filter removed nothing");
    let path = dir.path().join("broken.jsonl");
    std::fs::write(&path, broken).expect("write");
    let failed = python(&["demo/check.py", path.to_str().expect("utf-8 path")]);
    assert!(!failed.status.success(), "check.py passed a demo without Long Phú's scores");
}
