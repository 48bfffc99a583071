//! `/work` ("Việc của tôi"): who is signed in, the units they lead today, and the forms they
//! may use there. A form's command is built and signed in the page (`passkey.js`); the page
//! shows the service's answer in place.

use super::finding;
use super::parts::{choose, working_at};
use super::session::Session;
use crate::page::{date_field, frame, Asked, PageError, View};
use crate::pages::{html, view};
use crate::App;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use reform_projector::queries::{self, RemindersQuery, TasksQuery};
use reform_projector::registers::DUE_SOON_DAYS;
use reform_projector::views::{TaskFilter, TaskRow, TaskStatus};
use reform_shared::directory::Directory;
use reform_shared::ids::{PersonId, UnitId};
use reform_shared::passkey::PasskeyKey;
use reform_shared::time::Date;
use std::sync::Arc;

/// What the page shows of the directory for one person.
struct Mine {
    name: String,
    title: String,
    /// The units they lead today, by name.
    units: Vec<(UnitId, String)>,
    /// The units they lead or work at today: where their own tasks are.
    works_at: Vec<UnitId>,
    /// Who a task there may be given to: the people who lead or work at those units.
    people: Vec<(PersonId, String)>,
}

fn mine(d: &Directory, person: &PersonId, today: Date) -> Option<Mine> {
    let me = d.person(person)?;
    let mut units: Vec<(UnitId, String)> = d
        .tenures
        .values()
        .filter(|t| &t.person == person && t.covers(today))
        .filter_map(|t| d.unit(&t.unit).map(|u| (u.id.clone(), u.name.clone())))
        .collect();
    units.sort();
    units.dedup();
    let here = |unit: &UnitId| units.iter().any(|(u, _)| u == unit);
    let mut people: Vec<(PersonId, String)> = working_at(d, here, today)
        .map(|(p, _)| p)
        .chain([person])
        .filter_map(|p| d.person(p).map(|x| (p.clone(), x.name.clone())))
        .collect();
    people.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    people.dedup();
    let mut works_at: Vec<UnitId> = units.iter().map(|(u, _)| u.clone()).collect();
    works_at.extend(
        d.grants
            .iter()
            .filter(|g| &g.person == person && g.covers(today))
            .filter_map(|g| g.unit.clone()),
    );
    works_at.sort();
    works_at.dedup();
    Some(Mine { name: me.name.clone(), title: me.title.clone(), units, works_at, people })
}

/// At most this many units are searched for a person's own tasks: a person works at a few.
const UNITS_SEARCHED_MAX: usize = 20;

/// Open tasks (overdue included) given this year or last at `units` (their sub-units too
/// when asked), only `person`'s when given, by due date.
async fn open_tasks(
    app: &App,
    units: &[UnitId],
    person: Option<&PersonId>,
    with_sub_units: bool,
    today: Date,
) -> Result<Vec<TaskRow>, PageError> {
    let this = u16::try_from(today.year()).unwrap_or(u16::MAX);
    let mut rows = Vec::new();
    for unit in units.iter().take(UNITS_SEARCHED_MAX) {
        for year in [this.saturating_sub(1), this] {
            let filter =
                TaskFilter { person: person.cloned(), with_sub_units, ..TaskFilter::default() };
            let q = TasksQuery { unit: unit.clone(), year, as_of: None, filter };
            let list = queries::tasks(&app.client, &q).await?;
            let open = |t: &TaskRow| matches!(t.status, TaskStatus::Open | TaskStatus::Overdue);
            rows.extend(list.tasks.into_iter().filter(open));
        }
    }
    rows.sort_by(|a, b| a.due.cmp(&b.due).then(a.task.cmp(&b.task)));
    rows.dedup_by(|a, b| a.task == b.task);
    Ok(rows)
}

/// The person signed in by `headers`' cookie, and what `f` reads of the directory for them
/// today; `None` when nobody is signed in, or their passkey was revoked since (it could sign
/// nothing now, so the session ends) or `f` finds nothing.
pub(super) async fn signed_in<T>(
    app: &App,
    headers: &HeaderMap,
    f: impl FnOnce(&Directory, &PersonId) -> Option<T>,
) -> Result<Option<(Session, T)>, PageError> {
    let Some(session) = super::session_of(app, headers) else { return Ok(None) };
    let found = app
        .workspace
        .known
        .with(&app.js(), |d| {
            let valid = d.check_signer(&session.person, &session.key).is_ok();
            valid.then(|| f(d, &session.person)).flatten()
        })
        .await
        .map_err(|e| PageError::Unavailable(Box::new(e)))?;
    Ok(found.map(|found| (session, found)))
}

/// The attributes `passkey.js` reads: whose passkey signs, on which site, and the sentences it
/// says when a browser cannot sign.
pub(super) fn signer(view: &View, app: &App, session: &Session) -> Markup {
    let credential =
        PasskeyKey::parse(&session.key).map(|k| k.credential_id_b64()).unwrap_or_default();
    html! {
        div #workspace data-rp-id=(app.workspace.rp_id) data-lang=(view.lang.code())
            data-person=(session.person) data-key=(session.key) data-credential=(credential)
            data-msg-no-passkey=(view.t("Trình duyệt này không dùng được khóa truy cập (passkey).", "This browser cannot use passkeys."))
            data-msg-cancelled=(view.t("Lệnh chưa được ký: thao tác đã bị hủy hoặc hết thời gian.", "The command was not signed: cancelled or timed out."))
            data-msg-receipt=(view.t("Biên nhận của lệnh", "The command's receipt"))
            data-msg-date=(view.t("không phải một ngày: hãy viết ngày/tháng/năm, như 30/06/2016.", "is not a day: write day/month/year, as 30/06/2016.")) {}
    }
}

/// What closes every workspace page that signs: the note for browsers without JavaScript,
/// and the script.
pub(super) fn signing_script(view: &View) -> Markup {
    html! {
        noscript { p { (view.t("Cần bật JavaScript để ký lệnh bằng khóa truy cập.", "Signing commands with a passkey needs JavaScript.")) } }
        script src="/passkey.js" {}
    }
}

/// Tasks completed in the last [`DUE_SOON_DAYS`] days at `units` (their sub-units too), with
/// the day each was: what their leader has to look at. The digest's own figures.
async fn completed_lately(app: &App, units: &[UnitId]) -> Result<Vec<(Date, TaskRow)>, PageError> {
    let mut rows = Vec::new();
    for unit in units.iter().take(UNITS_SEARCHED_MAX) {
        let q = RemindersQuery { unit: unit.clone(), person: None, on: None, since: None };
        rows.extend(queries::reminders(&app.client, &q).await?.completed);
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.task.cmp(&b.1.task)));
    rows.dedup_by(|a, b| a.1.task == b.1.task);
    Ok(rows)
}

/// The person's work at a glance: their tasks due within a week and overdue, what was
/// completed lately at the units they lead, and how many units those are.
fn at_a_glance(view: &View, tasks: &[TaskRow], waiting: &[(Date, TaskRow)], led: usize) -> Markup {
    let soon = view.today.add_days(DUE_SOON_DAYS).unwrap_or(view.today);
    let due_soon = tasks.iter().filter(|t| t.status == TaskStatus::Open && t.due <= soon).count();
    let overdue = tasks.iter().filter(|t| t.status == TaskStatus::Overdue).count();
    html! {
        dl #glance {
            dt { (view.t("Việc của tôi đến hạn trong 7 ngày tới", "My tasks due within 7 days")) } dd #glance-due { (due_soon) }
            dt { (view.t("Việc của tôi đã quá hạn", "My tasks overdue")) } dd #glance-overdue { (overdue) }
            dt { (view.t("Việc mới hoàn thành tại đơn vị, chờ xem xét", "Completed lately at your units, to review")) } dd #glance-review { (waiting.len()) }
            dt { (view.t("Đơn vị bạn lãnh đạo", "Units you lead")) } dd { (led) }
        }
        @if !waiting.is_empty() {
            h2 { (view.t("Mới hoàn thành trong 7 ngày qua", "Completed in the last 7 days")) }
            ul #review { @for (on, t) in waiting {
                li { a href=(view.href(&format!("/tasks/{}", t.task))) { (t.title) } " · " (t.unit_name) " · " (view.date(*on)) }
            } }
        }
    }
}

pub async fn page(
    State(app): State<Arc<App>>,
    Asked(params): Asked,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let view = view(&params)?;
    let today = view.today;
    let found = signed_in(&app, &headers, |d, person| {
        Some((mine(d, person, today)?, finding::inspects(d, person, today)))
    })
    .await?;
    let Some((session, (mine, inspects))) = found else {
        return Ok(Redirect::to(&view.href("/sign-in")).into_response());
    };
    let tasks = open_tasks(&app, &mine.works_at, Some(&session.person), false, today).await?;
    let led: Vec<UnitId> = mine.units.iter().map(|(u, _)| u.clone()).collect();
    let given = open_tasks(&app, &led, None, true, today).await?;
    let waiting = completed_lately(&app, &led).await?;
    let content = html! {
        (signer(&view, &app, &session))
        p #who { strong { (mine.name) } @if !mine.title.is_empty() { ", " (mine.title) } }
        form method="post" action=(view.href("/sign-out")) {
            button type="submit" { (view.t("Đăng xuất", "Sign out")) }
        }
        (at_a_glance(&view, &tasks, &waiting, mine.units.len()))
        @if !mine.units.is_empty() || inspects.appraises {
            p { a #to-scores href=(view.href("/work/scores")) { (view.t("Chấm điểm Chỉ số CCHC", "Score the PAR index")) } }
        }
        (my_tasks_section(&view, &tasks))
        @if mine.units.is_empty() {
            p { (view.t("Hôm nay bạn không lãnh đạo đơn vị nào, nên chưa có việc giao được.", "You lead no unit today, so there is nothing to assign.")) }
        } @else {
            h2 { (view.t("Đơn vị bạn lãnh đạo", "Units you lead")) }
            ul { @for (unit, name) in &mine.units { li { a href=(view.href(&format!("/units/{unit}"))) { (name) } } } }
            (assign_form(&view, &mine))
            (plan_form(&view, &mine))
            (direct_forms(&view, &mine, &given))
        }
        (finding::form(&view, &inspects))
        (signing_script(&view))
    };
    let title = view.t("Việc của tôi", "My work");
    Ok(html(frame(&view, "/work", title, None, content)).into_response())
}

/// A choice of one of `tasks`, by title and due date.
fn choose_task(view: &View, id: &str, tasks: &[TaskRow]) -> Markup {
    html! {
        select id=(id) name="task" required {
            @for t in tasks {
                option value=(t.task) { (t.title) " · " (t.unit_name) " (" (view.t("hạn ", "due ")) (view.date(t.due)) ")" }
            }
        }
    }
}

/// A form for one command on one of `tasks`: its fields after the task's choice.
fn task_form(
    view: &View,
    id: &str,
    command: &str,
    heading: (&str, &str),
    tasks: &[TaskRow],
    fields: Markup,
    submit: (&str, &str),
) -> Markup {
    html! {
        h3 { (view.lang.pick(heading.0, heading.1)) }
        form .command id=(id) data-service="tasks" data-command=(command) {
            label for=(format!("{id}-task")) { (view.t("Nhiệm vụ", "Task")) }
            (choose_task(view, &format!("{id}-task"), tasks))
            (fields)
            button type="submit" { (view.lang.pick(submit.0, submit.1)) }
            p .outcome role="status" hidden {}
        }
    }
}

/// The person's own open tasks, and the forms to report on them.
fn my_tasks_section(view: &View, tasks: &[TaskRow]) -> Markup {
    let choose = |id: &str| choose_task(view, id, tasks);
    html! {
        section aria-labelledby="mine-heading" {
            h2 #mine-heading { (view.t("Nhiệm vụ của tôi", "My tasks")) " (" (tasks.len()) ")" }
            @if tasks.is_empty() {
                p { (view.t("Không có nhiệm vụ đang thực hiện.", "No open tasks.")) }
            } @else {
                table #my-tasks .fold {
                    thead { tr {
                        th { (view.t("Nhiệm vụ", "Task")) } th { (view.t("Đơn vị", "Unit")) }
                        th { (view.t("Hạn", "Due")) } th { (view.t("Trạng thái", "Status")) }
                    } }
                    tbody { @for t in tasks {
                        tr class=[(t.status == TaskStatus::Overdue).then_some("overdue")] {
                            td .key { a href=(view.href(&format!("/tasks/{}", t.task))) { (t.title) } }
                            td data-label=(view.t("Đơn vị", "Unit")) { (t.unit_name) }
                            td data-label=(view.t("Hạn", "Due")) { (view.date(t.due)) }
                            td data-label=(view.t("Trạng thái", "Status")) { (view.lang.pick(t.status.label_vi(), t.status.label_en())) }
                        }
                    } }
                }
                h3 { (view.t("Báo cáo tiến độ", "Report progress")) }
                form .command #progress data-service="tasks" data-command="report-progress" {
                    label for="progress-task" { (view.t("Nhiệm vụ", "Task")) }
                    (choose("progress-task"))
                    label for="progress-percent" { (view.t("Tỷ lệ hoàn thành (%)", "Done (%)")) }
                    input #progress-percent type="number" name="percent" min="0" max="100" required data-number="1";
                    label for="progress-note" { (view.t("Nội dung đã thực hiện", "What was done")) }
                    input #progress-note name="note" maxlength="2000";
                    button type="submit" { (view.t("Ký và gửi báo cáo", "Sign and report")) }
                    p .outcome role="status" hidden {}
                }
                h3 { (view.t("Đính kèm minh chứng", "Attach a document")) }
                form #attach {
                    label for="attach-task" { (view.t("Nhiệm vụ", "Task")) }
                    select #attach-task name="task" required {
                        @for t in tasks { option value=(t.task) data-unit=(t.unit) { (t.title) " · " (t.unit_name) } }
                    }
                    label for="attach-file" { (view.t("Tệp văn bản (PDF, Word, ảnh; tối đa 16 MiB)", "The file (PDF, Word, image; at most 16 MiB)")) }
                    input #attach-file type="file" name="file" required;
                    label for="attach-title" { (view.t("Trích yếu văn bản", "The document's title")) }
                    input #attach-title name="title" required maxlength="500";
                    label for="attach-number" { (view.t("Số, ký hiệu văn bản", "Document number")) }
                    input #attach-number name="document_number" required maxlength="100";
                    label for="attach-date" { (view.t("Ngày ban hành", "Date issued")) }
                    (date_field(view, "attach-date", "document_date", None, true))
                    button type="submit" { (view.t("Ký và đính kèm", "Sign and attach")) }
                    p .outcome role="status" hidden {}
                }
                h3 { (view.t("Báo cáo hoàn thành", "Report completion")) }
                form .command #complete data-service="tasks" data-command="complete-task" {
                    label for="complete-task" { (view.t("Nhiệm vụ", "Task")) }
                    (choose("complete-task"))
                    label for="complete-note" { (view.t("Kết quả đạt được", "The result")) }
                    input #complete-note name="note" required maxlength="2000";
                    button type="submit" { (view.t("Ký và báo hoàn thành", "Sign and complete")) }
                    p .outcome role="status" hidden {}
                }
            }
        }
    }
}

/// What a head does with the open tasks of the units they lead: move a deadline (with a
/// reason), give a task to another person, cancel one.
fn direct_forms(view: &View, mine: &Mine, tasks: &[TaskRow]) -> Markup {
    let reason = |id: &str| {
        html! {
            label for=(id) { (view.t("Lý do", "Reason")) }
            input id=(id) name="reason" required maxlength="2000";
        }
    };
    let deadline = html! {
        label for="deadline-due" { (view.t("Thời hạn mới", "New due date")) }
        (date_field(view, "deadline-due", "due", None, true))
        (reason("deadline-reason"))
    };
    let reassign = html! {
        label for="reassign-person" { (view.t("Người chịu trách nhiệm mới", "New person responsible")) }
        (choose("reassign-person", "person", &mine.people))
        (reason("reassign-reason"))
    };
    html! {
        section aria-labelledby="given-heading" {
            h2 #given-heading { (view.t("Nhiệm vụ đang thực hiện tại đơn vị", "Open tasks at your units")) " (" (tasks.len()) ")" }
            @if tasks.is_empty() {
                p { (view.t("Không có.", "None.")) }
            } @else {
                (task_form(view, "deadline", "change-deadline", ("Điều chỉnh thời hạn", "Move a deadline"), tasks, deadline, ("Ký và điều chỉnh", "Sign and move")))
                (task_form(view, "reassign", "reassign-task", ("Giao lại cho người khác", "Give to another person"), tasks, reassign, ("Ký và giao lại", "Sign and reassign")))
                (task_form(view, "cancel", "cancel-task", ("Hủy nhiệm vụ", "Cancel a task"), tasks, reason("cancel-reason"), ("Ký và hủy", "Sign and cancel")))
            }
        }
    }
}

/// Issuing a unit's reform plan for a year (kế hoạch CCHC), by its document.
fn plan_form(view: &View, mine: &Mine) -> Markup {
    let year = view.today.year();
    html! {
        section aria-labelledby="plan-heading" {
            h2 #plan-heading { (view.t("Ban hành kế hoạch cải cách hành chính", "Issue the reform plan")) }
            form .command #plan data-service="tasks" data-command="issue-plan" data-new-id="plan" {
                label for="plan-unit" { (view.t("Đơn vị", "Unit")) }
                (choose("plan-unit", "unit", &mine.units))
                label for="plan-year" { (view.t("Năm kế hoạch", "Year")) }
                input #plan-year type="number" name="year" min="2000" max="2100" value=(year + 1) required data-number="1";
                label for="plan-number" { (view.t("Số, ký hiệu kế hoạch", "Document number")) }
                input #plan-number name="document_number" required maxlength="100" placeholder="96/KH-SGDĐT";
                label for="plan-title" { (view.t("Trích yếu", "Title")) }
                input #plan-title name="title" required maxlength="500";
                button type="submit" { (view.t("Ký và ban hành", "Sign and issue")) }
                p .outcome role="status" hidden {}
            }
        }
    }
}

/// Giving a task with the "5 rõ": who, what, by when, the result, and (by signing) who gave it.
fn assign_form(view: &View, mine: &Mine) -> Markup {
    html! {
        section aria-labelledby="assign-heading" {
            h2 #assign-heading { (view.t("Giao nhiệm vụ", "Assign a task")) }
            form .command #assign data-service="tasks" data-command="assign-task" data-new-id="task" {
                label for="assign-unit" { (view.t("Đơn vị thực hiện", "Unit")) }
                (choose("assign-unit", "unit", &mine.units))
                label for="assign-person" { (view.t("Người chịu trách nhiệm", "Person responsible")) }
                (choose("assign-person", "person", &mine.people))
                label for="assign-title" { (view.t("Nội dung nhiệm vụ", "The work")) }
                input #assign-title name="title" required maxlength="500";
                label for="assign-target" { (view.t("Kết quả, sản phẩm cần đạt", "Expected result")) }
                input #assign-target name="target" required maxlength="500";
                label for="assign-due" { (view.t("Thời hạn hoàn thành", "Due")) }
                (date_field(view, "assign-due", "due", None, true))
                button type="submit" { (view.t("Ký và giao nhiệm vụ", "Sign and assign")) }
                p .outcome role="status" hidden {}
            }
        }
    }
}
