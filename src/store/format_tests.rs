//! The stored forms of records, byte for byte. Several records double as API views (they
//! derive `ToSchema`); renaming or retyping a field for the API would silently change what is
//! on disk, and stores written before would no longer read. These tests pin each stored form:
//! if one fails, the change is a change of the disk format, and needs a new version byte and
//! a reader for the old one (`codec`), not a new golden string.

use time::macros::datetime;

use super::*;
use crate::case::{CaseRecord, Exchange, TargetRecord};
use crate::domain::case::{DeclineReason, Outcome, Priority, Restriction};
use crate::domain::details::{CaseKind, SubjectKey};
use crate::domain::lifecycle::TargetState;
use crate::envelope::Kind;
use crate::ids::{CaseId, EnvelopeId};
use crate::node::health::{PeerError, Remembered};

fn id(n: u8) -> [u8; 16] {
    [0, 0, 0, 0, 0, n, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, n]
}

fn station(text: &str) -> StationId {
    text.parse().unwrap_or_else(|_| unreachable!("a valid station id"))
}

fn assert_stored<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
    value: &T,
    golden: &str,
) {
    let written = codec::encode(value).unwrap_or_default();
    assert_eq!(written[0], 1, "version byte");
    let text = String::from_utf8_lossy(&written[1..]).into_owned();
    assert_eq!(text, golden, "the stored form changed: this is a change of the disk format");
    let read: T = codec::decode(&written, "golden").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&read, value, "and it reads back");
}

#[test]
fn a_case_record_is_stored_as_it_always_was() {
    let at = datetime!(2026-11-23 08:00 UTC);
    let target = TargetRecord {
        station: station("fj-shouning-xixi"),
        state: TargetState::Declined,
        ack_by: at,
        report_by: at,
        delivered_at: Some(at),
        acked_at: None,
        first_report_at: None,
        resolved_at: None,
        ended_at: Some(at),
        outcome: Some(Outcome::NoTrace),
        outcome_count: 0,
        evaluation: None,
        decline_reason: Some(DeclineReason::NotOurArea),
        suggested_station: Some(station("fj-shouning-pingxi")),
        reminders: 1,
        notes: 2,
        exchange: Exchange { from_origin: 2, from_target: 1, origin_next: 2, target_next: 1 },
        superseded: vec![EnvelopeId::from_bytes(id(3))],
        report_promised: false,
    };
    let record = CaseRecord {
        id: CaseId::from_bytes(id(1)),
        refno: None,
        origin: station("zj-taishun-luoyang"),
        kind: CaseKind::Dispute,
        priority: Priority::Routine,
        title: "山林纠纷".into(),
        summary: "矛盾纠纷".into(),
        restrictions: vec![Restriction::NoOnward],
        review_by: None,
        created_at: at,
        request: EnvelopeId::from_bytes(id(2)),
        parties: vec![station("fj-shouning-xixi")],
        targets: vec![target],
        co_targets: vec![],
        subjects: vec![SubjectKey::Plate("浙C12345".into())],
        same_subject: vec![],
        updated_at: at,
        handler: None,
    };
    assert_stored(
        &record,
        r#"{"id":"00000000-0001-7000-8000-000000000001","origin":"zj-taishun-luoyang","kind":"dispute","priority":"routine","title":"山林纠纷","summary":"矛盾纠纷","restrictions":["no_onward"],"created_at":"2026-11-23T08:00:00Z","request":"00000000-0002-7000-8000-000000000002","parties":["fj-shouning-xixi"],"targets":[{"station":"fj-shouning-xixi","state":"declined","ack_by":"2026-11-23T08:00:00Z","report_by":"2026-11-23T08:00:00Z","delivered_at":"2026-11-23T08:00:00Z","ended_at":"2026-11-23T08:00:00Z","outcome":"no_trace","outcome_count":0,"evaluation":null,"decline_reason":"not_our_area","suggested_station":"fj-shouning-pingxi","reminders":1,"notes":2,"exchange":{"from_origin":2,"from_target":1,"origin_next":2,"target_next":1},"superseded":["00000000-0003-7000-8000-000000000003"]}],"subjects":[{"plate":"浙C12345"}],"same_subject":[],"updated_at":"2026-11-23T08:00:00Z"}"#,
    );
}

/// The handler (承办人) came later than the record: it is written only when there is one, so a
/// record without one keeps the bytes above, and a record stored before reads as handled by
/// no one.
#[test]
fn a_case_records_handler_is_added_without_changing_older_records() {
    let older = r#"{"id":"00000000-0001-7000-8000-000000000001","origin":"zj-taishun-luoyang","kind":"dispute","priority":"routine","title":"山林纠纷","summary":"矛盾纠纷","restrictions":[],"created_at":"2026-11-23T08:00:00Z","request":"00000000-0002-7000-8000-000000000002","parties":["fj-shouning-xixi"],"targets":[],"subjects":[],"same_subject":[],"updated_at":"2026-11-23T08:00:00Z"}"#;
    let mut bytes = vec![1];
    bytes.extend_from_slice(older.as_bytes());
    let mut record: CaseRecord = codec::decode(&bytes, "older case").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(record.handler, None, "an older record has no handler");
    record.handler = Some(crate::envelope::Signatory {
        badge: "350924002".parse().unwrap_or_else(|_| unreachable!("a valid badge")),
        name: "郑丽娟".into(),
    });
    let handled = older.replacen(
        r#""updated_at":"2026-11-23T08:00:00Z"}"#,
        r#""updated_at":"2026-11-23T08:00:00Z","handler":{"badge":"350924002","name":"郑丽娟"}}"#,
        1,
    );
    assert_stored(&record, &handled);
}

#[test]
fn a_dead_letter_is_stored_as_it_always_was() {
    let letter = DeadLetter {
        seq: 7,
        envelope: EnvelopeId::from_bytes(id(2)),
        case: CaseId::from_bytes(id(1)),
        kind: Kind::Decline,
        code: "bad_signature".into(),
        message: "签名不符".into(),
        at: datetime!(2026-11-23 08:00 UTC),
    };
    assert_stored(
        &letter,
        r#"{"seq":7,"envelope":"00000000-0002-7000-8000-000000000002","case":"00000000-0001-7000-8000-000000000001","kind":"decline","code":"bad_signature","message":"签名不符","at":"2026-11-23T08:00:00Z"}"#,
    );
}

#[test]
fn envelope_metadata_is_stored_as_it_always_was() {
    let meta = EnvelopeMeta {
        id: EnvelopeId::from_bytes(id(2)),
        sha256: "ab".repeat(32),
        case: CaseId::from_bytes(id(1)),
        from: station("zj-taishun-luoyang"),
        kind: Kind::Request,
        at: datetime!(2026-11-23 08:00 UTC),
        stored_at: datetime!(2026-11-23 08:00:01 UTC),
    };
    assert_stored(
        &meta,
        r#"{"id":"00000000-0002-7000-8000-000000000002","sha256":"abababababababababababababababababababababababababababababababab","case":"00000000-0001-7000-8000-000000000001","from":"zj-taishun-luoyang","kind":"request","at":"2026-11-23T08:00:00Z","stored_at":"2026-11-23T08:00:01Z"}"#,
    );
}

#[test]
fn a_partners_remembered_health_is_stored_as_it_always_was() {
    let at = datetime!(2026-11-23 08:00 UTC);
    let remembered = Remembered {
        last_success: Some(at),
        last_error: Some(PeerError { code: "unreachable".into(), message: "connection refused".into(), at }),
    };
    assert_eq!(
        String::from_utf8(remembered.encode()).unwrap_or_default(),
        r#"{"last_success":"2026-11-23T08:00:00Z","last_error":{"code":"unreachable","message":"connection refused","at":"2026-11-23T08:00:00Z"}}"#,
        "the stored form changed: this is a change of the disk format"
    );
}

#[test]
fn evidence_of_equivocation_is_stored_as_it_always_was() {
    let evidence = Equivocation {
        case: CaseId::from_bytes(id(1)),
        from: station("fj-shouning-xixi"),
        seq: 0,
        kept: EnvelopeId::from_bytes(id(2)),
        refused: EnvelopeId::from_bytes(id(3)),
        received_at: datetime!(2026-11-23 08:00 UTC),
        refused_wire: b"{\"signed\":\"x\"}".to_vec(),
    };
    let written = codec::encode_with_raw(&evidence, &evidence.refused_wire).unwrap_or_default();
    assert_eq!(
        String::from_utf8_lossy(&written[5..]),
        r#"{"case":"00000000-0001-7000-8000-000000000001","from":"fj-shouning-xixi","seq":0,"kept":"00000000-0002-7000-8000-000000000002","refused":"00000000-0003-7000-8000-000000000003","received_at":"2026-11-23T08:00:00Z"}{"signed":"x"}"#
    );
}
