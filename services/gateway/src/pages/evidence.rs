//! `/evidence/{id}`: an evidence document's file, read from the evidence bucket and checked on
//! the way out against the SHA-256 and size its attach event recorded: a file someone altered
//! in the bucket is refused, never served. An erased document's record stays, and its page says
//! so: its content is gone for good (410).

use crate::page::PageError;
use crate::App;
use axum::extract::{Path, State};
use axum::response::Response;
use reform_evidence::client::{self, FetchError, Lookup};
use reform_evidence::store::StoreError;
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
    let erased = |e: FetchError| match e {
        FetchError::Store(StoreError::Erased { .. }) => PageError::Gone(crate::page::Said {
            vi: format!(
                "Nội dung của văn bản {} \"{}\" đã được xóa theo căn cứ pháp lý (dữ liệu cá \
                 nhân). Hồ sơ vẫn giữ tên, số, ngày và mã SHA-256 của văn bản.",
                document.document_number, document.title
            ),
            en: format!(
                "the content of document {} \"{}\" was erased on a legal basis (personal \
                 data); the record keeps its title, number, date and SHA-256",
                document.document_number, document.title
            ),
        }),
        other => unknown(other),
    };
    let bytes =
        client::fetch(&app.client, &Lookup::Evidence(evidence.clone())).await.map_err(erased)?;
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
