//! Refusals of the wire object itself: its size, its JSON shape, and the base64 of its fields.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;

// --- too_large ---------------------------------------------------------------------------

#[test]
fn a_wire_over_the_size_limit_is_refused_before_anything_else() {
    let huge = vec![b' '; MAX_ENVELOPE_BYTES + 1];
    let error = refused(&huge, &keys(), "too_large");
    assert!(matches!(error, EnvelopeError::TooLarge(n) if n == MAX_ENVELOPE_BYTES + 1));
}

#[test]
fn a_valid_wire_of_exactly_the_size_limit_opens() {
    let wire = note().seal(&luoyang_signer()).unwrap().wire();
    let padding = " ".repeat(MAX_ENVELOPE_BYTES - wire.len());
    let padded = replace_once(std::str::from_utf8(&wire).unwrap(), "{", &format!("{{{padding}"));
    assert_eq!(padded.len(), MAX_ENVELOPE_BYTES);
    assert!(SealedEnvelope::open(padded.as_bytes(), &keys()).is_ok());
    let one_more = replace_once(&padded, "{", "{ ");
    refused(one_more.as_bytes(), &keys(), "too_large");
}

// --- malformed_envelope ------------------------------------------------------------------

#[test]
fn a_wire_that_is_not_json_is_a_malformed_envelope() {
    for not_json in [&b"not json"[..], b"{not json}", b"", b"[]", b"{\"signed\":\"\xff\"}"] {
        let error = refused(not_json, &keys(), "malformed_envelope");
        assert!(matches!(error, EnvelopeError::MalformedWire(_)), "{not_json:?}: {error:?}");
    }
}

#[test]
fn a_wire_that_repeats_a_key_is_a_malformed_envelope() {
    let WireParts { signed, key, sig } = wire_parts();
    let twice = format!(r#"{{"signed":"{signed}","key":"{key}","key":"{key}","sig":"{sig}"}}"#);
    let error = refused(twice.as_bytes(), &keys(), "malformed_envelope");
    assert!(error.to_string().contains("repeats a key"), "{error}");
}

#[test]
fn a_wire_with_an_unknown_field_is_a_malformed_envelope() {
    let WireParts { signed, key, sig } = wire_parts();
    let extra = format!(r#"{{"signed":"{signed}","key":"{key}","sig":"{sig}","relayed_by":"zj-cangnan-mazhan"}}"#);
    let error = refused(extra.as_bytes(), &keys(), "malformed_envelope");
    assert!(error.to_string().contains("relayed_by"), "{error}");
}

#[test]
fn a_wire_with_a_missing_or_mistyped_field_is_a_malformed_envelope() {
    let WireParts { signed, key, sig } = wire_parts();
    let no_sig = format!(r#"{{"signed":"{signed}","key":"{key}"}}"#);
    refused(no_sig.as_bytes(), &keys(), "malformed_envelope");
    let numeric_key = format!(r#"{{"signed":"{signed}","key":1,"sig":"{sig}"}}"#);
    refused(numeric_key.as_bytes(), &keys(), "malformed_envelope");
    let numeric_sig = format!(r#"{{"signed":"{signed}","key":"{key}","sig":12}}"#);
    refused(numeric_sig.as_bytes(), &keys(), "malformed_envelope");
}

#[test]
fn a_wire_with_trailing_data_is_a_malformed_envelope() {
    let wire = note().seal(&luoyang_signer()).unwrap().wire();
    for trailer in [&b" "[..], b"\n", b"{}", b"x"] {
        let mut trailed = wire.clone();
        trailed.extend_from_slice(trailer);
        refused(&trailed, &keys(), "malformed_envelope");
    }
}

#[test]
fn a_wire_with_a_byte_order_mark_or_leading_space_is_a_malformed_envelope() {
    let wire = note().seal(&luoyang_signer()).unwrap().wire();
    for prefix in [&b"\xEF\xBB\xBF"[..], b" "] {
        let prefixed = [prefix, &wire].concat();
        refused(&prefixed, &keys(), "malformed_envelope");
    }
}

// --- bad_base64 and bad_signature_length -------------------------------------------------

#[test]
fn signed_that_is_not_base64url_without_padding_is_refused() {
    let WireParts { key, sig, .. } = wire_parts();
    // Standard alphabet, padding, a stray character, and non-canonical trailing bits.
    for bad in ["ab+/", "YQ==", "ab!c", "YR"] {
        let error = refused(&wire(bad, &key, &sig), &keys(), "bad_base64");
        assert!(matches!(error, EnvelopeError::BadBase64("signed")), "{bad}: {error:?}");
    }
}

#[test]
fn sig_that_is_not_base64url_without_padding_is_refused() {
    let WireParts { signed, key, sig } = wire_parts();
    let padded = format!("{sig}==");
    let standard = sig.replace('-', "+").replace('_', "/") + "+";
    for bad in [padded.as_str(), standard.as_str(), "not base64"] {
        let error = refused(&wire(&signed, &key, bad), &keys(), "bad_base64");
        assert!(matches!(error, EnvelopeError::BadBase64("sig")), "{bad}: {error:?}");
    }
}

#[test]
fn a_signature_that_is_not_64_bytes_is_refused() {
    let WireParts { signed, key, .. } = wire_parts();
    for len in [0, 63, 65] {
        let sig = URL_SAFE_NO_PAD.encode(vec![7u8; len]);
        let error = refused(&wire(&signed, &key, &sig), &keys(), "bad_signature_length");
        assert!(matches!(error, EnvelopeError::BadSignatureLength(n) if n == len), "{error:?}");
    }
}
