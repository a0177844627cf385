//! Declines record why and where else to ask; reminders count until nothing more is owed.

use super::*;

#[test]
fn a_decline_records_the_reason_and_the_suggested_station() {
    let case = Case::to(&[xixi()]);
    let mut origin = case.at_origin();
    let mut target = case.at_target(&xixi(), at(1));
    origin.apply_receipt(&xixi(), at(1)).unwrap();
    let declined = case.by_target(
        &xixi(),
        at(8),
        decline(DeclineReason::NotOurArea, "洲岭村班车终点在平溪，请转平溪派出所", Some(pingxi())),
    );
    origin.apply_in_order(&declined).unwrap();
    target.apply_in_order(&declined).unwrap();
    let record = origin.target(&xixi()).unwrap();
    assert_eq!(record.state, TargetState::Declined);
    assert_eq!(record.decline_reason, Some(DeclineReason::NotOurArea));
    assert_eq!(record.suggested_station, Some(pingxi()));
    assert_eq!(record.ended_at, Some(at(8)));
    assert_eq!(record.next_deadline(), None);
    assert_eq!(origin, target);
    // A declined target is finished: no more notes either way.
    refused(&mut origin, &case.by_target(&xixi(), at(9), note("补充说明")), "illegal_transition");
}

#[test]
fn reminders_are_counted_until_the_target_reports() {
    let case = Case::to(&[xixi()]);
    let mut origin = case.at_origin();
    let mut target = case.at_target(&xixi(), at(1));
    origin.apply_receipt(&xixi(), at(1)).unwrap();
    let mut both = |envelope: Envelope| {
        origin.apply_in_order(&envelope).unwrap();
        target.apply_in_order(&envelope).unwrap();
    };
    both(case.by_origin(&[xixi()], at(11), reminder()));
    both(case.by_origin(&[xixi()], at(15), reminder()));
    both(case.by_target(&xixi(), at(20), ack(None)));
    both(case.by_origin(&[xixi()], at(9 * 60), reminder()));
    both(case.by_target(&xixi(), at(10 * 60), outcome(Outcome::NoTrace, 0)));
    assert_eq!(origin.target(&xixi()).unwrap().reminders, 3);
    assert_eq!(origin, target);
    // Nothing is owed after the outcome, so there is nothing to press for.
    refused(&mut origin, &case.by_origin(&[xixi()], at(11 * 60), reminder()), "illegal_transition");
    assert_eq!(origin.target(&xixi()).unwrap().reminders, 3);
}
