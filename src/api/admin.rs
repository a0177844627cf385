//! Admin routes: peer health, dead letters (and sending them again) and metrics.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{AuthOfficer, QueryParams, ReqLang};
use super::problem::Problem;
use crate::i18n::Lang;
use crate::ids::StationId;
use crate::node::health::PeerStatus;
use crate::node::{ADMIN, EquivocationView, Node};
use crate::store::DeadLetter;

/// A peer station and how delivery to it is going.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PeerView {
    /// Station id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Division code.
    pub division: String,
    /// Base URL.
    pub url: String,
    /// Envelopes waiting.
    pub queue_depth: usize,
    /// Envelopes refused for good.
    pub dead_letters: usize,
    /// Cases on which the peer signed two envelopes with one `seq` (see its equivocations).
    pub equivocations: usize,
    /// Delivery health.
    pub status: PeerStatus,
}

/// `GET /api/v1/peers` — every peer with queue depth, last success, last error, next retry
/// and dead letters (admins).
#[utoipa::path(get, path = "/api/v1/peers", tag = "admin",
    responses((status = 200, body = Vec<PeerView>), (status = 403, body = Problem)))]
pub async fn peers(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
) -> Result<Json<Vec<PeerView>>, Problem> {
    officer.require(ADMIN).map_err(|e| Problem::from_node(&e, lang))?;
    let views = node
        .config()
        .peers
        .iter()
        .map(|peer| PeerView {
            id: peer.id.to_string(),
            name: peer.name.clone(),
            division: peer.division.to_string(),
            url: peer.url.clone(),
            queue_depth: node.store().outbox_len(&peer.id),
            dead_letters: node.store().dead_letter_count(&peer.id),
            equivocations: node.store().equivocation_count(&peer.id),
            status: node
                .health()
                .peer(&peer.id)
                .map(|h| h.status())
                .unwrap_or_else(|| crate::node::health::PeerHealth::default().status()),
        })
        .collect();
    Ok(Json(views))
}

/// `GET /api/v1/peers/{id}/dead-letters` — envelopes the peer refused for good, with codes (admins).
#[utoipa::path(get, path = "/api/v1/peers/{id}/dead-letters", tag = "admin",
    params(("id" = String, Path, description = "peer station id")),
    responses((status = 200, body = Vec<DeadLetter>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn dead_letters(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
) -> Result<Json<Vec<DeadLetter>>, Problem> {
    officer.require(ADMIN).map_err(|e| Problem::from_node(&e, lang))?;
    let peer = partner(&node, &id, lang)?;
    let letters = node.store().dead_letters(&peer, 1000).map_err(|e| Problem::from_node(&e.into(), lang))?;
    Ok(Json(letters))
}

/// `GET /api/v1/peers/{id}/equivocations` — envelopes the peer signed twice with one `seq`
/// on a case: the one held and the one refused, by id, kind, signed time and hash (admins).
/// Both are in the case's evidence bundle in full.
#[utoipa::path(get, path = "/api/v1/peers/{id}/equivocations", tag = "admin",
    params(("id" = String, Path, description = "peer station id")),
    responses((status = 200, body = Vec<EquivocationView>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn equivocations(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
) -> Result<Json<Vec<EquivocationView>>, Problem> {
    officer.require(ADMIN).map_err(|e| Problem::from_node(&e, lang))?;
    let peer = partner(&node, &id, lang)?;
    node.equivocations(&officer, &peer).map(Json).map_err(|e| Problem::from_node(&e, lang))
}

/// What was queued again.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Resent {
    /// The envelopes queued again, as their dead letters read before.
    pub resent: Vec<DeadLetter>,
}

/// Which dead letters to send again.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ResendParams {
    /// Only those of this case (a case id); all of the peer's when absent.
    pub case: Option<String>,
}

/// `POST /api/v1/peers/{id}/dead-letters/resend` — once the cause of the refusals is put right
/// (a key corrected in the peer's configuration, say), sends the peer's dead letters again,
/// all of them or one case's: back to the end of its queue as signed, in the order first
/// queued (admins).
#[utoipa::path(post, path = "/api/v1/peers/{id}/dead-letters/resend", tag = "admin",
    params(("id" = String, Path, description = "peer station id"), ResendParams),
    responses((status = 200, body = Resent), (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn resend_dead_letters(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<ResendParams>,
) -> Result<Json<Resent>, Problem> {
    officer.require(ADMIN).map_err(|e| Problem::from_node(&e, lang))?;
    let peer = partner(&node, &id, lang)?;
    let case = params.case.as_deref().map(|raw| super::cases::case_id(&node, raw, lang)).transpose()?;
    let resent = node.resend_dead_letters(&officer, &peer, case).await.map_err(|e| Problem::from_node(&e, lang))?;
    Ok(Json(Resent { resent }))
}

/// The configured partner station named `id` in a path.
fn partner(node: &Node, id: &str, lang: Lang) -> Result<StationId, Problem> {
    id.parse().ok().filter(|p| node.config().peer(p).is_some()).ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "unknown_station",
            lang.pick("不是本站的协作单位", "not a partner station"),
            match lang {
                Lang::Zh => format!("{id} 不在本站配置的协作单位中。"),
                Lang::En => format!("{id} is not configured as a partner of this station"),
            },
        )
    })
}

/// `GET /metrics` — Prometheus text format (admins; scrape with an admin certificate).
#[utoipa::path(get, path = "/metrics", tag = "admin",
    responses((status = 200, content_type = "text/plain", body = String), (status = 403, body = Problem)))]
pub async fn metrics(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
) -> Result<impl IntoResponse, Problem> {
    officer.require(ADMIN).map_err(|e| Problem::from_node(&e, lang))?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        crate::federation::metrics::render(&node),
    ))
}

/// `POST /api/v1/admin/backup` — a consistent snapshot of the node's store, taken while it
/// serves (admins). Restore it offline with `tiemeng restore`.
#[utoipa::path(post, path = "/api/v1/admin/backup", tag = "admin",
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 403, body = Problem), (status = 503, body = Problem)))]
pub async fn backup(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
) -> Result<axum::response::Response, Problem> {
    officer.require(ADMIN).map_err(|e| Problem::from_node(&e, lang))?;
    let (file, name) = node.backup(&officer).await.map_err(|e| Problem::from_node(&e, lang))?;
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file)));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response())
}
