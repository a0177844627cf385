//! `PUT /fed/v1/files/{sha256}`: a partner station sends a piece of an attachment file.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::value::RawValue;

use super::extract::AuthPeer;
use super::problem::Problem;
use crate::domain::attachment::Sha256;
use crate::node::{FileRefusal, Node};
use crate::protocol::{FILE_PIECE_MAX, FileAck, OFFSET_HEADER, PIECE_MAX_HEADER, TOTAL_HEADER};

fn bad_piece(detail: &str) -> Response {
    Problem::new(StatusCode::BAD_REQUEST, "malformed_piece", "malformed file piece", detail).into_response()
}

fn number(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.parse().ok()
}

/// `PUT /fed/v1/files/{sha256}` — a piece of an attachment file a case names, from a station
/// party to that case: the body is the bytes from `Tiemeng-Offset` on, of a file of
/// `Tiemeng-Total` bytes, at most 4 MiB (the `Tiemeng-Piece-Max` header of every answer;
/// a station that sends none takes 1 MiB), written as it streams in. Answered once the piece
/// is synced with how much of the file is here (`have`); once the whole file is here, its hash
/// checked and the file checked like an upload, with this station's signed file receipt. A
/// piece that does not start where the file here ends is 409 with `have`, so the sender goes
/// on from there; one that breaks off leaves what arrived of it.
/// Refused: 404 `file_not_expected` (no case here that the station is party to names it, in
/// an envelope of its own or, after a restore here, of this station's), 413
/// `file_piece_too_large`, 422 `file_hash_mismatch` (the whole file is not what was signed:
/// dropped) or the upload checks' codes.
#[utoipa::path(put, path = "/fed/v1/files/{sha256}", tag = "federation",
    params(("sha256" = String, Path, description = "the file's SHA-256")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = FileAck), (status = 409, body = FileAck), (status = 400, body = Problem),
              (status = 404, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn piece(
    State(node): State<Arc<Node>>,
    AuthPeer(peer): AuthPeer,
    Path(sha256): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Ok(sha256) = sha256.parse::<Sha256>() else { return bad_piece("the path must end in a SHA-256") };
    let (Some(offset), Some(total)) = (number(&headers, OFFSET_HEADER), number(&headers, TOTAL_HEADER)) else {
        return bad_piece("Tiemeng-Offset and Tiemeng-Total must be whole numbers");
    };
    match node.receive_file_piece(&peer, &sha256, offset, total, body.into_data_stream()).await {
        Ok((have, receipt)) => {
            let receipt =
                receipt.and_then(|wire| String::from_utf8(wire).ok()).and_then(|t| RawValue::from_string(t).ok());
            ([(PIECE_MAX_HEADER, FILE_PIECE_MAX)], Json(FileAck { have, receipt })).into_response()
        }
        Err(FileRefusal::Elsewhere { have }) => {
            (StatusCode::CONFLICT, [(PIECE_MAX_HEADER, FILE_PIECE_MAX)], Json(FileAck { have, receipt: None }))
                .into_response()
        }
        Err(FileRefusal::Node(e)) => Problem::from_node(&e, crate::i18n::Lang::En).into_response(),
        Err(refusal) => {
            let status = match refusal {
                FileRefusal::NotExpected => StatusCode::NOT_FOUND,
                FileRefusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            Problem::new(status, refusal.code(), "file piece refused", refusal.to_string()).into_response()
        }
    }
}
