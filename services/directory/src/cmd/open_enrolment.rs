//! `open-enrolment`: lets a person enrol a passkey with a one-time code. The code is made and
//! shown where the administrator is (`reformctl key enrol`); the service and the log see only
//! its digest, so nobody reading the log can enrol in the person's name.

use crate::decide::Refusal;
use reform_shared::directory::Directory;
use reform_shared::event::Event;
use reform_shared::ids::PersonId;
use reform_shared::service::Context;
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

/// An enrolment code is good for at most this many days: long enough to reach a person by
/// post, short enough that a lost one expires.
pub const ENROLMENT_DAYS_MAX: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenEnrolment {
    pub person: PersonId,
    /// [`reform_shared::passkey::enrolment_digest`] of the code.
    pub code_digest: String,
    /// The last day the code may be used.
    pub until: Date,
}

impl OpenEnrolment {
    /// A registered person, a digest of 32 bytes never used before, a last day from today to
    /// [`ENROLMENT_DAYS_MAX`] days ahead (the day it is recorded, not a claimed business date).
    pub fn decide(&self, d: &Directory, context: &Context) -> Result<Event, Refusal> {
        let OpenEnrolment { person, code_digest, until } = self;
        if d.person(person).is_none() {
            return Err(Refusal::UnknownPerson { person: person.clone() });
        }
        let well_formed = code_digest.len() == 64
            && code_digest.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
        if !well_formed {
            return Err(Refusal::BadCodeDigest { digest: code_digest.chars().take(80).collect() });
        }
        if d.enrolments.contains_key(code_digest) {
            return Err(Refusal::CodeDigestUsed);
        }
        let today = context.recorded_at.vietnam_date().unwrap_or(context.occurred_on);
        let last = today.add_days(ENROLMENT_DAYS_MAX);
        if *until < today || last.is_some_and(|last| *until > last) {
            return Err(Refusal::EnrolmentDays { until: *until, today, days: ENROLMENT_DAYS_MAX });
        }
        let code_digest = code_digest.clone();
        Ok(Event::EnrolmentOpened { person: person.clone(), code_digest, until: *until })
    }
}
