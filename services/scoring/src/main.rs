//! Runs the scoring service on its own against a NATS server.
fn main() {}
