//! The tasks service's rules, each proved through a real nats-server: what is refused is
//! refused with a message naming what it is about, and appends nothing.

mod common;

use common::*;
use reform_shared::codec;
use reform_shared::subject::STREAM_NAME;
use reform_shared::testkit::{date, id};
use reform_tasks::cmd;
use reform_tasks::Command;

#[tokio::test]
async fn unknown_unit_person_plan_or_task_is_refused_naming_it_and_nothing_is_appended() {
    let (broker, service) = start().await;
    let message =
        refused(&broker, req("b", "2016-08-01", assign("t1", "nowhere", "2016-09-30"))).await;
    assert!(message.contains("no unit nowhere"), "{message}");

    let mut with_person = assign("t1", "sgd", "2016-09-30");
    if let Command::AssignTask(cmd::AssignTask { person, .. }) = &mut with_person {
        *person = Some(id("ghost"));
    }
    let message = refused(&broker, req("b", "2016-08-01", with_person)).await;
    assert!(message.contains("no registered person ghost"), "{message}");

    let mut with_plan = assign("t1", "sgd", "2016-09-30");
    if let Command::AssignTask(cmd::AssignTask { plan, .. }) = &mut with_plan {
        *plan = Some(id("kh-missing"));
    }
    let message = refused(&broker, req("b", "2016-08-01", with_plan)).await;
    assert!(message.contains("no plan kh-missing"), "{message}");

    for command in [progress("t-missing", 10), complete("t-missing"), cancel("t-missing")] {
        let message = refused(&broker, req("b", "2016-08-01", command)).await;
        assert!(message.contains("no task t-missing"), "{message}");
    }
    let reassign = Command::ReassignTask(cmd::ReassignTask {
        task: id("t-missing"),
        unit: Some(id("sxd")),
        person: None,
        reason: String::new(),
    });
    let message = refused(&broker, req("p", "2016-08-01", reassign)).await;
    assert!(message.contains("no task t-missing"), "{message}");

    // Someone outside the directory has no registered key, so the signature is turned down
    // before anything is decided.
    let before = broker.stream_messages().await;
    let stranger = send(&broker, &req("stranger", "2016-08-01", progress("t1", 1))).await;
    let error = stranger.expect_err("a stranger is turned down");
    assert_eq!(error.kind(), reform_shared::command::FailureKind::Denied, "{error}");
    assert!(error.to_string().contains("not registered for anyone"), "{error}");
    assert_eq!(broker.stream_messages().await, before);
    service.stop().await;
}

#[tokio::test]
async fn a_leader_in_office_at_the_unit_may_assign_its_tasks() {
    let (broker, service) = start().await;
    let before = broker.stream_messages().await;
    let done = accepted(&broker, req("b", "2016-08-01", assign("t1", "sgd", "2016-09-30"))).await;
    assert_eq!(done.event, "task-assigned");
    assert!(!done.duplicate);
    // A reform deputy is a leader too.
    accepted(&broker, req("d", "2016-08-01", assign("t2", "sgd-vp", "2016-09-30"))).await;
    assert_eq!(broker.stream_messages().await, before + 2);
    service.stop().await;
}

#[tokio::test]
async fn a_leader_of_an_ancestor_unit_may_direct_a_divisions_tasks() {
    let (broker, service) = start().await;
    // b heads sgd, the division's parent; p heads the province above both.
    accepted(&broker, req("b", "2016-08-01", assign("t1", "sgd-vp", "2016-09-30"))).await;
    accepted(&broker, req("p", "2016-08-02", deadline("t1", "2016-10-31"))).await;
    accepted(&broker, req("b", "2016-08-03", cancel("t1"))).await;
    service.stop().await;
}

#[tokio::test]
async fn a_leader_of_another_branch_or_a_non_leader_may_not_direct_a_units_tasks() {
    let (broker, service) = start().await;
    // x heads sxd, a sibling of sgd: not above sgd-vp. d leads sgd-vp, which is below sgd.
    let message =
        refused(&broker, req("x", "2016-08-01", assign("t1", "sgd-vp", "2016-09-30"))).await;
    assert!(message.contains("x is not a head or reform deputy"), "{message}");
    assert!(message.contains("Văn phòng Sở (sgd-vp)"), "{message}");
    let message = refused(&broker, req("d", "2016-08-01", assign("t1", "sgd", "2016-09-30"))).await;
    assert!(message.contains("d is not a head"), "{message}");
    let message = refused(&broker, req("c", "2016-08-01", assign("t1", "sgd", "2016-09-30"))).await;
    assert!(message.contains("c is not a head"), "{message}");
    service.stop().await;
}

#[tokio::test]
async fn a_former_leader_may_not_assign_reassign_change_deadlines_or_cancel() {
    let (broker, service) = start().await;
    // a headed sgd until 2016-07-01 (the leaving day belongs to b).
    let message = refused(&broker, req("a", "2016-07-01", assign("t0", "sgd", "2016-09-30"))).await;
    assert!(
        message.contains("a is not a head or reform deputy in office on 2016-07-01"),
        "{message}"
    );
    accepted(&broker, req("b", "2016-08-01", assign("t1", "sgd-vp", "2016-09-30"))).await;
    let reassign = Command::ReassignTask(cmd::ReassignTask {
        task: id("t1"),
        unit: None,
        person: Some(id("c")),
        reason: String::new(),
    });
    for command in [reassign, deadline("t1", "2016-10-31"), cancel("t1")] {
        let message = refused(&broker, req("a", "2016-08-02", command)).await;
        assert!(message.contains("a is not a head") && message.contains("task t1"), "{message}");
    }
    service.stop().await;
}

#[tokio::test]
async fn a_back_dated_command_is_judged_by_the_leader_in_office_on_its_business_date() {
    let (broker, service) = start().await;
    // On 2016-03-01 a was head of sgd and b was not, whatever the date is today.
    let done = accepted(&broker, req("a", "2016-03-01", assign("t1", "sgd", "2016-06-30"))).await;
    let message = refused(&broker, req("b", "2016-03-01", assign("t2", "sgd", "2016-06-30"))).await;
    assert!(
        message.contains("b is not a head or reform deputy in office on 2016-03-01"),
        "{message}"
    );
    // The event carries the business date, so views attribute it to a's tenure.
    let stream = broker.js.get_stream(STREAM_NAME).await.expect("stream");
    let raw = stream.get_raw_message(done.sequence).await.expect("appended message");
    let record = codec::decode(&raw.payload).expect("decodes");
    assert_eq!(record.envelope.occurred_at.vietnam_date(), Some(date("2016-03-01")));
    service.stop().await;
}

#[tokio::test]
async fn a_due_date_before_the_assignment_date_is_refused() {
    let (broker, service) = start().await;
    let message = refused(&broker, req("b", "2016-08-01", assign("t1", "sgd", "2016-07-31"))).await;
    assert!(
        message
            .contains("task t1 cannot be due on 2016-07-31, before it was assigned on 2016-08-01"),
        "{message}"
    );
    // Due on the assignment day itself is allowed (due dates are inclusive).
    accepted(&broker, req("b", "2016-08-01", assign("t1", "sgd", "2016-08-01"))).await;
    let message = refused(&broker, req("b", "2016-08-05", deadline("t1", "2016-07-20"))).await;
    assert!(message.contains("task t1 cannot be due on 2016-07-20"), "{message}");
    let finding = Command::RecordFinding(cmd::RecordFinding {
        finding: id("f1"),
        unit: id("sgd"),
        inspection_document: "45/KH-SNV".into(),
        text: "Chưa công khai thủ tục hành chính".into(),
        remediation_task: id("t-f1"),
        remediation_due: date("2016-08-31"),
        person: None,
        target: None,
    });
    let message = refused(&broker, req("c", "2016-09-01", finding)).await;
    assert!(message.contains("task t-f1 cannot be due on 2016-08-31"), "{message}");
    service.stop().await;
}

#[tokio::test]
async fn a_completed_task_takes_no_more_progress_completion_or_deadline_changes() {
    let (broker, service) = start().await;
    accepted(&broker, req("b", "2016-08-01", assign("t1", "sgd", "2016-09-30"))).await;
    accepted(&broker, req("c", "2016-08-10", progress("t1", 60))).await;
    accepted(&broker, req("b", "2016-09-15", complete("t1"))).await;
    for command in [progress("t1", 100), complete("t1"), deadline("t1", "2016-12-31"), cancel("t1")]
    {
        let message = refused(&broker, req("b", "2016-09-20", command)).await;
        assert!(message.contains("task t1 was already completed on 2016-09-15"), "{message}");
    }
    service.stop().await;
}

#[tokio::test]
async fn a_cancelled_task_takes_no_more_progress_completion_or_deadline_changes() {
    let (broker, service) = start().await;
    accepted(&broker, req("b", "2016-08-01", assign("t1", "sgd", "2016-09-30"))).await;
    accepted(&broker, req("b", "2016-09-01", cancel("t1"))).await;
    for command in [progress("t1", 10), complete("t1"), deadline("t1", "2016-12-31")] {
        let message = refused(&broker, req("b", "2016-09-20", command)).await;
        assert!(message.contains("task t1 was already cancelled on 2016-09-01"), "{message}");
    }
    service.stop().await;
}

#[tokio::test]
async fn a_task_that_is_not_five_clear_is_refused_naming_what_is_missing() {
    let (broker, service) = start().await;
    let with = |edit: fn(&mut Command)| {
        let mut command = assign("t1", "sgd", "2016-09-30");
        edit(&mut command);
        command
    };
    type Edit = fn(&mut Command);
    let cases: [(Edit, &str); 6] = [
        (
            |c| {
                if let Command::AssignTask(cmd::AssignTask { person, .. }) = c {
                    *person = None
                }
            },
            "no responsible person",
        ),
        (
            |c| {
                if let Command::AssignTask(cmd::AssignTask { unit, .. }) = c {
                    *unit = None
                }
            },
            "no responsible unit",
        ),
        (
            |c| {
                if let Command::AssignTask(cmd::AssignTask { title, .. }) = c {
                    title.clear()
                }
            },
            "no title",
        ),
        (
            |c| {
                if let Command::AssignTask(cmd::AssignTask { title, .. }) = c {
                    *title = "  \t ".into()
                }
            },
            "no title",
        ),
        (
            |c| {
                if let Command::AssignTask(cmd::AssignTask { target, .. }) = c {
                    target.clear()
                }
            },
            "no target",
        ),
        (
            |c| {
                if let Command::AssignTask(cmd::AssignTask { due, .. }) = c {
                    *due = None
                }
            },
            "no due date",
        ),
    ];
    // On the day the person became required: each gap alone is refused.
    let day = reform_tasks::decide::PERSON_REQUIRED_FROM.to_string();
    for (edit, missing) in cases {
        let message = refused(&broker, req("b", &day, with(edit))).await;
        assert!(
            message.contains("task t1 is not \"5 rõ\"") && message.contains(missing),
            "{message}"
        );
    }
    // The same assignment with all five is accepted: the refusals were about the gaps alone.
    accepted(&broker, req("b", "2016-08-01", assign("t1", "sgd", "2016-09-30"))).await;
    service.stop().await;
}

#[tokio::test]
async fn progress_is_between_zero_and_a_hundred_percent() {
    let (broker, service) = start().await;
    accepted(&broker, req("b", "2016-08-01", assign("t1", "sgd", "2016-09-30"))).await;
    let message = refused(&broker, req("c", "2016-08-02", progress("t1", 101))).await;
    assert!(message.contains("task t1") && message.contains("not 101"), "{message}");
    accepted(&broker, req("c", "2016-08-02", progress("t1", 0))).await;
    accepted(&broker, req("c", "2016-08-03", progress("t1", 100))).await;
    service.stop().await;
}

#[tokio::test]
async fn only_the_assigned_person_or_a_leader_may_complete_a_task() {
    let (broker, service) = start().await;
    let mut to_c = assign("t1", "sgd", "2016-09-30");
    if let Command::AssignTask(cmd::AssignTask { person, .. }) = &mut to_c {
        *person = Some(id("c"));
    }
    accepted(&broker, req("b", "2016-08-01", to_c)).await;
    accepted(&broker, req("b", "2016-08-01", assign("t2", "sgd", "2016-09-30"))).await;
    let message = refused(&broker, req("x", "2016-09-01", complete("t1"))).await;
    assert!(message.contains("x may not complete task t1"), "{message}");
    accepted(&broker, req("c", "2016-09-01", complete("t1"))).await;
    let message = refused(&broker, req("c", "2016-09-01", complete("t2"))).await;
    assert!(message.contains("c may not complete task t2"), "{message}");
    accepted(&broker, req("b", "2016-09-01", complete("t2"))).await;
    service.stop().await;
}

#[tokio::test]
async fn a_reassigned_task_is_directed_from_its_new_unit() {
    let (broker, service) = start().await;
    accepted(&broker, req("b", "2016-08-01", assign("t1", "sgd-vp", "2016-09-30"))).await;
    let to_sxd = |who: &str| {
        req(
            who,
            "2016-08-02",
            Command::ReassignTask(cmd::ReassignTask {
                task: id("t1"),
                unit: Some(id("sxd")),
                person: None,
                reason: "Chuyển đơn vị chủ trì".into(),
            }),
        )
    };
    // b leads sgd-vp but not sxd: moving the task there needs a leader of both.
    let message = refused(&broker, to_sxd("b")).await;
    assert!(message.contains("Sở Xây dựng (sxd)") && message.contains("task t1"), "{message}");
    accepted(&broker, to_sxd("p")).await;
    let message = refused(&broker, req("b", "2016-08-03", cancel("t1"))).await;
    assert!(message.contains("b is not a head") && message.contains("(sxd)"), "{message}");
    accepted(&broker, req("x", "2016-08-03", cancel("t1"))).await;
    service.stop().await;
}

#[tokio::test]
async fn an_inspection_finding_opens_a_remediation_task_due_by_its_date() {
    let (broker, service) = start().await;
    let finding = Command::RecordFinding(cmd::RecordFinding {
        finding: id("f1"),
        unit: id("sgd-vp"),
        inspection_document: "45/KH-SNV".into(),
        text: "Chưa cập nhật kịp thời thủ tục hành chính".into(),
        remediation_task: id("t-f1"),
        remediation_due: date("2016-10-31"),
        person: None,
        target: None,
    });
    let before = broker.stream_messages().await;
    let done = accepted(&broker, req("c", "2016-09-01", finding.clone())).await;
    assert_eq!(done.event, "finding-recorded");
    assert_eq!(broker.stream_messages().await, before + 1, "one event opens the task");
    // The remediation task is a task like any other.
    accepted(&broker, req("c", "2016-09-10", progress("t-f1", 50))).await;
    accepted(&broker, req("b", "2016-09-11", deadline("t-f1", "2016-11-15"))).await;
    let again = req("c", "2016-09-12", finding);
    let message = refused(&broker, again).await;
    assert!(message.contains("finding f1 is already recorded"), "{message}");

    // From the "5 rõ" rule's day, a remediation task names its person and expected result,
    // and the one who records the finding is its assigning leader.
    let day = reform_tasks::decide::PERSON_REQUIRED_FROM.to_string();
    let mut clear = cmd::RecordFinding {
        finding: id("f2"),
        unit: id("sgd-vp"),
        inspection_document: "12/KH-SNV".into(),
        text: "Chưa số hóa hồ sơ một cửa".into(),
        remediation_task: id("t-f2"),
        remediation_due: date("2027-03-31"),
        person: None,
        target: None,
    };
    let message = refused(&broker, req("c", &day, Command::RecordFinding(clear.clone()))).await;
    assert!(message.contains("it has no responsible person"), "{message}");
    clear.person = Some(id("d"));
    let message = refused(&broker, req("c", &day, Command::RecordFinding(clear.clone()))).await;
    assert!(message.contains("it has no target (expected result)"), "{message}");
    clear.target = Some("Hồ sơ một cửa được số hóa đầy đủ".into());
    let done = accepted(&broker, req("c", &day, Command::RecordFinding(clear))).await;
    assert_eq!(done.event, "finding-recorded");
    service.stop().await;
}

#[tokio::test]
async fn a_plan_is_issued_by_a_leader_and_tasks_may_only_cite_a_plan_from_above() {
    let (broker, service) = start().await;
    let plan = |p: &str, unit: &str| {
        Command::IssuePlan(cmd::IssuePlan {
            plan: id(p),
            unit: id(unit),
            year: 2017,
            document_number: "96/KH-SGDĐT".into(),
            title: "Kế hoạch CCHC năm 2017".into(),
        })
    };
    let message = refused(&broker, req("c", "2016-12-20", plan("kh-sgd", "sgd"))).await;
    assert!(message.contains("c is not a head"), "{message}");
    accepted(&broker, req("b", "2016-12-20", plan("kh-sgd", "sgd"))).await;
    accepted(&broker, req("x", "2016-12-20", plan("kh-sxd", "sxd"))).await;
    let cite = |p: &str| {
        let mut command = assign("t1", "sgd-vp", "2017-03-31");
        if let Command::AssignTask(cmd::AssignTask { plan, .. }) = &mut command {
            *plan = Some(id(p));
        }
        command
    };
    let message = refused(&broker, req("b", "2017-01-05", cite("kh-sxd"))).await;
    assert!(message.contains("plan kh-sxd belongs to sxd"), "{message}");
    accepted(&broker, req("b", "2017-01-05", cite("kh-sgd"))).await;
    service.stop().await;
}
