//! Events as the command services append them, for tests of anything that reads the log (the
//! projector's views, the rollups' reports): one vocabulary for every crate's tests.

use crate::event::{Event, Role, Stage, UnitKind};
use crate::points::Points;
use crate::testkit::{date, id};

pub fn unit(u: &str, name: &str, kind: UnitKind, parent: Option<&str>) -> Event {
    Event::UnitAdded { unit: id(u), name: name.into(), kind, parent: parent.map(id) }
}

pub fn person(p: &str, name: &str, title: &str) -> Event {
    Event::PersonRegistered { person: id(p), name: name.into(), title: title.into() }
}

/// The person's test key ([`crate::testkit::key_of`]), registered.
pub fn key(p: &str) -> Event {
    Event::KeyRegistered { person: id(p), key: crate::testkit::key_of(p).public_key() }
}

/// An installation's first administrator, with their test key.
pub fn genesis(p: &str) -> Event {
    Event::Genesis {
        person: id(p),
        name: format!("Quản trị {p}"),
        title: "Quản trị hệ thống".into(),
        key: crate::testkit::key_of(p).public_key(),
        from: date("2010-01-01"),
    }
}

/// Access granted from 2010, at a unit for staff and appraisers.
pub fn grant(p: &str, access: crate::event::Access, unit: Option<&str>) -> Event {
    Event::AccessGranted { person: id(p), access, unit: unit.map(id), from: date("2010-01-01") }
}

pub fn appoint(t: &str, u: &str, p: &str, role: Role, from: &str) -> Event {
    Event::LeaderAppointed { tenure: id(t), unit: id(u), person: id(p), role, from: date(from) }
}

pub fn left(t: &str, u: &str, p: &str, role: Role, to: &str) -> Event {
    Event::TenureEnded { tenure: id(t), unit: id(u), person: id(p), role, to: date(to) }
}

pub fn assign(t: &str, u: &str, title: &str, due: &str) -> Event {
    Event::TaskAssigned {
        task: id(t),
        unit: id(u),
        person: None,
        plan: None,
        title: title.into(),
        target: "Hoàn thành đúng hạn".into(),
        due: date(due),
        criterion: None,
        assigned_by: id("nguyen-a"),
    }
}

pub fn complete(t: &str, u: &str) -> Event {
    Event::TaskCompleted { task: id(t), unit: id(u), note: "Đã hoàn thành".into() }
}

pub fn cancel(t: &str, u: &str) -> Event {
    Event::TaskCancelled { task: id(t), unit: id(u), reason: "Không còn phù hợp".into() }
}

pub fn deadline(t: &str, u: &str, old: &str, new: &str) -> Event {
    Event::DeadlineChanged {
        task: id(t),
        unit: id(u),
        old_due: date(old),
        new_due: date(new),
        reason: "Gia hạn theo đề nghị".into(),
    }
}

pub fn score(u: &str, year: u16, code: &str, stage: Stage, old: Option<u32>, new: u32) -> Event {
    Event::ScoreChanged {
        unit: id(u),
        year,
        criterion: id(code),
        stage,
        old: old.map(Points),
        new: Points(new),
        reason: "Theo kết quả chấm điểm".into(),
        evidence: Vec::new(),
        by: id("hoi-dong"),
    }
}

/// `u` merges into `into` on `effective`, by the 2025 resolution.
pub fn merged(u: &str, into: &str, effective: &str) -> Event {
    Event::UnitEnded {
        unit: id(u),
        how: crate::event::Ending::Merged,
        successor: id(into),
        effective: date(effective),
        basis: crate::event::LegalBasis {
            document: "202/2025/QH15".into(),
            date: date("2025-06-12"),
        },
    }
}

pub fn reassign(t: &str, from: &str, to: &str) -> Event {
    Event::TaskReassigned {
        task: id(t),
        unit: id(to),
        from_unit: id(from),
        person: None,
        reason: "Giao lại cho phòng".into(),
    }
}

pub fn evidence(e: &str, u: &str, criterion: Option<&str>, document_date: &str) -> Event {
    Event::EvidenceAttached {
        evidence: id(e),
        unit: id(u),
        task: None,
        criterion: criterion.map(id),
        title: format!("Tài liệu {e}"),
        document_number: "1264/BC-SGDĐT".into(),
        document_date: date(document_date),
        sha256: [7; 32],
        size_bytes: 1024,
        media_type: "application/pdf".into(),
        object_key: "07".repeat(32),
    }
}

pub fn reject(e: &str, u: &str) -> Event {
    Event::EvidenceRejected {
        evidence: id(e), unit: id(u), reason: "Không đúng tiêu chí".into()
    }
}

/// The worked example of `docs/views.md`: department `sgd`, head `a` until 1 July 2016 and `b`
/// from then on, tasks t1 to t5 as the table there has them, each event at its business date.
pub fn worked_example() -> Vec<(&'static str, Event)> {
    vec![
        ("2016-01-01", unit("sgd", "Sở Giáo dục và Đào tạo", UnitKind::Department, None)),
        ("2016-01-01", person("a", "Nguyễn Văn A", "Giám đốc")),
        ("2016-01-01", person("b", "Trần Thị B", "Giám đốc")),
        ("2016-01-01", appoint("ten-a", "sgd", "a", Role::Head, "2016-01-01")),
        ("2016-01-10", assign("t1", "sgd", "Rà soát thủ tục", "2016-03-31")),
        ("2016-02-01", assign("t2", "sgd", "Một cửa liên thông", "2016-06-30")),
        ("2016-03-01", assign("t3", "sgd", "Báo cáo quý", "2016-06-15")),
        ("2016-03-31", complete("t1", "sgd")),
        ("2016-07-01", left("ten-a", "sgd", "a", Role::Head, "2016-07-01")),
        ("2016-07-01", appoint("ten-b", "sgd", "b", Role::Head, "2016-07-01")),
        ("2016-07-05", complete("t2", "sgd")),
        ("2016-08-01", assign("t4", "sgd", "Chính quyền điện tử", "2016-09-30")),
        ("2016-08-15", assign("t5", "sgd", "Khảo sát", "2016-12-31")),
        ("2016-09-01", cancel("t5", "sgd")),
        ("2016-09-20", deadline("t4", "sgd", "2016-09-30", "2016-10-31")),
        ("2016-10-15", complete("t4", "sgd")),
    ]
}
