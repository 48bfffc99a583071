//! What every service shares: the event schema and its wire format, the subject scheme and the
//! stream, the appender that turns the broker's answers into typed outcomes, and the handling
//! of a real `nats-server` child process.
//!
//! - [`ids`], [`time`], [`points`]: the value types events are made of.
//! - [`event`]: the domain's events; [`envelope`]: what wraps each; [`codec`]: the bytes.
//! - [`subject`]: where each event is published; [`stream`]: the one stream that keeps them.
//! - [`checkpoint`]: the log's Merkle tree and its signed checkpoints; [`tlog`]: the tree
//!   published by the C2SP specifications (tiles, witnesses, policies, receipts).
//! - [`sign`]: people's signatures on their requests; [`access`]: who may record what;
//!   [`keyfile`]: seed files readable by their owner only; [`durable`]: a file replaced whole
//!   and synced, directory included.
//! - [`log`]: the one way to read the log, and what every reader does at an unreadable event;
//!   [`skips`]: the operator's recorded way past one.
//! - [`append`]: publishing with idempotency (`Nats-Msg-Id`) and optimistic concurrency.
//! - [`broker`]: the broker's users (nkeys) and their permissions.
//! - [`edge`]: what every service binary does at its edge (flags, logging, stop signal).
//! - [`metrics`]: Prometheus text metrics of the parts in this process, on `GET /metrics`.
//! - [`natsd`]: starting and stopping `nats-server`, for the embedded default and the tests.
//! - `testkit` (feature `testkit`, for tests and benches only): a real broker per test, and
//!   helpers to wait on conditions; never in a production build.
//!
//! Only this crate defines wire types, so every service reads the log the same way.

/// The cause an infrastructure error keeps (a broker's, a file's), so callers can walk the
/// chain to the library's own error and its kind rather than read a string.
pub type Source = Box<dyn std::error::Error + Send + Sync>;

pub mod access;
pub mod append;
pub mod audit;
pub mod broker;
pub mod checkpoint;
pub mod codec;
pub mod command;
pub mod derived;
pub mod direct;
pub mod directory;
pub mod durable;
pub mod edge;
pub mod envelope;
pub mod event;
pub mod https;
pub mod ids;
pub mod keyfile;
pub mod log;
pub mod metrics;
pub mod names;
pub mod natsd;
pub mod passkey;
pub mod points;
pub mod reply;
pub mod service;
pub mod sign;
pub mod skips;
pub mod stream;
pub mod subject;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod time;
pub mod tlog;
pub mod tls;
pub mod tree;
pub mod wording;
