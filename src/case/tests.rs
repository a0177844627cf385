//! The pure case record: what a request opens at either side, and what each later envelope
//! may and may not do to it. Envelopes are built unsigned; signatures are the envelope
//! module's business, the rules of the case are this one's.

use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

use super::*;
use crate::domain::case::WithdrawReason;
use crate::envelope::Signatory;
use crate::envelope::body::{NoteBody, ReminderBody, WithdrawBody};
use crate::node::NewCase;

/// When the request is sent.
const T0: OffsetDateTime = datetime!(2026-11-23 08:00 UTC);

/// `minutes` after the request was sent.
fn at(minutes: i64) -> OffsetDateTime {
    T0 + Duration::minutes(minutes)
}

fn station(id: &str) -> StationId {
    id.parse().unwrap()
}

/// The origin in every test.
fn luoyang() -> StationId {
    station("zj-taishun-luoyang")
}

fn xixi() -> StationId {
    station("fj-shouning-xixi")
}

fn mazhan() -> StationId {
    station("zj-cangnan-mazhan")
}

fn qianqi() -> StationId {
    station("fj-fuding-qianqi")
}

/// A station that is no party to any case here.
fn pingxi() -> StationId {
    station("fj-shouning-pingxi")
}

fn officer() -> Signatory {
    Signatory { badge: "330329001".parse().unwrap(), name: "陈志强".into() }
}

/// A request as the origin's node builds it from a form, with the urgent default deadlines.
fn request_body(new: NewCase, at: OffsetDateTime) -> RequestBody {
    new.into_request(officer(), at, crate::domain::deadline::DeadlinePolicy::default().urgent).1
}

/// One case: 罗阳 asks `targets` to look for a missing elderly man at [`T0`].
struct Case {
    request: Envelope,
}

impl Case {
    fn to(targets: &[StationId]) -> Self {
        let new = crate::samples::missing_elderly_man(targets.to_vec(), T0);
        let request = Envelope {
            id: EnvelopeId::new(),
            case: CaseId::new(),
            from: luoyang(),
            to: targets.to_vec(),
            at: T0,
            seq: 0,
            seen: targets.iter().map(|t| (t.clone(), 0)).collect(),
            body: Body::Request(Box::new(request_body(new, T0))),
        };
        Self { request }
    }

    /// Another envelope of this case. `seq` and `seen` are set when it is applied in order
    /// (see [`InOrder`]), or by the test when it crosses.
    fn envelope(&self, from: &StationId, to: &[StationId], at: OffsetDateTime, body: Body) -> Envelope {
        let seen = to.iter().map(|t| (t.clone(), 0)).collect();
        Envelope {
            id: EnvelopeId::new(),
            case: self.request.case,
            from: from.clone(),
            to: to.to_vec(),
            at,
            seq: 0,
            seen,
            body,
        }
    }

    /// The origin's record, just after sending.
    fn at_origin(&self) -> CaseRecord {
        CaseRecord::open(&self.request, &luoyang(), T0).unwrap()
    }

    /// `target`'s record, having stored the request at `stored_at`.
    fn at_target(&self, target: &StationId, stored_at: OffsetDateTime) -> CaseRecord {
        CaseRecord::open(&self.request, target, stored_at).unwrap()
    }

    /// 罗阳 → `to`.
    fn by_origin(&self, to: &[StationId], at: OffsetDateTime, body: Body) -> Envelope {
        self.envelope(&luoyang(), to, at, body)
    }

    /// `target` → 罗阳.
    fn by_target(&self, target: &StationId, at: OffsetDateTime, body: Body) -> Envelope {
        self.envelope(target, &[luoyang()], at, body)
    }
}

/// Applying an envelope whose sender held everything the receiving record holds: its `seq`
/// and `seen` are stamped from that record, and it must not need the case's history.
trait InOrder {
    fn apply_in_order(&mut self, envelope: &Envelope) -> Result<Vec<Transition>, ApplyError>;
}

impl InOrder for CaseRecord {
    fn apply_in_order(&mut self, envelope: &Envelope) -> Result<Vec<Transition>, ApplyError> {
        let mut envelope = envelope.clone();
        (envelope.seq, envelope.seen) = self.causal_context(&envelope.from, &envelope.to);
        self.apply(&envelope, || -> Result<Vec<Envelope>, ApplyError> { panic!("an envelope in order needed history") })
    }
}

fn ack(report_by: Option<OffsetDateTime>) -> Body {
    Body::Ack(AckBody { officer: officer(), report_by, message: Some("已安排警力查找".into()) })
}

fn decline(reason: DeclineReason, message: &str, suggested_station: Option<StationId>) -> Body {
    Body::Decline(DeclineBody { officer: officer(), reason, message: message.into(), suggested_station })
}

fn note(text: &str) -> Body {
    Body::Note(NoteBody { officer: officer(), text: text.into() })
}

fn reminder() -> Body {
    Body::Reminder(ReminderBody { officer: officer(), message: Some("请尽快签收".into()) })
}

fn outcome(outcome: Outcome, count: u32) -> Body {
    Body::Outcome(OutcomeBody {
        officer: officer(),
        outcome,
        count,
        narrative: "已在犀溪车站找到老人，家属已接回".into(),
    })
}

fn close(evaluation: u8) -> Body {
    Body::Close(CloseBody { officer: officer(), evaluation, comment: Some("响应迅速".into()) })
}

fn withdraw() -> Body {
    Body::Withdraw(WithdrawBody { officer: officer(), reason: WithdrawReason::ResolvedElsewhere, message: None })
}

fn state(record: &CaseRecord, target: &StationId) -> TargetState {
    record.target(target).unwrap().state
}

/// Applies `envelope` expecting a refusal with `code`, and checks that nothing changed.
fn refused(record: &mut CaseRecord, envelope: &Envelope, code: &str) -> ApplyError {
    let before = record.clone();
    let error = record.apply_in_order(envelope).expect_err("the envelope must be refused");
    assert_eq!(error.code(), code, "{error}");
    assert_eq!(*record, before, "a refused envelope changed the record");
    error
}

/// The field errors of an `invalid_body` refusal, as (field, code).
fn field_errors(error: ApplyError) -> Vec<(String, &'static str)> {
    match error {
        ApplyError::InvalidBody(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
        other => panic!("expected invalid_body, got {other:?}"),
    }
}

fn field(name: &str, code: &'static str) -> (String, &'static str) {
    (name.to_owned(), code)
}

/// A case to 犀溪 that 犀溪 has acknowledged, at the origin.
fn acknowledged() -> (Case, CaseRecord) {
    let case = Case::to(&[xixi()]);
    let mut origin = case.at_origin();
    origin.apply_in_order(&case.by_target(&xixi(), at(5), ack(None))).unwrap();
    (case, origin)
}

// --- opening a case ----------------------------------------------------------------------

#[test]
fn the_origin_tracks_every_target_as_sent() {
    let case = Case::to(&[xixi(), mazhan()]);
    let origin = case.at_origin();
    assert_eq!(origin.id, case.request.case);
    assert_eq!(origin.origin, luoyang());
    assert_eq!(origin.request, case.request.id);
    assert_eq!(origin.kind, CaseKind::MissingPerson);
    assert_eq!(origin.priority, Priority::Urgent);
    assert_eq!(origin.parties, vec![xixi(), mazhan()]);
    assert_eq!(origin.created_at, T0);
    assert_eq!(origin.updated_at, T0);
    assert_eq!(origin.review_by, Some(date!(2026 - 12 - 23)));
    assert!(!origin.subjects.is_empty(), "the missing man's resident ID is a subject");
    let stations: Vec<_> = origin.targets.iter().map(|t| t.station.clone()).collect();
    assert_eq!(stations, vec![xixi(), mazhan()]);
    for target in &origin.targets {
        assert_eq!(target.state, TargetState::Sent);
        assert_eq!(target.delivered_at, None);
        assert_eq!(target.ack_by, at(10));
        assert_eq!(target.report_by, at(8 * 60));
        assert_eq!(target.next_deadline(), Some(Overdue::Ack { due: at(10) }));
    }
    assert_eq!(origin.party_of(&luoyang()), Some(Party::Origin));
    assert_eq!(origin.party_of(&mazhan()), Some(Party::Target));
    assert_eq!(origin.party_of(&pingxi()), None);
}

#[test]
fn a_target_tracks_only_itself_as_delivered_when_it_stored_the_request() {
    let case = Case::to(&[xixi(), mazhan()]);
    let target = case.at_target(&xixi(), at(1));
    let origin = case.at_origin();
    assert_eq!(target.targets.len(), 1);
    let own = &target.targets[0];
    assert_eq!(own.station, xixi());
    assert_eq!(own.state, TargetState::Delivered);
    assert_eq!(own.delivered_at, Some(at(1)));
    assert_eq!((own.ack_by, own.report_by), (at(10), at(8 * 60)));
    // Everything but the tracked targets is the same at both sides.
    assert_eq!(CaseRecord { targets: Vec::new(), ..target.clone() }, CaseRecord { targets: Vec::new(), ..origin });
    assert_eq!(target.party_of(&mazhan()), Some(Party::Target), "the other target is still a party");
}

#[test]
fn a_request_not_addressed_to_this_station_opens_nothing() {
    let case = Case::to(&[xixi()]);
    let error = CaseRecord::open(&case.request, &mazhan(), at(1)).unwrap_err();
    assert_eq!(error.code(), "bad_addressing");
}

#[test]
fn only_a_request_opens_a_case() {
    let case = Case::to(&[xixi()]);
    let note = case.by_origin(&[xixi()], at(1), note("补充"));
    let error = CaseRecord::open(&note, &xixi(), at(2)).unwrap_err();
    assert_eq!(error, ApplyError::UnknownCase);
    assert_eq!(error.code(), "unknown_case");
}

#[test]
fn a_second_request_for_an_existing_case_is_refused() {
    let case = Case::to(&[xixi()]);
    let again = Envelope { id: EnvelopeId::new(), at: at(1), ..case.request.clone() };
    let error = refused(&mut case.at_origin(), &again, "case_exists");
    assert_eq!(error, ApplyError::CaseExists);
    refused(&mut case.at_target(&xixi(), at(1)), &again, "case_exists");
}

// --- the happy path ----------------------------------------------------------------------

#[test]
fn origin_and_target_reach_the_same_record_from_the_same_envelopes() {
    let case = Case::to(&[xixi()]);
    let stored_at = at(1);
    let mut origin = case.at_origin();
    let mut target = case.at_target(&xixi(), stored_at);

    // 犀溪's receipt reaches 罗阳.
    let delivered = origin.apply_receipt(&xixi(), stored_at).unwrap();
    let expected = Transition { target: xixi(), before: TargetState::Sent, after: TargetState::Delivered };
    assert_eq!(delivered, Some(expected));
    assert_eq!(origin.target(&xixi()), target.target(&xixi()));

    let both = |origin: &mut CaseRecord, target: &mut CaseRecord, envelope: Envelope| {
        let at_origin = origin.apply_in_order(&envelope).unwrap();
        let at_target = target.apply_in_order(&envelope).unwrap();
        assert_eq!(at_origin, at_target);
        assert_eq!(origin.target(&xixi()), target.target(&xixi()), "after {}", envelope.kind());
        at_origin
    };

    // 签收, promising a first report within four hours instead of eight.
    let acked = both(&mut origin, &mut target, case.by_target(&xixi(), at(5), ack(Some(at(4 * 60)))));
    assert_eq!(
        acked,
        vec![Transition { target: xixi(), before: TargetState::Delivered, after: TargetState::Acknowledged }]
    );
    let record = target.target(&xixi()).unwrap();
    assert_eq!(record.acked_at, Some(at(5)));
    assert_eq!(record.report_by, at(4 * 60));
    assert_eq!(record.first_report_at, None);
    assert_eq!(record.next_deadline(), Some(Overdue::Report { due: at(4 * 60) }));
    assert_eq!(record.overdue_at(at(4 * 60 + 1)), Some(Overdue::Report { due: at(4 * 60) }));

    // A note from 罗阳 is not a report; one from 犀溪 after its ack is the first report.
    both(&mut origin, &mut target, case.by_origin(&[xixi()], at(30), note("老人左手腕戴红绳")));
    assert_eq!(target.target(&xixi()).unwrap().first_report_at, None);
    both(&mut origin, &mut target, case.by_target(&xixi(), at(60), note("车站监控显示老人下车后往集市方向走")));
    let record = target.target(&xixi()).unwrap();
    assert_eq!(record.first_report_at, Some(at(60)));
    assert_eq!(record.notes, 2);
    assert_eq!(record.next_deadline(), None);

    // 反馈: found.
    both(&mut origin, &mut target, case.by_target(&xixi(), at(120), outcome(Outcome::PersonFound, 1)));
    let record = target.target(&xixi()).unwrap();
    assert_eq!(record.state, TargetState::Resolved);
    assert_eq!((record.outcome, record.outcome_count), (Some(Outcome::PersonFound), 1));
    assert_eq!(record.resolved_at, Some(at(120)));
    assert_eq!(record.first_report_at, Some(at(60)), "the outcome does not move an earlier first report");

    // 办结评价.
    both(&mut origin, &mut target, case.by_origin(&[xixi()], at(180), close(5)));
    let record = target.target(&xixi()).unwrap();
    assert_eq!(record.state, TargetState::Closed);
    assert_eq!(record.evaluation, Some(5));
    assert_eq!(record.ended_at, Some(at(180)));
    assert!(!target.is_open());

    assert_eq!(origin, target, "with one target, the two records are identical");
    assert_eq!(origin.updated_at, at(180));
}

#[test]
fn an_outcome_without_an_earlier_note_is_the_first_report() {
    let (case, mut origin) = acknowledged();
    origin.apply_in_order(&case.by_target(&xixi(), at(90), outcome(Outcome::NoTrace, 0))).unwrap();
    let record = origin.target(&xixi()).unwrap();
    assert_eq!(record.first_report_at, Some(at(90)));
    assert_eq!(record.resolved_at, Some(at(90)));
}

#[test]
fn a_receipt_arriving_after_the_ack_changes_no_state_but_records_delivery() {
    let (_, mut origin) = acknowledged();
    assert_eq!(origin.apply_receipt(&xixi(), at(1)).unwrap(), None);
    let record = origin.target(&xixi()).unwrap();
    assert_eq!(record.state, TargetState::Acknowledged);
    assert_eq!(record.delivered_at, Some(at(1)));
}

#[test]
fn a_receipt_from_a_station_that_is_no_target_is_refused() {
    let case = Case::to(&[xixi()]);
    let mut origin = case.at_origin();
    assert_eq!(origin.apply_receipt(&pingxi(), at(1)).unwrap_err().code(), "not_party");
}

// --- several targets ---------------------------------------------------------------------

#[test]
fn withdrawing_from_every_open_target_withdraws_them_all() {
    let case = Case::to(&[xixi(), mazhan(), qianqi()]);
    let mut origin = case.at_origin();
    origin.apply_receipt(&mazhan(), at(1)).unwrap();
    origin.apply_in_order(&case.by_target(&xixi(), at(5), ack(None))).unwrap();
    // 犀溪 acknowledged, 马站 delivered, 前岐 still sent.
    let withdrawn = origin.apply_in_order(&case.by_origin(&[xixi(), mazhan(), qianqi()], at(30), withdraw())).unwrap();
    assert_eq!(
        withdrawn,
        vec![
            Transition { target: xixi(), before: TargetState::Acknowledged, after: TargetState::Withdrawn },
            Transition { target: mazhan(), before: TargetState::Delivered, after: TargetState::Withdrawn },
            Transition { target: qianqi(), before: TargetState::Sent, after: TargetState::Withdrawn },
        ]
    );
    for target in &origin.targets {
        assert_eq!(target.ended_at, Some(at(30)));
        assert_eq!(target.next_deadline(), None);
    }
    assert!(!origin.is_open());
}

#[test]
fn a_withdrawal_to_all_changes_only_the_own_entry_at_a_target() {
    let case = Case::to(&[xixi(), mazhan(), qianqi()]);
    let mut at_mazhan = case.at_target(&mazhan(), at(1));
    let withdrawn =
        at_mazhan.apply_in_order(&case.by_origin(&[xixi(), mazhan(), qianqi()], at(30), withdraw())).unwrap();
    assert_eq!(
        withdrawn,
        vec![Transition { target: mazhan(), before: TargetState::Delivered, after: TargetState::Withdrawn }]
    );
}

#[test]
fn a_close_applies_only_when_every_addressed_target_is_resolved() {
    let case = Case::to(&[xixi(), mazhan(), qianqi()]);
    let mut origin = case.at_origin();
    for target in [xixi(), mazhan()] {
        origin.apply_in_order(&case.by_target(&target, at(5), ack(None))).unwrap();
    }
    origin.apply_in_order(&case.by_target(&xixi(), at(60), outcome(Outcome::PersonFound, 1))).unwrap();
    origin
        .apply_in_order(&case.by_target(&qianqi(), at(6), decline(DeclineReason::NotOurArea, "不属本辖区", None)))
        .unwrap();
    // 犀溪 resolved, 马站 acknowledged, 前岐 declined.

    let error = refused(&mut origin, &case.by_origin(&[xixi(), mazhan()], at(90), close(4)), "illegal_transition");
    let refusal = LifecycleError::NotAllowed { step: Step::Close, state: TargetState::Acknowledged };
    assert_eq!(error, ApplyError::Lifecycle(refusal));
    refused(&mut origin, &case.by_origin(&[qianqi()], at(90), close(4)), "illegal_transition");

    let closed = origin.apply_in_order(&case.by_origin(&[xixi()], at(90), close(4))).unwrap();
    assert_eq!(closed, vec![Transition { target: xixi(), before: TargetState::Resolved, after: TargetState::Closed }]);
    assert_eq!(origin.target(&xixi()).unwrap().evaluation, Some(4));
    assert_eq!(state(&origin, &mazhan()), TargetState::Acknowledged);
    assert_eq!(state(&origin, &qianqi()), TargetState::Declined);
    assert!(origin.is_open(), "马站 still owes a report");

    // A withdrawal may not touch a target that already ended.
    refused(&mut origin, &case.by_origin(&[mazhan(), qianqi()], at(100), withdraw()), "illegal_transition");
    origin.apply_in_order(&case.by_origin(&[mazhan()], at(100), withdraw())).unwrap();
    assert!(!origin.is_open());
}

// --- who may say what to whom ------------------------------------------------------------

#[test]
fn a_station_outside_the_case_cannot_add_a_note() {
    let case = Case::to(&[xixi()]);
    let stranger_note = case.envelope(&pingxi(), &[luoyang()], at(5), note("我所也有线索"));
    let error = refused(&mut case.at_origin(), &stranger_note, "not_party");
    assert_eq!(error, ApplyError::NotParty(pingxi()));
    refused(&mut case.at_target(&xixi(), at(1)), &stranger_note, "not_party");
}

#[test]
fn a_target_may_address_the_origin_only() {
    let case = Case::to(&[xixi(), mazhan()]);
    let mut origin = case.at_origin();
    let to_both = case.envelope(&xixi(), &[luoyang(), mazhan()], at(5), note("抄送马站"));
    refused(&mut origin, &to_both, "bad_addressing");
    let to_the_other_target = case.envelope(&xixi(), &[mazhan()], at(5), note("直接告知马站"));
    refused(&mut origin, &to_the_other_target, "bad_addressing");
    let ack_to_the_other_target = case.envelope(&xixi(), &[mazhan()], at(5), ack(None));
    refused(&mut origin, &ack_to_the_other_target, "bad_addressing");
}

#[test]
fn the_origin_may_address_targets_of_the_case_only() {
    let case = Case::to(&[xixi()]);
    let mut origin = case.at_origin();
    let error = refused(&mut origin, &case.by_origin(&[xixi(), pingxi()], at(5), note("补充")), "bad_addressing");
    assert!(error.to_string().contains("fj-shouning-pingxi"), "{error}");
    refused(&mut case.at_target(&xixi(), at(1)), &case.by_origin(&[pingxi()], at(5), reminder()), "bad_addressing");
}

#[test]
fn a_target_cannot_close_and_the_origin_cannot_acknowledge() {
    let (case, mut origin) = acknowledged();
    origin.apply_in_order(&case.by_target(&xixi(), at(60), outcome(Outcome::PersonFound, 1))).unwrap();
    let error = refused(&mut origin, &case.by_target(&xixi(), at(70), close(5)), "wrong_party");
    assert_eq!(error, ApplyError::Lifecycle(LifecycleError::WrongParty { step: Step::Close, by: Party::Target }));

    let fresh = Case::to(&[xixi()]);
    refused(&mut fresh.at_origin(), &fresh.by_origin(&[xixi()], at(5), ack(None)), "wrong_party");
}

#[test]
fn an_outcome_before_the_ack_is_an_illegal_transition() {
    let case = Case::to(&[xixi()]);
    let mut origin = case.at_origin();
    origin.apply_receipt(&xixi(), at(1)).unwrap();
    let error =
        refused(&mut origin, &case.by_target(&xixi(), at(5), outcome(Outcome::PersonFound, 1)), "illegal_transition");
    let refusal = LifecycleError::NotAllowed { step: Step::Outcome, state: TargetState::Delivered };
    assert_eq!(error, ApplyError::Lifecycle(refusal));
    refused(
        &mut case.at_target(&xixi(), at(1)),
        &case.by_target(&xixi(), at(5), outcome(Outcome::NoTrace, 0)),
        "illegal_transition",
    );
}

// --- what the bodies must say ------------------------------------------------------------

#[test]
fn an_outcome_must_fit_the_kind_of_case() {
    let (case, mut origin) = acknowledged();
    let arrested = case.by_target(&xixi(), at(60), outcome(Outcome::Arrested, 1));
    let error = refused(&mut origin, &arrested, "invalid_body");
    assert_eq!(field_errors(error), vec![field("outcome", "outcome_not_for_kind")]);
}

#[test]
fn an_outcome_counts_one_to_a_thousand_and_no_trace_counts_zero() {
    let (case, mut origin) = acknowledged();
    for (result, count) in [(Outcome::PersonFound, 0), (Outcome::PersonFound, 1001), (Outcome::NoTrace, 1)] {
        let error = refused(&mut origin, &case.by_target(&xixi(), at(60), outcome(result, count)), "invalid_body");
        assert_eq!(field_errors(error), vec![field("count", "out_of_range")], "{result:?} × {count}");
    }
    for (result, count) in [(Outcome::PersonFound, 1), (Outcome::PersonFound, 1000), (Outcome::NoTrace, 0)] {
        let mut fresh = origin.clone();
        fresh.apply_in_order(&case.by_target(&xixi(), at(60), outcome(result, count))).unwrap();
    }
}

#[test]
fn an_outcome_needs_a_narrative() {
    let (case, mut origin) = acknowledged();
    let blank = Body::Outcome(OutcomeBody {
        officer: officer(),
        outcome: Outcome::PersonFound,
        count: 1,
        narrative: " \n ".into(),
    });
    let error = refused(&mut origin, &case.by_target(&xixi(), at(60), blank), "invalid_body");
    assert_eq!(field_errors(error), vec![field("narrative", "required")]);
}

#[test]
fn an_evaluation_is_one_to_five() {
    let (case, mut origin) = acknowledged();
    origin.apply_in_order(&case.by_target(&xixi(), at(60), outcome(Outcome::PersonFound, 1))).unwrap();
    for evaluation in [0, 6] {
        let error = refused(&mut origin, &case.by_origin(&[xixi()], at(90), close(evaluation)), "invalid_body");
        assert_eq!(field_errors(error), vec![field("evaluation", "out_of_range")], "{evaluation}");
    }
    for evaluation in [1, 5] {
        origin.clone().apply_in_order(&case.by_origin(&[xixi()], at(90), close(evaluation))).unwrap();
    }
}

#[test]
fn a_decline_must_explain_itself() {
    let case = Case::to(&[xixi()]);
    let blank = case.by_target(&xixi(), at(5), decline(DeclineReason::Other, "   ", None));
    let error = refused(&mut case.at_origin(), &blank, "invalid_body");
    assert_eq!(field_errors(error), vec![field("message", "required")]);
}

#[test]
fn a_blank_note_is_refused() {
    let case = Case::to(&[xixi()]);
    let error = refused(&mut case.at_origin(), &case.by_origin(&[xixi()], at(5), note("")), "invalid_body");
    assert_eq!(field_errors(error), vec![field("text", "required")]);
}

#[test]
fn an_ack_cannot_promise_a_report_in_the_past() {
    let case = Case::to(&[xixi()]);
    for promised in [at(5), at(4)] {
        let error =
            refused(&mut case.at_origin(), &case.by_target(&xixi(), at(5), ack(Some(promised))), "invalid_body");
        assert_eq!(field_errors(error), vec![field("report_by", "in_past")]);
    }
}

// --- declines and reminders --------------------------------------------------------------

#[test]
fn a_decline_records_the_reason_and_the_suggested_station() {
    let case = Case::to(&[xixi()]);
    let mut origin = case.at_origin();
    let mut target = case.at_target(&xixi(), at(1));
    origin.apply_receipt(&xixi(), at(1)).unwrap();
    let declined = case.by_target(
        &xixi(),
        at(8),
        decline(DeclineReason::NotOurArea, "洲岭村班车终点在平溪，请转平溪派出所", Some(pingxi())),
    );
    origin.apply_in_order(&declined).unwrap();
    target.apply_in_order(&declined).unwrap();
    let record = origin.target(&xixi()).unwrap();
    assert_eq!(record.state, TargetState::Declined);
    assert_eq!(record.decline_reason, Some(DeclineReason::NotOurArea));
    assert_eq!(record.suggested_station, Some(pingxi()));
    assert_eq!(record.ended_at, Some(at(8)));
    assert_eq!(record.next_deadline(), None);
    assert_eq!(origin, target);
    // A declined target is finished: no more notes either way.
    refused(&mut origin, &case.by_target(&xixi(), at(9), note("补充说明")), "illegal_transition");
}

#[test]
fn reminders_are_counted_until_the_target_reports() {
    let case = Case::to(&[xixi()]);
    let mut origin = case.at_origin();
    let mut target = case.at_target(&xixi(), at(1));
    origin.apply_receipt(&xixi(), at(1)).unwrap();
    let mut both = |envelope: Envelope| {
        origin.apply_in_order(&envelope).unwrap();
        target.apply_in_order(&envelope).unwrap();
    };
    both(case.by_origin(&[xixi()], at(11), reminder()));
    both(case.by_origin(&[xixi()], at(15), reminder()));
    both(case.by_target(&xixi(), at(20), ack(None)));
    both(case.by_origin(&[xixi()], at(9 * 60), reminder()));
    both(case.by_target(&xixi(), at(10 * 60), outcome(Outcome::NoTrace, 0)));
    assert_eq!(origin.target(&xixi()).unwrap().reminders, 3);
    assert_eq!(origin, target);
    // Nothing is owed after the outcome, so there is nothing to press for.
    refused(&mut origin, &case.by_origin(&[xixi()], at(11 * 60), reminder()), "illegal_transition");
    assert_eq!(origin.target(&xixi()).unwrap().reminders, 3);
}

// --- validate_request --------------------------------------------------------------------

fn sample_request() -> RequestBody {
    request_body(crate::samples::missing_elderly_man(vec![xixi()], T0), T0)
}

#[test]
fn the_sample_request_is_valid() {
    assert_eq!(validate_request(&sample_request(), T0), Ok(()));
}

#[test]
fn a_request_must_ask_for_an_ack_after_it_is_sent() {
    for ack_by in [T0, at(-1)] {
        let request = RequestBody { ack_by, ..sample_request() };
        let error = validate_request(&request, T0).unwrap_err();
        assert_eq!(error.code(), "invalid_body");
        assert_eq!(field_errors(error), vec![field("ack_by", "out_of_order")]);
    }
}

#[test]
fn a_request_must_ask_for_the_report_after_the_ack() {
    let request = RequestBody { report_by: at(10), ..sample_request() };
    assert_eq!(field_errors(validate_request(&request, T0).unwrap_err()), vec![field("ack_by", "out_of_order")]);
}

#[test]
fn a_request_cannot_carry_a_review_date_in_the_past() {
    let yesterday = RequestBody { review_by: Some(date!(2026 - 11 - 22)), ..sample_request() };
    assert_eq!(field_errors(validate_request(&yesterday, T0).unwrap_err()), vec![field("review_by", "in_past")]);
    let today = RequestBody { review_by: Some(date!(2026 - 11 - 23)), ..sample_request() };
    assert_eq!(validate_request(&today, T0), Ok(()));
}

#[test]
fn a_review_date_already_past_in_beijing_is_refused() {
    // 07:00 on 23 November in Beijing is still 22 November in UTC: a review date of the 22nd
    // is yesterday for the officer who typed it, yet it passes.
    let early_morning = datetime!(2026-11-22 23:00 UTC);
    let request = RequestBody {
        review_by: Some(date!(2026 - 11 - 22)),
        ..request_body(crate::samples::missing_elderly_man(vec![xixi()], early_morning), early_morning)
    };
    assert_eq!(
        field_errors(validate_request(&request, early_morning).unwrap_err()),
        vec![field("review_by", "in_past")]
    );
}

#[test]
fn an_invalid_request_opens_no_case() {
    let case = Case::to(&[xixi()]);
    let Body::Request(request) = &case.request.body else { unreachable!() };
    let late = RequestBody { ack_by: T0, ..(**request).clone() };
    let envelope = Envelope { body: Body::Request(Box::new(late)), ..case.request.clone() };
    assert_eq!(CaseRecord::open(&envelope, &xixi(), at(1)).unwrap_err().code(), "invalid_body");
    assert_eq!(CaseRecord::open(&envelope, &luoyang(), T0).unwrap_err().code(), "invalid_body");
}

mod crossing;
