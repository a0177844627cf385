//! Every way `SealedEnvelope::open`, `Signed::decode`, `SealedReceipt::open` and
//! `SealedReconcileAsk::open` refuse bytes,
//! each with its stable code, and the round trips that make the stored evidence canonical.
//!
//! Refusals of a *payload* are built by signing the bad payload with the right key: a
//! signature proves who said something, never that it is well formed.

//!
//! The fixtures the tests share are here; the tests, by what they refuse, are in the submodules.

use ed25519_dalek::SigningKey;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::body::{AckBody, NoteBody, RequestBody};
use super::*;
use crate::ids::{CaseId, EnvelopeId, KeyRef, StationId};
use crate::keys::{KeyRing, PublicKey, Signer};
use crate::node::NewCase;

mod addressing;
mod key_checks;
mod payloads;
mod receipts;
mod reconcile_asks;
mod relays;
mod round_trips;
mod signatures;
mod wire_form;

/// When every envelope in these tests is dated.
const AT: OffsetDateTime = datetime!(2026-11-23 08:00 UTC);

fn station(id: &str) -> StationId {
    id.parse().unwrap()
}

fn luoyang() -> StationId {
    station("zj-taishun-luoyang")
}

fn xixi() -> StationId {
    station("fj-shouning-xixi")
}

fn mazhan() -> StationId {
    station("zj-cangnan-mazhan")
}

/// A station's `k1` signing key, derived from `seed` so every run signs the same bytes.
fn signer(station: StationId, seed: u8) -> Signer {
    Signer::new(KeyRef::new(station, "k1").unwrap(), SigningKey::from_bytes(&[seed; 32]))
}

fn luoyang_signer() -> Signer {
    signer(luoyang(), 1)
}

fn xixi_signer() -> Signer {
    signer(xixi(), 2)
}

/// The key ring of a node that knows 罗阳's and 犀溪's keys, both valid forever.
fn keys() -> KeyRing {
    let mut ring = KeyRing::default();
    for signer in [luoyang_signer(), xixi_signer()] {
        ring.insert(signer.key_ref().clone(), PublicKey::unbounded(signer.verifying_key()));
    }
    ring
}

/// The same ring, with 罗阳's key limited as `limit` says.
fn keys_with_luoyang(limit: impl FnOnce(PublicKey) -> PublicKey) -> KeyRing {
    let mut ring = keys();
    let luoyang = luoyang_signer();
    ring.insert(luoyang.key_ref().clone(), limit(PublicKey::unbounded(luoyang.verifying_key())));
    ring
}

fn officer() -> Signatory {
    Signatory { badge: "330329001".parse().unwrap(), name: "陈志强".into() }
}

/// A note from 罗阳 to 犀溪.
fn note() -> Envelope {
    Envelope {
        id: EnvelopeId::new(),
        case: CaseId::new(),
        from: luoyang(),
        to: vec![xixi()],
        at: AT,
        seq: 1,
        seen: [(xixi(), 0)].into(),
        body: Body::Note(NoteBody {
            officer: officer(),
            text: "老人可能已搭乘班车到达犀溪，请重点查看车站".into(),
            attachments: Vec::new(),
        }),
    }
}

/// An ack from 犀溪 to 罗阳, promising a report in four hours.
fn ack() -> Envelope {
    Envelope {
        id: EnvelopeId::new(),
        case: CaseId::new(),
        from: xixi(),
        to: vec![luoyang()],
        at: AT,
        seq: 0,
        seen: [(luoyang(), 1)].into(),
        body: Body::Ack(AckBody {
            officer: Signatory { badge: "350924002".parse().unwrap(), name: "黄立新".into() },
            report_by: Some(AT + Duration::hours(4)),
            message: Some("已安排警力在车站查找".into()),
        }),
    }
}

/// A request the way an officer's node builds it from a filled-in form.
fn request_body(new: NewCase, at: OffsetDateTime) -> RequestBody {
    new.into_request(officer(), at, crate::domain::deadline::DeadlinePolicy::default().urgent).1
}

/// 罗阳 asks 犀溪 and 马站 to look for a missing elderly man.
fn missing_person_request() -> Envelope {
    let targets = vec![xixi(), mazhan()];
    let new = crate::samples::missing_elderly_man(targets.clone(), AT);
    Envelope {
        id: EnvelopeId::new(),
        case: CaseId::new(),
        from: luoyang(),
        seen: targets.iter().map(|t| (t.clone(), 0)).collect(),
        to: targets,
        at: AT,
        seq: 0,
        body: Body::Request(Box::new(request_body(new, AT))),
    }
}

/// The payload `envelope` seals to, as text to edit.
fn payload_of(envelope: Envelope, signer: &Signer) -> String {
    let sealed = envelope.seal(signer).unwrap();
    String::from_utf8(sealed.signed.payload().to_vec()).unwrap()
}

/// Signs arbitrary payload text with a station's genuine envelope key.
fn signed_wire(payload: &str, signer: &Signer) -> Vec<u8> {
    Signed::sign(ENVELOPE_CONTEXT, payload.as_bytes().to_vec(), signer).encode()
}

/// `envelope`'s payload text changed by `edit`, then validly signed by `signer`.
fn resigned(envelope: Envelope, signer: &Signer, edit: impl FnOnce(&str) -> String) -> Vec<u8> {
    let payload = payload_of(envelope, signer);
    let edited = edit(&payload);
    assert_ne!(edited, payload, "the edit must change the payload");
    signed_wire(&edited, signer)
}

/// A note from 罗阳 whose payload text `edit` changes, then signed validly by 罗阳.
fn resigned_note(edit: impl FnOnce(&str) -> String) -> Vec<u8> {
    resigned(note(), &luoyang_signer(), edit)
}

/// Replaces the first `from` in `text`, insisting that it is there.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in {text}");
    text.replacen(from, to, 1)
}

/// The three wire fields of a valid sealed note, to reassemble in other ways.
struct WireParts {
    signed: String,
    key: String,
    sig: String,
}

/// Splits a wire into its fields.
fn parts_of(wire: &[u8]) -> WireParts {
    let value: serde_json::Value = serde_json::from_slice(wire).unwrap();
    let field = |name: &str| value[name].as_str().unwrap().to_owned();
    WireParts { signed: field("signed"), key: field("key"), sig: field("sig") }
}

/// The fields of a fresh note from 罗阳, validly sealed.
fn wire_parts() -> WireParts {
    parts_of(&note().seal(&luoyang_signer()).unwrap().wire())
}

fn wire(signed: &str, key: &str, sig: &str) -> Vec<u8> {
    format!(r#"{{"signed":"{signed}","key":"{key}","sig":"{sig}"}}"#).into_bytes()
}

/// Opens `wire` expecting a refusal, and checks the refusal's stable code.
fn refused(wire: &[u8], keys: &KeyRing, code: &str) -> EnvelopeError {
    let error = SealedEnvelope::open(wire, keys).expect_err("the envelope must be refused");
    assert_eq!(error.code(), code, "{error}");
    error
}
