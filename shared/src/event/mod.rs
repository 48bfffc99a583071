//! The events of the whole domain: what happened, named in the past tense.
//!
//! These types are the wire format (postcard, positional). Once released, a type's fields and
//! variants are never reordered or removed; a change is a new schema version with an upcast
//! from the old one (see [`crate::codec`] and [`v1`]). Golden bytes of every released version
//! live in `shared/tests/golden/`.

pub mod v1;
pub mod v2;

use crate::ids::{
    CriterionCode, EvidenceId, FindingId, PersonId, PlanId, TaskId, TenureId, UnitId,
};
use crate::points::Points;
use crate::time::Date;
use serde::{Deserialize, Serialize};

// Enums of names (`named_enum!`, `crate::names`) serialise as their `as_str` text in JSON;
// postcard writes variant indices, so the names never reach the log.

use crate::named_enum;
pub use crate::names::NameError;

named_enum! {
    /// What kind of body a unit is; a peer group is the units of one kind under one parent.
    pub enum UnitKind ("unit kind") {
        /// Tỉnh: the province itself.
        Province = "province", "Tỉnh", "Province";
        /// Sở: a department of the provincial People's Committee.
        Department = "department", "Sở, ban, ngành", "Departments and agencies";
        /// UBND huyện / thị xã / thành phố: a district-level People's Committee.
        District = "district", "UBND cấp huyện", "District People's Committees";
        /// Phòng: a division inside a department or district.
        Division = "division", "Phòng", "Division";
        /// Đơn vị sự nghiệp công lập: a school, centre or other public-service unit.
        PublicServiceUnit = "public-service-unit", "Đơn vị sự nghiệp", "Public-service unit";
        /// UBND xã / phường / thị trấn: a commune-level People's Committee.
        Commune = "commune", "UBND cấp xã", "Commune People's Committees";
    }
}

named_enum! {
    /// A leader's role at a unit.
    pub enum Role ("role") {
        /// Người đứng đầu: the head, personally accountable for the unit's result.
        Head = "head", "người đứng đầu", "head";
        /// Phó ... phụ trách CCHC: the deputy put in charge of administrative reform.
        ReformDeputy = "reform-deputy", "lãnh đạo phụ trách CCHC", "deputy in charge of reform";
    }
}

named_enum! {
    /// What a person may do besides leading a unit ([`Role`]): the roles of the access table
    /// (`docs/security.md`). A head or reform deputy draws their rights from their tenure; these
    /// are granted by an administrator.
    pub enum Access ("access") {
        /// Quản trị: keeps the directory, the keys and the scoring frameworks.
        Administrator = "administrator", "quản trị hệ thống", "system administrator";
        /// Cán bộ, công chức of a unit: reports progress and attaches evidence on its tasks.
        Staff = "staff", "cán bộ, công chức", "staff";
        /// Thẩm định: held at the appraising unit (Sở Nội vụ); appraised and final scores of the
        /// units it appraises.
        Appraiser = "appraiser", "thẩm định", "appraiser";
        /// Kiểm tra, giám sát: reads everything, changes nothing.
        Auditor = "auditor", "kiểm tra, giám sát", "auditor";
        /// Bảo vệ dữ liệu cá nhân: erases an evidence document's content that holds personal
        /// data, on a legal basis (Law on Personal Data Protection, in force since 2026).
        DataProtection = "data-protection", "bảo vệ dữ liệu cá nhân", "data protection";
    }
}

named_enum! {
    /// How a unit stops being one (Resolution 202/2025/QH15 and the decisions that followed it).
    pub enum Ending ("ending") {
        /// Sáp nhập: merged into its successor, which carries on.
        Merged = "merged", "sáp nhập", "merged";
        /// Chia tách: split; its successor takes what is not given to another unit.
        Split = "split", "chia tách", "split";
        /// Giải thể: dissolved; its successor takes what it left open.
        Dissolved = "dissolved", "giải thể", "dissolved";
    }
}

/// The legal document a change of the state's structure follows: its number and its date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    /// E.g. "202/2025/QH15".
    pub document: String,
    pub date: Date,
}

impl Access {
    /// Whether the access is held at a unit (staff, appraiser) or across the whole system.
    pub fn at_a_unit(self) -> bool {
        matches!(self, Access::Staff | Access::Appraiser)
    }
}

named_enum! {
    /// The eight component fields of the PAR INDEX (Chỉ số CCHC), in the methodology's order.
    pub enum Component ("component field") {
        /// Công tác chỉ đạo, điều hành.
        DirectionAndManagement = "direction-and-management", "Công tác chỉ đạo, điều hành", "Direction and management";
        /// Cải cách thể chế.
        InstitutionalReform = "institutional-reform", "Cải cách thể chế", "Institutional reform";
        /// Cải cách thủ tục hành chính.
        AdministrativeProcedures = "administrative-procedures", "Cải cách thủ tục hành chính", "Administrative procedures";
        /// Cải cách tổ chức bộ máy.
        Organisation = "organisation", "Cải cách tổ chức bộ máy", "Organisation of the apparatus";
        /// Cải cách chế độ công vụ.
        CivilService = "civil-service", "Cải cách chế độ công vụ", "Civil service";
        /// Cải cách tài chính công.
        PublicFinance = "public-finance", "Cải cách tài chính công", "Public finance";
        /// Xây dựng, phát triển Chính phủ điện tử, Chính phủ số.
        EGovernment = "e-government", "Xây dựng Chính phủ điện tử, Chính phủ số", "E-government, digital government";
        /// Tác động của CCHC đến người dân, tổ chức và phát triển kinh tế - xã hội.
        ImpactOnPeople = "impact-on-people", "Tác động đến người dân, tổ chức", "Impact on people and organisations";
    }
}

named_enum! {
    /// The stage a score belongs to.
    pub enum Stage ("stage") {
        /// Tự đánh giá: the unit's own score.
        SelfAssessed = "self-assessed", "Tự đánh giá", "Self-assessed";
        /// Thẩm định: the appraisal council's score.
        Appraised = "appraised", "Thẩm định", "Appraised";
        /// The final score, after appraisal and survey.
        Final = "final", "Kết quả cuối cùng", "Final";
    }
}

named_enum! {
    /// A reporting period of a year, in the order a year closes them.
    pub enum PeriodKind ("period kind") {
        /// Quý I: 1 January to 31 March.
        Q1 = "q1", "Quý I", "First quarter";
        /// 6 tháng: 1 January to 30 June.
        H1 = "h1", "6 tháng đầu năm", "First half";
        /// Quý III: 1 January to 30 September (the report covers nine months).
        Q3 = "q3", "9 tháng (quý III)", "Nine months (Q3)";
        /// Năm: the whole year.
        Year = "year", "Năm", "Year";
    }
}

/// One reporting period: a kind in a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Period {
    pub year: u16,
    pub kind: PeriodKind,
}

impl PeriodKind {
    /// The month and day the period ends on.
    fn last_day(self) -> (u32, u32) {
        match self {
            PeriodKind::Q1 => (3, 31),
            PeriodKind::H1 => (6, 30),
            PeriodKind::Q3 => (9, 30),
            PeriodKind::Year => (12, 31),
        }
    }
}

impl Period {
    /// Every period runs from 1 January of its year (Q3 and the year report cumulatively).
    pub fn first_day(self) -> crate::time::Date {
        crate::time::Date::from_ymd(i32::from(self.year), 1, 1)
            .unwrap_or(crate::time::Date(chrono::NaiveDate::MIN))
    }

    /// The period's last day, inclusive.
    pub fn last_day(self) -> crate::time::Date {
        let (month, day) = self.kind.last_day();
        crate::time::Date::from_ymd(i32::from(self.year), month, day)
            .unwrap_or(crate::time::Date(chrono::NaiveDate::MAX))
    }

    /// The instant the period closes: midnight at the end of its last day, in Vietnam time.
    pub fn closes_at(self) -> crate::time::Timestamp {
        let next = self.last_day().succ().unwrap_or(self.last_day());
        crate::time::Timestamp::at_vietnam_midnight(next)
    }

    /// The periods of a year, in closing order.
    pub fn of_year(year: u16) -> [Period; 4] {
        PeriodKind::ALL.map(|kind| Period { year, kind })
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.year, self.kind.as_str())
    }
}

/// Text that is not a period (`2016-q1`, `2016-h1`, `2016-q3`, `2016-year`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a period: write YEAR-q1, YEAR-h1, YEAR-q3 or YEAR-year, e.g. 2016-q3")]
pub struct PeriodParseError(pub String);

impl std::str::FromStr for Period {
    type Err = PeriodParseError;
    fn from_str(text: &str) -> Result<Self, PeriodParseError> {
        let bad = || PeriodParseError(text.to_owned());
        let (year, kind) = text.split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(Period {
            year: year.parse().map_err(|_| bad())?,
            kind: kind.parse().map_err(|_| bad())?,
        })
    }
}

/// One criterion of a published scoring framework.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub code: CriterionCode,
    pub component: Component,
    pub title: String,
    pub max_points: Points,
    /// Measured by the sociological survey: units do not self-assess it.
    pub survey_measured: bool,
}

/// A SHA-256 digest.
pub type Sha256 = [u8; 32];

/// Everything that can happen. One command appends exactly one event in one message, so a
/// command is durable in one synced write and its id de-duplicates exactly one thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    // --- directory ---
    UnitAdded {
        unit: UnitId,
        /// The Vietnamese name with diacritics, e.g. "Sở Giáo dục và Đào tạo".
        name: String,
        kind: UnitKind,
        parent: Option<UnitId>,
    },
    PersonRegistered {
        person: PersonId,
        name: String,
        /// Position as people say it, e.g. "Giám đốc Sở".
        title: String,
    },
    /// A tenure begins on the event's business date, or on `from` when recorded later.
    LeaderAppointed {
        tenure: TenureId,
        unit: UnitId,
        person: PersonId,
        role: Role,
        from: Date,
    },
    /// A tenure ends: `to` is the first day the person no longer holds the role. Recorded by
    /// the `EndTenure` command (`reformctl leader end`). Called `LeaderLeft` before: its
    /// position in the enum, which is what the log stores, is unchanged, and the old name is
    /// still read from JSON. Messages appended before carry the `Par-Event` header
    /// `leader-left`.
    #[serde(alias = "LeaderLeft")]
    TenureEnded {
        tenure: TenureId,
        unit: UnitId,
        person: PersonId,
        role: Role,
        to: Date,
    },

    // --- plans and tasks ---
    PlanIssued {
        plan: PlanId,
        unit: UnitId,
        year: u16,
        /// E.g. "96/KH-SGDĐT".
        document_number: String,
        title: String,
    },
    TaskAssigned {
        task: TaskId,
        unit: UnitId,
        person: Option<PersonId>,
        plan: Option<PlanId>,
        title: String,
        /// The expected result (kết quả), one of the "5 rõ".
        target: String,
        due: Date,
        criterion: Option<CriterionCode>,
        assigned_by: PersonId,
    },
    TaskReassigned {
        task: TaskId,
        /// The unit the task belongs to from now on.
        unit: UnitId,
        from_unit: UnitId,
        person: Option<PersonId>,
        reason: String,
    },
    DeadlineChanged {
        task: TaskId,
        unit: UnitId,
        old_due: Date,
        new_due: Date,
        reason: String,
    },
    ProgressReported {
        task: TaskId,
        unit: UnitId,
        percent: u8,
        note: String,
    },
    TaskCompleted {
        task: TaskId,
        unit: UnitId,
        note: String,
    },
    TaskCancelled {
        task: TaskId,
        unit: UnitId,
        reason: String,
    },
    /// An inspection finding; it opens the remediation task named here, due by `remediation_due`.
    FindingRecorded {
        finding: FindingId,
        unit: UnitId,
        /// The inspection's document number, e.g. "45/KH-SLĐTBXH".
        inspection_document: String,
        text: String,
        remediation_task: TaskId,
        remediation_due: Date,
    },

    // --- evidence ---
    EvidenceAttached {
        evidence: EvidenceId,
        unit: UnitId,
        task: Option<TaskId>,
        criterion: Option<CriterionCode>,
        title: String,
        /// E.g. "1264/BC-SGDĐT".
        document_number: String,
        document_date: Date,
        sha256: Sha256,
        size_bytes: u64,
        media_type: String,
        /// The object's name in the evidence bucket: the digest in hex.
        object_key: String,
    },
    EvidenceRejected {
        evidence: EvidenceId,
        unit: UnitId,
        reason: String,
    },

    // --- scoring ---
    FrameworkPublished {
        year: u16,
        unit_kind: UnitKind,
        /// E.g. "QĐ 876/QĐ-BNV".
        source: String,
        criteria: Vec<Criterion>,
    },
    ScoreChanged {
        unit: UnitId,
        year: u16,
        criterion: CriterionCode,
        stage: Stage,
        old: Option<Points>,
        new: Points,
        reason: String,
        evidence: Vec<EvidenceId>,
        by: PersonId,
    },

    // --- rollups ---
    PeriodRolledUp {
        period: Period,
        /// SHA-256 of the report's canonical JSON.
        report_sha256: Sha256,
        /// The last stream sequence the report covers.
        through_sequence: u64,
    },

    // --- identity and access (schema v3; appended, so older bytes keep their indices) ---
    /// The installation's first administrator, from the operator's explicit genesis step:
    /// registers the person, their key and the administrator access at once. Appended once.
    Genesis {
        person: PersonId,
        name: String,
        title: String,
        /// The administrator's public key (an nkeys user key, `U…`).
        key: String,
        from: Date,
    },
    /// A person's public key (nkeys user key, `U…`); valid for their signatures from here on
    /// in the log until revoked.
    KeyRegistered {
        person: PersonId,
        key: String,
    },
    KeyRevoked {
        person: PersonId,
        key: String,
        reason: String,
    },
    /// Access held over `[from, …)`; at a unit for staff and appraisers.
    AccessGranted {
        person: PersonId,
        access: Access,
        unit: Option<UnitId>,
        from: Date,
    },
    /// The access ends: `to` is the first day it is no longer held.
    AccessWithdrawn {
        person: PersonId,
        access: Access,
        unit: Option<UnitId>,
        to: Date,
    },

    // --- tasks, later shapes (appended: a variant's place is its wire form) ---
    /// A finding whose remediation task is "5 rõ": its person, its expected result and the
    /// leader or inspector who gave it, beside what [`Event::FindingRecorded`] holds. Every
    /// finding dated from the tasks service's `PERSON_REQUIRED_FROM` on takes this shape; the
    /// first one is still read, never written for such a date.
    FindingRecordedV2 {
        finding: FindingId,
        unit: UnitId,
        inspection_document: String,
        text: String,
        remediation_task: TaskId,
        remediation_due: Date,
        person: PersonId,
        /// The remediation's expected result (kết quả).
        target: String,
        assigned_by: PersonId,
    },

    // --- identity, passkeys (appended) ---
    /// An administrator lets a person enrol a passkey: whoever shows the code whose digest
    /// this is ([`crate::passkey::enrolment_digest`]) may enrol one, as that person, through
    /// the day `until`. The code itself is never in the log.
    EnrolmentOpened {
        person: PersonId,
        code_digest: String,
        until: Date,
    },
    /// A person's passkey (`webauthn:…`), enrolled with an open enrolment's code and signed by
    /// the passkey itself; it signs for them from here on in the log until revoked.
    PasskeyEnrolled {
        person: PersonId,
        key: String,
        code_digest: String,
    },
    /// A unit stops on `effective`, its first day without it: merged into `successor`, split, or
    /// dissolved. On that day its open tasks are carried to the successor with their whole
    /// history, and its leaders' tenures end. Reassigning a carried task to another successor
    /// is an ordinary reassignment.
    UnitEnded {
        unit: UnitId,
        how: Ending,
        successor: UnitId,
        effective: Date,
        basis: LegalBasis,
    },
    /// A unit bears `name` from `effective` on.
    UnitRenamed {
        unit: UnitId,
        name: String,
        effective: Date,
        basis: LegalBasis,
    },
    /// A unit sits under `parent` from `effective` on (a commune moved from its district to
    /// the province when the districts ended).
    UnitMoved {
        unit: UnitId,
        parent: UnitId,
        effective: Date,
        basis: LegalBasis,
    },
    /// A unit established by a legal act and in existence from `effective` (a province or a
    /// department a restructuring formed). Unlike [`Event::UnitAdded`], which records a unit
    /// that has long existed, it says when the unit began: no view counts it in a year that
    /// ended before, and no change of it may take effect before.
    UnitFounded {
        unit: UnitId,
        name: String,
        kind: UnitKind,
        parent: Option<UnitId>,
        effective: Date,
        basis: LegalBasis,
    },
    /// A person's title (chức danh) from `effective` on: a head who leads the successor of a
    /// merged unit, a promotion. What a register shows beside what they did before that day
    /// keeps the title they had then.
    PersonRetitled {
        person: PersonId,
        title: String,
        effective: Date,
    },
    /// An evidence document's content made unreadable for good: the key it was stored under
    /// is destroyed. The log keeps what it always kept (title, number, digest, size), so
    /// every proof over it still holds; every evidence id naming the same content loses it
    /// too, as the content is stored once.
    EvidenceErased {
        evidence: EvidenceId,
        unit: UnitId,
        sha256: Sha256,
        /// Why the law requires it, e.g. "Điều 16 Luật Bảo vệ dữ liệu cá nhân; đơn ngày
        /// 02/12/2026 của người có dữ liệu".
        legal_basis: String,
        /// The other evidence ids that name the same content, which is gone for them too.
        others: Vec<EvidenceId>,
    },
}

named_enum! {
    /// The families of events; each is one token of the subject, so a consumer can filter by it.
    pub enum Family ("event family") {
        Directory = "directory";
        Tasks = "tasks";
        Evidence = "evidence";
        Scoring = "scoring";
        Rollup = "rollup";
    }
}

impl Event {
    /// The event's type name, stable across versions, as tools and logs show it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::UnitAdded { .. } => "unit-added",
            Event::PersonRegistered { .. } => "person-registered",
            Event::PersonRetitled { .. } => "person-retitled",
            Event::LeaderAppointed { .. } => "leader-appointed",
            Event::TenureEnded { .. } => "tenure-ended",
            Event::PlanIssued { .. } => "plan-issued",
            Event::TaskAssigned { .. } => "task-assigned",
            Event::TaskReassigned { .. } => "task-reassigned",
            Event::DeadlineChanged { .. } => "deadline-changed",
            Event::ProgressReported { .. } => "progress-reported",
            Event::TaskCompleted { .. } => "task-completed",
            Event::TaskCancelled { .. } => "task-cancelled",
            Event::FindingRecorded { .. } | Event::FindingRecordedV2 { .. } => "finding-recorded",
            Event::EvidenceAttached { .. } => "evidence-attached",
            Event::EvidenceRejected { .. } => "evidence-rejected",
            Event::EvidenceErased { .. } => "evidence-erased",
            Event::FrameworkPublished { .. } => "framework-published",
            Event::ScoreChanged { .. } => "score-changed",
            Event::PeriodRolledUp { .. } => "period-rolled-up",
            Event::Genesis { .. } => "genesis",
            Event::KeyRegistered { .. } => "key-registered",
            Event::KeyRevoked { .. } => "key-revoked",
            Event::AccessGranted { .. } => "access-granted",
            Event::AccessWithdrawn { .. } => "access-withdrawn",
            Event::EnrolmentOpened { .. } => "enrolment-opened",
            Event::PasskeyEnrolled { .. } => "passkey-enrolled",
            Event::UnitEnded { .. } => "unit-ended",
            Event::UnitRenamed { .. } => "unit-renamed",
            Event::UnitMoved { .. } => "unit-moved",
            Event::UnitFounded { .. } => "unit-founded",
        }
    }

    pub fn family(&self) -> Family {
        match self {
            Event::UnitAdded { .. }
            | Event::PersonRegistered { .. }
            | Event::PersonRetitled { .. }
            | Event::LeaderAppointed { .. }
            | Event::TenureEnded { .. }
            | Event::Genesis { .. }
            | Event::KeyRegistered { .. }
            | Event::KeyRevoked { .. }
            | Event::AccessGranted { .. }
            | Event::AccessWithdrawn { .. }
            | Event::EnrolmentOpened { .. }
            | Event::PasskeyEnrolled { .. }
            | Event::UnitEnded { .. }
            | Event::UnitRenamed { .. }
            | Event::UnitMoved { .. }
            | Event::UnitFounded { .. } => Family::Directory,
            Event::PlanIssued { .. }
            | Event::TaskAssigned { .. }
            | Event::TaskReassigned { .. }
            | Event::DeadlineChanged { .. }
            | Event::ProgressReported { .. }
            | Event::TaskCompleted { .. }
            | Event::TaskCancelled { .. }
            | Event::FindingRecorded { .. }
            | Event::FindingRecordedV2 { .. } => Family::Tasks,
            Event::EvidenceAttached { .. }
            | Event::EvidenceRejected { .. }
            | Event::EvidenceErased { .. } => Family::Evidence,
            Event::FrameworkPublished { .. } | Event::ScoreChanged { .. } => Family::Scoring,
            Event::PeriodRolledUp { .. } => Family::Rollup,
        }
    }

    /// The unit the event is about, if it is about one.
    pub fn unit(&self) -> Option<&UnitId> {
        match self {
            Event::UnitAdded { unit, .. }
            | Event::UnitEnded { unit, .. }
            | Event::UnitRenamed { unit, .. }
            | Event::UnitMoved { unit, .. }
            | Event::UnitFounded { unit, .. }
            | Event::LeaderAppointed { unit, .. }
            | Event::TenureEnded { unit, .. }
            | Event::PlanIssued { unit, .. }
            | Event::TaskAssigned { unit, .. }
            | Event::TaskReassigned { unit, .. }
            | Event::DeadlineChanged { unit, .. }
            | Event::ProgressReported { unit, .. }
            | Event::TaskCompleted { unit, .. }
            | Event::TaskCancelled { unit, .. }
            | Event::FindingRecorded { unit, .. }
            | Event::FindingRecordedV2 { unit, .. }
            | Event::EvidenceAttached { unit, .. }
            | Event::EvidenceRejected { unit, .. }
            | Event::EvidenceErased { unit, .. }
            | Event::ScoreChanged { unit, .. } => Some(unit),
            Event::AccessGranted { unit, .. } | Event::AccessWithdrawn { unit, .. } => {
                unit.as_ref()
            }
            Event::Genesis { .. }
            | Event::KeyRegistered { .. }
            | Event::KeyRevoked { .. }
            | Event::EnrolmentOpened { .. }
            | Event::PasskeyEnrolled { .. } => None,
            Event::PersonRegistered { .. }
            | Event::PersonRetitled { .. }
            | Event::FrameworkPublished { .. }
            | Event::PeriodRolledUp { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenure_ended_under_its_old_name_still_reads() {
        let old = r#"{"LeaderLeft":{"tenure":"t-a","unit":"sgd","person":"a","role":"head","to":"2016-07-01"}}"#;
        let event: Event = serde_json::from_str(old).expect("the old name reads");
        assert!(matches!(event, Event::TenureEnded { .. }));
        assert_eq!(event.type_name(), "tenure-ended");
        let now = serde_json::to_string(&event).expect("json");
        assert!(now.starts_with(r#"{"TenureEnded":"#), "{now}");
    }

    #[test]
    fn json_names_are_the_cli_names() {
        for kind in UnitKind::ALL {
            assert_eq!(serde_json::to_value(kind).ok(), Some(kind.as_str().into()));
        }
        for role in Role::ALL {
            assert_eq!(serde_json::to_value(role).ok(), Some(role.as_str().into()));
        }
        for component in Component::ALL {
            assert_eq!(serde_json::to_value(component).ok(), Some(component.as_str().into()));
        }
        for access in Access::ALL {
            assert_eq!(serde_json::to_value(access).ok(), Some(access.as_str().into()));
            assert_eq!(access.as_str().parse::<Access>(), Ok(access));
        }
        for stage in Stage::ALL {
            assert_eq!(serde_json::to_value(stage).ok(), Some(stage.as_str().into()));
            assert_eq!(stage.as_str().parse::<Stage>(), Ok(stage));
        }
        let error = "draft".parse::<Stage>().expect_err("not a stage");
        assert_eq!(
            error.to_string(),
            "\"draft\" is not a stage; use one of: self-assessed, appraised, final"
        );
    }
}
