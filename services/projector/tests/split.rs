//! Projectors split by province (#15): two projectors, each owning one province, answer every
//! query exactly as one projector owning both does, including a task reassigned from a unit of
//! one province to a unit of the other (its earlier events filed under the old unit, which the
//! new owner never applied) and one that moves there and back; a leader who held posts in both
//! provinces; and the national ranking merged from both owners.

mod common;

use common::*;
use reform_projector::split::Owns;
use reform_projector::store::Store;
use reform_projector::Config;
use reform_shared::event::{Component, Event, Role, Stage, UnitKind};
use reform_shared::testkit::{eventually, Broker};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

fn framework(year: u16, kind: UnitKind) -> Event {
    Event::FrameworkPublished {
        year,
        unit_kind: kind,
        source: "QĐ 2071/QĐ-UBND".into(),
        criteria: vec![
            criterion("1.1", Component::DirectionAndManagement, "Kế hoạch CCHC", 1000),
            criterion("2.1", Component::InstitutionalReform, "Văn bản QPPL", 1000),
        ],
    }
}

/// Two provinces; a head who moves from one to the other; tasks, evidence and scores in both;
/// task `t-move` reassigned from Sóc Trăng to Cần Thơ, `t-back` from Cần Thơ to Sóc Trăng and
/// back again.
fn two_provinces() -> Vec<(&'static str, Event)> {
    use Stage::Final;
    let (dept, div, prov) = (UnitKind::Department, UnitKind::Division, UnitKind::Province);
    vec![
        ("2015-01-01", unit("st", "Tỉnh Sóc Trăng", prov, None)),
        ("2015-01-01", unit("ct", "Thành phố Cần Thơ", prov, None)),
        ("2015-01-01", unit("st-sgd", "Sở Giáo dục và Đào tạo", dept, Some("st"))),
        ("2015-01-01", unit("st-snv", "Sở Nội vụ", dept, Some("st"))),
        ("2015-01-01", unit("st-sgd-vp", "Văn phòng Sở", div, Some("st-sgd"))),
        ("2015-01-01", unit("ct-snv", "Sở Nội vụ", dept, Some("ct"))),
        ("2015-01-01", unit("ct-syt", "Sở Y tế", dept, Some("ct"))),
        ("2015-01-01", unit("ct-snv-tccb", "Phòng Tổ chức cán bộ", div, Some("ct-snv"))),
        ("2015-01-01", person("nguyen-a", "Nguyễn Văn An", "Giám đốc Sở")),
        ("2015-01-01", person("tran-b", "Trần Thị Bình", "Giám đốc Sở")),
        ("2016-01-01", appoint("ten-a1", "st-sgd", "nguyen-a", Role::Head, "2016-01-01")),
        ("2016-01-01", appoint("ten-b", "ct-snv", "tran-b", Role::Head, "2016-01-01")),
        ("2016-01-01", framework(2016, dept)),
        ("2016-01-01", framework(2016, prov)),
        ("2016-01-01", framework(2015, dept)),
        ("2016-01-01", framework(2015, prov)),
        ("2016-01-10", assign("t-move", "st-sgd", "Rà soát thủ tục hành chính", "2016-06-30")),
        ("2016-01-12", assign("t-st", "st-sgd-vp", "Báo cáo CCHC quý I", "2016-03-31")),
        ("2016-01-15", assign("t-ct", "ct-snv", "Kế hoạch CCHC năm 2016", "2016-02-28")),
        ("2016-01-20", assign("t-back", "ct-syt", "Niêm yết thủ tục", "2016-09-30")),
        ("2016-02-01", deadline("t-move", "st-sgd", "2016-06-30", "2016-07-31")),
        ("2016-02-20", complete("t-ct", "ct-snv")),
        ("2016-03-01", evidence("e-st", "st-sgd", Some("1.1"), "2016-03-01")),
        ("2016-03-02", evidence("e-ct", "ct-snv", Some("1.1"), "2016-03-02")),
        ("2016-03-10", reassign("t-back", "ct-syt", "st-snv")),
        ("2016-04-01", deadline("t-back", "st-snv", "2016-09-30", "2016-10-31")),
        ("2016-05-01", reassign("t-move", "st-sgd", "ct-snv-tccb")),
        ("2016-05-15", reassign("t-back", "st-snv", "ct-syt")),
        ("2016-07-01", left("ten-a1", "st-sgd", "nguyen-a", Role::Head, "2016-07-01")),
        ("2016-07-01", appoint("ten-a2", "ct-syt", "nguyen-a", Role::Head, "2016-07-01")),
        ("2016-07-20", complete("t-move", "ct-snv-tccb")),
        ("2016-08-01", reject("e-ct", "ct-snv")),
        ("2016-02-20", score("st-sgd", 2015, "1.1", Final, None, 900)),
        ("2016-02-20", score("st-snv", 2015, "1.1", Final, None, 800)),
        ("2016-02-20", score("ct-snv", 2015, "1.1", Final, None, 950)),
        ("2016-02-20", score("st", 2015, "1.1", Final, None, 700)),
        ("2016-02-20", score("ct", 2015, "1.1", Final, None, 750)),
        ("2017-02-25", score("st-sgd", 2016, "1.1", Final, None, 850)),
        ("2017-02-25", score("st-sgd", 2016, "2.1", Final, None, 900)),
        ("2017-02-25", score("st-snv", 2016, "1.1", Final, None, 1000)),
        ("2017-02-25", score("ct-snv", 2016, "1.1", Final, None, 850)),
        ("2017-02-25", score("ct-snv", 2016, "2.1", Final, None, 900)),
        ("2017-02-25", score("ct-syt", 2016, "1.1", Final, None, 400)),
        ("2017-02-25", score("st", 2016, "1.1", Final, None, 800)),
        ("2017-02-25", score("ct", 2016, "1.1", Final, None, 900)),
    ]
}

/// Every query a head, the dashboard or an auditor asks of these views, with its subject.
fn queries() -> Vec<(&'static str, Value)> {
    let units =
        ["st", "ct", "st-sgd", "st-snv", "st-sgd-vp", "ct-snv", "ct-syt", "ct-snv-tccb", "nowhere"];
    let as_ofs = [Value::Null, json!("2016-04-15"), json!("2016-06-01"), json!("2016-12-31")];
    let mut out = vec![("par.view.directory", Value::Null)];
    for unit in units {
        for year in [2015, 2016] {
            for as_of in &as_ofs {
                let q = json!({"unit": unit, "year": year, "as_of": as_of});
                out.push(("par.view.unit", q.clone()));
                out.push(("par.view.evidence", q.clone()));
                out.push(("par.view.tasks", q));
                let all = json!({"unit": unit, "year": year, "as_of": as_of,
                                 "filter": {"with_sub_units": true}});
                out.push(("par.view.tasks", all));
            }
        }
        for on in ["2016-04-15", "2016-07-25"] {
            out.push((
                "par.view.reminders",
                json!({"unit": unit, "on": on, "since": "2016-01-01"}),
            ));
        }
    }
    for parent in ["st", "ct", "st-sgd", "nowhere"] {
        for year in [2015, 2016] {
            for kind in ["department", "division"] {
                let q = json!({"parent": parent, "kind": kind, "year": year});
                out.push(("par.view.ranking", q));
            }
        }
    }
    out.push(("par.view.people", Value::Null));
    for person in ["nguyen-a", "tran-b", "nobody"] {
        out.push(("par.view.person", json!({"person": person})));
        for as_of in &as_ofs {
            out.push(("par.view.timeline", json!({"person": person, "as_of": as_of})));
        }
    }
    for kind in ["province", "department", "division"] {
        for year in [2015, 2016] {
            for as_of in [Value::Null, json!("2016-12-31")] {
                out.push((
                    "par.view.national",
                    json!({"kind": kind, "year": year, "as_of": as_of}),
                ));
            }
        }
    }
    out
}

async fn ask_all(client: &async_nats::Client) -> Vec<Value> {
    let mut out = Vec::new();
    for (subject, query) in queries() {
        let payload =
            if query.is_null() { Vec::new() } else { serde_json::to_vec(&query).expect("json") };
        let message =
            tokio::time::timeout(Duration::from_secs(20), client.request(subject, payload.into()))
                .await
                .unwrap_or_else(|_| panic!("{subject} {query} timed out"))
                .unwrap_or_else(|e| panic!("{subject} {query}: {e}"));
        let answer: Value = serde_json::from_slice(&message.payload).expect("json answer");
        out.push(answer);
    }
    out
}

/// How many projectors serve the views (the national endpoint is registered with the views).
async fn serving(client: &async_nats::Client) -> usize {
    reform_shared::testkit::serving(client, "par-projector", "national").await
}

async fn until_serving(client: &async_nats::Client, n: usize) {
    eventually(&format!("{n} projectors serving the views"), CATCH_UP_DEADLINE, || async {
        (serving(client).await == n).then_some(())
    })
    .await;
}

fn config(db: &Path, consumer: &str, owns: &str) -> Config {
    let mut config = Config::new(db.to_path_buf());
    config.consumer = consumer.into();
    config.owns = Owns::parse(owns).expect("provinces");
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_pair_of_projectors_answers_every_query_as_one_projector_does() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let last = append_all(&appender, "split", &two_provinces()).await;

    let one = InProcess::start(&broker, &dir.path().join("one.redb"));
    until_serving(&broker.client, 1).await;
    caught_up(&broker.client, last).await;
    let single = ask_all(&broker.client).await;
    one.stop().await.expect("clean stop");
    until_serving(&broker.client, 0).await;

    let st = InProcess::with_config(
        &broker,
        config(&dir.path().join("st.redb"), "par-projector-st", "st"),
    );
    let ct = InProcess::with_config(
        &broker,
        config(&dir.path().join("ct.redb"), "par-projector-ct", "ct"),
    );
    until_serving(&broker.client, 2).await;
    let split = ask_all(&broker.client).await;
    // Asked again: each query reaches either projector, so a second pass takes other routes.
    let again = ask_all(&broker.client).await;
    // With Cần Thơ's owner gone, a query about it says so, naming the province, at once.
    ct.stop().await.expect("clean stop");
    until_serving(&broker.client, 1).await;
    let orphan = json!({"unit": "ct-snv", "year": 2016});
    let message = broker
        .client
        .request("par.view.unit", serde_json::to_vec(&orphan).expect("json").into())
        .await
        .expect("an answer");
    let answer: Value = serde_json::from_slice(&message.payload).expect("json");
    assert_eq!(answer["kind"], "unavailable", "{answer}");
    let said = answer["message"].as_str().unwrap_or_default();
    assert!(said.contains("no projector answered for province ct"), "{said}");
    let code = message.headers.as_ref().and_then(|h| h.get("Nats-Service-Error-Code"));
    assert_eq!(code.map(|v| v.as_str()), Some("503"));
    st.stop().await.expect("clean stop");

    let asked = queries();
    let mut differing = Vec::new();
    for (((subject, query), one), (two, three)) in
        asked.iter().zip(&single).zip(split.iter().zip(&again))
    {
        if one != two || one != three {
            differing.push(format!(
                "{subject} {query}:\n  one:   {one}\n  split: {two}\n  again: {three}"
            ));
        }
    }
    assert!(
        differing.is_empty(),
        "{} of {} answers differ:\n{}",
        differing.len(),
        asked.len(),
        differing.join("\n")
    );

    // The answers are the right ones, not only the same: the moved task counts in Cần Thơ's
    // division, done on time, and no longer in Sóc Trăng's department.
    let find = |subject: &str, query: Value| -> &Value {
        let at = asked.iter().position(|(s, q)| *s == subject && *q == query).expect("asked");
        &single[at]
    };
    let tasks_of = |unit: &str| -> Vec<(String, String)> {
        let answer = find("par.view.tasks", json!({"unit": unit, "year": 2016, "as_of": null}));
        answer["view"]["tasks"]
            .as_array()
            .unwrap_or_else(|| panic!("tasks of {unit}: {answer}"))
            .iter()
            .map(|t| {
                (
                    t["task"].as_str().unwrap_or("").to_owned(),
                    t["status"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(tasks_of("ct-snv-tccb"), [("t-move".to_owned(), "done-on-time".to_owned())]);
    assert!(tasks_of("st-sgd").is_empty(), "{:?}", tasks_of("st-sgd"));
    assert!(tasks_of("ct-syt").iter().any(|(t, _)| t == "t-back"));
    // Before the move, as true at 15 April, it was still Sóc Trăng's.
    let before =
        find("par.view.tasks", json!({"unit": "st-sgd", "year": 2016, "as_of": "2016-04-15"}));
    assert!(before.to_string().contains("t-move"), "{before}");
    // The national ranking of provinces: Cần Thơ 90.00 first, Sóc Trăng 80.00 second.
    let national =
        find("par.view.national", json!({"kind": "province", "year": 2016, "as_of": null}));
    let entries: Vec<(String, u64)> = national["view"]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| (e["unit"].as_str().unwrap_or("").to_owned(), e["rank"].as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(entries, [("ct".to_owned(), 1), ("st".to_owned(), 2)], "{national}");
    // Nguyễn Văn An's two tenures, one in each province, on one timeline.
    let timeline = find("par.view.timeline", json!({"person": "nguyen-a", "as_of": null}));
    assert_eq!(timeline["view"]["tenures"].as_array().map(Vec::len), Some(2), "{timeline}");

    // Each projector applied only its share: fewer events than the whole log.
    let applied = |name: &str| {
        Store::open(&dir.path().join(name)).expect("open").dump().expect("dump").events_applied
    };
    let (whole, st_share, ct_share) = (applied("one.redb"), applied("st.redb"), applied("ct.redb"));
    assert_eq!(whole, last);
    assert!(st_share < whole && ct_share < whole, "{whole} {st_share} {ct_share}");
}
