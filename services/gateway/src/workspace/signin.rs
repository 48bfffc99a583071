//! Signing in with a passkey: the page asks for a one-time challenge, the passkey signs it,
//! and a session opens for the person whose registered, unrevoked passkey it is. Signing out
//! ends it.

use super::relay::Parts;
use super::session::{cleared, cookie, token_of};
use super::{answer, FromSite};
use crate::page::{frame, Asked};
use crate::pages::{html, view, PageResult};
use crate::App;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use maud::html;
use reform_shared::passkey::{self, PasskeyKey};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Instant;

/// What a sign-in challenge's passkey signs: a tag and the challenge's name.
fn sign_in_message(nonce: &str) -> Vec<u8> {
    format!("par-sign-in-v1\n{nonce}").into_bytes()
}

pub async fn page(Asked(params): Asked) -> PageResult {
    let view = view(&params)?;
    let content = html! {
        div #workspace data-lang=(view.lang.code())
            data-msg-no-passkey=(view.t("Trình duyệt này không dùng được khóa truy cập (passkey).", "This browser cannot use passkeys."))
            data-msg-cancelled=(view.t("Chưa dùng khóa truy cập: thao tác đã bị hủy hoặc hết thời gian.", "The passkey was not used: cancelled or timed out.")) {}
        p { (view.t("Đăng nhập bằng khóa truy cập (passkey) đã đăng ký trên thiết bị này: không cần mật khẩu, không ai khác ký thay được.",
                    "Sign in with the passkey you enrolled on this device: no password, and no one can sign for you.")) }
        button #sign-in type="button" { (view.t("Đăng nhập bằng khóa truy cập", "Sign in with a passkey")) }
        p #outcome .outcome role="status" hidden {}
        noscript { p { (view.t("Cần bật JavaScript để dùng khóa truy cập.", "Passkeys need JavaScript.")) } }
        p { (view.t("Chưa có khóa truy cập? Hãy đề nghị quản trị hệ thống cấp mã đăng ký.",
                    "No passkey yet? Ask an administrator for an enrolment code.")) }
        script src="/passkey.js" {}
    };
    let title = view.t("Đăng nhập", "Sign in");
    Ok(html(frame(&view, "/sign-in", title, None, content)))
}

/// A fresh challenge: its name and what the passkey must sign (base64url).
pub async fn challenge(State(app): State<Arc<App>>, FromSite(lang): FromSite) -> Response {
    let Ok(nonce) = passkey::random_token() else {
        return no_randomness(lang);
    };
    let challenge = B64.encode(passkey::challenge(&sign_in_message(&nonce)));
    app.workspace.sessions.remember_challenge(nonce.clone(), Instant::now());
    let extra = serde_json::json!({"nonce": nonce, "challenge": challenge,
        "rp_id": app.workspace.rp_id});
    answer(StatusCode::OK, true, "", extra)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub nonce: String,
    /// The credential's id as the browser gives it (base64url).
    pub credential_id: String,
    pub assertion: Parts,
}

pub async fn finish(
    State(app): State<Arc<App>>,
    FromSite(lang): FromSite,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let refused =
        |vi, en| answer(StatusCode::FORBIDDEN, false, lang.pick(vi, en), serde_json::Value::Null);
    let Some((sign_in, assertion)) = serde_json::from_slice::<SignIn>(&body)
        .ok()
        .and_then(|s| s.assertion.decode().map(|a| (s, a)))
    else {
        return refused("Yêu cầu đăng nhập không đúng dạng.", "The sign-in request is malformed.");
    };
    if !app.workspace.sessions.take_challenge(&sign_in.nonce, Instant::now()) {
        return refused(
            "Lượt đăng nhập đã hết hạn hoặc đã dùng; hãy thử lại.",
            "The sign-in challenge expired or was used; try again.",
        );
    }
    let rp_id = app.workspace.rp_id.clone();
    let found = app
        .workspace
        .known
        .with(&app.js(), |d| {
            d.keys.iter().find_map(|(key, k)| {
                let parsed = PasskeyKey::parse(key).ok()?;
                let ours =
                    parsed.rp_id == rp_id && parsed.credential_id_b64() == sign_in.credential_id;
                (ours && k.revoked.is_none()).then(|| (key.clone(), k.person.clone()))
            })
        })
        .await;
    let (key, person) = match found {
        Ok(Some(found)) => found,
        Ok(None) => {
            return refused(
                "Khóa truy cập này chưa được đăng ký, hoặc đã bị thu hồi.",
                "This passkey is not enrolled, or it was revoked.",
            )
        }
        Err(_) => {
            let said = lang.pick(
                "Tạm thời không đọc được nhật ký; hãy thử lại.",
                "The log cannot be read now; try again.",
            );
            return answer(StatusCode::SERVICE_UNAVAILABLE, false, said, serde_json::Value::Null);
        }
    };
    if passkey::check(&key, &sign_in_message(&sign_in.nonce), &assertion).is_err() {
        return refused(
            "Chữ ký của khóa truy cập không hợp lệ.",
            "The passkey's signature does not check.",
        );
    }
    let Ok(token) = passkey::random_token() else {
        return no_randomness(lang);
    };
    app.workspace.sessions.open(token.clone(), person, key, Instant::now());
    let secure = headers.get(header::ORIGIN).is_some_and(|o| o.as_bytes().starts_with(b"https:"));
    let mut response = answer(
        StatusCode::OK,
        true,
        lang.pick("Đã đăng nhập.", "Signed in."),
        serde_json::Value::Null,
    );
    if let Ok(value) = cookie(&token, secure).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

pub async fn sign_out(
    State(app): State<Arc<App>>,
    FromSite(lang): FromSite,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = token_of(&headers) {
        app.workspace.sessions.close(&token);
    }
    let home = if lang == crate::page::Lang::En { "/?lang=en" } else { "/" };
    let mut response = Redirect::to(home).into_response();
    if let Ok(value) = cleared().parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn no_randomness(lang: crate::page::Lang) -> Response {
    let said = lang.pick("Máy chủ không lấy được số ngẫu nhiên.", "The server has no randomness.");
    answer(StatusCode::SERVICE_UNAVAILABLE, false, said, serde_json::Value::Null)
}
