//! Shared by the projector's integration tests: events as the command services append them,
//! the scenario of the issue, and running the projector in-process or as a process.
#![allow(dead_code)]

use reform_projector::queries;
use reform_shared::event::{Component, Criterion, Event, Role, Stage, UnitKind};
use reform_shared::points::Points;
use reform_shared::testkit::{date, eventually, id, Broker};
use std::path::Path;
use std::time::Duration;

// Not every test file uses every helper.
#[allow(unused_imports)]
pub use reform_shared::testkit::append_all;
#[allow(unused_imports)]
pub use reform_shared::testkit::events::*;

/// How long a test waits for the projector to catch up before failing.
pub const CATCH_UP_DEADLINE: Duration = Duration::from_secs(60);

pub fn criterion(code: &str, component: Component, title: &str, max: u32) -> Criterion {
    Criterion {
        code: id(code),
        component,
        title: title.into(),
        max_points: Points(max),
        survey_measured: false,
    }
}

/// The 2016 department framework of the scenario: maximum total 40.00.
pub fn framework_2016() -> Event {
    Event::FrameworkPublished {
        year: 2016,
        unit_kind: UnitKind::Department,
        source: "QĐ 2071/QĐ-UBND".into(),
        criteria: vec![
            criterion("1.1", Component::DirectionAndManagement, "Kế hoạch CCHC", 1000),
            criterion("1.2", Component::DirectionAndManagement, "Báo cáo CCHC", 500),
            criterion("2.1", Component::InstitutionalReform, "Văn bản QPPL", 1000),
            criterion("3.1", Component::AdministrativeProcedures, "Thủ tục hành chính", 1500),
        ],
    }
}

/// The scenario, in the order it reaches the stream (some facts recorded late): a
/// department (sgd) with two divisions, head A (nguyen-a) until 2016-07-01 and then head B
/// (tran-b, whose appointment is recorded late), tasks on time, late, left overdue and
/// cancelled, a finding, scores in three stages, and three peer departments to rank against.
pub fn scenario() -> Vec<(&'static str, Event)> {
    use Stage::{Appraised, Final, SelfAssessed};
    let dept = UnitKind::Department;
    vec![
        ("2015-01-01", unit("st", "Tỉnh Sóc Trăng", UnitKind::Province, None)),
        ("2015-01-01", unit("sgd", "Sở Giáo dục và Đào tạo", dept, Some("st"))),
        ("2015-01-01", unit("snv", "Sở Nội vụ", dept, Some("st"))),
        ("2015-01-01", unit("sldtbxh", "Sở Lao động - Thương binh và Xã hội", dept, Some("st"))),
        ("2015-01-01", unit("syt", "Sở Y tế", dept, Some("st"))),
        ("2015-01-01", unit("sgd-vp", "Văn phòng Sở", UnitKind::Division, Some("sgd"))),
        ("2015-01-01", unit("sgd-tccb", "Phòng Tổ chức cán bộ", UnitKind::Division, Some("sgd"))),
        ("2015-01-01", person("nguyen-a", "Nguyễn Văn An", "Giám đốc Sở")),
        ("2015-01-01", person("tran-b", "Trần Thị Bình", "Giám đốc Sở")),
        ("2016-01-01", appoint("ten-a", "sgd", "nguyen-a", Role::Head, "2016-01-01")),
        ("2016-01-01", framework_2016()),
        // Last year's final scores, for the change of rank.
        ("2016-02-20", score("sgd", 2015, "1.1", Final, None, 1000)),
        ("2016-02-20", score("sgd", 2015, "2.1", Final, None, 1000)),
        ("2016-02-20", score("sgd", 2015, "3.1", Final, None, 1000)),
        ("2016-02-20", score("snv", 2015, "1.1", Final, None, 800)),
        ("2016-02-20", score("snv", 2015, "2.1", Final, None, 1000)),
        ("2016-02-20", score("snv", 2015, "3.1", Final, None, 1000)),
        ("2016-02-20", score("sldtbxh", 2015, "1.1", Final, None, 1000)),
        ("2016-02-20", score("sldtbxh", 2015, "2.1", Final, None, 1000)),
        ("2016-02-20", score("sldtbxh", 2015, "3.1", Final, None, 1100)),
        ("2016-01-10", assign("t1", "sgd", "Ban hành kế hoạch CCHC năm 2016", "2016-03-31")),
        ("2016-02-01", assign("t2", "sgd-vp", "Rà soát thủ tục hành chính", "2016-06-30")),
        ("2016-03-01", assign("t3", "sgd", "Báo cáo CCHC 6 tháng", "2016-06-15")),
        ("2016-03-15", evidence("e1", "sgd", Some("1.1"), "2016-03-15")),
        ("2016-03-31", complete("t1", "sgd")),
        ("2016-06-20", evidence("e2", "sgd", Some("1.1"), "2016-06-20")),
        ("2016-07-05", complete("t2", "sgd-vp")),
        // A's departure and B's appointment are recorded after B's first facts.
        ("2016-07-01", left("ten-a", "sgd", "nguyen-a", Role::Head, "2016-07-01")),
        ("2016-07-01", appoint("ten-b", "sgd", "tran-b", Role::Head, "2016-07-01")),
        ("2016-07-20", evidence("e3", "sgd", Some("2.1"), "2016-07-20")),
        ("2016-08-01", reject("e3", "sgd")),
        ("2016-08-01", assign("t4", "sgd-tccb", "Kiện toàn tổ chức bộ máy", "2016-09-30")),
        ("2016-08-15", assign("t5", "sgd", "Hội thi CCHC", "2016-12-31")),
        ("2016-09-01", cancel("t5", "sgd")),
        (
            "2016-09-10",
            Event::FindingRecorded {
                finding: id("f1"),
                unit: id("sgd"),
                inspection_document: "45/KH-SNV".into(),
                text: "Chưa niêm yết thủ tục hành chính tại bộ phận một cửa".into(),
                remediation_task: id("r1"),
                remediation_due: date("2016-11-30"),
            },
        ),
        ("2016-09-20", deadline("t4", "sgd-tccb", "2016-09-30", "2016-10-31")),
        ("2016-10-01", evidence("e4", "sgd", None, "2016-10-01")),
        ("2016-11-05", evidence("e5", "sgd-vp", Some("1.2"), "2016-11-05")),
        ("2016-10-15", complete("t4", "sgd-tccb")),
        ("2016-12-10", complete("r1", "sgd")),
        ("2016-12-15", score("sgd", 2016, "1.1", SelfAssessed, None, 900)),
        ("2016-12-15", score("sgd", 2016, "1.2", SelfAssessed, None, 450)),
        ("2016-12-15", score("sgd", 2016, "2.1", SelfAssessed, None, 800)),
        ("2016-12-15", score("sgd", 2016, "3.1", SelfAssessed, None, 1400)),
        ("2017-01-20", score("sgd", 2016, "1.1", Appraised, None, 850)),
        ("2017-01-20", score("sgd", 2016, "1.2", Appraised, None, 400)),
        ("2017-01-20", score("sgd", 2016, "2.1", Appraised, None, 700)),
        ("2017-02-25", score("sgd", 2016, "1.1", Final, None, 850)),
        ("2017-02-25", score("sgd", 2016, "1.2", Final, None, 400)),
        ("2017-02-25", score("sgd", 2016, "2.1", Final, None, 750)),
        ("2017-02-25", score("sgd", 2016, "3.1", Final, None, 1325)),
        ("2017-03-05", score("sgd", 2016, "2.1", Final, Some(750), 700)),
        ("2017-02-25", score("snv", 2016, "1.1", Final, None, 1000)),
        ("2017-02-25", score("snv", 2016, "2.1", Final, None, 1000)),
        ("2017-02-25", score("snv", 2016, "3.1", Final, None, 1500)),
        ("2017-02-25", score("sldtbxh", 2016, "1.1", Final, None, 900)),
        ("2017-02-25", score("sldtbxh", 2016, "1.2", Final, None, 475)),
        ("2017-02-25", score("sldtbxh", 2016, "2.1", Final, None, 700)),
        ("2017-02-25", score("sldtbxh", 2016, "3.1", Final, None, 1200)),
        ("2017-02-25", score("syt", 2016, "1.1", SelfAssessed, None, 1000)),
    ]
}

/// The projector running in-process, and how to stop it.
pub struct InProcess {
    pub handle: tokio::task::JoinHandle<Result<(), reform_projector::Error>>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl InProcess {
    pub fn start(broker: &Broker, db: &Path) -> InProcess {
        Self::with_config(broker, reform_projector::Config::new(db.to_path_buf()))
    }

    pub fn with_config(broker: &Broker, config: reform_projector::Config) -> InProcess {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let client = broker.client.clone();
        let handle = tokio::spawn(async move {
            reform_projector::run(client, config, async {
                let _ = stopped.await;
            })
            .await
        });
        InProcess { handle, stop }
    }

    /// Stops it gracefully and returns how it ended.
    pub async fn stop(self) -> Result<(), reform_projector::Error> {
        let _ = self.stop.send(());
        self.handle.await.expect("projector task does not panic")
    }
}

/// Waits until the projector answers with a checkpoint of at least `sequence`.
pub async fn caught_up(client: &async_nats::Client, sequence: u64) -> u64 {
    eventually(
        &format!("the projector to apply sequence {sequence}"),
        CATCH_UP_DEADLINE,
        || async {
            let status = queries::status(client).await.ok()?;
            (status.applied_through >= sequence).then_some(status.applied_through)
        },
    )
    .await
}
