//! Reconciliation requests: the round trip, and the signatures they refuse.

use super::*;

/// 犀溪, restored from a backup, asks 罗阳 for what they exchanged since the day before.
fn ask() -> ReconcileAsk {
    ReconcileAsk { v: VERSION, from: xixi(), to: luoyang(), since: AT - Duration::days(1), at: AT }
}

#[test]
fn a_sealed_reconciliation_request_round_trips() {
    let sealed = ask().seal(&xixi_signer()).unwrap();
    let opened = SealedReconcileAsk::open(&sealed.wire(), &keys()).unwrap();
    assert_eq!(opened.statement, ask());
    assert_eq!(opened.wire(), sealed.wire());
}

#[test]
fn a_station_cannot_sign_a_request_in_another_stations_name() {
    let refused = ask().seal(&luoyang_signer()).unwrap_err();
    assert_eq!(refused.code(), "signer_mismatch");
    // Nor can it get one past the check by signing the payload directly.
    let payload = serde_json::to_vec(&ask()).unwrap();
    let forged = Signed::sign(RECONCILE_CONTEXT, payload, &luoyang_signer()).encode();
    assert_eq!(SealedReconcileAsk::open(&forged, &keys()).unwrap_err().code(), "signer_mismatch");
}

#[test]
fn a_signature_made_for_an_envelope_or_a_receipt_is_not_a_request() {
    let payload = serde_json::to_vec(&ask()).unwrap();
    for context in [ENVELOPE_CONTEXT, RECEIPT_CONTEXT] {
        let wire = Signed::sign(context, payload.clone(), &xixi_signer()).encode();
        assert_eq!(SealedReconcileAsk::open(&wire, &keys()).unwrap_err().code(), "bad_signature");
    }
}

#[test]
fn a_request_signed_by_an_unknown_or_expired_key_is_refused() {
    let stranger = signer(mazhan(), 9);
    let ask_of_stranger = ReconcileAsk { from: mazhan(), ..ask() };
    let wire = ask_of_stranger.seal(&stranger).unwrap().wire();
    assert_eq!(SealedReconcileAsk::open(&wire, &keys()).unwrap_err().code(), "unknown_key");

    let mut ring = keys();
    let xixi = xixi_signer();
    ring.insert(
        xixi.key_ref().clone(),
        PublicKey { valid_until: Some(AT), ..PublicKey::unbounded(xixi.verifying_key()) },
    );
    let wire = ask().seal(&xixi).unwrap().wire();
    assert_eq!(SealedReconcileAsk::open(&wire, &ring).unwrap_err().code(), "key_expired");
}

#[test]
fn a_request_with_a_field_nobody_signed_for_is_refused() {
    let mut value = serde_json::to_value(ask()).unwrap();
    value["extra"] = serde_json::json!(true);
    let wire = Signed::sign(RECONCILE_CONTEXT, serde_json::to_vec(&value).unwrap(), &xixi_signer()).encode();
    assert_eq!(SealedReconcileAsk::open(&wire, &keys()).unwrap_err().code(), "malformed_payload");
}
