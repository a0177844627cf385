//! Validly signed payloads that are still refused: malformed JSON, fields, kinds, ids, times, versions.

use super::*;

// --- malformed_payload -------------------------------------------------------------------

/// Opens a payload edited and re-signed by 罗阳, expecting `malformed_payload`.
fn malformed_payload(edit: impl FnOnce(&str) -> String) -> String {
    let error = refused(&resigned_note(edit), &keys(), "malformed_payload");
    assert!(matches!(error, EnvelopeError::MalformedPayload(_)), "{error:?}");
    error.to_string()
}

#[test]
fn a_validly_signed_payload_with_a_duplicate_key_is_refused() {
    let message = malformed_payload(|p| replace_once(p, r#"{"v":1,"#, r#"{"v":1,"v":1,"#));
    assert!(message.contains("repeats a key"), "{message}");
    let message = malformed_payload(|p| replace_once(p, r#""text":"#, r#""text":"另一段文字","text":"#));
    assert!(message.contains("repeats a key"), "{message}");
}

#[test]
fn a_validly_signed_request_with_a_duplicate_key_inside_its_details_is_refused() {
    // Details are an internally tagged enum, the place where serde alone would buffer values.
    let payload = payload_of(missing_person_request(), &luoyang_signer());
    let doubled =
        replace_once(&payload, r#""kind":"missing_person","#, r#""kind":"missing_person","kind":"fugitive","#);
    let error = refused(&signed_wire(&doubled, &luoyang_signer()), &keys(), "malformed_payload");
    assert!(error.to_string().contains("repeats a key"), "{error}");
}

#[test]
fn a_validly_signed_payload_with_an_unknown_field_is_refused() {
    let message = malformed_payload(|p| replace_once(p, r#"{"v":1,"#, r#"{"v":1,"relay":"zj-cangnan-mazhan","#));
    assert!(message.contains("relay"), "{message}");
    let message = malformed_payload(|p| replace_once(p, r#""text":"#, r#""urgent":true,"text":"#));
    assert!(message.contains("urgent"), "{message}");
}

#[test]
fn a_validly_signed_payload_with_trailing_data_is_refused() {
    malformed_payload(|p| format!("{p} "));
    malformed_payload(|p| format!("{p}{{}}"));
    malformed_payload(|p| format!("{p}\n"));
}

#[test]
fn a_validly_signed_payload_with_a_float_is_refused() {
    let message = malformed_payload(|p| replace_once(p, r#"{"v":1,"#, r#"{"v":1.0,"#));
    assert!(message.contains("not a 64-bit integer"), "{message}");
}

#[test]
fn a_validly_signed_payload_missing_a_field_is_refused() {
    let message = malformed_payload(|p| replace_once(p, r#""at":"2026-11-23T08:00:00Z","#, ""));
    assert!(message.contains("`at`"), "{message}");
    malformed_payload(|p| replace_once(p, r#""kind":"note","#, ""));
}

#[test]
fn a_validly_signed_payload_with_an_unknown_kind_is_refused() {
    malformed_payload(|p| replace_once(p, r#""kind":"note""#, r#""kind":"forward""#));
}

#[test]
fn a_body_that_does_not_match_its_kind_is_refused() {
    // An ack body labelled `note`: the kind decides the schema, so it cannot be read as a note.
    let payload = payload_of(ack(), &xixi_signer());
    let relabelled = replace_once(&payload, r#""kind":"ack""#, r#""kind":"note""#);
    let error = refused(&signed_wire(&relabelled, &xixi_signer()), &keys(), "malformed_payload");
    assert!(error.to_string().contains("body of note"), "{error}");
    // And a note body labelled `ack`.
    malformed_payload(|p| replace_once(p, r#""kind":"note""#, r#""kind":"ack""#));
}

#[test]
fn a_validly_signed_payload_with_a_malformed_identifier_is_refused() {
    malformed_payload(|p| replace_once(p, r#""from":"zj-taishun-luoyang""#, r#""from":"ZJ Taishun""#));
    // One id has one spelling: the same case id in upper case is refused.
    let envelope = note();
    let case = envelope.case.to_string();
    let wire = resigned(envelope, &luoyang_signer(), |p| replace_once(p, &case, &case.to_uppercase()));
    refused(&wire, &keys(), "malformed_payload");
}

#[test]
fn a_payload_dated_in_another_offset_than_utc_is_refused() {
    for at in ["2026-11-23T16:00:00+08:00", "2026-11-23t08:00:00z"] {
        let wire = resigned_note(|p| replace_once(p, r#""at":"2026-11-23T08:00:00Z""#, &format!(r#""at":"{at}""#)));
        refused(&wire, &keys(), "malformed_payload");
    }
}

// --- unsupported_version -----------------------------------------------------------------

#[test]
fn a_validly_signed_payload_of_version_2_is_refused() {
    let error =
        refused(&resigned_note(|p| replace_once(p, r#"{"v":1,"#, r#"{"v":2,"#)), &keys(), "unsupported_version");
    assert!(matches!(error, EnvelopeError::UnsupportedVersion(2)));
}
