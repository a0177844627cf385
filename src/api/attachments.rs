//! `/api/v1/attachments`: photos and documents, uploaded one file at a time as the raw body,
//! then named by their SHA-256 in a request or a note.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};

use super::extract::{AuthOfficer, ReqLang};
use super::problem::Problem;
use crate::node::{Node, Uploaded};

/// `POST /api/v1/attachments` — upload one file (附件) as the raw body: a JPEG, PNG or WebP
/// photo or a PDF document, judged by its content whatever its name or `Content-Type`. The
/// file is streamed to disk, checked (images decoded under limits; nothing holding web page
/// markup), kept once by its SHA-256 and synced before the answer. The answer's `sha256`
/// is what a request or note names. Over the station's size limit is 413
/// `attachment_too_large` (with the limit in words), another type 415
/// `unsupported_media_type`, a file that fails its check 422 (`file_truncated`,
/// `image_too_large`, `image_undecodable`, `hidden_markup`). An upload that no request or note
/// names within a day is removed.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "attachments",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file's bytes"),
    responses((status = 201, body = Uploaded), (status = 403, body = Problem), (status = 413, body = Problem),
              (status = 415, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn upload(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Uploaded>), Problem> {
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let uploaded = node
        .upload_attachment(&officer, declared, body.into_data_stream())
        .await
        .map_err(|e| Problem::from_node(&e, lang))?;
    Ok((StatusCode::CREATED, Json(uploaded)))
}
