//! The directory service on the shared runtime: the [`Decider`] glue between the pure state
//! ([`crate::decide`]) and the commands ([`crate::cmd`]), which both sit below it.

use crate::cmd::Command;
use crate::decide::{Refusal, State};
use reform_shared::directory::Directory;
use reform_shared::envelope::Record;
use reform_shared::event::Event;
use reform_shared::service::{Context, Decider};

impl Decider for State {
    type Command = Command;
    type Refusal = Refusal;
    type Services = ();
    const NAME: &'static str = crate::NAME;
    const DIRECTORY_RULES: Option<reform_shared::audit::decided::DirectoryRules> =
        Some(crate::rules);
    const DESCRIPTION: &'static str =
        "Directory of the reform tracker: units, people and leader tenures";

    /// Directory rules read across aggregates (tenure ids are unique across units; the
    /// bootstrap rule depends on the directory being empty), and directory changes are rare,
    /// so they are decided one per batch round.
    fn key_it_registers<'c>(&self, command: &'c Command) -> Option<&'c str> {
        match command {
            Command::EnrolPasskey(c) => Some(&c.key),
            _ => None,
        }
    }

    fn batch_keys(&self, _event: &Event) -> Vec<String> {
        vec!["directory".to_owned()]
    }

    fn directory(&self) -> &Directory {
        &self.directory
    }

    fn apply(&mut self, record: &Record) {
        self.directory.apply(&record.envelope.event);
    }

    fn decide(&self, command: &Command, context: &Context) -> Result<Event, Refusal> {
        command.decide(&self.directory, context)
    }
}

#[cfg(test)]
mod tests {
    //! Given these events, when this command, then this event or this refusal.
    use super::*;
    use crate::cmd;
    use crate::decide::*;
    use reform_shared::event::UnitKind;
    use reform_shared::event::{Access, Role};

    use reform_shared::testkit::{date, id, when};

    fn given(events: &[Event]) -> State {
        let mut state = State::default();
        events.iter().for_each(|e| state.directory.apply(e));
        state
    }

    fn person(p: &str) -> Event {
        Event::PersonRegistered { person: id(p), name: format!("Ông {p}"), title: String::new() }
    }

    fn sgd() -> Event {
        Event::UnitAdded {
            unit: id("sgd"),
            name: "Sở GD&ĐT".into(),
            kind: UnitKind::Department,
            parent: None,
        }
    }

    #[test]
    fn keys_are_checked_unique_and_revoked_once() {
        let key = nkeys::KeyPair::new_user().public_key();
        let mut state = given(&[person("a")]);
        let register = |p: &str, k: &str| {
            Command::RegisterKey(cmd::RegisterKey { person: id(p), key: k.into() })
        };
        let seed = nkeys::KeyPair::new_user().seed().expect("seed");
        assert!(matches!(
            when(&state, "a", "2016-01-01", register("a", &seed)),
            Err(Refusal::BadKey { .. })
        ));
        assert!(matches!(
            when(&state, "a", "2016-01-01", register("z", &key)),
            Err(Refusal::UnknownPerson { .. })
        ));
        let event = when(&state, "a", "2016-01-01", register("a", &key)).expect("registers");
        state.directory.apply(&event);
        assert!(matches!(
            when(&state, "a", "2016-01-01", register("a", &key)),
            Err(Refusal::KeyExists { .. })
        ));
        let revoke = |reason: &str| {
            Command::RevokeKey(cmd::RevokeKey {
                person: id("a"),
                key: key.clone(),
                reason: reason.into(),
            })
        };
        assert!(matches!(when(&state, "a", "2016-01-01", revoke(" ")), Err(Refusal::EmptyReason)));
        state
            .directory
            .apply(&when(&state, "a", "2016-01-01", revoke("mất máy")).expect("revokes"));
        assert!(matches!(
            when(&state, "a", "2016-01-01", revoke("again")),
            Err(Refusal::KeyAlreadyRevoked { .. })
        ));
    }

    #[test]
    fn access_at_a_unit_names_its_unit_and_is_granted_once() {
        let mut state = given(&[person("a"), sgd()]);
        let grant = |access, unit: Option<&str>| {
            Command::GrantAccess(cmd::GrantAccess {
                person: id("a"),
                access,
                unit: unit.map(id),
                from: None,
            })
        };
        assert!(matches!(
            when(&state, "a", "2016-01-01", grant(Access::Staff, None)),
            Err(Refusal::UnitNeeded { .. })
        ));
        assert!(matches!(
            when(&state, "a", "2016-01-01", grant(Access::Auditor, Some("sgd"))),
            Err(Refusal::NoUnitWanted { .. })
        ));
        let event =
            when(&state, "a", "2016-01-01", grant(Access::Staff, Some("sgd"))).expect("grants");
        state.directory.apply(&event);
        assert!(matches!(
            when(&state, "a", "2016-02-01", grant(Access::Staff, Some("sgd"))),
            Err(Refusal::AlreadyGranted { .. })
        ));
        let withdraw = |to: &str| {
            Command::WithdrawAccess(cmd::WithdrawAccess {
                person: id("a"),
                access: Access::Staff,
                unit: Some(id("sgd")),
                to: Some(date(to)),
            })
        };
        assert!(matches!(
            when(&state, "a", "2016-01-01", withdraw("2016-01-01")),
            Err(Refusal::WithdrawNotAfterGrant { .. })
        ));
        state
            .directory
            .apply(&when(&state, "a", "2016-03-01", withdraw("2016-03-01")).expect("ends"));
        assert!(!state.directory.holds(
            &id("a"),
            Access::Staff,
            Some(&id("sgd")),
            date("2016-03-01")
        ));
        assert!(state.directory.holds(
            &id("a"),
            Access::Staff,
            Some(&id("sgd")),
            date("2016-02-28")
        ));
    }

    #[test]
    fn an_appointment_overlapping_an_open_tenure_is_refused_and_one_after_its_end_accepted() {
        let head = |t: &str, p: &str, from: Option<&str>| {
            Command::AppointLeader(cmd::AppointLeader {
                tenure: id(t),
                unit: id("sgd"),
                person: id(p),
                role: Role::Head,
                from: from.map(date),
            })
        };
        let mut state = given(&[person("a"), person("b"), sgd()]);
        let first = when(&state, "a", "2016-01-01", head("t-a", "a", None)).expect("first head");
        state.directory.apply(&first);
        let refusal = when(&state, "a", "2016-07-01", head("t-b", "b", None)).expect_err("overlap");
        assert!(
            refusal.to_string().contains("sgd") && refusal.to_string().contains(" a "),
            "{refusal}"
        );
        state.directory.apply(&Event::TenureEnded {
            tenure: id("t-a"),
            unit: id("sgd"),
            person: id("a"),
            role: Role::Head,
            to: date("2016-07-01"),
        });
        assert!(when(&state, "a", "2016-07-01", head("t-b", "b", Some("2016-07-01"))).is_ok());
        let early = when(&state, "a", "2016-07-01", head("t-c", "b", Some("2016-06-30")));
        assert!(matches!(early, Err(Refusal::Overlap { .. })));
    }

    #[test]
    fn a_tenure_ends_only_after_it_began() {
        let mut state = given(&[person("a"), sgd()]);
        state.directory.apply(&Event::LeaderAppointed {
            tenure: id("t-a"),
            unit: id("sgd"),
            person: id("a"),
            role: Role::Head,
            from: date("2016-01-01"),
        });
        let end =
            |to: &str| Command::EndTenure(cmd::EndTenure { tenure: id("t-a"), to: Some(date(to)) });
        assert!(matches!(
            when(&state, "a", "2016-01-01", end("2016-01-01")),
            Err(Refusal::EndNotAfterStart { .. })
        ));
        assert!(when(&state, "a", "2016-01-01", end("2016-01-02")).is_ok());
    }

    fn open(person: &str, code: &str, until: &str) -> Command {
        Command::OpenEnrolment(cmd::OpenEnrolment {
            person: id(person),
            code_digest: reform_shared::passkey::enrolment_digest(code),
            until: date(until),
        })
    }

    fn enrol(person: &str, code: &str, key: &str) -> Command {
        Command::EnrolPasskey(cmd::EnrolPasskey {
            person: id(person),
            code: code.into(),
            key: key.into(),
        })
    }

    #[test]
    fn an_enrolment_is_opened_for_a_person_for_at_most_thirty_days() {
        let state = given(&[person("a")]);
        let opened = when(&state, "admin", "2026-12-06", open("a", "K7QM-2XRT", "2026-12-13"));
        assert!(matches!(opened, Ok(Event::EnrolmentOpened { .. })), "{opened:?}");
        let nobody = when(&state, "admin", "2026-12-06", open("x", "K7QM-2XRT", "2026-12-13"));
        assert!(matches!(nobody, Err(Refusal::UnknownPerson { .. })));
        let long = when(&state, "admin", "2026-12-06", open("a", "K7QM-2XRT", "2027-01-06"));
        assert!(matches!(long, Err(Refusal::EnrolmentDays { days: 30, .. })));
        let past = when(&state, "admin", "2026-12-06", open("a", "K7QM-2XRT", "2026-12-05"));
        assert!(matches!(past, Err(Refusal::EnrolmentDays { .. })));
        let mut raw = cmd::OpenEnrolment {
            person: id("a"),
            code_digest: "K7QM".into(),
            until: date("2026-12-13"),
        };
        let bad = when(&state, "admin", "2026-12-06", Command::OpenEnrolment(raw.clone()));
        assert!(matches!(bad, Err(Refusal::BadCodeDigest { .. })));
        raw.code_digest = reform_shared::passkey::enrolment_digest("K7QM-2XRT").to_uppercase();
        let upper = when(&state, "admin", "2026-12-06", Command::OpenEnrolment(raw));
        assert!(matches!(upper, Err(Refusal::BadCodeDigest { .. })), "one spelling of a digest");
    }

    #[test]
    fn a_code_enrols_one_passkey_of_its_person_before_it_expires() {
        let passkey = reform_shared::testkit::passkey::SoftPasskey::es256("cchc.vn", "a");
        let mut state = given(&[person("a"), person("b")]);
        let opened = when(&state, "admin", "2026-12-06", open("a", "K7QM-2XRT", "2026-12-13"))
            .expect("opened");
        state.directory.apply(&opened);
        let other = when(&state, "b", "2026-12-07", enrol("b", "K7QM-2XRT", &passkey.key));
        assert!(matches!(other, Err(Refusal::UnknownCode { .. })), "the code is a's");
        let wrong = when(&state, "a", "2026-12-07", enrol("a", "K7QM-2XRX", &passkey.key));
        assert!(matches!(wrong, Err(Refusal::UnknownCode { .. })));
        let late = when(&state, "a", "2026-12-14", enrol("a", "K7QM-2XRT", &passkey.key));
        assert!(matches!(late, Err(Refusal::CodeExpired { .. })));
        let nkey = reform_shared::testkit::key_of("a").public_key();
        let not_passkey = when(&state, "a", "2026-12-07", enrol("a", "K7QM-2XRT", &nkey));
        assert!(matches!(not_passkey, Err(Refusal::BadPasskey { .. })));
        let typed = enrol("a", "k7qm 2xrt", &passkey.key);
        let enrolled = when(&state, "a", "2026-12-13", typed).expect("enrolled on its last day");
        assert!(matches!(&enrolled, Event::PasskeyEnrolled { key, .. } if key == &passkey.key));
        state.directory.apply(&enrolled);
        state.directory.check_signer(&id("a"), &passkey.key).expect("the passkey signs for a");
        let again = reform_shared::testkit::passkey::SoftPasskey::es256("cchc.vn", "b");
        let used = when(&state, "a", "2026-12-08", enrol("a", "K7QM-2XRT", &again.key));
        assert!(matches!(used, Err(Refusal::CodeUsed { .. })));
    }

    fn unit(u: &str, kind: UnitKind, parent: Option<&str>) -> Event {
        Event::UnitAdded {
            unit: id(u), name: format!("Đơn vị {u}"), kind, parent: parent.map(id)
        }
    }

    /// Two provinces, each with an education department; a district of the first with a
    /// commune; the first department's head in office.
    fn provinces() -> State {
        given(&[
            person("a"),
            person("h"),
            unit("st", UnitKind::Province, None),
            unit("ct", UnitKind::Province, None),
            unit("st-sgd", UnitKind::Department, Some("st")),
            unit("ct-sgd", UnitKind::Department, Some("ct")),
            unit("st-h1", UnitKind::District, Some("st")),
            unit("st-x1", UnitKind::Commune, Some("st-h1")),
            Event::LeaderAppointed {
                tenure: id("t-h"),
                unit: id("st-sgd"),
                person: id("h"),
                role: Role::Head,
                from: date("2020-01-01"),
            },
        ])
    }

    fn basis() -> reform_shared::event::LegalBasis {
        reform_shared::event::LegalBasis {
            document: " 202/2025/QH15 ".into(),
            date: date("2025-06-12"),
        }
    }

    fn end(u: &str, how: reform_shared::event::Ending, into: &str, effective: &str) -> Command {
        Command::EndUnit(cmd::EndUnit {
            unit: id(u),
            how,
            successor: id(into),
            effective: date(effective),
            basis: basis(),
        })
    }

    fn move_to(u: &str, parent: &str) -> Command {
        Command::MoveUnit(cmd::MoveUnit {
            unit: id(u),
            parent: id(parent),
            effective: date("2025-07-01"),
            basis: basis(),
        })
    }

    #[test]
    fn a_merged_unit_ends_on_its_day_with_its_leaders_and_is_done_with() {
        use reform_shared::event::Ending::Merged;
        let mut state = provinces();
        let merged = when(&state, "a", "2025-07-02", end("st-sgd", Merged, "ct-sgd", "2025-07-01"))
            .expect("merges");
        let Event::UnitEnded { basis, .. } = &merged else { panic!("{merged:?}") };
        assert_eq!(basis.document, "202/2025/QH15", "the document's number, trimmed");
        state.directory.apply(&merged);
        let ended = state.directory.unit(&id("st-sgd")).and_then(|u| u.ended.clone());
        assert_eq!(ended.map(|e| (e.on, e.successor)), Some((date("2025-07-01"), id("ct-sgd"))));
        let tenure = &state.directory.tenures[&id("t-h")];
        assert_eq!(tenure.to, Some(date("2025-07-01")), "her tenure ends with the unit");
        assert!(state.directory.open_unit(&id("st-sgd"), date("2025-06-30")).is_some());
        assert!(state.directory.open_unit(&id("st-sgd"), date("2025-07-01")).is_none());
        let again = when(&state, "a", "2025-07-02", end("st-sgd", Merged, "ct-sgd", "2025-07-01"));
        assert!(matches!(again, Err(Refusal::UnitEnded { .. })), "{again:?}");
        let into_ended =
            when(&state, "a", "2025-07-02", end("st-h1", Merged, "st-sgd", "2025-07-01"));
        assert!(matches!(into_ended, Err(Refusal::UnitEnded { .. })), "{into_ended:?}");
    }

    #[test]
    fn a_restructuring_that_would_lose_something_is_refused() {
        use reform_shared::event::Ending::{Dissolved, Merged};
        let state = provinces();
        let refused =
            |on: &str, command: Command| when(&state, "a", on, command).expect_err("refused");
        let on = "2025-07-02";
        assert_eq!(
            refused(on, end("st-sgd", Merged, "st-sgd", "2025-07-01")),
            Refusal::OwnSuccessor { unit: id("st-sgd") }
        );
        assert!(matches!(
            refused(on, end("st-sgd", Merged, "nowhere", "2025-07-01")),
            Refusal::UnknownUnit { .. }
        ));
        assert!(matches!(
            refused(on, end("st-sgd", Merged, "ct", "2025-07-01")),
            Refusal::SuccessorKind { .. }
        ));
        assert!(matches!(
            refused(on, end("st-h1", Merged, "st-x1", "2025-07-01")),
            Refusal::SuccessorBelow { .. }
        ));
        let st = refused(on, end("st", Merged, "ct", "2025-07-01"));
        assert!(matches!(st, Refusal::UnitsRemainBelow { more: 1, .. }), "{st:?}");
        let future = refused("2025-06-30", end("st-sgd", Merged, "ct-sgd", "2025-07-01"));
        assert!(matches!(future, Refusal::EffectiveInFuture { .. }), "{future:?}");
        let early = refused("2025-06-11", end("st-sgd", Merged, "ct-sgd", "2025-06-01"));
        assert!(matches!(early, Refusal::BasisInFuture { .. }), "{early:?}");
        let mut unfounded = end("st-sgd", Merged, "ct-sgd", "2025-07-01");
        if let Command::EndUnit(c) = &mut unfounded {
            c.basis.document = "  ".into();
        }
        assert!(matches!(refused(on, unfounded), Refusal::NoBasis { .. }));
        // A district dissolved hands its work to its province, once its communes moved.
        assert!(matches!(
            refused(on, end("st-h1", Dissolved, "st", "2025-07-01")),
            Refusal::UnitsRemainBelow { more: 0, .. }
        ));
    }

    #[test]
    fn a_commune_moves_to_its_province_and_its_district_is_dissolved() {
        use reform_shared::event::Ending::Dissolved;
        let mut state = provinces();
        let on = "2025-07-02";
        assert!(matches!(
            when(&state, "a", on, move_to("st", "ct")),
            Err(Refusal::RootStays { .. })
        ));
        assert!(matches!(
            when(&state, "a", on, move_to("st-x1", "st-h1")),
            Err(Refusal::SameParent { .. })
        ));
        assert!(matches!(
            when(&state, "a", on, move_to("st-h1", "st-x1")),
            Err(Refusal::UnderItself { .. })
        ));
        let moved = when(&state, "a", on, move_to("st-x1", "st")).expect("moves");
        state.directory.apply(&moved);
        assert_eq!(
            state.directory.unit(&id("st-x1")).and_then(|u| u.parent.clone()),
            Some(id("st"))
        );
        let dissolved = when(&state, "a", on, end("st-h1", Dissolved, "st", "2025-07-01"));
        assert!(matches!(dissolved, Ok(Event::UnitEnded { .. })), "{dissolved:?}");
        let rename = |name: &str| {
            Command::RenameUnit(cmd::RenameUnit {
                unit: id("st-x1"),
                name: name.into(),
                effective: date("2025-07-01"),
                basis: basis(),
            })
        };
        let renamed = when(&state, "a", on, rename("Phường Mỹ Xuyên")).expect("renames");
        state.directory.apply(&renamed);
        assert_eq!(
            state.directory.unit(&id("st-x1")).map(|u| u.name.as_str()),
            Some("Phường Mỹ Xuyên")
        );
        assert!(matches!(
            when(&state, "a", on, rename("Phường Mỹ Xuyên ")),
            Err(Refusal::SameName { .. })
        ));
    }

    /// A unit's changes are recorded in the order they take effect: once Cần Thơ's department
    /// took in Sóc Trăng's on 1 July, it cannot be recorded as merged away in March, nor a
    /// commune moved on 1 July be renamed from June.
    #[test]
    fn a_change_before_one_already_recorded_is_refused() {
        use reform_shared::event::Ending::Merged;
        let mut state = provinces();
        let on = "2025-07-02";
        let merged = when(&state, "a", on, end("st-sgd", Merged, "ct-sgd", "2025-07-01"));
        state.directory.apply(&merged.expect("merges"));
        let early = when(&state, "a", on, end("ct-sgd", Merged, "st-sgd", "2025-03-01"));
        let Err(Refusal::BeforeEarlierChange { unit, effective, earlier }) = early else {
            panic!("{early:?}")
        };
        assert_eq!(
            (unit, effective, earlier),
            (id("ct-sgd"), date("2025-03-01"), date("2025-07-01"))
        );
        let moved = when(&state, "a", on, move_to("st-x1", "st")).expect("moves");
        state.directory.apply(&moved);
        let rename = Command::RenameUnit(cmd::RenameUnit {
            unit: id("st-x1"),
            name: "Phường Mỹ Xuyên".into(),
            effective: date("2025-06-01"),
            basis: basis(),
        });
        let renamed = when(&state, "a", on, rename);
        assert!(matches!(renamed, Err(Refusal::BeforeEarlierChange { .. })), "{renamed:?}");
        let said = Refusal::BeforeEarlierChange {
            unit: id("ct-sgd"),
            effective: date("2025-03-01"),
            earlier: date("2025-07-01"),
        };
        assert!(said.to_string().contains("before a change of it already recorded"), "{said}");
    }
}
