//! The directory's registers, from the projector: `person list`, `person show` (tenures with
//! their ids, access, and keys with whether each still signs), `unit list` (the tree) and
//! `unit show`. The dashboard and any script asking `par.view.person`, `par.view.people` or
//! `par.view.directory` see the same answer.

use crate::ctx::Ctx;
use crate::table::{Align, Table};
use reform_projector::queries::{self, DirectoryQuery, PersonQuery};
use reform_projector::registers::{Directory, DirectoryUnit};
use reform_shared::ids::{PersonId, UnitId};
use reform_shared::time::Date;
use reform_shared::tree::UNIT_DEPTH_MAX;
use serde::Serialize;

pub async fn person_show(ctx: &Ctx, person: &PersonId) -> anyhow::Result<()> {
    let q = PersonQuery { person: person.clone() };
    let entry = queries::person(&ctx.client().await?, &q).await?;
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&entry)?);
        return Ok(());
    }
    println!("{} ({}) — {}", entry.name, entry.person, entry.title);
    if entry.administrator_from_genesis {
        println!("quản trị hệ thống đầu tiên (bước khởi tạo)");
    }
    let mut table = Table::new(&[
        ("Nhiệm kỳ / quyền", Align::Left),
        ("Đơn vị", Align::Left),
        ("Vai trò", Align::Left),
        ("Thời gian", Align::Left),
    ]);
    for t in &entry.tenures {
        let role = t.role.label_vi().to_owned();
        table.row(vec![t.tenure.to_string(), t.unit_name.clone(), role, span(t.from, t.to)]);
    }
    for a in &entry.access {
        let unit = a.unit_name.clone().unwrap_or_default();
        let access = a.access.label_vi().to_owned();
        table.row(vec!["(quyền)".into(), unit, access, span(a.from, a.to)]);
    }
    print!("\n{}", table.render());
    let mut keys = Table::new(&[
        ("Khóa ký", Align::Left),
        ("Loại", Align::Left),
        ("Ghi nhận", Align::Left),
        ("Trạng thái", Align::Left),
    ]);
    for k in &entry.keys {
        let kind = if k.passkey { "khóa truy cập (passkey)" } else { "khóa nkeys" };
        let state = match (&k.revoked, k.revoked_on) {
            (Some(why), Some(on)) => format!("đã thu hồi ngày {on}: {why}"),
            (Some(why), None) => format!("đã thu hồi: {why}"),
            (None, _) => "hiệu lực".into(),
        };
        keys.row(vec![k.key.clone(), kind.into(), k.registered_on.to_string(), state]);
    }
    print!("\n{}", keys.render());
    Ok(())
}

pub async fn person_list(ctx: &Ctx) -> anyhow::Result<()> {
    let people = queries::people(&ctx.client().await?).await?;
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&people.people)?);
        return Ok(());
    }
    let mut table =
        Table::new(&[("Mã", Align::Left), ("Họ tên", Align::Left), ("Chức vụ", Align::Left)]);
    for p in &people.people {
        table.row(vec![p.person.to_string(), p.name.clone(), p.title.clone()]);
    }
    print!("{}", table.render());
    Ok(())
}

pub async fn unit_list(ctx: &Ctx, under: Option<UnitId>, depth: Option<u8>) -> anyhow::Result<()> {
    let q = DirectoryQuery { under: under.clone(), depth, person: None };
    let d = queries::directory_part(&ctx.client().await?, &q).await?;
    if ctx.json() {
        let units: Vec<_> = d
            .units
            .iter()
            .map(|u| {
                serde_json::json!({"unit": u.unit, "name": u.name, "kind": u.kind, "parent": u.parent})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&units)?);
        return Ok(());
    }
    // The tree from the top asked for: the provinces, or the unit --under names.
    let tops: Vec<&DirectoryUnit> = match &under {
        Some(top) => d.units.iter().filter(|u| &u.unit == top).collect(),
        None => d.units.iter().filter(|u| u.parent.is_none()).collect(),
    };
    let mut lines = Vec::new();
    for top in tops {
        tree(&d, top, 0, &mut lines);
    }
    println!("{}", lines.join("\n"));
    Ok(())
}

/// The unit and everything under it now, indented by depth, children by id.
fn tree(d: &Directory, unit: &DirectoryUnit, depth: usize, lines: &mut Vec<String>) {
    lines.push(format!(
        "{}{} — {} ({})",
        "  ".repeat(depth),
        unit.unit,
        unit.name,
        unit.kind.label_vi()
    ));
    if depth + 1 < UNIT_DEPTH_MAX {
        for child in d.units.iter().filter(|c| c.parent.as_ref() == Some(&unit.unit)) {
            tree(d, child, depth + 1, lines);
        }
    }
}

#[derive(Debug, Serialize)]
struct UnitLine {
    unit: UnitId,
    name: String,
    kind: &'static str,
}

impl UnitLine {
    fn of(u: &DirectoryUnit) -> UnitLine {
        UnitLine { unit: u.unit.clone(), name: u.name.clone(), kind: u.kind.as_str() }
    }
}

#[derive(Debug, Serialize)]
struct LeaderLine {
    tenure: String,
    person: PersonId,
    name: String,
    role: &'static str,
    from: Date,
    to: Option<Date>,
}

#[derive(Debug, Serialize)]
struct GrantLine {
    person: PersonId,
    name: String,
    access: &'static str,
    from: Date,
    to: Option<Date>,
}

#[derive(Debug, Serialize)]
struct UnitSheet {
    unit: UnitId,
    name: String,
    kind: &'static str,
    /// From the province down to the unit's parent.
    above: Vec<UnitLine>,
    children: Vec<UnitLine>,
    /// Every tenure at the unit, by start.
    leaders: Vec<LeaderLine>,
    /// Staff and appraisers granted at the unit, by start.
    grants: Vec<GrantLine>,
}

/// The unit's sheet from its part of the directory (the unit, the units above it and one
/// level below).
fn unit_sheet(d: &Directory, unit: &UnitId) -> Option<UnitSheet> {
    let find = |id: &UnitId| d.units.iter().find(|u| &u.unit == id);
    let u = find(unit)?;
    let mut above = Vec::new();
    let mut next = u.parent.as_ref().and_then(&find);
    while let Some(p) = next.filter(|_| above.len() < UNIT_DEPTH_MAX) {
        above.push(UnitLine::of(p));
        next = p.parent.as_ref().and_then(&find);
    }
    above.reverse();
    let leaders = d
        .tenures
        .iter()
        .filter(|t| &t.unit == unit)
        .map(|t| LeaderLine {
            tenure: t.tenure.to_string(),
            person: t.person.clone(),
            name: t.name.clone(),
            role: t.role.as_str(),
            from: t.from,
            to: t.to,
        })
        .collect();
    let grants = d
        .grants
        .iter()
        .filter(|g| &g.unit == unit)
        .map(|g| GrantLine {
            person: g.person.clone(),
            name: g.name.clone(),
            access: g.access.as_str(),
            from: g.from,
            to: g.to,
        })
        .collect();
    Some(UnitSheet {
        unit: unit.clone(),
        name: u.name.clone(),
        kind: u.kind.as_str(),
        above,
        children: d
            .units
            .iter()
            .filter(|c| c.parent.as_ref() == Some(unit))
            .map(UnitLine::of)
            .collect(),
        leaders,
        grants,
    })
}

/// `unit show U`: where the unit sits, what is under it, who led it and who holds rights there.
pub async fn unit_show(ctx: &Ctx, unit: &UnitId) -> anyhow::Result<()> {
    let q = DirectoryQuery { under: Some(unit.clone()), depth: Some(1), person: None };
    let d = queries::directory_part(&ctx.client().await?, &q).await?;
    let sheet = unit_sheet(&d, unit).ok_or_else(|| queries::ViewError::Failed {
        kind: queries::FailureKind::NotFound,
        message: format!("unknown unit {unit}"),
    })?;
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&sheet)?);
        return Ok(());
    }
    let kind = d.units.iter().find(|u| &u.unit == unit).map_or("", |u| u.kind.label_vi());
    println!("{} ({}) — {kind}", sheet.name, sheet.unit);
    if !sheet.above.is_empty() {
        let path: Vec<String> = sheet.above.iter().map(|l| l.name.clone()).collect();
        println!("thuộc: {}", path.join(" › "));
    }
    let mut table = Table::new(&[
        ("Nhiệm kỳ / quyền", Align::Left),
        ("Người", Align::Left),
        ("Vai trò", Align::Left),
        ("Thời gian", Align::Left),
    ]);
    for l in &sheet.leaders {
        table.row(vec![
            l.tenure.clone(),
            l.name.clone(),
            in_vietnamese(l.role),
            span(l.from, l.to),
        ]);
    }
    for g in &sheet.grants {
        let access = in_vietnamese(g.access);
        table.row(vec!["(quyền)".into(), g.name.clone(), access, span(g.from, g.to)]);
    }
    print!("\n{}", table.render());
    if !sheet.children.is_empty() {
        println!("\nĐơn vị trực thuộc ({}):", sheet.children.len());
        for c in &sheet.children {
            println!("  {} — {}", c.unit, c.name);
        }
    }
    Ok(())
}

/// A role's or a right's name as people read it (the JSON keeps the code).
fn in_vietnamese(code: &str) -> String {
    use reform_shared::event::{Access, Role};
    code.parse::<Role>()
        .map(Role::label_vi)
        .or_else(|_| code.parse::<Access>().map(Access::label_vi))
        .unwrap_or(code)
        .to_owned()
}

/// A tenure's or a right's time span, open while it lasts; ISO dates, as in every CLI table.
fn span(from: Date, to: Option<Date>) -> String {
    match to {
        Some(to) => format!("{from} → {to}"),
        None => format!("{from} →"),
    }
}
