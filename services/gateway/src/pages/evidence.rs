//! `/evidence/{id}`: an evidence document's file, read from the evidence bucket and checked on
//! the way out against the SHA-256 and size its attach event recorded: a file someone altered
//! in the bucket is refused, never served.

use crate::page::PageError;
use crate::App;
use axum::extract::{Path, State};
use axum::response::Response;
use reform_evidence::client::{self, FetchError, Lookup};
use reform_shared::ids::EvidenceId;
use std::sync::Arc;

pub async fn download(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let evidence: EvidenceId = super::parse_id(&id, super::EVIDENCE)?;
    let unknown = |e: FetchError| match e {
        FetchError::UnknownEvidence { .. } => PageError::missing(
            format!("Không có tài liệu minh chứng {evidence}"),
            format!("no evidence document {evidence}"),
        ),
        other => PageError::Unavailable(other.into()),
    };
    let document = client::find(&app.client, &evidence).await.map_err(unknown)?;
    let bytes =
        client::fetch(&app.client, &Lookup::Evidence(evidence.clone())).await.map_err(unknown)?;
    let name = format!("minh-chung-{evidence}.{}", extension(&document.media_type));
    Ok(super::download(&document.media_type, &name, bytes))
}

/// A file name's extension for a media type, so the downloaded file opens in the right program.
fn extension(media_type: &str) -> &'static str {
    match media_type.split(';').next().unwrap_or_default().trim() {
        "application/pdf" => "pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "text/plain" => "txt",
        _ => "bin",
    }
}
