//! Valid envelopes and receipts mutated at the byte, wire-JSON and payload level, and payloads re-signed.

use super::*;
use crate::envelope::mutate::{apply_all, cases, mutations, payload_edit};

proptest! {
    #![proptest_config(cases(2048))]

    /// Levels (a)–(c): wire bytes, wire JSON and payload bytes, stacked in any order.
    #[test]
    fn a_mutated_envelope_opens_only_as_the_original(which in 0usize..4, donor in 0usize..4, edits in mutations()) {
        let (original, donor) = (&ORIGINALS[which], &ORIGINALS[donor]);
        let wire = apply_all(&original.wire(), &donor.wire(), &edits);
        open_mutated(&wire)?;
    }

    #[test]
    fn a_mutated_receipt_opens_only_as_the_original(which in 0usize..2, edits in mutations()) {
        let (original, donor) = (&RECEIPTS[which], &RECEIPTS[1 - which]);
        let wire = apply_all(&original.wire(), &donor.wire(), &edits);
        let _ = Signed::decode(&wire);
        open_mutated_receipt(&wire)?;
        // A receipt is never an envelope, whatever is done to it.
        prop_assert!(SealedEnvelope::open(&wire, &KEYS).is_err());
    }
}

proptest! {
    #![proptest_config(cases(1024))]

    /// Level (d): the payload edited, then signed by the legitimate key of its sender.
    #[test]
    fn a_resigned_payload_opens_only_to_what_was_signed(
        which in 0usize..4,
        edits in proptest::collection::vec(payload_edit(), 1..3),
    ) {
        let original = &ORIGINALS[which];
        let payload = edits.iter().fold(original.signed.payload().to_vec(), |p, e| e.apply(&p));
        let wire = Signed::sign(ENVELOPE_CONTEXT, payload.clone(), &signer_of(&original.envelope.from)).encode();
        open_resigned(&payload, &wire)?;
    }
}
