//! Errors of the station's operations. Each has a stable code, an HTTP status and words for
//! people in both languages, here in one place; the API and the console only present them.

use crate::case::ApplyError;
use crate::config::Role;
use crate::domain::validate::FieldError;
use crate::envelope::EnvelopeError;
use crate::i18n::{Label, Lang};
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
    /// A stand-down needs a target to have reported an outcome that ends the search.
    #[error("no target has reported an outcome that ends the search; withdraw targets one by one instead")]
    NothingDecisive,
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
    /// An `Idempotency-Key` that is empty, too long, or not visible ASCII.
    #[error("the idempotency key must be 1 to 100 visible ASCII characters")]
    InvalidIdempotencyKey,
    /// The idempotency key already sent a different request within the last day.
    #[error("idempotency key already used for case {case} at {at}")]
    IdempotencyKeyReused {
        /// The case the key sent.
        case: crate::ids::CaseId,
        /// When.
        at: time::OffsetDateTime,
    },
    /// An open request from this station to the same partner names the same subject; the
    /// officer must confirm this one is meant.
    #[error("{} open request(s) name the same subject", .0.len())]
    PossibleDuplicate(Vec<super::Duplicate>),
    /// A handover by an officer who neither handles the case nor is the station chief.
    #[error("only the case's handler or the station chief may hand it over")]
    NotHandler,
    /// A handover to a badge this station's registry does not list.
    #[error("no officer with badge {0} is registered at this station")]
    NoSuchBadge(String),
    /// A handover to an officer whose roles do not let them work the case on this side.
    #[error("officer {badge} cannot work this case")]
    CannotHandle {
        /// Their badge.
        badge: String,
        /// Roles that would let them.
        needed: &'static [Role],
    },
    /// A handover to the officer who already handles the case.
    #[error("officer {0} already handles this case")]
    AlreadyHandler(String),
    /// An attachment larger than the station accepts.
    #[error("the file is larger than {limit} bytes")]
    AttachmentTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// A file that is no JPEG, PNG, WebP or PDF, whatever its name says.
    #[error("the file is not a JPEG, PNG, WebP or PDF")]
    UnsupportedMedia,
    /// A file of an accepted type that fails its check (cut short, a bomb, hidden markup).
    #[error(transparent)]
    AttachmentRefused(crate::images::FileProblem),
    /// A request or note names a file that was not uploaded here.
    #[error("attachment {0} was not uploaded to this station")]
    AttachmentNotUploaded(crate::domain::attachment::Sha256),
    /// No such attachment on this case.
    #[error("the case has no attachment {0}")]
    AttachmentNotFound(String),
    /// A scanned 协查函 code this node cannot vouch for.
    #[error("letter code refused: {}", .0.code())]
    Letter(super::LetterRefusal),
    /// 改发 of a request the named station did not decline.
    #[error("{0} did not decline this request")]
    NotDeclined(StationId),
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
            Self::NothingDecisive => "no_decisive_outcome",
            Self::UnknownStation(_) => "unknown_station",
            Self::UnknownHook(_) => "unknown_hook",
            Self::Restricted(crate::domain::case::Restriction::NoExport) => "export_restricted",
            Self::Restricted(crate::domain::case::Restriction::NoOnward) => "onward_restricted",
            Self::Restricted(crate::domain::case::Restriction::PoliceOnly) => "police_only",
            Self::Apply(e) => e.code(),
            Self::Envelope(e) => e.code(),
            Self::Store(_) => "storage_unavailable",
            Self::InvalidIdempotencyKey => "invalid_idempotency_key",
            Self::IdempotencyKeyReused { .. } => "idempotency_key_reused",
            Self::PossibleDuplicate(_) => "possible_duplicate",
            Self::NotHandler => "not_handler",
            Self::NoSuchBadge(_) => "unknown_badge",
            Self::CannotHandle { .. } => "cannot_handle",
            Self::AlreadyHandler(_) => "already_handler",
            Self::AttachmentTooLarge { .. } => "attachment_too_large",
            Self::UnsupportedMedia => "unsupported_media_type",
            Self::AttachmentRefused(problem) => problem.code(),
            Self::AttachmentNotUploaded(_) => "attachment_not_uploaded",
            Self::AttachmentNotFound(_) => "attachment_not_found",
            Self::Letter(refusal) => refusal.code(),
            Self::NotDeclined(_) => "not_declined",
        }
    }

    /// The HTTP status an API answers with: a 4xx for whatever the caller can put right, 503
    /// for storage trouble (try again), and 500 only for a signing failure that no input causes.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::InvalidIdempotencyKey => 400,
            Self::UnknownOfficer(_) | Self::Forbidden { .. } | Self::Restricted(_) | Self::NotHandler => 403,
            Self::CaseNotFound(_)
            | Self::UnknownHook(_)
            | Self::AttachmentNotFound(_)
            | Self::Letter(super::LetterRefusal::UnknownCase) => 404,
            Self::AttachmentTooLarge { .. } => 413,
            Self::UnsupportedMedia => 415,
            Self::WrongSide { .. }
            | Self::NoEligibleTarget
            | Self::NothingDecisive
            | Self::Apply(_)
            | Self::PossibleDuplicate(_)
            | Self::AlreadyHandler(_)
            | Self::NotDeclined(_) => 409,
            Self::Letter(_) => 422,
            Self::Validation(_)
            | Self::UnknownStation(_)
            | Self::IdempotencyKeyReused { .. }
            | Self::NoSuchBadge(_)
            | Self::CannotHandle { .. }
            | Self::AttachmentRefused(_)
            | Self::AttachmentNotUploaded(_) => 422,
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
            Self::NothingDecisive => ("尚无单位反馈到案或找到", "no target has reported the subject found"),
            Self::UnknownStation(_) => ("不是本站的协作单位", "not a partner station"),
            Self::UnknownHook(_) => ("未配置该告警推送", "no such alert hook"),
            Self::Restricted(_) => ("处置限制不允许此操作", "the case's handling restriction forbids this"),
            Self::Apply(_) => ("当前状态不允许此操作", "not allowed in the current state"),
            Self::Envelope(_) => ("签名失败", "signing failed"),
            Self::Store(_) => ("数据未能保存，请稍后重试", "could not store the data; try again shortly"),
            Self::InvalidIdempotencyKey => ("防重复发送标识无效", "invalid idempotency key"),
            Self::IdempotencyKeyReused { .. } => {
                ("防重复发送标识已用于另一份协查", "idempotency key already used for another request")
            }
            Self::PossibleDuplicate(_) => ("可能重复发送", "possibly sent before"),
            Self::NotHandler => ("只有承办人或所长可以移交", "only the handler or the chief may hand over"),
            Self::NoSuchBadge(_) => ("本站没有该警号的民警", "no officer with that badge here"),
            Self::CannotHandle { .. } => ("该民警不能承办此协查", "that officer cannot work this case"),
            Self::AlreadyHandler(_) => ("该民警已是承办人", "that officer already handles it"),
            Self::AttachmentTooLarge { .. } => ("附件过大", "the file is too large"),
            Self::UnsupportedMedia => ("不支持的文件类型", "file type not accepted"),
            Self::AttachmentRefused(_) => ("文件未通过检查", "the file failed its check"),
            Self::AttachmentNotUploaded(_) => ("附件尚未上传", "attachment not uploaded"),
            Self::AttachmentNotFound(_) => ("未找到该附件", "attachment not found"),
            Self::Letter(_) => ("协查函核验未通过", "the letter did not verify"),
            Self::NotDeclined(_) => ("该单位未退回此协查，不能改发", "that station did not decline this request"),
        };
        lang.pick(zh, en)
    }

    /// What happened and what to do about it, in `lang`.
    pub fn detail(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => self.zh_detail(),
            Lang::En => self.en_detail(),
        }
    }

    fn zh_detail(&self) -> String {
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
            NodeError::NothingDecisive => {
                "尚无协查单位反馈已拦截、已抓获、已查明下落或已找到，不能一并撤回其余单位；如需撤回，请逐个撤回。"
                    .to_owned()
            }
            NodeError::UnknownStation(id) => format!("{id} 不在本站配置的协作单位中。"),
            NodeError::UnknownHook(name) => {
                format!("本站配置中没有名为 {name} 的告警推送（[[alerts.hooks]]），请核对名称。")
            }
            NodeError::Restricted(r) => format!("该协查标有“{}”，此操作不被允许。", r.zh()),
            NodeError::Apply(e) => format!("{}。", e.describe(Lang::Zh)),
            NodeError::Envelope(e) => format!("无法签名（{}），请联系系统管理员。", e.describe(Lang::Zh)),
            NodeError::Store(_) => {
                "数据未写入磁盘，操作未生效。请稍后重试；如持续出现，请联系系统管理员检查磁盘。".to_owned()
            }
            NodeError::InvalidIdempotencyKey => {
                "防重复发送标识须为 1 至 100 个可见的半角字符（不含空格与汉字）。".to_owned()
            }
            NodeError::IdempotencyKeyReused { case, at } => format!(
                "该标识已于 {} 发出协查 {case}，内容与本次不同，本次未发送。如确为另一份协查，请使用新的标识。",
                crate::clock::local_minute(*at)
            ),
            // Ids only: a title is the officer's own words, in whatever language; the answer
            // lists the titles beside the ids.
            NodeError::PossibleDuplicate(found) => {
                let cases: Vec<String> = found.iter().map(|d| d.case.to_string()).collect();
                format!(
                    "本站发往同一协作单位、尚未办结的协查中已有同一对象：{}。本次未发送；如确需再次发送，请确认后重新提交。",
                    cases.join("、")
                )
            }
            NodeError::NotHandler => "只有该协查的承办人或本站所长才能移交，请联系承办人或所长。".to_owned(),
            NodeError::NoSuchBadge(badge) => {
                format!("本站民警名册中没有警号为 {badge} 的民警，请核对警号。")
            }
            NodeError::CannotHandle { badge, needed } => {
                let roles: Vec<&str> = needed.iter().map(|r| r.zh()).collect();
                format!("警号 {badge} 的民警不能承办此协查：承办人须为{}。", roles.join("或"))
            }
            NodeError::AlreadyHandler(badge) => format!("警号 {badge} 的民警已是该协查的承办人，无需移交。"),
            NodeError::AttachmentTooLarge { limit } => format!(
                "单个附件不得超过 {}，本文件未保存。请压缩图片或分开扫描后再附加。",
                crate::domain::attachment::size_words(*limit)
            ),
            NodeError::UnsupportedMedia => {
                "只接受 JPEG、PNG、WebP 格式的照片和 PDF 文档（按文件内容判断，与文件名无关），本文件未保存。"
                    .to_owned()
            }
            NodeError::AttachmentRefused(problem) => format!("{}。本文件未保存。", problem.zh()),
            NodeError::AttachmentNotUploaded(sha) => {
                format!("附件 {} 尚未上传到本站，请先上传文件再发送。", &sha.hex()[..12])
            }
            NodeError::AttachmentNotFound(sha) => format!("该协查没有编号为 {sha} 的附件。"),
            NodeError::Letter(refusal) => refusal.zh().to_owned(),
            NodeError::NotDeclined(id) => {
                format!("{id} 没有退回这份协查。只有协作单位退回的协查才能改发；请刷新后查看各单位状态。")
            }
        }
    }

    fn en_detail(&self) -> String {
        match self {
            NodeError::UnknownOfficer(id) => {
                format!(
                    "the certificate's identity {id} is not in this station's officer registry; ask the administrator"
                )
            }
            NodeError::Forbidden { needed } => {
                let roles: Vec<&str> = needed.iter().map(|r| r.en()).collect();
                format!("this needs one of the roles: {}", roles.join(", "))
            }
            NodeError::CaseNotFound(id) => format!("there is no case {id} at this station"),
            NodeError::Validation(errors) => format!("{} field(s) to correct: see each field", errors.len()),
            NodeError::WrongSide { needed: "target" } => "only the station asked for help may do this".to_owned(),
            NodeError::WrongSide { .. } => "only the requesting station may do this".to_owned(),
            NodeError::NoEligibleTarget => {
                "no target station is in a state that allows this; reload to see the latest".to_owned()
            }
            NodeError::NothingDecisive => "no target has reported the subject intercepted, arrested, located or found, so the rest cannot be stood down at once; withdraw them one by one if needed".to_owned(),
            NodeError::UnknownStation(id) => format!("{id} is not among this station's partner stations"),
            NodeError::UnknownHook(name) => {
                format!("this station's config has no alert hook named {name} ([[alerts.hooks]]); check the name")
            }
            NodeError::Restricted(r) => format!("the case is marked \"{}\": this is not allowed", r.en()),
            NodeError::Apply(e) => e.describe(Lang::En),
            NodeError::Envelope(e) => format!("could not sign ({}); ask the administrator", e.describe(Lang::En)),
            NodeError::Store(_) => {
                "nothing was written to disk and nothing changed; try again shortly, and if it goes on ask the \
                 administrator to check the disk"
                    .to_owned()
            }
            NodeError::InvalidIdempotencyKey => {
                "the idempotency key must be 1 to 100 visible ASCII characters (no spaces)".to_owned()
            }
            NodeError::IdempotencyKeyReused { case, at } => format!(
                "this key sent request {case} at {} with different content; nothing was sent now. For another \
                 request use a new key",
                crate::clock::rfc3339(*at)
            ),
            NodeError::PossibleDuplicate(found) => {
                let cases: Vec<String> = found.iter().map(|d| d.case.to_string()).collect();
                format!(
                    "an open request from this station to the same partner names the same subject: {}. Nothing was \
                     sent; confirm to send it anyway",
                    cases.join(", ")
                )
            }
            NodeError::NotHandler => {
                "only the officer handling the case or the station chief may hand it over; ask one of them".to_owned()
            }
            NodeError::NoSuchBadge(badge) => {
                format!("no officer with badge {badge} is registered at this station; check the badge number")
            }
            NodeError::CannotHandle { badge, needed } => {
                let roles: Vec<&str> = needed.iter().map(|r| r.en()).collect();
                format!(
                    "the officer with badge {badge} cannot work this case: its handler must be a {}",
                    roles.join(" or ")
                )
            }
            NodeError::AlreadyHandler(badge) => {
                format!("the officer with badge {badge} already handles this case; nothing to hand over")
            }
            NodeError::AttachmentTooLarge { limit } => format!(
                "one file may be at most {}; nothing was kept. Compress the photo or scan in parts",
                crate::domain::attachment::size_words(*limit)
            ),
            NodeError::UnsupportedMedia => "only JPEG, PNG and WebP photos and PDF documents are accepted (judged by \
                 the content, not the name); nothing was kept"
                .to_owned(),
            NodeError::AttachmentRefused(problem) => format!("{problem}; nothing was kept"),
            NodeError::AttachmentNotUploaded(sha) => {
                format!("attachment {} was not uploaded to this station; upload the file first", &sha.hex()[..12])
            }
            NodeError::AttachmentNotFound(sha) => format!("the case has no attachment {sha}"),
            NodeError::Letter(refusal) => refusal.en().to_owned(),
            NodeError::NotDeclined(id) => format!(
                "{id} did not decline this request; only a request a partner declined can be redirected. Reload to see \
                 each station's state"
            ),
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

#[cfg(test)]
mod tests;
