//! The directory as every service sees it: units and their parents, people, and leader
//! tenures. Built by applying directory events; answers "does this unit exist", "who held this
//! role here on that day" and "is this person a leader of this unit or an ancestor".
//!
//! Pure: no I/O, no clock. Iteration is over `BTreeMap`s, so anything derived is deterministic.

use crate::event::{Access, Ending, Event, LegalBasis, Role, UnitKind};
use crate::ids::{PersonId, TenureId, UnitId};
use crate::time::Date;
use std::collections::BTreeMap;
use std::convert::Infallible;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub name: String,
    pub kind: UnitKind,
    pub parent: Option<UnitId>,
    /// When and how it stopped, and who carries on; `None` while it exists.
    #[serde(default)]
    pub ended: Option<Ended>,
    /// The effective day of the latest restructuring that changed it (founded it, renamed it,
    /// moved it, or merged another unit into it): no later change of it may take effect
    /// before.
    #[serde(default)]
    pub changed: Option<Date>,
}

/// A unit's end ([`Event::UnitEnded`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ended {
    /// The first day without it.
    pub on: Date,
    pub how: Ending,
    pub successor: UnitId,
    /// The document that decided it.
    pub basis: LegalBasis,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub name: String,
    pub title: String,
}

/// A person holding a role at a unit over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tenure {
    pub id: TenureId,
    pub unit: UnitId,
    pub person: PersonId,
    pub role: Role,
    pub from: Date,
    /// The first day they no longer hold it; `None` while in office.
    pub to: Option<Date>,
}

impl Tenure {
    /// Whether the tenure covers `day`; the day they leave belongs to the successor.
    pub fn covers(&self, day: Date) -> bool {
        self.from <= day && self.to.is_none_or(|to| day < to)
    }
}

/// A registered public key and whose it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Key {
    pub person: PersonId,
    /// Why it was revoked; `None` while it is valid.
    pub revoked: Option<String>,
}

/// A person's leave to enrol a passkey with a code ([`Event::EnrolmentOpened`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Enrolment {
    pub person: PersonId,
    /// The last day the code may be used.
    pub until: Date,
    /// The passkey it enrolled, once used: a code enrols one passkey.
    pub used_by: Option<String>,
}

/// Access held by a person over `[from, to)`, at a unit for staff and appraisers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Grant {
    pub person: PersonId,
    pub access: Access,
    pub unit: Option<UnitId>,
    pub from: Date,
    pub to: Option<Date>,
}

impl Grant {
    pub fn covers(&self, day: Date) -> bool {
        self.from <= day && self.to.is_none_or(|to| day < to)
    }
}

/// Why a key may not sign for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, strum::VariantNames)]
#[serde(tag = "code", rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum SignerError {
    #[error(
        "key {key} is not registered for anyone; an administrator registers it with \
         `reformctl key register --person {actor} --public-key {key}`"
    )]
    UnknownKey { key: String, actor: PersonId },
    #[error("key {key} belongs to {owner}, not to {actor}, who is named as acting")]
    OtherPerson { key: String, owner: PersonId, actor: PersonId },
    #[error("key {key} of {actor} was revoked ({reason}); sign with a valid key")]
    Revoked { key: String, actor: PersonId, reason: String },
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Directory {
    pub units: BTreeMap<UnitId, Unit>,
    pub people: BTreeMap<PersonId, Person>,
    pub tenures: BTreeMap<TenureId, Tenure>,
    /// Every key ever registered, by its public key text.
    pub keys: BTreeMap<String, Key>,
    /// Every grant, in log order.
    pub grants: Vec<Grant>,
    /// Every enrolment opened, by its code's digest.
    pub enrolments: BTreeMap<String, Enrolment>,
    /// The first administrator, once the genesis step has run.
    pub genesis: Option<PersonId>,
}

impl Directory {
    /// Applies a directory event; other events are ignored. Cannot fail: the deciding service
    /// A restructuring effective on `on` changed `unit`.
    fn changed(&mut self, unit: &UnitId, on: Date) {
        if let Some(u) = self.units.get_mut(unit) {
            u.changed = Some(u.changed.map_or(on, |was| was.max(on)));
        }
    }

    /// checked the event before it was appended.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::UnitAdded { unit, name, kind, parent }
            | Event::UnitFounded { unit, name, kind, parent, .. } => {
                // A founding is the unit's first change: none of it may take effect before.
                let changed = match event {
                    Event::UnitFounded { effective, .. } => Some(*effective),
                    _ => None,
                };
                let value = Unit {
                    id: unit.clone(),
                    name: name.clone(),
                    kind: *kind,
                    parent: parent.clone(),
                    ended: None,
                    changed,
                };
                self.units.insert(unit.clone(), value);
            }
            Event::UnitEnded { unit, how, successor, effective, basis } => {
                if let Some(u) = self.units.get_mut(unit) {
                    let (successor, on, basis) = (successor.clone(), *effective, basis.clone());
                    u.ended = Some(Ended { on, how: *how, successor, basis });
                }
                self.changed(successor, *effective);
                // Its leaders answer for it up to its last day.
                for t in self.tenures.values_mut().filter(|t| &t.unit == unit) {
                    t.to = Some(t.to.map_or(*effective, |to| to.min(*effective)));
                }
            }
            Event::UnitRenamed { unit, name, effective, .. } => {
                if let Some(u) = self.units.get_mut(unit) {
                    u.name = name.clone();
                }
                self.changed(unit, *effective);
            }
            Event::UnitMoved { unit, parent, effective, .. } => {
                if let Some(u) = self.units.get_mut(unit) {
                    u.parent = Some(parent.clone());
                }
                self.changed(unit, *effective);
            }
            Event::PersonRegistered { person, name, title } => {
                let value = Person { id: person.clone(), name: name.clone(), title: title.clone() };
                self.people.insert(person.clone(), value);
            }
            // The title recorded last: what the directory answers now. The views keep each
            // with its day.
            Event::PersonRetitled { person, title, .. } => {
                if let Some(p) = self.people.get_mut(person) {
                    p.title = title.clone();
                }
            }
            Event::LeaderAppointed { tenure, unit, person, role, from } => {
                let value = Tenure {
                    id: tenure.clone(),
                    unit: unit.clone(),
                    person: person.clone(),
                    role: *role,
                    from: *from,
                    to: None,
                };
                self.tenures.insert(tenure.clone(), value);
            }
            Event::TenureEnded { tenure, to, .. } => {
                if let Some(t) = self.tenures.get_mut(tenure) {
                    t.to = Some(*to);
                }
            }
            Event::Genesis { person, name, title, key, from } => {
                let value = Person { id: person.clone(), name: name.clone(), title: title.clone() };
                self.people.insert(person.clone(), value);
                self.keys.insert(key.clone(), Key { person: person.clone(), revoked: None });
                self.grants.push(Grant {
                    person: person.clone(),
                    access: Access::Administrator,
                    unit: None,
                    from: *from,
                    to: None,
                });
                self.genesis = Some(person.clone());
            }
            Event::KeyRegistered { person, key } => {
                self.keys.insert(key.clone(), Key { person: person.clone(), revoked: None });
            }
            Event::EnrolmentOpened { person, code_digest, until } => {
                let value = Enrolment { person: person.clone(), until: *until, used_by: None };
                self.enrolments.insert(code_digest.clone(), value);
            }
            Event::PasskeyEnrolled { person, key, code_digest } => {
                self.keys.insert(key.clone(), Key { person: person.clone(), revoked: None });
                if let Some(e) = self.enrolments.get_mut(code_digest) {
                    e.used_by = Some(key.clone());
                }
            }
            Event::KeyRevoked { key, reason, .. } => {
                if let Some(k) = self.keys.get_mut(key) {
                    k.revoked = Some(reason.clone());
                }
            }
            Event::AccessGranted { person, access, unit, from } => self.grants.push(Grant {
                person: person.clone(),
                access: *access,
                unit: unit.clone(),
                from: *from,
                to: None,
            }),
            Event::AccessWithdrawn { person, access, unit, to } => {
                if let Some(g) = self.open_grant_mut(person, *access, unit.as_ref()) {
                    g.to = Some(*to);
                }
            }
            _ => {}
        }
    }

    pub fn unit(&self, id: &UnitId) -> Option<&Unit> {
        self.units.get(id)
    }

    pub fn person(&self, id: &PersonId) -> Option<&Person> {
        self.people.get(id)
    }

    /// `unit` if it exists on `day`: added, and not ended on or before it.
    pub fn open_unit(&self, id: &UnitId, day: Date) -> Option<&Unit> {
        self.units.get(id).filter(|u| u.ended.as_ref().is_none_or(|e| day < e.on))
    }

    /// The unit and its ancestors, nearest first ([`crate::tree::lineage`]).
    pub fn lineage(&self, id: &UnitId) -> Vec<&Unit> {
        let parent = |u: &UnitId| Ok::<_, Infallible>(self.units.get(u).map(|u| u.parent.clone()));
        let Ok(ids) = crate::tree::lineage(parent, id);
        ids.iter().filter_map(|u| self.units.get(u)).collect()
    }

    /// Whether `ancestor` is `unit` itself or above it.
    pub fn is_within(&self, unit: &UnitId, ancestor: &UnitId) -> bool {
        self.lineage(unit).iter().any(|u| &u.id == ancestor)
    }

    /// Tenures of a role at a unit, in order of start.
    pub fn tenures_at(&self, unit: &UnitId, role: Role) -> Vec<&Tenure> {
        let mut out: Vec<&Tenure> =
            self.tenures.values().filter(|t| &t.unit == unit && t.role == role).collect();
        out.sort_by(|a, b| (a.from, &a.id).cmp(&(b.from, &b.id)));
        out
    }

    /// Who held `role` at `unit` on `day`.
    pub fn holder(&self, unit: &UnitId, role: Role, day: Date) -> Option<&Tenure> {
        self.tenures_at(unit, role).into_iter().find(|t| t.covers(day))
    }

    /// The tenure by which `person` leads `unit` on `day`: a head or reform deputy of the unit
    /// or of one of its ancestors. Leaders above a unit may direct its tasks.
    pub fn leads_on(&self, person: &PersonId, unit: &UnitId, day: Date) -> Option<&Tenure> {
        self.lineage(unit).into_iter().find_map(|u| {
            self.tenures.values().find(|t| &t.person == person && t.unit == u.id && t.covers(day))
        })
    }

    /// Whether `key` may sign for `actor` now: registered to them and not revoked.
    pub fn check_signer(&self, actor: &PersonId, key: &str) -> Result<(), SignerError> {
        let Some(k) = self.keys.get(key) else {
            return Err(SignerError::UnknownKey { key: key.to_owned(), actor: actor.clone() });
        };
        if &k.person != actor {
            return Err(SignerError::OtherPerson {
                key: key.to_owned(),
                owner: k.person.clone(),
                actor: actor.clone(),
            });
        }
        match &k.revoked {
            Some(reason) => Err(SignerError::Revoked {
                key: key.to_owned(),
                actor: actor.clone(),
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }

    /// The keys of a person, in key order, with whether each is still valid.
    pub fn keys_of(&self, person: &PersonId) -> Vec<(&str, &Key)> {
        self.keys
            .iter()
            .filter(|(_, k)| &k.person == person)
            .map(|(t, k)| (t.as_str(), k))
            .collect()
    }

    /// The grant of `access` (at `unit`) that `person` holds with no end yet.
    pub fn open_grant(
        &self,
        person: &PersonId,
        access: Access,
        unit: Option<&UnitId>,
    ) -> Option<&Grant> {
        self.grants.iter().find(|g| {
            &g.person == person && g.access == access && g.unit.as_ref() == unit && g.to.is_none()
        })
    }

    fn open_grant_mut(
        &mut self,
        person: &PersonId,
        access: Access,
        unit: Option<&UnitId>,
    ) -> Option<&mut Grant> {
        self.grants.iter_mut().find(|g| {
            &g.person == person && g.access == access && g.unit.as_ref() == unit && g.to.is_none()
        })
    }

    /// Whether `person` holds `access` (at exactly `unit`, for access held at a unit) on `day`.
    pub fn holds(
        &self,
        person: &PersonId,
        access: Access,
        unit: Option<&UnitId>,
        day: Date,
    ) -> bool {
        self.grants.iter().any(|g| {
            &g.person == person && g.access == access && g.unit.as_ref() == unit && g.covers(day)
        })
    }

    /// Whether `person` leads `unit` itself (not a unit above it) on `day`.
    pub fn leads_itself(&self, person: &PersonId, unit: &UnitId, day: Date) -> bool {
        self.tenures.values().any(|t| &t.person == person && &t.unit == unit && t.covers(day))
    }

    /// Whether `person` appraises `unit` on `day`: they hold the appraiser access at a unit
    /// whose parent's tree holds `unit`. The province's Sở Nội vụ appraises every unit of the
    /// province, itself included, as the provincial appraisal council does.
    pub fn appraises(&self, person: &PersonId, unit: &UnitId, day: Date) -> bool {
        self.grants.iter().any(|g| {
            let Some(at) = g.unit.as_ref() else { return false };
            if &g.person != person || g.access != Access::Appraiser || !g.covers(day) {
                return false;
            }
            let scope = self.unit(at).and_then(|u| u.parent.clone()).unwrap_or_else(|| at.clone());
            self.is_within(unit, &scope)
        })
    }

    /// The units directly under `unit`, by id.
    pub fn children(&self, unit: &UnitId) -> Vec<&Unit> {
        self.units.values().filter(|u| u.parent.as_ref() == Some(unit)).collect()
    }
}

/// The directory as a tree for the shared walks ([`crate::tree::below`]): children in id order.
impl crate::tree::Tree for &Directory {
    type Error = Infallible;

    fn children(&mut self, parent: &UnitId) -> Result<Vec<UnitId>, Infallible> {
        Ok(Directory::children(self, parent).into_iter().map(|u| u.id.clone()).collect())
    }

    fn kind(&mut self, unit: &UnitId) -> Result<Option<UnitKind>, Infallible> {
        Ok(self.unit(unit).map(|u| u.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{date, id};

    fn sample() -> Directory {
        let mut d = Directory::default();
        let events = [
            Event::UnitAdded {
                unit: id("st"),
                name: "Tỉnh Sóc Trăng".into(),
                kind: UnitKind::Province,
                parent: None,
            },
            Event::UnitAdded {
                unit: id("sgd"),
                name: "Sở GD&ĐT".into(),
                kind: UnitKind::Department,
                parent: Some(id("st")),
            },
            Event::UnitAdded {
                unit: id("sgd-vp"),
                name: "Văn phòng Sở".into(),
                kind: UnitKind::Division,
                parent: Some(id("sgd")),
            },
            Event::LeaderAppointed {
                tenure: id("t-a"),
                unit: id("sgd"),
                person: id("a"),
                role: Role::Head,
                from: date("2016-01-01"),
            },
            Event::TenureEnded {
                tenure: id("t-a"),
                unit: id("sgd"),
                person: id("a"),
                role: Role::Head,
                to: date("2016-07-01"),
            },
            Event::LeaderAppointed {
                tenure: id("t-b"),
                unit: id("sgd"),
                person: id("b"),
                role: Role::Head,
                from: date("2016-07-01"),
            },
        ];
        events.iter().for_each(|e| d.apply(e));
        d
    }

    #[test]
    fn the_leaving_day_belongs_to_the_successor() {
        let d = sample();
        let holder =
            |day| d.holder(&id("sgd"), Role::Head, date(day)).map(|t| t.person.to_string());
        assert_eq!(holder("2016-06-30").as_deref(), Some("a"));
        assert_eq!(holder("2016-07-01").as_deref(), Some("b"));
        assert_eq!(holder("2015-12-31"), None);
    }

    #[test]
    fn a_leader_of_a_department_leads_its_divisions() {
        let d = sample();
        assert!(d.leads_on(&id("b"), &id("sgd-vp"), date("2016-08-01")).is_some());
        assert!(d.leads_on(&id("a"), &id("sgd-vp"), date("2016-08-01")).is_none());
        assert!(d.is_within(&id("sgd-vp"), &id("st")));
        assert!(!d.is_within(&id("st"), &id("sgd")));
    }
}
