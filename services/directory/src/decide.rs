//! The directory service's state and refusals; each command's rules are in its file under
//! [`crate::cmd`].
//!
//! Who may change the directory is the access table's business ([`reform_shared::access`]):
//! administrators, checked by the runtime on the event decided here. The first administrator
//! comes from the operator's genesis step ([`crate::genesis`]), never from a command.

use reform_shared::directory::Directory;
use reform_shared::ids::{PersonId, TenureId, UnitId};
use reform_shared::time::Date;

/// The longest name or title we accept, in bytes: far above any real Vietnamese unit name
/// ("Trung tâm Phục vụ hành chính công tỉnh Sóc Trăng" is 60 bytes), far below a message.
pub const NAME_BYTES_MAX: usize = 512;

/// Why the directory service refuses a command. Each message names what it is about, so a
/// person can act on it without reading the request again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, strum::VariantNames)]
#[serde(tag = "code", rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Refusal {
    #[error("unit {unit} already exists ({name}); choose another id")]
    UnitExists { unit: UnitId, name: String },
    #[error("unit {unit} cannot be added under {parent}: there is no unit {parent}; add it first")]
    UnknownParent { unit: UnitId, parent: UnitId },
    #[error(
        "unit {unit} cannot be added under {parent}: {parent} is already {levels} levels below \
         {root}, the most a unit tree may hold (every walk of the tree stops there)"
    )]
    TooDeep { unit: UnitId, parent: UnitId, root: UnitId, levels: usize },
    #[error("there is no unit {unit}")]
    UnknownUnit { unit: UnitId },
    #[error("there is no registered person {person}")]
    UnknownPerson { person: PersonId },
    #[error("person {person} is already registered ({name})")]
    PersonExists { person: PersonId, name: String },
    #[error("the name of {what} {id} is empty; give its full name")]
    EmptyName { what: &'static str, id: String },
    #[error("the {field} of {id} is {bytes} bytes long, over the {NAME_BYTES_MAX} allowed")]
    TooLong { field: &'static str, id: String, bytes: usize },
    #[error("tenure {tenure} already exists ({person} at {unit}); choose another tenure id")]
    TenureExists { tenure: TenureId, person: PersonId, unit: UnitId },
    #[error(
        "{person} cannot be appointed {role} of {unit} from {from}: {holder} holds that role \
         from {held_from} {}; end that tenure first",
        held_until.map_or_else(|| "with no end date".to_owned(), |d| format!("until {d}"))
    )]
    Overlap {
        person: PersonId,
        role: &'static str,
        /// The unit's name and id, e.g. "Sở GD&ĐT (sgd)".
        unit: String,
        from: Date,
        holder: PersonId,
        held_from: Date,
        held_until: Option<Date>,
    },
    #[error("{key:?} is not a public user key (nkeys, 56 characters starting with U): {detail}")]
    BadKey { key: String, detail: String },
    #[error("key {key} is already registered for {owner}; a key belongs to one person, once")]
    KeyExists { key: String, owner: PersonId },
    #[error("key {key} is not registered for {person}")]
    UnknownKey { key: String, person: PersonId },
    #[error("key {key} of {person} is already revoked")]
    KeyAlreadyRevoked { key: String, person: PersonId },
    #[error("the reason is empty; say why the key is revoked")]
    EmptyReason,
    #[error("the {access} access is held at a unit: name it with --unit")]
    UnitNeeded { access: &'static str },
    #[error("the {access} access is held everywhere, not at a unit: leave out --unit")]
    NoUnitWanted { access: &'static str },
    #[error("{person} already holds the {access} access{} since {from}", at_unit(at.as_ref()))]
    AlreadyGranted { person: PersonId, access: &'static str, at: Option<UnitId>, from: Date },
    #[error("{person} holds no {access} access{} to withdraw", at_unit(at.as_ref()))]
    NotGranted { person: PersonId, access: &'static str, at: Option<UnitId> },
    #[error(
        "the {access} access of {person} began on {from}, so it can only end on a later day, \
         not on {to}"
    )]
    WithdrawNotAfterGrant { person: PersonId, access: &'static str, from: Date, to: Date },
    #[error("there is no tenure {tenure}")]
    UnknownTenure { tenure: TenureId },
    #[error("tenure {tenure} of {person} at {unit} already ended on {to}")]
    AlreadyEnded { tenure: TenureId, person: PersonId, unit: UnitId, to: Date },
    #[error(
        "tenure {tenure} of {person} at {unit} began on {from}, so it can only end on a later \
         day, not on {to}"
    )]
    EndNotAfterStart { tenure: TenureId, person: PersonId, unit: UnitId, from: Date, to: Date },
    #[error("{digest:?} is not an enrolment code's digest (64 lowercase hex digits)")]
    BadCodeDigest { digest: String },
    #[error("an enrolment with this code's digest was opened before; make a new code")]
    CodeDigestUsed,
    #[error(
        "an enrolment code is good from today ({today}) for at most {days} days, not until \
         {until}"
    )]
    EnrolmentDays { until: Date, today: Date, days: i64 },
    #[error("there is no enrolment of {person} with this code; check the code you were given")]
    UnknownCode { person: PersonId },
    #[error(
        "this enrolment code of {person} was used already; ask an administrator for a new one"
    )]
    CodeUsed { person: PersonId },
    #[error(
        "this enrolment code of {person} expired after {until}; ask an administrator for a new one"
    )]
    CodeExpired { person: PersonId, until: Date },
    #[error("the passkey is not usable: {detail}")]
    BadPasskey { detail: String },
    #[error("unit {unit} ended on {on} (its successor is {successor}); act on the successor")]
    UnitEnded { unit: UnitId, on: Date, successor: UnitId },
    #[error("a change of unit {unit} needs its legal basis: the deciding document's number")]
    NoBasis { unit: UnitId },
    #[error("the legal basis of the change of {unit} is dated {date}, after today ({today})")]
    BasisInFuture { unit: UnitId, date: Date, today: Date },
    #[error(
        "the change of {unit} would take effect on {effective}, after today ({today}); record it \
         on or after that day"
    )]
    EffectiveInFuture { unit: UnitId, effective: Date, today: Date },
    #[error("unit {unit} cannot be its own successor")]
    OwnSuccessor { unit: UnitId },
    #[error("{successor} is under {unit}, so it cannot carry on after {unit} ends")]
    SuccessorBelow { unit: UnitId, successor: UnitId },
    #[error(
        "{unit} is a {kind} and {successor} a {successor_kind}: a merged or split unit's \
         successor is of its own kind (a dissolved unit may hand its work to any unit)"
    )]
    SuccessorKind {
        unit: UnitId,
        kind: &'static str,
        successor: UnitId,
        successor_kind: &'static str,
    },
    #[error(
        "{child} (and {more} more) is still under {unit}; move or end the units under it first"
    )]
    UnitsRemainBelow { unit: UnitId, child: UnitId, more: usize },
    #[error(
        "the change of {unit} would take effect on {effective}, before a change of it already \
         recorded as taking effect on {earlier}; a unit's changes are recorded in the order they \
         take effect"
    )]
    BeforeEarlierChange { unit: UnitId, effective: Date, earlier: Date },
    #[error("unit {unit} is already named {name:?}")]
    SameName { unit: UnitId, name: String },
    #[error("unit {unit} is already under {parent}")]
    SameParent { unit: UnitId, parent: UnitId },
    #[error("unit {unit} has no parent (a province), so it cannot move under another")]
    RootStays { unit: UnitId },
    #[error("{parent} is {unit} or under it, so {unit} cannot move under it")]
    UnderItself { unit: UnitId, parent: UnitId },
    #[error("the new title of {person} is empty; write it as people say it")]
    EmptyTitle { person: PersonId },
    #[error("{person} already has the title {title:?}")]
    SameTitle { person: PersonId, title: String },
    #[error(
        "the new title of {person} would take effect on {effective}, after today ({today}); \
         record it on or after that day"
    )]
    TitleInFuture { person: PersonId, effective: Date, today: Date },
}

/// " at <unit>" for an access held at a unit, nothing for one held everywhere.
fn at_unit(unit: Option<&UnitId>) -> String {
    unit.map_or_else(String::new, |u| format!(" at {u}"))
}

/// The directory service's state: the shared directory, applied from the log.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct State {
    pub directory: Directory,
}
