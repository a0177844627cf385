//! Randomised attacks on what crosses a border: arbitrary bytes, and valid envelopes and
//! receipts mutated at the byte, wire-JSON and payload level (see [`super::mutate`]).
//!
//! The property is the same everywhere: with real keys in the ring, opening succeeds only for
//! what a real signer produced. A mutation that is refused is fine; one that opens must be a
//! real envelope written another way (whitespace, field order, a `\u` escape — or the donor
//! envelope re-assembled whole from its own fields), and reopen to its exact canonical bytes.
//! Payload edits re-signed with the legitimate key (level d) may open, but only to exactly
//! what was signed, read the same by a generic JSON parser, and sealing back to itself.
//!
//! Case counts are sized for a debug build on two cores (the file runs in about 3 s);
//! `PROPTEST_CASES` sets them all, and the counted runs read `TIEMENG_MUTATIONS` (default
//! 10 000), `TIEMENG_RESIGNED` (default 1 000) and `TIEMENG_MUTATION_SEED`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::datetime;

use super::body::{AckBody, NoteBody};
use super::mutate::{
    self, ALPHABET, KEY_REFS, Sampler, apply_all, cases, count_from_env, mutations, payload_edit, unused_bits,
};
use super::strict_json::{self, MAX_DEPTH, StrictJsonError};
use super::*;
use crate::ids::{CaseId, EnvelopeId, KeyRef, StationId};
use crate::keys::{KeyRing, PublicKey, Signer};
use crate::node::NewCase;

/// When every envelope here is dated.
const AT: OffsetDateTime = datetime!(2026-11-23 08:00 UTC);

fn station(id: &str) -> StationId {
    id.parse().unwrap()
}

fn envelope_id(n: u8) -> EnvelopeId {
    format!("01936b2e-9c40-7a00-8000-0000000000{n:02x}").parse().unwrap()
}

fn case_id(n: u8) -> CaseId {
    format!("01936b2e-9c40-7c00-8000-0000000000{n:02x}").parse().unwrap()
}

/// 罗阳 (seed 1) and 犀溪 (seed 2) are in the ring; 马站 (seed 3) is not.
fn signer(id: &str, seed: u8) -> Signer {
    Signer::new(KeyRef::new(station(id), "k1").unwrap(), SigningKey::from_bytes(&[seed; 32]))
}

fn luoyang() -> Signer {
    signer("zj-taishun-luoyang", 1)
}

fn xixi() -> Signer {
    signer("fj-shouning-xixi", 2)
}

/// The ring's signer for `station`, to re-sign what that station sent.
fn signer_of(station: &StationId) -> Signer {
    [luoyang(), xixi()].into_iter().find(|s| s.station() == station).unwrap()
}

fn keys() -> KeyRing {
    let mut ring = KeyRing::default();
    for signer in [luoyang(), xixi()] {
        ring.insert(signer.key_ref().clone(), PublicKey::unbounded(signer.verifying_key()));
    }
    ring
}

fn officer() -> Signatory {
    Signatory { badge: "330329001".parse().unwrap(), name: "陈志强".into() }
}

fn request(new: NewCase) -> Body {
    Body::Request(Box::new(
        new.into_request(officer(), AT, crate::domain::deadline::DeadlinePolicy::default().urgent).1,
    ))
}

/// Four valid envelopes of different shapes: a note and two requests from 罗阳, an ack from 犀溪.
static ORIGINALS: LazyLock<Vec<SealedEnvelope>> = LazyLock::new(|| {
    let (xixi_id, mazhan_id) = (station("fj-shouning-xixi"), station("zj-cangnan-mazhan"));
    let from_luoyang = |n: u8, to: Vec<StationId>, body: Body| {
        let (seq, seen) = if body.kind() == Kind::Request { (0, 0) } else { (1, 0) };
        let seen = to.iter().map(|t: &StationId| (t.clone(), seen)).collect();
        let envelope = Envelope {
            id: envelope_id(n),
            case: case_id(n),
            from: luoyang().station().clone(),
            to,
            at: AT,
            seq,
            seen,
            body,
        };
        envelope.seal(&luoyang()).unwrap()
    };
    let note = Body::Note(NoteBody {
        officer: officer(), text: "老人可能已搭乘班车到达犀溪，请重点查看车站".into()
    });
    let missing = request(crate::samples::missing_elderly_man(vec![xixi_id.clone(), mazhan_id.clone()], AT));
    let fugitive = request(crate::samples::fugitive_alert(vec![xixi_id.clone()], AT));
    let ack = Envelope {
        id: envelope_id(4),
        case: case_id(1),
        from: xixi_id.clone(),
        to: vec![luoyang().station().clone()],
        at: AT,
        seq: 0,
        seen: [(luoyang().station().clone(), 1)].into(),
        body: Body::Ack(AckBody {
            officer: Signatory { badge: "350924002".parse().unwrap(), name: "黄立新".into() },
            report_by: Some(AT + time::Duration::hours(4)),
            message: Some("已安排警力在车站查找".into()),
        }),
    };
    vec![
        from_luoyang(1, vec![xixi_id.clone()], note),
        from_luoyang(2, vec![xixi_id.clone(), mazhan_id], missing),
        from_luoyang(3, vec![xixi_id], fugitive),
        ack.seal(&xixi()).unwrap(),
    ]
});

static KEYS: LazyLock<KeyRing> = LazyLock::new(keys);

/// 犀溪's receipt for the note and 罗阳's receipt for the ack.
static RECEIPTS: LazyLock<Vec<SealedReceipt>> = LazyLock::new(|| {
    let stored_at = AT + time::Duration::seconds(2);
    let [note, .., ack] = ORIGINALS.as_slice() else { unreachable!() };
    vec![
        Receipt::for_envelope(note, xixi().station().clone(), stored_at).seal(&xixi()).unwrap(),
        Receipt::for_envelope(ack, luoyang().station().clone(), stored_at).seal(&luoyang()).unwrap(),
    ]
});

/// The real envelope `opened` re-encodes, if any: the only thing a mutation may open to is
/// one of the originals, spelt another way (or re-assembled whole from the donor's fields).
fn real_original(opened: &SealedEnvelope) -> Option<&'static SealedEnvelope> {
    ORIGINALS.iter().find(|o| o.wire() == opened.wire() && o.envelope == opened.envelope)
}

/// Opens a mutated envelope wire. A refusal gives its code; an acceptance must be a real
/// envelope, reopening to its exact canonical bytes.
fn open_mutated(wire: &[u8]) -> Result<Option<&'static str>, TestCaseError> {
    // Neither the decoder nor the pre-parse may panic on anything.
    let _ = Signed::decode(wire);
    let _ = strict_json::check(wire);
    match SealedEnvelope::open(wire, &KEYS) {
        Err(error) => Ok(Some(error.code())),
        Ok(opened) => {
            prop_assert!(real_original(&opened).is_some(), "a mutation opened to {:?}", opened.envelope);
            Ok(None)
        }
    }
}

fn open_mutated_receipt(wire: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(opened) = SealedReceipt::open(wire, &KEYS) {
        let real = RECEIPTS.iter().any(|r| r.wire() == opened.wire() && r.receipt == opened.receipt);
        prop_assert!(real, "a mutated receipt opened to {:?}", opened.receipt);
    }
    Ok(())
}

/// Checks an envelope re-signed by a legitimate key after its payload was edited: refused, or
/// opened to exactly what was signed, from the key's owner, sealing and opening back to itself.
/// Returns whether it opened.
fn open_resigned(payload: &[u8], wire: &[u8]) -> Result<bool, TestCaseError> {
    let Ok(opened) = SealedEnvelope::open(wire, &KEYS) else { return Ok(false) };
    prop_assert_eq!(opened.signed.payload(), payload, "the stored evidence must be the signed bytes");
    prop_assert_eq!(opened.key().station(), &opened.envelope.from);
    // A generic parser reads the same header as the typed one: no field is read two ways.
    let value: Value = serde_json::from_slice(payload).unwrap();
    let header = value.as_object().unwrap();
    let known = ["v", "id", "case", "kind", "from", "to", "at", "seq", "seen", "body"];
    prop_assert!(header.keys().all(|k| known.contains(&k.as_str())), "unknown field accepted: {value}");
    let envelope = &opened.envelope;
    prop_assert_eq!(&header["v"], &Value::from(VERSION));
    prop_assert_eq!(&header["id"], &Value::from(envelope.id.to_string()));
    prop_assert_eq!(&header["case"], &Value::from(envelope.case.to_string()));
    prop_assert_eq!(&header["kind"], &Value::from(envelope.kind().to_string()));
    prop_assert_eq!(&header["from"], &Value::from(envelope.from.to_string()));
    let to: Vec<Value> = envelope.to.iter().map(|s| Value::from(s.to_string())).collect();
    prop_assert_eq!(&header["to"], &Value::Array(to));
    prop_assert_eq!(&header["seq"], &Value::from(envelope.seq));
    let seen: serde_json::Map<String, Value> =
        envelope.seen.iter().map(|(s, n)| (s.to_string(), Value::from(*n))).collect();
    prop_assert_eq!(&header["seen"], &Value::Object(seen));
    // The canonical wire reopens to the same; open(seal(x)) == x, and sealing is a fixed point.
    let again = SealedEnvelope::open(&opened.wire(), &KEYS).unwrap();
    prop_assert_eq!(&again.envelope, envelope);
    let signer = signer_of(&envelope.from);
    let resealed = envelope.clone().seal(&signer).unwrap();
    let reopened = SealedEnvelope::open(&resealed.wire(), &KEYS).unwrap();
    prop_assert_eq!(&reopened.envelope, envelope);
    prop_assert_eq!(reopened.envelope.clone().seal(&signer).unwrap().wire(), resealed.wire());
    Ok(true)
}

fn wire_of(signed: &str, key: &str, sig: &str) -> Vec<u8> {
    format!(r#"{{"signed":"{signed}","key":"{key}","sig":"{sig}"}}"#).into_bytes()
}

// --- arbitrary input ---------------------------------------------------------------------

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

// --- mutations of valid envelopes and receipts -------------------------------------------

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

// --- exhaustive single-bit flips ---------------------------------------------------------

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

// --- counted, seeded runs ----------------------------------------------------------------

/// The seed of the counted runs unless `TIEMENG_MUTATION_SEED` names another.
const DEFAULT_SEED: u64 = 0x2026_1123_0800;

fn seed() -> u64 {
    std::env::var("TIEMENG_MUTATION_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_SEED)
}

#[test]
fn seeded_mutations_of_valid_envelopes_open_nothing_new() {
    let tries = count_from_env("TIEMENG_MUTATIONS", 10_000);
    let seed = seed();
    let mut sampler = Sampler::seeded(seed);
    let strategy = mutations();
    let (mut accepted, mut same, mut donor_whole) = (0usize, 0usize, 0usize);
    let mut refusals: BTreeMap<&'static str, usize> = BTreeMap::new();
    for i in 0..tries {
        let original = &ORIGINALS[sampler.below(ORIGINALS.len())];
        let donor = &ORIGINALS[sampler.below(ORIGINALS.len())];
        let edits = sampler.draw(&strategy);
        let wire = apply_all(&original.wire(), &donor.wire(), &edits);
        match SealedEnvelope::open(&wire, &KEYS) {
            Ok(opened) if opened.envelope == original.envelope && opened.wire() == original.wire() => same += 1,
            Ok(opened) if real_original(&opened).is_some() => donor_whole += 1,
            Ok(_) => {
                accepted += 1;
                eprintln!("mutation {i} accepted: {edits:?}\n{}", String::from_utf8_lossy(&wire));
            }
            Err(error) => *refusals.entry(error.code()).or_default() += 1,
        }
    }
    println!("tried {tries}, accepted {accepted}");
    println!(
        "  seed {seed}; unchanged or equivalent spellings that reopened to the original's exact bytes: {same}; \
         the donor envelope re-assembled whole from its own fields: {donor_whole}; refusals by code: {refusals:?}"
    );
    assert_eq!(accepted, 0);
}

#[test]
fn seeded_resigned_payload_edits_open_only_to_what_was_signed() {
    let tries = count_from_env("TIEMENG_RESIGNED", 1_000);
    let mut sampler = Sampler::seeded(seed() ^ 0xd);
    let strategy = proptest::collection::vec(payload_edit(), 1..3);
    let mut opened = 0;
    for _ in 0..tries {
        let original = &ORIGINALS[sampler.below(ORIGINALS.len())];
        let edits = sampler.draw(&strategy);
        let payload = edits.iter().fold(original.signed.payload().to_vec(), |p, e| e.apply(&p));
        let wire = Signed::sign(ENVELOPE_CONTEXT, payload.clone(), &signer_of(&original.envelope.from)).encode();
        match open_resigned(&payload, &wire) {
            Ok(true) => opened += 1,
            Ok(false) => {}
            Err(failure) => panic!("{failure}\nedits: {edits:?}\npayload: {}", String::from_utf8_lossy(&payload)),
        }
    }
    println!("re-signed: tried {tries}, opened {opened}, every one consistent with what was signed");
    assert!(opened > 0, "no re-signed edit opened: the property was never exercised");
}

// --- the strict JSON pre-parse against a model -------------------------------------------

/// A JSON document as generated, with what the strict pre-parse must say about it.
#[derive(Debug, Clone)]
enum Json {
    Scalar(String),
    Float(String),
    Array(Vec<Json>),
    /// Keys as raw JSON text (possibly escaped) with their decoded value, then the member.
    Object(Vec<(String, String, Json)>),
}

impl Json {
    fn render(&self, out: &mut String, spaced: bool) {
        let gap = if spaced { "\n " } else { "" };
        match self {
            Self::Scalar(text) | Self::Float(text) => out.push_str(text),
            Self::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i > 0 { "," } else { gap });
                    item.render(out, spaced);
                }
                out.push(']');
            }
            Self::Object(members) => {
                out.push('{');
                for (i, (raw, _, value)) in members.iter().enumerate() {
                    out.push_str(if i > 0 { "," } else { gap });
                    out.push_str(raw);
                    out.push_str(gap);
                    out.push(':');
                    value.render(out, spaced);
                }
                out.push_str(gap);
                out.push('}');
            }
        }
    }

    /// Every reason the walk can refuse this value at `depth`. The walk takes a level for an
    /// array's next element before it knows there is one, so an array (even an empty one)
    /// needs a level below it, while an object needs one only when it has a member.
    fn violations(&self, depth: usize, found: &mut Vec<StrictJsonError>) {
        match self {
            Self::Scalar(_) => {}
            Self::Float(_) => found.push(StrictJsonError::NotAnInteger),
            Self::Array(items) => {
                if depth + 1 > MAX_DEPTH {
                    found.push(StrictJsonError::TooDeep);
                    return;
                }
                items.iter().for_each(|item| item.violations(depth + 1, found));
            }
            Self::Object(members) => {
                let mut seen = std::collections::BTreeSet::new();
                if members.iter().any(|(_, key, _)| !seen.insert(key)) {
                    found.push(StrictJsonError::DuplicateKey);
                }
                if !members.is_empty() && depth + 1 > MAX_DEPTH {
                    found.push(StrictJsonError::TooDeep);
                    return;
                }
                members.iter().for_each(|(_, _, value)| value.violations(depth + 1, found));
            }
        }
    }
}

fn json_key() -> impl Strategy<Value = (String, String)> {
    (select(vec!["a", "b", "k", "键", "😀", "", "a\u{0}"]), any::<bool>(), any::<usize>()).prop_map(
        |(key, escape, at)| {
            let raw =
                if escape && !key.is_empty() { mutate::escape_one(key, at) } else { Value::from(key).to_string() };
            (raw, key.to_owned())
        },
    )
}

fn json_leaf() -> impl Strategy<Value = Json> {
    prop_oneof![
        select(vec!["null", "true", "false", "0", "\"\""]).prop_map(|s| Json::Scalar(s.to_owned())),
        any::<i64>().prop_map(|n| Json::Scalar(n.to_string())),
        any::<u64>().prop_map(|n| Json::Scalar(n.to_string())),
        any::<String>().prop_map(|s| Json::Scalar(Value::from(s).to_string())),
        // serde_json reads `-0` as the float -0.0, to keep its sign, so it is no integer either.
        select(vec!["1.0", "1e3", "-0.0", "-0", "0.5", "1E-2", "18446744073709551616", "-9223372036854775809"])
            .prop_map(|s| Json::Float(s.to_owned())),
    ]
}

fn json_value() -> impl Strategy<Value = Json> {
    let tree = json_leaf().prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            proptest::collection::vec((json_key(), inner), 0..4)
                .prop_map(|members| Json::Object(members.into_iter().map(|((raw, key), v)| (raw, key, v)).collect())),
        ]
    });
    // Chains of nesting either side of MAX_DEPTH, ending in any value.
    let deep = (tree.clone(), MAX_DEPTH - 4..MAX_DEPTH + 4, any::<bool>()).prop_map(|(mut value, levels, objects)| {
        for _ in 0..levels {
            value = if objects {
                Json::Object(vec![("\"d\"".to_owned(), "d".to_owned(), value)])
            } else {
                Json::Array(vec![value])
            };
        }
        value
    });
    prop_oneof![3 => tree, 1 => deep]
}

proptest! {
    #![proptest_config(cases(1024))]

    #[test]
    fn strict_json_refuses_exactly_what_the_model_refuses(
        members in proptest::collection::vec((json_key(), json_value()), 0..5),
        spaced in any::<bool>(),
    ) {
        let doc = Json::Object(members.into_iter().map(|((raw, key), v)| (raw, key, v)).collect());
        let mut text = String::new();
        doc.render(&mut text, spaced);
        let mut found = Vec::new();
        doc.violations(0, &mut found);
        match strict_json::check(text.as_bytes()) {
            Ok(()) => {
                prop_assert!(found.is_empty(), "accepted despite {found:?}: {text}");
                prop_assert!(serde_json::from_str::<Value>(&text).is_ok(), "accepted what serde_json cannot read");
            }
            Err(reason) => {
                prop_assert!(found.contains(&reason), "refused as {reason:?}, model found {found:?}: {text}");
            }
        }
    }

    #[test]
    fn strict_json_never_accepts_what_serde_json_refuses(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut framed = b"{\"a\":".to_vec();
        framed.extend_from_slice(&bytes);
        framed.push(b'}');
        for input in [&bytes, &framed] {
            if strict_json::check(input).is_ok() {
                prop_assert!(serde_json::from_slice::<Value>(input).is_ok());
            }
        }
    }
}
