//! Who may say what to whom: strangers, addressing, and the steps only one side may take.

use super::*;

#[test]
fn a_station_outside_the_case_cannot_add_a_note() {
    let case = Case::to(&[xixi()]);
    let stranger_note = case.envelope(&pingxi(), &[luoyang()], at(5), note("我所也有线索"));
    let error = refused(&mut case.at_origin(), &stranger_note, "not_party");
    assert_eq!(error, ApplyError::NotParty(pingxi()));
    refused(&mut case.at_target(&xixi(), at(1)), &stranger_note, "not_party");
}

#[test]
fn a_target_may_address_the_origin_only() {
    let case = Case::to(&[xixi(), mazhan()]);
    let mut origin = case.at_origin();
    let to_both = case.envelope(&xixi(), &[luoyang(), mazhan()], at(5), note("抄送马站"));
    refused(&mut origin, &to_both, "bad_addressing");
    let to_the_other_target = case.envelope(&xixi(), &[mazhan()], at(5), note("直接告知马站"));
    refused(&mut origin, &to_the_other_target, "bad_addressing");
    let ack_to_the_other_target = case.envelope(&xixi(), &[mazhan()], at(5), ack(None));
    refused(&mut origin, &ack_to_the_other_target, "bad_addressing");
}

#[test]
fn the_origin_may_address_targets_of_the_case_only() {
    let case = Case::to(&[xixi()]);
    let mut origin = case.at_origin();
    let error = refused(&mut origin, &case.by_origin(&[xixi(), pingxi()], at(5), note("补充")), "bad_addressing");
    assert!(error.to_string().contains("fj-shouning-pingxi"), "{error}");
    refused(&mut case.at_target(&xixi(), at(1)), &case.by_origin(&[pingxi()], at(5), reminder()), "bad_addressing");
}

#[test]
fn a_target_cannot_close_and_the_origin_cannot_acknowledge() {
    let (case, mut origin) = acknowledged();
    origin.apply_in_order(&case.by_target(&xixi(), at(60), outcome(Outcome::PersonFound, 1))).unwrap();
    let error = refused(&mut origin, &case.by_target(&xixi(), at(70), close(5)), "wrong_party");
    assert_eq!(error, ApplyError::Lifecycle(LifecycleError::WrongParty { step: Step::Close, by: Party::Target }));

    let fresh = Case::to(&[xixi()]);
    refused(&mut fresh.at_origin(), &fresh.by_origin(&[xixi()], at(5), ack(None)), "wrong_party");
}

#[test]
fn an_outcome_before_the_ack_is_an_illegal_transition() {
    let case = Case::to(&[xixi()]);
    let mut origin = case.at_origin();
    origin.apply_receipt(&xixi(), at(1)).unwrap();
    let error =
        refused(&mut origin, &case.by_target(&xixi(), at(5), outcome(Outcome::PersonFound, 1)), "illegal_transition");
    let refusal = LifecycleError::NotAllowed { step: Step::Outcome, state: TargetState::Delivered };
    assert_eq!(error, ApplyError::Lifecycle(refusal));
    refused(
        &mut case.at_target(&xixi(), at(1)),
        &case.by_target(&xixi(), at(5), outcome(Outcome::NoTrace, 0)),
        "illegal_transition",
    );
}
