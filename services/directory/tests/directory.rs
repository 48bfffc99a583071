//! The directory service's rules, each proved through a real nats-server: refusals name what
//! they are about and append nothing; a retried command id gets its first answer.

use reform_directory::cmd;
use reform_directory::{Command, ServiceError};
use reform_shared::command::{Accepted, CommandError, FailureKind, Request};
use reform_shared::event::{Role, UnitKind};
use reform_shared::testkit::{
    append_all, date, events, eventually, id, key_of, send_raw_signed, Broker,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(30);

struct Service {
    stop: oneshot::Sender<()>,
    handle: JoinHandle<Result<(), ServiceError>>,
}

impl Service {
    async fn start(broker: &Broker) -> Service {
        let client = async_nats::connect(broker.server.url()).await.expect("service connects");
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(reform_directory::run(
            client,
            reform_shared::testkit::unsigned_world(),
            async {
                let _ = stopped.await;
            },
        ));
        let ping = broker.client.clone();
        eventually("the directory service to answer a ping", WAIT, || {
            let ping = ping.clone();
            async move { ping.request("$SRV.PING.par-directory", "".into()).await.ok().map(|_| ()) }
        })
        .await;
        Service { stop, handle }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.handle.await.expect("joins").expect("service stops cleanly");
    }
}

static COMMANDS: AtomicU64 = AtomicU64::new(0);

fn req(actor: &str, on: &str, command: Command) -> Request<Command> {
    let n = COMMANDS.fetch_add(1, Ordering::Relaxed);
    Request {
        command_id: id(&format!("c{n}")),
        actor: id(actor),
        occurred_on: Some(date(on)),
        command,
    }
}

async fn accepted(broker: &Broker, request: Request<Command>) -> Accepted {
    match reform_directory::send(&broker.client, &request, &key_of(request.actor.as_str())).await {
        Ok(accepted) => accepted,
        Err(e) => panic!("expected {:?} to be accepted, got {e}", request.command),
    }
}

async fn refused(broker: &Broker, request: Request<Command>) -> String {
    let before = broker.stream_messages().await;
    let key = key_of(request.actor.as_str());
    let message = match reform_directory::send(&broker.client, &request, &key).await {
        Err(CommandError::Failed { kind: FailureKind::Refused, message, .. }) => message,
        other => panic!("expected {:?} to be refused, got {other:?}", request.command),
    };
    assert_eq!(broker.stream_messages().await, before, "a refusal appended something");
    message
}

fn person(p: &str, name: &str) -> Command {
    Command::RegisterPerson(cmd::RegisterPerson {
        person: id(p),
        name: name.into(),
        title: "Giám đốc Sở".into(),
    })
}

fn unit(u: &str, name: &str, kind: UnitKind, parent: Option<&str>) -> Command {
    let parent = parent.map(id);
    Command::AddUnit(cmd::AddUnit { unit: id(u), name: name.into(), kind, parent, founded: None })
}

fn appoint(tenure: &str, u: &str, p: &str, role: Role, from: &str) -> Command {
    Command::AppointLeader(cmd::AppointLeader {
        tenure: id(tenure),
        unit: id(u),
        person: id(p),
        role,
        from: Some(date(from)),
    })
}

fn end(tenure: &str, to: &str) -> Command {
    Command::EndTenure(cmd::EndTenure { tenure: id(tenure), to: Some(date(to)) })
}

/// Appends the genesis of administrator `a`, as the operator's step does.
async fn genesis(broker: &Broker) {
    let appender = broker.appender().await;
    append_all(&appender, "genesis", &[("2016-01-01", events::genesis("a"))]).await;
}

/// A broker, the service, and: administrator `a` (from the genesis step), `b` with a key;
/// units `st` and `sgd`.
async fn start() -> (Broker, Service) {
    let broker = Broker::start().await;
    genesis(&broker).await;
    let service = Service::start(&broker).await;
    accepted(&broker, req("a", "2016-01-01", person("b", "Lê Thị B"))).await;
    let key =
        Command::RegisterKey(cmd::RegisterKey { person: id("b"), key: key_of("b").public_key() });
    accepted(&broker, req("a", "2016-01-01", key)).await;
    let st = unit("st", "Tỉnh Sóc Trăng", UnitKind::Province, None);
    accepted(&broker, req("a", "2016-01-01", st)).await;
    let sgd = unit("sgd", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("st"));
    accepted(&broker, req("a", "2016-01-01", sgd)).await;
    (broker, service)
}

#[tokio::test]
async fn unknown_parent_unit_person_or_tenure_is_refused_naming_it_and_nothing_is_appended() {
    let (broker, service) = start().await;
    let orphan = unit("sgd-vp", "Văn phòng Sở", UnitKind::Division, Some("nowhere"));
    let message = refused(&broker, req("a", "2016-01-02", orphan)).await;
    assert!(message.contains("sgd-vp cannot be added under nowhere"), "{message}");
    let at_nowhere = appoint("t1", "nowhere", "a", Role::Head, "2016-01-01");
    let message = refused(&broker, req("a", "2016-01-02", at_nowhere)).await;
    assert!(message.contains("no unit nowhere"), "{message}");
    let ghost = appoint("t1", "sgd", "ghost", Role::Head, "2016-01-01");
    let message = refused(&broker, req("a", "2016-01-02", ghost)).await;
    assert!(message.contains("no registered person ghost"), "{message}");
    let message = refused(&broker, req("a", "2016-01-02", end("t-missing", "2016-07-01"))).await;
    assert!(message.contains("no tenure t-missing"), "{message}");
    service.stop().await;
}

#[tokio::test]
async fn a_duplicate_unit_or_person_id_is_refused() {
    let (broker, service) = start().await;
    let again = unit("sgd", "Sở Xây dựng", UnitKind::Department, Some("st"));
    let message = refused(&broker, req("a", "2016-01-02", again)).await;
    assert!(message.contains("unit sgd already exists (Sở Giáo dục và Đào tạo)"), "{message}");
    let message = refused(&broker, req("a", "2016-01-02", person("b", "Trần Văn B"))).await;
    assert!(message.contains("person b is already registered (Lê Thị B)"), "{message}");
    let blank = unit("sxd", "   ", UnitKind::Department, Some("st"));
    let message = refused(&broker, req("a", "2016-01-02", blank)).await;
    assert!(message.contains("unit sxd is empty"), "{message}");
    service.stop().await;
}

#[tokio::test]
async fn only_an_administrator_changes_the_directory_and_the_first_comes_from_genesis() {
    let broker = Broker::start().await;
    let service = Service::start(&broker).await;
    // Before genesis nobody is an administrator: registering oneself is no way in.
    let me = req("a", "2016-01-01", person("a", "A"));
    let error = reform_directory::send(&broker.client, &me, &key_of("a"))
        .await
        .expect_err("no key is registered yet");
    assert_eq!(error.kind(), FailureKind::Denied, "{error}");
    assert_eq!(broker.stream_messages().await, 0);
    genesis(&broker).await;
    let st = unit("st", "Tỉnh Sóc Trăng", UnitKind::Province, None);
    accepted(&broker, req("a", "2016-01-01", st)).await;
    accepted(&broker, req("a", "2016-01-01", person("b", "Lê Thị B"))).await;
    let key =
        Command::RegisterKey(cmd::RegisterKey { person: id("b"), key: key_of("b").public_key() });
    accepted(&broker, req("a", "2016-01-01", key)).await;
    // b signs correctly but holds no administrator access: denied, naming it.
    let before = broker.stream_messages().await;
    let sxd = unit("sxd", "Sở Xây dựng", UnitKind::Department, Some("st"));
    let error = reform_directory::send(&broker.client, &req("b", "2016-01-02", sxd), &key_of("b"))
        .await
        .expect_err("denied");
    assert_eq!(error.kind(), FailureKind::Denied, "{error}");
    assert!(
        error
            .to_string()
            .contains("b may not record unit-added at sxd: that needs the administrator access"),
        "{error}"
    );
    assert_eq!(broker.stream_messages().await, before);
    // The genesis is no command: the service does not know it.
    let json = br#"{"command_id":"g2","actor":"b","command":{"type":"genesis","person":"b"}}"#;
    let error = send_raw_signed(&broker.client, reform_directory::NAME, json, "b")
        .await
        .expect_err("invalid");
    assert_eq!(error.kind(), FailureKind::Invalid, "{error}");
    service.stop().await;
}

#[tokio::test]
async fn an_appointment_overlapping_a_tenure_of_the_same_role_at_the_unit_is_refused() {
    let (broker, service) = start().await;
    accepted(&broker, req("a", "2016-01-01", appoint("t-a", "sgd", "a", Role::Head, "2016-01-01")))
        .await;
    let message = refused(
        &broker,
        req("a", "2016-03-01", appoint("t-b", "sgd", "b", Role::Head, "2016-03-01")),
    )
    .await;
    assert!(
        message.contains("b cannot be appointed người đứng đầu of Sở Giáo dục và Đào tạo (sgd)")
            && message.contains("a holds that role from 2016-01-01 with no end date"),
        "{message}"
    );
    // Another role at the same unit does not overlap.
    let deputy = appoint("t-b-cchc", "sgd", "b", Role::ReformDeputy, "2016-03-01");
    accepted(&broker, req("a", "2016-03-01", deputy)).await;
    accepted(&broker, req("a", "2016-07-01", end("t-a", "2016-07-01"))).await;
    // Starting before the predecessor left still overlaps; starting on the leaving day does not.
    let early = appoint("t-b", "sgd", "b", Role::Head, "2016-06-30");
    let message = refused(&broker, req("a", "2016-07-01", early)).await;
    assert!(message.contains("from 2016-01-01 until 2016-07-01"), "{message}");
    accepted(&broker, req("a", "2016-07-01", appoint("t-b", "sgd", "b", Role::Head, "2016-07-01")))
        .await;
    service.stop().await;
}

#[tokio::test]
async fn a_tenure_ends_after_it_began_and_only_once() {
    let (broker, service) = start().await;
    accepted(&broker, req("a", "2016-01-01", appoint("t-a", "sgd", "a", Role::Head, "2016-01-01")))
        .await;
    let message = refused(&broker, req("a", "2016-01-01", end("t-a", "2016-01-01"))).await;
    assert!(message.contains("tenure t-a of a at sgd began on 2016-01-01"), "{message}");
    accepted(&broker, req("a", "2016-07-01", end("t-a", "2016-07-01"))).await;
    let message = refused(&broker, req("a", "2016-08-01", end("t-a", "2016-08-01"))).await;
    assert!(message.contains("tenure t-a of a at sgd already ended on 2016-07-01"), "{message}");
    service.stop().await;
}

#[tokio::test]
async fn the_same_command_id_twice_returns_the_first_answer_also_after_a_restart() {
    let (broker, service) = start().await;
    let request =
        req("a", "2016-01-02", unit("sxd", "Sở Xây dựng", UnitKind::Department, Some("st")));
    let first = accepted(&broker, request.clone()).await;
    let count = broker.stream_messages().await;
    let again = accepted(&broker, request.clone()).await;
    assert_eq!((again.sequence, again.duplicate), (first.sequence, true));
    service.stop().await;
    let restarted = Service::start(&broker).await;
    // Decided afresh this would be "unit sxd already exists": the first answer comes back.
    let again = accepted(&broker, request).await;
    assert_eq!((again.sequence, again.duplicate), (first.sequence, true));
    assert_eq!(broker.stream_messages().await, count);
    restarted.stop().await;
}

#[tokio::test]
async fn malformed_request_bytes_get_an_invalid_reply_and_the_service_keeps_serving() {
    let (broker, service) = start().await;
    let before = broker.stream_messages().await;
    let garbage: [&[u8]; 3] = [
        b"\x00\x01\x02",
        b"{\"command_id\":\"c-x\",\"actor\":\"a\",\"command\":{\"type\":\"add-unit\"",
        b"{\"command_id\":\"c-x\",\"actor\":\"a\",\"command\":{\"type\":\"add-unit\",\"unit\":\"u\",\"name\":\"U\",\"kind\":\"ministry\"}}",
    ];
    for bytes in garbage {
        let error = send_raw_signed(&broker.client, reform_directory::NAME, bytes, "a")
            .await
            .expect_err("invalid");
        assert_eq!(error.kind(), FailureKind::Invalid, "{error}");
    }
    assert_eq!(broker.stream_messages().await, before);
    accepted(
        &broker,
        req("a", "2016-01-02", unit("sxd", "Sở Xây dựng", UnitKind::Department, Some("st"))),
    )
    .await;
    service.stop().await;
}
