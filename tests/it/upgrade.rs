//! A rolling upgrade: each command service's process is replaced one at a time (the new one
//! started beside the old, then the old stopped) while clients keep sending commands. Every
//! accepted command is in the log once, none is lost, and a retry with the same command id gets
//! its first answer.

use crate::insider::request;
use reform_shared::command::{Accepted, CommandError, FailureKind, Request};
use reform_shared::event::Access;
use reform_shared::service::ServiceConfig;
use reform_shared::testkit::{
    append_all, date, events, eventually, id, key_of, seed_department_with_head, serving,
    unsigned_world, Broker,
};
use reform_tasks::cmd;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
/// Clients of each service, each sending one command after another.
const CLIENTS: usize = 3;

/// One process of a service, run in-process, and how to stop it.
struct Replica {
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<Result<(), reform_shared::service::ServiceError>>,
}

impl Replica {
    async fn start(broker: &Broker, service: &'static str, state_file: &Path) -> Replica {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let config =
            ServiceConfig { state_file: Some(state_file.to_path_buf()), ..unsigned_world() };
        let client = async_nats::connect(broker.server.url()).await.expect("connect");
        let shutdown = async {
            let _ = stopped.await;
        };
        let handle = match service {
            "tasks" => tokio::spawn(reform_tasks::run(client, config, shutdown)),
            _ => tokio::spawn(reform_directory::run(client, config, shutdown)),
        };
        Replica { stop, handle }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.handle.await.expect("no panic").expect("a clean stop");
    }
}

/// Waits until `count` instances of `service` answer.
async fn replicas(broker: &Broker, service: &str, count: usize) {
    let name = format!("par-{service}");
    eventually(&format!("{count} {service} replicas"), WAIT, || async {
        (serving(&broker.client, &name, &format!("par-cmd-{service}")).await == count).then_some(())
    })
    .await;
}

/// A command: its service and its request, the command as JSON.
type Command = (&'static str, Request<serde_json::Value>);

fn assign(command_id: &str) -> Command {
    let command = reform_tasks::Command::AssignTask(cmd::AssignTask {
        task: id(command_id),
        unit: Some(id("sgd")),
        person: None,
        plan: None,
        title: format!("Nhiệm vụ {command_id}"),
        target: "Hoàn thành".into(),
        due: Some(date("2016-12-31")),
        criterion: None,
    });
    ("tasks", request(command_id, "lan", serde_json::to_value(command).expect("json")))
}

fn register(command_id: &str) -> Command {
    let command = serde_json::json!(
        {"type": "register-person", "person": command_id, "name": "Người mới", "title": ""}
    );
    ("directory", request(command_id, "admin", command))
}

/// Sends a command until it is answered with its outcome, as a person's tool does: sent again
/// with the same command id after `unavailable` or no responder (between two replicas). A
/// request that waited out its timeout unanswered (a replica stopped holding it) is counted in
/// `unanswered`, and sent again too.
async fn settle(
    client: &async_nats::Client,
    (service, request): &Command,
    signer: &str,
    unanswered: &AtomicUsize,
) -> Accepted {
    let key = key_of(signer);
    for _ in 0..20 {
        match reform_shared::command::send_once(client, service, request, &key).await {
            Ok(accepted) => return accepted,
            Err(e) if e.kind() == FailureKind::Unavailable => {
                if let CommandError::Transport { source, .. } = &e {
                    if source.kind() == async_nats::RequestErrorKind::TimedOut {
                        unanswered.fetch_add(1, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("{service} refused {}: {e}", request.command_id),
        }
    }
    panic!("{service} never settled {}", request.command_id);
}

#[tokio::test]
async fn replacing_each_service_one_at_a_time_while_clients_send_loses_nothing() {
    let broker = Broker::start().await;
    seed_department_with_head(&broker.js).await;
    let on = "2016-01-01";
    let admin = [
        (on, events::person("admin", "Quản trị", "")),
        (on, events::key("admin")),
        (on, events::grant("admin", Access::Administrator, None)),
    ];
    append_all(&broker.appender().await, "admin", &admin).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = |name: &str| dir.path().join(format!("{name}.redb"));
    let mut running = BTreeMap::new();
    for service in ["tasks", "directory"] {
        running.insert(
            service,
            Replica::start(&broker, service, &file(&format!("{service}-a"))).await,
        );
        replicas(&broker, service, 1).await;
    }

    let sending = Arc::new(AtomicBool::new(true));
    let unanswered = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for c in 0..CLIENTS * 2 {
        let client = async_nats::connect(broker.server.url()).await.expect("connect");
        let (sending, sent, unanswered) = (sending.clone(), sent.clone(), unanswered.clone());
        clients.push(tokio::spawn(async move {
            let mut answered = Vec::new();
            let mut k = 0;
            while sending.load(Ordering::Relaxed) {
                let command_id = format!("c{c}-{k}");
                let (command, signer) = if c < CLIENTS {
                    (assign(&command_id), "lan")
                } else {
                    (register(&command_id), "admin")
                };
                let accepted = settle(&client, &command, signer, &unanswered).await;
                answered.push((command, signer, accepted));
                sent.fetch_add(1, Ordering::Relaxed);
                k += 1;
            }
            answered
        }));
    }
    let some_more = |at_least: usize| {
        let sent = sent.clone();
        async move {
            let from = sent.load(Ordering::Relaxed);
            eventually("commands to go through", WAIT, || async {
                (sent.load(Ordering::Relaxed) >= from + at_least).then_some(())
            })
            .await;
        }
    };

    // Each service in turn: b beside a, a stopped; then a new a (on a's state file, as a
    // process restarted in its place resumes) beside b, b stopped.
    some_more(20).await;
    for service in ["tasks", "directory"] {
        for state_file in [format!("{service}-b"), format!("{service}-a")] {
            let new = Replica::start(&broker, service, &file(&state_file)).await;
            replicas(&broker, service, 2).await;
            let old = running.insert(service, new).expect("a replica runs");
            old.stop().await;
            replicas(&broker, service, 1).await;
            some_more(20).await;
        }
    }
    sending.store(false, Ordering::Relaxed);
    let mut answered = Vec::new();
    for client in clients {
        answered.extend(client.await.expect("a client"));
    }

    // Every accepted command is in the log once, at the sequence it was answered with.
    // The stream is fresh, so the n-th record is at sequence n.
    let mut in_log: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (record, sequence) in broker.records().await.iter().zip(1u64..) {
        in_log.entry(record.envelope.command_id.to_string()).or_default().push(sequence);
    }
    assert!(answered.len() >= 100, "only {} commands went through", answered.len());
    for ((_, request), _, accepted) in &answered {
        let command_id = request.command_id.to_string();
        let at = in_log.get(&command_id).cloned().unwrap_or_default();
        assert_eq!(at, vec![accepted.sequence], "{command_id} is in the log once, where answered");
    }
    // A replica that stops settles what it took off the broker first; only a request on its
    // way to it at the moment it unsubscribes is dropped by the client library, and waits out
    // its timeout before it is sent again (docs/operations.md, "Upgrading").
    eprintln!(
        "{} commands; {} requests waited out their timeout",
        answered.len(),
        unanswered.load(Ordering::Relaxed)
    );
    // A retry with the same command id gets its first answer, from the replicas now running.
    let client = async_nats::connect(broker.server.url()).await.expect("connect");
    for (command, signer, first) in answered.iter().step_by(7) {
        let again = settle(&client, command, signer, &unanswered).await;
        assert_eq!(again.sequence, first.sequence, "{} answered again", command.1.command_id);
        assert!(again.duplicate, "a retry is told it was recorded before");
    }
    for (_, replica) in running {
        replica.stop().await;
    }
}
