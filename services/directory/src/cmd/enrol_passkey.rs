//! `enrol-passkey`: a person registers their own passkey with an enrolment code. The request
//! is signed by the passkey it names, so the key is shown to work before it counts; the code
//! shows the person is who the administrator meant. A code enrols one passkey, once.

use crate::decide::Refusal;
use reform_shared::directory::Directory;
use reform_shared::event::Event;
use reform_shared::ids::PersonId;
use reform_shared::passkey::{enrolment_digest, PasskeyKey};
use reform_shared::service::Context;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolPasskey {
    pub person: PersonId,
    /// The enrolment code as the person typed it.
    pub code: String,
    /// The passkey (`webauthn:…`), which also signs this request.
    pub key: String,
}

impl EnrolPasskey {
    /// An open enrolment of this person under this code, not used and not past its last day
    /// (the day it is recorded), and a passkey no one holds yet. That the passkey signed the
    /// request, and that the person named is the one acting, the runtime and the access table
    /// check.
    pub fn decide(&self, d: &Directory, context: &Context) -> Result<Event, Refusal> {
        let EnrolPasskey { person, code, key } = self;
        let code_digest = enrolment_digest(code);
        let enrolment = d
            .enrolments
            .get(&code_digest)
            .filter(|e| &e.person == person)
            .ok_or_else(|| Refusal::UnknownCode { person: person.clone() })?;
        if enrolment.used_by.is_some() {
            return Err(Refusal::CodeUsed { person: person.clone() });
        }
        let today = context.recorded_at.vietnam_date().unwrap_or(context.occurred_on);
        if enrolment.until < today {
            return Err(Refusal::CodeExpired { person: person.clone(), until: enrolment.until });
        }
        PasskeyKey::parse(key).map_err(|e| Refusal::BadPasskey { detail: e.to_string() })?;
        if let Some(k) = d.keys.get(key) {
            return Err(Refusal::KeyExists { key: key.clone(), owner: k.person.clone() });
        }
        Ok(Event::PasskeyEnrolled { person: person.clone(), key: key.clone(), code_digest })
    }
}
