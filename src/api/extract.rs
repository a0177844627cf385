//! Request extractors. Authentication happened in the TLS handshake; these turn the proven
//! certificate identity into a caller this station knows, and turn malformed JSON or query
//! strings into problem reports instead of axum's plain-text rejections.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::problem::Problem;
use crate::i18n::Lang;
use crate::ids::{CertIdentity, StationId};
use crate::node::{Node, Officer};
pub use crate::tls::Authenticated;

/// The caller's language: `?lang=en|zh`, else `Accept-Language`, else Chinese.
#[derive(Debug, Clone, Copy)]
pub struct ReqLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(lang_of(parts)))
    }
}

/// Reads the language of a request.
pub fn lang_of(parts: &Parts) -> Lang {
    let from_query = parts
        .uri
        .query()
        .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("lang=")))
        .and_then(|v| v.parse().ok());
    let from_header = || {
        parts
            .headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Lang::from_accept_language)
    };
    from_query.or_else(from_header).unwrap_or_default()
}

fn authenticated(parts: &Parts, lang: Lang) -> Result<&Authenticated, Problem> {
    parts.extensions.get::<Authenticated>().ok_or_else(|| {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            lang.pick("未认证", "not authenticated"),
            lang.pick("请使用本站签发的客户端证书访问。", "present a client certificate issued for this station"),
        )
    })
}

/// The refusal of a certificate that names someone its issuing CA may not vouch for.
fn foreign_issuer(lang: Lang, identity: &CertIdentity) -> Problem {
    let detail = match identity {
        CertIdentity::Officer(_) => lang.pick(
            "民警证书须由本站所属省份的证书机构签发；其他省的机构只被信任用于其本省站点之间的联络。",
            "officer certificates must come from this station's own province CA; other provinces' CAs are trusted only for their own stations",
        ),
        CertIdentity::Station(_) => lang.pick(
            "协作单位的站点证书须由本站配置中为该单位指定的证书机构（peers[].ca）签发。",
            "a partner station's certificate must come from the CA this station's configuration names for that partner (peers[].ca)",
        ),
    };
    Problem::new(
        StatusCode::FORBIDDEN,
        "foreign_issuer",
        lang.pick("证书签发机构不符", "certificate from another authority"),
        detail,
    )
}

/// An officer of this station, with roles from the registry.
#[derive(Debug, Clone)]
pub struct AuthOfficer(pub Officer);

impl FromRequestParts<Arc<Node>> for AuthOfficer {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, node: &Arc<Node>) -> Result<Self, Problem> {
        let lang = lang_of(parts);
        let caller = authenticated(parts, lang)?;
        match &caller.identity {
            CertIdentity::Officer(_) if !caller.vouched => Err(foreign_issuer(lang, &caller.identity)),
            CertIdentity::Officer(id) => node.officer(id).map(Self).map_err(|e| Problem::from_node(&e, lang)),
            CertIdentity::Station(_) => Err(Problem::new(
                StatusCode::FORBIDDEN,
                "officers_only",
                lang.pick("仅限民警访问", "for officers only"),
                lang.pick("站点证书只能访问联邦接口 /fed/v1。", "station certificates may only use /fed/v1"),
            )),
        }
    }
}

/// A configured peer station.
#[derive(Debug, Clone)]
pub struct AuthPeer(pub StationId);

impl FromRequestParts<Arc<Node>> for AuthPeer {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, node: &Arc<Node>) -> Result<Self, Problem> {
        let lang = lang_of(parts);
        let caller = authenticated(parts, lang)?;
        match &caller.identity {
            CertIdentity::Station(station) if node.config().peer(station).is_some() => {
                if caller.vouched {
                    Ok(Self(station.clone()))
                } else {
                    Err(foreign_issuer(lang, &caller.identity))
                }
            }
            CertIdentity::Station(station) => Err(Problem::new(
                StatusCode::FORBIDDEN,
                "unknown_station",
                lang.pick("不是本站的协作单位", "not a partner station"),
                format!("{station} is not configured as a peer of this station"),
            )),
            CertIdentity::Officer(_) => Err(Problem::new(
                StatusCode::FORBIDDEN,
                "stations_only",
                lang.pick("仅限站点访问", "for stations only"),
                lang.pick("民警证书不能访问联邦接口。", "officer certificates may not use /fed/v1"),
            )),
        }
    }
}

/// A JSON body whose rejection is a problem report naming the field at fault.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;
    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let (parts, body) = req.into_parts();
        let lang = lang_of(&parts);
        let req = Request::from_parts(parts, body);
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_problem(&rejection, lang)),
        }
    }
}

fn json_problem(rejection: &JsonRejection, lang: Lang) -> Problem {
    let (status, code, zh, en) = match rejection {
        JsonRejection::MissingJsonContentType(_) => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请求须为 JSON（Content-Type: application/json）",
            "send JSON with Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(_) => {
            (StatusCode::BAD_REQUEST, "malformed_json", "JSON 格式错误", "malformed JSON")
        }
        JsonRejection::JsonDataError(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", "字段内容不符合要求", "a field is missing or invalid")
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            (StatusCode::PAYLOAD_TOO_LARGE, "too_large", "请求内容过大", "the request body is too large")
        }
        _ => (StatusCode::BAD_REQUEST, "unreadable_body", "无法读取请求内容", "the request body could not be read"),
    };
    Problem::new(status, code, lang.pick(zh, en), rejection.body_text())
}

/// Query parameters whose rejection is a problem report.
#[derive(Debug, Clone)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let lang = lang_of(parts);
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_problem(&rejection, lang)),
        }
    }
}

fn query_problem(rejection: &QueryRejection, lang: Lang) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        lang.pick("查询参数有误", "invalid query parameters"),
        rejection.body_text(),
    )
}
