//! Officer routes under `/api/v1`: send, list, read and act on cases.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{AuthOfficer, JsonBody, QueryParams, ReqLang};
use super::problem::Problem;
use crate::case::CaseRecord;
use crate::config::Role;
use crate::domain::details::CaseKind;
use crate::domain::lifecycle::TargetState;
use crate::i18n::Lang;
use crate::ids::{CaseId, StationId};
use crate::node::{
    AckInput, Action, CaseDetail, CloseInput, DeclineInput, ForwardInput, HandoverInput, IdempotencyKey, NewCase, Node,
    NodeError, NoteInput, OutcomeInput, OverdueTarget, ReminderInput, WithdrawInput,
};
use crate::store::{Handled, ListQuery, Mailbox};

type ApiResult<T> = Result<T, Problem>;

/// The case named `raw` in a path or query: its id, or its reference number as shown
/// (`泰罗阳协〔2026〕12号`, percent-encoded in a path) or in ASCII (`2026-12`); anything else,
/// or a number this station does not hold, names no case.
pub(super) fn case_id(node: &Node, raw: &str, lang: Lang) -> ApiResult<CaseId> {
    node.resolve_case(raw).map_err(|e| Problem::from_node(&e, lang))
}

/// Who the caller is, as this station knows them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// `urn:tiemeng:officer:<station>:<badge>`.
    pub identity: String,
    /// Badge number.
    pub badge: String,
    /// Registered name.
    pub name: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// This station.
    pub station: StationView,
}

/// A station as shown to officers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StationView {
    /// Station id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// GB/T 2260 division code.
    pub division: String,
}

/// `GET /api/v1/me` — the caller's identity, roles and station, plus the partner stations.
#[utoipa::path(get, path = "/api/v1/me", tag = "officers",
    responses((status = 200, body = Me), (status = 403, body = Problem)))]
pub async fn me(State(node): State<Arc<Node>>, AuthOfficer(officer): AuthOfficer) -> Json<Me> {
    let station = &node.config().station;
    Json(Me {
        identity: officer.actor(),
        badge: officer.id.badge.to_string(),
        name: officer.name.clone(),
        roles: officer.roles.clone(),
        station: StationView {
            id: station.id.to_string(),
            name: station.name.clone(),
            division: station.division.to_string(),
        },
    })
}

/// `GET /api/v1/desk` — what needs the desk now: requests to acknowledge, reports owed, and
/// open targets past a deadline (officers who read cases).
#[utoipa::path(get, path = "/api/v1/desk", tag = "officers",
    responses((status = 200, body = crate::node::DeskCounts), (status = 403, body = Problem)))]
pub async fn desk(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
) -> ApiResult<Json<crate::node::DeskCounts>> {
    node.desk_counts(&officer).map(Json).map_err(|e| Problem::from_node(&e, lang))
}

/// `GET /api/v1/stations` — partner stations a request can be sent to.
#[utoipa::path(get, path = "/api/v1/stations", tag = "officers",
    responses((status = 200, body = Vec<StationView>), (status = 403, body = Problem)))]
pub async fn stations(State(node): State<Arc<Node>>, AuthOfficer(_): AuthOfficer) -> Json<Vec<StationView>> {
    Json(
        node.config()
            .peers
            .iter()
            .map(|p| StationView { id: p.id.to_string(), name: p.name.clone(), division: p.division.to_string() })
            .collect(),
    )
}

/// `POST /api/v1/cases` — send a new assist request (liaison officers).
///
/// Send an `Idempotency-Key` header (1–100 visible ASCII characters, e.g. a UUID) to send
/// once: the same key from the same officer within 24 hours answers **200** with the case the
/// key first made, as it stands now, and sends nothing; only the first send answers **201**.
/// The same key with a different body is refused with 422 `idempotency_key_reused`; a malformed
/// key with 400 `invalid_idempotency_key`. A request naming a resident ID, plate or case number
/// that an open request from this station to the same partner names is refused with 409
/// `possible_duplicate`, listing those requests, unless its body says `"confirm_duplicate": true`.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = NewCase,
    params(("Idempotency-Key" = Option<String>, Header,
            description = "1–100 visible ASCII characters; the same key within 24 h sends once")),
    responses((status = 201, description = "sent now", body = CaseRecord),
              (status = 200, description = "sent before under the same idempotency key: that case, nothing sent now",
               body = CaseRecord),
              (status = 400, body = Problem), (status = 403, body = Problem),
              (status = 409, description = "possible_duplicate: the open requests are in `duplicates`", body = Problem),
              (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn create_case(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    JsonBody(new): JsonBody<NewCase>,
) -> ApiResult<(StatusCode, Json<CaseRecord>)> {
    let refused = |e: NodeError| Problem::from_node(&e, lang);
    let key = idempotency_key(&headers).map_err(refused)?;
    let sent = node.send_case(&officer, new, key).await.map_err(refused)?;
    let status = if sent.repeated { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(sent.case)))
}

/// The `Idempotency-Key` header, if sent; one that is not text is as malformed as a bad one.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, NodeError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let text = value.to_str().map_err(|_| NodeError::InvalidIdempotencyKey)?;
    IdempotencyKey::parse(text).map(Some)
}

/// `GET /api/v1/cases/{id}` — one case with its signed timeline (the read is audited).
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "case id, or reference number (泰罗阳协〔2026〕12号 percent-encoded, or 2026-12 for this station's own)")),
    responses((status = 200, body = CaseDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_case(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
) -> ApiResult<Json<CaseDetail>> {
    let id = case_id(&node, &id, lang)?;
    node.read_case(&officer, id).await.map(Json).map_err(|e| Problem::from_node(&e, lang))
}

/// Filters and paging of a listing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only cases with a target in this state.
    pub status: Option<TargetState>,
    /// Only this kind.
    pub kind: Option<CaseKind>,
    /// Only cases with this partner station.
    #[param(value_type = Option<String>)]
    pub peer: Option<StationId>,
    /// Only cases past a deadline.
    pub overdue: Option<bool>,
    /// Only cases the caller handles (承办人).
    pub mine: Option<bool>,
    /// Only cases no one handles yet: received requests not yet taken on.
    pub unassigned: Option<bool>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<usize>,
    /// Where to continue, from the previous page's `next`.
    pub cursor: Option<String>,
    /// Language of error messages (`zh` or `en`).
    pub lang: Option<String>,
}

/// One case in a listing.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ListedCase {
    /// The case.
    pub case: CaseRecord,
    /// Targets past a deadline now.
    pub overdue: Vec<OverdueTarget>,
}

/// A page of cases.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseList {
    /// The cases, newest first (most overdue first when filtering by overdue).
    pub cases: Vec<ListedCase>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next: Option<String>,
}

async fn list(
    node: &Node,
    officer: &crate::node::Officer,
    mailbox: Mailbox,
    params: ListParams,
    lang: Lang,
) -> ApiResult<Json<CaseList>> {
    let cursor = params.cursor.as_deref().map(hex::decode).transpose().map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            lang.pick("查询参数有误", "invalid query parameters"),
            lang.pick(
                "翻页位置（cursor）无效，请从第一页重新查询。",
                "the cursor is not valid: start again from the first page",
            ),
        )
    })?;
    let handled = match (params.mine.unwrap_or(false), params.unassigned.unwrap_or(false)) {
        (true, true) => {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                lang.pick("查询参数有误", "invalid query parameters"),
                lang.pick(
                    "“我承办的”与“无人承办”不能同时选择。",
                    "mine and unassigned cannot both be asked for: a case of yours has a handler",
                ),
            ));
        }
        (true, false) => Handled::By(officer.id.badge.clone()),
        (false, true) => Handled::Nobody,
        (false, false) => Handled::Any,
    };
    let now = node.clock().now();
    let query = ListQuery {
        mailbox,
        state: params.status,
        kind: params.kind,
        peer: params.peer,
        overdue: params.overdue.unwrap_or(false),
        handled,
        now,
        limit: params.limit.unwrap_or(50).clamp(1, 200),
        cursor,
    };
    let page = node.list(officer, &query).map_err(|e| Problem::from_node(&e, lang))?;
    Ok(Json(CaseList {
        cases: page
            .cases
            .into_iter()
            .map(|case| ListedCase { overdue: crate::node::overdue_targets(&case, now), case })
            .collect(),
        next: page.next.map(hex::encode),
    }))
}

/// `GET /api/v1/inbox` — requests received from partner stations.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "cases", params(ListParams),
    responses((status = 200, body = CaseList), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn inbox(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    QueryParams(params): QueryParams<ListParams>,
) -> ApiResult<Json<CaseList>> {
    list(&node, &officer, Mailbox::Inbox, params, lang).await
}

/// `GET /api/v1/outbox` — requests this station sent.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "cases", params(ListParams),
    responses((status = 200, body = CaseList), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn outbox(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    QueryParams(params): QueryParams<ListParams>,
) -> ApiResult<Json<CaseList>> {
    list(&node, &officer, Mailbox::Outbox, params, lang).await
}

async fn act(
    node: &Node,
    officer: &crate::node::Officer,
    id: &str,
    action: Action,
    lang: Lang,
) -> ApiResult<Json<CaseRecord>> {
    let id = case_id(node, id, lang)?;
    node.act(officer, id, action).await.map(Json).map_err(|e| Problem::from_node(&e, lang))
}

macro_rules! action_route {
    ($(#[$doc:meta])* $name:ident, $path:literal, $input:ty, $variant:ident) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, tag = "actions", request_body = $input,
            params(("id" = String, Path, description = "case id, or reference number (泰罗阳协〔2026〕12号 percent-encoded, or 2026-12 for this station's own)")),
            responses((status = 200, body = CaseRecord), (status = 403, body = Problem), (status = 404, body = Problem),
                      (status = 409, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
        pub async fn $name(
            State(node): State<Arc<Node>>,
            AuthOfficer(officer): AuthOfficer,
            ReqLang(lang): ReqLang,
            Path(id): Path<String>,
            JsonBody(input): JsonBody<$input>,
        ) -> ApiResult<Json<CaseRecord>> {
            act(&node, &officer, &id, Action::$variant(input), lang).await
        }
    };
}

action_route!(
    /// `POST /api/v1/cases/{id}/ack` — 签收 (the target's duty officer).
    ack, "/api/v1/cases/{id}/ack", AckInput, Ack
);
action_route!(
    /// `POST /api/v1/cases/{id}/decline` — 退回 (the target's duty officer).
    decline, "/api/v1/cases/{id}/decline", DeclineInput, Decline
);
action_route!(
    /// `POST /api/v1/cases/{id}/notes` — 补充说明 (either side).
    note, "/api/v1/cases/{id}/notes", NoteInput, Note
);
action_route!(
    /// `POST /api/v1/cases/{id}/reminders` — 催办 (the origin's liaison).
    reminder, "/api/v1/cases/{id}/reminders", ReminderInput, Reminder
);
action_route!(
    /// `POST /api/v1/cases/{id}/outcome` — 反馈 (the target's duty officer).
    outcome, "/api/v1/cases/{id}/outcome", OutcomeInput, Outcome
);
action_route!(
    /// `POST /api/v1/cases/{id}/close` — 办结评价 (the origin's liaison).
    close, "/api/v1/cases/{id}/close", CloseInput, Close
);
action_route!(
    /// `POST /api/v1/cases/{id}/withdraw` — 撤回 (the origin's liaison).
    withdraw, "/api/v1/cases/{id}/withdraw", WithdrawInput, Withdraw
);

/// `POST /api/v1/cases/{id}/stand-down` — 其余单位撤回 (the origin's liaison): after a target
/// reported the subject intercepted, arrested, located or found, withdraws every other target
/// still working the case, one withdrawal each, all at once.
#[utoipa::path(post, path = "/api/v1/cases/{id}/stand-down", tag = "actions", request_body = crate::node::StandDownInput,
    params(("id" = String, Path, description = "case id, or reference number (泰罗阳协〔2026〕12号 percent-encoded, or 2026-12 for this station's own)")),
    responses((status = 200, body = CaseRecord), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn stand_down(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<crate::node::StandDownInput>,
) -> ApiResult<Json<CaseRecord>> {
    let id = case_id(&node, &id, lang)?;
    node.stand_down(&officer, id, input).await.map(Json).map_err(|e| Problem::from_node(&e, lang))
}

/// `GET /api/v1/cases/{id}/bundle` — the case as a signed evidence bundle (the export is
/// audited; `no_export` cases only for chiefs).
#[utoipa::path(get, path = "/api/v1/cases/{id}/bundle", tag = "cases",
    params(("id" = String, Path, description = "case id, or reference number (泰罗阳协〔2026〕12号 percent-encoded, or 2026-12 for this station's own)")),
    responses((status = 200, content_type = "application/json", body = Object), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn bundle(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
) -> ApiResult<impl axum::response::IntoResponse> {
    let id = case_id(&node, &id, lang)?;
    let bytes = node.export_bundle(&officer, id).await.map_err(|e| Problem::from_node(&e, lang))?;
    let disposition = format!("attachment; filename=\"tiemeng-case-{id}.json\"");
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/json".to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    ))
}

/// `POST /api/v1/cases/{id}/forward` — 转发 a received request to another partner station
/// (the target's duty officer; refused for `no_onward` cases). Returns the new case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/forward", tag = "actions", request_body = ForwardInput,
    params(("id" = String, Path, description = "case id, or reference number (泰罗阳协〔2026〕12号 percent-encoded, or 2026-12 for this station's own)")),
    responses((status = 201, body = CaseRecord), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn forward(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ForwardInput>,
) -> ApiResult<(StatusCode, Json<CaseRecord>)> {
    let id = case_id(&node, &id, lang)?;
    let case = node.forward(&officer, id, input).await.map_err(|e| Problem::from_node(&e, lang))?;
    Ok((StatusCode::CREATED, Json(case)))
}

/// `POST /api/v1/cases/{id}/handover` — 交接: hand the case to another officer of this station
/// (its handler, or the station chief). Local: nothing is sent to partners. The handover is
/// signed by this station and shown in the case's `handovers`; an unknown badge is refused
/// with 422 `unknown_badge`, an officer whose roles cannot work the case with 422
/// `cannot_handle`, a caller who is neither handler nor chief with 403 `not_handler`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/handover", tag = "actions", request_body = HandoverInput,
    params(("id" = String, Path, description = "case id, or reference number (泰罗阳协〔2026〕12号 percent-encoded, or 2026-12 for this station's own)")),
    responses((status = 200, body = CaseRecord), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn handover(
    State(node): State<Arc<Node>>,
    AuthOfficer(officer): AuthOfficer,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<HandoverInput>,
) -> ApiResult<Json<CaseRecord>> {
    let id = case_id(&node, &id, lang)?;
    node.hand_over(&officer, id, input).await.map(Json).map_err(|e| Problem::from_node(&e, lang))
}
