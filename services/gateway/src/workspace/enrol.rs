//! Enrolling a passkey: the person opens `/enrol?person=P`, types the code an administrator
//! gave them, and the browser makes a passkey for this site. The page then signs the
//! enrolment with that very passkey and relays it to the directory service, which checks the
//! code; the server only reads the new credential's public key out of the browser's answer.

use super::{answer, FromSite};
use crate::page::{frame, Asked, PageError};
use crate::pages::{html, view, PageResult};
use crate::App;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use maud::html;
use reform_shared::ids::PersonId;
use reform_shared::passkey::{self, PasskeyKey};
use serde::Deserialize;
use std::sync::Arc;

pub async fn page(State(app): State<Arc<App>>, Asked(params): Asked) -> PageResult {
    let view = view(&params)?;
    let asked = params.person.as_deref().unwrap_or_default();
    let missing = || {
        PageError::missing(
            format!("Không có người {asked:?} trong danh mục; hãy dùng đúng đường dẫn quản trị hệ thống gửi."),
            format!("There is no person {asked:?} in the directory; use the link the administrator sent."),
        )
    };
    let person: PersonId = asked.parse().map_err(|_| missing())?;
    let name = app
        .workspace
        .known
        .with(&app.js(), |d| d.person(&person).map(|p| p.name.clone()))
        .await
        .map_err(|e| PageError::Unavailable(Box::new(e)))?
        .ok_or_else(missing)?;
    let content = html! {
        div #workspace data-rp-id=(app.workspace.rp_id) data-lang=(view.lang.code())
            data-person=(person) data-name=(name)
            data-msg-no-passkey=(view.t("Trình duyệt này không dùng được khóa truy cập (passkey).", "This browser cannot use passkeys."))
            data-msg-cancelled=(view.t("Chưa tạo được khóa truy cập: thao tác đã bị hủy hoặc hết thời gian.", "No passkey was made: cancelled or timed out.")) {}
        p { (view.t("Đăng ký khóa truy cập (passkey) cho ", "Enrol a passkey for ")) strong { (name) } "." }
        p { (view.t("Khóa truy cập nằm trên thiết bị của bạn (điện thoại, máy tính, khóa bảo mật): mỗi lệnh bạn gửi được ký trên thiết bị, máy chủ không thể ký thay.",
                    "The passkey stays on your device (phone, computer, security key): every command you send is signed there, and the server cannot sign for you.")) }
        form #enrol {
            label for="code" { (view.t("Mã đăng ký được cấp", "The enrolment code you were given")) }
            input #code name="code" required autocomplete="off" autocapitalize="characters"
                placeholder="XXXX-XXXX-XXXX-XXXX" maxlength="40";
            button type="submit" { (view.t("Tạo khóa truy cập và đăng ký", "Make the passkey and enrol")) }
        }
        p #outcome .outcome role="status" hidden {}
        p #next hidden { a href=(view.href("/sign-in")) { (view.t("Đăng nhập", "Sign in")) } }
        noscript { p { (view.t("Cần bật JavaScript để dùng khóa truy cập.", "Passkeys need JavaScript.")) } }
        script src="/passkey.js" {}
    };
    let title = view.t("Đăng ký khóa truy cập", "Enrol a passkey");
    Ok(html(frame(&view, "/enrol", title, None, content)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCredential {
    /// The browser's attestation object, base64url.
    pub attestation_object: String,
}

/// The key string of a credential the browser just made, read from its attestation object.
pub async fn key(State(app): State<Arc<App>>, FromSite(lang): FromSite, body: Bytes) -> Response {
    let read = serde_json::from_slice::<NewCredential>(&body)
        .ok()
        .and_then(|n| B64.decode(n.attestation_object).ok())
        .ok_or_else(|| "not base64url JSON".to_owned())
        .and_then(|bytes| {
            passkey::key_of_new_credential(&bytes, &app.workspace.rp_id).map_err(|e| e.to_string())
        });
    match read.and_then(|key| PasskeyKey::parse(&key).map(|p| (key, p)).map_err(|e| e.to_string()))
    {
        Ok((key, parsed)) => {
            let extra =
                serde_json::json!({"key": key, "credential_id": parsed.credential_id_b64()});
            answer(StatusCode::OK, true, "", extra)
        }
        Err(detail) => {
            let said = match lang {
                crate::page::Lang::Vi => {
                    "Không đọc được khóa truy cập vừa tạo (chỉ dùng được khóa ES256 hoặc Ed25519)."
                        .to_owned()
                }
                crate::page::Lang::En => format!("The new passkey cannot be read: {detail}"),
            };
            answer(StatusCode::BAD_REQUEST, false, &said, serde_json::Value::Null)
        }
    }
}
