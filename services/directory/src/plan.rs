//! A restructuring map turned into the directory commands that record it on a deployment's
//! own units, in an order the service can decide them one by one.
//!
//! The map (`maps/provinces-2025.json`) says which provinces formed each new one, by name, as
//! the resolution does. The plan matches them to the deployment's provinces by name ("Tỉnh
//! Sóc Trăng" is "Sóc Trăng"); a province of the map the deployment does not hold is left
//! alone. For each new province whose predecessors are present:
//!
//! - the successor is the present province the new one is named after (it continues, and is
//!   renamed when its name changes), or a new province added with the map's id;
//! - every other predecessor's units carry on in their namesakes under the successor: a
//!   department merges into the successor's department of the same name, added when there is
//!   none, and its divisions likewise; then the predecessor ends, merged into the successor.
//!   Nothing of theirs moves, so as true at any day before the change they are where they
//!   were, with their history and ranks, and the successor's page lists them;
//! - every district, in every province, ends (dissolved into its province, or its province's
//!   successor): its communes move up to that province first, and its other units are
//!   dissolved into it.
//!
//! Pure: the same directory and map give the same commands.

use crate::cmd::{self, Command};
use reform_shared::directory::{Directory, Unit};
use reform_shared::event::{Ending, LegalBasis, UnitKind};
use reform_shared::ids::UnitId;
use reform_shared::time::Date;
use serde::Deserialize;
use sha2::Digest as _;
use std::collections::BTreeMap;

/// The maps this crate ships, by the name of their file in `maps/` without `.json`.
pub const SHIPPED: [(&str, &[u8]); 1] =
    [("provinces-2025", include_bytes!("../maps/provinces-2025.json"))];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Map {
    pub title: String,
    /// Where the map comes from: the resolution and the list of names and seats.
    pub source: String,
    pub basis: LegalBasis,
    pub effective: Date,
    pub provinces: Vec<NewProvince>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProvince {
    /// The id a new province gets when none of its predecessors continues under its name.
    pub id: UnitId,
    pub name: String,
    /// Where its political and administrative centre sits.
    pub seat: String,
    /// The provinces it is formed from, by name without "Tỉnh" or "Thành phố".
    pub from: Vec<String>,
    /// Earlier names a deployment may still hold one of them by ("Thừa Thiên Huế").
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("the map is not valid JSON of the expected shape: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{name:?} is named as a predecessor twice; a province becomes part of one new one")]
    Twice { name: String },
    #[error("new province {id} is formed from no province")]
    Empty { id: UnitId },
}

impl Map {
    /// Reads and checks a map.
    pub fn parse(bytes: &[u8]) -> Result<Map, MapError> {
        let map: Map = serde_json::from_slice(bytes)?;
        let mut seen = std::collections::BTreeSet::new();
        for p in &map.provinces {
            if p.from.is_empty() {
                return Err(MapError::Empty { id: p.id.clone() });
            }
            for name in &p.from {
                if !seen.insert(short(name)) {
                    return Err(MapError::Twice { name: name.clone() });
                }
            }
        }
        Ok(map)
    }
}

/// A province's name as the map and people say it: without "Tỉnh" or "Thành phố", lower case.
fn short(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let bare = ["tỉnh ", "thành phố ", "tp. "]
        .iter()
        .find_map(|prefix| lower.strip_prefix(prefix))
        .unwrap_or(&lower);
    bare.trim().to_owned()
}

/// The plan being built: the commands, and where each kind and name sits under a unit by now.
struct Plan<'d> {
    d: &'d Directory,
    map: &'d Map,
    commands: Vec<Command>,
    /// `(parent, kind, name)` → the open unit there, as the plan leaves things.
    placed: BTreeMap<(UnitId, UnitKind, String), UnitId>,
}

impl<'d> Plan<'d> {
    fn open_children(&self, unit: &UnitId) -> Vec<&'d Unit> {
        let mut children: Vec<&'d Unit> =
            self.d.children(unit).into_iter().filter(|c| c.ended.is_none()).collect();
        children.sort_by(|a, b| a.id.cmp(&b.id));
        children
    }

    fn move_under(&mut self, unit: &Unit, parent: &UnitId) {
        self.placed.insert((parent.clone(), unit.kind, unit.name.clone()), unit.id.clone());
        self.commands.push(Command::MoveUnit(cmd::MoveUnit {
            unit: unit.id.clone(),
            parent: parent.clone(),
            effective: self.map.effective,
            basis: self.map.basis.clone(),
        }));
    }

    /// A unit the map forms begins on its effective day, by its act.
    fn founding(&self) -> cmd::Founding {
        cmd::Founding { effective: self.map.effective, basis: self.map.basis.clone() }
    }

    fn end(&mut self, unit: &UnitId, how: Ending, successor: &UnitId) {
        self.commands.push(Command::EndUnit(cmd::EndUnit {
            unit: unit.clone(),
            how,
            successor: successor.clone(),
            effective: self.map.effective,
            basis: self.map.basis.clone(),
        }));
    }

    /// `unit` carries on in its namesake under `parent` (the same kind and name, added when
    /// there is none yet): its own units do the same under it, then it ends, merged into it.
    /// Nothing moves, so as true at any day before, every old unit is where it was, with its
    /// history and its ranks.
    fn carry_into(&mut self, unit: &Unit, parent: &UnitId, province: &UnitId) {
        let key = (parent.clone(), unit.kind, unit.name.clone());
        let target = match self.placed.get(&key) {
            Some(same) => same.clone(),
            None => {
                let id = derived_id(province, &unit.id);
                self.placed.insert(key, id.clone());
                self.commands.push(Command::AddUnit(cmd::AddUnit {
                    unit: id.clone(),
                    name: unit.name.clone(),
                    kind: unit.kind,
                    parent: Some(parent.clone()),
                    founded: Some(self.founding()),
                }));
                id
            }
        };
        for child in self.open_children(&unit.id) {
            self.carry_into(child, &target, province);
        }
        self.end(&unit.id, Ending::Merged, &target);
    }

    /// `unit` ends, dissolved into `province`, its own units first.
    fn dissolve(&mut self, unit: &Unit, province: &UnitId) {
        for child in self.open_children(&unit.id) {
            self.dissolve(child, province);
        }
        self.end(&unit.id, Ending::Dissolved, province);
    }

    /// A district ends, dissolved into `province`: its communes move up to the province, its
    /// other units are dissolved into it.
    fn dissolve_district(&mut self, district: &Unit, province: &UnitId) {
        for child in self.open_children(&district.id) {
            match child.kind {
                UnitKind::Commune => self.move_under(child, province),
                _ => self.dissolve(child, province),
            }
        }
        self.end(&district.id, Ending::Dissolved, province);
    }

    /// A predecessor province's units carry on under `successor`, and then it ends.
    fn absorb(&mut self, old: &Unit, successor: &UnitId) {
        for child in self.open_children(&old.id) {
            match child.kind {
                UnitKind::District => self.dissolve_district(child, successor),
                _ => self.carry_into(child, successor, successor),
            }
        }
        self.end(&old.id, Ending::Merged, successor);
    }
}

/// The id of the unit that carries `unit` on in `province`: the province's id before it
/// ("can-tho-st-sgddt"), or a digest of the two when that is too long for an id.
fn derived_id(province: &UnitId, unit: &UnitId) -> UnitId {
    let joined = format!("{province}-{unit}");
    if let Ok(id) = UnitId::new(joined.clone()) {
        return id;
    }
    let digest = sha2::Sha256::digest(joined.as_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    UnitId::new(format!("{province}-{short}")).unwrap_or_else(|_| province.clone())
}

/// The commands that record `map` on the units of `d`.
pub fn plan(d: &Directory, map: &Map) -> Vec<Command> {
    let provinces: BTreeMap<String, &Unit> = d
        .units
        .values()
        .filter(|u| u.parent.is_none() && u.ended.is_none())
        .map(|u| (short(&u.name), u))
        .collect();
    let mut placed = BTreeMap::new();
    for u in d.units.values().filter(|u| u.ended.is_none()) {
        if let Some(parent) = &u.parent {
            placed.insert((parent.clone(), u.kind, u.name.clone()), u.id.clone());
        }
    }
    let mut plan = Plan { d, map, commands: Vec::new(), placed };
    // Each present province, and the province that carries it on.
    let mut successor_of: BTreeMap<UnitId, UnitId> = BTreeMap::new();
    for new in &map.provinces {
        let names = new.from.iter().chain(&new.aliases);
        let present: Vec<&Unit> =
            names.filter_map(|name| provinces.get(&short(name)).copied()).collect();
        if present.is_empty() {
            continue;
        }
        let continuing =
            present.iter().find(|u| u.id == new.id || short(&u.name) == short(&new.name));
        let successor = match continuing {
            Some(u) => {
                if u.name != new.name {
                    plan.commands.push(Command::RenameUnit(cmd::RenameUnit {
                        unit: u.id.clone(),
                        name: new.name.clone(),
                        effective: map.effective,
                        basis: map.basis.clone(),
                    }));
                }
                u.id.clone()
            }
            None => {
                plan.commands.push(Command::AddUnit(cmd::AddUnit {
                    unit: new.id.clone(),
                    name: new.name.clone(),
                    kind: UnitKind::Province,
                    parent: None,
                    founded: Some(plan.founding()),
                }));
                new.id.clone()
            }
        };
        for old in &present {
            successor_of.insert(old.id.clone(), successor.clone());
            if old.id != successor {
                plan.absorb(old, &successor);
            }
        }
    }
    // The districts of the provinces that carry on, and of those the map leaves alone.
    for province in provinces.values() {
        if successor_of.get(&province.id).is_some_and(|s| s != &province.id) {
            continue;
        }
        for child in plan.open_children(&province.id) {
            if child.kind == UnitKind::District {
                plan.dissolve_district(child, &province.id);
            }
        }
    }
    plan.commands
}

#[cfg(test)]
mod tests {
    use super::*;
    use reform_shared::event::Event;
    use reform_shared::testkit::{date, id};

    fn unit(u: &str, name: &str, kind: UnitKind, parent: Option<&str>) -> Event {
        Event::UnitAdded { unit: id(u), name: name.into(), kind, parent: parent.map(id) }
    }

    fn shipped() -> Map {
        Map::parse(include_bytes!("../maps/provinces-2025.json")).expect("the shipped map reads")
    }

    #[test]
    fn the_shipped_map_makes_34_provinces_of_63() {
        let map = shipped();
        assert_eq!(map.provinces.len(), 34);
        assert_eq!(map.provinces.iter().map(|p| p.from.len()).sum::<usize>(), 63);
        assert_eq!(map.effective, date("2025-07-01"));
        assert_eq!(map.basis.document, "202/2025/QH15");
        let can_tho = map.provinces.iter().find(|p| p.id.as_str() == "can-tho").expect("Cần Thơ");
        assert_eq!(can_tho.from, ["Cần Thơ", "Sóc Trăng", "Hậu Giang"]);
    }

    /// Hậu Giang's education department meets Cần Thơ's, which continues: it merges into it,
    /// its division into a new one of the same name there; Cần Thơ's own district is
    /// dissolved too.
    #[test]
    fn a_department_meets_its_namesake_at_a_continuing_province() {
        let mut d = Directory::default();
        for event in [
            unit("can-tho", "Thành phố Cần Thơ", UnitKind::Province, None),
            unit("ct-sgddt", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("can-tho")),
            unit("ct-h1", "Huyện Phong Điền", UnitKind::District, Some("can-tho")),
            unit("hau-giang", "Tỉnh Hậu Giang", UnitKind::Province, None),
            unit("hg-sgddt", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("hau-giang")),
            unit("hg-sgddt-vp", "Văn phòng Sở", UnitKind::Division, Some("hg-sgddt")),
        ] {
            d.apply(&event);
        }
        let said: Vec<String> = plan(&d, &shipped()).iter().map(describe).collect();
        assert_eq!(
            said,
            [
                "add can-tho-hg-sgddt-vp",
                "end hg-sgddt-vp merged into can-tho-hg-sgddt-vp",
                "end hg-sgddt merged into ct-sgddt",
                "end hau-giang merged into can-tho",
                "end ct-h1 dissolved into can-tho",
            ]
        );
    }

    #[test]
    fn a_map_naming_a_province_twice_is_refused() {
        let twice = r#"{"title":"t","source":"s","basis":{"document":"1","date":"2025-06-12"},
            "effective":"2025-07-01","provinces":[
            {"id":"a","name":"Tỉnh A","seat":"A","from":["A","B"]},
            {"id":"c","name":"Tỉnh C","seat":"C","from":["Tỉnh B"]}]}"#;
        assert!(matches!(Map::parse(twice.as_bytes()), Err(MapError::Twice { .. })));
    }

    /// Sóc Trăng (its education department, a division under it, a district with a commune)
    /// joins Cần Thơ, which the deployment does not hold yet.
    #[test]
    fn soc_trang_joins_a_new_can_tho_and_every_command_decides() {
        let mut d = Directory::default();
        for event in [
            unit("soc-trang", "Tỉnh Sóc Trăng", UnitKind::Province, None),
            unit("st-sgddt", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("soc-trang")),
            unit("st-sgddt-vp", "Văn phòng Sở", UnitKind::Division, Some("st-sgddt")),
            unit("st-h1", "Thị xã Vĩnh Châu", UnitKind::District, Some("soc-trang")),
            unit("st-x1", "Phường 1", UnitKind::Commune, Some("st-h1")),
            unit("st-h1-nv", "Phòng Nội vụ", UnitKind::Division, Some("st-h1")),
            unit("ha-noi", "Thành phố Hà Nội", UnitKind::Province, None),
        ] {
            d.apply(&event);
        }
        let commands = plan(&d, &shipped());
        let said: Vec<String> = commands.iter().map(describe).collect();
        assert_eq!(
            said,
            [
                "add can-tho",
                "end st-h1-nv dissolved into can-tho",
                "move st-x1 under can-tho",
                "end st-h1 dissolved into can-tho",
                "add can-tho-st-sgddt",
                "add can-tho-st-sgddt-vp",
                "end st-sgddt-vp merged into can-tho-st-sgddt-vp",
                "end st-sgddt merged into can-tho-st-sgddt",
                "end soc-trang merged into can-tho",
            ]
        );
        // Each is decided in turn on the directory the ones before it left.
        let context = reform_shared::service::Context {
            command_id: id("c"),
            actor: id("admin"),
            occurred_at: reform_shared::time::Timestamp::at_vietnam_noon(date("2025-07-02")),
            occurred_on: date("2025-07-02"),
            recorded_at: reform_shared::time::Timestamp::at_vietnam_noon(date("2025-07-02")),
        };
        for command in &commands {
            let event = command.decide(&d, &context).unwrap_or_else(|e| panic!("{e}"));
            d.apply(&event);
        }
        let parent = |u: &str| d.unit(&id(u)).and_then(|u| u.parent.clone());
        assert_eq!(parent("st-sgddt"), Some(id("soc-trang")), "the old department stays put");
        assert_eq!(parent("can-tho-st-sgddt"), Some(id("can-tho")));
        assert_eq!(parent("st-x1"), Some(id("can-tho")));
        assert!(d.unit(&id("soc-trang")).is_some_and(|u| u.ended.is_some()));
        assert!(plan(&d, &shipped()).is_empty(), "applied, the plan has nothing left to do");
    }

    fn describe(c: &Command) -> String {
        match c {
            Command::AddUnit(c) => format!("add {}", c.unit),
            Command::MoveUnit(c) => format!("move {} under {}", c.unit, c.parent),
            Command::EndUnit(c) => {
                format!("end {} {} into {}", c.unit, c.how.as_str(), c.successor)
            }
            Command::RenameUnit(c) => format!("rename {} {}", c.unit, c.name),
            other => format!("{other:?}"),
        }
    }
}
