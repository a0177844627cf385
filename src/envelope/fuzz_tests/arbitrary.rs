//! Input no signer wrote: arbitrary bytes, JSON-shaped text, and well-formed wires with random signatures.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::sample::select;

use super::*;
use crate::envelope::mutate::{KEY_REFS, cases};

proptest! {
    #![proptest_config(cases(2048))]

    #[test]
    fn arbitrary_bytes_never_panic_and_never_open(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Signed::decode(&bytes);
        let _ = strict_json::check(&bytes);
        prop_assert!(SealedEnvelope::open(&bytes, &KEYS).is_err());
        prop_assert!(SealedReceipt::open(&bytes, &KEYS).is_err());
    }

    #[test]
    fn json_shaped_text_never_opens(text in r#"\{[{}\[\]":,a-z0-9#_\-\\ ]{0,300}\}"#) {
        let _ = Signed::decode(text.as_bytes());
        prop_assert!(SealedEnvelope::open(text.as_bytes(), &KEYS).is_err());
        prop_assert!(SealedReceipt::open(text.as_bytes(), &KEYS).is_err());
    }
}

proptest! {
    #![proptest_config(cases(512))]

    /// Well-formed wires naming real keys, over real or random payloads, with random signatures.
    #[test]
    fn a_random_signature_never_verifies(
        which in 0usize..8,
        random_payload in proptest::collection::vec(any::<u8>(), 0..512),
        sig in proptest::collection::vec(any::<u8>(), 64..=64),
        key in select(KEY_REFS.to_vec()),
    ) {
        let payload = ORIGINALS.get(which).map_or(random_payload, |o| o.signed.payload().to_vec());
        let wire = wire_of(&URL_SAFE_NO_PAD.encode(&payload), key, &URL_SAFE_NO_PAD.encode(&sig));
        prop_assert!(SealedEnvelope::open(&wire, &KEYS).is_err());
        prop_assert!(SealedReceipt::open(&wire, &KEYS).is_err());
    }
}
