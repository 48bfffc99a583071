//! `end-tenure` (`reformctl leader end`): `to` (the business date when absent) is the first day
//! out of office. Records [`Event::TenureEnded`].

use crate::decide::Refusal;
use reform_shared::directory::Directory;
use reform_shared::event::Event;
use reform_shared::ids::TenureId;
use reform_shared::service::Context;
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndTenure {
    pub tenure: TenureId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
}

impl EndTenure {
    /// A tenure that exists, has not ended, and began before `to`.
    pub fn decide(&self, d: &Directory, context: &Context) -> Result<Event, Refusal> {
        let EndTenure { tenure, to } = self;
        let to = to.unwrap_or(context.occurred_on);
        let Some(t) = d.tenures.get(tenure) else {
            return Err(Refusal::UnknownTenure { tenure: tenure.clone() });
        };
        if let Some(ended) = t.to {
            return Err(Refusal::AlreadyEnded {
                tenure: tenure.clone(),
                person: t.person.clone(),
                unit: t.unit.clone(),
                to: ended,
            });
        }
        if to <= t.from {
            return Err(Refusal::EndNotAfterStart {
                tenure: tenure.clone(),
                person: t.person.clone(),
                unit: t.unit.clone(),
                from: t.from,
                to,
            });
        }
        Ok(Event::TenureEnded {
            tenure: tenure.clone(),
            unit: t.unit.clone(),
            person: t.person.clone(),
            role: t.role,
            to,
        })
    }
}
