//! Runs the directory service on its own against a NATS server.
fn main() {}
