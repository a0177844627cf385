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

/// What 罗阳 relays to 马站 about `inner`, which 罗阳 has applied: the origin's relay, placed in
/// its exchange with 马站 by [`InOrder`].
fn relay_of(case: &Case, inner: &Envelope) -> (Envelope, Envelope) {
    use crate::envelope::body::{RelayBody, RelayedWire};
    // The relay's body carries the wire form; the pure record takes the opened inner envelope.
    let wire = RelayedWire { signed: String::new(), key: String::new(), sig: String::new() };
    let body = Body::Relay(RelayBody { officer: officer(), station: inner.from.clone(), envelope: wire });
    (case.by_origin(&[mazhan()], inner.at, body), inner.clone())
}

/// Stamps `envelope` as applied in order at `record`, and applies it.
fn applied(record: &mut CaseRecord, envelope: &Envelope) -> Envelope {
    let mut envelope = envelope.clone();
    (envelope.seq, envelope.seen) = record.causal_context(&envelope.from, &envelope.to);
    record.apply(&envelope, || -> Result<Vec<Envelope>, ApplyError> { panic!("in order") }).unwrap();
    envelope
}

fn request_of(case: &Case) -> RequestBody {
    match &case.request.body {
        Body::Request(request) => (**request).clone(),
        _ => unreachable!(),
    }
}

#[test]
fn a_target_follows_its_co_targets_as_the_origin_does_without_counting_them() {
    let case = Case::to(&[xixi(), mazhan()]);
    let mut origin = case.at_origin();
    let mut at_mazhan = case.at_target(&mazhan(), at(1));
    let own_before = at_mazhan.targets.clone();
    // 犀溪 acknowledges and finds him; 罗阳 relays both to 马站, which applies them in order.
    for body in [ack(None), outcome(Outcome::PersonFound, 1)] {
        let inner = applied(&mut origin, &case.by_target(&xixi(), at(10), body));
        let (relay, inner) = relay_of(&case, &inner);
        let relay = applied(&mut origin, &relay);
        let moved = at_mazhan.apply_relay(&relay, &inner, &mazhan(), &request_of(&case)).unwrap();
        assert_eq!(moved.len(), 1);
        at_mazhan.apply(&relay, || -> Result<Vec<Envelope>, ApplyError> { panic!("in order") }).unwrap();
    }
    let seen = &at_mazhan.co_targets[0];
    let known = origin.target(&xixi()).unwrap();
    assert_eq!(
        (seen.state, seen.outcome, seen.acked_at, seen.resolved_at),
        (known.state, known.outcome, known.acked_at, known.resolved_at),
        "马站 sees 犀溪 as 罗阳 does"
    );
    assert_eq!(seen.state, TargetState::Resolved);
    assert_eq!(at_mazhan.decisive_elsewhere(&mazhan()).map(|t| t.station.clone()), Some(xixi()));
    // 马站's own part moved in nothing but its exchange with 罗阳: the relays count there, at
    // both ends alike.
    let own = &at_mazhan.targets[0];
    assert_eq!((own.state, own.next_deadline()), (own_before[0].state, own_before[0].next_deadline()));
    assert_eq!(own.exchange, origin.target(&mazhan()).unwrap().exchange, "both ends count the relays alike");
    assert_eq!(origin.target(&mazhan()).unwrap().state, TargetState::Sent, "a relay changes no state");
    assert!(origin.co_targets.is_empty(), "the origin keeps its targets, not co-targets");
}

#[test]
fn a_relay_not_from_the_origin_or_about_a_stranger_or_about_us_is_refused() {
    let case = Case::to(&[xixi(), mazhan()]);
    let at_mazhan = case.at_target(&mazhan(), at(1));
    let request = request_of(&case);
    let check = |relay: &Envelope, inner: &Envelope, code: &str| {
        let mut record = at_mazhan.clone();
        let error = record.apply_relay(relay, inner, &mazhan(), &request).expect_err("refused");
        assert_eq!(error.code(), code, "{error}");
        assert_eq!(record, at_mazhan, "a refused relay changed the record");
    };
    let acked = case.by_target(&xixi(), at(10), ack(None));
    let (relay, inner) = relay_of(&case, &acked);

    let mut from_xixi = relay.clone();
    from_xixi.from = xixi();
    check(&from_xixi, &inner, "relay_not_from_origin");
    check(&relay, &case.by_target(&pingxi(), at(10), ack(None)), "relay_station_mismatch");
    let (to_stranger, stranger) = relay_of(&case, &case.by_target(&pingxi(), at(10), ack(None)));
    check(&to_stranger, &stranger, "relay_signer_not_party");
    let (about_us, ours) = relay_of(&case, &case.by_target(&mazhan(), at(10), ack(None)));
    check(&about_us, &ours, "relay_about_us");
    let (of_note, note) = relay_of(&case, &case.by_target(&xixi(), at(10), note("补充")));
    check(&of_note, &note, "relay_kind_not_relayed");
    let mut elsewhere = inner.clone();
    elsewhere.case = CaseId::new();
    check(&relay, &elsewhere, "relay_wrong_case");
    let (of_our_withdrawal, withdrawal) = relay_of(&case, &case.by_origin(&[mazhan()], at(10), withdraw()));
    check(&of_our_withdrawal, &withdrawal, "relay_about_us");
}

#[test]
fn a_withdrawal_addressed_to_several_tells_each_of_the_others() {
    let case = Case::to(&[xixi(), mazhan(), qianqi()]);
    let mut at_mazhan = case.at_target(&mazhan(), at(1));
    let withdrawal = case.by_origin(&[xixi(), mazhan()], at(30), withdraw());
    let told = at_mazhan.apply_co_target(&withdrawal, &mazhan(), &request_of(&case)).unwrap();
    assert_eq!(
        told,
        vec![Transition { target: xixi(), before: TargetState::Delivered, after: TargetState::Withdrawn }]
    );
    assert_eq!(at_mazhan.co_targets.len(), 1, "前岐 was not named, so nothing is known of it");
    assert_eq!(at_mazhan.targets[0].state, TargetState::Delivered, "its own part is apply's business");
}
