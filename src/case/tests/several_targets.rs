//! Cases with several targets: a withdrawal or a close touches only the targets it may.

use super::*;

#[test]
fn withdrawing_from_every_open_target_withdraws_them_all() {
    let case = Case::to(&[xixi(), mazhan(), qianqi()]);
    let mut origin = case.at_origin();
    origin.apply_receipt(&mazhan(), at(1)).unwrap();
    origin.apply_in_order(&case.by_target(&xixi(), at(5), ack(None))).unwrap();
    // 犀溪 acknowledged, 马站 delivered, 前岐 still sent.
    let withdrawn = origin.apply_in_order(&case.by_origin(&[xixi(), mazhan(), qianqi()], at(30), withdraw())).unwrap();
    assert_eq!(
        withdrawn,
        vec![
            Transition { target: xixi(), before: TargetState::Acknowledged, after: TargetState::Withdrawn },
            Transition { target: mazhan(), before: TargetState::Delivered, after: TargetState::Withdrawn },
            Transition { target: qianqi(), before: TargetState::Sent, after: TargetState::Withdrawn },
        ]
    );
    for target in &origin.targets {
        assert_eq!(target.ended_at, Some(at(30)));
        assert_eq!(target.next_deadline(), None);
    }
    assert!(!origin.is_open());
}

#[test]
fn a_withdrawal_to_all_changes_only_the_own_entry_at_a_target() {
    let case = Case::to(&[xixi(), mazhan(), qianqi()]);
    let mut at_mazhan = case.at_target(&mazhan(), at(1));
    let withdrawn =
        at_mazhan.apply_in_order(&case.by_origin(&[xixi(), mazhan(), qianqi()], at(30), withdraw())).unwrap();
    assert_eq!(
        withdrawn,
        vec![Transition { target: mazhan(), before: TargetState::Delivered, after: TargetState::Withdrawn }]
    );
}

#[test]
fn a_close_applies_only_when_every_addressed_target_is_resolved() {
    let case = Case::to(&[xixi(), mazhan(), qianqi()]);
    let mut origin = case.at_origin();
    for target in [xixi(), mazhan()] {
        origin.apply_in_order(&case.by_target(&target, at(5), ack(None))).unwrap();
    }
    origin.apply_in_order(&case.by_target(&xixi(), at(60), outcome(Outcome::PersonFound, 1))).unwrap();
    origin
        .apply_in_order(&case.by_target(&qianqi(), at(6), decline(DeclineReason::NotOurArea, "不属本辖区", None)))
        .unwrap();
    // 犀溪 resolved, 马站 acknowledged, 前岐 declined.

    let error = refused(&mut origin, &case.by_origin(&[xixi(), mazhan()], at(90), close(4)), "illegal_transition");
    let refusal = LifecycleError::NotAllowed { step: Step::Close, state: TargetState::Acknowledged };
    assert_eq!(error, ApplyError::Lifecycle(refusal));
    refused(&mut origin, &case.by_origin(&[qianqi()], at(90), close(4)), "illegal_transition");

    let closed = origin.apply_in_order(&case.by_origin(&[xixi()], at(90), close(4))).unwrap();
    assert_eq!(closed, vec![Transition { target: xixi(), before: TargetState::Resolved, after: TargetState::Closed }]);
    assert_eq!(origin.target(&xixi()).unwrap().evaluation, Some(4));
    assert_eq!(state(&origin, &mazhan()), TargetState::Acknowledged);
    assert_eq!(state(&origin, &qianqi()), TargetState::Declined);
    assert!(origin.is_open(), "马站 still owes a report");

    // A withdrawal may not touch a target that already ended.
    refused(&mut origin, &case.by_origin(&[mazhan(), qianqi()], at(100), withdraw()), "illegal_transition");
    origin.apply_in_order(&case.by_origin(&[mazhan()], at(100), withdraw())).unwrap();
    assert!(!origin.is_open());
}
