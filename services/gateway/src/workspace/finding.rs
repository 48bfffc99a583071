//! The inspection form on `/work`: a finding (hạn chế) an inspection recorded at a unit, which
//! opens its remediation task with the "5 rõ". A leader of the unit or an appraiser of it
//! records one (the access table), so the form offers the units the person leads and those
//! they appraise, and the people working there today for the remediation.

use super::parts::{choose, working_at};
use crate::page::{date_field, View};
use maud::{html, Markup};
use reform_shared::directory::Directory;
use reform_shared::event::Access;
use reform_shared::ids::{PersonId, UnitId};
use reform_shared::time::Date;
use reform_shared::tree::Below;

/// Where a person may record findings today, and who may carry a remediation out there.
#[derive(Debug, Default)]
pub struct Inspects {
    /// The units they lead or appraise, by name.
    pub units: Vec<(UnitId, String)>,
    /// Whether they appraise any unit (the appraisal council's scores are theirs to record).
    pub appraises: bool,
    /// The people who lead or work at those units today, as "name · unit".
    pub people: Vec<(PersonId, String)>,
}

pub fn inspects(d: &Directory, person: &PersonId, today: Date) -> Inspects {
    let appraised = appraised(d, person, today);
    let led = d.tenures.values().filter(|t| &t.person == person && t.covers(today));
    let led: Vec<UnitId> = led.map(|t| t.unit.clone()).collect();
    let mut ids = below(d, &led);
    ids.extend(appraised.iter().cloned());
    ids.sort();
    ids.dedup();
    let mut units: Vec<(UnitId, String)> =
        ids.iter().filter_map(|u| Some((u.clone(), d.unit(u)?.name.clone()))).collect();
    units.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let here = |unit: &UnitId| units.iter().any(|(u, _)| u == unit);
    let mut people: Vec<(PersonId, String)> = working_at(d, here, today)
        .filter_map(|(p, u)| {
            let name = &d.person(p)?.name;
            Some((p.clone(), format!("{name} · {}", d.unit(u)?.name)))
        })
        .collect();
    people.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    people.dedup_by(|a, b| a.0 == b.0);
    Inspects { units, appraises: !appraised.is_empty(), people }
}

/// The units `person` appraises today: every unit under the parent of a unit where they hold
/// the appraiser access ([`Directory::appraises`]).
pub fn appraised(d: &Directory, person: &PersonId, today: Date) -> Vec<UnitId> {
    let grants = d
        .grants
        .iter()
        .filter(|g| &g.person == person && g.access == Access::Appraiser && g.covers(today));
    let scopes: Vec<UnitId> = grants
        .filter_map(|g| g.unit.as_ref())
        .map(|at| d.unit(at).and_then(|u| u.parent.clone()).unwrap_or_else(|| at.clone()))
        .collect();
    below(d, &scopes)
}

/// `roots` and every unit under them, each once, by the shared walk of the tree.
fn below(d: &Directory, roots: &[UnitId]) -> Vec<UnitId> {
    let mut found: Vec<UnitId> = roots.iter().filter(|u| d.unit(u).is_some()).cloned().collect();
    for root in roots {
        let Ok(under) = reform_shared::tree::below(&mut &*d, root, Below::Everything);
        found.extend(under);
    }
    found.sort();
    found.dedup();
    found
}

/// The form, when the person may record a finding anywhere.
pub fn form(view: &View, inspects: &Inspects) -> Markup {
    if inspects.units.is_empty() {
        return html! {};
    }
    html! {
        section aria-labelledby="finding-heading" {
            h2 #finding-heading { (view.t("Ghi nhận hạn chế qua kiểm tra", "Record an inspection finding")) }
            p { (view.t("Mỗi hạn chế mở một nhiệm vụ khắc phục, giao rõ người, rõ kết quả, rõ thời hạn.", "Each finding opens a remediation task with its person, result and due date.")) }
            form .command #finding data-service="tasks" data-command="record-finding" data-new-id="finding remediation_task" {
                label for="finding-unit" { (view.t("Đơn vị được kiểm tra", "Unit inspected")) }
                (choose("finding-unit", "unit", &inspects.units))
                label for="finding-document" { (view.t("Số, ký hiệu kế hoạch hoặc kết luận kiểm tra", "The inspection's document number")) }
                input #finding-document name="inspection_document" required maxlength="100" placeholder="45/KL-SNV";
                label for="finding-text" { (view.t("Nội dung hạn chế", "The finding")) }
                textarea #finding-text name="text" required maxlength="2000" rows="3" {}
                label for="finding-person" { (view.t("Người chịu trách nhiệm khắc phục", "Person responsible for the remediation")) }
                (choose("finding-person", "person", &inspects.people))
                label for="finding-target" { (view.t("Kết quả khắc phục cần đạt", "The remediation's expected result")) }
                input #finding-target name="target" required maxlength="500";
                label for="finding-due" { (view.t("Thời hạn khắc phục", "Remediation due")) }
                (date_field(view, "finding-due", "remediation_due", None, true))
                button type="submit" { (view.t("Ký và ghi nhận", "Sign and record")) }
                p .outcome role="status" hidden {}
            }
        }
    }
}
