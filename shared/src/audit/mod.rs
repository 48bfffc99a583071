//! What an auditor checks, shared by `reformctl audit` and the dashboard's auditors' page.
//!
//! - [`verify`]: the pure message-by-message checker, for the stream and for an export.
//! - [`recorder`]: who recorded an event and whether they could (also the services' rule).
//! - [`redecide`]: every signed command decided again, so an event is what its request decides;
//!   [`decided`]: what it can find, which the services' runtime also needs.
//! - [`read`]: the stream's messages as stored, and the whole live check over them.

pub mod decided;
pub mod read;
pub mod recorder;
pub mod redecide;
pub mod verify;

use serde::Serialize;

/// Something wrong, at a stream sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub sequence: u64,
    pub what: String,
}
