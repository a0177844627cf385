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
            retry_after: None,
        }
    }

    /// The problem for a refused or failed operation.
    pub fn from_node(error: &NodeError, lang: Lang) -> Self {
        let (status, zh, en) = describe(error);
        let detail = match lang {
            Lang::Zh => zh_detail(error),
            Lang::En => error.to_string(),
        };
        let mut problem = Self::new(status, error.code(), lang.pick(zh, en), detail);
        if let NodeError::Validation(errors) = error {
            problem.errors = errors.clone();
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

/// Status and titles (Chinese, English) of every operation error.
fn describe(error: &NodeError) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    match error {
        NodeError::UnknownOfficer(_) => (S::FORBIDDEN, "本站未登记该民警", "officer not registered at this station"),
        NodeError::Forbidden { .. } => (S::FORBIDDEN, "无此操作权限", "not permitted"),
        NodeError::CaseNotFound(_) => (S::NOT_FOUND, "未找到该协查", "case not found"),
        NodeError::Validation(_) => (S::UNPROCESSABLE_ENTITY, "填写内容有误", "the submission has errors"),
        NodeError::WrongSide { .. } => (S::CONFLICT, "本站不能进行此操作", "this station cannot take this action"),
        NodeError::NoEligibleTarget => {
            (S::CONFLICT, "当前没有可进行此操作的协查单位", "no target can take this action now")
        }
        NodeError::UnknownStation(_) => (S::UNPROCESSABLE_ENTITY, "不是本站的协作单位", "not a partner station"),
        NodeError::Restricted(_) => {
            (S::FORBIDDEN, "处置限制不允许此操作", "the case's handling restriction forbids this")
        }
        NodeError::Apply(_) => (S::CONFLICT, "当前状态不允许此操作", "not allowed in the current state"),
        NodeError::Envelope(_) => (S::INTERNAL_SERVER_ERROR, "签名失败", "signing failed"),
        NodeError::Store(_) => {
            (S::SERVICE_UNAVAILABLE, "数据未能保存，请稍后重试", "could not store the data; try again shortly")
        }
    }
}

fn zh_detail(error: &NodeError) -> String {
    use crate::i18n::Label;
    match error {
        NodeError::UnknownOfficer(id) => format!("证书身份 {id} 未在本站民警名册中登记，请联系系统管理员。"),
        NodeError::Forbidden { needed } => {
            let roles: Vec<&str> = needed.iter().map(|r| r.zh()).collect();
            format!("此操作需要以下角色之一：{}。", roles.join("、"))
        }
        NodeError::CaseNotFound(id) => format!("本站没有编号为 {id} 的协查。"),
        NodeError::Validation(errors) => format!("共有 {} 处需要修改，见各字段说明。", errors.len()),
        NodeError::WrongSide { needed: "target" } => "只有被请求协查的单位才能进行此操作。".to_owned(),
        NodeError::WrongSide { .. } => "只有发起协查的单位才能进行此操作。".to_owned(),
        NodeError::NoEligibleTarget => "没有处于可操作状态的协查单位，请刷新后查看最新状态。".to_owned(),
        NodeError::UnknownStation(id) => format!("{id} 不在本站配置的协作单位中。"),
        NodeError::Restricted(r) => format!("该协查标有“{}”，此操作不被允许。", r.zh()),
        NodeError::Apply(e) => format!("协查流程不允许此操作（{}）。", e.code()),
        NodeError::Envelope(e) => format!("无法签名（{}），请联系系统管理员。", e.code()),
        NodeError::Store(_) => {
            "数据未写入磁盘，操作未生效。请稍后重试；如持续出现，请联系系统管理员检查磁盘。".to_owned()
        }
    }
}
