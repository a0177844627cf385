//! Every way `SealedEnvelope::open`, `Signed::decode` and `SealedReceipt::open` refuse bytes,
//! each with its stable code, and the round trips that make the stored evidence canonical.
//!
//! Refusals of a *payload* are built by signing the bad payload with the right key: a
//! signature proves who said something, never that it is well formed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::body::{AckBody, NoteBody, RequestBody};
use super::*;
use crate::ids::{CaseId, EnvelopeId, KeyRef, StationId};
use crate::keys::{KeyRing, KeyUseError, PublicKey, Signer};
use crate::node::NewCase;

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
            officer: officer(), text: "老人可能已搭乘班车到达犀溪，请重点查看车站".into()
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

// --- round trips -------------------------------------------------------------------------

#[test]
fn a_sealed_note_opens_to_the_same_envelope_and_the_same_wire_bytes() {
    let envelope = note();
    let sealed = envelope.clone().seal(&luoyang_signer()).unwrap();
    let opened = SealedEnvelope::open(&sealed.wire(), &keys()).unwrap();
    assert_eq!(opened.envelope, envelope);
    assert_eq!(opened.wire(), sealed.wire());
    assert_eq!(opened.digest(), sealed.digest());
    assert_eq!(opened.key(), luoyang_signer().key_ref());
}

#[test]
fn a_sealed_missing_person_request_opens_to_the_same_envelope() {
    let envelope = missing_person_request();
    let Body::Request(request) = &envelope.body else { unreachable!() };
    assert!(request.review_by.is_some(), "the sample carries a review date");
    let sealed = envelope.clone().seal(&luoyang_signer()).unwrap();
    let opened = SealedEnvelope::open(&sealed.wire(), &keys()).unwrap();
    assert_eq!(opened.envelope, envelope);
    assert_eq!(opened.envelope.kind(), Kind::Request);
    assert_eq!(opened.wire(), sealed.wire());
}

#[test]
fn an_ack_from_the_other_station_opens_with_its_own_key() {
    let envelope = ack();
    let sealed = envelope.clone().seal(&xixi_signer()).unwrap();
    assert_eq!(SealedEnvelope::open(&sealed.wire(), &keys()).unwrap().envelope, envelope);
}

#[test]
fn a_respaced_reordered_wire_reopens_to_the_same_canonical_bytes() {
    let canonical = note().seal(&luoyang_signer()).unwrap().wire();
    let WireParts { signed, key, sig } = parts_of(&canonical);
    // Same content: other field order, whitespace inside the object, and a JSON escape
    // (`\u0031` is "1") in the key reference.
    let escaped_key = replace_once(&key, "#k1", "#k\\u0031");
    let respaced =
        format!("{{\n  \"sig\" : \"{sig}\",\n  \"key\" : \"{escaped_key}\",\n  \"signed\" : \"{signed}\"\n}}");
    assert_ne!(respaced.as_bytes(), canonical.as_slice());
    let reopened = SealedEnvelope::open(respaced.as_bytes(), &keys()).unwrap();
    let first = SealedEnvelope::open(&canonical, &keys()).unwrap();
    assert_eq!(reopened.wire(), canonical);
    assert_eq!(reopened.envelope, first.envelope);
}

#[test]
fn seal_refuses_a_signer_of_another_station() {
    let error = note().seal(&xixi_signer()).unwrap_err();
    assert_eq!(error.code(), "signer_mismatch");
    assert!(
        matches!(error, EnvelopeError::SignerMismatch { key_owner, from } if key_owner == xixi() && from == luoyang())
    );
}

#[test]
fn seal_refuses_bad_addressing() {
    let to_self = Envelope { to: vec![xixi(), luoyang()], ..note() };
    assert_eq!(to_self.seal(&luoyang_signer()).unwrap_err().code(), "bad_addressing");
    let to_nobody = Envelope { to: vec![], ..note() };
    assert_eq!(to_nobody.seal(&luoyang_signer()).unwrap_err().code(), "bad_addressing");
}

// --- too_large ---------------------------------------------------------------------------

#[test]
fn a_wire_over_the_size_limit_is_refused_before_anything_else() {
    let huge = vec![b' '; MAX_ENVELOPE_BYTES + 1];
    let error = refused(&huge, &keys(), "too_large");
    assert!(matches!(error, EnvelopeError::TooLarge(n) if n == MAX_ENVELOPE_BYTES + 1));
}

#[test]
fn a_valid_wire_of_exactly_the_size_limit_opens() {
    let wire = note().seal(&luoyang_signer()).unwrap().wire();
    let padding = " ".repeat(MAX_ENVELOPE_BYTES - wire.len());
    let padded = replace_once(std::str::from_utf8(&wire).unwrap(), "{", &format!("{{{padding}"));
    assert_eq!(padded.len(), MAX_ENVELOPE_BYTES);
    assert!(SealedEnvelope::open(padded.as_bytes(), &keys()).is_ok());
    let one_more = replace_once(&padded, "{", "{ ");
    refused(one_more.as_bytes(), &keys(), "too_large");
}

// --- malformed_envelope ------------------------------------------------------------------

#[test]
fn a_wire_that_is_not_json_is_a_malformed_envelope() {
    for not_json in [&b"not json"[..], b"{not json}", b"", b"[]", b"{\"signed\":\"\xff\"}"] {
        let error = refused(not_json, &keys(), "malformed_envelope");
        assert!(matches!(error, EnvelopeError::MalformedWire(_)), "{not_json:?}: {error:?}");
    }
}

#[test]
fn a_wire_that_repeats_a_key_is_a_malformed_envelope() {
    let WireParts { signed, key, sig } = wire_parts();
    let twice = format!(r#"{{"signed":"{signed}","key":"{key}","key":"{key}","sig":"{sig}"}}"#);
    let error = refused(twice.as_bytes(), &keys(), "malformed_envelope");
    assert!(error.to_string().contains("repeats a key"), "{error}");
}

#[test]
fn a_wire_with_an_unknown_field_is_a_malformed_envelope() {
    let WireParts { signed, key, sig } = wire_parts();
    let extra = format!(r#"{{"signed":"{signed}","key":"{key}","sig":"{sig}","relayed_by":"zj-cangnan-mazhan"}}"#);
    let error = refused(extra.as_bytes(), &keys(), "malformed_envelope");
    assert!(error.to_string().contains("relayed_by"), "{error}");
}

#[test]
fn a_wire_with_a_missing_or_mistyped_field_is_a_malformed_envelope() {
    let WireParts { signed, key, sig } = wire_parts();
    let no_sig = format!(r#"{{"signed":"{signed}","key":"{key}"}}"#);
    refused(no_sig.as_bytes(), &keys(), "malformed_envelope");
    let numeric_key = format!(r#"{{"signed":"{signed}","key":1,"sig":"{sig}"}}"#);
    refused(numeric_key.as_bytes(), &keys(), "malformed_envelope");
    let numeric_sig = format!(r#"{{"signed":"{signed}","key":"{key}","sig":12}}"#);
    refused(numeric_sig.as_bytes(), &keys(), "malformed_envelope");
}

#[test]
fn a_wire_with_trailing_data_is_a_malformed_envelope() {
    let wire = note().seal(&luoyang_signer()).unwrap().wire();
    for trailer in [&b" "[..], b"\n", b"{}", b"x"] {
        let mut trailed = wire.clone();
        trailed.extend_from_slice(trailer);
        refused(&trailed, &keys(), "malformed_envelope");
    }
}

#[test]
fn a_wire_with_a_byte_order_mark_or_leading_space_is_a_malformed_envelope() {
    let wire = note().seal(&luoyang_signer()).unwrap().wire();
    for prefix in [&b"\xEF\xBB\xBF"[..], b" "] {
        let prefixed = [prefix, &wire].concat();
        refused(&prefixed, &keys(), "malformed_envelope");
    }
}

// --- bad_base64 and bad_signature_length -------------------------------------------------

#[test]
fn signed_that_is_not_base64url_without_padding_is_refused() {
    let WireParts { key, sig, .. } = wire_parts();
    // Standard alphabet, padding, a stray character, and non-canonical trailing bits.
    for bad in ["ab+/", "YQ==", "ab!c", "YR"] {
        let error = refused(&wire(bad, &key, &sig), &keys(), "bad_base64");
        assert!(matches!(error, EnvelopeError::BadBase64("signed")), "{bad}: {error:?}");
    }
}

#[test]
fn sig_that_is_not_base64url_without_padding_is_refused() {
    let WireParts { signed, key, sig } = wire_parts();
    let padded = format!("{sig}==");
    let standard = sig.replace('-', "+").replace('_', "/") + "+";
    for bad in [padded.as_str(), standard.as_str(), "not base64"] {
        let error = refused(&wire(&signed, &key, bad), &keys(), "bad_base64");
        assert!(matches!(error, EnvelopeError::BadBase64("sig")), "{bad}: {error:?}");
    }
}

#[test]
fn a_signature_that_is_not_64_bytes_is_refused() {
    let WireParts { signed, key, .. } = wire_parts();
    for len in [0, 63, 65] {
        let sig = URL_SAFE_NO_PAD.encode(vec![7u8; len]);
        let error = refused(&wire(&signed, &key, &sig), &keys(), "bad_signature_length");
        assert!(matches!(error, EnvelopeError::BadSignatureLength(n) if n == len), "{error:?}");
    }
}

// --- unknown_key -------------------------------------------------------------------------

#[test]
fn a_key_reference_not_in_the_key_ring_is_an_unknown_key() {
    let WireParts { signed, sig, .. } = wire_parts();
    for unknown in ["zj-taishun-luoyang#k2", "zj-cangnan-mazhan#k1"] {
        let error = refused(&wire(&signed, unknown, &sig), &keys(), "unknown_key");
        assert!(matches!(&error, EnvelopeError::UnknownKey(k) if k == unknown), "{error:?}");
    }
}

#[test]
fn a_malformed_key_reference_is_an_unknown_key() {
    let WireParts { signed, sig, .. } = wire_parts();
    for malformed in ["zj-taishun-luoyang", "zj-taishun-luoyang#", "ZJ-Taishun#k1", "#k1", "zj-taishun-luoyang#k 1"] {
        let error = refused(&wire(&signed, malformed, &sig), &keys(), "unknown_key");
        assert!(matches!(&error, EnvelopeError::UnknownKey(k) if k == malformed), "{error:?}");
    }
}

#[test]
fn a_valid_envelope_from_a_station_whose_key_is_unknown_is_refused() {
    let unknown_signer = signer(mazhan(), 3);
    let envelope = Envelope { from: mazhan(), to: vec![luoyang()], seen: [(luoyang(), 1)].into(), ..note() };
    let wire = envelope.seal(&unknown_signer).unwrap().wire();
    refused(&wire, &keys(), "unknown_key");
}

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

// --- malformed_payload -------------------------------------------------------------------

/// Opens a payload edited and re-signed by 罗阳, expecting `malformed_payload`.
fn malformed_payload(edit: impl FnOnce(&str) -> String) -> String {
    let error = refused(&resigned_note(edit), &keys(), "malformed_payload");
    assert!(matches!(error, EnvelopeError::MalformedPayload(_)), "{error:?}");
    error.to_string()
}

#[test]
fn a_validly_signed_payload_with_a_duplicate_key_is_refused() {
    let message = malformed_payload(|p| replace_once(p, r#"{"v":1,"#, r#"{"v":1,"v":1,"#));
    assert!(message.contains("repeats a key"), "{message}");
    let message = malformed_payload(|p| replace_once(p, r#""text":"#, r#""text":"另一段文字","text":"#));
    assert!(message.contains("repeats a key"), "{message}");
}

#[test]
fn a_validly_signed_request_with_a_duplicate_key_inside_its_details_is_refused() {
    // Details are an internally tagged enum, the place where serde alone would buffer values.
    let payload = payload_of(missing_person_request(), &luoyang_signer());
    let doubled =
        replace_once(&payload, r#""kind":"missing_person","#, r#""kind":"missing_person","kind":"fugitive","#);
    let error = refused(&signed_wire(&doubled, &luoyang_signer()), &keys(), "malformed_payload");
    assert!(error.to_string().contains("repeats a key"), "{error}");
}

#[test]
fn a_validly_signed_payload_with_an_unknown_field_is_refused() {
    let message = malformed_payload(|p| replace_once(p, r#"{"v":1,"#, r#"{"v":1,"relay":"zj-cangnan-mazhan","#));
    assert!(message.contains("relay"), "{message}");
    let message = malformed_payload(|p| replace_once(p, r#""text":"#, r#""urgent":true,"text":"#));
    assert!(message.contains("urgent"), "{message}");
}

#[test]
fn a_validly_signed_payload_with_trailing_data_is_refused() {
    malformed_payload(|p| format!("{p} "));
    malformed_payload(|p| format!("{p}{{}}"));
    malformed_payload(|p| format!("{p}\n"));
}

#[test]
fn a_validly_signed_payload_with_a_float_is_refused() {
    let message = malformed_payload(|p| replace_once(p, r#"{"v":1,"#, r#"{"v":1.0,"#));
    assert!(message.contains("not a 64-bit integer"), "{message}");
}

#[test]
fn a_validly_signed_payload_missing_a_field_is_refused() {
    let message = malformed_payload(|p| replace_once(p, r#""at":"2026-11-23T08:00:00Z","#, ""));
    assert!(message.contains("`at`"), "{message}");
    malformed_payload(|p| replace_once(p, r#""kind":"note","#, ""));
}

#[test]
fn a_validly_signed_payload_with_an_unknown_kind_is_refused() {
    malformed_payload(|p| replace_once(p, r#""kind":"note""#, r#""kind":"forward""#));
}

#[test]
fn a_body_that_does_not_match_its_kind_is_refused() {
    // An ack body labelled `note`: the kind decides the schema, so it cannot be read as a note.
    let payload = payload_of(ack(), &xixi_signer());
    let relabelled = replace_once(&payload, r#""kind":"ack""#, r#""kind":"note""#);
    let error = refused(&signed_wire(&relabelled, &xixi_signer()), &keys(), "malformed_payload");
    assert!(error.to_string().contains("body of note"), "{error}");
    // And a note body labelled `ack`.
    malformed_payload(|p| replace_once(p, r#""kind":"note""#, r#""kind":"ack""#));
}

#[test]
fn a_validly_signed_payload_with_a_malformed_identifier_is_refused() {
    malformed_payload(|p| replace_once(p, r#""from":"zj-taishun-luoyang""#, r#""from":"ZJ Taishun""#));
    // One id has one spelling: the same case id in upper case is refused.
    let envelope = note();
    let case = envelope.case.to_string();
    let wire = resigned(envelope, &luoyang_signer(), |p| replace_once(p, &case, &case.to_uppercase()));
    refused(&wire, &keys(), "malformed_payload");
}

#[test]
fn a_payload_dated_in_another_offset_than_utc_is_refused() {
    for at in ["2026-11-23T16:00:00+08:00", "2026-11-23t08:00:00z"] {
        let wire = resigned_note(|p| replace_once(p, r#""at":"2026-11-23T08:00:00Z""#, &format!(r#""at":"{at}""#)));
        refused(&wire, &keys(), "malformed_payload");
    }
}

// --- unsupported_version -----------------------------------------------------------------

#[test]
fn a_validly_signed_payload_of_version_2_is_refused() {
    let error =
        refused(&resigned_note(|p| replace_once(p, r#"{"v":1,"#, r#"{"v":2,"#)), &keys(), "unsupported_version");
    assert!(matches!(error, EnvelopeError::UnsupportedVersion(2)));
}

// --- bad_addressing ----------------------------------------------------------------------

fn badly_addressed(to: &str) -> EnvelopeError {
    let wire = resigned_note(|p| replace_once(p, r#""to":["fj-shouning-xixi"]"#, &format!(r#""to":{to}"#)));
    refused(&wire, &keys(), "bad_addressing")
}

#[test]
fn an_envelope_addressed_to_nobody_is_refused() {
    assert!(matches!(badly_addressed("[]"), EnvelopeError::BadAddressing(m) if m.contains("empty")));
}

#[test]
fn an_envelope_addressed_twice_to_the_same_station_is_refused() {
    let error = badly_addressed(r#"["fj-shouning-xixi","zj-cangnan-mazhan","fj-shouning-xixi"]"#);
    assert!(matches!(error, EnvelopeError::BadAddressing(m) if m.contains("repeats")));
}

#[test]
fn an_envelope_addressed_to_its_sender_is_refused() {
    let error = badly_addressed(r#"["fj-shouning-xixi","zj-taishun-luoyang"]"#);
    assert!(matches!(error, EnvelopeError::BadAddressing(m) if m.contains("sender")));
}

// --- bad_sequence ------------------------------------------------------------------------

fn badly_sequenced(envelope: Envelope, signer: &Signer, from: &str, to: &str) -> EnvelopeError {
    let wire = resigned(envelope, signer, |p| replace_once(p, from, to));
    refused(&wire, &keys(), "bad_sequence")
}

#[test]
fn seen_must_name_exactly_the_addressees() {
    let original = r#""seen":{"fj-shouning-xixi":0}"#;
    for seen in
        [r#""seen":{}"#, r#""seen":{"zj-cangnan-mazhan":0}"#, r#""seen":{"fj-shouning-xixi":0,"zj-cangnan-mazhan":0}"#]
    {
        let error = badly_sequenced(note(), &luoyang_signer(), original, seen);
        assert!(matches!(error, EnvelopeError::BadSequence(m) if m.contains("`to`")), "{seen}");
    }
    let missing = resigned_note(|p| replace_once(p, &format!(",{original}"), ""));
    refused(&missing, &keys(), "malformed_payload");
}

#[test]
fn a_request_comes_first_and_has_seen_nothing() {
    let error = badly_sequenced(missing_person_request(), &luoyang_signer(), r#""seq":0"#, r#""seq":3"#);
    assert!(matches!(error, EnvelopeError::BadSequence(m) if m.contains("request")));
    badly_sequenced(missing_person_request(), &luoyang_signer(), r#""fj-shouning-xixi":0"#, r#""fj-shouning-xixi":1"#);
}

#[test]
fn only_a_request_comes_before_everything_else() {
    let error = badly_sequenced(note(), &luoyang_signer(), r#""seq":1"#, r#""seq":0"#);
    assert!(matches!(error, EnvelopeError::BadSequence(m) if m.contains("only a request")));
    // A target's first envelope is its `seq` 0, after the request it has seen.
    assert!(SealedEnvelope::open(&ack().seal(&xixi_signer()).unwrap().wire(), &keys()).is_ok());
}

#[test]
fn seal_refuses_a_bad_sequence() {
    let stray = Envelope { seen: [(mazhan(), 0)].into(), ..note() };
    assert_eq!(stray.seal(&luoyang_signer()).unwrap_err().code(), "bad_sequence");
    let late_request = Envelope { seq: 2, ..missing_person_request() };
    assert_eq!(late_request.seal(&luoyang_signer()).unwrap_err().code(), "bad_sequence");
}

// --- key validity at the envelope's time -------------------------------------------------

#[test]
fn a_key_revoked_before_the_envelope_was_signed_is_refused() {
    let wire = note().seal(&luoyang_signer()).unwrap().wire();
    let ring = keys_with_luoyang(|k| PublicKey { revoked_from: Some(AT - Duration::days(1)), ..k });
    let error = refused(&wire, &ring, "key_revoked");
    assert!(matches!(error, EnvelopeError::KeyNotUsable { reason: KeyUseError::Revoked, .. }));
    let at_the_moment = keys_with_luoyang(|k| PublicKey { revoked_from: Some(AT), ..k });
    refused(&wire, &at_the_moment, "key_revoked");
}

#[test]
fn a_key_revoked_after_the_envelope_was_signed_still_verifies_it() {
    let wire = note().seal(&luoyang_signer()).unwrap().wire();
    let ring = keys_with_luoyang(|k| PublicKey { revoked_from: Some(AT + Duration::seconds(1)), ..k });
    assert!(SealedEnvelope::open(&wire, &ring).is_ok());
}

#[test]
fn a_key_expired_by_the_envelope_time_is_refused() {
    let wire = note().seal(&luoyang_signer()).unwrap().wire();
    let ring = keys_with_luoyang(|k| PublicKey { valid_until: Some(AT), ..k });
    let error = refused(&wire, &ring, "key_expired");
    assert!(matches!(error, EnvelopeError::KeyNotUsable { reason: KeyUseError::Expired, .. }));
    let still_valid = keys_with_luoyang(|k| PublicKey { valid_until: Some(AT + Duration::seconds(1)), ..k });
    assert!(SealedEnvelope::open(&wire, &still_valid).is_ok());
}

#[test]
fn a_key_not_yet_valid_at_the_envelope_time_is_refused() {
    let wire = note().seal(&luoyang_signer()).unwrap().wire();
    let ring = keys_with_luoyang(|k| PublicKey { valid_from: Some(AT + Duration::seconds(1)), ..k });
    let error = refused(&wire, &ring, "key_not_yet_valid");
    assert!(matches!(error, EnvelopeError::KeyNotUsable { reason: KeyUseError::NotYetValid, .. }));
    let from_now = keys_with_luoyang(|k| PublicKey { valid_from: Some(AT), ..k });
    assert!(SealedEnvelope::open(&wire, &from_now).is_ok());
}

// --- receipts ----------------------------------------------------------------------------

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
    assert_eq!(opened.receipt, receipt.receipt);
    assert_eq!(opened.wire(), receipt.wire());
    assert_eq!(opened.receipt.envelope, sealed.envelope.id);
    assert_eq!(opened.receipt.from, xixi());
    assert_eq!(opened.receipt.to, luoyang());
    assert_eq!(opened.receipt.stored_at, STORED_AT);
    assert_eq!(opened.receipt.sha256, hex::encode(sealed.digest()));
    assert!(opened.matches(&sealed));
}

#[test]
fn a_receipt_does_not_match_other_envelope_bytes() {
    let (sealed, receipt) = note_and_receipt();
    let other = note().seal(&luoyang_signer()).unwrap();
    assert!(!receipt.matches(&other));
    // The same envelope id with other bytes (a conflicting copy) is not vouched for either.
    let altered = Envelope {
        body: Body::Note(NoteBody { officer: officer(), text: "改过的内容".into() }),
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
