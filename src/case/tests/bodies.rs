//! What each body must say: outcomes fit the kind and count, evaluations, messages, promised times.

use super::*;

#[test]
fn an_outcome_must_fit_the_kind_of_case() {
    let (case, mut origin) = acknowledged();
    let arrested = case.by_target(&xixi(), at(60), outcome(Outcome::Arrested, 1));
    let error = refused(&mut origin, &arrested, "invalid_body");
    assert_eq!(field_errors(error), vec![field("outcome", "outcome_not_for_kind")]);
}

#[test]
fn an_outcome_counts_one_to_a_thousand_and_no_trace_counts_zero() {
    let (case, mut origin) = acknowledged();
    for (result, count) in [(Outcome::PersonFound, 0), (Outcome::PersonFound, 1001), (Outcome::NoTrace, 1)] {
        let error = refused(&mut origin, &case.by_target(&xixi(), at(60), outcome(result, count)), "invalid_body");
        assert_eq!(field_errors(error), vec![field("count", "out_of_range")], "{result:?} × {count}");
    }
    for (result, count) in [(Outcome::PersonFound, 1), (Outcome::PersonFound, 1000), (Outcome::NoTrace, 0)] {
        let mut fresh = origin.clone();
        fresh.apply_in_order(&case.by_target(&xixi(), at(60), outcome(result, count))).unwrap();
    }
}

#[test]
fn an_outcome_needs_a_narrative() {
    let (case, mut origin) = acknowledged();
    let blank = Body::Outcome(OutcomeBody {
        officer: officer(),
        outcome: Outcome::PersonFound,
        count: 1,
        narrative: " \n ".into(),
    });
    let error = refused(&mut origin, &case.by_target(&xixi(), at(60), blank), "invalid_body");
    assert_eq!(field_errors(error), vec![field("narrative", "required")]);
}

#[test]
fn an_evaluation_is_one_to_five() {
    let (case, mut origin) = acknowledged();
    origin.apply_in_order(&case.by_target(&xixi(), at(60), outcome(Outcome::PersonFound, 1))).unwrap();
    for evaluation in [0, 6] {
        let error = refused(&mut origin, &case.by_origin(&[xixi()], at(90), close(evaluation)), "invalid_body");
        assert_eq!(field_errors(error), vec![field("evaluation", "out_of_range")], "{evaluation}");
    }
    for evaluation in [1, 5] {
        origin.clone().apply_in_order(&case.by_origin(&[xixi()], at(90), close(evaluation))).unwrap();
    }
}

#[test]
fn a_decline_must_explain_itself() {
    let case = Case::to(&[xixi()]);
    let blank = case.by_target(&xixi(), at(5), decline(DeclineReason::Other, "   ", None));
    let error = refused(&mut case.at_origin(), &blank, "invalid_body");
    assert_eq!(field_errors(error), vec![field("message", "required")]);
}

#[test]
fn a_blank_note_is_refused() {
    let case = Case::to(&[xixi()]);
    let error = refused(&mut case.at_origin(), &case.by_origin(&[xixi()], at(5), note("")), "invalid_body");
    assert_eq!(field_errors(error), vec![field("text", "required")]);
}

#[test]
fn an_ack_cannot_promise_a_report_in_the_past() {
    let case = Case::to(&[xixi()]);
    for promised in [at(5), at(4)] {
        let error =
            refused(&mut case.at_origin(), &case.by_target(&xixi(), at(5), ack(Some(promised))), "invalid_body");
        assert_eq!(field_errors(error), vec![field("report_by", "in_past")]);
    }
}
