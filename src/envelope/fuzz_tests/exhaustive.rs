//! Every single-bit flip, every spelling of a last base64 character, and the malleated signature.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;
use crate::envelope::mutate::{ALPHABET, unused_bits};

/// Flips every bit of `bytes` in turn and counts how many of the results `accepts`.
fn accepted_bit_flips(bytes: &[u8], accepts: impl Fn(&[u8]) -> bool) -> (usize, Vec<(usize, u8)>) {
    let mut accepted = Vec::new();
    let mut tried = 0;
    for at in 0..bytes.len() {
        for bit in 0..8 {
            let mut flipped = bytes.to_vec();
            flipped[at] ^= 1 << bit;
            tried += 1;
            if accepts(&flipped) {
                accepted.push((at, bit));
            }
        }
    }
    (tried, accepted)
}

#[test]
fn every_single_bit_flip_of_a_wire_envelope_is_refused() {
    for original in ORIGINALS.iter() {
        let wire = original.wire();
        let (tried, accepted) = accepted_bit_flips(&wire, |w| SealedEnvelope::open(w, &KEYS).is_ok());
        assert_eq!(tried, wire.len() * 8);
        println!(
            "{} ({} bytes): flipped {tried} single bits, accepted {}",
            original.envelope.kind(),
            wire.len(),
            accepted.len()
        );
        assert_eq!(accepted, vec![], "bit flips of {} accepted", String::from_utf8_lossy(&wire));
    }
}

#[test]
fn every_single_bit_flip_of_a_payload_or_signature_is_refused_under_the_old_signature() {
    let original = &ORIGINALS[0];
    let parts: Value = serde_json::from_slice(&original.wire()).unwrap();
    let (signed, key, sig) =
        (parts["signed"].as_str().unwrap(), parts["key"].as_str().unwrap(), parts["sig"].as_str().unwrap());
    let payload = URL_SAFE_NO_PAD.decode(signed).unwrap();
    let (_, accepted) = accepted_bit_flips(&payload, |p| {
        SealedEnvelope::open(&wire_of(&URL_SAFE_NO_PAD.encode(p), key, sig), &KEYS).is_ok()
    });
    assert_eq!(accepted, vec![], "payload bit flips accepted");
    let sig_bytes = URL_SAFE_NO_PAD.decode(sig).unwrap();
    let (_, accepted) = accepted_bit_flips(&sig_bytes, |s| {
        SealedEnvelope::open(&wire_of(signed, key, &URL_SAFE_NO_PAD.encode(s)), &KEYS).is_ok()
    });
    assert_eq!(accepted, vec![], "signature bit flips accepted");
}

#[test]
fn every_single_bit_flip_of_a_receipt_is_refused() {
    let wire = RECEIPTS[0].wire();
    let (_, accepted) = accepted_bit_flips(&wire, |w| SealedReceipt::open(w, &KEYS).is_ok());
    assert_eq!(accepted, vec![]);
}

/// Every spelling of the last base64 character of `signed` and `sig`: only the original opens,
/// and the ones that differ only in unused trailing bits are refused as bad base64, not as a
/// bad signature (they decode to the same bytes, so only the decoder can catch them).
#[test]
fn base64_fields_have_exactly_one_spelling_of_their_last_character() {
    for original in ORIGINALS.iter() {
        let parts: Value = serde_json::from_slice(&original.wire()).unwrap();
        let key = parts["key"].as_str().unwrap();
        for field in ["signed", "sig"] {
            let text = parts[field].as_str().unwrap();
            let len = URL_SAFE_NO_PAD.decode(text).unwrap().len();
            let (head, last) = text.split_at(text.len() - 1);
            let last_value = ALPHABET.iter().position(|c| *c == last.as_bytes()[0]).unwrap();
            let mut opened = 0;
            for (value, c) in ALPHABET.iter().enumerate() {
                let spelt = format!("{head}{}", char::from(*c));
                let wire = match field {
                    "signed" => wire_of(&spelt, key, parts["sig"].as_str().unwrap()),
                    _ => wire_of(parts["signed"].as_str().unwrap(), key, &spelt),
                };
                match SealedEnvelope::open(&wire, &KEYS) {
                    Ok(_) => opened += 1,
                    Err(e) if value >> unused_bits(len) == last_value >> unused_bits(len) => {
                        assert_eq!(e.code(), "bad_base64", "{field} ending {spelt:?}");
                    }
                    Err(_) => {}
                }
            }
            assert_eq!(opened, 1, "{field} of envelope {}", original.envelope.id);
        }
    }
}

/// The group order ℓ, little-endian: s + ℓ is the classic malleated ed25519 signature.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

#[test]
fn a_malleated_signature_is_refused() {
    for original in ORIGINALS.iter() {
        let parts: Value = serde_json::from_slice(&original.wire()).unwrap();
        let mut sig = URL_SAFE_NO_PAD.decode(parts["sig"].as_str().unwrap()).unwrap();
        let mut carry = 0u16;
        for (byte, ell) in sig[32..].iter_mut().zip(ELL) {
            let sum = u16::from(*byte) + u16::from(ell) + carry;
            *byte = (sum & 0xff) as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0, "s + ℓ fits 256 bits");
        let wire =
            wire_of(parts["signed"].as_str().unwrap(), parts["key"].as_str().unwrap(), &URL_SAFE_NO_PAD.encode(&sig));
        assert_eq!(SealedEnvelope::open(&wire, &KEYS).unwrap_err().code(), "bad_signature");
    }
}
