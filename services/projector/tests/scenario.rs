//! The scenario through a real nats-server and a real redb file: the views and the
//! timelines are exactly what a person computes by hand from the events in `common::scenario`.

mod common;

use common::*;
use reform_projector::queries::{self, RankingQuery, TimelineQuery, UnitQuery};
use reform_projector::views::{Fact, TaskCounts, TenureTimeline};
use reform_shared::event::{Component, Stage, UnitKind};
use reform_shared::testkit::{date, id, Broker};

fn summary(tenure: &TenureTimeline) -> Vec<String> {
    tenure
        .entries
        .iter()
        .map(|e| {
            let (kind, what) = match &e.fact {
                Fact::TaskAssigned { task, .. } => ("assigned", task.to_string()),
                Fact::TaskCompletedOnTime { task, .. } => ("on-time", task.to_string()),
                Fact::TaskCompletedLate { task, .. } => ("late", task.to_string()),
                Fact::TaskWentOverdue { task, .. } => ("overdue", task.to_string()),
                Fact::TaskCancelled { task, .. } => ("cancelled", task.to_string()),
                Fact::ScoreChanged { year, criterion, stage, new_hundredths, .. } => {
                    ("score", format!("{year}/{criterion}/{}={new_hundredths}", stage.as_str()))
                }
                Fact::FindingRecorded { finding, .. } => ("finding", finding.to_string()),
            };
            let sub = e.sub_unit.as_ref().map(|u| format!(" @{u}")).unwrap_or_default();
            format!("{} {kind} {what}{sub}", e.on)
        })
        .collect()
}

fn unit_query(unit: &str, as_of: &str) -> UnitQuery {
    UnitQuery { unit: id(unit), year: 2016, as_of: Some(date(as_of)) }
}

#[tokio::test]
async fn scenario_views_are_what_a_person_computes_by_hand() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let projector = InProcess::start(&broker, &dir.path().join("views.redb"));
    let last = append_all(&appender, "scenario", &scenario()).await;
    caught_up(&broker.client, last).await;
    let client = &broker.client;

    // --- unit progress of the department, as true at 2017-03-31 ---
    let sgd = queries::unit(client, &unit_query("sgd", "2017-03-31")).await.expect("unit view");
    println!("unit view:\n{}", serde_json::to_string_pretty(&sgd).expect("json"));
    // Own tasks of 2016: t1 on time, t3 overdue, t5 cancelled, r1 (the finding's) late.
    let own = TaskCounts {
        assigned: 4,
        open: 0,
        done_on_time: 1,
        done_late: 1,
        overdue: 1,
        cancelled: 1,
        completion_rate_hundredths: 6667, // 2 ÷ 3 = 66.666… %
    };
    assert_eq!(sgd.own_tasks, own);
    // With the divisions: sgd-vp's t2 late, sgd-tccb's t4 on time. 4 done of 6 − 1 = 80.00 %.
    let with_divisions = TaskCounts {
        assigned: 6,
        open: 0,
        done_on_time: 2,
        done_late: 2,
        overdue: 1,
        cancelled: 1,
        completion_rate_hundredths: 8000,
    };
    assert_eq!(sgd.tasks, with_divisions);
    // Own: e1, e2 on 1.1; e3 on 2.1 rejected; e4 on no criterion. sgd-vp: e5 on 1.2.
    assert_eq!(sgd.own_evidence.total, 3);
    assert_eq!(sgd.evidence.total, 4);
    assert_eq!(sgd.evidence.by_criterion.get(&id("1.1")), Some(&2));
    assert_eq!(sgd.evidence.by_criterion.get(&id("1.2")), Some(&1));
    assert_eq!(sgd.evidence.by_criterion.get(&id("2.1")), None);
    assert_eq!(sgd.evidence.without_criterion, 1);
    // Where the numbers come from, by unit id.
    type SubRow = (String, u64, u64, u64, u64, u64);
    let sub_rows: Vec<SubRow> = sgd
        .sub_units
        .iter()
        .map(|s| {
            let t = &s.tasks;
            (
                s.unit.to_string(),
                t.assigned,
                t.done_on_time,
                t.done_late,
                t.overdue,
                s.evidence.total,
            )
        })
        .collect();
    assert_eq!(sub_rows, [("sgd-tccb".into(), 1, 1, 0, 0, 0), ("sgd-vp".into(), 1, 0, 1, 0, 1)]);
    let stages = &sgd.scores.stages;
    assert_eq!(sgd.scores.max_total_hundredths, 4000);
    assert_eq!(stages.iter().map(|s| s.stage).collect::<Vec<_>>(), Stage::ALL);
    // Self-assessed: 9.00 + 4.50 + 8.00 + 14.00 = 35.50 of 40 = 88.75 %.
    assert_eq!((stages[0].total_hundredths, stages[0].index_hundredths), (Some(3550), Some(8875)));
    // Appraised: 3.1 not yet appraised, so missing: 8.50 + 4.00 + 7.00 = 19.50 = 48.75 %.
    assert_eq!((stages[1].total_hundredths, stages[1].index_hundredths), (Some(1950), Some(4875)));
    let appraised: Vec<(Component, Option<u64>)> =
        stages[1].components.iter().map(|c| (c.component, c.value_hundredths)).collect();
    assert_eq!(
        appraised,
        [
            (Component::DirectionAndManagement, Some(1250)),
            (Component::InstitutionalReform, Some(700)),
            (Component::AdministrativeProcedures, None),
        ]
    );
    // Final, after 2.1 was corrected from 7.50 to 7.00 on 2017-03-05: 32.75 = 81.875 → 81.88 %.
    assert_eq!((stages[2].total_hundredths, stages[2].index_hundredths), (Some(3275), Some(8188)));
    assert!(!stages[2].missing);
    // Before the correction: 33.25 = 83.125 → 83.13 %.
    let before = queries::unit(client, &unit_query("sgd", "2017-03-01")).await.expect("view");
    assert_eq!(before.scores.stages[2].index_hundredths, Some(8313));
    // On 2016-12-31 no appraisal or final score existed yet: missing, not zero.
    let year_end = queries::unit(client, &unit_query("sgd", "2016-12-31")).await.expect("view");
    assert!(year_end.scores.stages[1].missing && year_end.scores.stages[2].missing);
    assert_eq!(year_end.scores.stages[2].total_hundredths, None);

    // --- the divisions ---
    let vp = queries::unit(client, &unit_query("sgd-vp", "2017-03-31")).await.expect("view");
    assert_eq!(
        (vp.tasks.assigned, vp.tasks.done_late, vp.tasks.completion_rate_hundredths),
        (1, 1, 10000)
    );
    let tccb = queries::unit(client, &unit_query("sgd-tccb", "2017-03-31")).await.expect("view");
    // t4's deadline moved to 31 October before it was done on 15 October: on time.
    assert_eq!((tccb.tasks.done_on_time, tccb.tasks.done_late), (1, 0));

    // --- ranking of the province's departments ---
    let ranking = queries::ranking(
        client,
        &RankingQuery {
            parent: id("st"),
            kind: UnitKind::Department,
            year: 2016,
            as_of: Some(date("2017-03-31")),
        },
    )
    .await
    .expect("ranking");
    println!("ranking:\n{}", serde_json::to_string_pretty(&ranking).expect("json"));
    type Row = (String, Option<u64>, Option<u32>, Option<i64>);
    let rows: Vec<Row> = ranking
        .entries
        .iter()
        .map(|e| (e.unit.to_string(), e.final_total_hundredths, e.rank, e.rank_change))
        .collect();
    // 2016: snv 35.00, sgd 32.75, sldtbxh 32.75 (tie), syt none. 2015: sldtbxh 1, sgd 2, snv 3.
    assert_eq!(
        rows,
        [
            ("snv".into(), Some(3500), Some(1), Some(2)),
            ("sgd".into(), Some(3275), Some(2), Some(0)),
            ("sldtbxh".into(), Some(3275), Some(2), Some(-1)),
            ("syt".into(), None, None, None),
        ]
    );
    assert_eq!(ranking.group_size, 4);
    assert_eq!(ranking.entries[0].index_hundredths, Some(8750));

    // --- the two heads' timelines ---
    let as_of = Some(date("2017-03-31"));
    let a = queries::timeline(client, &TimelineQuery { person: id("nguyen-a"), as_of })
        .await
        .expect("timeline");
    println!("timeline A:\n{}", serde_json::to_string_pretty(&a).expect("json"));
    assert_eq!(a.tenures.len(), 1);
    assert_eq!(
        (a.tenures[0].from, a.tenures[0].to),
        (date("2016-01-01"), Some(date("2016-07-01")))
    );
    assert_eq!(
        summary(&a.tenures[0]),
        [
            "2016-01-10 assigned t1",
            "2016-02-01 assigned t2 @sgd-vp",
            "2016-02-20 score 2015/1.1/final=1000",
            "2016-02-20 score 2015/2.1/final=1000",
            "2016-02-20 score 2015/3.1/final=1000",
            "2016-03-01 assigned t3",
            "2016-03-31 on-time t1",
            "2016-06-16 overdue t3",
        ]
    );
    let b = queries::timeline(client, &TimelineQuery { person: id("tran-b"), as_of })
        .await
        .expect("timeline");
    println!("timeline B:\n{}", serde_json::to_string_pretty(&b).expect("json"));
    assert_eq!((b.tenures[0].from, b.tenures[0].to), (date("2016-07-01"), None));
    assert_eq!(
        summary(&b.tenures[0]),
        [
            "2016-07-01 overdue t2 @sgd-vp",
            "2016-07-05 late t2 @sgd-vp",
            "2016-08-01 assigned t4 @sgd-tccb",
            "2016-08-15 assigned t5",
            "2016-09-01 cancelled t5",
            "2016-09-10 finding f1",
            "2016-10-15 on-time t4 @sgd-tccb",
            "2016-12-01 overdue r1",
            "2016-12-10 late r1",
            "2016-12-15 score 2016/1.1/self-assessed=900",
            "2016-12-15 score 2016/1.2/self-assessed=450",
            "2016-12-15 score 2016/2.1/self-assessed=800",
            "2016-12-15 score 2016/3.1/self-assessed=1400",
            "2017-01-20 score 2016/1.1/appraised=850",
            "2017-01-20 score 2016/1.2/appraised=400",
            "2017-01-20 score 2016/2.1/appraised=700",
            "2017-02-25 score 2016/1.1/final=850",
            "2017-02-25 score 2016/1.2/final=400",
            "2017-02-25 score 2016/2.1/final=750",
            "2017-02-25 score 2016/3.1/final=1325",
            "2017-03-05 score 2016/2.1/final=700",
        ]
    );

    // --- bad queries get a clear refusal ---
    let unknown = queries::unit(client, &unit_query("khong-co", "2017-03-31")).await;
    assert!(matches!(
        unknown,
        Err(queries::ViewError::Failed { kind: queries::FailureKind::NotFound, .. })
    ));
    projector.stop().await.expect("clean stop");
}
