//! Test support: a real broker per test. Lives in the library (not behind `cfg(test)`) so that
//! every crate's integration tests use the same harness, as nats.rs does with its
//! `nats-server` helper crate.

pub mod events;
pub mod https;
pub mod national;
pub mod passkey;

use crate::append::{Appender, Draft};
use crate::envelope::{Actor, ChainLink, Envelope, EventId, Record};
use crate::event::Event;
use crate::ids::{CommandId, PersonId};
use crate::natsd::NatsServer;
use crate::stream::{init_stream, StreamSettings};
use crate::subject::STREAM_NAME;
use crate::time::{Date, Timestamp};
use std::future::Future;
use std::time::Duration;

/// A fresh `nats-server` (own port, own temporary store) with the event stream created.
#[derive(Debug)]
pub struct Broker {
    pub server: NatsServer,
    pub client: async_nats::Client,
    pub js: async_nats::jetstream::Context,
}

impl Broker {
    /// Starts the server and creates the stream. Panics on failure: it is for tests.
    pub async fn start() -> Broker {
        Self::on(NatsServer::start_temporary().expect("nats-server starts")).await
    }

    /// [`Broker::start`] with a server of these options: a benchmark's own store and sync.
    pub async fn start_with(options: &crate::natsd::ServerOptions) -> Broker {
        Self::on(NatsServer::start(options).expect("nats-server starts")).await
    }

    /// A server on a store in `dir`, syncing lazily (the server's default), as the benchmarks
    /// fill a stream fast; it outlives the thread that started it.
    pub async fn start_lazy(dir: &std::path::Path) -> Broker {
        Self::start_with(&crate::natsd::ServerOptions {
            data_dir: dir.join("nats"),
            port: None,
            sync: crate::natsd::Sync::Lazy,
            die_with_parent: false,
            auth: None,
        })
        .await
    }

    async fn on(server: NatsServer) -> Broker {
        let client = async_nats::connect(server.url()).await.expect("client connects");
        let js = async_nats::jetstream::new(client.clone());
        init_stream(&js, &StreamSettings::default()).await.expect("stream is created");
        Broker { server, client, js }
    }

    pub async fn appender(&self) -> Appender {
        Appender::new(self.js.clone()).await.expect("appender binds to the stream")
    }

    /// How many messages the stream holds.
    pub async fn stream_messages(&self) -> u64 {
        let mut stream = self.js.get_stream(STREAM_NAME).await.expect("stream");
        stream.info().await.expect("stream info").state.messages
    }

    /// Every record of the log, decoded, in order.
    pub async fn records(&self) -> Vec<Record> {
        let mut records = Vec::new();
        crate::log::read(&self.js, &crate::log::Range::after(0), |_, record| {
            records.extend(record);
            std::ops::ControlFlow::Continue(())
        })
        .await
        .expect("the log reads");
        records
    }

    /// Appends `draft` as an insider with the services' credentials can: chained to its
    /// aggregate's last event like the appender does, but published with no message id, so
    /// the broker's de-duplication does not stop a command id used before. Returns the
    /// stream sequence.
    pub async fn insider_appends(&self, draft: Draft) -> u64 {
        let aggregate = crate::subject::Aggregate::of(&draft.event);
        let tip = self.appender().await.tip(&aggregate).await.expect("tip");
        let link = match tip {
            Some(tip) => ChainLink {
                aggregate: aggregate.chain_key(),
                version: tip.version + 1,
                previous: tip.digest,
            },
            None => ChainLink::first(aggregate.chain_key()),
        };
        let (bytes, _) = crate::codec::encode(&draft.into_envelope(link)).expect("encodes");
        publish_all(&self.js, [(aggregate.subject(), bytes)]).await
    }
}

/// A command service's configuration for a world the test harness wrote on people's behalf,
/// unsigned ([`append_all`]): their unsigned directory events honoured, as a log written
/// before requests were signed would need. Everything else as by default.
pub fn unsigned_world() -> crate::service::ServiceConfig {
    crate::service::ServiceConfig {
        unsigned: crate::audit::recorder::Unsigned::Allowed,
        ..Default::default()
    }
}

/// Appends `(business date, event)` pairs through the real appender (chain links, expected
/// sequences), command ids `<prefix>-<n>`; returns the last stream sequence.
pub async fn append_all(appender: &Appender, prefix: &str, events: &[(&str, Event)]) -> u64 {
    let mut last = 0;
    for (i, (day, event)) in events.iter().enumerate() {
        let command = format!("{prefix}-{i}");
        let outcome = appender
            .append_next(draft(&command, day, event.clone()))
            .await
            .unwrap_or_else(|e| panic!("append {command} ({}): {e}", event.type_name()));
        last = outcome.sequence();
    }
    last
}

/// A department `sgd` with its head `lan` (and her key, [`key_of`]) in office since 2015,
/// appended as of 1 January 2016:
/// the smallest directory a tasks command can be decided against.
pub async fn seed_department_with_head(js: &async_nats::jetstream::Context) {
    let appender = Appender::new(js.clone()).await.expect("appender binds to the stream");
    let on = "2016-01-01";
    let events = [
        (on, events::unit("sgd", "Sở Giáo dục", crate::event::UnitKind::Department, None)),
        (on, events::person("lan", "Nguyễn Thị Lan", "Giám đốc")),
        (on, events::key("lan")),
        (on, events::appoint("lan-head", "sgd", "lan", crate::event::Role::Head, "2015-01-01")),
    ];
    append_all(&appender, "seed", &events).await;
}

/// The messages the appender would write for `drafts` into an empty stream: sequences from 1,
/// each event on its subject and chained to its aggregate's previous one. For checking readers
/// of the log (verify, benchmarks) without a broker.
pub fn chained_log(drafts: Vec<Draft>) -> Vec<(u64, String, Vec<u8>)> {
    let mut tips: std::collections::BTreeMap<String, (u64, crate::event::Sha256)> =
        Default::default();
    drafts
        .into_iter()
        .zip(1u64..)
        .map(|(draft, sequence)| {
            let aggregate = crate::subject::Aggregate::of(&draft.event);
            let key = aggregate.chain_key();
            let chain = match tips.get(&key) {
                None => ChainLink::first(key.clone()),
                Some((version, digest)) => {
                    ChainLink { aggregate: key.clone(), version: version + 1, previous: *digest }
                }
            };
            let version = chain.version;
            let (payload, digest) =
                crate::codec::encode(&draft.into_envelope(chain)).expect("encodes");
            tips.insert(key, (version, digest));
            (sequence, aggregate.subject(), payload)
        })
        .collect()
}

/// A person's signing key in tests: derived from the person id, so a test's seed events and
/// its signed commands agree without passing keys around. Never for real use.
pub fn key_of(person: &str) -> nkeys::KeyPair {
    use sha2::Digest as _;
    let raw: [u8; 32] =
        sha2::Sha256::new().chain_update(b"par-test-key\0").chain_update(person).finalize().into();
    nkeys::KeyPair::new_from_raw(nkeys::KeyPairType::User, raw).expect("32 bytes make a key")
}

/// Writes `person`'s test key to `dir/<person>.nk` (owner-only), for a CLI's `--key`.
pub fn key_file(dir: &std::path::Path, person: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{person}.nk"));
    if !path.exists() {
        crate::keyfile::write(&path, &key_of(person)).expect("key file written");
    }
    path
}

/// Sends raw request bytes to a service, signed by `person`'s test key: for tests of what a
/// service makes of bytes no typed client would send.
pub async fn send_raw_signed(
    client: &async_nats::Client,
    service: &str,
    bytes: &[u8],
    person: &str,
) -> Result<crate::command::Accepted, crate::command::CommandError> {
    let subject = crate::subject::command_subject(service);
    let signature = crate::sign::sign(&key_of(person), &subject, bytes).expect("signs");
    let headers = crate::sign::headers(&signature);
    crate::command::send_signed(client, service, bytes.to_vec(), headers).await
}

/// The context of a command `actor` sends on business day `on`, recorded at noon that day:
/// what a decider's given/when/then tests decide in.
pub fn context(actor: &str, on: &str) -> crate::service::Context {
    let at = crate::time::Timestamp::at_vietnam_noon(date(on));
    crate::service::Context {
        command_id: id("c1"),
        actor: id(actor),
        occurred_at: at,
        occurred_on: date(on),
        recorded_at: at,
    }
}

/// When `actor` sends `command` on `on`: what `state` decides. The one "when" of every
/// command service's given/when/then tests.
pub fn when<D: crate::service::Decider>(
    state: &D,
    actor: &str,
    on: &str,
    command: D::Command,
) -> Result<crate::event::Event, D::Refusal> {
    state.decide(&command, &context(actor, on))
}

/// Parses a test date; panics on a typo.
pub fn date(text: &str) -> Date {
    text.parse().expect("test dates are valid")
}

/// Parses a test id of any id type; panics on a typo.
pub fn id<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().expect("test ids are valid")
}

/// A draft as a person's command would make it, dated at noon Vietnam time on `day`.
pub fn draft(command: &str, day: &str, event: Event) -> Draft {
    draft_on(command, date(day), event)
}

/// [`draft`] on a date.
pub fn draft_on(command: &str, on: Date, event: Event) -> Draft {
    let at = Timestamp::at_vietnam_noon(on);
    Draft {
        command_id: id::<CommandId>(command),
        actor: Actor::Person(id::<PersonId>("tester")),
        occurred_at: at,
        recorded_at: at,
        signature: None,
        event,
    }
}

/// [`draft`], by `person` and signed with their test key ([`key_of`]) as the command services
/// record a person's command: the signature covers a request naming the command id, the actor
/// and the business date, for the endpoint of the event's service.
pub fn signed_draft(command: &str, day: &str, event: Event, person: &str) -> Draft {
    let mut draft = draft(command, day, event);
    draft.actor = Actor::Person(id::<PersonId>(person));
    let request = serde_json::json!({
        "command_id": command,
        "actor": person,
        "occurred_on": day,
        "command": {"type": draft.event.type_name()},
    });
    let bytes = serde_json::to_vec(&request).expect("JSON");
    let endpoint = crate::sign::endpoint_of(&draft.event).expect("a person's event");
    draft.signature = Some(crate::sign::sign(&key_of(person), &endpoint, &bytes).expect("signs"));
    draft
}

/// A decoded record as a reader of the log sees it, dated at noon Vietnam time on `on`: for
/// testing pure `apply` code without a broker.
pub fn record(on: Date, event: Event) -> Record {
    let at = Timestamp::at_vietnam_noon(on);
    let command: CommandId = id("c");
    Record {
        envelope: Envelope {
            event_id: EventId::for_command(&command),
            occurred_at: at,
            recorded_at: at,
            actor: Actor::Person(id("tester")),
            command_id: command,
            chain: ChainLink::first("test".into()),
            signature: None,
            event,
        },
        schema_version: crate::codec::SCHEMA_VERSION_CURRENT,
        digest: [0; 32],
    }
}

/// Waits until `check` returns `Some`, polling, or panics after `deadline` naming `what`.
/// Tests wait for conditions, never for fixed times.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let until = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() >= until {
            panic!("timed out after {deadline:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A message as a load straight into the stream writes it (the benchmarks, `gen-national`):
/// the event as command `command`'s, recorded at noon of `on`, as the first link of its
/// aggregate's chain. No appender chains it, so `audit verify` would flag the chain; readers
/// that project or decide do not check it. Returns the subject and the bytes.
pub fn loaded_message(command: &str, on: Date, event: Event) -> (String, Vec<u8>) {
    let aggregate = crate::subject::Aggregate::of(&event);
    let envelope =
        draft_on(command, on, event).into_envelope(ChainLink::first(aggregate.chain_key()));
    let (bytes, _) = crate::codec::encode(&envelope).expect("encodes");
    (aggregate.subject(), bytes)
}

/// How many instances of the NATS micro service `service` list the endpoint `endpoint` (the
/// services API's INFO, which every instance answers within a short wait).
pub async fn serving(client: &async_nats::Client, service: &str, endpoint: &str) -> usize {
    use futures::StreamExt as _;
    let inbox = client.new_inbox();
    let Ok(mut answers) = client.subscribe(inbox.clone()).await else { return 0 };
    let subject = format!("$SRV.INFO.{service}");
    if client.publish_with_reply(subject, inbox, "".into()).await.is_err() {
        return 0;
    }
    let mut count = 0;
    let until = tokio::time::Instant::now() + Duration::from_millis(300);
    while let Ok(Some(message)) = tokio::time::timeout_at(until, answers.next()).await {
        let info: serde_json::Value = serde_json::from_slice(&message.payload).unwrap_or_default();
        let endpoints = info["endpoints"].as_array().cloned().unwrap_or_default();
        if endpoints.iter().any(|e| e["name"] == endpoint) {
            count += 1;
        }
    }
    count
}

/// Publishes the messages (subject, bytes), with up to 256 acks outstanding, as the
/// benchmarks fill a stream; returns the last sequence stored. The window is small because an
/// ack has the JetStream context's timeout (5 s) from its publish: with 4,096 outstanding, a
/// loaded 2-core machine syncing to disk answered the last ones too late, and a test failed
/// on a message that was stored.
pub async fn publish_all(
    js: &async_nats::jetstream::Context,
    messages: impl IntoIterator<Item = (String, Vec<u8>)>,
) -> u64 {
    use futures::StreamExt as _;
    use std::future::IntoFuture as _;
    const IN_FLIGHT_MAX: usize = 256;
    let mut in_flight = futures::stream::FuturesUnordered::new();
    let mut last = 0;
    for (subject, bytes) in messages {
        let ack = js.publish(subject, bytes.into()).await.expect("publish");
        in_flight.push(ack.into_future());
        while in_flight.len() >= IN_FLIGHT_MAX {
            if let Some(ack) = in_flight.next().await {
                last = last.max(ack.expect("stored").sequence);
            }
        }
    }
    while let Some(ack) = in_flight.next().await {
        last = last.max(ack.expect("stored").sequence);
    }
    last
}
