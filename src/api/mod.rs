//! The routes of the officer API (`/api/v1`), the federation API (`/fed/v1`) and health, with
//! the OpenAPI document generated from the handlers themselves so it cannot drift from the
//! routes. The server puts them beside the console (`server::app`).

// Handlers return `Result<_, Problem>` by value: the error path is cold and axum turns it
// straight into a response, so boxing would add noise to every handler for nothing.
#![allow(clippy::result_large_err)]

pub mod admin;
pub mod alerts;
pub mod attachments;
pub mod cases;
pub mod events;
pub mod extract;
pub mod fed;
pub mod fed_files;
pub mod letters;
pub mod limit;
mod openapi;
pub mod problem;
pub mod search;
pub mod stats;

use std::sync::Arc;

use axum::Json;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Router, extract::State};
use serde::Serialize;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use problem::Problem;

use crate::domain::details::KindTagInSchemas;
use crate::node::Node;

/// Largest officer request body: a request with long narratives is a few tens of KiB.
const API_BODY_LIMIT: usize = 256 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "tiemeng 铁盟", description = "Cross-border police assist requests: officer API and federation API. \
        Every call needs a client certificate issued by a CA the station trusts. \
        Every request gets a reference number (协查文号) from its origin, e.g. 泰罗阳协〔2026〕12号, numbered \
        per year and signed into the request, so every station shows the same one. Wherever a path \
        takes a case `{id}`, the number works too: as shown (percent-encoded UTF-8), or in ASCII as \
        `2026-12` for this station's own number 12 of 2026 and `<station id>:2026-12` for another \
        station's. A number this station does not hold is 404 `case_not_found`."),
    tags(
        (name = "cases", description = "协查: send, list and read; a case by its id or its reference number (协查文号)"),
        (name = "actions", description = "签收、退回、补充、催办、反馈、办结、撤回"),
        (name = "officers", description = "who is calling, partner stations"),
        (name = "federation", description = "station to station"),
        (name = "admin", description = "peer health, dead letters, alert hooks, metrics"),
        (name = "attachments", description = "附件: photos and documents, uploaded and then named by their SHA-256"),
        (name = "events", description = "live events for the desk (Server-Sent Events)"),
        (name = "statistics", description = "联合协作统计 for chiefs"),
        (name = "health", description = "liveness"),
    )
)]
struct ApiDoc;

/// The routes of the API, with the OpenAPI document built from the same route list and
/// served at `/api/v1/openapi.json`. The server puts them beside the console.
pub fn routes() -> Router<Arc<Node>> {
    let (router, doc) = routes_and_doc();
    router.route("/api/v1/openapi.json", get(move || async move { Json(doc) }))
}

/// The API's routes and its OpenAPI document.
fn routes_and_doc() -> (Router<Arc<Node>>, utoipa::openapi::OpenApi) {
    let officer_api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(cases::me))
        .routes(routes!(cases::stations))
        .routes(routes!(cases::desk))
        .routes(routes!(cases::create_case))
        .routes(routes!(cases::get_case))
        .routes(routes!(cases::bundle))
        .routes(routes!(cases::inbox))
        .routes(routes!(cases::outbox))
        .routes(routes!(search::search))
        .routes(routes!(cases::ack))
        .routes(routes!(cases::decline))
        .routes(routes!(cases::note))
        .routes(routes!(cases::reminder))
        .routes(routes!(cases::outcome))
        .routes(routes!(cases::close))
        .routes(routes!(cases::withdraw))
        .routes(routes!(cases::stand_down))
        .routes(routes!(cases::forward))
        .routes(routes!(cases::handover))
        .routes(routes!(attachments::file))
        .routes(routes!(letters::verify))
        .routes(routes!(events::events))
        .routes(routes!(stats::stats))
        .routes(routes!(stats::stats_csv))
        .routes(routes!(admin::peers))
        .routes(routes!(admin::dead_letters))
        .routes(routes!(admin::equivocations))
        .routes(routes!(admin::resend_dead_letters))
        .routes(routes!(admin::metrics))
        .routes(routes!(admin::backup))
        .routes(routes!(alerts::hooks))
        .routes(routes!(alerts::test))
        .routes(routes!(health))
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT));
    // Uploads stream to disk under the node's own limit (`[attachments]`), not the body limit
    // of the JSON routes.
    let attachments_api = OpenApiRouter::new().routes(routes!(attachments::upload)).layer(DefaultBodyLimit::disable());
    let officer_api = officer_api.merge(attachments_api);
    let fed_api = OpenApiRouter::new()
        .routes(routes!(fed::inbox))
        .routes(routes!(fed::hello))
        .routes(routes!(fed::keys))
        .routes(routes!(fed::reconcile))
        .layer(DefaultBodyLimit::max(fed::body_limit()))
        // A piece of a file is read up to its own limit (`protocol::FILE_PIECE`).
        .merge(OpenApiRouter::new().routes(routes!(fed_files::piece)).layer(DefaultBodyLimit::disable()));
    let (router, mut doc) = officer_api.merge(fed_api).split_for_parts();
    // Applied to the finished document: the details schemas only exist once routes are added.
    utoipa::Modify::modify(&KindTagInSchemas, &mut doc);
    openapi::finish_document(&mut doc);
    (router, doc)
}

/// Liveness of the node.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// This station.
    pub station: String,
}

/// `GET /healthz` — the node is up and its store answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health), (status = 503, body = Problem)))]
pub async fn health(State(node): State<Arc<Node>>) -> Result<Json<Health>, Problem> {
    if let Some(failure) = node.store().failure() {
        let mut problem = Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "storage_failed",
            "storage failed; writes are paused",
            format!("{failure}. Reads go on; free disk space and the node resumes writing by itself."),
        );
        problem.retry_after = Some(5);
        return Err(problem);
    }
    node.store().size_on_disk().map_err(|e| {
        Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            "storage unavailable",
            e.to_string(),
        )
    })?;
    Ok(Json(Health { status: "ok", station: node.station().to_string() }))
}
