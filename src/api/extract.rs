//! Request extractors. Authentication happened in the TLS handshake; these turn the proven
//! certificate identity into a caller this station knows, and turn malformed JSON or query
//! strings into problem reports instead of axum's plain-text rejections.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::problem::Problem;
use crate::domain::decode::{self, DecodeError};
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
    lang_of_headers(&parts.uri, &parts.headers)
}

fn lang_of_headers(uri: &axum::http::Uri, headers: &axum::http::HeaderMap) -> Lang {
    let from_query =
        uri.query().and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("lang="))).and_then(|v| v.parse().ok());
    let from_header = || {
        headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(Lang::from_accept_language)
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
                match lang {
                    Lang::Zh => format!("{station} 不在本站配置的协作单位中。"),
                    Lang::En => format!("{station} is not configured as a peer of this station"),
                },
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
        let lang = lang_of_headers(req.uri(), req.headers());
        if !is_json(req.headers()) {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                lang.pick("请求须为 JSON", "send JSON"),
                lang.pick(
                    "请以 JSON 发送，并注明 Content-Type: application/json。",
                    "send JSON with Content-Type: application/json",
                ),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| body_problem(&rejection, lang))?;
        decode::from_slice(&bytes).map(Self).map_err(|e| decode_problem(e, lang))
    }
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(mime) = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn body_problem(rejection: &BytesRejection, lang: Lang) -> Problem {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            lang.pick("请求内容过大", "the request body is too large"),
            lang.pick("请求内容超过了本站允许的大小。", "the body is larger than this station accepts"),
        )
    } else {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "unreadable_body",
            lang.pick("无法读取请求内容", "the request body could not be read"),
            lang.pick("请求内容未能完整接收，请重试。", "the body did not arrive whole; try again"),
        )
    }
}

/// A body that is not the JSON expected: where the syntax breaks, or the field at fault with
/// what is wrong in words (never serde's message alone).
fn decode_problem(error: DecodeError, lang: Lang) -> Problem {
    let detail = error.words(lang);
    match error {
        DecodeError::Syntax { .. } => Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            lang.pick("JSON 格式错误", "malformed JSON"),
            detail,
        ),
        DecodeError::Field(field) => {
            let detail = if field.field.is_empty() {
                detail
            } else {
                format!("{}{}{detail}", field.field, lang.pick("：", ": "))
            };
            let mut problem = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                lang.pick("字段内容不符合要求", "a field is missing or invalid"),
                detail,
            );
            problem.errors = vec![field];
            problem
        }
    }
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
    let text = rejection.body_text();
    let message = text.split_once(": ").map_or(text.as_str(), |(_, message)| message);
    let said = decode::serde_words(message);
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        lang.pick("查询参数有误", "invalid query parameters"),
        lang.pick(&said.zh, &said.en),
    )
}
