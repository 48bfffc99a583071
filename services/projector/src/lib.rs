//! The projector: reads the whole event log with a durable JetStream consumer and keeps the
//! views (per-unit progress, peer-group rankings, leader-accountability timelines) in redb.
pub mod model;
pub mod views;

#[cfg(test)]
mod views_tests;
