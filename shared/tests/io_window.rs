//! A right taken away while a command's I/O runs counts. The runtime decides, then runs the
//! command's I/O ([`Decider::before_append`]: the evidence service reads and stores a file,
//! which can take seconds), then appends. A decider whose I/O can take long
//! ([`Decider::BEFORE_APPEND_WAITS`]) is decided once more on the log's head after it, so a key
//! revoked during the I/O denies the command; without that, the command is appended.
//!
//! The test decider pauses in its I/O until the test, having revoked the signer's key, lets it
//! go: the order is fixed, not a race.

use reform_shared::command::FailureKind;
use reform_shared::directory::Directory;
use reform_shared::envelope::Record;
use reform_shared::event::{Access, Event};
use reform_shared::ids::PersonId;
use reform_shared::service::{self, Context, Decider, Unverified};
use reform_shared::testkit::{draft, events, eventually, key_of, send_raw_signed, Broker};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Notify};

/// Registers people; its one piece of "I/O" waits for the test.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Registry<const WAITS: bool> {
    directory: Directory,
}

#[derive(Debug, serde::Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum Command {
    Register { person: PersonId },
}

#[derive(Debug, thiserror::Error, serde::Serialize)]
#[error("never refused")]
struct Never;

/// Tells the test the I/O has begun, then waits for its go.
struct Pause {
    entered: mpsc::UnboundedSender<()>,
    go: Arc<Notify>,
}

impl<const WAITS: bool> Decider for Registry<WAITS> {
    type Command = Command;
    type Refusal = Never;
    type Services = Pause;
    const NAME: &'static str = "registry";
    const DESCRIPTION: &'static str = "registers people, after a pause";
    const BEFORE_APPEND_WAITS: bool = WAITS;

    fn apply(&mut self, record: &Record) {
        self.directory.apply(&record.envelope.event);
    }

    fn directory(&self) -> &Directory {
        &self.directory
    }

    fn decide(&self, command: &Command, _: &Context) -> Result<Event, Never> {
        let Command::Register { person } = command;
        Ok(Event::PersonRegistered {
            person: person.clone(),
            name: "Người mới".into(),
            title: "Chuyên viên".into(),
        })
    }

    fn before_append(
        services: &Pause,
        _: &Command,
    ) -> impl std::future::Future<Output = Result<(), Unverified>> + Send {
        let (entered, go) = (services.entered.clone(), services.go.clone());
        async move {
            let _ = entered.send(());
            go.notified().await;
            Ok(())
        }
    }
}

/// Sends a registration signed by `admin` while the service is paused in its I/O, revokes
/// admin's key meanwhile, and returns the answer and whether the stream grew by the
/// registration.
async fn revoked_during_the_io<const WAITS: bool>() -> (Result<(), FailureKind>, u64, u64) {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let admin = [
        events::person("admin", "Quản trị", ""),
        events::key("admin"),
        events::grant("admin", Access::Administrator, None),
    ];
    for (n, event) in admin.into_iter().enumerate() {
        appender.append_next(draft(&format!("seed-{n}"), "2016-01-04", event)).await.expect("seed");
    }
    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    let go = Arc::new(Notify::new());
    let pause = Pause { entered: entered_tx, go: go.clone() };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = tokio::spawn(service::run_with(
        broker.client.clone(),
        Registry::<WAITS>::default(),
        pause,
        reform_shared::testkit::unsigned_world(),
        async move {
            let _ = stopped.await;
        },
    ));
    let client = broker.client.clone();
    eventually("the service to answer", Duration::from_secs(10), || {
        let client = client.clone();
        async move {
            let reply = client.request("par.cmd.registry", "{}".into()).await.ok()?;
            reform_shared::command::read_reply("registry", &reply.payload).err().map(drop)
        }
    })
    .await;
    let request = serde_json::json!({
        "command_id": "register-newcomer",
        "actor": "admin",
        "occurred_on": "2016-06-01",
        "command": {"type": "register", "person": "newcomer"},
    });
    let bytes = serde_json::to_vec(&request).expect("json");
    let sent = {
        let client = broker.client.clone();
        tokio::spawn(async move { send_raw_signed(&client, "registry", &bytes, "admin").await })
    };
    entered.recv().await.expect("the service reached its I/O");
    let before = broker.stream_messages().await;
    let revoked = Event::KeyRevoked {
        person: reform_shared::testkit::id("admin"),
        key: key_of("admin").public_key(),
        reason: "thất lạc".into(),
    };
    appender.append_next(draft("revoke", "2016-06-01", revoked)).await.expect("revoked");
    go.notify_one();
    let answer = sent.await.expect("joined").map(drop).map_err(|e| e.kind());
    let after = broker.stream_messages().await;
    let _ = stop.send(());
    let _ = service.await;
    (answer, before, after)
}

#[tokio::test]
async fn a_key_revoked_while_a_commands_io_runs_denies_it() {
    let (answer, before, after) = revoked_during_the_io::<true>().await;
    assert_eq!(answer, Err(FailureKind::Denied));
    assert_eq!(after, before + 1, "only the revocation was appended");
}

/// The same, for a decider that declares its I/O quick: decided once, before the revocation,
/// the command is appended after it. What `BEFORE_APPEND_WAITS` is for.
#[tokio::test]
async fn without_deciding_again_the_command_is_appended_after_the_revocation() {
    let (answer, before, after) = revoked_during_the_io::<false>().await;
    assert_eq!(answer, Ok(()));
    assert_eq!(after, before + 2, "the revocation, then the command");
}
