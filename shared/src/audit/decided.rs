//! What deciding a signed command again can find, and which events a service decides: what the
//! services' runtime needs of the auditor's re-decider ([`super::redecide`]), below both.

use crate::directory::Directory;
use crate::envelope::Record;
use crate::event::Event;

/// Why a signed event is not what its request decides.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error("its signed request is not a {service} command: {detail}")]
    Unreadable { service: &'static str, detail: String },
    #[error("its signed request has no business time the service could have given it: {0}")]
    Context(String),
    #[error(
        "its business time is {recorded}, but its signed request gives {decided} (the request's \
         date, or the moment it was recorded)"
    )]
    BusinessTime { decided: String, recorded: String },
    #[error("its signed command is refused on the log before it: {0}")]
    Refused(String),
    #[error("its signed command decides {decided}, but the log records {recorded}")]
    Differs { decided: String, recorded: String },
    #[error("no service decides commands sent to {0}")]
    NoService(String),
}

/// Whether a service's `decide` records events of this kind: all but the genesis (the operator's
/// explicit step, signed with the key it registers) and a period's rollup (the rollup
/// service's own).
pub fn decided_by_a_service(event: &Event) -> bool {
    !matches!(event, Event::Genesis { .. } | Event::PeriodRolledUp { .. })
}

/// The directory service's rules, deciding a directory request again on a directory: what
/// every service's reader applies to a person's directory event before honouring it (the
/// rights every decision rests on come from there). `reform_directory::rules`.
pub type DirectoryRules = fn(&Directory, &Record, &[u8]) -> Result<(), Mismatch>;
