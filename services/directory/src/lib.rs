//! Directory service: units, people and leader tenures (who heads a unit, who is the deputy
//! in charge of reform, from when to when). Every other service reads the same facts from the
//! log through [`reform_shared::directory::Directory`]; this service is the only one that
//! appends them.
//!
//! - [`cmd`]: the JSON commands it takes on `par.cmd.directory`, one file each with its rules.
//! - [`decide`]: the state the rules read, and the refusals.
//! - [`decider`]: the runtime's glue above both ([`reform_shared::service::Decider`]), so
//!   the state never imports the commands and the commands never import the glue.
//! - [`run`] runs it on the shared runtime ([`reform_shared::service`]); [`send`] is the
//!   typed client the CLI and the tests use.

pub mod cmd;
pub mod decide;
pub mod decider;
pub mod genesis;
pub mod plan;

pub use cmd::Command;
pub use decide::{Refusal, State};
pub use reform_shared::service::ServiceError;

use reform_shared::command::{self, Accepted, CommandError, Request};
use reform_shared::service;
use std::future::Future;

/// The service name: it answers on `par.cmd.directory` and registers as `par-directory`.
pub const NAME: &str = "directory";

/// How the service runs: the runtime's configuration, as every command service shares it.
pub use reform_shared::service::ServiceConfig as Config;

/// Runs the directory service until `shutdown` resolves.
pub async fn run(
    client: async_nats::Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServiceError> {
    service::run(client, State::default(), config, shutdown).await
}

/// Sends one directory command and waits for the service's answer.
pub async fn send(
    client: &async_nats::Client,
    request: &Request<Command>,
    key: &nkeys::KeyPair,
) -> Result<Accepted, CommandError> {
    command::send(client, NAME, request, key).await
}

/// The directory's rules as every service's reader applies them to a person's directory event
/// before honouring it ([`reform_shared::audit::decided::DirectoryRules`]): the signed
/// request, decided again on the directory before the event, must give exactly that event.
pub fn rules(
    directory: &reform_shared::directory::Directory,
    record: &reform_shared::envelope::Record,
    request: &[u8],
) -> Result<(), reform_shared::audit::decided::Mismatch> {
    reform_shared::audit::redecide::decided_by(NAME, record, request, |c: &Command, context| {
        c.decide(directory, context)
    })
}
