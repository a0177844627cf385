//! `validate_request`: deadlines in order, review dates not already past in Beijing; no case from a bad one.

use super::*;

fn sample_request() -> RequestBody {
    request_body(crate::samples::missing_elderly_man(vec![xixi()], T0), T0)
}

#[test]
fn the_sample_request_is_valid() {
    assert_eq!(validate_request(&sample_request(), T0), Ok(()));
}

#[test]
fn a_request_must_ask_for_an_ack_after_it_is_sent() {
    for ack_by in [T0, at(-1)] {
        let request = RequestBody { ack_by, ..sample_request() };
        let error = validate_request(&request, T0).unwrap_err();
        assert_eq!(error.code(), "invalid_body");
        assert_eq!(field_errors(error), vec![field("ack_by", "out_of_order")]);
    }
}

#[test]
fn a_request_must_ask_for_the_report_after_the_ack() {
    let request = RequestBody { report_by: at(10), ..sample_request() };
    assert_eq!(field_errors(validate_request(&request, T0).unwrap_err()), vec![field("ack_by", "out_of_order")]);
}

#[test]
fn a_request_cannot_carry_a_review_date_in_the_past() {
    let yesterday = RequestBody { review_by: Some(date!(2026 - 11 - 22)), ..sample_request() };
    assert_eq!(field_errors(validate_request(&yesterday, T0).unwrap_err()), vec![field("review_by", "in_past")]);
    let today = RequestBody { review_by: Some(date!(2026 - 11 - 23)), ..sample_request() };
    assert_eq!(validate_request(&today, T0), Ok(()));
}

#[test]
fn a_review_date_already_past_in_beijing_is_refused() {
    // 07:00 on 23 November in Beijing is still 22 November in UTC: a review date of the 22nd
    // is yesterday for the officer who typed it, yet it passes.
    let early_morning = datetime!(2026-11-22 23:00 UTC);
    let request = RequestBody {
        review_by: Some(date!(2026 - 11 - 22)),
        ..request_body(crate::samples::missing_elderly_man(vec![xixi()], early_morning), early_morning)
    };
    assert_eq!(
        field_errors(validate_request(&request, early_morning).unwrap_err()),
        vec![field("review_by", "in_past")]
    );
}

#[test]
fn an_invalid_request_opens_no_case() {
    let case = Case::to(&[xixi()]);
    let Body::Request(request) = &case.request.body else { unreachable!() };
    let late = RequestBody { ack_by: T0, ..(**request).clone() };
    let envelope = Envelope { body: Body::Request(Box::new(late)), ..case.request.clone() };
    assert_eq!(CaseRecord::open(&envelope, &xixi(), at(1)).unwrap_err().code(), "invalid_body");
    assert_eq!(CaseRecord::open(&envelope, &luoyang(), T0).unwrap_err().code(), "invalid_body");
}

#[test]
fn a_reference_number_is_checked_like_any_text_a_partner_signs() {
    use crate::domain::refno::RefNo;
    let numbered = |label: &str, number| RequestBody {
        refno: Some(RefNo { year: 2026, number, label: label.into() }),
        ..sample_request()
    };
    assert_eq!(validate_request(&numbered("泰罗阳协〔2026〕1号", 1), T0), Ok(()));
    for label in ["泰罗阳\u{202e}协〔2026〕1号", "2026-1", &"长".repeat(41)] {
        let refused = validate_request(&numbered(label, 1), T0).unwrap_err();
        assert_eq!(field_errors(refused), vec![field("refno.label", "invalid_label")], "{label}");
    }
    let refused = validate_request(&numbered("泰罗阳协〔2026〕0号", 0), T0).unwrap_err();
    assert_eq!(field_errors(refused), vec![field("refno", "out_of_range")]);
}
