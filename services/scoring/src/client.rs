//! Typed client functions: build a request, send it to the scoring service, get the answer.

use crate::cmd::Command;
use reform_shared::command::{self, Accepted, CommandError, Request};

/// Sends any scoring command.
pub async fn send(
    client: &async_nats::Client,
    request: &Request<Command>,
    key: &nkeys::KeyPair,
) -> Result<Accepted, CommandError> {
    command::send(client, crate::NAME, request, key).await
}
