//! The directory's registers through a real nats-server: a person's tenures (with the ids
//! `leader end` needs), access and keys as they landed, and the unit tree.

mod common;

use common::reformctl;
use reform_shared::event::{Access, Event, Role, UnitKind};
use reform_shared::testkit::events::*;
use reform_shared::testkit::{append_all, id, key_of, Broker};

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
    let admin = run(&["--json", "person", "show", "admin"]).await.expect("joins");
    let admin: serde_json::Value = serde_json::from_slice(&admin.stdout).expect("json");
    assert_eq!(admin["administrator_from_genesis"], true);
    assert_eq!(admin["access"][0]["access"], "administrator");
    let missing = run(&["person", "show", "nobody"]).await.expect("joins");
    assert_eq!(missing.status.code(), Some(6), "not found");
    let tree = run(&["unit", "list"]).await.expect("joins");
    let text = String::from_utf8_lossy(&tree.stdout).to_string();
    assert!(text.contains("st — Tỉnh Sóc Trăng (Tỉnh)\n  sgd — Sở Giáo dục và Đào tạo"), "{text}");
}

/// A criterion through its stages, and a unit's documents with a rejection marked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn score_history_and_evidence_list_read_the_log() {
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
    let out = run(&["--json", "evidence", "list", "--unit", "sgd"]).await.expect("joins");
    let docs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(docs[0]["evidence"], "e1");
    assert_eq!(docs[0]["rejected"], serde_json::Value::Null);
    assert_eq!(docs[1]["evidence"], "e2");
    assert!(docs[1]["rejected"].is_string(), "{docs}");
    let out = run(&["--json", "evidence", "list", "--unit", "sgd", "--year", "2016"])
        .await
        .expect("joins");
    let docs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(docs.as_array().map(Vec::len), Some(1), "e2 is dated 2015");
}
