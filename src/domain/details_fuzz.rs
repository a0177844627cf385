//! Randomised request details: structured JSON of every kind with random texts (CJK, control
//! characters, blanks, lengths either side of each limit), resident IDs, plates, dates and
//! times around the clock-skew edge, lists either side of their bounds, missing and unknown
//! fields. Parsing and [`CaseDetails::validate`] must never panic, and whatever validation
//! passes must satisfy the rules written out again here, independently of the validator.
//! The same for whole request bodies through [`crate::case::validate_request`].
//!
//! The generators are in [`generate`] and the rules written out again in [`rules`]; the
//! properties are here.

use proptest::prelude::*;
use time::{Date, OffsetDateTime, UtcOffset};

use super::details::CaseDetails;
use crate::envelope::mutate::cases;

mod generate;
mod rules;

use generate::{clock, details_json, request_body};
use rules::Rules;

const BEIJING: UtcOffset = time::macros::offset!(+8);

fn beijing_date(at: OffsetDateTime) -> Date {
    at.checked_to_offset(BEIJING).unwrap_or(at).date()
}

proptest! {
    #![proptest_config(cases(1024))]

    #[test]
    fn details_that_validate_keep_every_rule(json in details_json(), now in clock()) {
        let Ok(details) = serde_json::from_value::<CaseDetails>(json) else { return Ok(()) };
        let errors = details.validate(now);
        for error in &errors {
            prop_assert!(error.field.starts_with("details."), "{:?}", error);
            prop_assert!(!error.code.is_empty() && !error.zh.is_empty() && !error.en.is_empty(), "{:?}", error);
        }
        let _ = (details.summary_zh(), details.subject_keys());
        // What a receiver parses from the signed bytes is what the sender validated.
        let again: CaseDetails = serde_json::from_str(&serde_json::to_string(&details).unwrap()).unwrap();
        prop_assert_eq!(&again, &details);
        prop_assert_eq!(again.validate(now), errors.clone());
        if errors.is_empty() {
            Rules::at(now).details(&details)?;
        }
    }
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn requests_that_validate_keep_every_rule((request, at) in request_body()) {
        if crate::case::validate_request(&request, at).is_ok() {
            let rules = Rules::at(at);
            rules.required(&request.title, 120)?;
            rules.limit(&request.narrative, 8000)?;
            rules.required(&request.contact, 200)?;
            rules.limit(request.reference.as_deref().unwrap_or_default(), 64)?;
            prop_assert!(request.ack_by > at && request.report_by > request.ack_by, "deadlines out of order");
            prop_assert!(request.review_by.is_none_or(|review| review >= beijing_date(at)));
            prop_assert!(request.details.validate(at).is_empty());
            rules.details(&request.details)?;
        }
    }
}

/// The generators above must reach both sides of every rule, or the properties say nothing.
#[test]
fn the_generators_reach_valid_and_invalid_details_of_every_kind() {
    let mut sampler = crate::envelope::mutate::Sampler::seeded(7);
    let strategy = (details_json(), clock());
    let mut seen: std::collections::BTreeMap<String, (usize, usize, usize)> = Default::default();
    for _ in 0..2000 {
        let (json, now) = sampler.draw(&strategy);
        let kind = json["kind"].as_str().unwrap_or_default().to_owned();
        let entry = seen.entry(kind).or_default();
        entry.0 += 1;
        if let Ok(details) = serde_json::from_value::<CaseDetails>(json) {
            entry.1 += 1;
            if details.validate(now).is_empty() {
                entry.2 += 1;
            }
        }
    }
    println!("details drawn, parsed, valid by kind: {seen:?}");
    for kind in ["missing_person", "fugitive", "serial_theft", "dispute", "general"] {
        let (drawn, parsed, valid) = seen[kind];
        assert!(
            parsed > drawn / 10 && valid > 0 && valid < parsed,
            "{kind}: {drawn} drawn, {parsed} parsed, {valid} valid"
        );
    }
    let requests = request_body();
    let valid = (0..1000)
        .filter(|_| {
            let (request, at) = sampler.draw(&requests);
            crate::case::validate_request(&request, at).is_ok()
        })
        .count();
    println!("requests drawn 1000, valid {valid}");
    assert!((10..990).contains(&valid), "{valid} of 1000 requests valid");
}
