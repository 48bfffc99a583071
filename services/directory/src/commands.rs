//! The directory service's commands, as JSON on `par.cmd.directory`.
//!
//! Each command is an object with a `type` tag, e.g.
//! `{"type":"add-unit","unit":"sgd","name":"Sở Giáo dục và Đào tạo","kind":"department",
//! "parent":"st"}`. Unknown fields are refused, so a misspelt field is an error and never a
//! silently missing value.

use reform_shared::event::{Access, Role, UnitKind};
use reform_shared::ids::{PersonId, TenureId, UnitId};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

/// What a person can ask the directory service to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Command {
    /// Adds a unit (sở, UBND huyện, phòng, …) under its parent.
    AddUnit {
        unit: UnitId,
        /// The Vietnamese name with diacritics.
        name: String,
        kind: UnitKind,
        /// `None` only for a root unit such as the province.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<UnitId>,
    },
    /// Registers a person who can lead a unit, be assigned tasks or act on the system.
    RegisterPerson {
        person: PersonId,
        name: String,
        /// Position as people say it, e.g. "Giám đốc Sở".
        #[serde(default)]
        title: String,
    },
    /// Appoints a person to a role at a unit from a date (the business date when absent).
    AppointLeader {
        tenure: TenureId,
        unit: UnitId,
        person: PersonId,
        role: Role,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Date>,
    },
    /// Ends a tenure: `to` (the business date when absent) is the first day out of office.
    EndTenure {
        tenure: TenureId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<Date>,
    },
    /// Registers a person's public key (nkeys user key, `U…`): their signatures count from now.
    RegisterKey { person: PersonId, key: String },
    /// Revokes a key: signatures with it are refused from now on.
    RevokeKey { person: PersonId, key: String, reason: String },
    /// Grants access (staff and appraiser at a unit; administrator and auditor everywhere)
    /// from a date (the business date when absent).
    GrantAccess {
        person: PersonId,
        access: Access,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<UnitId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Date>,
    },
    /// Withdraws access: `to` (the business date when absent) is the first day without it.
    WithdrawAccess {
        person: PersonId,
        access: Access,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<UnitId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<Date>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_read_kebab_case_json_and_refuse_unknown_fields() {
        let json = r#"{"type":"appoint-leader","tenure":"t1","unit":"sgd","person":"a",
            "role":"reform-deputy","from":"2016-01-01"}"#;
        let command: Command = serde_json::from_str(json).expect("valid command");
        assert!(matches!(command, Command::AppointLeader { role: Role::ReformDeputy, .. }));
        let misspelt = r#"{"type":"end-tenure","tenure":"t1","too":"2016-07-01"}"#;
        assert!(serde_json::from_str::<Command>(misspelt).is_err());
        let kind = r#"{"type":"add-unit","unit":"x","name":"X","kind":"ministry"}"#;
        let error = serde_json::from_str::<Command>(kind).expect_err("unknown kind");
        assert!(error.to_string().contains("public-service-unit"), "{error}");
    }
}
