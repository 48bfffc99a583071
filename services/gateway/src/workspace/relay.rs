//! `/relay`: a request signed in the page by the person's passkey, sent on to its service as
//! `reformctl` would send it. The gateway adds nothing and can change nothing: the service
//! checks the signature over the exact bytes, and the answer it gives is told to the person.

use super::{answer, FromSite};
use crate::page::Lang;
use crate::App;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use reform_projector::queries;
use reform_shared::command::{Accepted, CommandError};
use reform_shared::envelope::{Signature, SignatureAlgorithm};
use reform_shared::passkey::Assertion;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// The services a page may send to.
const SERVICES: [&str; 4] = ["directory", "tasks", "evidence", "scoring"];

/// What the page's script posts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed {
    pub service: String,
    /// The request's JSON bytes, base64url: exactly what was signed.
    pub request: String,
    /// The passkey (`webauthn:…`).
    pub key: String,
    pub assertion: Parts,
}

/// An assertion's three parts as the browser gives them, base64url.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parts {
    pub authenticator_data: String,
    pub client_data_json: String,
    pub signature: String,
}

impl Parts {
    pub fn decode(&self) -> Option<Assertion> {
        Some(Assertion {
            authenticator_data: B64.decode(&self.authenticator_data).ok()?,
            client_data_json: B64.decode(&self.client_data_json).ok()?,
            signature: B64.decode(&self.signature).ok()?,
        })
    }
}

pub async fn relay(State(app): State<Arc<App>>, FromSite(lang): FromSite, body: Bytes) -> Response {
    let Some((service, signature)) = read(&body) else {
        let said = lang.pick(
            "Yêu cầu gửi lên không đúng dạng một lệnh đã ký.",
            "What was sent is not a signed command.",
        );
        return answer(StatusCode::BAD_REQUEST, false, said, serde_json::Value::Null);
    };
    let headers = reform_shared::sign::headers(&signature);
    let sent =
        reform_shared::command::send_signed(&app.client, service, signature.request, headers).await;
    match sent {
        Ok(accepted) => {
            // The page goes to the workspace next: answer once the views show what was
            // recorded, so the person sees it there, not the page before it.
            let shown = queries::status_through(&app.client, accepted.sequence, VIEWS_WAIT)
                .await
                .is_ok_and(|status| status.applied_through >= accepted.sequence);
            let said = recorded(&accepted, shown, lang);
            let mut extra = serde_json::json!({
                "sequence": accepted.sequence,
                "event": accepted.event,
                "shown": shown,
            });
            if app.tlog_dir.is_some() {
                extra["receipt"] = format!("/log/receipt/{}", accepted.sequence).into();
            }
            answer(StatusCode::OK, true, &said, extra)
        }
        Err(error) => {
            let said = refusal(&error, lang);
            let extra = serde_json::json!({"kind": error.kind()});
            answer(StatusCode::OK, false, &said, extra)
        }
    }
}

/// How long the answer to a recorded command waits for the views to show it.
const VIEWS_WAIT: Duration = Duration::from_secs(3);

/// What a person is told of their recorded command, and whether the pages show it yet.
fn recorded(accepted: &Accepted, shown: bool, lang: Lang) -> String {
    let sequence = accepted.sequence;
    match lang {
        Lang::Vi => {
            let what = reform_shared::wording::event_vi(&accepted.event).unwrap_or("lệnh");
            let later = if shown {
                ""
            } else {
                " Trang tổng hợp chưa kịp cập nhật; tải lại trang sau ít phút để thấy thay đổi."
            };
            format!("Đã ghi: {what}, số thứ tự {sequence} trong nhật ký.{later}")
        }
        Lang::En => {
            let later =
                if shown { "" } else { " The views have not caught up yet; reload in a while." };
            format!("Recorded: {}, sequence {sequence} in the log.{later}", accepted.event)
        }
    }
}

/// The service and the signature a body names, if it is a signed command of a known service.
fn read(body: &[u8]) -> Option<(&'static str, Signature)> {
    let signed: Signed = serde_json::from_slice(body).ok()?;
    let service = SERVICES.into_iter().find(|s| *s == signed.service)?;
    let assertion = signed.assertion.decode()?;
    let signature = Signature {
        key: signed.key,
        algorithm: SignatureAlgorithm::WebAuthn,
        bytes: assertion.to_bytes(),
        request: B64.decode(&signed.request).ok()?,
    };
    Some((service, signature))
}

/// A service's answer in the reader's language: its own sentence when it has a reason the
/// wording table knows, else what its kind means.
pub fn refusal(error: &CommandError, lang: Lang) -> String {
    if lang == Lang::En {
        return error.to_string();
    }
    let reason = match error {
        CommandError::Failed { reason, .. } => reason.as_ref(),
        _ => None,
    };
    reason
        .and_then(reform_shared::wording::refusal_vi)
        .unwrap_or_else(|| reform_shared::wording::failure_vi(error.kind()).to_owned())
}
