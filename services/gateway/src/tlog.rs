//! `/log/`: the log's tiles and checkpoint as c2sp.org/tlog-tiles serves them, read-only, from
//! the directory the publisher (`reform-tlog`) writes. Any tlog client can fetch and check the
//! tree from here; no event is in it (see `reform_shared::tlog`).

use crate::App;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use reform_shared::tlog::tiles::TilePath;
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
