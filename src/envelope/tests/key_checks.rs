//! Which key an envelope names: unknown or malformed references, and keys not usable at its time.

use super::*;
use crate::keys::KeyUseError;

// --- unknown_key -------------------------------------------------------------------------

#[test]
fn a_key_reference_not_in_the_key_ring_is_an_unknown_key() {
    let WireParts { signed, sig, .. } = wire_parts();
    for unknown in ["zj-taishun-luoyang#k2", "zj-cangnan-mazhan#k1"] {
        let error = refused(&wire(&signed, unknown, &sig), &keys(), "unknown_key");
        assert!(matches!(&error, EnvelopeError::UnknownKey(k) if k == unknown), "{error:?}");
    }
}

#[test]
fn a_malformed_key_reference_is_an_unknown_key() {
    let WireParts { signed, sig, .. } = wire_parts();
    for malformed in ["zj-taishun-luoyang", "zj-taishun-luoyang#", "ZJ-Taishun#k1", "#k1", "zj-taishun-luoyang#k 1"] {
        let error = refused(&wire(&signed, malformed, &sig), &keys(), "unknown_key");
        assert!(matches!(&error, EnvelopeError::UnknownKey(k) if k == malformed), "{error:?}");
    }
}

#[test]
fn a_valid_envelope_from_a_station_whose_key_is_unknown_is_refused() {
    let unknown_signer = signer(mazhan(), 3);
    let envelope = Envelope { from: mazhan(), to: vec![luoyang()], seen: [(luoyang(), 1)].into(), ..note() };
    let wire = envelope.seal(&unknown_signer).unwrap().wire();
    refused(&wire, &keys(), "unknown_key");
}

// --- key validity at the envelope's time -------------------------------------------------

#[test]
fn a_key_revoked_before_the_envelope_was_signed_is_refused() {
    let wire = note().seal(&luoyang_signer()).unwrap().wire();
    let ring = keys_with_luoyang(|k| PublicKey { revoked_from: Some(AT - Duration::days(1)), ..k });
    let error = refused(&wire, &ring, "key_revoked");
    assert!(matches!(error, EnvelopeError::KeyNotUsable { reason: KeyUseError::Revoked, .. }));
    let at_the_moment = keys_with_luoyang(|k| PublicKey { revoked_from: Some(AT), ..k });
    refused(&wire, &at_the_moment, "key_revoked");
}

#[test]
fn a_key_revoked_after_the_envelope_was_signed_still_verifies_it() {
    let wire = note().seal(&luoyang_signer()).unwrap().wire();
    let ring = keys_with_luoyang(|k| PublicKey { revoked_from: Some(AT + Duration::seconds(1)), ..k });
    assert!(SealedEnvelope::open(&wire, &ring).is_ok());
}

#[test]
fn a_key_expired_by_the_envelope_time_is_refused() {
    let wire = note().seal(&luoyang_signer()).unwrap().wire();
    let ring = keys_with_luoyang(|k| PublicKey { valid_until: Some(AT), ..k });
    let error = refused(&wire, &ring, "key_expired");
    assert!(matches!(error, EnvelopeError::KeyNotUsable { reason: KeyUseError::Expired, .. }));
    let still_valid = keys_with_luoyang(|k| PublicKey { valid_until: Some(AT + Duration::seconds(1)), ..k });
    assert!(SealedEnvelope::open(&wire, &still_valid).is_ok());
}

#[test]
fn a_key_not_yet_valid_at_the_envelope_time_is_refused() {
    let wire = note().seal(&luoyang_signer()).unwrap().wire();
    let ring = keys_with_luoyang(|k| PublicKey { valid_from: Some(AT + Duration::seconds(1)), ..k });
    let error = refused(&wire, &ring, "key_not_yet_valid");
    assert!(matches!(error, EnvelopeError::KeyNotUsable { reason: KeyUseError::NotYetValid, .. }));
    let from_now = keys_with_luoyang(|k| PublicKey { valid_from: Some(AT), ..k });
    assert!(SealedEnvelope::open(&wire, &from_now).is_ok());
}
