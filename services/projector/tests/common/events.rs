//! Events as the command services append them, for the projector's unit tests (which include
//! this file by path) and its integration tests (through `common`): one vocabulary for both.
#![allow(dead_code)]

use reform_shared::event::{Event, Stage};
use reform_shared::points::Points;
use reform_shared::testkit::{date, id};

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
