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
use reform_shared::reply::Reason;
use reform_shared::wording;
use serde::Serialize;

/// The language a person reads the CLI's refusals in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Vi,
    En,
}

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
                FetchError::UnknownEvidence { .. }
                | FetchError::Store(reform_evidence::store::StoreError::Erased { .. }) => {
                    ExitKind::NotFound
                }
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
    /// A service's refusal as code and values, for a script to act on
    /// ([`reform_shared::reply::Reason`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a Reason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_id: Option<&'a CommandId>,
}

/// A service's or the projector's answer that turned a command down, from the error chain.
fn turned_down(error: &anyhow::Error) -> Option<(FailureKind, Option<&Reason>)> {
    error.chain().find_map(|cause| match cause.downcast_ref::<CommandError>() {
        Some(CommandError::Failed { kind, reason, .. }) => Some((*kind, reason.as_ref())),
        _ => None,
    })
}

/// A failure as a person reads it: a service's refusal in `lang` (its code worded by
/// [`reform_shared::wording`]); anything else as the error chain says it.
pub fn message(error: &anyhow::Error, lang: Lang, command_id: Option<&CommandId>) -> String {
    let english = reform_shared::edge::one_line(error.chain());
    let Some((kind, reason)) = turned_down(error).filter(|_| lang == Lang::Vi) else {
        return english;
    };
    let said = match reason.and_then(wording::refusal_vi) {
        Some(sentence) => sentence,
        None => format!("{} (chi tiết kỹ thuật: {english})", wording::failure_vi(kind)),
    };
    match command_id {
        Some(id) if kind == FailureKind::Unavailable => format!(
            "{said} Lệnh {id} có thể đã được ghi hoặc chưa: chạy lại đúng lệnh đó với \
             --command-id {id} để biết kết quả thật (một lệnh không bao giờ được ghi hai lần)."
        ),
        _ => said,
    }
}

/// Prints a failure as `--json` or as text, and returns its exit code.
pub fn report(error: &anyhow::Error, json: bool, lang: Lang, command_id: Option<&CommandId>) -> u8 {
    let kind = classify(error);
    let message = message(error, lang, command_id);
    if json {
        let reason = turned_down(error).and_then(|(_, reason)| reason);
        let failed = Failed {
            outcome: "failed",
            kind,
            exit_code: kind.exit_code(),
            message,
            reason,
            command_id,
        };
        match serde_json::to_string_pretty(&failed) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: {e}"),
        }
    } else {
        let label = match lang {
            Lang::Vi => "lỗi",
            Lang::En => "error",
        };
        eprintln!("{label}: {message}");
    }
    kind.exit_code()
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantNames as _;

    /// Every code a service or the access table can send, so none reaches a head in English.
    fn every_code() -> Vec<String> {
        let under = |service: &str, names: &[&str]| -> Vec<String> {
            names.iter().map(|name| format!("{service}.{name}")).collect()
        };
        let scoring: Vec<&str> = reform_scoring::decide::Refusal::VARIANTS
            .iter()
            .copied()
            .filter(|name| *name != "framework")
            .chain(reform_scoring::framework::FrameworkError::VARIANTS.iter().copied())
            .collect();
        let rules = [
            "needs-administrator",
            "needs-administrator-or-owner",
            "needs-leader",
            "needs-unit-leader",
            "needs-staff-or-leader",
            "needs-appraiser",
            "needs-data-protection",
            "needs-leader-or-appraiser",
            "needs-enrolment",
            "needs-genesis",
            "needs-service",
        ];
        [
            under("directory", reform_directory::Refusal::VARIANTS),
            under("tasks", reform_tasks::decide::Refusal::VARIANTS),
            under("evidence", reform_evidence::decide::Refusal::VARIANTS),
            under("scoring", &scoring),
            under("access", reform_shared::directory::SignerError::VARIANTS),
            under("access", &rules),
            under(reform_shared::sign::REASON_PREFIX, &reform_shared::sign::REASON_CODES),
        ]
        .concat()
    }

    #[test]
    fn every_refusal_has_its_vietnamese_sentence() {
        let codes = every_code();
        assert!(codes.len() > 90, "{}", codes.len());
        let missing: Vec<&String> = codes
            .iter()
            .filter(|code| !wording::REFUSALS_VI.iter().any(|(c, _)| c == code))
            .collect();
        assert!(missing.is_empty(), "refusals with no Vietnamese sentence: {missing:?}");
        let unused: Vec<&str> = wording::REFUSALS_VI
            .iter()
            .map(|(c, _)| *c)
            .filter(|c| !codes.iter().any(|code| code == c))
            .collect();
        assert!(unused.is_empty(), "sentences of no refusal: {unused:?}");
    }

    #[test]
    fn a_refusal_reads_in_vietnamese_by_default_and_in_english_on_request() {
        let refusal = reform_scoring::decide::Refusal::AboveMaximum {
            criterion: "1.1".parse().expect("a code"),
            points: "99.00".parse().expect("points"),
            max: "1.00".parse().expect("points"),
        };
        let failed = CommandError::Failed {
            kind: FailureKind::Refused,
            message: refusal.to_string(),
            reason: Reason::of(reform_scoring::NAME, &refusal),
        };
        let error = anyhow::Error::new(failed);
        assert_eq!(
            message(&error, Lang::Vi, None),
            "99,00 điểm vượt điểm tối đa 1,00 của tiêu chí 1.1."
        );
        assert_eq!(
            message(&error, Lang::En, None),
            "99.00 points is above criterion 1.1's maximum of 1.00 points"
        );
    }
}
