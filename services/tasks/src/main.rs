//! Runs the tasks service on its own against a NATS server.
fn main() {}
