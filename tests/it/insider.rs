//! What someone with the services' broker credentials can and cannot do: make people believe a
//! command recorded, give themself a key the services honour, or make a service decide on an
//! event no signed command decided.

use futures::StreamExt as _;
use reform_shared::command::{send, CommandError, FailureKind, Request};
use reform_shared::event::UnitKind;
use reform_shared::testkit::events::*;
use reform_shared::testkit::{append_all, id, key_of, Broker};

/// An impostor joins the tasks service's queue group (as anyone with the services' credentials
/// can) and answers every command "recorded" without appending anything. The client reads the
/// log at the sequence the answer names and finds another command there, or nothing: it
/// reports the command as not recorded (`unavailable`, so a retry with the same command id is
/// safe), never as recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_impostor_answering_for_a_service_cannot_make_a_client_believe_a_command_recorded() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let world = [("2016-01-04", unit("sgd", "Sở Giáo dục", UnitKind::Department, None))];
    append_all(&appender, "w", &world).await;
    let mut taken = broker.client.queue_subscribe("par.cmd.tasks", "q".into()).await.expect("sub");
    let impostor = broker.client.clone();
    let answering = tokio::spawn(async move {
        let mut answered = 0u32;
        while let Some(request) = taken.next().await {
            let Some(reply) = request.reply else { continue };
            // Sequence 1 holds someone else's event; sequence 99 does not exist.
            let sequence = if answered.is_multiple_of(2) { 1 } else { 99 };
            let lie = format!(
                r#"{{"outcome":"ok","sequence":{sequence},"event":"task-assigned","duplicate":false}}"#
            );
            impostor.publish(reply, lie.into()).await.expect("answers");
            answered += 1;
        }
    });
    let command = serde_json::json!({"type": "assign-task", "task": "t1", "unit": "sgd",
        "title": "Rà soát", "target": "Xong", "due": "2016-12-31"});
    let request = Request { command_id: id("c1"), actor: id("hoa"), occurred_on: None, command };
    let error = send(&broker.client, "tasks", &request, &key_of("hoa")).await.expect_err("a lie");
    assert_eq!(error.kind(), FailureKind::Unavailable, "{error}");
    let CommandError::NotRecorded { sequence, what, .. } = &error else { panic!("{error:?}") };
    // Three attempts, all answered by the impostor: the last lie named sequence 1.
    assert_eq!(*sequence, 1, "{error}");
    assert!(what.contains("the event there is command w-0 by tester"), "{error}");
    assert!(error.to_string().contains("it is not recorded"), "{error}");
    assert_eq!(broker.stream_messages().await, 1, "nothing was appended");
    answering.abort();
}

/// A signed request of `actor`'s, as `send` would make it, on 2016-03-01.
pub(crate) fn request(
    command_id: &str,
    actor: &str,
    command: serde_json::Value,
) -> Request<serde_json::Value> {
    Request {
        command_id: id(command_id),
        actor: id(actor),
        occurred_on: Some(reform_shared::testkit::date("2016-03-01")),
        command,
    }
}

/// Someone with the services' credentials gives themself a key of the administrator's: once
/// in the administrator's name with no signature, once beside the administrator's real
/// signed request to register another person's key. The services read both and honour
/// neither, so a command signed with that key is denied as signed with an unknown key, and
/// nothing is appended for it; what the administrator really did stays in force.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_an_insider_registers_is_not_honoured_by_the_services() {
    use reform_shared::event::Event;
    use reform_shared::testkit::{draft, signed_draft};
    let broker = Broker::start().await;
    broker
        .appender()
        .await
        .append_next(signed_draft("g", "2016-01-01", genesis("admin"), "admin"))
        .await
        .expect("genesis");
    // Honouring only signed directory events: the default.
    let services = reformctl::up_services::InProcess::start(&broker.client, Default::default())
        .await
        .expect("services start");
    let admin = key_of("admin");
    let send_as = |key: &nkeys::KeyPair, request: Request<serde_json::Value>| {
        let (client, key) = (broker.client.clone(), key.clone());
        async move { send(&client, "directory", &request, &key).await }
    };
    let province = serde_json::json!({"type": "add-unit", "unit": "st", "name": "Tỉnh Sóc Trăng",
        "kind": "province", "parent": null});
    send_as(&admin, request("u1", "admin", province)).await.expect("a unit");
    let hoa = serde_json::json!({"type": "register-person", "person": "hoa", "name": "Hoa",
        "title": "Chuyên viên"});
    send_as(&admin, request("p1", "admin", hoa)).await.expect("a person");
    let hoa_key = serde_json::json!({"type": "register-key", "person": "hoa",
        "key": key_of("hoa").public_key()});
    let registered = send_as(&admin, request("k1", "admin", hoa_key)).await.expect("a key");

    let mallory = nkeys::KeyPair::new_user();
    let theirs = Event::KeyRegistered { person: id("admin"), key: mallory.public_key() };
    let mut unsigned = draft("m1", "2016-03-01", theirs.clone());
    unsigned.actor = reform_shared::envelope::Actor::Person(id("admin"));
    broker.insider_appends(unsigned).await;
    let stream = broker.js.get_stream(reform_shared::subject::STREAM_NAME).await.expect("stream");
    let raw = stream.get_raw_message(registered.sequence).await.expect("stored");
    let real = reform_shared::codec::decode(&raw.payload).expect("decodes").envelope;
    let mut stapled = draft("k1", "2016-03-01", theirs);
    stapled.actor = real.actor.clone();
    stapled.signature = real.signature.clone();
    stapled.occurred_at = real.occurred_at;
    stapled.recorded_at = real.recorded_at;
    broker.insider_appends(stapled).await;
    let before = broker.stream_messages().await;

    let unit = serde_json::json!({"type": "add-unit", "unit": "sxd", "name": "Sở Xây dựng",
        "kind": "department", "parent": "st"});
    let denied = send_as(&mallory, request("m2", "admin", unit.clone())).await.expect_err("no");
    assert_eq!(denied.kind(), FailureKind::Denied, "{denied}");
    let message = denied.to_string();
    assert!(message.contains(&mallory.public_key()), "{message}");
    assert!(message.contains("is not registered for anyone"), "{message}");
    assert_eq!(broker.stream_messages().await, before, "nothing appended for it");
    // The administrator's own key, and hoa's, stand.
    send_as(&admin, request("u2", "admin", unit)).await.expect("the administrator still can");
    // Each command service says it did not honour two events, and names the last.
    let status = reformctl::status::gather(&broker.client).await.expect("status");
    let command_services = ["directory", "tasks", "evidence", "scoring"];
    let of_a_command_service = |name: &str| command_services.iter().any(|s| name.ends_with(s));
    for part in status.parts.iter().filter(|p| of_a_command_service(p.name)) {
        let health = part.health.as_ref().expect("it answers");
        assert_eq!(health.not_honoured, 2, "{}: {health:?}", part.name);
        let last = health.last_not_honoured.as_deref().unwrap_or_default();
        // Decided again, the administrator's request registers a key hoa already has.
        assert!(last.contains("key-registered: its signed command is refused"), "{last}");
        assert!(last.contains("is already registered for hoa"), "{last}");
    }
    services.stop().await;
}

/// Someone with the services' credentials staples a head's real signed request (assign task
/// t-1) to another outcome (task t-2, another title). The tasks service reads it and does not
/// honour it: its own kind of event must be what its signed request decides, as `audit verify`
/// requires. So the head's real command to assign t-2 is accepted, not refused as a task that
/// exists; the tasks service says it did not honour one event and why; the other services,
/// which do not decide tasks, leave it to the tasks service and the auditor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_an_insider_staples_to_a_real_request_is_not_honoured_by_the_tasks_service() {
    use reform_shared::event::{Event, Role};
    use reform_shared::testkit::{draft, send_raw_signed};
    let broker = Broker::start().await;
    let world = [
        genesis("admin"),
        unit("st", "Tỉnh Sóc Trăng", UnitKind::Province, None),
        unit("sgd", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("st")),
        person("head", "Trần Văn Hùng", ""),
        key("head"),
        appoint("t-head", "sgd", "head", Role::Head, "2015-01-01"),
    ];
    let dated: Vec<(&str, Event)> = world.into_iter().map(|e| ("2016-01-04", e)).collect();
    append_all(&broker.appender().await, "world", &dated).await;
    // The world above is written by the test harness, unsigned.
    let unsigned = reform_shared::audit::verify::Unsigned::Allowed;
    let services = reformctl::up_services::InProcess::start(&broker.client, unsigned)
        .await
        .expect("services start");
    let assign_as_head = |command_id: &str, task: &str| {
        let request = serde_json::json!({"command_id": command_id, "actor": "head",
            "occurred_on": "2016-03-01", "command": {"type": "assign-task", "task": task,
            "unit": "sgd", "title": "Rà soát thủ tục", "target": "Hoàn thành",
            "due": "2016-12-31"}});
        let (client, bytes) = (broker.client.clone(), serde_json::to_vec(&request));
        async move { send_raw_signed(&client, "tasks", &bytes.expect("JSON"), "head").await }
    };
    let real = assign_as_head("a1", "t-1").await.expect("the head assigns t-1");

    let stream = broker.js.get_stream(reform_shared::subject::STREAM_NAME).await.expect("stream");
    let raw = stream.get_raw_message(real.sequence).await.expect("stored");
    let real = reform_shared::codec::decode(&raw.payload).expect("decodes").envelope;
    let mut stapled =
        draft("a1", "2016-03-01", assign("t-2", "sgd", "Việc không ai giao", "2016-04-30"));
    stapled.actor = real.actor.clone();
    stapled.signature = real.signature.clone();
    stapled.occurred_at = real.occurred_at;
    stapled.recorded_at = real.recorded_at;
    let forged = broker.insider_appends(stapled).await;

    // Had the tasks service taken the forged t-2, it would refuse this as a task that exists.
    let accepted = assign_as_head("a2", "t-2").await.expect("the head's own t-2 is accepted");
    assert!(accepted.sequence > forged);
    let status = reformctl::status::gather(&broker.client).await.expect("status");
    for part in status.parts.iter().filter(|p| p.health.is_some()) {
        let health = part.health.as_ref().expect("it answers");
        if part.name.ends_with("tasks") {
            assert_eq!(health.not_honoured, 1, "{}: {health:?}", part.name);
            let last = health.last_not_honoured.as_deref().unwrap_or_default();
            assert!(last.starts_with(&format!("sequence {forged}: task-assigned")), "{last}");
            // Decided again on the log before it, the head's request assigns t-1 a second time.
            let again =
                "its signed command is refused on the log before it: task t-1 already exists";
            assert!(last.contains(again), "{last}");
        } else if ["directory", "evidence", "scoring"].iter().any(|s| part.name.ends_with(s)) {
            assert_eq!(health.not_honoured, 0, "{}: {health:?}", part.name);
        }
    }
    services.stop().await;
}
