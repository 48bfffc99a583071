//! The directory's registers, read from the log's directory events (few: units, people,
//! tenures, keys, access): `person list`, `person show` (tenures with their ids, access, keys
//! and whether each is valid, as they landed) and `unit list` (the tree).

use crate::ctx::Ctx;
use crate::outcome::{Classified, ExitKind};
use crate::table::{Align, Table};
use reform_shared::directory::Directory;
use reform_shared::ids::{PersonId, UnitId};
use reform_shared::tree::UNIT_DEPTH_MAX;
use serde::Serialize;

/// The directory as the log holds it now.
pub(crate) async fn directory(ctx: &Ctx) -> anyhow::Result<Directory> {
    let js = async_nats::jetstream::new(ctx.client().await?);
    let records = reform_audit::history::records(&js, "par.evt.directory.>".to_owned()).await?;
    let mut directory = Directory::default();
    records.iter().for_each(|(_, r)| directory.apply(&r.envelope.event));
    Ok(directory)
}

#[derive(Debug, Serialize)]
struct TenureLine {
    tenure: String,
    unit: UnitId,
    role: &'static str,
    from: String,
    to: Option<String>,
}

#[derive(Debug, Serialize)]
struct AccessLine {
    access: &'static str,
    unit: Option<UnitId>,
    from: String,
    to: Option<String>,
}

#[derive(Debug, Serialize)]
struct KeyLine {
    key: String,
    revoked: Option<String>,
}

#[derive(Debug, Serialize)]
struct PersonSheet {
    person: PersonId,
    name: String,
    title: String,
    administrator_from_genesis: bool,
    tenures: Vec<TenureLine>,
    access: Vec<AccessLine>,
    keys: Vec<KeyLine>,
}

pub async fn person_show(ctx: &Ctx, person: &PersonId) -> anyhow::Result<()> {
    let d = directory(ctx).await?;
    let Some(p) = d.person(person) else {
        return Err(Classified {
            kind: ExitKind::NotFound,
            message: format!("the directory has no person {person}"),
        }
        .into());
    };
    let mut tenures: Vec<TenureLine> = d
        .tenures
        .values()
        .filter(|t| &t.person == person)
        .map(|t| TenureLine {
            tenure: t.id.to_string(),
            unit: t.unit.clone(),
            role: t.role.as_str(),
            from: t.from.to_string(),
            to: t.to.map(|d| d.to_string()),
        })
        .collect();
    tenures.sort_by(|a, b| (&a.from, &a.tenure).cmp(&(&b.from, &b.tenure)));
    let sheet = PersonSheet {
        person: person.clone(),
        name: p.name.clone(),
        title: p.title.clone(),
        administrator_from_genesis: d.genesis.as_ref() == Some(person),
        tenures,
        access: d
            .grants
            .iter()
            .filter(|g| &g.person == person)
            .map(|g| AccessLine {
                access: g.access.as_str(),
                unit: g.unit.clone(),
                from: g.from.to_string(),
                to: g.to.map(|d| d.to_string()),
            })
            .collect(),
        keys: d
            .keys_of(person)
            .into_iter()
            .map(|(key, k)| KeyLine { key: key.to_owned(), revoked: k.revoked.clone() })
            .collect(),
    };
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&sheet)?);
        return Ok(());
    }
    println!("{} ({}) — {}", sheet.name, sheet.person, sheet.title);
    if sheet.administrator_from_genesis {
        println!("quản trị hệ thống đầu tiên (genesis)");
    }
    let mut table = Table::new(&[
        ("Nhiệm kỳ / quyền", Align::Left),
        ("Đơn vị", Align::Left),
        ("Vai trò", Align::Left),
        ("Thời gian", Align::Left),
    ]);
    for t in &sheet.tenures {
        table.row(vec![
            t.tenure.clone(),
            t.unit.to_string(),
            in_vietnamese(t.role),
            span(&t.from, &t.to),
        ]);
    }
    for a in &sheet.access {
        let unit = a.unit.as_ref().map_or_else(String::new, ToString::to_string);
        table.row(vec!["(quyền)".into(), unit, in_vietnamese(a.access), span(&a.from, &a.to)]);
    }
    print!("\n{}", table.render());
    let mut keys = Table::new(&[("Khóa ký", Align::Left), ("Trạng thái", Align::Left)]);
    for k in &sheet.keys {
        let state =
            k.revoked.as_ref().map_or_else(|| "hiệu lực".into(), |r| format!("đã thu hồi: {r}"));
        keys.row(vec![k.key.clone(), state]);
    }
    print!("\n{}", keys.render());
    Ok(())
}

pub async fn person_list(ctx: &Ctx) -> anyhow::Result<()> {
    let d = directory(ctx).await?;
    if ctx.json() {
        let people: Vec<_> = d
            .people
            .values()
            .map(|p| serde_json::json!({"person": p.id, "name": p.name, "title": p.title}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&people)?);
        return Ok(());
    }
    let mut table =
        Table::new(&[("Mã", Align::Left), ("Họ tên", Align::Left), ("Chức vụ", Align::Left)]);
    for p in d.people.values() {
        table.row(vec![p.id.to_string(), p.name.clone(), p.title.clone()]);
    }
    print!("{}", table.render());
    Ok(())
}

pub async fn unit_list(ctx: &Ctx) -> anyhow::Result<()> {
    let d = directory(ctx).await?;
    if ctx.json() {
        let units: Vec<_> = d
            .units
            .values()
            .map(|u| {
                serde_json::json!({"unit": u.id, "name": u.name, "kind": u.kind, "parent": u.parent})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&units)?);
        return Ok(());
    }
    let mut lines = Vec::new();
    for root in d.units.values().filter(|u| u.parent.is_none()) {
        tree(&d, &root.id, 0, &mut lines);
    }
    println!("{}", lines.join("\n"));
    Ok(())
}

/// The unit and everything under it, indented by depth, children by id.
fn tree(d: &Directory, unit: &UnitId, depth: usize, lines: &mut Vec<String>) {
    let Some(u) = d.unit(unit) else { return };
    lines.push(format!("{}{} — {} ({})", "  ".repeat(depth), u.id, u.name, u.kind.label_vi()));
    if depth + 1 < UNIT_DEPTH_MAX {
        for child in d.children(unit) {
            tree(d, &child.id, depth + 1, lines);
        }
    }
}

#[derive(Debug, Serialize)]
struct UnitLine {
    unit: UnitId,
    name: String,
    kind: &'static str,
}

#[derive(Debug, Serialize)]
struct LeaderLine {
    tenure: String,
    person: PersonId,
    role: &'static str,
    from: String,
    to: Option<String>,
}

#[derive(Debug, Serialize)]
struct GrantLine {
    person: PersonId,
    access: &'static str,
    from: String,
    to: Option<String>,
}

#[derive(Debug, Serialize)]
struct UnitSheet {
    unit: UnitId,
    name: String,
    kind: &'static str,
    /// From the root down to the unit's parent.
    above: Vec<UnitLine>,
    children: Vec<UnitLine>,
    /// Every tenure at the unit, by start.
    leaders: Vec<LeaderLine>,
    /// Staff and appraisers granted at the unit.
    grants: Vec<GrantLine>,
}

/// `unit show U`: where the unit sits, what is under it, who led it and who holds rights there.
pub async fn unit_show(ctx: &Ctx, unit: &UnitId) -> anyhow::Result<()> {
    let d = directory(ctx).await?;
    let Some(u) = d.unit(unit) else {
        return Err(Classified {
            kind: ExitKind::NotFound,
            message: format!("the directory has no unit {unit}"),
        }
        .into());
    };
    let line = |u: &reform_shared::directory::Unit| UnitLine {
        unit: u.id.clone(),
        name: u.name.clone(),
        kind: u.kind.as_str(),
    };
    let mut above: Vec<UnitLine> = d.lineage(unit).into_iter().map(line).collect();
    above.retain(|l| &l.unit != unit);
    let mut leaders: Vec<LeaderLine> = d
        .tenures
        .values()
        .filter(|t| &t.unit == unit)
        .map(|t| LeaderLine {
            tenure: t.id.to_string(),
            person: t.person.clone(),
            role: t.role.as_str(),
            from: t.from.to_string(),
            to: t.to.map(|d| d.to_string()),
        })
        .collect();
    leaders.sort_by(|a, b| (&a.from, &a.tenure).cmp(&(&b.from, &b.tenure)));
    let sheet = UnitSheet {
        unit: unit.clone(),
        name: u.name.clone(),
        kind: u.kind.as_str(),
        above,
        children: d.children(unit).into_iter().map(line).collect(),
        leaders,
        grants: d
            .grants
            .iter()
            .filter(|g| g.unit.as_ref() == Some(unit))
            .map(|g| GrantLine {
                person: g.person.clone(),
                access: g.access.as_str(),
                from: g.from.to_string(),
                to: g.to.map(|d| d.to_string()),
            })
            .collect(),
    };
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&sheet)?);
        return Ok(());
    }
    println!("{} ({}) — {}", sheet.name, sheet.unit, u.kind.label_vi());
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
            l.person.to_string(),
            in_vietnamese(l.role),
            span(&l.from, &l.to),
        ]);
    }
    for g in &sheet.grants {
        table.row(vec![
            "(quyền)".into(),
            g.person.to_string(),
            in_vietnamese(g.access),
            span(&g.from, &g.to),
        ]);
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

/// A tenure's or a right's time span; open while it lasts.
fn span(from: &str, to: &Option<String>) -> String {
    match to {
        Some(to) => format!("{from} → {to}"),
        None => format!("{from} →"),
    }
}
