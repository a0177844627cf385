//! One target from delivery to close, the same at both sides: its first report, its outcome, its receipts.

use super::*;

#[test]
fn origin_and_target_reach_the_same_record_from_the_same_envelopes() {
    let case = Case::to(&[xixi()]);
    let stored_at = at(1);
    let mut origin = case.at_origin();
    let mut target = case.at_target(&xixi(), stored_at);

    // 犀溪's receipt reaches 罗阳.
    let delivered = origin.apply_receipt(&xixi(), stored_at).unwrap();
    let expected = Transition { target: xixi(), before: TargetState::Sent, after: TargetState::Delivered };
    assert_eq!(delivered, Some(expected));
    assert_eq!(origin.target(&xixi()), target.target(&xixi()));

    let both = |origin: &mut CaseRecord, target: &mut CaseRecord, envelope: Envelope| {
        let at_origin = origin.apply_in_order(&envelope).unwrap();
        let at_target = target.apply_in_order(&envelope).unwrap();
        assert_eq!(at_origin, at_target);
        assert_eq!(origin.target(&xixi()), target.target(&xixi()), "after {}", envelope.kind());
        at_origin
    };

    // 签收, promising a first report within four hours instead of eight.
    let acked = both(&mut origin, &mut target, case.by_target(&xixi(), at(5), ack(Some(at(4 * 60)))));
    assert_eq!(
        acked,
        vec![Transition { target: xixi(), before: TargetState::Delivered, after: TargetState::Acknowledged }]
    );
    let record = target.target(&xixi()).unwrap();
    assert_eq!(record.acked_at, Some(at(5)));
    assert_eq!(record.report_by, at(4 * 60));
    assert_eq!(record.first_report_at, None);
    assert_eq!(record.next_deadline(), Some(Overdue::Report { due: at(4 * 60) }));
    assert_eq!(record.overdue_at(at(4 * 60 + 1)), Some(Overdue::Report { due: at(4 * 60) }));

    // A note from 罗阳 is not a report; one from 犀溪 after its ack is the first report.
    both(&mut origin, &mut target, case.by_origin(&[xixi()], at(30), note("老人左手腕戴红绳")));
    assert_eq!(target.target(&xixi()).unwrap().first_report_at, None);
    both(&mut origin, &mut target, case.by_target(&xixi(), at(60), note("车站监控显示老人下车后往集市方向走")));
    let record = target.target(&xixi()).unwrap();
    assert_eq!(record.first_report_at, Some(at(60)));
    assert_eq!(record.notes, 2);
    assert_eq!(record.next_deadline(), None);

    // 反馈: found.
    both(&mut origin, &mut target, case.by_target(&xixi(), at(120), outcome(Outcome::PersonFound, 1)));
    let record = target.target(&xixi()).unwrap();
    assert_eq!(record.state, TargetState::Resolved);
    assert_eq!((record.outcome, record.outcome_count), (Some(Outcome::PersonFound), 1));
    assert_eq!(record.resolved_at, Some(at(120)));
    assert_eq!(record.first_report_at, Some(at(60)), "the outcome does not move an earlier first report");

    // 办结评价.
    both(&mut origin, &mut target, case.by_origin(&[xixi()], at(180), close(5)));
    let record = target.target(&xixi()).unwrap();
    assert_eq!(record.state, TargetState::Closed);
    assert_eq!(record.evaluation, Some(5));
    assert_eq!(record.ended_at, Some(at(180)));
    assert!(!target.is_open());

    assert_eq!(origin, target, "with one target, the two records are identical");
    assert_eq!(origin.updated_at, at(180));
}

#[test]
fn an_outcome_without_an_earlier_note_is_the_first_report() {
    let (case, mut origin) = acknowledged();
    origin.apply_in_order(&case.by_target(&xixi(), at(90), outcome(Outcome::NoTrace, 0))).unwrap();
    let record = origin.target(&xixi()).unwrap();
    assert_eq!(record.first_report_at, Some(at(90)));
    assert_eq!(record.resolved_at, Some(at(90)));
}

#[test]
fn a_receipt_arriving_after_the_ack_changes_no_state_but_records_delivery() {
    let (_, mut origin) = acknowledged();
    assert_eq!(origin.apply_receipt(&xixi(), at(1)).unwrap(), None);
    let record = origin.target(&xixi()).unwrap();
    assert_eq!(record.state, TargetState::Acknowledged);
    assert_eq!(record.delivered_at, Some(at(1)));
}

#[test]
fn a_receipt_from_a_station_that_is_no_target_is_refused() {
    let case = Case::to(&[xixi()]);
    let mut origin = case.at_origin();
    assert_eq!(origin.apply_receipt(&pingxi(), at(1)).unwrap_err().code(), "not_party");
}
