//! The closed sets that describe a case: priority, handling restrictions, outcomes and the
//! reasons officers give when they decline or withdraw.

use crate::labelled_enum;

labelled_enum! {
    /// How fast the target must answer (特急 / 紧急 / 一般).
    pub enum Priority {
        /// Minutes count: a child missing near a river, an armed fugitive on the road.
        Urgent => ("urgent", "特急", "urgent"),
        /// Hours count.
        High => ("high", "紧急", "high"),
        /// Days count.
        Routine => ("routine", "一般", "routine"),
    }
}

labelled_enum! {
    /// Handling restrictions set by the origin and enforced by every node (like Europol's
    /// handling codes): they travel inside the signed request, so no node can drop them.
    pub enum Restriction {
        /// A target may not forward the case to a third station.
        NoOnward => ("no_onward", "不得转发", "no onward transmission"),
        /// For police eyes only: no sharing with other agencies or the public.
        PoliceOnly => ("police_only", "仅限公安内部", "police only"),
        /// No CSV or bundle export of the case's personal data.
        NoExport => ("no_export", "不得导出", "no export"),
    }
}

labelled_enum! {
    /// What the target found. Which outcomes fit depends on the kind of case.
    pub enum Outcome {
        /// 失踪人员已找到.
        PersonFound => ("person_found", "已找到失踪人员", "person found"),
        /// 在逃人员已查明下落.
        Located => ("located", "已查明下落", "located"),
        /// 在逃人员已拦截.
        Intercepted => ("intercepted", "已拦截", "intercepted"),
        /// 在逃人员已抓获.
        Arrested => ("arrested", "已抓获", "arrested"),
        /// 系列盗窃已破案.
        CaseSolved => ("case_solved", "已破案", "case solved"),
        /// 已查明嫌疑人.
        SuspectIdentified => ("suspect_identified", "已查明嫌疑人", "suspect identified"),
        /// 矛盾纠纷已调处.
        DisputeResolved => ("dispute_resolved", "纠纷已调处", "dispute resolved"),
        /// 其他协查已办结.
        Completed => ("completed", "已办结", "completed"),
        /// 经查未发现.
        NoTrace => ("no_trace", "未发现", "no trace"),
    }
}

labelled_enum! {
    /// Why a target station declines a request.
    pub enum DeclineReason {
        /// The place or person is not in this station's area.
        NotOurArea => ("not_our_area", "不属本辖区", "not our area"),
        /// The request lacks what is needed to act on it.
        InsufficientInformation => ("insufficient_information", "信息不足", "insufficient information"),
        /// The same matter is already being handled.
        Duplicate => ("duplicate", "重复请求", "duplicate request"),
        /// Any other reason, explained in the message.
        Other => ("other", "其他原因", "other"),
    }
}

labelled_enum! {
    /// Why the origin withdraws a request.
    pub enum WithdrawReason {
        /// The matter was settled without the target (e.g. the person came home).
        ResolvedElsewhere => ("resolved_elsewhere", "已另行解决", "resolved elsewhere"),
        /// A standing alert passed its review date.
        Lapsed => ("lapsed", "有效期届满", "validity lapsed"),
        /// Another target has the subject in hand (intercepted, arrested): the rest stand down.
        InCustody => ("in_custody", "已到案", "subject in custody"),
        /// Another target found the missing person: the rest stand down.
        PersonFound => ("person_found", "已找到", "person found"),
        /// The request was sent by mistake.
        EnteredInError => ("entered_in_error", "误发", "entered in error"),
        /// Any other reason, explained in the message.
        Other => ("other", "其他原因", "other"),
    }
}

use super::details::CaseKind;

impl Outcome {
    /// The outcomes a target may report for a case of `kind`; every kind allows `no_trace`.
    pub fn allowed_for(kind: CaseKind) -> &'static [Outcome] {
        match kind {
            CaseKind::MissingPerson => &[Outcome::PersonFound, Outcome::NoTrace],
            CaseKind::Fugitive => &[Outcome::Located, Outcome::Intercepted, Outcome::Arrested, Outcome::NoTrace],
            CaseKind::SerialTheft => &[Outcome::CaseSolved, Outcome::SuspectIdentified, Outcome::NoTrace],
            CaseKind::Dispute => &[Outcome::DisputeResolved, Outcome::NoTrace],
            CaseKind::General => &[Outcome::Completed, Outcome::NoTrace],
        }
    }

    /// True when the outcome ends the search for everyone: the person or fugitive the request
    /// is about is found, in hand or located, so the other targets of the case can stop. A
    /// solved theft series, an identified suspect or a settled dispute is one station's part
    /// of a matter the others may still hold pieces of, and `completed` or `no_trace` tell the
    /// others nothing they must act on: none of those is decisive.
    pub fn is_decisive(self) -> bool {
        matches!(self, Self::PersonFound | Self::Located | Self::Intercepted | Self::Arrested)
    }

    /// The reason offered for standing the other targets down after this outcome: a person
    /// found, or a fugitive in custody; a fugitive only located is settled elsewhere.
    pub fn stand_down_reason(self) -> Option<WithdrawReason> {
        match self {
            Self::PersonFound => Some(WithdrawReason::PersonFound),
            Self::Intercepted | Self::Arrested => Some(WithdrawReason::InCustody),
            Self::Located => Some(WithdrawReason::ResolvedElsewhere),
            _ => None,
        }
    }
}

impl crate::i18n::Label for CaseKind {
    fn zh(&self) -> &'static str {
        CaseKind::zh(*self)
    }
    fn en(&self) -> &'static str {
        CaseKind::en(*self)
    }
}

/// The origin's evaluation of a target's work (满意度), 1 (poor) to 5 (excellent).
pub const EVALUATION_RANGE: std::ops::RangeInclusive<u8> = 1..=5;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Label;

    #[test]
    fn every_kind_allows_no_trace() {
        for kind in CaseKind::ALL {
            assert!(Outcome::allowed_for(kind).contains(&Outcome::NoTrace), "{kind:?}");
        }
    }

    #[test]
    fn wire_names_round_trip() {
        for priority in Priority::ALL {
            assert_eq!(priority.as_str().parse::<Priority>(), Ok(*priority));
            let json = serde_json::to_string(priority).unwrap();
            assert_eq!(json, format!("\"{}\"", priority.as_str()));
        }
        assert_eq!(Restriction::NoOnward.zh(), "不得转发");
    }

    /// Only an outcome that ends the search offers a stand-down, and the reason it offers
    /// fits it.
    #[test]
    fn decisive_outcomes_offer_their_stand_down_reason() {
        for outcome in Outcome::ALL {
            assert_eq!(outcome.is_decisive(), outcome.stand_down_reason().is_some(), "{outcome:?}");
        }
        assert_eq!(Outcome::Intercepted.stand_down_reason(), Some(WithdrawReason::InCustody));
        assert_eq!(WithdrawReason::InCustody.zh(), "已到案");
        assert_eq!(WithdrawReason::PersonFound.zh(), "已找到");
        assert!(!Outcome::CaseSolved.is_decisive() && !Outcome::NoTrace.is_decisive());
    }
}
