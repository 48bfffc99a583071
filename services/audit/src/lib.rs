//! The auditor's library: the log checked without trusting any service.
//!
//! [`reform_shared::audit::verify`] checks what each message allows on its own and against the
//! log before it (bytes, chain, signature, key, access table). This crate adds what needs the
//! services' own rules: every person's signed command is decided again by the same pure
//! `decide` of the service it was sent to ([`reform_shared::audit::redecide`]), so an event an
//! insider appended beside someone's real signed request, but recording something else, fails.
//!
//! [`log_tree`] is the live log's tree (a checkpoint of it, a message's proof); [`witness`] a
//! witness by c2sp.org/tlog-witness, which an oversight body runs without reading the log;
//! [`history`] a task's trail as the log holds it.
//!
//! It is a library above the four command services and below its users (`reformctl audit`,
//! the dashboard's audit verdict): no service depends on it.

pub mod history;
pub mod log_tree;
pub mod witness;

use reform_shared::audit::redecide::{Bench, Redecider};
use reform_shared::audit::verify::Verifier;

/// Every command service's decider, in the state a new service starts in.
///
/// The evidence service's size limit is its configuration, not a rule of the record: an
/// operator may have run it with a larger one, so the auditor takes none.
pub fn redecider() -> Redecider {
    Redecider::new()
        .with(Bench(reform_directory::State::default()))
        .with(Bench(reform_tasks::State::default()))
        .with(Bench(reform_evidence::decide::State::new(u64::MAX)))
        .with(Bench(reform_scoring::decide::State::default()))
}

/// The auditor's verifier: every check, every signed command decided again.
pub fn verifier() -> Verifier {
    Verifier::new().redeciding(redecider())
}

/// The same, counting people's unsigned events instead of failing them (history written
/// before requests were signed; logs written by a tool on people's behalf).
pub fn verifier_allowing_unsigned() -> Verifier {
    Verifier::allowing_unsigned().redeciding(redecider())
}
