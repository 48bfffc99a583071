//! The foundation: the stream, the appender's typed outcomes, and the server handling.

use reform_shared::append::{AppendError, AppendOutcome};
use reform_shared::codec;
use reform_shared::event::Event;
use reform_shared::subject::STREAM_NAME;
use reform_shared::testkit::{date, draft, id, Broker};

fn assigned(task: &str, unit: &str) -> Event {
    Event::TaskAssigned {
        task: id(task),
        unit: id(unit),
        person: None,
        plan: None,
        title: "Cập nhật thủ tục hành chính".into(),
        target: "Công bố đủ thủ tục".into(),
        due: date("2016-06-30"),
        criterion: None,
        assigned_by: id("head-a"),
    }
}

fn completed(task: &str, unit: &str) -> Event {
    Event::TaskCompleted { task: id(task), unit: id(unit), note: "xong".into() }
}

#[tokio::test]
async fn a_retried_publish_with_the_same_command_id_is_stored_once() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let first = appender.append_next(draft("cmd-1", "2016-01-10", assigned("t1", "sgd"))).await;
    let retry = appender.append_next(draft("cmd-1", "2016-01-10", assigned("t1", "sgd"))).await;
    assert_eq!(first.expect("first append"), AppendOutcome::Appended { sequence: 1 });
    assert_eq!(retry.expect("retry answers"), AppendOutcome::Duplicate { sequence: 1 });
    assert_eq!(broker.stream_messages().await, 1);
}

#[tokio::test]
async fn two_appends_on_one_expected_sequence_one_wins_one_conflicts() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    appender
        .append_next(draft("assign", "2016-01-10", assigned("t1", "sgd")))
        .await
        .expect("assigned");
    let aggregate = reform_shared::subject::Aggregate::of(&completed("t1", "sgd"));
    let tip = appender.tip(&aggregate).await.expect("tip read");
    assert_eq!(tip.map(|t| (t.sequence, t.version)), Some((1, 1)));

    let (a, b) = tokio::join!(
        appender.append(draft("complete-a", "2016-03-31", completed("t1", "sgd")), tip),
        appender.append(draft("complete-b", "2016-03-31", completed("t1", "sgd")), tip),
    );
    let (won, lost) = match (a, b) {
        (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
        other => panic!("expected exactly one winner, got {other:?}"),
    };
    assert_eq!(won, AppendOutcome::Appended { sequence: 2 });
    assert!(
        matches!(&lost, AppendError::Conflict { aggregate, expected: 1 } if aggregate == "tasks.*.task.t1"),
        "{lost:?}"
    );
    assert_eq!(broker.stream_messages().await, 2);
}

#[tokio::test]
async fn a_task_keeps_one_chain_when_it_moves_to_another_unit() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    appender
        .append_next(draft("assign", "2016-01-10", assigned("t1", "sgd")))
        .await
        .expect("assigned");
    let moved = Event::TaskReassigned {
        task: id("t1"),
        unit: id("sgd-tccb"),
        from_unit: id("sgd"),
        person: None,
        reason: "chuyển phòng".into(),
    };
    appender.append_next(draft("move", "2016-02-01", moved)).await.expect("reassigned");
    // A command decided before the move, on the old unit's subject, must not land.
    let stale = appender.append(draft("stale", "2016-02-02", completed("t1", "sgd")), None).await;
    assert!(matches!(stale, Err(AppendError::Conflict { .. })), "{stale:?}");

    let done = appender.append_next(draft("done", "2016-03-01", completed("t1", "sgd-tccb"))).await;
    assert_eq!(done.expect("completed"), AppendOutcome::Appended { sequence: 3 });
    let stream = broker.js.get_stream(STREAM_NAME).await.expect("stream");
    let last = stream.get_raw_message(3).await.expect("message 3");
    assert_eq!(last.subject.as_str(), "par.evt.tasks.sgd-tccb.task.t1");
    let record = codec::decode(&last.payload).expect("decodes");
    let second = codec::decode(&stream.get_raw_message(2).await.expect("message 2").payload)
        .expect("decodes");
    assert_eq!(record.envelope.chain.version, 3);
    assert_eq!(record.envelope.chain.previous, second.digest);
}

#[tokio::test]
async fn the_log_refuses_deletes_and_purges() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    appender
        .append_next(draft("assign", "2016-01-10", assigned("t1", "sgd")))
        .await
        .expect("assigned");
    let stream = broker.js.get_stream(STREAM_NAME).await.expect("stream");
    assert!(stream.delete_message(1).await.is_err(), "a delete went through");
    assert!(stream.purge().await.is_err(), "a purge went through");
    assert_eq!(broker.stream_messages().await, 1);
}

#[tokio::test]
async fn the_server_syncs_every_write_and_stops_on_drop() {
    let broker = Broker::start().await;
    let config =
        std::fs::read_to_string(broker.server.data_dir().join("nats-server.conf")).expect("config");
    assert!(config.contains("sync_interval: always"), "{config}");
    let port = broker.server.port();
    drop(broker);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "server still listening");
}

#[tokio::test]
async fn services_are_discoverable_and_failures_carry_the_services_api_headers() {
    let broker = Broker::start().await;
    let services = reformctl::up_services::InProcess::start(&broker.client, Default::default())
        .await
        .expect("services start");
    // Unsigned garbage: the service answers `denied` in JSON and in the standard headers
    // (the signature is checked before anything is read), and signed garbage `invalid`.
    let reply = broker
        .client
        .request("par.cmd.tasks", "not json".into())
        .await
        .expect("the tasks service answers");
    let headers = reply.headers.expect("error headers");
    assert_eq!(
        headers.get(async_nats::service::NATS_SERVICE_ERROR_CODE).map(|v| v.as_str()),
        Some("403")
    );
    assert!(headers.get(async_nats::service::NATS_SERVICE_ERROR).is_some());
    let body: serde_json::Value = serde_json::from_slice(&reply.payload).expect("JSON body");
    assert_eq!(body["outcome"], "failed");
    assert_eq!(body["kind"], "denied");
    let signature = reform_shared::sign::sign(
        &reform_shared::testkit::key_of("lan"),
        "par.cmd.tasks",
        b"not json",
    )
    .expect("signs");
    let reply = broker
        .client
        .request_with_headers(
            "par.cmd.tasks",
            reform_shared::sign::headers(&signature),
            "not json".into(),
        )
        .await
        .expect("the tasks service answers");
    let headers = reply.headers.expect("error headers");
    assert_eq!(
        headers.get(async_nats::service::NATS_SERVICE_ERROR_CODE).map(|v| v.as_str()),
        Some("400")
    );
    // Standard tooling discovers every command service and reads its statistics.
    for name in reformctl::up_services::COMMAND_SERVICES {
        let info = broker.client.request(format!("$SRV.INFO.{name}"), "".into()).await;
        let info: serde_json::Value =
            serde_json::from_slice(&info.expect("INFO answers").payload).expect("INFO is JSON");
        assert_eq!(info["name"], name);
    }
    let stats = broker.client.request("$SRV.STATS.par-tasks", "".into()).await;
    let stats: serde_json::Value =
        serde_json::from_slice(&stats.expect("STATS answers").payload).expect("STATS is JSON");
    assert_eq!(stats["endpoints"][0]["num_requests"], 2, "{stats}");
    services.stop().await;
}
