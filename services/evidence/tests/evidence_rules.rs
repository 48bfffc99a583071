//! The evidence rules, each proven through a real nats-server and its object store: the
//! service runs in-process against its own broker, directory, task and
//! framework facts are appended to the log as events, and every refusal is checked to have
//! appended nothing.

use reform_evidence::client::{self, AttachError, Document, FetchError, Lookup};
use reform_evidence::cmd;
use reform_evidence::cmd::Command;
use reform_evidence::store::{self, StoreError};
use reform_evidence::{Config, EVIDENCE_BYTES_MAX};
use reform_shared::codec;
use reform_shared::command::{Accepted, CommandError, FailureKind, Request};
use reform_shared::event::{Access, Component, Criterion, Event, UnitKind};
use reform_shared::ids::CommandId;
use reform_shared::points::Points;
use reform_shared::subject::STREAM_NAME;
use reform_shared::testkit::{
    date, draft, events, eventually, id, key_of, send_raw_signed, Broker,
};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::oneshot;

const WAIT: Duration = Duration::from_secs(10);
/// The business date of every command unless a test says otherwise.
const TODAY: &str = "2016-06-25";
const REPORT: &[u8] = "BÁO CÁO Kết quả thực hiện công tác CCHC 6 tháng đầu năm 2016".as_bytes();

struct Harness {
    broker: Broker,
    stop: Option<oneshot::Sender<()>>,
    commands: AtomicU32,
}

impl Harness {
    async fn start() -> Harness {
        Harness::start_with(Config {
            service: reform_shared::testkit::unsigned_world(),
            ..Config::default()
        })
        .await
    }

    /// A province with a department (and its division) and a district, a task at the division
    /// and one at the district, and the department framework of 2016; then the service.
    async fn start_with(config: Config) -> Harness {
        let broker = Broker::start().await;
        let appender = broker.appender().await;
        for (n, event) in given_directory_tasks_and_framework().into_iter().enumerate() {
            let event = draft(&format!("seed-{n}"), "2016-01-05", event);
            appender.append_next(event).await.expect("seed event appended");
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        tokio::spawn(reform_evidence::run(broker.client.clone(), config, shutdown));
        let harness = Harness { broker, stop: Some(stop), commands: AtomicU32::new(0) };
        harness.wait_until_serving().await;
        harness
    }

    /// A "denied" answer to an unsigned request means the service is up.
    async fn wait_until_serving(&self) {
        let client = self.broker.client.clone();
        eventually("the evidence service to answer", WAIT, || {
            let client = client.clone();
            async move {
                let reply = client.request("par.cmd.evidence", "{}".into()).await.ok()?;
                let error = reform_shared::command::read_reply("evidence", &reply.payload).err()?;
                (error.kind() == FailureKind::Denied).then_some(())
            }
        })
        .await;
    }

    fn request<C>(&self, on: &str, command: C) -> Request<C> {
        let n = self.commands.fetch_add(1, Ordering::Relaxed);
        Request {
            command_id: id::<CommandId>(&format!("cmd-{n}")),
            actor: id("hoa"),
            occurred_on: Some(date(on)),
            command,
        }
    }

    async fn attach(&self, document: Document, bytes: &[u8]) -> Result<Accepted, AttachError> {
        let key = key_of("hoa");
        client::attach(&self.broker.client, self.request(TODAY, document), bytes, &key).await
    }

    async fn send(&self, command: Command) -> Result<Accepted, CommandError> {
        client::send(&self.broker.client, &self.request(TODAY, command), &key_of("hoa")).await
    }

    async fn bucket(&self) -> async_nats::jetstream::object_store::ObjectStore {
        self.store().await.objects
    }

    async fn store(&self) -> store::Store {
        store::Store::open(&self.broker.js).await.expect("the service made the bucket")
    }

    /// Whether the evidence bucket holds a file with these bytes.
    async fn holds(&self, bytes: &[u8]) -> bool {
        let digest = store::digest_of(bytes);
        match store::read_checked(&self.store().await, &digest, None, EVIDENCE_BYTES_MAX).await {
            Ok(_) => true,
            Err(StoreError::NotFound { .. }) => false,
            Err(e) => panic!("reading the bucket: {e}"),
        }
    }

    async fn event_at(&self, sequence: u64) -> Event {
        let stream = self.broker.js.get_stream(STREAM_NAME).await.expect("stream");
        let message = stream.direct_get(sequence).await.expect("message at sequence");
        codec::decode(&message.payload).expect("decodes").envelope.event
    }

    /// Runs `act`, which must fail with a refusal mentioning `words`, and checks that the
    /// stream did not grow.
    async fn refused<F, Fut>(&self, words: &[&str], act: F) -> String
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Accepted, AttachError>>,
    {
        let before = self.broker.stream_messages().await;
        let error = act().await.expect_err("the command is refused");
        let AttachError::Command(error) = error else { panic!("not a service answer: {error}") };
        assert_eq!(error.kind(), FailureKind::Refused, "{error}");
        let message = error.to_string();
        for word in words {
            assert!(message.contains(word), "{message:?} does not mention {word:?}");
        }
        assert_eq!(self.broker.stream_messages().await, before, "a refusal appended something");
        message
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn given_directory_tasks_and_framework() -> Vec<Event> {
    let unit = |unit: &str, name: &str, kind, parent: Option<&str>| Event::UnitAdded {
        unit: id(unit),
        name: name.into(),
        kind,
        parent: parent.map(id),
    };
    let task = |task: &str, unit: &str| Event::TaskAssigned {
        task: id(task),
        unit: id(unit),
        person: None,
        plan: None,
        title: "Báo cáo CCHC 6 tháng".into(),
        target: "Báo cáo gửi Sở Nội vụ đúng hạn".into(),
        due: date("2016-06-30"),
        criterion: None,
        assigned_by: id("giam-doc"),
    };
    let criterion = |code: &str, component, max| Criterion {
        code: id(code),
        component,
        title: format!("tiêu chí {code}"),
        max_points: Points(max),
        survey_measured: false,
    };
    vec![
        unit("st", "Tỉnh Sóc Trăng", UnitKind::Province, None),
        unit("sgd", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("st")),
        unit("sgd-vp", "Văn phòng Sở", UnitKind::Division, Some("sgd")),
        unit("lp", "UBND huyện Long Phú", UnitKind::District, Some("st")),
        // hoa files the department's evidence and, as an appraiser, rejects it.
        events::person("hoa", "Trần Thị Hoa", "Chuyên viên"),
        events::key("hoa"),
        events::grant("hoa", Access::Staff, Some("sgd")),
        events::grant("hoa", Access::Appraiser, Some("sgd")),
        task("t-vp", "sgd-vp"),
        task("t-lp", "lp"),
        Event::FrameworkPublished {
            year: 2016,
            unit_kind: UnitKind::Department,
            source: "test".into(),
            criteria: vec![
                criterion("1.2", Component::DirectionAndManagement, 5_000),
                criterion("8.1", Component::ImpactOnPeople, 5_000),
            ],
        },
    ]
}

/// The six-month report of the department, numbered as in the Sóc Trăng article.
fn report(evidence: &str) -> Document {
    Document {
        evidence: id(evidence),
        unit: id("sgd"),
        task: None,
        criterion: None,
        title: "Báo cáo kết quả CCHC 6 tháng đầu năm 2016".into(),
        document_number: "1264/BC-SGDĐT".into(),
        document_date: date("2016-06-20"),
        media_type: "application/pdf".into(),
    }
}

fn with(document: Document, edit: impl FnOnce(&mut Document)) -> Document {
    let mut document = document;
    edit(&mut document);
    document
}

/// An attach command naming a digest and size directly, as a client that stored the file
/// itself would send it.
fn attach_command(evidence: &str, sha256: [u8; 32], size_bytes: u64) -> Command {
    let d = report(evidence);
    Command::Attach(cmd::Attach {
        evidence: d.evidence,
        unit: d.unit,
        task: None,
        criterion: None,
        title: d.title,
        document_number: d.document_number,
        document_date: d.document_date,
        sha256,
        size_bytes,
        media_type: d.media_type,
        upload: None,
    })
}

#[tokio::test]
async fn attached_evidence_fetches_back_identical_bytes() {
    let h = Harness::start().await;
    let accepted = h.attach(report("e1"), REPORT).await.expect("attached");
    let Event::EvidenceAttached { sha256, size_bytes, media_type, object_key, .. } =
        h.event_at(accepted.sequence).await
    else {
        panic!("not an attach event");
    };
    assert_eq!(sha256, store::digest_of(REPORT));
    assert_eq!(size_bytes, REPORT.len() as u64);
    assert_eq!(media_type, "application/pdf");
    assert_eq!(object_key, store::object_key(&sha256));
    let by_id = client::fetch(&h.broker.client, &Lookup::Evidence(id("e1"))).await;
    assert_eq!(by_id.expect("fetched by evidence id"), REPORT);
    let by_digest = client::fetch(&h.broker.client, &Lookup::Digest(sha256)).await;
    assert_eq!(by_digest.expect("fetched by digest"), REPORT);
}

#[tokio::test]
async fn a_tampered_object_in_the_store_is_reported_as_a_digest_mismatch_on_fetch() {
    let h = Harness::start().await;
    h.attach(report("e1"), REPORT).await.expect("attached");
    // Someone with write access replaces the stored file under the same name.
    let key = store::object_key(&store::digest_of(REPORT));
    let mut forged: &[u8] = b"BAO CAO da bi sua";
    h.bucket().await.put(key.as_str(), &mut forged).await.expect("replaced");
    for lookup in [Lookup::Evidence(id("e1")), Lookup::Digest(store::digest_of(REPORT))] {
        let error = client::fetch(&h.broker.client, &lookup).await.expect_err("mismatch");
        assert!(matches!(error, FetchError::Store(StoreError::DigestMismatch { .. })), "{error}");
        assert!(error.to_string().contains("digest mismatch"), "{error}");
    }
}

#[tokio::test]
async fn an_attach_whose_stored_object_differs_from_its_claimed_digest_is_refused() {
    let h = Harness::start().await;
    let claimed = store::digest_of(REPORT);
    let mut other: &[u8] = b"a different file of some other length";
    h.bucket().await.put(store::object_key(&claimed).as_str(), &mut other).await.expect("put");
    let command = attach_command("e1", claimed, REPORT.len() as u64);
    h.refused(&["e1", "digest mismatch"], || async { Ok(h.send(command).await?) }).await;
}

#[tokio::test]
async fn an_attach_claiming_the_wrong_size_for_a_stored_object_is_refused() {
    let h = Harness::start().await;
    let digest = store::put(&h.store().await, REPORT).await.expect("stored");
    for size in [REPORT.len() as u64 - 1, REPORT.len() as u64 + 1] {
        let command = attach_command("e1", digest, size);
        h.refused(&["e1", "digest mismatch"], || async { Ok(h.send(command).await?) }).await;
    }
}

#[tokio::test]
async fn an_attach_whose_object_was_never_stored_is_refused() {
    let h = Harness::start().await;
    let command = attach_command("e1", store::digest_of(b"never stored"), 12);
    h.refused(&["e1", "put the file first"], || async { Ok(h.send(command).await?) }).await;
}

/// There used to be a second endpoint, `par.cmd.evidence-verified`, that trusted whatever
/// reached it: any client could record evidence whose file was never stored. The check now
/// runs inside the one handler, and that endpoint is gone.
#[tokio::test]
async fn no_endpoint_records_evidence_without_checking_its_stored_file() {
    let h = Harness::start().await;
    let request = h.request(TODAY, attach_command("e1", store::digest_of(b"never stored"), 12));
    let payload: bytes::Bytes = serde_json::to_vec(&request).expect("json").into();
    let old = h.broker.client.request("par.cmd.evidence-verified", payload.clone()).await;
    assert!(old.is_err(), "the unchecked endpoint answered: {old:?}");
    let error =
        send_raw_signed(&h.broker.client, "evidence", &payload, "hoa").await.expect_err("refused");
    assert_eq!(error.kind(), FailureKind::Refused, "{error}");
    assert!(error.to_string().contains("evidence e1"), "{error}");
    assert_eq!(
        h.broker.stream_messages().await,
        given_directory_tasks_and_framework().len() as u64
    );
}

#[tokio::test]
async fn an_evidence_id_reused_for_different_content_is_refused() {
    let h = Harness::start().await;
    h.attach(report("e1"), REPORT).await.expect("attached");
    let words = ["evidence id e1 is already used for different content"];
    h.refused(&words, || h.attach(report("e1"), b"another file")).await;
    // The same file under a new id is fine: the store keeps one copy.
    h.attach(report("e2"), REPORT).await.expect("same file, new id");
}

/// The file of a refused or denied attach stays in the upload stream, which forgets it within
/// the hour; only an accepted attach puts it in the evidence bucket, which keeps everything for
/// ever. Otherwise anyone with a key could fill the bucket with files no event names.
#[tokio::test]
async fn a_refused_or_denied_attach_stores_nothing_in_the_evidence_bucket() {
    let h = Harness::start().await;
    h.attach(report("e1"), REPORT).await.expect("attached");
    assert!(h.holds(REPORT).await, "an accepted attach stores its file");
    // Refused by the rules: the id is taken by other content.
    let refused_file = b"a second file under a used id";
    h.refused(&["already used for different content"], || h.attach(report("e1"), refused_file))
        .await;
    assert!(!h.holds(refused_file).await, "the refused attach's file was stored");
    // Denied by the access table: hoa is staff of the department, not of the district.
    let denied_file = b"a file for a unit hoa does not work for";
    let before = h.broker.stream_messages().await;
    let error =
        h.attach(with(report("e2"), |d| d.unit = id("lp")), denied_file).await.expect_err("denied");
    let AttachError::Command(error) = error else { panic!("not a service answer: {error}") };
    assert_eq!(error.kind(), FailureKind::Denied, "{error}");
    assert_eq!(h.broker.stream_messages().await, before);
    assert!(!h.holds(denied_file).await, "the denied attach's file was stored");
}

/// An upload padded with chunks its file does not need (empty ones cost the sender nothing,
/// and the service would read every one) is refused without reading it, and stores nothing.
#[tokio::test]
async fn an_upload_with_more_chunks_than_its_file_needs_is_refused() {
    let h = Harness::start().await;
    let upload = reform_evidence::upload::stage(&h.broker.js, REPORT).await.expect("staged");
    let subject = reform_evidence::upload::subject(&store::digest_of(REPORT), &upload);
    for _ in 0..3 {
        let ack = h.broker.js.publish(subject.clone(), bytes::Bytes::new()).await.expect("publish");
        ack.await.expect("stored");
    }
    let mut command = attach_command("e1", store::digest_of(REPORT), REPORT.len() as u64);
    let Command::Attach(attach) = &mut command else { unreachable!() };
    attach.upload = Some(upload.clone());
    // Signed with a key nobody registered: denied before the service looks at the upload.
    let (request, mallory) = (h.request(TODAY, command.clone()), key_of("mallory"));
    let error = client::send(&h.broker.client, &request, &mallory).await.expect_err("denied");
    assert_eq!(error.kind(), FailureKind::Denied, "{error}");
    let words = [upload.as_str(), "holds 4 chunks", "at most 1"];
    h.refused(&words, || async { Ok(h.send(command).await?) }).await;
    assert!(!h.holds(REPORT).await);
}

/// Two attaches of one file under two ids, sent at once: both are accepted, and the bucket
/// holds the file.
#[tokio::test]
async fn one_file_attached_twice_at_once_under_two_ids_is_accepted_twice() {
    let h = Harness::start().await;
    let (first, second) =
        tokio::join!(h.attach(report("e1"), REPORT), h.attach(report("e2"), REPORT));
    let (first, second) = (first.expect("first"), second.expect("second"));
    assert_ne!(first.sequence, second.sequence);
    assert!(h.holds(REPORT).await);
}

#[tokio::test]
async fn an_evidence_id_attached_again_with_the_same_content_is_refused_as_already_attached() {
    let h = Harness::start().await;
    h.attach(report("e1"), REPORT).await.expect("attached");
    h.refused(&["e1", "already attached with this same content"], || {
        h.attach(report("e1"), REPORT)
    })
    .await;
}

#[tokio::test]
async fn evidence_over_the_size_limit_is_refused_by_the_service() {
    let max = 1_024;
    let config = Config {
        evidence_bytes_max: max,
        service: reform_shared::testkit::unsigned_world(),
        ..Config::default()
    };
    let h = Harness::start_with(config).await;
    let big = vec![b'x'; 1_025];
    let digest = store::put(&h.store().await, &big).await.expect("stored directly");
    let command = attach_command("e1", digest, 1_025);
    h.refused(&["e1", "1025 bytes", "limit of 1024 bytes"], || async {
        Ok(h.send(command).await?)
    })
    .await;
    let exactly = vec![b'y'; 1_024];
    h.attach(report("e2"), &exactly).await.expect("exactly at the limit");
}

#[tokio::test]
async fn the_client_refuses_a_file_over_the_size_limit_before_storing_it() {
    let h = Harness::start().await;
    let too_big = vec![0u8; usize::try_from(EVIDENCE_BYTES_MAX).expect("fits") + 1];
    let before = h.broker.stream_messages().await;
    let error = h.attach(report("e1"), &too_big).await.expect_err("refused");
    assert!(matches!(error, AttachError::TooLarge { .. }), "{error}");
    assert_eq!(h.broker.stream_messages().await, before);
    let key = store::object_key(&store::digest_of(&too_big));
    assert!(h.bucket().await.info(key.as_str()).await.is_err(), "nothing was stored");
}

#[tokio::test]
async fn evidence_for_an_unknown_unit_is_refused() {
    let h = Harness::start().await;
    let document = with(report("e1"), |d| d.unit = id("nowhere"));
    h.refused(&["e1", "unit nowhere is not in the directory"], || h.attach(document, REPORT)).await;
}

#[tokio::test]
async fn evidence_for_an_unknown_task_is_refused() {
    let h = Harness::start().await;
    let document = with(report("e1"), |d| d.task = Some(id("t-ghost")));
    h.refused(&["e1", "task t-ghost was never assigned"], || h.attach(document, REPORT)).await;
}

#[tokio::test]
async fn evidence_for_a_task_of_another_unit_is_refused_but_a_sub_units_task_is_not() {
    let h = Harness::start().await;
    let district = with(report("e1"), |d| d.task = Some(id("t-lp")));
    h.refused(&["t-lp", "lp", "sgd"], || h.attach(district, REPORT)).await;
    let division = with(report("e2"), |d| d.task = Some(id("t-vp")));
    h.attach(division, REPORT).await.expect("the division's task, at its department");
}

#[tokio::test]
async fn evidence_for_a_criterion_in_no_framework_of_the_units_kind_is_refused() {
    let h = Harness::start().await;
    let unknown = with(report("e1"), |d| d.criterion = Some(id("9.9")));
    h.refused(&["e1", "criterion 9.9", "department"], || h.attach(unknown, REPORT)).await;
    let known = with(report("e2"), |d| d.criterion = Some(id("1.2")));
    h.attach(known, REPORT).await.expect("a criterion of the department framework");
}

#[tokio::test]
async fn evidence_without_a_title_or_document_number_is_refused() {
    let h = Harness::start().await;
    let untitled = with(report("e1"), |d| d.title = " ".into());
    h.refused(&["e1", "no title"], || h.attach(untitled, REPORT)).await;
    let unnumbered = with(report("e1"), |d| d.document_number = String::new());
    h.refused(&["e1", "no document number"], || h.attach(unnumbered, REPORT)).await;
    let untyped = with(report("e1"), |d| d.media_type = "pdf".into());
    h.refused(&["e1", "\"pdf\" is not a media type"], || h.attach(untyped, REPORT)).await;
}

#[tokio::test]
async fn evidence_dated_after_the_day_it_is_attached_is_refused() {
    let h = Harness::start().await;
    let request = h.request("2016-06-19", report("e1"));
    let key = key_of("hoa");
    h.refused(&["e1", "2016-06-20", "2016-06-19"], || {
        client::attach(&h.broker.client, request, REPORT, &key)
    })
    .await;
}

#[tokio::test]
async fn rejecting_evidence_records_the_reason_once() {
    let h = Harness::start().await;
    h.attach(report("e1"), REPORT).await.expect("attached");
    let reject =
        |reason: &str| Command::Reject(cmd::Reject { evidence: id("e1"), reason: reason.into() });
    let accepted = h.send(reject("văn bản chưa có chữ ký")).await.expect("rejected");
    let Event::EvidenceRejected { unit, reason, .. } = h.event_at(accepted.sequence).await else {
        panic!("not a rejection");
    };
    assert_eq!((unit.as_str(), reason.as_str()), ("sgd", "văn bản chưa có chữ ký"));
    h.refused(&["e1", "already rejected", "chưa có chữ ký"], || async {
        Ok(h.send(reject("lần nữa")).await?)
    })
    .await;
}

#[tokio::test]
async fn rejecting_unknown_evidence_or_without_a_reason_is_refused() {
    let h = Harness::start().await;
    h.attach(report("e1"), REPORT).await.expect("attached");
    let ghost = Command::Reject(cmd::Reject { evidence: id("e-ghost"), reason: "sai".into() });
    h.refused(&["e-ghost", "never attached"], || async { Ok(h.send(ghost).await?) }).await;
    let silent = Command::Reject(cmd::Reject { evidence: id("e1"), reason: "  ".into() });
    h.refused(&["e1", "no reason"], || async { Ok(h.send(silent).await?) }).await;
}

#[tokio::test]
async fn malformed_request_bytes_get_an_invalid_reply_and_the_service_keeps_serving() {
    let h = Harness::start().await;
    let before = h.broker.stream_messages().await;
    let garbage: [&[u8]; 4] = [b"\xff\xfe", b"{\"command_id\":", b"null", b"{\"type\":\"attach\"}"];
    for bytes in garbage {
        let error = send_raw_signed(&h.broker.client, "evidence", bytes, "hoa")
            .await
            .expect_err("garbage is not accepted");
        assert_eq!(error.kind(), FailureKind::Invalid, "{error}");
    }
    assert_eq!(h.broker.stream_messages().await, before);
    h.attach(report("e1"), REPORT).await.expect("still serving");
}

#[tokio::test]
async fn the_same_attach_command_sent_twice_appends_once() {
    let h = Harness::start().await;
    let request = h.request(TODAY, report("e1"));
    let key = key_of("hoa");
    let first =
        client::attach(&h.broker.client, request.clone(), REPORT, &key).await.expect("first");
    let again = client::attach(&h.broker.client, request, REPORT, &key).await.expect("retry");
    assert_eq!((again.sequence, again.duplicate), (first.sequence, true));
}

/// #29: 2.3 GB of uploads in 29 s evicted another person's staged upload, because the waiting
/// room dropped its oldest chunks when full. Now it refuses what comes when full and drops
/// nothing staged: a flood only makes new uploads wait (told so plainly), and the person whose
/// file was staged first attaches it. One upload cannot hold more chunks than the largest file.
#[tokio::test]
async fn a_flood_of_uploads_cannot_evict_a_staged_one_and_is_told_the_room_is_full() {
    use reform_evidence::upload::{self, UploadError, CHUNK_BYTES, UPLOAD_CHUNKS_MAX};
    let room = 2 * 1024 * 1024;
    let h = Harness::start_with(Config {
        service: reform_shared::testkit::unsigned_world(),
        upload_stream_bytes: room,
        ..Config::default()
    })
    .await;
    let staged = upload::stage(&h.broker.js, REPORT).await.expect("hoa's report is staged");
    let publish = |subject: String, payload: bytes::Bytes| {
        let js = h.broker.js.clone();
        async move {
            match js.publish(subject, payload).await {
                Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            }
        }
    };
    let one = format!("par.upload.{}.greedy", "ab".repeat(32));
    for n in 0..UPLOAD_CHUNKS_MAX {
        publish(one.clone(), bytes::Bytes::new())
            .await
            .unwrap_or_else(|e| panic!("chunk {n}: {e}"));
    }
    let over = publish(one, bytes::Bytes::new()).await.expect_err("one chunk too many");
    assert!(over.contains("maximum messages per subject"), "{over}");
    let chunk = bytes::Bytes::from(vec![0u8; CHUNK_BYTES]);
    let most = room as usize / CHUNK_BYTES + 1;
    let mut refused = None;
    for n in 0..most {
        let subject = format!("par.upload.{}.flood{n}", "cd".repeat(32));
        if let Err(e) = publish(subject, chunk.clone()).await {
            refused = Some(e);
            break;
        }
    }
    let refused = refused.expect("a full room refuses a chunk");
    assert!(refused.contains("maximum bytes"), "{refused}");
    let another = vec![1u8; CHUNK_BYTES];
    let next = upload::stage(&h.broker.js, &another).await.expect_err("the room is full");
    assert!(matches!(next, UploadError::Full { .. }), "{next}");
    assert!(next.to_string().contains("the evidence waiting room is full"), "{next}");
    let mut command = attach_command("e1", store::digest_of(REPORT), REPORT.len() as u64);
    let Command::Attach(attach) = &mut command else { unreachable!() };
    attach.upload = Some(staged);
    h.send(command).await.expect("hoa's staged report is still there, and recorded");
    assert!(h.holds(REPORT).await);
}

/// #27: a document holding a citizen's personal data is erased on a legal basis. Its content
/// was stored sealed; erasing destroys the key, so the bucket's bytes open for nobody, under
/// every id that named the same content; the record (who erased what, when, why) is in the
/// log; only the data-protection access may do it, once, with a basis; and the content may
/// not come back under a new id.
#[tokio::test]
async fn erasing_a_document_destroys_its_key_and_its_content_is_unreadable_under_every_id() {
    let h = Harness::start().await;
    h.attach(report("e1"), REPORT).await.expect("attached");
    h.attach(report("e2"), REPORT).await.expect("the same file again, as e2");
    let digest = store::digest_of(REPORT);
    let stored = raw_object(&h, &digest).await;
    assert!(stored.starts_with(reform_evidence::seal::MAGIC), "stored sealed");
    assert!(!stored.windows(24).any(|w| REPORT.windows(24).any(|r| r == w)), "no plaintext");
    let uploads = h.broker.js.get_stream(reform_evidence::upload::STREAM).await.expect("uploads");
    assert_eq!(uploads.get_info().await.expect("info").state.messages, 0, "staging cleared");

    let erase = |evidence: &str, basis: &str| {
        Command::Erase(cmd::Erase { evidence: id(evidence), legal_basis: basis.into() })
    };
    let basis = "Điều 16 Luật Bảo vệ dữ liệu cá nhân; đơn ngày 02/12/2026 của người có dữ liệu";
    let before = h.broker.stream_messages().await;
    let denied = h.send(erase("e1", basis)).await.expect_err("staff and appraiser may not");
    assert_eq!(denied.kind(), FailureKind::Denied, "{denied}");
    assert!(denied.to_string().contains("data protection access"), "{denied}");
    assert_eq!(h.broker.stream_messages().await, before, "a denial appended something");
    let grant = events::grant("hoa", Access::DataProtection, None);
    h.broker
        .appender()
        .await
        .append_next(draft("grant-dp", "2016-06-01", grant))
        .await
        .expect("granted");
    h.refused(&["e1", "no legal basis"], || async { Ok(h.send(erase("e1", " ")).await?) }).await;
    h.refused(&["e-ghost", "never attached"], || async {
        Ok(h.send(erase("e-ghost", basis)).await?)
    })
    .await;

    let accepted = h.send(erase("e1", basis)).await.expect("erased");
    let Event::EvidenceErased { evidence, unit, sha256, legal_basis, others } =
        h.event_at(accepted.sequence).await
    else {
        panic!("not an erasure");
    };
    assert_eq!((evidence.as_str(), unit.as_str(), sha256), ("e1", "sgd", digest));
    assert_eq!(others, [id("e2")], "e2 names the same content");
    assert_eq!(legal_basis, basis);
    let keys = reform_evidence::keys::open(&h.broker.js).await.expect("keys");
    assert_eq!(reform_evidence::keys::get(&keys, &digest).await.expect("read"), None, "key gone");
    assert_eq!(raw_object(&h, &digest).await, stored, "the sealed bytes stay, unopenable");
    for lookup in [Lookup::Evidence(id("e1")), Lookup::Evidence(id("e2")), Lookup::Digest(digest)] {
        let error = client::fetch(&h.broker.client, &lookup).await.expect_err("erased");
        assert!(matches!(error, FetchError::Store(StoreError::Erased { .. })), "{error}");
        assert!(error.to_string().contains("erased"), "{error}");
    }
    h.refused(&["e1", "already erased"], || async { Ok(h.send(erase("e1", basis)).await?) }).await;
    h.refused(&["e2", "already erased"], || async { Ok(h.send(erase("e2", basis)).await?) }).await;
    h.refused(&["e3", "erased", "may not be attached again"], || h.attach(report("e3"), REPORT))
        .await;
    // Another document is untouched.
    h.attach(report("e4"), b"BAO CAO khac").await.expect("attached");
    let other = client::fetch(&h.broker.client, &Lookup::Evidence(id("e4"))).await;
    assert_eq!(other.expect("fetched"), b"BAO CAO khac");
}

/// An erasure the log records whose key outlived it (the service stopped between the two, or
/// a backup's keys were put back) is carried out by the sweep the service runs at start.
#[tokio::test]
async fn the_sweep_destroys_the_key_of_every_erasure_the_log_records_and_only_those() {
    let h = Harness::start().await;
    h.attach(report("e1"), REPORT).await.expect("attached");
    h.attach(report("e2"), b"BAO CAO khac").await.expect("attached");
    let digest = store::digest_of(REPORT);
    erasure_of_e1_recorded_without_its_service(&h, digest).await;
    let store = h.store().await;
    assert!(h.holds(REPORT).await, "the key outlived the record");
    let swept = reform_evidence::erase::sweep(&h.broker.js, &store).await.expect("swept");
    assert_eq!(swept, 1);
    let error = client::fetch(&h.broker.client, &Lookup::Digest(digest)).await.expect_err("gone");
    assert!(matches!(error, FetchError::Store(StoreError::Erased { .. })), "{error}");
    assert_eq!(reform_evidence::erase::sweep(&h.broker.js, &store).await.expect("again"), 0);
    assert!(h.holds(b"BAO CAO khac").await, "the other content keeps its key");
}

/// An erasure of e1 appended straight to the log, as if its service stopped before it destroyed
/// the key.
async fn erasure_of_e1_recorded_without_its_service(h: &Harness, digest: [u8; 32]) {
    let erased = Event::EvidenceErased {
        evidence: id("e1"),
        unit: id("sgd"),
        sha256: digest,
        legal_basis: "Điều 16 Luật Bảo vệ dữ liệu cá nhân".into(),
        others: Vec::new(),
    };
    h.broker.appender().await.append_next(draft("erase-e1", TODAY, erased)).await.expect("logged");
}

/// The bytes the bucket holds for a content, as stored.
async fn raw_object(h: &Harness, digest: &[u8; 32]) -> Vec<u8> {
    use tokio::io::AsyncReadExt as _;
    let mut object = h.bucket().await.get(store::object_key(digest).as_str()).await.expect("get");
    let mut bytes = Vec::new();
    object.read_to_end(&mut bytes).await.expect("read");
    bytes
}

/// The same at a service's start, from the state it rebuilt: an erasure recorded while its key
/// outlived it (the service stopped between the two) is carried out when a service starts.
#[tokio::test]
async fn a_starting_service_destroys_the_key_of_every_erasure_its_state_holds() {
    let h = Harness::start().await;
    h.attach(report("e1"), REPORT).await.expect("attached");
    let digest = store::digest_of(REPORT);
    erasure_of_e1_recorded_without_its_service(&h, digest).await;
    assert!(h.holds(REPORT).await, "the key outlived the record");
    let (_stop, stopped) = oneshot::channel::<()>();
    let config = Config { service: reform_shared::testkit::unsigned_world(), ..Config::default() };
    let shutdown = async move {
        let _ = stopped.await;
    };
    tokio::spawn(reform_evidence::run(h.broker.client.clone(), config, shutdown));
    let keys = reform_evidence::keys::open(&h.broker.js).await.expect("keys");
    eventually("the starting service to destroy the key", WAIT, || {
        let keys = keys.clone();
        async move { reform_evidence::keys::get(&keys, &digest).await.ok()?.is_none().then_some(()) }
    })
    .await;
}
