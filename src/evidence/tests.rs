//! Bundles made here from envelopes and receipts signed with fixed keys: what `seal` writes,
//! what `verify` accepts, each alteration it names, and the story `narrate` tells of it in
//! Chinese and in English.

use ed25519_dalek::SigningKey;
use serde_json::value::RawValue;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::domain::case::{DeclineReason, Outcome, Priority};
use crate::envelope::Statement as _;
use crate::envelope::body::{AckBody, DeclineBody, OutcomeBody};
use crate::envelope::{Body, Envelope, Receipt, SealedEnvelope, Signatory};
use crate::i18n::Lang;
use crate::ids::{EnvelopeId, StationId};
use crate::keys::PublicKey;

/// When 罗阳 sends the request: 08:00 in Beijing.
const T0: OffsetDateTime = datetime!(2026-11-23 00:00 UTC);
const LUOYANG: &str = "zj-taishun-luoyang";
const XIXI: &str = "fj-shouning-xixi";
const LUOYANG_NAME: &str = "泰顺县公安局罗阳派出所";
const XIXI_NAME: &str = "寿宁县公安局犀溪派出所";
const EXPORTER: &str = "urn:tiemeng:officer:zj-taishun-luoyang:330329001";
const EXPORTED_AT: &str = "2026-11-23T04:00:00Z";
const TITLE: &str = "协查走失老人吴德福";

fn station(id: &str) -> StationId {
    id.parse().unwrap()
}

fn minutes(n: i64) -> OffsetDateTime {
    T0 + Duration::minutes(n)
}

fn signer(id: &str, seed: u8) -> Signer {
    Signer::new(KeyRef::new(station(id), "k1").unwrap(), SigningKey::from_bytes(&[seed; 32]))
}

fn luoyang() -> Signer {
    signer(LUOYANG, 1)
}

fn xixi() -> Signer {
    signer(XIXI, 2)
}

fn public(signer: &Signer) -> String {
    crate::keys::format_public_key(&signer.verifying_key())
}

fn raw(wire: Vec<u8>) -> Box<RawValue> {
    RawValue::from_string(String::from_utf8(wire).unwrap()).unwrap()
}

/// 犀溪's duty officer.
fn huang() -> Signatory {
    Signatory { badge: "350924002".parse().unwrap(), name: "黄立新".into() }
}

/// The envelope 犀溪 signs on `case` with its `seq`, having seen 罗阳's request.
fn from_xixi(case: CaseId, seq: u32, at: OffsetDateTime, body: Body) -> SealedEnvelope {
    let (from, to) = (station(XIXI), vec![station(LUOYANG)]);
    let seen = [(station(LUOYANG), 1)].into();
    Envelope { id: EnvelopeId::new(), case, from, to, at, seq, seen, body }.seal(&xixi()).unwrap()
}

/// 罗阳's request opening `case`.
fn request(case: CaseId) -> SealedEnvelope {
    let mut new = crate::samples::missing_elderly_man(vec![station(XIXI)], T0);
    (new.title, new.priority) = (TITLE.into(), Priority::Urgent);
    let officer = Signatory { badge: "330329001".parse().unwrap(), name: "陈志强".into() };
    let (to, body) = new.into_request(officer, T0, crate::domain::deadline::DeadlinePolicy::default().urgent);
    let seen = to.iter().map(|t| (t.clone(), 0)).collect();
    let request = Body::Request(Box::new(body));
    Envelope { id: EnvelopeId::new(), case, from: station(LUOYANG), to, at: T0, seq: 0, seen, body: request }
        .seal(&luoyang())
        .unwrap()
}

/// The receipt `receiver` signs for `envelope`, stored at `at`, as a bundle lists it.
fn receipt(envelope: &SealedEnvelope, receiver: &Signer, at: OffsetDateTime) -> ReceiptEntry {
    let sealed = Receipt::for_envelope(envelope, receiver.station().clone(), at).seal(receiver).unwrap();
    ReceiptEntry {
        envelope: envelope.envelope.id.to_string(),
        station: receiver.station().to_string(),
        receipt: raw(sealed.wire()),
    }
}

/// One missing-person case as 罗阳 exports it: its request, 犀溪's ack and outcome, and the
/// receipt each receiver signed.
struct Case {
    id: CaseId,
    request: SealedEnvelope,
    ack: SealedEnvelope,
    outcome: SealedEnvelope,
}

impl Case {
    fn new() -> Self {
        let id = CaseId::new();
        let ack = Body::Ack(AckBody {
            officer: huang(),
            report_by: Some(T0 + Duration::hours(4)),
            message: Some("已安排警力在车站查找".into()),
        });
        let outcome = Body::Outcome(OutcomeBody {
            officer: huang(),
            outcome: Outcome::PersonFound,
            count: 1,
            narrative: "在犀溪车站找到老人".into(),
        });
        Self {
            id,
            request: request(id),
            ack: from_xixi(id, 0, minutes(10), ack),
            outcome: from_xixi(id, 1, minutes(180), outcome),
        }
    }

    /// What 罗阳 puts in the bundle.
    fn content(&self) -> Content {
        let key = |s: &Signer| key_entry(s.key_ref(), &PublicKey::unbounded(s.verifying_key()));
        Content {
            format: FORMAT.into(),
            case: self.id,
            exported_by: Exporter { station: LUOYANG.into(), officer: EXPORTER.into() },
            exported_at: EXPORTED_AT.into(),
            stations: vec![
                StationEntry { id: LUOYANG.into(), name: LUOYANG_NAME.into() },
                StationEntry { id: XIXI.into(), name: XIXI_NAME.into() },
            ],
            envelopes: [&self.request, &self.ack, &self.outcome].map(|e| raw(e.wire())).into(),
            receipts: vec![
                receipt(&self.request, &xixi(), minutes(1)),
                receipt(&self.ack, &luoyang(), minutes(11)),
                receipt(&self.outcome, &luoyang(), minutes(181)),
            ],
            keys: vec![key(&luoyang()), key(&xixi())],
            equivocations: Vec::new(),
            handovers: Vec::new(),
        }
    }

    /// 罗阳's handover of the case from 陈志强 to 周敏 at `at`, signed by `by_station`.
    fn handover(&self, case: CaseId, at: OffsetDateTime, by_station: &Signer) -> Box<RawValue> {
        let chen = Signatory { badge: "330329001".parse().unwrap(), name: "陈志强".into() };
        let zhou = Signatory { badge: "330329004".parse().unwrap(), name: "周敏".into() };
        let handover = crate::envelope::Handover {
            v: crate::envelope::VERSION,
            station: by_station.station().clone(),
            case,
            from: Some(chen.clone()),
            to: zhou,
            by: chen,
            note: Some("交班".into()),
            at,
        };
        raw(handover.seal(by_station).unwrap().wire())
    }

    /// 犀溪's second envelope with the ack's `seq`: a decline, kept as evidence.
    fn second_statement(&self) -> EquivocationEntry {
        let decline = Body::Decline(DeclineBody {
            officer: huang(),
            reason: DeclineReason::NotOurArea,
            message: "该地址不属本所辖区".into(),
            suggested_station: None,
        });
        EquivocationEntry {
            kept: self.ack.envelope.id.to_string(),
            refused: raw(from_xixi(self.id, 0, minutes(10), decline).wire()),
            refused_at: "2026-11-23T05:00:00Z".into(),
        }
    }
}

fn sealed(content: &Content) -> Vec<u8> {
    seal(content, &luoyang()).unwrap()
}

/// `bytes` with the `nth` occurrence of `from` replaced by `to`.
fn replaced(bytes: &[u8], from: &str, to: &str, nth: usize) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).unwrap();
    let at = text.match_indices(from).nth(nth).unwrap_or_else(|| panic!("no {from:?} in {text}")).0;
    let mut altered = text.to_owned();
    altered.replace_range(at..at + from.len(), to);
    altered.into_bytes()
}

/// A signed wire form (envelope or receipt) with one character of its signed payload changed.
fn tampered(wire: &str) -> Box<RawValue> {
    let at = wire.find("{\"signed\":\"").unwrap() + 40;
    let mut bytes = wire.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    raw(bytes)
}

#[test]
fn a_sealed_bundle_carries_its_content_as_signed_with_the_exporters_key() {
    let case = Case::new();
    let content = case.content();
    let bundle = sealed(&content);
    let outer: serde_json::Value = serde_json::from_slice(&bundle).unwrap();
    assert_eq!(outer["key"], "zj-taishun-luoyang#k1");
    assert_eq!(outer["content"]["format"], "tiemeng-evidence/v1");
    assert_eq!(outer["content"]["case"], case.id.to_string());
    assert!(outer["content"].get("equivocations").is_none(), "an empty list of equivocations is left out");

    // The signature is over the content's bytes exactly as they stand in the file.
    let text = String::from_utf8(bundle.clone()).unwrap();
    let inner = serde_json::to_string(&content).unwrap();
    assert!(text.contains(&inner), "the content is written as it was signed");
    let message = [EVIDENCE_CONTEXT, inner.as_bytes()].concat();
    let sig = outer["sig"].as_str().unwrap();
    let sig = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig).unwrap();
    let sig = ed25519_dalek::Signature::from_slice(&sig).unwrap();
    assert!(luoyang().verifying_key().verify_strict(&message, &sig).is_ok());
}

#[test]
fn an_intact_bundle_verifies_with_every_envelope_and_receipt() {
    let case = Case::new();
    let verified = verify(&sealed(&case.content())).unwrap();
    assert_eq!(verified.findings, []);
    assert_eq!(verified.content.case, case.id);
    let checked: Vec<(usize, Option<EnvelopeId>, Vec<String>)> = verified
        .envelopes
        .iter()
        .map(|c| {
            let receipts = c.receipts.iter().map(|r| r.receipt.from.to_string()).collect();
            (c.index, c.envelope.as_ref().map(|e| e.id), receipts)
        })
        .collect();
    assert_eq!(
        checked,
        [
            (1, Some(case.request.envelope.id), vec![XIXI.to_owned()]),
            (2, Some(case.ack.envelope.id), vec![LUOYANG.to_owned()]),
            (3, Some(case.outcome.envelope.id), vec![LUOYANG.to_owned()]),
        ]
    );
    assert!(verified.equivocations.is_empty());
}

#[test]
fn narrate_tells_an_intact_bundle_in_chinese_word_for_word() {
    let case = Case::new();
    let verified = verify(&sealed(&case.content())).unwrap();
    let expected = format!(
        "协查 {id} 的证据包，由 泰顺县公安局罗阳派出所（{EXPORTER}）于 2026-11-23T04:00:00Z 导出。\n\
         \n\
         2026-11-23 08:00 泰顺县公安局罗阳派出所 陈志强（330329001）发起失踪人员协查「协查走失老人吴德福」（特急），发往 寿宁县公安局犀溪派出所。\n\
         \x20 签名有效。\n\
         \x20 寿宁县公安局犀溪派出所 于 2026-11-23 08:01 存储并签发回执（回执签名有效）。\n\
         \n\
         2026-11-23 08:10 寿宁县公安局犀溪派出所 黄立新（350924002）签收，承诺 2026-11-23 12:00 前首次反馈，发往 泰顺县公安局罗阳派出所。\n\
         \x20 签名有效。\n\
         \x20 泰顺县公安局罗阳派出所 于 2026-11-23 08:11 存储并签发回执（回执签名有效）。\n\
         \n\
         2026-11-23 11:00 寿宁县公安局犀溪派出所 黄立新（350924002）反馈结果：已找到失踪人员（1）：在犀溪车站找到老人，发往 泰顺县公安局罗阳派出所。\n\
         \x20 签名有效。\n\
         \x20 泰顺县公安局罗阳派出所 于 2026-11-23 11:01 存储并签发回执（回执签名有效）。\n\
         \n\
         签名公钥（请与各单位公布的公钥核对）：\n\
         \x20 zj-taishun-luoyang#k1 = {luoyang}\n\
         \x20 fj-shouning-xixi#k1 = {xixi}\n\
         \n\
         结论：全部 3 个信封及 3 份回执签名有效，证据包未被改动。\n",
        id = case.id,
        luoyang = public(&luoyang()),
        xixi = public(&xixi()),
    );
    assert_eq!(narrate(&verified, Lang::Zh), expected);
}

#[test]
fn narrate_tells_an_intact_bundle_in_english() {
    let case = Case::new();
    let told = narrate(&verify(&sealed(&case.content())).unwrap(), Lang::En);
    let lines: Vec<&str> = told.lines().collect();
    let first = format!(
        "Evidence bundle of case {}, exported by 泰顺县公安局罗阳派出所 ({EXPORTER}) at 2026-11-23T04:00:00Z.",
        case.id
    );
    assert_eq!(lines[0], first);
    for (starts, ends) in [
        (
            "2026-11-23 08:00 泰顺县公安局罗阳派出所 陈志强",
            "sent a Missing person request “协查走失老人吴德福” (urgent), to 寿宁县公安局犀溪派出所.",
        ),
        (
            "2026-11-23 08:10 寿宁县公安局犀溪派出所 黄立新",
            "acknowledged, promising a first report by 2026-11-23 12:00, to 泰顺县公安局罗阳派出所.",
        ),
        (
            "2026-11-23 11:00 寿宁县公安局犀溪派出所 黄立新",
            "reported: person found (1): 在犀溪车站找到老人, to 泰顺县公安局罗阳派出所.",
        ),
    ] {
        assert!(lines.iter().any(|l| l.starts_with(starts) && l.ends_with(ends)), "no line {starts} … {ends}: {told}");
    }
    for line in [
        "  寿宁县公安局犀溪派出所 stored it at 2026-11-23 08:01 and signed a receipt (valid).",
        "  泰顺县公安局罗阳派出所 stored it at 2026-11-23 08:11 and signed a receipt (valid).",
        "Signing keys (compare with those the stations publish):",
        "Result: all 3 envelopes and 3 receipts verify; the bundle is unaltered.",
    ] {
        assert!(lines.contains(&line), "no line {line:?}: {told}");
    }
    assert_eq!(lines.iter().filter(|l| **l == "  Signature valid.").count(), 3, "{told}");
    assert!(!told.contains("签名有效") && !told.contains("结论"), "nothing left in Chinese: {told}");
}

#[test]
fn a_changed_export_record_breaks_only_the_bundles_signature() {
    let bundle = sealed(&Case::new().content());
    let altered = replaced(&bundle, EXPORTED_AT, "2026-11-22T04:00:00Z", 0);
    let verified = verify(&altered).unwrap();
    assert_eq!(verified.findings, [Finding::BundleSignature("bad_signature".into())]);
    assert!(
        narrate(&verified, Lang::Zh)
            .ends_with("结论：发现 1 处问题：\n  - 证据包整体签名不符（bad_signature）：导出后内容被改动\n")
    );
    assert!(narrate(&verified, Lang::En).ends_with(
        "Result: 1 problem(s):\n  - the bundle's own signature does not verify (bad_signature): its content was changed after export\n"
    ));
}

#[test]
fn a_bundle_signed_with_a_key_it_does_not_list_is_named() {
    let bundle = seal(&Case::new().content(), &signer("zj-cangnan-mazhan", 3)).unwrap();
    let verified = verify(&bundle).unwrap();
    assert_eq!(verified.findings, [Finding::BundleSignature("the signing key is not in the bundle".into())]);
}

#[test]
fn an_envelope_altered_after_export_is_named_by_its_position_and_not_told() {
    let case = Case::new();
    let bundle = sealed(&case.content());
    // One character of the second envelope's signed payload, past the prefix all share.
    let text = String::from_utf8(bundle).unwrap();
    let at = text.match_indices("{\"signed\":\"").nth(1).unwrap().0 + 200;
    let mut altered = text.into_bytes();
    altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
    let verified = verify(&altered).unwrap();
    let ack = case.ack.envelope.id.to_string();
    assert_eq!(
        verified.findings,
        [
            Finding::BundleSignature("bad_signature".into()),
            Finding::Envelope { index: 2, code: "bad_signature".into() },
            Finding::Receipt {
                envelope: ack.clone(),
                station: LUOYANG.into(),
                reason: "its envelope is missing or does not verify".into()
            },
        ]
    );
    assert!(verified.envelopes[1].envelope.is_none() && verified.envelopes[1].receipts.is_empty());

    let zh = narrate(&verified, Lang::Zh);
    assert!(zh.contains("\n第 2 个信封：签名无法验证，内容不可采信。\n"), "{zh}");
    assert!(!zh.contains("签收，承诺"), "what the altered envelope says is not told: {zh}");
    assert!(zh.contains("结论：发现 3 处问题：\n"), "{zh}");
    assert!(zh.contains("\n  - 第 2 个信封签名无法验证（bad_signature）：该信封被改动，内容不可采信\n"), "{zh}");
    assert!(zh.contains(&format!(
        "\n  - zj-taishun-luoyang 对信封 {ack} 的回执不成立：its envelope is missing or does not verify\n"
    )));
    let en = narrate(&verified, Lang::En);
    assert!(en.contains("\nEnvelope 2: the signature does not verify; its content cannot be relied on.\n"), "{en}");
    assert!(en.contains("\n  - envelope 2 does not verify: bad_signature\n"), "{en}");
}

#[test]
fn an_envelope_altered_before_export_is_named_though_the_bundle_signature_holds() {
    let case = Case::new();
    let mut content = case.content();
    content.envelopes[2] = tampered(content.envelopes[2].get());
    let verified = verify(&sealed(&content)).unwrap();
    assert_eq!(verified.findings[0], Finding::Envelope { index: 3, code: "bad_signature".into() });
    assert_eq!(verified.findings.len(), 2, "and the receipt for it: {:?}", verified.findings);
    assert!(!narrate(&verified, Lang::Zh).contains("在犀溪车站找到老人"));
}

#[test]
fn an_envelope_of_another_case_is_named() {
    let case = Case::new();
    let mut content = case.content();
    content.envelopes.push(raw(request(CaseId::new()).wire()));
    let verified = verify(&sealed(&content)).unwrap();
    assert_eq!(verified.findings, [Finding::ForeignEnvelope { index: 4 }]);
    assert!(narrate(&verified, Lang::Zh).contains("\n  - 第 4 个信封属于其他协查\n"));
    assert!(narrate(&verified, Lang::En).contains("\n  - envelope 4 belongs to another case\n"));
}

#[test]
fn receipts_that_do_not_hold_are_named_and_not_told() {
    let case = Case::new();
    let request = case.request.envelope.id.to_string();
    let other_bytes = {
        let mut receipt = Receipt::for_envelope(&case.request, station(XIXI), minutes(1));
        receipt.sha256 = hex::encode([0u8; 32]);
        raw(receipt.seal(&xixi()).unwrap().wire())
    };
    type Alteration = fn(&mut ReceiptEntry);
    let cases: [(&str, Alteration, &str); 3] = [
        ("altered", |r| r.receipt = tampered(r.receipt.get()), "bad_signature"),
        ("claimed by another station", |r| r.station = LUOYANG.into(), "it names other bytes or another station"),
        (
            "for an envelope the bundle lacks",
            |r| r.envelope = EnvelopeId::new().to_string(),
            "its envelope is missing or does not verify",
        ),
    ];
    for (what, alter, reason) in cases {
        let mut content = case.content();
        alter(&mut content.receipts[0]);
        let entry = &content.receipts[0];
        let expected = Finding::Receipt {
            envelope: entry.envelope.clone(),
            station: entry.station.clone(),
            reason: reason.into(),
        };
        let verified = verify(&sealed(&content)).unwrap();
        assert_eq!(verified.findings, [expected], "a receipt {what}");
        assert!(verified.envelopes[0].receipts.is_empty(), "a receipt {what} vouches for nothing");
        let zh = narrate(&verified, Lang::Zh);
        assert!(!zh.contains("于 2026-11-23 08:01 存储并签发回执"), "a receipt {what} is not told: {zh}");
        assert!(zh.contains(&format!("的回执不成立：{reason}\n")), "{zh}");
    }
    // Signed by the right station, for the right envelope, but naming other bytes.
    let mut content = case.content();
    content.receipts[0].receipt = other_bytes;
    let verified = verify(&sealed(&content)).unwrap();
    let expected = Finding::Receipt {
        envelope: request.clone(),
        station: XIXI.into(),
        reason: "it names other bytes or another station".into(),
    };
    assert_eq!(verified.findings, [expected]);
    assert!(narrate(&verified, Lang::Zh).contains(&format!(
        "\n  - fj-shouning-xixi 对信封 {request} 的回执不成立：it names other bytes or another station\n"
    )));
    assert!(narrate(&verified, Lang::En).contains(&format!(
        "\n  - receipt of fj-shouning-xixi for envelope {request} does not hold: it names other bytes or another station\n"
    )));
}

#[test]
fn a_second_statement_with_one_seq_is_proven_and_told_in_both_languages() {
    let case = Case::new();
    let mut content = case.content();
    content.equivocations.push(case.second_statement());
    let verified = verify(&sealed(&content)).unwrap();
    assert_eq!(verified.findings, []);
    assert_eq!(verified.equivocations.len(), 1);
    assert_eq!(verified.equivocations[0].kept.id, case.ack.envelope.id);
    assert_eq!(verified.equivocations[0].refused.seq, 0);
    assert!(narrate(&verified, Lang::Zh).contains(
        "\n注意：寿宁县公安局犀溪派出所 在本协查中以同一序号 0 签署了两份不同的信封（均签名有效）：\n\
         \x20 已采用：2026-11-23 08:10 签收，承诺 2026-11-23 12:00 前首次反馈\n\
         \x20 被拒收并留存为证据（2026-11-23T05:00:00Z）：2026-11-23 08:10 退回（不属本辖区）：该地址不属本所辖区\n"
    ));
    assert!(narrate(&verified, Lang::En).contains(
        "\nNote: 寿宁县公安局犀溪派出所 signed two different envelopes with one seq 0 on this case (both signatures valid):\n\
         \x20 taken: 2026-11-23 08:10 acknowledged, promising a first report by 2026-11-23 12:00\n\
         \x20 refused and kept as evidence (2026-11-23T05:00:00Z): 2026-11-23 08:10 declined (not our area): 该地址不属本所辖区\n"
    ));
    assert!(
        narrate(&verified, Lang::Zh).contains("结论：全部 3 个信封及 3 份回执签名有效"),
        "the evidence is no finding"
    );
}

#[test]
fn evidence_of_equivocation_that_does_not_hold_is_named_and_not_told() {
    let case = Case::new();
    let not_two = "the two are not one sender's two envelopes with one seq on this case";
    let note = |case_id, seq| {
        let body = Body::Note(crate::envelope::body::NoteBody {
            officer: huang(),
            text: "补充".into(),
            attachments: Vec::new(),
        });
        raw(from_xixi(case_id, seq, minutes(20), body).wire())
    };
    let entries: Vec<(&str, EquivocationEntry, &str)> = vec![
        ("another seq", EquivocationEntry { refused: note(case.id, 1), ..case.second_statement() }, not_two),
        ("another case", EquivocationEntry { refused: note(CaseId::new(), 0), ..case.second_statement() }, not_two),
        ("the kept one again", EquivocationEntry { refused: raw(case.ack.wire()), ..case.second_statement() }, not_two),
        (
            "altered",
            EquivocationEntry { refused: tampered(case.second_statement().refused.get()), ..case.second_statement() },
            "bad_signature",
        ),
        (
            "naming an envelope the bundle lacks",
            EquivocationEntry { kept: EnvelopeId::new().to_string(), ..case.second_statement() },
            "the envelope it names is missing or does not verify",
        ),
    ];
    for (what, entry, reason) in entries {
        let kept = entry.kept.clone();
        let mut content = case.content();
        content.equivocations.push(entry);
        let verified = verify(&sealed(&content)).unwrap();
        assert_eq!(verified.findings, [Finding::Equivocation { kept: kept.clone(), reason: reason.into() }], "{what}");
        assert!(verified.equivocations.is_empty(), "{what}");
        let zh = narrate(&verified, Lang::Zh);
        assert!(!zh.contains("注意："), "{what}: {zh}");
        assert!(
            zh.contains(&format!("\n  - 针对信封 {kept} 的“同一序号两份信封”证据不成立：{reason}\n")),
            "{what}: {zh}"
        );
    }
}

#[test]
fn a_weak_key_in_the_list_is_named() {
    let mut content = Case::new().content();
    content.keys.push(KeyEntry {
        key: "zj-cangnan-mazhan#k1".into(),
        public: crate::keys::format_public_key(&ed25519_dalek::VerifyingKey::from_bytes(&[0; 32]).unwrap()),
        valid_from: None,
        valid_until: None,
        revoked_from: None,
    });
    let verified = verify(&sealed(&content)).unwrap();
    assert!(
        matches!(&verified.findings[..], [Finding::Key { key, .. }] if key == "zj-cangnan-mazhan#k1"),
        "{:?}",
        verified.findings
    );
    assert!(narrate(&verified, Lang::Zh).contains("\n  - 公钥 zj-cangnan-mazhan#k1 无法使用："));
}

#[test]
fn a_file_that_is_no_bundle_is_refused_with_where_it_breaks() {
    let Err(finding) = verify(b"{\"content\": {\"format\": ") else { panic!("a broken file verified") };
    assert!(matches!(&finding, Finding::Unreadable(reason) if reason.starts_with("line 1 column ")), "{finding:?}");
    assert!(unreadable(&finding, Lang::Zh).starts_with("文件无法作为证据包读取：line 1 column "));
    assert!(unreadable(&finding, Lang::En).starts_with("the file is not a readable bundle: line 1 column "));

    let mut content = Case::new().content();
    content.format = "tiemeng-evidence/v2".into();
    let Err(finding) = verify(&sealed(&content)) else { panic!("an unknown format verified") };
    assert_eq!(finding, Finding::Unreadable("unknown format \"tiemeng-evidence/v2\"".into()));
}

#[test]
fn the_exporters_handovers_verify_and_are_told_in_their_place_in_time() {
    let case = Case::new();
    let mut content = case.content();
    content.handovers = vec![case.handover(case.id, minutes(60), &luoyang())];
    let verified = verify(&sealed(&content)).unwrap();
    assert!(verified.findings.is_empty(), "{:?}", verified.findings);
    assert_eq!(verified.handovers.len(), 1);
    let zh = narrate(&verified, Lang::Zh);
    let line = "2026-11-23 09:00 泰顺县公安局罗阳派出所 陈志强（330329001） 将本协查的承办人由 陈志强（330329001） 交接给 周敏（330329004）；附言：交班。";
    let (handover, ack, outcome) = (zh.find(line), zh.find("签收，承诺"), zh.find("反馈结果"));
    assert!(handover.is_some(), "{zh}");
    assert!(ack < handover && handover < outcome, "told between the ack (08:10) and the outcome (11:00): {zh}");
    assert!(zh.contains("1 条交接记录签名有效"), "{zh}");
    let en = narrate(&verified, Lang::En);
    assert!(en.contains("handed the case from 陈志强 (330329001) to 周敏 (330329004); note: 交班."), "{en}");
    assert!(en.contains("receipts and 1 handovers verify"), "{en}");
}

#[test]
fn a_handover_altered_of_another_case_or_station_is_named_and_not_told() {
    let case = Case::new();
    let mut content = case.content();
    let good = case.handover(case.id, minutes(60), &luoyang());
    content.handovers = vec![
        tampered(good.get()),
        case.handover(CaseId::new(), minutes(61), &luoyang()),
        case.handover(case.id, minutes(62), &xixi()),
    ];
    let verified = verify(&sealed(&content)).unwrap();
    assert!(verified.handovers.is_empty(), "none of them holds");
    let reasons: Vec<_> = verified
        .findings
        .iter()
        .map(|f| match f {
            Finding::Handover { index, reason } => (*index, reason.as_str()),
            other => panic!("only the handovers are wrong: {other:?}"),
        })
        .collect();
    assert_eq!(
        reasons,
        [(1, "bad_signature"), (2, "it is a handover of another case"), (3, "it is not the exporting station's")]
    );
    let zh = narrate(&verified, Lang::Zh);
    assert!(!zh.contains("交接给"), "nothing of them is told: {zh}");
    assert!(zh.contains("第 1 条承办交接记录不成立（bad_signature）"), "{zh}");
}
