use super::*;
use crate::case::RelayFault;
use crate::domain::case::Restriction;
use crate::domain::lifecycle::{LifecycleError, Party, Step, TargetState};
use crate::images::FileProblem;
use crate::keys::KeyUseError;

/// One refusal of every kind an officer can meet, so that each is read in both languages.
/// `kind_of` matches every variant without a wildcard: a new variant does not compile until
/// it has a number here, and the test fails until it has a sample.
fn every_refusal() -> Vec<NodeError> {
    let station: StationId = "zj-ab".parse().expect("a station id");
    // A fixed id: a random one may hold a run of hex letters that reads as an English word.
    let case_id: crate::ids::CaseId = "01a24dd6-448b-75a3-8294-9c9ceb9d08b5".parse().expect("a case id");
    let field = FieldError::new("title", "required", "请填写标题", "title is required");
    let lifecycle = [
        LifecycleError::WrongParty { step: Step::Close, by: Party::Target },
        LifecycleError::NotAllowed { step: Step::Ack, state: TargetState::Closed },
    ];
    let apply = [
        ApplyError::NotParty(station.clone()),
        ApplyError::BadAddressing("to must be the origin".into()),
        ApplyError::UnknownCase,
        ApplyError::CaseExists,
        ApplyError::InvalidBody(vec![field.clone()]),
        ApplyError::Equivocation { seq: 3, kept: crate::ids::EnvelopeId::new() },
        ApplyError::OutOfOrder { seq: 2, next: 4 },
        ApplyError::HistoryMissing { seen: 5, held: 3 },
        ApplyError::Relay(RelayFault::NotFromOrigin(station.clone())),
        ApplyError::Relay(RelayFault::Inner("signature does not verify".into())),
        ApplyError::Relay(RelayFault::WrongCase),
        ApplyError::Relay(RelayFault::StationMismatch { named: station.clone(), signer: station.clone() }),
        ApplyError::Relay(RelayFault::SignerNotParty(station.clone())),
        ApplyError::Relay(RelayFault::AboutUs),
        ApplyError::Relay(RelayFault::KindNotRelayed(crate::envelope::Kind::Note)),
    ];
    let envelope = [
        EnvelopeError::TooLarge(300_000),
        EnvelopeError::MalformedWire("expected `,` at line 1".into()),
        EnvelopeError::BadBase64("sig"),
        EnvelopeError::BadSignatureLength(12),
        EnvelopeError::UnknownKey("zj-ab#k9".into()),
        EnvelopeError::BadSignature,
        EnvelopeError::MalformedPayload("missing field `seq`".into()),
        EnvelopeError::UnsupportedVersion(9),
        EnvelopeError::BadAddressing("to is empty"),
        EnvelopeError::BadSequence("a request has seen nothing"),
        EnvelopeError::SignerMismatch { key_owner: station.clone(), from: "fj-cd".parse().expect("id") },
        EnvelopeError::KeyNotUsable { key: "zj-ab#k1".into(), at: "2026-12-07".into(), reason: KeyUseError::Expired },
    ];
    let mut all = vec![
        NodeError::UnknownOfficer("zj-ab:330329001".into()),
        NodeError::Forbidden { needed: &[Role::Liaison, Role::Chief] },
        NodeError::CaseNotFound("01a24dd6-448b-75a3-8294-9c9ceb9d08b5".into()),
        NodeError::Validation(vec![field]),
        NodeError::WrongSide { needed: "target" },
        NodeError::WrongSide { needed: "origin" },
        NodeError::NoEligibleTarget,
        NodeError::NothingDecisive,
        NodeError::Restricted(Restriction::NoExport),
        NodeError::Restricted(Restriction::NoOnward),
        NodeError::Restricted(Restriction::PoliceOnly),
        NodeError::UnknownStation(station),
        NodeError::UnknownHook("gw-1".into()),
        NodeError::Store(StoreError::Poisoned),
        NodeError::InvalidIdempotencyKey,
        NodeError::IdempotencyKeyReused { case: case_id, at: time::macros::datetime!(2026-12-07 02:30 UTC) },
        NodeError::PossibleDuplicate(vec![super::super::Duplicate {
            case: case_id,
            title: "寻找走失老人".into(),
            partners: vec!["zj-ab".parse().expect("a station id")],
        }]),
        NodeError::NotHandler,
        NodeError::NoSuchBadge("350924099".into()),
        NodeError::CannotHandle { badge: "350924001".into(), needed: &[Role::Duty] },
        NodeError::AlreadyHandler("350924002".into()),
        NodeError::AttachmentTooLarge { limit: 20 << 20 },
        NodeError::UnsupportedMedia,
        NodeError::AttachmentRefused(FileProblem::TooManyPixels { width: 90_000, height: 90_000 }),
        NodeError::AttachmentRefused(FileProblem::Undecodable("failed to fill whole buffer".into())),
        NodeError::AttachmentRefused(FileProblem::Truncated),
        NodeError::AttachmentRefused(FileProblem::Markup("<script")),
        NodeError::AttachmentNotUploaded(crate::domain::attachment::Sha256::of(b"photo")),
        NodeError::AttachmentNotFound("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".into()),
        NodeError::Letter(super::super::LetterRefusal::Malformed),
        NodeError::Letter(super::super::LetterRefusal::UnknownCase),
        NodeError::Letter(super::super::LetterRefusal::WrongStation),
        NodeError::Letter(super::super::LetterRefusal::HashMismatch),
        NodeError::NotDeclined("zj-ab".parse().expect("a station id")),
    ];
    all.extend(lifecycle.into_iter().map(|e| NodeError::Apply(ApplyError::Lifecycle(e))));
    all.extend(apply.into_iter().map(NodeError::Apply));
    all.extend(envelope.into_iter().map(NodeError::Envelope));
    all
}

fn kind_of(error: &NodeError) -> &'static str {
    match error {
        NodeError::Apply(ApplyError::Lifecycle(LifecycleError::WrongParty { .. })) => "lifecycle wrong party",
        NodeError::Apply(ApplyError::Lifecycle(LifecycleError::NotAllowed { .. })) => "lifecycle not allowed",
        NodeError::Apply(e) => match e {
            ApplyError::NotParty(_) => "not party",
            ApplyError::BadAddressing(_) => "apply addressing",
            ApplyError::Lifecycle(_) => "lifecycle",
            ApplyError::UnknownCase => "unknown case",
            ApplyError::CaseExists => "case exists",
            ApplyError::InvalidBody(_) => "invalid body",
            ApplyError::Equivocation { .. } => "equivocation",
            ApplyError::OutOfOrder { .. } => "out of order",
            ApplyError::HistoryMissing { .. } => "history missing",
            ApplyError::Relay(fault) => fault.code(),
        },
        NodeError::Envelope(e) => match e {
            EnvelopeError::TooLarge(_) => "too large",
            EnvelopeError::MalformedWire(_) => "malformed wire",
            EnvelopeError::BadBase64(_) => "base64",
            EnvelopeError::BadSignatureLength(_) => "signature length",
            EnvelopeError::UnknownKey(_) => "unknown key",
            EnvelopeError::BadSignature => "bad signature",
            EnvelopeError::MalformedPayload(_) => "malformed payload",
            EnvelopeError::UnsupportedVersion(_) => "version",
            EnvelopeError::BadAddressing(_) => "envelope addressing",
            EnvelopeError::BadSequence(_) => "sequence",
            EnvelopeError::SignerMismatch { .. } => "signer mismatch",
            EnvelopeError::KeyNotUsable { .. } => "key not usable",
        },
        NodeError::UnknownOfficer(_) => "unknown officer",
        NodeError::Forbidden { .. } => "forbidden",
        NodeError::CaseNotFound(_) => "case not found",
        NodeError::Validation(_) => "validation",
        NodeError::WrongSide { .. } => "wrong side",
        NodeError::NoEligibleTarget => "no eligible target",
        NodeError::NothingDecisive => "nothing decisive",
        NodeError::Restricted(_) => "restricted",
        NodeError::UnknownStation(_) => "unknown station",
        NodeError::UnknownHook(_) => "unknown hook",
        NodeError::Store(_) => "store",
        NodeError::InvalidIdempotencyKey => "invalid idempotency key",
        NodeError::IdempotencyKeyReused { .. } => "idempotency key reused",
        NodeError::PossibleDuplicate(_) => "possible duplicate",
        NodeError::NotHandler => "not handler",
        NodeError::NoSuchBadge(_) => "no such badge",
        NodeError::CannotHandle { .. } => "cannot handle",
        NodeError::AlreadyHandler(_) => "already handler",
        NodeError::AttachmentTooLarge { .. } => "attachment too large",
        NodeError::UnsupportedMedia => "unsupported media",
        NodeError::AttachmentRefused(problem) => match problem {
            FileProblem::TooManyPixels { .. } => "too many pixels",
            FileProblem::Undecodable(_) => "undecodable",
            FileProblem::Truncated => "truncated",
            FileProblem::Markup(_) => "markup",
        },
        NodeError::AttachmentNotUploaded(_) => "attachment not uploaded",
        NodeError::AttachmentNotFound(_) => "attachment not found",
        NodeError::Letter(refusal) => match refusal {
            super::super::LetterRefusal::Malformed => "letter malformed",
            super::super::LetterRefusal::UnknownCase => "letter unknown case",
            super::super::LetterRefusal::WrongStation => "letter wrong station",
            super::super::LetterRefusal::HashMismatch => "letter hash mismatch",
        },
        NodeError::NotDeclined(_) => "not declined",
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Words of three or more Latin letters: in a Chinese sentence only these names may appear.
fn english_words_in(text: &str) -> Vec<&str> {
    const NAMES: [&str; 9] = ["base64url", "alerts", "hooks", "UUID", "JSON", "JPEG", "PNG", "WebP", "PDF"];
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_alphabetic()))
        .filter(|w| !NAMES.contains(w))
        .collect()
}

#[test]
fn every_refusal_reads_whole_in_chinese_and_in_english() {
    let all = every_refusal();
    let kinds: std::collections::BTreeSet<&str> = all.iter().map(kind_of).collect();
    assert_eq!(kinds.len(), 60, "one sample of every kind of refusal: {kinds:?}");
    for error in &all {
        let code = error.code();
        assert!(
            !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{code}"
        );
        let zh = format!("{} {}", error.title(Lang::Zh), error.detail(Lang::Zh));
        assert!(zh.chars().any(is_cjk), "{code}: {zh}");
        assert_eq!(english_words_in(&zh), Vec::<&str>::new(), "{code}: English in {zh}");
        let en = format!("{} {}", error.title(Lang::En), error.detail(Lang::En));
        assert!(!en.chars().any(is_cjk), "{code}: Chinese in {en}");
        for code_word in ["_", "::", "Some(", "{ ", "Liaison", "Chief", "Ack ", "Close "] {
            assert!(!en.contains(code_word), "{code}: {code_word:?} in {en}");
        }
    }
}
