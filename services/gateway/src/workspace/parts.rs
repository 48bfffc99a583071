//! What the workspace's forms are made of: who may be chosen at a unit, and a choice.

use maud::{html, Markup};
use reform_shared::directory::Directory;
use reform_shared::ids::{PersonId, UnitId};
use reform_shared::time::Date;

/// Who leads or works at a unit `here` picks, today (tenures and unit grants), with the unit.
pub(super) fn working_at(
    d: &Directory,
    here: impl Fn(&UnitId) -> bool + Copy,
    today: Date,
) -> impl Iterator<Item = (&PersonId, &UnitId)> {
    let leading = d.tenures.values().filter(move |t| t.covers(today) && here(&t.unit));
    let granted = d.grants.iter().filter(move |g| g.covers(today)).filter_map(move |g| {
        let unit = g.unit.as_ref().filter(|u| here(u))?;
        Some((&g.person, unit))
    });
    leading.map(|t| (&t.person, &t.unit)).chain(granted)
}

/// A required choice named `name` among `(value, what a person reads)` pairs.
pub(super) fn choose<V: std::fmt::Display>(
    id: &str,
    name: &str,
    options: &[(V, String)],
) -> Markup {
    html! {
        select id=(id) name=(name) required {
            @for (value, label) in options { option value=(value) { (label) } }
        }
    }
}
