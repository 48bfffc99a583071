//! The read model: what every reader of the log agrees a figure is. The projector keeps it in
//! redb and serves it; the gateway, the CLI and the rollup read its types; the independent
//! replay in `audit` builds it again. Nothing here does I/O: the state is a pure fold of the
//! log ([`model::apply`]), and each view a pure function of the state and a
//! [`views::Basis`] ("as known now", or "as true at" a date).
//!
//! - [`model`]: the projection's state (histories, not just current values) and `apply`.
//! - [`views`]: the figures of docs/views.md, computed at query time.
//! - [`registers`]: the directory and evidence registers.
//! - [`people`]: a person's entry (tenures, access, keys) and the list of people.
//! - [`tree`]: the unit tree, walked in one place with one depth limit, in memory or in a
//!   store (the [`tree::Tree`] trait).

pub mod model;
pub mod people;
pub mod registers;
pub mod tree;
pub mod views;

#[cfg(test)]
mod views_tests;
