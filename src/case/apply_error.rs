//! Why an envelope cannot be applied to a case: a stable code for each refusal and words a
//! person can act on, in Chinese and English.

use super::RelayFault;
use crate::domain::lifecycle::LifecycleError;
use crate::domain::validate::FieldError;
use crate::i18n::Lang;
use crate::ids::{EnvelopeId, StationId};

/// Why an envelope cannot be applied to a case.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplyError {
    /// The sender is neither the origin nor a target of the case.
    #[error("{0} is not a party to this case")]
    NotParty(StationId),
    /// `to` does not fit the kind (e.g. an ack not addressed to the origin only).
    #[error("bad addressing: {0}")]
    BadAddressing(String),
    /// The lifecycle does not allow this step now.
    #[error("{0}")]
    Lifecycle(LifecycleError),
    /// Only a request opens a case; anything else needs a case this node already holds.
    #[error("no such case here; only a request opens a case")]
    UnknownCase,
    /// A second request for a case that already exists.
    #[error("the case already exists; a case has exactly one request")]
    CaseExists,
    /// The body breaks a content rule.
    #[error("invalid body: {}", .0.iter().map(|e| format!("{} ({})", e.field, e.code)).collect::<Vec<_>>().join(", "))]
    InvalidBody(Vec<FieldError>),
    /// The sender already signed another envelope with this `seq` on this case: two
    /// different statements in one place of its sequence. Kept as evidence, applied never.
    #[error(
        "the sender already used seq {seq} on this case for envelope {kept}; a second envelope with it is equivocation"
    )]
    Equivocation {
        /// The reused sequence number.
        seq: u32,
        /// The envelope held here with that `seq`.
        kept: EnvelopeId,
    },
    /// The sender's `seq` is below one of its envelopes already applied here: an envelope
    /// cannot be slipped in before what the other side has already seen and acted on.
    #[error("seq {seq} comes after this sender's seq {} was applied here; its envelopes are taken in the order it signed them", .next - 1)]
    OutOfOrder {
        /// The envelope's sequence number.
        seq: u32,
        /// One past the highest `seq` of the sender applied here.
        next: u32,
    },
    /// A relay that cannot be taken: see [`RelayFault`].
    #[error("relay refused: {0}")]
    Relay(RelayFault),
    /// The sender says it held more of this node's envelopes on the case than this node has:
    /// this node lost some (a restore from backup) and gets them back by reconciliation.
    #[error("the sender had seen {seen} of this station's envelopes on this case, but only {held} are held here")]
    HistoryMissing {
        /// What the sender had seen.
        seen: u32,
        /// What is held here.
        held: u32,
    },
}

impl ApplyError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotParty(_) => "not_party",
            Self::BadAddressing(_) => "bad_addressing",
            Self::Lifecycle(LifecycleError::WrongParty { .. }) => "wrong_party",
            Self::Lifecycle(LifecycleError::NotAllowed { .. }) => "illegal_transition",
            Self::UnknownCase => "unknown_case",
            Self::CaseExists => "case_exists",
            Self::InvalidBody(_) => "invalid_body",
            Self::HistoryMissing { .. } => "history_missing",
            Self::Equivocation { .. } => "equivocation",
            Self::OutOfOrder { .. } => "out_of_order",
            Self::Relay(fault) => fault.code(),
        }
    }

    /// What was refused and why, in `lang`.
    pub fn describe(&self, lang: Lang) -> String {
        let fields = |errors: &[FieldError]| {
            let each = errors.iter().map(|e| lang.pick(&e.zh, &e.en));
            each.collect::<Vec<_>>().join(lang.pick("；", "; "))
        };
        match (self, lang) {
            (Self::NotParty(station), Lang::Zh) => format!("{station} 不是该协查的参与单位"),
            (Self::BadAddressing(_), Lang::Zh) => "报文的收件单位不符合该类报文的规定".to_owned(),
            (Self::Lifecycle(e), _) => e.describe(lang),
            (Self::Relay(fault), _) => fault.describe(lang),
            (Self::UnknownCase, Lang::Zh) => "本站没有该协查；只有协查请求才能新建协查".to_owned(),
            (Self::CaseExists, Lang::Zh) => "该协查已经存在，一个协查只有一份请求".to_owned(),
            (Self::InvalidBody(errors), Lang::Zh) => format!("内容不符合要求：{}", fields(errors)),
            (Self::InvalidBody(errors), Lang::En) => format!("the content breaks a rule: {}", fields(errors)),
            (Self::Equivocation { seq, .. }, Lang::Zh) => {
                format!("对方就同一协查签署了两份不同的第 {seq} 号报文：后一份已作为证据保存，不予采用")
            }
            (Self::OutOfOrder { seq, next }, Lang::Zh) => format!(
                "报文顺序不对：对方的第 {seq} 号报文在其第 {} 号报文之后才到，按签署顺序不予采用",
                next.saturating_sub(1)
            ),
            (Self::HistoryMissing { seen, held }, Lang::Zh) => format!(
                "对方已收到本站 {seen} 份报文，本站只保存了 {held} 份：本站数据可能从备份恢复过，将自动与对方核对补齐"
            ),
            (_, Lang::En) => self.to_string(),
        }
    }

    /// True when the same envelope may be applied later: only missing history heals.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::HistoryMissing { .. })
    }
}
