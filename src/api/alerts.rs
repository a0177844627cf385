//! Admin routes for the alert hooks: where each stands, and a test alert.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};

use super::extract::{AuthOfficer, ReqLang};
use super::problem::Problem;
use crate::node::{HookStatus, HookTest, Node};

/// `GET /api/v1/alerts` — every alert hook (`[[alerts.hooks]]`): alerts sent, events not yet
/// dealt with, last success, last error and, while failing, the next attempt (admins).
#[utoipa::path(get, path = "/api/v1/alerts", tag = "admin",
    responses((status = 200, body = Vec<HookStatus>), (status = 403, body = Problem)))]
pub async fn hooks(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
) -> Result<Json<Vec<HookStatus>>, Problem> {
    node.alert_hooks(&officer).map(Json).map_err(|e| Problem::from_node(&e, lang))
}

/// `POST /api/v1/alerts/{name}/test` — sends a test alert (`"test": true`) through the hook
/// now, outside its queue, and says whether the gateway took it (admins).
#[utoipa::path(post, path = "/api/v1/alerts/{name}/test", tag = "admin",
    params(("name" = String, Path, description = "the hook's name in the config")),
    responses((status = 200, body = HookTest), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn test(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    Path(name): Path<String>,
) -> Result<Json<HookTest>, Problem> {
    node.test_alert(&officer, &name).await.map(Json).map_err(|e| Problem::from_node(&e, lang))
}
