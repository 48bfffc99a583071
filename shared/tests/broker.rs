//! The broker's permissions (`deploy/nats/permissions.conf`), against a real nats-server run
//! with them: each forbidden action fails and changes nothing, and what each user needs works.
//! The services and JetStream are in one account, people in another that imports only what
//! people may ask: whatever reply subject a person's request names, its answer stays in the
//! people's account and never reaches the log (one test per way of asking).
//!
//! A refused publish or subscription never reaches anyone: the server answers the connection
//! with `-ERR 'Permissions Violation ...'` (async-nats: `Event::ServerError`), and a refused
//! JetStream request gets no answer at all. So each refusal is shown twice: by the server's
//! own violation report naming the subject, and by the state afterwards (the stream, the
//! object, the responder), read as another user. Nothing waits for a fixed time: the server
//! reports a violation after it dropped the message, and "received nothing" is shown by a
//! later message on the same connection that does arrive.

use async_nats::jetstream::{self, consumer, object_store, stream};
use futures::{FutureExt as _, StreamExt as _};
use reform_shared::broker::{BrokerUser, Credentials};
use reform_shared::edge::{connect_as, connect_options_as};
use reform_shared::natsd::{NatsServer, ServerOptions, Sync};
use reform_shared::stream::{init_stream, StreamSettings};
use reform_shared::subject::PEOPLE_INBOX_PREFIX;
use reform_shared::subject::STREAM_NAME;
use reform_shared::testkit::{eventually, seed_department_with_head};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt as _;

/// How long a condition may take to hold.
const WAIT: Duration = Duration::from_secs(20);
/// How long a refused JetStream request waits for the answer that never comes. Only the
/// error's arrival depends on it, never the verdict.
const REFUSED_TIMEOUT: Duration = Duration::from_millis(700);
const EVIDENCE: &str = "PAR_EVIDENCE";
const EVIDENCE_OBJECT: &str = "0123abcd";
const EVIDENCE_BYTES: &[u8] = b"Quyet dinh so 12/QD-UBND: the signed scan";
const UPLOADS: &str = "PAR_UPLOADS";
const COMMANDS: &str = "par.cmd.tasks";

/// A server with the permissions, its credentials, the log seeded (as the service user), an
/// evidence object stored (as the evidence service), and a service-user responder on
/// `par.cmd.tasks`.
struct Stack {
    server: NatsServer,
    credentials: Credentials,
    _dir: tempfile::TempDir,
    service: jetstream::Context,
    evidence: jetstream::Context,
    /// Every payload the responder received, in order.
    responder_saw: Arc<Mutex<Vec<String>>>,
}

impl Stack {
    async fn start() -> Stack {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = ServerOptions {
            data_dir: dir.path().join("nats"),
            port: None,
            sync: Sync::Always,
            die_with_parent: false,
            auth: Some(dir.path().join("credentials")),
        };
        let server = NatsServer::start(&options).expect("nats-server starts with the permissions");
        let credentials = Credentials { dir: dir.path().join("credentials") };

        let service_client =
            connect_as(server.url(), Some(&credentials.seed_path(BrokerUser::Service)))
                .await
                .expect("the service connects");
        let service = jetstream::new(service_client.clone());
        init_stream(&service, &StreamSettings::default())
            .await
            .expect("the service provisions the log");
        seed_department_with_head(&service).await;

        let evidence_client =
            connect_as(server.url(), Some(&credentials.seed_path(BrokerUser::Evidence)))
                .await
                .expect("the evidence service connects");
        let evidence = jetstream::new(evidence_client);
        let bucket = evidence
            .create_object_store(object_store::Config {
                bucket: EVIDENCE.to_owned(),
                storage: stream::StorageType::File,
                ..Default::default()
            })
            .await
            .expect("the evidence service creates its bucket");
        bucket
            .put(EVIDENCE_OBJECT, &mut &EVIDENCE_BYTES[..])
            .await
            .expect("the evidence service stores an object");

        let responder_saw = Arc::new(Mutex::new(Vec::new()));
        let mut requests = service_client
            .queue_subscribe(COMMANDS, "q".into())
            .await
            .expect("the service answers commands");
        service_client.flush().await.expect("flush");
        let saw = responder_saw.clone();
        let replier = service_client.clone();
        tokio::spawn(async move {
            while let Some(message) = requests.next().await {
                let payload = String::from_utf8_lossy(&message.payload).into_owned();
                saw.lock().expect("lock").push(payload.clone());
                if let Some(reply) = message.reply {
                    let _ = replier.publish(reply, format!("answered {payload}").into()).await;
                }
            }
        });
        Stack { server, credentials, _dir: dir, service, evidence, responder_saw }
    }

    fn seed(&self, user: BrokerUser) -> std::path::PathBuf {
        self.credentials.seed_path(user)
    }

    /// Connects as `user`, recording the server's error reports. People connect with their
    /// inbox prefix, as reformctl does (`edge::connect_person`).
    async fn watched(&self, user: BrokerUser) -> Watched {
        let errors = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = errors.clone();
        let mut options = connect_options_as(&self.seed(user)).expect("the seed file is fine");
        if user.account() == reform_shared::broker::PEOPLE_ACCOUNT {
            options = options.custom_inbox_prefix(PEOPLE_INBOX_PREFIX);
        }
        let client = options
            .event_callback(move |event| {
                let sink = sink.clone();
                async move {
                    if let async_nats::Event::ServerError(error) = event {
                        sink.lock().expect("lock").push(error.to_string());
                    }
                }
            })
            .connect(self.server.url())
            .await
            .unwrap_or_else(|e| panic!("{user} connects: {e}"));
        let js = jetstream::ContextBuilder::new().timeout(REFUSED_TIMEOUT).build(client.clone());
        Watched { user, client, js, errors }
    }

    async fn log_state(&self) -> (u64, u64) {
        let mut stream = self.service.get_stream(STREAM_NAME).await.expect("the log is there");
        let info = stream.info().await.expect("stream info");
        (info.state.messages, info.state.last_sequence)
    }

    async fn evidence_object(&self) -> (object_store::ObjectInfo, Vec<u8>) {
        let bucket = self.evidence.get_object_store(EVIDENCE).await.expect("the bucket is there");
        let info = bucket.info(EVIDENCE_OBJECT).await.expect("the object is there");
        let mut bytes = Vec::new();
        bucket
            .get(EVIDENCE_OBJECT)
            .await
            .expect("the object reads")
            .read_to_end(&mut bytes)
            .await
            .expect("its bytes read");
        (info, bytes)
    }

    fn responder_saw(&self) -> Vec<String> {
        self.responder_saw.lock().expect("lock").clone()
    }

    /// The upload staging stream, as the evidence service makes it.
    async fn uploads(&self) -> stream::Stream {
        self.evidence
            .create_stream(stream::Config {
                name: UPLOADS.to_owned(),
                subjects: vec!["par.upload.>".to_owned()],
                ..Default::default()
            })
            .await
            .expect("the evidence service creates the upload stream")
    }

    /// Shows that the log holds nothing new since its last sequence was `before` and nothing
    /// on `attack`: the service appends a control event, which must be the very next one.
    /// Whatever the attack had made land was queued for the log before (each test makes sure
    /// of that first), and the log stores in order.
    async fn only_a_control_follows(&self, before: u64, attack: &str) {
        let control = format!("{attack}-control");
        let ack = self
            .service
            .publish(control, "control".into())
            .await
            .expect("sent")
            .await
            .expect("the control event is stored");
        assert_eq!(ack.sequence, before + 1, "something reached the log before the control");
        let log = self.service.get_stream(STREAM_NAME).await.expect("the log");
        let landed = log.get_last_raw_message_by_subject(attack).await;
        assert!(landed.is_err(), "an answer landed in the log on {attack}: {landed:?}");
        assert_eq!(self.log_state().await.1, before + 1);
    }
}

/// A person's own command, "marker", answered by the stack's responder. People see nothing
/// published in the services' account but the answers to their own requests, so this is how
/// a test knows that everything sent before it has been delivered.
async fn marker(client: &async_nats::Client) {
    let reply = client.request(COMMANDS, "marker".into()).await.expect("answered");
    assert_eq!(&reply.payload[..], b"answered marker");
}

/// The reply subject a malicious request names: an event subject of the log.
fn in_the_log(vector: &str) -> String {
    format!("par.evt.tasks.sgd.task.reply-{vector}")
}

/// A connection as one user, with the server's error reports.
struct Watched {
    user: BrokerUser,
    client: async_nats::Client,
    /// A JetStream context whose refused requests fail after [`REFUSED_TIMEOUT`].
    js: jetstream::Context,
    errors: Arc<Mutex<Vec<String>>>,
}

impl Watched {
    /// Waits for the server's report that `what` ("publish to", "subscription to") on
    /// `subject` was refused; a subject ending in `.` stands for any subject it begins.
    async fn refused(&self, what: &str, subject: &str) {
        let quote = if subject.ends_with('.') { "" } else { "\"" };
        let wanted = format!("permissions violation for {what} \"{subject}{quote}").to_lowercase();
        let errors = self.errors.clone();
        eventually(&format!("the server to refuse {} {what} {subject}", self.user), WAIT, || {
            let found =
                errors.lock().expect("lock").iter().any(|e| e.to_lowercase().contains(&wanted));
            async move { found.then_some(()) }
        })
        .await;
    }

    fn violations(&self) -> Vec<String> {
        self.errors.lock().expect("lock").clone()
    }
}

// ---------- the client may not write the log ----------

#[tokio::test]
async fn a_client_cannot_publish_on_the_log() {
    let stack = Stack::start().await;
    let before = stack.log_state().await;
    let client = stack.watched(BrokerUser::Client).await;

    let core = "par.evt.tasks.sgd.task.forged";
    client.client.publish(core, "forged".into()).await.expect("the client sends it");
    client.client.flush().await.expect("flush");
    client.refused("publish to", core).await;

    let js = "par.evt.tasks.sgd.task.forged-js";
    let outcome = match client.js.publish(js, "forged".into()).await {
        Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    assert!(outcome.is_err(), "a JetStream publish on the log was acknowledged");
    client.refused("publish to", js).await;

    assert_eq!(stack.log_state().await, before, "the log changed");
}

// ---------- the client may not take commands meant for a service ----------

#[tokio::test]
async fn a_client_cannot_subscribe_to_commands() {
    let stack = Stack::start().await;
    let client = stack.watched(BrokerUser::Client).await;
    let mut plain = client.client.subscribe(COMMANDS).await.expect("sent");
    // The responder's own queue group: a member would take a share of the commands.
    let mut queued = client.client.queue_subscribe(COMMANDS, "q".into()).await.expect("sent");
    client.refused("subscription to", COMMANDS).await;
    eventually("both subscriptions refused", WAIT, || {
        let n = client
            .violations()
            .iter()
            .filter(|e| e.to_lowercase().contains("subscription to \"par.cmd.tasks\""))
            .count();
        async move { (n >= 2).then_some(()) }
    })
    .await;

    // Every command still reaches the responder, and is answered.
    let asker = connect_as(stack.server.url(), Some(&stack.seed(BrokerUser::Client)))
        .await
        .expect("connects");
    for i in 0..20 {
        let reply = asker.request(COMMANDS, format!("command-{i}").into()).await.expect("answered");
        assert_eq!(&reply.payload[..], format!("answered command-{i}").as_bytes());
    }

    // Then the client's own command, answered: the server handed each of the asker's commands
    // to every subscription on par.cmd.tasks before it answered them, so any copy would be
    // queued before this answer.
    marker(&client.client).await;
    for (name, sub) in [("plain", &mut plain), ("queue", &mut queued)] {
        if let Some(Some(message)) = sub.next().now_or_never() {
            panic!("the client's {name} subscription received {:?}", message.payload);
        }
    }
    assert_eq!(stack.responder_saw().len(), 21, "the responder got every command");
}

// ---------- TLS on every link ----------

/// #26: the broker run with the permissions speaks TLS only, with the certificate of the local
/// authority made beside the users' seeds: a client with a valid seed but no TLS is refused,
/// one that trusts another authority refuses the broker, and one given a seed from there
/// trusts the `ca.pem` beside it and connects.
#[tokio::test]
async fn the_broker_speaks_tls_only_and_only_to_clients_trusting_its_authority() {
    let stack = Stack::start().await;
    let url = stack.server.url();
    let seed_file = stack.seed(BrokerUser::Client);
    let seed = reform_shared::broker::read_seed(&seed_file).expect("seed");
    let seed = seed.seed().expect("a seed");
    // A client that asks for no TLS is upgraded by the server's greeting, and then trusts
    // only the usual public authorities: refused either way, never plain.
    let plain = async_nats::ConnectOptions::with_nkey(seed.clone()).connect(url).await;
    let refused = plain.expect_err("a plain connection was accepted").to_string();
    assert!(refused.contains("invalid peer certificate"), "{refused}");
    let mut raw =
        tokio::net::TcpStream::connect(url.trim_start_matches("nats://")).await.expect("tcp");
    let mut greeting = vec![0u8; 4096];
    let n = tokio::io::AsyncReadExt::read(&mut raw, &mut greeting).await.expect("greeting");
    let greeting = String::from_utf8_lossy(&greeting[..n]).to_string();
    assert!(greeting.contains("\"tls_required\":true"), "{greeting}");
    tokio::io::AsyncWriteExt::write_all(&mut raw, b"CONNECT {}\r\nPING\r\n").await.expect("sent");
    let mut answer = vec![0u8; 512];
    let n = tokio::io::AsyncReadExt::read(&mut raw, &mut answer).await.unwrap_or(0);
    let answer = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(!answer.contains("PONG"), "a plain CONNECT was answered: {answer}");

    let other = tempfile::tempdir().expect("dir");
    let (authority, _, _) = reform_shared::tls::make_local().expect("another authority");
    let other_ca = other.path().join("ca.pem");
    std::fs::write(&other_ca, authority).expect("written");
    let wrong = async_nats::ConnectOptions::with_nkey(seed)
        .require_tls(true)
        .add_root_certificates(other_ca)
        .connect(url)
        .await;
    let refused = wrong.expect_err("a broker another authority signed for was trusted");
    assert!(refused.to_string().to_lowercase().contains("certificate"), "{refused}");

    let client = connect_as(url, Some(&seed_file)).await.expect("connects over TLS");
    assert!(client.server_info().tls_required, "the server says TLS is required");
    let js = jetstream::new(client);
    let mut stream = js.get_stream(STREAM_NAME).await.expect("reads the log over TLS");
    assert!(stream.info().await.expect("info").state.messages >= 3);
}

// ---------- nobody may erase the log ----------

#[tokio::test]
async fn nobody_can_delete_purge_or_loosen_the_log() {
    let stack = Stack::start().await;
    let before = stack.log_state().await;
    for user in [BrokerUser::Client, BrokerUser::Service, BrokerUser::Evidence, BrokerUser::Auditor]
    {
        let who = stack.watched(user).await;
        let deleted = who.js.delete_stream(STREAM_NAME).await;
        assert!(deleted.is_err(), "{user} deleted the log");
        who.refused("publish to", "$JS.API.STREAM.DELETE.PAR_EVENTS").await;

        // Everyone may look the stream up: these fail at the purge or delete itself.
        let theirs = who.js.get_stream(STREAM_NAME).await.expect("the stream's description");
        assert!(theirs.purge().await.is_err(), "{user} purged the log");
        assert!(theirs.delete_message(1).await.is_err(), "{user} deleted an event");
        who.refused("publish to", "$JS.API.STREAM.PURGE.PAR_EVENTS").await;
        who.refused("publish to", "$JS.API.STREAM.MSG.DELETE.PAR_EVENTS").await;

        let mut loose = reform_shared::stream::stream_config(&StreamSettings::default());
        loose.deny_delete = false;
        loose.deny_purge = false;
        assert!(who.js.update_stream(loose).await.is_err(), "{user} loosened the log");
        who.refused("publish to", "$JS.API.STREAM.UPDATE.PAR_EVENTS").await;
    }
    assert_eq!(stack.log_state().await, before, "the log changed");
    let mut stream = stack.service.get_stream(STREAM_NAME).await.expect("the log");
    let config = stream.info().await.expect("info").config.clone();
    assert!(config.deny_delete && config.deny_purge, "the log's guards were lifted");
}

// ---------- only the evidence service writes evidence ----------

#[tokio::test]
async fn only_the_evidence_service_writes_evidence() {
    let stack = Stack::start().await;
    let before = stack.evidence_object().await;
    assert_eq!(before.1, EVIDENCE_BYTES);
    for user in [BrokerUser::Client, BrokerUser::Service, BrokerUser::Auditor] {
        let who = stack.watched(user).await;
        let bucket = who.js.get_object_store(EVIDENCE).await.expect("may open the bucket");
        let put = bucket.put(EVIDENCE_OBJECT, &mut &b"a forged scan"[..]).await;
        assert!(put.is_err(), "{user} replaced an evidence object");
        who.refused("publish to", "$O.PAR_EVIDENCE.C.").await;
        let put = bucket.put("new-object", &mut &b"a new forged scan"[..]).await;
        assert!(put.is_err(), "{user} added an evidence object");
        assert!(bucket.delete(EVIDENCE_OBJECT).await.is_err(), "{user} deleted an evidence object");
        let meta = format!("$O.PAR_EVIDENCE.M.{}", object_name(EVIDENCE_OBJECT));
        who.refused("publish to", &meta).await;
        assert!(
            who.js.delete_stream("OBJ_PAR_EVIDENCE").await.is_err(),
            "{user} deleted the evidence bucket"
        );
        who.refused("publish to", "$JS.API.STREAM.DELETE.OBJ_PAR_EVIDENCE").await;
    }
    // The evidence service writes objects, and still erases nothing.
    let writer = stack.watched(BrokerUser::Evidence).await;
    let objects = writer.js.get_stream("OBJ_PAR_EVIDENCE").await.expect("the bucket's stream");
    assert!(objects.purge().await.is_err(), "the evidence service purged the bucket");
    writer.refused("publish to", "$JS.API.STREAM.PURGE.OBJ_PAR_EVIDENCE").await;
    assert!(objects.delete_message(1).await.is_err(), "the evidence service deleted a chunk");
    writer.refused("publish to", "$JS.API.STREAM.MSG.DELETE.OBJ_PAR_EVIDENCE").await;

    let after = stack.evidence_object().await;
    assert_eq!(after.1, EVIDENCE_BYTES, "the object's bytes changed");
    assert_eq!((&after.0.nuid, &after.0.digest), (&before.0.nuid, &before.0.digest));
    let bucket = stack.evidence.get_object_store(EVIDENCE).await.expect("bucket");
    assert!(bucket.info("new-object").await.is_err(), "a forged object was stored");
}

/// #27: evidence content is sealed under a key of its own, kept in `PAR_EVIDENCE_KEYS`, and
/// erasing destroys the key. Only the evidence service keeps or destroys keys; people read
/// one by its subject, to open a file they fetch; nobody purges them all; and the evidence
/// service's right to delete stops at keys and uploads.
#[tokio::test]
async fn only_the_evidence_service_keeps_and_destroys_content_keys() {
    const KEYS: &str = "PAR_EVIDENCE_KEYS";
    let stack = Stack::start().await;
    stack
        .evidence
        .create_stream(stream::Config {
            name: KEYS.to_owned(),
            subjects: vec!["par.evidence-key.>".into()],
            max_messages_per_subject: 1,
            allow_direct: true,
            ..Default::default()
        })
        .await
        .expect("the evidence service creates the key stream");
    let subject = format!("par.evidence-key.{}", "ab".repeat(32));
    let key = [7u8; 32];
    let kept = stack.evidence.publish(subject.clone(), key.to_vec().into()).await.expect("kept");
    let sequence = kept.await.expect("stored").sequence;

    for user in [BrokerUser::Client, BrokerUser::Auditor, BrokerUser::Service] {
        let who = stack.watched(user).await;
        let keys = who.js.get_stream_no_info(KEYS).await.expect("no request made");
        let read = keys.direct_get_last_for_subject(subject.as_str()).await.expect("a key reads");
        assert_eq!(&read.payload[..], &key[..]);
        who.client.publish(subject.clone(), vec![0u8; 32].into()).await.expect("sent");
        who.client.flush().await.expect("flush");
        who.refused("publish to", &subject).await;
        assert!(keys.delete_message(sequence).await.is_err(), "{user} destroyed a key");
        assert!(keys.purge().await.is_err(), "{user} purged the keys");
    }
    let evidence = stack.watched(BrokerUser::Evidence).await;
    let keys = evidence.js.get_stream_no_info(KEYS).await.expect("no request made");
    assert!(keys.purge().await.is_err(), "the evidence service purged every key");
    evidence.refused("publish to", "$JS.API.STREAM.PURGE.PAR_EVIDENCE_KEYS").await;
    let log = evidence.js.get_stream_no_info(STREAM_NAME).await.expect("no request made");
    assert!(log.delete_message(1).await.is_err(), "the evidence service deleted an event");
    evidence.refused("publish to", "$JS.API.STREAM.MSG.DELETE.PAR_EVENTS").await;
    let read = keys.direct_get_last_for_subject(subject.as_str()).await.expect("still there");
    assert_eq!(&read.payload[..], &key[..], "nobody but the evidence service changed it");

    assert!(keys.delete_message(sequence).await.expect("the evidence service erases it"));
    let gone = keys.direct_get_last_for_subject(subject.as_str()).await;
    assert!(gone.is_err(), "the key is gone");
}

/// The object store's subject token for a name (URL-safe base64).
fn object_name(name: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE.encode(name)
}

// ---------- the auditor reads, and asks nothing of the services ----------

#[tokio::test]
async fn an_auditor_cannot_send_commands_or_upload() {
    let stack = Stack::start().await;
    let auditor = stack.watched(BrokerUser::Auditor).await;
    let request = async_nats::Request::new()
        .payload("from-the-auditor".into())
        .timeout(Some(REFUSED_TIMEOUT));
    let answer = auditor.client.send_request(COMMANDS, request).await;
    assert!(answer.is_err(), "the auditor's command was answered");
    auditor.refused("publish to", COMMANDS).await;
    auditor.client.publish("par.upload.x", "chunk".into()).await.expect("sent");
    auditor.client.flush().await.expect("flush");
    auditor.refused("publish to", "par.upload.x").await;

    // The responder is there: a client's command is answered, and the auditor's never came.
    let client = connect_as(stack.server.url(), Some(&stack.seed(BrokerUser::Client)))
        .await
        .expect("connects");
    let reply = client.request(COMMANDS, "from-a-client".into()).await.expect("answered");
    assert_eq!(&reply.payload[..], b"answered from-a-client");
    assert_eq!(stack.responder_saw(), vec!["from-a-client".to_owned()]);
}

// ---------- what a client may do ----------

#[tokio::test]
async fn a_client_can_ask_read_and_upload() {
    let stack = Stack::start().await;
    let (messages, last) = stack.log_state().await;
    assert!(messages >= 3, "the log was seeded");
    let service_stream = stack.service.get_stream(STREAM_NAME).await.expect("the log");
    let first = service_stream.direct_get(1).await.expect("the first event");
    let skip = a_skip(2);
    reform_shared::skips::record(&stack.service, &skip).await.expect("the operator records a skip");
    // An object of many chunks: more than one batch of direct gets (4 MiB each).
    let large: Vec<u8> =
        (0..6 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let bucket = stack.evidence.get_object_store(EVIDENCE).await.expect("the bucket");
    bucket.put("large", &mut &large[..]).await.expect("the evidence service stores it");

    for user in [BrokerUser::Client, BrokerUser::Auditor] {
        let who = stack.watched(user).await;
        let js = jetstream::new(who.client.clone());

        // The log: its description, a direct get by sequence and by subject, an ordered read.
        let mut stream = js.get_stream(STREAM_NAME).await.expect("get_stream");
        assert_eq!(stream.info().await.expect("info").state.last_sequence, last);
        let got = stream.direct_get(1).await.expect("direct get");
        assert_eq!((got.subject.as_str(), &got.payload), (first.subject.as_str(), &first.payload));
        let by_subject = stream
            .direct_get_last_for_subject(first.subject.as_str())
            .await
            .expect("last for subject");
        assert_eq!(by_subject.sequence, 1);
        // Ranges of the log, whole and on one subject, by batched direct gets.
        let mut read = Vec::new();
        let range = reform_shared::log::Range::through(last);
        reform_shared::log::read_raw(&js, &range, |m| {
            read.push(m.sequence);
            std::ops::ControlFlow::Continue(())
        })
        .await
        .expect("the log reads");
        assert_eq!(read, (1..=last).collect::<Vec<_>>(), "{user}");
        let mut read = Vec::new();
        let range = reform_shared::log::Range::subjects(first.subject.to_string());
        reform_shared::log::read_raw(&js, &range, |m| {
            read.push(m.sequence);
            std::ops::ControlFlow::Continue(())
        })
        .await
        .expect("one subject reads");
        assert_eq!(read, vec![1], "{user}");

        // Evidence: objects read back whole, the large one in several batches.
        let bucket = js.get_object_store(EVIDENCE).await.expect("the evidence bucket");
        let client = who.client.clone();
        let read = reform_shared::direct::object(&bucket, &client, EVIDENCE_OBJECT, 1 << 30).await;
        assert_eq!(read.expect("read").as_deref(), Some(EVIDENCE_BYTES));
        let read = reform_shared::direct::object(&bucket, &client, "large", 1 << 30).await;
        let bytes = read.expect("read").expect("there");
        assert!(
            bytes == large,
            "{user} read {} bytes, not the object's {}",
            bytes.len(),
            large.len()
        );
        let bounded = reform_shared::direct::object(&bucket, &client, "large", 1 << 20).await;
        assert!(matches!(bounded, Err(reform_shared::direct::ObjectError::TooLarge { .. })));
        let absent = reform_shared::direct::object(&bucket, &client, "absent", 1 << 20).await;
        assert!(absent.expect("an absent object is no error").is_none());

        // The skips.
        let skips = reform_shared::skips::all(&js).await.expect("the skips read");
        assert_eq!(skips, vec![skip.clone()]);

        assert!(who.violations().is_empty(), "{user}: {:?}", who.violations());
    }

    let client = stack.watched(BrokerUser::Client).await;
    let reply = client.client.request(COMMANDS, "a command".into()).await.expect("answered");
    assert_eq!(&reply.payload[..], b"answered a command");

    // Uploads, once the evidence service made the staging stream.
    stack.uploads().await;
    let js = jetstream::new(client.client.clone());
    let ack =
        js.publish("par.upload.x", "chunk-1".into()).await.expect("sent").await.expect("stored");
    assert_eq!(ack.stream, UPLOADS);
    let uploads = stack.evidence.get_stream(UPLOADS).await.expect("uploads");
    let stored = uploads.get_raw_message(ack.sequence).await.expect("stored");
    assert_eq!(&stored.payload[..], b"chunk-1");
    assert!(client.violations().is_empty(), "{:?}", client.violations());

    // but cannot read anyone's uploads.
    assert!(client.js.get_stream(UPLOADS).await.is_err(), "a client read the upload stream");
    client.refused("publish to", "$JS.API.STREAM.INFO.PAR_UPLOADS").await;
}

fn a_skip(sequence: u64) -> reform_shared::skips::Skip {
    reform_shared::skips::Skip {
        sequence,
        payload_sha256: "00".repeat(32),
        reason: "test".into(),
        by: "operator".into(),
        recorded_at: "2026-01-01T00:00:00+07:00".into(),
        unreadable_because: "test".into(),
    }
}

// ---------- the client may not record a skip ----------

#[tokio::test]
async fn a_client_cannot_record_a_skip() {
    let stack = Stack::start().await;
    reform_shared::skips::ensure_bucket(&stack.service, 1).await.expect("the bucket");
    for user in [BrokerUser::Client, BrokerUser::Auditor] {
        let who = stack.watched(user).await;
        let recorded = reform_shared::skips::record(&who.js, &a_skip(1)).await;
        assert!(recorded.is_err(), "{user} recorded a skip");
        who.refused("publish to", "$KV.PAR_SKIPS.seq-1").await;
    }
    let skip = reform_shared::skips::lookup(&stack.service, 1).await.expect("the skips read");
    assert_eq!(skip, None, "a skip was recorded");
}

// ---------- people create no consumer ----------

/// Issue #29's consumer flood: a client created durable consumers until the server's limit
/// (1,000), and then no reader could start; it could also re-create a split projector's
/// consumer with a filter matching nothing. People read by direct gets now, and the broker
/// refuses them the consumer API on every stream.
#[tokio::test]
async fn people_create_no_consumer_on_any_stream() {
    const PROJECTOR: &str = "par-projector";
    let stack = Stack::start().await;
    let (_, last) = stack.log_state().await;
    reform_shared::skips::ensure_bucket(&stack.service, 1).await.expect("the skips");
    let log = stack.service.get_stream(STREAM_NAME).await.expect("the log");
    let config = consumer::pull::Config {
        durable_name: Some(PROJECTOR.into()),
        description: Some("reform-projector: the views in redb".into()),
        ack_policy: consumer::AckPolicy::All,
        filter_subject: "par.evt.>".into(),
        ..Default::default()
    };
    log.create_consumer(config).await.expect("the projector's durable consumer");
    let consumers_before = stack.service.query_account().await.expect("account").consumers;

    for user in [BrokerUser::Client, BrokerUser::Auditor] {
        let who = stack.watched(user).await;
        for name in [STREAM_NAME, "OBJ_PAR_EVIDENCE", "KV_PAR_SKIPS"] {
            let theirs = who.js.get_stream(name).await.expect("a person reads its description");
            let durable = consumer::pull::Config {
                durable_name: Some("flood-0".into()),
                ..Default::default()
            };
            assert!(theirs.create_consumer(durable).await.is_err(), "{user}: {name} flood-0");
            who.refused("publish to", &format!("$JS.API.CONSUMER.CREATE.{name}.flood-0")).await;
            let ordered = theirs.create_consumer(consumer::pull::OrderedConfig::default()).await;
            assert!(ordered.is_err(), "{user}: an ordered consumer on {name}");
            let push = consumer::push::Config {
                deliver_subject: who.client.new_inbox(),
                ..Default::default()
            };
            assert!(
                theirs.create_consumer(push).await.is_err(),
                "{user}: a push consumer on {name}"
            );
        }
        // The projector's consumer: re-created with another filter, pulled from, deleted.
        let theirs = who.js.get_stream(STREAM_NAME).await.expect("the log");
        let hijack = consumer::pull::Config {
            durable_name: Some(PROJECTOR.into()),
            filter_subject: "par.evt.nothing.>".into(),
            ..Default::default()
        };
        assert!(theirs.create_consumer(hijack).await.is_err(), "{user} re-created the projector's");
        let pull = serde_json::to_vec(&serde_json::json!({"batch": 10})).expect("json");
        let next = format!("$JS.API.CONSUMER.MSG.NEXT.{STREAM_NAME}.{PROJECTOR}");
        who.client.publish(next.clone(), pull.into()).await.expect("sent");
        who.client.flush().await.expect("flush");
        who.refused("publish to", &next).await;
        assert!(theirs.delete_consumer(PROJECTOR).await.is_err(), "{user} deleted it");
        who.refused("publish to", &format!("$JS.API.CONSUMER.DELETE.{STREAM_NAME}.{PROJECTOR}"))
            .await;
    }

    let consumers_after = stack.service.query_account().await.expect("account").consumers;
    assert_eq!(consumers_after, consumers_before, "a person made a consumer");
    let mut projector: consumer::PullConsumer =
        log.get_consumer(PROJECTOR).await.expect("the projector's consumer is there");
    let info = projector.info().await.expect("info").clone();
    assert_eq!(info.config.filter_subject, "par.evt.>");
    assert_eq!(info.config.description.as_deref(), Some("reform-projector: the views in redb"));
    assert_eq!((info.delivered.stream_sequence, info.num_pending), (0, last), "someone pulled");
}

// ---------- no answer to a person lands in the log ----------
//
// A request names its reply subject, and nats-server never checks it. Each test sends one
// kind of request a client may send, with the reply on the log's subjects; then the same
// request to the same responder, answered to the client's own inbox (the responder answers
// one connection's requests in order, so when this answer is back, the first was answered and
// queued for the log if it was going there); then a control event appended by the service
// must be the log's very next.

#[tokio::test]
async fn the_jetstream_api_answers_no_person_into_the_log() {
    let stack = Stack::start().await;
    let (_, before) = stack.log_state().await;
    let client = stack.watched(BrokerUser::Client).await;
    let attack = in_the_log("stream-info");
    let info = format!("$JS.API.STREAM.INFO.{STREAM_NAME}");
    client.client.publish_with_reply(info.clone(), attack.clone(), "".into()).await.expect("sent");
    // The server answers a connection's API requests in order, in its read loop.
    let answer = client.client.request(info, "".into()).await.expect("answered");
    let answer: serde_json::Value = serde_json::from_slice(&answer.payload).expect("json");
    assert_eq!(answer["config"]["name"], STREAM_NAME, "{answer}");
    stack.only_a_control_follows(before, &attack).await;
    assert!(client.violations().is_empty(), "{:?}", client.violations());
}

#[tokio::test]
async fn the_services_api_answers_no_person_into_the_log() {
    use async_nats::service::ServiceExt as _;
    let stack = Stack::start().await;
    let (_, before) = stack.log_state().await;
    let service_client = connect_as(stack.server.url(), Some(&stack.seed(BrokerUser::Service)))
        .await
        .expect("the service connects");
    // A service as ours are: the async-nats services API, whose $SRV handlers answer any reply.
    let _service =
        service_client.service_builder().start("tasks", "0.1.0").await.expect("a service");
    service_client.flush().await.expect("flush");
    let client = stack.watched(BrokerUser::Client).await;
    let attack = in_the_log("srv-ping");
    client.client.publish_with_reply("$SRV.PING", attack.clone(), "".into()).await.expect("sent");
    // One task answers the PINGs of one subscription, in order.
    let pong = client.client.request("$SRV.PING", "".into()).await.expect("answered");
    let pong: serde_json::Value = serde_json::from_slice(&pong.payload).expect("json");
    assert_eq!(pong["name"], "tasks", "{pong}");
    stack.only_a_control_follows(before, &attack).await;
    assert!(client.violations().is_empty(), "{:?}", client.violations());
}

#[tokio::test]
async fn a_careless_responder_answers_no_person_into_the_log() {
    // The stack's responder on par.cmd.tasks answers whatever reply a request names.
    let stack = Stack::start().await;
    let (_, before) = stack.log_state().await;
    let client = stack.watched(BrokerUser::Client).await;
    let attack = in_the_log("command");
    client
        .client
        .publish_with_reply(COMMANDS, attack.clone(), "careless".into())
        .await
        .expect("sent");
    let reply = client.client.request(COMMANDS, "after".into()).await.expect("answered");
    assert_eq!(&reply.payload[..], b"answered after");
    assert_eq!(stack.responder_saw(), ["careless", "after"], "the responder answered both");
    stack.only_a_control_follows(before, &attack).await;
    assert!(client.violations().is_empty(), "{:?}", client.violations());
}

#[tokio::test]
async fn an_upload_ack_goes_to_no_person_in_the_log() {
    let stack = Stack::start().await;
    let uploads = stack.uploads().await;
    let (_, before) = stack.log_state().await;
    let client = stack.watched(BrokerUser::Client).await;
    let attack = in_the_log("upload-ack");
    // A JetStream publish is a core publish with a reply: the stream's ack goes there.
    client
        .client
        .publish_with_reply("par.upload.attack", attack.clone(), "chunk".into())
        .await
        .expect("sent");
    // The upload stream stores, and acks, in order.
    let js = jetstream::new(client.client.clone());
    let ack = js.publish("par.upload.after", "chunk".into()).await.expect("sent");
    assert_eq!(ack.await.expect("acked").stream, UPLOADS);
    let staged = uploads.get_last_raw_message_by_subject("par.upload.attack").await;
    assert_eq!(&staged.expect("the chunk itself was staged").payload[..], b"chunk");
    stack.only_a_control_follows(before, &attack).await;
    assert!(client.violations().is_empty(), "{:?}", client.violations());
}

#[tokio::test]
async fn a_client_cannot_read_the_services_replies() {
    let stack = Stack::start().await;
    let client = stack.watched(BrokerUser::Client).await;
    // The inboxes a client may subscribe to: what it could see of the services' answers.
    let mut theirs = client.client.subscribe("_INBOX.>").await.expect("allowed");
    let mut people =
        client.client.subscribe(format!("{PEOPLE_INBOX_PREFIX}.>")).await.expect("allowed");
    client.client.flush().await.expect("flush");
    // The service asks the server and a responder; both answer on its inboxes.
    stack.log_state().await;
    let service = connect_as(stack.server.url(), Some(&stack.seed(BrokerUser::Service)))
        .await
        .expect("connects");
    let reply = service.request(COMMANDS, "from a service".into()).await.expect("answered");
    assert_eq!(&reply.payload[..], b"answered from a service");
    // Then the client's own request to the same responder, which answers in order: when its
    // answer is back, any copy of the first would have arrived before it.
    marker(&client.client).await;
    for (name, sub) in [("_INBOX.>", &mut theirs), ("people's inboxes", &mut people)] {
        while let Some(Some(message)) = sub.next().now_or_never() {
            let text = String::from_utf8_lossy(&message.payload);
            let own = text == "answered marker";
            assert!(own, "the client's {name} got, on {}: {text}", message.subject);
        }
    }
}

// ---------- who may connect ----------

#[tokio::test]
async fn only_the_four_users_connect() {
    use std::os::unix::fs::PermissionsExt as _;
    let stack = Stack::start().await;
    // Each trusts the broker's authority, so that what refuses it is its key.
    let ca = stack.credentials.dir.join(reform_shared::tls::CA_FILE);
    let anonymous = reform_shared::edge::connect_options()
        .require_tls(true)
        .add_root_certificates(ca.clone())
        .connect(stack.server.url())
        .await;
    let error = anonymous.expect_err("a connection without a key was taken");
    assert!(error.to_string().to_lowercase().contains("authorization"), "{error}");

    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(&ca, dir.path().join(reform_shared::tls::CA_FILE)).expect("copied");
    let stranger = dir.path().join("stranger.nk");
    reform_shared::keyfile::write(&stranger, &nkeys::KeyPair::new_user()).expect("a seed");
    let error =
        connect_as(stack.server.url(), Some(&stranger)).await.expect_err("a stranger's key");
    assert!(error.to_string().to_lowercase().contains("authorization"), "{error}");

    let exposed = dir.path().join("exposed.nk");
    std::fs::copy(stack.seed(BrokerUser::Client), &exposed).expect("copied");
    std::fs::set_permissions(&exposed, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let error = connect_as(stack.server.url(), Some(&exposed)).await.expect_err("refused");
    let text = error.to_string();
    assert!(text.contains(&exposed.display().to_string()) && text.contains("chmod 600"), "{text}");

    for user in BrokerUser::ALL {
        let client = connect_as(stack.server.url(), Some(&stack.seed(user))).await;
        let client = client.unwrap_or_else(|e| panic!("{user} connects: {e}"));
        client.flush().await.expect("flush");
    }
}
