//! What officers fill in: a new request and each action on a case, and the signed body each
//! becomes.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::Officer;
use crate::domain::case::{DeclineReason, Outcome, Priority, Restriction, WithdrawReason};
use crate::domain::deadline::Windows;
use crate::domain::details::CaseDetails;
use crate::domain::lifecycle::ActionKind;
use crate::envelope::Body;
use crate::envelope::Signatory;
use crate::envelope::body::{
    AckBody, CloseBody, DeclineBody, NoteBody, OutcomeBody, ReminderBody, RequestBody, WithdrawBody,
};
use crate::ids::StationId;

/// A new assist request as a liaison officer fills it in.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    /// Partner stations to send it to (one or more).
    #[schema(value_type = std::collections::BTreeSet<String>)]
    pub targets: Vec<StationId>,
    /// How fast they must answer.
    pub priority: Priority,
    /// One-line title.
    pub title: String,
    /// The kind-specific part.
    pub details: CaseDetails,
    /// Background and what is asked.
    #[serde(default)]
    pub narrative: String,
    /// Who to call about it.
    pub contact: String,
    /// The station's own case or incident number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Handling restrictions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restrictions: Vec<Restriction>,
    /// Review date of a standing alert (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::clock::date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub review_by: Option<Date>,
    /// Send even though an open request from this station to the same partner names the same
    /// person, vehicle or case (otherwise refused with `possible_duplicate`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirm_duplicate: bool,
    /// Photos and documents uploaded before (`POST /api/v1/attachments`), as the upload
    /// answered them, each with the name and caption the officer gives it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::domain::attachment::AttachmentRef>,
    /// 改发: send this in place of a request of this station that a partner declined; the new
    /// request names it, signed, and the declined case shows where it went.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_of: Option<super::RedirectOf>,
}

impl NewCase {
    /// The signed request this form becomes when `officer` sends it at `at`, with deadlines
    /// from `windows`; and its targets.
    pub fn into_request(
        self,
        officer: Signatory,
        at: OffsetDateTime,
        windows: Windows,
    ) -> (Vec<StationId>, RequestBody) {
        let request = RequestBody {
            officer,
            priority: self.priority,
            title: self.title.trim().to_owned(),
            details: self.details,
            narrative: self.narrative,
            contact: self.contact,
            reference: self.reference.filter(|r| !r.trim().is_empty()),
            restrictions: self.restrictions,
            review_by: self.review_by,
            ack_by: at + windows.ack.0,
            report_by: at + windows.report.0,
            forwarded_from: None,
            redirected_from: None,
            refno: None,
            attachments: self.attachments,
        };
        (self.targets, request)
    }
}

/// 签收: the target's duty officer takes the case on.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckInput {
    /// When the first report will come, if not by the requested deadline.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub report_by: Option<OffsetDateTime>,
    /// A short message for the origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// 退回: the target's duty officer declines.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineInput {
    /// Why.
    pub reason: DeclineReason,
    /// Explanation for the origin.
    pub message: String,
    /// The station that should take it instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub suggested_station: Option<StationId>,
}

/// 补充说明: a note from either side.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// The note.
    pub text: String,
    /// For the origin: which targets to tell (default: every open target).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = std::collections::BTreeSet<String>)]
    pub targets: Vec<StationId>,
    /// Photos and documents uploaded before (`POST /api/v1/attachments`), named as the request
    /// names them: a target sends back the photo of the person found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::domain::attachment::AttachmentRef>,
}

/// 催办: the origin's liaison presses targets.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderInput {
    /// A message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Which targets (default: every target still owing an ack or a report).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = std::collections::BTreeSet<String>)]
    pub targets: Vec<StationId>,
}

/// 反馈: the target's duty officer reports the outcome.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeInput {
    /// The result.
    pub outcome: Outcome,
    /// How many persons found, suspects arrested, cases solved (0 for no trace).
    pub count: u32,
    /// What was done and found.
    pub narrative: String,
}

/// 办结评价: the origin's liaison closes resolved targets.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// 满意度 1–5.
    pub evaluation: u8,
    /// Comment on the cooperation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Which targets (default: every resolved target).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = std::collections::BTreeSet<String>)]
    pub targets: Vec<StationId>,
}

/// 撤回: the origin's liaison withdraws the request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInput {
    /// Why.
    pub reason: WithdrawReason,
    /// Explanation for the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Which targets (default: every open target).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = std::collections::BTreeSet<String>)]
    pub targets: Vec<StationId>,
}

/// Something an officer does to an existing case.
#[derive(Debug, Clone)]
pub enum Action {
    /// See [`AckInput`].
    Ack(AckInput),
    /// See [`DeclineInput`].
    Decline(DeclineInput),
    /// See [`NoteInput`].
    Note(NoteInput),
    /// See [`ReminderInput`].
    Reminder(ReminderInput),
    /// See [`OutcomeInput`].
    Outcome(OutcomeInput),
    /// See [`CloseInput`].
    Close(CloseInput),
    /// See [`WithdrawInput`].
    Withdraw(WithdrawInput),
}

impl Action {
    /// The audit name of the action.
    pub(super) fn audit_name(&self) -> &'static str {
        match self {
            Self::Ack(_) => "case.ack",
            Self::Decline(_) => "case.decline",
            Self::Note(_) => "case.note",
            Self::Reminder(_) => "case.reminder",
            Self::Outcome(_) => "case.outcome",
            Self::Close(_) => "case.close",
            Self::Withdraw(_) => "case.withdraw",
        }
    }

    /// Which action this is.
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::Ack(_) => ActionKind::Ack,
            Self::Decline(_) => ActionKind::Decline,
            Self::Note(_) => ActionKind::Note,
            Self::Reminder(_) => ActionKind::Reminder,
            Self::Outcome(_) => ActionKind::Outcome,
            Self::Close(_) => ActionKind::Close,
            Self::Withdraw(_) => ActionKind::Withdraw,
        }
    }
}

/// The body of the envelope that `action` by `officer` sends.
pub fn action_body(action: Action, officer: &Officer) -> Body {
    let officer = officer.signatory();
    let trimmed = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    match action {
        Action::Ack(AckInput { report_by, message }) => {
            Body::Ack(AckBody { officer, report_by, message: trimmed(message) })
        }
        Action::Decline(DeclineInput { reason, message, suggested_station }) => {
            Body::Decline(DeclineBody { officer, reason, message, suggested_station })
        }
        Action::Note(NoteInput { text, attachments, .. }) => Body::Note(NoteBody { officer, text, attachments }),
        Action::Reminder(ReminderInput { message, .. }) => {
            Body::Reminder(ReminderBody { officer, message: trimmed(message) })
        }
        Action::Outcome(OutcomeInput { outcome, count, narrative }) => {
            Body::Outcome(OutcomeBody { officer, outcome, count, narrative })
        }
        Action::Close(CloseInput { evaluation, comment, .. }) => {
            Body::Close(CloseBody { officer, evaluation, comment: trimmed(comment) })
        }
        Action::Withdraw(WithdrawInput { reason, message, .. }) => {
            Body::Withdraw(WithdrawBody { officer, reason, message: trimmed(message) })
        }
    }
}
