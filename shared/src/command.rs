//! Commands on the wire: the request a client sends to a command service and the reply it
//! gets, and a small client for sending them.
//!
//! Requests and replies are JSON (events are postcard): people and standard NATS tools
//! (`nats req`, `nats micro`) read and write them, and they are not part of the log.

use crate::ids::{CommandId, PersonId};
use crate::subject::command_subject;
use crate::time::Date;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long a client waits for a command's answer. An append syncs to disk, so this is
/// generous; the command id makes a retry after a timeout safe.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest command request a service reads.
pub const COMMAND_BYTES_MAX: usize = 128 * 1024;

/// The prefix of the inboxes clients receive replies on (async-nats's default).
pub const INBOX_PREFIX: &str = "_INBOX.";
/// The prefix of the replies the broker gives a request that crossed from the people's account
/// into the services' (a service import, deploy/nats/permissions.conf): it leads back to the
/// requester's own inbox, in the people's account, wherever that request asked.
pub const IMPORTED_REPLY_PREFIX: &str = "_R_.";

/// Whether a request may be answered: its reply subject is an inbox, of a service (`_INBOX.`),
/// of reformctl ([`crate::subject::PEOPLE_INBOX_PREFIX`]), or the broker's for a person's request
/// ([`IMPORTED_REPLY_PREFIX`]). A request can name any subject as its reply, and the answer is
/// published there with the responder's rights; one naming `par.evt.…` would have a service
/// write its answer into the log. The broker already turns every person's reply into one of
/// its own; this keeps a service's careless request from doing the same. The request is not
/// handled at all: nothing it would do could be told to its sender.
pub fn answerable(message: &async_nats::Message) -> bool {
    let inbox = message.reply.as_ref().is_some_and(|r| {
        let reply = r.as_str();
        reply.starts_with(INBOX_PREFIX)
            || reply.starts_with(IMPORTED_REPLY_PREFIX)
            || reply
                .strip_prefix(crate::subject::PEOPLE_INBOX_PREFIX)
                .is_some_and(|rest| rest.starts_with('.'))
    });
    if !inbox {
        tracing::warn!(
            subject = %message.subject,
            reply = ?message.reply.as_ref().map(|r| r.as_str()),
            "a request whose reply is no inbox was dropped unanswered"
        );
    }
    inbox
}

/// A command with who sends it, when it happened, and the id that makes it idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request<C> {
    pub command_id: CommandId,
    pub actor: PersonId,
    /// The business date, for something recorded after the fact; today when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_on: Option<Date>,
    pub command: C,
}

pub use crate::reply::FailureKind;

/// A service's answer to a command: the accepted command, or why not
/// ([`crate::reply::Reply`], the projector's shape too).
pub type Reply = crate::reply::Reply<Accepted>;

/// What a client gets back for a command that was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{message}")]
    Failed { kind: FailureKind, message: String, reason: Option<crate::reply::Reason> },
    #[error("no {service} service answered at {subject}: {source}")]
    Transport { service: String, subject: String, source: async_nats::RequestError },
    #[error("the {service} service sent an unreadable reply: {detail}")]
    BadReply { service: String, detail: String },
    #[error(
        "an answer on the {service} service's subject said this command was recorded at stream \
         sequence {sequence}, but {what}: it is not recorded. Whatever answered did not record \
         it (an impostor with the services' credentials?); send the command again with the \
         same command id, and tell the operators"
    )]
    NotRecorded { service: String, sequence: u64, what: String },
}

impl CommandError {
    pub fn kind(&self) -> FailureKind {
        match self {
            CommandError::Failed { kind, .. } => *kind,
            CommandError::Transport { .. }
            | CommandError::BadReply { .. }
            | CommandError::NotRecorded { .. } => FailureKind::Unavailable,
        }
    }
}

/// An accepted command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// The stream sequence of the appended event.
    pub sequence: u64,
    /// The event's type name.
    pub event: String,
    /// True when this command id had been applied before; this is the first answer.
    pub duplicate: bool,
}

/// How many times [`send`] tries a command that got no answer at all.
pub const SEND_ATTEMPTS: u32 = 3;

/// Sends a command to a service, signed with `key`, and waits for its reply. A command that got no answer (no
/// service listening for a moment, as during a restart, or none within [`COMMAND_TIMEOUT`]) is
/// sent again with the same command id, up to [`SEND_ATTEMPTS`] times: the id makes that safe,
/// and the answer is then the real one, even when the first attempt was appended and its reply
/// lost. So is one whose answer the log does not bear out ([`CommandError::NotRecorded`]): the
/// next attempt may reach the real service. Any other answer, `unavailable` included, is
/// returned as it came.
pub async fn send<C: Serialize>(
    client: &async_nats::Client,
    service: &str,
    request: &Request<C>,
    key: &nkeys::KeyPair,
) -> Result<Accepted, CommandError> {
    let mut pause = Duration::from_millis(250);
    let mut attempt = 1;
    loop {
        match send_once(client, service, request, key).await {
            Err(CommandError::Transport { .. } | CommandError::NotRecorded { .. })
                if attempt < SEND_ATTEMPTS =>
            {
                tokio::time::sleep(pause).await;
                pause *= 2;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// Sends a command once.
pub async fn send_once<C: Serialize>(
    client: &async_nats::Client,
    service: &str,
    request: &Request<C>,
    key: &nkeys::KeyPair,
) -> Result<Accepted, CommandError> {
    let subject = command_subject(service);
    let encode = |detail: String| CommandError::BadReply {
        service: service.to_owned(),
        detail: format!("could not encode the request: {detail}"),
    };
    let payload = serde_json::to_vec(request).map_err(|e| encode(e.to_string()))?;
    let signature =
        crate::sign::sign(key, &subject, &payload).map_err(|e| encode(e.to_string()))?;
    send_signed(client, service, payload, crate::sign::headers(&signature)).await
}

/// Sends request bytes with the headers given, as they are: for tests of what a service
/// makes of a forged or unsigned request.
pub async fn send_signed(
    client: &async_nats::Client,
    service: &str,
    payload: Vec<u8>,
    headers: async_nats::HeaderMap,
) -> Result<Accepted, CommandError> {
    let subject = command_subject(service);
    let transport = |source: async_nats::RequestError| CommandError::Transport {
        service: service.to_owned(),
        subject: subject.clone(),
        source,
    };
    let message = tokio::time::timeout(
        COMMAND_TIMEOUT,
        client.request_with_headers(subject.clone(), headers, payload.clone().into()),
    )
    .await
    .map_err(|_| transport(timed_out(COMMAND_TIMEOUT)))?
    .map_err(transport)?;
    let accepted = read_reply(service, &message.payload)?;
    confirm_recorded(client, service, &payload, &accepted).await?;
    Ok(accepted)
}

/// The part of a request the log's record of it must name.
#[derive(Deserialize)]
struct RequestHead {
    command_id: CommandId,
    actor: PersonId,
}

/// Checks that the log holds, at the sequence an answer names, the event of this very request:
/// whoever answers on a command subject is trusted with nothing, so something that took the
/// request without recording it (an impostor among the services, with their credentials) is
/// caught here, not reported as recorded. A first answer to a retry (`duplicate`) names the
/// event of the first request under this command id by the same person; anything else must
/// carry the exact bytes sent; a period's close, the period's rollup event. One read of the
/// log per command, from its leader.
async fn confirm_recorded(
    client: &async_nats::Client,
    service: &str,
    payload: &[u8],
    accepted: &Accepted,
) -> Result<(), CommandError> {
    let Ok(head) = serde_json::from_slice::<RequestHead>(payload) else {
        return Ok(()); // no service accepts a request without these; nothing to look for
    };
    let not_recorded = |what: String| CommandError::NotRecorded {
        service: service.to_owned(),
        sequence: accepted.sequence,
        what,
    };
    let js = async_nats::jetstream::new(client.clone());
    let stream = js
        .get_stream_no_info(crate::subject::STREAM_NAME)
        .await
        .map_err(|e| not_recorded(format!("the log could not be read ({e})")))?;
    let stored = stream
        .get_raw_message(accepted.sequence)
        .await
        .map_err(|e| not_recorded(format!("the log has no event there ({e})")))?;
    let record = crate::codec::decode(&stored.payload)
        .map_err(|e| not_recorded(format!("the event there is unreadable ({e})")))?;
    let envelope = &record.envelope;
    if service == crate::event::Family::Rollup.as_str() {
        // Closing a period is answered with the period's event, which the rollup service
        // records as itself (closing is once, whoever asked).
        if envelope.event.family() == crate::event::Family::Rollup {
            return Ok(());
        }
        return Err(not_recorded(format!("the event there is a {}", envelope.event.type_name())));
    }
    let by = match &envelope.actor {
        crate::envelope::Actor::Person(person) => person == &head.actor,
        crate::envelope::Actor::Service(_) => false,
    };
    let same_bytes = envelope.signature.as_ref().is_some_and(|s| s.request == payload);
    if envelope.command_id != head.command_id || !by || !(same_bytes || accepted.duplicate) {
        let (command, actor) = (&envelope.command_id, &envelope.actor);
        return Err(not_recorded(format!("the event there is command {command} by {actor}")));
    }
    Ok(())
}

/// A request that got no answer within `deadline`: async-nats's own timeout kind, so a caller
/// matches one kind whichever deadline fired, saying how long it waited.
pub fn timed_out(deadline: std::time::Duration) -> async_nats::RequestError {
    let waited = format!("no answer within {deadline:?}");
    async_nats::RequestError::with_source(async_nats::RequestErrorKind::TimedOut, waited)
}

/// Parses a reply's bytes.
pub fn read_reply(service: &str, bytes: &[u8]) -> Result<Accepted, CommandError> {
    match parse_json::<Reply>(bytes) {
        Ok(Reply::Ok(accepted)) => Ok(accepted),
        Ok(Reply::Failed { kind, message, reason }) => {
            Err(CommandError::Failed { kind, message, reason })
        }
        Err(detail) => Err(CommandError::BadReply { service: service.to_owned(), detail }),
    }
}

/// Parses JSON, naming the problem in a way a person can act on.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    if bytes.len() > COMMAND_BYTES_MAX {
        return Err(format!(
            "{} bytes is over the {COMMAND_BYTES_MAX} a request may be",
            bytes.len()
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| format!("not a valid request: {e}"))
}
