//! Signatures that do not verify, and valid signatures by a station other than the sender.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;

// --- bad_signature -----------------------------------------------------------------------

#[test]
fn flipping_one_byte_of_the_payload_breaks_the_signature() {
    let WireParts { signed, key, sig } = wire_parts();
    let mut payload = URL_SAFE_NO_PAD.decode(&signed).unwrap();
    // The year of `at`: 2026 becomes 2027, so the tampered payload is still a valid document.
    let year = payload.windows(9).position(|w| w == br#""at":"202"#).unwrap() + 9;
    payload[year] ^= 0x01;
    assert!(String::from_utf8_lossy(&payload).contains("2027-11-23"));
    refused(&wire(&URL_SAFE_NO_PAD.encode(&payload), &key, &sig), &keys(), "bad_signature");
}

#[test]
fn flipping_one_byte_of_the_signature_breaks_it() {
    let WireParts { signed, key, sig } = wire_parts();
    for index in [0, 31, 32, 63] {
        let mut bytes = URL_SAFE_NO_PAD.decode(&sig).unwrap();
        bytes[index] ^= 0x01;
        let error = refused(&wire(&signed, &key, &URL_SAFE_NO_PAD.encode(bytes)), &keys(), "bad_signature");
        assert!(matches!(error, EnvelopeError::BadSignature));
    }
}

#[test]
fn a_signature_by_the_right_key_for_receipts_does_not_verify_an_envelope() {
    let payload = payload_of(note(), &luoyang_signer());
    let as_receipt = Signed::sign(RECEIPT_CONTEXT, payload.into_bytes(), &luoyang_signer()).encode();
    refused(&as_receipt, &keys(), "bad_signature");
}

#[test]
fn a_signature_by_another_key_under_this_key_reference_is_refused() {
    // 犀溪's private key, but the envelope names 罗阳's key.
    let impostor = Signer::new(luoyang_signer().key_ref().clone(), SigningKey::from_bytes(&[2; 32]));
    let wire = note().seal(&impostor).unwrap().wire();
    refused(&wire, &keys(), "bad_signature");
}

// --- signer_mismatch ---------------------------------------------------------------------

#[test]
fn a_known_station_cannot_sign_in_another_stations_name() {
    // 犀溪 signs, validly and with its own known key, a note claiming to come from 罗阳.
    let claims_luoyang = Envelope { to: vec![mazhan()], seen: [(mazhan(), 0)].into(), ..note() };
    let payload = payload_of(claims_luoyang, &luoyang_signer());
    let error = refused(&signed_wire(&payload, &xixi_signer()), &keys(), "signer_mismatch");
    assert!(
        matches!(error, EnvelopeError::SignerMismatch { key_owner, from } if key_owner == xixi() && from == luoyang())
    );
}
