//! Identifiers of domain things. Each is a short token that is safe inside a NATS subject, so
//! the same id names a thing in events, subjects, the CLI and the views.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest id we accept, in bytes. Ids travel in every subject and envelope; a bound keeps
/// both small and makes a garbage message fail fast instead of allocating.
pub const ID_BYTES_MAX: usize = 64;

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{kind} id is empty")]
    Empty { kind: &'static str },
    #[error("{kind} id {value:?} is longer than {ID_BYTES_MAX} bytes")]
    TooLong { kind: &'static str, value: String },
    #[error(
        "{kind} id {value:?} has the character {ch:?}; use lowercase letters, digits, '-' and '_'"
    )]
    BadCharacter { kind: &'static str, value: String, ch: char },
}

/// Checks the common id alphabet: lowercase ASCII letters, digits, `-` and `_`. Upper case is
/// refused rather than folded so that one thing never has two spellings.
pub fn validate_token(kind: &'static str, value: &str) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if value.len() > ID_BYTES_MAX {
        return Err(IdError::TooLong { kind, value: value.to_owned() });
    }
    if let Some(ch) = value
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
    {
        return Err(IdError::BadCharacter { kind, value: value.to_owned(), ch });
    }
    Ok(())
}

macro_rules! token_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses and validates an id.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                validate_token($kind, &value)?;
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(value: &str) -> Result<Self, IdError> {
                Self::new(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

token_id!(
    /// A unit: province, department, district, division or public-service unit.
    UnitId, "unit"
);
token_id!(
    /// A person who can lead a unit, be assigned a task or act on the system.
    PersonId, "person"
);
token_id!(
    /// One tenure: a person holding a role at a unit over a span of dates.
    TenureId, "tenure"
);
token_id!(
    /// A reform plan (kế hoạch CCHC) of a unit for a year.
    PlanId, "plan"
);
token_id!(
    /// A reform task.
    TaskId, "task"
);
token_id!(
    /// An inspection finding (hạn chế found by a đoàn kiểm tra).
    FindingId, "finding"
);
token_id!(
    /// An evidence document (tài liệu minh chứng).
    EvidenceId, "evidence"
);
token_id!(
    /// The id a client gives a command; it becomes the `Nats-Msg-Id` of the appended message
    /// and is kept in the envelope, so a retry is recognised forever.
    CommandId, "command"
);

/// A criterion code of a scoring framework, such as `1.1` or `6.2.3`. Dots are allowed because
/// the methodology numbers criteria that way; [`CriterionCode::subject_token`] maps them to a
/// subject-safe form.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CriterionCode(String);

impl CriterionCode {
    /// Parses a code: digits, lowercase letters and single dots between them.
    pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
        let value = value.into();
        let kind = "criterion";
        if value.is_empty() {
            return Err(IdError::Empty { kind });
        }
        if value.len() > ID_BYTES_MAX {
            return Err(IdError::TooLong { kind, value });
        }
        if let Some(ch) =
            value.chars().find(|c| !(c.is_ascii_digit() || c.is_ascii_lowercase() || *c == '.'))
        {
            return Err(IdError::BadCharacter { kind, value, ch });
        }
        if value.starts_with('.') || value.ends_with('.') || value.contains("..") {
            return Err(IdError::BadCharacter { kind, value, ch: '.' });
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code inside a subject: `6.2.3` becomes `6_2_3`. Injective, because codes never
    /// contain `_`.
    pub fn subject_token(&self) -> String {
        self.0.replace('.', "_")
    }
}

impl TryFrom<String> for CriterionCode {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, IdError> {
        Self::new(value)
    }
}

impl From<CriterionCode> for String {
    fn from(id: CriterionCode) -> String {
        id.0
    }
}

impl std::str::FromStr for CriterionCode {
    type Err = IdError;
    fn from_str(value: &str) -> Result<Self, IdError> {
        Self::new(value)
    }
}

impl fmt::Display for CriterionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CriterionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CriterionCode({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_refuse_what_a_subject_cannot_carry() {
        assert!(UnitId::new("soc-trang_sgd2").is_ok());
        assert!(matches!(UnitId::new(""), Err(IdError::Empty { .. })));
        assert!(matches!(UnitId::new("a.b"), Err(IdError::BadCharacter { ch: '.', .. })));
        assert!(matches!(UnitId::new("Sgd"), Err(IdError::BadCharacter { ch: 'S', .. })));
        assert!(matches!(UnitId::new("a*"), Err(IdError::BadCharacter { .. })));
        assert!(matches!(UnitId::new("x".repeat(65)), Err(IdError::TooLong { .. })));
    }

    #[test]
    fn criterion_codes_keep_their_dots_but_not_in_subjects() {
        let code = CriterionCode::new("6.2.3").expect("valid");
        assert_eq!(code.subject_token(), "6_2_3");
        assert!(CriterionCode::new("6..2").is_err());
        assert!(CriterionCode::new(".6").is_err());
        assert!(CriterionCode::new("6_2").is_err());
    }
}
