//! Federation routes under `/fed/v1`, for peer stations only.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::value::RawValue;

use super::extract::AuthPeer;
use super::problem::Problem;
use crate::envelope::{MAX_ENVELOPE_BYTES, strict_json};
use crate::keys::format_public_key;
use crate::node::Node;
use crate::protocol::{
    Batch, BatchResult, EnvelopeResult, MAX_BATCH, MAX_BATCH_BYTES, PublishedKey, PublishedKeys, ReconcileAnswer,
    ReturnedEnvelope, SignedReconcileRequest,
};

fn bad_batch(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "malformed_batch", "malformed batch", detail)
}

/// `POST /fed/v1/inbox` — a peer delivers a batch of signed envelopes; each is answered with
/// a signed receipt or a rejection code.
#[utoipa::path(post, path = "/fed/v1/inbox", tag = "federation",
    request_body(content = Object, description = "{\"envelopes\": [wire envelope, …]}"),
    responses((status = 200, body = BatchResult), (status = 400, body = Problem), (status = 413, body = Problem)))]
pub async fn inbox(
    State(node): State<Arc<Node>>,
    AuthPeer(peer): AuthPeer,
    body: Bytes,
) -> Result<Json<BatchResult>, Problem> {
    strict_json::check(&body).map_err(|e| bad_batch(e.to_string()))?;
    let batch: Batch<'_> = serde_json::from_slice(&body).map_err(|e| bad_batch(e.to_string()))?;
    if batch.envelopes.len() > MAX_BATCH {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            "batch too large",
            format!("{} envelopes; at most {MAX_BATCH} per batch", batch.envelopes.len()),
        ));
    }
    let wires: Vec<&[u8]> = batch.envelopes.iter().map(|raw| raw.get().as_bytes()).collect();
    let results = node.receive_batch(&peer, &wires).await;
    let results = results.into_iter().map(EnvelopeResult::from).collect();
    Ok(Json(BatchResult { results }))
}

/// `POST /fed/v1/hello` — a peer says it is back (it has just started): whatever waits here
/// for it is sent at once. No body; the peer is known by its certificate.
#[utoipa::path(post, path = "/fed/v1/hello", tag = "federation",
    responses((status = 204, description = "Heard; deliveries to the peer are tried at once"), (status = 403, body = Problem)))]
pub async fn hello(State(node): State<Arc<Node>>, AuthPeer(peer): AuthPeer) -> StatusCode {
    node.partner_is_back(&peer);
    StatusCode::NO_CONTENT
}

/// `GET /fed/v1/keys` — this station's public signing keys, for its partner stations.
#[utoipa::path(get, path = "/fed/v1/keys", tag = "federation",
    responses((status = 200, body = PublishedKeys), (status = 403, body = Problem)))]
pub async fn keys(State(node): State<Arc<Node>>, _peer: AuthPeer) -> Json<PublishedKeys> {
    let keys = node
        .keys()
        .of_station(node.station())
        .map(|(key_ref, key)| PublishedKey {
            id: key_ref.key_id().to_owned(),
            public: format_public_key(&key.key),
            valid_from: key.valid_from.map(crate::clock::rfc3339),
            valid_until: key.valid_until.map(crate::clock::rfc3339),
        })
        .collect();
    Json(PublishedKeys { station: node.station().to_string(), keys })
}

/// The byte limit for the federation inbox route.
pub const fn body_limit() -> usize {
    if MAX_BATCH_BYTES > MAX_ENVELOPE_BYTES { MAX_BATCH_BYTES } else { MAX_ENVELOPE_BYTES }
}

fn raw_json(bytes: Vec<u8>) -> Option<Box<RawValue>> {
    String::from_utf8(bytes).ok().and_then(|s| RawValue::from_string(s).ok())
}

/// `POST /fed/v1/reconcile` — a peer restored from a backup asks what it lacks: this station
/// returns every envelope the two exchanged since then, both ways, with their receipts. The
/// request must be signed with the peer's key, for this station, recently: a certificate that
/// names the peer is not enough to read what the two exchanged.
#[utoipa::path(post, path = "/fed/v1/reconcile", tag = "federation", request_body = SignedReconcileRequest,
    responses((status = 200, body = ReconcileAnswer), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn reconcile(
    State(node): State<Arc<Node>>,
    AuthPeer(peer): AuthPeer,
    body: Bytes,
) -> Result<Json<ReconcileAnswer>, Problem> {
    let since = node.admit_reconciliation(&peer, &body).map_err(|refusal| {
        let status = if refusal.is_forbidden() { StatusCode::FORBIDDEN } else { StatusCode::BAD_REQUEST };
        Problem::new(status, refusal.code(), "reconciliation request refused", refusal.to_string())
    })?;
    let (returned, complete) =
        node.answer_reconciliation(&peer, since).await.map_err(|e| Problem::from_node(&e, crate::i18n::Lang::En))?;
    let envelopes = returned
        .into_iter()
        .filter_map(|r| {
            Some(ReturnedEnvelope { envelope: raw_json(r.envelope)?, receipt: r.receipt.and_then(raw_json) })
        })
        .collect();
    Ok(Json(ReconcileAnswer { envelopes, complete }))
}
