//! How a run of `reformctl` ends, for people and for scripts.
//!
//! Every failure has a kind and an exit code of its own, so a script can act on it without
//! reading English; with `--json` it is also one JSON object on stdout:
//!
//! ```json
//! {"outcome": "failed", "kind": "refused", "exit_code": 4, "message": "…", "command_id": "…"}
//! ```
//!
//! | exit | kind | meaning | what to do |
//! |---|---|---|---|
//! | 0 | | done | |
//! | 1 | `error` | anything else (a local file, a bug) | read the message |
//! | 2 | | the command line itself is wrong (clap) | see `--help` |
//! | 3 | `invalid` | the request could not be read | fix it |
//! | 4 | `refused` | a rule said no (unknown unit, score above the maximum, …) | tell the user |
//! | 5 | `conflict` | another command changed the same thing first | re-read, decide again |
//! | 6 | `not-found` | the views do not know the unit or person asked about | check the id |
//! | 7 | `unavailable` | no answer, the broker or a service is down or halted | retry with the same `--command-id` |
//! | 8 | `check-failed` | `audit verify` found a problem in the log | read the problems listed |
//! | 9 | `denied` | the signature, the key or the actor's role does not allow it | sign with your own valid key, or ask for the role |

use reform_shared::command::{CommandError, FailureKind};
use reform_shared::ids::CommandId;
use serde::Serialize;

/// The kinds of failure, as scripts see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExitKind {
    Error,
    Invalid,
    Refused,
    Conflict,
    NotFound,
    Unavailable,
    CheckFailed,
    Denied,
}

impl ExitKind {
    pub fn exit_code(self) -> u8 {
        match self {
            ExitKind::Error => 1,
            ExitKind::Invalid => 3,
            ExitKind::Refused => 4,
            ExitKind::Conflict => 5,
            ExitKind::NotFound => 6,
            ExitKind::Unavailable => 7,
            ExitKind::CheckFailed => 8,
            ExitKind::Denied => 9,
        }
    }

    /// How a run ends on a service's or the projector's failure (one kind for both).
    fn of_reply(kind: FailureKind) -> Self {
        match kind {
            FailureKind::Invalid => ExitKind::Invalid,
            FailureKind::Refused => ExitKind::Refused,
            FailureKind::Conflict => ExitKind::Conflict,
            FailureKind::NotFound => ExitKind::NotFound,
            FailureKind::Unavailable => ExitKind::Unavailable,
            FailureKind::Denied => ExitKind::Denied,
        }
    }
}

/// A failure that already knows its kind (for the CLI's own checks, such as `--wait`).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Classified {
    pub kind: ExitKind,
    pub message: String,
}

/// The kind of a failure, from the first error in its chain that says.
pub fn classify(error: &anyhow::Error) -> ExitKind {
    use reform_evidence::client::{AttachError, FetchError};
    use reform_projector::queries::ViewError;
    for cause in error.chain() {
        if let Some(e) = cause.downcast_ref::<Classified>() {
            return e.kind;
        }
        if let Some(e) = cause.downcast_ref::<CommandError>() {
            return ExitKind::of_reply(e.kind());
        }
        if let Some(AttachError::Command(e)) = cause.downcast_ref::<AttachError>() {
            return ExitKind::of_reply(e.kind());
        }
        if let Some(AttachError::TooLarge { .. }) = cause.downcast_ref::<AttachError>() {
            return ExitKind::Invalid;
        }
        if let Some(e) = cause.downcast_ref::<FetchError>() {
            return match e {
                FetchError::UnknownEvidence { .. } => ExitKind::NotFound,
                FetchError::Store(reform_evidence::store::StoreError::DigestMismatch {
                    ..
                }) => ExitKind::Refused,
                _ => ExitKind::Unavailable,
            };
        }
        if let Some(e) = cause.downcast_ref::<ViewError>() {
            return match e {
                ViewError::Failed { kind, .. } => ExitKind::of_reply(*kind),
                _ => ExitKind::Unavailable,
            };
        }
        if cause.downcast_ref::<reform_shared::edge::ConnectError>().is_some() {
            return ExitKind::Unavailable;
        }
        if cause.downcast_ref::<reform_shared::keyfile::KeyFileError>().is_some() {
            return ExitKind::Invalid;
        }
        if let Some(e) = cause.downcast_ref::<reform_directory::genesis::GenesisError>() {
            return match e {
                reform_directory::genesis::GenesisError::AlreadyInstated => ExitKind::Conflict,
                reform_directory::genesis::GenesisError::Append(_) => ExitKind::Unavailable,
                _ => ExitKind::Invalid,
            };
        }
        if cause.downcast_ref::<reform_evidence::file::FileError>().is_some() {
            return ExitKind::Invalid;
        }
    }
    ExitKind::Error
}

/// The JSON object a failed run prints with `--json`.
#[derive(Debug, Serialize)]
pub struct Failed<'a> {
    pub outcome: &'static str,
    pub kind: ExitKind,
    pub exit_code: u8,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_id: Option<&'a CommandId>,
}

/// Prints a failure as `--json` or as text, and returns its exit code.
pub fn report(error: &anyhow::Error, json: bool, command_id: Option<&CommandId>) -> u8 {
    let kind = classify(error);
    let message = reform_shared::edge::one_line(error.chain());
    if json {
        let failed =
            Failed { outcome: "failed", kind, exit_code: kind.exit_code(), message, command_id };
        match serde_json::to_string_pretty(&failed) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: {e}"),
        }
    } else {
        eprintln!("error: {message}");
    }
    kind.exit_code()
}
