//! `/upload`: a document's bytes, staged in the upload stream for the attach command the page
//! signs next. Only a signed-in person may stage (the stream is a shared waiting room, not a
//! place for anyone on the web to fill). The page computed the file's SHA-256 itself
//! (WebCrypto) and names it; a body that is not that file, or is over the evidence service's
//! limit, is refused here, and the service checks size and digest again when it takes the
//! upload in.

use super::{answer, FromSite};
use crate::page::Lang;
use crate::App;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use reform_evidence::{store, upload, EVIDENCE_BYTES_MAX};
use std::sync::Arc;

/// The header that names the file's SHA-256, in hex, as the page computed it.
pub const DIGEST_HEADER: &str = "x-par-sha256";

pub async fn stage(
    State(app): State<Arc<App>>,
    FromSite(lang): FromSite,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signed_in = super::session::token_of(&headers)
        .and_then(|t| app.workspace.sessions.get(&t, std::time::Instant::now()));
    if signed_in.is_none() {
        let said = lang.pick("Hãy đăng nhập trước khi tải tệp lên.", "Sign in before uploading.");
        return answer(StatusCode::FORBIDDEN, false, said, serde_json::Value::Null);
    }
    let refused = |vi: String, en: String| {
        answer(StatusCode::BAD_REQUEST, false, &lang_pick(lang, vi, en), serde_json::Value::Null)
    };
    let size = u64::try_from(body.len()).unwrap_or(u64::MAX);
    if body.is_empty() || size > EVIDENCE_BYTES_MAX {
        let mib = EVIDENCE_BYTES_MAX / (1024 * 1024);
        return refused(
            format!("Tệp phải có nội dung và không quá {mib} MiB."),
            format!("The file must be non-empty and at most {mib} MiB."),
        );
    }
    let claimed = headers.get(DIGEST_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let digest = hex::encode(store::digest_of(&body));
    if claimed != digest {
        return refused(
            "Nội dung tải lên không phải tệp đã chọn (mã băm SHA-256 không khớp).".to_owned(),
            "What was uploaded is not the file chosen (its SHA-256 differs).".to_owned(),
        );
    }
    match upload::stage(&app.js(), &body).await {
        Ok(id) => answer(StatusCode::OK, true, "", serde_json::json!({"upload": id, "size": size})),
        Err(e) => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            false,
            &lang_pick(
                lang,
                "Tạm thời không tải được tệp lên; hãy thử lại.".to_owned(),
                e.to_string(),
            ),
            serde_json::Value::Null,
        ),
    }
}

fn lang_pick(lang: Lang, vi: String, en: String) -> String {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}
