//! The scoring service: publishes the PAR INDEX framework of a year for a kind of unit
//! (criteria in eight component fields, totalling 100.00 points) and records scores per unit,
//! year, criterion and stage (self-assessed, appraised, final), each with the value it
//! replaces, a reason and the evidence it rests on.
//!
//! - [`cmd`]: the JSON commands, one file each with its rules; [`framework`]: what makes a framework valid and the
//!   framework file format (real files live in `frameworks/`).
//! - [`decide`]: the pure state and decisions (the methodology's rules), plugged into the
//!   shared command runtime ([`reform_shared::service`]) by [`run`].
//! - [`decider`]: the runtime's glue above both ([`reform_shared::service::Decider`]), so
//!   the state never imports the commands and the commands never import the glue.
//! - [`client`]: typed functions for sending the commands; [`query`]: reading a published
//!   framework back from the log.

pub mod client;
pub mod cmd;
pub mod decide;
pub mod decider;
pub mod framework;
pub mod query;

use reform_shared::service::{self, ServiceError};
use std::future::Future;

/// The service name: commands go to `par.cmd.scoring`.
pub const NAME: &str = "scoring";

/// How the service runs: the runtime's configuration, as every command service shares it.
pub use reform_shared::service::ServiceConfig as Config;

/// Runs the scoring service until `shutdown` resolves.
pub async fn run(
    client: async_nats::Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServiceError> {
    service::run(client, decide::State::default(), config, shutdown).await
}
