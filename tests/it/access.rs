//! Who may do what, through the real command services on a real broker: one test per cell of
//! the access table (docs/security.md), each showing a person with the role accepted and a
//! person without it turned down naming the role, with nothing appended; and every way a
//! signature can be wrong. The reproductions of issue #11 are among them.

use reform_shared::command::{Accepted, CommandError, FailureKind};
use reform_shared::event::{Access, Component, Criterion, Event, Role, UnitKind};
use reform_shared::points::Points;
use reform_shared::testkit::events::*;
use reform_shared::testkit::{append_all, id, key_of, send_raw_signed, Broker};

/// The day every command happens on, unless it says otherwise.
const ON: &str = "2016-06-01";

/// A province with its appraising department (snv), a department (sgd) with a division
/// (sgd-vp), and a district (lp); and one person per role:
/// - `admin`, the first administrator; `head` and `deputy` of sgd; `vp-head`, head of the
///   division; `staff` of sgd; `appraiser` at snv; `auditor`; `outsider`, registered with a key
///   and no role; `former`, whose key was revoked.
/// - frameworks for departments and districts (criterion 1.1, max 3.00), a task at sgd and one
///   at lp, evidence at sgd.
struct World {
    broker: Broker,
    services: reformctl::up_services::InProcess,
}

impl World {
    async fn start() -> World {
        let broker = Broker::start().await;
        let appender = broker.appender().await;
        let criterion = Criterion {
            code: id("1.1"),
            component: Component::DirectionAndManagement,
            title: "Kế hoạch CCHC".into(),
            max_points: Points(300),
            survey_measured: false,
        };
        let framework = |unit_kind| Event::FrameworkPublished {
            year: 2016,
            unit_kind,
            source: "QĐ 2636/QĐ-BNV".into(),
            criteria: vec![criterion.clone()],
        };
        let people = ["head", "deputy", "vp-head", "staff", "appraiser", "auditor", "outsider"];
        let mut events = vec![
            genesis("admin"),
            unit("st", "Tỉnh Sóc Trăng", UnitKind::Province, None),
            unit("snv", "Sở Nội vụ", UnitKind::Department, Some("st")),
            unit("sgd", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("st")),
            unit("sgd-vp", "Văn phòng Sở", UnitKind::Division, Some("sgd")),
            unit("lp", "UBND huyện Long Phú", UnitKind::District, Some("st")),
        ];
        for p in people.iter().chain(&["former"]) {
            events.push(person(p, &format!("Cán bộ {p}"), ""));
            events.push(key(p));
        }
        events.extend([
            Event::KeyRevoked {
                person: id("former"),
                key: key_of("former").public_key(),
                reason: "nghỉ hưu".into(),
            },
            appoint("t-head", "sgd", "head", Role::Head, "2015-01-01"),
            appoint("t-deputy", "sgd", "deputy", Role::ReformDeputy, "2015-01-01"),
            appoint("t-vp", "sgd-vp", "vp-head", Role::Head, "2015-01-01"),
            grant("staff", Access::Staff, Some("sgd")),
            grant("appraiser", Access::Appraiser, Some("snv")),
            grant("auditor", Access::Auditor, None),
            framework(UnitKind::Department),
            framework(UnitKind::District),
            framework(UnitKind::Division),
            assign("t-sgd", "sgd", "Rà soát thủ tục", "2016-12-31"),
            assign("t-lp", "lp", "Một cửa liên thông", "2016-12-31"),
            evidence("e1", "sgd", None, "2016-05-20"),
        ]);
        let dated: Vec<(&str, Event)> = events.into_iter().map(|e| ("2016-01-04", e)).collect();
        append_all(&appender, "world", &dated).await;
        // The world above is written by the test harness, unsigned.
        let unsigned = reform_shared::audit::verify::Unsigned::Allowed;
        let services = reformctl::up_services::InProcess::start(&broker.client, unsigned)
            .await
            .expect("services start");
        World { broker, services }
    }

    /// Sends `command` (JSON) to `service` as `actor`, signed with the actor's key.
    async fn send(
        &self,
        service: &str,
        actor: &str,
        command: serde_json::Value,
    ) -> Result<Accepted, CommandError> {
        self.send_as(service, actor, &format!("{actor}-{}", fresh()), command).await
    }

    /// [`World::send`] under a command id of the caller's choosing.
    async fn send_as(
        &self,
        service: &str,
        actor: &str,
        command_id: &str,
        command: serde_json::Value,
    ) -> Result<Accepted, CommandError> {
        let request = serde_json::json!({
            "command_id": command_id,
            "actor": actor,
            "occurred_on": ON,
            "command": command,
        });
        let bytes = serde_json::to_vec(&request).expect("JSON");
        send_raw_signed(&self.broker.client, service, &bytes, actor).await
    }

    async fn accepted(&self, service: &str, actor: &str, command: serde_json::Value) {
        let what = command.to_string();
        match self.send(service, actor, command).await {
            Ok(_) => {}
            Err(e) => panic!("{actor}: {what} should be accepted: {e}"),
        }
    }

    /// The command is turned down (denied by the access table, or refused by the service's own
    /// rule of who leads), its message names `needs`, and nothing is appended.
    async fn turned_down(
        &self,
        service: &str,
        actor: &str,
        command: serde_json::Value,
        needs: &str,
    ) -> String {
        let before = self.broker.stream_messages().await;
        let what = command.to_string();
        let error = self.send(service, actor, command).await.expect_err(&what);
        assert!(
            matches!(error.kind(), FailureKind::Denied | FailureKind::Refused),
            "{actor}: {what}: {error}"
        );
        let message = error.to_string();
        assert!(message.contains(needs), "{actor}: {what}: {message:?} does not name {needs:?}");
        assert_eq!(self.broker.stream_messages().await, before, "{what} appended something");
        message
    }

    async fn stop(self) {
        self.services.stop().await;
    }
}

/// A command id unique in this test binary.
fn fresh() -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!("c{}", N.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

fn score(unit: &str, stage: &str, points: &str) -> serde_json::Value {
    serde_json::json!({"type": "record-score", "unit": unit, "year": 2016, "criterion": "1.1",
        "stage": stage, "points": points, "reason": "theo hồ sơ", "evidence": []})
}

fn task(task: &str, unit: &str) -> serde_json::Value {
    serde_json::json!({"type": "assign-task", "task": task, "unit": unit, "title": "Nhiệm vụ",
        "target": "Hoàn thành", "due": "2016-12-31"})
}

fn progress(task: &str) -> serde_json::Value {
    serde_json::json!({"type": "report-progress", "task": task, "percent": 50, "note": "đang làm"})
}

const ADMINISTRATOR: &str = "the administrator access";
const STAFF: &str = "the staff access at";
const APPRAISER: &str = "the appraiser access at a unit that appraises";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_keeps_the_directory_keys_access_and_frameworks_and_no_one_else() {
    let w = World::start().await;
    let unit = serde_json::json!({"type": "add-unit", "unit": "sxd", "name": "Sở Xây dựng",
        "kind": "department", "parent": "st"});
    w.turned_down("directory", "head", unit.clone(), ADMINISTRATOR).await;
    w.accepted("directory", "admin", unit).await;
    // Issue #11: any registered person could appoint themself head. Now only administrators.
    let myself = serde_json::json!({"type": "appoint-leader", "tenure": "t-self", "unit": "lp",
        "person": "outsider", "role": "head", "from": ON});
    w.turned_down("directory", "outsider", myself.clone(), ADMINISTRATOR).await;
    w.accepted("directory", "admin", myself).await;
    let key = serde_json::json!({"type": "register-key", "person": "outsider",
        "key": nkeys::KeyPair::new_user().public_key()});
    w.turned_down("directory", "staff", key.clone(), ADMINISTRATOR).await;
    w.accepted("directory", "admin", key).await;
    let grant = serde_json::json!({"type": "grant-access", "person": "outsider",
        "access": "administrator"});
    w.turned_down("directory", "outsider", grant.clone(), ADMINISTRATOR).await;
    w.accepted("directory", "admin", grant).await;
    let shipped = include_str!("../../services/scoring/frameworks/par-index-department.json");
    let framework = reform_scoring::framework::FrameworkFile::parse(shipped.as_bytes())
        .expect("the shipped framework parses")
        .into_command(Some(2017))
        .expect("a year is given");
    let framework = serde_json::to_value(&framework).expect("JSON");
    w.turned_down("scoring", "appraiser", framework.clone(), ADMINISTRATOR).await;
    w.accepted("scoring", "admin", framework).await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_directs_the_tasks_of_the_unit_and_its_sub_units_only() {
    let w = World::start().await;
    w.accepted("tasks", "head", task("t-1", "sgd")).await;
    w.accepted("tasks", "head", task("t-2", "sgd-vp")).await;
    w.turned_down("tasks", "head", task("t-3", "lp"), "lp").await;
    // A division's head does not direct the department above it.
    w.turned_down("tasks", "vp-head", task("t-4", "sgd"), "sgd").await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reform_deputy_directs_tasks_and_self_assesses_the_unit_itself() {
    let w = World::start().await;
    w.accepted("tasks", "deputy", task("t-1", "sgd-vp")).await;
    w.accepted("scoring", "deputy", score("sgd", "self-assessed", "2.50")).await;
    w.accepted("scoring", "head", score("sgd", "self-assessed", "2.75")).await;
    let needs = "the head or reform deputy of Sở Giáo dục và Đào tạo (sgd) itself";
    w.turned_down("scoring", "staff", score("sgd", "self-assessed", "3.00"), needs).await;
    // Leading a department is no right to self-assess its division, nor a district.
    let needs = "the head or reform deputy of Văn phòng Sở (sgd-vp) itself";
    w.turned_down("scoring", "deputy", score("sgd-vp", "self-assessed", "1"), needs).await;
    w.turned_down("scoring", "head", score("lp", "self-assessed", "1"), "(lp) itself").await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_report_progress_and_attach_evidence_on_their_units_tasks() {
    let w = World::start().await;
    w.accepted("tasks", "staff", progress("t-sgd")).await;
    let needs = "the staff access at UBND huyện Long Phú (lp)";
    w.turned_down("tasks", "staff", progress("t-lp"), needs).await;
    w.turned_down("tasks", "outsider", progress("t-sgd"), STAFF).await;
    // Staff do not direct: assigning is a leader's.
    w.turned_down("tasks", "staff", task("t-1", "sgd"), "sgd").await;
    // Evidence goes through the upload path and the signed attach.
    let document = |evidence: &str, unit: &str| reform_shared::command::Request {
        command_id: id(&format!("attach-{evidence}")),
        actor: id("staff"),
        occurred_on: Some(reform_shared::testkit::date(ON)),
        command: reform_evidence::client::Document {
            evidence: id(evidence),
            unit: id(unit),
            task: None,
            criterion: None,
            title: "Báo cáo CCHC 6 tháng".into(),
            document_number: "1264/BC-SGDĐT".into(),
            document_date: reform_shared::testkit::date("2016-05-30"),
            media_type: "application/pdf".into(),
        },
    };
    let bytes = b"BAO CAO 6 THANG";
    let key = key_of("staff");
    reform_evidence::client::attach(&w.broker.client, document("e-2", "sgd"), bytes, &key)
        .await
        .expect("staff attach their unit's evidence");
    let before = w.broker.stream_messages().await;
    let denied =
        reform_evidence::client::attach(&w.broker.client, document("e-3", "lp"), bytes, &key)
            .await
            .expect_err("not staff of lp");
    assert!(denied.to_string().contains(STAFF), "{denied}");
    assert_eq!(w.broker.stream_messages().await, before);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appraiser_sets_appraised_and_final_scores_and_rejects_evidence() {
    let w = World::start().await;
    w.accepted("scoring", "deputy", score("sgd", "self-assessed", "2.50")).await;
    w.turned_down("scoring", "head", score("sgd", "appraised", "2.50"), APPRAISER).await;
    w.accepted("scoring", "appraiser", score("sgd", "appraised", "2.50")).await;
    // Issue #11: a division head of the education department set a district's final score.
    w.accepted("scoring", "appraiser", score("lp", "appraised", "3.00")).await;
    let needs = "the appraiser access at a unit that appraises UBND huyện Long Phú (lp)";
    w.turned_down("scoring", "vp-head", score("lp", "final", "0"), needs).await;
    w.accepted("scoring", "appraiser", score("lp", "final", "3.00")).await;
    let reject = serde_json::json!({"type": "reject", "evidence": "e1",
        "reason": "bản chụp không đọc được"});
    w.turned_down("evidence", "staff", reject.clone(), APPRAISER).await;
    w.accepted("evidence", "appraiser", reject).await;
    let finding = serde_json::json!({"type": "record-finding", "finding": "f1", "unit": "lp",
        "inspection_document": "45/KH-SNV", "text": "Chưa niêm yết thủ tục",
        "remediation_task": "t-f1", "remediation_due": "2016-09-30"});
    w.turned_down("tasks", "outsider", finding.clone(), "an appraiser of").await;
    w.accepted("tasks", "appraiser", finding).await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_reads_everything_and_records_nothing() {
    let w = World::start().await;
    w.turned_down("tasks", "auditor", progress("t-sgd"), STAFF).await;
    w.turned_down("scoring", "auditor", score("sgd", "final", "3"), "").await;
    let unit = serde_json::json!({"type": "add-unit", "unit": "x", "name": "X",
        "kind": "department", "parent": "st"});
    w.turned_down("directory", "auditor", unit, ADMINISTRATOR).await;
    w.stop().await;
}

/// A command with a forged, missing or wrong signature, signed with a revoked key, or with
/// another person's key, is denied and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_wrong_signature_is_denied_and_changes_nothing() {
    let w = World::start().await;
    let client = &w.broker.client;
    let before = w.broker.stream_messages().await;
    let request = |actor: &str| {
        serde_json::to_vec(&serde_json::json!({"command_id": format!("sig-{actor}"),
            "actor": actor, "occurred_on": ON, "command": progress("t-sgd")}))
        .expect("JSON")
    };
    let denied = |result: Result<Accepted, CommandError>, words: &str| {
        let error = result.expect_err("denied");
        assert_eq!(error.kind(), FailureKind::Denied, "{error}");
        assert!(error.to_string().contains(words), "{error}");
    };
    // Missing.
    let unsigned = reform_shared::command::send_signed(
        client,
        "tasks",
        request("staff"),
        async_nats::HeaderMap::new(),
    );
    denied(unsigned.await, "the request is not signed");
    // Sends `bytes` to the tasks service with `signature`'s headers, whatever they say.
    let with = |bytes: Vec<u8>, signature: reform_shared::envelope::Signature| {
        let headers = reform_shared::sign::headers(&signature);
        reform_shared::command::send_signed(client, "tasks", bytes, headers)
    };
    let sign = |person: &str, endpoint: &str, bytes: &[u8]| {
        reform_shared::sign::sign(&key_of(person), endpoint, bytes).expect("signs")
    };
    // Forged: the staff member's key named, someone else's signature.
    let bytes = request("staff");
    let mut forged = sign("outsider", "par.cmd.tasks", &bytes);
    forged.key = key_of("staff").public_key();
    denied(with(bytes, forged).await, "does not match the request");
    // Wrong: signed, then altered.
    let bytes = request("staff");
    let signature = sign("staff", "par.cmd.tasks", &bytes);
    let altered = String::from_utf8(bytes).expect("utf-8").replace("50", "100").into_bytes();
    denied(with(altered, signature).await, "does not match the request");
    // Signed for another service.
    let bytes = request("staff");
    let signature = sign("staff", "par.cmd.scoring", &bytes);
    denied(with(bytes, signature).await, "does not match the request");
    // A revoked key.
    denied(send_raw_signed(client, "tasks", &request("former"), "former").await, "was revoked");
    // Another person's key: the outsider signs a request naming the staff member.
    denied(
        send_raw_signed(client, "tasks", &request("staff"), "outsider").await,
        "belongs to outsider, not to staff",
    );
    // An unknown key.
    denied(
        send_raw_signed(client, "tasks", &request("nobody"), "nobody").await,
        "is not registered for anyone",
    );
    assert_eq!(w.broker.stream_messages().await, before, "a denied command appended");
    // And the same request, rightly signed, is accepted.
    send_raw_signed(client, "tasks", &request("staff"), "staff").await.expect("accepted");
    w.stop().await;
}

/// A key revoked a moment before a command arrives is denied, however the revocation and the
/// command race: the service decides on every event appended before the command came, not on
/// what its reader happened to have taken in. Three people in turn: each is accepted with their
/// key; 5,000 other events and the key's revocation are appended (straight into the log, as the
/// directory service would), so the reader has a backlog; their next command, sent at once, is
/// denied. Before the service caught up before deciding, the first was accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_just_before_a_command_is_denied() {
    let w = World::start().await;
    let appender = w.broker.appender().await;
    for i in 0..3 {
        let who = format!("staff-{i}");
        let joined = [
            ("2016-01-04", person(&who, &format!("Cán bộ {i}"), "")),
            ("2016-01-04", key(&who)),
            ("2016-01-04", grant(&who, Access::Staff, Some("sgd"))),
        ];
        append_all(&appender, &format!("join-{i}"), &joined).await;
        w.accepted("tasks", &who, progress("t-sgd")).await;
        let revoked = Event::KeyRevoked {
            person: id(&who),
            key: key_of(&who).public_key(),
            reason: "thất lạc".into(),
        };
        // The reader has a backlog to take in first, as under load.
        let on = reform_shared::testkit::date("2016-06-01");
        let backlog = (0..5_000).map(|n| {
            let other = format!("p-{i}-{n}");
            reform_shared::testkit::loaded_message(&other, on, person(&other, "Người khác", ""))
        });
        reform_shared::testkit::publish_all(&w.broker.js, backlog).await;
        append_all(&appender, &format!("revoke-{i}"), &[("2016-06-01", revoked)]).await;
        let error = w.send("tasks", &who, progress("t-sgd")).await.expect_err(&who);
        assert_eq!(error.kind(), FailureKind::Denied, "{who}: {error}");
        assert!(error.to_string().contains("was revoked"), "{who}: {error}");
    }
    w.stop().await;
}

/// A command id is its sender's to choose, and clients make them predictably, so another
/// person can send a command under an id first. A later request of someone else's under that
/// id is not a retry of it: taking it for one would answer "recorded" and drop the command. It
/// is a conflict, in any service, and the sender's own retry still gets the first answer.
#[tokio::test]
async fn a_command_under_another_senders_command_id_is_a_conflict_not_a_retry() {
    let w = World::start().await;
    let first = w.send_as("tasks", "staff", "taken-id", progress("t-sgd")).await.expect("first");
    let before = w.broker.stream_messages().await;
    for (service, command) in
        [("tasks", task("t-9", "sgd")), ("scoring", score("sgd", "self-assessed", "2.00"))]
    {
        let error = w.send_as(service, "head", "taken-id", command).await.expect_err(service);
        assert_eq!(error.kind(), FailureKind::Conflict, "{service}: {error}");
        let message = error.to_string();
        assert!(message.contains("command id taken-id is already used"), "{message}");
        assert!(message.contains(&format!("sequence {}", first.sequence)), "{message}");
    }
    assert_eq!(w.broker.stream_messages().await, before, "a conflict appended something");
    let retry = w.send_as("tasks", "staff", "taken-id", progress("t-sgd")).await.expect("retry");
    assert_eq!((retry.sequence, retry.duplicate), (first.sequence, true));
    w.accepted("tasks", "head", task("t-9", "sgd")).await;
    w.stop().await;
}
