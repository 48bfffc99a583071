//! `issue-plan`: a unit's reform plan for a year (kế hoạch CCHC).

use crate::decide::{non_empty, Act, Refusal, State, PLAN_YEAR_SPREAD_MAX};
use reform_shared::event::Event;
use reform_shared::ids::{PersonId, PlanId, UnitId};
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuePlan {
    pub plan: PlanId,
    pub unit: UnitId,
    pub year: u16,
    /// E.g. "96/KH-SGDĐT".
    pub document_number: String,
    pub title: String,
}

impl IssuePlan {
    /// A new plan id, its document and title, by a leader of the unit, for a year near the
    /// business date's.
    pub fn decide(&self, s: &State, actor: &PersonId, on: Date) -> Result<Event, Refusal> {
        let IssuePlan { plan, unit, year, document_number, title } = self;
        if let Some(p) = s.plans.get(plan) {
            return Err(Refusal::PlanExists { plan: plan.clone(), unit: p.unit.clone() });
        }
        let id = format!("plan {plan}");
        non_empty(
            "the document number",
            &id,
            document_number,
            "give the plan's number, e.g. 96/KH-SGDĐT",
        )?;
        non_empty("the title", &id, title, "give the plan's title")?;
        s.known_unit(unit, on)?;
        s.leader(actor, unit, on, Act::IssuePlan, plan.as_str())?;
        if (i32::from(*year) - on.year()).abs() > PLAN_YEAR_SPREAD_MAX {
            return Err(Refusal::PlanYear { plan: plan.clone(), year: *year, on });
        }
        Ok(Event::PlanIssued {
            plan: plan.clone(),
            unit: unit.clone(),
            year: *year,
            document_number: document_number.trim().to_owned(),
            title: title.trim().to_owned(),
        })
    }
}
