//! The genesis step: the installation's first administrator, recorded by the operator who runs
//! the broker, never by "the first person to register".
//!
//! It is the one event no command service decides. The operator's tool, holding the services'
//! broker credentials, appends [`Event::Genesis`] straight to the log, signed by the
//! administrator's own key for [`GENESIS_ENDPOINT`] like any request, and with the expected
//! sequence 0 on its subject, so the broker takes it once: a second genesis gets "already done"
//! (same command id) or a conflict (another administrator was instated first).

use reform_shared::append::{AppendError, Appender, Draft};
use reform_shared::command::Request;
use reform_shared::envelope::Actor;
use reform_shared::event::Event;
use reform_shared::ids::{CommandId, PersonId};
use reform_shared::sign::{self, GENESIS_ENDPOINT};
use reform_shared::time::{Date, Timestamp};
use serde::Serialize;

/// The command id of the genesis step: one per installation.
pub const GENESIS_COMMAND_ID: &str = "genesis";

/// What the administrator signs.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum GenesisCommand<'a> {
    Genesis { person: &'a PersonId, name: &'a str, title: &'a str, key: &'a str },
}

/// Who the first administrator is.
#[derive(Debug, Clone)]
pub struct Administrator {
    pub person: PersonId,
    pub name: String,
    pub title: String,
}

/// What the genesis step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Genesis {
    /// Recorded now, at this stream sequence.
    Recorded { sequence: u64, key: String },
    /// This installation's genesis was already recorded (by this same step).
    Already { sequence: u64 },
}

#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    #[error("the administrator's name is empty")]
    EmptyName,
    #[error(transparent)]
    Refused(#[from] crate::decide::Refusal),
    #[error("could not sign the genesis request: {0}")]
    Sign(#[from] sign::SignError),
    #[error(
        "this installation already has its first administrator (the genesis event is in the \
         log); add administrators with `reformctl access grant --access administrator`"
    )]
    AlreadyInstated,
    #[error(transparent)]
    Append(AppendError),
}

/// Appends the genesis event for `admin`, signed with `key`.
pub async fn record(
    appender: &Appender,
    admin: &Administrator,
    key: &nkeys::KeyPair,
    today: Date,
) -> Result<Genesis, GenesisError> {
    if admin.name.trim().is_empty() {
        return Err(GenesisError::EmptyName);
    }
    let public = key.public_key();
    crate::cmd::check_key(&public)?;
    let command_id = CommandId::new(GENESIS_COMMAND_ID)
        .map_err(|e| GenesisError::Sign(sign::SignError::Unreadable(e.to_string())))?;
    let request = Request {
        command_id: command_id.clone(),
        actor: admin.person.clone(),
        occurred_on: Some(today),
        command: GenesisCommand::Genesis {
            person: &admin.person,
            name: admin.name.trim(),
            title: admin.title.trim(),
            key: &public,
        },
    };
    let bytes = serde_json::to_vec(&request)
        .map_err(|e| GenesisError::Sign(sign::SignError::Unreadable(e.to_string())))?;
    let signature = sign::sign(key, GENESIS_ENDPOINT, &bytes)?;
    let event = Event::Genesis {
        person: admin.person.clone(),
        name: admin.name.trim().to_owned(),
        title: admin.title.trim().to_owned(),
        key: public.clone(),
        from: today,
    };
    let now = Timestamp::now();
    let draft = Draft {
        command_id,
        actor: Actor::Person(admin.person.clone()),
        occurred_at: Timestamp::at_vietnam_noon(today).min(now),
        recorded_at: now,
        signature: Some(signature),
        event,
    };
    match appender.append(draft, None).await {
        Ok(reform_shared::append::AppendOutcome::Appended { sequence }) => {
            Ok(Genesis::Recorded { sequence, key: public })
        }
        Ok(reform_shared::append::AppendOutcome::Duplicate { sequence }) => {
            Ok(Genesis::Already { sequence })
        }
        Err(AppendError::Conflict { .. }) => Err(GenesisError::AlreadyInstated),
        Err(e) => Err(GenesisError::Append(e)),
    }
}
