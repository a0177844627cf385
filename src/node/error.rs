//! Errors of the station's operations. Each has a stable code, an HTTP status and words for
//! people in both languages, here in one place; the API and the console only present them.

use crate::case::ApplyError;
use crate::config::Role;
use crate::domain::validate::FieldError;
use crate::envelope::EnvelopeError;
use crate::i18n::Lang;
use crate::ids::StationId;
use crate::store::StoreError;

/// Why an operation was refused or failed. A refusal changes nothing.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The certificate is valid but its officer is not in this station's registry.
    #[error("officer {0} is not registered at this station")]
    UnknownOfficer(String),
    /// The officer lacks every role that may do this.
    #[error("this needs one of the roles {needed:?}")]
    Forbidden {
        /// Roles that would allow it.
        needed: &'static [Role],
    },
    /// The case does not exist here.
    #[error("no case {0} at this station")]
    CaseNotFound(String),
    /// The submitted body breaks content rules; every problem is listed.
    #[error("the submission has {} problem(s)", .0.len())]
    Validation(Vec<FieldError>),
    /// This station is on the wrong side of the case for the action (e.g. acking its own request).
    #[error("only the {needed} may do this")]
    WrongSide {
        /// `origin` or `target`.
        needed: &'static str,
    },
    /// No target of the case is in a state the action applies to.
    #[error("no target of this case can take this action now")]
    NoEligibleTarget,
    /// A handling restriction of the case forbids this.
    #[error("the case's handling restriction {} forbids this", .0.as_str())]
    Restricted(crate::domain::case::Restriction),
    /// A named station is not a configured peer.
    #[error("{0} is not a partner station of this node")]
    UnknownStation(StationId),
    /// No alert hook of that name is configured.
    #[error("no alert hook {0} is configured at this station")]
    UnknownHook(String),
    /// The lifecycle or a content rule refused the envelope.
    #[error(transparent)]
    Apply(ApplyError),
    /// Signing or verifying failed.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The store failed; nothing was confirmed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl NodeError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownOfficer(_) => "unknown_officer",
            Self::Forbidden { .. } => "forbidden",
            Self::CaseNotFound(_) => "case_not_found",
            Self::Validation(_) => "validation_failed",
            Self::WrongSide { .. } => "wrong_party",
            Self::NoEligibleTarget => "no_eligible_target",
            Self::UnknownStation(_) => "unknown_station",
            Self::UnknownHook(_) => "unknown_hook",
            Self::Restricted(crate::domain::case::Restriction::NoExport) => "export_restricted",
            Self::Restricted(crate::domain::case::Restriction::NoOnward) => "onward_restricted",
            Self::Restricted(crate::domain::case::Restriction::PoliceOnly) => "police_only",
            Self::Apply(e) => e.code(),
            Self::Envelope(e) => e.code(),
            Self::Store(_) => "storage_unavailable",
        }
    }

    /// The HTTP status an API answers with: a 4xx for whatever the caller can put right, 503
    /// for storage trouble (try again), and 500 only for a signing failure that no input causes.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::UnknownOfficer(_) | Self::Forbidden { .. } | Self::Restricted(_) => 403,
            Self::CaseNotFound(_) | Self::UnknownHook(_) => 404,
            Self::WrongSide { .. } | Self::NoEligibleTarget | Self::Apply(_) => 409,
            Self::Validation(_) | Self::UnknownStation(_) => 422,
            Self::Envelope(_) => 500,
            Self::Store(_) => 503,
        }
    }

    /// A short title for people, in `lang`.
    pub fn title(&self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Self::UnknownOfficer(_) => ("本站未登记该民警", "officer not registered at this station"),
            Self::Forbidden { .. } => ("无此操作权限", "not permitted"),
            Self::CaseNotFound(_) => ("未找到该协查", "case not found"),
            Self::Validation(_) => ("填写内容有误", "the submission has errors"),
            Self::WrongSide { .. } => ("本站不能进行此操作", "this station cannot take this action"),
            Self::NoEligibleTarget => ("当前没有可进行此操作的协查单位", "no target can take this action now"),
            Self::UnknownStation(_) => ("不是本站的协作单位", "not a partner station"),
            Self::UnknownHook(_) => ("未配置该告警推送", "no such alert hook"),
            Self::Restricted(_) => ("处置限制不允许此操作", "the case's handling restriction forbids this"),
            Self::Apply(_) => ("当前状态不允许此操作", "not allowed in the current state"),
            Self::Envelope(_) => ("签名失败", "signing failed"),
            Self::Store(_) => ("数据未能保存，请稍后重试", "could not store the data; try again shortly"),
        };
        lang.pick(zh, en)
    }

    /// What happened and what to do about it, in `lang`.
    pub fn detail(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => self.zh_detail(),
            Lang::En => self.to_string(),
        }
    }

    fn zh_detail(&self) -> String {
        use crate::i18n::Label;
        match self {
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
            NodeError::UnknownHook(name) => {
                format!("本站配置中没有名为 {name} 的告警推送（[[alerts.hooks]]），请核对名称。")
            }
            NodeError::Restricted(r) => format!("该协查标有“{}”，此操作不被允许。", r.zh()),
            NodeError::Apply(e) => format!("协查流程不允许此操作（{}）。", e.code()),
            NodeError::Envelope(e) => format!("无法签名（{}），请联系系统管理员。", e.code()),
            NodeError::Store(_) => {
                "数据未写入磁盘，操作未生效。请稍后重试；如持续出现，请联系系统管理员检查磁盘。".to_owned()
            }
        }
    }
}

impl From<super::combine::Abandoned> for NodeError {
    /// Only a panic while committing abandons a unit, and it leaves the store's write lock
    /// poisoned: the node must be restarted.
    fn from(_: super::combine::Abandoned) -> Self {
        Self::Store(StoreError::Poisoned)
    }
}

impl From<ApplyError> for NodeError {
    /// Content errors become field-level validation errors, so the officer sees which field
    /// to fix; the rest stay lifecycle refusals.
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::InvalidBody(errors) => Self::Validation(errors),
            other => Self::Apply(other),
        }
    }
}
