//! Errors as `application/problem+json` (RFC 9457) with a stable `code`, a title and detail
//! in the caller's language (Chinese unless English is asked for), and field errors for forms.
//! The mapping from error to HTTP status lives here and nowhere else.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::validate::FieldError;
use crate::i18n::Lang;
use crate::node::NodeError;

/// A problem report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (`urn:tiemeng:problem:<code>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary for people.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened and what to do about it.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// Field-level errors of a rejected form.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The open requests a possible duplicate repeats (`possible_duplicate`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<crate::node::Duplicate>,
    /// Seconds to wait before retrying, when that helps.
    #[serde(skip)]
    pub retry_after: Option<u32>,
}

impl Problem {
    /// A problem with a code, status and texts in the caller's language.
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:tiemeng:problem:{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            errors: Vec::new(),
            duplicates: Vec::new(),
            retry_after: None,
        }
    }

    /// The problem for a refused or failed operation.
    pub fn from_node(error: &NodeError, lang: Lang) -> Self {
        let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut problem = Self::new(status, error.code(), error.title(lang), error.detail(lang));
        match error {
            NodeError::Validation(errors) => problem.errors = errors.clone(),
            NodeError::PossibleDuplicate(found) => problem.duplicates = found.clone(),
            _ => {}
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            problem.retry_after = Some(5);
        }
        problem
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after;
        let mut response = (status, axum::Json(self)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
