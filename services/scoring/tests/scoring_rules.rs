//! The scoring rules, each proven through a real nats-server: the service runs in-process
//! against its own broker, the directory and evidence facts it needs are appended to the log
//! as events, and every refusal is checked to have appended nothing.

use reform_scoring::cmd;
use reform_scoring::cmd::Command;
use reform_scoring::framework::FrameworkFile;
use reform_shared::codec;
use reform_shared::command::{Accepted, CommandError, FailureKind, Request};
use reform_shared::event::{Access, Event, Role, Stage, UnitKind};
use reform_shared::ids::{CommandId, EvidenceId};
use reform_shared::points::Points;
use reform_shared::subject::STREAM_NAME;
use reform_shared::testkit::{draft, events, eventually, id, key_of, send_raw_signed, Broker};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::oneshot;

const WAIT: Duration = Duration::from_secs(10);
const DEPARTMENT_FRAMEWORK: &str = include_str!("../frameworks/par-index-department.json");

/// A broker, the scoring service running against it, and a way to stop the service.
struct Harness {
    broker: Broker,
    stop: Option<oneshot::Sender<()>>,
    service: tokio::task::JoinHandle<Result<(), reform_shared::service::ServiceError>>,
    commands: AtomicU32,
}

impl Harness {
    /// A province with one department (and its division) and one district, a registered
    /// scorer, and evidence attached to the department, its division and the district; then
    /// the service, started and answering.
    async fn start() -> Harness {
        let broker = Broker::start().await;
        let appender = broker.appender().await;
        for (n, event) in given_directory_and_evidence().into_iter().enumerate() {
            let event = draft(&format!("seed-{n}"), "2016-01-05", event);
            appender.append_next(event).await.expect("seed event appended");
        }
        let (stop, service) = spawn_service(&broker);
        let harness = Harness { broker, stop: Some(stop), service, commands: AtomicU32::new(0) };
        harness.wait_until_serving().await;
        harness
    }

    async fn wait_until_serving(&self) {
        let client = self.broker.client.clone();
        eventually("the scoring service answers", WAIT, || {
            let client = client.clone();
            async move { client.request("par.cmd.scoring", "{}".into()).await.ok() }
        })
        .await;
    }

    /// Stops the service and starts a new one on the same broker.
    async fn restart(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let old = std::mem::replace(&mut self.service, tokio::spawn(async { Ok(()) }));
        old.await.expect("service task joins").expect("service stopped cleanly");
        let (stop, service) = spawn_service(&self.broker);
        self.stop = Some(stop);
        self.service = service;
        self.wait_until_serving().await;
    }

    async fn send(&self, command: Command) -> Result<Accepted, CommandError> {
        let n = self.commands.fetch_add(1, Ordering::Relaxed);
        self.send_as(&format!("cmd-{n}"), "hoa", command).await
    }

    async fn send_as(
        &self,
        command_id: &str,
        actor: &str,
        command: Command,
    ) -> Result<Accepted, CommandError> {
        let request = Request {
            command_id: id::<CommandId>(command_id),
            actor: id(actor),
            occurred_on: None,
            command,
        };
        reform_scoring::client::send(&self.broker.client, &request, &key_of(actor)).await
    }

    /// Sends a command that must be refused; checks the kind, that the message mentions
    /// `words`, and that the stream did not grow.
    async fn refused(&self, command: Command, words: &[&str]) -> String {
        let before = self.broker.stream_messages().await;
        let error = self.send(command).await.expect_err("the command is refused");
        assert_eq!(error.kind(), FailureKind::Refused, "{error}");
        let message = error.to_string();
        for word in words {
            assert!(message.contains(word), "{message:?} does not mention {word:?}");
        }
        assert_eq!(self.broker.stream_messages().await, before, "a refusal appended something");
        message
    }

    async fn event_at(&self, sequence: u64) -> Event {
        let stream = self.broker.js.get_stream(STREAM_NAME).await.expect("stream");
        let message = stream.direct_get(sequence).await.expect("message at sequence");
        codec::decode(&message.payload).expect("decodes").envelope.event
    }

    async fn publish_department_framework(&self) {
        self.send(department_framework(2016)).await.expect("framework published");
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn spawn_service(
    broker: &Broker,
) -> (oneshot::Sender<()>, tokio::task::JoinHandle<Result<(), reform_shared::service::ServiceError>>)
{
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    let client = broker.client.clone();
    let service = tokio::spawn(reform_scoring::run(
        client,
        reform_shared::testkit::unsigned_world(),
        shutdown,
    ));
    (stop, service)
}

fn given_directory_and_evidence() -> Vec<Event> {
    let unit = |unit: &str, name: &str, kind, parent: Option<&str>| Event::UnitAdded {
        unit: id(unit),
        name: name.into(),
        kind,
        parent: parent.map(id),
    };
    let evidence = |evidence: &str, unit: &str| Event::EvidenceAttached {
        evidence: id(evidence),
        unit: id(unit),
        task: None,
        criterion: None,
        title: "Kế hoạch CCHC năm 2016".into(),
        document_number: "96/KH-SGDĐT".into(),
        document_date: "2015-12-20".parse().expect("date"),
        sha256: [7; 32],
        size_bytes: 10,
        media_type: "application/pdf".into(),
        object_key: "07".repeat(32),
    };
    vec![
        unit("st", "Tỉnh Sóc Trăng", UnitKind::Province, None),
        unit("sgd", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("st")),
        unit("sgd-vp", "Văn phòng Sở", UnitKind::Division, Some("sgd")),
        unit("lp", "UBND huyện Long Phú", UnitKind::District, Some("st")),
        // hoa keeps the frameworks, leads the reform of sgd and lp, and appraises them: each
        // rule here is the scoring service's, not who may record it (tests/it/access.rs).
        events::genesis("hoa"),
        events::appoint("hoa-sgd", "sgd", "hoa", Role::ReformDeputy, "2010-01-01"),
        events::appoint("hoa-lp", "lp", "hoa", Role::ReformDeputy, "2010-01-01"),
        events::grant("hoa", Access::Appraiser, Some("sgd")),
        evidence("e-plan", "sgd"),
        evidence("e-division", "sgd-vp"),
        evidence("e-district", "lp"),
        evidence("e-bad", "sgd"),
        Event::EvidenceRejected {
            evidence: id("e-bad"),
            unit: id("sgd"),
            reason: "bản chụp không đọc được".into(),
        },
    ]
}

fn department_framework(year: u16) -> Command {
    let file = FrameworkFile::parse(DEPARTMENT_FRAMEWORK.as_bytes()).expect("framework file");
    file.into_command(Some(year)).expect("command")
}

fn edit_framework(command: Command, edit: impl FnOnce(&mut Command)) -> Command {
    let mut command = command;
    edit(&mut command);
    command
}

/// A score of unit `sgd` in 2016 on criterion 1.1 (max 3.00, not survey-measured).
fn score(stage: Stage, points: &str, reason: &str, evidence: &[&str]) -> Command {
    score_on("sgd", "1.1", stage, points, reason, evidence)
}

fn score_on(
    unit: &str,
    criterion: &str,
    stage: Stage,
    points: &str,
    reason: &str,
    evidence: &[&str],
) -> Command {
    Command::RecordScore(cmd::RecordScore {
        unit: id(unit),
        year: 2016,
        criterion: id(criterion),
        stage,
        points: points.parse().expect("points"),
        reason: reason.into(),
        evidence: evidence.iter().map(|e| id::<EvidenceId>(e)).collect(),
    })
}

#[tokio::test]
async fn a_framework_whose_maxima_do_not_total_100_is_refused() {
    let h = Harness::start().await;
    let command = edit_framework(department_framework(2016), |c| {
        if let Command::PublishFramework(cmd::PublishFramework { criteria, .. }) = c {
            criteria[0].max_points = Points(301);
        }
    });
    h.refused(command, &["100.01", "100.00"]).await;
}

#[tokio::test]
async fn a_framework_missing_a_component_field_is_refused() {
    let h = Harness::start().await;
    let command = edit_framework(department_framework(2016), |c| {
        if let Command::PublishFramework(cmd::PublishFramework { criteria, .. }) = c {
            // Move public finance's points to e-government, so only the component is missing.
            for spec in criteria.iter_mut().filter(|s| s.code.as_str().starts_with("6.")) {
                spec.component = reform_shared::event::Component::EGovernment;
            }
        }
    });
    h.refused(command, &["public-finance"]).await;
}

#[tokio::test]
async fn a_framework_with_a_duplicate_criterion_code_is_refused() {
    let h = Harness::start().await;
    let command = edit_framework(department_framework(2016), |c| {
        if let Command::PublishFramework(cmd::PublishFramework { criteria, .. }) = c {
            criteria[1].code = criteria[0].code.clone();
        }
    });
    h.refused(command, &["criterion 1.1 appears more than once"]).await;
}

#[tokio::test]
async fn a_second_framework_for_the_same_year_and_unit_kind_is_refused() {
    let h = Harness::start().await;
    h.publish_department_framework().await;
    h.refused(department_framework(2016), &["department", "2016", "already published"]).await;
    // Another year is a new framework.
    h.send(department_framework(2017)).await.expect("2017 framework published");
}

#[tokio::test]
async fn a_published_framework_reads_back_from_the_log_with_all_its_criteria() {
    let h = Harness::start().await;
    let client = &h.broker.client;
    let none = reform_scoring::query::framework(client, 2016, UnitKind::Department).await;
    assert_eq!(none.expect("log readable"), None);
    h.publish_department_framework().await;
    let published = reform_scoring::query::framework(client, 2016, UnitKind::Department)
        .await
        .expect("log readable")
        .expect("published");
    let file = FrameworkFile::parse(DEPARTMENT_FRAMEWORK.as_bytes()).expect("framework file");
    assert_eq!(published.criteria.len(), file.criteria.len());
    let total: u32 = published.criteria.iter().map(|c| c.max_points.hundredths()).sum();
    assert_eq!(total, 10_000);
    let district = reform_scoring::query::framework(client, 2016, UnitKind::District).await;
    assert_eq!(district.expect("log readable"), None);
}

#[tokio::test]
async fn a_score_event_carries_the_old_and_the_new_value() {
    let h = Harness::start().await;
    h.publish_department_framework().await;
    let first = h.send(score(Stage::SelfAssessed, "2.50", "", &["e-plan"])).await.expect("ok");
    let second =
        h.send(score(Stage::SelfAssessed, "3.00", "bổ sung minh chứng", &["e-plan"])).await;
    let second = second.expect("second score accepted");
    let Event::ScoreChanged { old, new, .. } = h.event_at(first.sequence).await else {
        panic!("not a score event");
    };
    assert_eq!((old, new), (None, Points(250)));
    let Event::ScoreChanged { old, new, by, evidence, .. } = h.event_at(second.sequence).await
    else {
        panic!("not a score event");
    };
    assert_eq!((old, new), (Some(Points(250)), Points(300)));
    assert_eq!(by.as_str(), "hoa");
    assert_eq!(evidence, vec![id::<EvidenceId>("e-plan")]);
}

#[tokio::test]
async fn a_score_for_an_unknown_unit_is_refused() {
    let h = Harness::start().await;
    h.publish_department_framework().await;
    let command = score_on("nowhere", "1.1", Stage::SelfAssessed, "1", "", &["e-plan"]);
    h.refused(command, &["unit nowhere is not in the directory"]).await;
}

#[tokio::test]
async fn a_score_on_a_criterion_not_in_the_framework_is_refused() {
    let h = Harness::start().await;
    h.publish_department_framework().await;
    let command = score_on("sgd", "9.9", Stage::SelfAssessed, "1", "", &["e-plan"]);
    h.refused(command, &["criterion 9.9", "2016", "department"]).await;
}

#[tokio::test]
async fn a_score_citing_evidence_never_attached_is_refused() {
    let h = Harness::start().await;
    h.publish_department_framework().await;
    h.refused(score(Stage::SelfAssessed, "1", "", &["e-ghost"]), &["evidence e-ghost"]).await;
}

#[tokio::test]
async fn a_score_citing_rejected_evidence_is_refused() {
    let h = Harness::start().await;
    h.publish_department_framework().await;
    h.refused(score(Stage::SelfAssessed, "1", "", &["e-bad"]), &["e-bad", "rejected"]).await;
}

#[tokio::test]
async fn a_score_may_cite_a_sub_units_evidence_but_not_another_units() {
    let h = Harness::start().await;
    h.publish_department_framework().await;
    h.send(score(Stage::SelfAssessed, "1", "", &["e-division"])).await.expect("division's");
    h.refused(score(Stage::SelfAssessed, "1", "", &["e-district"]), &["e-district", "lp"]).await;
}

#[tokio::test]
async fn a_score_without_a_framework_for_the_units_kind_and_year_is_refused() {
    let h = Harness::start().await;
    h.publish_department_framework().await;
    // The department framework does not cover the district.
    let command = score_on("lp", "1.1", Stage::SelfAssessed, "1", "", &["e-district"]);
    h.refused(command, &["no framework", "district", "2016", "lp"]).await;
}

#[tokio::test]
async fn points_above_the_criterions_maximum_are_refused() {
    let h = Harness::start().await;
    h.publish_department_framework().await;
    h.refused(score(Stage::SelfAssessed, "3.01", "", &["e-plan"]), &["3.01", "1.1", "3.00"]).await;
    h.send(score(Stage::SelfAssessed, "3.00", "", &["e-plan"])).await.expect("the maximum");
    h.send(score(Stage::SelfAssessed, "0", "", &["e-plan"])).await.expect("zero");
}

#[tokio::test]
async fn a_self_assessed_score_without_evidence_needs_an_explanation() {
    let h = Harness::start().await;
    h.publish_department_framework().await;
    h.refused(score(Stage::SelfAssessed, "2", "  ", &[]), &["no evidence", "explanation"]).await;
    let explained = score(Stage::SelfAssessed, "2", "văn bản đang chờ ký", &[]);
    h.send(explained).await.expect("explained score accepted");
}

#[tokio::test]
async fn a_survey_measured_criterion_takes_no_self_assessed_score() {
    let h = Harness::start().await;
    h.publish_department_framework().await;
    // 8.1 is the citizens' satisfaction, measured by the sociological survey.
    let own = score_on("sgd", "8.1", Stage::SelfAssessed, "8", "", &["e-plan"]);
    h.refused(own, &["8.1", "survey"]).await;
    let appraised = score_on("sgd", "8.1", Stage::Appraised, "8", "", &[]);
    h.send(appraised).await.expect("the survey's figure is recorded at appraisal");
}

#[tokio::test]
async fn an_appraised_score_that_differs_from_the_self_assessed_needs_a_reason() {
    let h = Harness::start().await;
    h.publish_department_framework().await;
    h.send(score(Stage::SelfAssessed, "3", "", &["e-plan"])).await.expect("self-assessed");
    h.refused(score(Stage::Appraised, "2.50", "", &[]), &["2.50", "differs", "3.00"]).await;
    h.send(score(Stage::Appraised, "3", "", &[])).await.expect("same value needs no reason");
    let reasoned = score(Stage::Appraised, "2.50", "kế hoạch ban hành trễ hạn", &[]);
    h.send(reasoned).await.expect("a reasoned adjustment is accepted");
}

#[tokio::test]
async fn a_final_score_needs_the_appraised_one_first() {
    let h = Harness::start().await;
    h.publish_department_framework().await;
    h.send(score(Stage::SelfAssessed, "3", "", &["e-plan"])).await.expect("self-assessed");
    h.refused(score(Stage::Final, "3", "", &[]), &["no appraised score", "1.1"]).await;
    h.send(score(Stage::Appraised, "3", "", &[])).await.expect("appraised");
    h.send(score(Stage::Final, "3", "", &[])).await.expect("final after appraisal");
}

#[tokio::test]
async fn a_score_by_a_person_not_in_the_directory_is_denied() {
    let h = Harness::start().await;
    h.publish_department_framework().await;
    let before = h.broker.stream_messages().await;
    let error = h
        .send_as("by-stranger", "stranger", score(Stage::SelfAssessed, "1", "", &["e-plan"]))
        .await
        .expect_err("refused");
    assert_eq!(error.kind(), FailureKind::Denied);
    assert!(error.to_string().contains("not registered for anyone"), "{error}");
    assert_eq!(h.broker.stream_messages().await, before);
}

#[tokio::test]
async fn malformed_request_bytes_get_an_invalid_reply_and_the_service_keeps_serving() {
    let h = Harness::start().await;
    let before = h.broker.stream_messages().await;
    for garbage in [&b"\xff\xfe not json"[..], b"{\"command_id\":\"x\"", b"[]", b""] {
        let error = send_raw_signed(&h.broker.client, "scoring", garbage, "hoa")
            .await
            .expect_err("garbage is not accepted");
        assert_eq!(error.kind(), FailureKind::Invalid, "{error}");
    }
    assert_eq!(h.broker.stream_messages().await, before);
    h.publish_department_framework().await;
}

#[tokio::test]
async fn the_same_command_id_twice_appends_once_even_after_a_restart() {
    let mut h = Harness::start().await;
    h.publish_department_framework().await;
    let command = || score(Stage::SelfAssessed, "2", "", &["e-plan"]);
    let first = h.send_as("once", "hoa", command()).await.expect("first");
    let again = h.send_as("once", "hoa", command()).await.expect("second");
    assert!(!first.duplicate && again.duplicate);
    assert_eq!(first.sequence, again.sequence);
    h.restart().await;
    let after_restart = h.send_as("once", "hoa", command()).await.expect("third");
    assert_eq!((after_restart.sequence, after_restart.duplicate), (first.sequence, true));
    // The restarted service rebuilt the score in force: the next change names it as old.
    let next = h.send(score(Stage::SelfAssessed, "2.25", "", &["e-plan"])).await.expect("ok");
    let Event::ScoreChanged { old, .. } = h.event_at(next.sequence).await else {
        panic!("not a score event");
    };
    assert_eq!(old, Some(Points(200)));
}
