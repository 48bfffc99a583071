//! Runs the projector service on its own against a NATS server.
fn main() {}
