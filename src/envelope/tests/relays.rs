//! Relays: the envelope a relay carries opens verified when its signer's key is held, is taken
//! on the origin's word when it is not, and is refused when it is altered or mislabelled.

use super::*;
use crate::envelope::body::RelayBody;

/// A relay body carrying 犀溪's ack, as 罗阳 passes it on.
fn relayed_ack() -> (Envelope, RelayBody) {
    let ack = ack();
    let sealed = ack.clone().seal(&xixi_signer()).unwrap();
    (ack, RelayBody::wrap(officer(), &sealed))
}

#[test]
fn a_relayed_envelope_is_verified_when_its_signers_key_is_held() {
    let (ack, body) = relayed_ack();
    assert_eq!(body.station, xixi());
    let opened = body.open(&keys()).unwrap();
    assert!(opened.verified);
    assert_eq!(opened.envelope, ack);
    // The body carries the exact wire bytes 犀溪 signed, and survives a round trip as JSON.
    let sealed = SealedEnvelope::open(&body.inner_wire(), &keys()).unwrap();
    assert_eq!(sealed.wire(), body.inner_wire(), "the carried bytes are the canonical wire form");
    let again: RelayBody = serde_json::from_value(serde_json::to_value(&body).unwrap()).unwrap();
    assert_eq!(again, body);
}

#[test]
fn without_the_signers_key_a_relayed_envelope_is_taken_on_the_origins_word() {
    let (ack, body) = relayed_ack();
    let mut only_luoyang = KeyRing::default();
    let luoyang = luoyang_signer();
    only_luoyang.insert(luoyang.key_ref().clone(), PublicKey::unbounded(luoyang.verifying_key()));
    let opened = body.open(&only_luoyang).unwrap();
    assert!(!opened.verified, "not verified here, and said so");
    assert_eq!(opened.envelope, ack);
}

#[test]
fn an_altered_relayed_envelope_is_refused_where_the_key_is_held() {
    let (_, mut body) = relayed_ack();
    let mut payload = body.envelope.signed.clone().into_bytes();
    // Flip one character of the base64 payload: another payload, the same signature.
    payload[10] = if payload[10] == b'A' { b'B' } else { b'A' };
    body.envelope.signed = String::from_utf8(payload).unwrap();
    let error = body.open(&keys()).expect_err("an altered envelope is refused");
    assert!(matches!(error.code(), "bad_signature" | "malformed_payload"), "{error}");
}

#[test]
fn a_relayed_envelope_claiming_another_signer_is_refused_even_without_its_key() {
    let (_, mut body) = relayed_ack();
    // 犀溪's payload under a key reference naming 马站: a signer mismatch, key held or not.
    body.envelope.key = "zj-cangnan-mazhan#k1".into();
    let error = body.open(&KeyRing::default()).expect_err("refused");
    assert_eq!(error.code(), "signer_mismatch", "{error}");
}
