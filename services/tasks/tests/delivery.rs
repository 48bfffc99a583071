//! How the tasks service behaves on the wire: a retried command id, a restart, the broker's
//! de-duplication window running out, two heads racing on one task, and garbage requests.

mod common;

use common::*;
use reform_directory::cmd;
use reform_shared::append::AppendOutcome;
use reform_shared::command::{self, CommandError, FailureKind, Request};
use reform_shared::event::Event;
use reform_shared::stream::{stream_config, StreamSettings};
use reform_shared::subject::Aggregate;
use reform_shared::testkit::{draft, events, eventually, id, key_of, send_raw_signed, Broker};
use reform_tasks::Config;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Barrier;

#[tokio::test]
async fn the_same_command_id_twice_returns_the_first_answer_and_appends_once() {
    let (broker, service) = start().await;
    accepted(&broker, req("b", "2016-08-01", assign("t1", "sgd", "2016-09-30"))).await;
    // Progress is the command a blind retry would append twice: it is valid again and again.
    let request = req("c", "2016-08-02", progress("t1", 40));
    let first = accepted(&broker, request.clone()).await;
    let count = broker.stream_messages().await;
    let second = accepted(&broker, request.clone()).await;
    assert_eq!((second.sequence, second.event.as_str()), (first.sequence, first.event.as_str()));
    assert!(!first.duplicate && second.duplicate);
    // Even with a different body, the id is what counts: the first answer comes back.
    let changed = Request { command: progress("t1", 90), ..request };
    assert_eq!(accepted(&broker, changed).await.sequence, first.sequence);
    assert_eq!(broker.stream_messages().await, count);
    service.stop().await;
}

#[tokio::test]
async fn the_same_command_id_after_a_service_restart_returns_the_first_answer() {
    let (broker, service) = start().await;
    accepted(&broker, req("b", "2016-08-01", assign("t1", "sgd", "2016-09-30"))).await;
    let request = req("c", "2016-08-02", progress("t1", 40));
    let first = accepted(&broker, request.clone()).await;
    service.stop().await;
    let count = broker.stream_messages().await;

    let restarted = Service::start(&broker, reform_shared::testkit::unsigned_world()).await;
    let again = accepted(&broker, request).await;
    assert_eq!(again.sequence, first.sequence);
    assert!(again.duplicate);
    assert_eq!(broker.stream_messages().await, count);
    // The restarted service rebuilt the task from the log and decides as before.
    accepted(&broker, req("b", "2016-09-01", complete("t1"))).await;
    let message = refused(&broker, req("c", "2016-09-02", progress("t1", 100))).await;
    assert!(message.contains("task t1 was already completed"), "{message}");
    restarted.stop().await;
}

/// The broker forgets a `Nats-Msg-Id` after its de-duplication window; the service must not.
/// The window here is one second. The test waits until the broker has forgotten, which it
/// observes with a probe event appended after the command: re-appending the probe (with its
/// own tip as the expected one, so only de-duplication can stop it) is answered "duplicate"
/// while the broker remembers its id, and lands as a second copy once it has forgotten.
#[tokio::test]
async fn the_same_command_id_after_the_broker_dedup_window_returns_the_first_answer() {
    let broker = Broker::start().await;
    let settings =
        StreamSettings { duplicate_window: Duration::from_secs(1), ..Default::default() };
    // An operator's change of the window, as the NATS tools would make it: services never
    // change the stream themselves.
    broker.js.update_stream(stream_config(&settings)).await.expect("stream takes the short window");
    seed_directory(&broker).await;
    let config = Config { stream: settings, ..reform_shared::testkit::unsigned_world() };
    let service = Service::start(&broker, config.clone()).await;
    accepted(&broker, req("b", "2016-08-01", assign("t1", "sgd", "2016-09-30"))).await;
    let request = req("c", "2016-08-02", progress("t1", 40));
    let first = accepted(&broker, request.clone()).await;

    let appender = broker.appender().await;
    let event =
        Event::PersonRegistered { person: id("probe"), name: "Probe".into(), title: "".into() };
    let probe = draft("probe-after-first", "2016-08-02", event.clone());
    let probed = appender.append(probe.clone(), None).await.expect("probe appends");
    let tip =
        appender.tip(&Aggregate::of(&event)).await.expect("tip reads").expect("probe is there");
    let remembered = appender.append(probe.clone(), Some(tip)).await.expect("re-append answers");
    assert_eq!(remembered, AppendOutcome::Duplicate { sequence: probed.sequence() });
    eventually("the broker to forget the probe's command id", WAIT, || {
        let (appender, probe) = (appender.clone(), probe.clone());
        async move {
            match appender.append(probe, Some(tip)).await.expect("re-append answers") {
                AppendOutcome::Appended { .. } => Some(()),
                AppendOutcome::Duplicate { .. } => None,
            }
        }
    })
    .await;
    let count = broker.stream_messages().await;

    let again = accepted(&broker, request.clone()).await;
    assert_eq!((again.sequence, again.duplicate), (first.sequence, true));
    assert_eq!(broker.stream_messages().await, count);
    // And after a restart, when only the log can tell.
    service.stop().await;
    let restarted = Service::start(&broker, config).await;
    let again = accepted(&broker, request).await;
    assert_eq!((again.sequence, again.duplicate), (first.sequence, true));
    assert_eq!(broker.stream_messages().await, count);
    restarted.stop().await;
}

/// Rounds of a race: in each, one task is completed and cancelled at the same moment by four
/// clients on their own connections, against two replicas of the service that both take
/// commands. Exactly one command may win; every loser is told, naming the task, either that
/// the task changed under it (a conflict, when both replicas decided on the same state) or
/// that it is already closed (when the loser was decided after the winner was applied).
#[tokio::test]
async fn conflicting_commands_on_one_task_sent_at_once_apply_exactly_one() {
    const ROUNDS: usize = 30;
    const RACERS: usize = 4;
    let broker = Broker::start().await;
    seed_directory(&broker).await;
    let replica_a = Service::start(&broker, reform_shared::testkit::unsigned_world()).await;
    let replica_b = Service::start(&broker, reform_shared::testkit::unsigned_world()).await;
    let mut clients = Vec::new();
    for _ in 0..RACERS {
        clients.push(async_nats::connect(broker.server.url()).await.expect("client connects"));
    }
    let (mut conflicts, mut closed) = (0, 0);
    for round in 0..ROUNDS {
        let task = format!("race-{round}");
        accepted(&broker, req("b", "2016-08-01", assign(&task, "sgd", "2016-09-30"))).await;
        let before = broker.stream_messages().await;
        let barrier = Arc::new(Barrier::new(RACERS));
        let mut racers = Vec::new();
        for (i, client) in clients.iter().enumerate() {
            let command = if i % 2 == 0 { complete(&task) } else { cancel(&task) };
            let request = req("b", "2016-09-01", command);
            let (client, barrier) = (client.clone(), barrier.clone());
            racers.push(tokio::spawn(async move {
                barrier.wait().await;
                reform_tasks::send(&client, &request, &key_of("b")).await
            }));
        }
        let mut winners = Vec::new();
        for racer in racers {
            match racer.await.expect("racer joins") {
                Ok(accepted) => winners.push(accepted),
                Err(CommandError::Failed { kind, message, .. }) => {
                    assert!(message.contains(&task), "round {round}: {message}");
                    match kind {
                        FailureKind::Conflict => conflicts += 1,
                        FailureKind::Refused => {
                            assert!(message.contains("already"), "round {round}: {message}");
                            closed += 1;
                        }
                        other => panic!("round {round}: unexpected {other:?}: {message}"),
                    }
                }
                Err(e) => panic!("round {round}: {e}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one command wins: {winners:?}");
        assert_eq!(broker.stream_messages().await, before + 1, "round {round}: one event");
    }
    eprintln!("{ROUNDS} rounds: {conflicts} losers got a conflict, {closed} a closed-task refusal");
    assert_eq!(conflicts + closed, ROUNDS * (RACERS - 1));
    replica_a.stop().await;
    replica_b.stop().await;
}

/// A client that retries on another connection, or two gateways forwarding one request, can
/// make the same command id reach both replicas at once. Every copy must get the first answer,
/// and the log must hold the command once.
#[tokio::test]
async fn the_same_command_id_sent_at_once_to_two_replicas_appends_once() {
    const ROUNDS: usize = 20;
    const COPIES: usize = 4;
    let broker = Broker::start().await;
    seed_directory(&broker).await;
    let replica_a = Service::start(&broker, reform_shared::testkit::unsigned_world()).await;
    let replica_b = Service::start(&broker, reform_shared::testkit::unsigned_world()).await;
    let mut clients = Vec::new();
    for _ in 0..COPIES {
        clients.push(async_nats::connect(broker.server.url()).await.expect("client connects"));
    }
    for round in 0..ROUNDS {
        let request = req("b", "2016-08-01", assign(&format!("dup-{round}"), "sgd", "2016-09-30"));
        let before = broker.stream_messages().await;
        let barrier = Arc::new(Barrier::new(COPIES));
        let mut copies = Vec::new();
        for client in &clients {
            let (client, barrier, request) = (client.clone(), barrier.clone(), request.clone());
            copies.push(tokio::spawn(async move {
                barrier.wait().await;
                reform_tasks::send(&client, &request, &key_of("b")).await
            }));
        }
        let mut sequences = Vec::new();
        for copy in copies {
            match copy.await.expect("copy joins") {
                Ok(accepted) => sequences.push(accepted.sequence),
                Err(e) => panic!("round {round}: a copy of an accepted command got {e}"),
            }
        }
        sequences.dedup();
        assert_eq!(sequences.len(), 1, "round {round}: every copy gets the first answer");
        assert_eq!(broker.stream_messages().await, before + 1, "round {round}: appended once");
    }
    replica_a.stop().await;
    replica_b.stop().await;
}

#[tokio::test]
async fn malformed_request_bytes_get_an_invalid_reply_and_the_service_keeps_serving() {
    let (broker, service) = start().await;
    let before = broker.stream_messages().await;
    let oversized = format!("{{\"pad\":\"{}\"}}", "x".repeat(command::COMMAND_BYTES_MAX));
    let garbage: [&[u8]; 6] = [
        b"",
        b"\xff\xfe\x00garbage",
        b"{\"command_id\":\"c1\",\"actor\":\"b\",\"command\":{\"type\":\"assign-ta",
        b"{\"command_id\":\"c1\",\"actor\":\"b\",\"command\":{\"type\":\"launch-rocket\"}}",
        b"{\"command_id\":\"C 1\",\"actor\":\"b\",\"command\":{\"type\":\"complete-task\",\"task\":\"t1\"}}",
        oversized.as_bytes(),
    ];
    for bytes in garbage {
        match send_raw_signed(&broker.client, reform_tasks::NAME, bytes, "b").await {
            Err(CommandError::Failed { kind: FailureKind::Invalid, message, .. }) => {
                assert!(
                    message.starts_with("not a valid request") || message.contains("over"),
                    "{message}"
                );
            }
            other => panic!("expected an invalid-request reply, got {other:?}"),
        }
    }
    assert_eq!(broker.stream_messages().await, before);
    accepted(&broker, req("b", "2016-08-01", assign("t1", "sgd", "2016-09-30"))).await;
    service.stop().await;
}

/// Units, people and leaders added through the directory service reach the tasks service by
/// the log alone, and the first command after them is decided on them.
#[tokio::test]
async fn the_directory_services_events_reach_the_tasks_service() {
    use reform_directory::Command as Dir;
    let broker = Broker::start().await;
    let directory_client = async_nats::connect(broker.server.url()).await.expect("connects");
    let (stop_directory, stopped) = tokio::sync::oneshot::channel::<()>();
    let directory = tokio::spawn(reform_directory::run(
        directory_client,
        reform_shared::testkit::unsigned_world(),
        async {
            let _ = stopped.await;
        },
    ));
    let tasks = Service::start(&broker, reform_shared::testkit::unsigned_world()).await;
    // The administrator comes from the genesis step; the rest through the directory service.
    let appender = broker.appender().await;
    reform_shared::testkit::append_all(&appender, "g", &[("2016-01-04", events::genesis("a"))])
        .await;
    let commands = [
        Dir::AddUnit(cmd::AddUnit {
            unit: id("sgd"),
            name: "Sở Giáo dục và Đào tạo".into(),
            kind: reform_shared::event::UnitKind::Department,
            parent: None,
            founded: None,
        }),
        Dir::AppointLeader(cmd::AppointLeader {
            tenure: id("t-a"),
            unit: id("sgd"),
            person: id("a"),
            role: reform_shared::event::Role::Head,
            from: None,
        }),
    ];
    for command in commands {
        let request = Request {
            command_id: fresh_id(),
            actor: id("a"),
            occurred_on: Some(reform_shared::testkit::date("2016-01-04")),
            command,
        };
        let result = eventually("the directory service to take the command", WAIT, || {
            let (client, request) = (broker.client.clone(), request.clone());
            async move {
                match reform_directory::send(&client, &request, &key_of("a")).await {
                    Err(CommandError::Transport { .. }) => None,
                    other => Some(other),
                }
            }
        })
        .await;
        result.expect("directory command accepted");
    }
    // Only the head is in this directory: the task is theirs to carry out ("rõ người").
    let mut to_a = assign("t1", "sgd", "2016-03-31");
    if let reform_tasks::Command::AssignTask(reform_tasks::cmd::AssignTask { person, .. }) =
        &mut to_a
    {
        *person = Some(id("a"));
    }
    accepted(&broker, req("a", "2016-01-05", to_a)).await;
    tasks.stop().await;
    let _ = stop_directory.send(());
    directory.await.expect("joins").expect("directory stops cleanly");
}

/// A request whose command is valid JSON but not a tasks command is refused at parsing with
/// the kind a client should not retry, never as a refusal of the domain.
#[tokio::test]
async fn a_command_for_another_service_is_invalid_here() {
    let (broker, service) = start().await;
    let json = br#"{"command_id":"c-x","actor":"b","command":{"type":"add-unit","unit":"u","name":"U","kind":"division"}}"#;
    let error =
        send_raw_signed(&broker.client, reform_tasks::NAME, json, "b").await.expect_err("invalid");
    assert_eq!(error.kind(), FailureKind::Invalid, "{error}");
    service.stop().await;
}
