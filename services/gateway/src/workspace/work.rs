//! `/work` ("Việc của tôi"): who is signed in, the units they lead today, and the forms they
//! may use there. A form's command is built and signed in the page (`passkey.js`); the page
//! shows the service's answer in place.

use super::session::token_of;
use crate::page::{frame, Asked, PageError, View};
use crate::pages::{html, view};
use crate::App;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use reform_shared::directory::Directory;
use reform_shared::ids::{PersonId, UnitId};
use reform_shared::passkey::PasskeyKey;
use reform_shared::time::Date;
use std::sync::Arc;
use std::time::Instant;

/// What the page shows of the directory for one person.
struct Mine {
    name: String,
    title: String,
    /// The units they lead today, by name.
    units: Vec<(UnitId, String)>,
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
    let mut people: Vec<(PersonId, String)> = d
        .tenures
        .values()
        .filter(|t| t.covers(today) && here(&t.unit))
        .map(|t| t.person.clone())
        .chain(
            d.grants
                .iter()
                .filter(|g| g.covers(today) && g.unit.as_ref().is_some_and(here))
                .map(|g| g.person.clone()),
        )
        .chain([person.clone()])
        .filter_map(|p| d.person(&p).map(|x| (p, x.name.clone())))
        .collect();
    people.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    people.dedup();
    Some(Mine { name: me.name.clone(), title: me.title.clone(), units, people })
}

pub async fn page(
    State(app): State<Arc<App>>,
    Asked(params): Asked,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let view = view(&params)?;
    let session = token_of(&headers).and_then(|t| app.workspace.sessions.get(&t, Instant::now()));
    let Some(session) = session else {
        return Ok(Redirect::to(&view.href("/sign-in")).into_response());
    };
    let found = app
        .workspace
        .known
        .with(&app.js(), |d| mine(d, &session.person, view.today))
        .await
        .map_err(|e| PageError::Unavailable(Box::new(e)))?;
    let Some(mine) = found else {
        return Ok(Redirect::to(&view.href("/sign-in")).into_response());
    };
    let credential =
        PasskeyKey::parse(&session.key).map(|k| k.credential_id_b64()).unwrap_or_default();
    let content = html! {
        div #workspace data-rp-id=(app.workspace.rp_id) data-lang=(view.lang.code())
            data-person=(session.person) data-key=(session.key) data-credential=(credential)
            data-msg-no-passkey=(view.t("Trình duyệt này không dùng được khóa truy cập (passkey).", "This browser cannot use passkeys."))
            data-msg-cancelled=(view.t("Lệnh chưa được ký: thao tác đã bị hủy hoặc hết thời gian.", "The command was not signed: cancelled or timed out.")) {}
        p #who { strong { (mine.name) } @if !mine.title.is_empty() { ", " (mine.title) } }
        form method="post" action=(view.href("/sign-out")) {
            button type="submit" { (view.t("Đăng xuất", "Sign out")) }
        }
        @if mine.units.is_empty() {
            p { (view.t("Hôm nay bạn không lãnh đạo đơn vị nào, nên chưa có việc giao được.", "You lead no unit today, so there is nothing to assign.")) }
        } @else {
            h2 { (view.t("Đơn vị bạn lãnh đạo", "Units you lead")) }
            ul { @for (unit, name) in &mine.units { li { a href=(view.href(&format!("/units/{unit}"))) { (name) } } } }
            (assign_form(&view, &mine))
        }
        noscript { p { (view.t("Cần bật JavaScript để ký lệnh bằng khóa truy cập.", "Signing commands with a passkey needs JavaScript.")) } }
        script src="/passkey.js" {}
    };
    let title = view.t("Việc của tôi", "My work");
    Ok(html(frame(&view, "/work", title, None, content)).into_response())
}

/// Giving a task with the "5 rõ": who, what, by when, the result, and (by signing) who gave it.
fn assign_form(view: &View, mine: &Mine) -> Markup {
    html! {
        section aria-labelledby="assign-heading" {
            h2 #assign-heading { (view.t("Giao nhiệm vụ", "Assign a task")) }
            form .command #assign data-service="tasks" data-command="assign-task" data-new-id="task" {
                label for="assign-unit" { (view.t("Đơn vị thực hiện", "Unit")) }
                select #assign-unit name="unit" required {
                    @for (unit, name) in &mine.units { option value=(unit) { (name) } }
                }
                label for="assign-person" { (view.t("Người chịu trách nhiệm", "Person responsible")) }
                select #assign-person name="person" required {
                    @for (person, name) in &mine.people { option value=(person) { (name) } }
                }
                label for="assign-title" { (view.t("Nội dung nhiệm vụ", "The work")) }
                input #assign-title name="title" required maxlength="500";
                label for="assign-target" { (view.t("Kết quả, sản phẩm cần đạt", "Expected result")) }
                input #assign-target name="target" required maxlength="500";
                label for="assign-due" { (view.t("Thời hạn hoàn thành", "Due")) }
                input #assign-due type="date" name="due" required min=(view.today);
                button type="submit" { (view.t("Ký và giao nhiệm vụ", "Sign and assign")) }
                p .outcome role="status" hidden {}
            }
        }
    }
}
