//! Runs the evidence service on its own against a NATS server.
fn main() {}
