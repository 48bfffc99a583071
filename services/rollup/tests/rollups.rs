//! Rollups through a real nats-server: a year of events (the worked example of
//! `docs/views.md`, some recorded days after their business dates) closed period by period on an
//! injected clock, against figures computed by hand; two services racing; byte-identical
//! regeneration; a restatement shown by the diff.

use chrono::TimeZone as _;
use reform_projector::views::TaskCounts;
use reform_rollup::close::{self, Closed};
use reform_rollup::closed;
use reform_rollup::log::End;
use reform_rollup::report::{self, Format, Report};
use reform_rollup::{diff, Clock, Config};
use reform_shared::append::Draft;
use reform_shared::event::{Event, Period, UnitKind};
use reform_shared::testkit::events::*;
use reform_shared::testkit::{date, draft, eventually, Broker};
use reform_shared::time::{vietnam, Timestamp};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// A clock the test moves.
#[derive(Debug, Clone)]
struct TestClock(Arc<AtomicI64>);

impl TestClock {
    fn at(y: i32, m: u32, d: u32) -> Self {
        let clock = TestClock(Arc::new(AtomicI64::new(0)));
        clock.set(y, m, d);
        clock
    }

    fn set(&self, y: i32, m: u32, d: u32) {
        let at = vietnam().with_ymd_and_hms(y, m, d, 8, 0, 0).single().expect("valid");
        self.0.store(Timestamp::from_datetime(&at).0, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

/// An event of business date `on`, recorded `late_days` after it.
fn dated(n: usize, on: &str, late_days: u64, event: Event) -> Draft {
    let mut d = draft(&format!("e{n}"), on, event);
    d.recorded_at =
        Timestamp(d.recorded_at.0 + i64::try_from(late_days * 86_400_000).expect("fits"));
    d
}

/// docs/views.md's worked example, two events of it entered days after their business dates
/// (t2's completion five days late, t4's deadline change two).
async fn worked_example(broker: &Broker) {
    let appender = broker.appender().await;
    for (n, (on, event)) in reform_shared::testkit::events::worked_example().into_iter().enumerate()
    {
        let late_days = match &event {
            Event::TaskCompleted { task, .. } if task.as_str() == "t2" => 5,
            Event::DeadlineChanged { .. } => 2,
            _ => 0,
        };
        appender.append_next(dated(n, on, late_days, event)).await.expect("appended");
    }
}

fn period(text: &str) -> Period {
    text.parse().expect("period")
}

fn counts(
    assigned: u64,
    on_time: u64,
    late: u64,
    overdue: u64,
    open: u64,
    cancelled: u64,
    rate: u64,
) -> TaskCounts {
    TaskCounts {
        assigned,
        open,
        done_on_time: on_time,
        done_late: late,
        overdue,
        cancelled,
        completion_rate_hundredths: rate,
    }
}

struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<Result<(), reform_rollup::RollupError>>,
}

fn start(broker: &Broker, clock: TestClock, reports: Option<std::path::PathBuf>) -> Running {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = Config { reports_dir: reports, log_key: None };
    let handle = tokio::spawn(reform_rollup::run(broker.client.clone(), config, clock, async {
        let _ = stopped.await;
    }));
    Running { stop, handle }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.handle.await.expect("joins").expect("stops cleanly");
    }
}

async fn rollup_events(broker: &Broker) -> Vec<(u64, Period)> {
    let mut out = Vec::new();
    for p in Period::of_year(2016).into_iter().chain(Period::of_year(2017)) {
        if let Some((seq, _, _)) = closed::closed_event(&broker.js, p).await.expect("reads") {
            out.push((seq, p));
        }
    }
    out.sort();
    out
}

fn sgd_tasks(r: &Report) -> TaskCounts {
    r.units.iter().find(|u| u.unit.as_str() == "sgd").expect("sgd").tasks.clone()
}

async fn stored(broker: &Broker, p: Period) -> Report {
    let (_, through, _) =
        closed::closed_event(&broker.js, p).await.expect("reads").expect("closed");
    close::report_of(&broker.js, p, End::Sequence(through)).await.expect("regenerates")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_closes_period_by_period_with_the_hand_computed_figures() {
    let broker = Broker::start().await;
    worked_example(&broker).await;
    let reports = tempfile::tempdir().expect("temp dir");
    // The service was down all year: it starts on 2 January 2017 and catches up.
    let service = start(&broker, TestClock::at(2017, 1, 2), Some(reports.path().to_path_buf()));
    let closed = eventually("the four periods of 2016 to close", WAIT, || async {
        let events = rollup_events(&broker).await;
        (events.len() == 4).then_some(events)
    })
    .await;
    let order: Vec<String> = closed.iter().map(|(_, p)| p.to_string()).collect();
    assert_eq!(order, ["2016-q1", "2016-h1", "2016-q3", "2016-year"], "oldest first");

    let sgd = sgd_tasks;
    // By hand, from docs/views.md's definitions:
    // Q1 (to 31 Mar): t1 done on time; t2, t3 open.            1 ÷ 3 = 33.33 %
    // H1 (to 30 Jun): t1 on time; t2 open (due 30 Jun); t3 overdue.
    // Q3 (to 30 Sep): + t2 late, t4 open (moved to 31 Oct), t5 cancelled. 2 ÷ 4 = 50.00 %
    // Year:           t4 on time: 2 on time, 1 late, 1 overdue, 1 cancelled. 3 ÷ 4 = 75.00 %
    assert_eq!(sgd(&stored(&broker, period("2016-q1")).await), counts(3, 1, 0, 0, 2, 0, 3333));
    assert_eq!(sgd(&stored(&broker, period("2016-h1")).await), counts(3, 1, 0, 1, 1, 0, 3333));
    assert_eq!(sgd(&stored(&broker, period("2016-q3")).await), counts(5, 1, 1, 1, 1, 1, 5000));
    let year = stored(&broker, period("2016-year")).await;
    assert_eq!(sgd(&year), counts(5, 2, 1, 1, 0, 1, 7500));
    // The leaders' records for the year: A assigned three, t1 on time, t3 went overdue on her
    // watch; B: t2 late (completed on B's watch), t4 and t5 assigned, t5 cancelled, t4 on time.
    let line =
        |who: &str| year.leaders.iter().find(|l| l.person.as_str() == who).expect("leader").clone();
    let (a, b) = (line("a"), line("b"));
    assert_eq!((a.assigned, a.completed_on_time, a.went_overdue, a.completed_late), (3, 1, 1, 0));
    assert_eq!((b.assigned, b.completed_on_time, b.completed_late, b.cancelled), (2, 1, 1, 1));

    // Each format was written to the reports directory; the JSON is the one the event names.
    // The service built each from what earlier closes had read; read afresh, it is the same.
    for (_, p) in &closed {
        let (_, _, digest) =
            closed::closed_event(&broker.js, *p).await.expect("reads").expect("closed");
        let json = std::fs::read(reports.path().join(format!("{p}.json"))).expect("json file");
        assert_eq!(report::sha256(&json), digest, "{p}");
        let afresh = reform_rollup::render::bytes(&stored(&broker, *p).await, Format::Json);
        assert_eq!(afresh.expect("renders"), json, "{p} read afresh");
        let md = std::fs::read_to_string(reports.path().join(format!("{p}.md"))).expect("md file");
        assert!(md.starts_with(&format!("# {}\n", report::title_vi(*p))), "{md}");
        assert!(reports.path().join(format!("{p}.xlsx")).exists(), "the workbook beside it");
    }
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_services_racing_on_a_boundary_give_one_report_and_one_event() {
    let broker = Broker::start().await;
    worked_example(&broker).await;
    let clock = TestClock::at(2016, 12, 31);
    let first = start(&broker, clock.clone(), None);
    let second = start(&broker, clock.clone(), None);
    eventually("2016-q3 to close", WAIT, || async {
        (rollup_events(&broker).await.len() == 3).then_some(())
    })
    .await;
    clock.set(2017, 1, 1);
    eventually("the year to close", WAIT, || async {
        (rollup_events(&broker).await.len() == 4).then_some(())
    })
    .await;
    first.stop().await;
    second.stop().await;
    let stream = broker.js.get_stream("PAR_EVENTS").await.expect("stream");
    let info = stream.info_with_subjects("par.evt.rollup.>").await.expect("info");
    let per_subject: Vec<u64> = {
        use futures::StreamExt as _;
        let subjects: Vec<_> = info.collect().await;
        subjects.into_iter().map(|s| s.expect("subject").1 as u64).collect()
    };
    assert_eq!(per_subject.len(), 4, "one subject per period");
    assert!(per_subject.iter().all(|n| *n == 1), "one event per period: {per_subject:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regenerated_report_is_byte_identical_to_the_stored_one() {
    let broker = Broker::start().await;
    worked_example(&broker).await;
    let p = period("2016-q3");
    let head = reform_rollup::log::head(&broker.js).await.expect("head");
    let closed = close::close(
        &broker.js,
        p,
        End::RecordedBefore { at: p.closes_at(), head },
        None,
        Timestamp::now(),
    )
    .await
    .expect("closes");
    let Closed::Now { through_sequence, report_sha256, .. } = closed else { panic!("{closed:?}") };
    let again = close::close(&broker.js, p, End::Sequence(head), None, Timestamp::now())
        .await
        .expect("again");
    assert!(matches!(again, Closed::Already { .. }), "closed once: {again:?}");
    let bucket = close::bucket(&broker.js).await.expect("bucket");
    for format in Format::ALL {
        let regenerated =
            reform_rollup::render::bytes(&stored(&broker, p).await, format).expect("renders");
        let key = format!("{}.{}", hex::encode(report::sha256(&regenerated)), format.extension());
        let mut object = bucket.get(key.as_str()).await.expect("stored under its digest");
        let mut bytes = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut object, &mut bytes).await.expect("reads");
        assert_eq!(bytes, regenerated, "{format:?}");
        if format == Format::Json {
            assert_eq!(report::sha256(&bytes), report_sha256);
        }
    }
    assert!(through_sequence < head, "the Q3 report leaves out the October completion");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_recorded_after_q1_closed_shows_in_its_diff() {
    let broker = Broker::start().await;
    worked_example(&broker).await;
    let q1 = period("2016-q1");
    let head = reform_rollup::log::head(&broker.js).await.expect("head");
    close::close(
        &broker.js,
        q1,
        End::RecordedBefore { at: q1.closes_at(), head },
        None,
        Timestamp::now(),
    )
    .await
    .expect("closes");
    assert!(diff::diff(&broker.js, q1)
        .await
        .expect("diff")
        .expect("closed")
        .differences
        .iter()
        .all(|d| d.unit.as_str() != "sgd"));
    // t3's completion on 20 March, entered in April: it changes what is true about Q1.
    let late_entry = dated(99, "2016-03-20", 20, complete("t3", "sgd"));
    let seq = broker.appender().await.append_next(late_entry).await.expect("appended").sequence();
    let diff = diff::diff(&broker.js, q1).await.expect("diff").expect("closed");
    let figure = |name: &str| {
        diff.differences.iter().find(|d| d.unit.as_str() == "sgd" && d.figure == name).cloned()
    };
    let on_time = figure("done on time").expect("done on time differs");
    assert_eq!((on_time.closed.as_str(), on_time.now.as_str()), ("1", "2"));
    let open = figure("open").expect("open differs");
    assert_eq!((open.closed.as_str(), open.now.as_str()), ("2", "1"));
    assert!(
        diff.events.iter().any(|e| e.sequence == seq
            && e.event == "task-completed"
            && e.on == date("2016-03-20")),
        "{:?}",
        diff.events
    );
    // Nothing dated after Q1 is listed as behind it.
    assert!(diff.events.iter().all(|e| e.on <= date("2016-03-31")));
    // The next period's report lists the restated Q1 figures.
    let h1 = period("2016-h1");
    let head = reform_rollup::log::head(&broker.js).await.expect("head");
    close::close(&broker.js, h1, End::Sequence(head), None, Timestamp::now())
        .await
        .expect("closes");
    let report = stored(&broker, h1).await;
    let restated = report.restated.iter().find(|r| r.period == q1).expect("Q1 restated in H1");
    assert!(
        restated.differences.iter().any(|d| d.unit.as_str() == "sgd" && d.figure == "done on time"),
        "{restated:?}"
    );
    let md = String::from_utf8(
        reform_rollup::render::bytes(&report, Format::Markdown).expect("renders"),
    )
    .expect("utf-8");
    assert!(md.contains("| 2016-q1 | sgd | done on time | 1 | 2 |"), "{md}");
}

/// One service's memory of the log, across closes in any order: the year closed by hand over
/// the whole log, then Q1 on schedule (a shorter prefix, which must not be read on from the
/// year's), then H1 restating Q1. Each report is byte for byte the one read afresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closes_remembering_what_earlier_ones_read_give_the_reports_read_afresh() {
    let broker = Broker::start().await;
    worked_example(&broker).await;
    let memo = &mut reform_rollup::memo::Memo::default();
    let head = reform_rollup::log::head(&broker.js).await.expect("head");
    let scheduled = |p: Period| End::RecordedBefore { at: p.closes_at(), head };
    let (year, q1, h1) = (period("2016-year"), period("2016-q1"), period("2016-h1"));
    for (p, end) in [(year, End::Sequence(head)), (q1, scheduled(q1)), (h1, scheduled(h1))] {
        let afresh = close::report_of(&broker.js, p, end).await.expect("read afresh");
        let closed = close::close_signed(&broker.js, p, end, None, None, Timestamp::now(), memo)
            .await
            .expect("closes");
        let Closed::Now { report_sha256, through_sequence, .. } = closed else {
            panic!("{closed:?}")
        };
        assert_eq!(through_sequence, afresh.through_sequence, "{p}");
        let json = reform_rollup::render::bytes(&afresh, Format::Json).expect("renders");
        assert_eq!(report::sha256(&json), report_sha256, "{p}");
    }
    assert_eq!(sgd_tasks(&stored(&broker, q1).await), counts(3, 1, 0, 0, 2, 0, 3333));
}

/// With the log's key, each report's checkpoint is also stored as a signed note, of exactly the
/// prefix the report covers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_carries_the_checkpoint_of_its_prefix_signed_beside_it() {
    let broker = Broker::start().await;
    worked_example(&broker).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let key_path = dir.path().join("log.nk");
    let public = reform_shared::checkpoint::new_key(&key_path).expect("key");
    let key = reform_shared::checkpoint::read_key(&key_path).expect("reads");
    let p = period("2016-h1");
    let head = reform_rollup::log::head(&broker.js).await.expect("head");
    let end = End::RecordedBefore { at: p.closes_at(), head };
    let memo = &mut reform_rollup::memo::Memo::default();
    close::close_signed(&broker.js, p, end, Some(dir.path()), Some(&key), Timestamp::now(), memo)
        .await
        .expect("closes");
    let report = stored(&broker, p).await;
    let note = std::fs::read_to_string(dir.path().join("2016-h1.checkpoint")).expect("note");
    let checkpoint = reform_shared::checkpoint::Checkpoint::verify(&note, &public)
        .expect("signed with the log key");
    assert_eq!(checkpoint.size, report.through_sequence);
    assert_eq!(hex::encode(checkpoint.root), report.log_checkpoint.root_sha256);
    assert_eq!(checkpoint.origin, report.log_checkpoint.origin);
    // The same tree recomputed by anyone from the stream's first messages.
    let mut tree = reform_shared::checkpoint::LogTree::new(None);
    let stream = broker.js.get_stream("PAR_EVENTS").await.expect("stream");
    for seq in 1..=checkpoint.size {
        tree.push(seq, &stream.direct_get(seq).await.expect("message").payload);
    }
    assert_eq!(tree.root(), checkpoint.root);
}

/// The rollup service's health, as it publishes it in its stats.
async fn rollup_health(broker: &Broker) -> Option<reform_shared::service::health::Health> {
    let reply = broker.client.request("$SRV.STATS.par-rollup", "".into()).await.ok()?;
    let stats: serde_json::Value = serde_json::from_slice(&reply.payload).ok()?;
    serde_json::from_value(stats["endpoints"][0]["data"].clone()).ok()
}

/// Issue #29: a service whose clock ran 40 days ahead closed the year on 6 December, for ever.
/// Here the clock runs 400 days ahead of the broker's: by it, every period of this year (and
/// more) has ended. The broker stored the log's only event now, so by its time none has; after
/// a whole round of the service, none is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_running_ahead_of_the_brokers_closes_no_period_early() {
    let broker = Broker::start().await;
    let now = Timestamp::now();
    let mut first =
        draft("e0", "2016-01-04", unit("sgd", "Sở Giáo dục", UnitKind::Department, None));
    (first.occurred_at, first.recorded_at) = (now, now);
    broker.appender().await.append_next(first).await.expect("appended");
    let ahead = TestClock(Arc::new(AtomicI64::new(now.0 + 400 * 86_400_000)));
    let due_by_the_fast_clock = reform_rollup::period::due(now, ahead.now());
    assert!(!due_by_the_fast_clock.is_empty(), "the fast clock says some period has ended");
    let service = start(&broker, ahead, None);
    // A round of the service is over once it says it follows the log's head.
    eventually("a whole round of the rollup service", WAIT, || async {
        rollup_health(&broker).await.filter(|h| {
            h.reader == reform_shared::service::health::Reader::Following && h.applied_through >= 1
        })
    })
    .await;
    for period in due_by_the_fast_clock {
        let closed = closed::closed_event(&broker.js, period).await.expect("reads");
        assert!(closed.is_none(), "{period} closed by a clock ahead of the broker's");
    }
    assert_eq!(broker.stream_messages().await, 1, "nothing was appended");
    service.stop().await;
}

/// A head hands the report in as a workbook and opens the CSV in Excel: the workbook read back
/// by openpyxl (a library the project did not write) holds numbers as numbers, dates as dates,
/// a frozen header and Vietnamese names; the CSV starts with the byte-order mark Excel needs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_as_a_workbook_reads_back_in_openpyxl_and_the_csv_in_excel() {
    let broker = Broker::start().await;
    worked_example(&broker).await;
    let p = period("2016-year");
    let head = reform_rollup::log::head(&broker.js).await.expect("head");
    close::close(&broker.js, p, End::Sequence(head), None, Timestamp::now()).await.expect("closes");
    let report = stored(&broker, p).await;
    let csv = reform_rollup::render::bytes(&report, Format::Csv).expect("renders");
    assert!(csv.starts_with("\u{feff}period,unit,".as_bytes()), "a BOM, then the header");
    let xlsx = reform_rollup::render::bytes(&report, Format::Xlsx).expect("renders");
    assert_eq!(
        xlsx,
        reform_rollup::render::bytes(&report, Format::Xlsx).expect("again"),
        "the same bytes"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("2016-year.xlsx");
    std::fs::write(&path, &xlsx).expect("write");
    let script = r#"
import json, sys, datetime, openpyxl
book = openpyxl.load_workbook(sys.argv[1])
out = {"sheets": book.sheetnames, "title": book.properties.title}
units = book["Đơn vị"]
out["header"] = [c.value for c in units[1]]
out["freeze"] = units.freeze_panes
rows = [[c.value for c in r] for r in units.iter_rows(min_row=2)]
out["types"] = sorted({type(v).__name__ for r in rows for v in r[2:11] if v is not None})
out["rows"] = [[v if not isinstance(v, (datetime.date, datetime.datetime)) else v.isoformat() for v in r] for r in rows]
about = book["Thông tin"]
out["from"] = about["B3"].value.date().isoformat()
out["from_format"] = about["B3"].number_format
print(json.dumps(out, ensure_ascii=False))
"#;
    let python = std::env::var("PAR_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let run = std::process::Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{python}: {e} (`./dev setup` installs openpyxl)"));
    assert!(
        run.status.success(),
        "openpyxl could not read the workbook (`./dev setup` installs it): {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&run.stdout).expect("json");
    assert_eq!(
        got["sheets"],
        serde_json::json!(["Đơn vị", "Xếp hạng", "Người đứng đầu", "Thông tin"])
    );
    assert_eq!(got["title"], "Báo cáo kết quả thực hiện công tác cải cách hành chính năm 2016");
    assert_eq!(got["header"][0], "Đơn vị");
    assert_eq!(got["header"][8], "Tỷ lệ hoàn thành (%)");
    assert_eq!(got["freeze"], "A2", "the header row stays");
    let types = got["types"].as_array().expect("types");
    assert!(!types.is_empty() && types.iter().all(|t| t == "int" || t == "float"), "{got}");
    assert_eq!(got["from"], "2016-01-01");
    assert_eq!(got["from_format"], "dd/mm/yyyy");
    // Every unit line of the report is a row, with its figures as the JSON says.
    let rows = got["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), report.units.len());
    for (row, unit) in rows.iter().zip(&report.units) {
        assert_eq!(row[0], unit.name.as_str());
        assert_eq!(row[2], unit.tasks.assigned);
        let rate = row[8].as_f64().expect("a number");
        assert_eq!((rate * 100.0).round() as u64, unit.tasks.completion_rate_hundredths);
        assert_eq!(row[11], unit.unit.as_str());
    }
}
