//! What a request opens at the origin and at a target, and what may not open or reopen a case.

use super::*;

#[test]
fn the_origin_tracks_every_target_as_sent() {
    let case = Case::to(&[xixi(), mazhan()]);
    let origin = case.at_origin();
    assert_eq!(origin.id, case.request.case);
    assert_eq!(origin.origin, luoyang());
    assert_eq!(origin.request, case.request.id);
    assert_eq!(origin.kind, CaseKind::MissingPerson);
    assert_eq!(origin.priority, Priority::Urgent);
    assert_eq!(origin.parties, vec![xixi(), mazhan()]);
    assert_eq!(origin.created_at, T0);
    assert_eq!(origin.updated_at, T0);
    assert_eq!(origin.review_by, Some(date!(2026 - 12 - 23)));
    assert!(!origin.subjects.is_empty(), "the missing man's resident ID is a subject");
    let stations: Vec<_> = origin.targets.iter().map(|t| t.station.clone()).collect();
    assert_eq!(stations, vec![xixi(), mazhan()]);
    for target in &origin.targets {
        assert_eq!(target.state, TargetState::Sent);
        assert_eq!(target.delivered_at, None);
        assert_eq!(target.ack_by, at(10));
        assert_eq!(target.report_by, at(8 * 60));
        assert_eq!(target.next_deadline(), None, "no deadline runs before the target could see the request");
    }
    assert_eq!(origin.party_of(&luoyang()), Some(Party::Origin));
    assert_eq!(origin.party_of(&mazhan()), Some(Party::Target));
    assert_eq!(origin.party_of(&pingxi()), None);
}

#[test]
fn a_target_tracks_only_itself_as_delivered_when_it_stored_the_request() {
    let case = Case::to(&[xixi(), mazhan()]);
    let target = case.at_target(&xixi(), at(1));
    let origin = case.at_origin();
    assert_eq!(target.targets.len(), 1);
    let own = &target.targets[0];
    assert_eq!(own.station, xixi());
    assert_eq!(own.state, TargetState::Delivered);
    assert_eq!(own.delivered_at, Some(at(1)));
    assert_eq!((own.ack_by, own.report_by), (at(11), at(8 * 60 + 1)), "deadlines run from delivery");
    // Everything but the tracked targets is the same at both sides.
    assert_eq!(CaseRecord { targets: Vec::new(), ..target.clone() }, CaseRecord { targets: Vec::new(), ..origin });
    assert_eq!(target.party_of(&mazhan()), Some(Party::Target), "the other target is still a party");
}

#[test]
fn a_request_not_addressed_to_this_station_opens_nothing() {
    let case = Case::to(&[xixi()]);
    let error = CaseRecord::open(&case.request, &mazhan(), at(1)).unwrap_err();
    assert_eq!(error.code(), "bad_addressing");
}

#[test]
fn only_a_request_opens_a_case() {
    let case = Case::to(&[xixi()]);
    let note = case.by_origin(&[xixi()], at(1), note("补充"));
    let error = CaseRecord::open(&note, &xixi(), at(2)).unwrap_err();
    assert_eq!(error, ApplyError::UnknownCase);
    assert_eq!(error.code(), "unknown_case");
}

#[test]
fn a_second_request_for_an_existing_case_is_refused() {
    let case = Case::to(&[xixi()]);
    let again = Envelope { id: EnvelopeId::new(), at: at(1), ..case.request.clone() };
    let error = refused(&mut case.at_origin(), &again, "case_exists");
    assert_eq!(error, ApplyError::CaseExists);
    refused(&mut case.at_target(&xixi(), at(1)), &again, "case_exists");
}

/// A request that waited a day in the queue while the target's node was down gives the target
/// as long as it would have had, counted from when it stored it; both sides count alike, from
/// the time the target signed in its receipt. A report time promised in the acknowledgement
/// stands as promised, whichever arrived first at the origin.
#[test]
fn deadlines_run_from_delivery_alike_at_both_sides() {
    let case = Case::to(&[xixi()]);
    let a_day_later = at(24 * 60);
    let target = case.at_target(&xixi(), a_day_later);
    let mut origin = case.at_origin();
    origin.apply_receipt(&xixi(), a_day_later).unwrap();
    assert_eq!(origin.targets[0].ack_by, at(24 * 60 + 10));
    assert_eq!(origin.targets[0].report_by, at(24 * 60 + 8 * 60));
    assert_eq!(origin.targets[0], target.targets[0]);

    // The acknowledgement (promising a report time) overtakes the receipt at the origin.
    let promised = at(24 * 60 + 120);
    let mut at_target = target.clone();
    let ack = case.by_target(&xixi(), at(24 * 60 + 5), ack(Some(promised)));
    at_target.apply_in_order(&ack).unwrap();
    let mut at_origin = case.at_origin();
    at_origin.apply_in_order(&ack).unwrap();
    at_origin.apply_receipt(&xixi(), a_day_later).unwrap();
    assert_eq!(at_origin.targets[0].report_by, promised);
    assert_eq!(at_origin.targets[0].ack_by, at_target.targets[0].ack_by);
    assert_eq!(at_origin.targets[0].report_by, at_target.targets[0].report_by);

    // Statistics follow: the acknowledgement took five minutes, not a day and five minutes,
    // and it came in time, at both sides.
    let tally = crate::stats::Tally::of_target(&at_origin, &at_origin.targets[0]);
    let five_minutes = crate::stats::tally::DURATION_BOUNDS.iter().position(|b| *b >= 5 * 60).unwrap();
    assert_eq!(tally.ack_times[five_minutes], 1, "{:?}", tally.ack_times);
    assert_eq!((tally.ack_in_time, tally.ack_late), (1, 0));
    assert_eq!(tally, crate::stats::Tally::of_target(&at_target, &at_target.targets[0]));
}

/// Who handles a case is each station's own: opening and applying leave it to the node, which
/// names the officer who signed this station's request or acknowledgement, once.
#[test]
fn the_signer_of_this_stations_request_or_ack_takes_the_case_on_and_no_one_else() {
    let case = Case::to(&[xixi()]);
    let mut origin = case.at_origin();
    assert_eq!(origin.handler, None, "opening names no one");
    origin.take_on(&case.request, &luoyang());
    assert_eq!(origin.handler, Some(officer()), "the liaison who sent it");

    let mut target = case.at_target(&xixi(), at(1));
    target.take_on(&case.request, &xixi());
    assert_eq!(target.handler, None, "a partner's liaison never handles it here");
    let ack = case.by_target(&xixi(), at(5), ack(None));
    target.apply_in_order(&ack).unwrap();
    assert_eq!(target.handler, None, "applying names no one");
    origin.apply_in_order(&ack).unwrap();
    origin.take_on(&ack, &luoyang());
    assert_eq!(origin.handler, Some(officer()), "the partner's duty officer never handles it at the origin");
    target.take_on(&ack, &xixi());
    let Body::Ack(body) = &ack.body else { unreachable!("an ack") };
    assert_eq!(target.handler, Some(body.officer.clone()), "the duty officer who acknowledged it");

    let given = Signatory { badge: "350924004".parse().unwrap(), name: "叶志勇".into() };
    let mut assigned = case.at_target(&xixi(), at(1));
    assigned.handler = Some(given.clone());
    assigned.take_on(&ack, &xixi());
    assert_eq!(assigned.handler, Some(given), "an officer the chief assigned before the ack keeps it");
}
