//! The lifecycle of one target of a case, as one pure function used by both sides:
//!
//! ```text
//! sent ──receipt──> delivered ──ack──> acknowledged ──outcome──> resolved ──close──> closed
//!                       └──decline──> declined            (notes allowed at any open state)
//! origin may withdraw any open target: ──withdraw──> withdrawn
//! ```
//! An ack or a decline may overtake the receipt (the sender crashed after the target stored
//! the request but before the receipt was saved), so both are also allowed from `sent`.

use crate::i18n::{Label, Lang};
use crate::labelled_enum;

labelled_enum! {
    /// Where one target of a case stands.
    pub enum TargetState {
        /// Signed and queued; the target has not confirmed storing it.
        Sent => ("sent", "待送达", "awaiting delivery"),
        /// The target stored it and signed a receipt.
        Delivered => ("delivered", "已送达", "delivered"),
        /// The target's duty officer took it on (签收).
        Acknowledged => ("acknowledged", "已签收", "acknowledged"),
        /// The target declined it (退回).
        Declined => ("declined", "已退回", "declined"),
        /// The target reported an outcome (已反馈), awaiting the origin's close.
        Resolved => ("resolved", "已反馈", "outcome reported"),
        /// The origin closed and evaluated it (已办结).
        Closed => ("closed", "已办结", "closed"),
        /// The origin withdrew it (已撤回).
        Withdrawn => ("withdrawn", "已撤回", "withdrawn"),
    }
}

impl TargetState {
    /// Open targets still need someone to act; terminal ones never change again.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Sent | Self::Delivered | Self::Acknowledged | Self::Resolved)
    }

    /// A stable one-byte tag for storage keys.
    pub fn tag(self) -> u8 {
        match self {
            Self::Sent => 1,
            Self::Delivered => 2,
            Self::Acknowledged => 3,
            Self::Declined => 4,
            Self::Resolved => 5,
            Self::Closed => 6,
            Self::Withdrawn => 7,
        }
    }
}

/// Which side of a case acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    /// The station that sent the request.
    Origin,
    /// A station the request was sent to.
    Target,
}

/// Something that happens to one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// The target's signed receipt reached the origin.
    Receipt,
    /// 签收.
    Ack,
    /// 退回.
    Decline,
    /// 补充说明, by either party.
    Note,
    /// 催办.
    Reminder,
    /// 反馈.
    Outcome,
    /// 办结评价.
    Close,
    /// 撤回.
    Withdraw,
    /// 转告: the origin passes on what another target did. It tells the receiving target of
    /// its co-targets and changes nothing of its own part, in any state: a target already
    /// finished still hears how the case ended elsewhere.
    Relay,
}

/// Why a step is not allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// The step belongs to the other party (a target cannot close, an origin cannot ack).
    #[error("{step:?} is not for the {by:?} to take")]
    WrongParty {
        /// The step attempted.
        step: Step,
        /// Who attempted it.
        by: Party,
    },
    /// The step does not apply in the target's current state.
    #[error("{step:?} is not allowed when the target is {state}")]
    NotAllowed {
        /// The step attempted.
        step: Step,
        /// The target's state.
        state: TargetState,
    },
}

impl LifecycleError {
    /// What was refused and why, for the officer who tried it.
    pub fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::WrongParty { step, by }, Lang::Zh) => format!("{}只能由{}进行", step.zh(), by.other().zh()),
            (Self::WrongParty { step, by }, Lang::En) => format!("only the {} may {}", by.other().en(), step.en()),
            (Self::NotAllowed { step, state }, Lang::Zh) => {
                format!("该协查单位当前为“{}”，不能{}", state.zh(), step.zh())
            }
            (Self::NotAllowed { step, state }, Lang::En) => {
                format!("the target station's part is {}: it cannot {} now", state.en(), step.en())
            }
        }
    }
}

impl Party {
    /// The other side of a case.
    pub fn other(self) -> Self {
        match self {
            Self::Origin => Self::Target,
            Self::Target => Self::Origin,
        }
    }
}

impl Label for Party {
    fn zh(&self) -> &'static str {
        match self {
            Self::Origin => "发起单位",
            Self::Target => "协查单位",
        }
    }
    fn en(&self) -> &'static str {
        match self {
            Self::Origin => "requesting station",
            Self::Target => "station asked for help",
        }
    }
}

impl Label for Step {
    /// The step as a verb.
    fn zh(&self) -> &'static str {
        match self {
            Self::Receipt => "确认送达",
            Self::Ack => "签收",
            Self::Decline => "退回",
            Self::Note => "补充说明",
            Self::Reminder => "催办",
            Self::Outcome => "反馈结果",
            Self::Close => "办结评价",
            Self::Withdraw => "撤回",
            Self::Relay => "转告",
        }
    }
    fn en(&self) -> &'static str {
        match self {
            Self::Receipt => "confirm delivery",
            Self::Ack => "acknowledge",
            Self::Decline => "decline",
            Self::Note => "add a note",
            Self::Reminder => "send a reminder",
            Self::Outcome => "report an outcome",
            Self::Close => "close and evaluate",
            Self::Withdraw => "withdraw",
            Self::Relay => "relay to the other targets",
        }
    }
}

impl Step {
    /// The party entitled to take this step.
    pub fn party(self) -> Option<Party> {
        match self {
            Self::Receipt | Self::Ack | Self::Decline | Self::Outcome => Some(Party::Target),
            Self::Reminder | Self::Close | Self::Withdraw | Self::Relay => Some(Party::Origin),
            Self::Note => None,
        }
    }
}

/// The state after `by` takes `step` on a target in `state`, or why it may not.
pub fn transition(state: TargetState, by: Party, step: Step) -> Result<TargetState, LifecycleError> {
    use TargetState::*;
    if step.party().is_some_and(|party| party != by) {
        return Err(LifecycleError::WrongParty { step, by });
    }
    let next = match (step, state) {
        (Step::Receipt, Sent) => Delivered,
        // A receipt is a fact about the past: arriving after the target moved on, it changes nothing.
        (Step::Receipt, other) => other,
        (Step::Ack, Sent | Delivered) => Acknowledged,
        (Step::Decline, Sent | Delivered) => Declined,
        (Step::Note, open) if open.is_open() => open,
        (Step::Reminder, Sent | Delivered | Acknowledged) => state,
        (Step::Outcome, Acknowledged) => Resolved,
        (Step::Close, Resolved) => Closed,
        (Step::Withdraw, open) if open.is_open() => Withdrawn,
        (Step::Relay, any) => any,
        _ => return Err(LifecycleError::NotAllowed { step, state }),
    };
    Ok(next)
}

labelled_enum! {
    /// What an officer may do to a case: each lifecycle step but the receipt, and forwarding a
    /// request to another station. Which side takes it, and where it applies, come from the
    /// lifecycle table ([`transition`]), so the buttons shown, the API's checks and the
    /// lifecycle cannot disagree.
    pub enum ActionKind {
        /// 签收.
        Ack => ("ack", "签收", "acknowledge"),
        /// 退回.
        Decline => ("decline", "退回", "decline"),
        /// 反馈.
        Outcome => ("outcome", "反馈", "report an outcome"),
        /// 转发: pass the request on to another station (with the origin's knowledge).
        Forward => ("forward", "转发", "forward"),
        /// 催办.
        Reminder => ("reminder", "催办", "remind"),
        /// 办结评价.
        Close => ("close", "办结评价", "close and evaluate"),
        /// 撤回.
        Withdraw => ("withdraw", "撤回", "withdraw"),
        /// 补充说明.
        Note => ("note", "补充说明", "add a note"),
    }
}

impl ActionKind {
    /// The lifecycle step it takes; forwarding takes none on this case (it opens a new one).
    pub fn step(self) -> Option<Step> {
        match self {
            Self::Ack => Some(Step::Ack),
            Self::Decline => Some(Step::Decline),
            Self::Outcome => Some(Step::Outcome),
            Self::Reminder => Some(Step::Reminder),
            Self::Close => Some(Step::Close),
            Self::Withdraw => Some(Step::Withdraw),
            Self::Note => Some(Step::Note),
            Self::Forward => None,
        }
    }

    /// The side that takes it (`None`: either).
    pub fn party(self) -> Option<Party> {
        match self.step() {
            Some(step) => step.party(),
            None => Some(Party::Target),
        }
    }

    /// True when `by` may take it on a target in `state`. A target forwards what it holds and
    /// has not finished with: delivered or acknowledged.
    pub fn applies(self, state: TargetState, by: Party) -> bool {
        match self.step() {
            Some(step) => transition(state, by, step).is_ok(),
            None => by == Party::Target && matches!(state, TargetState::Delivered | TargetState::Acknowledged),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Where each action is offered, as officers know it: written from the desk's rules, not
    /// from the table, so a wrong row shows up here as a button in the wrong place.
    #[test]
    fn each_action_applies_where_the_desk_expects_it() {
        use TargetState::*;
        let open = [Sent, Delivered, Acknowledged, Resolved];
        let expected: [(ActionKind, Party, &[TargetState]); 8] = [
            (ActionKind::Ack, Party::Target, &[Sent, Delivered]),
            (ActionKind::Decline, Party::Target, &[Sent, Delivered]),
            (ActionKind::Outcome, Party::Target, &[Acknowledged]),
            (ActionKind::Forward, Party::Target, &[Delivered, Acknowledged]),
            (ActionKind::Reminder, Party::Origin, &[Sent, Delivered, Acknowledged]),
            (ActionKind::Close, Party::Origin, &[Resolved]),
            (ActionKind::Withdraw, Party::Origin, &open),
            (ActionKind::Note, Party::Origin, &open),
        ];
        let all = [Sent, Delivered, Acknowledged, Declined, Resolved, Closed, Withdrawn];
        for (action, by, states) in expected {
            let offered: Vec<TargetState> = all.into_iter().filter(|s| action.applies(*s, by)).collect();
            assert_eq!(offered, states, "{action} by {by:?}");
            let other = if by == Party::Origin { Party::Target } else { Party::Origin };
            if action.party().is_some() {
                assert!(all.iter().all(|s| !action.applies(*s, other)), "{action} is not for the {other:?}");
            }
        }
        assert!(open.iter().all(|s| ActionKind::Note.applies(*s, Party::Target)), "either side adds notes");
    }

    const STEPS: [Step; 9] = [
        Step::Receipt,
        Step::Ack,
        Step::Decline,
        Step::Note,
        Step::Reminder,
        Step::Outcome,
        Step::Close,
        Step::Withdraw,
        Step::Relay,
    ];

    /// A reference model written from the story, not the table: it remembers what happened
    /// and derives the state, so a wrong row in `transition` shows up as a disagreement.
    #[derive(Debug, Default, Clone)]
    struct Model {
        delivered: bool,
        acked: bool,
        declined: bool,
        outcome: bool,
        closed: bool,
        withdrawn: bool,
    }

    impl Model {
        fn finished(&self) -> bool {
            self.declined || self.closed || self.withdrawn
        }

        fn state(&self) -> TargetState {
            match self {
                Model { withdrawn: true, .. } => TargetState::Withdrawn,
                Model { declined: true, .. } => TargetState::Declined,
                Model { closed: true, .. } => TargetState::Closed,
                Model { outcome: true, .. } => TargetState::Resolved,
                Model { acked: true, .. } => TargetState::Acknowledged,
                Model { delivered: true, .. } => TargetState::Delivered,
                _ => TargetState::Sent,
            }
        }

        /// Applies the step if the story allows it; returns whether it did.
        fn apply(&mut self, by: Party, step: Step) -> bool {
            let origin = by == Party::Origin;
            let ok = match step {
                Step::Receipt => !origin,
                Step::Ack | Step::Decline => !origin && !self.finished() && !self.acked,
                Step::Note => !self.finished(),
                Step::Reminder => origin && !self.finished() && !self.outcome,
                Step::Outcome => !origin && self.acked && !self.outcome && !self.finished(),
                Step::Close => origin && self.outcome && !self.finished(),
                Step::Withdraw => origin && !self.finished(),
                Step::Relay => origin,
            };
            if ok {
                match step {
                    Step::Receipt => self.delivered = true,
                    Step::Ack => self.acked = true,
                    Step::Decline => self.declined = true,
                    Step::Outcome => self.outcome = true,
                    Step::Close => self.closed = true,
                    Step::Withdraw => self.withdrawn = true,
                    Step::Note | Step::Reminder | Step::Relay => {}
                }
            }
            ok
        }
    }

    fn any_event() -> impl Strategy<Value = (Party, Step)> {
        (prop_oneof![Just(Party::Origin), Just(Party::Target)], proptest::sample::select(STEPS.to_vec()))
    }

    proptest! {
        #[test]
        fn transition_agrees_with_the_reference_model(events in proptest::collection::vec(any_event(), 0..40)) {
            let mut model = Model::default();
            let mut state = TargetState::Sent;
            for (by, step) in events {
                let allowed = model.apply(by, step);
                match transition(state, by, step) {
                    Ok(next) => {
                        prop_assert!(allowed, "{step:?} by {by:?} in {state} was accepted");
                        state = next;
                    }
                    Err(_) => prop_assert!(!allowed, "{step:?} by {by:?} in {state} was refused"),
                }
                prop_assert_eq!(state, model.state());
                // Terminal states absorb everything.
                if !state.is_open() {
                    for step in STEPS {
                        for by in [Party::Origin, Party::Target] {
                            if let Ok(next) = transition(state, by, step) {
                                prop_assert_eq!(next, state);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_happy_path_runs_from_sent_to_closed() {
        let mut state = TargetState::Sent;
        for (by, step) in [
            (Party::Target, Step::Receipt),
            (Party::Target, Step::Ack),
            (Party::Origin, Step::Note),
            (Party::Target, Step::Outcome),
            (Party::Origin, Step::Close),
        ] {
            state = transition(state, by, step).unwrap();
        }
        assert_eq!(state, TargetState::Closed);
    }

    #[test]
    fn a_target_cannot_close_and_an_origin_cannot_ack() {
        assert_eq!(
            transition(TargetState::Resolved, Party::Target, Step::Close),
            Err(LifecycleError::WrongParty { step: Step::Close, by: Party::Target })
        );
        assert!(transition(TargetState::Delivered, Party::Origin, Step::Ack).is_err());
    }

    #[test]
    fn outcome_needs_an_ack_first() {
        assert_eq!(
            transition(TargetState::Delivered, Party::Target, Step::Outcome),
            Err(LifecycleError::NotAllowed { step: Step::Outcome, state: TargetState::Delivered })
        );
    }
}
