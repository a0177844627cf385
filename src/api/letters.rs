//! `POST /api/v1/letters/verify`: a partner's duty officer (or `tiemeng verify --letter`)
//! checks the code printed on a paper 协查函 against the request this station holds.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{AuthOfficer, JsonBody, ReqLang};
use super::problem::Problem;
use crate::node::{LetterCheck, Node};

/// A scanned letter code.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LetterText {
    /// The text of the letter's QR code, `TIEMENG1:<station>:<case>:<sha256 hex>`.
    pub code: String,
}

/// `POST /api/v1/letters/verify` — whether this station holds exactly the request the letter's
/// code names (the check is audited).
#[utoipa::path(post, path = "/api/v1/letters/verify", tag = "cases", request_body = LetterText,
    responses((status = 200, description = "this station holds exactly that request, from that station", body = LetterCheck),
              (status = 403, body = Problem),
              (status = 404, description = "letter_unknown_case", body = Problem),
              (status = 422, description = "letter_malformed, letter_wrong_station, letter_hash_mismatch", body = Problem),
              (status = 503, body = Problem)))]
pub async fn verify(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    JsonBody(text): JsonBody<LetterText>,
) -> Result<Json<LetterCheck>, Problem> {
    node.verify_letter(&officer, &text.code).await.map(Json).map_err(|e| Problem::from_node(&e, lang))
}
