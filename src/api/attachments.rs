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

/// `?preview=1`: the re-encoded preview of an image instead of the original.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// `1` (or `true`) for an image's preview: a JPEG at most 1280 pixels on a side, with none
    /// of the original's metadata.
    #[serde(default, deserialize_with = "flag")]
    pub preview: bool,
}

fn flag<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    match <String as serde::Deserialize>::deserialize(deserializer)?.as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" | "" => Ok(false),
        _ => Err(serde::de::Error::custom("preview takes 1 or 0")),
    }
}

/// `GET /api/v1/cases/{id}/attachments/{sha256}` — one photo or document of the case, as
/// kept (its bytes hash to `sha256`, which the signed envelope names), or with `?preview=1`
/// an image's re-encoded preview. Only files the case's envelopes name, once they are here:
/// 404 `attachment_not_found` otherwise. Served as a download (`Content-Disposition:
/// attachment`, previews `inline`) with `nosniff`; audited like any read.
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments/{sha256}", tag = "attachments",
    params(("id" = String, Path, description = "case id or reference number"),
           ("sha256" = String, Path, description = "the file's SHA-256, 64 lowercase hex digits"), FileQuery),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
              (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn file(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    axum::extract::Path((id, sha256)): axum::extract::Path<(String, String)>,
    super::extract::QueryParams(query): super::extract::QueryParams<FileQuery>,
) -> Result<axum::response::Response, Problem> {
    let id = super::cases::case_id(&node, &id, lang)?;
    let served =
        node.attachment(&officer, id, &sha256, query.preview).await.map_err(|e| Problem::from_node(&e, lang))?;
    send_file(&served).await.map_err(|e| Problem::from_node(&e, lang))
}

/// The response carrying a served file: its type, how a browser should take it, no sniffing.
pub async fn send_file(served: &crate::node::Served) -> Result<axum::response::Response, crate::node::NodeError> {
    let file = tokio::fs::File::open(&served.path).await.map_err(|e| crate::store::StoreError::Files(e.to_string()))?;
    let len = file.metadata().await.map(|m| m.len()).ok();
    let attachment = &served.attachment;
    let (mime, disposition) = if served.preview {
        ("image/jpeg", format!("inline; filename*=UTF-8''{}", percent_encoded(&preview_name(&attachment.name))))
    } else {
        let name = crate::domain::attachment::safe_name(&attachment.name, &attachment.sha256, attachment.media_type);
        (
            attachment.media_type.mime(),
            format!(
                "attachment; filename=\"{}.{}\"; filename*=UTF-8''{}",
                &attachment.sha256.hex()[..12],
                attachment.media_type.extension(),
                percent_encoded(&name)
            ),
        )
    };
    let mut response = axum::response::Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(file)));
    let headers = response.headers_mut();
    let value =
        |v: &str| axum::http::HeaderValue::from_str(v).map_err(|e| crate::store::StoreError::Files(e.to_string()));
    headers.insert(header::CONTENT_TYPE, value(mime)?);
    headers.insert(header::CONTENT_DISPOSITION, value(&disposition)?);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, axum::http::HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("private, no-store"));
    if let Some(len) = len {
        headers.insert(header::CONTENT_LENGTH, axum::http::HeaderValue::from(len));
    }
    Ok(response)
}

fn preview_name(name: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    format!("{stem}.preview.jpg")
}

/// RFC 5987 percent-encoding of a file name: everything but unreserved ASCII as `%XX`.
fn percent_encoded(name: &str) -> String {
    let mut out = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
