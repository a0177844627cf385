//! The pure case record: what a request opens at either side, and what each later envelope
//! may and may not do to it. Envelopes are built unsigned; signatures are the envelope
//! module's business, the rules of the case are this one's.
//!
//! The fixtures the tests share are here; the tests themselves, by topic, are in the submodules.

use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

use super::*;
use crate::domain::case::WithdrawReason;
use crate::domain::lifecycle::LifecycleError;
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
    Body::Note(NoteBody { officer: officer(), text: text.into(), attachments: Vec::new() })
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

mod bodies;
mod crossing;
mod declines_and_reminders;
mod happy_path;
mod opening;
mod parties;
mod requests;
mod several_targets;
