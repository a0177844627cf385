//! Federation routes under `/fed/v1`, for peer stations only.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use super::extract::AuthPeer;
use super::problem::Problem;
use crate::envelope::{EnvelopeError, MAX_ENVELOPE_BYTES, SealedReconcileAsk, strict_json};
use crate::keys::format_public_key;
use crate::node::{InboundError, InboundOutcome, Node};

/// Most envelopes accepted in one batch.
pub const MAX_BATCH: usize = 1000;
/// Largest batch body accepted.
pub const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch<'a> {
    #[serde(borrow)]
    envelopes: Vec<&'a RawValue>,
}

/// The answer to one envelope of a batch, in the batch's order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnvelopeResult {
    /// `accepted`, `duplicate` or `rejected`.
    pub status: String,
    /// The HTTP status this envelope would have had on its own: 200 stored (or stored before),
    /// 409 a known id with other bytes, 422 refused, 503 try again later.
    pub status_code: u16,
    /// The signed receipt, when accepted or a duplicate.
    #[schema(value_type = Option<Object>)]
    pub receipt: Option<Box<RawValue>>,
    /// Stable rejection code.
    pub code: Option<String>,
    /// Why it was rejected.
    pub message: Option<String>,
    /// True when sending the same envelope later may succeed.
    pub transient: bool,
}

impl EnvelopeResult {
    /// The answer for one envelope that the node received (`Ok`) or refused (`Err`).
    pub fn of(result: Result<InboundOutcome, InboundError>) -> Self {
        match result {
            Ok(outcome) => {
                let status = if matches!(outcome, InboundOutcome::Accepted(_)) { "accepted" } else { "duplicate" };
                let receipt =
                    String::from_utf8(outcome.receipt().to_vec()).ok().and_then(|s| RawValue::from_string(s).ok());
                Self { status: status.into(), status_code: 200, receipt, code: None, message: None, transient: false }
            }
            Err(e) => Self {
                status: "rejected".into(),
                status_code: match &e {
                    InboundError::Conflict(_) => 409,
                    e if e.is_transient() => 503,
                    _ => 422,
                },
                receipt: None,
                code: Some(e.code().into()),
                message: Some(e.to_string()),
                transient: e.is_transient(),
            },
        }
    }
}

/// Answers to a batch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchResult {
    /// One result per envelope, in order.
    pub results: Vec<EnvelopeResult>,
}

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
    let results = results.into_iter().map(EnvelopeResult::of).collect();
    Ok(Json(BatchResult { results }))
}

/// One of the station's public keys.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublishedKey {
    /// Key id.
    pub id: String,
    /// base64url of the 32-byte ed25519 public key.
    pub public: String,
    /// Valid from (RFC 3339).
    pub valid_from: Option<String>,
    /// Valid until (RFC 3339).
    pub valid_until: Option<String>,
}

/// The station's public signing keys.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublishedKeys {
    /// Station id.
    pub station: String,
    /// Its keys, old ones included so old envelopes still verify.
    pub keys: Vec<PublishedKey>,
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

/// A reconciliation request on the wire: a [`crate::envelope::ReconcileAsk`] signed by the
/// asking station, in the envelopes' wire form.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedReconcileRequest {
    /// base64url of the payload `{"v":1,"from":…,"to":…,"since":…,"at":…}`.
    pub signed: String,
    /// `<station>#<key id>` of the asker's signing key.
    pub key: String,
    /// base64url of the ed25519 signature over `tiemeng/reconcile/v1\n` and the payload.
    pub sig: String,
}

/// An envelope exchanged with the asker, returned to it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReturnedEnvelope {
    /// The envelope, as signed.
    #[schema(value_type = Object)]
    pub envelope: Box<RawValue>,
    /// The receipt its receiver signed.
    #[schema(value_type = Option<Object>)]
    pub receipt: Option<Box<RawValue>>,
}

/// The answer to a reconciliation request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReconcileAnswer {
    /// Every envelope exchanged with the asker from `since` on, both ways, oldest first.
    pub envelopes: Vec<ReturnedEnvelope>,
    /// False when there are more: ask again from the last one's time.
    pub complete: bool,
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
    let ask = SealedReconcileAsk::open(&body, node.keys()).map_err(|e| {
        let status = match e {
            EnvelopeError::UnknownKey(_)
            | EnvelopeError::BadSignature
            | EnvelopeError::SignerMismatch { .. }
            | EnvelopeError::KeyNotUsable { .. } => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        };
        Problem::new(status, e.code(), "reconciliation request refused", e.to_string())
    })?;
    let ask = ask.ask;
    if ask.from != peer {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "signer_mismatch",
            "reconciliation request refused",
            format!("signed by {} but sent with the certificate of {peer}", ask.from),
        ));
    }
    if &ask.to != node.station() {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "bad_addressing",
            "reconciliation request refused",
            format!("signed for {}, not for this station ({})", ask.to, node.station()),
        ));
    }
    let (now, skew) = (node.clock().now(), node.config().clock_skew());
    if ask.at > now + skew || ask.at < now - skew {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "stale_request",
            "reconciliation request refused",
            format!(
                "signed at {}, more than the allowed clock skew from this station's clock ({}); sign it afresh",
                crate::clock::rfc3339(ask.at),
                crate::clock::rfc3339(now)
            ),
        ));
    }
    let (returned, complete) = node
        .answer_reconciliation(&peer, ask.since)
        .await
        .map_err(|e| Problem::from_node(&e, crate::i18n::Lang::En))?;
    let envelopes = returned
        .into_iter()
        .filter_map(|r| {
            Some(ReturnedEnvelope { envelope: raw_json(r.envelope)?, receipt: r.receipt.and_then(raw_json) })
        })
        .collect();
    Ok(Json(ReconcileAnswer { envelopes, complete }))
}
