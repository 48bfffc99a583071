//! Test harness for the tasks service: a real broker, the service run in-process, a seeded
//! directory, and helpers that wait on conditions (never on fixed times).
#![allow(dead_code)] // each test binary uses part of it

use reform_shared::command::{Accepted, CommandError, FailureKind, Request};
use reform_shared::event::{Access, Event, Role, UnitKind};
use reform_shared::ids::CommandId;
use reform_shared::testkit::{date, draft, events, eventually, id, Broker};
use reform_tasks::cmd;
use reform_tasks::{Command, Config, ServiceError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long a test waits for a condition before it fails.
pub const WAIT: Duration = Duration::from_secs(30);

/// A tasks service running in-process until stopped.
pub struct Service {
    stop: oneshot::Sender<()>,
    handle: JoinHandle<Result<(), ServiceError>>,
}

impl Service {
    /// Starts the service on its own connection and waits until it answers a NATS ping.
    pub async fn start(broker: &Broker, config: Config) -> Service {
        let client = async_nats::connect(broker.server.url()).await.expect("service connects");
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(reform_tasks::run(client, config, async {
            let _ = stopped.await;
        }));
        let ping = broker.client.clone();
        eventually("the tasks service to answer a ping", WAIT, || {
            let ping = ping.clone();
            async move { ping.request("$SRV.PING.par-tasks", "".into()).await.ok().map(|_| ()) }
        })
        .await;
        Service { stop, handle }
    }

    /// Stops the service and checks that it stopped cleanly.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.handle.await.expect("service task joins").expect("service stops cleanly");
    }
}

static COMMANDS: AtomicU64 = AtomicU64::new(0);

/// A fresh command id, unique within the test binary.
pub fn fresh_id() -> CommandId {
    id(&format!("c{}", COMMANDS.fetch_add(1, Ordering::Relaxed)))
}

/// A request by `actor` with business date `on` and a fresh command id.
pub fn req(actor: &str, on: &str, command: Command) -> Request<Command> {
    Request { command_id: fresh_id(), actor: id(actor), occurred_on: Some(date(on)), command }
}

pub async fn send(broker: &Broker, request: &Request<Command>) -> Result<Accepted, CommandError> {
    let key = reform_shared::testkit::key_of(request.actor.as_str());
    reform_tasks::send(&broker.client, request, &key).await
}

/// Sends a command that must be accepted.
pub async fn accepted(broker: &Broker, request: Request<Command>) -> Accepted {
    match send(broker, &request).await {
        Ok(accepted) => accepted,
        Err(e) => panic!("expected {:?} to be accepted, got {e}", request.command),
    }
}

/// Sends a command that must be refused, checks that nothing was appended, and returns the
/// refusal's message.
pub async fn refused(broker: &Broker, request: Request<Command>) -> String {
    let before = broker.stream_messages().await;
    let message = match send(broker, &request).await {
        Err(CommandError::Failed { kind: FailureKind::Refused, message, .. }) => message,
        other => panic!("expected {:?} to be refused, got {other:?}", request.command),
    };
    assert_eq!(broker.stream_messages().await, before, "a refusal appended something");
    message
}

/// The test province, written straight to the log as the directory service would:
/// - `st` Tỉnh Sóc Trăng, headed by `p` since 2015-01-01;
/// - `sgd` Sở GD&ĐT under it: head `a` from 2016-01-01 to 2016-07-01, then head `b`;
/// - `sgd-vp` Văn phòng Sở under `sgd`, with reform deputy `d` since 2016-01-01;
/// - `sxd` Sở Xây dựng under `st`, headed by `x` since 2016-01-01;
/// - `c`, a specialist who leads nothing: staff of `sgd` and `sgd-vp`, and an appraiser;
/// - a signing key for everyone ([`reform_shared::testkit::key_of`]).
pub async fn seed_directory(broker: &Broker) {
    let appender = broker.appender().await;
    let mut n = 0;
    for event in directory_events() {
        n += 1;
        appender
            .append_next(draft(&format!("seed-{n}"), "2016-01-01", event))
            .await
            .expect("seed event appends");
    }
}

fn directory_events() -> Vec<Event> {
    let unit = |u: &str, name: &str, kind, parent: Option<&str>| Event::UnitAdded {
        unit: id(u),
        name: name.into(),
        kind,
        parent: parent.map(id),
    };
    let person = |p: &str, name: &str, title: &str| Event::PersonRegistered {
        person: id(p),
        name: name.into(),
        title: title.into(),
    };
    let appoint = |t: &str, u: &str, p: &str, role, from: &str| Event::LeaderAppointed {
        tenure: id(t),
        unit: id(u),
        person: id(p),
        role,
        from: date(from),
    };
    vec![
        unit("st", "Tỉnh Sóc Trăng", UnitKind::Province, None),
        unit("sgd", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("st")),
        unit("sgd-vp", "Văn phòng Sở", UnitKind::Division, Some("sgd")),
        unit("sxd", "Sở Xây dựng", UnitKind::Department, Some("st")),
        person("p", "Trần Văn P", "Chủ tịch UBND tỉnh"),
        person("a", "Nguyễn Văn A", "Giám đốc Sở"),
        person("b", "Lê Thị B", "Giám đốc Sở"),
        person("c", "Phạm Văn C", "Chuyên viên"),
        person("d", "Võ Thị D", "Chánh Văn phòng"),
        person("x", "Đỗ Văn X", "Giám đốc Sở Xây dựng"),
        appoint("t-p", "st", "p", Role::Head, "2015-01-01"),
        appoint("t-a", "sgd", "a", Role::Head, "2016-01-01"),
        Event::TenureEnded {
            tenure: id("t-a"),
            unit: id("sgd"),
            person: id("a"),
            role: Role::Head,
            to: date("2016-07-01"),
        },
        appoint("t-b", "sgd", "b", Role::Head, "2016-07-01"),
        appoint("t-d", "sgd-vp", "d", Role::ReformDeputy, "2016-01-01"),
        appoint("t-x", "sxd", "x", Role::Head, "2016-01-01"),
        // c reports progress at the education department and, as an inspector of the
        // province's appraising unit, records findings anywhere in it.
        events::grant("c", Access::Staff, Some("sgd")),
        events::grant("c", Access::Staff, Some("sgd-vp")),
        events::grant("c", Access::Appraiser, Some("sxd")),
    ]
    .into_iter()
    .chain(["p", "a", "b", "c", "d", "x"].map(events::key))
    .collect()
}

/// A broker with the seeded directory and a tasks service running.
pub async fn start() -> (Broker, Service) {
    let broker = Broker::start().await;
    seed_directory(&broker).await;
    let service = Service::start(&broker, reform_shared::testkit::unsigned_world()).await;
    (broker, service)
}

/// A "5 rõ" assignment of `task` to `unit`, due on `due`.
pub fn assign(task: &str, unit: &str, due: &str) -> Command {
    Command::AssignTask(cmd::AssignTask {
        task: id(task),
        unit: Some(id(unit)),
        person: None,
        plan: None,
        title: format!("Nhiệm vụ {task}"),
        target: "Hoàn thành và báo cáo kết quả".into(),
        due: Some(date(due)),
        criterion: None,
    })
}

pub fn progress(task: &str, percent: u16) -> Command {
    Command::ReportProgress(cmd::ReportProgress {
        task: id(task),
        percent,
        note: "đang thực hiện".into(),
    })
}

pub fn complete(task: &str) -> Command {
    Command::CompleteTask(cmd::CompleteTask { task: id(task), note: String::new() })
}

pub fn cancel(task: &str) -> Command {
    Command::CancelTask(cmd::CancelTask { task: id(task), reason: "không còn phù hợp".into() })
}

pub fn deadline(task: &str, due: &str) -> Command {
    Command::ChangeDeadline(cmd::ChangeDeadline {
        task: id(task),
        due: date(due),
        reason: "chờ văn bản hướng dẫn".into(),
    })
}
