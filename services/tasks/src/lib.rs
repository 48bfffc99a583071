//! Tasks service: reform plans, the life of a task (assigned, reassigned, re-dated, progress,
//! completed, cancelled) and inspection findings that open remediation tasks.
//!
//! - [`cmd`]: the JSON commands it takes on `par.cmd.tasks`, one file each with its rules.
//! - [`decide`]: the pure rules ("5 rõ", leader in office at the business date, dates,
//!   closed tasks) and the state they read, applied from the log.
//! - [`decider`]: the runtime's glue above both ([`reform_shared::service::Decider`]), so
//!   the state never imports the commands and the commands never import the glue.
//! - [`run`] runs it on the shared runtime ([`reform_shared::service`]); [`send`] is the
//!   typed client the CLI, the tests and the benchmark use.

pub mod cmd;
pub mod decide;
pub mod decider;

pub use cmd::Command;
pub use decide::{Refusal, State};
pub use reform_shared::service::ServiceError;

use reform_shared::command::{self, Accepted, CommandError, Request};
use reform_shared::service;
use std::future::Future;

/// The service name: it answers on `par.cmd.tasks` and registers as `par-tasks`.
pub const NAME: &str = "tasks";

/// How the service runs: the runtime's configuration, as every command service shares it.
pub use reform_shared::service::ServiceConfig as Config;

/// Runs the tasks service until `shutdown` resolves.
pub async fn run(
    client: async_nats::Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServiceError> {
    service::run(client, State::default(), config, shutdown).await
}

/// Sends one tasks command and waits for the service's answer.
pub async fn send(
    client: &async_nats::Client,
    request: &Request<Command>,
    key: &nkeys::KeyPair,
) -> Result<Accepted, CommandError> {
    command::send(client, NAME, request, key).await
}
