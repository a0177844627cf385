//! Receipts: the round trip, which envelope bytes they vouch for, and the refusals they share.

use super::*;

const STORED_AT: OffsetDateTime = datetime!(2026-11-23 08:00:02 UTC);

/// 罗阳's note, and 犀溪's sealed receipt for it.
fn note_and_receipt() -> (SealedEnvelope, SealedReceipt) {
    let sealed = note().seal(&luoyang_signer()).unwrap();
    let receipt = Receipt::for_envelope(&sealed, xixi(), STORED_AT).seal(&xixi_signer()).unwrap();
    (sealed, receipt)
}

#[test]
fn a_sealed_receipt_round_trips_and_vouches_for_its_envelope() {
    let (sealed, receipt) = note_and_receipt();
    let opened = SealedReceipt::open(&receipt.wire(), &keys()).unwrap();
    assert_eq!(opened.statement, receipt.statement);
    assert_eq!(opened.wire(), receipt.wire());
    assert_eq!(opened.statement.envelope, sealed.envelope.id);
    assert_eq!(opened.statement.from, xixi());
    assert_eq!(opened.statement.to, luoyang());
    assert_eq!(opened.statement.stored_at, STORED_AT);
    assert_eq!(opened.statement.sha256, hex::encode(sealed.digest()));
    assert!(opened.matches(&sealed));
}

#[test]
fn a_receipt_does_not_match_other_envelope_bytes() {
    let (sealed, receipt) = note_and_receipt();
    let other = note().seal(&luoyang_signer()).unwrap();
    assert!(!receipt.matches(&other));
    // The same envelope id with other bytes (a conflicting copy) is not vouched for either.
    let altered = Envelope {
        body: Body::Note(NoteBody { officer: officer(), text: "改过的内容".into(), attachments: Vec::new() }),
        ..sealed.envelope.clone()
    };
    let altered = altered.seal(&luoyang_signer()).unwrap();
    assert_eq!(altered.envelope.id, sealed.envelope.id);
    assert!(!receipt.matches(&altered));
    // Checked against the id and digest kept when the envelope was stored, the same holds.
    let kept = |s: &SealedEnvelope| (s.envelope.id, hex::encode(s.digest()));
    let (id, sha256) = kept(&sealed);
    assert!(receipt.vouches_for(&id, &sha256));
    for (id, sha256) in [kept(&other), kept(&altered)] {
        assert!(!receipt.vouches_for(&id, &sha256));
    }
}

#[test]
fn a_receipt_verifies_only_under_the_receipt_context() {
    let (sealed, receipt) = note_and_receipt();
    let payload = receipt.signed.payload().to_vec();
    let with_envelope_context = Signed::sign(ENVELOPE_CONTEXT, payload, &xixi_signer()).encode();
    let error = SealedReceipt::open(&with_envelope_context, &keys()).unwrap_err();
    assert_eq!(error.code(), "bad_signature");
    // Nor can an envelope be passed off as a receipt, or a receipt as an envelope.
    assert_eq!(SealedReceipt::open(&sealed.wire(), &keys()).unwrap_err().code(), "bad_signature");
    refused(&receipt.wire(), &keys(), "bad_signature");
}

#[test]
fn a_receipt_signed_by_another_station_than_its_issuer_is_refused() {
    let (sealed, _) = note_and_receipt();
    // 罗阳 forges a receipt in 犀溪's name, signed with 罗阳's own key.
    let forged = Receipt::for_envelope(&sealed, xixi(), STORED_AT);
    let payload = serde_json::to_vec(&forged).unwrap();
    let wire = Signed::sign(RECEIPT_CONTEXT, payload, &luoyang_signer()).encode();
    assert_eq!(SealedReceipt::open(&wire, &keys()).unwrap_err().code(), "signer_mismatch");
    let error = Receipt::for_envelope(&sealed, xixi(), STORED_AT).seal(&luoyang_signer()).unwrap_err();
    assert_eq!(error.code(), "signer_mismatch");
}

#[test]
fn a_receipt_with_a_malformed_payload_or_another_version_is_refused() {
    let (_, receipt) = note_and_receipt();
    let payload = String::from_utf8(receipt.signed.payload().to_vec()).unwrap();
    let resign = |text: &str| Signed::sign(RECEIPT_CONTEXT, text.as_bytes().to_vec(), &xixi_signer()).encode();
    let doubled = replace_once(&payload, r#"{"v":1,"#, r#"{"v":1,"v":1,"#);
    assert_eq!(SealedReceipt::open(&resign(&doubled), &keys()).unwrap_err().code(), "malformed_payload");
    let extra = replace_once(&payload, r#"{"v":1,"#, r#"{"v":1,"note":"x","#);
    assert_eq!(SealedReceipt::open(&resign(&extra), &keys()).unwrap_err().code(), "malformed_payload");
    let v2 = replace_once(&payload, r#"{"v":1,"#, r#"{"v":2,"#);
    assert_eq!(SealedReceipt::open(&resign(&v2), &keys()).unwrap_err().code(), "unsupported_version");
}

#[test]
fn a_receipt_stored_after_its_signing_key_was_revoked_is_refused() {
    let (_, receipt) = note_and_receipt();
    let mut ring = keys();
    let xixi = xixi_signer();
    let revoked = PublicKey { revoked_from: Some(STORED_AT), ..PublicKey::unbounded(xixi.verifying_key()) };
    ring.insert(xixi.key_ref().clone(), revoked);
    assert_eq!(SealedReceipt::open(&receipt.wire(), &ring).unwrap_err().code(), "key_revoked");
}

#[test]
fn receipts_share_the_wire_checks_of_envelopes() {
    let huge = vec![b' '; MAX_ENVELOPE_BYTES + 1];
    assert_eq!(SealedReceipt::open(&huge, &keys()).unwrap_err().code(), "too_large");
    assert_eq!(SealedReceipt::open(b"{}", &keys()).unwrap_err().code(), "malformed_envelope");
}
