//! What the three restructuring commands share: the legal basis they cite and the day the
//! change takes effect, both judged against the day the command is recorded.

use crate::decide::{Refusal, NAME_BYTES_MAX};
use reform_shared::directory::{Directory, Unit};
use reform_shared::event::LegalBasis;
use reform_shared::ids::UnitId;
use reform_shared::service::Context;
use reform_shared::time::Date;

/// The day the command is recorded, in Vietnam: no change of the state's structure takes
/// effect, or is decided, after it.
pub(super) fn recorded_day(context: &Context) -> Date {
    context.recorded_at.vietnam_date().unwrap_or(context.occurred_on)
}

/// A document named, no longer than a name, dated no later than today; an effective day no
/// later than today.
pub(super) fn check_basis(
    unit: &UnitId,
    basis: &LegalBasis,
    effective: Date,
    context: &Context,
) -> Result<(), Refusal> {
    let today = recorded_day(context);
    if basis.document.trim().is_empty() {
        return Err(Refusal::NoBasis { unit: unit.clone() });
    }
    if basis.document.len() > NAME_BYTES_MAX {
        let bytes = basis.document.len();
        return Err(Refusal::TooLong { field: "legal basis", id: unit.to_string(), bytes });
    }
    if basis.date > today {
        return Err(Refusal::BasisInFuture { unit: unit.clone(), date: basis.date, today });
    }
    if effective > today {
        return Err(Refusal::EffectiveInFuture { unit: unit.clone(), effective, today });
    }
    Ok(())
}

/// A change of `unit` takes effect no earlier than the last one recorded for it: otherwise the
/// record would say, say, that a unit took in another after it had ended.
pub(super) fn check_order(unit: &Unit, effective: Date) -> Result<(), Refusal> {
    match unit.changed {
        Some(earlier) if effective < earlier => {
            Err(Refusal::BeforeEarlierChange { unit: unit.id.clone(), effective, earlier })
        }
        _ => Ok(()),
    }
}

/// `unit`, which must exist and not have ended.
pub(super) fn open_unit<'d>(d: &'d Directory, unit: &UnitId) -> Result<&'d Unit, Refusal> {
    let found = d.unit(unit).ok_or_else(|| Refusal::UnknownUnit { unit: unit.clone() })?;
    match &found.ended {
        Some(ended) => Err(Refusal::UnitEnded {
            unit: unit.clone(),
            on: ended.on,
            successor: ended.successor.clone(),
        }),
        None => Ok(found),
    }
}
