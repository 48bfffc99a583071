//! The 2025 restructuring through the real services on a real broker (#25): Sóc Trăng's
//! education department merges into Cần Thơ's on 1 July 2025. Its open task goes to Cần Thơ's
//! department with its history, its completed one stays its own, its head's tenure ends that
//! day, and the figures add up on either side of the day; a merger that would lose something
//! is refused with nothing appended; the auditor's verify decides every command again.

use reform_projector::views::{task_list, Basis, TaskFilter};
use reform_shared::command::FailureKind;
use reform_shared::event::{Role, UnitKind};
use reform_shared::testkit::events::*;
use reform_shared::testkit::{append_all, date, id, send_raw_signed, Broker};

fn request(id: &str, actor: &str, command: serde_json::Value) -> Vec<u8> {
    let request = serde_json::json!({"command_id": id, "actor": actor, "command": command});
    serde_json::to_vec(&request).expect("JSON")
}

fn end_unit(unit: &str, successor: &str, kind: &str) -> serde_json::Value {
    serde_json::json!({"type": "end-unit", "unit": unit, "how": kind, "successor": successor,
        "effective": "2025-07-01",
        "basis": {"document": "202/2025/QH15", "date": "2025-06-12"}})
}

async fn world(broker: &Broker) {
    let appender = broker.appender().await;
    let genesis =
        reform_shared::testkit::signed_draft("g", "2016-01-01", genesis("admin"), "admin");
    appender.append_next(genesis).await.expect("genesis");
    let events = [
        unit("soc-trang", "Tỉnh Sóc Trăng", UnitKind::Province, None),
        unit("can-tho", "Thành phố Cần Thơ", UnitKind::Province, None),
        unit("st-sgddt", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("soc-trang")),
        unit("ct-sgddt", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("can-tho")),
        person("hoa", "Trần Thị Hoa", "Giám đốc Sở"),
        person("binh", "Lê Văn Bình", "Giám đốc Sở"),
        key("hoa"),
        key("binh"),
        appoint("t-hoa", "st-sgddt", "hoa", Role::Head, "2020-01-01"),
        appoint("t-binh", "ct-sgddt", "binh", Role::Head, "2020-01-01"),
    ];
    let mut dated: Vec<(&str, _)> = events.into_iter().map(|e| ("2020-01-02", e)).collect();
    dated.extend([
        ("2025-02-03", assign("task-done", "st-sgddt", "Rà soát thủ tục hành chính", "2025-05-31")),
        ("2025-05-20", complete("task-done", "st-sgddt")),
        ("2025-03-03", assign("task-open", "st-sgddt", "Số hóa hồ sơ", "2025-12-31")),
    ]);
    append_all(&appender, "world", &dated).await;
}

/// How many tasks of 2025 each department counts, as `basis` sees them.
fn counted(state: &reform_projector::model::State, basis: Basis) -> (usize, usize) {
    let count = |u: &str| {
        let list = task_list(state, &id(u), 2025, basis, &TaskFilter::default()).expect("list");
        list.tasks.len()
    };
    (count("st-sgddt"), count("ct-sgddt"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merged_department_hands_its_open_task_to_its_successor_and_nothing_is_lost() {
    let broker = Broker::start().await;
    world(&broker).await;
    let unsigned = reform_shared::audit::verify::Unsigned::Allowed;
    let services = reformctl::up_services::InProcess::start(&broker.client, unsigned)
        .await
        .expect("services start");
    let admin = |id: &str, command| request(id, "admin", command);
    let client = &broker.client;

    // What would lose something is refused, and appends nothing.
    let before = broker.stream_messages().await;
    for (i, (command, words)) in [
        (end_unit("st-sgddt", "can-tho", "merged"), "of its own kind"),
        (end_unit("soc-trang", "can-tho", "merged"), "move or end the units under it"),
        (end_unit("st-sgddt", "st-sgddt", "merged"), "its own successor"),
    ]
    .into_iter()
    .enumerate()
    {
        let error =
            send_raw_signed(client, "directory", &admin(&format!("bad-{i}"), command), "admin")
                .await
                .expect_err("refused");
        assert_eq!(error.kind(), FailureKind::Refused, "{error}");
        assert!(error.to_string().contains(words), "{error} does not say {words:?}");
    }
    assert_eq!(broker.stream_messages().await, before, "a refusal appended something");

    let merge = admin("merge", end_unit("st-sgddt", "ct-sgddt", "merged"));
    send_raw_signed(client, "directory", &merge, "admin").await.expect("merged");
    let again = admin("merge-again", end_unit("st-sgddt", "ct-sgddt", "merged"));
    let error = send_raw_signed(client, "directory", &again, "admin").await.expect_err("ended");
    assert!(error.to_string().contains("ended on 2025-07-01"), "{error}");

    // The open task is the successor's now: its head reports on it; the old head, whose tenure
    // ended with her unit, may not.
    let progress = |who: &str| {
        let command = serde_json::json!({"type": "report-progress", "task": "task-open",
            "percent": 40, "note": "Đã số hóa 40% hồ sơ"});
        request(&format!("progress-{who}"), who, command)
    };
    let error =
        send_raw_signed(client, "tasks", &progress("hoa"), "hoa").await.expect_err("not hers");
    assert_eq!(error.kind(), FailureKind::Denied, "{error}");
    send_raw_signed(client, "tasks", &progress("binh"), "binh").await.expect("his now");
    services.stop().await;

    // The figures on either side of the day: each task counted once, by the unit it was at.
    let mut state = reform_projector::model::State::default();
    for (seq, record) in broker.records().await.iter().enumerate() {
        reform_projector::model::apply(&mut state, record, seq as u64 + 1);
    }
    let before = counted(&state, Basis::AsTrueAt { date: date("2025-06-30") });
    let after = counted(&state, Basis::AsTrueAt { date: date("2025-07-01") });
    let live = counted(&state, Basis::Live { today: date("2026-12-06") });
    assert_eq!(before, (2, 0), "before the merger both are Sóc Trăng's");
    assert_eq!(after, (1, 1), "from it the open one is Cần Thơ's, the done one stays");
    assert_eq!(live, after);
    let carried = &state.tasks[&id("task-open")];
    let units: Vec<(String, &str)> =
        carried.units.iter().map(|u| (u.on.to_string(), u.value.as_str())).collect();
    assert_eq!(
        units,
        [("2025-03-03".to_owned(), "st-sgddt"), ("2025-07-01".to_owned(), "ct-sgddt")],
        "its whole history, carried on the effective day"
    );
    assert_eq!(state.tenures[&id("t-hoa")].to, Some(date("2025-07-01")));
    assert_eq!(
        state.units[&id("st-sgddt")].ended.as_ref().map(|e| e.successor.as_str()),
        Some("ct-sgddt")
    );

    // The auditor decides the merger and the reports again from the log alone.
    verify_passes(&broker).await;

    dashboard_shows_the_change(&broker).await;
}

/// The auditor decides every command again from the log alone, and passes it.
async fn verify_passes(broker: &Broker) {
    let mut verifier = reform_audit::verifier_allowing_unsigned();
    let js = async_nats::jetstream::new(broker.client.clone());
    reform_shared::audit::read::verify_stream(&js, &mut verifier, |_| {}, |_| {})
        .await
        .expect("the log reads");
    let verdict = verifier.finish();
    assert!(verdict.passed, "{verdict:?}");
}

/// A bare HTTP GET of the dashboard: the body.
async fn page(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.expect("send");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.expect("read");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert!(text.starts_with("HTTP/1.1 200"), "{path}: {text}");
    text
}

/// The projector (a real redb file) and the dashboard, in this process: the merged department
/// names its successor and the day; the successor names its predecessor, with its province
/// (both are "Sở Giáo dục và Đào tạo"); as true at the day before, neither does.
async fn dashboard_shows_the_change(broker: &Broker) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let config = reform_projector::Config::new(dir.path().join("views.redb"));
    let projector =
        tokio::spawn(reform_projector::run(broker.client.clone(), config, wait(stopped.clone())));
    let head = broker.stream_messages().await;
    let client = broker.client.clone();
    reform_shared::testkit::eventually("the views", std::time::Duration::from_secs(60), || {
        let client = client.clone();
        async move {
            let status = reform_projector::queries::status(&client).await.ok()?;
            (status.applied_through >= head).then_some(())
        }
    })
    .await;
    let listener = reform_gateway::bind(([127, 0, 0, 1], 0).into(), None).await.expect("a port");
    let addr = listener.local_addr();
    let dashboard = tokio::spawn(reform_gateway::serve(
        broker.client.clone(),
        listener,
        reform_gateway::Site { rp_id: "localhost".into(), tlog_dir: None },
        wait(stopped),
    ));

    let ended = page(addr, "/units/st-sgddt?year=2025").await;
    for words in [
        "Đã sắp xếp",
        "sáp nhập từ ngày 01/07/2025",
        "Sở Giáo dục và Đào tạo, Thành phố Cần Thơ",
        "202/2025/QH15, 12/06/2025",
    ] {
        assert!(ended.contains(words), "the merged department's page does not say {words:?}");
    }
    let successor = page(addr, "/units/ct-sgddt?year=2025").await;
    for words in ["Đơn vị tiền thân", "Sở Giáo dục và Đào tạo, Tỉnh Sóc Trăng", "Số hóa hồ sơ"]
    {
        assert!(successor.contains(words), "the successor's page does not say {words:?}");
    }
    let before = page(addr, "/units/st-sgddt?year=2025&on=2025-06-30").await;
    assert!(!before.contains("Đã sắp xếp"), "as true at the day before, it still exists");
    assert!(before.contains("Số hóa hồ sơ"), "and the open task is its own");
    let _ = stop.send(true);
    dashboard.await.expect("joins").expect("the dashboard stops cleanly");
    projector.await.expect("joins").expect("the projector stops cleanly");
}

/// A peer group, a year, and each unit's rank and final total in it.
type Figures = Vec<(String, u16, Vec<(String, Option<u32>, Option<u64>)>)>;

/// Every ranking of the demo's provinces for 2014–2016, as true at the end of the next year,
/// with each unit's rank and total: what the seed articles report.
fn article_figures(state: &reform_projector::model::State) -> Figures {
    let mut out = Vec::new();
    for province in ["soc-trang", "kien-giang", "hai-duong"] {
        for kind in [UnitKind::Department, UnitKind::District] {
            for year in 2014u16..=2016 {
                let basis = Basis::AsTrueAt { date: date(&format!("{}-12-31", year + 1)) };
                let ranking =
                    reform_projector::views::ranking(state, &id(province), kind, year, basis)
                        .expect("a province of the demo");
                let rows = ranking
                    .entries
                    .iter()
                    .map(|e| (e.unit.to_string(), e.rank, e.final_total_hundredths))
                    .collect();
                out.push((format!("{province} {}", kind.as_str()), year, rows));
            }
        }
    }
    out
}

fn project(records: &[reform_shared::envelope::Record]) -> reform_projector::model::State {
    let mut state = reform_projector::model::State::default();
    for (seq, record) in records.iter().enumerate() {
        reform_projector::model::apply(&mut state, record, seq as u64 + 1);
    }
    state
}

/// The demo goes on through the shipped 2025 map (Sóc Trăng into Cần Thơ, Kiên Giang into An
/// Giang, Hải Dương into Hải Phòng), each command decided by the directory service: every
/// district dissolved and its communes moved up, every department carried on in its
/// namesake, the provinces ended; the map has nothing left to do afterwards; the articles'
/// 2014–2016 ranks and totals are what they were before it; Cần Thơ's departments are ranked
/// for 2025 and its education department holds Sóc Trăng's open tasks; the auditor's verify
/// passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_records_the_2025_map_and_the_articles_figures_stand() {
    use reformctl::demo;
    let broker = Broker::start().await;
    let (stop, _shutdown, services) = crate::demo::command_services(&broker).await;
    let data = demo::parse(demo::COMMANDS_JSONL).expect("demo parses");
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = demo::DemoKeys::ensure(&dir.path().join("keys"), &data).expect("demo keys");
    demo::genesis(&broker.js, &keys).await.expect("genesis");
    let mut before_map = demo::parse(demo::COMMANDS_JSONL).expect("demo parses");
    let first = before_map.items.iter().position(|i| i.label().starts_with("restructure:"));
    before_map.items.truncate(first.expect("the demo records the map"));
    demo::load(&broker.client, &before_map, &keys, false).await.expect("the years before");
    let before = article_figures(&project(&broker.records().await));
    let ranked = before.iter().flat_map(|(_, _, rows)| rows).filter(|r| r.1.is_some()).count();
    assert!(ranked > 30, "the articles' ranks are there to compare: {ranked}");
    demo::load(&broker.client, &data, &keys, false).await.expect("the demo to 2026");

    let records = broker.records().await;
    let mut d = reform_shared::directory::Directory::default();
    records.iter().for_each(|r| d.apply(&r.envelope.event));
    let (_, map) = reform_directory::plan::SHIPPED[0];
    let map = reform_directory::plan::Map::parse(map).expect("the shipped map");
    assert!(reform_directory::plan::plan(&d, &map).is_empty(), "the map is recorded whole");
    for (old, new) in
        [("soc-trang", "can-tho"), ("kien-giang", "an-giang"), ("hai-duong", "hai-phong")]
    {
        let end = d.unit(&id(old)).and_then(|u| u.ended.clone()).expect("ended");
        assert_eq!((end.successor.as_str(), end.on), (new, date("2025-07-01")));
    }
    let commune = d.unit(&id("st-long-phu-song-phung")).expect("a commune of Long Phú");
    assert_eq!(commune.parent, Some(id("can-tho")), "communes sit under the province now");
    let state = project(&records);
    assert_eq!(article_figures(&state), before, "the articles' figures moved");
    long_phus_communes_stand_where_they_were(&state);

    let after = Basis::AsTrueAt { date: date("2026-12-31") };
    let ranking =
        reform_projector::views::ranking(&state, &id("can-tho"), UnitKind::Department, 2025, after)
            .expect("Cần Thơ's departments");
    let ranked: Vec<_> =
        ranking.entries.iter().filter_map(|e| e.rank.map(|r| (r, e.unit.as_str()))).collect();
    assert_eq!(ranked.len(), 22, "{ranked:?}");
    assert!(ranked.contains(&(3, "can-tho-st-sgddt")), "{ranked:?}");
    let old = reform_projector::views::ranking(
        &state,
        &id("soc-trang"),
        UnitKind::Department,
        2025,
        after,
    )
    .expect("Sóc Trăng's departments");
    assert!(old.entries.iter().all(|e| e.rank.is_none()), "an ended unit is ranked for 2025");

    let new_year = Basis::AsTrueAt { date: date("2026-01-01") };
    let filter = TaskFilter { with_sub_units: true, ..TaskFilter::default() };
    let carried =
        task_list(&state, &id("can-tho-st-sgddt"), 2025, new_year, &filter).expect("list");
    let mut titles: Vec<&str> = carried.tasks.iter().map(|t| t.task.as_str()).collect();
    titles.sort_unstable();
    assert_eq!(titles, ["st25-dvc-toan-trinh", "st25-so-hoa-ho-so"], "the 2025 tasks carried");
    let kept = task_list(&state, &id("st-sgddt"), 2025, new_year, &filter).expect("list");
    let mut kept: Vec<&str> = kept.tasks.iter().map(|t| t.task.as_str()).collect();
    kept.sort_unstable();
    assert_eq!(kept, ["st25-bao-cao-6-thang", "st25-ra-soat-bo-may"], "closed before: its own");
    let _ = stop.send(true);
    for (name, handle) in services {
        handle.await.unwrap_or_else(|e| panic!("{name}'s supervisor failed: {e}"));
    }

    verify_passes(&broker).await;
}

/// Long Phú's three communes are under the district in every view of 2024 (and under Cần Thơ
/// in none), under Cần Thơ from 2025; the district's part of the directory lists them with
/// both parents, each with its day.
fn long_phus_communes_stand_where_they_were(state: &reform_projector::model::State) {
    use reform_projector::views::descendants;
    let communes = ["st-long-phu-chau-khanh", "st-long-phu-long-duc", "st-long-phu-song-phung"];
    let under = |unit: &str, day: &str| -> Vec<String> {
        let below = descendants(state, &id(unit), date(day));
        communes.iter().filter(|c| below.contains(&id(c))).map(|c| c.to_string()).collect()
    };
    assert_eq!(under("st-long-phu", "2024-12-31"), communes, "the district's in 2024");
    assert_eq!(under("soc-trang", "2024-12-31"), communes, "so the province's in 2024");
    assert!(under("can-tho", "2024-12-31").is_empty(), "not Cần Thơ's in 2024");
    assert_eq!(under("can-tho", "2025-12-31"), communes, "Cần Thơ's from 2025");
    assert!(under("st-long-phu", "2025-12-31").is_empty());
    let part =
        reform_projector::registers::directory_part(state, Some(&id("st-long-phu")), Some(1), None)
            .expect("the district's part");
    for commune in communes {
        let rec = part.units.iter().find(|u| u.unit.as_str() == commune).expect("listed");
        assert_eq!(rec.parent_on(date("2025-06-30")), Some(&id("st-long-phu")), "{commune}");
        assert_eq!(rec.parent_on(date("2025-07-01")), Some(&id("can-tho")), "{commune}");
    }
}
