//! The registers through a real nats-server and the projector: a person's tenures (with the
//! ids `leader end` needs), access and keys as they landed, the unit tree, a plan, the
//! reminders and the evidence register.

mod common;

use common::reformctl;
use reform_projector::queries;
use reform_shared::event::{Access, Event, Role, UnitKind};
use reform_shared::testkit::events::*;
use reform_shared::testkit::{append_all, eventually, id, key_of, Broker};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn person_show_lists_tenures_access_and_keys_with_their_state() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let events = [
        ("2016-01-01", genesis("admin")),
        ("2016-01-01", unit("st", "Tỉnh Sóc Trăng", UnitKind::Province, None)),
        ("2016-01-01", unit("sgd", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("st"))),
        ("2016-01-01", person("hoa", "Trần Thị Hoa", "Phó Giám đốc")),
        ("2016-01-01", key("hoa")),
        ("2016-01-02", appoint("t-hoa", "sgd", "hoa", Role::ReformDeputy, "2016-01-02")),
        ("2016-02-01", grant("hoa", Access::Staff, Some("sgd"))),
        (
            "2016-03-01",
            Event::KeyRevoked {
                person: id("hoa"),
                key: key_of("hoa").public_key(),
                reason: "mất máy".into(),
            },
        ),
    ];
    append_all(&appender, "r", &events).await;
    let projector = Projector::start(&broker).await;
    let url = broker.server.url().to_owned();
    let run = |args: &'static [&'static str]| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || reformctl(&url, args))
    };
    let shown = run(&["--json", "person", "show", "hoa"]).await.expect("joins");
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    let sheet: serde_json::Value = serde_json::from_slice(&shown.stdout).expect("json");
    assert_eq!(sheet["name"], "Trần Thị Hoa");
    assert_eq!(sheet["tenures"][0]["tenure"], "t-hoa");
    assert_eq!(sheet["tenures"][0]["role"], "reform-deputy");
    assert_eq!(sheet["access"][0]["access"], "staff");
    assert_eq!(sheet["access"][0]["unit"], "sgd");
    assert_eq!(sheet["keys"][0]["key"], key_of("hoa").public_key());
    assert_eq!(sheet["keys"][0]["revoked"], "mất máy");
    assert_eq!(sheet["keys"][0]["revoked_on"], "2016-03-01");
    // What a person reads names the unit with its province, and the key's state.
    let table = run(&["person", "show", "hoa"]).await.expect("joins");
    let table = String::from_utf8_lossy(&table.stdout).to_string();
    assert!(table.contains("Sở Giáo dục và Đào tạo, Tỉnh Sóc Trăng"), "{table}");
    assert!(table.contains("đã thu hồi ngày 2016-03-01: mất máy"), "{table}");
    let admin = run(&["--json", "person", "show", "admin"]).await.expect("joins");
    let admin: serde_json::Value = serde_json::from_slice(&admin.stdout).expect("json");
    assert_eq!(admin["administrator_from_genesis"], true);
    assert_eq!(admin["access"][0]["access"], "administrator");
    let missing = run(&["person", "show", "nobody"]).await.expect("joins");
    assert_eq!(missing.status.code(), Some(6), "not found");
    let everyone = run(&["--json", "person", "list"]).await.expect("joins");
    let everyone: serde_json::Value = serde_json::from_slice(&everyone.stdout).expect("json");
    let names: Vec<&str> =
        everyone.as_array().expect("people").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names.len(), 2, "{everyone}");
    assert!(names.contains(&"Trần Thị Hoa"), "{everyone}");
    let tree = run(&["unit", "list"]).await.expect("joins");
    let text = String::from_utf8_lossy(&tree.stdout).to_string();
    assert!(text.contains("st — Tỉnh Sóc Trăng (Tỉnh)\n  sgd — Sở Giáo dục và Đào tạo"), "{text}");
    // One unit: where it sits, who led it (with the tenure id), who holds rights there.
    let shown = run(&["--json", "unit", "show", "sgd"]).await.expect("joins");
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    let sheet: serde_json::Value = serde_json::from_slice(&shown.stdout).expect("json");
    assert_eq!(sheet["above"][0]["unit"], "st");
    assert_eq!(sheet["leaders"][0]["tenure"], "t-hoa");
    assert_eq!(sheet["leaders"][0]["person"], "hoa");
    assert_eq!(sheet["leaders"][0]["to"], serde_json::Value::Null, "still in office");
    assert_eq!(sheet["grants"][0]["access"], "staff");
    assert_eq!(sheet["grants"][0]["name"], "Trần Thị Hoa");
    let table = run(&["unit", "show", "sgd"]).await.expect("joins");
    let table = String::from_utf8_lossy(&table.stdout).to_string();
    assert!(table.contains("thuộc: Tỉnh Sóc Trăng"), "{table}");
    assert!(table.contains("t-hoa") && table.contains("Trần Thị Hoa"), "{table}");
    let province = run(&["--json", "unit", "show", "st"]).await.expect("joins");
    let province: serde_json::Value = serde_json::from_slice(&province.stdout).expect("json");
    assert_eq!(province["children"][0]["unit"], "sgd");
    assert_eq!(province["above"].as_array().map(Vec::len), Some(0));
    let missing = run(&["--json", "unit", "show", "nowhere"]).await.expect("joins");
    assert_eq!(missing.status.code(), Some(6), "not found");
    let failure: serde_json::Value = serde_json::from_slice(&missing.stdout).expect("json");
    assert_eq!(failure["kind"], "not-found");
    let part = run(&["unit", "list", "--under", "sgd"]).await.expect("joins");
    let part = String::from_utf8_lossy(&part.stdout).to_string();
    assert!(part.starts_with("sgd — Sở Giáo dục và Đào tạo"), "{part}");
    projector.stop().await;
}

/// A plan and the tasks assigned under it, each as the unit's register has it; and the
/// reminders of a week.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_show_lists_the_plan_and_its_tasks_and_digest_the_week() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let with_plan = |task: &str, due: &str| match assign(task, "sgd", "Nhiệm vụ", due) {
        Event::TaskAssigned {
            task,
            unit,
            person,
            title,
            target,
            due,
            criterion,
            assigned_by,
            ..
        } => Event::TaskAssigned {
            task,
            unit,
            person,
            plan: Some(id("kh-2016")),
            title,
            target,
            due,
            criterion,
            assigned_by,
        },
        other => other,
    };
    let events = [
        ("2016-01-01", unit("sgd", "Sở Giáo dục", UnitKind::Department, None)),
        (
            "2016-01-05",
            Event::PlanIssued {
                plan: id("kh-2016"),
                unit: id("sgd"),
                year: 2016,
                document_number: "96/KH-SGDĐT".into(),
                title: "Kế hoạch CCHC năm 2016".into(),
            },
        ),
        ("2016-01-10", with_plan("t1", "2016-03-31")),
        ("2016-01-10", with_plan("t2", "2016-06-30")),
        ("2016-01-10", assign("t3", "sgd", "Ngoài kế hoạch", "2016-03-20")),
        ("2016-01-10", with_plan("t4", "2016-09-30")),
        ("2016-01-01", unit("snv", "Sở Nội vụ", UnitKind::Department, None)),
        ("2016-02-01", reassign("t4", "sgd", "snv")),
        ("2016-03-30", complete("t1", "sgd")),
    ];
    append_all(&appender, "p", &events).await;
    let projector = Projector::start(&broker).await;
    let url = broker.server.url().to_owned();
    let run = |args: &'static [&'static str]| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || reformctl(&url, args))
    };
    let shown = run(&["--json", "plan", "show", "kh-2016"]).await.expect("joins");
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    let sheet: serde_json::Value = serde_json::from_slice(&shown.stdout).expect("json");
    assert_eq!(sheet["document_number"], "96/KH-SGDĐT");
    let tasks: Vec<(&str, &str)> = sheet["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| (t["task"].as_str().unwrap_or(""), t["status"].as_str().unwrap_or("")))
        .collect();
    // t3 is not the plan's; t2 is overdue now, long after 30 June 2016; t4 is the plan's
    // though it went to another department, outside the plan's unit.
    assert_eq!(tasks, [("t1", "done-on-time"), ("t2", "overdue"), ("t4", "overdue")]);
    assert_eq!(sheet["tasks"][2]["unit_name"], "Sở Nội vụ");
    // As true at 1 March 2016: t1 not yet done, nothing overdue.
    let then =
        run(&["--json", "plan", "show", "kh-2016", "--as-of", "2016-03-01"]).await.expect("joins");
    let then: serde_json::Value = serde_json::from_slice(&then.stdout).expect("json");
    let states: Vec<&str> = then["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["status"].as_str())
        .collect();
    assert_eq!(states, ["open", "open", "open"]);
    let table = run(&["plan", "show", "kh-2016"]).await.expect("joins");
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.starts_with("Kế hoạch 96/KH-SGDĐT của Sở Giáo dục năm 2016: Kế hoạch CCHC năm 2016"),
        "{table}"
    );
    let missing = run(&["plan", "show", "kh-1999"]).await.expect("joins");
    assert_eq!(missing.status.code(), Some(6));
    // The week to 25 June: t2 comes due; t3 went overdue on 21 March, before the last digest.
    let digest = run(&["--json", "reminders", "--unit", "sgd", "--as-of", "2016-06-25"])
        .await
        .expect("joins");
    assert!(digest.status.success(), "{}", String::from_utf8_lossy(&digest.stderr));
    let d: serde_json::Value = serde_json::from_slice(&digest.stdout).expect("json");
    assert_eq!(d[0]["due_soon"][0]["task"], "t2");
    assert_eq!(d[0]["went_overdue"].as_array().map(Vec::len), Some(0));
    let digest = run(&[
        "--json",
        "reminders",
        "--unit",
        "sgd",
        "--as-of",
        "2016-04-01",
        "--since",
        "2016-03-15",
    ])
    .await
    .expect("joins");
    let d: serde_json::Value = serde_json::from_slice(&digest.stdout).expect("json");
    assert_eq!(d[0]["went_overdue"][0]["task"], "t3");
    assert_eq!(d[0]["completed"][0][0], "2016-03-30");
    assert_eq!(d[0]["completed"][0][1]["task"], "t1");
    projector.stop().await;
}

/// A projector on a test's broker, with the log as it is applied.
struct Projector {
    stop: tokio::sync::watch::Sender<bool>,
    running: tokio::task::JoinHandle<Result<(), reform_projector::Error>>,
    _views: tempfile::TempDir,
}

impl Projector {
    async fn start(broker: &Broker) -> Projector {
        let views = tempfile::tempdir().expect("tempdir");
        let config = reform_projector::Config::new(views.path().join("views.redb"));
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let running =
            tokio::spawn(reform_projector::run(broker.client.clone(), config, async move {
                let _ = stopped.wait_for(|s| *s).await;
            }));
        let client = broker.client.clone();
        let head = broker.stream_messages().await;
        eventually("the projector to apply the log", std::time::Duration::from_secs(60), || {
            let client = client.clone();
            async move {
                (queries::status(&client).await.ok()?.applied_through >= head).then_some(())
            }
        })
        .await;
        Projector { stop, running, _views: views }
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        self.running.await.expect("joins").expect("the projector stops cleanly");
    }
}

/// A criterion through its stages, read from the log; a unit's documents from the
/// projector's register, as the dashboard shows them, a rejection marked with its reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn score_history_reads_the_log_and_evidence_list_the_register() {
    use reform_shared::event::Stage;
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let events = [
        ("2016-01-01", unit("sgd", "Sở Giáo dục", UnitKind::Department, None)),
        ("2016-05-20", evidence("e1", "sgd", Some("1.1"), "2016-05-20")),
        ("2016-05-21", evidence("e2", "sgd", None, "2015-12-30")),
        ("2016-06-01", reject("e2", "sgd")),
        ("2016-11-01", score("sgd", 2016, "1.1", Stage::SelfAssessed, None, 250)),
        ("2016-11-20", score("sgd", 2016, "1.1", Stage::Appraised, None, 200)),
        ("2016-11-21", score("sgd", 2016, "1.2", Stage::Appraised, None, 100)),
    ];
    append_all(&appender, "h", &events).await;
    let url = broker.server.url().to_owned();
    let run = |args: &'static [&'static str]| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || reformctl(&url, args))
    };
    const HISTORY: &[&str] =
        &["--json", "score", "history", "--unit", "sgd", "--year", "2016", "--criterion", "1.1"];
    let out = run(HISTORY).await.expect("joins");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let steps: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let stages: Vec<(&str, u64)> = steps
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| (s["stage"].as_str().unwrap_or(""), s["new_hundredths"].as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(stages, [("self-assessed", 250), ("appraised", 200)], "1.2 is another criterion");
    const NONE: &[&str] =
        &["score", "history", "--unit", "sgd", "--year", "2015", "--criterion", "1.1"];
    assert_eq!(run(NONE).await.expect("joins").status.code(), Some(6));
    let projector = Projector::start(&broker).await;
    let list = |args: &'static [&'static str]| async move {
        let out = run(args).await.expect("joins");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        json["evidence"].as_array().expect("documents").clone()
    };
    let docs = list(&["--json", "evidence", "list", "--unit", "sgd", "--year", "2016"]).await;
    let ids: Vec<&str> = docs.iter().filter_map(|d| d["evidence"].as_str()).collect();
    assert_eq!(ids, ["e1"], "e2 is dated 2015");
    assert_eq!(docs[0]["rejected_on"], serde_json::Value::Null);
    let docs = list(&["--json", "evidence", "list", "--unit", "sgd", "--year", "2015"]).await;
    assert_eq!(docs[0]["evidence"], "e2");
    assert_eq!(docs[0]["document_date"], "2015-12-30");
    assert_eq!(docs[0]["rejected_on"], "2016-06-01");
    assert_eq!(docs[0]["rejected_because"], "Không đúng tiêu chí");
    // As true before the rejection, it is not yet rejected.
    let docs = list(&[
        "--json",
        "evidence",
        "list",
        "--unit",
        "sgd",
        "--year",
        "2015",
        "--as-of",
        "2016-05-31",
    ])
    .await;
    assert_eq!(
        (&docs[0]["rejected_on"], &docs[0]["rejected_because"]),
        (&json!(null), &json!(null))
    );
    let out = run(&["evidence", "list", "--unit", "sgd", "--year", "2015"]).await.expect("joins");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.starts_with("Minh chứng của Sở Giáo dục năm 2015 (1 tài liệu"), "{table}");
    assert!(table.contains("bị từ chối ngày 01/06/2016: Không đúng tiêu chí"), "{table}");
    let row = table.lines().find(|l| l.starts_with("1264/BC-SGDĐT")).expect("the document's row");
    let cells: Vec<&str> = row.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
    assert_eq!(cells[..3], ["1264/BC-SGDĐT", "30/12/2015", "Tài liệu e2"], "number, date, title");
    projector.stop().await;
}

/// `unit restructure` as an administrator runs it: a map that cannot be read is refused in
/// Vietnamese before anything is sent; `--dry-run` shows the plan by the units' names and
/// records nothing; the run records it; a second run finds nothing left to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unit_restructure_shows_the_plan_then_records_it_once() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let events = [
        ("2016-01-01", genesis("admin")),
        ("2016-01-01", unit("soc-trang", "Tỉnh Sóc Trăng", UnitKind::Province, None)),
        (
            "2016-01-01",
            unit("st-sgddt", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("soc-trang")),
        ),
        ("2016-01-01", unit("st-vc", "Thị xã Vĩnh Châu", UnitKind::District, Some("soc-trang"))),
        (
            "2016-01-01",
            Event::PersonRegistered {
                person: "kim-loan".parse().expect("id"),
                name: "Nguyễn Thị Kim Loan".into(),
                title: "Giám đốc Sở Giáo dục và Đào tạo Sóc Trăng".into(),
            },
        ),
    ];
    append_all(&appender, "r", &events).await;
    let unsigned = reform_shared::audit::verify::Unsigned::Allowed;
    let services = reformctl::up_services::InProcess::start(&broker.client, unsigned)
        .await
        .expect("services start");
    let dir = tempfile::tempdir().expect("tempdir");
    let key = reform_shared::testkit::key_file(dir.path(), "admin");
    let map = concat!(env!("CARGO_MANIFEST_DIR"), "/../directory/maps/provinces-2025.json");
    let url = broker.server.url().to_owned();
    let run = |args: Vec<String>| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            reformctl(&url, &args)
        })
    };
    let admin = |rest: &[&str]| {
        let mut args: Vec<String> = ["--actor", "admin", "--key"].map(String::from).to_vec();
        args.push(key.to_str().expect("utf-8").to_owned());
        args.extend(rest.iter().map(|s| (*s).to_owned()));
        args
    };
    // One change at a time: a rename, and an ending that names no way of ending.
    let change =
        ["--effective", "2025-07-01", "--basis", "1664/NQ-UBTVQH15", "--basis-date", "2025-06-16"];
    let mut rename = vec!["unit", "rename", "st-vc", "--name", "Phường Vĩnh Châu"];
    rename.extend(change);
    let renamed = run(admin(&rename)).await.expect("joins");
    assert!(renamed.status.success(), "{}", String::from_utf8_lossy(&renamed.stderr));
    let said = String::from_utf8_lossy(&renamed.stdout);
    assert!(said.contains("Đã ghi: st-vc mang tên Phường Vĩnh Châu từ ngày 01/07/2025"), "{said}");
    // A new title from a day on; the same title again, or one from a day to come, refused.
    let title = "Giám đốc Sở Giáo dục và Đào tạo thành phố Cần Thơ";
    let retitle = |from: &'static str| {
        vec!["person", "retitle", "kim-loan", "--title", title, "--from", from]
    };
    let retitled = run(admin(&retitle("2025-07-01"))).await.expect("joins");
    let said = String::from_utf8_lossy(&retitled.stdout);
    assert!(said.contains("Đã ghi chức danh mới của kim-loan"), "{said}");
    for (from, words) in [("2025-08-01", "đã mang chức danh"), ("2099-01-01", "sau hôm nay")] {
        let refused = run(admin(&retitle(from))).await.expect("joins");
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success() && said.contains(words), "{from}: {said}");
    }
    let mut end = vec!["unit", "end", "st-vc", "--how", "vanished", "--into", "soc-trang"];
    end.extend(change);
    let refused = run(admin(&end)).await.expect("joins");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("vanished"));
    let before = broker.stream_messages().await;
    let bad =
        run(admin(&["unit", "restructure", "--file", "/no/such/map.json"])).await.expect("joins");
    assert!(!bad.status.success());
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(said.contains("không đọc được tệp bản đồ sắp xếp"), "{said}");
    let dry =
        run(admin(&["unit", "restructure", "--file", map, "--dry-run"])).await.expect("joins");
    let shown = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    for words in [
        "5 lệnh",
        "thành lập Thành phố Cần Thơ (can-tho) từ ngày 01/07/2025",
        "giải thể Phường Vĩnh Châu (st-vc) vào",
        "sáp nhập Sở Giáo dục và Đào tạo (st-sgddt) vào",
        "Chưa ghi gì",
    ] {
        assert!(shown.contains(words), "the plan does not say {words:?}:\n{shown}");
    }
    assert_eq!(
        broker.stream_messages().await,
        before,
        "a dry run or a bad file recorded something"
    );
    let done = run(admin(&["unit", "restructure", "--file", map])).await.expect("joins");
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert_eq!(broker.stream_messages().await, before + 5);
    let again = run(admin(&["unit", "restructure", "--file", map])).await.expect("joins");
    assert!(String::from_utf8_lossy(&again.stdout).contains("Không còn gì phải ghi"));
    assert_eq!(broker.stream_messages().await, before + 5);
    // A unit founded by hand: its day and act together, or not at all; and once founded on
    // 1 July, it cannot be renamed from June.
    let half = ["unit", "add", "ct-snv", "--name", "Sở Nội vụ", "--kind", "department"];
    let mut half = half.to_vec();
    half.extend(["--parent", "can-tho", "--founded", "2025-07-01"]);
    let refused = run(admin(&half)).await.expect("joins");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--basis"), "names what is missing");
    half.extend(["--basis", "202/2025/QH15", "--basis-date", "2025-06-12"]);
    let founded = run(admin(&half)).await.expect("joins");
    assert!(founded.status.success(), "{}", String::from_utf8_lossy(&founded.stderr));
    let said = String::from_utf8_lossy(&founded.stdout);
    assert!(said.contains("thành lập từ ngày 01/07/2025"), "{said}");
    let mut early = vec!["unit", "rename", "ct-snv", "--name", "Sở Nội vụ thành phố"];
    early.extend(["--effective", "2025-06-01", "--basis", "1/QĐ", "--basis-date", "2025-05-01"]);
    let refused = run(admin(&early)).await.expect("joins");
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("trước một thay đổi đã ghi có hiệu lực từ ngày"), "{said}");
    assert_eq!(broker.stream_messages().await, before + 6, "the founding, and nothing else");
    services.stop().await;
}
