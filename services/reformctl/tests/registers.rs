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
