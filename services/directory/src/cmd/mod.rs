//! The directory service's commands, one file each (mini-redis's `src/cmd/`): a command's
//! fields and the rules that decide it sit together; [`Command`], the JSON taken on
//! `par.cmd.directory`, only names them and delegates.
//!
//! Each command is an object with a `type` tag, e.g.
//! `{"type":"add-unit","unit":"sgd","name":"Sở Giáo dục và Đào tạo","kind":"department",
//! "parent":"st"}`. Unknown fields are refused, so a misspelt field is an error and never a
//! silently missing value.
//!
//! Adding a command: a file here with its struct (`#[serde(deny_unknown_fields)]`) and its
//! `decide`, a variant below, and its line in `reformctl`'s `directory.rs`.

mod add_unit;
mod appoint_leader;
mod end_tenure;
mod end_unit;
mod enrol_passkey;
mod grant_access;
mod move_unit;
mod open_enrolment;
mod register_key;
mod register_person;
mod rename_unit;
mod restructure;
mod retitle_person;
mod revoke_key;
mod withdraw_access;

pub use add_unit::{AddUnit, Founding};
pub use appoint_leader::AppointLeader;
pub use end_tenure::EndTenure;
pub use end_unit::EndUnit;
pub use enrol_passkey::EnrolPasskey;
pub use grant_access::GrantAccess;
pub use move_unit::MoveUnit;
pub use open_enrolment::{OpenEnrolment, ENROLMENT_DAYS_MAX};
pub use register_key::{check_key, RegisterKey};
pub use register_person::RegisterPerson;
pub use rename_unit::RenameUnit;
pub use retitle_person::RetitlePerson;
pub use revoke_key::RevokeKey;
pub use withdraw_access::WithdrawAccess;

use crate::decide::{Refusal, NAME_BYTES_MAX};
use reform_shared::directory::Directory;
use reform_shared::event::Event;
use reform_shared::service::Context;
use serde::{Deserialize, Serialize};

/// What a person can ask the directory service to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Command {
    AddUnit(AddUnit),
    RegisterPerson(RegisterPerson),
    AppointLeader(AppointLeader),
    EndTenure(EndTenure),
    RegisterKey(RegisterKey),
    RevokeKey(RevokeKey),
    GrantAccess(GrantAccess),
    WithdrawAccess(WithdrawAccess),
    OpenEnrolment(OpenEnrolment),
    EnrolPasskey(EnrolPasskey),
    EndUnit(EndUnit),
    RenameUnit(RenameUnit),
    MoveUnit(MoveUnit),
    RetitlePerson(RetitlePerson),
}

impl Command {
    /// The event the command records, or why not: a pure function of the directory, the
    /// command and its context (who acts, on which business date).
    pub fn decide(&self, d: &Directory, context: &Context) -> Result<Event, Refusal> {
        match self {
            Command::AddUnit(c) => c.decide(d, context),
            Command::RegisterPerson(c) => c.decide(d),
            Command::AppointLeader(c) => c.decide(d, context),
            Command::EndTenure(c) => c.decide(d, context),
            Command::RegisterKey(c) => c.decide(d),
            Command::RevokeKey(c) => c.decide(d),
            Command::GrantAccess(c) => c.decide(d, context),
            Command::WithdrawAccess(c) => c.decide(d, context),
            Command::OpenEnrolment(c) => c.decide(d, context),
            Command::EnrolPasskey(c) => c.decide(d, context),
            Command::EndUnit(c) => c.decide(d, context),
            Command::RenameUnit(c) => c.decide(d, context),
            Command::MoveUnit(c) => c.decide(d, context),
            Command::RetitlePerson(c) => c.decide(d, context),
        }
    }
}

fn check_name(
    what: &'static str,
    id: &str,
    field: &'static str,
    text: &str,
) -> Result<(), Refusal> {
    if text.trim().is_empty() {
        return Err(Refusal::EmptyName { what, id: id.to_owned() });
    }
    check_length(id, field, text)
}

fn check_length(id: &str, field: &'static str, text: &str) -> Result<(), Refusal> {
    if text.len() > NAME_BYTES_MAX {
        return Err(Refusal::TooLong { field, id: id.to_owned(), bytes: text.len() });
    }
    Ok(())
}

/// " at <unit>" for a message, or nothing.
#[cfg(test)]
mod tests {
    use super::*;
    use reform_shared::event::Role;

    #[test]
    fn commands_read_kebab_case_json_and_refuse_unknown_fields() {
        let json = r#"{"type":"appoint-leader","tenure":"t1","unit":"sgd","person":"a",
            "role":"reform-deputy","from":"2016-01-01"}"#;
        let command: Command = serde_json::from_str(json).expect("valid command");
        assert!(matches!(
            command,
            Command::AppointLeader(AppointLeader { role: Role::ReformDeputy, .. })
        ));
        let misspelt = r#"{"type":"end-tenure","tenure":"t1","too":"2016-07-01"}"#;
        assert!(serde_json::from_str::<Command>(misspelt).is_err());
        let kind = r#"{"type":"add-unit","unit":"x","name":"X","kind":"ministry"}"#;
        let error = serde_json::from_str::<Command>(kind).expect_err("unknown kind");
        assert!(error.to_string().contains("public-service-unit"), "{error}");
        // The JSON a command is written as reads back as the same command.
        let again: Command =
            serde_json::from_str(&serde_json::to_string(&command).expect("json")).expect("reads");
        assert_eq!(again, command);
    }
}
