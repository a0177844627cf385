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
//! Case counts are sized for a debug build on two cores (they run in about 3 s);
//! `PROPTEST_CASES` sets them all, and the counted runs read `TIEMENG_MUTATIONS` (default
//! 10 000), `TIEMENG_RESIGNED` (default 1 000) and `TIEMENG_MUTATION_SEED`.
//!
//! The fixtures and checks the tests share are here; the tests, by kind of attack, are in the
//! submodules.

use std::sync::LazyLock;

use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::datetime;

use super::body::{AckBody, NoteBody};
use super::strict_json;
use super::*;
use crate::ids::{CaseId, EnvelopeId, KeyRef, StationId};
use crate::keys::{KeyRing, PublicKey, Signer};
use crate::node::NewCase;

mod arbitrary;
mod exhaustive;
mod json_model;
mod mutated;
mod seeded;

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
        officer: officer(),
        text: "老人可能已搭乘班车到达犀溪，请重点查看车站".into(),
        attachments: Vec::new(),
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
        let real = RECEIPTS.iter().any(|r| r.wire() == opened.wire() && r.statement == opened.statement);
        prop_assert!(real, "a mutated receipt opened to {:?}", opened.statement);
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
