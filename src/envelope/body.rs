//! The body of each envelope kind. Every body names the officer who acted, so the signed
//! timeline says who did what, not only which station.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::domain::attachment::AttachmentRef;
use crate::domain::case::{DeclineReason, Outcome, Priority, Restriction, WithdrawReason};
use crate::domain::details::CaseDetails;
use crate::domain::refno::RefNo;
use crate::ids::{Badge, StationId};
use crate::labelled_enum;

labelled_enum! {
    /// What an envelope does to a case.
    pub enum Kind {
        /// The origin asks target stations for assistance (协查请求).
        Request => ("request", "发起协查", "assist request"),
        /// A target takes the case on (签收).
        Ack => ("ack", "签收", "acknowledgement"),
        /// A target declines the case (退回).
        Decline => ("decline", "退回", "decline"),
        /// Either party adds information (补充说明).
        Note => ("note", "补充说明", "supplementary note"),
        /// The origin presses an overdue target (催办).
        Reminder => ("reminder", "催办", "reminder"),
        /// A target reports what it found (反馈).
        Outcome => ("outcome", "反馈结果", "outcome report"),
        /// The origin closes and evaluates a resolved target (办结评价).
        Close => ("close", "办结评价", "close and evaluation"),
        /// The origin withdraws the request (撤回).
        Withdraw => ("withdraw", "撤回", "withdrawal"),
        /// The origin passes one party's envelope on to the other targets (转告).
        Relay => ("relay", "转告", "relayed to co-targets"),
    }
}

/// The officer who acted, as their own station registered them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Signatory {
    /// Badge number (警号).
    #[schema(value_type = String)]
    pub badge: Badge,
    /// Name as registered at the officer's station.
    pub name: String,
}

/// `request`: everything a target needs to act, including the deadlines the origin set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// Who sends the request.
    pub officer: Signatory,
    /// How fast the targets must answer.
    pub priority: Priority,
    /// A one-line title for lists.
    pub title: String,
    /// The structured, kind-specific part.
    pub details: CaseDetails,
    /// Free text: background, what is asked, anything the form does not cover.
    pub narrative: String,
    /// Who to call about this request (name and phone of the liaison desk).
    pub contact: String,
    /// The origin's own case or incident number (本地案件编号), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Handling restrictions every node enforces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restrictions: Vec<Restriction>,
    /// For standing alerts: the date by which the origin must review or withdraw it.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::clock::date::option")]
    pub review_by: Option<Date>,
    /// Acknowledge by: set by the origin from its configured deadlines and signed, so both
    /// sides measure the same deadline.
    #[serde(with = "time::serde::rfc3339")]
    pub ack_by: OffsetDateTime,
    /// First report by, likewise fixed at the origin.
    #[serde(with = "time::serde::rfc3339")]
    pub report_by: OffsetDateTime,
    /// Set when a target passed the request on to this station: the case it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_from: Option<ForwardedFrom>,
    /// Set when the origin sends this request in place of one another station declined
    /// (改发): that request, so the new target sees why it gets it. Absent otherwise, so the
    /// bytes of other requests are as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirected_from: Option<RedirectedFrom>,
    /// The origin's reference number for this request (协查文号), given when it is stored and
    /// signed with it so every station shows the same. Absent from requests of earlier releases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refno: Option<RefNo>,
    /// Photos and documents (附件), each named by its SHA-256 so the signature covers its bytes;
    /// the bytes travel apart. Absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentRef>,
}

/// Where a forwarded request came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardedFrom {
    /// The original case.
    #[schema(value_type = String)]
    pub case: crate::ids::CaseId,
    /// The station that sent the original request.
    #[schema(value_type = String)]
    pub station: StationId,
}

/// The declined request a redirected one replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedirectedFrom {
    /// The declined case, at the origin.
    #[schema(value_type = String)]
    pub case: crate::ids::CaseId,
    /// Its reference number (协查文号) as people read it, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refno: Option<String>,
    /// The station that declined it.
    #[schema(value_type = String)]
    pub station: StationId,
}

/// `ack`: the target takes the case on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    /// The duty officer who acknowledged.
    pub officer: Signatory,
    /// When the target promises its first report, if earlier or later than asked.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    pub report_by: Option<OffsetDateTime>,
    /// A short message for the origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `decline`: the target will not act, and says why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclineBody {
    /// The duty officer who declined.
    pub officer: Signatory,
    /// Why.
    pub reason: DeclineReason,
    /// Explanation for the origin.
    pub message: String,
    /// The station that should receive the request instead, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_station: Option<StationId>,
}

/// `note`: information added by either party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// Who wrote it.
    pub officer: Signatory,
    /// The note.
    pub text: String,
    /// Photos and documents, named by SHA-256 as a request names them. Absent when there are
    /// none, so a note without them is signed as it always was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::domain::attachment::AttachmentRef>,
}

/// `reminder`: the origin presses a target (催办).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderBody {
    /// Who sent the reminder.
    pub officer: Signatory,
    /// An optional message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `outcome`: what the target found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    /// Who reports.
    pub officer: Signatory,
    /// The result.
    pub outcome: Outcome,
    /// How many (persons found, suspects arrested, cases solved); 0 for `no_trace`.
    pub count: u32,
    /// The account of what was done and found.
    pub narrative: String,
}

/// `close`: the origin closes a resolved target and evaluates the work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// Who closes.
    pub officer: Signatory,
    /// Evaluation (满意度) from 1 to 5.
    pub evaluation: u8,
    /// Optional comment on the cooperation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `withdraw`: the origin calls the request back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    /// Who withdraws.
    pub officer: Signatory,
    /// Why.
    pub reason: WithdrawReason,
    /// Explanation for the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `relay`: the origin passes an envelope about one target on to another target of the case,
/// so every party sees every target (see [`super::relay`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayBody {
    /// The origin's officer in whose name it is passed on: who handles the case there.
    pub officer: Signatory,
    /// The station that signed the relayed envelope.
    pub station: StationId,
    /// The relayed envelope in its wire form, exactly as the origin holds it, signature intact.
    pub envelope: RelayedWire,
}

/// An envelope's wire form (`{"signed","key","sig"}`) carried inside a relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayedWire {
    /// base64url of the signed payload bytes.
    pub signed: String,
    /// The signing key, `<station>#<key-id>`.
    pub key: String,
    /// base64url of the signature.
    pub sig: String,
}

/// The body of an envelope, one variant per [`Kind`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Body {
    /// See [`RequestBody`].
    Request(Box<RequestBody>),
    /// See [`AckBody`].
    Ack(AckBody),
    /// See [`DeclineBody`].
    Decline(DeclineBody),
    /// See [`NoteBody`].
    Note(NoteBody),
    /// See [`ReminderBody`].
    Reminder(ReminderBody),
    /// See [`OutcomeBody`].
    Outcome(OutcomeBody),
    /// See [`CloseBody`].
    Close(CloseBody),
    /// See [`WithdrawBody`].
    Withdraw(WithdrawBody),
    /// See [`RelayBody`].
    Relay(RelayBody),
}

impl Body {
    /// The kind this body belongs to.
    pub fn kind(&self) -> Kind {
        match self {
            Self::Request(_) => Kind::Request,
            Self::Ack(_) => Kind::Ack,
            Self::Decline(_) => Kind::Decline,
            Self::Note(_) => Kind::Note,
            Self::Reminder(_) => Kind::Reminder,
            Self::Outcome(_) => Kind::Outcome,
            Self::Close(_) => Kind::Close,
            Self::Withdraw(_) => Kind::Withdraw,
            Self::Relay(_) => Kind::Relay,
        }
    }

    /// The photos and documents the envelope names.
    pub fn attachments(&self) -> &[crate::domain::attachment::AttachmentRef] {
        match self {
            Self::Request(request) => &request.attachments,
            Self::Note(note) => &note.attachments,
            _ => &[],
        }
    }

    /// The officer who acted.
    pub fn officer(&self) -> &Signatory {
        match self {
            Self::Request(b) => &b.officer,
            Self::Ack(b) => &b.officer,
            Self::Decline(b) => &b.officer,
            Self::Note(b) => &b.officer,
            Self::Reminder(b) => &b.officer,
            Self::Outcome(b) => &b.officer,
            Self::Close(b) => &b.officer,
            Self::Withdraw(b) => &b.officer,
            Self::Relay(b) => &b.officer,
        }
    }

    /// Parses the body of an envelope of `kind` from its JSON text: the kind decides the
    /// schema, so a body can never be read as another kind's.
    pub fn parse(kind: Kind, json: &str) -> serde_json::Result<Self> {
        Ok(match kind {
            Kind::Request => Self::Request(Box::new(serde_json::from_str(json)?)),
            Kind::Ack => Self::Ack(serde_json::from_str(json)?),
            Kind::Decline => Self::Decline(serde_json::from_str(json)?),
            Kind::Note => Self::Note(serde_json::from_str(json)?),
            Kind::Reminder => Self::Reminder(serde_json::from_str(json)?),
            Kind::Outcome => Self::Outcome(serde_json::from_str(json)?),
            Kind::Close => Self::Close(serde_json::from_str(json)?),
            Kind::Withdraw => Self::Withdraw(serde_json::from_str(json)?),
            Kind::Relay => Self::Relay(serde_json::from_str(json)?),
        })
    }
}
