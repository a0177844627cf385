//! What seals opens again to the same envelope and the same canonical bytes; what may not seal.

use super::*;

#[test]
fn a_sealed_note_opens_to_the_same_envelope_and_the_same_wire_bytes() {
    let envelope = note();
    let sealed = envelope.clone().seal(&luoyang_signer()).unwrap();
    let opened = SealedEnvelope::open(&sealed.wire(), &keys()).unwrap();
    assert_eq!(opened.envelope, envelope);
    assert_eq!(opened.wire(), sealed.wire());
    assert_eq!(opened.digest(), sealed.digest());
    assert_eq!(opened.key(), luoyang_signer().key_ref());
}

#[test]
fn a_sealed_missing_person_request_opens_to_the_same_envelope() {
    let envelope = missing_person_request();
    let Body::Request(request) = &envelope.body else { unreachable!() };
    assert!(request.review_by.is_some(), "the sample carries a review date");
    let sealed = envelope.clone().seal(&luoyang_signer()).unwrap();
    let opened = SealedEnvelope::open(&sealed.wire(), &keys()).unwrap();
    assert_eq!(opened.envelope, envelope);
    assert_eq!(opened.envelope.kind(), Kind::Request);
    assert_eq!(opened.wire(), sealed.wire());
}

#[test]
fn an_ack_from_the_other_station_opens_with_its_own_key() {
    let envelope = ack();
    let sealed = envelope.clone().seal(&xixi_signer()).unwrap();
    assert_eq!(SealedEnvelope::open(&sealed.wire(), &keys()).unwrap().envelope, envelope);
}

#[test]
fn a_respaced_reordered_wire_reopens_to_the_same_canonical_bytes() {
    let canonical = note().seal(&luoyang_signer()).unwrap().wire();
    let WireParts { signed, key, sig } = parts_of(&canonical);
    // Same content: other field order, whitespace inside the object, and a JSON escape
    // (`\u0031` is "1") in the key reference.
    let escaped_key = replace_once(&key, "#k1", "#k\\u0031");
    let respaced =
        format!("{{\n  \"sig\" : \"{sig}\",\n  \"key\" : \"{escaped_key}\",\n  \"signed\" : \"{signed}\"\n}}");
    assert_ne!(respaced.as_bytes(), canonical.as_slice());
    let reopened = SealedEnvelope::open(respaced.as_bytes(), &keys()).unwrap();
    let first = SealedEnvelope::open(&canonical, &keys()).unwrap();
    assert_eq!(reopened.wire(), canonical);
    assert_eq!(reopened.envelope, first.envelope);
}

#[test]
fn seal_refuses_a_signer_of_another_station() {
    let error = note().seal(&xixi_signer()).unwrap_err();
    assert_eq!(error.code(), "signer_mismatch");
    assert!(
        matches!(error, EnvelopeError::SignerMismatch { key_owner, from } if key_owner == xixi() && from == luoyang())
    );
}

#[test]
fn seal_refuses_bad_addressing() {
    let to_self = Envelope { to: vec![xixi(), luoyang()], ..note() };
    assert_eq!(to_self.seal(&luoyang_signer()).unwrap_err().code(), "bad_addressing");
    let to_nobody = Envelope { to: vec![], ..note() };
    assert_eq!(to_nobody.seal(&luoyang_signer()).unwrap_err().code(), "bad_addressing");
}
