//! `/log/`: the log's tiles and checkpoint as c2sp.org/tlog-tiles serves them, read-only, from
//! the directory the publisher (`reform-tlog`) writes. Any tlog client can fetch and check the
//! tree from here; no event is in it (see `reform_shared::tlog`).

use crate::App;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use reform_shared::envelope::Actor;
use reform_shared::tlog::tiles::TilePath;
use reform_tlog::receipt::{self, ReceiptError};
use reform_tlog::store::TileDir;
use std::sync::Arc;

/// Tiles never change: a year, immutable.
const TILE_CACHE: &str = "public, max-age=31536000, immutable";

fn missing(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{what}\n"),
    )
        .into_response()
}

/// `GET /log/checkpoint`: the latest checkpoint, with its cosignatures.
pub async fn checkpoint(State(app): State<Arc<App>>) -> Response {
    let Some(dir) = &app.tlog_dir else { return missing("this gateway publishes no tiles") };
    match tokio::fs::read(dir.join("checkpoint")).await {
        Ok(note) => (
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            note,
        )
            .into_response(),
        Err(_) => missing("no checkpoint published yet"),
    }
}

/// `GET /log/tile/{path}`: a hash tile or an entry bundle; only paths the specification spells.
pub async fn tile(State(app): State<Arc<App>>, Path(path): Path<String>) -> Response {
    let Some(dir) = &app.tlog_dir else { return missing("this gateway publishes no tiles") };
    let path = format!("tile/{path}");
    let Ok(tile) = TilePath::parse(&path) else {
        return (StatusCode::BAD_REQUEST, "not a tile path\n").into_response();
    };
    match tokio::fs::read(dir.join(tile.to_path())).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (header::CACHE_CONTROL, TILE_CACHE),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => missing("no such tile"),
    }
}

fn refused(status: StatusCode, text: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{text}\n"))
        .into_response()
}

/// `GET /log/receipt/{sequence}`: the receipt (c2sp.org/tlog-proof) of a period's close, to
/// keep with its report, or of a command to the person signed in who recorded it; checked
/// offline with `reformctl audit check-receipt`.
pub async fn receipt_of(
    State(app): State<Arc<App>>,
    Path(sequence): Path<u64>,
    headers: HeaderMap,
) -> Response {
    let Some(dir) = &app.tlog_dir else { return missing("this gateway publishes no tiles") };
    let receipt = match receipt::from_log(&app.js(), &TileDir::new(dir), sequence).await {
        Ok(r) => r,
        Err(ReceiptError::NoCheckpoint) => {
            return refused(StatusCode::NOT_FOUND, "Chưa có điểm kiểm nào được công bố.".into())
        }
        Err(ReceiptError::NotYet { size, .. }) => {
            return refused(
                StatusCode::NOT_FOUND,
                format!("Bản ghi số {sequence} chưa nằm trong điểm kiểm mới nhất (gồm {size} bản ghi); xin thử lại sau ít phút."),
            )
        }
        Err(ReceiptError::Log(_)) => {
            return refused(
                StatusCode::SERVICE_UNAVAILABLE,
                "Không đọc được sổ ghi lúc này; xin thử lại.".into(),
            )
        }
        Err(e) => return refused(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    // A period's close is public (its report is); any other event's bytes only to the person
    // who recorded it, signed in, as the tiles publish none (`reformctl audit receipt` for an
    // operator).
    let record = reform_shared::codec::decode(&receipt.message).ok();
    let closes = record.as_ref().is_some_and(|r| {
        matches!(r.envelope.event, reform_shared::event::Event::PeriodRolledUp { .. })
    });
    let recorder = record.map(|r| r.envelope.actor);
    let own = match (&recorder, crate::workspace::session_of(&app, &headers)) {
        (Some(Actor::Person(by)), Some(session)) => *by == session.person,
        _ => false,
    };
    if !closes && !own {
        return refused(
            StatusCode::FORBIDDEN,
            format!("Bản ghi số {sequence} không phải là bản ghi khóa sổ một kỳ báo cáo, cũng không phải lệnh của người đang đăng nhập: ở đây chỉ cấp biên nhận của báo cáo định kỳ, và của lệnh do chính bạn ký sau khi đăng nhập. Biên nhận của bản ghi khác do bộ phận vận hành cấp theo yêu cầu."),
        );
    }
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"ban-ghi-{sequence}.tlog-proof\""),
            ),
        ],
        receipt.to_text(),
    )
        .into_response()
}
