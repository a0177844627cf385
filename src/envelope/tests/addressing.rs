//! Whom an envelope is addressed to and what it has seen: `bad_addressing` and `bad_sequence`.

use super::*;

// --- bad_addressing ----------------------------------------------------------------------

fn badly_addressed(to: &str) -> EnvelopeError {
    let wire = resigned_note(|p| replace_once(p, r#""to":["fj-shouning-xixi"]"#, &format!(r#""to":{to}"#)));
    refused(&wire, &keys(), "bad_addressing")
}

#[test]
fn an_envelope_addressed_to_nobody_is_refused() {
    assert!(matches!(badly_addressed("[]"), EnvelopeError::BadAddressing(m) if m.contains("empty")));
}

#[test]
fn an_envelope_addressed_twice_to_the_same_station_is_refused() {
    let error = badly_addressed(r#"["fj-shouning-xixi","zj-cangnan-mazhan","fj-shouning-xixi"]"#);
    assert!(matches!(error, EnvelopeError::BadAddressing(m) if m.contains("repeats")));
}

#[test]
fn an_envelope_addressed_to_its_sender_is_refused() {
    let error = badly_addressed(r#"["fj-shouning-xixi","zj-taishun-luoyang"]"#);
    assert!(matches!(error, EnvelopeError::BadAddressing(m) if m.contains("sender")));
}

// --- bad_sequence ------------------------------------------------------------------------

fn badly_sequenced(envelope: Envelope, signer: &Signer, from: &str, to: &str) -> EnvelopeError {
    let wire = resigned(envelope, signer, |p| replace_once(p, from, to));
    refused(&wire, &keys(), "bad_sequence")
}

#[test]
fn seen_must_name_exactly_the_addressees() {
    let original = r#""seen":{"fj-shouning-xixi":0}"#;
    for seen in
        [r#""seen":{}"#, r#""seen":{"zj-cangnan-mazhan":0}"#, r#""seen":{"fj-shouning-xixi":0,"zj-cangnan-mazhan":0}"#]
    {
        let error = badly_sequenced(note(), &luoyang_signer(), original, seen);
        assert!(matches!(error, EnvelopeError::BadSequence(m) if m.contains("`to`")), "{seen}");
    }
    let missing = resigned_note(|p| replace_once(p, &format!(",{original}"), ""));
    refused(&missing, &keys(), "malformed_payload");
}

#[test]
fn a_request_comes_first_and_has_seen_nothing() {
    let error = badly_sequenced(missing_person_request(), &luoyang_signer(), r#""seq":0"#, r#""seq":3"#);
    assert!(matches!(error, EnvelopeError::BadSequence(m) if m.contains("request")));
    badly_sequenced(missing_person_request(), &luoyang_signer(), r#""fj-shouning-xixi":0"#, r#""fj-shouning-xixi":1"#);
}

#[test]
fn only_a_request_comes_before_everything_else() {
    let error = badly_sequenced(note(), &luoyang_signer(), r#""seq":1"#, r#""seq":0"#);
    assert!(matches!(error, EnvelopeError::BadSequence(m) if m.contains("only a request")));
    // A target's first envelope is its `seq` 0, after the request it has seen.
    assert!(SealedEnvelope::open(&ack().seal(&xixi_signer()).unwrap().wire(), &keys()).is_ok());
}

#[test]
fn seal_refuses_a_bad_sequence() {
    let stray = Envelope { seen: [(mazhan(), 0)].into(), ..note() };
    assert_eq!(stray.seal(&luoyang_signer()).unwrap_err().code(), "bad_sequence");
    let late_request = Envelope { seq: 2, ..missing_person_request() };
    assert_eq!(late_request.seal(&luoyang_signer()).unwrap_err().code(), "bad_sequence");
}
